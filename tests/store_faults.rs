//! Injected store faults: a store wrapper that fails reads (`get_many`, `has_many`, the
//! manifest), `put`, flushes, garbage collections and writes ahead at seeded random calls, as a
//! failing disk would. With faults off it passes the storage conformance suite, so it is
//! transparent. With faults on, a seeded random workload (row changes, bulk loads, commits,
//! branches, checkouts, merges, resets, collections) runs on a database on
//! files through it, beside a twin database without faults that runs only the statements that
//! succeeded. Every statement a fault broke fails with the code `io` and changes nothing: the
//! two databases show the same branches, commits, status and rows after every statement. At the
//! end fsck finds the store sound, and the files reopen in the twin's state.

#![cfg(not(target_arch = "wasm32"))]

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

use cambium::chunk::{
    Chunk, ChunkStore, Error as StoreError, GcStats, Hash, Manifest, MemoryStore,
};
use cambium::db::{ready, Backend, Database, Options, Storage, WriteAhead};
use cambium::platform::files::{FileStore, NativeFiles};
use cambium::sql::QueryResult;

mod support;

use support::databases::{open, options, rows, TempDir};
use support::Rng;

/// The store calls a fault can break.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    Get,
    Has,
    Manifest,
    Put,
    Flush,
    Collect,
    Ahead,
}

const CALLS: [Call; 7] =
    [Call::Get, Call::Has, Call::Manifest, Call::Put, Call::Flush, Call::Collect, Call::Ahead];

/// When calls fail: each call fails with probability `per_mille / 1000` while faults are on,
/// drawn from a seeded generator so a run is the same every time. Every handle of one store
/// shares it.
struct Faults {
    rng: RefCell<Rng>,
    per_mille: Cell<u64>,
    /// Faults injected so far, by call, in the order of [`CALLS`].
    injected: RefCell<[u64; CALLS.len()]>,
}

impl Faults {
    fn new(seed: u64) -> Rc<Faults> {
        Rc::new(Faults {
            rng: RefCell::new(Rng::new(seed)),
            per_mille: Cell::new(0),
            injected: RefCell::new([0; CALLS.len()]),
        })
    }

    /// An IO error when this call is to fail.
    fn trip(&self, call: Call) -> Result<(), StoreError> {
        if self.per_mille.get() == 0 || self.rng.borrow_mut().below(1000) >= self.per_mille.get() {
            return Ok(());
        }
        let at = CALLS.iter().position(|c| *c == call).expect("a known call");
        self.injected.borrow_mut()[at] += 1;
        Err(StoreError::Io(format!("injected fault in {call:?}")))
    }
}

/// A store whose calls fail when [`Faults`] says so; otherwise it is `inner`.
struct Faulty<S> {
    inner: S,
    faults: Rc<Faults>,
}

impl<S: ChunkStore> ChunkStore for Faulty<S> {
    fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, StoreError> {
        self.faults.trip(Call::Get)?;
        self.inner.get_many(hashes)
    }

    fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, StoreError> {
        self.faults.trip(Call::Has)?;
        self.inner.has_many(hashes)
    }

    fn put(&mut self, chunk: Chunk) -> Result<(), StoreError> {
        self.faults.trip(Call::Put)?;
        self.inner.put(chunk)
    }

    fn manifest(&self) -> Result<Manifest, StoreError> {
        self.faults.trip(Call::Manifest)?;
        self.inner.manifest()
    }

    fn flush(&mut self, expected: &Manifest, new: &Manifest) -> Result<(), StoreError> {
        self.faults.trip(Call::Flush)?;
        self.inner.flush(expected, new)
    }

    fn collect_garbage(
        &mut self,
        expected: &Manifest,
        keep: &HashSet<Hash>,
    ) -> Result<GcStats, StoreError> {
        self.faults.trip(Call::Collect)?;
        self.inner.collect_garbage(expected, keep)
    }
}

impl<S: Backend + ChunkStore + 'static> Backend for Faulty<S> {
    fn handle(&self) -> Faulty<S> {
        Faulty { inner: self.inner.handle(), faults: self.faults.clone() }
    }

    /// The cache reads through a faulty handle too, so reads in the middle of a statement fail.
    fn reader(&self) -> Option<Box<dyn ChunkStore>> {
        Some(Box::new(self.handle()))
    }

    /// Writes ahead as IndexedDB does (the chunks land, the manifest stays), failing as the rest.
    fn write_ahead(&self, under: &Manifest, chunks: &[Chunk]) -> Option<WriteAhead> {
        let written = self.faults.trip(Call::Ahead).and_then(|()| {
            let mut handle = self.inner.handle();
            chunks.iter().try_for_each(|chunk| ChunkStore::put(&mut handle, chunk.clone()))?;
            ChunkStore::flush(&mut handle, under, under)
        });
        Some(Box::pin(std::future::ready(written)))
    }
}

