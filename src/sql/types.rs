//! SQL types and values: the column types Cambium stores, the runtime value (`Datum`) that
//! expressions compute with, MySQL's comparison and arithmetic rules, strict assignment casts
//! (overflow, truncation and bad values are errors), and the mapping to the row layer's
//! storage values.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use crate::row;

use super::error::{Error, ErrorKind};

/// Digits of a DECIMAL: as many as an `i128` mantissa always holds.
const DECIMAL_PRECISION_MAX: u8 = 38;
/// Fraction digits of a DECIMAL, MySQL's limit.
const DECIMAL_SCALE_MAX: u8 = 30;
/// Every mantissa stays below this, so that a decimal never has more than 38 digits.
const MANTISSA_LIMIT: u128 = 10u128.pow(38);
/// Fraction digits that `/` adds to its dividend's: MySQL's default `div_precision_increment`.
const DIV_PRECISION_INCREMENT: u8 = 4;
/// DECIMAL columns up to this precision store their mantissa as an `Int` (it fits an `i64`);
/// wider ones store 16 order-preserving bytes.
const DECIMAL_INT_PRECISION_MAX: u8 = 18;
const CHAR_LENGTH_MAX: u32 = 255;
/// VARCHAR's limit in characters: MySQL's 65,535-byte row limit over 4-byte utf8mb4 characters.
const VARCHAR_LENGTH_MAX: u32 = 16_383;
const BINARY_LENGTH_MAX: u32 = 255;
const VARBINARY_LENGTH_MAX: u32 = 65_535;
const TINY_BYTES: u32 = 255;
const PLAIN_BYTES: u32 = 65_535;
const MEDIUM_BYTES: u32 = 16_777_215;
const LONG_BYTES: u32 = u32::MAX;
/// Fractional-second digits a DATETIME or TIMESTAMP may declare.
const FSP_MAX: u64 = 6;
/// A FLOAT(p) with more bits of precision than this is a DOUBLE, as in MySQL.
const FLOAT_PRECISION_MAX: u64 = 24;
const DOUBLE_PRECISION_MAX: u64 = 53;
const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;
/// TIMESTAMP's range in MySQL ('1970-01-01 00:00:01' to '2038-01-19 03:14:07.999999' UTC), in
/// microseconds since the epoch.
const TIMESTAMP_MIN: i64 = MICROS_PER_SECOND;
const TIMESTAMP_MAX: i64 = 2_147_483_647 * MICROS_PER_SECOND + 999_999;
/// Nesting MySQL allows in a JSON document; it also bounds the parser's recursion.
const JSON_DEPTH_MAX: usize = 100;
/// Characters of a value quoted in an error message, so a huge value does not make a huge error.
const SHOWN_CHARS_MAX: usize = 64;
/// Exponents of numbers read from text are clamped to this, far beyond any representable value,
/// so that arithmetic on them cannot overflow.
const EXPONENT_CLAMP: i64 = 1_000_000_000_000;

/// An exact decimal: `mantissa / 10^scale`. At most 38 digits (the precision of `i128`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    pub mantissa: i128,
    pub scale: u8,
}

impl Decimal {
    pub fn new(mantissa: i128, scale: u8) -> Decimal {
        Decimal { mantissa, scale }
    }

    /// Reads a number written in text (`12.50`, ` -3 `, `1e3`), keeping the scale it is written
    /// with (at most 30 fraction digits, rounding beyond). None if the text is not a number or
    /// its integer part has more than 38 digits.
    pub fn parse(text: &str) -> Option<Decimal> {
        full_number(text.as_bytes())?.decimal(DECIMAL_SCALE_MAX)
    }

    /// The same value with `scale` fraction digits, rounded half away from zero; None if it would
    /// need more than 38 digits.
    pub fn rescale(self, scale: u8) -> Option<Decimal> {
        let mantissa = if self.mantissa == 0 {
            0
        } else if scale >= self.scale {
            self.mantissa.checked_mul(pow10(u32::from(scale - self.scale))?)?
        } else {
            round_div_pow10(self.mantissa, u32::from(self.scale - scale))
        };
        fits(mantissa).then_some(Decimal { mantissa, scale })
    }

    /// The nearest double.
    pub fn to_f64(self) -> f64 {
        // Through the text, because the standard parser rounds correctly once, where dividing
        // by a power of ten in floats would round twice.
        self.to_string().parse().unwrap_or(0.0)
    }

    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    fn integer(value: i128) -> Decimal {
        Decimal { mantissa: value, scale: 0 }
    }

    fn negated(self) -> Decimal {
        // Wrapping, because only a malformed mantissa (beyond 38 digits) can be i128::MIN, and
        // that must not panic.
        Decimal { mantissa: self.mantissa.wrapping_neg(), scale: self.scale }
    }

    /// The same value without trailing zero fraction digits, so that equal values are equal.
    fn normalized(self) -> Decimal {
        let Decimal { mut mantissa, mut scale } = self;
        if mantissa == 0 {
            return Decimal::integer(0);
        }
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        Decimal { mantissa, scale }
    }
}

impl fmt::Display for Decimal {
    /// Fixed notation with exactly `scale` fraction digits: `1.50`, `-0.05`, `12`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let scale = usize::from(self.scale);
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (whole, fraction) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{whole}.{fraction}")
    }
}

fn pow10(exponent: u32) -> Option<i128> {
    10i128.checked_pow(exponent)
}

fn fits(mantissa: i128) -> bool {
    mantissa.unsigned_abs() < MANTISSA_LIMIT
}

/// `value / 10^digits`, rounded half away from zero.
fn round_div_pow10(value: i128, digits: u32) -> i128 {
    // 10^39 and beyond exceed every i128, so the quotient is below one half.
    let Some(divisor) = pow10(digits) else {
        return 0;
    };
    let quotient = value / divisor;
    let remainder = (value % divisor).unsigned_abs();
    if remainder >= divisor.unsigned_abs() - remainder {
        quotient + value.signum()
    } else {
        quotient
    }
}

/// A column type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SqlType {
    /// TINYINT (1 byte), SMALLINT (2), MEDIUMINT (3), INT (4), BIGINT (8).
    Int {
        bytes: u8,
        unsigned: bool,
    },
    /// BOOLEAN / BOOL: stored and shown as TINYINT(1).
    Bool,
    Float,
    Double,
    /// DECIMAL(precision, scale), precision 1..=38, scale <= precision.
    Decimal {
        precision: u8,
        scale: u8,
    },
    /// CHAR(n): n characters at most (trailing spaces are removed on read, as MySQL does).
    Char(u32),
    /// VARCHAR(n): n characters at most.
    Varchar(u32),
    /// TINYTEXT / TEXT / MEDIUMTEXT / LONGTEXT: at most this many bytes.
    Text(u32),
    Binary(u32),
    Varbinary(u32),
    /// TINYBLOB / BLOB / MEDIUMBLOB / LONGBLOB: at most this many bytes.
    Blob(u32),
    Date,
    DateTime,
    Timestamp,
    Json,
}

impl SqlType {
    /// Parses a type as written in SQL (`int`, `INT(11) UNSIGNED`, `varchar(64)`,
    /// `decimal(10,2)`, `double precision`, ...). Unknown or unsupported types are errors that
    /// name the type.
    pub fn parse(text: &str) -> Result<SqlType, Error> {
        let mut parser = TypeParser::new(text)?;
        let mut name = parser.word()?;
        if name == "double" {
            parser.eat_word("precision");
        }
        if (name == "char" || name == "character") && parser.eat_word("varying") {
            name = "varchar".to_string();
        }
        if !KNOWN_TYPES.contains(&name.as_str()) {
            return Err(Error::unsupported(format!("type '{}'", name.to_uppercase())));
        }
        let arguments = parser.arguments()?;
        let unsupported = || Error::unsupported(format!("type '{}'", text.trim().to_uppercase()));
        let ty = match name.as_str() {
            "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" => {
                let bytes = match name.as_str() {
                    "tinyint" => 1,
                    "smallint" => 2,
                    "mediumint" => 3,
                    "int" | "integer" => 4,
                    _ => 8,
                };
                // The display width changes nothing but TINYINT(1), which is how BOOLEAN is
                // written back (SHOW CREATE TABLE), so it reads as BOOLEAN again.
                if arguments.len() > 1 {
                    return Err(parser.malformed());
                }
                let unsigned = parser.sign_modifiers();
                if bytes == 1 && arguments == [1] && !unsigned {
                    SqlType::Bool
                } else {
                    SqlType::Int { bytes, unsigned }
                }
            }
            "bool" | "boolean" => {
                parser.no_arguments(&arguments)?;
                SqlType::Bool
            }
            "float" | "double" | "real" => {
                let ty = match (name.as_str(), arguments.as_slice()) {
                    ("float", []) => SqlType::Float,
                    ("float", &[bits]) if bits <= FLOAT_PRECISION_MAX => SqlType::Float,
                    ("float", &[bits]) if bits <= DOUBLE_PRECISION_MAX => SqlType::Double,
                    ("float", &[bits]) => {
                        return Err(over_limit("FLOAT precision", bits, DOUBLE_PRECISION_MAX))
                    }
                    (_, []) => SqlType::Double,
                    // FLOAT(M,D) and DOUBLE(M,D) round to D digits, which a double column
                    // here does not do.
                    _ => return Err(unsupported()),
                };
                if parser.sign_modifiers() {
                    return Err(unsupported());
                }
                ty
            }
            "decimal" | "numeric" | "dec" | "fixed" => {
                let (precision, scale) = match arguments.as_slice() {
                    [] => (10, 0),
                    &[precision] => (precision, 0),
                    &[precision, scale] => (precision, scale),
                    _ => return Err(parser.malformed()),
                };
                let (precision, scale) = decimal_spec(precision, scale)?;
                // An unsigned DECIMAL would have to refuse negative values, which this type
                // cannot record.
                if parser.sign_modifiers() {
                    return Err(unsupported());
                }
                SqlType::Decimal { precision, scale }
            }
            "char" | "character" => {
                let length = parser.optional_length(&arguments, 1)?;
                SqlType::Char(length_within("CHAR length", length, CHAR_LENGTH_MAX)?)
            }
            "varchar" => {
                let length = parser.required_length(&arguments, "VARCHAR")?;
                SqlType::Varchar(length_within("VARCHAR length", length, VARCHAR_LENGTH_MAX)?)
            }
            "tinytext" | "mediumtext" | "longtext" | "tinyblob" | "mediumblob" | "longblob" => {
                parser.no_arguments(&arguments)?;
                let bytes = match &name[..4] {
                    "tiny" => TINY_BYTES,
                    "medi" => MEDIUM_BYTES,
                    _ => LONG_BYTES,
                };
                if name.ends_with("text") {
                    SqlType::Text(bytes)
                } else {
                    SqlType::Blob(bytes)
                }
            }
            "text" | "blob" => {
                // TEXT(n) and BLOB(n) pick the smallest kind that holds n bytes, as in MySQL.
                let length = parser.optional_length(&arguments, u64::from(PLAIN_BYTES))?;
                let bytes = size_class_bytes(length_within("length", length, LONG_BYTES)?);
                if name == "text" {
                    SqlType::Text(bytes)
                } else {
                    SqlType::Blob(bytes)
                }
            }
            "binary" => {
                let length = parser.optional_length(&arguments, 1)?;
                SqlType::Binary(length_within("BINARY length", length, BINARY_LENGTH_MAX)?)
            }
            "varbinary" => {
                let length = parser.required_length(&arguments, "VARBINARY")?;
                SqlType::Varbinary(length_within("VARBINARY length", length, VARBINARY_LENGTH_MAX)?)
            }
            "date" | "json" => {
                parser.no_arguments(&arguments)?;
                if name == "date" {
                    SqlType::Date
                } else {
                    SqlType::Json
                }
            }
            "datetime" | "timestamp" => {
                // The fractional-second precision is accepted; values keep microseconds.
                let fsp = parser.optional_length(&arguments, 0)?;
                if fsp > FSP_MAX {
                    return Err(over_limit("fractional-second precision", fsp, FSP_MAX));
                }
                if name == "datetime" {
                    SqlType::DateTime
                } else {
                    SqlType::Timestamp
                }
            }
            _ => return Err(parser.malformed()),
        };
        if matches!(ty, SqlType::Char(_) | SqlType::Varchar(_) | SqlType::Text(_)) {
            parser.charset_modifiers()?;
        }
        parser.finish()?;
        Ok(ty)
    }

