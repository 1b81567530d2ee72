//! String functions: MySQL's text functions, counting characters (not bytes) unless a function
//! is defined on bytes, comparing case-insensitively where MySQL's default collation does, and
//! treating binary strings byte by byte.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::math::{round_decimal, round_float, Rounding};
use super::{
    bad_value, bytes, decimal_text, int_arg, string, text, Call, Spec, MANY, MAX_RESULT_BYTES,
};
use crate::sql::error::Error;
use crate::sql::types::Datum;

pub(super) static FUNCTIONS: &[Spec] = &[
    Spec::strict("concat", 1, MANY, concat),
    Spec::sees_nulls("concat_ws", 2, MANY, concat_ws),
    Spec::strict("length", 1, 1, length),
    Spec::strict("octet_length", 1, 1, length),
    Spec::strict("char_length", 1, 1, char_length),
    Spec::strict("character_length", 1, 1, char_length),
    Spec::strict("lower", 1, 1, lower),
    Spec::strict("lcase", 1, 1, lower),
    Spec::strict("upper", 1, 1, upper),
    Spec::strict("ucase", 1, 1, upper),
    Spec::strict("substring", 2, 3, substring),
    Spec::strict("substr", 2, 3, substring),
    Spec::strict("mid", 3, 3, substring),
    Spec::strict("left", 2, 2, left),
    Spec::strict("right", 2, 2, right),
    Spec::strict("trim", 1, 3, trim),
    Spec::strict("ltrim", 1, 1, ltrim),
    Spec::strict("rtrim", 1, 1, rtrim),
    Spec::strict("replace", 3, 3, replace),
    Spec::strict("reverse", 1, 1, reverse),
    Spec::strict("repeat", 2, 2, repeat),
    Spec::strict("lpad", 3, 3, lpad),
    Spec::strict("rpad", 3, 3, rpad),
    Spec::strict("instr", 2, 2, instr),
    Spec::strict("locate", 2, 3, locate),
    Spec::strict("position", 2, 2, locate),
    Spec::strict("hex", 1, 1, hex),
    Spec::strict("unhex", 1, 1, unhex),
    Spec::strict("bin", 1, 1, bin),
    Spec::strict("oct", 1, 1, oct),
    Spec::strict("ascii", 1, 1, ascii),
    Spec::strict("space", 1, 1, space),
    Spec::strict("strcmp", 2, 2, strcmp),
    Spec::strict("format", 2, 3, format),
    Spec::sees_nulls("quote", 1, 1, quote),
    Spec::strict("insert", 4, 4, insert),
    Spec::sees_nulls("field", 2, MANY, field),
    Spec::sees_nulls("elt", 2, MANY, elt),
    Spec::strict("find_in_set", 2, 2, find_in_set),
    Spec::strict("substring_index", 3, 3, substring_index),
    Spec::strict("to_base64", 1, 1, to_base64),
    Spec::strict("from_base64", 1, 1, from_base64),
];

fn is_binary(value: &Datum) -> bool {
    matches!(value, Datum::Bytes(_))
}

/// A text result, or NULL when it is longer than functions may build.
fn bounded(text: String) -> Datum {
    if text.len() > MAX_RESULT_BYTES {
        Datum::Null
    } else {
        Datum::Text(text)
    }
}

fn concat(call: Call) -> Result<Datum, Error> {
    // Any binary argument makes the result binary, as in MySQL.
    if call.args.iter().any(is_binary) {
        let mut out = Vec::new();
        for arg in &call.args {
            out.extend_from_slice(&bytes(arg));
        }
        return Ok(if out.len() > MAX_RESULT_BYTES { Datum::Null } else { Datum::Bytes(out) });
    }
    let mut out = String::new();
    for arg in &call.args {
        out.push_str(&string(arg));
    }
    Ok(bounded(out))
}

fn concat_ws(call: Call) -> Result<Datum, Error> {
    let Some(separator) = text(&call.args[0]) else {
        return Ok(Datum::Null);
    };
    let mut out = String::new();
    let mut first = true;
    for arg in &call.args[1..] {
        let Some(part) = text(arg) else {
            continue;
        };
        if !first {
            out.push_str(&separator);
        }
        out.push_str(&part);
        first = false;
    }
    Ok(bounded(out))
}

