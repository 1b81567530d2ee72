//! The synchronous face the core runs on, in front of a [`Store`](super::Store) that may wait.
//!
//! Reads answer from the chunks loaded so far and report everything else as
//! [`Error::Missing`], which the database loads in one batch before running the statement again;
//! in front of a store that answers at once (memory, files) they read it directly instead, so
//! a scan of a cold table runs once rather than once per batch of readahead.
//! Flushes are accepted tentatively against the manifest the cache holds and handed to the
//! database afterwards as one [`Pending`] write, which it publishes in one store transaction; if
//! the store's manifest moved meanwhile the database rewinds the cache to a [`Mark`] and runs
//! the statement again on the newer state. Nothing here waits; reading through a store that
//! answers at once is the only IO it does.

use std::cell::{Cell, RefCell};
use std::collections::{HashSet, VecDeque};

use crate::chunk::{
    AddressMap, AddressSet, Chunk, ChunkBuffer, ChunkStore, Error, GcStats, Hash, Manifest,
    CHUNK_BYTES_MAX,
};

/// Loaded chunks kept by default before the oldest are dropped (they can be loaded again).
pub const CACHE_BYTES_MAX_DEFAULT: usize = 64 << 20;

/// What the statements since the last hand-over asked the store to publish.
#[derive(Debug)]
pub struct Pending {
    /// The manifest the first tentative flush expected: the store must still hold it.
    pub expected: Manifest,
    /// The manifest the last tentative flush set.
    pub new: Manifest,
    /// Every chunk put since the last hand-over, in the order put.
    pub chunks: Vec<Chunk>,
    /// A garbage collection to run once the flush is published: it keeps these chunks, and
    /// expects the manifest to be `new`.
    pub collect: Option<HashSet<Hash>>,
    /// How many leading `chunks` the store already has from writes ahead of this flush.
    pub written_ahead: usize,
}

/// The cache's state before a statement, to rewind to when the statement must run again.
#[derive(Clone, Copy, Debug)]
pub struct Mark {
    manifest: Manifest,
    pending_from: Option<Manifest>,
    buffered: usize,
    collect: bool,
}

/// Chunks loaded from a store, chunks put but not yet handed over, and the manifest as the
/// core sees it. See the module documentation.
pub struct Cache {
    loaded: AddressMap<Chunk>,
    /// Loaded chunks oldest first, for eviction.
    order: VecDeque<Hash>,
    loaded_bytes: usize,
    loaded_bytes_max: usize,
    /// Chunks the store answered it does not have.
    absent: AddressSet,
    manifest: Manifest,
    /// The manifest the first tentative flush since the last hand-over expected.
    pending_from: Option<Manifest>,
    buffer: ChunkBuffer,
    collect: Option<HashSet<Hash>>,
    /// How many leading chunks of `buffer` were handed to writes ahead of the flush.
    written_ahead: usize,
    /// A store that answers at once (memory, files), read from directly instead of answering
    /// `Missing`: a statement on such a store never runs twice to load what it reads.
    source: Option<Box<dyn ChunkStore>>,
    /// Chunks read from `source` during the statement under way, kept with the loaded ones
    /// once it is over (reads take `&self`), and their bytes.
    read_through: RefCell<AddressMap<Option<Chunk>>>,
    read_through_bytes: Cell<usize>,
}

impl Cache {
    /// An empty cache on a store whose manifest is `manifest`.
    pub fn new(manifest: Manifest, loaded_bytes_max: usize) -> Cache {
        Cache {
            loaded: AddressMap::default(),
            order: VecDeque::new(),
            loaded_bytes: 0,
            loaded_bytes_max,
            absent: AddressSet::default(),
            manifest,
            pending_from: None,
            buffer: ChunkBuffer::default(),
            collect: None,
            written_ahead: 0,
            source: None,
            read_through: RefCell::default(),
            read_through_bytes: Cell::new(0),
        }
    }

    /// Reads what is not loaded from `source`, a store that answers at once, instead of
    /// answering `Missing` (see the module documentation).
    pub fn read_through(&mut self, source: Box<dyn ChunkStore>) {
        self.source = Some(source);
    }

    /// Keeps the chunks read through during the statement with the loaded ones.
    fn settle_read_through(&mut self) {
        let read = std::mem::take(self.read_through.get_mut());
        self.read_through_bytes.set(0);
        for (hash, chunk) in read {
            match chunk {
                Some(chunk) => self.keep(chunk),
                None => {
                    self.absent.insert(hash);
                }
            }
        }
    }

