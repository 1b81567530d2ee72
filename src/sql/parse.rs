//! From SQL text to Cambium's AST: scripts are split into statements, `SET` is read here (the
//! parser does not know MySQL's `PERSIST` or `:=`), everything else goes through `sqlparser`'s
//! MySQL dialect and is translated node by node. Constructs without a translation are refused
//! with an `Unsupported` error that names them.

use sqlparser::ast as sp;
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

use super::ast::*;
use super::error::{Error, ErrorKind};
use super::types::{CastType, Datum, Decimal, SqlType};

/// Bytes of one script.
pub const SCRIPT_BYTES_MAX: usize = 4 << 20;
/// Nesting depth of expressions and subqueries the parser accepts.
pub const EXPRESSION_DEPTH_MAX: usize = 64;

/// Parses a script of `;`-separated statements, binding `params` to `?` in order.
pub fn parse_script(sql: &str, params: &[Datum]) -> Result<Vec<Statement>, Error> {
    let mut statements = Vec::new();
    let mut used = 0;
    for piece in read_script(sql)? {
        let (statement, count) = translate(piece, params.get(used..).unwrap_or_default())?;
        statements.push(statement);
        used += count;
    }
    check_parameter_count(used, params.len())?;
    Ok(statements)
}

/// One statement of a script as the parser read it, before its parameters are bound: the
/// text after `SET` (read by Cambium, see [`Translator::set_statement`]) or `sqlparser`'s tree.
#[derive(Clone)]
enum Piece {
    Set(String),
    Parsed(Box<sp::Statement>),
    /// `SHOW CREATE TABLE name AS OF revision` (see [`show_create_as_of`]).
    ShowCreateAsOf(Box<(sp::ObjectName, sp::Expr)>),
}

/// Splits and parses a script; the parameters are bound later, by [`translate`] or as
/// [`Expr::Param`]s (see [`ParseCache`]).
fn read_script(sql: &str) -> Result<Vec<Piece>, Error> {
    if sql.len() > SCRIPT_BYTES_MAX {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("a statement of {} bytes is over the limit of {SCRIPT_BYTES_MAX}", sql.len()),
        ));
    }
    let mut pieces = Vec::new();
    for text in split_statements(sql) {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            continue;
        }
        if starts_with_word(trimmed, "set") && !starts_with_word(trimmed, "set transaction") {
            pieces.push(Piece::Set(trimmed[3..].to_string()));
            continue;
        }
        if let Some(piece) = show_create_as_of(trimmed)? {
            pieces.push(piece);
            continue;
        }
        let rewritten = rewrite_as_of(trimmed)?;
        let parsed = Parser::new(&MySqlDialect {})
            .with_recursion_limit(EXPRESSION_DEPTH_MAX)
            .try_with_sql(&rewritten)
            .and_then(|mut parser| parser.parse_statements())
            .map_err(|error| Error::new(ErrorKind::Syntax, syntax_message(&error.to_string())))?;
        pieces.extend(parsed.into_iter().map(|statement| Piece::Parsed(Box::new(statement))));
    }
    Ok(pieces)
}

/// Translates a parsed statement into Cambium's AST with the values of its `?` in it, taken
/// in order from `params`; returns it and how many values it took.
fn translate(piece: Piece, params: &[Datum]) -> Result<(Statement, usize), Error> {
    let mut translator = Translator { params, next_param: 0, prepared: false };
    let statement = match piece {
        Piece::Set(text) => translator.set_statement(&text)?,
        Piece::Parsed(statement) => translator.statement(*statement)?,
        Piece::ShowCreateAsOf(parts) => {
            let (name, revision) = *parts;
            translator.show_create_table(&name, Some(revision))?
        }
    };
    Ok((statement, translator.next_param))
}

/// Refuses a script whose statements took `used` values when `given` were given.
fn check_parameter_count(used: usize, given: usize) -> Result<(), Error> {
    if used == given {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Parameters,
        format!("the statement has {used} parameters but {given} values were given"),
    ))
}

/// One statement ready to run: parameters stand in it as [`Expr::Param`], numbered from 0,
/// and `params` says which of the script's values are its own.
#[derive(Clone, Debug)]
pub struct Bound {
    pub statement: std::sync::Arc<Statement>,
    pub params: std::ops::Range<usize>,
}

/// Scripts read before, by their text: an application runs the same statements over and over
/// with different values, and reading a 1,000-row `INSERT … VALUES (?, ?, ?), …` costs more
/// than executing it. Queries and data changes are kept translated, their `?` as
/// [`Expr::Param`], and run as they are with each call's values (prepared statements); other
/// statements (`SET`, `CALL`, DDL), whose translation may read a value, are kept parsed and
/// translated with the values on every run.
#[derive(Default)]
pub struct ParseCache {
    entries: std::collections::HashMap<String, CachedScript>,
    /// Bytes of the texts held, which bounds the trees held (a few dozen bytes per byte).
    text_bytes: usize,
    /// Ticks once per lookup; the entry with the oldest use is evicted first.
    clock: u64,
}

struct CachedScript {
    statements: Vec<Cached>,
    used: u64,
}

enum Cached {
    /// A statement translated once, and how many parameters it takes.
    Prepared(std::sync::Arc<Statement>, usize),
    /// A statement translated on every run, with the run's values in it.
    Parsed(Piece),
}

impl Cached {
    fn of(piece: Piece) -> Cached {
        let Piece::Parsed(statement) = &piece else { return Cached::Parsed(piece) };
        let data = matches!(
            **statement,
            sp::Statement::Query(_)
                | sp::Statement::Insert(_)
                | sp::Statement::Update { .. }
                | sp::Statement::Delete(_)
        );
        if !data {
            return Cached::Parsed(piece);
        }
        let mut translator = Translator { params: &[], next_param: 0, prepared: true };
        match translator.statement((**statement).clone()) {
            Ok(prepared) => Cached::Prepared(prepared.into(), translator.next_param),
            // The error comes again, or the statement needs a value at translation: either
            // way, translating it on every run with its values says what it must.
            Err(_) => Cached::Parsed(piece),
        }
    }
}

impl ParseCache {
    /// Scripts held at most.
    pub const SCRIPTS_MAX: usize = 64;
    /// Bytes of one script's text above which it is read every time instead.
    pub const SCRIPT_BYTES_MAX: usize = 128 << 10;
    /// Bytes of all the held scripts' texts.
    pub const TEXT_BYTES_MAX: usize = 512 << 10;

    /// Reads a script of `;`-separated statements as [`parse_script`] does, reusing what an
    /// earlier run of the same text read; `params` are bound to `?` in order.
    pub fn parse(&mut self, sql: &str, params: &[Datum]) -> Result<Vec<Bound>, Error> {
        self.clock += 1;
        if let Some(cached) = self.entries.get_mut(sql) {
            cached.used = self.clock;
            return bind_cached(&cached.statements, params);
        }
        let statements: Vec<Cached> = read_script(sql)?.into_iter().map(Cached::of).collect();
        let bound = bind_cached(&statements, params);
        if sql.len() <= Self::SCRIPT_BYTES_MAX {
            self.insert(sql, statements);
        }
        bound
    }

    fn insert(&mut self, sql: &str, statements: Vec<Cached>) {
        while self.entries.len() >= Self::SCRIPTS_MAX
            || self.text_bytes + sql.len() > Self::TEXT_BYTES_MAX
        {
            let oldest = self.entries.iter().min_by_key(|(_, cached)| cached.used);
            let oldest = oldest.map(|(text, _)| text.clone()).expect("a full cache holds scripts");
            self.entries.remove(&oldest);
            self.text_bytes -= oldest.len();
        }
        self.text_bytes += sql.len();
        self.entries.insert(sql.to_string(), CachedScript { statements, used: self.clock });
    }