fn length(call: Call) -> Result<Datum, Error> {
    Ok(Datum::Int(bytes(&call.args[0]).len() as i64))
}

fn char_length(call: Call) -> Result<Datum, Error> {
    Ok(Datum::Int(match &call.args[0] {
        Datum::Bytes(b) => b.len() as i64,
        other => string(other).chars().count() as i64,
    }))
}

fn lower(call: Call) -> Result<Datum, Error> {
    map_case(&call.args[0], char::to_lowercase)
}

fn upper(call: Call) -> Result<Datum, Error> {
    map_case(&call.args[0], char::to_uppercase)
}

/// Changes letter case character by character, as MySQL's collations do: a character whose
/// mapping is several characters (`ß` → `SS`) stays as it is. Binary strings have no letter
/// case in MySQL and come back unchanged.
fn map_case<I: Iterator<Item = char>>(value: &Datum, map: fn(char) -> I) -> Result<Datum, Error> {
    Ok(match value {
        Datum::Bytes(b) => Datum::Bytes(b.clone()),
        other => Datum::Text(
            string(other)
                .chars()
                .map(|c| {
                    let mut mapped = map(c);
                    match (mapped.next(), mapped.next()) {
                        (Some(single), None) => single,
                        _ => c,
                    }
                })
                .collect(),
        ),
    })
}

/// The half-open range `start..end` that SUBSTRING(s, pos, len) takes from `n` units: `pos`
/// counts from 1, or from the end when negative; 0, a start past the end or a length below 1
/// give an empty range.
fn substring_range(n: usize, pos: i64, len: Option<i64>) -> (usize, usize) {
    let n = n as i128;
    let start = match pos.cmp(&0) {
        Ordering::Equal => return (0, 0),
        Ordering::Greater => i128::from(pos) - 1,
        Ordering::Less => n + i128::from(pos),
    };
    if start < 0 || start >= n {
        return (0, 0);
    }
    let end = match len {
        None => n,
        Some(len) if len < 1 => return (0, 0),
        Some(len) => (start + i128::from(len)).min(n),
    };
    (start as usize, end as usize)
}

/// The characters `start..end` of `s`.
fn char_slice(s: &str, start: usize, end: usize) -> &str {
    let offset = |index: usize| s.char_indices().nth(index).map_or(s.len(), |(at, _)| at);
    let from = offset(start);
    let to = if end <= start { from } else { offset(end) };
    &s[from..to]
}

/// Applies a range computed over characters (or bytes, for binary strings) to `value`.
fn slice_by(value: &Datum, range: impl Fn(usize) -> (usize, usize)) -> Datum {
    match value {
        Datum::Bytes(b) => {
            let (start, end) = range(b.len());
            Datum::Bytes(b[start..end].to_vec())
        }
        other => {
            let s = string(other);
            let (start, end) = range(s.chars().count());
            Datum::Text(char_slice(&s, start, end).to_string())
        }
    }
}

fn substring(call: Call) -> Result<Datum, Error> {
    let pos = int_arg(&call.args[1]).unwrap_or(0);
    let len = call.args.get(2).map(|arg| int_arg(arg).unwrap_or(0));
    Ok(slice_by(&call.args[0], |n| substring_range(n, pos, len)))
}

fn left(call: Call) -> Result<Datum, Error> {
    let len = int_arg(&call.args[1]).unwrap_or(0);
    Ok(slice_by(&call.args[0], |n| substring_range(n, 1, Some(len))))
}

fn right(call: Call) -> Result<Datum, Error> {
    let len = int_arg(&call.args[1]).unwrap_or(0);
    Ok(slice_by(&call.args[0], |n| {
        if len < 1 {
            (0, 0)
        } else {
            let take = usize::try_from(len).unwrap_or(usize::MAX).min(n);
            (n - take, n)
        }
    }))
}

/// `s` without repeated copies of `remove` at the chosen ends.
fn trim_str<'a>(mut s: &'a str, remove: &str, leading: bool, trailing: bool) -> &'a str {
    if remove.is_empty() {
        return s;
    }
    if leading {
        while let Some(rest) = s.strip_prefix(remove) {
            s = rest;
        }
    }
    if trailing {
        while let Some(rest) = s.strip_suffix(remove) {
            s = rest;
        }
    }
    s
}

