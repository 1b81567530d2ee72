//! The conformance suite of the storage contract. Every backend runs all of it, through
//! [`crate::store_conformance!`]: memory and files natively and under Node, IndexedDB in headless
//! Chrome. The cases are written once against the asynchronous [`Store`]; a synchronous store
//! runs them through [`super::ready`].
//!
//! A backend provides a [`Harness`] that opens handles onto one shared store and can damage a
//! stored chunk the way a failing disk would.

use std::collections::HashSet;

use super::{Durability, Store};
use crate::chunk::{Chunk, Error, GcStats, Hash, Manifest, CHUNK_BYTES_MAX};

/// What the suite needs from a backend under test.
#[allow(async_fn_in_trait)]
pub trait Harness {
    type Store: Store;
    /// A new handle onto the harness's one store, with its own empty write buffer.
    async fn open(&mut self) -> Self::Store;
    /// Overwrites the bytes stored under `hash` (which must be published) with `bytes`.
    async fn corrupt(&mut self, hash: Hash, bytes: &[u8]);
}

fn chunk(text: &str) -> Chunk {
    Chunk::new(text.as_bytes().to_vec())
}

fn manifest(root: &Chunk, epoch: u64) -> Manifest {
    Manifest { root: Some(root.hash()), epoch }
}

async fn published<S: Store>(store: &S, chunk: &Chunk) -> bool {
    store.has_many(&[chunk.hash()]).await.expect("has_many")[0]
}

/// A new store has the empty manifest and no chunks.
pub async fn empty_store<H: Harness>(harness: &mut H) {
    let store = harness.open().await;
    assert_eq!(store.manifest().await.expect("manifest"), Manifest::EMPTY);
    let absent = chunk("absent");
    assert_eq!(store.get_many(&[absent.hash()]).await.expect("get"), vec![None]);
    assert_eq!(store.has_many(&[absent.hash()]).await.expect("has"), vec![false]);
}

/// A buffered chunk is visible to its own handle at once, to others only after the flush.
pub async fn put_then_flush_publishes<H: Harness>(harness: &mut H) {
    let mut writer = harness.open().await;
    let reader = harness.open().await;
    let a = chunk("alpha");
    writer.put(a.clone()).expect("put");
    assert_eq!(writer.get(a.hash()).await.expect("own buffer"), a);
    assert!(!published(&reader, &a).await, "a buffered chunk leaked to another handle");
    writer.flush(&Manifest::EMPTY, &manifest(&a, 0), Durability::Strict).await.expect("flush");
    assert_eq!(reader.get(a.hash()).await.expect("published"), a);
    assert_eq!(reader.manifest().await.expect("manifest"), manifest(&a, 0));
}