    /// The number of scripts held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no script is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Gives each cached statement its share of `params`, translating those kept only parsed.
fn bind_cached(statements: &[Cached], params: &[Datum]) -> Result<Vec<Bound>, Error> {
    let mut bound = Vec::with_capacity(statements.len());
    let mut next = 0;
    for cached in statements {
        let (statement, count) = match cached {
            Cached::Prepared(statement, count) => (statement.clone(), *count),
            Cached::Parsed(piece) => {
                let (statement, count) =
                    translate(piece.clone(), params.get(next..).unwrap_or_default())?;
                (statement.into(), count)
            }
        };
        bound.push(Bound { statement, params: next..next + count });
        next += count;
    }
    check_parameter_count(next, params.len())?;
    Ok(bound)
}

/// Parses one expression, as a CHECK constraint stores it, refusing anything after it.
pub fn parse_expression(text: &str) -> Result<Expr, Error> {
    let syntax = |e: sqlparser::parser::ParserError| {
        Error::new(ErrorKind::Syntax, syntax_message(&e.to_string()))
    };
    let mut parser = Parser::new(&MySqlDialect {})
        .with_recursion_limit(EXPRESSION_DEPTH_MAX)
        .try_with_sql(text)
        .map_err(syntax)?;
    let expr = parser.parse_expr().map_err(syntax)?;
    if parser.peek_token().token != sqlparser::tokenizer::Token::EOF {
        return Err(Error::new(ErrorKind::Syntax, format!("more than one expression in '{text}'")));
    }
    Translator { params: &[], next_param: 0, prepared: false }.expr(expr)
}

/// Reads Dolt's `SHOW CREATE TABLE name AS OF revision`, which `sqlparser` does not read and
/// `rewrite_as_of` cannot turn into anything it reads; `None` for every other statement. The
/// revision is one expression, as after a table of a query.
fn show_create_as_of(sql: &str) -> Result<Option<Piece>, Error> {
    use sqlparser::keywords::Keyword;
    use sqlparser::tokenizer::Token;
    if !starts_with_word(sql, "show") || !mentions_as_of(sql) {
        return Ok(None);
    }
    let syntax = |e: sqlparser::parser::ParserError| {
        Error::new(ErrorKind::Syntax, syntax_message(&e.to_string()))
    };
    let mut parser = Parser::new(&MySqlDialect {})
        .with_recursion_limit(EXPRESSION_DEPTH_MAX)
        .try_with_sql(sql)
        .map_err(syntax)?;
    if !parser.parse_keywords(&[Keyword::SHOW, Keyword::CREATE, Keyword::TABLE]) {
        return Ok(None);
    }
    let name = parser.parse_object_name(false).map_err(syntax)?;
    if !parser.parse_keywords(&[Keyword::AS, Keyword::OF]) {
        return Ok(None);
    }
    let revision = parser.parse_expr().map_err(syntax)?;
    let rest = parser.peek_token();
    if rest.token != Token::EOF {
        return Err(Error::new(
            ErrorKind::Syntax,
            format!("syntax error: unexpected '{}' after the revision of SHOW CREATE TABLE", rest),
        ));
    }
    Ok(Some(Piece::ShowCreateAsOf(Box::new((name, revision)))))
}

/// The table function that `rewrite_as_of` writes in place of `table AS OF revision`.
const AS_OF_FUNCTION: &str = "cambium_as_of";

/// Whether `sql` holds the words `AS` and `OF` one after the other (anywhere, quotes included),
/// checked without allocating so that statements without them skip the tokenizer.
fn mentions_as_of(sql: &str) -> bool {
    let bytes = sql.as_bytes();
    let word_end =
        |at: usize| bytes.get(at).is_none_or(|b| !b.is_ascii_alphanumeric() && *b != b'_');
    (0..bytes.len().saturating_sub(1)).any(|at| {
        if !bytes[at..at + 2].eq_ignore_ascii_case(b"as") || (at > 0 && !word_end(at - 1)) {
            return false;
        }
        let mut next = at + 2;
        if !bytes.get(next).is_some_and(u8::is_ascii_whitespace) {
            return false;
        }
        while bytes.get(next).is_some_and(u8::is_ascii_whitespace) {
            next += 1;
        }
        bytes.get(next..next + 2).is_some_and(|w| w.eq_ignore_ascii_case(b"of"))
            && word_end(next + 2)
    })
}

/// Rewrites Dolt's `table AS OF revision`, which `sqlparser` does not read, as the table
/// function call `cambium_as_of(table, revision)`, which it does. The revision is one operand:
/// a literal, a variable, a name, a function call, a typed literal (`TIMESTAMP '…'`) or a
/// parenthesised expression.
fn rewrite_as_of(sql: &str) -> Result<std::borrow::Cow<'_, str>, Error> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    if !mentions_as_of(sql) {
        return Ok(sql.into());
    }
    let syntax = |e: sqlparser::tokenizer::TokenizerError| {
        Error::new(ErrorKind::Syntax, syntax_message(&e.to_string()))
    };
    let tokens = Tokenizer::new(&MySqlDialect {}, sql).tokenize_with_location().map_err(syntax)?;
    // Byte offsets of the tokens' starts (locations count lines and characters from 1).
    let line_starts: Vec<usize> =
        std::iter::once(0).chain(sql.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let offset = |at: usize| -> usize {
        let Some(token) = tokens.get(at) else { return sql.len() };
        let location = token.span.start;
        let start =
            line_starts[(location.line as usize).saturating_sub(1).min(line_starts.len() - 1)];
        sql[start..]
            .char_indices()
            .nth((location.column as usize).saturating_sub(1))
            .map_or(sql.len(), |(i, _)| start + i)
    };
    let solid = |at: usize| !matches!(tokens[at].token, Token::Whitespace(_));
    let next = |at: usize| (at + 1..tokens.len()).find(|&i| solid(i));
    let word = |at: usize, text: &str| matches!(&tokens[at].token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(text));
    let mut out = String::new();
    let mut copied = 0;
    let mut at = 0;
    while at < tokens.len() {
        let Some(of) = next(at).filter(|&of| word(at, "as") && word(of, "of")) else {
            at += 1;
            continue;
        };
        // The table name before AS: words joined by periods.
        let mut name_start = None;
        let mut back = at;
        while let Some(prev) = (0..back).rev().find(|&i| solid(i)) {
            if !matches!(tokens[prev].token, Token::Word(_)) {
                break;
            }
            name_start = Some(prev);
            match (0..prev).rev().find(|&i| solid(i)) {
                Some(dot) if tokens[dot].token == Token::Period => back = dot,
                _ => break,
            }
        }
        let (Some(name_start), Some(first)) = (name_start, next(of)) else {
            return Err(Error::new(
                ErrorKind::Syntax,
                "syntax error: AS OF needs a table and a revision",
            ));
        };
        // `SELECT x AS of FROM t` names a column `of`: a clause keyword cannot start a revision.
        if let Token::Word(w) = &tokens[first].token {
            use sqlparser::keywords::Keyword;
            let clause = [
                Keyword::FROM,
                Keyword::WHERE,
                Keyword::GROUP,
                Keyword::ORDER,
                Keyword::LIMIT,
                Keyword::HAVING,
                Keyword::UNION,
                Keyword::INTO,
            ];
            if w.quote_style.is_none() && clause.contains(&w.keyword) {
                at = of + 1;
                continue;
            }
        }
        // The operand's last token.
        let mut last = first;
        let closing = |open: usize| -> Result<usize, Error> {
            let mut depth = 0usize;
            for (i, t) in tokens.iter().enumerate().skip(open) {
                match t.token {
                    Token::LParen => depth += 1,
                    Token::RParen => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(i);
                        }
                    }
                    _ => {}
                }
            }
            Err(Error::new(ErrorKind::Syntax, "syntax error: unbalanced parentheses after AS OF"))
        };
        match &tokens[first].token {
            Token::LParen => last = closing(first)?,
            Token::Word(_) => {
                if let Some(after) = next(first) {
                    match tokens[after].token {
                        Token::LParen => last = closing(after)?,
                        Token::SingleQuotedString(_) | Token::DoubleQuotedString(_) => last = after,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        let (name_at, as_at, operand_at, end_at) =
            (offset(name_start), offset(at), offset(first), offset(last + 1));
        out.push_str(&sql[copied..name_at]);
        out.push_str(AS_OF_FUNCTION);
        out.push('(');
        out.push_str(sql[name_at..as_at].trim_end());
        out.push_str(", ");
        out.push_str(&sql[operand_at..end_at]);
        out.push(')');
        copied = end_at;
        at = last + 1;
    }
    if copied == 0 {
        return Ok(sql.into());
    }
    out.push_str(&sql[copied..]);
    Ok(out.into())
}

fn syntax_message(raw: &str) -> String {
    let raw = raw.strip_prefix("sql parser error: ").unwrap_or(raw);
    format!("syntax error: {raw}")
}

fn starts_with_word(text: &str, word: &str) -> bool {
    text.len() >= word.len()
        && text[..word.len()].eq_ignore_ascii_case(word)
        && text[word.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric() && c != '_')
}

/// Splits a script at `;` outside quotes and comments.
fn split_statements(sql: &str) -> Vec<&str> {
    let bytes = sql.as_bytes();
    let mut parts = Vec::new();
    let (mut start, mut at) = (0, 0);
    while at < bytes.len() {
        match bytes[at] {
            quote @ (b'\'' | b'"' | b'`') => {
                at += 1;
                while at < bytes.len() && bytes[at] != quote {
                    if bytes[at] == b'\\' && quote != b'`' {
                        at += 1;
                    }
                    at += 1;
                }
            }
            b'-' if bytes.get(at + 1) == Some(&b'-') => {
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
            }
            b'#' => {
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
            }
            b'/' if bytes.get(at + 1) == Some(&b'*') => {
                at += 2;
                while at + 1 < bytes.len() && !(bytes[at] == b'*' && bytes[at + 1] == b'/') {
                    at += 1;
                }
                at += 1;
            }
            b';' => {
                parts.push(&sql[start..at]);
                start = at + 1;
            }
            _ => {}
        }
        at += 1;
    }
    if start < sql.len() {
        parts.push(&sql[start..]);
    }
    parts
}

struct Translator<'p> {
    params: &'p [Datum],
    next_param: usize,
    /// Whether `?` becomes [`Expr::Param`] (a statement prepared to run with any values)
    /// instead of the value in `params`.
    prepared: bool,
}

fn unsupported<T>(what: impl std::fmt::Display) -> Result<T, Error> {
    Err(Error::unsupported(what))
}

fn ident(ident: &sp::Ident) -> String {
    ident.value.clone()
}

/// A table name and the database that qualifies it, if any.
fn qualified_name(name: &sp::ObjectName) -> Result<(Option<String>, String), Error> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|part| match part {
            sp::ObjectNamePart::Identifier(id) => Ok(id.value.clone()),
            other => unsupported(format!("the name {other}")),
        })
        .collect::<Result<_, _>>()?;
    let mut parts = parts.into_iter();
    match (parts.next(), parts.next(), parts.next()) {
        (Some(name), None, None) => Ok((None, name)),
        (Some(database), Some(name), None) => Ok((Some(database), name)),
        _ => unsupported(format!("the name {name}")),
    }
}

