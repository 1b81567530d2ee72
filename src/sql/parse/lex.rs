//! The lexer: MySQL's lexical rules, turning a script's text into tokens that remember where
//! they stand, so that errors can name a line and column and printed texts can be rebuilt.

use super::super::error::{Error, ErrorKind};

/// What a token is. Words and numbers keep no text of their own: it is the script's, at the
/// token's span.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Kind {
    /// An unquoted name or keyword.
    Word,
    /// A `` `quoted` `` name, its doubled backticks undone.
    Quoted(String),
    /// A '…' or "…" string, its escapes undone; `double` when written in double quotes.
    /// Adjacent strings are one token, as MySQL joins them.
    Text { value: String, double: bool },
    /// An integer or decimal number, with or without an exponent.
    Number,
    /// `X'…'` or `0x…`: the hexadecimal digits.
    Hex(String),
    /// `B'…'` or `0b…`: the binary digits.
    Bits(String),
    /// `?`.
    Param,
    /// `@name`: the name.
    UserVariable(String),
    /// `@@name` or `@@scope.name`: the text after `@@`.
    SystemVariable(String),
    /// An operator or punctuation mark.
    Symbol(&'static str),
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Token {
    pub kind: Kind,
    /// Byte offsets of the token in the script.
    pub start: usize,
    pub end: usize,
}

/// Operators and punctuation, longest first so that the first match is the right one.
const SYMBOLS: &[&str] = &[
    "<=>", "->>", "<=", ">=", "<>", "!=", "<<", ">>", "||", "&&", ":=", "->", "(", ")", ",", ".",
    ";", "+", "-", "*", "/", "%", "=", "<", ">", "&", "|", "^", "~", "!",
];

/// Line and column (both from 1, the column in characters) of byte `offset` of `text`.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// A syntax error at byte `offset` of `text`.
pub(super) fn error_at(text: &str, offset: usize, message: &str) -> Error {
    let (line, column) = line_column(text, offset);
    Error::new(
        ErrorKind::Syntax,
        format!("syntax error at line {line}, column {column}: {message}"),
    )
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Splits `text` into tokens; comments and white space are dropped. The contents of
/// `/*! … */` comments are read as SQL, as MySQL reads them.
pub(super) fn tokenize(text: &str) -> Result<Vec<Token>, Error> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::with_capacity(text.len() / 3);
    let mut at = 0;
    let mut in_hint = false;
    while at < bytes.len() {
        let b = bytes[at];
        let start = at;
        let kind = match b {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                at += 1;
                continue;
            }
            b'#' => {
                at = line_end(bytes, at);
                continue;
            }
            b'-' if bytes.get(at + 1) == Some(&b'-')
                && bytes.get(at + 2).is_none_or(|c| c.is_ascii_whitespace() || *c < b' ') =>
            {
                at = line_end(bytes, at);
                continue;
            }
            b'/' if bytes.get(at + 1) == Some(&b'*') => {
                if bytes.get(at + 2) == Some(&b'!') && !in_hint {
                    // A versioned comment: its text is SQL for every version this reads.
                    at += 3;
                    while bytes.get(at).is_some_and(u8::is_ascii_digit) {
                        at += 1;
                    }
                    in_hint = true;
                    continue;
                }
                let Some(close) = text[at + 2..].find("*/") else {
                    return Err(error_at(text, start, "the comment is not closed"));
                };
                at += 2 + close + 2;
                continue;
            }
            b'*' if in_hint && bytes.get(at + 1) == Some(&b'/') => {
                in_hint = false;
                at += 2;
                continue;
            }
            b'\'' | b'"' => {
                let (mut value, mut end) = read_string(text, at)?;
                // MySQL joins adjacent strings: 'a' 'b' is 'ab'.
                loop {
                    let mut next = end;
                    while bytes.get(next).is_some_and(u8::is_ascii_whitespace) {
                        next += 1;
                    }
                    if !matches!(bytes.get(next), Some(b'\'' | b'"')) {
                        break;
                    }
                    let (more, after) = read_string(text, next)?;
                    value.push_str(&more);
                    end = after;
                }
                at = end;
                Kind::Text { value, double: b == b'"' }
            }
            b'`' => {
                let (value, end) = read_quoted(text, at, b'`')?;
                at = end;
                Kind::Quoted(value)
            }
            b'?' => {
                at += 1;
                Kind::Param
            }
            b'@' => {
                at += 1;
                let system = bytes.get(at) == Some(&b'@');
                if system {
                    at += 1;
                }
                let name_start = at;
                let name = match bytes.get(at) {
                    Some(&q @ (b'`' | b'\'' | b'"')) if !system => {
                        let (value, end) = read_quoted(text, at, q)?;
                        at = end;
                        value
                    }
                    _ => {
                        while bytes.get(at).is_some_and(|&c| is_word_byte(c) || c == b'.') {
                            at += 1;
                        }
                        text[name_start..at].to_string()
                    }
                };
                if name.is_empty() {
                    return Err(error_at(text, start, "a variable needs a name after '@'"));
                }
                if system {
                    Kind::SystemVariable(name)
                } else {
                    Kind::UserVariable(name)
                }
            }
            b'x' | b'X' | b'b' | b'B' if bytes.get(at + 1) == Some(&b'\'') => {
                let (digits, end) = read_quoted(text, at + 1, b'\'')?;
                at = end;
                prefixed_literal(text, start, b, digits)?
            }
            b'0' if matches!(bytes.get(at + 1), Some(b'x' | b'b'))
                && bytes.get(at + 2).is_some_and(u8::is_ascii_alphanumeric) =>
            {
                let mut end = at + 2;
                while bytes.get(end).is_some_and(|&c| is_word_byte(c)) {
                    end += 1;
                }
                let digits = &text[at + 2..end];
                let valid = if bytes[at + 1] == b'x' {
                    digits.bytes().all(|c| c.is_ascii_hexdigit())
                } else {
                    digits.bytes().all(|c| c == b'0' || c == b'1')
                };
                at = end;
                if valid {
                    prefixed_literal(text, start, bytes[start + 1], digits.to_string())?
                } else {
                    // `0xyz` is a name, as in MySQL.
                    Kind::Word
                }
            }
            b'0'..=b'9' | b'.'
                if b != b'.'
                    || (bytes.get(at + 1).is_some_and(u8::is_ascii_digit)
                        && !after_name(&tokens, at)) =>
            {
                at = number_end(bytes, at);
                if bytes.get(at).is_some_and(|&c| is_word_byte(c)) && b != b'.' {
                    // Names may start with digits (`1st`); a number runs into letters only then.
                    while bytes.get(at).is_some_and(|&c| is_word_byte(c)) {
                        at += 1;
                    }
                    if text[start..at].bytes().all(|c| c.is_ascii_digit() || c == b'.') {
                        Kind::Number
                    } else {
                        Kind::Word
                    }
                } else {
                    Kind::Number
                }
            }
            _ if is_word_byte(b) => {
                while bytes.get(at).is_some_and(|&c| is_word_byte(c)) {
                    at += 1;
                }
                Kind::Word
            }
            _ => {
                let Some(symbol) = SYMBOLS.iter().find(|s| text[at..].starts_with(**s)) else {
                    let c = text[at..].chars().next().unwrap_or_default();
                    return Err(error_at(text, start, &format!("unexpected character '{c}'")));
                };
                at += symbol.len();
                Kind::Symbol(symbol)
            }
        };
        tokens.push(Token { kind, start, end: at });
    }
    Ok(tokens)
}