    /// Converts `value` for storing in a column of this type named `column`, MySQL strict mode:
    /// numbers out of range → `OutOfRange`, too long strings → `DataTooLong`, strings that are
    /// not numbers/dates → `BadValue`; NULL stays NULL (NOT NULL is checked elsewhere).
    pub fn coerce(&self, value: Datum, column: &str) -> Result<Datum, Error> {
        if value.is_null() {
            return Ok(Datum::Null);
        }
        match self {
            SqlType::Int { bytes, unsigned } => coerce_int(&value, *bytes, *unsigned, column),
            SqlType::Bool => coerce_int(&value, 1, false, column),
            SqlType::Float => coerce_float(&value, true, column),
            SqlType::Double => coerce_float(&value, false, column),
            SqlType::Decimal { precision, scale } => {
                let number = value
                    .exact_number(Read::Full)
                    .ok_or_else(|| incorrect("decimal", &value, column))?;
                number
                    .at_scale(*scale)
                    .filter(|d| d.mantissa.unsigned_abs() < 10u128.pow(u32::from(*precision)))
                    .map(Datum::Decimal)
                    .ok_or_else(|| out_of_range(column))
            }
            SqlType::Char(length) => {
                let text = fit_text(coerce_text(value, column)?, *length, true, column)?;
                // CHAR values lose their trailing spaces when read, so drop them now and the
                // coerced value is the value read back.
                Ok(Datum::Text(trim_trailing_spaces(text)))
            }
            SqlType::Varchar(length) => {
                Ok(Datum::Text(fit_text(coerce_text(value, column)?, *length, true, column)?))
            }
            SqlType::Text(bytes) => {
                Ok(Datum::Text(fit_text(coerce_text(value, column)?, *bytes, false, column)?))
            }
            SqlType::Binary(length) => {
                let mut bytes = fit_bytes(value.into_bytes(), *length, column)?;
                bytes.resize(*length as usize, 0);
                Ok(Datum::Bytes(bytes))
            }
            SqlType::Varbinary(length) | SqlType::Blob(length) => {
                Ok(Datum::Bytes(fit_bytes(value.into_bytes(), *length, column)?))
            }
            SqlType::Date => value
                .datetime_micros()
                .filter(|&micros| in_sql_years(micros))
                .map(|micros| Datum::Date(split_datetime(micros).0))
                .ok_or_else(|| incorrect("date", &value, column)),
            SqlType::DateTime | SqlType::Timestamp => {
                let timestamp = *self == SqlType::Timestamp;
                value
                    .datetime_micros()
                    .filter(|&micros| in_sql_years(micros))
                    .filter(|micros| !timestamp || (TIMESTAMP_MIN..=TIMESTAMP_MAX).contains(micros))
                    .map(Datum::DateTime)
                    .ok_or_else(|| incorrect("datetime", &value, column))
            }
            SqlType::Json => match value {
                Datum::Json(text) => Ok(Datum::Json(text)),
                Datum::Text(text) => json_canonical(&text).map(Datum::Json).map_err(|error| {
                    Error::new(
                        ErrorKind::BadValue,
                        format!(
                            "Invalid JSON text: \"{}\" at position {} in value for column \
                             '{column}'.",
                            error.reason, error.position
                        ),
                    )
                }),
                Datum::Bytes(_) => Err(binary_json()),
                other => Ok(Datum::Json(json_of_scalar(&other))),
            },
        }
    }

    /// The row-layer value for a datum already coerced to this type.
    pub fn to_storage(&self, value: &Datum) -> row::Value {
        if let Some(stored) = self.storage_ref(value) {
            return stored.into_owned();
        }
        if !self.holds(value) {
            // A datum that was not coerced: coerce it now when it can be, so that what is stored
            // reads back through `from_storage`; otherwise store it as it is.
            return match self.coerce(value.clone(), "") {
                Ok(coerced) if self.holds(&coerced) => self.to_storage(&coerced),
                _ => plain_value(value),
            };
        }
        match (self, value) {
            // Big-endian two's complement with the sign bit flipped sorts as bytes in the order
            // of the numbers, so keys keep SQL order.
            (SqlType::Decimal { scale, .. }, Datum::Decimal(decimal)) => {
                let mantissa = decimal.rescale(*scale).unwrap_or(*decimal).mantissa;
                row::Value::Bytes(((mantissa as u128) ^ (1 << 127)).to_be_bytes().to_vec())
            }
            _ => plain_value(value),
        }
    }

    /// [`SqlType::to_storage`] borrowing the datum's text or bytes, for the datums this type
    /// holds and stores as they are; `None` for those that need converting first.
    pub fn storage_ref<'a>(&self, value: &'a Datum) -> Option<row::ValueRef<'a>> {
        if !self.holds(value) {
            return None;
        }
        Some(match (self, value) {
            (SqlType::Decimal { precision, scale }, Datum::Decimal(decimal)) => {
                let mantissa = decimal.rescale(*scale).unwrap_or(*decimal).mantissa;
                match i64::try_from(mantissa) {
                    Ok(small) if *precision <= DECIMAL_INT_PRECISION_MAX => {
                        row::ValueRef::Int(small)
                    }
                    _ => return None,
                }
            }
            (SqlType::Char(_), Datum::Text(text)) => {
                row::ValueRef::Text(text.trim_end_matches(' '))
            }
            _ => return plain_ref(value),
        })
    }

    /// The datum for a stored value of this type.
    pub fn from_storage(&self, value: row::Value) -> Datum {
        match (self, value) {
            (_, row::Value::Null) => Datum::Null,
            (SqlType::Decimal { scale, .. }, row::Value::Int(mantissa)) => {
                Datum::Decimal(Decimal { mantissa: i128::from(mantissa), scale: *scale })
            }
            (SqlType::Decimal { scale, .. }, row::Value::Bytes(bytes)) if bytes.len() == 16 => {
                let mut array = [0u8; 16];
                array.copy_from_slice(&bytes);
                let mantissa = (u128::from_be_bytes(array) ^ (1 << 127)) as i128;
                Datum::Decimal(Decimal { mantissa, scale: *scale })
            }
            (SqlType::Char(_), row::Value::Text(text)) => Datum::Text(trim_trailing_spaces(text)),
            (SqlType::Date, row::Value::Int(days)) => match i32::try_from(days) {
                Ok(days) => Datum::Date(days),
                Err(_) => Datum::Int(days),
            },
            (SqlType::DateTime | SqlType::Timestamp, row::Value::Int(micros)) => {
                Datum::DateTime(micros)
            }
            (SqlType::Json, row::Value::Text(text)) => Datum::Json(text),
            (_, row::Value::Int(value)) => Datum::Int(value),
            (_, row::Value::UInt(value)) => Datum::UInt(value),
            (_, row::Value::Float(value)) => Datum::Float(value),
            (_, row::Value::Text(value)) => Datum::Text(value),
            (_, row::Value::Bytes(value)) => Datum::Bytes(value),
        }
    }

    /// Whether values of this type are numbers (for result typing and alignment).
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            SqlType::Int { .. }
                | SqlType::Bool
                | SqlType::Float
                | SqlType::Double
                | SqlType::Decimal { .. }
        )
    }

    /// Whether `value` is the kind of datum `coerce` makes for this type (NULL fits all).
    fn holds(&self, value: &Datum) -> bool {
        matches!(
            (self, value),
            (_, Datum::Null)
                | (SqlType::Int { unsigned: true, .. }, Datum::UInt(_))
                | (SqlType::Int { unsigned: false, .. } | SqlType::Bool, Datum::Int(_))
                | (SqlType::Float | SqlType::Double, Datum::Float(_))
                | (SqlType::Decimal { .. }, Datum::Decimal(_))
                | (SqlType::Char(_) | SqlType::Varchar(_) | SqlType::Text(_), Datum::Text(_))
                | (SqlType::Binary(_) | SqlType::Varbinary(_) | SqlType::Blob(_), Datum::Bytes(_))
                | (SqlType::Date, Datum::Date(_))
                | (SqlType::DateTime | SqlType::Timestamp, Datum::DateTime(_))
                | (SqlType::Json, Datum::Json(_))
        )
    }
}

impl fmt::Display for SqlType {
    /// The canonical spelling, as SHOW CREATE TABLE prints it: `int`, `bigint unsigned`,
    /// `tinyint(1)`, `decimal(10,2)`, `varchar(64)`, `text`, `datetime`, `json`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const TEXTS: [&str; 4] = ["tinytext", "text", "mediumtext", "longtext"];
        const BLOBS: [&str; 4] = ["tinyblob", "blob", "mediumblob", "longblob"];
        match self {
            SqlType::Int { bytes, unsigned } => {
                f.write_str(match bytes {
                    1 => "tinyint",
                    2 => "smallint",
                    3 => "mediumint",
                    4 => "int",
                    _ => "bigint",
                })?;
                if *unsigned {
                    f.write_str(" unsigned")?;
                }
                Ok(())
            }
            SqlType::Bool => f.write_str("tinyint(1)"),
            SqlType::Float => f.write_str("float"),
            SqlType::Double => f.write_str("double"),
            SqlType::Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            SqlType::Char(length) => write!(f, "char({length})"),
            SqlType::Varchar(length) => write!(f, "varchar({length})"),
            SqlType::Text(bytes) => f.write_str(TEXTS[size_class(*bytes)]),
            SqlType::Binary(length) => write!(f, "binary({length})"),
            SqlType::Varbinary(length) => write!(f, "varbinary({length})"),
            SqlType::Blob(bytes) => f.write_str(BLOBS[size_class(*bytes)]),
            SqlType::Date => f.write_str("date"),
            SqlType::DateTime => f.write_str("datetime"),
            SqlType::Timestamp => f.write_str("timestamp"),
            SqlType::Json => f.write_str("json"),
        }
    }
}

/// The type names `SqlType::parse` knows; any other is unsupported, whatever follows it.
const KNOWN_TYPES: &[&str] = &[
    "tinyint",
    "smallint",
    "mediumint",
    "int",
    "integer",
    "bigint",
    "bool",
    "boolean",
    "float",
    "double",
    "real",
    "decimal",
    "numeric",
    "dec",
    "fixed",
    "char",
    "character",
    "varchar",
    "tinytext",
    "text",
    "mediumtext",
    "longtext",
    "binary",
    "varbinary",
    "tinyblob",
    "blob",
    "mediumblob",
    "longblob",
    "date",
    "datetime",
    "timestamp",
    "json",
];

/// Which of the four TEXT or BLOB kinds (tiny, plain, medium, long) holds `bytes` bytes.
fn size_class(bytes: u32) -> usize {
    [TINY_BYTES, PLAIN_BYTES, MEDIUM_BYTES].iter().take_while(|&&limit| bytes > limit).count()
}

fn size_class_bytes(bytes: u32) -> u32 {
    [TINY_BYTES, PLAIN_BYTES, MEDIUM_BYTES, LONG_BYTES][size_class(bytes)]
}

