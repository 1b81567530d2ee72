//! Math functions: integers and decimals stay exact where MySQL keeps them exact, everything
//! else computes in doubles, and a result that is not a finite double is an out-of-range error.

use std::f64::consts::PI;

use super::{bytes, int_arg, pow10, Call, Spec};
use crate::sql::error::{Error, ErrorKind};
use crate::sql::types::{Datum, Decimal};

pub(super) static FUNCTIONS: &[Spec] = &[
    Spec::strict("abs", 1, 1, abs),
    Spec::strict("ceil", 1, 1, ceil),
    Spec::strict("ceiling", 1, 1, ceil),
    Spec::strict("floor", 1, 1, floor),
    Spec::strict("round", 1, 2, round),
    Spec::strict("truncate", 2, 2, truncate),
    Spec::strict("mod", 2, 2, modulo),
    Spec::strict("pow", 2, 2, pow),
    Spec::strict("power", 2, 2, pow),
    Spec::strict("sqrt", 1, 1, sqrt),
    Spec::strict("exp", 1, 1, exp),
    Spec::strict("ln", 1, 1, ln),
    Spec::strict("log", 1, 2, log),
    Spec::strict("log2", 1, 1, log2),
    Spec::strict("log10", 1, 1, log10),
    Spec::strict("sign", 1, 1, sign),
    Spec::strict("pi", 0, 0, pi),
    Spec::strict("degrees", 1, 1, degrees),
    Spec::strict("radians", 1, 1, radians),
    Spec::strict("sin", 1, 1, sin),
    Spec::strict("cos", 1, 1, cos),
    Spec::strict("tan", 1, 1, tan),
    Spec::strict("asin", 1, 1, asin),
    Spec::strict("acos", 1, 1, acos),
    Spec::strict("atan", 1, 2, atan),
    Spec::strict("atan2", 2, 2, atan),
    Spec::strict("cot", 1, 1, cot),
    Spec::strict("crc32", 1, 1, crc32),
    Spec::sees_nulls("rand", 0, 1, rand),
];

/// A numeric argument in the kind MySQL computes it in.
enum Num {
    Int(i64),
    UInt(u64),
    /// A decimal with at most 38 fraction digits (so `10^scale` fits an `i128`).
    Dec(i128, u8),
    Float(f64),
}

fn num(value: &Datum) -> Num {
    match value {
        Datum::Int(v) => Num::Int(*v),
        Datum::UInt(v) => Num::UInt(*v),
        Datum::Decimal(d) if d.scale <= 38 => Num::Dec(d.mantissa, d.scale),
        Datum::Float(f) => Num::Float(*f),
        // Strings and everything else compute as doubles, as in MySQL.
        other => Num::Float(other.to_f64().unwrap_or(0.0)),
    }
}

fn out_of_range(kind: &str, name: &str) -> Error {
    Error::new(ErrorKind::OutOfRange, format!("{kind} value is out of range in '{name}'"))
}

fn decimal(mantissa: i128, scale: u8) -> Datum {
    Datum::Decimal(Decimal { mantissa, scale })
}

/// A double result, or MySQL's out-of-range error when it is infinite or NaN.
fn finite(value: f64, name: &str) -> Result<Datum, Error> {
    if value.is_finite() {
        Ok(Datum::Float(value))
    } else {
        Err(out_of_range("DOUBLE", name))
    }
}

/// A function of one double; `f` returns None where MySQL returns NULL.
fn unary(call: &Call, f: impl Fn(f64) -> Option<f64>) -> Result<Datum, Error> {
    let x = call.args[0].to_f64().unwrap_or(0.0);
    match f(x) {
        Some(value) => finite(value, call.name),
        None => Ok(Datum::Null),
    }
}

fn float_args(call: &Call) -> (f64, f64) {
    (call.args[0].to_f64().unwrap_or(0.0), call.args[1].to_f64().unwrap_or(0.0))
}

/// How ROUND and TRUNCATE drop digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Rounding {
    /// Exact types round halves away from zero.
    HalfAwayFromZero,
    /// Doubles round halves to even (MySQL uses the C library's `rint`).
    HalfEven,
    TowardZero,
}

/// `value / 10^k` rounded to an integer (exact; halves away from zero unless truncating).
fn div_pow10(value: i128, k: u32, mode: Rounding) -> i128 {
    let Some(divisor) = pow10(k) else {
        // 10^39 exceeds any i128 more than twice over, so the quotient rounds to 0.
        return 0;
    };
    let quotient = value / divisor;
    let remainder = value % divisor;
    if mode != Rounding::TowardZero && remainder.unsigned_abs() * 2 >= divisor.unsigned_abs() {
        quotient + value.signum()
    } else {
        quotient
    }
}

