//! Where node boundaries fall. The decision after each entry depends only on that entry's key
//! (through a 32-bit hash salted by the tree level) and the bytes accumulated since the last
//! boundary, so a tree's shape is a function of its contents alone.
//!
//! The split probability follows the hazard of a Weibull distribution of shape 2 (Rayleigh): the
//! chance that a node ends within the next entry grows linearly with the node's size. A steeper
//! shape gives more even node sizes but makes boundaries more sensitive to the bytes before them,
//! so one insert or delete would re-chunk more neighbouring nodes before the old boundaries are
//! met again; shape 2 keeps 98% of single-entry edits to one node per level (see
//! docs/benchmarks.md). Computing in integers keeps every target bit-identical (floating-point
//! `powf`/`exp` differ between libms).

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::{NODE_BYTES_MAX, NODE_BYTES_MIN};

/// The Weibull scale, in bytes. With shape 2 the mean node size is about 0.89 of it, which with
/// per-entry overshoot lands near the 4 KiB target.
pub(crate) const CHUNK_SCALE_BYTES: u64 = 4500;

/// Bytes an entry adds to a node: key, encoded value, and its two 16-bit offsets.
pub(crate) fn entry_bytes(key: &[u8], value: &[u8]) -> usize {
    key.len() + value.len() + 4
}

/// Whether a key hash falls under the growth of the cumulative hazard `(size / scale)^2` from
/// `before` to `after`: `hash / 2^32 < (after^2 - before^2) / scale^2`, compared exactly by
/// cross-multiplying. Every term fits in 64 bits (`after` stays under 2^15 and `scale^2` under
/// 2^25), so no division is needed on the hot path of every build and edit.
fn under_hazard(hash: u32, before: usize, after: usize) -> bool {
    let growth = (after * after - before * before) as u64;
    u64::from(hash) * (CHUNK_SCALE_BYTES * CHUNK_SCALE_BYTES) < growth << 32
}

/// The boundary hash of a key at a level: the low 32 bits of XXH3-64 seeded with the level.
pub(crate) fn key_hash(key: &[u8], level: u8) -> u32 {
    xxh3_64_with_seed(key, u64::from(level)) as u32
}

/// Chunking state of one level: bytes since the last boundary.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Chunker {
    level: u8,
    size: usize,
}

impl Chunker {
    pub fn new(level: u8) -> Chunker {
        Chunker { level, size: 0 }
    }

    /// Bytes since the last boundary: with the level, the whole state.
    pub fn bytes(&self) -> usize {
        self.size
    }

    /// Accounts for `bytes` of entries the caller knows hold no boundary.
    pub fn skip(&mut self, bytes: usize) {
        self.size += bytes;
        debug_assert!(self.size < NODE_BYTES_MAX);
    }

    /// Accounts for one more entry; returns true when a node boundary falls after it (and
    /// resets).
    pub fn push(&mut self, key: &[u8], entry_bytes: usize) -> bool {
        let before = self.size;
        let after = before + entry_bytes;
        let boundary = if after < NODE_BYTES_MIN {
            false
        } else if after >= NODE_BYTES_MAX {
            true
        } else {
            under_hazard(key_hash(key, self.level), before, after)
        };
        self.size = if boundary { 0 } else { after };
        boundary
    }
}