fn over_limit(what: &str, value: u64, limit: u64) -> Error {
    Error::new(ErrorKind::LimitExceeded, format!("{what} {value} is over the limit of {limit}"))
}

fn length_within(what: &str, length: u64, limit: u32) -> Result<u32, Error> {
    match u32::try_from(length) {
        Ok(length) if length <= limit => Ok(length),
        _ => Err(over_limit(what, length, u64::from(limit))),
    }
}

/// Checks a DECIMAL(precision, scale) against Cambium's and MySQL's limits.
fn decimal_spec(precision: u64, scale: u64) -> Result<(u8, u8), Error> {
    if precision == 0 {
        return Err(Error::new(ErrorKind::Syntax, "DECIMAL precision must be at least 1"));
    }
    if precision > u64::from(DECIMAL_PRECISION_MAX) {
        return Err(over_limit("DECIMAL precision", precision, DECIMAL_PRECISION_MAX.into()));
    }
    if scale > u64::from(DECIMAL_SCALE_MAX) {
        return Err(over_limit("DECIMAL scale", scale, DECIMAL_SCALE_MAX.into()));
    }
    if scale > precision {
        return Err(Error::new(
            ErrorKind::Syntax,
            format!("DECIMAL scale {scale} is over its precision {precision}"),
        ));
    }
    Ok((precision as u8, scale as u8))
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum TypeToken {
    /// A name or keyword, lower-cased; quoted names (charset names) too.
    Word(String),
    Number(u64),
    Open,
    Close,
    Comma,
}

/// Reads the few tokens type text is made of.
struct TypeParser<'a> {
    text: &'a str,
    tokens: Vec<TypeToken>,
    position: usize,
}

impl<'a> TypeParser<'a> {
    fn new(text: &'a str) -> Result<TypeParser<'a>, Error> {
        let mut parser = TypeParser { text, tokens: Vec::new(), position: 0 };
        let mut chars = text.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
            } else if let Some(token) = match c {
                '(' => Some(TypeToken::Open),
                ')' => Some(TypeToken::Close),
                ',' => Some(TypeToken::Comma),
                _ => None,
            } {
                chars.next();
                parser.tokens.push(token);
            } else if c.is_ascii_digit() {
                let mut value: u64 = 0;
                while let Some(digit) = chars.peek().and_then(|d| d.to_digit(10)) {
                    value = value.saturating_mul(10).saturating_add(u64::from(digit));
                    chars.next();
                }
                parser.tokens.push(TypeToken::Number(value));
            } else if c.is_alphanumeric() || c == '_' {
                let mut word = String::new();
                while let Some(&d) = chars.peek().filter(|d| d.is_alphanumeric() || **d == '_') {
                    word.extend(d.to_lowercase());
                    chars.next();
                }
                parser.tokens.push(TypeToken::Word(word));
            } else if matches!(c, '\'' | '"' | '`') {
                chars.next();
                let mut word = String::new();
                loop {
                    match chars.next() {
                        Some(d) if d == c => break,
                        Some(d) => word.extend(d.to_lowercase()),
                        None => return Err(parser.malformed()),
                    }
                }
                parser.tokens.push(TypeToken::Word(word));
            } else {
                return Err(parser.malformed());
            }
        }
        Ok(parser)
    }

    fn malformed(&self) -> Error {
        Error::new(ErrorKind::Syntax, format!("malformed type '{}'", self.text.trim()))
    }

    fn next(&mut self) -> Option<TypeToken> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        token
    }

    fn word(&mut self) -> Result<String, Error> {
        match self.next() {
            Some(TypeToken::Word(word)) => Ok(word),
            _ => Err(self.malformed()),
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let found = matches!(self.tokens.get(self.position), Some(TypeToken::Word(w)) if w == word);
        if found {
            self.position += 1;
        }
        found
    }

    /// The numbers in parentheses after a type name; none if there are no parentheses.
    fn arguments(&mut self) -> Result<Vec<u64>, Error> {
        let mut arguments = Vec::new();
        if self.tokens.get(self.position) != Some(&TypeToken::Open) {
            return Ok(arguments);
        }
        self.position += 1;
        loop {
            match self.next() {
                Some(TypeToken::Number(value)) => arguments.push(value),
                _ => return Err(self.malformed()),
            }
            match self.next() {
                Some(TypeToken::Comma) => {}
                Some(TypeToken::Close) => return Ok(arguments),
                _ => return Err(self.malformed()),
            }
        }
    }

    fn no_arguments(&self, arguments: &[u64]) -> Result<(), Error> {
        if arguments.is_empty() {
            Ok(())
        } else {
            Err(self.malformed())
        }
    }

    fn optional_length(&self, arguments: &[u64], default: u64) -> Result<u64, Error> {
        match arguments {
            [] => Ok(default),
            &[length] => Ok(length),
            _ => Err(self.malformed()),
        }
    }

    fn required_length(&self, arguments: &[u64], name: &str) -> Result<u64, Error> {
        match arguments {
            [] => Err(Error::new(ErrorKind::Syntax, format!("{name} requires a length"))),
            _ => self.optional_length(arguments, 0),
        }
    }

    /// Reads UNSIGNED, SIGNED and ZEROFILL in any order; true if the type is unsigned. ZEROFILL
    /// makes a column unsigned in MySQL; its padding only affects display and is not kept.
    fn sign_modifiers(&mut self) -> bool {
        let mut unsigned = false;
        loop {
            if self.eat_word("unsigned") || self.eat_word("zerofill") {
                unsigned = true;
            } else if !self.eat_word("signed") {
                return unsigned;
            }
        }
    }

    /// Skips `CHARACTER SET x`, `CHARSET x` and `COLLATE x`: text is always UTF-8 here and
    /// compares by one collation.
    fn charset_modifiers(&mut self) -> Result<(), Error> {
        loop {
            if self.eat_word("character") {
                if !self.eat_word("set") {
                    return Err(self.malformed());
                }
            } else if !self.eat_word("charset") && !self.eat_word("collate") {
                return Ok(());
            }
            self.word()?;
        }
    }

    fn finish(&self) -> Result<(), Error> {
        if self.position == self.tokens.len() {
            Ok(())
        } else {
            Err(self.malformed())
        }
    }
}

fn out_of_range(column: &str) -> Error {
    Error::new(ErrorKind::OutOfRange, format!("Out of range value for column '{column}'"))
}

/// The `BadValue` error for a value that is not a `kind` ("integer", "date", ...).
fn incorrect(kind: &str, value: &Datum, column: &str) -> Error {
    Error::new(
        ErrorKind::BadValue,
        format!("Incorrect {kind} value: '{}' for column '{column}'", shown(value)),
    )
}

fn binary_json() -> Error {
    Error::new(
        ErrorKind::BadValue,
        "Cannot create a JSON value from a string with CHARACTER SET 'binary'.",
    )
}

/// The `OutOfRange` error of an expression whose result does not fit `kind` ("BIGINT", ...).
fn range_error(kind: &str, expression: &str) -> Error {
    Error::new(ErrorKind::OutOfRange, format!("{kind} value is out of range in '{expression}'"))
}

/// A value as an error message quotes it: its text, non-UTF-8 bytes as `\xFF`, cut short.
fn shown(value: &Datum) -> String {
    let text = match value {
        Datum::Bytes(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(_) => escaped_bytes(bytes),
        },
        other => other.to_string(),
    };
    match text.char_indices().nth(SHOWN_CHARS_MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

fn escaped_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &byte in bytes {
        if byte.is_ascii_graphic() || byte == b' ' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("\\x{byte:02X}"));
        }
    }
    out
}

fn coerce_int(value: &Datum, bytes: u8, unsigned: bool, column: &str) -> Result<Datum, Error> {
    let (min, max) = int_range(bytes, unsigned);
    // Integers, by far the most common input, are checked without going through a decimal.
    let exact = match *value {
        Datum::Int(n) => Some(i128::from(n)),
        Datum::UInt(n) => Some(i128::from(n)),
        _ => None,
    };
    if let Some(n) = exact {
        if !(min..=max).contains(&n) {
            return Err(out_of_range(column));
        }
        return Ok(if unsigned { Datum::UInt(n as u64) } else { Datum::Int(n as i64) });
    }
    let number =
        value.exact_number(Read::Full).ok_or_else(|| incorrect("integer", value, column))?;
    let integer = number
        .at_scale(0)
        .map(|d| d.mantissa)
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| out_of_range(column))?;
    Ok(if unsigned { Datum::UInt(integer as u64) } else { Datum::Int(integer as i64) })
}

/// The smallest and largest value of an integer column of `bytes` bytes.
fn int_range(bytes: u8, unsigned: bool) -> (i128, i128) {
    let bits = u32::from(bytes.clamp(1, 8)) * 8;
    if unsigned {
        (0, (1i128 << bits) - 1)
    } else {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    }
}

fn coerce_float(value: &Datum, single: bool, column: &str) -> Result<Datum, Error> {
    let number = match value.numeric_text() {
        Some(text) => {
            let (start, end) = numeric_prefix(&text)
                .filter(|&(_, end)| is_blank(&text[end..]))
                .ok_or_else(|| incorrect("double", value, column))?;
            number_f64(&text[start..end])
        }
        None => value.to_f64().unwrap_or(0.0),
    };
    let limit = if single { f64::from(f32::MAX) } else { f64::MAX };
    if number.is_finite() && number.abs() <= limit {
        Ok(Datum::Float(number))
    } else {
        Err(out_of_range(column))
    }
}

/// The text to store in a string column: strings as they are, UTF-8 bytes as text, anything
/// else as it shows.
fn coerce_text(value: Datum, column: &str) -> Result<String, Error> {
    match value {
        Datum::Text(text) => Ok(text),
        Datum::Bytes(bytes) => String::from_utf8(bytes).map_err(|error| {
            Error::new(
                ErrorKind::BadValue,
                format!(
                    "Incorrect string value: '{}' for column '{column}'",
                    escaped_bytes(error.as_bytes())
                ),
            )
        }),
        other => Ok(other.to_text().unwrap_or_default()),
    }
}

/// `text` within `limit` characters (or bytes); a longer value is refused unless what is over
/// the limit is spaces, which MySQL drops instead.
fn fit_text(mut text: String, limit: u32, chars: bool, column: &str) -> Result<String, Error> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    // A text of no more bytes than the limit has no more characters either: most values fit
    // without being walked.
    let cut = if text.len() <= limit {
        None
    } else if chars {
        text.char_indices().nth(limit).map(|(at, _)| at)
    } else {
        (text.len() > limit).then_some(limit)
    };
    if let Some(cut) = cut {
        if !text.is_char_boundary(cut) || !text.as_bytes()[cut..].iter().all(|&b| b == b' ') {
            return Err(Error::new(
                ErrorKind::DataTooLong,
                format!("Data too long for column '{column}'"),
            ));
        }
        text.truncate(cut);
    }
    Ok(text)
}

fn fit_bytes(bytes: Vec<u8>, limit: u32, column: &str) -> Result<Vec<u8>, Error> {
    if bytes.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
        return Err(Error::new(
            ErrorKind::DataTooLong,
            format!("Data too long for column '{column}'"),
        ));
    }
    Ok(bytes)
}

fn trim_trailing_spaces(mut text: String) -> String {
    text.truncate(text.trim_end_matches(' ').len());
    text
}

/// The row-layer value of a datum by its kind alone.
fn plain_value(value: &Datum) -> row::Value {
    match (plain_ref(value), value) {
        (Some(stored), _) => stored.into_owned(),
        (None, Datum::Decimal(d)) => row::Value::Text(d.to_string()),
        (None, _) => unreachable!("only a decimal has no plain reference"),
    }
}