/// Batched reads answer in the order asked, repeats and absent chunks included.
pub async fn batched_reads_keep_order<H: Harness>(harness: &mut H) {
    let mut store = harness.open().await;
    let chunks: Vec<Chunk> = (0..50).map(|i| chunk(&format!("chunk {i}"))).collect();
    for c in &chunks {
        store.put(c.clone()).expect("put");
    }
    store
        .flush(&Manifest::EMPTY, &manifest(&chunks[0], 0), Durability::Strict)
        .await
        .expect("flush");
    let absent = chunk("never stored");
    let mut asked: Vec<Hash> = chunks.iter().rev().map(Chunk::hash).collect();
    asked.insert(7, absent.hash());
    asked.push(chunks[3].hash());
    let reader = harness.open().await;
    let got = reader.get_many(&asked).await.expect("get_many");
    let has = reader.has_many(&asked).await.expect("has_many");
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
pub async fn put_is_idempotent<H: Harness>(harness: &mut H) {
    let mut first = harness.open().await;
    let mut second = harness.open().await;
    let a = chunk("same bytes");
    first.put(a.clone()).expect("put");
    first.put(a.clone()).expect("put again");
    first.flush(&Manifest::EMPTY, &manifest(&a, 1), Durability::Strict).await.expect("flush");
    second.put(a.clone()).expect("put published chunk");
    second
        .flush(&manifest(&a, 1), &manifest(&a, 2), Durability::Strict)
        .await
        .expect("flush again");
    assert_eq!(harness.open().await.get(a.hash()).await.expect("get"), a);
}

/// Reading a chunk the store never had answers `None` from `get_many` and `NotFound` from `get`.
pub async fn missing_chunk_is_reported<H: Harness>(harness: &mut H) {
    let store = harness.open().await;
    let absent = chunk("nobody wrote me");
    assert_eq!(store.get(absent.hash()).await, Err(Error::NotFound(absent.hash())));
}

/// Bytes damaged after publication are refused as corrupt, never handed out.
pub async fn corrupt_chunk_is_detected<H: Harness>(harness: &mut H) {
    let mut store = harness.open().await;
    let a = chunk("precious");
    let b = chunk("bystander");
    store.put(a.clone()).expect("put");
    store.put(b.clone()).expect("put");
    store.flush(&Manifest::EMPTY, &manifest(&a, 0), Durability::Strict).await.expect("flush");
    harness.corrupt(a.hash(), b"precioUs").await;
    let reader = harness.open().await;
    assert_eq!(reader.get(a.hash()).await, Err(Error::Corrupt(a.hash())));
    assert_eq!(reader.get_many(&[b.hash(), a.hash()]).await, Err(Error::Corrupt(a.hash())));
    assert_eq!(reader.get(b.hash()).await.expect("undamaged chunk"), b);
}

/// Of two handles that saw the same manifest, the second to flush loses: it gets `Conflict`
/// naming the current manifest, writes nothing, and can retry against the new manifest.
pub async fn lost_cas_race_writes_nothing<H: Harness>(harness: &mut H) {
    let mut winner = harness.open().await;
    let mut loser = harness.open().await;
    let base = loser.manifest().await.expect("manifest");
    let w = chunk("winner's chunk");
    let l = chunk("loser's chunk");
    winner.put(w.clone()).expect("put");
    loser.put(l.clone()).expect("put");
    winner.flush(&base, &manifest(&w, 0), Durability::Strict).await.expect("winner flushes");
    let lost = loser.flush(&base, &manifest(&l, 0), Durability::Strict).await;
    assert_eq!(lost, Err(Error::Conflict { current: manifest(&w, 0) }));
    let observer = harness.open().await;
    assert_eq!(observer.manifest().await.expect("manifest"), manifest(&w, 0));
    assert!(!published(&observer, &l).await, "a failed flush published a chunk");
    loser
        .flush(&manifest(&w, 0), &manifest(&l, 0), Durability::Strict)
        .await
        .expect("retry after the race");
    assert_eq!(observer.get(l.hash()).await.expect("published on retry"), l);
    assert_eq!(observer.manifest().await.expect("manifest"), manifest(&l, 0));
}

/// The epoch takes part in the compare-and-swap: the same root under another epoch conflicts.
pub async fn epoch_is_compared<H: Harness>(harness: &mut H) {
    let mut store = harness.open().await;
    let a = chunk("root");
    store.put(a.clone()).expect("put");
    store.flush(&Manifest::EMPTY, &manifest(&a, 5), Durability::Strict).await.expect("flush");
    let stale = store.flush(&manifest(&a, 4), &manifest(&a, 6), Durability::Strict).await;
    assert_eq!(stale, Err(Error::Conflict { current: manifest(&a, 5) }));
    store.flush(&manifest(&a, 5), &manifest(&a, 6), Durability::Strict).await.expect("fresh epoch");
}

/// A flush publishes all of its chunks and the manifest together, or (when it fails) none.
pub async fn flush_is_atomic<H: Harness>(harness: &mut H) {
    let mut writer = harness.open().await;
    let mut rival = harness.open().await;
    let batch: Vec<Chunk> = (0..200).map(|i| chunk(&format!("batch {i}"))).collect();
    for c in &batch {
        writer.put(c.clone()).expect("put");
    }
    let r = chunk("rival");
    rival.put(r.clone()).expect("put");
    rival
        .flush(&Manifest::EMPTY, &manifest(&r, 0), Durability::Strict)
        .await
        .expect("rival flushes first");
    let target = manifest(&batch[0], 0);
    assert!(matches!(
        writer.flush(&Manifest::EMPTY, &target, Durability::Strict).await,
        Err(Error::Conflict { .. })
    ));
    let observer = harness.open().await;
    let hashes: Vec<Hash> = batch.iter().map(Chunk::hash).collect();
    assert!(observer.has_many(&hashes).await.expect("has").iter().all(|has| !has));
    writer.flush(&manifest(&r, 0), &target, Durability::Strict).await.expect("flush");
    assert!(observer.has_many(&hashes).await.expect("has").iter().all(|has| *has));
    assert_eq!(observer.manifest().await.expect("manifest"), target);
}

/// A flush with an empty buffer only moves the manifest.
pub async fn manifest_only_flush<H: Harness>(harness: &mut H) {
    let mut store = harness.open().await;
    let a = chunk("a");
    store.put(a.clone()).expect("put");
    store.flush(&Manifest::EMPTY, &manifest(&a, 0), Durability::Strict).await.expect("flush");
    store
        .flush(&manifest(&a, 0), &Manifest::EMPTY, Durability::Strict)
        .await
        .expect("manifest-only flush");
    assert_eq!(harness.open().await.manifest().await.expect("manifest"), Manifest::EMPTY);
    assert_eq!(harness.open().await.get(a.hash()).await.expect("chunks stay"), a);
}

/// A chunk over the size limit is refused at `put` and nothing is buffered.
pub async fn oversized_chunk_is_refused<H: Harness>(harness: &mut H) {
    let mut store = harness.open().await;
    let big = Chunk::new(vec![7u8; CHUNK_BYTES_MAX + 1]);
    assert_eq!(
        store.put(big.clone()),
        Err(Error::TooLarge { bytes: CHUNK_BYTES_MAX + 1, max: CHUNK_BYTES_MAX })
    );
    assert_eq!(store.has_many(&[big.hash()]).await.expect("has"), vec![false]);
}

/// A relaxed flush publishes like a strict one: the modes differ only in when the disk confirms.
pub async fn relaxed_flush_publishes<H: Harness>(harness: &mut H) {
    let mut writer = harness.open().await;
    let batch: Vec<Chunk> = (0..30).map(|i| chunk(&format!("bulk {i}"))).collect();
    for c in &batch {
        writer.put(c.clone()).expect("put");
    }
    let target = manifest(&batch[0], 0);
    writer.flush(&Manifest::EMPTY, &target, Durability::Relaxed).await.expect("relaxed flush");
    let reader = harness.open().await;
    assert_eq!(reader.manifest().await.expect("manifest"), target);
    let hashes: Vec<Hash> = batch.iter().map(Chunk::hash).collect();
    let got = reader.get_many(&hashes).await.expect("get_many");
    assert_eq!(got.into_iter().map(|c| c.expect("published")).collect::<Vec<_>>(), batch);
}

/// Garbage collection removes exactly the chunks not kept, and refuses to run against a
/// manifest that moved (its keep set could miss chunks published meanwhile).
pub async fn garbage_collection_keeps_only_what_is_kept<H: Harness>(harness: &mut H) {
    let mut store = harness.open().await;
    let chunks: Vec<Chunk> = (0..20).map(|i| chunk(&format!("gc {i}"))).collect();
    for c in &chunks {
        store.put(c.clone()).expect("put");
    }
    let published = manifest(&chunks[0], 0);
    store.flush(&Manifest::EMPTY, &published, Durability::Strict).await.expect("flush");
    let keep: HashSet<Hash> = chunks.iter().step_by(2).map(Chunk::hash).collect();
    let mut rival = harness.open().await;
    rival
        .flush(&published, &manifest(&chunks[2], 0), Durability::Strict)
        .await
        .expect("rival moves the manifest");
    let stale = store.collect_garbage(&published, &keep).await;
    assert_eq!(stale, Err(Error::Conflict { current: manifest(&chunks[2], 0) }));
    assert!(store
        .has_many(&chunks.iter().map(Chunk::hash).collect::<Vec<_>>())
        .await
        .expect("has")
        .iter()
        .all(|h| *h));
    let stats = store.collect_garbage(&manifest(&chunks[2], 0), &keep).await.expect("gc");
    let removed_bytes: u64 = chunks.iter().skip(1).step_by(2).map(|c| c.len() as u64).sum();
    assert_eq!(stats, GcStats { removed_chunks: 10, removed_bytes, kept_chunks: 10 });
    let reader = harness.open().await;
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(reader.has_many(&[c.hash()]).await.expect("has")[0], i % 2 == 0, "chunk {i}");
    }
}

