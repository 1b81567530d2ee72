//! From SQL text to Cambium's AST: a lexer (`lex`) and a recursive-descent parser for the
//! MySQL subset Cambium runs (`statement` for statements and queries, `expr` for
//! expressions), building `ast` directly. Valid MySQL that Cambium does not implement is
//! refused with an `Unsupported` error that names it; anything else it cannot read is a
//! `Syntax` error naming the line, the column and the token. `print` rebuilds the texts kept
//! beside the tree: column headings, DEFAULT and CHECK texts.

mod expr;
mod lex;
mod print;
mod statement;

use std::sync::Arc;

use super::ast::*;
use super::error::{Error, ErrorKind};
use super::types::{CastType, Datum};
use lex::{Kind, Token};

/// Bytes of one script.
pub const SCRIPT_BYTES_MAX: usize = 4 << 20;
/// Nesting depth of expressions and subqueries the parser accepts.
pub const EXPRESSION_DEPTH_MAX: usize = 64;

/// Parses a script of `;`-separated statements, binding `params` to `?` in order.
pub fn parse_script(sql: &str, params: &[Datum]) -> Result<Vec<Statement>, Error> {
    let mut statements = Vec::new();
    let mut used = 0;
    for (piece, prepared) in read_script(sql)? {
        let (statement, count) = match prepared {
            // Without parameters, the prepared statement is the statement.
            Ok((statement, 0)) => (statement, 0),
            _ => piece.translate(Params::Values(params.get(used..).unwrap_or_default()))?,
        };
        statements.push(statement);
        used += count;
    }
    check_parameter_count(used, params.len())?;
    Ok(statements)
}

/// One statement of a script, lexed, before its parameters are bound: its tokens are parsed
/// again with each run's values when its translation depends on them (see [`ParseCache`]).
#[derive(Clone)]
struct Piece {
    script: Arc<str>,
    tokens: Arc<[Token]>,
    /// The statement's tokens, without the `;` that ends it.
    range: std::ops::Range<usize>,
}

impl Piece {
    /// Parses the statement with `params` for its `?`; returns it and how many `?` it has.
    fn translate(&self, params: Params) -> Result<(Statement, usize), Error> {
        let mut parser = Parser::new(&self.script, &self.tokens[self.range.clone()], params);
        let statement = parser.statement()?;
        Ok((statement, parser.next_param))
    }
}

/// A statement as [`read_script`] gives it: its tokens, and its translation with its `?` as
/// [`Expr::Param`]s, or the error that refused it.
type Prepared = (Piece, Result<(Statement, usize), Error>);

/// Lexes a script, splits it into statements and parses each with its `?` as
/// [`Expr::Param`]s, so that a syntax error anywhere refuses the whole script before anything
/// runs; other refusals come when the statement is bound to its values.
fn read_script(sql: &str) -> Result<Vec<Prepared>, Error> {
    if sql.len() > SCRIPT_BYTES_MAX {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("a statement of {} bytes is over the limit of {SCRIPT_BYTES_MAX}", sql.len()),
        ));
    }
    let tokens: Arc<[Token]> = lex::tokenize(sql)?.into();
    let script: Arc<str> = sql.into();
    let mut pieces = Vec::new();
    let mut start = 0;
    for (at, token) in tokens.iter().enumerate() {
        if token.kind == Kind::Symbol(";") {
            if at > start {
                pieces.push(start..at);
            }
            start = at + 1;
        }
    }
    if start < tokens.len() {
        pieces.push(start..tokens.len());
    }
    let mut prepared = Vec::with_capacity(pieces.len());
    for range in pieces {
        let piece = Piece { script: script.clone(), tokens: tokens.clone(), range };
        let translated = piece.translate(Params::Prepared);
        if let Err(error) = &translated {
            if matches!(error.kind, ErrorKind::Syntax | ErrorKind::LimitExceeded) {
                return Err(error.clone());
            }
        }
        prepared.push((piece, translated));
    }
    Ok(prepared)
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
    pub statement: Arc<Statement>,
    pub params: std::ops::Range<usize>,
}

/// Scripts read before, by their text: an application runs the same statements over and over
/// with different values, and reading a 1,000-row `INSERT … VALUES (?, ?, ?), …` costs more
/// than executing it. Queries and data changes are kept translated, their `?` as
/// [`Expr::Param`], and run as they are with each call's values (prepared statements); other
/// statements (`SET`, `CALL`, DDL), whose translation may read a value, are kept lexed and
/// parsed with the values on every run.
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
    Prepared(Arc<Statement>, usize),
    /// A statement translated on every run, with the run's values in it.
    Parsed(Piece),
}

