#![cfg(not(target_arch = "wasm32"))]
//! SQLite's sqllogictest scripts `select1.test` … `select5.test` (stored unchanged under
//! `tests/sqllogictest/`, see the NOTICE.md there) run against [`Session`]: one test per script,
//! each on a fresh store, counting the records that pass and asserting a per-script floor.
//!
//! The script format and the value rules follow the reference `sqllogictest` program's
//! verify mode:
//!
//! * Records are separated by blank lines (a line of only whitespace is blank); a line that
//!   starts with `#` is a comment and is dropped wherever it appears; `\r` before `\n` is
//!   ignored.
//! * `statement ok` / `statement error`, then the SQL lines.
//! * `query <types> [nosort|rowsort|valuesort] [label]`, then the SQL lines, `----` and the
//!   expected values, one per line, or the single line `N values hashing to <md5>` when the
//!   result has more values than the hash threshold.
//! * `hash-threshold N` (0: never hash; 8 until a script says otherwise) and `halt`.
//! * `skipif <engine>` / `onlyif <engine>` lines before a record: this engine is `mysql`.
//! * Each value is formatted by its column's type letter: `I` as an integer (fractions truncated
//!   toward zero), `R` with three decimals, `T` as text, where an empty string is `(empty)` and
//!   each byte outside `' '..='~'` becomes `@`; NULL is `NULL` in every column.
//! * `rowsort` sorts rows by their formatted values compared column by column as byte strings,
//!   `valuesort` sorts all values one by one; the hash is the MD5 of every value followed by
//!   `\n`, in that order.
//!
//! A result label (`query I rowsort x0`) asks the reference program to check that queries with
//! the same label agree; every query here also carries its own expected values, which are
//! checked, so labels are not compared with each other.
//!
//! Run `cargo test --test sqllogictest -- --nocapture` to see the per-script lines and the first
//! failures of each script.

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::Once;

use cambium::chunk::MemoryStore;
use cambium::sql::{Datum, QueryResult, Session};

// Pass-rate floors in percent, one per script. Each floor is the measured rate as the test prints
// it (rounded down to 0.1%), so a regression fails the test; raise a floor when the engine
// improves. 0.0 until the engine runs the scripts.
const FLOOR_SELECT1: f64 = 100.0;
const FLOOR_SELECT2: f64 = 100.0;
const FLOOR_SELECT3: f64 = 100.0;
const FLOOR_SELECT4: f64 = 100.0;
const FLOOR_SELECT5: f64 = 100.0;

/// The engine name `skipif` and `onlyif` are matched against (case-insensitively).
const ENGINE: &str = "mysql";

/// The reference program's hash threshold until a `hash-threshold` record changes it.
const DEFAULT_HASH_THRESHOLD: usize = 8;

/// How many failures each script prints.
const FAILURES_SHOWN: usize = 20;

/// How many values of an actual result a failure report shows.
const VALUES_SHOWN: usize = 24;

/// The engines run on a thread with this much stack, so deep joins (select5 joins up to 64
/// tables) do not overflow the test harness's default stack.
const STACK_BYTES: usize = 256 << 20;

#[test]
fn select1() {
    run_file("select1.test", FLOOR_SELECT1);
}

#[test]
fn select2() {
    run_file("select2.test", FLOOR_SELECT2);
}

#[test]
fn select3() {
    run_file("select3.test", FLOOR_SELECT3);
}

#[test]
fn select4() {
    run_file("select4.test", FLOOR_SELECT4);
}

#[test]
fn select5() {
    run_file("select5.test", FLOOR_SELECT5);
}

/// Runs one script against a fresh Cambium session, prints the summary and the first failures,
/// and asserts the pass rate is at least `floor` percent.
fn run_file(name: &str, floor: f64) {
    let text = read_script(name);
    let records = parse_script(&text).unwrap_or_else(|error| panic!("{name}: {error}"));
    let thread_name = name.to_string();
    let report = std::thread::Builder::new()
        .name(thread_name.clone())
        .stack_size(STACK_BYTES)
        .spawn(move || run_records(&thread_name, &records, &mut Cambium::open()))
        .expect("spawn the script thread")
        .join()
        .expect("the runner itself does not panic");
    println!("{}", report.summary());
    for failure in &report.failures {
        println!("{failure}");
    }
    assert!(
        report.percent() >= floor,
        "{}: pass rate {:.1}% is below the floor {floor:.1}%",
        report.name,
        report.percent()
    );
}