    /// Reads from `source` what is neither loaded nor read through already, or answers
    /// `Missing` without one. What it read is kept for the cache while the statement's reads
    /// stay within the cache's budget, and only handed back past it: a scan larger than the
    /// budget would otherwise hold all of its table in memory until it ends.
    fn read_unknown(&self, hashes: &[Hash]) -> Result<Vec<(Hash, Option<Chunk>)>, Error> {
        let unknown: Vec<Hash> = {
            let read = self.read_through.borrow();
            self.unknown(hashes).into_iter().filter(|h| !read.contains_key(h)).collect()
        };
        if unknown.is_empty() {
            return Ok(Vec::new());
        }
        let Some(source) = &self.source else { return Err(Error::Missing(unknown)) };
        let chunks = source.get_many(&unknown)?;
        let read: Vec<(Hash, Option<Chunk>)> = unknown.into_iter().zip(chunks).collect();
        let bytes: usize = read.iter().flat_map(|(_, chunk)| chunk).map(Chunk::len).sum();
        let kept = self.read_through_bytes.get();
        if self.loaded_bytes + kept + bytes <= self.loaded_bytes_max {
            self.read_through_bytes.set(kept + bytes);
            self.read_through.borrow_mut().extend(read.iter().cloned());
        }
        Ok(read)
    }

    /// Keeps chunks read from the store (already verified by it) and records the hashes it
    /// answered it does not have.
    pub fn load(&mut self, hashes: &[Hash], chunks: Vec<Option<Chunk>>) {
        assert_eq!(hashes.len(), chunks.len(), "a store answers every hash asked");
        for (hash, chunk) in hashes.iter().zip(chunks) {
            match chunk {
                Some(chunk) => self.keep(chunk),
                None => {
                    self.absent.insert(*hash);
                }
            }
        }
    }

    fn keep(&mut self, chunk: Chunk) {
        self.absent.remove(&chunk.hash());
        let (hash, bytes) = (chunk.hash(), chunk.len());
        if self.loaded.insert(hash, chunk).is_none() {
            self.order.push_back(hash);
            self.loaded_bytes += bytes;
        }
    }

    /// Drops the oldest loaded chunks until the cache is within its budget. Called between
    /// statements only, so a statement that needs more than the budget still makes progress.
    pub fn evict(&mut self) {
        self.settle_read_through();
        while self.loaded_bytes > self.loaded_bytes_max {
            let Some(hash) = self.order.pop_front() else { break };
            if let Some(chunk) = self.loaded.remove(&hash) {
                self.loaded_bytes -= chunk.len();
            }
        }
    }

    /// The manifest as the core sees it (including tentative flushes).
    pub fn manifest(&self) -> Manifest {
        self.manifest
    }

    /// Adopts the store's current manifest. Only between hand-overs: a pending write must be
    /// published or rewound first.
    pub fn refresh(&mut self, manifest: Manifest) {
        assert!(self.pending_from.is_none(), "refreshing over a pending write");
        if manifest != self.manifest {
            // What the store lacked may have been published since.
            self.absent.clear();
            self.manifest = manifest;
        }
    }

    /// Forgets which chunks the store lacked: chunks were written to it without a new manifest
    /// (a fetch copies them before it moves any ref).
    pub fn chunks_arrived(&mut self) {
        self.absent.clear();
    }

    /// The state to rewind to if the next statement must run again.
    pub fn mark(&self) -> Mark {
        Mark {
            manifest: self.manifest,
            pending_from: self.pending_from,
            buffered: self.buffer.len(),
            collect: self.collect.is_some(),
        }
    }

    /// Forgets everything since `mark` was taken: tentative flushes and the chunks put.
    pub fn rewind(&mut self, mark: Mark) {
        self.manifest = mark.manifest;
        self.pending_from = mark.pending_from;
        self.buffer.truncate(mark.buffered);
        self.written_ahead = self.written_ahead.min(self.buffer.len());
        if !mark.collect {
            self.collect = None;
        }
    }

    /// Takes the write the statements since the last hand-over made, if any. The chunks stay
    /// readable; the caller reports the outcome with [`Cache::published`] or
    /// [`Cache::rejected`].
    pub fn pending(&self) -> Option<Pending> {
        let expected = self.pending_from?;
        Some(Pending {
            expected,
            new: self.manifest,
            chunks: self.buffer.chunks().to_vec(),
            collect: self.collect.clone(),
            written_ahead: self.written_ahead,
        })
    }

    /// Whether the statements since the last hand-over asked to publish anything.
    pub fn has_pending(&self) -> bool {
        self.pending_from.is_some()
    }