/// [`plain_value`] borrowing the datum's text or bytes; `None` for a decimal, which needs
/// formatting.
fn plain_ref(value: &Datum) -> Option<row::ValueRef<'_>> {
    Some(match value {
        Datum::Null => row::ValueRef::Null,
        Datum::Int(v) => row::ValueRef::Int(*v),
        Datum::UInt(v) => row::ValueRef::UInt(*v),
        Datum::Float(v) => row::ValueRef::Float(*v),
        Datum::Decimal(_) => return None,
        Datum::Text(text) | Datum::Json(text) => row::ValueRef::Text(text),
        Datum::Bytes(bytes) => row::ValueRef::Bytes(bytes),
        Datum::Date(days) => row::ValueRef::Int(i64::from(*days)),
        Datum::DateTime(micros) => row::ValueRef::Int(*micros),
    })
}

/// The target of `CAST(x AS ...)` / `CONVERT(x, ...)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CastType {
    Signed,
    Unsigned,
    Decimal { precision: u8, scale: u8 },
    Double,
    Char(Option<u32>),
    Binary(Option<u32>),
    Date,
    DateTime,
    Json,
}

/// A value normalised for grouping, DISTINCT and hash joins: equal SQL values (1, 1.0, 1.00)
/// give equal keys.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupKey {
    Null,
    /// Numbers: an exact decimal form, normalised (no trailing zero digits).
    Number(i128, u8),
    /// Floats that are not exact decimals, by bit pattern.
    Float(u64),
    Text(String),
    Bytes(Vec<u8>),
    Date(i32),
    DateTime(i64),
}

/// A runtime SQL value.
#[derive(Clone, Debug, PartialEq)]
pub enum Datum {
    Null,
    Int(i64),
    UInt(u64),
    Float(f64),
    Decimal(Decimal),
    Text(String),
    Bytes(Vec<u8>),
    /// Days since 1970-01-01 (proleptic Gregorian).
    Date(i32),
    /// Microseconds since 1970-01-01 00:00:00 (no time zone: MySQL DATETIME semantics).
    DateTime(i64),
    /// A JSON document in canonical text form (as `JSON_*` functions produce it).
    Json(String),
}

/// How strings are read as numbers: in full for assignments (anything else is an error), by
/// their numeric prefix in expressions and CAST (no prefix reads as zero).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Read {
    Full,
    Prefix,
}

/// An exact number from a datum: exact kinds as decimals, floats and strings as read digits
/// (which may be longer than a decimal holds until they are rounded to a scale).
enum Number {
    Decimal(Decimal),
    Digits(Exact),
}

impl Number {
    /// The number at `scale`, rounded half away from zero; None beyond 38 digits.
    fn at_scale(&self, scale: u8) -> Option<Decimal> {
        match self {
            Number::Decimal(decimal) => decimal.rescale(scale),
            Number::Digits(exact) => {
                exact.scaled(u32::from(scale)).map(|mantissa| Decimal { mantissa, scale })
            }
        }
    }
}

/// The numeric kinds that arithmetic works on.
#[derive(Clone, Copy, Debug)]
enum Num {
    Int(i64),
    UInt(u64),
    Decimal(Decimal),
    Float(f64),
}

impl Num {
    fn to_f64(self) -> f64 {
        match self {
            Num::Int(v) => v as f64,
            Num::UInt(v) => v as f64,
            Num::Decimal(d) => d.to_f64(),
            Num::Float(v) => v,
        }
    }

    fn is_zero(self) -> bool {
        match self {
            Num::Int(v) => v == 0,
            Num::UInt(v) => v == 0,
            Num::Decimal(d) => d.is_zero(),
            Num::Float(v) => v == 0.0,
        }
    }

    /// Integers as i128; None for decimals and floats.
    fn integer(self) -> Option<i128> {
        match self {
            Num::Int(v) => Some(i128::from(v)),
            Num::UInt(v) => Some(i128::from(v)),
            _ => None,
        }
    }

    /// The exact kinds as a decimal; None for a float.
    fn exact(self) -> Option<Decimal> {
        match self {
            Num::Decimal(d) => Some(d),
            Num::Float(_) => None,
            other => other.integer().map(Decimal::integer),
        }
    }
}

impl Datum {
    pub fn is_null(&self) -> bool {
        matches!(self, Datum::Null)
    }

    /// SQL truth: NULL → None; numbers → non-zero; strings → their numeric prefix non-zero.
    pub fn truth(&self) -> Option<bool> {
        Some(match self {
            Datum::Null => return None,
            Datum::Int(v) => *v != 0,
            Datum::UInt(v) => *v != 0,
            Datum::Float(v) => *v != 0.0,
            Datum::Decimal(d) => !d.is_zero(),
            Datum::Date(_) | Datum::DateTime(_) => true,
            other => other.to_f64()? != 0.0,
        })
    }

    /// Compares as MySQL does: None if either is NULL. Numbers compare numerically across
    /// kinds (exactly for integers and decimals); a number and a string compare as numbers; two
    /// strings compare case-insensitively (MySQL's default collation, trailing spaces ignored);
    /// dates compare with dates and with strings that parse as dates.
    pub fn sql_cmp(&self, other: &Datum) -> Option<Ordering> {
        use Datum::*;
        Some(match (self, other) {
            (Null, _) | (_, Null) => return None,
            (Text(a), Text(b)) => text_cmp(a, b),
            (Bytes(a), Bytes(b)) => a.cmp(b),
            (Text(a), Bytes(b)) => a.as_bytes().cmp(b.as_slice()),
            (Bytes(a), Text(b)) => a.as_slice().cmp(b.as_bytes()),
            (Json(a), Json(b)) => {
                if json_is_number(a) && json_is_number(b) {
                    cmp_f64(number_f64(a.as_bytes()), number_f64(b.as_bytes()))
                } else {
                    a.cmp(b)
                }
            }
            (Date(_) | DateTime(_), Date(_) | DateTime(_)) => {
                self.wide_micros().cmp(&other.wide_micros())
            }
            (Date(_) | DateTime(_), Text(_) | Bytes(_) | Json(_)) => {
                temporal_string_cmp(self, other)
            }
            (Text(_) | Bytes(_) | Json(_), Date(_) | DateTime(_)) => {
                temporal_string_cmp(other, self).reverse()
            }
            (Json(json), Text(_) | Bytes(_)) => json_string_cmp(json, other),
            (Text(_) | Bytes(_), Json(json)) => json_string_cmp(json, self).reverse(),
            _ => match (self.num(), other.num()) {
                (Some(a), Some(b)) if self.is_number() && other.is_number() => cmp_num(a, b),
                _ => cmp_f64(self.to_f64()?, other.to_f64()?),
            },
        })
    }

    /// The order for ORDER BY and index keys: NULL first, then as `sql_cmp`.
    pub fn order_cmp(&self, other: &Datum) -> Ordering {
        match (self.is_null(), other.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => {
                self.sql_cmp(other).unwrap_or_else(|| self.kind_rank().cmp(&other.kind_rank()))
            }
        }
    }

    pub fn group_key(&self) -> GroupKey {
        match self {
            Datum::Null => GroupKey::Null,
            Datum::Int(v) => number_key(Decimal::integer(i128::from(*v))),
            Datum::UInt(v) => number_key(Decimal::integer(i128::from(*v))),
            Datum::Decimal(d) => number_key(*d),
            // A float whose shortest form is an exact decimal groups with that decimal (1.0
            // with 1, 0.5 with 0.50); others only with themselves.
            Datum::Float(v) => match Exact::from_f64(*v).exact_decimal() {
                Some(d) => number_key(d),
                None => GroupKey::Float(v.to_bits()),
            },
            Datum::Text(text) => GroupKey::Text(text_key(text)),
            Datum::Bytes(bytes) => GroupKey::Bytes(bytes.clone()),
            Datum::Date(days) => GroupKey::Date(*days),
            Datum::DateTime(micros) => GroupKey::DateTime(*micros),
            Datum::Json(text) => GroupKey::Text(text.clone()),
        }
    }

    /// The value as a float (strings by their numeric prefix, as MySQL does). NULL → None.
    pub fn to_f64(&self) -> Option<f64> {
        Some(match self {
            Datum::Null => return None,
            Datum::Int(v) => *v as f64,
            Datum::UInt(v) => *v as f64,
            Datum::Float(v) => *v,
            Datum::Decimal(d) => d.to_f64(),
            Datum::Date(days) => date_number(*days) as f64,
            Datum::DateTime(micros) => datetime_number(*micros).to_f64(),
            Datum::Text(_) | Datum::Bytes(_) | Datum::Json(_) => {
                prefix_f64(&self.numeric_text().unwrap_or_default())
            }
        })
    }

    /// The value as a signed integer (rounding decimals and floats half away from zero).
    /// NULL → Ok(None); out of range → `OutOfRange`.
    pub fn to_i64(&self) -> Result<Option<i64>, Error> {
        match self {
            Datum::Null => Ok(None),
            Datum::Int(v) => Ok(Some(*v)),
            other => other
                .integer()
                .and_then(|v| i64::try_from(v).ok())
                .map(Some)
                .ok_or_else(|| range_error("BIGINT", &shown(other))),
        }
    }

    /// The value as text as MySQL would show it (`1`, `1.50`, `2024-01-31`,
    /// `2024-01-31 12:00:00`, `{"a": 1}`). NULL → None.
    pub fn to_text(&self) -> Option<String> {
        Some(match self {
            Datum::Null => return None,
            Datum::Int(v) => v.to_string(),
            Datum::UInt(v) => v.to_string(),
            Datum::Float(v) => float_text(*v),
            Datum::Decimal(d) => d.to_string(),
            Datum::Text(text) | Datum::Json(text) => text.clone(),
            Datum::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            Datum::Date(days) => date_text(*days),
            Datum::DateTime(micros) => datetime_text(*micros),
        })
    }

    /// `CAST(self AS target)`.
    pub fn cast(&self, target: &CastType) -> Result<Datum, Error> {
        if self.is_null() {
            return Ok(Datum::Null);
        }
        Ok(match target {
            CastType::Signed => {
                let value = self.integer().ok_or_else(|| range_error("BIGINT", &shown(self)))?;
                // Unsigned integers and strings beyond BIGINT wrap around as in MySQL
                // (CAST(18446744073709551615 AS SIGNED) is -1).
                let wraps = matches!(
                    self,
                    Datum::UInt(_) | Datum::Text(_) | Datum::Bytes(_) | Datum::Json(_)
                );
                match (i64::try_from(value), u64::try_from(value)) {
                    (Ok(v), _) => Datum::Int(v),
                    (_, Ok(v)) if wraps => Datum::Int(v as i64),
                    _ => return Err(range_error("BIGINT", &shown(self))),
                }
            }
            CastType::Unsigned => {
                let value = self.integer().ok_or_else(|| range_error("BIGINT", &shown(self)))?;
                // Negative values wrap around as in MySQL (CAST(-1 AS UNSIGNED) is
                // 18446744073709551615).
                match (u64::try_from(value), i64::try_from(value)) {
                    (Ok(v), _) => Datum::UInt(v),
                    (_, Ok(v)) => Datum::UInt(v as u64),
                    _ => return Err(range_error("BIGINT UNSIGNED", &shown(self))),
                }
            }
            CastType::Decimal { precision, scale } => {
                let (precision, scale) = decimal_spec((*precision).into(), (*scale).into())?;
                self.exact_number(Read::Prefix)
                    .and_then(|number| number.at_scale(scale))
                    .filter(|d| d.mantissa.unsigned_abs() < 10u128.pow(u32::from(precision)))
                    .map(Datum::Decimal)
                    .ok_or_else(|| range_error("DECIMAL", &shown(self)))?
            }
            CastType::Double => Datum::Float(self.to_f64().unwrap_or(0.0)),
            CastType::Char(length) => {
                let mut text = self.to_text().unwrap_or_default();
                if let Some(length) = length {
                    let length = usize::try_from(*length).unwrap_or(usize::MAX);
                    if let Some((cut, _)) = text.char_indices().nth(length) {
                        text.truncate(cut);
                    }
                }
                Datum::Text(text)
            }
            CastType::Binary(length) => {
                let mut bytes = self.clone().into_bytes();
                // BINARY(n) is exactly n bytes: cut, or padded with zero bytes. No value may be
                // longer than a row value, so neither may the padding.
                if let Some(length) = *length {
                    let limit = row::TEXT_BYTES_MAX;
                    match usize::try_from(length) {
                        Ok(length) if length <= limit => bytes.resize(length, 0),
                        _ => return Err(over_limit("BINARY length", length.into(), limit as u64)),
                    }
                }
                Datum::Bytes(bytes)
            }
            // A value that is no date is NULL (MySQL also warns).
            CastType::Date => match (self, self.datetime_micros()) {
                (Datum::Date(days), _) => Datum::Date(*days),
                (_, Some(micros)) => Datum::Date(split_datetime(micros).0),
                (_, None) => Datum::Null,
            },
            CastType::DateTime => self.datetime_micros().map_or(Datum::Null, Datum::DateTime),
            CastType::Json => Datum::Json(match self {
                Datum::Json(text) => text.clone(),
                Datum::Text(text) => cast_json_text(text)?,
                Datum::Bytes(bytes) => {
                    cast_json_text(std::str::from_utf8(bytes).map_err(|_| binary_json())?)?
                }
                other => json_of_scalar(other),
            }),
        })
    }