fn read_script(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sqllogictest").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// The script format.

#[derive(Clone, Debug, PartialEq)]
enum Condition {
    SkipIf(String),
    OnlyIf(String),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Sort {
    None,
    Rows,
    Values,
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Statement {
        expect_error: bool,
        sql: String,
    },
    Query {
        /// One of `I`, `R`, `T` per column.
        types: String,
        sort: Sort,
        label: Option<String>,
        sql: String,
        /// The lines after `----`: values, or one `N values hashing to <md5>` line.
        expected: Vec<String>,
    },
    HashThreshold(usize),
    Halt,
}

#[derive(Clone, Debug, PartialEq)]
struct Record {
    /// 1-based line of the record's header (`statement`, `query`, …) in the script.
    line: usize,
    conditions: Vec<Condition>,
    kind: Kind,
}

impl Record {
    /// Whether the record's `skipif` / `onlyif` lines let it run on `engine`.
    fn applies_to(&self, engine: &str) -> bool {
        self.conditions.iter().all(|condition| match condition {
            Condition::SkipIf(name) => !name.eq_ignore_ascii_case(engine),
            Condition::OnlyIf(name) => name.eq_ignore_ascii_case(engine),
        })
    }

    /// Statements and queries count towards the pass rate; control records do not.
    fn is_test(&self) -> bool {
        matches!(self.kind, Kind::Statement { .. } | Kind::Query { .. })
    }
}

/// Splits a script into records.
fn parse_script(text: &str) -> Result<Vec<Record>, String> {
    let lines: Vec<(usize, &str)> = text
        .split('\n')
        .enumerate()
        .map(|(index, line)| {
            let line = line.strip_suffix('\r').unwrap_or(line);
            (index + 1, if line.trim().is_empty() { "" } else { line })
        })
        .filter(|(_, line)| !line.starts_with('#'))
        .collect();
    let mut records = Vec::new();
    let mut next = 0;
    while next < lines.len() {
        if lines[next].1.is_empty() {
            next += 1;
            continue;
        }
        let start = next;
        while next < lines.len() && !lines[next].1.is_empty() {
            next += 1;
        }
        records.push(parse_record(&lines[start..next])?);
    }
    Ok(records)
}

/// Parses one record: its non-blank lines, each with its line number.
fn parse_record(block: &[(usize, &str)]) -> Result<Record, String> {
    let mut conditions = Vec::new();
    let mut header = 0;
    loop {
        let Some(&(line, text)) = block.get(header) else {
            let line = block.last().map_or(0, |&(line, _)| line);
            return Err(format!("line {line}: a condition without a record"));
        };
        let mut tokens = text.split_whitespace();
        let condition = match tokens.next() {
            Some("skipif") => Condition::SkipIf,
            Some("onlyif") => Condition::OnlyIf,
            _ => break,
        };
        let engine = tokens.next().ok_or_else(|| format!("line {line}: no engine name"))?;
        conditions.push(condition(engine.to_string()));
        header += 1;
    }
    let (line, text) = block[header];
    let body: Vec<&str> = block[header + 1..].iter().map(|&(_, text)| text).collect();
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let kind = match tokens[0] {
        "statement" => {
            let expect_error = match tokens.get(1).copied() {
                Some("ok") => false,
                Some("error") => true,
                other => return Err(format!("line {line}: statement {other:?}")),
            };
            Kind::Statement { expect_error, sql: body.join("\n") }
        }
        "query" => {
            let types = tokens.get(1).copied().unwrap_or("");
            if types.is_empty() || !types.bytes().all(|b| matches!(b, b'I' | b'R' | b'T')) {
                return Err(format!("line {line}: bad type string {types:?}"));
            }
            let sort = match tokens.get(2).copied() {
                None | Some("nosort") => Sort::None,
                Some("rowsort") => Sort::Rows,
                Some("valuesort") => Sort::Values,
                Some(other) => return Err(format!("line {line}: unknown sort mode {other:?}")),
            };
            let divider = body.iter().position(|&text| text == "----");
            let (sql, expected) = match divider {
                Some(at) => (&body[..at], &body[at + 1..]),
                None => (&body[..], &[][..]),
            };
            Kind::Query {
                types: types.to_string(),
                sort,
                label: tokens.get(3).map(|label| label.to_string()),
                sql: sql.join("\n"),
                expected: expected.iter().map(|text| text.to_string()).collect(),
            }
        }
        "hash-threshold" => {
            let value = tokens.get(1).and_then(|value| value.parse().ok());
            Kind::HashThreshold(value.ok_or_else(|| format!("line {line}: bad hash-threshold"))?)
        }
        "halt" => Kind::Halt,
        other => return Err(format!("line {line}: unknown record type {other:?}")),
    };
    Ok(Record { line, conditions, kind })
}

// ---------------------------------------------------------------------------------------------
// Values.

/// Formats one value by its column's type letter, as the reference program prints it.
fn format_value(value: &Datum, kind: u8) -> String {
    match (value, kind) {
        (Datum::Null, _) => "NULL".to_string(),
        (_, b'I') => integer_of(value).to_string(),
        (_, b'R') => round_fixed(&decimal_text_of(value), 3),
        _ => printable(&text_of(value)),
    }
}

/// The value as an integer, fractions truncated toward zero; text is read by its numeric
/// prefix (0 when it has none).
fn integer_of(value: &Datum) -> i128 {
    match value {
        Datum::Null => 0,
        Datum::Int(value) => i128::from(*value),
        Datum::UInt(value) => i128::from(*value),
        Datum::Float(value) => value.trunc() as i128,
        Datum::Decimal(decimal) => match 10i128.checked_pow(u32::from(decimal.scale)) {
            Some(divisor) => decimal.mantissa / divisor,
            None => 0,
        },
        _ => {
            let text = String::from_utf8_lossy(&text_of(value)).into_owned();
            let prefix = numeric_prefix(&text);
            match prefix.parse::<i128>() {
                Ok(value) => value,
                Err(_) => prefix.parse::<f64>().map_or(0, |value| value.trunc() as i128),
            }
        }
    }
}

/// The value as a plain decimal numeral (`-12.5`, `3`), for `R` columns.
fn decimal_text_of(value: &Datum) -> String {
    match value {
        Datum::Int(value) => value.to_string(),
        Datum::UInt(value) => value.to_string(),
        Datum::Float(value) => float_text(*value),
        Datum::Decimal(decimal) => decimal_text(decimal.mantissa, decimal.scale),
        _ => {
            let text = String::from_utf8_lossy(&text_of(value)).into_owned();
            float_text(numeric_prefix(&text).parse::<f64>().unwrap_or(0.0))
        }
    }
}

/// The value's text: strings and bytes as they are, numbers in full, other values in their
/// MySQL text form.
fn text_of(value: &Datum) -> Vec<u8> {
    match value {
        Datum::Null => b"NULL".to_vec(),
        Datum::Int(value) => value.to_string().into_bytes(),
        Datum::UInt(value) => value.to_string().into_bytes(),
        Datum::Decimal(decimal) => decimal_text(decimal.mantissa, decimal.scale).into_bytes(),
        Datum::Text(text) => text.as_bytes().to_vec(),
        Datum::Bytes(bytes) => bytes.clone(),
        other => other.to_string().into_bytes(),
    }
}

/// `T` column text: `(empty)` for an empty string, `@` for every byte outside `' '..='~'`.
fn printable(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(empty)".to_string();
    }
    bytes.iter().map(|&b| if (b' '..=b'~').contains(&b) { b as char } else { '@' }).collect()
}

/// `mantissa / 10^scale` as a decimal numeral with exactly `scale` fraction digits.
fn decimal_text(mantissa: i128, scale: u8) -> String {
    let digits = mantissa.unsigned_abs().to_string();
    let scale = usize::from(scale);
    let digits = if digits.len() <= scale {
        format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
    } else {
        digits
    };
    let sign = if mantissa < 0 { "-" } else { "" };
    let (whole, fraction) = digits.split_at(digits.len() - scale);
    if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

/// A float as a plain numeral with its shortest round-trip digits (no exponent).
fn float_text(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_string()
    } else if value.is_infinite() {
        if value < 0.0 { "-Inf" } else { "Inf" }.to_string()
    } else {
        format!("{value}")
    }
}

/// The longest prefix of `text` (after leading whitespace) that reads as a number:
/// `[+-]digits[.digits][e[+-]digits]`, or `0` when there is none.
fn numeric_prefix(text: &str) -> &str {
    let text = text.trim_start();
    let bytes = text.as_bytes();
    let digits_from = |mut at: usize| {
        while at < bytes.len() && bytes[at].is_ascii_digit() {
            at += 1;
        }
        at
    };
    let mut end = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let whole_end = digits_from(end);
    let mut seen_digits = whole_end > end;
    end = whole_end;
    if bytes.get(end) == Some(&b'.') {
        let fraction_end = digits_from(end + 1);
        seen_digits |= fraction_end > end + 1;
        end = fraction_end;
    }
    if !seen_digits {
        return "0";
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
        let exponent_end = digits_from(end + 1 + sign);
        if exponent_end > end + 1 + sign {
            end = exponent_end;
        }
    }
    &text[..end]
}

/// Rounds a plain decimal numeral to `places` fraction digits, half away from zero, as
/// SQLite's `%.3f` does; `-` is kept when the value is below zero even if it rounds to zero.
/// Anything that is not a plain numeral (`NaN`, `Inf`) is returned as it is.
fn round_fixed(numeral: &str, places: usize) -> String {
    let (negative, unsigned) = match numeral.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, numeral),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let plain = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !plain(whole) || !plain(fraction) {
        return numeral.to_string();
    }
    let negative = negative && unsigned.bytes().any(|b| matches!(b, b'1'..=b'9'));
    let mut digits: Vec<u8> = whole.bytes().collect();
    digits.extend(fraction.bytes().chain(std::iter::repeat(b'0')).take(places));
    if fraction.as_bytes().get(places).is_some_and(|&next| next >= b'5') {
        let mut at = digits.len();
        loop {
            if at == 0 {
                digits.insert(0, b'1');
                break;
            }
            at -= 1;
            if digits[at] == b'9' {
                digits[at] = b'0';
            } else {
                digits[at] += 1;
                break;
            }
        }
    }
    let (whole, fraction) = digits.split_at(digits.len() - places);
    let mut text = String::with_capacity(digits.len() + 2);
    if negative {
        text.push('-');
    }
    text.push_str(std::str::from_utf8(whole).expect("ASCII digits"));
    if places > 0 {
        text.push('.');
        text.push_str(std::str::from_utf8(fraction).expect("ASCII digits"));
    }
    text
}