/// The revision a table's database qualifier names: `db/revision` is a revision of the
/// database (Dolt's revision databases); a plain `db` names none.
fn database_revision(database: Option<String>) -> Option<Revision> {
    database.and_then(|d| d.split_once('/').map(|(_, rev)| Revision::Database(rev.to_string())))
}

fn object_name(name: &sp::ObjectName) -> Result<String, Error> {
    // `db.table`: one database per session, so the qualifier is dropped.
    Ok(qualified_name(name)?.1)
}

impl Translator<'_> {
    fn statement(&mut self, statement: sp::Statement) -> Result<Statement, Error> {
        Ok(match statement {
            sp::Statement::Query(query) => Statement::Query(self.query(*query)?),
            sp::Statement::Explain { statement, .. } => match *statement {
                sp::Statement::Query(query) => Statement::Explain(self.query(*query)?),
                other => return unsupported(format!("EXPLAIN of {}", first_words(&other))),
            },
            sp::Statement::ExplainTable { table_name, .. } => {
                Statement::Describe(object_name(&table_name)?)
            }
            sp::Statement::Insert(insert) => self.insert(insert)?,
            sp::Statement::Update(update) => self.update(update)?,
            sp::Statement::Delete(delete) => self.delete(delete)?,
            sp::Statement::CreateTable(create) => {
                Statement::CreateTable(self.create_table(create)?)
            }
            sp::Statement::CreateIndex(create) => {
                let table = object_name(&create.table_name)?;
                let name = create.name.as_ref().map(object_name).transpose()?;
                let columns = index_columns(&create.columns)?;
                Statement::CreateIndex {
                    table,
                    index: IndexSpec { name, columns, unique: create.unique },
                    if_not_exists: create.if_not_exists,
                }
            }
            sp::Statement::Drop { object_type, if_exists, names, table, .. } => match object_type {
                sp::ObjectType::Table => Statement::DropTable {
                    names: names.iter().map(object_name).collect::<Result<_, _>>()?,
                    if_exists,
                },
                sp::ObjectType::Index => {
                    let Some(table) = table else {
                        return unsupported("DROP INDEX without ON <table>");
                    };
                    let [name] = names.as_slice() else {
                        return unsupported("DROP INDEX of several indexes");
                    };
                    Statement::DropIndex { table: object_name(&table)?, name: object_name(name)? }
                }
                other => return unsupported(format!("DROP {other}")),
            },
            sp::Statement::AlterTable(alter) => self.alter_table(alter)?,
            sp::Statement::RenameTable(renames) => Statement::RenameTable(
                renames
                    .iter()
                    .map(|r| Ok((object_name(&r.old_name)?, object_name(&r.new_name)?)))
                    .collect::<Result<_, Error>>()?,
            ),
            sp::Statement::Truncate(truncate) => {
                let [target] = truncate.table_names.as_slice() else {
                    return unsupported("TRUNCATE of several tables");
                };
                Statement::Truncate(object_name(&target.name)?)
            }
            sp::Statement::StartTransaction { .. } => Statement::Begin,
            sp::Statement::Commit { .. } => Statement::Commit,
            sp::Statement::Rollback { savepoint: None, .. } => Statement::Rollback,
            sp::Statement::Rollback { .. } => return unsupported("ROLLBACK TO SAVEPOINT"),
            sp::Statement::ShowTables { show_options, .. } => Statement::Show {
                kind: ShowKind::Tables,
                like: show_like(&show_options.filter_position)?,
            },
            sp::Statement::ShowVariables { filter, .. } => Statement::Show {
                kind: ShowKind::Variables,
                like: match filter {
                    Some(sp::ShowStatementFilter::Like(pattern)) => Some(pattern),
                    None => None,
                    Some(other) => return unsupported(format!("SHOW VARIABLES {other}")),
                },
            },
            sp::Statement::ShowDatabases { .. } => {
                Statement::Show { kind: ShowKind::Databases, like: None }
            }
            sp::Statement::ShowVariable { variable } => {
                let words: Vec<String> = variable.iter().map(|i| i.value.to_lowercase()).collect();
                match words.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                    ["warnings"] => Statement::Show { kind: ShowKind::Warnings, like: None },
                    _ => return unsupported(format!("SHOW {}", words.join(" ").to_uppercase())),
                }
            }
            sp::Statement::ShowCreate { obj_type: sp::ShowCreateObject::Table, obj_name } => {
                self.show_create_table(&obj_name, None)?
            }
            sp::Statement::ShowColumns { show_options, .. } => match show_options.show_in {
                Some(sp::ShowStatementIn { parent_name: Some(name), .. }) => {
                    Statement::Describe(object_name(&name)?)
                }
                _ => return unsupported("SHOW COLUMNS without a table"),
            },
            sp::Statement::Use(sp::Use::Object(name)) => Statement::Use(object_name(&name)?),
            sp::Statement::Call(function) => {
                let name = object_name(&function.name)?.to_lowercase();
                let args = match function.args {
                    sp::FunctionArguments::None => Vec::new(),
                    sp::FunctionArguments::List(list) => self.plain_args(list.args)?,
                    sp::FunctionArguments::Subquery(_) => {
                        return unsupported("a subquery as arguments")
                    }
                };
                Statement::Call { name, args }
            }
            other => return unsupported(first_words(&other)),
        })
    }

    /// `SHOW CREATE TABLE name [AS OF revision]`; a `db/revision` qualifier names a revision
    /// too, as in a query, and `AS OF` wins over it.
    fn show_create_table(
        &mut self,
        name: &sp::ObjectName,
        as_of: Option<sp::Expr>,
    ) -> Result<Statement, Error> {
        let (database, name) = qualified_name(name)?;
        let revision = match as_of {
            Some(expr) => Some(Revision::AsOf(self.expr(expr)?)),
            None => database_revision(database),
        };
        Ok(Statement::ShowCreateTable { name, revision })
    }

    /// Reads the text after `SET`: `[GLOBAL|SESSION|PERSIST|PERSIST_ONLY] name = expr`,
    /// `@@[global.|session.|persist.]name = expr` and `@name = expr` (or `:=`), comma-separated.
    fn set_statement(&mut self, text: &str) -> Result<Statement, Error> {
        // Drivers open connections with SET NAMES; Cambium speaks only UTF-8, so the UTF-8
        // character sets are accepted and change nothing.
        let trimmed = text.trim();
        if starts_with_word(trimmed, "names") {
            let charset = trimmed[5..].split_whitespace().next().unwrap_or("");
            let charset = charset.trim_matches(|c| c == '\'' || c == '"' || c == '`');
            if ["utf8mb4", "utf8", "utf8mb3"].iter().any(|c| c.eq_ignore_ascii_case(charset)) {
                return Ok(Statement::SetVariables(Vec::new()));
            }
            return unsupported(format!("the character set '{charset}'"));
        }
        let mut assignments = Vec::new();
        for part in split_top_level_commas(text) {
            let part = part.trim();
            let (target, value) = split_assignment(part).ok_or_else(|| {
                Error::new(
                    ErrorKind::Syntax,
                    format!("syntax error: expected `name = value` in SET near '{part}'"),
                )
            })?;
            let target = parse_variable_target(target.trim())?;
            let expr = Parser::new(&MySqlDialect {})
                .with_recursion_limit(EXPRESSION_DEPTH_MAX)
                .try_with_sql(value)
                .and_then(|mut parser| parser.parse_expr())
                .map_err(|e| Error::new(ErrorKind::Syntax, syntax_message(&e.to_string())))?;
            // MySQL reads a bare word on the right of a system variable as a string (`ON`).
            let expr = match (&target, &expr) {
                (VariableTarget::System { .. }, sp::Expr::Identifier(word)) => {
                    Expr::Literal(Datum::Text(word.value.clone()))
                }
                _ => self.expr(expr)?,
            };
            assignments.push((target, expr));
        }
        Ok(Statement::SetVariables(assignments))
    }

    fn insert(&mut self, insert: sp::Insert) -> Result<Statement, Error> {
        let sp::TableObject::TableName(name) = &insert.table else {
            return unsupported("INSERT into a table function");
        };
        let table = object_name(name)?;
        let columns = insert.columns.iter().map(object_name).collect::<Result<Vec<_>, _>>()?;
        let source = match (insert.source, insert.assignments.is_empty()) {
            (Some(query), true) => self.query(*query)?,
            (None, false) => {
                // INSERT ... SET a = 1, b = 2
                let mut names = Vec::new();
                let mut values = Vec::new();
                for assignment in insert.assignments {
                    names.push(assignment_column(&assignment.target)?);
                    values.push(self.expr(assignment.value)?);
                }
                return Ok(Statement::Insert {
                    table,
                    columns: names,
                    source: values_query(vec![values]),
                    on_duplicate: self.on_duplicate(insert.on)?,
                    ignore: insert.ignore,
                    replace: insert.replace_into,
                });
            }
            _ => return unsupported("this form of INSERT"),
        };
        Ok(Statement::Insert {
            table,
            columns,
            source,
            on_duplicate: self.on_duplicate(insert.on)?,
            ignore: insert.ignore,
            replace: insert.replace_into,
        })
    }

    fn on_duplicate(&mut self, on: Option<sp::OnInsert>) -> Result<Vec<(String, Expr)>, Error> {
        match on {
            None => Ok(Vec::new()),
            Some(sp::OnInsert::DuplicateKeyUpdate(assignments)) => assignments
                .into_iter()
                .map(|a| Ok((assignment_column(&a.target)?, self.expr(a.value)?)))
                .collect(),
            Some(_) => unsupported("ON CONFLICT"),
        }
    }

    fn update(&mut self, update: sp::Update) -> Result<Statement, Error> {
        if !update.table.joins.is_empty() || update.from.is_some() {
            return unsupported("UPDATE of several tables");
        }
        let (table, alias) = single_table(&update.table.relation)?;
        let assignments = update
            .assignments
            .into_iter()
            .map(|a| Ok((assignment_column(&a.target)?, self.expr(a.value)?)))
            .collect::<Result<Vec<_>, Error>>()?;
        let filter = update.selection.map(|e| self.expr(e)).transpose()?;
        let order_by = self.order_items(update.order_by)?;
        let limit = update.limit.map(|e| self.expr(e)).transpose()?;
        Ok(Statement::Update { table, alias, assignments, filter, order_by, limit })
    }

    fn delete(&mut self, delete: sp::Delete) -> Result<Statement, Error> {
        let from = match delete.from {
            sp::FromTable::WithFromKeyword(from) | sp::FromTable::WithoutKeyword(from) => from,
        };
        if !delete.tables.is_empty() || from.len() != 1 || !from[0].joins.is_empty() {
            return unsupported("DELETE from several tables");
        }
        if delete.using.is_some() {
            return unsupported("DELETE ... USING");
        }
        let (table, alias) = single_table(&from[0].relation)?;
        let filter = delete.selection.map(|e| self.expr(e)).transpose()?;
        let order_by = self.order_items(delete.order_by)?;
        let limit = delete.limit.map(|e| self.expr(e)).transpose()?;
        Ok(Statement::Delete { table, alias, filter, order_by, limit })
    }

    fn order_items(&mut self, items: Vec<sp::OrderByExpr>) -> Result<Vec<OrderItem>, Error> {
        items
            .into_iter()
            .map(|item| {
                Ok(OrderItem {
                    descending: matches!(item.options.sort, Some(sp::OrderBySort::Desc)),
                    expr: self.expr(item.expr)?,
                })
            })
            .collect()
    }

    fn query(&mut self, query: sp::Query) -> Result<Query, Error> {
        let mut with = Vec::new();
        if let Some(w) = query.with {
            if w.recursive {
                return unsupported("WITH RECURSIVE");
            }
            for cte in w.cte_tables {
                if !cte.alias.columns.is_empty() {
                    return unsupported("column lists on a common table expression");
                }
                with.push((ident(&cte.alias.name), self.query(*cte.query)?));
            }
        }
        let body = self.set_expr(*query.body)?;
        let order_by = match query.order_by {
            None => Vec::new(),
            Some(sp::OrderBy { kind: sp::OrderByKind::Expressions(items), .. }) => {
                self.order_items(items)?
            }
            Some(_) => return unsupported("ORDER BY ALL"),
        };
        let (limit, offset) = match query.limit_clause {
            None => (None, None),
            Some(sp::LimitClause::LimitOffset { limit, offset, limit_by }) => {
                if !limit_by.is_empty() {
                    return unsupported("LIMIT BY");
                }
                let limit = limit.map(|e| self.expr(e)).transpose()?;
                let offset = offset.map(|o| self.expr(o.value)).transpose()?;
                (limit, offset)
            }
            Some(sp::LimitClause::OffsetCommaLimit { offset, limit }) => {
                let offset = self.expr(offset)?;
                (Some(self.expr(limit)?), Some(offset))
            }
        };
        if query.fetch.is_some() || !query.locks.is_empty() {
            return unsupported("FETCH / FOR UPDATE");
        }
        Ok(Query { with, body, order_by, limit, offset })
    }

    fn set_expr(&mut self, body: sp::SetExpr) -> Result<SetExpr, Error> {
        Ok(match body {
            sp::SetExpr::Select(select) => SetExpr::Select(Box::new(self.select(*select)?)),
            sp::SetExpr::Query(query) => SetExpr::Query(Box::new(self.query(*query)?)),
            sp::SetExpr::Values(values) => SetExpr::Values(
                values
                    .rows
                    .into_iter()
                    .map(|row| row.content.into_iter().map(|e| self.expr(e)).collect())
                    .collect::<Result<_, Error>>()?,
            ),
            sp::SetExpr::SetOperation { op, set_quantifier, left, right } => {
                let op = match op {
                    sp::SetOperator::Union => SetOperator::Union,
                    sp::SetOperator::Intersect => SetOperator::Intersect,
                    sp::SetOperator::Except => SetOperator::Except,
                    other => return unsupported(other.to_string()),
                };
                let all = match set_quantifier {
                    sp::SetQuantifier::All => true,
                    sp::SetQuantifier::Distinct | sp::SetQuantifier::None => false,
                    other => return unsupported(format!("{op:?} {other}").to_uppercase()),
                };
                SetExpr::SetOperation {
                    op,
                    left: Box::new(self.set_expr(*left)?),
                    right: Box::new(self.set_expr(*right)?),
                    all,
                }
            }
            other => return unsupported(first_words(&other)),
        })
    }

    fn select(&mut self, select: sp::Select) -> Result<Select, Error> {
        let distinct = match select.distinct {
            None | Some(sp::Distinct::All) => false,
            Some(sp::Distinct::Distinct) => true,
            Some(sp::Distinct::On(_)) => return unsupported("DISTINCT ON"),
        };
        let mut items = Vec::new();
        for item in select.projection {
            items.push(match item {
                sp::SelectItem::UnnamedExpr(expr) => {
                    let text = column_text(&expr);
                    SelectItem::Expr { expr: self.expr(expr)?, alias: None, text }
                }
                sp::SelectItem::ExprWithAlias { expr, alias } => {
                    let text = ident(&alias);
                    SelectItem::Expr { expr: self.expr(expr)?, alias: Some(text.clone()), text }
                }
                sp::SelectItem::Wildcard(_) => SelectItem::Wildcard,
                sp::SelectItem::QualifiedWildcard(
                    sp::SelectItemQualifiedWildcardKind::ObjectName(name),
                    _,
                ) => SelectItem::QualifiedWildcard(object_name(&name)?),
                other => return unsupported(format!("the select item {other}")),
            });
        }
        let mut from = None;
        for table in select.from {
            let next = self.table_with_joins(table)?;
            from = Some(match from {
                None => next,
                Some(left) => TableRef::Join {
                    left: Box::new(left),
                    right: Box::new(next),
                    kind: JoinKind::Cross,
                    on: None,
                },
            });
        }
        let filter = select.selection.map(|e| self.expr(e)).transpose()?;
        let group_by = match select.group_by {
            sp::GroupByExpr::Expressions(exprs, modifiers) => {
                if !modifiers.is_empty() {
                    return unsupported("GROUP BY modifiers (WITH ROLLUP)");
                }
                exprs.into_iter().map(|e| self.expr(e)).collect::<Result<_, _>>()?
            }
            sp::GroupByExpr::All(_) => return unsupported("GROUP BY ALL"),
        };
        let having = select.having.map(|e| self.expr(e)).transpose()?;
        if !select.named_window.is_empty() || select.qualify.is_some() {
            return unsupported("window functions");
        }
        Ok(Select { distinct, items, from, filter, group_by, having })
    }

    fn table_with_joins(&mut self, table: sp::TableWithJoins) -> Result<TableRef, Error> {
        let mut left = self.table_factor(table.relation)?;
        for join in table.joins {
            let right = self.table_factor(join.relation)?;
            let (kind, constraint) = match join.join_operator {
                sp::JoinOperator::Join(c) | sp::JoinOperator::Inner(c) => (JoinKind::Inner, c),
                sp::JoinOperator::Left(c) | sp::JoinOperator::LeftOuter(c) => (JoinKind::Left, c),
                sp::JoinOperator::Right(c) | sp::JoinOperator::RightOuter(c) => {
                    (JoinKind::Right, c)
                }
                sp::JoinOperator::CrossJoin(c) => (JoinKind::Cross, c),
                other => return unsupported(format!("the join {other:?}")),
            };
            let on = match constraint {
                sp::JoinConstraint::On(expr) => Some(self.expr(expr)?),
                sp::JoinConstraint::None => None,
                sp::JoinConstraint::Using(_) => return unsupported("JOIN ... USING"),
                sp::JoinConstraint::Natural => return unsupported("NATURAL JOIN"),
            };
            let kind = if kind == JoinKind::Cross && on.is_some() { JoinKind::Inner } else { kind };
            left = TableRef::Join { left: Box::new(left), right: Box::new(right), kind, on };
        }
        Ok(left)
    }

    fn table_factor(&mut self, factor: sp::TableFactor) -> Result<TableRef, Error> {
        match factor {
            sp::TableFactor::Table { name, alias, args: None, .. } => {
                let (database, name) = qualified_name(&name)?;
                let revision = database_revision(database);
                Ok(TableRef::Named { name, alias: alias.map(|a| ident(&a.name)), revision })
            }
            sp::TableFactor::Table { name, alias, args: Some(args), .. } => {
                let function = object_name(&name)?.to_lowercase();
                let mut args = self.plain_args(args.args)?;
                let alias = alias.map(|a| ident(&a.name));
                if function == AS_OF_FUNCTION {
                    // Written by `rewrite_as_of`: the table's name, then the revision.
                    let (Some(revision), Some(Expr::Column(table)), 2) =
                        (args.pop(), args.pop(), args.len() + 2)
                    else {
                        return Err(Error::new(ErrorKind::Syntax, "syntax error near AS OF"));
                    };
                    let revision = Some(Revision::AsOf(revision));
                    return Ok(TableRef::Named { name: table.column, alias, revision });
                }
                Ok(TableRef::Function { name: function, args, alias })
            }
            sp::TableFactor::Derived { subquery, alias: Some(alias), lateral: false, .. } => {
                Ok(TableRef::Derived {
                    query: Box::new(self.query(*subquery)?),
                    alias: ident(&alias.name),
                })
            }
            sp::TableFactor::Derived { alias: None, .. } => {
                Err(Error::new(ErrorKind::Syntax, "every derived table must have its own alias"))
            }
            sp::TableFactor::NestedJoin { table_with_joins, alias: None } => {
                self.table_with_joins(*table_with_joins)
            }
            other => unsupported(format!("the table expression {other}")),
        }
    }

    fn create_table(&mut self, create: sp::CreateTable) -> Result<CreateTable, Error> {
        if create.query.is_some() || create.like.is_some() {
            return unsupported("CREATE TABLE ... AS / LIKE");
        }
        if create.temporary {
            return unsupported("temporary tables");
        }
        let mut out = CreateTable {
            name: object_name(&create.name)?,
            if_not_exists: create.if_not_exists,
            columns: Vec::new(),
            primary_key: Vec::new(),
            indexes: Vec::new(),
            checks: Vec::new(),
            foreign_keys: Vec::new(),
        };
        for column in create.columns {
            let def = self.column_def(
                &column.name,
                &column.data_type,
                column.options.iter().map(|o| &o.option),
            )?;
            if def.primary_key {
                if !out.primary_key.is_empty() {
                    return Err(Error::new(ErrorKind::Syntax, "multiple primary keys defined"));
                }
                out.primary_key.push(def.name.clone());
            }
            if def.unique {
                out.indexes.push(IndexSpec {
                    name: None,
                    columns: vec![def.name.clone()],
                    unique: true,
                });
            }
            if let Some((_, text)) = &def.check {
                out.checks.push((None, text.clone()));
            }
            if let Some(fk) = &def.references {
                out.foreign_keys.push(fk.clone());
            }
            out.columns.push(def);
        }
        for constraint in create.constraints {
            match constraint {
                sp::TableConstraint::PrimaryKey(pk) => {
                    if !out.primary_key.is_empty() {
                        return Err(Error::new(ErrorKind::Syntax, "multiple primary keys defined"));
                    }
                    out.primary_key = index_columns(&pk.columns)?;
                }
                sp::TableConstraint::Unique(unique) => out.indexes.push(IndexSpec {
                    name: unique.index_name.as_ref().or(unique.name.as_ref()).map(ident),
                    columns: index_columns(&unique.columns)?,
                    unique: true,
                }),
                sp::TableConstraint::Index(index) => out.indexes.push(IndexSpec {
                    name: index.name.as_ref().map(ident),
                    columns: index_columns(&index.columns)?,
                    unique: false,
                }),
                sp::TableConstraint::Check(check) => {
                    if check.enforced == Some(false) {
                        return unsupported("NOT ENFORCED check constraints");
                    }
                    out.checks.push((check.name.as_ref().map(ident), check.expr.to_string()));
                }
                sp::TableConstraint::ForeignKey(fk) => out.foreign_keys.push(foreign_key(&fk)?),
                other => return unsupported(format!("the constraint {other}")),
            }
        }
        Ok(out)
    }

    fn column_def<'a>(
        &mut self,
        name: &sp::Ident,
        data_type: &sp::DataType,
        options: impl Iterator<Item = &'a sp::ColumnOption>,
    ) -> Result<ColumnDef, Error> {
        let sql_type = SqlType::parse(&data_type.to_string())?;
        let mut def = ColumnDef {
            name: ident(name),
            sql_type,
            nullable: true,
            default: None,
            default_text: None,
            auto_increment: false,
            primary_key: false,
            unique: false,
            check: None,
            references: None,
        };
        for option in options {
            match option {
                sp::ColumnOption::Null => def.nullable = true,
                sp::ColumnOption::NotNull => def.nullable = false,
                sp::ColumnOption::Default(expr) => {
                    def.default_text = Some(expr.to_string());
                    def.default = Some(self.expr(expr.clone())?);
                }
                sp::ColumnOption::PrimaryKey(_) => {
                    def.primary_key = true;
                    def.nullable = false;
                }
                sp::ColumnOption::Unique(_) => def.unique = true,
                sp::ColumnOption::Check(check) => {
                    def.check = Some((self.expr((*check.expr).clone())?, check.expr.to_string()));
                }
                sp::ColumnOption::ForeignKey(fk) => {
                    let mut fk = foreign_key(fk)?;
                    fk.columns = vec![ident(name)];
                    def.references = Some(fk);
                }
                sp::ColumnOption::DialectSpecific(tokens)
                    if tokens
                        .iter()
                        .any(|t| t.to_string().eq_ignore_ascii_case("AUTO_INCREMENT")) =>
                {
                    def.auto_increment = true;
                }
                sp::ColumnOption::CharacterSet(_)
                | sp::ColumnOption::Collation(_)
                | sp::ColumnOption::Comment(_) => {}
                other => return unsupported(format!("the column option {other}")),
            }
        }
        Ok(def)
    }

    fn alter_table(&mut self, alter: sp::AlterTable) -> Result<Statement, Error> {
        let table = object_name(&alter.name)?;
        let mut actions = Vec::new();
        for operation in alter.operations {
            actions.push(match operation {
                sp::AlterTableOperation::AddColumn {
                    column_def, column_position: None, ..
                } => AlterAction::AddColumn(self.column_def(
                    &column_def.name,
                    &column_def.data_type,
                    column_def.options.iter().map(|o| &o.option),
                )?),
                sp::AlterTableOperation::DropColumn { column_names, .. } => {
                    let [name] = column_names.as_slice() else {
                        return unsupported("dropping several columns in one clause");
                    };
                    AlterAction::DropColumn(ident(name))
                }
                sp::AlterTableOperation::RenameColumn { old_column_name, new_column_name } => {
                    AlterAction::RenameColumn {
                        from: ident(&old_column_name),
                        to: ident(&new_column_name),
                    }
                }
                sp::AlterTableOperation::ModifyColumn {
                    col_name,
                    data_type,
                    options,
                    column_position: None,
                } => AlterAction::ModifyColumn {
                    name: ident(&col_name),
                    column: self.column_def(&col_name, &data_type, options.iter())?,
                },
                sp::AlterTableOperation::ChangeColumn {
                    old_name,
                    new_name,
                    data_type,
                    options,
                    column_position: None,
                } => AlterAction::ModifyColumn {
                    name: ident(&old_name),
                    column: self.column_def(&new_name, &data_type, options.iter())?,
                },
                sp::AlterTableOperation::AddConstraint { constraint, .. } => match constraint {
                    sp::TableConstraint::Index(index) => AlterAction::AddIndex(IndexSpec {
                        name: index.name.as_ref().map(ident),
                        columns: index_columns(&index.columns)?,
                        unique: false,
                    }),
                    sp::TableConstraint::Unique(unique) => AlterAction::AddIndex(IndexSpec {
                        name: unique.index_name.as_ref().or(unique.name.as_ref()).map(ident),
                        columns: index_columns(&unique.columns)?,
                        unique: true,
                    }),
                    sp::TableConstraint::Check(check) => {
                        if check.enforced == Some(false) {
                            return unsupported("NOT ENFORCED check constraints");
                        }
                        AlterAction::AddCheck(
                            check.name.as_ref().map(ident),
                            check.expr.to_string(),
                        )
                    }
                    sp::TableConstraint::ForeignKey(fk) => {
                        AlterAction::AddForeignKey(foreign_key(&fk)?)
                    }
                    other => return unsupported(format!("ALTER TABLE ADD {other}")),
                },
                sp::AlterTableOperation::DropForeignKey { name, drop_behavior: None } => {
                    AlterAction::DropConstraint {
                        name: ident(&name),
                        kind: ConstraintKind::ForeignKey,
                    }
                }
                sp::AlterTableOperation::DropConstraint {
                    if_exists: false,
                    name,
                    drop_behavior: None,
                } => AlterAction::DropConstraint { name: ident(&name), kind: ConstraintKind::Any },
                sp::AlterTableOperation::DropIndex { name } => AlterAction::DropIndex(ident(&name)),
                sp::AlterTableOperation::RenameTable { table_name } => {
                    let name = match table_name {
                        sp::RenameTableNameKind::To(name) | sp::RenameTableNameKind::As(name) => {
                            name
                        }
                    };
                    AlterAction::RenameTable(object_name(&name)?)
                }
                other => return unsupported(format!("ALTER TABLE {other}")),
            });
        }
        Ok(Statement::AlterTable { table, actions })
    }

    fn param(&mut self) -> Result<Expr, Error> {
        if self.prepared {
            self.next_param += 1;
            return Ok(Expr::Param(self.next_param - 1));
        }
        let Some(value) = self.params.get(self.next_param) else {
            return Err(Error::new(
                ErrorKind::Parameters,
                format!("no value for parameter {}", self.next_param + 1),
            ));
        };
        self.next_param += 1;
        Ok(Expr::Literal(value.clone()))
    }

    fn exprs(&mut self, exprs: Vec<sp::Expr>) -> Result<Vec<Expr>, Error> {
        exprs.into_iter().map(|e| self.expr(e)).collect()
    }

    fn boxed(&mut self, expr: sp::Expr) -> Result<Box<Expr>, Error> {
        Ok(Box::new(self.expr(expr)?))
    }

    fn expr(&mut self, expr: sp::Expr) -> Result<Expr, Error> {
        Ok(match expr {
            sp::Expr::Identifier(id) => identifier(&id),
            sp::Expr::CompoundIdentifier(ids) => match ids.as_slice() {
                // `@@session.x` / `@@global.x` reach here as two names.
                [scope, name] if scope.quote_style.is_none() && scope.value.starts_with("@@") => {
                    identifier(&sp::Ident::new(format!("{}.{}", scope.value, name.value)))
                }
                [table, column] => {
                    Expr::Column(ColumnRef { table: Some(ident(table)), column: ident(column) })
                }
                [_, table, column] => {
                    Expr::Column(ColumnRef { table: Some(ident(table)), column: ident(column) })
                }
                _ => return unsupported(format!("the name {}", sp::Expr::CompoundIdentifier(ids))),
            },
            sp::Expr::Value(value) => self.value(value.value)?,
            sp::Expr::Nested(inner) => self.expr(*inner)?,
            sp::Expr::UnaryOp { op, expr } => {
                let inner = self.expr(*expr)?;
                match op {
                    sp::UnaryOperator::Minus => match inner {
                        Expr::Literal(Datum::Int(n)) if n != i64::MIN => {
                            Expr::Literal(Datum::Int(-n))
                        }
                        Expr::Literal(Datum::UInt(n)) if n == 1 << 63 => {
                            Expr::Literal(Datum::Int(i64::MIN))
                        }
                        other => Expr::Unary(UnaryOp::Neg, Box::new(other)),
                    },
                    sp::UnaryOperator::Plus => inner,
                    sp::UnaryOperator::Not => Expr::Unary(UnaryOp::Not, Box::new(inner)),
                    sp::UnaryOperator::BitwiseNot => Expr::Unary(UnaryOp::BitNot, Box::new(inner)),
                    other => return unsupported(format!("the operator {other}")),
                }
            }
            sp::Expr::BinaryOp { left, op, right }
                if matches!(*right, sp::Expr::Interval(_))
                    && matches!(op, sp::BinaryOperator::Plus | sp::BinaryOperator::Minus) =>
            {
                let sp::Expr::Interval(interval) = *right else { unreachable!("matched above") };
                let date = self.expr(*left)?;
                let (amount, unit) = self.interval(interval)?;
                let name = if op == sp::BinaryOperator::Plus { "date_add" } else { "date_sub" };
                Expr::Function { name: name.into(), args: vec![date, amount, unit] }
            }
            sp::Expr::BinaryOp { left, op, right } => {
                let op = match op {
                    sp::BinaryOperator::Plus => BinaryOp::Add,
                    sp::BinaryOperator::Minus => BinaryOp::Sub,
                    sp::BinaryOperator::Multiply => BinaryOp::Mul,
                    sp::BinaryOperator::Divide => BinaryOp::Div,
                    sp::BinaryOperator::MyIntegerDivide => BinaryOp::IntDiv,
                    sp::BinaryOperator::Modulo => BinaryOp::Rem,
                    sp::BinaryOperator::Eq => BinaryOp::Eq,
                    sp::BinaryOperator::Spaceship => BinaryOp::NullSafeEq,
                    sp::BinaryOperator::NotEq => BinaryOp::NotEq,
                    sp::BinaryOperator::Lt => BinaryOp::Lt,
                    sp::BinaryOperator::LtEq => BinaryOp::LtEq,
                    sp::BinaryOperator::Gt => BinaryOp::Gt,
                    sp::BinaryOperator::GtEq => BinaryOp::GtEq,
                    sp::BinaryOperator::And => BinaryOp::And,
                    sp::BinaryOperator::Or => BinaryOp::Or,
                    sp::BinaryOperator::Xor => BinaryOp::Xor,
                    sp::BinaryOperator::BitwiseAnd => BinaryOp::BitAnd,
                    sp::BinaryOperator::BitwiseOr => BinaryOp::BitOr,
                    sp::BinaryOperator::BitwiseXor => BinaryOp::BitXor,
                    sp::BinaryOperator::PGBitwiseShiftLeft => BinaryOp::ShiftLeft,
                    sp::BinaryOperator::PGBitwiseShiftRight => BinaryOp::ShiftRight,
                    sp::BinaryOperator::Arrow => {
                        let args = vec![self.expr(*left)?, self.expr(*right)?];
                        return Ok(Expr::Function { name: "json_extract".into(), args });
                    }
                    sp::BinaryOperator::LongArrow => {
                        let args = vec![self.expr(*left)?, self.expr(*right)?];
                        let extract = Expr::Function { name: "json_extract".into(), args };
                        return Ok(Expr::Function {
                            name: "json_unquote".into(),
                            args: vec![extract],
                        });
                    }
                    other => return unsupported(format!("the operator {other}")),
                };
                Expr::Binary(op, self.boxed(*left)?, self.boxed(*right)?)
            }
            sp::Expr::IsNull(e) => Expr::IsNull { expr: self.boxed(*e)?, negated: false },
            sp::Expr::IsNotNull(e) => Expr::IsNull { expr: self.boxed(*e)?, negated: true },
            sp::Expr::IsTrue(e) => {
                Expr::IsBool { expr: self.boxed(*e)?, value: true, negated: false }
            }
            sp::Expr::IsNotTrue(e) => {
                Expr::IsBool { expr: self.boxed(*e)?, value: true, negated: true }
            }
            sp::Expr::IsFalse(e) => {
                Expr::IsBool { expr: self.boxed(*e)?, value: false, negated: false }
            }
            sp::Expr::IsNotFalse(e) => {
                Expr::IsBool { expr: self.boxed(*e)?, value: false, negated: true }
            }
            sp::Expr::IsNotDistinctFrom(a, b) => {
                Expr::Binary(BinaryOp::NullSafeEq, self.boxed(*a)?, self.boxed(*b)?)
            }
            sp::Expr::IsDistinctFrom(a, b) => Expr::Unary(
                UnaryOp::Not,
                Box::new(Expr::Binary(BinaryOp::NullSafeEq, self.boxed(*a)?, self.boxed(*b)?)),
            ),
            sp::Expr::InList { expr, list, negated } => {
                Expr::InList { expr: self.boxed(*expr)?, list: self.exprs(list)?, negated }
            }
            sp::Expr::InSubquery { expr, subquery, negated } => Expr::InSubquery {
                expr: self.boxed(*expr)?,
                query: Box::new(self.query(*subquery)?),
                negated,
            },
            sp::Expr::Exists { subquery, negated } => {
                Expr::Exists { query: Box::new(self.query(*subquery)?), negated }
            }
            sp::Expr::Subquery(query) => Expr::Subquery(Box::new(self.query(*query)?)),
            sp::Expr::Between { expr, negated, low, high } => Expr::Between {
                expr: self.boxed(*expr)?,
                low: self.boxed(*low)?,
                high: self.boxed(*high)?,
                negated,
            },
            sp::Expr::Like { negated, any: false, expr, pattern, escape_char } => Expr::Like {
                expr: self.boxed(*expr)?,
                pattern: self.boxed(*pattern)?,
                escape: self.escape_char(escape_char)?,
                negated,
            },
            sp::Expr::Case { operand, conditions, else_result, .. } => Expr::Case {
                operand: operand.map(|e| self.boxed(*e)).transpose()?,
                whens: conditions
                    .into_iter()
                    .map(|w| Ok((self.expr(w.condition)?, self.expr(w.result)?)))
                    .collect::<Result<_, Error>>()?,
                otherwise: else_result.map(|e| self.boxed(*e)).transpose()?,
            },
            sp::Expr::Cast { expr, data_type, format: None, .. } => {
                Expr::Cast { expr: self.boxed(*expr)?, to: cast_type(&data_type.to_string())? }
            }
            sp::Expr::Convert { expr, data_type: Some(data_type), .. } => {
                Expr::Cast { expr: self.boxed(*expr)?, to: cast_type(&data_type.to_string())? }
            }
            sp::Expr::Extract { field, expr, .. } => Expr::Function {
                name: "extract".into(),
                args: vec![
                    Expr::Literal(Datum::Text(field.to_string().to_lowercase())),
                    self.expr(*expr)?,
                ],
            },
            sp::Expr::Ceil {
                expr,
                field: sp::CeilFloorKind::DateTimeField(sp::DateTimeField::NoDateTime),
            } => Expr::Function { name: "ceil".into(), args: vec![self.expr(*expr)?] },
            sp::Expr::Floor {
                expr,
                field: sp::CeilFloorKind::DateTimeField(sp::DateTimeField::NoDateTime),
            } => Expr::Function { name: "floor".into(), args: vec![self.expr(*expr)?] },
            sp::Expr::Position { expr, r#in } => Expr::Function {
                name: "locate".into(),
                args: vec![self.expr(*expr)?, self.expr(*r#in)?],
            },
            sp::Expr::Substring { expr, substring_from, substring_for, .. } => {
                let mut args = vec![self.expr(*expr)?];
                args.push(match substring_from {
                    Some(from) => self.expr(*from)?,
                    None => Expr::Literal(Datum::Int(1)),
                });
                if let Some(length) = substring_for {
                    args.push(self.expr(*length)?);
                }
                Expr::Function { name: "substring".into(), args }
            }
            sp::Expr::Trim { expr, trim_where, trim_what, trim_characters: None } => {
                let subject = self.expr(*expr)?;
                match (trim_where, trim_what) {
                    (None, None) => Expr::Function { name: "trim".into(), args: vec![subject] },
                    (place, what) => {
                        let what = match what {
                            Some(what) => self.expr(*what)?,
                            None => Expr::Literal(Datum::Text(" ".into())),
                        };
                        let place = match place {
                            Some(sp::TrimWhereField::Leading) => "leading",
                            Some(sp::TrimWhereField::Trailing) => "trailing",
                            _ => "both",
                        };
                        Expr::Function {
                            name: "trim".into(),
                            args: vec![subject, what, Expr::Literal(Datum::Text(place.into()))],
                        }
                    }
                }
            }
            sp::Expr::Tuple(items) => Expr::Row(self.exprs(items)?),
            sp::Expr::Interval(_) => {
                return unsupported("INTERVAL outside DATE_ADD / DATE_SUB / + and -")
            }
            sp::Expr::TypedString(typed) => {
                let text = match &typed.value.value {
                    sp::Value::SingleQuotedString(s) | sp::Value::DoubleQuotedString(s) => {
                        s.clone()
                    }
                    other => return unsupported(format!("the literal {other}")),
                };
                let to = cast_type(&typed.data_type.to_string())?;
                Expr::Cast { expr: Box::new(Expr::Literal(Datum::Text(text))), to }
            }
            sp::Expr::Function(function) => self.function(function)?,
            sp::Expr::Collate { expr, .. } => self.expr(*expr)?,
            other => return unsupported(format!("the expression {other}")),
        })
    }

    fn escape_char(&mut self, escape: Option<Box<sp::Expr>>) -> Result<Option<char>, Error> {
        let Some(escape) = escape else { return Ok(None) };
        match self.expr(*escape)? {
            Expr::Literal(Datum::Text(text)) if text.chars().count() == 1 => {
                Ok(text.chars().next())
            }
            _ => Err(Error::new(ErrorKind::BadValue, "ESCAPE takes a single character")),
        }
    }

    fn value(&mut self, value: sp::Value) -> Result<Expr, Error> {
        Ok(Expr::Literal(match value {
            sp::Value::Number(text, _) => number_literal(&text)?,
            sp::Value::SingleQuotedString(s) | sp::Value::DoubleQuotedString(s) => Datum::Text(s),
            sp::Value::HexStringLiteral(hex) => Datum::Bytes(parse_hex(&hex)?),
            sp::Value::Boolean(b) => Datum::Int(i64::from(b)),
            sp::Value::Null => Datum::Null,
            sp::Value::Placeholder(p) if p == "?" => return self.param(),
            other => return unsupported(format!("the literal {other}")),
        }))
    }

    /// Arguments that are plain expressions, as procedures and table functions take.
    fn plain_args(&mut self, args: Vec<sp::FunctionArg>) -> Result<Vec<Expr>, Error> {
        args.into_iter()
            .map(|arg| match arg {
                sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(e)) => self.expr(e),
                other => unsupported(format!("the argument {other}")),
            })
            .collect()
    }

    fn function(&mut self, function: sp::Function) -> Result<Expr, Error> {
        let name = object_name(&function.name)?.to_lowercase();
        if function.over.is_some() {
            return unsupported("window functions");
        }
        let (distinct, args, clauses) = match function.args {
            sp::FunctionArguments::None => (false, Vec::new(), Vec::new()),
            sp::FunctionArguments::List(list) => (
                matches!(list.duplicate_treatment, Some(sp::DuplicateTreatment::Distinct)),
                list.args,
                list.clauses,
            ),
            sp::FunctionArguments::Subquery(_) => return unsupported("a subquery as arguments"),
        };
        let aggregate = match name.as_str() {
            "count" => Some(Aggregate::Count),
            "sum" => Some(Aggregate::Sum),
            "avg" => Some(Aggregate::Avg),
            "min" => Some(Aggregate::Min),
            "max" => Some(Aggregate::Max),
            "group_concat" => Some(Aggregate::GroupConcat),
            _ => None,
        };
        let mut exprs = Vec::new();
        let mut star = false;
        for arg in args {
            match arg {
                sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(sp::Expr::Interval(i))) => {
                    let (amount, unit) = self.interval(i)?;
                    exprs.push(amount);
                    exprs.push(unit);
                }
                sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(e)) => exprs.push(self.expr(e)?),
                sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Wildcard) => star = true,
                other => return unsupported(format!("the argument {other}")),
            }
        }
        if let Some(aggregate) = aggregate {
            let mut separator = ",".to_string();
            let mut order_by = Vec::new();
            for clause in clauses {
                match clause {
                    sp::FunctionArgumentClause::Separator(sp::ValueWithSpan {
                        value: sp::Value::SingleQuotedString(s),
                        ..
                    }) => separator = s,
                    sp::FunctionArgumentClause::OrderBy(items)
                        if aggregate == Aggregate::GroupConcat =>
                    {
                        order_by = self.order_items(items)?;
                    }
                    other => return unsupported(format!("the aggregate clause {other}")),
                }
            }
            let function = match (aggregate, star) {
                (Aggregate::Count, true) => Aggregate::CountRows,
                (_, true) => return unsupported(format!("{}(*)", name.to_uppercase())),
                (other, false) => other,
            };
            let arity_ok = match function {
                Aggregate::CountRows => exprs.is_empty(),
                Aggregate::GroupConcat | Aggregate::Count => !exprs.is_empty(),
                _ => exprs.len() == 1,
            };
            if !arity_ok {
                return Err(Error::new(
                    ErrorKind::WrongArgumentCount,
                    format!("Incorrect parameter count in the call to native function '{name}'"),
                ));
            }
            return Ok(Expr::Aggregate { function, distinct, args: exprs, separator, order_by });
        }
        if let ("timestampdiff" | "timestampadd", Some(Expr::Column(unit))) =
            (name.as_str(), exprs.first())
        {
            // The unit is a bare word (`TIMESTAMPDIFF(MONTH, a, b)`), not a column.
            if unit.table.is_none() {
                exprs[0] = Expr::Literal(Datum::Text(unit.column.to_uppercase()));
            }
        }
        if name == "values" {
            // `VALUES(col)` in ON DUPLICATE KEY UPDATE: the value the insert tried to write.
            if let [Expr::Column(ColumnRef { column, .. })] = exprs.as_slice() {
                return Ok(Expr::InsertedValue(column.clone()));
            }
        }
        if star || distinct || !clauses.is_empty() {
            return unsupported(format!("this form of {}()", name.to_uppercase()));
        }
        Ok(Expr::Function { name, args: exprs })
    }

    /// `INTERVAL n unit` as the (amount, unit) arguments of DATE_ADD and DATE_SUB.
    fn interval(&mut self, interval: sp::Interval) -> Result<(Expr, Expr), Error> {
        let Some(leading) = interval.leading_field else {
            return unsupported("INTERVAL without a unit");
        };
        let mut unit = leading.to_string().to_lowercase();
        if let Some(last) = interval.last_field {
            unit = format!("{unit}_{}", last.to_string().to_lowercase());
        }
        Ok((self.expr(*interval.value)?, Expr::Literal(Datum::Text(unit))))
    }
}

