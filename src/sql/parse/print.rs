//! SQL text rebuilt from tokens, for what Cambium keeps as text beside the tree: column
//! headings, DEFAULT and CHECK expressions stored in schemas, type names. The spelling is
//! canonical — keywords in upper case, one space between words and around binary operators,
//! none inside parentheses, `, ` between list items, strings in single quotes — so that the
//! same expression gives the same text however it was written, and reads back as the same
//! tree.

use super::expr::UNITS;
use super::lex::{Kind, Token};

/// Words printed in upper case wherever they stand: keywords that cannot be names unquoted.
const KEYWORDS: &[&str] = &[
    "all",
    "and",
    "as",
    "asc",
    "between",
    "both",
    "by",
    "case",
    "collate",
    "cross",
    "desc",
    "distinct",
    "div",
    "else",
    "end",
    "escape",
    "exists",
    "for",
    "from",
    "group",
    "having",
    "in",
    "inner",
    "interval",
    "is",
    "join",
    "leading",
    "like",
    "limit",
    "not",
    "null",
    "offset",
    "on",
    "or",
    "order",
    "outer",
    "regexp",
    "rlike",
    "select",
    "separator",
    "then",
    "trailing",
    "union",
    "using",
    "when",
    "where",
    "xor",
    "except",
    "intersect",
    "values",
    "with",
    "recursive",
    "unknown",
    "character",
    "set",
];

/// Words of functions with grammar of their own, printed in upper case before `(`.
const SPECIAL_FUNCTIONS: &[&str] =
    &["cast", "convert", "extract", "position", "substring", "substr", "trim", "ceil", "floor"];

/// Keywords after which `(` opens an operand, with a space before it, and after which `-`
/// and `+` are signs.
const OPERATOR_WORDS: &[&str] = &[
    "and",
    "or",
    "xor",
    "not",
    "in",
    "exists",
    "when",
    "then",
    "else",
    "case",
    "select",
    "where",
    "by",
    "between",
    "like",
    "is",
    "interval",
    "div",
    "mod",
    "on",
    "having",
    "limit",
    "offset",
    "escape",
    "distinct",
    "all",
    "from",
    "as",
    "separator",
    "using",
    "for",
    "union",
    "except",
    "intersect",
    "regexp",
    "rlike",
    "return",
];