    /// The chunks put since the last hand-over and not yet written ahead, when no flush is
    /// pending and they come to at least `bytes_min`: a bulk load's finished nodes, which the
    /// database may write while the load goes on.
    pub fn to_write_ahead(&self, bytes_min: usize) -> Option<&[Chunk]> {
        if self.pending_from.is_some() {
            return None;
        }
        let chunks = &self.buffer.chunks()[self.written_ahead..];
        (chunks.iter().map(Chunk::len).sum::<usize>() >= bytes_min).then_some(chunks)
    }

    /// The chunks [`Cache::to_write_ahead`] answered are being written: the flush that
    /// publishes them need not write them again.
    pub fn wrote_ahead(&mut self) {
        self.written_ahead = self.buffer.len();
    }

    /// A write ahead failed: the flush writes every chunk again.
    pub fn forget_written_ahead(&mut self) {
        self.written_ahead = 0;
    }

    /// Drops the chunks put since the last hand-over, when nothing is pending: with no
    /// transaction open nothing will publish them (a rolled-back load's prebuilt nodes).
    pub fn discard_unpublished(&mut self) {
        if self.pending_from.is_none() {
            self.buffer.clear();
            self.written_ahead = 0;
        }
    }

    /// The pending write is in the store: its chunks become ordinary loaded chunks.
    pub fn published(&mut self) {
        self.pending_from = None;
        self.collect = None;
        self.written_ahead = 0;
        for chunk in self.buffer.take() {
            self.keep(chunk);
        }
    }

    /// The pending write failed: rewind to `mark` (taken before the statement that is to run
    /// again) and adopt `current`, the store's manifest now.
    pub fn rejected(&mut self, mark: Mark, current: Manifest) {
        self.rewind(mark);
        if self.pending_from.is_none() {
            self.refresh(current);
        }
    }

    fn lookup(&self, hash: &Hash) -> Option<&Chunk> {
        self.buffer.get(hash).or_else(|| self.loaded.get(hash))
    }

    /// The asked hashes that are neither loaded nor known absent, without repeats.
    fn unknown(&self, hashes: &[Hash]) -> Vec<Hash> {
        let mut seen = AddressSet::default();
        hashes
            .iter()
            .filter(|h| self.lookup(h).is_none() && !self.absent.contains(*h) && seen.insert(**h))
            .copied()
            .collect()
    }
}

impl ChunkStore for Cache {
    fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, Error> {
        let just_read = self.read_unknown(hashes)?;
        let kept = self.read_through.borrow();
        Ok(hashes
            .iter()
            .map(|h| {
                self.lookup(h).cloned().or_else(|| match kept.get(h) {
                    Some(chunk) => chunk.clone(),
                    None => just_read.iter().find(|(hash, _)| hash == h)?.1.clone(),
                })
            })
            .collect())
    }

    fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, Error> {
        let just_read = self.read_unknown(hashes)?;
        let kept = self.read_through.borrow();
        Ok(hashes
            .iter()
            .map(|h| {
                self.lookup(h).is_some()
                    || match kept.get(h) {
                        Some(chunk) => chunk.is_some(),
                        None => just_read.iter().any(|(hash, chunk)| hash == h && chunk.is_some()),
                    }
            })
            .collect())
    }

    fn put(&mut self, chunk: Chunk) -> Result<(), Error> {
        if chunk.len() > CHUNK_BYTES_MAX {
            return Err(Error::TooLarge { bytes: chunk.len(), max: CHUNK_BYTES_MAX });
        }
        // Buffered even when loaded: only the store, when the write is published, knows
        // whether it still has the chunk (a collection elsewhere may have removed it).
        self.buffer.insert(chunk);
        Ok(())
    }

    fn manifest(&self) -> Result<Manifest, Error> {
        Ok(self.manifest)
    }

    fn flush(&mut self, expected: &Manifest, new: &Manifest) -> Result<(), Error> {
        if *expected != self.manifest {
            return Err(Error::Conflict { current: self.manifest });
        }
        self.pending_from.get_or_insert(self.manifest);
        self.manifest = *new;
        Ok(())
    }

    /// Records the collection for the database to run after publishing; the figures it
    /// returns are zero because nothing has been removed yet.
    fn collect_garbage(
        &mut self,
        expected: &Manifest,
        keep: &HashSet<Hash>,
    ) -> Result<GcStats, Error> {
        if *expected != self.manifest {
            return Err(Error::Conflict { current: self.manifest });
        }
        self.collect = Some(keep.clone());
        Ok(GcStats::default())
    }
}