fn identifier(id: &sp::Ident) -> Expr {
    let name = &id.value;
    if id.quote_style.is_none() {
        if let Some(rest) = name.strip_prefix("@@") {
            let lower = rest.to_lowercase();
            return match lower.split_once('.') {
                Some(("global", var)) => Expr::SystemVariable { name: var.into(), global: true },
                Some(("session" | "local", var)) => {
                    Expr::SystemVariable { name: var.into(), global: false }
                }
                _ => Expr::SystemVariable { name: lower, global: false },
            };
        }
        if let Some(rest) = name.strip_prefix('@') {
            return Expr::UserVariable(rest.to_lowercase());
        }
        match name.to_lowercase().as_str() {
            "current_timestamp" | "current_date" | "current_time" | "localtimestamp"
            | "current_user" => {
                return Expr::Function { name: name.to_lowercase(), args: Vec::new() };
            }
            // DEFAULT is reserved, so unquoted it is the keyword (a value in VALUES or SET).
            "default" => return Expr::Default,
            _ => {}
        }
    }
    Expr::Column(ColumnRef { table: None, column: name.clone() })
}

fn assignment_column(target: &sp::AssignmentTarget) -> Result<String, Error> {
    match target {
        sp::AssignmentTarget::ColumnName(name) => object_name(name),
        sp::AssignmentTarget::Tuple(_) => unsupported("assigning to a tuple of columns"),
    }
}