    /// Arithmetic with MySQL's result types: integer op integer stays integer (overflow →
    /// `OutOfRange`, "BIGINT value is out of range"), decimals stay exact, a float makes a
    /// float, strings convert by their numeric prefix. NULL in → NULL out.
    pub fn add(&self, other: &Datum) -> Result<Datum, Error> {
        arithmetic(self, other, Op::Add)
    }

    pub fn sub(&self, other: &Datum) -> Result<Datum, Error> {
        arithmetic(self, other, Op::Sub)
    }

    pub fn mul(&self, other: &Datum) -> Result<Datum, Error> {
        arithmetic(self, other, Op::Mul)
    }

    /// `/`: always a decimal (or float) result, scale of the dividend + 4 as MySQL's
    /// `div_precision_increment`; division by zero gives NULL (MySQL's default outside strict
    /// DML).
    pub fn div(&self, other: &Datum) -> Result<Datum, Error> {
        let (Some(a), Some(b)) = (self.num(), other.num()) else {
            return Ok(Datum::Null);
        };
        if b.is_zero() {
            return Ok(Datum::Null);
        }
        match (a.exact(), b.exact()) {
            (Some(p), Some(q)) => decimal_div(p, q)
                .map(Datum::Decimal)
                .ok_or_else(|| range_error("DECIMAL", &expression(self, "/", other))),
            _ => float_result(a.to_f64() / b.to_f64(), self, "/", other),
        }
    }

    /// `DIV`: integer division, truncating; by zero → NULL.
    pub fn int_div(&self, other: &Datum) -> Result<Datum, Error> {
        let (Some(a), Some(b)) = (self.num(), other.num()) else {
            return Ok(Datum::Null);
        };
        if b.is_zero() {
            return Ok(Datum::Null);
        }
        let quotient = match (a.integer(), b.integer(), a.exact(), b.exact()) {
            (Some(p), Some(q), _, _) => Some(p / q),
            (_, _, Some(p), Some(q)) => decimal_int_div(p, q),
            _ => {
                let quotient = (a.to_f64() / b.to_f64()).trunc();
                (quotient.abs() < 1e38).then_some(quotient as i128)
            }
        };
        quotient
            .and_then(|q| quotient_datum(q, a, b))
            .ok_or_else(|| range_error("BIGINT", &expression(self, "DIV", other)))
    }

    /// `%` / `MOD`: sign of the dividend; by zero → NULL.
    pub fn rem(&self, other: &Datum) -> Result<Datum, Error> {
        let (Some(a), Some(b)) = (self.num(), other.num()) else {
            return Ok(Datum::Null);
        };
        if b.is_zero() {
            return Ok(Datum::Null);
        }
        match (a.integer(), b.integer(), a.exact(), b.exact()) {
            (Some(p), Some(q), _, _) => quotient_datum(p % q, a, b)
                .ok_or_else(|| range_error("BIGINT", &expression(self, "%", other))),
            (_, _, Some(p), Some(q)) => decimal_rem(p, q)
                .map(Datum::Decimal)
                .ok_or_else(|| range_error("DECIMAL", &expression(self, "%", other))),
            _ => float_result(a.to_f64() % b.to_f64(), self, "%", other),
        }
    }

    pub fn neg(&self) -> Result<Datum, Error> {
        Ok(match self {
            Datum::Null => Datum::Null,
            Datum::Int(v) => match v.checked_neg() {
                Some(v) => Datum::Int(v),
                None => return Err(range_error("BIGINT", &format!("-({v})"))),
            },
            Datum::UInt(v) => {
                let negated = -i128::from(*v);
                match i64::try_from(negated) {
                    Ok(n) => Datum::Int(n),
                    Err(_) => Datum::Decimal(Decimal::integer(negated)),
                }
            }
            Datum::Float(v) => Datum::Float(-v),
            Datum::Decimal(d) => Datum::Decimal(d.negated()),
            other => Datum::Float(-other.to_f64().unwrap_or(0.0)),
        })
    }

    fn is_number(&self) -> bool {
        matches!(self, Datum::Int(_) | Datum::UInt(_) | Datum::Float(_) | Datum::Decimal(_))
    }

    /// Kinds in the order `order_cmp` falls back to when values cannot be compared.
    fn kind_rank(&self) -> u8 {
        match self {
            Datum::Null => 0,
            Datum::Int(_) | Datum::UInt(_) | Datum::Float(_) | Datum::Decimal(_) => 1,
            Datum::Date(_) | Datum::DateTime(_) => 2,
            Datum::Text(_) => 3,
            Datum::Bytes(_) => 4,
            Datum::Json(_) => 5,
        }
    }

    /// The value for arithmetic: numbers as they are; strings (by numeric prefix), dates (as
    /// their numbers) and JSON as floats.
    fn num(&self) -> Option<Num> {
        Some(match self {
            Datum::Int(v) => Num::Int(*v),
            Datum::UInt(v) => Num::UInt(*v),
            Datum::Float(v) => Num::Float(*v),
            Datum::Decimal(d) => Num::Decimal(*d),
            other => Num::Float(other.to_f64()?),
        })
    }

    /// The bytes that strings and JSON are read as numbers from; None for other kinds.
    fn numeric_text(&self) -> Option<Cow<'_, [u8]>> {
        match self {
            Datum::Text(text) => Some(Cow::Borrowed(text.as_bytes())),
            Datum::Bytes(bytes) => Some(Cow::Borrowed(bytes)),
            Datum::Json(text) => Some(match json_numeric_text(text) {
                Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
                Cow::Owned(text) => Cow::Owned(text.into_bytes()),
            }),
            _ => None,
        }
    }

    /// The exact number in a value: numbers themselves (floats by their shortest decimal
    /// form), dates as their numbers (20240131), strings and JSON as `read` says. None for NULL
    /// and for a string that is not a number when read in full.
    fn exact_number(&self, read: Read) -> Option<Number> {
        Some(match self {
            Datum::Null => return None,
            Datum::Int(v) => Number::Decimal(Decimal::integer(i128::from(*v))),
            Datum::UInt(v) => Number::Decimal(Decimal::integer(i128::from(*v))),
            Datum::Decimal(d) => Number::Decimal(*d),
            Datum::Float(v) => Number::Digits(Exact::from_f64(*v)),
            Datum::Date(days) => Number::Decimal(Decimal::integer(date_number(*days))),
            Datum::DateTime(micros) => Number::Decimal(datetime_number(*micros)),
            Datum::Text(_) | Datum::Bytes(_) | Datum::Json(_) => {
                let text = self.numeric_text()?;
                Number::Digits(match read {
                    Read::Full => full_number(&text)?,
                    Read::Prefix => prefix_number(&text).unwrap_or_else(Exact::zero),
                })
            }
        })
    }

    /// The value rounded half away from zero to an integer, strings by numeric prefix; None if
    /// it needs more than 38 digits.
    fn integer(&self) -> Option<i128> {
        self.exact_number(Read::Prefix)?.at_scale(0).map(|d| d.mantissa)
    }

    /// The value as a date and time: dates at midnight, strings (and numbers such as 20240131)
    /// when they parse. None otherwise.
    fn datetime_micros(&self) -> Option<i64> {
        match self {
            Datum::Null => None,
            // Days far beyond SQL's years overflow microseconds: no date-time.
            Datum::Date(days) => i64::from(*days).checked_mul(MICROS_PER_DAY),
            Datum::DateTime(micros) => Some(*micros),
            Datum::Text(text) => parse_datetime(text),
            Datum::Bytes(bytes) => parse_datetime(std::str::from_utf8(bytes).ok()?),
            Datum::Json(text) => parse_datetime(&json_string(text)?),
            other => parse_datetime(&other.to_text()?),
        }
    }

    /// Microseconds of a date (at midnight) or date-time, wide enough for every date; zero for
    /// other kinds.
    fn wide_micros(&self) -> i128 {
        match self {
            Datum::Date(days) => i128::from(*days) * i128::from(MICROS_PER_DAY),
            Datum::DateTime(micros) => i128::from(*micros),
            _ => 0,
        }
    }

    /// The value as bytes: strings' UTF-8, anything else as it shows.
    fn into_bytes(self) -> Vec<u8> {
        match self {
            Datum::Bytes(bytes) => bytes,
            Datum::Text(text) | Datum::Json(text) => text.into_bytes(),
            other => other.to_text().unwrap_or_default().into_bytes(),
        }
    }
}

impl fmt::Display for Datum {
    /// As `to_text`, and `NULL` for NULL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_text() {
            Some(text) => f.write_str(&text),
            None => f.write_str("NULL"),
        }
    }
}

fn number_key(decimal: Decimal) -> GroupKey {
    let decimal = decimal.normalized();
    GroupKey::Number(decimal.mantissa, decimal.scale)
}

/// The characters two strings compare by: lower case, trailing spaces dropped.
fn text_key(text: &str) -> String {
    text.trim_end_matches(' ').chars().flat_map(char::to_lowercase).collect()
}

fn text_cmp(a: &str, b: &str) -> Ordering {
    let a = a.trim_end_matches(' ').chars().flat_map(char::to_lowercase);
    let b = b.trim_end_matches(' ').chars().flat_map(char::to_lowercase);
    a.cmp(b)
}

