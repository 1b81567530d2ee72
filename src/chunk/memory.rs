//! `MemoryStore`: a store held in process memory, shared by every handle made from it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{AddressMap, Chunk, ChunkStore, Error, GcStats, Hash, Manifest, CHUNK_BYTES_MAX};

/// Bytes held under a hash, and whether they are known to hash to it.
struct Stored {
    data: Arc<[u8]>,
    /// True for bytes that came in as a `Chunk`, whose hash was computed from them; false for
    /// bytes of other origin, which are verified on every read.
    trusted: bool,
}

/// The published state that every handle of one memory store shares.
#[derive(Default)]
struct Published {
    chunks: AddressMap<Stored>,
    manifest: Manifest,
}

fn lock(published: &Mutex<Published>) -> MutexGuard<'_, Published> {
    // A panic while holding the lock leaves plain maps behind, which are still consistent.
    published.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A store in memory. Each handle has its own write buffer; [`MemoryStore::handle`] opens another
/// handle onto the same published chunks and manifest, as a second tab would open the same
/// database.
#[derive(Default)]
pub struct MemoryStore {
    published: Arc<Mutex<Published>>,
    buffer: AddressMap<Chunk>,
    buffered_bytes: usize,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Another handle onto the same store, with an empty write buffer of its own.
    pub fn handle(&self) -> MemoryStore {
        MemoryStore { published: self.published.clone(), ..MemoryStore::default() }
    }

    /// Chunks and bytes waiting for the next flush.
    pub fn buffered(&self) -> (usize, usize) {
        (self.buffer.len(), self.buffered_bytes)
    }

    /// Chunks and bytes published.
    pub fn published_size(&self) -> (usize, usize) {
        let published = self.lock();
        (published.chunks.len(), published.chunks.values().map(|stored| stored.data.len()).sum())
    }

    /// Replaces the published bytes stored under `hash`, as a failing disk would. Exists so the
    /// conformance suite can check that corruption is detected; returns whether `hash` was there.
    pub fn corrupt(&self, hash: Hash, bytes: &[u8]) -> bool {
        match self.lock().chunks.get_mut(&hash) {
            Some(stored) => {
                *stored = Stored { data: bytes.into(), trusted: false };
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Published> {
        lock(&self.published)
    }
}

impl ChunkStore for MemoryStore {
    fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, Error> {
        let published = self.lock();
        hashes
            .iter()
            .map(|hash| {
                if let Some(chunk) = self.buffer.get(hash) {
                    return Ok(Some(chunk.clone()));
                }
                match published.chunks.get(hash) {
                    Some(Stored { data, trusted: true }) => {
                        Ok(Some(Chunk::trusted(*hash, data.clone())))
                    }
                    Some(Stored { data, trusted: false }) => {
                        Chunk::verified(*hash, data.clone()).map(Some)
                    }
                    None => Ok(None),
                }
            })
            .collect()
    }

    fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, Error> {
        let published = self.lock();
        Ok(hashes
            .iter()
            .map(|hash| self.buffer.contains_key(hash) || published.chunks.contains_key(hash))
            .collect())
    }

    fn put(&mut self, chunk: Chunk) -> Result<(), Error> {
        if chunk.len() > CHUNK_BYTES_MAX {
            return Err(Error::TooLarge { bytes: chunk.len(), max: CHUNK_BYTES_MAX });
        }
        let bytes = chunk.len();
        if self.buffer.insert(chunk.hash(), chunk).is_none() {
            self.buffered_bytes += bytes;
        }
        Ok(())
    }

    fn manifest(&self) -> Result<Manifest, Error> {
        Ok(self.lock().manifest)
    }

    fn flush(&mut self, expected: &Manifest, new: &Manifest) -> Result<(), Error> {
        // Borrows only the shared half, so the write buffer can be drained while it is held.
        let mut published = lock(&self.published);
        if published.manifest != *expected {
            return Err(Error::Conflict { current: published.manifest });
        }
        for (hash, chunk) in self.buffer.drain() {
            published
                .chunks
                .entry(hash)
                .or_insert_with(|| Stored { data: chunk.shared_data(), trusted: true });
        }
        published.manifest = *new;
        drop(published);
        self.buffered_bytes = 0;
        Ok(())
    }

    fn collect_garbage(
        &mut self,
        expected: &Manifest,
        keep: &HashSet<Hash>,
    ) -> Result<GcStats, Error> {
        assert!(self.buffer.is_empty(), "flush before collecting garbage");
        let mut published = self.lock();
        if published.manifest != *expected {
            return Err(Error::Conflict { current: published.manifest });
        }
        let mut stats = GcStats::default();
        published.chunks.retain(|hash, stored| {
            let kept = keep.contains(hash);
            if !kept {
                stats.removed_chunks += 1;
                stats.removed_bytes += stored.data.len() as u64;
            }
            kept
        });
        stats.kept_chunks = published.chunks.len() as u64;
        Ok(stats)
    }
}
