//! Benchmark workloads for the prolly layer, shared by the native bench program
//! (`benches/prolly.rs`) and the wasm build run under Node (`benches/prolly-wasm.mjs`), so both
//! measure exactly the same work. The caller hands in the clock; nothing here reads one.

use crate::chunk::{ChunkStore, Hash, Manifest, MemoryStore};
use crate::prolly::Map;

/// One measured figure: the median of several runs and the spread around it.
#[derive(Clone, Debug)]
pub struct Figure {
    pub name: String,
    pub unit: &'static str,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub runs: usize,
}

impl Figure {
    fn of(name: impl Into<String>, unit: &'static str, mut samples: Vec<f64>) -> Figure {
        assert!(!samples.is_empty(), "a figure needs at least one sample");
        samples.sort_by(f64::total_cmp);
        Figure {
            name: name.into(),
            unit,
            median: samples[samples.len() / 2],
            min: samples[0],
            max: samples[samples.len() - 1],
            runs: samples.len(),
        }
    }

    /// One line of JSON, so the wasm figures can cross the JS boundary without serde.
    pub fn to_json(&self) -> String {
        format!(
            r#"{{"name":"{}","unit":"{}","median":{},"min":{},"max":{},"runs":{}}}"#,
            self.name, self.unit, self.median, self.min, self.max, self.runs
        )
    }
}

/// Sizes of the suite; `full` is what docs/benchmarks.md reports.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub entries: u64,
    pub repeats: usize,
    pub diff_sizes: &'static [u64],
    pub edits: usize,
}

impl Scale {
    pub const FULL: Scale = Scale {
        entries: 1_000_000,
        repeats: 5,
        diff_sizes: &[10_000, 100_000, 1_000_000],
        edits: 1000,
    };
    pub const SMOKE: Scale = Scale {
        entries: 20_000,
        repeats: 2,
        diff_sizes: &[1_000, 20_000],
        edits: 50,
    };
}

/// 16-byte keys in ascending order of `i`.
fn key(i: u64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(b"bench-k:");
    key[8..].copy_from_slice(&i.to_be_bytes());
    key
}

/// 32-byte values derived from `i` and a version.
fn value(i: u64, version: u64) -> [u8; 32] {
    let mut value = [0u8; 32];
    for (n, part) in value.chunks_mut(8).enumerate() {
        part.copy_from_slice(
            &(i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ version ^ n as u64).to_le_bytes(),
        );
    }
    value
}

/// A small deterministic generator, so every run edits the same keys.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 16) % n
    }
}

fn build(entries: u64) -> (MemoryStore, Map) {
    let mut store = MemoryStore::new();
    let map = Map::build(&mut store, (0..entries).map(|i| (key(i), value(i, 0)))).expect("build");
    store
        .flush(
            &Manifest::EMPTY,
            &Manifest {
                root: Some(map.root()),
                epoch: 0,
            },
        )
        .expect("flush");
    (store, map)
}

fn timed<T>(clock: &dyn Fn() -> f64, work: impl FnOnce() -> T) -> (T, f64) {
    let start = clock();
    let out = work();
    (out, clock() - start)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Runs the whole suite. `clock` returns milliseconds from any fixed origin.
pub fn prolly_suite(clock: &dyn Fn() -> f64, scale: Scale) -> Vec<Figure> {
    let mut figures = Vec::new();

    let data: Vec<u8> = (0..32u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let samples = (0..scale.repeats)
        .map(|_| {
            let (_, ms) = timed(clock, || {
                data.chunks(4096)
                    .map(Hash::of)
                    .fold(0u8, |a, h| a ^ h.as_bytes()[0])
            });
            data.len() as f64 / 1e6 / (ms / 1e3)
        })
        .collect();
    figures.push(Figure::of("hash 4 KiB chunks (BLAKE3)", "MB/s", samples));

    let samples = (0..scale.repeats)
        .map(|_| {
            let (_, ms) = timed(clock, || build(scale.entries));
            scale.entries as f64 / (ms / 1e3)
        })
        .collect();
    figures.push(Figure::of(
        format!("bulk build {} entries", scale.entries),
        "entries/s",
        samples,
    ));

    let (store, map) = build(scale.entries);
    let stats = map.stats(&store).expect("stats");
    figures.push(Figure::of(
        "tree depth",
        "levels",
        vec![f64::from(stats.depth)],
    ));
    figures.push(Figure::of(
        "mean leaf size",
        "bytes",
        vec![(stats.leaf_bytes / stats.leaf_chunks) as f64],
    ));
    let mut rng = Lcg(7);
    let mut chunks = Vec::new();
    let mut bytes = Vec::new();
    for n in 0..scale.edits {
        let i = rng.below(scale.entries);
        let edit = match n % 3 {
            0 => (key(i).to_vec(), None),
            1 => (key(i).to_vec(), Some(value(i, 1).to_vec())),
            _ => {
                let mut k = key(i).to_vec();
                k.push(b'+');
                (k, Some(value(i, 2).to_vec()))
            }
        };
        let mut handle = store.handle();
        map.edit(&mut handle, [edit]).expect("edit");
        let (c, b) = handle.buffered();
        chunks.push(c as f64);
        bytes.push(b as f64);
    }
    chunks.sort_by(f64::total_cmp);
    bytes.sort_by(f64::total_cmp);
    let depth_limit = f64::from(stats.depth) + 1.0;
    let within = chunks.iter().filter(|&&c| c <= depth_limit).count() as f64;
    figures.push(Figure::of(
        "one-entry edit: share within depth+1 chunks",
        "%",
        vec![within * 100.0 / chunks.len() as f64],
    ));
    for (what, unit, sorted, divisor) in [
        ("chunks", "chunks", &chunks, 1.0),
        ("bytes", "KiB", &bytes, 1024.0),
    ] {
        for (label, p) in [("p50", 0.5), ("p99", 0.99), ("max", 1.0)] {
            let name = format!("one-entry edit: {what} written ({label})");
            figures.push(Figure::of(
                name,
                unit,
                vec![percentile(sorted, p) / divisor],
            ));
        }
    }
    drop(store);

    for &size in scale.diff_sizes {
        let (mut store, map) = build(size);
        let changed = map
            .edit(
                &mut store,
                [(key(size / 2).to_vec(), Some(value(size, 9).to_vec()))],
            )
            .expect("edit");
        let samples = (0..scale.repeats * 40)
            .map(|_| {
                let (changes, ms) = timed(clock, || map.diff(&changed, &store).count());
                assert_eq!(changes, 1, "one change");
                ms * 1e3
            })
            .collect();
        figures.push(Figure::of(
            format!("diff of one change, {size} entries"),
            "µs",
            samples,
        ));
    }
    figures
}
