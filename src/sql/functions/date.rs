//! Date and time functions: dates are days since 1970-01-01 and datetimes microseconds since
//! the epoch, as `Datum` holds them, within MySQL's range 0001-01-01 to 9999-12-31; results
//! outside it are NULL. The clock is read only from the statement's context.

use std::fmt::Write;

use super::math::{round_decimal, Rounding};
use super::{bad_value, int_arg, string, text, Call, Spec};
use crate::sql::error::Error;
use crate::sql::types::{
    civil_from_days, days_from_civil, parse_date, parse_datetime, Datum, Decimal,
};

pub(super) static FUNCTIONS: &[Spec] = &[
    Spec::strict("now", 0, 1, now),
    Spec::strict("current_timestamp", 0, 1, now),
    Spec::strict("localtimestamp", 0, 1, now),
    Spec::strict("localtime", 0, 1, now),
    Spec::strict("sysdate", 0, 1, now),
    Spec::strict("utc_timestamp", 0, 1, now),
    Spec::strict("curdate", 0, 0, curdate),
    Spec::strict("current_date", 0, 0, curdate),
    Spec::strict("utc_date", 0, 0, curdate),
    Spec::strict("curtime", 0, 1, curtime),
    Spec::strict("current_time", 0, 1, curtime),
    Spec::strict("utc_time", 0, 1, curtime),
    Spec::strict("unix_timestamp", 0, 1, unix_timestamp),
    Spec::strict("from_unixtime", 1, 2, from_unixtime),
    Spec::strict("date", 1, 1, date),
    Spec::strict("timestamp", 1, 1, timestamp),
    Spec::strict("time", 1, 1, time),
    Spec::strict("year", 1, 1, year),
    Spec::strict("month", 1, 1, month),
    Spec::strict("day", 1, 1, day),
    Spec::strict("dayofmonth", 1, 1, day),
    Spec::strict("hour", 1, 1, hour),
    Spec::strict("minute", 1, 1, minute),
    Spec::strict("second", 1, 1, second),
    Spec::strict("microsecond", 1, 1, microsecond),
    Spec::strict("dayofweek", 1, 1, dayofweek),
    Spec::strict("weekday", 1, 1, weekday),
    Spec::strict("dayofyear", 1, 1, dayofyear),
    Spec::strict("week", 1, 2, week),
    Spec::strict("weekofyear", 1, 1, weekofyear),
    Spec::strict("yearweek", 1, 2, yearweek),
    Spec::strict("quarter", 1, 1, quarter),
    Spec::strict("dayname", 1, 1, dayname),
    Spec::strict("monthname", 1, 1, monthname),
    Spec::strict("last_day", 1, 1, last_day),
    Spec::strict("datediff", 2, 2, datediff),
    Spec::strict("timestampdiff", 3, 3, timestampdiff),
    Spec::strict("timestampadd", 3, 3, timestampadd),
    Spec::strict("date_add", 3, 3, date_add),
    Spec::strict("date_sub", 3, 3, date_sub),
    Spec::strict("adddate", 2, 3, date_add),
    Spec::strict("subdate", 2, 3, date_sub),
    Spec::strict("extract", 2, 2, extract),
    Spec::strict("date_format", 2, 2, date_format),
    Spec::strict("str_to_date", 2, 2, str_to_date),
    Spec::strict("makedate", 2, 2, makedate),
    Spec::strict("to_days", 1, 1, to_days),
    Spec::strict("from_days", 1, 1, from_days),
    Spec::strict("time_to_sec", 1, 1, time_to_sec),
    Spec::strict("sec_to_time", 1, 1, sec_to_time),
];

const SECOND: i64 = 1_000_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// Days since 1970-01-01 of 0001-01-01 and 9999-12-31.
const MIN_DAYS: i64 = -719_162;
const MAX_DAYS: i64 = 2_932_896;
/// TO_DAYS('1970-01-01'): MySQL counts days from year 0.
const TO_DAYS_EPOCH: i64 = 719_528;
/// FROM_UNIXTIME's limit (3001-01-19 03:14:07 on 64-bit MySQL), in seconds.
const MAX_UNIX_SECONDS: i64 = 32_536_771_199;
/// TIME's range, 838:59:59, in microseconds.
const MAX_TIME: i64 = 838 * HOUR + 59 * MINUTE + 59 * SECOND;