/// TRIM(s), TRIM(s, remstr) and TRIM(s, remstr, 'both' | 'leading' | 'trailing'), the form the
/// parser gives `TRIM([BOTH | LEADING | TRAILING] [remstr] FROM s)`.
fn trim(call: Call) -> Result<Datum, Error> {
    let s = string(&call.args[0]);
    let remove = call.args.get(1).map_or(Cow::Borrowed(" "), string);
    let (leading, trailing) = match call.args.get(2).map(string) {
        None => (true, true),
        Some(side) => match side.to_ascii_lowercase().as_str() {
            "both" => (true, true),
            "leading" => (true, false),
            "trailing" => (false, true),
            other => {
                return Err(bad_value(format!(
                    "TRIM takes BOTH, LEADING or TRAILING, not '{other}'"
                )))
            }
        },
    };
    Ok(Datum::Text(trim_str(&s, &remove, leading, trailing).to_string()))
}

fn ltrim(call: Call) -> Result<Datum, Error> {
    Ok(Datum::Text(trim_str(&string(&call.args[0]), " ", true, false).to_string()))
}

fn rtrim(call: Call) -> Result<Datum, Error> {
    Ok(Datum::Text(trim_str(&string(&call.args[0]), " ", false, true).to_string()))
}

fn replace(call: Call) -> Result<Datum, Error> {
    let s = string(&call.args[0]);
    let from = string(&call.args[1]);
    if from.is_empty() {
        return Ok(Datum::Text(s.into_owned()));
    }
    let to = string(&call.args[2]);
    // Bound the result before building it: each match grows the text by at most `to`.
    let matches = s.matches(&*from).count();
    let longest = matches.saturating_mul(to.len()).saturating_add(s.len());
    if longest > MAX_RESULT_BYTES {
        return Ok(Datum::Null);
    }
    Ok(Datum::Text(s.replace(&*from, &to)))
}

fn reverse(call: Call) -> Result<Datum, Error> {
    Ok(match &call.args[0] {
        Datum::Bytes(b) => Datum::Bytes(b.iter().rev().copied().collect()),
        other => Datum::Text(string(other).chars().rev().collect()),
    })
}

/// How many copies of `unit` bytes fit the result limit, or None if `count` copies do not.
fn copies_within_limit(unit: usize, count: i64) -> Option<usize> {
    let count = usize::try_from(count).ok()?;
    (unit.checked_mul(count)? <= MAX_RESULT_BYTES).then_some(count)
}

fn repeat(call: Call) -> Result<Datum, Error> {
    let count = int_arg(&call.args[1]).unwrap_or(0).max(0);
    Ok(match &call.args[0] {
        Datum::Bytes(b) => match copies_within_limit(b.len(), count) {
            Some(count) => Datum::Bytes(b.repeat(if b.is_empty() { 0 } else { count })),
            None => Datum::Null,
        },
        other => {
            let s = string(other);
            match copies_within_limit(s.len(), count) {
                Some(count) => Datum::Text(s.repeat(if s.is_empty() { 0 } else { count })),
                None => Datum::Null,
            }
        }
    })
}

fn lpad(call: Call) -> Result<Datum, Error> {
    pad(call, true)
}

fn rpad(call: Call) -> Result<Datum, Error> {
    pad(call, false)
}

/// LPAD/RPAD: pads `s` to `len` characters with copies of `padding`, or cuts it to `len`.
fn pad(call: Call, at_left: bool) -> Result<Datum, Error> {
    let s = string(&call.args[0]);
    let len = int_arg(&call.args[1]).unwrap_or(0);
    let padding = string(&call.args[2]);
    let Ok(len) = usize::try_from(len) else {
        return Ok(Datum::Null);
    };
    if len > MAX_RESULT_BYTES {
        return Ok(Datum::Null);
    }
    let have = s.chars().count();
    if len <= have {
        return Ok(Datum::Text(char_slice(&s, 0, len).to_string()));
    }
    let pad_chars = padding.chars().count();
    if pad_chars == 0 {
        return Ok(Datum::Null);
    }
    let missing = len - have;
    let full_copies = missing / pad_chars;
    if full_copies.saturating_mul(padding.len()).saturating_add(s.len()) > MAX_RESULT_BYTES {
        return Ok(Datum::Null);
    }
    let fill: String = padding.chars().cycle().take(missing).collect();
    Ok(Datum::Text(if at_left { fill + &s } else { s.into_owned() + &fill }))
}