/// The decimal `mantissa / 10^scale` rounded to `places` decimals (negative: to tens,
/// hundreds, ...), as (mantissa, scale) with scale `max(places, 0)` capped at 30. None if
/// the result does not fit.
pub(super) fn round_decimal(
    mantissa: i128,
    scale: u8,
    places: i64,
    mode: Rounding,
) -> Option<(i128, u8)> {
    let places = places.clamp(-100, 30);
    let scale_i = i64::from(scale);
    if places >= scale_i {
        let factor = pow10((places - scale_i) as u32)?;
        return Some((mantissa.checked_mul(factor)?, places as u8));
    }
    let quotient = div_pow10(mantissa, (scale_i - places) as u32, mode);
    if places >= 0 {
        return Some((quotient, places as u8));
    }
    if quotient == 0 {
        return Some((0, 0));
    }
    Some((quotient.checked_mul(pow10(places.unsigned_abs() as u32)?)?, 0))
}

/// An integer rounded to `places` (only negative places change it).
fn round_integer(value: i128, places: i64, mode: Rounding) -> Option<i128> {
    if places >= 0 {
        return Some(value);
    }
    let k = places.unsigned_abs().min(100) as u32;
    let quotient = div_pow10(value, k, mode);
    if quotient == 0 {
        return Some(0);
    }
    quotient.checked_mul(pow10(k)?)
}

/// A double rounded to `places` decimals the way MySQL's `my_double_round` does.
pub(super) fn round_float(value: f64, places: i64, mode: Rounding) -> f64 {
    let whole = |x: f64| match mode {
        Rounding::TowardZero => x.trunc(),
        Rounding::HalfEven => x.round_ties_even(),
        Rounding::HalfAwayFromZero => x.round(),
    };
    if places > 308 {
        return value;
    }
    if places < -308 {
        return 0.0;
    }
    let factor = 10f64.powi(places.unsigned_abs() as i32);
    if places >= 0 {
        let scaled = value * factor;
        if !scaled.is_finite() {
            return value;
        }
        whole(scaled) / factor
    } else {
        whole(value / factor) * factor
    }
}

fn abs(call: Call) -> Result<Datum, Error> {
    match num(&call.args[0]) {
        Num::Int(v) => v.checked_abs().map(Datum::Int).ok_or_else(|| out_of_range("BIGINT", "abs")),
        Num::UInt(v) => Ok(Datum::UInt(v)),
        Num::Dec(m, s) => {
            m.checked_abs().map(|m| decimal(m, s)).ok_or_else(|| out_of_range("DECIMAL", "abs"))
        }
        Num::Float(f) => finite(f.abs(), call.name),
    }
}

fn ceil(call: Call) -> Result<Datum, Error> {
    ceil_or_floor(call, true)
}

fn floor(call: Call) -> Result<Datum, Error> {
    ceil_or_floor(call, false)
}

/// CEIL and FLOOR: integers unchanged, decimals to an integer (an `Int` when it fits), doubles
/// to an integral double.
fn ceil_or_floor(call: Call, up: bool) -> Result<Datum, Error> {
    match num(&call.args[0]) {
        Num::Int(v) => Ok(Datum::Int(v)),
        Num::UInt(v) => Ok(Datum::UInt(v)),
        Num::Dec(m, s) => {
            let divisor = pow10(u32::from(s)).unwrap_or(i128::MAX);
            let mut whole = m.div_euclid(divisor);
            if up && m.rem_euclid(divisor) != 0 {
                whole += 1;
            }
            Ok(i64::try_from(whole).map_or(decimal(whole, 0), Datum::Int))
        }
        Num::Float(f) => finite(if up { f.ceil() } else { f.floor() }, call.name),
    }
}

fn round(call: Call) -> Result<Datum, Error> {
    let places = call.args.get(1).map_or(Some(0), int_arg).unwrap_or(0);
    round_to(&call, places, Rounding::HalfAwayFromZero)
}

fn truncate(call: Call) -> Result<Datum, Error> {
    let places = int_arg(&call.args[1]).unwrap_or(0);
    round_to(&call, places, Rounding::TowardZero)
}

