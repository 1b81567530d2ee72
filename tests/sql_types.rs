//! SQL types and values: type text round trips, strict coercion (ranges, lengths, bad values),
//! storage round trips and the order of stored decimals, MySQL's arithmetic, comparison,
//! grouping, text forms and casts, dates and JSON.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::cmp::Ordering;

use cambium::row::{encode_key, Value};
use cambium::sql::types::{
    canonical_json, civil_from_days, days_from_civil, parse_date, parse_datetime, GroupKey,
};
use cambium::sql::{CastType, Datum, Decimal, ErrorKind, SqlType};

/// Xorshift64: a small deterministic generator, the same on every target.
struct XorShift(u64);

impl XorShift {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

fn ty(text: &str) -> SqlType {
    SqlType::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn dec(text: &str) -> Decimal {
    Decimal::parse(text).unwrap_or_else(|| panic!("not a decimal: {text}"))
}

fn text(value: &str) -> Datum {
    Datum::Text(value.to_string())
}

fn coerce(ty_text: &str, value: Datum) -> Result<Datum, cambium::sql::Error> {
    ty(ty_text).coerce(value, "c")
}

fn coerce_kind(ty_text: &str, value: Datum) -> ErrorKind {
    match coerce(ty_text, value.clone()) {
        Ok(ok) => panic!("{value:?} into {ty_text} gave {ok:?}, expected an error"),
        Err(error) => error.kind,
    }
}

fn date(text: &str) -> Datum {
    Datum::Date(parse_date(text).unwrap())
}

fn datetime(text: &str) -> Datum {
    Datum::DateTime(parse_datetime(text).unwrap())
}

/// Every kind of type, with the widths and parameters that change its spelling.
fn all_types() -> Vec<SqlType> {
    let mut types = Vec::new();
    for bytes in [1, 2, 3, 4, 8] {
        for unsigned in [false, true] {
            types.push(SqlType::Int { bytes, unsigned });
        }
    }
    types.extend([SqlType::Bool, SqlType::Float, SqlType::Double]);
    for (precision, scale) in [(1, 0), (10, 0), (10, 2), (18, 18), (38, 0), (38, 30)] {
        types.push(SqlType::Decimal { precision, scale });
    }
    for n in [0, 1, 255] {
        types.push(SqlType::Char(n));
        types.push(SqlType::Binary(n));
    }
    for n in [0, 64, 16_383] {
        types.push(SqlType::Varchar(n));
    }
    for n in [1, 65_535] {
        types.push(SqlType::Varbinary(n));
    }
    for n in [255, 65_535, 16_777_215, u32::MAX] {
        types.push(SqlType::Text(n));
        types.push(SqlType::Blob(n));
    }
    types.extend([SqlType::Date, SqlType::DateTime, SqlType::Timestamp, SqlType::Json]);
    types
}

#[test]
fn display_parses_back_for_every_type() {
    for t in all_types() {
        let shown = t.to_string();
        assert_eq!(SqlType::parse(&shown), Ok(t.clone()), "{shown}");
        assert_eq!(shown, shown.to_lowercase());
    }
}

#[test]
fn parse_accepts_mysql_spellings() {
    let cases = [
        ("int", SqlType::Int { bytes: 4, unsigned: false }),
        ("INTEGER", SqlType::Int { bytes: 4, unsigned: false }),
        ("INT(11) UNSIGNED", SqlType::Int { bytes: 4, unsigned: true }),
        ("bigint(20) signed", SqlType::Int { bytes: 8, unsigned: false }),
        ("smallint zerofill", SqlType::Int { bytes: 2, unsigned: true }),
        ("MediumInt", SqlType::Int { bytes: 3, unsigned: false }),
        ("tinyint", SqlType::Int { bytes: 1, unsigned: false }),
        ("tinyint(4)", SqlType::Int { bytes: 1, unsigned: false }),
        ("tinyint(1)", SqlType::Bool),
        ("tinyint(1) unsigned", SqlType::Int { bytes: 1, unsigned: true }),
        ("BOOL", SqlType::Bool),
        ("boolean", SqlType::Bool),
        ("float", SqlType::Float),
        ("float(10)", SqlType::Float),
        ("float(30)", SqlType::Double),
        ("DOUBLE", SqlType::Double),
        ("double precision", SqlType::Double),
        ("REAL", SqlType::Double),
        ("decimal", SqlType::Decimal { precision: 10, scale: 0 }),
        ("NUMERIC(5)", SqlType::Decimal { precision: 5, scale: 0 }),
        ("dec(12, 4)", SqlType::Decimal { precision: 12, scale: 4 }),
        ("decimal(38,30)", SqlType::Decimal { precision: 38, scale: 30 }),
        ("char", SqlType::Char(1)),
        ("CHAR(10)", SqlType::Char(10)),
        ("varchar(64)", SqlType::Varchar(64)),
        ("VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci", SqlType::Varchar(64)),
        ("varchar(16383) charset 'utf8mb4'", SqlType::Varchar(16_383)),
        ("character varying(5)", SqlType::Varchar(5)),
        ("tinytext", SqlType::Text(255)),
        ("TEXT", SqlType::Text(65_535)),
        ("text(1000)", SqlType::Text(65_535)),
        ("text(100) collate utf8mb4_bin", SqlType::Text(255)),
        ("mediumtext", SqlType::Text(16_777_215)),
        ("longtext", SqlType::Text(u32::MAX)),
        ("binary", SqlType::Binary(1)),
        ("binary(16)", SqlType::Binary(16)),
        ("varbinary(255)", SqlType::Varbinary(255)),
        ("tinyblob", SqlType::Blob(255)),
        ("blob", SqlType::Blob(65_535)),
        ("mediumblob", SqlType::Blob(16_777_215)),
        ("LONGBLOB", SqlType::Blob(u32::MAX)),
        ("date", SqlType::Date),
        ("datetime", SqlType::DateTime),
        ("DATETIME(6)", SqlType::DateTime),
        ("timestamp(3)", SqlType::Timestamp),
        ("json", SqlType::Json),
    ];
    for (text, expected) in cases {
        assert_eq!(SqlType::parse(text), Ok(expected), "{text}");
    }
}

#[test]
fn parse_refuses_bad_and_unsupported_types() {
    let error = SqlType::parse("geometry").unwrap_err();
    assert_eq!(error.kind, ErrorKind::Unsupported);
    assert_eq!(error.message, "type 'GEOMETRY' is not supported");
    for text in
        ["enum('a','b')", "time", "year", "bit(1)", "double(10,2)", "decimal(10,2) unsigned"]
    {
        assert_eq!(SqlType::parse(text).unwrap_err().kind, ErrorKind::Unsupported, "{text}");
    }
    let error = SqlType::parse("DECIMAL(65,2)").unwrap_err();
    assert_eq!(error.kind, ErrorKind::LimitExceeded);
    assert_eq!(error.message, "DECIMAL precision 65 is over the limit of 38");
    for text in ["decimal(10,31)", "varchar(16384)", "char(256)", "binary(256)", "datetime(7)"] {
        assert_eq!(SqlType::parse(text).unwrap_err().kind, ErrorKind::LimitExceeded, "{text}");
    }
    for text in
        ["", "varchar", "varbinary", "int(", "int()", "int(1,2)", "decimal(5,6)", "decimal(0)"]
    {
        assert_eq!(SqlType::parse(text).unwrap_err().kind, ErrorKind::Syntax, "{text:?}");
    }
    for text in ["date(3)", "json(1)", "int unsigned x", "varchar(5) character", "bool unsigned"] {
        assert!(SqlType::parse(text).is_err(), "{text}");
    }
}

#[test]
fn integer_ranges_for_every_width() {
    for (bytes, name) in
        [(1, "tinyint"), (2, "smallint"), (3, "mediumint"), (4, "int"), (8, "bigint")]
    {
        let bits = bytes * 8;
        let signed_min = -(1i128 << (bits - 1));
        let signed_max = (1i128 << (bits - 1)) - 1;
        let unsigned_max = (1i128 << bits) - 1;
        for value in [signed_min, signed_max, 0] {
            let expected = Datum::Int(value as i64);
            assert_eq!(coerce(name, text(&value.to_string())), Ok(expected.clone()));
            if let Ok(v) = i64::try_from(value) {
                assert_eq!(coerce(name, Datum::Int(v)), Ok(expected));
            }
        }
        for value in [signed_min - 1, signed_max + 1] {
            assert_eq!(coerce_kind(name, text(&value.to_string())), ErrorKind::OutOfRange);
            let datum = match i64::try_from(value) {
                Ok(v) => Datum::Int(v),
                Err(_) if value > 0 => Datum::UInt(value as u64),
                Err(_) => Datum::Decimal(Decimal::new(value, 0)),
            };
            assert_eq!(coerce_kind(name, datum), ErrorKind::OutOfRange, "{name} {value}");
        }
        let unsigned = format!("{name} unsigned");
        assert_eq!(coerce(&unsigned, Datum::Int(0)), Ok(Datum::UInt(0)));
        assert_eq!(
            coerce(&unsigned, text(&unsigned_max.to_string())),
            Ok(Datum::UInt(unsigned_max as u64))
        );
        assert_eq!(
            coerce(&unsigned, Datum::UInt(unsigned_max as u64)),
            Ok(Datum::UInt(unsigned_max as u64))
        );
        assert_eq!(coerce_kind(&unsigned, Datum::Int(-1)), ErrorKind::OutOfRange);
        assert_eq!(
            coerce_kind(&unsigned, text(&(unsigned_max + 1).to_string())),
            ErrorKind::OutOfRange
        );
    }
    let error = coerce("int", Datum::Int(1 << 40)).unwrap_err();
    assert_eq!(error.message, "Out of range value for column 'c'");
}

#[test]
fn integers_from_text_floats_and_decimals() {
    let cases = [
        (text("12"), 12),
        (text(" 12 "), 12),
        (text("+7"), 7),
        (text("1e3"), 1000),
        (text("-4.5"), -5),
        (text("4.5"), 5),
        (text("4.49"), 4),
        (text("0.5e1"), 5),
        (Datum::Bytes(b"42".to_vec()), 42),
        (Datum::Float(2.5), 3),
        (Datum::Float(-2.5), -3),
        (Datum::Float(2.4999), 2),
        (Datum::Decimal(dec("1.49")), 1),
        (Datum::Decimal(dec("-1.50")), -2),
        (Datum::UInt(9), 9),
        (date("2024-01-31"), 20_240_131),
    ];
    for (value, expected) in cases {
        assert_eq!(coerce("int", value.clone()), Ok(Datum::Int(expected)), "{value:?}");
    }
    for bad in ["abc", "", "12abc", "1 2", "--1", ".", "1e"] {
        let error = coerce("int", text(bad)).unwrap_err();
        assert_eq!(error.kind, ErrorKind::BadValue, "{bad:?}");
        assert_eq!(error.message, format!("Incorrect integer value: '{bad}' for column 'c'"));
    }
    assert_eq!(coerce_kind("bigint", Datum::Float(1e30)), ErrorKind::OutOfRange);
    assert_eq!(coerce_kind("bigint", text("1e400")), ErrorKind::OutOfRange);
    assert_eq!(coerce("int", Datum::Null), Ok(Datum::Null));
    // BOOLEAN is TINYINT(1): any TINYINT fits.
    assert_eq!(coerce("boolean", Datum::Int(5)), Ok(Datum::Int(5)));
    assert_eq!(coerce_kind("boolean", text("true1")), ErrorKind::BadValue);
    assert_eq!(coerce_kind("boolean", Datum::Int(200)), ErrorKind::OutOfRange);
}

#[test]
fn decimals_round_and_overflow() {
    let column = "decimal(5,2)";
    let cases = [
        (text("12.345"), "12.35"),
        (text("-12.345"), "-12.35"),
        (text("12.344"), "12.34"),
        (text(" 1e2 "), "100.00"),
        (text("999.994"), "999.99"),
        (text("0.005"), "0.01"),
        (text("-0.004"), "0.00"),
        (Datum::Int(7), "7.00"),
        (Datum::Float(0.1), "0.10"),
        (Datum::Float(2.675), "2.68"),
        (Datum::Decimal(dec("1.5")), "1.50"),
    ];
    for (value, expected) in cases {
        let coerced = coerce(column, value.clone()).unwrap();
        match &coerced {
            Datum::Decimal(d) => assert_eq!(d.scale, 2),
            other => panic!("{other:?}"),
        }
        assert_eq!(coerced.to_text().unwrap(), expected, "{value:?}");
    }
    for value in [text("999.995"), Datum::Int(1000), text("-1000"), Datum::Float(1e20)] {
        assert_eq!(coerce_kind(column, value), ErrorKind::OutOfRange);
    }
    assert_eq!(coerce_kind(column, text("1.2.3")), ErrorKind::BadValue);
    let error = coerce(column, text("x")).unwrap_err();
    assert_eq!(error.message, "Incorrect decimal value: 'x' for column 'c'");
    // The full 38 digits.
    let big = "12345678901234567890.123456789012345678";
    assert_eq!(coerce("decimal(38,18)", text(big)).unwrap().to_text().unwrap(), big);
    assert_eq!(coerce_kind("decimal(38,0)", text(&"9".repeat(39))), ErrorKind::OutOfRange);
    assert_eq!(
        coerce("decimal(38,0)", text(&"9".repeat(38))).unwrap().to_text().unwrap(),
        "9".repeat(38)
    );
}

#[test]
fn doubles_from_numbers_and_text() {
    assert_eq!(coerce("double", text(" 1.5 ")), Ok(Datum::Float(1.5)));
    assert_eq!(coerce("double", Datum::Int(3)), Ok(Datum::Float(3.0)));
    assert_eq!(coerce("double", Datum::Decimal(dec("0.1"))), Ok(Datum::Float(0.1)));
    assert_eq!(coerce("double", text("-2e-3")), Ok(Datum::Float(-0.002)));
    assert_eq!(coerce_kind("double", text("1e400")), ErrorKind::OutOfRange);
    assert_eq!(coerce_kind("double", text("abc")), ErrorKind::BadValue);
    assert_eq!(coerce_kind("double", text("1.5x")), ErrorKind::BadValue);
    assert_eq!(coerce_kind("float", Datum::Float(1e39)), ErrorKind::OutOfRange);
    assert_eq!(coerce("float", Datum::Float(1e38)), Ok(Datum::Float(1e38)));
}

#[test]
fn string_lengths_count_characters_or_bytes() {
    // VARCHAR counts characters.
    assert_eq!(coerce("varchar(3)", text("héé")), Ok(text("héé")));
    assert_eq!(coerce_kind("varchar(3)", text("abcd")), ErrorKind::DataTooLong);
    let error = coerce("varchar(3)", text("héllo")).unwrap_err();
    assert_eq!(error.message, "Data too long for column 'c'");
    // Spaces past the limit are dropped instead of refused, as MySQL does.
    assert_eq!(coerce("varchar(3)", text("abc   ")), Ok(text("abc")));
    assert_eq!(coerce("varchar(300)", text(&"é".repeat(300))), Ok(text(&"é".repeat(300))));
    // TEXT counts bytes.
    assert_eq!(coerce("tinytext", text(&"é".repeat(127))), Ok(text(&"é".repeat(127))));
    assert_eq!(coerce_kind("tinytext", text(&"é".repeat(128))), ErrorKind::DataTooLong);
    assert_eq!(coerce("tinytext", text(&"a".repeat(255))), Ok(text(&"a".repeat(255))));
    assert_eq!(coerce_kind("tinytext", text(&"a".repeat(256))), ErrorKind::DataTooLong);
    // CHAR drops trailing spaces, as it does when read.
    assert_eq!(coerce("char(5)", text("ab  ")), Ok(text("ab")));
    assert_eq!(coerce_kind("char(2)", text("abc")), ErrorKind::DataTooLong);
    // Numbers, dates and UTF-8 bytes become text; other bytes are refused.
    assert_eq!(coerce("varchar(10)", Datum::Int(-12)), Ok(text("-12")));
    assert_eq!(coerce("varchar(10)", Datum::Decimal(dec("1.50"))), Ok(text("1.50")));
    assert_eq!(coerce("varchar(10)", Datum::Float(0.5)), Ok(text("0.5")));
    assert_eq!(coerce("varchar(10)", date("2024-01-31")), Ok(text("2024-01-31")));
    assert_eq!(coerce("text", Datum::Bytes(b"ok".to_vec())), Ok(text("ok")));
    assert_eq!(coerce_kind("text", Datum::Bytes(vec![0xFF, 0xFE])), ErrorKind::BadValue);
    assert_eq!(coerce_kind("varchar(4)", Datum::Int(12345)), ErrorKind::DataTooLong);
}

#[test]
fn binary_lengths_and_padding() {
    assert_eq!(coerce("binary(4)", text("ab")), Ok(Datum::Bytes(b"ab\0\0".to_vec())));
    assert_eq!(coerce("binary(2)", text("ab")), Ok(Datum::Bytes(b"ab".to_vec())));
    assert_eq!(coerce_kind("binary(2)", text("abc")), ErrorKind::DataTooLong);
    assert_eq!(coerce("varbinary(3)", text("é")), Ok(Datum::Bytes("é".as_bytes().to_vec())));
    assert_eq!(coerce_kind("varbinary(1)", text("é")), ErrorKind::DataTooLong);
    assert_eq!(coerce("blob", Datum::Bytes(vec![0, 255])), Ok(Datum::Bytes(vec![0, 255])));
    assert_eq!(coerce("tinyblob", Datum::Int(7)), Ok(Datum::Bytes(b"7".to_vec())));
    assert_eq!(coerce_kind("tinyblob", Datum::Bytes(vec![1; 256])), ErrorKind::DataTooLong);
}

#[test]
fn calendar_dates() {
    assert_eq!(parse_date("1970-01-01"), Some(0));
    assert_eq!(parse_date("1970-01-02"), Some(1));
    assert_eq!(parse_date("1969-12-31"), Some(-1));
    assert_eq!(parse_date("2023-02-29"), None);
    assert!(parse_date("2024-02-29").is_some());
    assert!(parse_date("2000-02-29").is_some());
    assert_eq!(parse_date("1900-02-29"), None);
    assert_eq!(parse_date("2024-2-9"), parse_date("2024-02-09"));
    assert_eq!(parse_date("20240131"), parse_date("2024-01-31"));
    assert_eq!(parse_date(" 2024-01-31 "), parse_date("2024-01-31"));
    for bad in [
        "2024-13-01",
        "2024-00-10",
        "2024-04-31",
        "2024-01-32",
        "0000-01-01",
        "24-01-01",
        "2024/01/31",
        "2024-01-31x",
        "",
        "2024-01",
    ] {
        assert_eq!(parse_date(bad), None, "{bad}");
    }
    assert!(parse_date("0001-01-01").is_some());
    assert!(parse_date("9999-12-31").is_some());
    assert_eq!(days_from_civil(2000, 3, 1), Some(11_017));
    assert_eq!(days_from_civil(2023, 2, 29), None);
    assert_eq!(days_from_civil(2023, 13, 1), None);
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(-719_162), (1, 1, 1));
    // Every day in four centuries around the epoch goes there and back, one day apart.
    let mut previous = days_from_civil(1800, 1, 1).unwrap() - 1;
    for days in previous + 1..days_from_civil(2200, 1, 1).unwrap() {
        let (y, m, d) = civil_from_days(days);
        assert_eq!(days_from_civil(y, m, d), Some(days));
        assert_eq!(days, previous + 1);
        previous = days;
    }
    for days in [i32::MIN / 2, -1_000_000, 1_000_000, i32::MAX / 2] {
        let (y, m, d) = civil_from_days(days);
        assert_eq!(days_from_civil(y, m, d), Some(days));
    }
}

#[test]
fn date_times() {
    let midnight = parse_date("2024-01-31").unwrap() as i64 * 86_400_000_000;
    assert_eq!(parse_datetime("2024-01-31"), Some(midnight));
    assert_eq!(parse_datetime("2024-01-31 00:00:00"), Some(midnight));
    assert_eq!(parse_datetime("2024-01-31T12:30:15"), Some(midnight + 45_015_000_000));
    assert_eq!(parse_datetime("2024-01-31 12:30"), Some(midnight + 45_000_000_000));
    assert_eq!(parse_datetime("2024-01-31 1:2:3"), Some(midnight + 3_723_000_000));
    assert_eq!(parse_datetime("2024-01-31 00:00:00.5"), Some(midnight + 500_000));
    assert_eq!(parse_datetime("2024-01-31 00:00:00.000001"), Some(midnight + 1));
    assert_eq!(parse_datetime("20240131123015"), parse_datetime("2024-01-31 12:30:15"));
    for bad in [
        "2024-01-31 24:00:00",
        "2024-01-31 12:60:00",
        "2024-01-31 12:00:60",
        "2024-02-30 00:00:00",
        "2024-01-31 12",
        "2024-01-31 12:00:00.",
        "2024-01-31 12:00:00.x",
        "x",
    ] {
        assert_eq!(parse_datetime(bad), None, "{bad}");
    }
    assert_eq!(datetime("2024-01-31 12:30:15").to_text().unwrap(), "2024-01-31 12:30:15");
    assert_eq!(datetime("2024-01-31 12:30:15.25").to_text().unwrap(), "2024-01-31 12:30:15.250000");
    assert_eq!(datetime("1969-12-31 23:59:59").to_text().unwrap(), "1969-12-31 23:59:59");
    assert_eq!(date("0001-01-01").to_text().unwrap(), "0001-01-01");
}

#[test]
fn coercing_dates() {
    assert_eq!(coerce("date", text("2024-01-31")), Ok(date("2024-01-31")));
    assert_eq!(coerce("date", text("2024-01-31 10:00:00")), Ok(date("2024-01-31")));
    assert_eq!(coerce("date", datetime("2024-01-31 23:59:59")), Ok(date("2024-01-31")));
    assert_eq!(coerce("date", Datum::Int(20_240_131)), Ok(date("2024-01-31")));
    let error = coerce("date", text("x")).unwrap_err();
    assert_eq!(error.kind, ErrorKind::BadValue);
    assert_eq!(error.message, "Incorrect date value: 'x' for column 'c'");
    assert_eq!(coerce_kind("date", text("2023-02-29")), ErrorKind::BadValue);
    assert_eq!(coerce("datetime", date("2024-01-31")), Ok(datetime("2024-01-31 00:00:00")));
    assert_eq!(coerce("datetime", text("2024-01-31")), Ok(datetime("2024-01-31 00:00:00")));
    assert_eq!(
        coerce("datetime", text("2024-01-31 10:11:12.5")),
        Ok(datetime("2024-01-31 10:11:12.5"))
    );
    assert_eq!(coerce_kind("datetime", text("2024-01-31 25:00:00")), ErrorKind::BadValue);
    assert_eq!(
        coerce("timestamp", text("2024-01-31 10:00:00")),
        Ok(datetime("2024-01-31 10:00:00"))
    );
    assert_eq!(coerce_kind("timestamp", text("1969-12-31 00:00:00")), ErrorKind::BadValue);
    assert_eq!(coerce_kind("timestamp", text("2038-01-20 00:00:00")), ErrorKind::BadValue);
    assert_eq!(coerce_kind("date", Datum::Date(3_000_000)), ErrorKind::BadValue);
}

#[test]
fn json_is_validated_and_canonical() {
    let cases = [
        (r#"{"b": [1,2], "a": 1}"#, r#"{"a": 1, "b": [1, 2]}"#),
        (r#"{"bb":1,"a":2,"ab":3}"#, r#"{"a": 2, "ab": 3, "bb": 1}"#),
        (r#"{"a":1,"a":2}"#, r#"{"a": 2}"#),
        (" [ ] ", "[]"),
        ("{}", "{}"),
        ("[1.0, 1e2, -0, 1.50, 10]", "[1.0, 100.0, 0, 1.5, 10]"),
        ("18446744073709551615", "18446744073709551615"),
        ("123456789012345678901234567890", "1.2345678901234568e29"),
        (r#""\u00e9\n\/\"""#, "\"é\\n/\\\"\""),
        (r#""\ud83d\ude00""#, "\"😀\""),
        ("[true,false,null]", "[true, false, null]"),
        (r#"{"x":{"z":[{}],"y":"s"}}"#, r#"{"x": {"y": "s", "z": [{}]}}"#),
    ];
    for (input, expected) in cases {
        assert_eq!(coerce("json", text(input)), Ok(Datum::Json(expected.to_string())), "{input}");
        assert_eq!(canonical_json(expected).unwrap(), expected);
    }
    for bad in [
        "",
        "{",
        "[1,]",
        "{\"a\"}",
        "01",
        "1.",
        "tru",
        "\"\\x\"",
        "\"\\ud83d\"",
        "1 2",
        "{'a':1}",
        "\"a\u{1}\"",
        "1e999",
    ] {
        assert_eq!(coerce_kind("json", text(bad)), ErrorKind::BadValue, "{bad:?}");
    }
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    assert!(canonical_json(&deep).is_ok());
    let deeper = format!("{}{}", "[".repeat(101), "]".repeat(101));
    assert!(canonical_json(&deeper).is_err());
    assert!(canonical_json(&"[".repeat(100_000)).is_err());
    assert_eq!(coerce("json", Datum::Int(5)), Ok(Datum::Json("5".to_string())));
    assert_eq!(coerce("json", Datum::Float(1.5)), Ok(Datum::Json("1.5".to_string())));
    assert_eq!(coerce("json", Datum::Decimal(dec("1.50"))), Ok(Datum::Json("1.50".to_string())));
    assert_eq!(coerce_kind("json", Datum::Bytes(b"{}".to_vec())), ErrorKind::BadValue);
}

#[test]
fn storage_round_trips() {
    let cases: Vec<(&str, Datum)> = vec![
        ("int", Datum::Int(-5)),
        ("bigint", Datum::Int(i64::MIN)),
        ("bigint unsigned", Datum::UInt(u64::MAX)),
        ("tinyint(1)", Datum::Int(1)),
        ("double", Datum::Float(-1.25)),
        ("float", Datum::Float(0.5)),
        ("decimal(10,2)", text("-12345678.91")),
        ("decimal(18,0)", text("999999999999999999")),
        ("decimal(19,0)", text("-9999999999999999999")),
        ("decimal(38,10)", text("-1234567890123456789012345678.0123456789")),
        ("decimal(38,30)", text("-0.5")),
        ("char(4)", text("ab  ")),
        ("varchar(10)", text("Héllo ")),
        ("text", text("")),
        ("binary(3)", text("a")),
        ("varbinary(3)", Datum::Bytes(vec![0, 1])),
        ("blob", Datum::Bytes(vec![])),
        ("date", text("2024-02-29")),
        ("date", text("0001-01-01")),
        ("datetime", text("2024-01-31 12:00:00.000001")),
        ("datetime", text("1000-01-01 00:00:00")),
        ("timestamp", text("2000-01-01 00:00:00")),
        ("json", text(r#"{"a": [1, "x"]}"#)),
    ];
    for (type_text, value) in cases {
        let t = ty(type_text);
        for value in [value, Datum::Null] {
            let coerced = t.coerce(value.clone(), "c").unwrap();
            let stored = t.to_storage(&coerced);
            encode_key(std::slice::from_ref(&stored)).unwrap();
            assert_eq!(t.from_storage(stored), coerced, "{type_text} {value:?}");
        }
    }
    assert_eq!(ty("decimal(10,2)").to_storage(&Datum::Decimal(dec("1.50"))), Value::Int(150));
    assert_eq!(ty("date").to_storage(&date("1970-01-02")), Value::Int(1));
    assert_eq!(ty("char(3)").from_storage(Value::Text("a  ".into())), text("a"));
    assert_eq!(ty("json").from_storage(Value::Text("[]".into())), Datum::Json("[]".into()));
    // A datum not coerced first is coerced on the way in.
    assert_eq!(ty("decimal(5,2)").to_storage(&Datum::Int(3)), Value::Int(300));
    assert_eq!(ty("int unsigned").to_storage(&Datum::Int(3)), Value::UInt(3));
}

/// A random decimal of at most `precision` digits with `scale` fraction digits.
fn random_decimal(rng: &mut XorShift, precision: u8, scale: u8) -> Decimal {
    let digits = 1 + rng.below(u64::from(precision)) as u32;
    let limit = 10i128.pow(digits);
    let wide = (i128::from(rng.next_u64()) << 64) | i128::from(rng.next_u64());
    let mut mantissa = wide.rem_euclid(limit);
    if rng.below(2) == 0 {
        mantissa = -mantissa;
    }
    Decimal::new(mantissa, scale)
}

#[test]
fn stored_decimals_sort_as_numbers() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for (precision, scale) in [(5, 2), (18, 4), (18, 0), (19, 0), (30, 10), (38, 0), (38, 30)] {
        let t = SqlType::Decimal { precision, scale };
        let mut values: Vec<Datum> =
            (0..300).map(|_| Datum::Decimal(random_decimal(&mut rng, precision, scale))).collect();
        let limit = 10i128.pow(u32::from(precision)) - 1;
        values.extend([0, 1, -1, limit, -limit].map(|m| Datum::Decimal(Decimal::new(m, scale))));
        let keyed: Vec<(Vec<u8>, Datum)> = values
            .into_iter()
            .map(|d| {
                let coerced = t.coerce(d.clone(), "c").unwrap();
                assert_eq!(coerced, d);
                (encode_key(&[t.to_storage(&coerced)]).unwrap(), coerced)
            })
            .collect();
        for (key_a, a) in &keyed {
            for (key_b, b) in keyed.iter().take(60) {
                assert_eq!(key_a.cmp(key_b), a.sql_cmp(b).unwrap(), "{a} {b} in {t}");
            }
        }
    }
}

fn d(text: &str) -> Datum {
    Datum::Decimal(dec(text))
}

fn kind<T: std::fmt::Debug>(result: Result<T, cambium::sql::Error>) -> ErrorKind {
    result.unwrap_err().kind
}

#[test]
fn integer_arithmetic_and_overflow() {
    assert_eq!(Datum::Int(2).add(&Datum::Int(3)), Ok(Datum::Int(5)));
    assert_eq!(Datum::Int(2).sub(&Datum::Int(3)), Ok(Datum::Int(-1)));
    assert_eq!(Datum::Int(-4).mul(&Datum::Int(3)), Ok(Datum::Int(-12)));
    let error = Datum::Int(i64::MAX).add(&Datum::Int(1)).unwrap_err();
    assert_eq!(error.kind, ErrorKind::OutOfRange);
    assert!(error.message.starts_with("BIGINT value is out of range"), "{}", error.message);
    assert_eq!(kind(Datum::Int(i64::MIN).sub(&Datum::Int(1))), ErrorKind::OutOfRange);
    assert_eq!(kind(Datum::Int(i64::MAX).mul(&Datum::Int(2))), ErrorKind::OutOfRange);
    assert_eq!(kind(Datum::UInt(u64::MAX).add(&Datum::Int(1))), ErrorKind::OutOfRange);
    assert_eq!(kind(Datum::UInt(u64::MAX).mul(&Datum::UInt(u64::MAX))), ErrorKind::OutOfRange);
    assert_eq!(Datum::Int(i64::MAX).add(&Datum::UInt(1)), Ok(Datum::UInt(1 << 63)));
    assert_eq!(Datum::UInt(5).add(&Datum::Int(-3)), Ok(Datum::UInt(2)));
    // An unsigned operand makes the result unsigned, as in MySQL: below zero is out of range.
    assert_eq!(kind(Datum::UInt(1).add(&Datum::Int(-3))), ErrorKind::OutOfRange);
    assert_eq!(kind(Datum::UInt(0).sub(&Datum::UInt(1))), ErrorKind::OutOfRange);
    assert_eq!(Datum::UInt(u64::MAX).sub(&Datum::UInt(1)), Ok(Datum::UInt(u64::MAX - 1)));
    assert_eq!(Datum::Int(1).add(&Datum::Null), Ok(Datum::Null));
    assert_eq!(Datum::Null.mul(&Datum::Int(1)), Ok(Datum::Null));
}

#[test]
fn decimal_and_float_arithmetic() {
    assert_eq!(Datum::Int(1).add(&d("1.5")), Ok(d("2.5")));
    assert_eq!(d("0.1").add(&d("0.2")), Ok(d("0.3")));
    assert_eq!(d("1.50").sub(&d("0.5")), Ok(d("1.00")));
    assert_eq!(d("1.5").mul(&d("1.5")), Ok(d("2.25")));
    assert_eq!(d("-1.5").mul(&Datum::Int(2)), Ok(d("-3.0")));
    // Scales add up in products and are capped at 30, rounding the 76-digit product.
    let x = "1.23456789012345678901";
    let product = d(x).mul(&d(x)).unwrap();
    assert_eq!(product.to_text().unwrap(), "1.524157875323883675043743356553");
    let one = "1.000000000000000000000000000000";
    assert_eq!(d(one).mul(&d(one)).unwrap().to_text().unwrap(), one);
    let big = "9".repeat(38);
    assert_eq!(kind(d(&big).add(&Datum::Int(1))), ErrorKind::OutOfRange);
    assert_eq!(kind(d(&big).mul(&Datum::Int(10))), ErrorKind::OutOfRange);
    assert_eq!(text("3").add(&Datum::Int(4)), Ok(Datum::Float(7.0)));
    assert_eq!(text("3abc").add(&Datum::Int(4)), Ok(Datum::Float(7.0)));
    assert_eq!(Datum::Float(1.5).add(&Datum::Int(1)), Ok(Datum::Float(2.5)));
    assert_eq!(Datum::Float(0.5).mul(&d("2.0")), Ok(Datum::Float(1.0)));
    assert_eq!(kind(Datum::Float(1e308).mul(&Datum::Int(10))), ErrorKind::OutOfRange);
}

#[test]
fn division_and_remainders() {
    let third = Datum::Int(1).div(&Datum::Int(3)).unwrap();
    assert_eq!(third, d("0.3333"));
    assert_eq!(third.to_text().unwrap(), "0.3333");
    assert_eq!(Datum::Int(2).div(&Datum::Int(3)).unwrap().to_text().unwrap(), "0.6667");
    assert_eq!(Datum::Int(-2).div(&Datum::Int(3)).unwrap().to_text().unwrap(), "-0.6667");
    assert_eq!(Datum::Int(7).div(&Datum::Int(2)).unwrap().to_text().unwrap(), "3.5000");
    assert_eq!(d("1.00").div(&Datum::Int(3)).unwrap().to_text().unwrap(), "0.333333");
    assert_eq!(Datum::Int(1).div(&d("0.3")).unwrap().to_text().unwrap(), "3.3333");
    assert_eq!(Datum::Float(1.0).div(&Datum::Int(4)), Ok(Datum::Float(0.25)));
    assert_eq!(Datum::Int(1).div(&Datum::Int(0)), Ok(Datum::Null));
    assert_eq!(Datum::Int(1).div(&d("0.00")), Ok(Datum::Null));
    assert_eq!(Datum::Int(1).div(&text("0")), Ok(Datum::Null));
    assert_eq!(Datum::Null.div(&Datum::Int(1)), Ok(Datum::Null));
    let big = d(&"9".repeat(38));
    assert_eq!(kind(big.div(&d("0.001"))), ErrorKind::OutOfRange);

    assert_eq!(Datum::Int(7).int_div(&Datum::Int(2)), Ok(Datum::Int(3)));
    assert_eq!(Datum::Int(-7).int_div(&Datum::Int(2)), Ok(Datum::Int(-3)));
    assert_eq!(Datum::UInt(7).int_div(&Datum::UInt(2)), Ok(Datum::UInt(3)));
    assert_eq!(d("7.5").int_div(&d("2.5")), Ok(Datum::Int(3)));
    assert_eq!(Datum::Float(7.9).int_div(&Datum::Int(2)), Ok(Datum::Int(3)));
    assert_eq!(Datum::Int(7).int_div(&Datum::Int(0)), Ok(Datum::Null));
    assert_eq!(kind(Datum::Int(i64::MIN).int_div(&Datum::Int(-1))), ErrorKind::OutOfRange);

    assert_eq!(Datum::Int(-7).rem(&Datum::Int(3)), Ok(Datum::Int(-1)));
    assert_eq!(Datum::Int(7).rem(&Datum::Int(-3)), Ok(Datum::Int(1)));
    assert_eq!(Datum::UInt(u64::MAX).rem(&Datum::UInt(10)), Ok(Datum::UInt(5)));
    assert_eq!(d("-7.5").rem(&Datum::Int(2)), Ok(d("-1.5")));
    assert_eq!(d("5.25").rem(&d("0.5")), Ok(d("0.25")));
    assert_eq!(Datum::Float(-7.5).rem(&Datum::Int(2)), Ok(Datum::Float(-1.5)));
    assert_eq!(Datum::Int(7).rem(&Datum::Int(0)), Ok(Datum::Null));
    assert_eq!(Datum::Int(i64::MIN).rem(&Datum::Int(-1)), Ok(Datum::Int(0)));
}

#[test]
fn negation() {
    assert_eq!(Datum::Int(5).neg(), Ok(Datum::Int(-5)));
    assert_eq!(kind(Datum::Int(i64::MIN).neg()), ErrorKind::OutOfRange);
    assert_eq!(Datum::UInt(1 << 63).neg(), Ok(Datum::Int(i64::MIN)));
    assert_eq!(Datum::UInt(u64::MAX).neg(), Ok(d("-18446744073709551615")));
    assert_eq!(d("1.50").neg(), Ok(d("-1.50")));
    assert_eq!(Datum::Float(2.5).neg(), Ok(Datum::Float(-2.5)));
    assert_eq!(text("3x").neg(), Ok(Datum::Float(-3.0)));
    assert_eq!(Datum::Null.neg(), Ok(Datum::Null));
}

fn cmp(a: &Datum, b: &Datum) -> Option<Ordering> {
    let forward = a.sql_cmp(b);
    assert_eq!(b.sql_cmp(a), forward.map(Ordering::reverse), "{a:?} {b:?} not symmetric");
    forward
}

#[test]
fn comparisons_follow_mysql() {
    use Ordering::*;
    let cases = [
        (Datum::Int(1), d("1.0"), Equal),
        (Datum::Int(1), Datum::Float(1.0), Equal),
        (Datum::UInt(1), Datum::Int(1), Equal),
        (Datum::UInt(u64::MAX), Datum::Int(-1), Greater),
        (Datum::UInt(u64::MAX), Datum::Int(i64::MAX), Greater),
        (Datum::Int((1 << 53) + 1), Datum::Float(9_007_199_254_740_992.0), Greater),
        (Datum::Int(2), Datum::Float(1.5), Greater),
        (Datum::Int(-2), Datum::Float(-1.5), Less),
        (d("0.1"), Datum::Float(0.1), Equal),
        (d("1.5"), d("1.50"), Equal),
        (d("-0.001"), Datum::Int(0), Less),
        (d(&"9".repeat(38)), d("0.00000000000000000000000000000000000001"), Greater),
        (text("a"), text("A"), Equal),
        (text("a"), text("A  "), Equal),
        (text("abc"), text("abd"), Less),
        (text("a"), text("B"), Less),
        (text("Straße"), text("STRASSE"), Greater),
        (text("É"), text("é"), Equal),
        (Datum::Int(10), text("9"), Greater),
        (Datum::Int(10), text("10abc"), Equal),
        (Datum::Int(0), text("abc"), Equal),
        (Datum::Float(1.5), text(" 1.5"), Equal),
        (Datum::Bytes(b"a".to_vec()), Datum::Bytes(b"b".to_vec()), Less),
        (Datum::Bytes(b"a".to_vec()), text("A"), Greater),
        (date("2024-01-31"), datetime("2024-01-31 00:00:00"), Equal),
        (date("2024-01-31"), datetime("2024-01-31 00:00:01"), Less),
        (date("2024-01-31"), text("2024-01-31"), Equal),
        (date("2024-01-31"), text("2024-1-31"), Equal),
        (datetime("2024-01-31 10:00:00"), text("2024-01-31"), Greater),
        (date("2024-01-31"), text("zzz"), Less),
        (date("2024-01-31"), Datum::Int(20_240_131), Equal),
        (Datum::Json("[1, 2]".into()), Datum::Json("[1, 2]".into()), Equal),
        (Datum::Json("10".into()), Datum::Json("9".into()), Greater),
        (Datum::Json("\"x\"".into()), text("x"), Equal),
        (Datum::Json("2".into()), Datum::Int(2), Equal),
    ];
    for (a, b, expected) in cases {
        assert_eq!(cmp(&a, &b), Some(expected), "{a:?} vs {b:?}");
    }
    assert_eq!(cmp(&Datum::Null, &Datum::Int(1)), None);
    assert_eq!(cmp(&Datum::Null, &Datum::Null), None);
    assert_eq!(Datum::Null.order_cmp(&Datum::Null), Equal);
    assert_eq!(Datum::Null.order_cmp(&Datum::Int(i64::MIN)), Less);
    assert_eq!(text("b").order_cmp(&text("A")), Greater);
    let mut values = vec![Datum::Int(3), Datum::Null, d("-1.5"), Datum::Float(2.5), Datum::UInt(1)];
    values.sort_by(Datum::order_cmp);
    assert_eq!(
        values,
        vec![Datum::Null, d("-1.5"), Datum::UInt(1), Datum::Float(2.5), Datum::Int(3)]
    );
}

#[test]
fn group_keys_match_equality() {
    let one = GroupKey::Number(1, 0);
    for value in [Datum::Int(1), Datum::UInt(1), d("1.00"), Datum::Float(1.0), d("1")] {
        assert_eq!(value.group_key(), one, "{value:?}");
    }
    assert_eq!(Datum::Float(0.5).group_key(), d("0.50").group_key());
    assert_eq!(Datum::Float(0.1).group_key(), d("0.1").group_key());
    assert_eq!(Datum::Float(-0.0).group_key(), Datum::Int(0).group_key());
    assert_eq!(Datum::Float(1e20).group_key(), d("100000000000000000000").group_key());
    assert_eq!(Datum::Float(1e300).group_key(), GroupKey::Float(1e300f64.to_bits()));
    assert_ne!(Datum::Int(1).group_key(), Datum::Int(2).group_key());
    assert_ne!(d("1.5").group_key(), d("15").group_key());
    assert_eq!(text("ABC ").group_key(), text("abc").group_key());
    assert_ne!(text("abc").group_key(), text(" abc").group_key());
    assert_eq!(Datum::Null.group_key(), GroupKey::Null);
    assert_eq!(date("2024-01-31").group_key(), GroupKey::Date(parse_date("2024-01-31").unwrap()));
    assert_eq!(Datum::Json("[1]".into()).group_key(), GroupKey::Text("[1]".into()));
    // Equal under sql_cmp means equal keys, across a spread of numbers.
    let mut rng = XorShift(7);
    let numbers: Vec<Datum> = (0..200)
        .flat_map(|_| {
            let m = rng.below(2001) as i64 - 1000;
            let scale = rng.below(4) as u8;
            let decimal = Decimal::new(i128::from(m), scale);
            [Datum::Decimal(decimal), Datum::Float(decimal.to_f64()), Datum::Int(m)]
        })
        .collect();
    for a in &numbers {
        for b in numbers.iter().take(90) {
            let equal = a.sql_cmp(b) == Some(Ordering::Equal);
            assert_eq!(equal, a.group_key() == b.group_key(), "{a:?} {b:?}");
        }
    }
}

#[test]
fn text_forms() {
    let cases = [
        (Datum::Int(-12), "-12"),
        (Datum::UInt(u64::MAX), "18446744073709551615"),
        (Datum::Float(2.0), "2"),
        (Datum::Float(0.1), "0.1"),
        (Datum::Float(-1.5), "-1.5"),
        (Datum::Float(1e21), "1e21"),
        (Datum::Float(1.5e-7), "1.5e-7"),
        (Datum::Float(123_456.789), "123456.789"),
        (Datum::Float(1e14), "100000000000000"),
        (Datum::Float(0.00001), "0.00001"),
        (Datum::Decimal(Decimal::new(150, 2)), "1.50"),
        (Datum::Decimal(Decimal::new(-5, 2)), "-0.05"),
        (Datum::Decimal(Decimal::new(0, 3)), "0.000"),
        (Datum::Decimal(Decimal::new(42, 0)), "42"),
        (text("é"), "é"),
        (Datum::Bytes(b"ab".to_vec()), "ab"),
        (date("2024-01-31"), "2024-01-31"),
        (datetime("2024-01-31 12:00:00"), "2024-01-31 12:00:00"),
        (Datum::Json(r#"{"a": 1}"#.into()), r#"{"a": 1}"#),
    ];
    for (value, expected) in cases {
        assert_eq!(value.to_text().as_deref(), Some(expected), "{value:?}");
        assert_eq!(value.to_string(), expected);
    }
    assert_eq!(Datum::Null.to_text(), None);
    assert_eq!(Datum::Null.to_string(), "NULL");
    assert_eq!(dec("1.50"), Decimal::new(150, 2));
    assert_eq!(dec(" -0.05 "), Decimal::new(-5, 2));
    assert_eq!(Decimal::parse("1e3"), Some(Decimal::new(1000, 0)));
    assert_eq!(Decimal::parse("abc"), None);
}

#[test]
fn numbers_from_values() {
    assert_eq!(text(" 12abc").to_f64(), Some(12.0));
    assert_eq!(text("abc").to_f64(), Some(0.0));
    assert_eq!(text("-1.5e3x").to_f64(), Some(-1500.0));
    assert_eq!(text("1e").to_f64(), Some(1.0));
    assert_eq!(text(".5").to_f64(), Some(0.5));
    assert_eq!(text("1e999").to_f64(), Some(f64::MAX));
    assert_eq!(date("2024-01-31").to_f64(), Some(20_240_131.0));
    assert_eq!(datetime("2024-01-31 12:30:15").to_f64(), Some(20_240_131_123_015.0));
    assert_eq!(Datum::Bytes(b"7".to_vec()).to_f64(), Some(7.0));
    assert_eq!(Datum::Json("\"4.5\"".into()).to_f64(), Some(4.5));
    assert_eq!(Datum::Json("true".into()).to_f64(), Some(1.0));
    assert_eq!(d("1.25").to_f64(), Some(1.25));
    assert_eq!(Datum::Null.to_f64(), None);

    assert_eq!(Datum::Float(2.5).to_i64(), Ok(Some(3)));
    assert_eq!(Datum::Float(-2.5).to_i64(), Ok(Some(-3)));
    assert_eq!(d("-1.49").to_i64(), Ok(Some(-1)));
    assert_eq!(text("4.5").to_i64(), Ok(Some(5)));
    assert_eq!(text("x").to_i64(), Ok(Some(0)));
    assert_eq!(Datum::UInt(u64::MAX).to_i64().unwrap_err().kind, ErrorKind::OutOfRange);
    assert_eq!(Datum::Float(1e19).to_i64().unwrap_err().kind, ErrorKind::OutOfRange);
    assert_eq!(text("9223372036854775808").to_i64().unwrap_err().kind, ErrorKind::OutOfRange);
    assert_eq!(Datum::Null.to_i64(), Ok(None));

    assert_eq!(text("1abc").truth(), Some(true));
    assert_eq!(text("abc").truth(), Some(false));
    assert_eq!(text("0.0").truth(), Some(false));
    assert_eq!(Datum::Float(0.0).truth(), Some(false));
    assert_eq!(d("0.01").truth(), Some(true));
    assert_eq!(Datum::Int(-1).truth(), Some(true));
    assert_eq!(date("2024-01-31").truth(), Some(true));
    assert_eq!(Datum::Null.truth(), None);
}

#[test]
fn casts() {
    let cast = |value: Datum, target: CastType| value.cast(&target);
    assert_eq!(cast(Datum::Int(-1), CastType::Unsigned), Ok(Datum::UInt(u64::MAX)));
    assert_eq!(cast(Datum::UInt(u64::MAX), CastType::Signed), Ok(Datum::Int(-1)));
    assert_eq!(cast(text("12abc"), CastType::Signed), Ok(Datum::Int(12)));
    assert_eq!(cast(text("abc"), CastType::Signed), Ok(Datum::Int(0)));
    assert_eq!(cast(text(" -3.5"), CastType::Signed), Ok(Datum::Int(-4)));
    assert_eq!(cast(d("2.5"), CastType::Signed), Ok(Datum::Int(3)));
    assert_eq!(kind(cast(Datum::Float(1e30), CastType::Signed)), ErrorKind::OutOfRange);
    assert_eq!(kind(cast(text("1e40"), CastType::Signed)), ErrorKind::OutOfRange);
    assert_eq!(cast(text("-1"), CastType::Unsigned), Ok(Datum::UInt(u64::MAX)));
    assert_eq!(cast(date("2024-01-31"), CastType::Signed), Ok(Datum::Int(20_240_131)));
    let decimal = |precision, scale| CastType::Decimal { precision, scale };
    assert_eq!(cast(Datum::Float(1.5), decimal(5, 0)), Ok(d("2")));
    assert_eq!(cast(text("1.005"), decimal(5, 2)), Ok(d("1.01")));
    assert_eq!(cast(Datum::Int(7), decimal(5, 2)), Ok(d("7.00")));
    assert_eq!(kind(cast(Datum::Int(1000), decimal(3, 0))), ErrorKind::OutOfRange);
    assert!(cast(Datum::Int(1), decimal(40, 0)).is_err());
    assert_eq!(cast(Datum::Int(3), CastType::Double), Ok(Datum::Float(3.0)));
    assert_eq!(cast(text("2.5x"), CastType::Double), Ok(Datum::Float(2.5)));
    assert_eq!(cast(text("abcdef"), CastType::Char(Some(3))), Ok(text("abc")));
    assert_eq!(cast(text("héllo"), CastType::Char(Some(2))), Ok(text("hé")));
    assert_eq!(cast(d("1.50"), CastType::Char(None)), Ok(text("1.50")));
    assert_eq!(cast(text("ab"), CastType::Binary(Some(4))), Ok(Datum::Bytes(b"ab\0\0".to_vec())));
    assert_eq!(cast(text("abc"), CastType::Binary(None)), Ok(Datum::Bytes(b"abc".to_vec())));
    assert_eq!(cast(text("2024-01-31"), CastType::Date), Ok(date("2024-01-31")));
    assert_eq!(cast(text("2024-01-31 10:00:00"), CastType::Date), Ok(date("2024-01-31")));
    assert_eq!(cast(text("2024-02-30"), CastType::Date), Ok(Datum::Null));
    assert_eq!(cast(Datum::Int(20_240_131), CastType::Date), Ok(date("2024-01-31")));
    assert_eq!(cast(date("2024-01-31"), CastType::DateTime), Ok(datetime("2024-01-31 00:00:00")));
    assert_eq!(cast(text("nope"), CastType::DateTime), Ok(Datum::Null));
    assert_eq!(
        cast(text(r#"{"b":1,"a":2}"#), CastType::Json),
        Ok(Datum::Json(r#"{"a": 2, "b": 1}"#.into()))
    );
    assert_eq!(kind(cast(text("{"), CastType::Json)), ErrorKind::BadValue);
    assert_eq!(cast(Datum::Int(1), CastType::Json), Ok(Datum::Json("1".into())));
    assert_eq!(cast(Datum::Float(2.0), CastType::Json), Ok(Datum::Json("2.0".into())));
    assert_eq!(cast(date("2024-01-31"), CastType::Json), Ok(Datum::Json("\"2024-01-31\"".into())));
    for target in [CastType::Signed, CastType::Date, CastType::Json, CastType::Char(None)] {
        assert_eq!(cast(Datum::Null, target), Ok(Datum::Null));
    }
}

#[test]
fn extreme_dates_do_not_overflow() {
    let far = Datum::Date(i32::MAX);
    let early = Datum::Date(i32::MIN);
    assert_eq!(far.sql_cmp(&Datum::DateTime(i64::MAX)), Some(Ordering::Greater));
    assert_eq!(early.sql_cmp(&Datum::DateTime(i64::MIN)), Some(Ordering::Less));
    assert_eq!(far.sql_cmp(&text("2024-01-31")), Some(Ordering::Greater));
    assert_eq!(far.cast(&CastType::Date), Ok(far.clone()));
    assert_eq!(far.cast(&CastType::DateTime), Ok(Datum::Null));
    assert_eq!(coerce_kind("datetime", far.clone()), ErrorKind::BadValue);
    assert_eq!(coerce_kind("date", Datum::DateTime(i64::MIN)), ErrorKind::BadValue);
    for value in [far, early, Datum::DateTime(i64::MAX), Datum::DateTime(i64::MIN)] {
        assert!(value.to_text().is_some());
        assert!(value.to_f64().is_some());
        assert!(value.add(&Datum::Int(1)).is_ok());
        assert!(value.cast(&CastType::Signed).is_ok());
        assert!(value.cast(&CastType::Json).is_ok());
    }
    assert_eq!(
        Decimal::new(i128::MIN, 0).rescale(0),
        None,
        "a mantissa beyond 38 digits is no decimal"
    );
    assert_eq!(
        kind(Datum::Int(1).cast(&CastType::Binary(Some(u32::MAX)))),
        ErrorKind::LimitExceeded
    );
}