/// A character folded for case-insensitive comparison (one character to one character, so
/// positions still count characters of the original).
fn fold(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(folded), None) => folded,
        _ => c,
    }
}

fn folded(s: &str) -> Vec<char> {
    s.chars().map(fold).collect()
}

/// The 1-based position of `needle` in `hay` at or after position `from` (MySQL's LOCATE
/// rules: a start before 1 or past the end + 1 finds nothing; an empty needle is found at the
/// start), or 0.
fn find_at<T: PartialEq>(hay: &[T], needle: &[T], from: Option<i64>) -> i64 {
    let start = match from {
        None => 0,
        Some(pos) => {
            let start = i128::from(pos) - 1;
            if start < 0 || start > hay.len() as i128 {
                return 0;
            }
            start as usize
        }
    };
    if needle.is_empty() {
        return start as i64 + 1;
    }
    hay[start..]
        .windows(needle.len())
        .position(|window| window == needle)
        .map_or(0, |at| (start + at + 1) as i64)
}

/// LOCATE on values: binary strings by bytes, case-sensitively; text by characters, folding
/// case as MySQL's default collation does.
fn locate_in(hay: &Datum, needle: &Datum, from: Option<i64>) -> Datum {
    Datum::Int(if is_binary(hay) || is_binary(needle) {
        find_at(&bytes(hay), &bytes(needle), from)
    } else {
        find_at(&folded(&string(hay)), &folded(&string(needle)), from)
    })
}

fn instr(call: Call) -> Result<Datum, Error> {
    Ok(locate_in(&call.args[0], &call.args[1], None))
}

fn locate(call: Call) -> Result<Datum, Error> {
    let from = call.args.get(2).map(|arg| int_arg(arg).unwrap_or(0));
    Ok(locate_in(&call.args[1], &call.args[0], from))
}