impl Cached {
    /// Queries and row changes run prepared; other statements, and those refused (the error
    /// comes again, or the translation needs a value), are translated on every run with
    /// that run's values.
    fn of((piece, prepared): Prepared) -> Cached {
        match prepared {
            Ok((
                statement @ (Statement::Query(_)
                | Statement::Insert { .. }
                | Statement::Update { .. }
                | Statement::Delete { .. }),
                count,
            )) => Cached::Prepared(statement.into(), count),
            _ => Cached::Parsed(piece),
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
                let rest = params.get(next..).unwrap_or_default();
                let (statement, count) = piece.translate(Params::Values(rest))?;
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
    let tokens = lex::tokenize(text)?;
    let mut parser = Parser::new(text, &tokens, Params::Values(&[]));
    let expr = parser.expr()?;
    if parser.peek().is_some() {
        return Err(parser.expected("the end of the expression"));
    }
    Ok(expr)
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

fn unsupported<T>(what: impl std::fmt::Display) -> Result<T, Error> {
    Err(Error::unsupported(what))
}

/// What `?` stands for while parsing.
#[derive(Clone, Copy)]
enum Params<'p> {
    /// [`Expr::Param`] numbered from 0: a statement prepared to run with any values.
    Prepared,
    /// The values, taken in order.
    Values(&'p [Datum]),
}

/// The parser's cursor over one statement's tokens; the grammar is in `statement` and `expr`.
struct Parser<'a> {
    text: &'a str,
    tokens: &'a [Token],
    at: usize,
    params: Params<'a>,
    next_param: usize,
    /// How deep the expressions and queries being read are nested.
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, tokens: &'a [Token], params: Params<'a>) -> Parser<'a> {
        Parser { text, tokens, at: 0, params, next_param: 0, depth: 0 }
    }

    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.at)
    }

    fn peek_nth(&self, n: usize) -> Option<&'a Token> {
        self.tokens.get(self.at + n)
    }

    fn advance(&mut self) -> Option<&'a Token> {
        let token = self.tokens.get(self.at);
        self.at += usize::from(token.is_some());
        token
    }

    /// The source text of a token.
    fn source(&self, token: &Token) -> &'a str {
        &self.text[token.start..token.end]
    }

    /// Whether the token `n` ahead is the unquoted word `word` (any case).
    fn is_word_at(&self, n: usize, word: &str) -> bool {
        self.peek_nth(n)
            .is_some_and(|t| t.kind == Kind::Word && self.source(t).eq_ignore_ascii_case(word))
    }

    fn is_word(&self, word: &str) -> bool {
        self.is_word_at(0, word)
    }

    fn is_symbol(&self, symbol: &str) -> bool {
        self.peek().is_some_and(|t| matches!(t.kind, Kind::Symbol(s) if s == symbol))
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let found = self.is_word(word);
        self.at += usize::from(found);
        found
    }

    /// Eats the words one after the other, or none of them.
    fn eat_words(&mut self, words: &[&str]) -> bool {
        let found = words.iter().enumerate().all(|(n, w)| self.is_word_at(n, w));
        if found {
            self.at += words.len();
        }
        found
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        let found = self.is_symbol(symbol);
        self.at += usize::from(found);
        found
    }

    fn expect_word(&mut self, word: &str) -> Result<(), Error> {
        if self.eat_word(word) {
            Ok(())
        } else {
            Err(self.expected(&word.to_uppercase()))
        }
    }

    fn expect_symbol(&mut self, symbol: &str) -> Result<(), Error> {
        if self.eat_symbol(symbol) {
            Ok(())
        } else {
            Err(self.expected(&format!("'{symbol}'")))
        }
    }

    /// A syntax error at the current token: what was expected and what was found.
    fn expected(&self, what: &str) -> Error {
        match self.peek() {
            Some(token) => lex::error_at(
                self.text,
                token.start,
                &format!("expected {what}, found '{}'", self.source(token)),
            ),
            None => {
                let end = self.tokens.last().map_or(self.text.len(), |t| t.end);
                lex::error_at(
                    self.text,
                    end,
                    &format!("expected {what}, found the end of the statement"),
                )
            }
        }
    }

    /// Steps one level deeper into nested expressions or queries, refusing to pass
    /// [`EXPRESSION_DEPTH_MAX`]; [`Parser::leave`] steps back.
    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > EXPRESSION_DEPTH_MAX {
            let offset = self.peek().map_or(self.text.len(), |t| t.start);
            let (line, column) = lex::line_column(self.text, offset);
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "the statement nests deeper than {EXPRESSION_DEPTH_MAX} levels at line {line}, column {column}"
                ),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// The text of the tokens from `start` to the cursor, as Cambium prints SQL.
    fn text_since(&self, start: usize) -> String {
        print::text(self.text, &self.tokens[start..self.at])
    }
}