/// Flattens formatted rows into the value list the script compares, sorted as asked.
fn sort_values(mut rows: Vec<Vec<String>>, sort: Sort) -> Vec<String> {
    if sort == Sort::Rows {
        rows.sort();
    }
    let mut values: Vec<String> = rows.into_iter().flatten().collect();
    if sort == Sort::Values {
        values.sort();
    }
    values
}

/// `N values hashing to <md5>` for the values.
fn hash_line(values: &[String]) -> String {
    let mut bytes = Vec::with_capacity(values.iter().map(|value| value.len() + 1).sum());
    for value in values {
        bytes.extend_from_slice(value.as_bytes());
        bytes.push(b'\n');
    }
    format!("{} values hashing to {}", values.len(), hex(&md5(&bytes)))
}

/// The lines a script holds for these values: the values, or their hash line when there are
/// more than `threshold` (0: never hash).
fn result_lines(values: Vec<String>, threshold: usize) -> Vec<String> {
    if threshold > 0 && values.len() > threshold {
        vec![hash_line(&values)]
    } else {
        values
    }
}

// ---------------------------------------------------------------------------------------------
// MD5 (RFC 1321).

fn md5(data: &[u8]) -> [u8; 16] {
    const SHIFTS: [u32; 16] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
    // floor(abs(sin(i + 1)) * 2^32)
    const K: [u32; 64] = [
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
        0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
        0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
        0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
        0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
        0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391,
    ];
    // Padding: 0x80, zeros up to 56 mod 64, then the bit length as 64-bit little-endian.
    let mut message = data.to_vec();
    message.push(0x80);
    message.resize((data.len() + 8) / 64 * 64 + 56, 0);
    message.extend_from_slice(&(data.len() as u64).wrapping_mul(8).to_le_bytes());
    let mut state: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
    for block in message.chunks_exact(64) {
        let mut words = [0u32; 16];
        for (word, bytes) in words.iter_mut().zip(block.chunks_exact(4)) {
            *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        let [mut a, mut b, mut c, mut d] = state;
        for (step, &constant) in K.iter().enumerate() {
            let round = step / 16;
            let (mix, word) = match round {
                0 => ((b & c) | (!b & d), step),
                1 => ((d & b) | (!d & c), (5 * step + 1) % 16),
                2 => (b ^ c ^ d, (3 * step + 5) % 16),
                _ => (c ^ (b | !d), (7 * step) % 16),
            };
            let sum = a.wrapping_add(mix).wrapping_add(constant).wrapping_add(words[word]);
            let rotated = sum.rotate_left(SHIFTS[round * 4 + step % 4]);
            (a, d, c, b) = (d, c, b, b.wrapping_add(rotated));
        }
        for (value, add) in state.iter_mut().zip([a, b, c, d]) {
            *value = value.wrapping_add(add);
        }
    }
    let mut digest = [0u8; 16];
    for (bytes, word) in digest.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_le_bytes());
    }
    digest
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

