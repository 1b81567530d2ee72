//! The conformance suite of the storage contract. Every backend runs all of it, through
//! [`crate::chunk_store_conformance!`], natively and (for web backends) in headless Chrome.
//!
//! A backend provides a [`Harness`] that opens handles onto one shared store and can damage a
//! stored chunk the way a failing disk would.

use std::collections::HashSet;

use super::{Chunk, ChunkStore, Error, GcStats, Hash, Manifest, CHUNK_BYTES_MAX};

/// What the suite needs from a backend under test.
pub trait Harness {
    type Store: ChunkStore;
    /// A new handle onto the harness's one store, with its own empty write buffer.
    fn open(&mut self) -> Self::Store;
    /// Overwrites the bytes stored under `hash` (which must be published) with `bytes`.
    fn corrupt(&mut self, hash: Hash, bytes: &[u8]);
}

fn chunk(text: &str) -> Chunk {
    Chunk::new(text.as_bytes().to_vec())
}

fn manifest(root: &Chunk, epoch: u64) -> Manifest {
    Manifest { root: Some(root.hash()), epoch }
}

fn published<S: ChunkStore>(store: &S, chunk: &Chunk) -> bool {
    store.has_many(&[chunk.hash()]).expect("has_many")[0]
}

/// A new store has the empty manifest and no chunks.
pub fn empty_store<H: Harness>(harness: &mut H) {
    let store = harness.open();
    assert_eq!(store.manifest().expect("manifest"), Manifest::EMPTY);
    let absent = chunk("absent");
    assert_eq!(store.get_many(&[absent.hash()]).expect("get"), vec![None]);
    assert_eq!(store.has_many(&[absent.hash()]).expect("has"), vec![false]);
}

/// A buffered chunk is visible to its own handle at once, to others only after the flush.
pub fn put_then_flush_publishes<H: Harness>(harness: &mut H) {
    let mut writer = harness.open();
    let reader = harness.open();
    let a = chunk("alpha");
    writer.put(a.clone()).expect("put");
    assert_eq!(writer.get(a.hash()).expect("own buffer"), a);
    assert!(!published(&reader, &a), "a buffered chunk leaked to another handle");
    writer.flush(&Manifest::EMPTY, &manifest(&a, 0)).expect("flush");
    assert_eq!(reader.get(a.hash()).expect("published"), a);
    assert_eq!(reader.manifest().expect("manifest"), manifest(&a, 0));
}

/// Batched reads answer in the order asked, repeats and absent chunks included.
pub fn batched_reads_keep_order<H: Harness>(harness: &mut H) {
    let mut store = harness.open();
    let chunks: Vec<Chunk> = (0..50).map(|i| chunk(&format!("chunk {i}"))).collect();
    for c in &chunks {
        store.put(c.clone()).expect("put");
    }
    store.flush(&Manifest::EMPTY, &manifest(&chunks[0], 0)).expect("flush");
    let absent = chunk("never stored");
    let mut asked: Vec<Hash> = chunks.iter().rev().map(Chunk::hash).collect();
    asked.insert(7, absent.hash());
    asked.push(chunks[3].hash());
    let reader = harness.open();
    let got = reader.get_many(&asked).expect("get_many");
    let has = reader.has_many(&asked).expect("has_many");
    assert_eq!(got.len(), asked.len());
    for ((hash, got), has) in asked.iter().zip(&got).zip(&has) {
        match got {
            Some(c) => {
                assert_eq!(c.hash(), *hash);
                assert!(has);
            }
            None => {
                assert_eq!(*hash, absent.hash());
                assert!(!has);
            }
        }
    }
}

/// Putting the same chunk twice, in one buffer or from two handles, is harmless.
pub fn put_is_idempotent<H: Harness>(harness: &mut H) {
    let mut first = harness.open();
    let mut second = harness.open();
    let a = chunk("same bytes");
    first.put(a.clone()).expect("put");
    first.put(a.clone()).expect("put again");
    first.flush(&Manifest::EMPTY, &manifest(&a, 1)).expect("flush");
    second.put(a.clone()).expect("put published chunk");
    second.flush(&manifest(&a, 1), &manifest(&a, 2)).expect("flush again");
    assert_eq!(harness.open().get(a.hash()).expect("get"), a);
}

