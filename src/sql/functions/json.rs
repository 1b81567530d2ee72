//! JSON functions: a small parser and serializer for JSON text in MySQL's canonical form (object
//! keys ordered by length, then bytes; `", "` and `": "` separators), MySQL path expressions,
//! and the JSON_* functions over them.

use std::cmp::Ordering;
use std::fmt::Write;

use super::date::temporal_text_of;
use super::string::base64_encode;
use super::{bad_value, decimal_text, pow10, string, text, wrong_count, Call, Spec, MANY};
use crate::sql::error::Error;
use crate::sql::types::Datum;

pub(super) static FUNCTIONS: &[Spec] = &[
    Spec::sees_nulls("json_object", 0, MANY, json_object),
    Spec::sees_nulls("json_array", 0, MANY, json_array),
    Spec::strict("json_extract", 2, MANY, json_extract),
    Spec::strict("json_unquote", 1, 1, json_unquote),
    Spec::strict("json_quote", 1, 1, json_quote),
    Spec::strict("json_valid", 1, 1, json_valid),
    Spec::strict("json_type", 1, 1, json_type),
    Spec::strict("json_length", 1, 2, json_length),
    Spec::strict("json_keys", 1, 2, json_keys),
    Spec::strict("json_depth", 1, 1, json_depth),
    Spec::strict("json_contains", 2, 3, json_contains),
    Spec::strict("json_contains_path", 3, MANY, json_contains_path),
    Spec::sees_nulls("json_set", 3, MANY, json_set),
    Spec::sees_nulls("json_insert", 3, MANY, json_set),
    Spec::sees_nulls("json_replace", 3, MANY, json_set),
    Spec::strict("json_remove", 2, MANY, json_remove),
    Spec::sees_nulls("json_array_append", 3, MANY, json_array_append),
    Spec::sees_nulls("json_array_insert", 3, MANY, json_array_insert),
    Spec::strict("json_merge_patch", 2, MANY, json_merge_patch),
    Spec::strict("json_merge_preserve", 2, MANY, json_merge_preserve),
    Spec::strict("json_merge", 2, MANY, json_merge_preserve),
    Spec::strict("json_pretty", 1, 1, json_pretty),
];

/// MySQL's limit on nested arrays and objects.
const MAX_DEPTH: usize = 100;

/// A JSON value. Objects keep their members sorted in MySQL's key order, without duplicates.
#[derive(Clone, Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    /// An SQL DECIMAL stored in a document (mantissa, scale).
    Decimal(i128, u8),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// MySQL's order of object keys: shorter first, then bytewise.
fn key_order(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

fn find_key(members: &[(String, Json)], key: &str) -> Result<usize, usize> {
    members.binary_search_by(|(k, _)| key_order(k, key))
}

/// Sets `key` to `value`; a later value for the same key wins, as in MySQL.
fn put(members: &mut Vec<(String, Json)>, key: String, value: Json) {
    match find_key(members, &key) {
        Ok(at) => members[at].1 = value,
        Err(at) => members.insert(at, (key, value)),
    }
}

impl Json {
    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(v) => {
                let _ = write!(out, "{v}");
            }
            Json::UInt(v) => {
                let _ = write!(out, "{v}");
            }
            // Debug gives the shortest text that reads back as the same double (`1.5`, `1.0`,
            // `1e300`).
            Json::Double(f) => {
                let _ = write!(out, "{f:?}");
            }
            Json::Decimal(m, s) => out.push_str(&decimal_text(*m, *s)),
            Json::Str(s) => write_string(out, s),
            Json::Array(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (index, (key, value)) in members.iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    write_string(out, key);
                    out.push_str(": ");
                    value.write(out);
                }
                out.push('}');
            }
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// JSON_PRETTY's layout: one member or element per line, indented by two spaces.
    fn write_pretty(&self, out: &mut String, indent: usize) {
        let newline = |out: &mut String, indent: usize| {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', indent * 2));
        };
        match self {
            Json::Array(items) if !items.is_empty() => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    newline(out, indent + 1);
                    item.write_pretty(out, indent + 1);
                }
                newline(out, indent);
                out.push(']');
            }
            Json::Object(members) if !members.is_empty() => {
                out.push('{');
                for (index, (key, value)) in members.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    newline(out, indent + 1);
                    write_string(out, key);
                    out.push_str(": ");
                    value.write_pretty(out, indent + 1);
                }
                newline(out, indent);
                out.push('}');
            }
            other => other.write(out),
        }
    }

    /// JSON_DEPTH: 1 for scalars and empty containers, one more per level of nesting.
    fn depth(&self) -> usize {
        match self {
            Json::Array(items) => 1 + items.iter().map(Json::depth).max().unwrap_or(0),
            Json::Object(members) => 1 + members.iter().map(|(_, v)| v.depth()).max().unwrap_or(0),
            _ => 1,
        }
    }

    /// How deeply arrays and objects nest (what MySQL's depth limit counts).
    fn nesting(&self) -> usize {
        match self {
            Json::Array(items) => 1 + items.iter().map(Json::nesting).max().unwrap_or(0),
            Json::Object(members) => {
                1 + members.iter().map(|(_, v)| v.nesting()).max().unwrap_or(0)
            }
            _ => 0,
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "NULL",
            Json::Bool(_) => "BOOLEAN",
            Json::Int(_) => "INTEGER",
            Json::UInt(_) => "UNSIGNED INTEGER",
            Json::Double(_) => "DOUBLE",
            Json::Decimal(..) => "DECIMAL",
            Json::Str(_) => "STRING",
            Json::Array(_) => "ARRAY",
            Json::Object(_) => "OBJECT",
        }
    }
}

