//! Statements and queries: SELECT and set operations, INSERT / REPLACE / UPDATE / DELETE,
//! table and index DDL, SHOW, SET, transactions, USE, CALL and EXPLAIN, each read into
//! Cambium's AST; valid MySQL statements Cambium does not run are refused by name.

use super::expr::is_reserved;
use super::lex::Kind;
use super::{print, unsupported, Parser};
use crate::sql::ast::*;
use crate::sql::error::{Error, ErrorKind};
use crate::sql::types::{Datum, SqlType};

/// Statements of MySQL that Cambium does not run: refused as unsupported, not as bad syntax.
const OTHER_STATEMENTS: &[&str] = &[
    "analyze",
    "cache",
    "change",
    "checksum",
    "deallocate",
    "do",
    "execute",
    "flush",
    "get",
    "grant",
    "handler",
    "help",
    "import",
    "install",
    "kill",
    "load",
    "lock",
    "optimize",
    "prepare",
    "purge",
    "release",
    "repair",
    "reset",
    "resignal",
    "revoke",
    "savepoint",
    "shutdown",
    "signal",
    "stop",
    "table",
    "uninstall",
    "unlock",
    "xa",
    "check",
    "restart",
];

/// Words that are not reserved but end a table reference where an alias could stand:
/// `FROM t OFFSET 5`.
const AFTER_TABLE: &[&str] = &["offset"];

/// The referential actions of a foreign key.
fn referential_action(parser: &mut Parser) -> Result<ReferentialAction, Error> {
    if parser.eat_word("restrict") || parser.eat_words(&["no", "action"]) {
        Ok(ReferentialAction::Restrict)
    } else if parser.eat_word("cascade") {
        Ok(ReferentialAction::Cascade)
    } else if parser.eat_words(&["set", "null"]) {
        Ok(ReferentialAction::SetNull)
    } else if parser.eat_words(&["set", "default"]) {
        unsupported("ON DELETE/UPDATE SET DEFAULT")
    } else {
        Err(parser.expected("RESTRICT, CASCADE, SET NULL or NO ACTION"))
    }
}