/// Generates one test per conformance case for the harness that `$make` builds. With a
/// synchronous store each test runs the case to completion at once; `async` makes each test an
/// async test for stores that wait on the browser (the test attribute in scope must accept
/// async functions, as `wasm_bindgen_test` does).
#[macro_export]
macro_rules! store_conformance {
    (async $make:expr) => {
        $crate::store_conformance!(@cases [async] $make; @all);
    };
    ($make:expr) => {
        $crate::store_conformance!(@cases [] $make; @all);
    };
    (@cases [$($mode:ident)?] $make:expr; @all) => {
        $crate::store_conformance!(@cases [$($mode)?] $make;
            empty_store, put_then_flush_publishes, batched_reads_keep_order, put_is_idempotent,
            missing_chunk_is_reported, corrupt_chunk_is_detected, lost_cas_race_writes_nothing,
            epoch_is_compared, flush_is_atomic, manifest_only_flush, oversized_chunk_is_refused,
            relaxed_flush_publishes, garbage_collection_keeps_only_what_is_kept);
    };
    (@cases [] $make:expr; $($case:ident),*) => {
        $(
            #[test]
            fn $case() {
                let mut harness = $make;
                $crate::db::ready($crate::db::conformance::$case(&mut harness));
            }
        )*
    };
    (@cases [async] $make:expr; $($case:ident),*) => {
        $(
            #[test]
            async fn $case() {
                let mut harness = $make;
                $crate::db::conformance::$case(&mut harness).await;
            }
        )*
    };
}