/// Reading a chunk the store never had answers `None` from `get_many` and `NotFound` from `get`.
pub fn missing_chunk_is_reported<H: Harness>(harness: &mut H) {
    let store = harness.open();
    let absent = chunk("nobody wrote me");
    assert_eq!(store.get(absent.hash()), Err(Error::NotFound(absent.hash())));
}

/// Bytes damaged after publication are refused as corrupt, never handed out.
pub fn corrupt_chunk_is_detected<H: Harness>(harness: &mut H) {
    let mut store = harness.open();
    let a = chunk("precious");
    let b = chunk("bystander");
    store.put(a.clone()).expect("put");
    store.put(b.clone()).expect("put");
    store.flush(&Manifest::EMPTY, &manifest(&a, 0)).expect("flush");
    harness.corrupt(a.hash(), b"precioUs");
    let reader = harness.open();
    assert_eq!(reader.get(a.hash()), Err(Error::Corrupt(a.hash())));
    assert_eq!(reader.get_many(&[b.hash(), a.hash()]), Err(Error::Corrupt(a.hash())));
    assert_eq!(reader.get(b.hash()).expect("undamaged chunk"), b);
}

/// Of two handles that saw the same manifest, the second to flush loses: it gets `Conflict`
/// naming the current manifest, writes nothing, and can retry against the new manifest.
pub fn lost_cas_race_writes_nothing<H: Harness>(harness: &mut H) {
    let mut winner = harness.open();
    let mut loser = harness.open();
    let base = loser.manifest().expect("manifest");
    let w = chunk("winner's chunk");
    let l = chunk("loser's chunk");
    winner.put(w.clone()).expect("put");
    loser.put(l.clone()).expect("put");
    winner.flush(&base, &manifest(&w, 0)).expect("winner flushes");
    let lost = loser.flush(&base, &manifest(&l, 0));
    assert_eq!(lost, Err(Error::Conflict { current: manifest(&w, 0) }));
    let observer = harness.open();
    assert_eq!(observer.manifest().expect("manifest"), manifest(&w, 0));
    assert!(!published(&observer, &l), "a failed flush published a chunk");
    loser.flush(&manifest(&w, 0), &manifest(&l, 0)).expect("retry after the race");
    assert_eq!(observer.get(l.hash()).expect("published on retry"), l);
    assert_eq!(observer.manifest().expect("manifest"), manifest(&l, 0));
}

/// The epoch takes part in the compare-and-swap: the same root under another epoch conflicts.
pub fn epoch_is_compared<H: Harness>(harness: &mut H) {
    let mut store = harness.open();
    let a = chunk("root");
    store.put(a.clone()).expect("put");
    store.flush(&Manifest::EMPTY, &manifest(&a, 5)).expect("flush");
    let stale = store.flush(&manifest(&a, 4), &manifest(&a, 6));
    assert_eq!(stale, Err(Error::Conflict { current: manifest(&a, 5) }));
    store.flush(&manifest(&a, 5), &manifest(&a, 6)).expect("fresh epoch");
}

/// A flush publishes all of its chunks and the manifest together, or (when it fails) none.
pub fn flush_is_atomic<H: Harness>(harness: &mut H) {
    let mut writer = harness.open();
    let mut rival = harness.open();
    let batch: Vec<Chunk> = (0..200).map(|i| chunk(&format!("batch {i}"))).collect();
    for c in &batch {
        writer.put(c.clone()).expect("put");
    }
    let r = chunk("rival");
    rival.put(r.clone()).expect("put");
    rival.flush(&Manifest::EMPTY, &manifest(&r, 0)).expect("rival flushes first");
    let target = manifest(&batch[0], 0);
    assert!(matches!(writer.flush(&Manifest::EMPTY, &target), Err(Error::Conflict { .. })));
    let observer = harness.open();
    let hashes: Vec<Hash> = batch.iter().map(Chunk::hash).collect();
    assert!(observer.has_many(&hashes).expect("has").iter().all(|has| !has));
    writer.flush(&manifest(&r, 0), &target).expect("flush");
    assert!(observer.has_many(&hashes).expect("has").iter().all(|has| *has));
    assert_eq!(observer.manifest().expect("manifest"), target);
}

