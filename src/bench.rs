//! Benchmark workloads for the storage engine, the history layer, the SQL engine and its
//! version-control surface, shared by the native bench programs (`benches/prolly.rs`,
//! `benches/sql.rs`, `benches/dolt.rs`) and the wasm build run under Node
//! (`benches/prolly-wasm.mjs`, `benches/sql-peers.mjs`, `benches/dolt-peers.mjs`), so both measure
//! exactly the same work. The caller hands in the clock; nothing here reads one.

use crate::chunk::{ChunkStore, Hash, Manifest, MemoryStore};
use crate::history::{self, CommitOptions, MergeOptions, Repo, ResetMode, Signature, Table};
use crate::prolly::Map;
use crate::row::{self, Column, Schema, Value};
use crate::sql::{Datum, QueryResult, Session};

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

    /// As [`Figure::to_json`], naming the engine measured, for the SQL suite's side-by-side run.
    pub fn to_json_for(&self, engine: &str) -> String {
        format!(r#"{{"engine":"{engine}",{}"#, &self.to_json()[1..])
    }
}

/// Sizes of the suite; `full` is what docs/benchmarks.md reports.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub entries: u64,
    pub repeats: usize,
    pub diff_sizes: &'static [u64],
    pub edits: usize,
    /// Rows of the table a one-row commit changes.
    pub commit_rows: u64,
    /// Rows of the table two branches merge, and rows each branch changes.
    pub merge_rows: u64,
    pub merge_changes: u64,
    /// Commits in the history merge base walks.
    pub history_commits: u64,
}

impl Scale {
    pub const FULL: Scale = Scale {
        entries: 1_000_000,
        repeats: 5,
        diff_sizes: &[10_000, 100_000, 1_000_000],
        edits: 1000,
        commit_rows: 1_000_000,
        merge_rows: 100_000,
        merge_changes: 2_000,
        history_commits: 10_000,
    };
    pub const SMOKE: Scale = Scale {
        entries: 20_000,
        repeats: 2,
        diff_sizes: &[1_000, 20_000],
        edits: 50,
        commit_rows: 20_000,
        merge_rows: 5_000,
        merge_changes: 200,
        history_commits: 300,
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
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 16) % n
    }
}

fn build(entries: u64) -> (MemoryStore, Map) {
    let mut store = MemoryStore::new();
    let map = Map::build(&mut store, (0..entries).map(|i| (key(i), value(i, 0)))).expect("build");
    store.flush(&Manifest::EMPTY, &Manifest { root: Some(map.root()), epoch: 0 }).expect("flush");
    (store, map)
}

fn timed<T>(clock: &dyn Fn() -> f64, work: impl FnOnce() -> T) -> (T, f64) {
    let start = clock();
    let out = work();
    (out, clock() - start)
}