const DAY_NAMES: [&str; 7] =
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A date or datetime argument, keeping which it was (DATE_ADD returns the same kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Temporal {
    /// Days since 1970-01-01, within the supported range.
    Date(i64),
    /// Microseconds since the epoch, within the supported range.
    DateTime(i64),
}

impl Temporal {
    fn micros(self) -> i64 {
        match self {
            Temporal::Date(days) => days * DAY,
            Temporal::DateTime(micros) => micros,
        }
    }

    fn days(self) -> i64 {
        self.micros().div_euclid(DAY)
    }

    /// Microseconds since midnight.
    fn time(self) -> i64 {
        self.micros().rem_euclid(DAY)
    }

    fn datum(self) -> Datum {
        match self {
            // In range, so the day count fits an i32.
            Temporal::Date(days) => Datum::Date(days as i32),
            Temporal::DateTime(micros) => Datum::DateTime(micros),
        }
    }
}

fn date_in_range(days: i64) -> Option<Temporal> {
    (MIN_DAYS..=MAX_DAYS).contains(&days).then_some(Temporal::Date(days))
}

fn datetime_in_range(micros: i64) -> Option<Temporal> {
    (MIN_DAYS..=MAX_DAYS).contains(&micros.div_euclid(DAY)).then_some(Temporal::DateTime(micros))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_in_year(year: i64) -> i64 {
    if is_leap(year) {
        366
    } else {
        365
    }
}

/// Days since 1970-01-01 of a date in the supported range, or None.
fn from_ymd(year: i64, month: i64, day: i64) -> Option<i64> {
    if !(1..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
    {
        return None;
    }
    days_from_civil(year as i32, month as u32, day as u32).map(i64::from)
}

/// (year, month, day) of a day count; clamped to the supported range so no caller can push
/// the conversion out of its domain.
fn ymd(days: i64) -> (i64, i64, i64) {
    let (year, month, day) = civil_from_days(days.clamp(MIN_DAYS, MAX_DAYS) as i32);
    (i64::from(year), i64::from(month), i64::from(day))
}

/// Reads a date or datetime argument: DATE and DATETIME values, strings that parse as either,
/// and numbers in MySQL's YYYYMMDD / YYMMDD / YYYYMMDDhhmmss forms. Anything else → None.
fn temporal(value: &Datum) -> Option<Temporal> {
    match value {
        Datum::Date(days) => date_in_range(i64::from(*days)),
        Datum::DateTime(micros) => datetime_in_range(*micros),
        Datum::Text(s) => temporal_text(s),
        Datum::Bytes(b) => std::str::from_utf8(b).ok().and_then(temporal_text),
        Datum::Int(n) => temporal_number(i128::from(*n)),
        Datum::UInt(n) => temporal_number(i128::from(*n)),
        Datum::Decimal(d) => temporal_number(match super::pow10(u32::from(d.scale)) {
            Some(divisor) => d.mantissa / divisor,
            None => 0,
        }),
        Datum::Float(f) if f.is_finite() && f.abs() < 1e20 => temporal_number(f.trunc() as i128),
        Datum::Float(_) | Datum::Json(_) | Datum::Null => None,
    }
}

fn temporal_text(s: &str) -> Option<Temporal> {
    let s = s.trim();
    if s.contains(':') {
        return parse_datetime(s).and_then(datetime_in_range);
    }
    match parse_date(s) {
        Some(days) => date_in_range(i64::from(days)),
        None => parse_datetime(s).and_then(datetime_in_range),
    }
}

fn temporal_number(n: i128) -> Option<Temporal> {
    let date = |n: i128, two_digit_year: bool| {
        let (mut year, month, day) =
            ((n / 10_000) as i64, (n / 100 % 100) as i64, (n % 100) as i64);
        if two_digit_year {
            year = year_2000(year);
        }
        from_ymd(year, month, day)
    };
    match n {
        101..=991_231 => date(n, true).and_then(date_in_range),
        10_000_101..=99_991_231 => date(n, false).and_then(date_in_range),
        10_000_101_000_000..=99_991_231_235_959 => {
            let days = date(n / 1_000_000, false)?;
            let (hour, minute, second) =
                ((n / 10_000 % 100) as i64, (n / 100 % 100) as i64, (n % 100) as i64);
            if hour > 23 || minute > 59 || second > 59 {
                return None;
            }
            datetime_in_range(days * DAY + hour * HOUR + minute * MINUTE + second * SECOND)
        }
        _ => None,
    }
}

/// MySQL's reading of two-digit years: 00–69 are 2000–2069, 70–99 are 1970–1999.
fn year_2000(year: i64) -> i64 {
    match year {
        0..=69 => year + 2000,
        70..=99 => year + 1900,
        _ => year,
    }
}

/// Parses a TIME string: `[-]h:mm[:ss[.ffffff]]`, hours up to 838. Signed microseconds.
fn parse_time_text(s: &str) -> Option<i64> {
    let s = s.trim();
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (main, fraction) = s.split_once('.').unwrap_or((s, ""));
    let mut fields = main.split(':');
    let mut field = |max_digits: usize| -> Option<Option<i64>> {
        match fields.next() {
            None => Some(None),
            Some(f)
                if !f.is_empty()
                    && f.len() <= max_digits
                    && f.bytes().all(|b| b.is_ascii_digit()) =>
            {
                f.parse().ok().map(Some)
            }
            Some(_) => None,
        }
    };
    let hours = field(3)??;
    let minutes = field(2)??;
    let seconds = field(2)?.unwrap_or(0);
    if fields.next().is_some() || minutes > 59 || seconds > 59 {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) || (fraction.is_empty() && s.contains('.')) {
        return None;
    }
    let micros = fraction_micros(fraction);
    let total = hours * HOUR + minutes * MINUTE + seconds * SECOND + micros;
    if total > MAX_TIME + 999_999 {
        return None;
    }
    Some(if negative { -total } else { total })
}

/// Fraction digits (`"5"` → 500000), extra digits past microseconds dropped.
fn fraction_micros(digits: &str) -> i64 {
    let mut micros = 0;
    for (index, b) in digits.bytes().take(6).enumerate() {
        micros += i64::from(b - b'0') * 10i64.pow(5 - index as u32);
    }
    micros
}

/// A time-of-day argument for HOUR, MINUTE, SECOND, TIME and friends: the time part of a
/// datetime, or a TIME string. Signed microseconds.
fn time_value(value: &Datum) -> Option<i64> {
    if let Some(t) = temporal(value) {
        return Some(t.time());
    }
    match value {
        Datum::Text(_) | Datum::Bytes(_) => parse_time_text(&string(value)),
        _ => None,
    }
}

/// The fields of a date or datetime.
struct Parts {
    days: i64,
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    micro: i64,
}

fn parts(t: Temporal) -> Parts {
    let (year, month, day) = ymd(t.days());
    let time = t.time();
    Parts {
        days: t.days(),
        year,
        month,
        day,
        hour: time / HOUR,
        minute: time / MINUTE % 60,
        second: time / SECOND % 60,
        micro: time % SECOND,
    }
}

impl Parts {
    /// 0 = Monday.
    fn weekday(&self) -> i64 {
        (self.days + 3).rem_euclid(7)
    }

    fn day_of_year(&self) -> i64 {
        self.days - from_ymd(self.year, 1, 1).unwrap_or(self.days) + 1
    }

    fn hour12(&self) -> i64 {
        (self.hour + 11) % 12 + 1
    }
}

/// `YYYY-MM-DD` of a day count.
pub(super) fn format_date(days: i64) -> String {
    let (year, month, day) = ymd(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `YYYY-MM-DD HH:MM:SS`, with `.ffffff` when there are microseconds.
pub(super) fn format_datetime(micros: i64) -> String {
    let mut out = format_date(micros.div_euclid(DAY));
    out.push(' ');
    out.push_str(&format_time(micros.rem_euclid(DAY), None));
    out
}

/// `[-]HH:MM:SS` of signed microseconds, with `digits` fraction digits (None: six when there
/// is a fraction, none otherwise).
fn format_time(micros: i64, digits: Option<u32>) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let total = micros.unsigned_abs();
    let hours = total / HOUR as u64;
    let minutes = total / MINUTE as u64 % 60;
    let seconds = total / SECOND as u64 % 60;
    let fraction = total % SECOND as u64;
    let mut out = format!("{sign}{hours:02}:{minutes:02}:{seconds:02}");
    let digits = digits.unwrap_or(if fraction == 0 { 0 } else { 6 });
    if digits > 0 {
        let shown = fraction / 10u64.pow(6 - digits);
        let _ = write!(out, ".{shown:0width$}", width = digits as usize);
    }
    out
}

/// The optional fractional-seconds precision argument of NOW and CURTIME (0..=6).
fn precision(call: &Call) -> Result<u32, Error> {
    let Some(arg) = call.args.first() else {
        return Ok(0);
    };
    match int_arg(arg) {
        Some(p @ 0..=6) => Ok(p as u32),
        other => Err(bad_value(format!(
            "Too-big precision {} specified for '{}'. Maximum is 6.",
            other.unwrap_or(0),
            call.name
        ))),
    }
}

/// The statement time cut to `digits` fraction digits.
fn now_at(call: &Call, digits: u32) -> i64 {
    let unit = 10i64.pow(6 - digits);
    call.context.now_micros.div_euclid(unit).saturating_mul(unit)
}

fn now(call: Call) -> Result<Datum, Error> {
    let digits = precision(&call)?;
    Ok(Datum::DateTime(now_at(&call, digits)))
}

fn curdate(call: Call) -> Result<Datum, Error> {
    let days = call.context.now_micros.div_euclid(DAY);
    Ok(i32::try_from(days).map_or(Datum::Null, Datum::Date))
}

fn curtime(call: Call) -> Result<Datum, Error> {
    let digits = precision(&call)?;
    Ok(Datum::Text(format_time(now_at(&call, digits).rem_euclid(DAY), Some(digits))))
}

fn unix_timestamp(call: Call) -> Result<Datum, Error> {
    let Some(arg) = call.args.first() else {
        return Ok(Datum::Int(call.context.now_micros.div_euclid(SECOND)));
    };
    let Some(t) = temporal(arg) else {
        return Ok(Datum::Null);
    };
    let micros = t.micros();
    Ok(if micros < 0 {
        // MySQL answers 0 for times before the epoch.
        Datum::Int(0)
    } else if micros % SECOND == 0 {
        Datum::Int(micros / SECOND)
    } else {
        Datum::Decimal(Decimal { mantissa: i128::from(micros), scale: 6 })
    })
}

/// A number of seconds (fractions allowed) as microseconds; None if it does not fit.
fn seconds_to_micros(value: &Datum) -> Option<i64> {
    match value {
        Datum::Int(v) => v.checked_mul(SECOND),
        Datum::UInt(v) => i64::try_from(*v).ok()?.checked_mul(SECOND),
        Datum::Decimal(d) => {
            let (micros, _) = round_decimal(d.mantissa, d.scale, 6, Rounding::HalfAwayFromZero)
                .filter(|(_, scale)| *scale == 6)?;
            i64::try_from(micros).ok()
        }
        other => {
            let micros = (other.to_f64()? * SECOND as f64).round();
            (micros.is_finite() && micros.abs() < 9.0e18).then_some(micros as i64)
        }
    }
}

fn from_unixtime(call: Call) -> Result<Datum, Error> {
    let Some(micros) = seconds_to_micros(&call.args[0]) else {
        return Ok(Datum::Null);
    };
    if !(0..=MAX_UNIX_SECONDS * SECOND + 999_999).contains(&micros) {
        return Ok(Datum::Null);
    }
    match call.args.get(1) {
        None => Ok(Datum::DateTime(micros)),
        Some(format) => {
            Ok(Datum::Text(format_with(&parts(Temporal::DateTime(micros)), &string(format))))
        }
    }
}

/// Runs `f` on the parts of the first argument, NULL when it is not a date.
fn with_parts(call: &Call, f: impl Fn(&Parts) -> Datum) -> Result<Datum, Error> {
    Ok(temporal(&call.args[0]).map_or(Datum::Null, |t| f(&parts(t))))
}

fn date(call: Call) -> Result<Datum, Error> {
    Ok(temporal(&call.args[0]).map_or(Datum::Null, |t| Temporal::Date(t.days()).datum()))
}

/// `TIMESTAMP(expr)`: the value as a DATETIME (a date at midnight).
fn timestamp(call: Call) -> Result<Datum, Error> {
    Ok(temporal(&call.args[0]).map_or(Datum::Null, |t| Temporal::DateTime(t.micros()).datum()))
}

fn time(call: Call) -> Result<Datum, Error> {
    Ok(time_value(&call.args[0]).map_or(Datum::Null, |t| Datum::Text(format_time(t, None))))
}

fn year(call: Call) -> Result<Datum, Error> {
    with_parts(&call, |p| Datum::Int(p.year))
}

fn month(call: Call) -> Result<Datum, Error> {
    with_parts(&call, |p| Datum::Int(p.month))
}

fn day(call: Call) -> Result<Datum, Error> {
    with_parts(&call, |p| Datum::Int(p.day))
}

/// A field of a time-of-day argument (HOUR of a TIME string may exceed 23).
fn time_field(call: &Call, f: impl Fn(i64) -> i64) -> Result<Datum, Error> {
    Ok(time_value(&call.args[0]).map_or(Datum::Null, |t| Datum::Int(f(t.abs()))))
}

fn hour(call: Call) -> Result<Datum, Error> {
    time_field(&call, |t| t / HOUR)
}

fn minute(call: Call) -> Result<Datum, Error> {
    time_field(&call, |t| t / MINUTE % 60)
}

fn second(call: Call) -> Result<Datum, Error> {
    time_field(&call, |t| t / SECOND % 60)
}

fn microsecond(call: Call) -> Result<Datum, Error> {
    time_field(&call, |t| t % SECOND)
}

fn dayofweek(call: Call) -> Result<Datum, Error> {
    // 1 = Sunday ... 7 = Saturday.
    with_parts(&call, |p| Datum::Int((p.weekday() + 1) % 7 + 1))
}

fn weekday(call: Call) -> Result<Datum, Error> {
    with_parts(&call, |p| Datum::Int(p.weekday()))
}

fn dayofyear(call: Call) -> Result<Datum, Error> {
    with_parts(&call, |p| Datum::Int(p.day_of_year()))
}

fn quarter(call: Call) -> Result<Datum, Error> {
    with_parts(&call, |p| Datum::Int((p.month - 1) / 3 + 1))
}

fn dayname(call: Call) -> Result<Datum, Error> {
    with_parts(&call, |p| Datum::Text(DAY_NAMES[p.weekday() as usize].to_string()))
}

fn monthname(call: Call) -> Result<Datum, Error> {
    with_parts(&call, |p| Datum::Text(MONTH_NAMES[(p.month - 1) as usize].to_string()))
}

fn last_day(call: Call) -> Result<Datum, Error> {
    with_parts(&call, |p| {
        from_ymd(p.year, p.month, days_in_month(p.year, p.month))
            .map_or(Datum::Null, |days| Temporal::Date(days).datum())
    })
}

fn to_days(call: Call) -> Result<Datum, Error> {
    with_parts(&call, |p| Datum::Int(p.days + TO_DAYS_EPOCH))
}

fn from_days(call: Call) -> Result<Datum, Error> {
    let days = int_arg(&call.args[0]).and_then(|n| n.checked_sub(TO_DAYS_EPOCH));
    Ok(days.and_then(date_in_range).map_or(Datum::Null, Temporal::datum))
}

fn time_to_sec(call: Call) -> Result<Datum, Error> {
    Ok(time_value(&call.args[0]).map_or(Datum::Null, |t| Datum::Int(t / SECOND)))
}

fn sec_to_time(call: Call) -> Result<Datum, Error> {
    let Some(micros) = seconds_to_micros(&call.args[0]) else {
        return Ok(Datum::Null);
    };
    // TIME stops at ±838:59:59, where MySQL clips.
    Ok(Datum::Text(format_time(micros.clamp(-MAX_TIME, MAX_TIME), None)))
}

/// `calc_week` flags: weeks start on Monday, weeks belong to the year they mostly fall in
/// (numbered 1..=53 instead of 0..=53), and the first week is the one with the first Sunday
/// or Monday (instead of the first with 4 or more days).
const MONDAY_FIRST: u32 = 1;
const WEEK_YEAR: u32 = 2;
const FIRST_WEEKDAY: u32 = 4;

/// The flags of WEEK's `mode` argument.
fn week_mode(mode: i64) -> u32 {
    let mut flags = (mode & 7) as u32;
    if flags & MONDAY_FIRST == 0 {
        flags ^= FIRST_WEEKDAY;
    }
    flags
}

/// MySQL's `calc_week`: (year the week belongs to, week number) of a day.
fn calc_week(days: i64, flags: u32) -> (i64, i64) {
    let (year, month, day) = ymd(days);
    let monday_first = flags & MONDAY_FIRST != 0;
    let mut week_year = flags & WEEK_YEAR != 0;
    let first_weekday = flags & FIRST_WEEKDAY != 0;
    let mut first = from_ymd(year, 1, 1).unwrap_or(days);
    // Day of week of January 1st, 0 = the first day of the week.
    let mut weekday = (first + 3 + i64::from(!monday_first)).rem_euclid(7);
    let mut week_of = year;
    let starts_late =
        |weekday: i64| (first_weekday && weekday != 0) || (!first_weekday && weekday >= 4);
    if month == 1 && day <= 7 - weekday {
        if !week_year && starts_late(weekday) {
            return (week_of, 0);
        }
        week_year = true;
        week_of -= 1;
        let length = days_in_year(week_of);
        first -= length;
        weekday = (weekday + 53 * 7 - length) % 7;
    }
    let since = if starts_late(weekday) {
        days - (first + (7 - weekday))
    } else {
        days - (first - weekday)
    };
    if week_year && since >= 52 * 7 {
        let next = (weekday + days_in_year(week_of)) % 7;
        if (!first_weekday && next < 4) || (first_weekday && next == 0) {
            return (week_of + 1, 1);
        }
    }
    (week_of, since / 7 + 1)
}

fn mode_arg(call: &Call) -> i64 {
    // MySQL's default_week_format is 0.
    call.args.get(1).and_then(int_arg).unwrap_or(0)
}

fn week(call: Call) -> Result<Datum, Error> {
    let flags = week_mode(mode_arg(&call));
    with_parts(&call, |p| Datum::Int(calc_week(p.days, flags).1))
}

fn weekofyear(call: Call) -> Result<Datum, Error> {
    with_parts(&call, |p| Datum::Int(calc_week(p.days, week_mode(3)).1))
}

fn yearweek(call: Call) -> Result<Datum, Error> {
    let flags = week_mode(mode_arg(&call)) | WEEK_YEAR;
    with_parts(&call, |p| {
        let (year, week) = calc_week(p.days, flags);
        Datum::Int(year * 100 + week)
    })
}

fn datediff(call: Call) -> Result<Datum, Error> {
    Ok(match (temporal(&call.args[0]), temporal(&call.args[1])) {
        (Some(a), Some(b)) => Datum::Int(a.days() - b.days()),
        _ => Datum::Null,
    })
}

/// A unit argument (`'day'`, `'SQL_TSI_DAY'`) in lower case without the ODBC prefix.
fn unit_name(value: &Datum) -> String {
    let unit = string(value).trim().to_ascii_lowercase();
    match unit.strip_prefix("sql_tsi_") {
        Some(rest) => rest.to_string(),
        None => unit,
    }
}

fn bad_unit(unit: &str) -> Error {
    bad_value(format!("'{unit}' is not a date or time unit"))
}

/// Whole months from `a` to `b`, counting a month only once its day and time are reached.
fn months_between(a: Temporal, b: Temporal) -> i64 {
    let (start, end, sign) = if b.micros() >= a.micros() { (a, b, 1) } else { (b, a, -1) };
    let (from, to) = (parts(start), parts(end));
    let mut months = (to.year * 12 + to.month) - (from.year * 12 + from.month);
    if to.day < from.day || (to.day == from.day && end.time() < start.time()) {
        months -= 1;
    }
    months * sign
}

fn timestampdiff(call: Call) -> Result<Datum, Error> {
    let unit = unit_name(&call.args[0]);
    let (Some(a), Some(b)) = (temporal(&call.args[1]), temporal(&call.args[2])) else {
        return match unit_divisor(&unit) {
            Some(_) => Ok(Datum::Null),
            None => Err(bad_unit(&unit)),
        };
    };
    let Some(divisor) = unit_divisor(&unit) else {
        return Err(bad_unit(&unit));
    };
    // Both are within 0001..9999, so the difference fits easily.
    let micros = b.micros() - a.micros();
    Ok(Datum::Int(match divisor {
        Divisor::Micros(unit) => micros / unit,
        Divisor::Months(unit) => months_between(a, b) / unit,
    }))
}

enum Divisor {
    Micros(i64),
    Months(i64),
}

fn unit_divisor(unit: &str) -> Option<Divisor> {
    Some(match unit {
        "microsecond" => Divisor::Micros(1),
        "second" => Divisor::Micros(SECOND),
        "minute" => Divisor::Micros(MINUTE),
        "hour" => Divisor::Micros(HOUR),
        "day" => Divisor::Micros(DAY),
        "week" => Divisor::Micros(7 * DAY),
        "month" => Divisor::Months(1),
        "quarter" => Divisor::Months(3),
        "year" => Divisor::Months(12),
        _ => return None,
    })
}

/// An INTERVAL: months (applied first, clamping the day) and microseconds.
struct Interval {
    months: i64,
    micros: i64,
    /// Whether the unit is a day or longer, so a DATE plus it stays a DATE.
    whole_days: bool,
}

/// The fields of a compound interval string (`'1 2'`, `'1:30'`, `'-1 10'`) as MySQL's
/// `get_interval_info` reads them: groups of digits separated by anything else, missing
/// leading fields taken as 0, a microsecond field scaled by its digit count. None when there
/// are too many fields or a field overflows.
fn interval_fields(
    amount: &Datum,
    count: usize,
    microseconds_last: bool,
) -> Option<(bool, Vec<i64>)> {
    let text = string(amount);
    let s = text.trim_start().as_bytes();
    let mut at = 0;
    let negative = s.first() == Some(&b'-');
    if negative {
        at += 1;
    }
    let mut values = vec![0i64; count];
    let mut fraction_digits = 0;
    let mut filled = count;
    for (index, slot) in values.iter_mut().enumerate() {
        let start = at;
        let mut value: i64 = 0;
        while at < s.len() && s[at].is_ascii_digit() {
            value = value.checked_mul(10)?.checked_add(i64::from(s[at] - b'0'))?;
            at += 1;
        }
        fraction_digits = at - start;
        *slot = value;
        while at < s.len() && !s[at].is_ascii_digit() {
            at += 1;
        }
        if at == s.len() && index + 1 != count {
            filled = index + 1;
            break;
        }
    }
    if at != s.len() {
        return None;
    }
    values.rotate_right(count - filled);
    if microseconds_last && fraction_digits < 6 {
        let last = &mut values[count - 1];
        *last = last.checked_mul(10i64.pow(6 - fraction_digits as u32))?;
    }
    Some((negative, values))
}

/// Reads INTERVAL `amount` `unit`. Err for an unknown unit; Ok(None) when the amount does not
/// make an interval (the result is then NULL).
fn interval(amount: &Datum, unit: &str) -> Result<Option<Interval>, Error> {
    let micros = |factor: i64, whole_days: bool| {
        int_arg(amount).and_then(|n| n.checked_mul(factor)).map(|micros| Interval {
            months: 0,
            micros,
            whole_days,
        })
    };
    let months = |factor: i64| {
        int_arg(amount).and_then(|n| n.checked_mul(factor)).map(|months| Interval {
            months,
            micros: 0,
            whole_days: true,
        })
    };
    // Compound units: the field count, the microseconds each field is worth (months for
    // YEAR_MONTH), and whether the last field is microseconds.
    let compound: (&[i64], bool) = match unit {
        "microsecond" => return Ok(micros(1, false)),
        "second" => {
            let micros = seconds_to_micros(amount);
            return Ok(micros.map(|micros| Interval { months: 0, micros, whole_days: false }));
        }
        "minute" => return Ok(micros(MINUTE, false)),
        "hour" => return Ok(micros(HOUR, false)),
        "day" => return Ok(micros(DAY, true)),
        "week" => return Ok(micros(7 * DAY, true)),
        "month" => return Ok(months(1)),
        "quarter" => return Ok(months(3)),
        "year" => return Ok(months(12)),
        "year_month" => (&[12, 1], false),
        "day_hour" => (&[DAY, HOUR], false),
        "day_minute" => (&[DAY, HOUR, MINUTE], false),
        "day_second" => (&[DAY, HOUR, MINUTE, SECOND], false),
        "day_microsecond" => (&[DAY, HOUR, MINUTE, SECOND, 1], true),
        "hour_minute" => (&[HOUR, MINUTE], false),
        "hour_second" => (&[HOUR, MINUTE, SECOND], false),
        "hour_microsecond" => (&[HOUR, MINUTE, SECOND, 1], true),
        "minute_second" => (&[MINUTE, SECOND], false),
        "minute_microsecond" => (&[MINUTE, SECOND, 1], true),
        "second_microsecond" => (&[SECOND, 1], true),
        _ => return Err(bad_unit(unit)),
    };
    let (factors, microseconds_last) = compound;
    let Some((negative, values)) = interval_fields(amount, factors.len(), microseconds_last) else {
        return Ok(None);
    };
    let mut total: i64 = 0;
    for (value, factor) in values.iter().zip(factors) {
        let Some(sum) = value.checked_mul(*factor).and_then(|v| total.checked_add(v)) else {
            return Ok(None);
        };
        total = sum;
    }
    if negative {
        total = -total;
    }
    Ok(Some(if unit == "year_month" {
        Interval { months: total, micros: 0, whole_days: true }
    } else {
        Interval { months: 0, micros: total, whole_days: false }
    }))
}

/// `t` plus (or minus) an interval; None when the result leaves the supported range.
fn add_interval(t: Temporal, interval: &Interval, subtract: bool) -> Option<Temporal> {
    let (months, micros) = if subtract {
        (interval.months.checked_neg()?, interval.micros.checked_neg()?)
    } else {
        (interval.months, interval.micros)
    };
    let mut at = t.micros();
    if months != 0 {
        let p = parts(t);
        let total = (p.year * 12 + p.month - 1).checked_add(months)?;
        let (year, month) = (total.div_euclid(12), total.rem_euclid(12) + 1);
        if !(1..=9999).contains(&year) {
            return None;
        }
        // The day is clamped to the new month's length (Jan 31 + 1 month = Feb 28/29).
        let day = p.day.min(days_in_month(year, month));
        at = from_ymd(year, month, day)? * DAY + t.time();
    }
    let at = at.checked_add(micros)?;
    match t {
        Temporal::Date(_) if interval.whole_days => date_in_range(at.div_euclid(DAY)),
        _ => datetime_in_range(at),
    }
}

/// DATE_ADD(d, amount, unit), ADDDATE(d, days) and ADDDATE(d, amount, unit); with `subtract`
/// the SUB forms.
fn shift(
    value: &Datum,
    amount: &Datum,
    unit: Option<&Datum>,
    subtract: bool,
) -> Result<Datum, Error> {
    let unit = unit.map_or_else(|| "day".to_string(), unit_name);
    let interval = interval(amount, &unit)?;
    let (Some(t), Some(interval)) = (temporal(value), interval) else {
        return Ok(Datum::Null);
    };
    Ok(add_interval(t, &interval, subtract).map_or(Datum::Null, Temporal::datum))
}

fn date_add(call: Call) -> Result<Datum, Error> {
    shift(&call.args[0], &call.args[1], call.args.get(2), false)
}

fn date_sub(call: Call) -> Result<Datum, Error> {
    shift(&call.args[0], &call.args[1], call.args.get(2), true)
}

fn timestampadd(call: Call) -> Result<Datum, Error> {
    shift(&call.args[2], &call.args[1], Some(&call.args[0]), false)
}

fn extract(call: Call) -> Result<Datum, Error> {
    let unit = unit_name(&call.args[0]);
    let p = match temporal(&call.args[1]) {
        Some(t) => parts(t),
        None => match time_value(&call.args[1]) {
            // A TIME string: only the time units are meaningful, and the day is 0.
            Some(time) => {
                let time = time.abs();
                Parts {
                    days: 0,
                    year: 0,
                    month: 0,
                    day: 0,
                    hour: time / HOUR,
                    minute: time / MINUTE % 60,
                    second: time / SECOND % 60,
                    micro: time % SECOND,
                }
            }
            None => {
                return match extract_field(&unit, &parts(Temporal::Date(0))) {
                    Some(_) => Ok(Datum::Null),
                    None => Err(bad_unit(&unit)),
                }
            }
        },
    };
    extract_field(&unit, &p).map(Datum::Int).ok_or_else(|| bad_unit(&unit))
}

fn extract_field(unit: &str, p: &Parts) -> Option<i64> {
    let hms = p.hour * 10_000 + p.minute * 100 + p.second;
    Some(match unit {
        "year" => p.year,
        "quarter" => (p.month + 2) / 3,
        "month" => p.month,
        "week" => calc_week(p.days, week_mode(0)).1,
        "day" => p.day,
        "hour" => p.hour,
        "minute" => p.minute,
        "second" => p.second,
        "microsecond" => p.micro,
        "year_month" => p.year * 100 + p.month,
        "day_hour" => p.day * 100 + p.hour,
        "day_minute" => (p.day * 100 + p.hour) * 100 + p.minute,
        "day_second" => p.day * 1_000_000 + hms,
        "day_microsecond" => (p.day * 1_000_000 + hms) * SECOND + p.micro,
        "hour_minute" => p.hour * 100 + p.minute,
        "hour_second" => hms,
        "hour_microsecond" => hms * SECOND + p.micro,
        "minute_second" => p.minute * 100 + p.second,
        "minute_microsecond" => (p.minute * 100 + p.second) * SECOND + p.micro,
        "second_microsecond" => p.second * SECOND + p.micro,
        _ => return None,
    })
}

fn date_format(call: Call) -> Result<Datum, Error> {
    let format = string(&call.args[1]);
    with_parts(&call, |p| Datum::Text(format_with(p, &format)))
}

/// DATE_FORMAT's formatting of `p` with MySQL's `%` specifiers.
fn format_with(p: &Parts, format: &str) -> String {
    let mut out = String::with_capacity(format.len() + 16);
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(spec) = chars.next() else {
            out.push('%');
            break;
        };
        // Writing to a String cannot fail.
        let _ = match spec {
            'a' => write!(out, "{}", &DAY_NAMES[p.weekday() as usize][..3]),
            'b' => write!(out, "{}", &MONTH_NAMES[(p.month - 1) as usize][..3]),
            'c' => write!(out, "{}", p.month),
            'D' => write!(out, "{}{}", p.day, ordinal_suffix(p.day)),
            'd' => write!(out, "{:02}", p.day),
            'e' => write!(out, "{}", p.day),
            'f' => write!(out, "{:06}", p.micro),
            'H' => write!(out, "{:02}", p.hour),
            'h' | 'I' => write!(out, "{:02}", p.hour12()),
            'i' => write!(out, "{:02}", p.minute),
            'j' => write!(out, "{:03}", p.day_of_year()),
            'k' => write!(out, "{}", p.hour),
            'l' => write!(out, "{}", p.hour12()),
            'M' => write!(out, "{}", MONTH_NAMES[(p.month - 1) as usize]),
            'm' => write!(out, "{:02}", p.month),
            'p' => write!(out, "{}", if p.hour < 12 { "AM" } else { "PM" }),
            'r' => write!(
                out,
                "{:02}:{:02}:{:02} {}",
                p.hour12(),
                p.minute,
                p.second,
                if p.hour < 12 { "AM" } else { "PM" }
            ),
            'S' | 's' => write!(out, "{:02}", p.second),
            'T' => write!(out, "{:02}:{:02}:{:02}", p.hour, p.minute, p.second),
            'U' => write!(out, "{:02}", calc_week(p.days, FIRST_WEEKDAY).1),
            'u' => write!(out, "{:02}", calc_week(p.days, MONDAY_FIRST).1),
            'V' => write!(out, "{:02}", calc_week(p.days, WEEK_YEAR | FIRST_WEEKDAY).1),
            'v' => write!(out, "{:02}", calc_week(p.days, MONDAY_FIRST | WEEK_YEAR).1),
            'W' => write!(out, "{}", DAY_NAMES[p.weekday() as usize]),
            'w' => write!(out, "{}", (p.weekday() + 1) % 7),
            'X' => write!(out, "{:04}", calc_week(p.days, WEEK_YEAR | FIRST_WEEKDAY).0),
            'x' => write!(out, "{:04}", calc_week(p.days, MONDAY_FIRST | WEEK_YEAR).0),
            'Y' => write!(out, "{:04}", p.year),
            'y' => write!(out, "{:02}", p.year % 100),
            other => write!(out, "{other}"),
        };
    }
    out
}

fn ordinal_suffix(day: i64) -> &'static str {
    match (day % 100, day % 10) {
        (11..=13, _) => "th",
        (_, 1) => "st",
        (_, 2) => "nd",
        (_, 3) => "rd",
        _ => "th",
    }
}

/// What STR_TO_DATE has read so far.
#[derive(Default)]
struct Fields {
    year: Option<i64>,
    month: Option<i64>,
    day: Option<i64>,
    day_of_year: Option<i64>,
    hour: i64,
    minute: i64,
    second: i64,
    micro: i64,
    /// Set by `%h`/`%I`/`%l`/`%r`: the hour is on a 12-hour clock.
    twelve_hour: bool,
    pm: bool,
}

/// Reads up to `max` digits at `at`; at least one is required.
fn read_digits(input: &[u8], at: &mut usize, max: usize) -> Option<(i64, usize)> {
    let start = *at;
    let mut value = 0i64;
    while *at < input.len() && *at - start < max && input[*at].is_ascii_digit() {
        value = value * 10 + i64::from(input[*at] - b'0');
        *at += 1;
    }
    (*at > start).then_some((value, *at - start))
}

/// Reads a word at `at` and finds it among `names` (whole, abbreviated to `abbreviation`
/// letters, or an unambiguous prefix, case-insensitively). The index, or None.
fn read_name(input: &[u8], at: &mut usize, names: &[&str]) -> Option<usize> {
    let start = *at;
    while *at < input.len() && input[*at].is_ascii_alphabetic() {
        *at += 1;
    }
    let word = std::str::from_utf8(&input[start..*at]).ok()?.to_ascii_lowercase();
    if word.is_empty() {
        return None;
    }
    let mut found = None;
    for (index, name) in names.iter().enumerate() {
        let name = name.to_ascii_lowercase();
        if name == word {
            return Some(index);
        }
        if name.starts_with(&word) {
            if found.is_some() {
                return None;
            }
            found = Some(index);
        }
    }
    found
}

/// Matches `input` from `at` against `format` as MySQL's `extract_date_time` does: spaces in
/// the input are skipped before each format element, spaces in the format match nothing, and
/// the input running out ends the match early (later fields stay unset).
fn match_format(input: &[u8], at: &mut usize, format: &[u8], fields: &mut Fields) -> Option<()> {
    let mut f = 0;
    while f < format.len() {
        while *at < input.len() && input[*at].is_ascii_whitespace() {
            *at += 1;
        }
        if *at >= input.len() {
            break;
        }
        let c = format[f];
        if c == b'%' && f + 1 < format.len() {
            let spec = format[f + 1];
            f += 2;
            match spec {
                b'Y' => {
                    let (year, digits) = read_digits(input, at, 4)?;
                    fields.year = Some(if digits <= 2 { year_2000(year) } else { year });
                }
                b'y' => fields.year = Some(year_2000(read_digits(input, at, 2)?.0)),
                b'm' | b'c' => fields.month = Some(read_digits(input, at, 2)?.0),
                b'M' => fields.month = Some(read_name(input, at, &MONTH_NAMES)? as i64 + 1),
                b'b' => {
                    let abbreviations = MONTH_NAMES.map(|name| &name[..3]);
                    fields.month = Some(read_name(input, at, &abbreviations)? as i64 + 1);
                }
                b'd' | b'e' => fields.day = Some(read_digits(input, at, 2)?.0),
                b'D' => {
                    fields.day = Some(read_digits(input, at, 2)?.0);
                    // The English suffix (st, nd, rd, th) is skipped unread.
                    *at = (*at + 2).min(input.len());
                }
                b'j' => fields.day_of_year = Some(read_digits(input, at, 3)?.0),
                b'H' | b'k' => fields.hour = read_digits(input, at, 2)?.0,
                b'h' | b'I' | b'l' => {
                    fields.hour = read_digits(input, at, 2)?.0;
                    fields.twelve_hour = true;
                }
                b'i' => fields.minute = read_digits(input, at, 2)?.0,
                b's' | b'S' => fields.second = read_digits(input, at, 2)?.0,
                b'f' => {
                    let (value, digits) = read_digits(input, at, 6)?;
                    fields.micro = value * 10i64.pow(6 - digits as u32);
                }
                b'p' => {
                    let word = input.get(*at..*at + 2)?;
                    if !fields.twelve_hour {
                        return None;
                    }
                    fields.pm = match word.to_ascii_uppercase().as_slice() {
                        b"AM" => false,
                        b"PM" => true,
                        _ => return None,
                    };
                    *at += 2;
                }
                b'W' => {
                    read_name(input, at, &DAY_NAMES)?;
                }
                b'a' => {
                    read_name(input, at, &DAY_NAMES.map(|name| &name[..3]))?;
                }
                b'w' => {
                    read_digits(input, at, 1)?;
                }
                b'U' | b'u' | b'V' | b'v' => {
                    read_digits(input, at, 2)?;
                }
                b'X' | b'x' => {
                    read_digits(input, at, 4)?;
                }
                b'T' => match_format(input, at, b"%H:%i:%S", fields)?,
                b'r' => match_format(input, at, b"%I:%i:%S %p", fields)?,
                b'%' => {
                    if input[*at] != b'%' {
                        return None;
                    }
                    *at += 1;
                }
                _ => return None,
            }
        } else {
            f += 1;
            if !c.is_ascii_whitespace() {
                if input[*at] != c {
                    return None;
                }
                *at += 1;
            }
        }
    }
    Some(())
}

/// Which kinds of field a STR_TO_DATE format holds: (date fields, time fields).
fn format_kinds(format: &[u8]) -> (bool, bool) {
    let (mut date, mut time) = (false, false);
    let mut f = 0;
    while f + 1 < format.len() {
        if format[f] == b'%' {
            match format[f + 1] {
                b'Y' | b'y' | b'm' | b'c' | b'M' | b'b' | b'd' | b'e' | b'D' | b'j' => date = true,
                b'H' | b'k' | b'h' | b'I' | b'l' | b'i' | b's' | b'S' | b'f' | b'p' | b'T'
                | b'r' => time = true,
                _ => {}
            }
            f += 2;
        } else {
            f += 1;
        }
    }
    (date, time)
}

/// STR_TO_DATE(s, format): a DATE when the format has only date fields, a DATETIME when it
/// has both, a TIME string when it has only time fields; NULL when `s` does not match or the
/// result is not a valid date.
fn str_to_date(call: Call) -> Result<Datum, Error> {
    let input = string(&call.args[0]);
    let format = string(&call.args[1]);
    let mut fields = Fields::default();
    let mut at = 0;
    if match_format(input.as_bytes(), &mut at, format.as_bytes(), &mut fields).is_none() {
        return Ok(Datum::Null);
    }
    Ok(build_date(&fields, format_kinds(format.as_bytes())).unwrap_or(Datum::Null))
}

fn build_date(fields: &Fields, (has_date, has_time): (bool, bool)) -> Option<Datum> {
    let mut hour = fields.hour;
    if fields.twelve_hour {
        if !(1..=12).contains(&hour) {
            return None;
        }
        hour = hour % 12 + if fields.pm { 12 } else { 0 };
    }
    if hour > 23 || fields.minute > 59 || fields.second > 59 {
        return None;
    }
    let time = hour * HOUR + fields.minute * MINUTE + fields.second * SECOND + fields.micro;
    if !has_date {
        return has_time.then(|| Datum::Text(format_time(time, None)));
    }
    let year = fields.year?;
    let days = match (fields.month, fields.day, fields.day_of_year) {
        (None, None, Some(day_of_year)) if (1..=days_in_year(year)).contains(&day_of_year) => {
            from_ymd(year, 1, 1)? + day_of_year - 1
        }
        (Some(month), Some(day), _) => from_ymd(year, month, day)?,
        _ => return None,
    };
    let t = if has_time { Temporal::DateTime(days * DAY + time) } else { Temporal::Date(days) };
    Some(t.datum())
}

fn makedate(call: Call) -> Result<Datum, Error> {
    let (Some(year), Some(day_of_year)) = (int_arg(&call.args[0]), int_arg(&call.args[1])) else {
        return Ok(Datum::Null);
    };
    if day_of_year < 1 || !(0..=9999).contains(&year) {
        return Ok(Datum::Null);
    }
    let days = from_ymd(year_2000(year), 1, 1)
        .and_then(|first| first.checked_add(day_of_year - 1))
        .and_then(date_in_range);
    Ok(days.map_or(Datum::Null, Temporal::datum))
}

/// Text of a date argument for JSON: dates and datetimes as MySQL shows them.
pub(super) fn temporal_text_of(value: &Datum) -> Option<String> {
    match value {
        Datum::Date(days) => Some(format_date(i64::from(*days))),
        Datum::DateTime(micros) => Some(format_datetime(*micros)),
        other => text(other).map(|s| s.into_owned()),
    }
}