// ---------------------------------------------------------------------------------------------
// Running.

/// Why an engine call did not succeed.
#[derive(Debug)]
enum Fault {
    /// The engine returned an SQL error (what `statement error` expects).
    Sql(String),
    /// The engine panicked or could not run at all: always a failure.
    Broken(String),
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Sql(message) => write!(f, "error: {message}"),
            Fault::Broken(message) => write!(f, "broken: {message}"),
        }
    }
}

/// What the runner needs from a database.
trait Engine {
    fn statement(&mut self, sql: &str) -> Result<(), Fault>;

    /// The rows of the query's result, each value formatted by `types`.
    fn query(&mut self, sql: &str, types: &str) -> Result<Vec<Vec<String>>, Fault>;
}

/// A Cambium session on its own in-memory store.
struct Cambium {
    store: MemoryStore,
    session: Result<Session, String>,
}

impl Cambium {
    fn open() -> Cambium {
        let mut store = MemoryStore::new();
        let session = match guarded(|| Session::open(&mut store, "cambium")) {
            Ok(Ok(session)) => Ok(session),
            Ok(Err(error)) => Err(format!("Session::open failed: {}: {error}", error.code())),
            Err(panic) => Err(format!("Session::open panicked: {panic}")),
        };
        Cambium { store, session }
    }

    /// Runs `sql` and hands its results to `then`, both under a panic guard.
    fn run<T>(
        &mut self,
        sql: &str,
        then: impl FnOnce(Vec<QueryResult>) -> Result<T, Fault>,
    ) -> Result<T, Fault> {
        let session = self.session.as_mut().map_err(|error| Fault::Broken(error.clone()))?;
        let store = &mut self.store;
        let outcome = guarded(|| match session.execute(store, sql) {
            Ok(results) => then(results),
            Err(error) => Err(Fault::Sql(format!("{}: {error}", error.code()))),
        });
        outcome.unwrap_or_else(|panic| Err(Fault::Broken(format!("panicked: {panic}"))))
    }
}

