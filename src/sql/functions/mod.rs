//! Scalar functions: string, math, date and JSON functions by their MySQL names. Aggregates
//! live in the executor; `CAST`, `CASE` and operators are expressions, not functions.

mod control;
mod date;
mod json;
mod math;
mod string;

/// JSON text as SQL writes it, which the remote server's error bodies also use.
pub use json::write_string as write_json_string;

use std::borrow::Cow;
use std::sync::OnceLock;

use super::error::{Error, ErrorKind};
use super::types::Datum;

/// What functions may read besides their arguments. The clock is handed in, never read here.
#[derive(Clone, Copy, Debug)]
pub struct FunctionContext {
    /// The statement's start time, microseconds since the epoch (UTC).
    pub now_micros: i64,
}

/// Whether `name` (lower case) is a scalar function this module implements.
pub fn is_scalar(name: &str) -> bool {
    lookup(name).is_some()
}

/// Calls the scalar function `name` (lower case) on evaluated arguments.
pub fn call(name: &str, args: Vec<Datum>, context: &FunctionContext) -> Result<Datum, Error> {
    let Some(spec) = lookup(name) else {
        return Err(Error::new(
            ErrorKind::UnknownFunction,
            format!("FUNCTION {name} does not exist"),
        ));
    };
    if args.len() < spec.min || args.len() > spec.max {
        return Err(wrong_count(name));
    }
    if spec.nulls == Nulls::Propagate && args.iter().any(Datum::is_null) {
        return Ok(Datum::Null);
    }
    (spec.run)(Call { name, args, context })
}

/// No upper bound on the number of arguments.
const MANY: usize = usize::MAX;

/// The longest string a function builds (MySQL's default `max_allowed_packet`); longer results
/// are NULL, as in MySQL, so a query cannot exhaust memory through `REPEAT` or `LPAD`.
const MAX_RESULT_BYTES: usize = 64 << 20;

/// How a function treats NULL arguments.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nulls {
    /// Any NULL argument makes the result NULL without running the function.
    Propagate,
    /// The function sees NULL arguments and decides itself.
    Handle,
}

/// One invocation: the name it was called by (for messages), its arguments and the context.
struct Call<'a> {
    name: &'a str,
    args: Vec<Datum>,
    context: &'a FunctionContext,
}

/// A function's name, argument count range, NULL treatment and body.
struct Spec {
    name: &'static str,
    min: usize,
    max: usize,
    nulls: Nulls,
    run: fn(Call<'_>) -> Result<Datum, Error>,
}

impl Spec {
    /// A function whose result is NULL whenever an argument is NULL.
    const fn strict(
        name: &'static str,
        min: usize,
        max: usize,
        run: fn(Call<'_>) -> Result<Datum, Error>,
    ) -> Spec {
        Spec { name, min, max, nulls: Nulls::Propagate, run }
    }

    /// A function that handles NULL arguments itself.
    const fn sees_nulls(
        name: &'static str,
        min: usize,
        max: usize,
        run: fn(Call<'_>) -> Result<Datum, Error>,
    ) -> Spec {
        Spec { name, min, max, nulls: Nulls::Handle, run }
    }
}

/// The function named `name`, found by binary search in one table sorted on first use (a
/// sorted table rather than a hash map keeps lookups free of seeded randomness).
fn lookup(name: &str) -> Option<&'static Spec> {
    static TABLE: OnceLock<Vec<&'static Spec>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let families = [
            control::FUNCTIONS,
            string::FUNCTIONS,
            math::FUNCTIONS,
            date::FUNCTIONS,
            json::FUNCTIONS,
        ];
        let mut table: Vec<&'static Spec> = families.into_iter().flatten().collect();
        table.sort_unstable_by_key(|spec| spec.name);
        table
    });
    let at = table.binary_search_by(|spec| spec.name.cmp(name)).ok()?;
    Some(table[at])
}

fn wrong_count(name: &str) -> Error {
    Error::new(
        ErrorKind::WrongArgumentCount,
        format!("Incorrect parameter count in the call to native function '{name}'"),
    )
}

fn bad_value(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::BadValue, message)
}

/// An argument as text, the way string functions read it: binary strings as UTF-8 (invalid
/// sequences replaced), other values as MySQL shows them. NULL → None.
fn text(value: &Datum) -> Option<Cow<'_, str>> {
    match value {
        Datum::Null => None,
        Datum::Text(s) => Some(Cow::Borrowed(s)),
        Datum::Bytes(b) => Some(String::from_utf8_lossy(b)),
        other => other.to_text().map(Cow::Owned),
    }
}

/// An argument as text, empty for NULL (for functions whose NULLs were already handled).
fn string(value: &Datum) -> Cow<'_, str> {
    text(value).unwrap_or_default()
}

/// An argument as bytes: binary strings as they are, everything else as its text's bytes.
fn bytes(value: &Datum) -> Cow<'_, [u8]> {
    match value {
        Datum::Bytes(b) => Cow::Borrowed(b),
        other => match string(other) {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        },
    }
}

/// An argument as an integer (positions, lengths, counts): exact for integers, rounded for
/// the rest, saturating instead of failing because a position past any string is just "past
/// the end". NULL → None.
fn int_arg(value: &Datum) -> Option<i64> {
    match value {
        Datum::Null => None,
        Datum::Int(v) => Some(*v),
        Datum::UInt(v) => Some(i64::try_from(*v).unwrap_or(i64::MAX)),
        other => match other.to_i64() {
            Ok(v) => v,
            // Float-to-int `as` saturates (and maps NaN to 0), which is what a position wants.
            Err(_) => other.to_f64().map(|f| f.round() as i64),
        },
    }
}

/// 10^n, if it fits an `i128` (n ≤ 38).
fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// The decimal `mantissa / 10^scale` written out (`-1.50`, `0.05`), for any scale.
fn decimal_text(mantissa: i128, scale: u8) -> String {
    let digits = mantissa.unsigned_abs().to_string();
    let scale = usize::from(scale);
    let mut out = String::with_capacity(digits.len() + scale + 3);
    if mantissa < 0 {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(&digits);
        return out;
    }
    if digits.len() <= scale {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', scale - digits.len()));
        out.push_str(&digits);
    } else {
        let (whole, fraction) = digits.split_at(digits.len() - scale);
        out.push_str(whole);
        out.push('.');
        out.push_str(fraction);
    }
    out
}