/// Appends `s` as a JSON string, quoted and escaped.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Why and where JSON text failed to parse (MySQL's wording).
type ParseError = (&'static str, usize);

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

fn parse(text: &str) -> Result<Json, ParseError> {
    let mut parser = Parser { text, at: 0 };
    parser.skip_space();
    if parser.at == text.len() {
        return Err(("The document is empty.", parser.at));
    }
    let value = parser.value(0)?;
    parser.skip_space();
    if parser.at != text.len() {
        return Err(("The document root must not be followed by other values.", parser.at));
    }
    Ok(value)
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, ParseError> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Json::Str),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(("Invalid value.", self.at)),
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, ParseError> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(("Invalid value.", self.at))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, ParseError> {
        if depth > MAX_DEPTH {
            return Err(("The JSON document exceeds the maximum depth.", self.at));
        }
        self.at += 1;
        let mut members = Vec::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err(("Missing a name for object member.", self.at));
            }
            let key = self.string()?;
            self.skip_space();
            if self.peek() != Some(b':') {
                return Err(("Missing a colon after a name of object member.", self.at));
            }
            self.at += 1;
            self.skip_space();
            let value = self.value(depth)?;
            put(&mut members, key, value);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(("Missing a comma or '}' after an object member.", self.at)),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, ParseError> {
        if depth > MAX_DEPTH {
            return Err(("The JSON document exceeds the maximum depth.", self.at));
        }
        self.at += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_space();
            items.push(self.value(depth)?);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(("Missing a comma or ']' after an array element.", self.at)),
            }
        }
    }

    /// A string starting at the opening quote.
    fn string(&mut self) -> Result<String, ParseError> {
        let open = self.at;
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            // Runs of plain characters are copied whole; the run stops only at ASCII bytes,
            // so both ends are character boundaries.
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            out.push_str(&self.text[start..self.at]);
            match self.peek() {
                None => return Err(("Missing a closing quotation mark in string.", open)),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escape = self.peek();
                    self.at += 1;
                    match escape {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => out.push(self.unicode_escape()?),
                        _ => return Err(("Invalid escape character in string.", self.at - 1)),
                    }
                }
                Some(_) => return Err(("Invalid encoding in string.", self.at)),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let digits = self.text.get(self.at..self.at + 4).unwrap_or("");
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(("Incorrect hex digit after \\u escape in string.", self.at));
        }
        self.at += 4;
        u32::from_str_radix(digits, 16)
            .map_err(|_| ("Incorrect hex digit after \\u escape in string.", self.at))
    }

    /// The character of a `\uXXXX` escape (after the `u`), joining surrogate pairs.
    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        const INVALID: &str = "The surrogate pair in string is invalid.";
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.text[self.at..].starts_with("\\u") {
                    return Err((INVALID, self.at));
                }
                self.at += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err((INVALID, self.at));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err((INVALID, self.at)),
            code => code,
        };
        char::from_u32(code).ok_or((INVALID, self.at))
    }

    fn number(&mut self) -> Result<Json, ParseError> {
        let start = self.at;
        let digits = |parser: &mut Parser| {
            let from = parser.at;
            while matches!(parser.peek(), Some(b'0'..=b'9')) {
                parser.at += 1;
            }
            parser.at > from
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(("Invalid value.", self.at)),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            integer = false;
            if !digits(self) {
                return Err(("Miss fraction part in number.", self.at));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            integer = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !digits(self) {
                return Err(("Miss exponent in number.", self.at));
            }
        }
        let literal = &self.text[start..self.at];
        if integer {
            if let Ok(v) = literal.parse::<i64>() {
                return Ok(Json::Int(v));
            }
            if let Ok(v) = literal.parse::<u64>() {
                return Ok(Json::UInt(v));
            }
        }
        let double = match literal.parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => return Err(("Number too big to be stored in double.", start)),
        };
        // A decimal that a double would not write back the same way (`1.50`, more digits
        // than a double holds) stays an exact decimal, so documents holding SQL DECIMALs read
        // back exactly as they were written and canonical text stays canonical.
        let exponent = literal.contains(['e', 'E']);
        if !exponent && format!("{double:?}") != literal {
            if let Some((mantissa, scale)) = exact_decimal(literal) {
                return Ok(Json::Decimal(mantissa, scale));
            }
        }
        Ok(Json::Double(double))
    }
}