fn values_query(rows: Vec<Vec<Expr>>) -> Query {
    Query {
        with: Vec::new(),
        body: SetExpr::Values(rows),
        order_by: Vec::new(),
        limit: None,
        offset: None,
    }
}

fn single_table(factor: &sp::TableFactor) -> Result<(String, Option<String>), Error> {
    match factor {
        sp::TableFactor::Table { name, alias, .. } => {
            Ok((object_name(name)?, alias.as_ref().map(|a| ident(&a.name))))
        }
        other => unsupported(format!("the table expression {other}")),
    }
}

fn index_columns(columns: &[sp::IndexColumn]) -> Result<Vec<String>, Error> {
    columns
        .iter()
        .map(|c| match &c.column.expr {
            sp::Expr::Identifier(id) => Ok(ident(id)),
            other => unsupported(format!("an index on the expression {other}")),
        })
        .collect()
}

fn foreign_key(fk: &sp::ForeignKeyConstraint) -> Result<ForeignKeyDef, Error> {
    let action = |action: &Option<sp::ReferentialAction>| match action {
        None | Some(sp::ReferentialAction::Restrict) | Some(sp::ReferentialAction::NoAction) => {
            Ok(ReferentialAction::Restrict)
        }
        Some(sp::ReferentialAction::Cascade) => Ok(ReferentialAction::Cascade),
        Some(sp::ReferentialAction::SetNull) => Ok(ReferentialAction::SetNull),
        Some(other) => unsupported(format!("ON DELETE/UPDATE {other}")),
    };
    Ok(ForeignKeyDef {
        name: fk.name.as_ref().map(ident),
        columns: fk.columns.iter().map(ident).collect(),
        parent_table: object_name(&fk.foreign_table)?,
        parent_columns: fk.referred_columns.iter().map(ident).collect(),
        on_delete: action(&fk.on_delete)?,
        on_update: action(&fk.on_update)?,
    })
}

