//! `Chunk` and the `ChunkStore` contract.

use std::collections::HashSet;
use std::sync::Arc;

use super::{Error, Hash, Manifest};

/// The largest chunk any store accepts. Prolly nodes stay far below it; the limit exists so a
/// hostile peer cannot make a store buffer unbounded bytes for one address.
pub const CHUNK_BYTES_MAX: usize = 1 << 20;

/// Immutable bytes together with their hash. Cloning is cheap (the bytes are shared).
#[derive(Clone, PartialEq, Eq)]
pub struct Chunk {
    hash: Hash,
    data: Arc<[u8]>,
}

impl Chunk {
    /// Makes a chunk of `data`, computing its hash.
    pub fn new(data: impl Into<Arc<[u8]>>) -> Chunk {
        let data = data.into();
        Chunk { hash: Hash::of(&data), data }
    }

    /// Accepts bytes received from outside (disk, network, backup) as the chunk `hash` only if
    /// they hash to it, so nothing unverified is ever used.
    pub fn verified(hash: Hash, data: impl Into<Arc<[u8]>>) -> Result<Chunk, Error> {
        let data = data.into();
        if Hash::of(&data) != hash {
            return Err(Error::Corrupt(hash));
        }
        Ok(Chunk { hash, data })
    }

    /// Pairs bytes with a hash already computed from exactly those bytes (by [`Chunk::new`] or
    /// [`Chunk::verified`]) while they stayed in this process's memory.
    pub(crate) fn trusted(hash: Hash, data: Arc<[u8]>) -> Chunk {
        Chunk { hash, data }
    }

    pub fn hash(&self) -> Hash {
        self.hash
    }

    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The shared bytes, for stores that keep them without copying.
    pub fn shared_data(&self) -> Arc<[u8]> {
        self.data.clone()
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

impl std::fmt::Debug for Chunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Chunk({:?}, {} bytes)", self.hash, self.data.len())
    }
}

/// What a garbage collection removed and kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcStats {
    pub removed_chunks: u64,
    pub removed_bytes: u64,
    pub kept_chunks: u64,
}

/// The storage contract. Every backend implements it and passes [`super::conformance`].
///
/// Reads are batched. Writes are buffered by `put` and become visible to other handles only when
/// `flush` publishes them together with a new manifest, atomically. A handle always sees its own
/// buffered chunks.
pub trait ChunkStore {
    /// Fetches chunks in the order asked; `None` for a chunk the store does not have.
    ///
    /// Stores that load asynchronously return [`Error::Missing`] naming every requested chunk that
    /// is not resident yet; a store whose bytes no longer match their hash returns
    /// [`Error::Corrupt`].
    fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, Error>;

    /// Whether the store has each chunk, in the order asked (buffered chunks count).
    fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, Error>;

    /// Buffers a chunk for the next flush. Putting a chunk the store already has is harmless.
    fn put(&mut self, chunk: Chunk) -> Result<(), Error>;

    /// The manifest as last published.
    fn manifest(&self) -> Result<Manifest, Error>;

    /// Writes every buffered chunk and replaces the manifest with `new`, atomically, if and only
    /// if the published manifest still equals `expected`. Otherwise fails with
    /// [`Error::Conflict`] and writes nothing; the buffer is kept so the caller can retry.
    fn flush(&mut self, expected: &Manifest, new: &Manifest) -> Result<(), Error>;

    /// Removes every published chunk not in `keep`, if the manifest still equals `expected`
    /// (otherwise [`Error::Conflict`] and nothing is removed: chunks published since `keep` was
    /// computed may be missing from it). The write buffer must be empty.
    fn collect_garbage(
        &mut self,
        expected: &Manifest,
        keep: &HashSet<Hash>,
    ) -> Result<GcStats, Error>;

    /// Fetches one chunk that must exist.
    fn get(&self, hash: Hash) -> Result<Chunk, Error> {
        match self.get_many(&[hash])?.pop().flatten() {
            Some(chunk) => Ok(chunk),
            None => Err(Error::NotFound(hash)),
        }
    }
}