/// Runs `sample` once to warm up, then `repeats` times, keeping the latter. Wasm engines run new
/// code on a baseline compiler first and optimise it while it runs, so a first run measures the
/// compiler, not the code.
fn warmed(repeats: usize, mut sample: impl FnMut() -> f64) -> Vec<f64> {
    sample();
    (0..repeats).map(|_| sample()).collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Runs the whole suite. `clock` returns milliseconds from any fixed origin.
pub fn prolly_suite(clock: &dyn Fn() -> f64, scale: Scale) -> Vec<Figure> {
    let mut figures = Vec::new();

    let data: Vec<u8> =
        (0..32u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let samples = warmed(scale.repeats, || {
        let (_, ms) =
            timed(clock, || data.chunks(4096).map(Hash::of).fold(0u8, |a, h| a ^ h.as_bytes()[0]));
        data.len() as f64 / 1e6 / (ms / 1e3)
    });
    figures.push(Figure::of("hash 4 KiB chunks (BLAKE3)", "MB/s", samples));

    let samples = warmed(scale.repeats, || {
        let (_, ms) = timed(clock, || build(scale.entries));
        scale.entries as f64 / (ms / 1e3)
    });
    figures.push(Figure::of(format!("bulk build {} entries", scale.entries), "entries/s", samples));

    let (store, map) = build(scale.entries);
    let stats = map.stats(&store).expect("stats");
    figures.push(Figure::of("tree depth", "levels", vec![f64::from(stats.depth)]));
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
    for (what, unit, sorted, divisor) in
        [("chunks", "chunks", &chunks, 1.0), ("bytes", "KiB", &bytes, 1024.0)]
    {
        for (label, p) in [("p50", 0.5), ("p99", 0.99), ("max", 1.0)] {
            let name = format!("one-entry edit: {what} written ({label})");
            figures.push(Figure::of(name, unit, vec![percentile(sorted, p) / divisor]));
        }
    }
    drop(store);

    for &size in scale.diff_sizes {
        let (mut store, map) = build(size);
        let changed = map
            .edit(&mut store, [(key(size / 2).to_vec(), Some(value(size, 9).to_vec()))])
            .expect("edit");
        let samples = (0..scale.repeats * 40)
            .map(|_| {
                let (changes, ms) = timed(clock, || map.diff(&changed, &store).count());
                assert_eq!(changes, 1, "one change");
                ms * 1e3
            })
            .collect();
        figures.push(Figure::of(format!("diff of one change, {size} entries"), "µs", samples));
    }
    figures
}

fn author(time_ms: i64) -> Signature {
    Signature::new("Bench", "bench@example.com", time_ms)
}

/// A table of `rows` rows: `id` primary key, an integer and a short text.
fn bench_table(store: &mut MemoryStore, rows: u64) -> Table {
    let column = |tag, name: &str, sql_type: &str| Column {
        tag,
        name: name.into(),
        sql_type: sql_type.into(),
        nullable: tag != 1,
        default: None,
        auto_increment: false,
    };
    let schema = Schema {
        columns: vec![
            column(1, "id", "BIGINT"),
            column(2, "n", "BIGINT"),
            column(3, "note", "TEXT"),
        ],
        primary_key: vec![1],
        indexes: Vec::new(),
        ..Schema::default()
    };
    let mut table = Table::create(store, schema).expect("table");
    let entries = (0..rows).map(|i| {
        let key = row::encode_key(&[Value::Int(i as i64)]).expect("key");
        let cells = [(2, Value::Int(i as i64)), (3, Value::Text(format!("row {i}")))];
        (key, row::encode_cells(&cells).expect("cells"))
    });
    table.rows = Map::build(store, entries).expect("rows");
    table
}

fn row_edit(id: u64, tag: u32, value: Value) -> (Vec<u8>, Option<Vec<u8>>) {
    let key = row::encode_key(&[Value::Int(id as i64)]).expect("key");
    let cells = if tag == 2 {
        [(2, value), (3, Value::Text(format!("row {id}")))]
    } else {
        [(2, Value::Int(id as i64)), (3, value)]
    };
    (key, Some(row::encode_cells(&cells).expect("cells")))
}

/// A published repository whose `main` holds `table` as `t`.
fn repo_with(store: &mut MemoryStore, table: &Table) {
    let mut repo = Repo::init(store, &author(0)).expect("init");
    let mut root = repo.working_root("main").expect("root");
    root.tables.insert("t".into(), table.write(repo.store_mut()).expect("table"));
    repo.set_working_root("main", &root).expect("working");
    let options = CommitOptions { all: true, ..CommitOptions::new("load", author(1)) };
    repo.commit_staged("main", &options).expect("commit");
    repo.publish().expect("publish");
}

/// Commits `edits` to table `t` on `branch`.
fn commit_edits(
    repo: &mut Repo,
    branch: &str,
    edits: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    time: i64,
) -> Hash {
    let mut root = repo.working_root(branch).expect("root");
    let table = repo.table(&root, "t").expect("table");
    let table = table.edit_rows(repo.store_mut(), edits).expect("edit");
    root.tables.insert("t".into(), table.write(repo.store_mut()).expect("write"));
    repo.set_working_root(branch, &root).expect("working");
    let options = CommitOptions { all: true, ..CommitOptions::new("edit", author(time)) };
    repo.commit_staged(branch, &options).expect("commit").hash
}

/// Runs the history workloads. `clock` returns milliseconds from any fixed origin.
pub fn history_suite(clock: &dyn Fn() -> f64, scale: Scale) -> Vec<Figure> {
    let mut figures = Vec::new();

    let mut store = MemoryStore::new();
    let table = bench_table(&mut store, scale.commit_rows);
    repo_with(&mut store, &table);
    let mut times = Vec::new();
    let mut chunks = Vec::new();
    let mut bytes = Vec::new();
    for n in 0..scale.repeats * 4 {
        let mut handle = store.handle();
        let (before_chunks, before_bytes) = store.published_size();
        let ((), ms) = timed(clock, || {
            let mut repo = Repo::open(&mut handle).expect("open");
            let id = (n as u64 * 7919) % scale.commit_rows;
            commit_edits(&mut repo, "main", vec![row_edit(id, 2, Value::Int(-1))], 10 + n as i64);
            repo.publish().expect("publish");
        });
        let (after_chunks, after_bytes) = store.published_size();
        times.push(ms);
        chunks.push((after_chunks - before_chunks) as f64);
        bytes.push((after_bytes - before_bytes) as f64 / 1024.0);
    }
    let name = format!("commit one changed row, {} rows", scale.commit_rows);
    figures.push(Figure::of(format!("{name}: time"), "ms", times));
    figures.push(Figure::of(format!("{name}: chunks written"), "chunks", chunks));
    figures.push(Figure::of(format!("{name}: bytes written"), "KiB", bytes));
    drop(store);

    // Changes spread over the whole table (every leaf touched), then changes in one key range
    // (the two ranges overlap by half, so those rows merge cell by cell).
    let mut rng = Lcg(11);
    let stride = scale.merge_rows / scale.merge_changes;
    let spread = |rng: &mut Lcg| -> Vec<u64> {
        (0..scale.merge_changes).map(|i| i * stride + rng.below(stride)).collect()
    };
    let (ours_spread, theirs_spread) = (spread(&mut rng), spread(&mut rng));
    let ours_range: Vec<u64> = (0..scale.merge_changes).collect();
    let theirs_range: Vec<u64> = (scale.merge_changes / 2..scale.merge_changes * 3 / 2).collect();
    for (label, ours, theirs) in
        [("spread", ours_spread, theirs_spread), ("clustered", ours_range, theirs_range)]
    {
        let mut store = MemoryStore::new();
        let table = bench_table(&mut store, scale.merge_rows);
        repo_with(&mut store, &table);
        let mut handle = store.handle();
        let mut repo = Repo::open(&mut handle).expect("open");
        let base = repo.branch_head("main").expect("main");
        repo.create_branch("other", base, false).expect("branch");
        let ours = ours.into_iter().map(|id| row_edit(id, 2, Value::Int(-7))).collect();
        let theirs =
            theirs.into_iter().map(|id| row_edit(id, 3, Value::Text("theirs".into()))).collect();
        let our_head = commit_edits(&mut repo, "main", ours, 20);
        let their_head = commit_edits(&mut repo, "other", theirs, 21);
        let samples = (0..scale.repeats * 4)
            .map(|_| {
                repo.reset("main", our_head, ResetMode::Hard).expect("reset");
                let (outcome, ms) = timed(clock, || {
                    repo.merge("main", their_head, "other", &author(30), &MergeOptions::default())
                        .expect("merge")
                });
                assert!(
                    matches!(outcome, history::MergeOutcome::Committed { .. }),
                    "the bench merge is clean"
                );
                ms
            })
            .collect();
        let name = format!(
            "merge {0} + {0} changed rows ({label}), {1} rows",
            scale.merge_changes, scale.merge_rows
        );
        figures.push(Figure::of(name, "ms", samples));
        let ours_root = repo.root(repo.commit(our_head).expect("commit").root).expect("root");
        let theirs_root = repo.root(repo.commit(their_head).expect("commit").root).expect("root");
        let samples = (0..scale.repeats * 4)
            .map(|_| {
                let (diffs, ms) = timed(clock, || {
                    history::diff_roots(repo.store(), &ours_root, &theirs_root, false)
                        .expect("diff")
                });
                assert_eq!(diffs.len(), 1);
                ms
            })
            .collect();
        let name = format!("diff summary of those branches ({label}), {} rows", scale.merge_rows);
        figures.push(Figure::of(name, "ms", samples));
    }

    let mut store = MemoryStore::new();
    let mut repo = Repo::init(&mut store, &author(0)).expect("init");
    let mut fork_points = Vec::new();
    for n in 1..scale.history_commits {
        let options = CommitOptions {
            allow_empty: true,
            ..CommitOptions::new(&format!("c{n}"), author(n as i64))
        };
        let commit = repo.commit_staged("main", &options).expect("commit");
        if n == scale.history_commits - 10 || n == scale.history_commits / 2 {
            fork_points.push(commit.hash);
        }
    }
    let tip = repo.branch_head("main").expect("main");
    for (fork, label) in fork_points.iter().zip(["half way back", "10 commits back"]) {
        repo.create_branch("fork", *fork, true).expect("branch");
        for n in 0..10 {
            let options = CommitOptions {
                allow_empty: true,
                ..CommitOptions::new(&format!("f{n}"), author(-n))
            };
            repo.commit_staged("fork", &options).expect("commit");
        }
        let fork_tip = repo.branch_head("fork").expect("fork");
        let samples = (0..scale.repeats * 4)
            .map(|_| {
                let (base, ms) =
                    timed(clock, || repo.merge_base(tip, fork_tip).expect("merge base"));
                assert_eq!(base, Some(*fork));
                ms
            })
            .collect();
        let name = format!("merge base, {} commits, fork {label}", scale.history_commits);
        figures.push(Figure::of(name, "ms", samples));
    }
    figures
}

/// Sizes of the SQL suite. `benches/sql-peers.mjs` reads them (and the figure names) from the
/// wasm build through `sqlBenchPlan`, so every engine runs exactly the same work.
#[derive(Clone, Copy, Debug)]
pub struct SqlScale {
    /// Rows of the table the bulk load writes and the other workloads read.
    pub rows: u64,
    /// Point selects per round, each by a random primary key.
    pub selects: usize,
    /// Autocommit single-row updates per round.
    pub updates: usize,
    /// Measured rounds; one more runs first as a warm-up and is not reported.
    pub repeats: usize,
    /// Rows per multi-row INSERT of Cambium's bulk load.
    pub insert_batch: usize,
}

impl SqlScale {
    pub const FULL: SqlScale = SqlScale {
        rows: 100_000,
        selects: 10_000,
        updates: 1_000,
        repeats: 5,
        insert_batch: 1_000,
    };
    pub const SMOKE: SqlScale =
        SqlScale { rows: 5_000, selects: 500, updates: 50, repeats: 2, insert_batch: 1_000 };

    pub fn load_name(&self) -> String {
        format!("bulk load {} rows, one transaction", self.rows)
    }

    pub fn select_name(&self) -> String {
        format!("point select by primary key ({} random ids), per select", self.selects)
    }

    pub fn group_name(&self) -> String {
        format!("GROUP BY k % 10 with COUNT, SUM(LENGTH(v)) over {} rows", self.rows)
    }

    pub fn update_name(&self) -> String {
        format!("autocommit single-row UPDATE ({} of them), per update", self.updates)
    }

    /// The sizes and figure names as one JSON object, for the JS side of the benchmark.
    pub fn to_json(&self) -> String {
        format!(
            r#"{{"rows":{},"selects":{},"updates":{},"repeats":{},"insertBatch":{},"names":{{"load":"{}","select":"{}","group":"{}","update":"{}"}}}}"#,
            self.rows,
            self.selects,
            self.updates,
            self.repeats,
            self.insert_batch,
            self.load_name(),
            self.select_name(),
            self.group_name(),
            self.update_name()
        )
    }
}

/// The SQL suite's table, the same text for every engine.
pub const SQL_CREATE: &str = "CREATE TABLE t(id INT PRIMARY KEY, k INT, v VARCHAR(64))";
pub const SQL_SELECT: &str = "SELECT * FROM t WHERE id = ?";
pub const SQL_GROUP: &str = "SELECT k % 10, COUNT(*), SUM(LENGTH(v)) FROM t GROUP BY 1";
pub const SQL_UPDATE: &str = "UPDATE t SET v = ? WHERE id = ?";

/// Column `k` of row `id`: 1000 distinct values. `benches/sql-peers.mjs` computes the same.
pub fn sql_k(id: u64) -> i64 {
    (id * 7919 % 1000) as i64
}

/// Column `v` of row `id`: 20 to 60 ASCII characters. `benches/sql-peers.mjs` computes the same.
pub fn sql_v(id: u64) -> String {
    let len = 20 + (id * 37 % 41) as usize;
    let mut v = format!("v{id}-");
    let letters = b"abcdefghijklmnopqrstuvwxyz";
    while v.len() < len {
        v.push(letters[((id + v.len() as u64 * 7) % 26) as usize] as char);
    }
    v
}

/// The value update `n` writes to row `id`: different from any value the row held before, so
/// that every update changes its row (MySQL counts a row set to its own value as unaffected).
pub fn sql_update_v(id: u64, n: u64, rows: u64) -> String {
    sql_v(id + rows + n)
}

/// Xorshift32, chosen because JS reproduces it exactly with 32-bit integer operators, so every
/// engine selects and updates the same ids in the same order.
pub struct XorShift32(pub u32);

impl XorShift32 {
    /// Seeds of the point selects and of the updates.
    pub const SELECT_SEED: u32 = 2_463_534_242;
    pub const UPDATE_SEED: u32 = 88_675_123;

    /// The next id in `1..=rows`.
    pub fn id(&mut self, rows: u64) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        1 + u64::from(x) % rows
    }
}

/// `INSERT INTO t VALUES (?, ?, ?), …` with `rows` tuples.
pub fn sql_insert(rows: usize) -> String {
    format!("INSERT INTO t VALUES {}", vec!["(?, ?, ?)"; rows].join(", "))
}

/// One Cambium database in memory: the store and a session on it.
struct SqlDb {
    store: MemoryStore,
    session: Session,
}

impl SqlDb {
    fn new() -> SqlDb {
        let mut store = MemoryStore::new();
        let session = Session::open(&mut store, "cambium").expect("open");
        let mut db = SqlDb { store, session };
        db.run(SQL_CREATE, &[]);
        db
    }

    fn run(&mut self, sql: &str, params: &[Datum]) -> Vec<QueryResult> {
        self.session.execute_with(&mut self.store, sql, params).expect(sql)
    }

    /// Multi-row INSERTs of `batch` rows with `?` parameters inside one transaction.
    /// The session reads the text once and runs it prepared after that; one statement per row
    /// would spend its time in per-statement setup, so batches are its fast path. `cells` holds
    /// three parameters per row.
    fn load(&mut self, cells: &[Datum], batch: usize) {
        let full = sql_insert(batch);
        self.run("BEGIN", &[]);
        for params in cells.chunks(batch * 3) {
            let rows = params.len() / 3;
            let tail;
            let sql = if rows == batch {
                &full
            } else {
                tail = sql_insert(rows);
                &tail
            };
            assert_eq!(self.run(sql, params)[0].rows_affected, rows as u64);
        }
        self.run("COMMIT", &[]);
    }
}

/// Runs the SQL workloads on Cambium. `clock` returns milliseconds from any fixed origin.
pub fn sql_suite(clock: &dyn Fn() -> f64, scale: SqlScale) -> Vec<Figure> {
    // The rows are made before timing, as the JS side makes them before timing its engines.
    let cells: Vec<Datum> = (1..=scale.rows)
        .flat_map(|id| [Datum::Int(id as i64), Datum::Int(sql_k(id)), Datum::Text(sql_v(id))])
        .collect();
    let (mut load, mut select, mut group, mut update) = (vec![], vec![], vec![], vec![]);
    for round in 0..=scale.repeats {
        let mut db = SqlDb::new();
        let ((), ms) = timed(clock, || db.load(&cells, scale.insert_batch));
        let load_ms = ms;

        let mut ids = XorShift32(XorShift32::SELECT_SEED);
        let ((), ms) = timed(clock, || {
            for _ in 0..scale.selects {
                let id = ids.id(scale.rows);
                let rows = &db.run(SQL_SELECT, &[Datum::Int(id as i64)])[0].rows;
                assert!(rows.len() == 1 && rows[0][0] == Datum::Int(id as i64), "row {id}");
            }
        });
        let select_us = ms * 1e3 / scale.selects as f64;

        let (result, group_ms) = timed(clock, || db.run(SQL_GROUP, &[]));
        let count: i64 = result[0]
            .rows
            .iter()
            .map(|row| row[1].to_text().and_then(|n| n.parse::<i64>().ok()).expect("count"))
            .sum();
        assert_eq!((result[0].rows.len(), count), (10, scale.rows as i64), "groups");

        let mut ids = XorShift32(XorShift32::UPDATE_SEED);
        let ((), ms) = timed(clock, || {
            for n in 0..scale.updates as u64 {
                let id = ids.id(scale.rows);
                let params = [Datum::Text(sql_update_v(id, n, scale.rows)), Datum::Int(id as i64)];
                assert_eq!(db.run(SQL_UPDATE, &params)[0].rows_affected, 1, "update {id}");
            }
        });
        let update_ms = ms / scale.updates as f64;

        // Round 0 warms up, because wasm engines run new code on a baseline compiler first.
        if round > 0 {
            load.push(load_ms);
            select.push(select_us);
            group.push(group_ms);
            update.push(update_ms);
        }
    }
    vec![
        Figure::of(scale.load_name(), "ms", load),
        Figure::of(scale.select_name(), "µs", select),
        Figure::of(scale.group_name(), "ms", group),
        Figure::of(scale.update_name(), "ms", update),
    ]
}

/// Sizes of the version-control SQL suite (`version_control_suite`). `benches/dolt-peers.mjs`
/// reads them and the figure names from the wasm build through `vcBenchPlan`, so Cambium's wasm
/// build and DoltLite run exactly the work Cambium runs natively.
#[derive(Clone, Copy, Debug)]
pub struct VcScale {
    /// Rows of the table, one table per size, loaded and committed once.
    pub rows: &'static [u64],
    /// Rows each measured step changes, spread evenly over the table.
    pub changes: &'static [u64],
    /// Measured rounds. One more runs first as a warm-up and is not reported; it skips the
    /// largest change, which runs the same code as the others and would only add minutes.
    pub repeats: usize,
    /// Rows per multi-row INSERT of Cambium's load.
    pub insert_batch: usize,
}

impl VcScale {
    pub const FULL: VcScale = VcScale {
        rows: &[100_000, 1_000_000],
        changes: &[1, 100, 10_000],
        repeats: 5,
        insert_batch: 1_000,
    };
    pub const SMOKE: VcScale =
        VcScale { rows: &[2_000, 20_000], changes: &[1, 10, 100], repeats: 2, insert_batch: 1_000 };

    /// Whether round `round` (0 is the warm-up) runs the step changing `changes` rows.
    pub fn runs(&self, round: usize, changes: u64) -> bool {
        round > 0 || self.changes.iter().any(|&c| c > changes)
    }

    /// Figure names, shared with the JS side so every engine's figures land in the same row.
    pub fn commit_name(rows: u64, changes: u64) -> String {
        format!("dolt_commit('-am'), {rows} rows, {changes} changed")
    }

    /// The diff right after the commit: nothing of the new commit has been read yet.
    pub fn diff_first_name(rows: u64, changes: u64) -> String {
        format!("dolt_diff_t WHERE to_commit, {rows} rows, {changes} changed: first call")
    }

    /// The same diff run again, as an application repeating a query would.
    pub fn diff_warm_name(rows: u64, changes: u64) -> String {
        format!("dolt_diff_t WHERE to_commit, {rows} rows, {changes} changed: warm")
    }

    /// The sizes and figure names as one JSON object, for the JS side of the benchmark.
    pub fn to_json(&self) -> String {
        let list = |xs: &[u64]| xs.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        let mut names = Vec::new();
        for &rows in self.rows {
            for &changes in self.changes {
                names.push(format!(
                    r#"{{"rows":{rows},"changes":{changes},"commit":"{}","diffFirst":"{}","diffWarm":"{}"}}"#,
                    VcScale::commit_name(rows, changes),
                    VcScale::diff_first_name(rows, changes),
                    VcScale::diff_warm_name(rows, changes)
                ));
            }
        }
        format!(
            r#"{{"rows":[{}],"changes":[{}],"repeats":{},"insertBatch":{},"names":[{}]}}"#,
            list(self.rows),
            list(self.changes),
            self.repeats,
            self.insert_batch,
            names.join(",")
        )
    }
}

/// The version-control suite's table: `id` is a BIGINT, as the issue's workload names it.
pub const VC_CREATE: &str = "CREATE TABLE t(id BIGINT PRIMARY KEY, k INT, v VARCHAR(64))";
pub const VC_UPDATE: &str = "UPDATE t SET k = ? WHERE id = ?";

/// The rows step `(round, changes)` changes on a table of `rows` rows: one in every
/// `rows / changes`, so the changes touch the whole table, shifted from round to round so that
/// rounds change different rows. `benches/dolt-peers.mjs` computes the same.
pub fn vc_changed_ids(rows: u64, changes: u64, round: usize) -> Vec<u64> {
    let stride = rows / changes;
    let offset = round as u64 * 7919 % stride;
    (0..changes).map(|i| 1 + i * stride + offset).collect()
}

/// The `k` that step `step` of round `round` writes: negative, and different for every step,
/// so that every changed row really changes (the loaded `k` values are never negative).
pub fn vc_k(round: usize, step: usize, steps: usize) -> i64 {
    -(1 + (round * steps + step) as i64)
}

/// The diff query for the commit named `hash`, with the hash as a literal, as an application
/// would write it after reading the hash from `dolt_commit`.
pub fn vc_diff_sql(hash: &str) -> String {
    format!("SELECT * FROM dolt_diff_t WHERE to_commit = '{hash}'")
}

/// Runs the version-control workloads on Cambium: for each table size, loads and commits the
/// table once, then per round and per number of changed rows updates those rows in one
/// transaction (untimed), times `CALL dolt_commit('-am', …)`, and times the diff of that commit
/// through `dolt_diff_t`, first call and repeated, checking it returns one row per change. The
/// diff must cost in proportion to the changes, not the table, which the sizes show side by
/// side. `clock` returns milliseconds from any fixed origin.
pub fn version_control_suite(clock: &dyn Fn() -> f64, scale: VcScale) -> Vec<Figure> {
    let mut figures = Vec::new();
    for &rows in scale.rows {
        let mut store = MemoryStore::new();
        let session = Session::open(&mut store, "cambium").expect("open");
        let mut db = SqlDb { store, session };
        db.run(VC_CREATE, &[]);
        let cells: Vec<Datum> = (1..=rows)
            .flat_map(|id| [Datum::Int(id as i64), Datum::Int(sql_k(id)), Datum::Text(sql_v(id))])
            .collect();
        db.load(&cells, scale.insert_batch);
        drop(cells);
        db.run("CALL dolt_commit('-Am', 'load')", &[]);

        let steps = scale.changes.len();
        let mut samples = vec![(Vec::new(), Vec::new(), Vec::new()); steps];
        for round in 0..=scale.repeats {
            for (step, &changes) in scale.changes.iter().enumerate() {
                if !scale.runs(round, changes) {
                    continue;
                }
                let k = Datum::Int(vc_k(round, step, steps));
                db.run("BEGIN", &[]);
                for id in vc_changed_ids(rows, changes, round) {
                    let params = [k.clone(), Datum::Int(id as i64)];
                    assert_eq!(db.run(VC_UPDATE, &params)[0].rows_affected, 1, "update {id}");
                }
                db.run("COMMIT", &[]);

                let sql = format!("CALL dolt_commit('-am', 'round {round}: {changes} rows')");
                let (result, commit_ms) = timed(clock, || db.run(&sql, &[]));
                let hash = result[0].rows[0][0].to_text().expect("dolt_commit returns a hash");
                let diff = vc_diff_sql(&hash);
                let (result, first_ms) = timed(clock, || db.run(&diff, &[]));
                assert_eq!(result[0].rows.len() as u64, changes, "rows of {diff}");
                let (result, warm_ms) = timed(clock, || db.run(&diff, &[]));
                assert_eq!(result[0].rows.len() as u64, changes, "rows of {diff}");
                if round > 0 {
                    let (commit, first, warm) = &mut samples[step];
                    commit.push(commit_ms);
                    first.push(first_ms);
                    warm.push(warm_ms);
                }
            }
        }
        for (&changes, (commit, first, warm)) in scale.changes.iter().zip(samples) {
            figures.push(Figure::of(VcScale::commit_name(rows, changes), "ms", commit));
            figures.push(Figure::of(VcScale::diff_first_name(rows, changes), "ms", first));
            figures.push(Figure::of(VcScale::diff_warm_name(rows, changes), "ms", warm));
        }
    }
    figures
}