fn is_in(list: &[&str], word: &str) -> bool {
    list.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// What a pair of parentheses holds, for the printing of types inside CAST and CONVERT.
#[derive(Clone, Copy, PartialEq)]
enum Parens {
    Other,
    /// CAST's or CONVERT's arguments; `true` once the type has begun.
    Cast {
        convert: bool,
        in_type: bool,
    },
}

/// The text of `tokens` of `script`, spelled canonically.
pub(super) fn text(script: &str, tokens: &[Token]) -> String {
    let mut out = String::new();
    let mut stack: Vec<Parens> = Vec::new();
    let mut in_type = false;
    for (at, token) in tokens.iter().enumerate() {
        let was_in_type = in_type;
        let source = &script[token.start..token.end];
        let prev = at.checked_sub(1).map(|p| &tokens[p]);
        let prev_source = prev.map(|p| &script[p.start..p.end]);
        let next_is_open = tokens.get(at + 1).is_some_and(|t| t.kind == Kind::Symbol("("));
        let binary_position = prev.is_some_and(|p| ends_operand(script, p));
        // The type of CAST begins after AS, CONVERT's after its comma.
        if let Some(Parens::Cast { convert, in_type: false }) = stack.last().copied() {
            let begins = if convert {
                prev.is_some_and(|p| p.kind == Kind::Symbol(","))
            } else {
                prev_source.is_some_and(|p| p.eq_ignore_ascii_case("as"))
                    && prev.is_some_and(|p| p.kind == Kind::Word)
            };
            if begins {
                *stack.last_mut().expect("a context") = Parens::Cast { convert, in_type: true };
            }
        }
        in_type = in_type || matches!(stack.last(), Some(Parens::Cast { in_type: true, .. }));
        let spelled = match &token.kind {
            Kind::Word => {
                let lower = source.to_ascii_lowercase();
                if in_type {
                    source.to_uppercase()
                } else if lower == "true" || lower == "false" {
                    lower
                } else if lower == "mod" && binary_position && !next_is_open {
                    "%".to_string()
                } else if next_is_open && is_in(SPECIAL_FUNCTIONS, &lower) {
                    source.to_uppercase()
                } else if next_is_open && !is_in(OPERATOR_WORDS, &lower) {
                    source.to_string()
                } else if is_in(KEYWORDS, &lower)
                    || (is_in(UNITS, &lower) && follows_interval_or_extract(script, tokens, at))
                    || (is_in(&["date", "time", "timestamp", "datetime"], &lower)
                        && matches!(tokens.get(at + 1).map(|t| &t.kind), Some(Kind::Text { .. })))
                {
                    source.to_uppercase()
                } else {
                    source.to_string()
                }
            }
            Kind::Quoted(name) => format!("`{}`", name.replace('`', "``")),
            Kind::Text { value, double } => quote_string(value, *double),
            Kind::Hex(digits) => format!("X'{digits}'"),
            Kind::Bits(digits) => format!("B'{digits}'"),
            Kind::Symbol("!=") => "<>".to_string(),
            Kind::Symbol("&&") => "AND".to_string(),
            Kind::Symbol("||") => "OR".to_string(),
            Kind::Number | Kind::Param | Kind::UserVariable(_) | Kind::SystemVariable(_) => {
                source.to_string()
            }
            Kind::Symbol(symbol) => symbol.to_string(),
        };
        let space = match prev {
            None => false,
            Some(p) => space_between(script, tokens, at, p, token, was_in_type),
        };
        if space {
            out.push(' ');
        }
        out.push_str(&spelled);
        match token.kind {
            Kind::Symbol("(") => {
                let cast = prev.is_some_and(|p| {
                    p.kind == Kind::Word && is_in(&["cast", "convert"], &script[p.start..p.end])
                });
                let convert = prev_source.is_some_and(|p| p.eq_ignore_ascii_case("convert"));
                stack.push(if cast && !in_type {
                    Parens::Cast { convert, in_type: false }
                } else {
                    Parens::Other
                });
            }
            Kind::Symbol(")") => {
                if let Some(Parens::Cast { in_type: true, .. }) = stack.pop() {
                    in_type = false;
                }
            }
            _ => {}
        }
    }
    out
}

/// Whether `token` ends an operand, so that `-` or `+` after it is binary.
fn ends_operand(script: &str, token: &Token) -> bool {
    match &token.kind {
        Kind::Symbol(symbol) => *symbol == ")",
        Kind::Word => !is_in(OPERATOR_WORDS, &script[token.start..token.end]),
        _ => true,
    }
}

/// Whether a space goes between `prev` and `token` (at index `at`).
fn space_between(
    script: &str,
    tokens: &[Token],
    at: usize,
    prev: &Token,
    token: &Token,
    in_type: bool,
) -> bool {
    let sign = |t: &Token, i: usize| match t.kind {
        Kind::Symbol("~" | "!") => true,
        Kind::Symbol("-" | "+") => {
            i.checked_sub(1).is_none_or(|p| !ends_operand(script, &tokens[p]))
        }
        _ => false,
    };
    match (&prev.kind, &token.kind) {
        (_, Kind::Symbol(")" | ",")) | (Kind::Symbol("(" | "."), _) | (_, Kind::Symbol(".")) => {
            false
        }
        (Kind::Symbol(","), _) => !in_type,
        (_, Kind::Symbol("(")) => match prev.kind {
            // MOD and DIV are operators after an operand, else function names.
            Kind::Word if is_in(&["mod", "div"], &script[prev.start..prev.end]) => {
                at >= 2 && ends_operand(script, &tokens[at - 2])
            }
            Kind::Word => is_in(OPERATOR_WORDS, &script[prev.start..prev.end]),
            Kind::Quoted(_) => false,
            _ => !sign(prev, at - 1),
        },
        _ => !sign(prev, at - 1),
    }
}

/// Whether the unit word at `at` is the unit of `INTERVAL amount unit` or `EXTRACT(unit`.
fn follows_interval_or_extract(script: &str, tokens: &[Token], at: usize) -> bool {
    let word = |i: usize, w: &str| {
        tokens
            .get(i)
            .is_some_and(|t| t.kind == Kind::Word && script[t.start..t.end].eq_ignore_ascii_case(w))
    };
    at >= 2 && (word(at - 2, "interval") || word(at - 2, "extract"))
}

/// A string literal that reads back as `value`: in its quotes, the quote doubled and the
/// backslash escaped (but before `%` and `_`, which keep it when read).
fn quote_string(value: &str, double: bool) -> String {
    let quote = if double { '"' } else { '\'' };
    let mut out = String::with_capacity(value.len() + 2);
    out.push(quote);
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if !matches!(chars.peek(), Some('%' | '_')) => out.push_str("\\\\"),
            c if c == quote => {
                out.push(quote);
                out.push(quote);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// The heading MySQL shows for an unaliased select item: a column's own name, else the
/// expression's text.
pub(super) fn column_text(script: &str, tokens: &[Token]) -> String {
    let name = |t: &Token| match &t.kind {
        Kind::Word => Some(script[t.start..t.end].to_string()),
        Kind::Quoted(name) => Some(name.clone()),
        _ => None,
    };
    // `a`, `t.a`, `db.t.a`: names separated by periods.
    let names_only = tokens.len() % 2 == 1
        && tokens.iter().enumerate().all(|(i, t)| {
            if i % 2 == 1 {
                t.kind == Kind::Symbol(".")
            } else {
                name(t).is_some()
            }
        });
    let literal = |t: &Token| {
        t.kind == Kind::Word && is_in(&["null", "true", "false"], &script[t.start..t.end])
    };
    if names_only && !literal(&tokens[0]) {
        return name(tokens.last().expect("a name")).expect("a name");
    }
    if let [Token { kind: Kind::SystemVariable(name), start, .. }] = tokens {
        if let Some((_, variable)) = name.split_once('.') {
            return variable.to_string();
        }
        return script[*start..start + 2 + name.len()].to_string();
    }
    text(script, tokens)
}

/// A type's text: its words in upper case, its arguments in parentheses without spaces.
pub(super) fn type_text(script: &str, tokens: &[Token]) -> String {
    let mut out = String::new();
    for (at, token) in tokens.iter().enumerate() {
        let spelled = match &token.kind {
            Kind::Word => script[token.start..token.end].to_uppercase(),
            Kind::Text { value, double } => quote_string(value, *double),
            Kind::Quoted(name) => format!("`{}`", name.replace('`', "``")),
            _ => script[token.start..token.end].to_string(),
        };
        let joined = at == 0
            || matches!(token.kind, Kind::Symbol("(" | ")" | ","))
            || matches!(tokens[at - 1].kind, Kind::Symbol("(" | ","));
        if !joined {
            out.push(' ');
        }
        out.push_str(&spelled);
    }
    out
}