struct FaultyHarness(Faulty<MemoryStore>);

impl cambium::db::conformance::Harness for FaultyHarness {
    type Store = Faulty<MemoryStore>;
    async fn open(&mut self) -> Faulty<MemoryStore> {
        self.0.handle()
    }
    async fn corrupt(&mut self, hash: Hash, bytes: &[u8]) {
        assert!(self.0.inner.corrupt(hash, bytes), "the chunk to corrupt must be published");
    }
}

/// With faults off the wrapper is transparent: the whole conformance suite passes through it.
mod transparent {
    use super::*;

    cambium::store_conformance!(FaultyHarness(Faulty {
        inner: MemoryStore::new(),
        faults: Faults::new(0)
    }));
}

/// What two databases must agree on: branches and their heads, the checked-out branch, the
/// working status, and the rows of every table (the bulk-loaded rows of `item` by their count
/// and sums).
fn digest<B: Backend>(db: &mut Database<B>) -> Vec<Vec<Vec<String>>> {
    [
        "SELECT name, hash FROM dolt_branches ORDER BY name",
        "SELECT active_branch()",
        "SELECT table_name, staged, status FROM dolt_status ORDER BY table_name, staged",
        "SELECT * FROM item WHERE id < 1000 ORDER BY id",
        "SELECT COUNT(*), SUM(qty), SUM(LENGTH(label)) FROM item",
        "SELECT * FROM tag_of ORDER BY item, tag",
    ]
    .iter()
    .map(|sql| rows(db, sql))
    .collect()
}

/// One random statement of the workload, each in its own transaction. Keys collide on purpose
/// (duplicate keys, foreign keys and merge conflicts fail on both databases alike). Explicit
/// transactions are left out: a statement that meets a store fault inside one can leave the
/// session and the store apart (see "Open findings" in `docs/reliability.md`).
fn statement(rng: &mut Rng, step: usize) -> String {
    let id = rng.below(60);
    let branch = ["main", "b1", "b2"][rng.below(3) as usize];
    match rng.below(20) {
        0..=3 => format!("INSERT INTO item VALUES ({id}, 'item {id} at {step}', {})", rng.below(9)),
        4 | 5 => format!(
            "UPDATE item SET qty = qty + 1, label = 'u{step}' WHERE id BETWEEN {id} AND {}",
            id + 5
        ),
        6 => format!("DELETE FROM item WHERE id = {id}"),
        7 => format!("INSERT INTO tag_of VALUES ({id}, 't{}')", rng.below(4)),
        8 | 9 => format!("CALL dolt_commit('-Am', 'step {step}')"),
        10 => format!("CALL dolt_branch('{branch}')"),
        11 | 12 => format!("CALL dolt_checkout('{branch}')"),
        13 | 14 => format!("CALL dolt_merge('{branch}')"),
        15 => bulk(step),
        16 => "SELECT COUNT(*), SUM(qty) FROM item WHERE label LIKE '%1%'".into(),
        17 => "CALL dolt_reset('--hard')".into(),
        _ => "CALL dolt_gc()".into(),
    }
}

/// A load of 1,500 rows of 400 bytes, many chunks in one flush.
fn bulk(step: usize) -> String {
    let start = 1000 + step * 1500;
    let values: Vec<String> =
        (start..start + 1500).map(|i| format!("({i}, '{:0400}', 1)", i)).collect();
    format!("INSERT INTO item VALUES {}", values.join(", "))
}

/// What a run did, for the figures in `docs/reliability.md`.
#[derive(Default, Debug)]
struct Figures {
    statements: u64,
    succeeded: u64,
    failed_by_faults: u64,
    failed_alike: u64,
    faults: [u64; CALLS.len()],
}

const SCHEMA: &str = "CREATE TABLE item (id INT PRIMARY KEY, label TEXT, qty INT, INDEX (qty));
    CREATE TABLE tag_of (item INT, tag VARCHAR(8), PRIMARY KEY (item, tag),
      FOREIGN KEY (item) REFERENCES item (id) ON DELETE CASCADE);
    CALL dolt_commit('-Am', 'schema')";

