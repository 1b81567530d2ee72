//! Rows as bytes: the order-preserving encoding of primary keys, the canonical encoding of a row's
//! other cells, and table schemas.
//!
//! A table is a prolly map from [`encode_key`] of its primary key values to [`encode_cells`] of
//! its other columns. Keys must sort as bytes exactly as the SQL values sort, because the map
//! orders by bytes and range scans run over it. Cells are named by [`Tag`], a column's stable id,
//! so renaming a column rewrites no row, and NULL cells are left out, so adding a nullable column
//! rewrites no row either. Every encoding here is canonical (one value, one byte string), so equal
//! rows give equal chunks and equal hashes. `docs/format.md` specifies the byte layouts.
//!
//! Decoding never panics on bad bytes: it refuses anything a conforming writer would not produce
//! with [`Error::Malformed`].

mod cells;
mod key;
mod schema;

use std::fmt;

pub use cells::{decode_cells, encode_cells, CellsWriter};
pub use key::{decode_key, encode_key, encode_key_refs};
pub use schema::{Check, Column, ForeignKey, IndexDef, ReferentialAction, Schema};

/// A column's stable id. It survives renames, and a dropped column's tag is never reused, so the
/// cells of old rows are never misread as a new column.
pub type Tag = u32;

/// Values in one key: MySQL allows 16 columns in an index, and an index key is its own columns
/// followed by the primary key's, so this leaves room.
pub const KEY_VALUES_MAX: usize = 64;
/// Columns in a primary key or in one index, half of [`KEY_VALUES_MAX`] so that an index key
/// (the index's columns and then the primary key's) always fits in a key.
pub const INDEX_COLUMNS_MAX: usize = KEY_VALUES_MAX / 2;
/// Bytes of an encoded key: the prolly map's key limit, so every key this module makes fits.
pub const KEY_BYTES_MAX: usize = crate::prolly::KEY_BYTES_MAX;
/// Cells in one row, and columns in one table (MySQL's limit on columns).
pub const CELLS_MAX: usize = 4096;
/// Bytes of one Text or Bytes cell: the prolly map's value limit.
pub const TEXT_BYTES_MAX: usize = crate::prolly::VALUE_BYTES_MAX;
/// Bytes of an encoded row. A row is one prolly value, so this is the prolly value limit too;
/// it is what binds when a row holds one very large cell.
pub const ROW_BYTES_MAX: usize = crate::prolly::VALUE_BYTES_MAX;
/// Bytes of a column or index name, like a MySQL identifier.
pub const NAME_BYTES_MAX: usize = 64;
/// Bytes of a column's SQL type or default expression (both opaque text here). Long enough for
/// an ENUM with many members.
pub const DEFINITION_BYTES_MAX: usize = 64 << 10;
/// Secondary indexes on one table (MySQL's limit).
pub const INDEXES_MAX: usize = 64;
/// CHECK constraints in one table, and FOREIGN KEY constraints in one table.
pub const CONSTRAINTS_MAX: usize = 64;

/// One SQL value. Which kinds a column may hold is the SQL layer's business; this module only
/// encodes them.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    UInt(u64),
    /// Never NaN once encoded: encoding refuses NaN and turns -0.0 into 0.0.
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value seen through a [`ValueRef`], without copying its text or bytes.
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Int(n) => ValueRef::Int(*n),
            Value::UInt(n) => ValueRef::UInt(*n),
            Value::Float(x) => ValueRef::Float(*x),
            Value::Text(text) => ValueRef::Text(text),
            Value::Bytes(bytes) => ValueRef::Bytes(bytes),
        }
    }
}

/// A [`Value`] whose text or bytes are borrowed: a caller that holds its values in another form
/// encodes them without copying each text into a `Value` first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(&'a str),
    Bytes(&'a [u8]),
}

impl ValueRef<'_> {
    pub fn is_null(&self) -> bool {
        matches!(self, ValueRef::Null)
    }

    pub fn into_owned(self) -> Value {
        match self {
            ValueRef::Null => Value::Null,
            ValueRef::Int(n) => Value::Int(n),
            ValueRef::UInt(n) => Value::UInt(n),
            ValueRef::Float(x) => Value::Float(x),
            ValueRef::Text(text) => Value::Text(text.to_owned()),
            ValueRef::Bytes(bytes) => Value::Bytes(bytes.to_vec()),
        }
    }
}

/// Type bytes shared by the key and cell encodings. Their order is the order of kinds in a key,
/// with NULL first as SQL sorts it.
pub(crate) const TYPE_NULL: u8 = 0x01;
pub(crate) const TYPE_INT: u8 = 0x10;
pub(crate) const TYPE_UINT: u8 = 0x11;
pub(crate) const TYPE_FLOAT: u8 = 0x12;
pub(crate) const TYPE_TEXT: u8 = 0x20;
pub(crate) const TYPE_BYTES: u8 = 0x21;