fn hex_bytes(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(data.len() * 2);
    for byte in data {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    out
}

/// The unsigned 64-bit value MySQL's HEX, BIN and OCT show for a number: integers in two's
/// complement, other numbers rounded half away from zero, out-of-range values all ones.
fn integer_bits(value: &Datum) -> u64 {
    match value {
        Datum::Int(v) => *v as u64,
        Datum::UInt(v) => *v,
        Datum::Float(_) | Datum::Decimal(_) => {
            let v = value.to_f64().unwrap_or(0.0);
            if v <= i64::MIN as f64 || v >= u64::MAX as f64 {
                u64::MAX
            } else if v < 0.0 {
                (v - 0.5) as i64 as u64
            } else {
                (v + 0.5) as u64
            }
        }
        other => int_arg(other).unwrap_or(0) as u64,
    }
}

fn is_number(value: &Datum) -> bool {
    matches!(value, Datum::Int(_) | Datum::UInt(_) | Datum::Float(_) | Datum::Decimal(_))
}

fn hex(call: Call) -> Result<Datum, Error> {
    let value = &call.args[0];
    Ok(Datum::Text(if is_number(value) {
        format!("{:X}", integer_bits(value))
    } else {
        hex_bytes(&bytes(value))
    }))
}

fn unhex(call: Call) -> Result<Datum, Error> {
    let source = bytes(&call.args[0]);
    let digit = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(source.len() / 2 + 1);
    // An odd number of digits means a leading zero was left out.
    let (head, rest) = source.split_at(source.len() % 2);
    if let Some(&first) = head.first() {
        let Some(low) = digit(first) else {
            return Ok(Datum::Null);
        };
        out.push(low);
    }
    for pair in rest.chunks_exact(2) {
        let (Some(high), Some(low)) = (digit(pair[0]), digit(pair[1])) else {
            return Ok(Datum::Null);
        };
        out.push(high << 4 | low);
    }
    Ok(Datum::Bytes(out))
}

fn bin(call: Call) -> Result<Datum, Error> {
    Ok(Datum::Text(format!("{:b}", integer_bits(&call.args[0]))))
}

fn oct(call: Call) -> Result<Datum, Error> {
    Ok(Datum::Text(format!("{:o}", integer_bits(&call.args[0]))))
}

fn ascii(call: Call) -> Result<Datum, Error> {
    Ok(Datum::Int(bytes(&call.args[0]).first().map_or(0, |b| i64::from(*b))))
}

fn space(call: Call) -> Result<Datum, Error> {
    let count = int_arg(&call.args[0]).unwrap_or(0).max(0);
    Ok(match copies_within_limit(1, count) {
        Some(count) => Datum::Text(" ".repeat(count)),
        None => Datum::Null,
    })
}

fn strcmp(call: Call) -> Result<Datum, Error> {
    let (a, b) = (&call.args[0], &call.args[1]);
    // Both sides compare as strings (STRCMP(10, 9) is -1), binary ones byte by byte.
    let order = if is_binary(a) || is_binary(b) {
        bytes(a).cmp(&bytes(b))
    } else {
        let (a, b) = (string(a).into_owned(), string(b).into_owned());
        let bytewise = a.as_bytes().cmp(b.as_bytes());
        Datum::Text(a).sql_cmp(&Datum::Text(b)).unwrap_or(bytewise)
    };
    Ok(Datum::Int(match order {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }))
}

/// `digits` (an optional `-`, digits, an optional fraction) with commas between thousands.
fn group_thousands(digits: &str) -> String {
    let (sign, unsigned) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", digits),
    };
    let (whole, fraction) = match unsigned.find('.') {
        Some(at) => unsigned.split_at(at),
        None => (unsigned, ""),
    };
    let mut out = String::with_capacity(digits.len() + whole.len() / 3);
    out.push_str(sign);
    for (index, c) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(fraction);
    out
}

/// FORMAT(x, d[, locale]): `x` rounded to `d` decimals (0..=30) with thousands separators,
/// always in the en_US style.
fn format(call: Call) -> Result<Datum, Error> {
    let places = int_arg(&call.args[1]).unwrap_or(0).clamp(0, 30);
    let zeros = "0".repeat(places as usize);
    let exact = match &call.args[0] {
        Datum::Int(v) if places == 0 => Some(v.to_string()),
        Datum::Int(v) => Some(format!("{v}.{zeros}")),
        Datum::UInt(v) if places == 0 => Some(v.to_string()),
        Datum::UInt(v) => Some(format!("{v}.{zeros}")),
        Datum::Decimal(d) => round_decimal(d.mantissa, d.scale, places, Rounding::HalfAwayFromZero)
            .filter(|(_, scale)| i64::from(*scale) == places)
            .map(|(mantissa, scale)| decimal_text(mantissa, scale)),
        _ => None,
    };
    let plain = match exact {
        Some(plain) => plain,
        None => match call.args[0].to_f64() {
            Some(v) if v.is_finite() => {
                let rounded = round_float(v, places, Rounding::HalfEven);
                format!("{rounded:.prec$}", prec = places as usize)
            }
            _ => return Ok(Datum::Null),
        },
    };
    Ok(Datum::Text(group_thousands(&plain)))
}

fn quote(call: Call) -> Result<Datum, Error> {
    let Some(s) = text(&call.args[0]) else {
        return Ok(Datum::Text("NULL".to_string()));
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\0' => out.push_str("\\0"),
            '\u{1a}' => out.push_str("\\Z"),
            c => out.push(c),
        }
    }
    out.push('\'');
    Ok(Datum::Text(out))
}