/// Runs `steps` random statements from `seed` with faults at `per_mille`, checking each against
/// the twin, then fsck and a reopen.
fn run_workload(seed: u64, steps: usize, per_mille: u64) -> Figures {
    let dir = TempDir::new("store_faults", &format!("seed{seed}"));
    let faults = Faults::new(seed);
    let files = NativeFiles::open(dir.path().join("shop")).expect("a directory");
    let store =
        Faulty { inner: FileStore::open(files).expect("a file store"), faults: faults.clone() };
    // A small cache makes statements read from the store, where the faults are.
    let options = Options { cache_bytes_max: 16 << 10, ..options(dir.storage("")) };
    let mut db = ready(Database::open_on("shop", store, options)).expect("open");
    let mut twin = open(&format!("twin{seed}"), Storage::Memory);
    rows(&mut db, SCHEMA);
    rows(&mut twin, SCHEMA);
    let mut rng = Rng::new(seed);
    let mut figures = Figures::default();
    for step in 0..steps {
        let sql = statement(&mut rng, step);
        let injected = *faults.injected.borrow();
        faults.per_mille.set(per_mille);
        let outcome = ready(db.execute(&sql, &[]));
        faults.per_mille.set(0);
        let new: Vec<Call> = CALLS
            .iter()
            .zip(injected.iter().zip(faults.injected.borrow().iter()))
            .filter(|(_, (before, after))| after > before)
            .map(|(call, _)| *call)
            .collect();
        let faulted = !new.is_empty();
        figures.statements += 1;
        match outcome {
            // A collection runs after its statement's write was published, which stands: the
            // failed collection only leaves unreachable chunks behind.
            Err(error) if new == [Call::Collect] => {
                assert_eq!(error.code(), "io", "step {step}: {sql:.80}: {error}");
                ready(twin.execute(&sql, &[])).expect("the twin collects");
                figures.failed_by_faults += 1;
            }
            Ok(results) => {
                figures.succeeded += 1;
                let twin_results = ready(twin.execute(&sql, &[])).unwrap_or_else(|e| {
                    panic!("step {step}: {sql:.80}: only the twin failed: {e}")
                });
                let shown = |results: &[QueryResult]| {
                    results.iter().map(|r| (r.columns.clone(), r.rows.clone())).collect::<Vec<_>>()
                };
                assert_eq!(shown(&results), shown(&twin_results), "step {step}: {sql:.80}");
            }
            Err(error) if faulted && error.code() == "io" => figures.failed_by_faults += 1,
            Err(error) => {
                assert!(!error.code().is_empty(), "step {step}: an error without a code");
                let twin_error = ready(twin.execute(&sql, &[])).err().unwrap_or_else(|| {
                    panic!("step {step}: {sql:.80}: failed only here: {} {error}", error.code())
                });
                assert_eq!(twin_error.code(), error.code(), "step {step}: {sql:.80}: {error}");
                figures.failed_alike += 1;
            }
        }
        assert_eq!(digest(&mut db), digest(&mut twin), "step {step}: {sql:.80}: states differ");
    }
    figures.faults = *faults.injected.borrow();
    rows(&mut db, "CALL dolt_checkout('main')");
    rows(&mut twin, "CALL dolt_checkout('main')");
    let expected = digest(&mut twin);
    let report = ready(db.fsck()).expect("fsck");
    assert!(report.is_clean(), "seed {seed}: {report}");
    drop(db);
    let mut again = open("shop", dir.storage(""));
    assert_eq!(digest(&mut again), expected, "seed {seed}: the files reopen in another state");
    figures
}

#[test]
fn statements_broken_by_store_faults_fail_cleanly_and_change_nothing() {
    let mut total = Figures::default();
    for seed in 1..=8 {
        let figures = run_workload(seed, 250, 25);
        assert!(figures.failed_by_faults > 0, "seed {seed}: no statement met a fault");
        total.statements += figures.statements;
        total.succeeded += figures.succeeded;
        total.failed_by_faults += figures.failed_by_faults;
        total.failed_alike += figures.failed_alike;
        for (sum, n) in total.faults.iter_mut().zip(figures.faults) {
            *sum += n;
        }
    }
    // The figures `docs/reliability.md` quotes.
    println!("{total:?} by call {CALLS:?}");
    // `has_many` is a call a database on its own store never makes (the cache answers it by
    // reading chunks); transfers to and from remotes do. Writes ahead need a bulk load inside an
    // explicit transaction, which this workload leaves out.
    for (call, injected) in CALLS.iter().zip(total.faults) {
        assert!(injected > 0 || matches!(call, Call::Has | Call::Ahead), "no fault in {call:?}");
    }
}
