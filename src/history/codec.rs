//! Byte-level helpers shared by the history chunk encodings: a writer and a bounds-checked
//! reader, so every decoder refuses truncated or trailing bytes the same way.

use std::collections::BTreeMap;

use crate::chunk::{Hash, HASH_BYTES};

use super::Error;

/// Longest string any history chunk holds (commit messages included), in bytes.
pub(crate) const STRING_BYTES_MAX: usize = 1 << 20;

#[derive(Default)]
pub(crate) struct Writer {
    pub bytes: Vec<u8>,
}

impl Writer {
    pub fn new(kind: u8, version: u8) -> Writer {
        Writer { bytes: vec![kind, version] }
    }

    pub fn u8(&mut self, value: u8) -> &mut Writer {
        self.bytes.push(value);
        self
    }

    pub fn u32(&mut self, value: u32) -> &mut Writer {
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }

    pub fn u64(&mut self, value: u64) -> &mut Writer {
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }

    pub fn i64(&mut self, value: i64) -> &mut Writer {
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self
    }

    pub fn hash(&mut self, hash: &Hash) -> &mut Writer {
        self.bytes.extend_from_slice(hash.as_bytes());
        self
    }

    pub fn bytes(&mut self, data: &[u8]) -> &mut Writer {
        assert!(data.len() <= STRING_BYTES_MAX, "callers check string limits first");
        self.u32(data.len() as u32);
        self.bytes.extend_from_slice(data);
        self
    }

    pub fn str(&mut self, text: &str) -> &mut Writer {
        self.bytes(text.as_bytes())
    }

    /// A name → hash map: a `u32` count, then each name and hash in ascending name order.
    pub fn named_hashes(&mut self, map: &BTreeMap<String, Hash>) -> &mut Writer {
        self.u32(map.len() as u32);
        for (name, hash) in map {
            self.str(name).hash(hash);
        }
        self
    }
}

/// Reads a chunk's fields in order; every read past the end is a malformed chunk.
pub(crate) struct Reader<'a> {
    hash: Hash,
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// Starts after checking the kind and version bytes.
    pub fn new(hash: Hash, data: &'a [u8], kind: u8, version: u8) -> Result<Reader<'a>, Error> {
        let mut reader = Reader { hash, data, at: 0 };
        if reader.u8()? != kind {
            return Err(reader.malformed("not the expected kind of chunk"));
        }
        if reader.u8()? != version {
            return Err(reader.malformed("unknown chunk version"));
        }
        Ok(reader)
    }

    pub fn malformed(&self, reason: &'static str) -> Error {
        Error::from(crate::chunk::Error::Malformed { hash: self.hash, reason })
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if self.data.len() - self.at < n {
            return Err(self.malformed("chunk ends early"));
        }
        let out = &self.data[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }

    pub fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    pub fn u64(&mut self) -> Result<u64, Error> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }

    pub fn i64(&mut self) -> Result<i64, Error> {
        Ok(i64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }

    pub fn hash(&mut self) -> Result<Hash, Error> {
        Ok(Hash::from_slice(self.take(HASH_BYTES)?).expect("20 bytes"))
    }

    pub fn bytes(&mut self) -> Result<&'a [u8], Error> {
        let len = self.u32()? as usize;
        if len > STRING_BYTES_MAX {
            return Err(self.malformed("a string is over the size limit"));
        }
        self.take(len)
    }

    pub fn string(&mut self) -> Result<String, Error> {
        let bytes = self.bytes()?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.malformed("a string is not UTF-8"))
    }

    /// A count of items that each take at least `item_bytes_min` bytes, checked against what
    /// is left so a hostile count cannot make the decoder allocate without bound.
    pub fn count(&mut self, item_bytes_min: usize) -> Result<usize, Error> {
        let count = self.u32()? as usize;
        if count.saturating_mul(item_bytes_min.max(1)) > self.data.len() - self.at {
            return Err(self.malformed("a count is larger than the chunk can hold"));
        }
        Ok(count)
    }

    /// Reads what [`Writer::named_hashes`] wrote, refusing names out of order.
    pub fn named_hashes(&mut self) -> Result<BTreeMap<String, Hash>, Error> {
        let count = self.count(4 + HASH_BYTES)?;
        let mut map = BTreeMap::new();
        let mut previous: Option<String> = None;
        for _ in 0..count {
            let name = self.string()?;
            if previous.as_ref().is_some_and(|p| *p >= name) {
                return Err(self.malformed("names are not strictly ascending"));
            }
            map.insert(name.clone(), self.hash()?);
            previous = Some(name);
        }
        Ok(map)
    }

    pub fn finish(self) -> Result<(), Error> {
        if self.at != self.data.len() {
            return Err(self.malformed("trailing bytes"));
        }
        Ok(())
    }
}