/// What went wrong encoding, decoding or validating rows and schemas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Bytes that no conforming writer produces.
    Malformed(&'static str),
    /// A Text or Bytes cell, a whole row, or a schema's type or default text over its limit.
    TooLarge { bytes: usize, max: usize },
    /// An encoded key over [`KEY_BYTES_MAX`].
    KeyTooLarge { bytes: usize, max: usize },
    /// More values, cells, columns or indexes than their limit; `what` names which.
    TooMany { what: &'static str, count: usize, max: usize },
    /// A float that is NaN, which has no place in SQL order and cannot be stored.
    NaN,
    /// A tag used twice: in a row's cells, a schema's columns, a primary key or an index.
    DuplicateTag(Tag),
    /// Two columns, or two indexes, whose names are equal ignoring ASCII case.
    DuplicateName(String),
    /// A primary key or index names a tag that is no column of the schema.
    UnknownTag(Tag),
    /// A column or index name that is empty or longer than [`NAME_BYTES_MAX`].
    InvalidName(String),
    /// A schema that breaks a rule with no more specific error (such as an index of no columns).
    InvalidSchema(&'static str),
}

impl Error {
    /// A short stable identifier for programs (and the JS boundary) to match on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Malformed(_) => "row_malformed",
            Error::TooLarge { .. } => "row_too_large",
            Error::KeyTooLarge { .. } => "row_key_too_large",
            Error::TooMany { .. } => "row_too_many",
            Error::NaN => "row_nan",
            Error::DuplicateTag(_) => "row_duplicate_tag",
            Error::DuplicateName(_) => "row_duplicate_name",
            Error::UnknownTag(_) => "row_unknown_tag",
            Error::InvalidName(_) => "row_invalid_name",
            Error::InvalidSchema(_) => "row_schema_invalid",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Malformed(reason) => write!(f, "row bytes are malformed: {reason}"),
            Error::TooLarge { bytes, max } => {
                write!(f, "{bytes} bytes are over the limit of {max}")
            }
            Error::KeyTooLarge { bytes, max } => {
                write!(f, "a key of {bytes} bytes is over the limit of {max}")
            }
            Error::TooMany { what, count, max } => {
                write!(f, "{count} {what} are over the limit of {max}")
            }
            Error::NaN => write!(f, "NaN cannot be stored"),
            Error::DuplicateTag(tag) => write!(f, "column tag {tag} is used twice"),
            Error::DuplicateName(name) => write!(f, "the name `{name}` is used twice"),
            Error::UnknownTag(tag) => write!(f, "no column has tag {tag}"),
            Error::InvalidName(name) => {
                write!(f, "the name `{name}` must be 1 to {NAME_BYTES_MAX} bytes long")
            }
            Error::InvalidSchema(reason) => write!(f, "invalid schema: {reason}"),
        }
    }
}

impl std::error::Error for Error {}

/// Refuses NaN and turns -0.0 into 0.0, so that each float that SQL considers equal to another
/// has the same bytes.
pub(crate) fn canonical_float(value: f64) -> Result<f64, Error> {
    if value.is_nan() {
        return Err(Error::NaN);
    }
    // -0.0 == 0.0, so this maps -0.0 (and only it) to 0.0.
    Ok(if value == 0.0 { 0.0 } else { value })
}

/// Whether decoded float bits are ones a writer produces: not NaN and not -0.0.
pub(crate) fn float_bits_are_canonical(bits: u64) -> bool {
    let value = f64::from_bits(bits);
    !value.is_nan() && bits != (-0.0f64).to_bits()
}

/// Appends `value` as unsigned LEB128: seven bits a byte, least significant first, the top bit
/// set on every byte but the last.
pub(crate) fn write_uvarint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Bytes that [`write_uvarint`] writes for `value`.
pub(crate) fn uvarint_bytes(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Appends a LEB128 length and then the bytes.
pub(crate) fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_uvarint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A cursor over bytes being decoded. Every read checks what is left and answers `Malformed`
/// rather than panicking.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, at: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.at == self.data.len()
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.at
    }

    pub fn u8(&mut self) -> Result<u8, Error> {
        let byte =
            *self.data.get(self.at).ok_or(Error::Malformed("ends in the middle of a value"))?;
        self.at += 1;
        Ok(byte)
    }

    pub fn take(&mut self, len: usize) -> Result<&'a [u8], Error> {
        if len > self.remaining() {
            return Err(Error::Malformed("ends in the middle of a value"));
        }
        let bytes = &self.data[self.at..self.at + len];
        self.at += len;
        Ok(bytes)
    }

    pub fn array8(&mut self) -> Result<[u8; 8], Error> {
        let bytes = self.take(8)?;
        Ok(bytes.try_into().expect("took 8 bytes"))
    }

    /// A minimal LEB128 number of at most `max`. Over-long encodings (a final byte of zero after
    /// the first) are refused, so each number has one encoding.
    pub fn uvarint(&mut self, max: u64) -> Result<u64, Error> {
        let mut value: u64 = 0;
        let mut shift = 0u32;
        loop {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7F);
            if shift == 63 && bits > 1 {
                return Err(Error::Malformed("a number is over 64 bits"));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    return Err(Error::Malformed("a number is not minimally encoded"));
                }
                break;
            }
            shift += 7;
            if shift > 63 {
                return Err(Error::Malformed("a number is over 64 bits"));
            }
        }
        if value > max {
            return Err(Error::Malformed("a number is over its limit"));
        }
        Ok(value)
    }

    /// A count of items that each take at least one byte, at most `max`. Bounding a count by the
    /// bytes left keeps a forged count from reserving memory the input cannot fill.
    pub fn count(&mut self, max: usize) -> Result<usize, Error> {
        let count = self.uvarint(max as u64)? as usize;
        if count > self.remaining() {
            return Err(Error::Malformed("a count is larger than the bytes left"));
        }
        Ok(count)
    }

    pub fn tag(&mut self) -> Result<Tag, Error> {
        Ok(self.uvarint(u64::from(Tag::MAX))? as Tag)
    }

    /// A LEB128 length of at most `max` and then that many bytes.
    pub fn bytes(&mut self, max: usize) -> Result<&'a [u8], Error> {
        let len = self.uvarint(max as u64)? as usize;
        self.take(len)
    }

    /// Like [`Reader::bytes`], but the bytes must be UTF-8.
    pub fn text(&mut self, max: usize) -> Result<&'a str, Error> {
        std::str::from_utf8(self.bytes(max)?).map_err(|_| Error::Malformed("text is not UTF-8"))
    }
}
