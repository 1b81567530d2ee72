//! The canonical encoding of a row's non-key cells: `(tag, value)` pairs sorted by tag, NULLs
//! left out. One row has one encoding, so equal rows have equal bytes, and a missing tag reads as
//! NULL, so a table gains a nullable column without rewriting its rows.

use super::{
    canonical_float, float_bits_are_canonical, uvarint_bytes, write_bytes, write_uvarint, Error,
    Reader, Tag, Value, ValueRef, CELLS_MAX, ROW_BYTES_MAX, TEXT_BYTES_MAX, TYPE_BYTES, TYPE_FLOAT,
    TYPE_INT, TYPE_TEXT, TYPE_UINT,
};

/// The first byte of every encoded row, so a later layout can be told apart.
const CELLS_VERSION: u8 = 0x01;

/// Bytes of a cell's type byte and body; `None` for NULL, which is not written.
fn body_bytes(value: ValueRef) -> Option<usize> {
    Some(
        1 + match value {
            ValueRef::Null => return None,
            ValueRef::Int(_) | ValueRef::UInt(_) | ValueRef::Float(_) => 8,
            ValueRef::Text(text) => uvarint_bytes(text.len() as u64) + text.len(),
            ValueRef::Bytes(bytes) => uvarint_bytes(bytes.len() as u64) + bytes.len(),
        },
    )
}

fn check_text(len: usize) -> Result<(), Error> {
    if len > TEXT_BYTES_MAX {
        return Err(Error::TooLarge { bytes: len, max: TEXT_BYTES_MAX });
    }
    Ok(())
}

/// Encodes a row's cells in canonical form, whatever order they come in: sorted by tag, NULL
/// cells dropped. An all-NULL row is the single version byte.
///
/// Refuses a tag given twice (even if one of them is NULL), NaN, more than [`CELLS_MAX`] cells,
/// a Text or Bytes cell over [`TEXT_BYTES_MAX`] and a row over [`ROW_BYTES_MAX`].
pub fn encode_cells(cells: &[(Tag, Value)]) -> Result<Vec<u8>, Error> {
    if cells.len() > CELLS_MAX {
        return Err(Error::TooMany { what: "cells", count: cells.len(), max: CELLS_MAX });
    }
    let mut sorted: Vec<(Tag, ValueRef)> =
        cells.iter().map(|(tag, value)| (*tag, value.as_ref())).collect();
    sorted.sort_by_key(|(tag, _)| *tag);
    if let Some(pair) = sorted.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(Error::DuplicateTag(pair[0].0));
    }
    // The size is known, and a row over the limit refused, before anything is copied
    // (saturating: on a 32-bit target many large cells could overflow a usize).
    let mut bytes: usize = 1;
    for &(tag, value) in &sorted {
        if let ValueRef::Text(text) = value {
            check_text(text.len())?;
        } else if let ValueRef::Bytes(data) = value {
            check_text(data.len())?;
        }
        if let Some(body) = body_bytes(value) {
            bytes = bytes.saturating_add(uvarint_bytes(u64::from(tag)) + body);
        }
    }
    if bytes > ROW_BYTES_MAX {
        return Err(Error::TooLarge { bytes, max: ROW_BYTES_MAX });
    }
    let mut writer = CellsWriter::with_capacity(bytes);
    for (tag, value) in sorted {
        writer.push(tag, value)?;
    }
    Ok(writer.finish())
}

/// Encodes a row's cells one at a time, in strictly ascending tag order, with the checks of
/// [`encode_cells`]: a caller that holds its values in another form writes them without
/// gathering them first.
pub struct CellsWriter {
    out: Vec<u8>,
    last: Option<Tag>,
    cells: usize,
}

impl CellsWriter {
    /// A writer whose buffer starts with room for `bytes` (the encoding's size, if known, so
    /// the buffer never grows; a row over [`ROW_BYTES_MAX`] is refused before that is used).
    pub fn with_capacity(bytes: usize) -> CellsWriter {
        let mut out = Vec::with_capacity(bytes.min(ROW_BYTES_MAX));
        out.push(CELLS_VERSION);
        CellsWriter { out, last: None, cells: 0 }
    }