/// A plain decimal literal (`-12.50`, digits with an optional point) as (mantissa, scale),
/// if the digits fit an `i128`.
fn exact_decimal(literal: &str) -> Option<(i128, u8)> {
    let (whole, fraction) = literal.split_once('.').unwrap_or((literal, ""));
    let scale = u8::try_from(fraction.len()).ok()?;
    let mantissa = format!("{whole}{fraction}").parse::<i128>().ok()?;
    Some((mantissa, scale))
}

/// The document result of a function, in canonical text.
fn datum(json: &Json) -> Result<Datum, Error> {
    if json.nesting() > MAX_DEPTH {
        return Err(bad_value(format!("The JSON document exceeds the maximum depth {MAX_DEPTH}.")));
    }
    Ok(Datum::Json(json.text()))
}

/// A JSON document argument (the `doc` of JSON_EXTRACT and friends): JSON values and strings
/// holding JSON text. `position` is 1-based, for the message. NULL → None.
fn document(value: &Datum, position: usize, function: &str) -> Result<Option<Json>, Error> {
    let source = match value {
        Datum::Null => return Ok(None),
        Datum::Json(s) | Datum::Text(s) => s.as_str(),
        Datum::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) => s,
            Err(_) => {
                return Err(bad_value(format!(
                    "Invalid JSON text in argument {position} to function {function}: \
                     \"Invalid encoding in string.\" at position 0."
                )))
            }
        },
        _ => {
            return Err(bad_value(format!(
                "Invalid data type for JSON data in argument {position} to function \
                 {function}; a JSON string or JSON type is required."
            )))
        }
    };
    parse(source).map(Some).map_err(|(reason, at)| {
        bad_value(format!(
            "Invalid JSON text in argument {position} to function {function}: \"{reason}\" at \
             position {at}."
        ))
    })
}

/// A value argument (of JSON_OBJECT, JSON_ARRAY, JSON_SET, ...): strings become JSON strings,
/// not parsed; JSON values are taken as documents.
fn value(datum: &Datum) -> Result<Json, Error> {
    Ok(match datum {
        Datum::Null => Json::Null,
        Datum::Int(v) => Json::Int(*v),
        Datum::UInt(v) => Json::UInt(*v),
        Datum::Float(f) if f.is_finite() => Json::Double(*f),
        Datum::Float(_) => return Err(bad_value("JSON cannot hold infinity or NaN")),
        Datum::Decimal(d) => Json::Decimal(d.mantissa, d.scale),
        Datum::Text(s) => Json::Str(s.clone()),
        // MySQL marks binary data stored in JSON with its type, base64-encoded.
        Datum::Bytes(b) => Json::Str(format!("base64:type15:{}", base64_encode(b))),
        Datum::Date(_) | Datum::DateTime(_) => {
            Json::Str(temporal_text_of(datum).unwrap_or_default())
        }
        Datum::Json(s) => parse(s).map_err(|(reason, at)| {
            bad_value(format!("Invalid JSON value: \"{reason}\" at position {at}."))
        })?,
    })
}

/// An array position in a path: from the start, or back from the last element.
#[derive(Clone, Copy, Debug)]
enum Index {
    Start(u64),
    Last(u64),
}

impl Index {
    /// The position in an array of `len` elements, if it is inside it.
    fn resolve(self, len: usize) -> Option<usize> {
        let len = len as u64;
        let at = match self {
            Index::Start(n) => (n < len).then_some(n)?,
            Index::Last(n) => len.checked_sub(1)?.checked_sub(n)?,
        };
        usize::try_from(at).ok()
    }
}