/// INSERT(s, pos, len, new): `s` with `len` characters from `pos` replaced by `new`; a
/// position outside `s` leaves it unchanged, a length past the end replaces the rest.
fn insert(call: Call) -> Result<Datum, Error> {
    let s = string(&call.args[0]);
    let pos = int_arg(&call.args[1]).unwrap_or(0);
    let len = int_arg(&call.args[2]).unwrap_or(0);
    let new = string(&call.args[3]);
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len() as i128;
    if pos < 1 || i128::from(pos) > n {
        return Ok(Datum::Text(s.into_owned()));
    }
    let start = (pos - 1) as usize;
    let end = if len < 0 || i128::from(pos - 1) + i128::from(len) > n {
        chars.len()
    } else {
        start + len as usize
    };
    let mut out: String = chars[..start].iter().collect();
    out.push_str(&new);
    out.extend(&chars[end..]);
    Ok(bounded(out))
}

fn field(call: Call) -> Result<Datum, Error> {
    let target = &call.args[0];
    if target.is_null() {
        return Ok(Datum::Int(0));
    }
    let found = call.args[1..]
        .iter()
        .position(|candidate| target.sql_cmp(candidate) == Some(Ordering::Equal));
    Ok(Datum::Int(found.map_or(0, |index| index as i64 + 1)))
}

fn elt(mut call: Call) -> Result<Datum, Error> {
    let Some(index) = int_arg(&call.args[0]) else {
        return Ok(Datum::Null);
    };
    match usize::try_from(index) {
        Ok(index) if index >= 1 && index < call.args.len() => Ok(call.args.swap_remove(index)),
        _ => Ok(Datum::Null),
    }
}

fn find_in_set(call: Call) -> Result<Datum, Error> {
    let needle = string(&call.args[0]);
    let list = string(&call.args[1]);
    if list.is_empty() || needle.contains(',') {
        return Ok(Datum::Int(0));
    }
    let needle = folded(&needle);
    let found = list.split(',').position(|item| folded(item) == needle);
    Ok(Datum::Int(found.map_or(0, |index| index as i64 + 1)))
}

/// SUBSTRING_INDEX(s, delim, count): what precedes the count-th `delim` (or, for a negative
/// count, follows the count-th from the right); all of `s` when there are fewer.
fn substring_index(call: Call) -> Result<Datum, Error> {
    let s = string(&call.args[0]);
    let delim = string(&call.args[1]);
    let count = int_arg(&call.args[2]).unwrap_or(0);
    if delim.is_empty() || count == 0 {
        return Ok(Datum::Text(String::new()));
    }
    let wanted = count.unsigned_abs();
    let result = if count > 0 {
        let nth = s.match_indices(&*delim).zip(1u64..).find(|(_, n)| *n == wanted);
        nth.map_or(&*s, |((at, _), _)| &s[..at])
    } else {
        let nth = s.rmatch_indices(&*delim).zip(1u64..).find(|(_, n)| *n == wanted);
        nth.map_or(&*s, |((at, _), _)| &s[at + delim.len()..])
    };
    Ok(Datum::Text(result.to_string()))
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with `=` padding and no line breaks.
pub(super) fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(char::from(BASE64[(n >> (18 - 6 * index) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes padded base64, ignoring whitespace (MySQL's output breaks lines). Invalid → None.
fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
    let symbols: Vec<u8> = text.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    if symbols.len() % 4 != 0 {
        return None;
    }
    let value = |b: u8| BASE64.iter().position(|&s| s == b).map(|v| v as u32);
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3);
    let groups = symbols.len() / 4;
    for (index, group) in symbols.chunks_exact(4).enumerate() {
        let padding = group.iter().rev().take_while(|&&b| b == b'=').count();
        if padding > 2 || (padding > 0 && index + 1 != groups) {
            return None;
        }
        let mut n = 0u32;
        for &symbol in &group[..4 - padding] {
            n = n << 6 | value(symbol)?;
        }
        n <<= 6 * padding as u32;
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&decoded[..3 - padding]);
    }
    Some(out)
}

fn to_base64(call: Call) -> Result<Datum, Error> {
    let encoded = base64_encode(&bytes(&call.args[0]));
    // MySQL breaks the output into lines of 76 characters.
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 76);
    for (index, c) in encoded.chars().enumerate() {
        if index > 0 && index % 76 == 0 {
            out.push('\n');
        }
        out.push(c);
    }
    Ok(bounded(out))
}

fn from_base64(call: Call) -> Result<Datum, Error> {
    Ok(base64_decode(&bytes(&call.args[0])).map_or(Datum::Null, Datum::Bytes))
}