/// The revision a table's database qualifier names: `db/revision` is a revision of the
/// database (Dolt's revision databases); a plain `db` names none.
fn database_revision(database: Option<String>) -> Option<Revision> {
    database.and_then(|d| d.split_once('/').map(|(_, rev)| Revision::Database(rev.to_string())))
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

impl Parser<'_> {
    /// One whole statement: every token of it is read.
    pub(super) fn statement(&mut self) -> Result<Statement, Error> {
        let statement = self.statement_body()?;
        if self.peek().is_some() {
            return Err(self.expected("the end of the statement"));
        }
        Ok(statement)
    }

    fn statement_body(&mut self) -> Result<Statement, Error> {
        if self.is_symbol("(") {
            return Ok(Statement::Query(self.query()?));
        }
        let word = match self.peek() {
            Some(t) if t.kind == Kind::Word => self.source(t).to_ascii_lowercase(),
            _ => return Err(self.expected("a statement")),
        };
        match word.as_str() {
            "select" | "with" | "values" => Ok(Statement::Query(self.query()?)),
            "insert" | "replace" => self.insert(),
            "update" => self.update(),
            "delete" => self.delete(),
            "create" => self.create(),
            "drop" => self.drop(),
            "alter" => self.alter(),
            "rename" => self.rename(),
            "truncate" => {
                self.advance();
                self.eat_word("table");
                let name = self.table_name()?;
                if self.is_symbol(",") {
                    return unsupported("TRUNCATE of several tables");
                }
                Ok(Statement::Truncate(name))
            }
            "begin" => {
                self.advance();
                self.eat_word("work");
                Ok(Statement::Begin)
            }
            "start" => {
                self.advance();
                self.expect_word("transaction")?;
                loop {
                    if !(self.eat_words(&["read", "only"])
                        || self.eat_words(&["read", "write"])
                        || self.eat_words(&["with", "consistent", "snapshot"]))
                    {
                        break;
                    }
                    if !self.eat_symbol(",") {
                        break;
                    }
                }
                Ok(Statement::Begin)
            }
            "commit" => {
                self.advance();
                self.eat_word("work");
                self.chain_and_release()?;
                Ok(Statement::Commit)
            }
            "rollback" => {
                self.advance();
                self.eat_word("work");
                if self.is_word("to") {
                    return unsupported("ROLLBACK TO SAVEPOINT");
                }
                self.chain_and_release()?;
                Ok(Statement::Rollback)
            }
            "show" => self.show(),
            "describe" | "desc" | "explain" => self.explain(),
            "use" => {
                self.advance();
                Ok(Statement::Use(self.table_name()?))
            }
            "call" => {
                self.advance();
                let name = self.table_name()?.to_lowercase();
                let args = if self.eat_symbol("(") { self.call_args_plain()? } else { Vec::new() };
                Ok(Statement::Call { name, args })
            }
            "set" => self.set(),
            _ if OTHER_STATEMENTS.contains(&word.as_str()) => self.unsupported_statement(),
            _ => Err(self.expected("a statement")),
        }
    }

    /// Refuses the statement at the cursor, naming it by its first words.
    fn unsupported_statement<T>(&mut self) -> Result<T, Error> {
        let start = self.at;
        self.at = (self.at + 2).min(self.tokens.len());
        unsupported(format!("the statement {}", self.text_since(start)))
    }

    /// `[AND [NO] CHAIN] [[NO] RELEASE]` after COMMIT or ROLLBACK: only their absence runs.
    fn chain_and_release(&mut self) -> Result<(), Error> {
        if self.eat_words(&["and", "no", "chain"]) || self.eat_words(&["no", "release"]) {
            return self.chain_and_release();
        }
        if self.is_word("and") || self.is_word("release") {
            return unsupported("COMMIT / ROLLBACK with CHAIN or RELEASE");
        }
        Ok(())
    }

    /// A table's name, the database that qualifies it dropped: one database per session.
    fn table_name(&mut self) -> Result<String, Error> {
        Ok(self.qualified_name()?.1)
    }

    /// A name and the database that qualifies it, if any.
    fn qualified_name(&mut self) -> Result<(Option<String>, String), Error> {
        let first = self.name()?;
        if !self.eat_symbol(".") {
            return Ok((None, first));
        }
        let second = self.any_name()?;
        if self.is_symbol(".") {
            return unsupported(format!("the name {first}.{second}.…"));
        }
        Ok((Some(first), second))
    }

    /// Names in parentheses, `(a, b)`.
    fn name_list(&mut self) -> Result<Vec<String>, Error> {
        self.expect_symbol("(")?;
        let mut names = vec![self.name()?];
        while self.eat_symbol(",") {
            names.push(self.name()?);
        }
        self.expect_symbol(")")?;
        Ok(names)
    }

    // ---- Queries.

    /// A query: `[WITH …] body [ORDER BY …] [LIMIT …]`.
    pub(super) fn query(&mut self) -> Result<Query, Error> {
        self.enter()?;
        let mut with = Vec::new();
        if self.eat_word("with") {
            if self.is_word("recursive") {
                return unsupported("WITH RECURSIVE");
            }
            loop {
                let name = self.name()?;
                if self.is_symbol("(") {
                    return unsupported("column lists on a common table expression");
                }
                self.expect_word("as")?;
                self.expect_symbol("(")?;
                let query = self.query()?;
                self.expect_symbol(")")?;
                with.push((name, query));
                if !self.eat_symbol(",") {
                    break;
                }
            }
        }
        let body = self.set_expr()?;
        let order_by =
            if self.eat_words(&["order", "by"]) { self.order_items()? } else { Vec::new() };
        let (mut limit, mut offset) = (None, None);
        if self.eat_word("limit") {
            let first = self.expr()?;
            if self.eat_symbol(",") {
                offset = Some(first);
                limit = Some(self.expr()?);
            } else {
                limit = Some(first);
            }
        }
        if offset.is_none() && self.eat_word("offset") {
            offset = Some(self.expr()?);
        }
        if self.is_word("for") || self.is_word("lock") || self.is_word("fetch") {
            return unsupported("FETCH / FOR UPDATE");
        }
        self.leave();
        Ok(Query { with, body, order_by, limit, offset })
    }

    /// Set operations, INTERSECT binding more strongly than UNION and EXCEPT.
    fn set_expr(&mut self) -> Result<SetExpr, Error> {
        let mut left = self.intersection()?;
        loop {
            let op = if self.eat_word("union") {
                SetOperator::Union
            } else if self.eat_word("except") {
                SetOperator::Except
            } else {
                return Ok(left);
            };
            let all = self.set_quantifier();
            let right = self.intersection()?;
            left = SetExpr::SetOperation { op, left: Box::new(left), right: Box::new(right), all };
        }
    }

    fn intersection(&mut self) -> Result<SetExpr, Error> {
        let mut left = self.set_operand()?;
        while self.eat_word("intersect") {
            let all = self.set_quantifier();
            let right = self.set_operand()?;
            left = SetExpr::SetOperation {
                op: SetOperator::Intersect,
                left: Box::new(left),
                right: Box::new(right),
                all,
            };
        }
        Ok(left)
    }

    /// `ALL` keeps duplicates; `DISTINCT`, the default, removes them.
    fn set_quantifier(&mut self) -> bool {
        if self.eat_word("all") {
            return true;
        }
        self.eat_word("distinct");
        false
    }

    fn set_operand(&mut self) -> Result<SetExpr, Error> {
        if self.eat_symbol("(") {
            let query = self.query()?;
            self.expect_symbol(")")?;
            return Ok(SetExpr::Query(Box::new(query)));
        }
        if self.eat_word("values") {
            return Ok(SetExpr::Values(self.values_rows()?));
        }
        self.expect_word("select")?;
        Ok(SetExpr::Select(Box::new(self.select()?)))
    }

    /// `(a, b, …)` of VALUES; `()` is a row of defaults.
    /// The rows after `VALUES`: one or more, comma-separated, each maybe written `ROW(...)`.
    fn values_rows(&mut self) -> Result<Vec<Vec<Expr>>, Error> {
        let mut rows = Vec::new();
        loop {
            self.eat_word("row");
            rows.push(self.values_row()?);
            if !self.eat_symbol(",") {
                return Ok(rows);
            }
        }
    }

    fn values_row(&mut self) -> Result<Vec<Expr>, Error> {
        self.expect_symbol("(")?;
        if self.eat_symbol(")") {
            return Ok(Vec::new());
        }
        let row = self.expr_list()?;
        self.expect_symbol(")")?;
        Ok(row)
    }

    /// The rest of a SELECT after the word SELECT.
    fn select(&mut self) -> Result<Select, Error> {
        let distinct = self.eat_word("distinct") || self.eat_word("distinctrow");
        if !distinct {
            self.eat_word("all");
        }
        // Hints to MySQL's optimizer and query cache, which change no result.
        const HINTS: &[&str] = &[
            "high_priority",
            "straight_join",
            "sql_small_result",
            "sql_big_result",
            "sql_buffer_result",
            "sql_no_cache",
            "sql_calc_found_rows",
        ];
        while HINTS.iter().any(|h| self.eat_word(h)) {}
        let mut items = Vec::new();
        loop {
            items.push(self.select_item()?);
            if !self.eat_symbol(",") {
                break;
            }
        }
        if self.is_word("into") {
            return unsupported("SELECT ... INTO");
        }
        let mut from = None;
        if self.eat_word("from") {
            loop {
                let next = self.table_with_joins()?;
                from = Some(match from {
                    None => next,
                    Some(left) => TableRef::Join {
                        left: Box::new(left),
                        right: Box::new(next),
                        kind: JoinKind::Cross,
                        on: None,
                    },
                });
                if !self.eat_symbol(",") {
                    break;
                }
            }
        }
        let filter = if self.eat_word("where") { Some(self.expr()?) } else { None };
        let mut group_by = Vec::new();
        if self.eat_words(&["group", "by"]) {
            group_by = self.expr_list()?;
            if self.is_word("with") {
                return unsupported("GROUP BY modifiers (WITH ROLLUP)");
            }
        }
        let having = if self.eat_word("having") { Some(self.expr()?) } else { None };
        if self.is_word("window") {
            return unsupported("window functions");
        }
        Ok(Select { distinct, items, from, filter, group_by, having })
    }

    fn select_item(&mut self) -> Result<SelectItem, Error> {
        if self.eat_symbol("*") {
            return Ok(SelectItem::Wildcard);
        }
        // `t.*` and `db.t.*`: names, each followed by a period, then `*`.
        let mut at = self.at;
        let mut names = 0;
        while self.tokens.get(at).is_some_and(|t| matches!(t.kind, Kind::Word | Kind::Quoted(_)))
            && self.tokens.get(at + 1).is_some_and(|t| t.kind == Kind::Symbol("."))
        {
            at += 2;
            names += 1;
        }
        if names > 0 && self.tokens.get(at).is_some_and(|t| t.kind == Kind::Symbol("*")) {
            let mut table = self.name()?;
            while self.eat_symbol(".") && !self.eat_symbol("*") {
                table = self.any_name()?;
            }
            if names > 2 {
                return unsupported(format!("the name {}", self.text_since(at - 2 * names)));
            }
            return Ok(SelectItem::QualifiedWildcard(table));
        }
        let start = self.at;
        let expr = self.expr()?;
        let end = self.at;
        let alias =
            if self.eat_word("as") { Some(self.alias()?) } else { self.implicit_alias(&[]) };
        let text = match &alias {
            Some(alias) => alias.clone(),
            None => print::column_text(self.text, &self.tokens[start..end]),
        };
        Ok(SelectItem::Expr { expr, alias, text })
    }

    /// An alias after AS: a name (reserved words too) or a string.
    fn alias(&mut self) -> Result<String, Error> {
        if let Some(Kind::Text { value, .. }) = self.peek().map(|t| &t.kind) {
            self.advance();
            return Ok(value.clone());
        }
        self.any_name()
    }

    /// An alias without AS: a name that is not a reserved word nor one of `also_not`.
    fn implicit_alias(&mut self, also_not: &[&str]) -> Option<String> {
        let token = self.peek()?;
        match &token.kind {
            Kind::Quoted(name) => {
                self.advance();
                Some(name.clone())
            }
            Kind::Text { value, .. } => {
                self.advance();
                Some(value.clone())
            }
            Kind::Word => {
                let word = self.source(token);
                if is_reserved(word) || also_not.iter().any(|w| w.eq_ignore_ascii_case(word)) {
                    return None;
                }
                self.advance();
                Some(word.to_string())
            }
            _ => None,
        }
    }

    pub(super) fn order_items(&mut self) -> Result<Vec<OrderItem>, Error> {
        let mut items = Vec::new();
        loop {
            let expr = self.expr()?;
            let descending = self.eat_word("desc");
            if !descending {
                self.eat_word("asc");
            }
            items.push(OrderItem { expr, descending });
            if !self.eat_symbol(",") {
                return Ok(items);
            }
        }
    }

    fn table_with_joins(&mut self) -> Result<TableRef, Error> {
        let mut left = self.table_factor()?;
        loop {
            let kind = if self.eat_word("join") || self.eat_words(&["inner", "join"]) {
                JoinKind::Inner
            } else if self.eat_words(&["cross", "join"]) {
                JoinKind::Cross
            } else if self.eat_words(&["left", "join"])
                || self.eat_words(&["left", "outer", "join"])
            {
                JoinKind::Left
            } else if self.eat_words(&["right", "join"])
                || self.eat_words(&["right", "outer", "join"])
            {
                JoinKind::Right
            } else if self.is_word("natural") {
                return unsupported("NATURAL JOIN");
            } else if self.is_word("straight_join") {
                return unsupported("STRAIGHT_JOIN");
            } else {
                return Ok(left);
            };
            let right = self.table_factor()?;
            let on = if self.eat_word("on") {
                Some(self.expr()?)
            } else if self.is_word("using") {
                return unsupported("JOIN ... USING");
            } else {
                None
            };
            let kind = if kind == JoinKind::Cross && on.is_some() { JoinKind::Inner } else { kind };
            left = TableRef::Join { left: Box::new(left), right: Box::new(right), kind, on };
        }
    }

    fn table_factor(&mut self) -> Result<TableRef, Error> {
        if self.is_symbol("(") {
            if self.parenthesised_query_at(self.at) {
                self.advance();
                let query = self.query()?;
                self.expect_symbol(")")?;
                self.eat_word("as");
                let Some(alias) = self.implicit_alias(&[]) else {
                    return Err(Error::new(
                        ErrorKind::Syntax,
                        "every derived table must have its own alias",
                    ));
                };
                return Ok(TableRef::Derived { query: Box::new(query), alias });
            }
            self.advance();
            self.enter()?;
            let nested = self.table_with_joins()?;
            self.leave();
            self.expect_symbol(")")?;
            return Ok(nested);
        }
        if self.is_word("lateral") {
            return unsupported("LATERAL");
        }
        let (database, name) = self.qualified_name()?;
        if self.eat_symbol("(") {
            let args = self.call_args_plain()?;
            let alias = self.table_alias()?;
            return Ok(TableRef::Function { name: name.to_lowercase(), args, alias });
        }
        let mut revision = database_revision(database);
        if self.is_word("as") && self.is_word_at(1, "of") && self.peek_nth(2).is_none() {
            self.at += 2;
            return Err(self.expected("a revision after AS OF"));
        }
        if self.is_word("as") && self.is_word_at(1, "of") && self.revision_follows() {
            self.at += 2;
            revision = Some(Revision::AsOf(self.expr_above(super::expr::UNARY)?));
        }
        let alias = self.table_alias()?;
        self.index_hints()?;
        Ok(TableRef::Named { name, alias, revision })
    }

    /// Whether the token after `AS OF` starts a revision rather than a clause, as in `FROM t
    /// AS of WHERE …` where `of` is the table's alias.
    fn revision_follows(&self) -> bool {
        match self.peek_nth(2) {
            None => false,
            Some(t) => match &t.kind {
                Kind::Word => {
                    let word = self.source(t);
                    !is_reserved(word)
                        || ["current_timestamp", "current_date"]
                            .iter()
                            .any(|w| w.eq_ignore_ascii_case(word))
                }
                Kind::Symbol(s) => *s == "(",
                _ => true,
            },
        }
    }

    /// `[AS] alias` after a table.
    fn table_alias(&mut self) -> Result<Option<String>, Error> {
        if self.eat_word("as") {
            return self.name().map(Some);
        }
        Ok(self.implicit_alias(AFTER_TABLE))
    }

    /// `USE | IGNORE | FORCE {INDEX | KEY} [FOR …] (names)`: hints the planner does not need.
    fn index_hints(&mut self) -> Result<(), Error> {
        while (self.is_word("use") || self.is_word("ignore") || self.is_word("force"))
            && (self.is_word_at(1, "index") || self.is_word_at(1, "key"))
        {
            self.at += 2;
            if self.eat_word("for")
                && !(self.eat_word("join")
                    || self.eat_words(&["order", "by"])
                    || self.eat_words(&["group", "by"]))
            {
                return Err(self.expected("JOIN, ORDER BY or GROUP BY"));
            }
            self.expect_symbol("(")?;
            while !self.eat_symbol(")") {
                self.any_name()?;
                self.eat_symbol(",");
            }
        }
        Ok(())
    }

    // ---- Row changes.

    fn insert(&mut self) -> Result<Statement, Error> {
        let replace = self.eat_word("replace");
        if !replace {
            self.expect_word("insert")?;
        }
        for priority in ["low_priority", "delayed", "high_priority"] {
            self.eat_word(priority);
        }
        let ignore = self.eat_word("ignore");
        self.eat_word("into");
        let table = self.table_name()?;
        if self.is_word("partition") {
            return unsupported("INSERT into a partition");
        }
        let mut columns = Vec::new();
        if self.is_symbol("(") && !self.parenthesised_query_at(self.at) {
            self.advance();
            if !self.eat_symbol(")") {
                loop {
                    columns.push(self.qualified_name()?.1);
                    if !self.eat_symbol(",") {
                        break;
                    }
                }
                self.expect_symbol(")")?;
            }
        }
        let source = if self.eat_word("values") || self.eat_word("value") {
            values_query(self.values_rows()?)
        } else if self.eat_word("set") {
            if !columns.is_empty() {
                return Err(self.expected("VALUES or SELECT after the column list"));
            }
            let (names, values) = self.assignments()?.into_iter().unzip();
            columns = names;
            values_query(vec![values])
        } else if self.is_word("select") || self.is_word("with") || self.is_symbol("(") {
            self.query()?
        } else {
            return Err(self.expected("VALUES, SET or SELECT"));
        };
        if self.is_word("as") {
            return unsupported("INSERT ... AS alias");
        }
        let on_duplicate = if self.eat_words(&["on", "duplicate", "key", "update"]) {
            self.assignments()?
        } else {
            Vec::new()
        };
        Ok(Statement::Insert { table, columns, source, on_duplicate, ignore, replace })
    }

    /// `column = value, …`, as after SET and ON DUPLICATE KEY UPDATE.
    fn assignments(&mut self) -> Result<Vec<(String, Expr)>, Error> {
        let mut assignments = Vec::new();
        loop {
            if self.is_symbol("(") {
                return unsupported("assigning to a tuple of columns");
            }
            let column = self.qualified_name()?.1;
            self.expect_symbol("=")?;
            assignments.push((column, self.expr()?));
            if !self.eat_symbol(",") {
                return Ok(assignments);
            }
        }
    }

    fn update(&mut self) -> Result<Statement, Error> {
        self.expect_word("update")?;
        self.eat_word("low_priority");
        if self.is_word("ignore") {
            return unsupported("UPDATE IGNORE");
        }
        let (table, alias) = self.single_table("UPDATE of several tables")?;
        self.expect_word("set")?;
        let assignments = self.assignments()?;
        if self.is_word("from") {
            return unsupported("UPDATE of several tables");
        }
        let (filter, order_by, limit) = self.row_selection()?;
        Ok(Statement::Update { table, alias, assignments, filter, order_by, limit })
    }

    /// The one table an UPDATE or DELETE changes, and its alias; `several` names the refusal
    /// of a join or a list of tables.
    fn single_table(&mut self, several: &str) -> Result<(String, Option<String>), Error> {
        let table = self.table_name()?;
        let alias = self.table_alias()?;
        if self.is_symbol(",")
            || self.is_word("join")
            || self.is_word("inner")
            || self.is_word("left")
        {
            return unsupported(several);
        }
        Ok((table, alias))
    }

    /// The rows an UPDATE or DELETE changes: `WHERE`, `ORDER BY` and `LIMIT`, each optional.
    fn row_selection(&mut self) -> Result<RowSelection, Error> {
        let filter = if self.eat_word("where") { Some(self.expr()?) } else { None };
        let order_by =
            if self.eat_words(&["order", "by"]) { self.order_items()? } else { Vec::new() };
        let limit = if self.eat_word("limit") { Some(self.expr()?) } else { None };
        Ok((filter, order_by, limit))
    }

    fn delete(&mut self) -> Result<Statement, Error> {
        self.expect_word("delete")?;
        for modifier in ["low_priority", "quick"] {
            self.eat_word(modifier);
        }
        if self.is_word("ignore") {
            return unsupported("DELETE IGNORE");
        }
        if !self.eat_word("from") {
            // `DELETE t1, t2 FROM …`: the tables to delete from, then the tables to read.
            self.table_name()?;
            while self.eat_symbol(",") {
                self.table_name()?;
            }
            if self.is_word("from") {
                return unsupported("DELETE from several tables");
            }
            return Err(self.expected("FROM"));
        }
        let (table, alias) = self.single_table("DELETE from several tables")?;
        if self.is_word("using") {
            return unsupported("DELETE ... USING");
        }
        let (filter, order_by, limit) = self.row_selection()?;
        Ok(Statement::Delete { table, alias, filter, order_by, limit })
    }

    // ---- Schema changes.

    fn create(&mut self) -> Result<Statement, Error> {
        self.expect_word("create")?;
        if self.is_word("temporary") {
            return unsupported("temporary tables");
        }
        if self.eat_word("table") {
            return Ok(Statement::CreateTable(self.create_table()?));
        }
        let unique = self.eat_word("unique");
        if self.is_word("fulltext") || self.is_word("spatial") {
            let kind = self.source(self.peek().expect("a word")).to_uppercase();
            return unsupported(format!("{kind} indexes"));
        }
        if !self.eat_word("index") {
            self.at -= 1 + usize::from(unique);
            return self.other_object();
        }
        let if_not_exists = self.eat_words(&["if", "not", "exists"]);
        let name = Some(self.table_name()?);
        self.index_type()?;
        self.expect_word("on")?;
        let table = self.table_name()?;
        let columns = self.index_columns()?;
        self.index_options()?;
        Ok(Statement::CreateIndex {
            table,
            index: IndexSpec { name, columns, unique },
            if_not_exists,
        })
    }

    /// `USING BTREE | HASH`: how an index is stored, which Cambium chooses itself.
    fn index_type(&mut self) -> Result<(), Error> {
        if self.eat_word("using") && !(self.eat_word("btree") || self.eat_word("hash")) {
            return Err(self.expected("BTREE or HASH"));
        }
        Ok(())
    }

    /// Options after an index's columns that change nothing here.
    fn index_options(&mut self) -> Result<(), Error> {
        loop {
            if self.is_word("using") {
                self.index_type()?;
            } else if self.eat_word("comment") {
                self.string()?;
            } else if !(self.eat_word("visible") || self.eat_word("invisible")) {
                return Ok(());
            }
        }
    }

    /// What follows `INDEX`, `KEY` or `UNIQUE` in a table definition: an optional name, then
    /// the index type, the columns and the options.
    fn index_body(&mut self) -> Result<(Option<String>, Vec<String>), Error> {
        let name =
            if self.is_symbol("(") || self.is_word("using") { None } else { Some(self.name()?) };
        self.index_type()?;
        let columns = self.index_columns()?;
        self.index_options()?;
        Ok((name, columns))
    }

    /// A string literal.
    fn string(&mut self) -> Result<String, Error> {
        match self.peek().map(|t| &t.kind) {
            Some(Kind::Text { value, .. }) => {
                self.advance();
                Ok(value.clone())
            }
            _ => Err(self.expected("a string")),
        }
    }

    /// An index's columns: `(a, b DESC)`; expressions and prefix lengths are refused.
    fn index_columns(&mut self) -> Result<Vec<String>, Error> {
        self.expect_symbol("(")?;
        let mut columns = Vec::new();
        loop {
            let start = self.at;
            if self.is_symbol("(") {
                self.expr()?;
                return unsupported(format!(
                    "an index on the expression {}",
                    self.text_since(start)
                ));
            }
            let name = self.name()?;
            if self.is_symbol("(") {
                self.advance();
                self.call_args_plain()?;
                return unsupported(format!(
                    "an index on the expression {}",
                    self.text_since(start)
                ));
            }
            if !self.eat_word("asc") {
                self.eat_word("desc");
            }
            columns.push(name);
            if !self.eat_symbol(",") {
                break;
            }
        }
        self.expect_symbol(")")?;
        Ok(columns)
    }

    fn create_table(&mut self) -> Result<CreateTable, Error> {
        let if_not_exists = self.eat_words(&["if", "not", "exists"]);
        let name = self.table_name()?;
        if self.is_word("like") || self.is_word("as") || self.is_word("select") {
            return unsupported("CREATE TABLE ... AS / LIKE");
        }
        let mut out = CreateTable {
            name,
            if_not_exists,
            columns: Vec::new(),
            primary_key: Vec::new(),
            indexes: Vec::new(),
            checks: Vec::new(),
            foreign_keys: Vec::new(),
        };
        self.expect_symbol("(")?;
        loop {
            self.table_element(&mut out)?;
            if !self.eat_symbol(",") {
                break;
            }
        }
        self.expect_symbol(")")?;
        self.table_options()?;
        if self.peek().is_some() {
            if self.is_word("as") || self.is_word("select") || self.is_symbol("(") {
                return unsupported("CREATE TABLE ... AS / LIKE");
            }
            if self.is_word("partition") {
                return unsupported("partitioned tables");
            }
        }
        Ok(out)
    }

    /// Table options (`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 …`): Cambium has one engine,
    /// one character set and one collation, so they change nothing.
    fn table_options(&mut self) -> Result<(), Error> {
        loop {
            self.eat_word("default");
            let words: &[&[&str]] = &[
                &["character", "set"],
                &["charset"],
                &["collate"],
                &["engine"],
                &["auto_increment"],
                &["comment"],
                &["row_format"],
                &["key_block_size"],
                &["stats_persistent"],
                &["avg_row_length"],
                &["max_rows"],
                &["min_rows"],
                &["pack_keys"],
                &["checksum"],
            ];
            if !words.iter().any(|w| self.eat_words(w)) {
                return Ok(());
            }
            self.eat_symbol("=");
            match self.advance().map(|t| &t.kind) {
                Some(Kind::Word | Kind::Quoted(_) | Kind::Number | Kind::Text { .. }) => {}
                _ => {
                    self.at -= 1;
                    return Err(self.expected("a table option's value"));
                }
            }
            self.eat_symbol(",");
        }
    }

    /// One column definition or table constraint of CREATE TABLE.
    fn table_element(&mut self, out: &mut CreateTable) -> Result<(), Error> {
        if let Some(constraint) = self.table_constraint()? {
            match constraint {
                Constraint::PrimaryKey(columns) => {
                    if !out.primary_key.is_empty() {
                        return Err(Error::new(ErrorKind::Syntax, "multiple primary keys defined"));
                    }
                    out.primary_key = columns;
                }
                Constraint::Index(index) => out.indexes.push(index),
                Constraint::Check(name, text) => out.checks.push((name, text)),
                Constraint::ForeignKey(fk) => out.foreign_keys.push(fk),
            }
            return Ok(());
        }
        let def = self.column_def()?;
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
        Ok(())
    }

    /// A table constraint or index, or `None` when a column definition stands at the cursor.
    fn table_constraint(&mut self) -> Result<Option<Constraint>, Error> {
        let start = self.at;
        let mut name = None;
        if self.eat_word("constraint")
            && !["primary", "unique", "check", "foreign"].iter().any(|w| self.is_word(w))
        {
            name = Some(self.name()?);
        }
        if self.eat_words(&["primary", "key"]) {
            self.index_type()?;
            let columns = self.index_columns()?;
            self.index_options()?;
            return Ok(Some(Constraint::PrimaryKey(columns)));
        }
        if self.eat_word("unique") {
            if !self.eat_word("index") {
                self.eat_word("key");
            }
            let (index_name, columns) = self.index_body()?;
            let name = index_name.or(name);
            return Ok(Some(Constraint::Index(IndexSpec { name, columns, unique: true })));
        }
        if self.eat_word("check") {
            let (_, text) = self.check()?;
            return Ok(Some(Constraint::Check(name, text)));
        }
        if self.eat_words(&["foreign", "key"]) {
            if !self.is_symbol("(") {
                self.name()?;
            }
            let columns = self.name_list()?;
            let mut fk = self.references()?;
            fk.name = name;
            fk.columns = columns;
            return Ok(Some(Constraint::ForeignKey(fk)));
        }
        if name.is_some() {
            return Err(self.expected("PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY"));
        }
        self.at = start;
        if self.is_word("index") || self.is_word("key") {
            self.advance();
            let (name, columns) = self.index_body()?;
            return Ok(Some(Constraint::Index(IndexSpec { name, columns, unique: false })));
        }
        if self.is_word("fulltext") || self.is_word("spatial") {
            let kind = self.source(self.peek().expect("a word")).to_uppercase();
            return unsupported(format!("the constraint {kind}"));
        }
        Ok(None)
    }

    /// `(expression) [[NOT] ENFORCED]` after CHECK: the expression and its text.
    fn check(&mut self) -> Result<(Expr, String), Error> {
        self.expect_symbol("(")?;
        let start = self.at;
        let expr = self.expr()?;
        let text = self.text_since(start);
        self.expect_symbol(")")?;
        if self.eat_words(&["not", "enforced"]) {
            return unsupported("NOT ENFORCED check constraints");
        }
        self.eat_word("enforced");
        Ok((expr, text))
    }

    /// `REFERENCES parent (columns) [ON DELETE action] [ON UPDATE action]`; the name and the
    /// child's columns are left for the caller.
    fn references(&mut self) -> Result<ForeignKeyDef, Error> {
        self.expect_word("references")?;
        let parent_table = self.table_name()?;
        let parent_columns = if self.is_symbol("(") { self.name_list()? } else { Vec::new() };
        if self.is_word("match") {
            return unsupported("MATCH in a foreign key");
        }
        let mut fk = ForeignKeyDef {
            name: None,
            columns: Vec::new(),
            parent_table,
            parent_columns,
            on_delete: ReferentialAction::Restrict,
            on_update: ReferentialAction::Restrict,
        };
        loop {
            if self.eat_words(&["on", "delete"]) {
                fk.on_delete = referential_action(self)?;
            } else if self.eat_words(&["on", "update"]) {
                fk.on_update = referential_action(self)?;
            } else {
                return Ok(fk);
            }
        }
    }

    /// `name type [options]`.
    fn column_def(&mut self) -> Result<ColumnDef, Error> {
        let name = self.name()?;
        let sql_type = SqlType::parse(&self.column_type()?)?;
        let mut def = ColumnDef {
            name,
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
        loop {
            if self.eat_word("null") {
                def.nullable = true;
            } else if self.eat_words(&["not", "null"]) {
                def.nullable = false;
            } else if self.eat_word("default") {
                let start = self.at;
                let expr = self.expr()?;
                def.default_text = Some(self.text_since(start));
                def.default = Some(expr);
            } else if self.eat_words(&["primary", "key"]) || self.eat_word("key") {
                def.primary_key = true;
                def.nullable = false;
            } else if self.eat_word("unique") {
                self.eat_word("key");
                def.unique = true;
            } else if self.eat_word("auto_increment") {
                def.auto_increment = true;
            } else if self.eat_word("constraint") {
                if !self.is_word("check") && !self.is_word("references") {
                    self.name()?;
                }
            } else if self.eat_word("check") {
                def.check = Some(self.check()?);
            } else if self.is_word("references") {
                let mut fk = self.references()?;
                fk.columns = vec![def.name.clone()];
                def.references = Some(fk);
            } else if self.eat_words(&["character", "set"])
                || self.eat_word("charset")
                || self.eat_word("collate")
            {
                self.collation_name()?;
            } else if self.eat_word("comment") {
                self.string()?;
            } else if self.is_word("on") && self.is_word_at(1, "update") {
                return unsupported("the column option ON UPDATE");
            } else if [
                "generated",
                "as",
                "visible",
                "invisible",
                "column_format",
                "storage",
                "srid",
            ]
            .iter()
            .any(|w| self.is_word(w))
            {
                let word = self.source(self.peek().expect("a word")).to_uppercase();
                return unsupported(format!("the column option {word}"));
            } else {
                return Ok(def);
            }
        }
    }

    /// A character set or collation name: a word, a quoted name or a string.
    fn collation_name(&mut self) -> Result<(), Error> {
        match self.peek().map(|t| &t.kind) {
            Some(Kind::Word | Kind::Quoted(_) | Kind::Text { .. }) => {
                self.advance();
                Ok(())
            }
            _ => Err(self.expected("a character set or collation")),
        }
    }

    /// A column's type as text for `SqlType::parse`: its name (two words for `DOUBLE
    /// PRECISION` and `CHARACTER VARYING`), its arguments and its sign modifiers.
    fn column_type(&mut self) -> Result<String, Error> {
        let start = self.at;
        match self.peek() {
            Some(t) if t.kind == Kind::Word => {
                self.advance();
            }
            _ => return Err(self.expected("a type")),
        }
        if !self.eat_word("precision") {
            self.eat_word("varying");
        }
        if self.eat_symbol("(") {
            while !self.eat_symbol(")") {
                if self.advance().is_none() {
                    return Err(self.expected("')'"));
                }
            }
        }
        while self.eat_word("unsigned") || self.eat_word("signed") || self.eat_word("zerofill") {}
        Ok(print::type_text(self.text, &self.tokens[start..self.at]))
    }

    fn drop(&mut self) -> Result<Statement, Error> {
        self.expect_word("drop")?;
        if self.eat_word("table") {
            let if_exists = self.eat_words(&["if", "exists"]);
            let mut names = vec![self.table_name()?];
            while self.eat_symbol(",") {
                names.push(self.table_name()?);
            }
            if !self.eat_word("restrict") {
                self.eat_word("cascade");
            }
            return Ok(Statement::DropTable { names, if_exists });
        }
        if self.eat_word("index") {
            let name = self.table_name()?;
            if self.is_symbol(",") {
                return unsupported("DROP INDEX of several indexes");
            }
            if !self.eat_word("on") {
                return unsupported("DROP INDEX without ON <table>");
            }
            return Ok(Statement::DropIndex { table: self.table_name()?, name });
        }
        self.at -= 1;
        self.other_object()
    }

    /// Refuses CREATE, ALTER or DROP (at the cursor) of a kind of object Cambium does not
    /// have; a word that names no kind of object is a syntax error.
    fn other_object<T>(&mut self) -> Result<T, Error> {
        const OBJECTS: &[&str] = &[
            "view",
            "database",
            "schema",
            "function",
            "procedure",
            "trigger",
            "event",
            "user",
            "role",
            "server",
            "tablespace",
            "logfile",
            "resource",
            "spatial",
            "fulltext",
            "definer",
            "or",
            "algorithm",
            "sql",
            "temporary",
            "instance",
            "undo",
            "aggregate",
        ];
        if OBJECTS.iter().any(|w| self.is_word_at(1, w)) {
            return self.unsupported_statement();
        }
        self.advance();
        Err(self.expected("TABLE, INDEX or another kind of object"))
    }

    fn rename(&mut self) -> Result<Statement, Error> {
        self.expect_word("rename")?;
        if !self.eat_word("table") {
            return self.unsupported_statement_from(self.at - 1);
        }
        let mut renames = Vec::new();
        loop {
            let from = self.table_name()?;
            self.expect_word("to")?;
            renames.push((from, self.table_name()?));
            if !self.eat_symbol(",") {
                return Ok(Statement::RenameTable(renames));
            }
        }
    }

    fn unsupported_statement_from<T>(&mut self, start: usize) -> Result<T, Error> {
        self.at = start;
        self.unsupported_statement()
    }

    fn alter(&mut self) -> Result<Statement, Error> {
        self.expect_word("alter")?;
        if !self.eat_word("table") {
            self.at -= 1;
            return self.other_object();
        }
        let table = self.table_name()?;
        let mut actions = Vec::new();
        loop {
            actions.push(self.alter_action()?);
            if !self.eat_symbol(",") {
                return Ok(Statement::AlterTable { table, actions });
            }
        }
    }

    fn alter_action(&mut self) -> Result<AlterAction, Error> {
        let start = self.at;
        if self.eat_word("add") {
            if let Some(constraint) = self.table_constraint()? {
                return Ok(match constraint {
                    Constraint::PrimaryKey(_) => return unsupported("ALTER TABLE ADD PRIMARY KEY"),
                    Constraint::Index(index) => AlterAction::AddIndex(index),
                    Constraint::Check(name, text) => AlterAction::AddCheck(name, text),
                    Constraint::ForeignKey(fk) => AlterAction::AddForeignKey(fk),
                });
            }
            self.eat_word("column");
            if self.is_symbol("(") {
                return unsupported("ALTER TABLE ADD of several columns");
            }
            let column = self.column_def()?;
            self.no_column_position()?;
            return Ok(AlterAction::AddColumn(column));
        }
        if self.eat_word("drop") {
            if self.eat_words(&["foreign", "key"]) {
                let name = self.name()?;
                return Ok(AlterAction::DropConstraint { name, kind: ConstraintKind::ForeignKey });
            }
            if self.eat_word("constraint") {
                if self.is_word("if") {
                    return unsupported("DROP CONSTRAINT IF EXISTS");
                }
                let name = self.name()?;
                return Ok(AlterAction::DropConstraint { name, kind: ConstraintKind::Any });
            }
            if self.eat_word("check") {
                let name = self.name()?;
                return Ok(AlterAction::DropConstraint { name, kind: ConstraintKind::Check });
            }
            if self.eat_word("index") || self.eat_word("key") {
                return Ok(AlterAction::DropIndex(self.name()?));
            }
            if self.is_word("primary") {
                return unsupported("ALTER TABLE DROP PRIMARY KEY");
            }
            self.eat_word("column");
            let name = self.name()?;
            if self.is_word("restrict") || self.is_word("cascade") {
                return unsupported("DROP COLUMN ... RESTRICT / CASCADE");
            }
            return Ok(AlterAction::DropColumn(name));
        }
        if self.eat_word("rename") {
            if self.eat_word("column") {
                let from = self.name()?;
                self.expect_word("to")?;
                return Ok(AlterAction::RenameColumn { from, to: self.name()? });
            }
            if self.is_word("index") || self.is_word("key") {
                return unsupported("ALTER TABLE RENAME INDEX");
            }
            if !self.eat_word("to") {
                self.eat_word("as");
            }
            return Ok(AlterAction::RenameTable(self.table_name()?));
        }
        if self.eat_word("modify") {
            self.eat_word("column");
            let column = self.column_def()?;
            self.no_column_position()?;
            return Ok(AlterAction::ModifyColumn { name: column.name.clone(), column });
        }
        if self.eat_word("change") {
            self.eat_word("column");
            let name = self.name()?;
            let column = self.column_def()?;
            self.no_column_position()?;
            return Ok(AlterAction::ModifyColumn { name, column });
        }
        self.at = start;
        match self.peek() {
            Some(t) if t.kind == Kind::Word => {
                let end = (self.at + 2).min(self.tokens.len());
                let words = print::text(self.text, &self.tokens[self.at..end]);
                unsupported(format!("ALTER TABLE {words}"))
            }
            _ => Err(self.expected("an ALTER TABLE action")),
        }
    }

    /// Refuses `FIRST` and `AFTER column`: columns keep the order they were added in.
    fn no_column_position(&mut self) -> Result<(), Error> {
        if self.is_word("first") || self.is_word("after") {
            return unsupported("column positions (FIRST / AFTER)");
        }
        Ok(())
    }

    // ---- Sessions and the rest.

    fn show(&mut self) -> Result<Statement, Error> {
        self.expect_word("show")?;
        let full = self.eat_word("full") || self.eat_word("extended");
        if self.eat_word("tables") {
            let mut like = None;
            loop {
                if self.eat_word("from") || self.eat_word("in") {
                    self.name()?;
                } else if self.eat_word("like") {
                    like = Some(self.string()?);
                } else if self.is_word("where") {
                    return unsupported("this SHOW filter");
                } else {
                    return Ok(Statement::Show { kind: ShowKind::Tables, like });
                }
            }
        }
        if self.eat_word("columns") || self.eat_word("fields") {
            if !(self.eat_word("from") || self.eat_word("in")) {
                return unsupported("SHOW COLUMNS without a table");
            }
            let (database, table) = self.qualified_name()?;
            if database.is_none() && (self.eat_word("from") || self.eat_word("in")) {
                self.name()?;
            }
            if self.is_word("like") || self.is_word("where") {
                return unsupported("this SHOW filter");
            }
            return Ok(Statement::Describe(table));
        }
        if !full {
            let scoped = self.eat_word("global") || self.eat_word("session");
            if self.eat_word("variables") {
                let like = if self.eat_word("like") {
                    Some(self.string()?)
                } else if self.is_word("where") {
                    return unsupported("SHOW VARIABLES WHERE");
                } else {
                    None
                };
                return Ok(Statement::Show { kind: ShowKind::Variables, like });
            }
            if !scoped {
                if self.eat_word("databases") || self.eat_word("schemas") {
                    if self.eat_word("like") {
                        self.string()?;
                    }
                    return Ok(Statement::Show { kind: ShowKind::Databases, like: None });
                }
                if self.eat_word("warnings") {
                    return Ok(Statement::Show { kind: ShowKind::Warnings, like: None });
                }
                if self.eat_words(&["create", "table"]) {
                    let (database, name) = self.qualified_name()?;
                    let revision = if self.eat_words(&["as", "of"]) {
                        Some(Revision::AsOf(self.expr()?))
                    } else {
                        database_revision(database)
                    };
                    return Ok(Statement::ShowCreateTable { name, revision });
                }
            }
        }
        if self.peek().is_none() {
            return Err(self.expected("what to show"));
        }
        self.unsupported_statement_from(0)
    }

    /// EXPLAIN / DESCRIBE of a query, or of a table (its columns).
    fn explain(&mut self) -> Result<Statement, Error> {
        self.advance();
        self.eat_word("analyze");
        self.eat_word("extended");
        if self.eat_word("format") {
            self.expect_symbol("=")?;
            self.name()?;
        }
        if self.is_word("select") || self.is_word("with") || self.is_symbol("(") {
            return Ok(Statement::Explain(self.query()?));
        }
        if ["insert", "replace", "update", "delete"].iter().any(|w| self.is_word(w)) {
            let end = (self.at + 2).min(self.tokens.len());
            let words = print::text(self.text, &self.tokens[self.at..end]);
            return unsupported(format!("EXPLAIN of the statement {words}"));
        }
        self.eat_word("table");
        let name = self.table_name()?;
        if self.peek().is_some_and(|t| t.kind == Kind::Word || matches!(t.kind, Kind::Quoted(_))) {
            return unsupported("DESCRIBE of one column");
        }
        Ok(Statement::Describe(name))
    }

    /// `SET …`: variables (`[GLOBAL | SESSION | PERSIST | PERSIST_ONLY] name = value`,
    /// `@@[scope.]name = value`, `@name = value` or `:=`, comma-separated), or `NAMES`.
    fn set(&mut self) -> Result<Statement, Error> {
        self.expect_word("set")?;
        if self.is_word("transaction") {
            return self.unsupported_statement_from(self.at - 1);
        }
        if self.eat_word("names") {
            // Drivers open connections with SET NAMES; Cambium speaks only UTF-8, so the
            // UTF-8 character sets are accepted and change nothing.
            let charset = match self.peek().map(|t| &t.kind) {
                Some(Kind::Word) => self.source(self.peek().expect("a word")).to_string(),
                Some(Kind::Quoted(name) | Kind::Text { value: name, .. }) => name.clone(),
                _ => return Err(self.expected("a character set")),
            };
            self.advance();
            if !["utf8mb4", "utf8", "utf8mb3"].iter().any(|c| c.eq_ignore_ascii_case(&charset)) {
                return unsupported(format!("the character set '{charset}'"));
            }
            if self.eat_word("collate") {
                self.collation_name()?;
            }
            return Ok(Statement::SetVariables(Vec::new()));
        }
        let mut assignments = Vec::new();
        loop {
            let target = self.variable_target()?;
            if !self.eat_symbol("=") && !self.eat_symbol(":=") {
                return Err(self.expected("'=' or ':='"));
            }
            let value = match (&target, self.peek().map(|t| &t.kind), self.peek_nth(1)) {
                // MySQL reads a bare word on the right of a system variable as a string (`ON`).
                (VariableTarget::System { .. }, Some(Kind::Word | Kind::Quoted(_)), next)
                    if next.is_none_or(|t| t.kind == Kind::Symbol(","))
                        && !["null", "true", "false"].iter().any(|w| self.is_word(w)) =>
                {
                    let token = self.advance().expect("a word");
                    match &token.kind {
                        Kind::Quoted(name) => Expr::Literal(Datum::Text(name.clone())),
                        // `SET x = DEFAULT` puts the default back; quoted, it is a string.
                        _ if self.source(token).eq_ignore_ascii_case("default") => Expr::Default,
                        _ => Expr::Literal(Datum::Text(self.source(token).to_string())),
                    }
                }
                _ => self.expr()?,
            };
            assignments.push((target, value));
            if !self.eat_symbol(",") {
                return Ok(Statement::SetVariables(assignments));
            }
        }
    }

    fn variable_target(&mut self) -> Result<VariableTarget, Error> {
        let bad = |parser: &Parser, token: &super::lex::Token| {
            super::lex::error_at(
                parser.text,
                token.start,
                &format!("'{}' is not a variable", parser.source(token)),
            )
        };
        let Some(token) = self.peek() else {
            return Err(self.expected("a variable"));
        };
        match &token.kind {
            Kind::UserVariable(name) => {
                self.advance();
                Ok(VariableTarget::User(name.to_lowercase()))
            }
            Kind::SystemVariable(name) => {
                self.advance();
                let lower = name.to_lowercase();
                let (scope, name) = match lower.split_once('.') {
                    Some(("global", name)) => (VariableScope::Global, name.to_string()),
                    Some(("session" | "local", name)) => (VariableScope::Session, name.to_string()),
                    Some(("persist" | "persist_only", name)) => {
                        (VariableScope::Persist, name.to_string())
                    }
                    Some(_) => return Err(bad(self, token)),
                    None => (VariableScope::Session, lower),
                };
                Ok(VariableTarget::System { name, scope })
            }
            Kind::Word | Kind::Quoted(_) => {
                let scope = if self.eat_word("global") {
                    Some(VariableScope::Global)
                } else if self.eat_word("session") || self.eat_word("local") {
                    Some(VariableScope::Session)
                } else if self.eat_word("persist") || self.eat_word("persist_only") {
                    Some(VariableScope::Persist)
                } else {
                    None
                };
                let Some(token) = self.advance() else {
                    return Err(self.expected("a variable"));
                };
                let name = match &token.kind {
                    Kind::Word => self.source(token).to_lowercase(),
                    Kind::Quoted(name) => name.to_lowercase(),
                    Kind::SystemVariable(name) if scope.is_some() && !name.contains('.') => {
                        name.to_lowercase()
                    }
                    // Dolt's documentation writes `SET PERSIST @@GLOBAL.x = v`: the keyword
                    // says the scope and the prefix agrees with it.
                    Kind::SystemVariable(name)
                        if matches!(
                            scope,
                            Some(VariableScope::Global | VariableScope::Persist)
                        ) && name.to_lowercase().starts_with("global.") =>
                    {
                        name["global.".len()..].to_lowercase()
                    }
                    _ => return Err(bad(self, token)),
                };
                Ok(VariableTarget::System { name, scope: scope.unwrap_or(VariableScope::Session) })
            }
            _ => Err(bad(self, token)),
        }
    }
}

/// The `WHERE`, `ORDER BY` and `LIMIT` of an UPDATE or DELETE.
type RowSelection = (Option<Expr>, Vec<OrderItem>, Option<Expr>);

/// A table constraint or index of CREATE TABLE or ALTER TABLE ADD.
enum Constraint {
    PrimaryKey(Vec<String>),
    Index(IndexSpec),
    /// The name if given, and the expression's text.
    Check(Option<String>, String),
    ForeignKey(ForeignKeyDef),
}