/// A flush with an empty buffer only moves the manifest.
pub fn manifest_only_flush<H: Harness>(harness: &mut H) {
    let mut store = harness.open();
    let a = chunk("a");
    store.put(a.clone()).expect("put");
    store.flush(&Manifest::EMPTY, &manifest(&a, 0)).expect("flush");
    store.flush(&manifest(&a, 0), &Manifest::EMPTY).expect("manifest-only flush");
    assert_eq!(harness.open().manifest().expect("manifest"), Manifest::EMPTY);
    assert_eq!(harness.open().get(a.hash()).expect("chunks stay"), a);
}

/// A chunk over the size limit is refused at `put` and nothing is buffered.
pub fn oversized_chunk_is_refused<H: Harness>(harness: &mut H) {
    let mut store = harness.open();
    let big = Chunk::new(vec![7u8; CHUNK_BYTES_MAX + 1]);
    assert_eq!(
        store.put(big.clone()),
        Err(Error::TooLarge { bytes: CHUNK_BYTES_MAX + 1, max: CHUNK_BYTES_MAX })
    );
    assert_eq!(store.has_many(&[big.hash()]).expect("has"), vec![false]);
}

/// Garbage collection removes exactly the chunks not kept, and refuses to run against a
/// manifest that moved (its keep set could miss chunks published meanwhile).
pub fn garbage_collection_keeps_only_what_is_kept<H: Harness>(harness: &mut H) {
    let mut store = harness.open();
    let chunks: Vec<Chunk> = (0..20).map(|i| chunk(&format!("gc {i}"))).collect();
    for c in &chunks {
        store.put(c.clone()).expect("put");
    }
    let published = manifest(&chunks[0], 0);
    store.flush(&Manifest::EMPTY, &published).expect("flush");
    let keep: HashSet<Hash> = chunks.iter().step_by(2).map(Chunk::hash).collect();
    let mut rival = harness.open();
    rival.flush(&published, &manifest(&chunks[2], 0)).expect("rival moves the manifest");
    let stale = store.collect_garbage(&published, &keep);
    assert_eq!(stale, Err(Error::Conflict { current: manifest(&chunks[2], 0) }));
    assert!(store
        .has_many(&chunks.iter().map(Chunk::hash).collect::<Vec<_>>())
        .expect("has")
        .iter()
        .all(|h| *h));
    let stats = store.collect_garbage(&manifest(&chunks[2], 0), &keep).expect("gc");
    let removed_bytes: u64 = chunks.iter().skip(1).step_by(2).map(|c| c.len() as u64).sum();
    assert_eq!(stats, GcStats { removed_chunks: 10, removed_bytes, kept_chunks: 10 });
    let reader = harness.open();
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(reader.has_many(&[c.hash()]).expect("has")[0], i % 2 == 0, "chunk {i}");
    }
}

/// Generates one test per conformance case for the harness that `$make` builds.
#[macro_export]
macro_rules! chunk_store_conformance {
    ($make:expr) => {
        $crate::chunk_store_conformance!(@cases $make;
            empty_store, put_then_flush_publishes, batched_reads_keep_order, put_is_idempotent,
            missing_chunk_is_reported, corrupt_chunk_is_detected, lost_cas_race_writes_nothing,
            epoch_is_compared, flush_is_atomic, manifest_only_flush, oversized_chunk_is_refused,
            garbage_collection_keeps_only_what_is_kept);
    };
    (@cases $make:expr; $($case:ident),*) => {
        $(
            #[test]
            fn $case() {
                let mut harness = $make;
                $crate::chunk::conformance::$case(&mut harness);
            }
        )*
    };
}