fn show_like(filter: &Option<sp::ShowStatementFilterPosition>) -> Result<Option<String>, Error> {
    match filter {
        None => Ok(None),
        Some(
            sp::ShowStatementFilterPosition::Infix(sp::ShowStatementFilter::Like(pattern))
            | sp::ShowStatementFilterPosition::Suffix(sp::ShowStatementFilter::Like(pattern)),
        ) => Ok(Some(pattern.clone())),
        Some(_) => unsupported("this SHOW filter"),
    }
}

/// The first words of a statement, to name it in an error.
fn first_words(statement: &impl std::fmt::Display) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    format!("the statement {}", words.join(" "))
}

/// The header MySQL shows for an unaliased select item: the expression's text.
fn column_text(expr: &sp::Expr) -> String {
    match expr {
        sp::Expr::Identifier(id) => id.value.clone(),
        sp::Expr::CompoundIdentifier(ids) => {
            ids.last().map(|i| i.value.clone()).unwrap_or_default()
        }
        other => other.to_string(),
    }
}

fn number_literal(text: &str) -> Result<Datum, Error> {
    if let Ok(n) = text.parse::<i64>() {
        return Ok(Datum::Int(n));
    }
    if let Ok(n) = text.parse::<u64>() {
        return Ok(Datum::UInt(n));
    }
    if !text.contains(['e', 'E']) {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = format!("{whole}{fraction}");
        if digits.len() <= 38 && fraction.len() <= 30 {
            if let Ok(mantissa) = digits.parse::<i128>() {
                return Ok(Datum::Decimal(Decimal { mantissa, scale: fraction.len() as u8 }));
            }
        }
    }
    text.parse::<f64>().ok().filter(|f| f.is_finite()).map(Datum::Float).ok_or_else(|| {
        Error::new(ErrorKind::OutOfRange, format!("the number {text} is out of range"))
    })
}

