//! A tour of Cambium's storage engine: builds a large prolly map, edits it on two "branches",
//! diffs and merges them, and prints what happened at each step.
//!
//! `cargo run --release --example tour -- [ENTRIES]` (default 1,000,000).

use std::time::Instant;

use cambium::chunk::{ChunkStore, Manifest, MemoryStore};
use cambium::prolly::{Map, Resolution};

fn key(i: u64) -> Vec<u8> {
    format!("user:{i:010}").into_bytes()
}

fn value(i: u64, note: &str) -> Vec<u8> {
    format!("{{\"id\":{i},\"name\":\"user {i}\",\"note\":\"{note}\"}}").into_bytes()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let entries: u64 = std::env::args().nth(1).map(|n| n.parse()).transpose()?.unwrap_or(1_000_000);
    let mut store = MemoryStore::new();

    let started = Instant::now();
    let base = Map::build(&mut store, (0..entries).map(|i| (key(i), value(i, "created"))))?;
    let built = started.elapsed();
    store.flush(&Manifest::EMPTY, &Manifest { root: Some(base.root()), epoch: 0 })?;
    let stats = base.stats(&store)?;
    println!(
        "built a map of {entries} entries in {built:.2?} ({:.2} M entries/s)",
        entries as f64 / built.as_secs_f64() / 1e6
    );
    println!(
        "  root {}  depth {}  {} chunks  {:.1} MiB  mean leaf {} bytes",
        base.root(),
        stats.depth,
        stats.chunks,
        stats.bytes as f64 / (1 << 20) as f64,
        stats.leaf_bytes / stats.leaf_chunks
    );

    let mut handle = store.handle();
    let ours = base.edit(
        &mut handle,
        (0..entries).step_by(10_000).map(|i| (key(i), Some(value(i, "edited on ours")))),
    )?;
    let (chunks, bytes) = handle.buffered();
    println!(
        "ours: edited {} entries, writing {chunks} new chunks ({:.1} KiB)",
        entries.div_ceil(10_000),
        bytes as f64 / 1024.0
    );
    let theirs = base.edit(
        &mut handle,
        [
            (key(5), None),
            (key(entries), Some(value(entries, "added on theirs"))),
            (key(0), Some(value(0, "edited on theirs"))),
        ],
    )?;
    println!("theirs: deleted 1, added 1, edited 1 (the first entry, which ours edited too)");

    let started = Instant::now();
    let changes: Vec<_> = base.diff(&theirs, &handle).collect::<Result<_, _>>()?;
    println!("diff base..theirs: {} changes in {:.2?}", changes.len(), started.elapsed());
    for change in &changes {
        let show = |v: &Option<Vec<u8>>| {
            v.as_deref().map_or("∅".into(), |v| String::from_utf8_lossy(v).into_owned())
        };
        println!(
            "  {}: {} → {}",
            String::from_utf8_lossy(&change.key),
            show(&change.old),
            show(&change.new)
        );
    }

    let started = Instant::now();
    let merged = Map::merge(&base, &ours, &theirs, &mut handle, |_| Resolution::Conflict)?;
    println!(
        "merge theirs into ours: {} applied, {} conflict(s) in {:.2?}",
        merged.changes.len(),
        merged.conflicts.len(),
        started.elapsed()
    );
    for conflict in &merged.conflicts {
        println!("  conflict on {}", String::from_utf8_lossy(&conflict.key));
    }
    // Theirs deleted one entry and added one, so the merge keeps the count.
    assert_eq!(merged.map.count(&handle)?, entries);
    println!("merged map: {} entries, root {}", merged.map.count(&handle)?, merged.map.root());
    let manifest = handle.manifest()?;
    handle.flush(&manifest, &Manifest { root: Some(merged.map.root()), epoch: 0 })?;
    println!("flushed: store now holds {} chunks", store.published_size().0);
    Ok(())
}
