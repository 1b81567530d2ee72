//! Expressions: operators by MySQL's precedence (precedence climbing, each operand one level
//! deeper), literals, names, variables, parameters, function calls and the forms with
//! grammar of their own (CASE, CAST, CONVERT, EXTRACT, INTERVAL, SUBSTRING, TRIM, POSITION,
//! aggregates with DISTINCT, ORDER BY and SEPARATOR).

use super::lex::Kind;
use super::{cast_type, unsupported, Params, Parser};
use crate::sql::ast::*;
use crate::sql::error::{Error, ErrorKind};
use crate::sql::types::{Datum, Decimal};

/// Binding strengths, weakest first; an operator takes as its right operand everything that
/// binds more strongly than itself.
const OR: u8 = 1;
const XOR: u8 = 2;
const AND: u8 = 3;
const NOT: u8 = 4;
/// `=`, `<=>`, `<`, `IS`, `LIKE`, `IN`, `BETWEEN` and the others that compare.
const COMPARISON: u8 = 5;
const BIT_OR: u8 = 6;
const BIT_AND: u8 = 7;
const SHIFT: u8 = 8;
const ADDITIVE: u8 = 9;
const MULTIPLICATIVE: u8 = 10;
const BIT_XOR: u8 = 11;
/// Unary `-`, `+` and `~`.
pub(super) const UNARY: u8 = 12;
/// `!`, `COLLATE`, `->` and `->>`.
const HIGHEST: u8 = 13;

/// Words that end an expression where a name could stand: MySQL's reserved words. They are
/// names only quoted (or, for those that are also functions, before `(`).
pub(super) const RESERVED: &[&str] = &[
    "add",
    "all",
    "alter",
    "analyze",
    "and",
    "as",
    "asc",
    "before",
    "between",
    "both",
    "by",
    "call",
    "cascade",
    "case",
    "change",
    "check",
    "collate",
    "column",
    "constraint",
    "convert",
    "create",
    "cross",
    "current_date",
    "current_time",
    "current_timestamp",
    "current_user",
    "database",
    "databases",
    "default",
    "delete",
    "desc",
    "describe",
    "distinct",
    "distinctrow",
    "div",
    "drop",
    "else",
    "exists",
    "explain",
    "false",
    "fetch",
    "for",
    "force",
    "foreign",
    "from",
    "fulltext",
    "grant",
    "group",
    "having",
    "if",
    "ignore",
    "in",
    "index",
    "inner",
    "insert",
    "intersect",
    "except",
    "interval",
    "into",
    "is",
    "join",
    "key",
    "keys",
    "kill",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "lines",
    "load",
    "localtime",
    "localtimestamp",
    "lock",
    "match",
    "mod",
    "natural",
    "not",
    "null",
    "on",
    "optimize",
    "option",
    "or",
    "order",
    "outer",
    "over",
    "partition",
    "primary",
    "procedure",
    "range",
    "read",
    "references",
    "regexp",
    "rename",
    "replace",
    "require",
    "restrict",
    "revoke",
    "right",
    "rlike",
    "schema",
    "schemas",
    "select",
    "separator",
    "set",
    "show",
    "spatial",
    "straight_join",
    "table",
    "then",
    "to",
    "trailing",
    "trigger",
    "true",
    "union",
    "unique",
    "unlock",
    "unsigned",
    "update",
    "usage",
    "use",
    "using",
    "values",
    "when",
    "where",
    "window",
    "with",
    "write",
    "xor",
    "zerofill",
];

/// Units of INTERVAL and EXTRACT.
pub(super) const UNITS: &[&str] = &[
    "microsecond",
    "second",
    "minute",
    "hour",
    "day",
    "week",
    "month",
    "quarter",
    "year",
    "second_microsecond",
    "minute_microsecond",
    "minute_second",
    "hour_microsecond",
    "hour_second",
    "hour_minute",
    "day_microsecond",
    "day_second",
    "day_minute",
    "day_hour",
    "year_month",
];