fn parse_hex(hex: &str) -> Result<Vec<u8>, Error> {
    let padded = if hex.len() % 2 == 1 { format!("0{hex}") } else { hex.to_string() };
    (0..padded.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&padded[i..i + 2], 16))
        .collect::<Result<_, _>>()
        .map_err(|_| Error::new(ErrorKind::BadValue, format!("X'{hex}' is not hexadecimal")))
}

/// The target of CAST / CONVERT, from its SQL spelling.
pub fn cast_type(text: &str) -> Result<CastType, Error> {
    let upper = text.trim().to_uppercase();
    let (head, arguments) = match upper.split_once('(') {
        Some((head, rest)) => {
            (head.trim().to_string(), Some(rest.trim_end_matches(')').to_string()))
        }
        None => (upper.clone(), None),
    };
    let numbers: Vec<u32> = arguments
        .as_deref()
        .map(|a| a.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_default();
    Ok(match head.as_str() {
        "SIGNED" | "SIGNED INTEGER" | "SIGNED INT" | "INT" | "INTEGER" | "BIGINT" => {
            CastType::Signed
        }
        "UNSIGNED" | "UNSIGNED INTEGER" | "UNSIGNED INT" => CastType::Unsigned,
        "DECIMAL" | "NUMERIC" | "DEC" => {
            let precision = numbers.first().copied().unwrap_or(10).min(38) as u8;
            let scale = numbers.get(1).copied().unwrap_or(0).min(30) as u8;
            CastType::Decimal { precision, scale }
        }
        "DOUBLE" | "FLOAT" | "REAL" | "DOUBLE PRECISION" => CastType::Double,
        "CHAR" | "VARCHAR" | "NCHAR" | "TEXT" => CastType::Char(numbers.first().copied()),
        "BINARY" | "VARBINARY" => CastType::Binary(numbers.first().copied()),
        "DATE" => CastType::Date,
        "DATETIME" | "TIMESTAMP" => CastType::DateTime,
        "JSON" => CastType::Json,
        _ => return unsupported(format!("CAST to {text}")),
    })
}

fn split_top_level_commas(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start, mut quote) = (0i32, 0, None);
    for (at, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn split_assignment(text: &str) -> Option<(&str, &str)> {
    if let Some(at) = text.find(":=") {
        return Some((&text[..at], &text[at + 2..]));
    }
    let at = text.find('=')?;
    Some((&text[..at], &text[at + 1..]))
}

fn parse_variable_target(text: &str) -> Result<VariableTarget, Error> {
    let bad = || Error::new(ErrorKind::Syntax, format!("syntax error: '{text}' is not a variable"));
    if let Some(rest) = text.strip_prefix("@@") {
        let lower = rest.trim().to_lowercase();
        let (scope, name) = match lower.split_once('.') {
            Some(("global", name)) => (VariableScope::Global, name.to_string()),
            Some(("session" | "local", name)) => (VariableScope::Session, name.to_string()),
            Some(("persist" | "persist_only", name)) => (VariableScope::Persist, name.to_string()),
            Some(_) => return Err(bad()),
            None => (VariableScope::Session, lower.clone()),
        };
        return Ok(VariableTarget::System { name, scope });
    }
    if let Some(rest) = text.strip_prefix('@') {
        let name = rest.trim().trim_matches('`').to_lowercase();
        if name.is_empty() {
            return Err(bad());
        }
        return Ok(VariableTarget::User(name));
    }
    let mut words = text.split_whitespace();
    let first = words.next().ok_or_else(bad)?.to_lowercase();
    let (scope, name) = match first.as_str() {
        "global" => (VariableScope::Global, words.next()),
        "session" | "local" => (VariableScope::Session, words.next()),
        "persist" | "persist_only" => (VariableScope::Persist, words.next()),
        _ => (VariableScope::Session, Some(first.as_str())),
    };
    let name = name.ok_or_else(bad)?.to_lowercase();
    let name = name.strip_prefix("@@").unwrap_or(&name).to_string();
    if words.next().is_some() || name.is_empty() {
        return Err(bad());
    }
    Ok(VariableTarget::System { name, scope })
}