fn cmp_f64(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

fn cmp_num(a: Num, b: Num) -> Ordering {
    match (a, b) {
        // Integers against floats compare exactly, so that large integers stay distinct.
        (Num::Int(_) | Num::UInt(_), Num::Float(y)) => {
            cmp_integer_float(a.integer().unwrap_or(0), y)
        }
        (Num::Float(x), Num::Int(_) | Num::UInt(_)) => {
            cmp_integer_float(b.integer().unwrap_or(0), x).reverse()
        }
        _ => match (a.exact(), b.exact()) {
            (Some(x), Some(y)) => cmp_decimal(x, y),
            _ => cmp_f64(a.to_f64(), b.to_f64()),
        },
    }
}

fn cmp_integer_float(integer: i128, float: f64) -> Ordering {
    // Integers here are within ±2^64, far inside ±1e30.
    if float >= 1e30 {
        return Ordering::Less;
    }
    if float <= -1e30 {
        return Ordering::Greater;
    }
    let whole = float.trunc();
    match integer.cmp(&(whole as i128)) {
        Ordering::Equal => cmp_f64(whole, float),
        order => order,
    }
}

fn cmp_decimal(a: Decimal, b: Decimal) -> Ordering {
    if a.scale == b.scale || a.mantissa == 0 || b.mantissa == 0 {
        return if a.scale == b.scale {
            a.mantissa.cmp(&b.mantissa)
        } else {
            a.mantissa.signum().cmp(&b.mantissa.signum())
        };
    }
    let (low, high, flipped) = if a.scale < b.scale { (a, b, false) } else { (b, a, true) };
    // Bring the one with fewer fraction digits to the other's scale. If that overflows, its
    // magnitude is beyond every mantissa, so its sign decides.
    let order = match pow10(u32::from(high.scale - low.scale))
        .and_then(|factor| low.mantissa.checked_mul(factor))
    {
        Some(mantissa) => mantissa.cmp(&high.mantissa),
        None if low.mantissa < 0 => Ordering::Less,
        None => Ordering::Greater,
    };
    if flipped {
        order.reverse()
    } else {
        order
    }
}

/// A date or date-time against a string: as dates if the string is one, else as text.
fn temporal_string_cmp(temporal: &Datum, other: &Datum) -> Ordering {
    let text: Cow<'_, str> = match other {
        Datum::Text(text) => Cow::Borrowed(text),
        Datum::Bytes(bytes) => String::from_utf8_lossy(bytes),
        Datum::Json(text) => json_string(text).map_or(Cow::Borrowed(text.as_str()), Cow::Owned),
        other => Cow::Owned(other.to_text().unwrap_or_default()),
    };
    match parse_datetime(&text) {
        Some(micros) => temporal.wide_micros().cmp(&i128::from(micros)),
        None => text_cmp(&temporal.to_text().unwrap_or_default(), &text),
    }
}

/// JSON against a string: a JSON string by its contents, other JSON by its text, bytewise as
/// JSON compares.
fn json_string_cmp(json: &str, other: &Datum) -> Ordering {
    let other: &[u8] = match other {
        Datum::Text(text) => text.as_bytes(),
        Datum::Bytes(bytes) => bytes,
        _ => &[],
    };
    match json_string(json) {
        Some(contents) => contents.as_bytes().cmp(other),
        None => json.as_bytes().cmp(other),
    }
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
        }
    }
}

/// `(a op b)` as error messages quote the failed expression.
fn expression(a: &Datum, op: &str, b: &Datum) -> String {
    format!("({} {op} {})", shown(a), shown(b))
}

fn arithmetic(a: &Datum, b: &Datum, op: Op) -> Result<Datum, Error> {
    let (Some(x), Some(y)) = (a.num(), b.num()) else {
        return Ok(Datum::Null);
    };
    if let (Some(p), Some(q)) = (x.integer(), y.integer()) {
        // i128 holds every sum, difference and product of two 64-bit integers but
        // u64::MAX * u64::MAX, which checked_mul refuses.
        let result = match op {
            Op::Add => p.checked_add(q),
            Op::Sub => p.checked_sub(q),
            Op::Mul => p.checked_mul(q),
        };
        let unsigned = matches!(x, Num::UInt(_)) || matches!(y, Num::UInt(_));
        let kind = if unsigned { "BIGINT UNSIGNED" } else { "BIGINT" };
        return result
            .and_then(|r| integer_datum(r, unsigned))
            .ok_or_else(|| range_error(kind, &expression(a, op.symbol(), b)));
    }
    match (x.exact(), y.exact()) {
        (Some(p), Some(q)) => match op {
            Op::Add => decimal_add(p, q),
            Op::Sub => decimal_add(p, q.negated()),
            Op::Mul => decimal_mul(p, q),
        }
        .map(Datum::Decimal)
        .ok_or_else(|| range_error("DECIMAL", &expression(a, op.symbol(), b))),
        _ => {
            let (p, q) = (x.to_f64(), y.to_f64());
            let result = match op {
                Op::Add => p + q,
                Op::Sub => p - q,
                Op::Mul => p * q,
            };
            float_result(result, a, op.symbol(), b)
        }
    }
}

/// An integer result: unsigned when an operand was unsigned (so a negative one does not fit, as
/// in MySQL without NO_UNSIGNED_SUBTRACTION), signed otherwise; None if it does not fit.
fn integer_datum(value: i128, unsigned: bool) -> Option<Datum> {
    if unsigned {
        u64::try_from(value).ok().map(Datum::UInt)
    } else {
        i64::try_from(value).ok().map(Datum::Int)
    }
}

/// The result of DIV and `%`: unsigned when both operands are, else signed, and unsigned after
/// all when an operand was unsigned and only BIGINT UNSIGNED holds the result.
fn quotient_datum(value: i128, a: Num, b: Num) -> Option<Datum> {
    match (a, b) {
        (Num::UInt(_), Num::UInt(_)) => integer_datum(value, true),
        (Num::UInt(_), _) | (_, Num::UInt(_)) => {
            integer_datum(value, false).or_else(|| integer_datum(value, true))
        }
        _ => integer_datum(value, false),
    }
}

fn float_result(value: f64, a: &Datum, op: &str, b: &Datum) -> Result<Datum, Error> {
    if value.is_finite() {
        Ok(Datum::Float(value))
    } else {
        Err(range_error("DOUBLE", &expression(a, op, b)))
    }
}

fn decimal_add(p: Decimal, q: Decimal) -> Option<Decimal> {
    let scale = p.scale.max(q.scale).min(DECIMAL_SCALE_MAX);
    let sum = p.rescale(scale)?.mantissa.checked_add(q.rescale(scale)?.mantissa)?;
    fits(sum).then_some(Decimal { mantissa: sum, scale })
}

fn decimal_mul(p: Decimal, q: Decimal) -> Option<Decimal> {
    let scale = u32::from(p.scale) + u32::from(q.scale);
    let target = scale.min(u32::from(DECIMAL_SCALE_MAX));
    // The full product has up to 76 digits; it is rounded to the result's scale before it must
    // fit 38.
    let product = U256::product(p.mantissa.unsigned_abs(), q.mantissa.unsigned_abs())
        .div_pow10_round(scale - target);
    let magnitude = product.to_u128().filter(|&m| m < MANTISSA_LIMIT)? as i128;
    let negative = (p.mantissa < 0) != (q.mantissa < 0);
    Some(Decimal { mantissa: if negative { -magnitude } else { magnitude }, scale: target as u8 })
}

/// `p / q` with the dividend's scale plus four, rounded half away from zero; `q` is not zero.
fn decimal_div(p: Decimal, q: Decimal) -> Option<Decimal> {
    let target = p.scale.saturating_add(DIV_PRECISION_INCREMENT).min(DECIMAL_SCALE_MAX);
    // The result's mantissa is p.mantissa × 10^(target + q.scale − p.scale) / q.mantissa.
    let shift = i32::from(target) + i32::from(q.scale) - i32::from(p.scale);
    let mut numerator = U256::from_u128(p.mantissa.unsigned_abs());
    let mut denominator = q.mantissa.unsigned_abs();
    if shift >= 0 {
        // A numerator beyond 256 bits over a 38-digit denominator is beyond 38 digits too.
        numerator = numerator.mul_pow10(shift.unsigned_abs())?;
    } else {
        match 10u128.checked_pow(shift.unsigned_abs()).and_then(|f| denominator.checked_mul(f)) {
            Some(scaled) => denominator = scaled,
            // A denominator beyond 128 bits makes the quotient round to zero.
            None => return Some(Decimal { mantissa: 0, scale: target }),
        }
    }
    let (quotient, remainder) = numerator.div_rem(denominator);
    let mut magnitude = quotient.to_u128()?;
    if remainder >= denominator - remainder {
        magnitude = magnitude.checked_add(1)?;
    }
    if magnitude >= MANTISSA_LIMIT {
        return None;
    }
    let magnitude = magnitude as i128;
    let negative = (p.mantissa < 0) != (q.mantissa < 0);
    Some(Decimal { mantissa: if negative { -magnitude } else { magnitude }, scale: target })
}

/// The magnitudes of `p` and `q` at their common scale, for DIV and `%`; the divisor is None
/// when it no longer fits 128 bits (and so exceeds the dividend).
fn common_scale(p: Decimal, q: Decimal) -> Option<(U256, Option<u128>)> {
    let scale = p.scale.max(q.scale);
    let dividend =
        U256::from_u128(p.mantissa.unsigned_abs()).mul_pow10(u32::from(scale - p.scale))?;
    let divisor = 10u128
        .checked_pow(u32::from(scale - q.scale))
        .and_then(|factor| q.mantissa.unsigned_abs().checked_mul(factor));
    Some((dividend, divisor))
}

/// `p DIV q`, truncated toward zero; `q` is not zero.
fn decimal_int_div(p: Decimal, q: Decimal) -> Option<i128> {
    let (dividend, divisor) = common_scale(p, q)?;
    let Some(divisor) = divisor else {
        return Some(0);
    };
    let magnitude = i128::try_from(dividend.div_rem(divisor).0.to_u128()?).ok()?;
    Some(if (p.mantissa < 0) != (q.mantissa < 0) { -magnitude } else { magnitude })
}

/// `p % q` with the sign of `p`; `q` is not zero.
fn decimal_rem(p: Decimal, q: Decimal) -> Option<Decimal> {
    let scale = p.scale.max(q.scale);
    let (dividend, divisor) = common_scale(p, q)?;
    let Some(divisor) = divisor else {
        // The divisor exceeds the dividend, which is its own remainder.
        return p.rescale(scale);
    };
    let magnitude = i128::try_from(dividend.div_rem(divisor).1).ok()?;
    let mantissa = if p.mantissa < 0 { -magnitude } else { magnitude };
    fits(mantissa).then_some(Decimal { mantissa, scale })
}

/// A number read exactly from text: `digits × 10^exp`, each digit 0–9, without leading zeros
/// (so zero has none).
struct Exact {
    negative: bool,
    digits: Vec<u8>,
    exp: i64,
}

impl Exact {
    fn zero() -> Exact {
        Exact { negative: false, digits: Vec::new(), exp: 0 }
    }

    /// Reads text that [`numeric_prefix`] accepted: a sign, digits with a fraction, an exponent.
    fn read(text: &[u8]) -> Exact {
        let (negative, mut rest) = match text.split_first() {
            Some((&sign @ (b'+' | b'-'), rest)) => (sign == b'-', rest),
            _ => (false, text),
        };
        let mut digits = Vec::new();
        let mut fraction_digits: i64 = 0;
        let mut in_fraction = false;
        while let Some((&byte, tail)) = rest.split_first() {
            match byte {
                b'0'..=b'9' => {
                    fraction_digits += i64::from(in_fraction);
                    if !digits.is_empty() || byte != b'0' {
                        digits.push(byte - b'0');
                    }
                }
                b'.' => in_fraction = true,
                _ => break,
            }
            rest = tail;
        }
        let mut exponent: i64 = 0;
        if let Some((_, tail)) = rest.split_first() {
            let (exponent_negative, tail) = match tail.split_first() {
                Some((&sign @ (b'+' | b'-'), tail)) => (sign == b'-', tail),
                _ => (false, tail),
            };
            for &byte in tail.iter().take_while(|b| b.is_ascii_digit()) {
                exponent = (exponent * 10 + i64::from(byte - b'0')).min(EXPONENT_CLAMP);
            }
            if exponent_negative {
                exponent = -exponent;
            }
        }
        Exact { negative: negative && !digits.is_empty(), digits, exp: exponent - fraction_digits }
    }

    /// The float's shortest decimal form, the one that reads back as the same float.
    fn from_f64(value: f64) -> Exact {
        Exact::read(format!("{value:e}").as_bytes())
    }