impl Engine for Cambium {
    fn statement(&mut self, sql: &str) -> Result<(), Fault> {
        self.run(sql, |_| Ok(()))
    }

    fn query(&mut self, sql: &str, types: &str) -> Result<Vec<Vec<String>>, Fault> {
        self.run(sql, |results| {
            let result = results
                .into_iter()
                .next_back()
                .ok_or_else(|| Fault::Broken("no result for the query".to_string()))?;
            let kinds = types.as_bytes();
            if result.columns.len() != kinds.len() {
                return Err(Fault::Broken(format!(
                    "{} result columns for type string {types}",
                    result.columns.len()
                )));
            }
            result
                .rows
                .iter()
                .map(|row| {
                    if row.len() != kinds.len() {
                        return Err(Fault::Broken(format!("a row of {} values", row.len())));
                    }
                    Ok(row
                        .iter()
                        .zip(kinds)
                        .map(|(value, &kind)| format_value(value, kind))
                        .collect())
                })
                .collect()
        })
    }
}

thread_local! {
    /// Set while a guarded call runs: its panics are recorded, not printed.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// The message and location of the last quiet panic.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `call`, turning a panic into `Err` with its message and location. The panic hook stays
/// silent for guarded calls (the engine may panic on thousands of records) and prints every
/// other panic as before.
fn guarded<T>(call: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                let at = info.location().map(|at| format!(" at {at}")).unwrap_or_default();
                let message = format!("{}{at}", payload_text(info.payload()));
                LAST_PANIC.with(|last| *last.borrow_mut() = Some(message));
            } else {
                previous(info);
            }
        }));
    });
    let was_quiet = QUIET.with(|quiet| quiet.replace(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(call));
    QUIET.with(|quiet| quiet.set(was_quiet));
    outcome.map_err(|payload| {
        LAST_PANIC.with(|last| last.borrow_mut().take()).unwrap_or_else(|| payload_text(&*payload))
    })
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// One failed record, as printed.
struct Failure {
    script: String,
    line: usize,
    sql: String,
    expected: String,
    actual: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let indent = |text: &str| text.replace('\n', "\n      ");
        writeln!(f, "{}:{}:", self.script, self.line)?;
        writeln!(f, "  sql:      {}", indent(&self.sql))?;
        writeln!(f, "  expected: {}", indent(&self.expected))?;
        write!(f, "  actual:   {}", indent(&self.actual))
    }
}

/// The outcome of one script.
struct Report {
    name: String,
    passed: usize,
    failed: usize,
    skipped: usize,
    /// The first [`FAILURES_SHOWN`] failures.
    failures: Vec<Failure>,
}

impl Report {
    /// The pass rate in percent, rounded down to 0.1 (0 when nothing ran).
    fn percent(&self) -> f64 {
        let total = self.passed + self.failed;
        let tenths = (self.passed * 1000).checked_div(total).unwrap_or(0);
        tenths as f64 / 10.0
    }

    fn summary(&self) -> String {
        let mut line = format!(
            "sqllogictest {}: {} of {} records pass ({:.1}%)",
            self.name,
            self.passed,
            self.passed + self.failed,
            self.percent()
        );
        if self.skipped > 0 {
            let _ = write!(line, ", {} skipped", self.skipped);
        }
        line
    }
}

/// Runs the records in order on `engine`.
fn run_records(name: &str, records: &[Record], engine: &mut dyn Engine) -> Report {
    let mut report =
        Report { name: name.to_string(), passed: 0, failed: 0, skipped: 0, failures: Vec::new() };
    let mut threshold = DEFAULT_HASH_THRESHOLD;
    for record in records {
        if !record.applies_to(ENGINE) {
            report.skipped += usize::from(record.is_test());
            continue;
        }
        let (sql, failure) = match &record.kind {
            Kind::HashThreshold(value) => {
                threshold = *value;
                continue;
            }
            Kind::Halt => break,
            Kind::Statement { expect_error, sql } => {
                let outcome = engine.statement(sql);
                let failure = match (outcome, expect_error) {
                    (Ok(()), false) | (Err(Fault::Sql(_)), true) => None,
                    (Ok(()), true) => Some(("an error".to_string(), "ok".to_string())),
                    (Err(fault), true) => Some(("an error".to_string(), fault.to_string())),
                    (Err(fault), false) => Some(("ok".to_string(), fault.to_string())),
                };
                (sql, failure)
            }
            Kind::Query { types, sort, sql, expected, .. } => {
                let failure = match engine.query(sql, types) {
                    Ok(rows) => {
                        let values = sort_values(rows, *sort);
                        let shown = values.len().min(VALUES_SHOWN);
                        let preview = values[..shown].join(" ");
                        let actual = result_lines(values, threshold);
                        if actual == *expected {
                            None
                        } else {
                            let mut actual = actual.join("\n");
                            if actual.contains("values hashing to") {
                                let _ = write!(actual, "\nvalues: {preview}");
                            }
                            Some((expected.join("\n"), actual))
                        }
                    }
                    Err(fault) => Some((expected.join("\n"), fault.to_string())),
                };
                (sql, failure)
            }
        };
        match failure {
            None => report.passed += 1,
            Some((expected, actual)) => {
                report.failed += 1;
                if report.failures.len() < FAILURES_SHOWN {
                    report.failures.push(Failure {
                        script: name.to_string(),
                        line: record.line,
                        sql: sql.clone(),
                        expected,
                        actual,
                    });
                }
            }
        }
    }
    report
}