    /// Adds one cell; a NULL writes nothing. Refuses a tag not above the previous one, NaN,
    /// too many cells and a Text or Bytes cell over [`TEXT_BYTES_MAX`].
    pub fn push(&mut self, tag: Tag, value: ValueRef) -> Result<(), Error> {
        if self.last.is_some_and(|last| last >= tag) {
            return Err(Error::DuplicateTag(tag));
        }
        self.last = Some(tag);
        self.cells += 1;
        if self.cells > CELLS_MAX {
            return Err(Error::TooMany { what: "cells", count: self.cells, max: CELLS_MAX });
        }
        let out = &mut self.out;
        match value {
            ValueRef::Null => return Ok(()),
            ValueRef::Text(text) => check_text(text.len())?,
            ValueRef::Bytes(data) => check_text(data.len())?,
            _ => {}
        }
        write_uvarint(out, u64::from(tag));
        match value {
            ValueRef::Null => unreachable!("NULL cells return above"),
            ValueRef::Int(n) => {
                out.push(TYPE_INT);
                out.extend_from_slice(&n.to_le_bytes());
            }
            ValueRef::UInt(n) => {
                out.push(TYPE_UINT);
                out.extend_from_slice(&n.to_le_bytes());
            }
            ValueRef::Float(x) => {
                out.push(TYPE_FLOAT);
                out.extend_from_slice(&canonical_float(x)?.to_bits().to_le_bytes());
            }
            ValueRef::Text(text) => {
                out.push(TYPE_TEXT);
                write_bytes(out, text.as_bytes());
            }
            ValueRef::Bytes(data) => {
                out.push(TYPE_BYTES);
                write_bytes(out, data);
            }
        }
        if out.len() > ROW_BYTES_MAX {
            return Err(Error::TooLarge { bytes: out.len(), max: ROW_BYTES_MAX });
        }
        Ok(())
    }

    pub fn finish(self) -> Vec<u8> {
        self.out
    }
}

/// Decodes bytes made by [`encode_cells`], in tag order. Refuses anything not in canonical form:
/// another version byte, tags not strictly ascending, NULL or unknown type bytes, over-long
/// LEB128, NaN or -0.0, Text that is not UTF-8, truncation, trailing bytes, and limits passed.
pub fn decode_cells(bytes: &[u8]) -> Result<Vec<(Tag, Value)>, Error> {
    if bytes.len() > ROW_BYTES_MAX {
        return Err(Error::Malformed("a row is over the size limit"));
    }
    let mut reader = Reader::new(bytes);
    if reader.u8()? != CELLS_VERSION {
        return Err(Error::Malformed("unknown row version"));
    }
    let mut cells: Vec<(Tag, Value)> = Vec::new();
    while !reader.is_empty() {
        if cells.len() == CELLS_MAX {
            return Err(Error::Malformed("a row holds too many cells"));
        }
        let tag = reader.tag()?;
        if cells.last().is_some_and(|(last, _)| *last >= tag) {
            return Err(Error::Malformed("row tags are not strictly ascending"));
        }
        let value = match reader.u8()? {
            TYPE_INT => Value::Int(i64::from_le_bytes(reader.array8()?)),
            TYPE_UINT => Value::UInt(u64::from_le_bytes(reader.array8()?)),
            TYPE_FLOAT => {
                let bits = u64::from_le_bytes(reader.array8()?);
                if !float_bits_are_canonical(bits) {
                    return Err(Error::Malformed("a row float is NaN or -0.0"));
                }
                Value::Float(f64::from_bits(bits))
            }
            TYPE_TEXT => Value::Text(reader.text(TEXT_BYTES_MAX)?.to_owned()),
            TYPE_BYTES => Value::Bytes(reader.bytes(TEXT_BYTES_MAX)?.to_vec()),
            _ => return Err(Error::Malformed("unknown or NULL type byte in a row")),
        };
        cells.push((tag, value));
    }
    Ok(cells)
}