    /// The value × 10^scale as an integer, rounded half away from zero; None if that needs more
    /// than 38 digits.
    fn scaled(&self, scale: u32) -> Option<i128> {
        let Some(&first) = self.digits.first() else {
            return Some(0);
        };
        let count = self.digits.len() as i64;
        let kept = count.saturating_add(self.exp).saturating_add(i64::from(scale));
        if kept > i64::from(DECIMAL_PRECISION_MAX) {
            return None;
        }
        let mut mantissa: i128 = 0;
        if kept > 0 {
            let kept = kept as usize;
            for &digit in self.digits.iter().take(kept) {
                mantissa = mantissa * 10 + i128::from(digit);
            }
            if kept > self.digits.len() {
                mantissa *= pow10((kept - self.digits.len()) as u32)?;
            } else if self.digits.get(kept).is_some_and(|&digit| digit >= 5) {
                mantissa += 1;
            }
        } else if kept == 0 && first >= 5 {
            mantissa = 1;
        }
        if !fits(mantissa) {
            return None;
        }
        Some(if self.negative { -mantissa } else { mantissa })
    }

    /// The decimal with the scale the number was written with, at most `scale_max` and at most
    /// 38 digits in all (rounding beyond); None if its integer part alone is longer.
    fn decimal(&self, scale_max: u8) -> Option<Decimal> {
        let integer_digits = (self.digits.len() as i64).saturating_add(self.exp).max(0);
        let room =
            i64::from(DECIMAL_PRECISION_MAX).checked_sub(integer_digits).filter(|r| *r >= 0)?;
        let scale = self.exp.saturating_neg().clamp(0, i64::from(scale_max)).min(room) as u8;
        Some(Decimal { mantissa: self.scaled(u32::from(scale))?, scale })
    }

    /// The value as a decimal without rounding; None if it has no exact form in 38 digits.
    fn exact_decimal(&self) -> Option<Decimal> {
        let significant = self.digits.iter().rposition(|&digit| digit != 0).map_or(0, |at| at + 1);
        if significant == 0 {
            return Some(Decimal::integer(0));
        }
        let exp = self.exp.saturating_add((self.digits.len() - significant) as i64);
        let scale = exp.saturating_neg().max(0);
        if scale > i64::from(DECIMAL_PRECISION_MAX) {
            return None;
        }
        let scale = scale as u8;
        Some(Decimal { mantissa: self.scaled(u32::from(scale))?, scale }.normalized())
    }
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| is_space(b))
}

/// The byte range of the number at the start of `bytes` (after white space), read as MySQL
/// reads a string as a number: a sign, digits with an optional fraction (a digit at least),
/// an optional exponent. None if no number starts there.
fn numeric_prefix(bytes: &[u8]) -> Option<(usize, usize)> {
    let digits_at = |from: usize| bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let start = bytes.iter().position(|&b| !is_space(b)).unwrap_or(bytes.len());
    let mut end = start;
    if matches!(bytes.get(end), Some(b'+' | b'-')) {
        end += 1;
    }
    let whole = digits_at(end);
    end += whole;
    let mut fraction = 0;
    if bytes.get(end) == Some(&b'.') {
        fraction = digits_at(end + 1);
        if whole + fraction > 0 {
            end += 1 + fraction;
        }
    }
    if whole + fraction == 0 {
        return None;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut exponent = end + 1;
        if matches!(bytes.get(exponent), Some(b'+' | b'-')) {
            exponent += 1;
        }
        let digits = digits_at(exponent);
        // An `e` without digits is not part of the number ('1e' is 1).
        if digits > 0 {
            end = exponent + digits;
        }
    }
    Some((start, end))
}

/// The number that is all of `bytes` but white space around it.
fn full_number(bytes: &[u8]) -> Option<Exact> {
    let (start, end) = numeric_prefix(bytes)?;
    is_blank(&bytes[end..]).then(|| Exact::read(&bytes[start..end]))
}

fn prefix_number(bytes: &[u8]) -> Option<Exact> {
    numeric_prefix(bytes).map(|(start, end)| Exact::read(&bytes[start..end]))
}

/// The double nearest to a number's text (infinite when beyond the range of doubles).
fn number_f64(text: &[u8]) -> f64 {
    std::str::from_utf8(text).ok().and_then(|text| text.trim().parse().ok()).unwrap_or(0.0)
}

/// A string's value as a double by its numeric prefix ('12abc' is 12, 'abc' is 0), clamped to
/// the finite range as MySQL clamps overflow.
fn prefix_f64(bytes: &[u8]) -> f64 {
    numeric_prefix(bytes)
        .map_or(0.0, |(start, end)| number_f64(&bytes[start..end]))
        .clamp(f64::MIN, f64::MAX)
}

/// A double as MySQL shows it: the shortest text that reads back as the same double, in
/// exponent form for large and small magnitudes (`1e21`, `1.5e-7`).
fn float_text(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-5..1e15).contains(&magnitude) {
        format!("{value:e}")
    } else {
        format!("{value}")
    }
}

/// Parses `YYYY-MM-DD` (also `YYYYMMDD`) into days since 1970-01-01.
pub fn parse_date(text: &str) -> Option<i32> {
    let text = trim_space(text);
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        return sql_date(
            digits(&text[..4], 4, 4)?,
            digits(&text[4..6], 2, 2)?,
            digits(&text[6..], 2, 2)?,
        );
    }
    let mut parts = text.split('-');
    let year = digits(parts.next()?, 4, 4)?;
    let month = digits(parts.next()?, 1, 2)?;
    let day = digits(parts.next()?, 1, 2)?;
    if parts.next().is_some() {
        return None;
    }
    sql_date(year, month, day)
}

/// Parses `YYYY-MM-DD[ HH:MM:SS[.ffffff]]` (also with `T`) into microseconds since the epoch.
pub fn parse_datetime(text: &str) -> Option<i64> {
    let text = trim_space(text);
    let (days, time) = match text.find([' ', 'T']) {
        Some(at) => (parse_date(&text[..at])?, parse_time(text[at + 1..].trim_start_matches(' '))?),
        None => {
            // The compact form, YYYYMMDDhhmmss[.ffffff].
            let whole = text.split_once('.').map_or(text, |(whole, _)| whole);
            if whole.len() == 14 && whole.bytes().all(|b| b.is_ascii_digit()) {
                let time = format!("{}:{}:{}", &text[8..10], &text[10..12], &text[12..]);
                (parse_date(&text[..8])?, parse_time(&time)?)
            } else {
                (parse_date(text)?, 0)
            }
        }
    };
    Some(i64::from(days) * MICROS_PER_DAY + time)
}

/// Microseconds since midnight of `hh:mm[:ss[.ffffff]]`; fraction digits beyond six round.
fn parse_time(text: &str) -> Option<i64> {
    let (clock, fraction) = match text.split_once('.') {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (text, None),
    };
    let mut parts = clock.split(':');
    let hour = digits(parts.next()?, 1, 2)?;
    let minute = digits(parts.next()?, 1, 2)?;
    let second = parts.next();
    if parts.next().is_some() || (second.is_none() && fraction.is_some()) {
        return None;
    }
    let second = second.map_or(Some(0), |second| digits(second, 1, 2))?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut micros = i64::from(hour * 3600 + minute * 60 + second) * MICROS_PER_SECOND;
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let six: String = fraction.chars().chain(std::iter::repeat('0')).take(6).collect();
        micros += six.parse::<i64>().ok()?;
        if fraction.as_bytes().get(6).is_some_and(|&digit| digit >= b'5') {
            micros += 1;
        }
    }
    Some(micros)
}

fn trim_space(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_ascii() && is_space(c as u8))
}

/// The number written by `min` to `max` ASCII digits that make up all of `text`.
fn digits(text: &str, min: usize, max: usize) -> Option<u32> {
    if text.len() < min || text.len() > max || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Days since the epoch of a date in the years SQL dates may have (1 to 9999).
fn sql_date(year: u32, month: u32, day: u32) -> Option<i32> {
    if !(1..=9999).contains(&year) {
        return None;
    }
    days_from_civil(year as i32, month, day)
}

/// Whether a date-time falls in the years SQL dates may have.
fn in_sql_years(micros: i64) -> bool {
    let (year, _, _) = civil_from_days(split_datetime(micros).0);
    (1..=9999).contains(&year)
}

/// (year, month 1–12, day 1–31) of days since 1970-01-01.
pub fn civil_from_days(days: i32) -> (i32, u32, u32) {
    // Howard Hinnant's algorithm: count in 400-year eras of 146,097 days, with years starting
    // in March so that the leap day ends the year.
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year as i32, month as u32, day as u32)
}

/// Days since 1970-01-01 of a valid (year, month, day); None if the date does not exist.
pub fn days_from_civil(year: i32, month: u32, day: u32) -> Option<i32> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    i32::try_from(era * 146_097 + day_of_era - 719_468).ok()
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// (days since the epoch, microseconds since that midnight).
fn split_datetime(micros: i64) -> (i32, i64) {
    // i64 microseconds span under 300,000 years, well within i32 days.
    (micros.div_euclid(MICROS_PER_DAY) as i32, micros.rem_euclid(MICROS_PER_DAY))
}

fn date_text(days: i32) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

fn datetime_text(micros: i64) -> String {
    let (days, time) = split_datetime(micros);
    let seconds = time / MICROS_PER_SECOND;
    let fraction = time % MICROS_PER_SECOND;
    let clock = format!("{:02}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
    if fraction == 0 {
        format!("{} {clock}", date_text(days))
    } else {
        format!("{} {clock}.{fraction:06}", date_text(days))
    }
}

/// A date as MySQL's number of it: 2024-01-31 is 20240131.
fn date_number(days: i32) -> i128 {
    let (year, month, day) = civil_from_days(days);
    i128::from(year) * 10_000 + i128::from(month) * 100 + i128::from(day)
}

/// A date-time as MySQL's number of it, YYYYMMDDhhmmss, with six fraction digits when it has
/// microseconds.
fn datetime_number(micros: i64) -> Decimal {
    let (days, time) = split_datetime(micros);
    let seconds = i128::from(time / MICROS_PER_SECOND);
    let clock = seconds / 3600 * 10_000 + seconds / 60 % 60 * 100 + seconds % 60;
    let whole = date_number(days) * 1_000_000 + clock;
    match i128::from(time % MICROS_PER_SECOND) {
        0 => Decimal::integer(whole),
        fraction => Decimal { mantissa: whole * 1_000_000 + fraction, scale: 6 },
    }
}

/// A JSON value as parsed, with numbers already in canonical text.
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members ordered as MySQL orders them, each key once.
    Object(Vec<(String, Json)>),
}

/// Why text is not JSON (MySQL's wording) and the byte offset where that became clear.
struct JsonError {
    reason: &'static str,
    position: usize,
}

