//! Shared test support: a seeded random generator and a store that loads lazily, so tests are
//! deterministic and can exercise the `Missing` path on every target.

#![allow(dead_code)]

#[cfg(not(target_arch = "wasm32"))]
pub mod databases;

use std::cell::{Cell, RefCell};
use std::collections::HashSet;

use cambium::chunk::GcStats;

use cambium::chunk::{Chunk, ChunkStore, Error, Hash, Manifest, MemoryStore};

/// SplitMix64: tiny, fast, and the same sequence on every target.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// A 16-byte key whose order follows `i`.
pub fn key(i: u64) -> Vec<u8> {
    let mut k = b"k-".to_vec();
    k.extend_from_slice(&format!("{i:014}").into_bytes());
    k
}

pub fn value(i: u64, version: u64) -> Vec<u8> {
    format!("value {i} v{version}").into_bytes()
}

/// Publishes a handle's buffered chunks without moving the manifest, so other handles see them.
pub fn publish(store: &mut MemoryStore) {
    let manifest = store.manifest().expect("manifest");
    store.flush(&manifest, &manifest).expect("flush");
}

/// A store in front of a `MemoryStore` that, like an IndexedDB-backed cache, answers `Missing`
/// for chunks not loaded yet. `load` makes chunks resident; `trips` counts the loads.
pub struct ColdStore {
    pub inner: MemoryStore,
    resident: RefCell<HashSet<Hash>>,
    pub trips: Cell<usize>,
}

impl ColdStore {
    pub fn new(inner: MemoryStore) -> ColdStore {
        ColdStore { inner, resident: RefCell::new(HashSet::new()), trips: Cell::new(0) }
    }

    pub fn load(&self, hashes: &[Hash]) {
        self.trips.set(self.trips.get() + 1);
        self.resident.borrow_mut().extend(hashes.iter().copied());
    }

    /// Runs `step` until it stops answering `Missing`, loading what it asks for each time.
    pub fn drive<T, E: MissingError>(
        &self,
        mut step: impl FnMut() -> Result<T, E>,
    ) -> Result<T, E> {
        loop {
            match step() {
                Err(error) if error.missing_hashes().is_some() => {
                    let hashes = error.missing_hashes().unwrap().to_vec();
                    assert!(!hashes.is_empty(), "Missing must name chunks");
                    self.load(&hashes);
                }
                other => return other,
            }
        }
    }
}

/// Errors that can carry a `Missing` answer.
pub trait MissingError {
    fn missing_hashes(&self) -> Option<&[Hash]>;
}

impl MissingError for Error {
    fn missing_hashes(&self) -> Option<&[Hash]> {
        self.missing()
    }
}

impl MissingError for cambium::prolly::Error {
    fn missing_hashes(&self) -> Option<&[Hash]> {
        self.missing()
    }
}

impl ChunkStore for ColdStore {
    fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, Error> {
        let resident = self.resident.borrow();
        let missing: Vec<Hash> = hashes.iter().filter(|h| !resident.contains(h)).copied().collect();
        if !missing.is_empty() {
            return Err(Error::Missing(missing));
        }
        self.inner.get_many(hashes)
    }

    fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, Error> {
        self.inner.has_many(hashes)
    }

    fn put(&mut self, chunk: Chunk) -> Result<(), Error> {
        self.resident.borrow_mut().insert(chunk.hash());
        self.inner.put(chunk)
    }

    fn manifest(&self) -> Result<Manifest, Error> {
        self.inner.manifest()
    }

    fn flush(&mut self, expected: &Manifest, new: &Manifest) -> Result<(), Error> {
        self.inner.flush(expected, new)
    }

    fn collect_garbage(
        &mut self,
        expected: &Manifest,
        keep: &HashSet<Hash>,
    ) -> Result<GcStats, Error> {
        self.inner.collect_garbage(expected, keep)
    }
}