// ---------------------------------------------------------------------------------------------
// Tests of the runner itself.

mod runner {
    use std::collections::HashMap;

    use cambium::sql::{Datum, Decimal};

    use super::*;

    #[test]
    fn md5_matches_rfc_1321() {
        let cases: [(&[u8], &str); 7] = [
            (b"", "d41d8cd98f00b204e9800998ecf8427e"),
            (b"a", "0cc175b9c0f1b6a831c399e269772661"),
            (b"abc", "900150983cd24fb0d6963f7d28e17f72"),
            (b"message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (b"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            (
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f",
            ),
            (
                b"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, digest) in cases {
            assert_eq!(hex(&md5(input)), digest, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn md5_pads_across_block_boundaries() {
        let cases = [
            (55, "ef1772b6dff9a122358552954ad0df65"),
            (56, "3b0c8ac703f828b04c6c197006d17218"),
            (63, "b06521f39153d618550606be297466d5"),
            (64, "014842d480b571495a4a0363793f7367"),
            (65, "c743a45e0d2e6a95cb859adae0248435"),
            (1000, "cabe45dcc9ae5b66ba86600cca6b8ba8"),
        ];
        for (length, digest) in cases {
            assert_eq!(hex(&md5(&vec![b'a'; length])), digest, "{length} bytes");
        }
    }

    #[test]
    fn hash_line_hashes_each_value_with_a_newline() {
        let values = vec!["1".to_string(), "2".to_string()];
        assert_eq!(hash_line(&values), "2 values hashing to 6ddb4095eb719e2a9f0a3f95677d24e0");
        assert_eq!(hash_line(&[]), "0 values hashing to d41d8cd98f00b204e9800998ecf8427e");
        let nine: Vec<String> = (1..=9).map(|n| n.to_string()).collect();
        assert_eq!(result_lines(nine[..8].to_vec(), 8), nine[..8].to_vec());
        assert_eq!(result_lines(nine.clone(), 8), vec![hash_line(&nine)]);
        assert_eq!(result_lines(nine.clone(), 0), nine);
    }

    const SAMPLE: &str = "# a comment\r\n\
        hash-threshold 3\r\n\
        \r\n\
        statement ok\n\
        CREATE TABLE t1(a INTEGER,\n\
        # a comment inside a record\n\
        \x20 b INTEGER)\n\
        \n   \t\n\
        statement error\n\
        SELECT nothing\n\
        \n\n\n\
        query IT rowsort label-1\n\
        SELECT a, b\n\
        \x20 FROM t1\n\
        ----\n\
        1\n\
        (empty)\n\
        \n\
        skipif mysql\n\
        onlyif sqlite\n\
        query I nosort\n\
        SELECT 1\n\
        ----\n\
        9 values hashing to 00000000000000000000000000000000\n\
        \n\
        query R\n\
        SELECT 1\n\
        \n\
        halt\n";

    #[test]
    fn parses_records() {
        let records = parse_script(SAMPLE).unwrap();
        let expected = vec![
            Record { line: 2, conditions: vec![], kind: Kind::HashThreshold(3) },
            Record {
                line: 4,
                conditions: vec![],
                kind: Kind::Statement {
                    expect_error: false,
                    sql: "CREATE TABLE t1(a INTEGER,\n  b INTEGER)".to_string(),
                },
            },
            Record {
                line: 10,
                conditions: vec![],
                kind: Kind::Statement { expect_error: true, sql: "SELECT nothing".to_string() },
            },
            Record {
                line: 15,
                conditions: vec![],
                kind: Kind::Query {
                    types: "IT".to_string(),
                    sort: Sort::Rows,
                    label: Some("label-1".to_string()),
                    sql: "SELECT a, b\n  FROM t1".to_string(),
                    expected: vec!["1".to_string(), "(empty)".to_string()],
                },
            },
            Record {
                line: 24,
                conditions: vec![
                    Condition::SkipIf("mysql".to_string()),
                    Condition::OnlyIf("sqlite".to_string()),
                ],
                kind: Kind::Query {
                    types: "I".to_string(),
                    sort: Sort::None,
                    label: None,
                    sql: "SELECT 1".to_string(),
                    expected: vec![
                        "9 values hashing to 00000000000000000000000000000000".to_string()
                    ],
                },
            },
            Record {
                line: 29,
                conditions: vec![],
                kind: Kind::Query {
                    types: "R".to_string(),
                    sort: Sort::None,
                    label: None,
                    sql: "SELECT 1".to_string(),
                    expected: vec![],
                },
            },
            Record { line: 32, conditions: vec![], kind: Kind::Halt },
        ];
        assert_eq!(records, expected);
    }

    #[test]
    fn rejects_malformed_records() {
        for script in [
            "frobnicate\n",
            "statement maybe\nSELECT 1\n",
            "query IX\nSELECT 1\n",
            "query I sometimes\nSELECT 1\n",
            "hash-threshold many\n",
            "skipif mysql\n",
            "onlyif\nstatement ok\nSELECT 1\n",
        ] {
            assert!(parse_script(script).is_err(), "{script:?}");
        }
        assert_eq!(parse_script("\n\n# only a comment\n  \n").unwrap(), vec![]);
    }

    #[test]
    fn conditions_select_the_mysql_engine() {
        let record = |conditions: Vec<Condition>| Record { line: 1, conditions, kind: Kind::Halt };
        let skip = |name: &str| Condition::SkipIf(name.to_string());
        let only = |name: &str| Condition::OnlyIf(name.to_string());
        assert!(record(vec![]).applies_to(ENGINE));
        assert!(!record(vec![skip("mysql")]).applies_to(ENGINE));
        assert!(!record(vec![skip("MySQL")]).applies_to(ENGINE));
        assert!(record(vec![skip("postgresql")]).applies_to(ENGINE));
        assert!(record(vec![only("mysql")]).applies_to(ENGINE));
        assert!(!record(vec![only("sqlite")]).applies_to(ENGINE));
        assert!(!record(vec![only("mysql"), skip("mysql")]).applies_to(ENGINE));
        assert!(record(vec![only("mysql"), skip("mssql")]).applies_to(ENGINE));
    }

    #[test]
    fn formats_values_by_type_letter() {
        let decimal = |mantissa, scale| Datum::Decimal(Decimal { mantissa, scale });
        let cases = [
            (Datum::Null, b'I', "NULL"),
            (Datum::Null, b'R', "NULL"),
            (Datum::Null, b'T', "NULL"),
            (Datum::Int(-42), b'I', "-42"),
            (Datum::UInt(u64::MAX), b'I', "18446744073709551615"),
            (Datum::Float(2.9), b'I', "2"),
            (Datum::Float(-2.9), b'I', "-2"),
            (decimal(525_000, 4), b'I', "52"),
            (decimal(-525_000, 4), b'I', "-52"),
            (Datum::Text("17abc".to_string()), b'I', "17"),
            (Datum::Text("-3.7e1x".to_string()), b'I', "-37"),
            (Datum::Text("abc".to_string()), b'I', "0"),
            (Datum::Int(7), b'R', "7.000"),
            (Datum::Float(0.0625), b'R', "0.063"),
            (Datum::Float(-0.0004), b'R', "-0.000"),
            (Datum::Float(-0.0), b'R', "0.000"),
            (Datum::Float(999.9996), b'R', "1000.000"),
            (Datum::Float(1e-7), b'R', "0.000"),
            (decimal(-12_345, 4), b'R', "-1.235"),
            (decimal(5, 0), b'R', "5.000"),
            (Datum::Text("2.5".to_string()), b'R', "2.500"),
            (Datum::Text("hello".to_string()), b'T', "hello"),
            (Datum::Text(String::new()), b'T', "(empty)"),
            (Datum::Text("tab\there, é".to_string()), b'T', "tab@here, @@"),
            (Datum::Bytes(vec![b'a', 0, 0xff]), b'T', "a@@"),
            (Datum::Int(12), b'T', "12"),
            (decimal(-5, 3), b'T', "-0.005"),
        ];
        for (value, kind, text) in cases {
            assert_eq!(format_value(&value, kind), text, "{value:?} as {}", kind as char);
        }
    }

    #[test]
    fn sorts_rows_and_values_as_byte_strings() {
        let rows = |rows: &[&[&str]]| -> Vec<Vec<String>> {
            rows.iter().map(|row| row.iter().map(|value| value.to_string()).collect()).collect()
        };
        let input = rows(&[&["10", "b"], &["9", "a"], &["10", "a"], &["NULL", "z"]]);
        assert_eq!(
            sort_values(input.clone(), Sort::None),
            ["10", "b", "9", "a", "10", "a", "NULL", "z"]
        );
        assert_eq!(
            sort_values(input.clone(), Sort::Rows),
            ["10", "a", "10", "b", "9", "a", "NULL", "z"]
        );
        assert_eq!(sort_values(input, Sort::Values), ["10", "10", "9", "NULL", "a", "a", "b", "z"]);
    }

    /// An engine with canned answers: statements succeed unless they start with `BAD` (an SQL
    /// error) or `BOOM` (a panic); queries answer from the table.
    struct Canned {
        answers: HashMap<&'static str, Vec<Vec<Datum>>>,
        run: Vec<String>,
    }

    impl Engine for Canned {
        fn statement(&mut self, sql: &str) -> Result<(), Fault> {
            self.run.push(sql.to_string());
            if sql.starts_with("BAD") {
                Err(Fault::Sql("no".to_string()))
            } else if sql.starts_with("BOOM") {
                guarded(|| panic!("boom")).map_err(Fault::Broken)
            } else {
                Ok(())
            }
        }

        fn query(&mut self, sql: &str, types: &str) -> Result<Vec<Vec<String>>, Fault> {
            self.run.push(sql.to_string());
            let rows = self.answers.get(sql).ok_or_else(|| Fault::Sql("unknown".to_string()))?;
            Ok(rows
                .iter()
                .map(|row| row.iter().zip(types.bytes()).map(|(v, k)| format_value(v, k)).collect())
                .collect())
        }
    }

    #[test]
    fn runs_records_and_counts_outcomes() {
        let ints = |values: &[i64]| values.iter().map(|&v| vec![Datum::Int(v)]).collect();
        let mut answers = HashMap::new();
        answers.insert("SELECT few", ints(&[3, 1, 2]));
        answers.insert("SELECT many", ints(&[3, 1, 2, 5, 4]));
        answers.insert("SELECT text", vec![vec![Datum::Text(String::new()), Datum::Null]]);
        let mut engine = Canned { answers, run: Vec::new() };
        let sorted_hash = hash_line(&["1", "2", "3", "4", "5"].map(String::from));
        let script = format!(
            "statement ok\nCREATE\n\n\
             statement error\nBAD\n\n\
             statement error\nCREATE again\n\n\
             statement error\nBOOM\n\n\
             query I rowsort\nSELECT few\n----\n1\n2\n3\n\n\
             query I nosort\nSELECT few\n----\n1\n2\n3\n\n\
             hash-threshold 4\n\n\
             query I rowsort\nSELECT many\n----\n{sorted_hash}\n\n\
             query I valuesort\nSELECT few\n----\n1\n2\n3\n\n\
             query TT\nSELECT text\n----\n(empty)\nNULL\n\n\
             query I\nSELECT missing\n----\n1\n\n\
             skipif mysql\nstatement ok\nSKIPPED\n\n\
             onlyif mysql\nstatement ok\nMYSQL ONLY\n\n\
             halt\n\n\
             statement ok\nAFTER HALT\n"
        );
        let records = parse_script(&script).unwrap();
        let report = run_records("sample.test", &records, &mut engine);
        assert_eq!((report.passed, report.failed, report.skipped), (7, 4, 1));
        let lines: Vec<usize> = report.failures.iter().map(|failure| failure.line).collect();
        assert_eq!(lines, [7, 10, 20, 47]);
        assert!(report.failures[1].actual.contains("boom"), "{}", report.failures[1].actual);
        assert!(!engine.run.iter().any(|sql| sql == "SKIPPED" || sql == "AFTER HALT"));
        assert!(engine.run.iter().any(|sql| sql == "MYSQL ONLY"));
        assert_eq!(
            report.summary(),
            "sqllogictest sample.test: 7 of 11 records pass (63.6%), 1 skipped"
        );
        assert_eq!(report.percent(), 63.6);
    }

    #[test]
    fn hashed_failures_show_the_first_values() {
        let mut answers = HashMap::new();
        answers.insert("SELECT many", (1..=10).map(|v| vec![Datum::Int(v)]).collect());
        let mut engine = Canned { answers, run: Vec::new() };
        let script = "query I nosort\nSELECT many\n----\n10 values hashing to x\n";
        let report = run_records("h.test", &parse_script(script).unwrap(), &mut engine);
        assert_eq!(report.failed, 1);
        assert!(report.failures[0].actual.ends_with("values: 1 2 3 4 5 6 7 8 9 10"));
    }

    #[test]
    fn parses_the_bundled_scripts() {
        // (statements, queries) per script.
        let counts =
            [("select1.test", 31, 1000), ("select2.test", 31, 1000), ("select3.test", 31, 3320)]
                .into_iter()
                .chain([("select4.test", 1025, 2832), ("select5.test", 704, 732)]);
        for (name, statements, queries) in counts {
            let records = parse_script(&read_script(name)).unwrap();
            let count = |wanted: fn(&Kind) -> bool| {
                records.iter().filter(|record| wanted(&record.kind)).count()
            };
            assert_eq!(count(|kind| matches!(kind, Kind::Statement { .. })), statements, "{name}");
            assert_eq!(count(|kind| matches!(kind, Kind::Query { .. })), queries, "{name}");
            assert!(records.iter().all(|record| record.applies_to(ENGINE)), "{name}");
        }
    }
}