/// One step of a path.
#[derive(Clone, Debug)]
enum Leg {
    Key(String),
    AnyKey,
    At(Index),
    AnyIndex,
    Range(Index, Index),
    AnyDepth,
}

struct Path {
    legs: Vec<Leg>,
}

impl Path {
    /// Whether the path names at most one value (no wildcards or ranges).
    fn is_exact(&self) -> bool {
        self.legs.iter().all(|leg| matches!(leg, Leg::Key(_) | Leg::At(_)))
    }
}

fn path_error(at: usize) -> Error {
    bad_value(format!("Invalid JSON path expression. The error is around character position {at}."))
}

fn wildcard_error() -> Error {
    bad_value("In this situation, path expressions may not contain the * and ** tokens or an array range.")
}

/// Parses a path: `$` followed by `.key`, `."quoted key"`, `.*`, `[n]`, `[last]`,
/// `[last-n]`, `[m to n]`, `[*]` and `**` legs.
fn parse_path(text: &str) -> Result<Path, Error> {
    let bytes = text.as_bytes();
    let mut at = 0;
    let skip_space = |at: &mut usize| {
        while *at < bytes.len() && bytes[*at].is_ascii_whitespace() {
            *at += 1;
        }
    };
    skip_space(&mut at);
    if bytes.get(at) != Some(&b'$') {
        return Err(path_error(at + 1));
    }
    at += 1;
    let mut legs = Vec::new();
    loop {
        skip_space(&mut at);
        let Some(&c) = bytes.get(at) else {
            break;
        };
        match c {
            b'.' => {
                at += 1;
                skip_space(&mut at);
                match bytes.get(at) {
                    Some(b'*') => {
                        at += 1;
                        legs.push(Leg::AnyKey);
                    }
                    Some(b'"') => {
                        let mut parser = Parser { text, at };
                        let key = parser.string().map_err(|_| path_error(at + 1))?;
                        at = parser.at;
                        legs.push(Leg::Key(key));
                    }
                    _ => {
                        let rest = &text[at..];
                        let end = rest
                            .char_indices()
                            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '$'))
                            .map_or(rest.len(), |(end, _)| end);
                        let key = &rest[..end];
                        if key.is_empty() || key.starts_with(|c: char| c.is_ascii_digit()) {
                            return Err(path_error(at + 1));
                        }
                        legs.push(Leg::Key(key.to_string()));
                        at += end;
                    }
                }
            }
            b'[' => {
                at += 1;
                skip_space(&mut at);
                if bytes.get(at) == Some(&b'*') {
                    at += 1;
                    legs.push(Leg::AnyIndex);
                } else {
                    let from = parse_index(text, &mut at)?;
                    skip_space(&mut at);
                    if text[at..].starts_with("to") {
                        at += 2;
                        skip_space(&mut at);
                        let to = parse_index(text, &mut at)?;
                        legs.push(Leg::Range(from, to));
                    } else {
                        legs.push(Leg::At(from));
                    }
                }
                skip_space(&mut at);
                if bytes.get(at) != Some(&b']') {
                    return Err(path_error(at + 1));
                }
                at += 1;
            }
            b'*' if bytes.get(at + 1) == Some(&b'*') => {
                at += 2;
                legs.push(Leg::AnyDepth);
            }
            _ => return Err(path_error(at + 1)),
        }
    }
    if matches!(legs.last(), Some(Leg::AnyDepth)) {
        return Err(path_error(text.len()));
    }
    Ok(Path { legs })
}

/// `n`, `last` or `last - n` inside brackets.
fn parse_index(text: &str, at: &mut usize) -> Result<Index, Error> {
    let bytes = text.as_bytes();
    let number = |at: &mut usize| -> Result<u64, Error> {
        let start = *at;
        let mut value: u64 = 0;
        while let Some(d) = bytes.get(*at).filter(|b| b.is_ascii_digit()) {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .ok_or_else(|| path_error(*at + 1))?;
            *at += 1;
        }
        if *at == start {
            return Err(path_error(*at + 1));
        }
        Ok(value)
    };
    if !text[*at..].starts_with("last") {
        return number(at).map(Index::Start);
    }
    *at += 4;
    let mut probe = *at;
    while bytes.get(probe).is_some_and(u8::is_ascii_whitespace) {
        probe += 1;
    }
    if bytes.get(probe) != Some(&b'-') {
        return Ok(Index::Last(0));
    }
    *at = probe + 1;
    while bytes.get(*at).is_some_and(u8::is_ascii_whitespace) {
        *at += 1;
    }
    number(at).map(Index::Last)
}