/// ROUND and TRUNCATE keep the argument's type: integers stay integers, decimals stay exact
/// with `max(places, 0)` decimals, doubles stay doubles.
fn round_to(call: &Call, places: i64, exact_mode: Rounding) -> Result<Datum, Error> {
    let name = call.name;
    match num(&call.args[0]) {
        Num::Int(v) => round_integer(i128::from(v), places, exact_mode)
            .and_then(|r| i64::try_from(r).ok())
            .map(Datum::Int)
            .ok_or_else(|| out_of_range("BIGINT", name)),
        Num::UInt(v) => round_integer(i128::from(v), places, exact_mode)
            .and_then(|r| u64::try_from(r).ok())
            .map(Datum::UInt)
            .ok_or_else(|| out_of_range("BIGINT UNSIGNED", name)),
        Num::Dec(m, s) => match round_decimal(m, s, places, exact_mode) {
            Some((m, s)) => Ok(decimal(m, s)),
            // More decimals than 38 digits hold: the value is exact as it is.
            None if places >= i64::from(s) => Ok(decimal(m, s)),
            None => Err(out_of_range("DECIMAL", name)),
        },
        Num::Float(f) => {
            let mode = match exact_mode {
                Rounding::TowardZero => Rounding::TowardZero,
                _ => Rounding::HalfEven,
            };
            finite(round_float(f, places, mode), name)
        }
    }
}

fn modulo(call: Call) -> Result<Datum, Error> {
    call.args[0].rem(&call.args[1])
}

fn pow(call: Call) -> Result<Datum, Error> {
    let (x, y) = float_args(&call);
    finite(x.powf(y), call.name)
}

fn sqrt(call: Call) -> Result<Datum, Error> {
    unary(&call, |x| (x >= 0.0).then(|| x.sqrt()))
}

fn exp(call: Call) -> Result<Datum, Error> {
    unary(&call, |x| Some(x.exp()))
}

fn ln(call: Call) -> Result<Datum, Error> {
    unary(&call, |x| (x > 0.0).then(|| x.ln()))
}

fn log(call: Call) -> Result<Datum, Error> {
    if call.args.len() == 1 {
        return ln(call);
    }
    let (base, x) = float_args(&call);
    // A base of 1 divides by ln(1) = 0, which MySQL answers with NULL.
    if base <= 0.0 || x <= 0.0 || base == 1.0 {
        return Ok(Datum::Null);
    }
    finite(x.ln() / base.ln(), call.name)
}

fn log2(call: Call) -> Result<Datum, Error> {
    unary(&call, |x| (x > 0.0).then(|| x.log2()))
}

fn log10(call: Call) -> Result<Datum, Error> {
    unary(&call, |x| (x > 0.0).then(|| x.log10()))
}

fn sign(call: Call) -> Result<Datum, Error> {
    Ok(Datum::Int(match num(&call.args[0]) {
        Num::Int(v) => v.signum(),
        Num::UInt(v) => i64::from(v > 0),
        Num::Dec(m, _) => m.signum() as i64,
        Num::Float(f) if f > 0.0 => 1,
        Num::Float(f) if f < 0.0 => -1,
        Num::Float(_) => 0,
    }))
}

fn pi(_: Call) -> Result<Datum, Error> {
    Ok(Datum::Float(PI))
}

fn degrees(call: Call) -> Result<Datum, Error> {
    unary(&call, |x| Some(x.to_degrees()))
}

fn radians(call: Call) -> Result<Datum, Error> {
    unary(&call, |x| Some(x.to_radians()))
}

fn sin(call: Call) -> Result<Datum, Error> {
    unary(&call, |x| Some(x.sin()))
}

fn cos(call: Call) -> Result<Datum, Error> {
    unary(&call, |x| Some(x.cos()))
}

fn tan(call: Call) -> Result<Datum, Error> {
    unary(&call, |x| Some(x.tan()))
}

fn asin(call: Call) -> Result<Datum, Error> {
    unary(&call, |x| (-1.0..=1.0).contains(&x).then(|| x.asin()))
}

fn acos(call: Call) -> Result<Datum, Error> {
    unary(&call, |x| (-1.0..=1.0).contains(&x).then(|| x.acos()))
}

/// ATAN(x), ATAN(y, x) and ATAN2(y, x).
fn atan(call: Call) -> Result<Datum, Error> {
    if call.args.len() == 1 {
        return unary(&call, |x| Some(x.atan()));
    }
    let (y, x) = float_args(&call);
    finite(y.atan2(x), call.name)
}

fn cot(call: Call) -> Result<Datum, Error> {
    unary(&call, |x| Some(1.0 / x.tan()))
}

/// The CRC-32 (IEEE 802.3) lookup table, computed at compile time.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

fn crc32(call: Call) -> Result<Datum, Error> {
    let mut crc = u32::MAX;
    for &byte in bytes(&call.args[0]).iter() {
        crc = CRC_TABLE[usize::from((crc as u8) ^ byte)] ^ (crc >> 8);
    }
    Ok(Datum::Int(i64::from(!crc)))
}

/// RAND needs randomness, which must be injected like the clock; until it is, it is refused
/// rather than answered with something that is not random.
fn rand(_: Call) -> Result<Datum, Error> {
    Err(Error::unsupported("RAND()"))
}