pub(super) fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

/// Names written as words that are functions of no arguments without parentheses.
const NILADIC: &[&str] =
    &["current_timestamp", "current_date", "current_time", "localtimestamp", "current_user"];

/// A binary operator and how strongly it binds.
enum Infix {
    Binary(BinaryOp, u8),
    /// `->` (extract) and `->>` (extract and unquote).
    Json {
        unquote: bool,
    },
    Is,
    /// `[NOT] IN`, `[NOT] BETWEEN`, `[NOT] LIKE`, `[NOT] REGEXP`: NOT is eaten with them.
    Not,
    In,
    Between,
    Like,
    Regexp,
    Collate,
}

impl Infix {
    fn strength(&self) -> u8 {
        match self {
            Infix::Binary(_, strength) => *strength,
            Infix::Json { .. } | Infix::Collate => HIGHEST,
            _ => COMPARISON,
        }
    }
}

impl Parser<'_> {
    /// A whole expression.
    pub(super) fn expr(&mut self) -> Result<Expr, Error> {
        self.expr_above(0)
    }

    /// Expressions separated by commas.
    pub(super) fn expr_list(&mut self) -> Result<Vec<Expr>, Error> {
        let mut exprs = vec![self.expr()?];
        while self.eat_symbol(",") {
            exprs.push(self.expr()?);
        }
        Ok(exprs)
    }

    /// An expression of operators that bind more strongly than `strength`.
    pub(super) fn expr_above(&mut self, strength: u8) -> Result<Expr, Error> {
        self.enter()?;
        let mut left = self.prefix()?;
        while let Some(infix) = self.infix() {
            if infix.strength() <= strength {
                break;
            }
            left = self.apply_infix(infix, left)?;
        }
        self.leave();
        Ok(left)
    }

    /// The infix operator at the cursor, not eaten.
    fn infix(&self) -> Option<Infix> {
        let token = self.peek()?;
        Some(match &token.kind {
            Kind::Symbol(symbol) => match *symbol {
                "||" => Infix::Binary(BinaryOp::Or, OR),
                "&&" => Infix::Binary(BinaryOp::And, AND),
                "=" => Infix::Binary(BinaryOp::Eq, COMPARISON),
                "<=>" => Infix::Binary(BinaryOp::NullSafeEq, COMPARISON),
                "<>" | "!=" => Infix::Binary(BinaryOp::NotEq, COMPARISON),
                "<" => Infix::Binary(BinaryOp::Lt, COMPARISON),
                "<=" => Infix::Binary(BinaryOp::LtEq, COMPARISON),
                ">" => Infix::Binary(BinaryOp::Gt, COMPARISON),
                ">=" => Infix::Binary(BinaryOp::GtEq, COMPARISON),
                "|" => Infix::Binary(BinaryOp::BitOr, BIT_OR),
                "&" => Infix::Binary(BinaryOp::BitAnd, BIT_AND),
                "<<" => Infix::Binary(BinaryOp::ShiftLeft, SHIFT),
                ">>" => Infix::Binary(BinaryOp::ShiftRight, SHIFT),
                "+" => Infix::Binary(BinaryOp::Add, ADDITIVE),
                "-" => Infix::Binary(BinaryOp::Sub, ADDITIVE),
                "*" => Infix::Binary(BinaryOp::Mul, MULTIPLICATIVE),
                "/" => Infix::Binary(BinaryOp::Div, MULTIPLICATIVE),
                "%" => Infix::Binary(BinaryOp::Rem, MULTIPLICATIVE),
                "^" => Infix::Binary(BinaryOp::BitXor, BIT_XOR),
                "->" => Infix::Json { unquote: false },
                "->>" => Infix::Json { unquote: true },
                _ => return None,
            },
            Kind::Word => {
                let word = self.source(token).to_ascii_lowercase();
                match word.as_str() {
                    "or" => Infix::Binary(BinaryOp::Or, OR),
                    "xor" => Infix::Binary(BinaryOp::Xor, XOR),
                    "and" => Infix::Binary(BinaryOp::And, AND),
                    "div" => Infix::Binary(BinaryOp::IntDiv, MULTIPLICATIVE),
                    "mod" => Infix::Binary(BinaryOp::Rem, MULTIPLICATIVE),
                    "is" => Infix::Is,
                    "in" => Infix::In,
                    "between" => Infix::Between,
                    "like" => Infix::Like,
                    "regexp" | "rlike" => Infix::Regexp,
                    "collate" => Infix::Collate,
                    "not"
                        if ["in", "between", "like", "regexp", "rlike"]
                            .iter()
                            .any(|w| self.is_word_at(1, w)) =>
                    {
                        Infix::Not
                    }
                    "member" | "sounds" => Infix::Regexp,
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    fn apply_infix(&mut self, infix: Infix, left: Expr) -> Result<Expr, Error> {
        let operator = self.advance().expect("an infix operator was seen");
        let negated = matches!(infix, Infix::Not);
        let infix = if negated { self.infix().expect("NOT precedes an operator") } else { infix };
        if negated {
            self.advance();
        }
        Ok(match infix {
            Infix::Binary(op @ (BinaryOp::Add | BinaryOp::Sub), _) if self.is_word("interval") => {
                self.advance();
                let (amount, unit) = self.interval()?;
                let name = if op == BinaryOp::Add { "date_add" } else { "date_sub" };
                Expr::Function { name: name.into(), args: vec![left, amount, unit] }
            }
            Infix::Binary(op, strength) => {
                let quantified = ["any", "all", "some"].iter().any(|w| self.is_word(w));
                if quantified && self.peek_nth(1).is_some_and(|t| t.kind == Kind::Symbol("(")) {
                    let word = self.source(self.peek().expect("a word")).to_uppercase();
                    return unsupported(format!("comparisons with {word}"));
                }
                let right = self.expr_above(strength)?;
                Expr::Binary(op, Box::new(left), Box::new(right))
            }
            Infix::Json { unquote } => {
                let path = self.expr_above(HIGHEST)?;
                let extract =
                    Expr::Function { name: "json_extract".into(), args: vec![left, path] };
                if unquote {
                    Expr::Function { name: "json_unquote".into(), args: vec![extract] }
                } else {
                    extract
                }
            }
            Infix::Is => {
                let negated = self.eat_word("not");
                if self.eat_word("null") {
                    Expr::IsNull { expr: Box::new(left), negated }
                } else if self.eat_word("true") || self.eat_word("false") {
                    let value = self.source(&self.tokens[self.at - 1]).eq_ignore_ascii_case("true");
                    Expr::IsBool { expr: Box::new(left), value, negated }
                } else if self.eat_words(&["distinct", "from"]) {
                    let right = self.expr_above(COMPARISON)?;
                    let same = Expr::Binary(BinaryOp::NullSafeEq, Box::new(left), Box::new(right));
                    if negated {
                        same
                    } else {
                        Expr::Unary(UnaryOp::Not, Box::new(same))
                    }
                } else if self.is_word("unknown") {
                    return unsupported("IS UNKNOWN");
                } else {
                    return Err(self.expected("NULL, TRUE, FALSE or DISTINCT FROM after IS"));
                }
            }
            Infix::In => {
                self.expect_symbol("(")?;
                let expr = Box::new(left);
                if self.starts_query() {
                    let query = Box::new(self.query()?);
                    self.expect_symbol(")")?;
                    Expr::InSubquery { expr, query, negated }
                } else {
                    let list = self.expr_list()?;
                    self.expect_symbol(")")?;
                    Expr::InList { expr, list, negated }
                }
            }
            Infix::Between => {
                let low = self.expr_above(COMPARISON)?;
                self.expect_word("and")?;
                let high = self.expr_above(COMPARISON)?;
                Expr::Between {
                    expr: Box::new(left),
                    low: Box::new(low),
                    high: Box::new(high),
                    negated,
                }
            }
            Infix::Like => {
                let pattern = self.expr_above(COMPARISON)?;
                let escape = if self.eat_word("escape") {
                    match self.expr_above(UNARY)? {
                        Expr::Literal(Datum::Text(text)) if text.chars().count() == 1 => {
                            text.chars().next()
                        }
                        _ => {
                            return Err(Error::new(
                                ErrorKind::BadValue,
                                "ESCAPE takes a single character",
                            ))
                        }
                    }
                } else {
                    None
                };
                Expr::Like { expr: Box::new(left), pattern: Box::new(pattern), escape, negated }
            }
            Infix::Regexp => {
                return unsupported(format!(
                    "the operator {}",
                    self.source(operator).to_uppercase()
                ))
            }
            Infix::Collate => {
                self.name()?;
                left
            }
            Infix::Not => unreachable!("NOT was replaced by the operator it negates"),
        })
    }

    /// An operand: a literal, a name, a prefix operator and its operand, a parenthesised
    /// expression or subquery, or one of the forms with grammar of their own.
    fn prefix(&mut self) -> Result<Expr, Error> {
        let Some(token) = self.peek() else {
            return Err(self.expected("an expression"));
        };
        match &token.kind {
            Kind::Number => {
                self.advance();
                Ok(Expr::Literal(number_literal(self.source(token))?))
            }
            Kind::Text { value, .. } => {
                self.advance();
                Ok(Expr::Literal(Datum::Text(value.clone())))
            }
            Kind::Hex(digits) => {
                self.advance();
                Ok(Expr::Literal(Datum::Bytes(parse_hex(digits)?)))
            }
            Kind::Bits(digits) => {
                self.advance();
                Ok(Expr::Literal(Datum::Bytes(parse_bits(digits))))
            }
            Kind::Param => {
                self.advance();
                self.param()
            }
            Kind::UserVariable(name) => {
                self.advance();
                Ok(Expr::UserVariable(name.to_lowercase()))
            }
            Kind::SystemVariable(name) => {
                self.advance();
                let lower = name.to_lowercase();
                Ok(match lower.split_once('.') {
                    Some(("global", var)) => {
                        Expr::SystemVariable { name: var.into(), global: true }
                    }
                    Some(("session" | "local", var)) => {
                        Expr::SystemVariable { name: var.into(), global: false }
                    }
                    _ => Expr::SystemVariable { name: lower, global: false },
                })
            }
            Kind::Symbol("(") => {
                self.advance();
                // `((SELECT …))` is the subquery in parentheses, read at the inner ones.
                if self.is_word("select") || self.is_word("with") || self.is_word("values") {
                    let query = self.query()?;
                    self.expect_symbol(")")?;
                    return Ok(Expr::Subquery(Box::new(query)));
                }
                let mut exprs = self.expr_list()?;
                self.expect_symbol(")")?;
                Ok(if exprs.len() == 1 {
                    exprs.pop().expect("one expression")
                } else {
                    Expr::Row(exprs)
                })
            }
            Kind::Symbol(op @ ("-" | "+" | "~" | "!")) => {
                self.advance();
                let strength = if *op == "!" { HIGHEST } else { UNARY };
                let inner = self.expr_above(strength - 1)?;
                Ok(match *op {
                    "-" => match inner {
                        Expr::Literal(Datum::Int(n)) if n != i64::MIN => {
                            Expr::Literal(Datum::Int(-n))
                        }
                        Expr::Literal(Datum::UInt(n)) if n == 1 << 63 => {
                            Expr::Literal(Datum::Int(i64::MIN))
                        }
                        other => Expr::Unary(UnaryOp::Neg, Box::new(other)),
                    },
                    "+" => inner,
                    "~" => Expr::Unary(UnaryOp::BitNot, Box::new(inner)),
                    _ => Expr::Unary(UnaryOp::Not, Box::new(inner)),
                })
            }
            Kind::Quoted(_) => self.name_expr(),
            Kind::Word => self.word_expr(),
            Kind::Symbol(_) => Err(self.expected("an expression")),
        }
    }

    /// An expression that starts with a word: a keyword's form, a function call, a name.
    fn word_expr(&mut self) -> Result<Expr, Error> {
        let token = self.peek().expect("a word");
        let word = self.source(token).to_ascii_lowercase();
        let call = self.peek_nth(1).is_some_and(|t| t.kind == Kind::Symbol("("));
        let typed_string = matches!(self.peek_nth(1).map(|t| &t.kind), Some(Kind::Text { .. }));
        match word.as_str() {
            "null" => {
                self.advance();
                return Ok(Expr::Literal(Datum::Null));
            }
            "true" | "false" => {
                self.advance();
                return Ok(Expr::Literal(Datum::Int(i64::from(word == "true"))));
            }
            "not" => {
                self.advance();
                if self.eat_word("exists") {
                    return self.exists(true);
                }
                let inner = self.expr_above(NOT)?;
                return Ok(Expr::Unary(UnaryOp::Not, Box::new(inner)));
            }
            "exists" => {
                self.advance();
                return self.exists(false);
            }
            "case" => {
                self.advance();
                return self.case();
            }
            "interval" => return unsupported("INTERVAL outside DATE_ADD / DATE_SUB / + and -"),
            "default" if !call => {
                self.advance();
                return Ok(Expr::Default);
            }
            "date" | "time" | "timestamp" | "datetime" if typed_string => {
                self.advance();
                let Some(Kind::Text { value, .. }) = self.advance().map(|t| &t.kind) else {
                    unreachable!("a string follows")
                };
                let to = cast_type(&word.to_uppercase())?;
                return Ok(Expr::Cast {
                    expr: Box::new(Expr::Literal(Datum::Text(value.clone()))),
                    to,
                });
            }
            "n" | "_utf8mb4" | "_utf8" | "_binary" | "_latin1" if typed_string => {
                return unsupported(format!(
                    "the character set introducer {}",
                    word.to_uppercase()
                ));
            }
            "match" if call => return unsupported("MATCH ... AGAINST"),
            _ if NILADIC.contains(&word.as_str()) => {
                self.advance();
                let args = if self.eat_symbol("(") { self.call_args_plain()? } else { Vec::new() };
                return Ok(Expr::Function { name: word, args });
            }
            _ => {}
        }
        if call {
            self.advance();
            self.advance();
            return self.call(word);
        }
        self.name_expr()
    }

    /// A name: `column`, `table.column` or `db.table.column`; a name followed by `(` is a
    /// qualified function call.
    fn name_expr(&mut self) -> Result<Expr, Error> {
        let first = self.name()?;
        if !self.is_symbol(".") {
            return Ok(Expr::Column(ColumnRef { table: None, column: first }));
        }
        let mut parts = vec![first];
        while self.eat_symbol(".") {
            if self.is_symbol("*") {
                return Err(self.expected("a column name"));
            }
            parts.push(self.any_name()?);
        }
        if self.eat_symbol("(") {
            let name = parts.pop().expect("a function name").to_lowercase();
            return self.call(name);
        }
        match parts.as_slice() {
            [table, column] | [_, table, column] => {
                Ok(Expr::Column(ColumnRef { table: Some(table.clone()), column: column.clone() }))
            }
            _ => unsupported(format!("the name {}", parts.join("."))),
        }
    }

    /// A name: a word that is not reserved, or any quoted name.
    pub(super) fn name(&mut self) -> Result<String, Error> {
        match self.peek().map(|t| &t.kind) {
            Some(Kind::Quoted(name)) => {
                self.advance();
                Ok(name.clone())
            }
            Some(Kind::Word) if !is_reserved(self.source(self.peek().expect("a word"))) => {
                let token = self.advance().expect("a word");
                Ok(self.source(token).to_string())
            }
            _ => Err(self.expected("a name")),
        }
    }

    /// A name after a period, where MySQL takes reserved words as names too.
    pub(super) fn any_name(&mut self) -> Result<String, Error> {
        match self.peek().map(|t| &t.kind) {
            Some(Kind::Word) => {
                let token = self.advance().expect("a word");
                Ok(self.source(token).to_string())
            }
            _ => self.name(),
        }
    }

    fn param(&mut self) -> Result<Expr, Error> {
        let number = self.next_param;
        self.next_param += 1;
        match self.params {
            Params::Prepared => Ok(Expr::Param(number)),
            Params::Values(values) => match values.get(number) {
                Some(value) => Ok(Expr::Literal(value.clone())),
                None => Err(Error::new(
                    ErrorKind::Parameters,
                    format!("no value for parameter {}", number + 1),
                )),
            },
        }
    }

    /// Whether a query starts at the cursor (inside parentheses just opened).
    pub(super) fn starts_query(&self) -> bool {
        self.is_word("select")
            || self.is_word("with")
            || self.is_word("values")
            || (self.is_symbol("(") && self.parenthesised_query_at(self.at))
    }

    /// Whether the `(` at token `at` opens parentheses around a query (after any more `(`).
    pub(super) fn parenthesised_query_at(&self, mut at: usize) -> bool {
        while self.tokens.get(at).is_some_and(|t| t.kind == Kind::Symbol("(")) {
            at += 1;
        }
        self.tokens.get(at).is_some_and(|t| {
            t.kind == Kind::Word
                && ["select", "with", "values"]
                    .iter()
                    .any(|w| self.source(t).eq_ignore_ascii_case(w))
        })
    }

    fn exists(&mut self, negated: bool) -> Result<Expr, Error> {
        self.expect_symbol("(")?;
        let query = self.query()?;
        self.expect_symbol(")")?;
        Ok(Expr::Exists { query: Box::new(query), negated })
    }

    fn case(&mut self) -> Result<Expr, Error> {
        let operand = if self.is_word("when") { None } else { Some(Box::new(self.expr()?)) };
        let mut whens = Vec::new();
        while self.eat_word("when") {
            let condition = self.expr()?;
            self.expect_word("then")?;
            whens.push((condition, self.expr()?));
        }
        if whens.is_empty() {
            return Err(self.expected("WHEN"));
        }
        let otherwise = if self.eat_word("else") { Some(Box::new(self.expr()?)) } else { None };
        self.expect_word("end")?;
        Ok(Expr::Case { operand, whens, otherwise })
    }

    /// `INTERVAL amount unit`, after INTERVAL, as the (amount, unit) arguments of DATE_ADD
    /// and DATE_SUB.
    pub(super) fn interval(&mut self) -> Result<(Expr, Expr), Error> {
        let amount = self.expr_above(COMPARISON)?;
        let unit = match self.peek() {
            Some(t) if t.kind == Kind::Word => self.source(t).to_ascii_lowercase(),
            _ => return unsupported("INTERVAL without a unit"),
        };
        if !UNITS.contains(&unit.as_str()) {
            return Err(self.expected("an interval unit"));
        }
        self.advance();
        Ok((amount, Expr::Literal(Datum::Text(unit))))
    }

    /// A function call after `name(`.
    fn call(&mut self, name: String) -> Result<Expr, Error> {
        let expr = match name.as_str() {
            "cast" => {
                let expr = self.expr()?;
                self.expect_word("as")?;
                let to = cast_type(&self.type_text()?)?;
                Expr::Cast { expr: Box::new(expr), to }
            }
            "convert" => {
                let expr = self.expr()?;
                if self.eat_word("using") {
                    return unsupported("CONVERT ... USING");
                }
                self.expect_symbol(",")?;
                let to = cast_type(&self.type_text()?)?;
                Expr::Cast { expr: Box::new(expr), to }
            }
            "extract" => {
                let unit = match self.peek() {
                    Some(t) if t.kind == Kind::Word => self.source(t).to_ascii_lowercase(),
                    _ => return Err(self.expected("a unit")),
                };
                self.advance();
                self.expect_word("from")?;
                let expr = self.expr()?;
                Expr::Function { name, args: vec![Expr::Literal(Datum::Text(unit)), expr] }
            }
            "position" => {
                let needle = self.expr_above(COMPARISON)?;
                self.expect_word("in")?;
                let haystack = self.expr()?;
                Expr::Function { name: "locate".into(), args: vec![needle, haystack] }
            }
            "substring" | "substr" => {
                let mut args = vec![self.expr()?];
                let separated = self.eat_symbol(",");
                if separated || self.eat_word("from") {
                    args.push(self.expr()?);
                } else {
                    args.push(Expr::Literal(Datum::Int(1)));
                }
                if (separated && self.eat_symbol(",")) || (!separated && self.eat_word("for")) {
                    args.push(self.expr()?);
                }
                Expr::Function { name: "substring".into(), args }
            }
            "trim" => self.trim()?,
            "ceil" | "floor" => {
                let args = vec![self.expr()?];
                if self.is_symbol(",") {
                    return unsupported(format!("{}(x, scale)", name.to_uppercase()));
                }
                Expr::Function { name, args }
            }
            _ => return self.general_call(name),
        };
        self.expect_symbol(")")?;
        Ok(expr)
    }

    /// `TRIM([[BOTH | LEADING | TRAILING] [what] FROM] subject)`, after `TRIM(`.
    fn trim(&mut self) -> Result<Expr, Error> {
        let place = ["both", "leading", "trailing"].into_iter().find(|p| self.eat_word(p));
        if place.is_some() && self.eat_word("from") {
            let subject = self.expr()?;
            let space = Expr::Literal(Datum::Text(" ".into()));
            return Ok(trim_call(subject, Some(space), place));
        }
        let first = self.expr()?;
        if self.eat_word("from") {
            let subject = self.expr()?;
            return Ok(trim_call(subject, Some(first), place));
        }
        if place.is_some() {
            return Err(self.expected("FROM"));
        }
        if self.is_symbol(",") {
            return unsupported("TRIM(x, characters)");
        }
        Ok(trim_call(first, None, None))
    }

    /// Arguments that are plain expressions up to `)`, which is eaten.
    pub(super) fn call_args_plain(&mut self) -> Result<Vec<Expr>, Error> {
        if self.eat_symbol(")") {
            return Ok(Vec::new());
        }
        let args = self.expr_list()?;
        self.expect_symbol(")")?;
        Ok(args)
    }

    /// A call of a function or an aggregate after `name(`, up to and with `)`.
    fn general_call(&mut self, name: String) -> Result<Expr, Error> {
        let aggregate = match name.as_str() {
            "count" => Some(Aggregate::Count),
            "sum" => Some(Aggregate::Sum),
            "avg" => Some(Aggregate::Avg),
            "min" => Some(Aggregate::Min),
            "max" => Some(Aggregate::Max),
            "group_concat" => Some(Aggregate::GroupConcat),
            _ => None,
        };
        let distinct = self.eat_word("distinct");
        if !distinct {
            self.eat_word("all");
        }
        let mut args = Vec::new();
        let mut star = false;
        if !self.is_symbol(")") {
            loop {
                if self.eat_symbol("*") {
                    star = true;
                } else if self.eat_word("interval") {
                    let (amount, unit) = self.interval()?;
                    args.push(amount);
                    args.push(unit);
                } else {
                    args.push(self.expr()?);
                }
                if !self.eat_symbol(",") {
                    break;
                }
            }
        }
        let mut separator = None;
        let mut order_by = Vec::new();
        let mut clauses = false;
        loop {
            if self.eat_words(&["order", "by"]) {
                if aggregate != Some(Aggregate::GroupConcat) {
                    return unsupported("the aggregate clause ORDER BY");
                }
                order_by = self.order_items()?;
            } else if self.eat_word("separator") {
                match self.advance().map(|t| &t.kind) {
                    Some(Kind::Text { value, double: false }) => separator = Some(value.clone()),
                    Some(Kind::Text { double: true, .. }) => {
                        return unsupported("a SEPARATOR in double quotes")
                    }
                    _ => {
                        self.at -= 1;
                        return Err(self.expected("a string after SEPARATOR"));
                    }
                }
            } else {
                break;
            }
            clauses = true;
        }
        self.expect_symbol(")")?;
        if self.is_word("over") {
            return unsupported("window functions");
        }
        if let Some(aggregate) = aggregate {
            let function = match (aggregate, star) {
                (Aggregate::Count, true) => Aggregate::CountRows,
                (_, true) => return unsupported(format!("{}(*)", name.to_uppercase())),
                (other, false) => other,
            };
            let arity_ok = match function {
                Aggregate::CountRows => args.is_empty(),
                Aggregate::GroupConcat | Aggregate::Count => !args.is_empty(),
                _ => args.len() == 1,
            };
            if !arity_ok {
                return Err(Error::new(
                    ErrorKind::WrongArgumentCount,
                    format!("Incorrect parameter count in the call to native function '{name}'"),
                ));
            }
            let separator = separator.unwrap_or_else(|| ",".to_string());
            return Ok(Expr::Aggregate { function, distinct, args, separator, order_by });
        }
        if let ("timestampdiff" | "timestampadd", Some(Expr::Column(unit))) =
            (name.as_str(), args.first())
        {
            // The unit is a bare word (`TIMESTAMPDIFF(MONTH, a, b)`), not a column.
            if unit.table.is_none() {
                args[0] = Expr::Literal(Datum::Text(unit.column.to_uppercase()));
            }
        }
        if name == "values" {
            // `VALUES(col)` in ON DUPLICATE KEY UPDATE: the value the insert tried to write.
            if let [Expr::Column(ColumnRef { column, .. })] = args.as_slice() {
                return Ok(Expr::InsertedValue(column.clone()));
            }
        }
        if star || distinct || clauses {
            return unsupported(format!("this form of {}()", name.to_uppercase()));
        }
        Ok(Expr::Function { name, args })
    }

    /// The text of a type after CAST's AS or CONVERT's comma: its words and numbers, upper
    /// case, as `cast_type` reads them.
    fn type_text(&mut self) -> Result<String, Error> {
        let start = self.at;
        let mut words = 0;
        while self.peek().is_some_and(|t| t.kind == Kind::Word)
            && !self.is_word("character")
            && !self.is_word("charset")
        {
            self.advance();
            words += 1;
        }
        if words == 0 {
            return Err(self.expected("a type"));
        }
        if self.eat_symbol("(") {
            while !self.eat_symbol(")") {
                if self.advance().is_none() {
                    return Err(self.expected("')'"));
                }
            }
        }
        let text = self.text_since(start);
        if self.eat_words(&["character", "set"]) || self.eat_word("charset") {
            self.name()?;
        }
        Ok(text)
    }
}

fn trim_call(subject: Expr, what: Option<Expr>, place: Option<&str>) -> Expr {
    let Some(what) = what else {
        return Expr::Function { name: "trim".into(), args: vec![subject] };
    };
    let place = Expr::Literal(Datum::Text(place.unwrap_or("both").into()));
    Expr::Function { name: "trim".into(), args: vec![subject, what, place] }
}

/// The value of a number as written: an integer if it is one, else an exact decimal, else a
/// double.
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

/// `B'…'`: the bits as bytes, the first byte padded with zeros on the left, as MySQL reads them.
fn parse_bits(bits: &str) -> Vec<u8> {
    let padding = (8 - bits.len() % 8) % 8;
    let padded: Vec<u8> = std::iter::repeat_n(b'0', padding).chain(bits.bytes()).collect();
    padded.chunks(8).map(|byte| byte.iter().fold(0u8, |acc, b| (acc << 1) | (b - b'0'))).collect()
}