/// The first and last positions an `[m to n]` range covers in an array of `len` elements.
fn range_bounds(from: Index, to: Index, len: usize) -> Option<(usize, usize)> {
    let last = len.checked_sub(1)? as u64;
    let start = match from {
        Index::Start(n) => n,
        Index::Last(n) => last.saturating_sub(n),
    };
    let end = match to {
        Index::Start(n) => n.min(last),
        Index::Last(n) => last.checked_sub(n)?,
    };
    (start <= end).then_some((start as usize, end as usize))
}

/// Collects the values `legs` reach from `json`, in document order. A non-array is treated as
/// a one-element array by `[0]` and `[last]`, as in MySQL.
fn find<'a>(json: &'a Json, legs: &[Leg], out: &mut Vec<&'a Json>) {
    let Some((leg, rest)) = legs.split_first() else {
        out.push(json);
        return;
    };
    match (leg, json) {
        (Leg::Key(key), Json::Object(members)) => {
            if let Ok(at) = find_key(members, key) {
                find(&members[at].1, rest, out);
            }
        }
        (Leg::AnyKey, Json::Object(members)) => {
            for (_, value) in members {
                find(value, rest, out);
            }
        }
        (Leg::At(index), Json::Array(items)) => {
            if let Some(at) = index.resolve(items.len()) {
                find(&items[at], rest, out);
            }
        }
        (Leg::At(index), other) if index.resolve(1) == Some(0) => find(other, rest, out),
        (Leg::AnyIndex, Json::Array(items)) => {
            for item in items {
                find(item, rest, out);
            }
        }
        (Leg::Range(from, to), Json::Array(items)) => {
            if let Some((start, end)) = range_bounds(*from, *to, items.len()) {
                for item in &items[start..=end] {
                    find(item, rest, out);
                }
            }
        }
        (Leg::Range(from, to), other) if range_bounds(*from, *to, 1).is_some() => {
            find(other, rest, out);
        }
        (Leg::AnyDepth, _) => {
            find(json, rest, out);
            match json {
                Json::Array(items) => {
                    for item in items {
                        find(item, legs, out);
                    }
                }
                Json::Object(members) => {
                    for (_, value) in members {
                        find(value, legs, out);
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}

/// The value an exact path names, for changing it.
fn find_mut<'a>(mut json: &'a mut Json, legs: &[Leg]) -> Option<&'a mut Json> {
    for leg in legs {
        json = match (leg, json) {
            (Leg::Key(key), Json::Object(members)) => {
                let at = find_key(members, key).ok()?;
                &mut members[at].1
            }
            (Leg::At(index), Json::Array(items)) => {
                let at = index.resolve(items.len())?;
                &mut items[at]
            }
            (Leg::At(index), other) if index.resolve(1) == Some(0) => other,
            _ => return None,
        };
    }
    Some(json)
}

fn path_arg(value: &Datum) -> Result<Path, Error> {
    parse_path(&string(value))
}

fn exact_path_arg(value: &Datum) -> Result<Path, Error> {
    let path = path_arg(value)?;
    if path.is_exact() {
        Ok(path)
    } else {
        Err(wildcard_error())
    }
}

/// The document of argument 1, which strict functions know is not NULL.
fn first_document(call: &Call) -> Result<Json, Error> {
    Ok(document(&call.args[0], 1, call.name)?.unwrap_or(Json::Null))
}

/// The value an optional exact-path argument selects in `doc` (all of it without
/// the argument); None if the path selects nothing.
fn select<'a>(doc: &'a Json, path: Option<&Datum>) -> Result<Option<&'a Json>, Error> {
    let Some(path) = path else {
        return Ok(Some(doc));
    };
    let path = exact_path_arg(path)?;
    let mut found = Vec::new();
    find(doc, &path.legs, &mut found);
    Ok(found.first().copied())
}

fn json_object(call: Call) -> Result<Datum, Error> {
    if call.args.len() % 2 != 0 {
        return Err(wrong_count(call.name));
    }
    let mut members = Vec::with_capacity(call.args.len() / 2);
    for pair in call.args.chunks_exact(2) {
        let Some(key) = text(&pair[0]) else {
            return Err(bad_value("JSON documents may not contain NULL member names."));
        };
        put(&mut members, key.into_owned(), value(&pair[1])?);
    }
    datum(&Json::Object(members))
}

fn json_array(call: Call) -> Result<Datum, Error> {
    let items = call.args.iter().map(value).collect::<Result<Vec<_>, _>>()?;
    datum(&Json::Array(items))
}