struct JsonParser<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl JsonParser<'_> {
    fn error(&self, reason: &'static str) -> JsonError {
        JsonError { reason, position: self.position }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.position += 1;
        }
        found
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.position += 1;
        }
    }

    fn skip_digits(&mut self) -> usize {
        let start = self.position;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.position += 1;
        }
        self.position - start
    }

    /// A value; `depth` counts the arrays and objects around it.
    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.skip_space();
        match self.peek() {
            Some(b'{' | b'[') if depth >= JSON_DEPTH_MAX => {
                Err(self.error("The JSON document exceeds the maximum depth."))
            }
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("Invalid value.")),
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, JsonError> {
        if self.bytes[self.position..].starts_with(word.as_bytes()) {
            self.position += word.len();
            Ok(value)
        } else {
            Err(self.error("Invalid value."))
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.position += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.eat(b']') {
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_space();
            if self.eat(b']') {
                return Ok(Json::Array(items));
            }
            if !self.eat(b',') {
                return Err(self.error("Missing a comma or ']' after an array element."));
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.position += 1;
        let mut members: Vec<(String, Json)> = Vec::new();
        self.skip_space();
        if !self.eat(b'}') {
            loop {
                self.skip_space();
                if self.peek() != Some(b'"') {
                    return Err(self.error("Missing a name for object member."));
                }
                let key = self.string()?;
                self.skip_space();
                if !self.eat(b':') {
                    return Err(self.error("Missing a colon after a name of object member."));
                }
                members.push((key, self.value(depth)?));
                self.skip_space();
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(self.error("Missing a comma or '}' after an object member."));
                }
            }
        }
        // MySQL orders keys by length and then bytes. The sort is stable, so of equal keys the
        // last written comes last and wins, as in MySQL.
        members.sort_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        let mut unique: Vec<(String, Json)> = Vec::with_capacity(members.len());
        for (key, value) in members {
            match unique.last_mut() {
                Some(last) if last.0 == key => last.1 = value,
                _ => unique.push((key, value)),
            }
        }
        Ok(Json::Object(unique))
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.position += 1;
        let mut out = String::new();
        loop {
            let start = self.position;
            while self.peek().is_some_and(|b| b != b'"' && b != b'\\' && b >= 0x20) {
                self.position += 1;
            }
            // The input is a str and runs end only at ASCII bytes, so each run is UTF-8.
            out.push_str(
                std::str::from_utf8(&self.bytes[start..self.position])
                    .map_err(|_| self.error("Invalid encoding in string."))?,
            );
            match self.peek() {
                None => return Err(self.error("Missing a closing quotation mark in string.")),
                Some(b'"') => {
                    self.position += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.position += 1;
                    out.push(self.escape()?);
                }
                Some(_) => return Err(self.error("Invalid encoding in string.")),
            }
        }
    }

    fn escape(&mut self) -> Result<char, JsonError> {
        let byte = self.peek();
        self.position += 1;
        Ok(match byte {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    // A high surrogate must be followed by an escaped low one.
                    if !self.bytes[self.position..].starts_with(b"\\u") {
                        return Err(self.error("The surrogate pair in string is invalid."));
                    }
                    self.position += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.error("The surrogate pair in string is invalid."));
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else {
                    first
                };
                char::from_u32(code)
                    .ok_or_else(|| self.error("The surrogate pair in string is invalid."))?
            }
            _ => return Err(self.error("Invalid escape character in string.")),
        })
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let value = self
            .bytes
            .get(self.position..self.position + 4)
            .filter(|digits| digits.iter().all(u8::is_ascii_hexdigit))
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .and_then(|digits| u32::from_str_radix(digits, 16).ok())
            .ok_or_else(|| self.error("Incorrect hex digit after \\u escape in string."))?;
        self.position += 4;
        Ok(value)
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.position;
        self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.position += 1,
            Some(b'1'..=b'9') => {
                self.skip_digits();
            }
            _ => return Err(self.error("Invalid value.")),
        }
        let mut integer = true;
        if self.eat(b'.') {
            integer = false;
            if self.skip_digits() == 0 {
                return Err(self.error("Missing fraction part in number."));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integer = false;
            self.position += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.position += 1;
            }
            if self.skip_digits() == 0 {
                return Err(self.error("Missing exponent in number."));
            }
        }
        let text = std::str::from_utf8(&self.bytes[start..self.position]).unwrap_or("0");
        json_number(text, integer)
            .map(Json::Number)
            .ok_or(JsonError { reason: "Number too big to be stored in double.", position: start })
    }
}

/// A JSON number's canonical text: integers that fit 64 bits as they are, anything else as a
/// double. None for a double out of range.
fn json_number(text: &str, integer: bool) -> Option<String> {
    if integer {
        if let Ok(value) = text.parse::<i64>() {
            return Some(value.to_string());
        }
        if let Ok(value) = text.parse::<u64>() {
            return Some(value.to_string());
        }
    }
    let value: f64 = text.parse().ok()?;
    value.is_finite().then(|| json_double_text(value))
}

/// A double inside JSON as MySQL prints it: as SQL shows doubles, with `.0` added to integral
/// ones so that they read back as doubles.
fn json_double_text(value: f64) -> String {
    let text = float_text(value);
    if text.contains(['.', 'e']) {
        text
    } else {
        text + ".0"
    }
}

fn parse_json(text: &str) -> Result<Json, JsonError> {
    let mut parser = JsonParser { bytes: text.as_bytes(), position: 0 };
    parser.skip_space();
    if parser.peek().is_none() {
        return Err(parser.error("The document is empty."));
    }
    let value = parser.value(0)?;
    parser.skip_space();
    if parser.peek().is_some() {
        return Err(parser.error("The document root must not be followed by other values."));
    }
    Ok(value)
}

fn write_json(value: &Json, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(true) => out.push_str("true"),
        Json::Bool(false) => out.push_str("false"),
        Json::Number(text) => out.push_str(text),
        Json::String(text) => write_json_string(text, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Json::Object(members) => {
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json_string(key, out);
                out.push_str(": ");
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

fn write_json_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_canonical(text: &str) -> Result<String, JsonError> {
    let value = parse_json(text)?;
    let mut out = String::with_capacity(text.len());
    write_json(&value, &mut out);
    Ok(out)
}

/// MySQL's canonical text of the JSON document `text`: `{"a": 1, "b": [1, 2]}` with `, ` and
/// `: ` between items, object keys ordered by length and then bytes, the last of duplicate keys
/// kept. Text that is not JSON is a `BadValue` error that says why and where.
pub fn canonical_json(text: &str) -> Result<String, Error> {
    json_canonical(text).map_err(|error| {
        Error::new(
            ErrorKind::BadValue,
            format!("Invalid JSON text: \"{}\" at position {}.", error.reason, error.position),
        )
    })
}

fn cast_json_text(text: &str) -> Result<String, Error> {
    json_canonical(text).map_err(|error| {
        Error::new(
            ErrorKind::BadValue,
            format!(
                "Invalid JSON text in argument 1 to function cast_as_json: \"{}\" at position {}.",
                error.reason, error.position
            ),
        )
    })
}

/// The JSON of a SQL value that is not JSON text: numbers as numbers, anything else as a
/// string.
fn json_of_scalar(value: &Datum) -> String {
    match value {
        Datum::Null => "null".to_string(),
        Datum::Int(v) => v.to_string(),
        Datum::UInt(v) => v.to_string(),
        Datum::Float(v) => json_double_text(*v),
        Datum::Decimal(d) => d.to_string(),
        Datum::Json(text) => text.clone(),
        other => {
            let mut out = String::new();
            write_json_string(&other.to_text().unwrap_or_default(), &mut out);
            out
        }
    }
}

/// The contents of a JSON string; None if the document is not a string.
fn json_string(text: &str) -> Option<String> {
    match parse_json(text) {
        Ok(Json::String(contents)) => Some(contents),
        _ => None,
    }
}

fn json_is_number(text: &str) -> bool {
    text.starts_with(|c: char| c == '-' || c.is_ascii_digit())
}

/// The text MySQL reads a JSON value's number from: a number's own text, a string's contents,
/// 1 and 0 for true and false, and nothing (so zero) for null, arrays and objects.
fn json_numeric_text(text: &str) -> Cow<'_, str> {
    if json_is_number(text) {
        return Cow::Borrowed(text);
    }
    match parse_json(text) {
        Ok(Json::String(contents)) => Cow::Owned(contents),
        Ok(Json::Bool(true)) => Cow::Borrowed("1"),
        Ok(Json::Bool(false)) => Cow::Borrowed("0"),
        Ok(_) => Cow::Borrowed(""),
        Err(_) => Cow::Borrowed(text),
    }
}

/// A 256-bit unsigned integer as four little-endian 64-bit limbs, just wide enough for exact
/// decimal products and quotients: two 38-digit mantissas multiply to 76 digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct U256([u64; 4]);

impl U256 {
    fn from_u128(value: u128) -> U256 {
        U256([value as u64, (value >> 64) as u64, 0, 0])
    }

    fn product(a: u128, b: u128) -> U256 {
        let a = [a as u64, (a >> 64) as u64];
        let b = [b as u64, (b >> 64) as u64];
        let mut out = [0u64; 4];
        for (i, &x) in a.iter().enumerate() {
            let mut carry = 0u128;
            for (j, &y) in b.iter().enumerate() {
                // At most (2^64 − 1)^2 + 2 × (2^64 − 1) = 2^128 − 1: no overflow.
                let t = u128::from(x) * u128::from(y) + u128::from(out[i + j]) + carry;
                out[i + j] = t as u64;
                carry = t >> 64;
            }
            out[i + 2] = carry as u64;
        }
        U256(out)
    }

    fn to_u128(self) -> Option<u128> {
        (self.0[2] == 0 && self.0[3] == 0)
            .then(|| u128::from(self.0[0]) | (u128::from(self.0[1]) << 64))
    }

    fn mul_small(self, factor: u64) -> Option<U256> {
        let mut out = [0u64; 4];
        let mut carry = 0u128;
        for (limb, &value) in out.iter_mut().zip(self.0.iter()) {
            let t = u128::from(value) * u128::from(factor) + carry;
            *limb = t as u64;
            carry = t >> 64;
        }
        (carry == 0).then_some(U256(out))
    }

    fn div_small(self, divisor: u64) -> (U256, u64) {
        let mut out = [0u64; 4];
        let mut remainder = 0u128;
        for (limb, &value) in out.iter_mut().zip(self.0.iter()).rev() {
            let current = (remainder << 64) | u128::from(value);
            *limb = (current / u128::from(divisor)) as u64;
            remainder = current % u128::from(divisor);
        }
        (U256(out), remainder as u64)
    }

    /// `self × 10^exponent`; None past 256 bits.
    fn mul_pow10(self, mut exponent: u32) -> Option<U256> {
        let mut value = self;
        while exponent > 0 {
            let step = exponent.min(19);
            value = value.mul_small(10u64.pow(step))?;
            exponent -= step;
        }
        Some(value)
    }

    /// `self / 10^exponent`, rounded half up (these are magnitudes, so away from zero).
    fn div_pow10_round(self, exponent: u32) -> U256 {
        if exponent == 0 {
            return self;
        }
        // Truncating all but the last digit leaves that digit to decide the rounding.
        let mut value = self;
        let mut left = exponent - 1;
        while left > 0 {
            let step = left.min(19);
            value = value.div_small(10u64.pow(step)).0;
            left -= step;
        }
        let (quotient, digit) = value.div_small(10);
        if digit >= 5 {
            quotient.add_one()
        } else {
            quotient
        }
    }

    fn add_one(self) -> U256 {
        let mut out = self.0;
        for limb in &mut out {
            let (value, overflow) = limb.overflowing_add(1);
            *limb = value;
            if !overflow {
                break;
            }
        }
        U256(out)
    }

    /// `(self / divisor, self % divisor)` by binary long division; `divisor` is not zero.
    fn div_rem(self, divisor: u128) -> (U256, u128) {
        let mut quotient = [0u64; 4];
        let mut remainder = 0u128;
        for bit in (0..256).rev() {
            // The shifted-out top bit stands for 2^128, which exceeds any divisor; the wrapping
            // subtraction then gives the true remainder, which is below the divisor.
            let carry = remainder >> 127;
            remainder = (remainder << 1) | u128::from((self.0[bit / 64] >> (bit % 64)) & 1);
            if carry == 1 || remainder >= divisor {
                remainder = remainder.wrapping_sub(divisor);
                quotient[bit / 64] |= 1 << (bit % 64);
            }
        }
        (U256(quotient), remainder)
    }
}
