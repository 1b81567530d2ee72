//! The byte layouts of the file store (`docs/format.md`, section "Files"): the journal header,
//! the record headers (chunks and commits) and the manifest file, which is also a commit
//! record's body. Pure encoding and decoding; decoders refuse bad bytes with an error and never
//! panic.

use xxhash_rust::xxh3::xxh3_64;

use crate::chunk::{Error, Hash, Manifest, CHUNK_BYTES_MAX, HASH_BYTES, MANIFEST_BYTES};

/// Bytes at the start of every journal file: magic, version, reserved, generation.
pub const JOURNAL_HEADER_BYTES: usize = 16;
/// Bytes in front of every record in the journal: kind, reserved, length, hash, check.
pub const RECORD_HEADER_BYTES: usize = 32;
/// The largest record the journal holds: a chunk of the largest size with its header.
pub const RECORD_BYTES_MAX: usize = RECORD_HEADER_BYTES + CHUNK_BYTES_MAX;
/// Bytes in the manifest file: magic, version, reserved, generation, covered length, the
/// 40-byte manifest, check.
pub const MANIFEST_FILE_BYTES: usize = 72;

/// The name of the file holding the manifest.
pub const MANIFEST_FILE: &str = "manifest";
/// The name of the writer lock file.
pub const LOCK_FILE: &str = "LOCK";
/// Journal files are named this prefix followed by their generation in 16 hex digits.
pub const JOURNAL_PREFIX: &str = "journal-";

const JOURNAL_MAGIC: &[u8; 4] = b"CMBJ";
const MANIFEST_MAGIC: &[u8; 4] = b"CMBF";
const FORMAT_VERSION: u8 = 1;
const RECORD_KIND_CHUNK: u8 = 0x01;
const RECORD_KIND_COMMIT: u8 = 0x02;
/// Where the check sits in a record header; it covers every byte before it.
const RECORD_CHECK_AT: usize = 28;
/// Where the check sits in the manifest file; it covers every byte before it.
const MANIFEST_CHECK_AT: usize = 64;

/// The journal file of `generation`.
pub fn journal_name(generation: u64) -> String {
    format!("{JOURNAL_PREFIX}{generation:016x}")
}