fn json_extract(call: Call) -> Result<Datum, Error> {
    let doc = first_document(&call)?;
    let paths = call.args[1..].iter().map(path_arg).collect::<Result<Vec<_>, _>>()?;
    let mut found = Vec::new();
    for path in &paths {
        find(&doc, &path.legs, &mut found);
    }
    match found.as_slice() {
        [] => Ok(Datum::Null),
        [one] if paths.len() == 1 && paths[0].is_exact() => datum(one),
        _ => datum(&Json::Array(found.into_iter().cloned().collect())),
    }
}

fn json_unquote(call: Call) -> Result<Datum, Error> {
    let source = match &call.args[0] {
        Datum::Json(s) => {
            return Ok(Datum::Text(match parse(s) {
                Ok(Json::Str(unquoted)) => unquoted,
                _ => s.clone(),
            }))
        }
        other => string(other),
    };
    // Only a string that looks quoted is unquoted; anything else is returned as it is.
    if source.len() < 2 || !source.starts_with('"') || !source.ends_with('"') {
        return Ok(Datum::Text(source.into_owned()));
    }
    match parse(&source) {
        Ok(Json::Str(unquoted)) => Ok(Datum::Text(unquoted)),
        _ => Err(bad_value(format!(
            "Invalid JSON text in argument 1 to function {}: \"Missing a closing quotation mark \
             in string.\"",
            call.name
        ))),
    }
}

fn json_quote(call: Call) -> Result<Datum, Error> {
    let mut out = String::new();
    write_string(&mut out, &string(&call.args[0]));
    Ok(Datum::Text(out))
}

fn json_valid(call: Call) -> Result<Datum, Error> {
    let valid = match &call.args[0] {
        Datum::Json(s) | Datum::Text(s) => parse(s).is_ok(),
        Datum::Bytes(b) => std::str::from_utf8(b).is_ok_and(|s| parse(s).is_ok()),
        _ => false,
    };
    Ok(Datum::Int(i64::from(valid)))
}

fn json_type(call: Call) -> Result<Datum, Error> {
    Ok(Datum::Text(first_document(&call)?.type_name().to_string()))
}

fn json_length(call: Call) -> Result<Datum, Error> {
    let doc = first_document(&call)?;
    Ok(match select(&doc, call.args.get(1))? {
        None => Datum::Null,
        Some(Json::Array(items)) => Datum::Int(items.len() as i64),
        Some(Json::Object(members)) => Datum::Int(members.len() as i64),
        Some(_) => Datum::Int(1),
    })
}

fn json_keys(call: Call) -> Result<Datum, Error> {
    let doc = first_document(&call)?;
    match select(&doc, call.args.get(1))? {
        Some(Json::Object(members)) => {
            let keys = members.iter().map(|(key, _)| Json::Str(key.clone())).collect();
            datum(&Json::Array(keys))
        }
        _ => Ok(Datum::Null),
    }
}

fn json_depth(call: Call) -> Result<Datum, Error> {
    Ok(Datum::Int(first_document(&call)?.depth() as i64))
}

/// An exact number in a document as (mantissa, scale).
fn exact_number(json: &Json) -> Option<(i128, u8)> {
    match json {
        Json::Int(v) => Some((i128::from(*v), 0)),
        Json::UInt(v) => Some((i128::from(*v), 0)),
        Json::Decimal(m, s) => Some((*m, *s)),
        _ => None,
    }
}

fn number_f64(json: &Json) -> Option<f64> {
    match json {
        Json::Int(v) => Some(*v as f64),
        Json::UInt(v) => Some(*v as f64),
        Json::Double(f) => Some(*f),
        Json::Decimal(m, s) => Some(*m as f64 / 10f64.powi(i32::from(*s))),
        _ => None,
    }
}