/// Whether the token before offset `at` is a name that ends there, so that a period at `at`
/// qualifies it (`t.1a`) instead of starting a number (`.5`).
fn after_name(tokens: &[Token], at: usize) -> bool {
    tokens.last().is_some_and(|t| t.end == at && matches!(t.kind, Kind::Word | Kind::Quoted(_)))
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| from + p)
}

/// The end of the number starting at `at`: digits, a fraction, an exponent.
fn number_end(bytes: &[u8], mut at: usize) -> usize {
    let digits = |at: &mut usize| {
        while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
            *at += 1;
        }
    };
    digits(&mut at);
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        digits(&mut at);
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(at + 1), Some(b'+' | b'-')));
        if bytes.get(at + 1 + sign).is_some_and(u8::is_ascii_digit) {
            at += 1 + sign;
            digits(&mut at);
        }
    }
    at
}

/// `X'…'` / `0x…` as hexadecimal digits, `B'…'` / `0b…` as binary digits.
fn prefixed_literal(text: &str, start: usize, prefix: u8, digits: String) -> Result<Kind, Error> {
    if prefix.eq_ignore_ascii_case(&b'x') {
        if !digits.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(error_at(text, start, &format!("X'{digits}' is not hexadecimal")));
        }
        return Ok(Kind::Hex(digits));
    }
    if !digits.bytes().all(|c| c == b'0' || c == b'1') {
        return Err(error_at(text, start, &format!("B'{digits}' is not binary")));
    }
    Ok(Kind::Bits(digits))
}

/// Reads the string whose opening quote is at `at`: backslash escapes as MySQL reads them and
/// the quote doubled for itself. Returns its value and the offset after the closing quote.
fn read_string(text: &str, at: usize) -> Result<(String, usize), Error> {
    read_delimited(text, at, text.as_bytes()[at], true, "the string is not closed")
}

/// Reads a name or digits in `quote`s starting at `at`, the quote doubled standing for itself.
fn read_quoted(text: &str, at: usize, quote: u8) -> Result<(String, usize), Error> {
    read_delimited(text, at, quote, false, "the quoted name is not closed")
}

/// Reads what stands between the `quote` at `at` and the one closing it, the quote doubled
/// standing for itself and, with `escapes`, backslash escapes read as MySQL reads them.
/// `unclosed` is the error for text that ends first.
fn read_delimited(
    text: &str,
    at: usize,
    quote: u8,
    escapes: bool,
    unclosed: &str,
) -> Result<(String, usize), Error> {
    let bytes = text.as_bytes();
    let mut value = String::new();
    let mut run = at + 1;
    let mut i = at + 1;
    loop {
        match bytes.get(i) {
            None => return Err(error_at(text, at, unclosed)),
            Some(&c) if c == quote => {
                value.push_str(&text[run..i]);
                if bytes.get(i + 1) == Some(&quote) {
                    value.push(quote as char);
                    i += 2;
                    run = i;
                    continue;
                }
                return Ok((value, i + 1));
            }
            Some(b'\\') if escapes => {
                value.push_str(&text[run..i]);
                let Some(escaped) = text[i + 1..].chars().next() else {
                    return Err(error_at(text, at, unclosed));
                };
                match escaped {
                    '0' => value.push('\0'),
                    'b' => value.push('\u{8}'),
                    'n' => value.push('\n'),
                    'r' => value.push('\r'),
                    't' => value.push('\t'),
                    'Z' => value.push('\u{1a}'),
                    // `\%` and `\_` keep their backslash, so LIKE patterns can use them.
                    '%' | '_' => {
                        value.push('\\');
                        value.push(escaped);
                    }
                    other => value.push(other),
                }
                i += 1 + escaped.len_utf8();
                run = i;
            }
            Some(_) => i += 1,
        }
    }
}
