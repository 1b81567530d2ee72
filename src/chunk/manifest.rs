//! The manifest: the one mutable record of a store, and its fixed 40-byte encoding.

use super::{Error, Hash, HASH_BYTES};

/// Bytes in an encoded manifest.
pub const MANIFEST_BYTES: usize = 40;

const MAGIC: &[u8; 4] = b"CMBM";
const FORMAT_VERSION: u8 = 1;
const FLAG_HAS_ROOT: u8 = 1;

/// The published state of a store: the hash of its root chunk (the ref map, once history exists)
/// and the epoch that fences a stale primary after failover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Manifest {
    /// The root chunk, `None` for a store nothing was ever published to.
    pub root: Option<Hash>,
    pub epoch: u64,
}

impl Manifest {
    /// The manifest of a store nothing was ever flushed to.
    pub const EMPTY: Manifest = Manifest { root: None, epoch: 0 };

    /// Encodes as `docs/format.md` specifies: magic, version, flags, two reserved bytes, epoch
    /// (u64 little-endian), root hash (zeros when absent), four reserved bytes.
    pub fn encode(&self) -> [u8; MANIFEST_BYTES] {
        let mut out = [0u8; MANIFEST_BYTES];
        out[..4].copy_from_slice(MAGIC);
        out[4] = FORMAT_VERSION;
        out[5] = if self.root.is_some() { FLAG_HAS_ROOT } else { 0 };
        out[8..16].copy_from_slice(&self.epoch.to_le_bytes());
        if let Some(root) = self.root {
            out[16..16 + HASH_BYTES].copy_from_slice(root.as_bytes());
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Manifest, Error> {
        if bytes.len() != MANIFEST_BYTES {
            return Err(Error::BadManifest("a manifest is exactly 40 bytes"));
        }
        if &bytes[..4] != MAGIC {
            return Err(Error::BadManifest("the magic bytes are not CMBM"));
        }
        if bytes[4] != FORMAT_VERSION {
            return Err(Error::BadManifest("unknown manifest format version"));
        }
        let reserved = [bytes[6], bytes[7], bytes[36], bytes[37], bytes[38], bytes[39]];
        if bytes[5] & !FLAG_HAS_ROOT != 0 || reserved != [0; 6] {
            return Err(Error::BadManifest("reserved bits are set"));
        }
        let epoch = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
        let root = Hash::from_slice(&bytes[16..]).expect("20 bytes");
        let root = if bytes[5] & FLAG_HAS_ROOT != 0 {
            if root == Hash::ZERO {
                return Err(Error::BadManifest("the flagged root hash is all zeros"));
            }
            Some(root)
        } else if root == Hash::ZERO {
            None
        } else {
            return Err(Error::BadManifest("a root hash is present but not flagged"));
        };
        Ok(Manifest { root, epoch })
    }
}