/// Whether two scalars are equal; numbers compare by value across integer, decimal and double.
fn scalar_eq(a: &Json, b: &Json) -> bool {
    if let (Some((m1, s1)), Some((m2, s2))) = (exact_number(a), exact_number(b)) {
        let scale = s1.max(s2);
        let widen = |m: i128, s: u8| pow10(u32::from(scale - s)).and_then(|f| m.checked_mul(f));
        if let (Some(x), Some(y)) = (widen(m1, s1), widen(m2, s2)) {
            return x == y;
        }
    }
    match (a, b) {
        (Json::Null, Json::Null) => true,
        (Json::Bool(x), Json::Bool(y)) => x == y,
        (Json::Str(x), Json::Str(y)) => x == y,
        _ => match (number_f64(a), number_f64(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

/// MySQL's JSON_CONTAINS rules: arrays contain what some element contains (every element of a
/// candidate array), objects contain objects whose members they contain, scalars contain equal
/// scalars.
fn contains(target: &Json, candidate: &Json) -> bool {
    match (target, candidate) {
        (Json::Array(items), Json::Array(wanted)) => {
            wanted.iter().all(|w| items.iter().any(|item| contains(item, w)))
        }
        (Json::Array(items), _) => items.iter().any(|item| contains(item, candidate)),
        (Json::Object(members), Json::Object(wanted)) => wanted
            .iter()
            .all(|(key, w)| find_key(members, key).is_ok_and(|at| contains(&members[at].1, w))),
        (Json::Object(_), _) | (_, Json::Array(_) | Json::Object(_)) => false,
        _ => scalar_eq(target, candidate),
    }
}

fn json_contains(call: Call) -> Result<Datum, Error> {
    let doc = first_document(&call)?;
    let candidate = document(&call.args[1], 2, call.name)?.unwrap_or(Json::Null);
    Ok(match select(&doc, call.args.get(2))? {
        None => Datum::Null,
        Some(target) => Datum::Int(i64::from(contains(target, &candidate))),
    })
}

fn json_contains_path(call: Call) -> Result<Datum, Error> {
    let doc = first_document(&call)?;
    let all = match string(&call.args[1]).to_ascii_lowercase().as_str() {
        "one" => false,
        "all" => true,
        _ => {
            return Err(bad_value(format!(
                "The oneOrAll argument to {} may take these values: 'one' or 'all'.",
                call.name
            )))
        }
    };
    let mut results = Vec::with_capacity(call.args.len() - 2);
    for path in &call.args[2..] {
        let path = path_arg(path)?;
        let mut found = Vec::new();
        find(&doc, &path.legs, &mut found);
        results.push(!found.is_empty());
    }
    let answer = if all { results.iter().all(|&r| r) } else { results.iter().any(|&r| r) };
    Ok(Datum::Int(i64::from(answer)))
}

/// The document argument of JSON_SET and friends, after checking the (path, value) pairs; None
/// when the document or a path is NULL, which makes the result NULL.
fn document_and_pairs(call: &Call) -> Result<Option<Json>, Error> {
    if call.args.len() % 2 == 0 {
        return Err(wrong_count(call.name));
    }
    let Some(doc) = document(&call.args[0], 1, call.name)? else {
        return Ok(None);
    };
    if call.args[1..].chunks_exact(2).any(|pair| pair[0].is_null()) {
        return Ok(None);
    }
    Ok(Some(doc))
}

/// JSON_SET, JSON_INSERT (only adds) and JSON_REPLACE (only changes).
fn json_set(call: Call) -> Result<Datum, Error> {
    let (insert, replace) = match call.name {
        "json_insert" => (true, false),
        "json_replace" => (false, true),
        _ => (true, true),
    };
    let Some(mut doc) = document_and_pairs(&call)? else {
        return Ok(Datum::Null);
    };
    for pair in call.args[1..].chunks_exact(2) {
        let path = exact_path_arg(&pair[0])?;
        let new = value(&pair[1])?;
        let Some((last, parent_legs)) = path.legs.split_last() else {
            if replace {
                doc = new;
            }
            continue;
        };
        let Some(parent) = find_mut(&mut doc, parent_legs) else {
            continue;
        };
        match (last, parent) {
            (Leg::Key(key), Json::Object(members)) => match find_key(members, key) {
                Ok(at) if replace => members[at].1 = new,
                Err(at) if insert => members.insert(at, (key.clone(), new)),
                _ => {}
            },
            (Leg::At(index), Json::Array(items)) => match index.resolve(items.len()) {
                Some(at) if replace => items[at] = new,
                None if insert => items.push(new),
                _ => {}
            },
            // A non-array is its own element 0; a later position makes it an array.
            (Leg::At(index), parent) if !matches!(parent, Json::Array(_)) => {
                if index.resolve(1) == Some(0) {
                    if replace {
                        *parent = new;
                    }
                } else if insert {
                    let old = std::mem::replace(parent, Json::Null);
                    *parent = Json::Array(vec![old, new]);
                }
            }
            _ => {}
        }
    }
    datum(&doc)
}

fn json_remove(call: Call) -> Result<Datum, Error> {
    let mut doc = first_document(&call)?;
    for path in &call.args[1..] {
        let path = exact_path_arg(path)?;
        let Some((last, parent_legs)) = path.legs.split_last() else {
            return Err(bad_value("The path expression '$' is not allowed in this context."));
        };
        match (last, find_mut(&mut doc, parent_legs)) {
            (Leg::Key(key), Some(Json::Object(members))) => {
                if let Ok(at) = find_key(members, key) {
                    members.remove(at);
                }
            }
            (Leg::At(index), Some(Json::Array(items))) => {
                if let Some(at) = index.resolve(items.len()) {
                    items.remove(at);
                }
            }
            _ => {}
        }
    }
    datum(&doc)
}

fn json_array_append(call: Call) -> Result<Datum, Error> {
    let Some(mut doc) = document_and_pairs(&call)? else {
        return Ok(Datum::Null);
    };
    for pair in call.args[1..].chunks_exact(2) {
        let path = exact_path_arg(&pair[0])?;
        let new = value(&pair[1])?;
        match find_mut(&mut doc, &path.legs) {
            Some(Json::Array(items)) => items.push(new),
            // A non-array target is wrapped into an array first.
            Some(target) => {
                let old = std::mem::replace(target, Json::Null);
                *target = Json::Array(vec![old, new]);
            }
            None => {}
        }
    }
    datum(&doc)
}

fn json_array_insert(call: Call) -> Result<Datum, Error> {
    let Some(mut doc) = document_and_pairs(&call)? else {
        return Ok(Datum::Null);
    };
    for pair in call.args[1..].chunks_exact(2) {
        let path = exact_path_arg(&pair[0])?;
        let new = value(&pair[1])?;
        let Some((Leg::At(index), parent_legs)) = path.legs.split_last() else {
            return Err(bad_value("A path expression is not a path to a cell in an array."));
        };
        if let Some(Json::Array(items)) = find_mut(&mut doc, parent_legs) {
            let len = items.len() as u64;
            let at = match *index {
                Index::Start(n) => n.min(len),
                Index::Last(n) => len.saturating_sub(1).saturating_sub(n),
            };
            items.insert(at as usize, new);
        }
    }
    datum(&doc)
}

/// RFC 7396 merge: objects merge member by member, a null member deletes, anything else
/// replaces.
fn merge_patch(target: Json, patch: Json) -> Json {
    let Json::Object(changes) = patch else {
        return patch;
    };
    let mut members = match target {
        Json::Object(members) => members,
        _ => Vec::new(),
    };
    for (key, change) in changes {
        match (find_key(&members, &key), change) {
            (Ok(at), Json::Null) => {
                members.remove(at);
            }
            (Err(_), Json::Null) => {}
            (Ok(at), change) => {
                let old = std::mem::replace(&mut members[at].1, Json::Null);
                members[at].1 = merge_patch(old, change);
            }
            (Err(at), change) => members.insert(at, (key, merge_patch(Json::Null, change))),
        }
    }
    Json::Object(members)
}

/// JSON_MERGE_PRESERVE: objects merge (values of shared keys merged in turn); anything else
/// becomes an array and arrays concatenate.
fn merge_preserve(a: Json, b: Json) -> Json {
    match (a, b) {
        (Json::Object(mut members), Json::Object(more)) => {
            for (key, value) in more {
                match find_key(&members, &key) {
                    Ok(at) => {
                        let old = std::mem::replace(&mut members[at].1, Json::Null);
                        members[at].1 = merge_preserve(old, value);
                    }
                    Err(at) => members.insert(at, (key, value)),
                }
            }
            Json::Object(members)
        }
        (a, b) => {
            let mut items = into_items(a);
            items.extend(into_items(b));
            Json::Array(items)
        }
    }
}

fn into_items(json: Json) -> Vec<Json> {
    match json {
        Json::Array(items) => items,
        other => vec![other],
    }
}

fn merge_all(call: &Call, merge: fn(Json, Json) -> Json) -> Result<Datum, Error> {
    let mut result = first_document(call)?;
    for (index, arg) in call.args.iter().enumerate().skip(1) {
        let next = document(arg, index + 1, call.name)?.unwrap_or(Json::Null);
        result = merge(result, next);
    }
    datum(&result)
}

fn json_merge_patch(call: Call) -> Result<Datum, Error> {
    merge_all(&call, merge_patch)
}

fn json_merge_preserve(call: Call) -> Result<Datum, Error> {
    merge_all(&call, merge_preserve)
}

fn json_pretty(call: Call) -> Result<Datum, Error> {
    let mut out = String::new();
    first_document(&call)?.write_pretty(&mut out, 0);
    Ok(Datum::Text(out))
}