/// The generation a journal file's name gives, `None` for other files.
pub fn journal_generation(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(JOURNAL_PREFIX)?;
    if digits.len() != 16 {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

fn check32(bytes: &[u8]) -> u32 {
    // The low 32 bits of XXH3-64, the hash the format already uses for chunk boundaries.
    xxh3_64(bytes) as u32
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

fn corrupt(message: String) -> Error {
    Error::StoreCorrupt(message)
}

pub fn encode_journal_header(generation: u64) -> [u8; JOURNAL_HEADER_BYTES] {
    let mut out = [0u8; JOURNAL_HEADER_BYTES];
    out[..4].copy_from_slice(JOURNAL_MAGIC);
    out[4] = FORMAT_VERSION;
    out[8..16].copy_from_slice(&generation.to_le_bytes());
    out
}

/// Checks a journal header against the generation the manifest names.
pub fn check_journal_header(bytes: &[u8], generation: u64) -> Result<(), Error> {
    let expected = encode_journal_header(generation);
    if bytes != expected {
        return Err(corrupt(format!(
            "{} does not start with the header of journal generation {generation}",
            journal_name(generation)
        )));
    }
    Ok(())
}

/// What a record header says follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// A chunk of `len` bytes under `hash`.
    Chunk { hash: Hash, len: u32 },
    /// A commit: a [`ManifestFile`] body of [`MANIFEST_FILE_BYTES`] bytes that publishes the
    /// journal up to the record's end.
    Commit,
}

impl Record {
    /// The bytes after the header.
    pub fn body_len(&self) -> u32 {
        match self {
            Record::Chunk { len, .. } => *len,
            Record::Commit => MANIFEST_FILE_BYTES as u32,
        }
    }
}

fn encode_header(kind: u8, len: usize, hash: &[u8; HASH_BYTES], out: &mut Vec<u8>) {
    let start = out.len();
    out.push(kind);
    out.extend_from_slice(&[0; 3]);
    // Callers hold bodies of at most CHUNK_BYTES_MAX, which fits in a u32.
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(hash);
    let check = check32(&out[start..start + RECORD_CHECK_AT]);
    out.extend_from_slice(&check.to_le_bytes());
}

/// Appends the record header of `chunk_len` bytes under `hash` to `out`.
pub fn encode_record_header(hash: Hash, chunk_len: usize, out: &mut Vec<u8>) {
    encode_header(RECORD_KIND_CHUNK, chunk_len, hash.as_bytes(), out);
}

/// Appends a whole commit record publishing `file` to `out`.
pub fn encode_commit_record(file: &ManifestFile, out: &mut Vec<u8>) {
    encode_header(RECORD_KIND_COMMIT, MANIFEST_FILE_BYTES, &[0; HASH_BYTES], out);
    out.extend_from_slice(&file.encode());
}

/// Reads a record header found at journal offset `offset`.
pub fn decode_record_header(bytes: &[u8], offset: u64) -> Result<Record, Error> {
    let bad = |what: &str| corrupt(format!("the journal record at offset {offset} {what}"));
    if bytes.len() != RECORD_HEADER_BYTES {
        return Err(bad("is cut short"));
    }
    if check32(&bytes[..RECORD_CHECK_AT]) != u32_at(bytes, RECORD_CHECK_AT) {
        return Err(bad("fails its header check"));
    }
    if bytes[1..4] != [0; 3] {
        return Err(bad("has reserved bits set"));
    }
    let len = u32_at(bytes, 4);
    let hash = &bytes[8..8 + HASH_BYTES];
    match bytes[0] {
        RECORD_KIND_CHUNK => {
            if len as usize > CHUNK_BYTES_MAX {
                return Err(bad("is larger than CHUNK_BYTES_MAX"));
            }
            let hash = Hash::from_slice(hash).ok_or_else(|| bad("is cut short"))?;
            Ok(Record::Chunk { hash, len })
        }
        RECORD_KIND_COMMIT if len as usize == MANIFEST_FILE_BYTES && hash == [0; HASH_BYTES] => {
            Ok(Record::Commit)
        }
        RECORD_KIND_COMMIT => Err(bad("is a commit of the wrong length or with a hash")),
        _ => Err(bad("has an unknown kind")),
    }
}

/// What the manifest file holds: the published manifest and where its chunks are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ManifestFile {
    /// The generation of the journal file holding the chunks.
    pub generation: u64,
    /// Bytes of that journal, from its start, that this manifest publishes.
    pub covered: u64,
    pub manifest: Manifest,
}

impl ManifestFile {
    pub fn encode(&self) -> [u8; MANIFEST_FILE_BYTES] {
        let mut out = [0u8; MANIFEST_FILE_BYTES];
        out[..4].copy_from_slice(MANIFEST_MAGIC);
        out[4] = FORMAT_VERSION;
        out[8..16].copy_from_slice(&self.generation.to_le_bytes());
        out[16..24].copy_from_slice(&self.covered.to_le_bytes());
        out[24..24 + MANIFEST_BYTES].copy_from_slice(&self.manifest.encode());
        let check = xxh3_64(&out[..MANIFEST_CHECK_AT]);
        out[MANIFEST_CHECK_AT..].copy_from_slice(&check.to_le_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<ManifestFile, Error> {
        let bad = |what: &str| corrupt(format!("the manifest file {what}"));
        if bytes.len() != MANIFEST_FILE_BYTES {
            return Err(bad("is not 72 bytes long"));
        }
        if xxh3_64(&bytes[..MANIFEST_CHECK_AT]) != u64_at(bytes, MANIFEST_CHECK_AT) {
            return Err(bad("fails its check"));
        }
        if &bytes[..4] != MANIFEST_MAGIC {
            return Err(bad("does not start with CMBF"));
        }
        if bytes[4] != FORMAT_VERSION {
            return Err(bad("has an unknown format version"));
        }
        if bytes[5..8] != [0; 3] {
            return Err(bad("has reserved bits set"));
        }
        let covered = u64_at(bytes, 16);
        if covered < JOURNAL_HEADER_BYTES as u64 {
            return Err(bad("covers less than a journal header"));
        }
        let manifest = Manifest::decode(&bytes[24..24 + MANIFEST_BYTES])?;
        Ok(ManifestFile { generation: u64_at(bytes, 8), covered, manifest })
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn manifest_file_round_trips_and_refuses_damage() {
        let file = ManifestFile {
            generation: 3,
            covered: 4096,
            manifest: Manifest { root: Some(Hash::of(b"root")), epoch: 9 },
        };
        let bytes = file.encode();
        assert_eq!(ManifestFile::decode(&bytes), Ok(file));
        for at in 0..MANIFEST_FILE_BYTES {
            let mut bad = bytes;
            bad[at] ^= 0x10;
            assert!(ManifestFile::decode(&bad).is_err(), "byte {at}");
        }
        assert!(ManifestFile::decode(&bytes[..71]).is_err());
    }

    #[test]
    fn record_header_round_trips_and_refuses_damage() {
        let hash = Hash::of(b"chunk");
        let mut bytes = Vec::new();
        encode_record_header(hash, 5, &mut bytes);
        assert_eq!(bytes.len(), RECORD_HEADER_BYTES);
        assert_eq!(decode_record_header(&bytes, 16), Ok(Record::Chunk { hash, len: 5 }));
        for at in 0..RECORD_HEADER_BYTES {
            let mut bad = bytes.clone();
            bad[at] ^= 0x01;
            assert!(decode_record_header(&bad, 16).is_err(), "byte {at}");
        }
    }

    #[test]
    fn commit_record_round_trips_and_refuses_damage() {
        let file = ManifestFile {
            generation: 1,
            covered: 16 + 2 * (RECORD_HEADER_BYTES + MANIFEST_FILE_BYTES) as u64,
            manifest: Manifest { root: Some(Hash::of(b"root")), epoch: 2 },
        };
        let mut bytes = Vec::new();
        encode_commit_record(&file, &mut bytes);
        assert_eq!(bytes.len(), RECORD_HEADER_BYTES + MANIFEST_FILE_BYTES);
        let header = decode_record_header(&bytes[..RECORD_HEADER_BYTES], 16);
        assert_eq!(header, Ok(Record::Commit));
        assert_eq!(ManifestFile::decode(&bytes[RECORD_HEADER_BYTES..]), Ok(file));
        for at in 0..RECORD_HEADER_BYTES {
            let mut bad = bytes.clone();
            bad[at] ^= 0x01;
            assert!(decode_record_header(&bad[..RECORD_HEADER_BYTES], 16).is_err(), "byte {at}");
        }
    }

    #[test]
    fn journal_names_round_trip() {
        assert_eq!(journal_name(10), "journal-000000000000000a");
        assert_eq!(journal_generation(&journal_name(u64::MAX)), Some(u64::MAX));
        assert_eq!(journal_generation("journal-1"), None);
        assert_eq!(journal_generation("manifest"), None);
    }
}
