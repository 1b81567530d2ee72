//! The order-preserving ("memcomparable") key encoding: tuples of values to bytes whose unsigned
//! byte order is the tuples' SQL order, so a prolly map ordered by bytes is ordered by key.
//!
//! Each value is a type byte and a body. Fixed-width numbers are big-endian with the sign folded
//! in so that unsigned comparison gives numeric order; strings are escaped so that a terminator
//! sorts below every byte a string can hold, which makes a string sort before its extensions.

use super::{
    canonical_float, float_bits_are_canonical, Error, Reader, Value, ValueRef, KEY_BYTES_MAX,
    KEY_VALUES_MAX, TYPE_BYTES, TYPE_FLOAT, TYPE_INT, TYPE_NULL, TYPE_TEXT, TYPE_UINT,
};

const SIGN_BIT: u64 = 1 << 63;
/// A zero byte inside a string is written as `0x00 0xFF`, and the string ends with `0x00 0x00`.
const ESCAPE: u8 = 0x00;
const ESCAPED_ZERO: u8 = 0xFF;
const TERMINATOR: u8 = 0x00;

/// Bytes that [`encode_key`] writes for `value`, computed without encoding it so that an
/// oversized key is refused before it is copied.
fn encoded_bytes(value: ValueRef) -> usize {
    1usize.saturating_add(match value {
        ValueRef::Null => 0,
        ValueRef::Int(_) | ValueRef::UInt(_) | ValueRef::Float(_) => 8,
        ValueRef::Text(text) => escaped_bytes(text.as_bytes()),
        ValueRef::Bytes(bytes) => escaped_bytes(bytes),
    })
}

fn escaped_bytes(bytes: &[u8]) -> usize {
    // Saturating, because on a 32-bit target a huge string's escaped size need not fit a usize;
    // anything near that is refused as too large anyway.
    let zeros = bytes.iter().filter(|&&b| b == ESCAPE).count();
    bytes.len().saturating_add(zeros).saturating_add(2)
}

fn float_key_bits(value: f64) -> u64 {
    let bits = value.to_bits();
    // Negative floats order backwards by their bits, so flip them all; positive ones only need
    // to sort above the negatives.
    if bits & SIGN_BIT != 0 {
        !bits
    } else {
        bits | SIGN_BIT
    }
}

fn float_from_key_bits(bits: u64) -> u64 {
    if bits & SIGN_BIT != 0 {
        bits ^ SIGN_BIT
    } else {
        !bits
    }
}

fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &byte in bytes {
        out.push(byte);
        if byte == ESCAPE {
            out.push(ESCAPED_ZERO);
        }
    }
    out.extend_from_slice(&[ESCAPE, TERMINATOR]);
}

/// Encodes a tuple so that, for tuples of the same shape, byte order is SQL order: NULL first;
/// numbers by value (-0.0 equal to 0.0); Text and Bytes by unsigned bytes; tuples
/// lexicographically, with a proper prefix first. Values of different kinds at one position
/// order by kind (Null, Int, UInt, Float, Text, Bytes), not by value.
///
/// Refuses NaN, more than [`KEY_VALUES_MAX`] values, and keys over [`KEY_BYTES_MAX`] bytes.
pub fn encode_key(values: &[Value]) -> Result<Vec<u8>, Error> {
    let refs: Vec<ValueRef> = values.iter().map(Value::as_ref).collect();
    encode_key_refs(&refs)
}

/// [`encode_key`] of borrowed values.
pub fn encode_key_refs(values: &[ValueRef]) -> Result<Vec<u8>, Error> {
    if values.len() > KEY_VALUES_MAX {
        return Err(Error::TooMany {
            what: "key values",
            count: values.len(),
            max: KEY_VALUES_MAX,
        });
    }
    let bytes = values.iter().fold(0usize, |sum, value| sum.saturating_add(encoded_bytes(*value)));
    if bytes > KEY_BYTES_MAX {
        return Err(Error::KeyTooLarge { bytes, max: KEY_BYTES_MAX });
    }
    let mut out = Vec::with_capacity(bytes);
    for &value in values {
        match value {
            ValueRef::Null => out.push(TYPE_NULL),
            ValueRef::Int(n) => {
                out.push(TYPE_INT);
                out.extend_from_slice(&(n as u64 ^ SIGN_BIT).to_be_bytes());
            }
            ValueRef::UInt(n) => {
                out.push(TYPE_UINT);
                out.extend_from_slice(&n.to_be_bytes());
            }
            ValueRef::Float(x) => {
                out.push(TYPE_FLOAT);
                let bits = float_key_bits(canonical_float(x)?);
                out.extend_from_slice(&bits.to_be_bytes());
            }
            ValueRef::Text(text) => {
                out.push(TYPE_TEXT);
                write_escaped(&mut out, text.as_bytes());
            }
            ValueRef::Bytes(bytes) => {
                out.push(TYPE_BYTES);
                write_escaped(&mut out, bytes);
            }
        }
    }
    debug_assert_eq!(out.len(), bytes);
    Ok(out)
}

/// Reads an escaped string up to and including its terminator.
fn read_escaped(reader: &mut Reader) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    loop {
        let byte = reader.u8()?;
        if byte != ESCAPE {
            out.push(byte);
            continue;
        }
        match reader.u8()? {
            TERMINATOR => return Ok(out),
            ESCAPED_ZERO => out.push(0),
            _ => return Err(Error::Malformed("a zero byte in a key string is not escaped")),
        }
    }
}

/// Decodes bytes made by [`encode_key`]. Refuses anything [`encode_key`] would not produce:
/// unknown type bytes, truncated values, bad escapes, Text that is not UTF-8, NaN or -0.0, too
/// many values, too many bytes.
pub fn decode_key(bytes: &[u8]) -> Result<Vec<Value>, Error> {
    if bytes.len() > KEY_BYTES_MAX {
        return Err(Error::Malformed("a key is over the size limit"));
    }
    let mut reader = Reader::new(bytes);
    let mut values = Vec::new();
    while !reader.is_empty() {
        if values.len() == KEY_VALUES_MAX {
            return Err(Error::Malformed("a key holds too many values"));
        }
        let value = match reader.u8()? {
            TYPE_NULL => Value::Null,
            TYPE_INT => Value::Int((u64::from_be_bytes(reader.array8()?) ^ SIGN_BIT) as i64),
            TYPE_UINT => Value::UInt(u64::from_be_bytes(reader.array8()?)),
            TYPE_FLOAT => {
                let bits = float_from_key_bits(u64::from_be_bytes(reader.array8()?));
                if !float_bits_are_canonical(bits) {
                    return Err(Error::Malformed("a key float is NaN or -0.0"));
                }
                Value::Float(f64::from_bits(bits))
            }
            TYPE_TEXT => {
                let text = String::from_utf8(read_escaped(&mut reader)?)
                    .map_err(|_| Error::Malformed("key text is not UTF-8"))?;
                Value::Text(text)
            }
            TYPE_BYTES => Value::Bytes(read_escaped(&mut reader)?),
            _ => return Err(Error::Malformed("unknown type byte in a key")),
        };
        values.push(value);
    }
    Ok(values)
}
