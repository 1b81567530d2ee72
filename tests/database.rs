//! The database facade natively: opening by name on memory and files and reopening in the last
//! published state; two databases on one store (as two tabs or processes) losing no write; a
//! cache that keeps nothing between statements giving the answers a plain session gives; a
//! store that loses the publishing race or fails its flush on purpose; fsck and gc.

#![cfg(not(target_arch = "wasm32"))]

use std::cell::Cell;
use std::collections::HashSet;
use std::rc::Rc;

use cambium::chunk::{Chunk, Error as StoreError, GcStats, Hash, Manifest, MemoryStore};
use cambium::db::{ready, Backend, Database, Durability, Storage, Store};
use cambium::sql::Session;

mod support;

use support::databases::{open, options, rows, TempDir};

fn one<B: Backend>(db: &mut Database<B>, sql: &str) -> String {
    rows(db, sql)[0][0].clone()
}

#[test]
fn a_memory_database_reopens_by_name() {
    let mut db = open("reopen_memory", Storage::Memory);
    rows(&mut db, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    rows(&mut db, "INSERT INTO t VALUES (1, 'one'), (2, 'two')");
    rows(&mut db, "CALL dolt_commit('-Am', 'two rows')");
    db.close();
    let mut again = open("reopen_memory", Storage::Memory);
    assert_eq!(one(&mut again, "SELECT v FROM t WHERE id = 2"), "two");
    assert_eq!(one(&mut again, "SELECT message FROM dolt_log LIMIT 1"), "two rows");
    let mut other = open("another_memory", Storage::Memory);
    assert_eq!(
        one(&mut other, "SELECT COUNT(*) FROM dolt_log"),
        "1",
        "a new name is a new database"
    );
}

#[test]
fn a_files_database_reopens_in_its_last_published_state() {
    let dir = TempDir::new("database", "reopen");
    let mut db = open("shop", dir.storage(""));
    rows(&mut db, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    rows(&mut db, "INSERT INTO t VALUES (1, 'one')");
    rows(&mut db, "BEGIN");
    rows(&mut db, "INSERT INTO t VALUES (2, 'never committed')");
    db.close();
    assert!(dir.path().join("shop").is_dir(), "the store lives in <dir>/<name>");
    let mut again = open("shop", dir.storage(""));
    assert_eq!(rows(&mut again, "SELECT id, v FROM t"), vec![vec!["1", "one"]]);
}

#[test]
fn bad_names_are_refused_and_create_nothing() {
    let dir = TempDir::new("database", "names");
    for name in ["", "a/b", "..", "-flag", "sp ace", &"x".repeat(65)] {
        let error = ready(Database::open(name, options(dir.storage(""))))
            .err()
            .unwrap_or_else(|| panic!("{name:?} was accepted"));
        assert_eq!(error.code(), "bad_database_name", "{name:?}: {error}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    let error = ready(Database::open("web", options(Storage::IndexedDb))).err().expect("native");
    assert_eq!(error.code(), "storage_unavailable");
}

#[test]
fn two_databases_on_one_directory_lose_no_write() {
    let dir = TempDir::new("database", "two");
    let mut a = open("db", dir.storage(""));
    rows(&mut a, "CREATE TABLE t (id INT PRIMARY KEY, who TEXT)");
    let mut b = open("db", dir.storage(""));
    rows(&mut b, "BEGIN");
    for i in 0..40 {
        rows(&mut a, &format!("INSERT INTO t VALUES ({i}, 'a')"));
        rows(&mut b, &format!("INSERT INTO t VALUES ({}, 'b')", 100 + i));
    }
    // b's transaction began before all of a's inserts: its commit merges with them.
    rows(&mut b, "COMMIT");
    assert_eq!(one(&mut a, "SELECT COUNT(*) FROM t"), "80");
    assert_eq!(one(&mut b, "SELECT COUNT(*) FROM t WHERE who = 'a'"), "40");
}

/// A database object hears of every publish by another object of the same database in this
/// program, on memory and on files, and not of its own writes nor of another database's.
#[test]
fn change_listeners_hear_other_objects_of_the_database() {
    let dir = TempDir::new("database", "changes");
    for storage in [Storage::Memory, dir.storage("")] {
        let mut a = open("watched", storage.clone());
        let mut b = open("watched", storage.clone());
        let mut other = open("unwatched", storage.clone());
        let heard = Rc::new(Cell::new(0));
        let counter = heard.clone();
        let listener: cambium::db::Listener = Rc::new(move || counter.set(counter.get() + 1));
        assert!(a.on_change(listener.clone()));
        rows(&mut a, "CREATE TABLE t (id INT PRIMARY KEY)");
        assert_eq!(heard.get(), 0, "its own write");
        rows(&mut b, "INSERT INTO t VALUES (1)");
        assert_eq!(heard.get(), 1, "another object's autocommit write");
        rows(&mut b, "BEGIN");
        rows(&mut b, "INSERT INTO t VALUES (2)");
        assert_eq!(heard.get(), 1, "nothing is published inside a transaction");
        rows(&mut b, "COMMIT");
        assert_eq!(heard.get(), 2, "the transaction's commit");
        rows(&mut b, "SELECT * FROM t");
        assert_eq!(heard.get(), 2, "a read publishes nothing");
        rows(&mut other, "CREATE TABLE u (id INT PRIMARY KEY)");
        assert_eq!(heard.get(), 2, "another database");
        assert_eq!(one(&mut a, "SELECT COUNT(*) FROM t"), "2");
        assert!(a.off_change(&listener));
        rows(&mut b, "INSERT INTO t VALUES (3)");
        assert_eq!(heard.get(), 2, "after the listener was removed");
        assert!(!a.off_change(&listener));
        drop(a);
        rows(&mut b, "INSERT INTO t VALUES (4)");
    }
    let db = open("bounded", Storage::Memory);
    for _ in 0..cambium::db::LISTENERS_MAX {
        assert!(db.on_change(Rc::new(|| {})));
    }
    assert!(!db.on_change(Rc::new(|| {})), "past the bound");
}

/// The statements of a workload touching most of the engine: tables, indexes, updates,
/// deletes, commits, branches, a merge, diffs, system tables, an explicit transaction.
fn workload() -> Vec<String> {
    let mut statements = vec![
        "CREATE TABLE t (id INT PRIMARY KEY, n INT, s TEXT, KEY by_n (n))".to_string(),
        "CREATE TABLE u (k VARCHAR(20) PRIMARY KEY, t_id INT)".to_string(),
    ];
    for chunk in 0..20 {
        let values: Vec<String> = (0..100)
            .map(|i| chunk * 100 + i)
            .map(|i| format!("({i}, {}, 'row {i} {}')", i % 37, "x".repeat((i % 50) as usize)))
            .collect();
        statements.push(format!("INSERT INTO t VALUES {}", values.join(", ")));
    }
    statements.extend(
        [
            "INSERT INTO u VALUES ('a', 1), ('b', 2), ('c', 3)",
            "CALL dolt_commit('-Am', 'load')",
            "CALL dolt_checkout('-b', 'feature')",
            "UPDATE t SET n = n + 1000 WHERE id % 7 = 0",
            "DELETE FROM t WHERE id BETWEEN 500 AND 560",
            "CALL dolt_commit('-am', 'feature work')",
            "CALL dolt_checkout('main')",
            "UPDATE t SET s = 'main side' WHERE id % 11 = 0 AND id % 7 <> 0 AND id NOT BETWEEN 500 AND 560",
            "CALL dolt_commit('-am', 'main work')",
            "CALL dolt_merge('feature')",
            "SELECT COUNT(*), SUM(n), MIN(s), MAX(id) FROM t",
            "SELECT n, COUNT(*) FROM t GROUP BY n ORDER BY n LIMIT 5",
            "SELECT id, s FROM t WHERE n = 1005 ORDER BY id",
            "SELECT t.id, u.k FROM t JOIN u ON u.t_id = t.id ORDER BY t.id",
            "SELECT COUNT(*) FROM dolt_log",
            "SELECT diff_type, COUNT(*) FROM dolt_diff_t WHERE to_commit = HASHOF('HEAD') GROUP BY diff_type ORDER BY diff_type",
            "SELECT table_name, rows_added, rows_deleted, rows_modified FROM dolt_diff_stat('HEAD~1', 'HEAD')",
            "BEGIN",
            "INSERT INTO t VALUES (5000, 1, 'in a transaction')",
            "UPDATE u SET t_id = 5000 WHERE k = 'a'",
            "COMMIT",
            "SELECT COUNT(*) FROM t AS OF 'HEAD~2'",
            "CALL dolt_tag('v1', 'HEAD~1')",
            "SELECT COUNT(*) FROM `cached/v1`.t",
            "SHOW CREATE TABLE `cached/v1`.t",
            "SHOW CREATE TABLE t AS OF 'v1'",
            "CALL dolt_checkout('-b', 'from_tag', 'v1')",
            "SELECT COUNT(*) FROM t",
            "CALL dolt_checkout('main')",
            "SELECT * FROM dolt_status ORDER BY table_name",
            "SELECT name FROM dolt_branches ORDER BY name",
        ]
        .map(String::from),
    );
    statements
}

#[test]
fn a_cache_that_keeps_nothing_gives_the_answers_of_a_plain_session() {
    let mut store = MemoryStore::new();
    let mut session = Session::open(&mut store, "cached").expect("session");
    session.set_time(1_700_000_000_000);
    let mut options = options(Storage::Memory);
    options.cache_bytes_max = 0;
    let mut db = ready(Database::open("cached", options)).expect("open");
    for statement in workload() {
        let expected = session
            .execute(&mut store, &statement)
            .unwrap_or_else(|e| panic!("{statement}: the workload fails on a plain session: {e}"));
        let got = ready(db.execute(&statement, &[])).unwrap_or_else(|e| panic!("{statement}: {e}"));
        assert_eq!(got, expected, "{statement}");
    }
}

/// A memory store that lets a rival publish just before each of its next `races` flushes, as
/// another tab would between a statement's run and its flush.
///
/// With `writes_ahead`, it writes ahead of flushes as IndexedDB does (the chunks land and the
/// manifest stays) and counts the chunks written ahead and by flushes; `fail_ahead` makes every
/// write ahead fail.
struct Racing {
    store: MemoryStore,
    races: Rc<Cell<u32>>,
    /// When set, every flush fails with this IO error instead.
    failing: Rc<Cell<bool>>,
    writes_ahead: bool,
    fail_ahead: Rc<Cell<bool>>,
    ahead_chunks: Rc<Cell<usize>>,
    flushed_chunks: Rc<Cell<usize>>,
    /// Chunks put on this handle since its last flush.
    buffered: usize,
}

impl Racing {
    fn new() -> Racing {
        Racing {
            store: MemoryStore::new(),
            races: Default::default(),
            failing: Default::default(),
            writes_ahead: false,
            fail_ahead: Default::default(),
            ahead_chunks: Default::default(),
            flushed_chunks: Default::default(),
            buffered: 0,
        }
    }

    fn rival_insert(&self) {
        let mut handle = self.store.handle();
        let mut rival = Session::open(&mut handle, "race").expect("rival session");
        let n = self.races.get();
        rival
            .execute(&mut handle, &format!("INSERT INTO t VALUES ({}, 'rival')", 1000 + n))
            .expect("rival");
    }
}

impl Store for Racing {
    async fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, StoreError> {
        Store::get_many(&self.store, hashes).await
    }
    async fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, StoreError> {
        Store::has_many(&self.store, hashes).await
    }
    fn put(&mut self, chunk: Chunk) -> Result<(), StoreError> {
        self.buffered += 1;
        Store::put(&mut self.store, chunk)
    }
    async fn manifest(&self) -> Result<Manifest, StoreError> {
        Store::manifest(&self.store).await
    }
    async fn flush(
        &mut self,
        expected: &Manifest,
        new: &Manifest,
        durability: Durability,
    ) -> Result<(), StoreError> {
        if self.failing.get() {
            return Err(StoreError::Io("the disk is on fire".into()));
        }
        self.flushed_chunks.set(self.flushed_chunks.get() + std::mem::take(&mut self.buffered));
        if self.races.get() > 0 {
            self.rival_insert();
            self.races.set(self.races.get() - 1);
        }
        Store::flush(&mut self.store, expected, new, durability).await
    }
    async fn collect_garbage(
        &mut self,
        expected: &Manifest,
        keep: &HashSet<Hash>,
    ) -> Result<GcStats, StoreError> {
        Store::collect_garbage(&mut self.store, expected, keep).await
    }
}

impl Backend for Racing {
    fn handle(&self) -> Racing {
        Racing {
            store: self.store.handle(),
            races: self.races.clone(),
            failing: self.failing.clone(),
            writes_ahead: self.writes_ahead,
            fail_ahead: self.fail_ahead.clone(),
            ahead_chunks: self.ahead_chunks.clone(),
            flushed_chunks: self.flushed_chunks.clone(),
            buffered: 0,
        }
    }

    fn write_ahead(&self, under: &Manifest, chunks: &[Chunk]) -> Option<cambium::db::WriteAhead> {
        if !self.writes_ahead {
            return None;
        }
        if self.fail_ahead.get() {
            let failed = Err(StoreError::Io("the write ahead failed on purpose".into()));
            return Some(Box::pin(std::future::ready(failed)));
        }
        // A flush that leaves the manifest where it is writes the chunks and publishes nothing.
        let mut handle = self.store.handle();
        for chunk in chunks {
            Store::put(&mut handle, chunk.clone()).expect("put");
        }
        let written = ready(Store::flush(&mut handle, under, under, Durability::Strict));
        self.ahead_chunks.set(self.ahead_chunks.get() + chunks.len());
        Some(Box::pin(std::future::ready(written)))
    }
}

fn racing() -> (Database<Racing>, Racing) {
    let store = Racing::new();
    let probe = store.handle();
    let mut db = ready(Database::open_on("race", store, options(Storage::Memory))).expect("open");
    rows(&mut db, "CREATE TABLE t (id INT PRIMARY KEY, who TEXT)");
    (db, probe)
}

#[test]
fn a_statement_that_lost_the_race_runs_again_on_the_newer_state() {
    let (mut db, probe) = racing();
    probe.races.set(3);
    let results = ready(db.execute("INSERT INTO t VALUES (1, 'mine')", &[])).expect("insert");
    assert_eq!(results[0].rows_affected, 1);
    assert_eq!(probe.races.get(), 0, "the rival won three times");
    assert_eq!(
        rows(&mut db, "SELECT id, who FROM t ORDER BY id"),
        vec![
            vec!["1", "mine"],
            vec!["1001", "rival"],
            vec!["1002", "rival"],
            vec!["1003", "rival"]
        ]
    );
}

#[test]
fn a_statement_that_keeps_losing_fails_retryably_and_changes_nothing() {
    let (mut db, probe) = racing();
    probe.races.set(cambium::db::STATEMENT_RETRIES_MAX + 5);
    let error = ready(db.execute("INSERT INTO t VALUES (1, 'mine')", &[])).expect_err("lost");
    assert_eq!(error.code(), "sql_serialization_failure", "{error}");
    assert!(error.is_retryable());
    probe.races.set(0);
    assert_eq!(one(&mut db, "SELECT COUNT(*) FROM t WHERE who = 'mine'"), "0");
    rows(&mut db, "INSERT INTO t VALUES (1, 'mine')");
    assert_eq!(one(&mut db, "SELECT who FROM t WHERE id = 1"), "mine");
}

#[test]
fn a_failed_flush_reports_the_store_error_and_changes_nothing() {
    let (mut db, probe) = racing();
    rows(&mut db, "INSERT INTO t VALUES (1, 'kept')");
    probe.failing.set(true);
    let error = ready(db.execute("UPDATE t SET who = 'lost' WHERE id = 1", &[])).expect_err("io");
    assert_eq!(error.code(), "io", "{error}");
    assert!(error.message().contains("on fire"), "{error}");
    let error = ready(db.execute("CALL dolt_commit('-Am', 'lost')", &[])).expect_err("io");
    assert_eq!(error.code(), "io", "{error}");
    probe.failing.set(false);
    assert_eq!(one(&mut db, "SELECT who FROM t WHERE id = 1"), "kept");
    assert_eq!(one(&mut db, "SELECT COUNT(*) FROM dolt_log"), "1");
    rows(&mut db, "UPDATE t SET who = 'changed' WHERE id = 1");
    assert_eq!(one(&mut db, "SELECT who FROM t WHERE id = 1"), "changed");
}

#[test]
fn fsck_and_gc_run_through_the_facade() {
    let dir = TempDir::new("database", "gc");
    let mut db = open("gc", dir.storage(""));
    rows(&mut db, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    for i in 0..30 {
        rows(&mut db, &format!("INSERT INTO t VALUES ({i}, '{}')", "v".repeat(200)));
    }
    rows(&mut db, "CALL dolt_commit('-Am', 'rows')");
    let report = ready(db.fsck()).expect("fsck");
    assert!(report.is_clean(), "{report}");
    let stats = ready(db.gc()).expect("gc");
    assert!(stats.removed_chunks > 0, "{stats:?}");
    assert!(stats.kept_chunks > 0, "{stats:?}");
    let report = ready(db.fsck()).expect("fsck");
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.chunks_checked, stats.kept_chunks, "fsck walks exactly what gc kept");
    assert_eq!(one(&mut db, "SELECT COUNT(*) FROM t"), "30");
    // The SQL procedure runs the same collection through the cache.
    rows(&mut db, "DELETE FROM t WHERE id < 10");
    rows(&mut db, "CALL dolt_commit('-am', 'fewer rows')");
    rows(&mut db, "CALL dolt_gc()");
    let report = ready(db.fsck()).expect("fsck");
    assert!(report.is_clean(), "{report}");
    drop(db);
    let mut again = open("gc", dir.storage(""));
    assert_eq!(one(&mut again, "SELECT COUNT(*) FROM t"), "20");
    assert_eq!(one(&mut again, "SELECT COUNT(*) FROM t AS OF 'HEAD~1'"), "30");
}

#[test]
fn statements_inside_a_transaction_rerun_after_loading_without_losing_its_rows() {
    let mut options = options(Storage::Memory);
    options.cache_bytes_max = 0;
    let mut db = ready(Database::open("bulk_in_tx", options)).expect("open");
    rows(&mut db, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    rows(&mut db, "INSERT INTO t VALUES (0, 'before')");
    rows(&mut db, "BEGIN");
    for batch in 0..10 {
        let values: Vec<String> =
            (1..=50).map(|i| format!("({}, 'row')", batch * 50 + i)).collect();
        rows(&mut db, &format!("INSERT INTO t VALUES {}", values.join(", ")));
    }
    let duplicate = ready(db.execute("INSERT INTO t VALUES (7, 'again')", &[])).expect_err("dup");
    assert_eq!(duplicate.code(), "sql_duplicate_key", "{duplicate}");
    rows(&mut db, "UPDATE t SET v = 'changed' WHERE id % 100 = 0");
    assert_eq!(one(&mut db, "SELECT COUNT(*) FROM t"), "501");
    rows(&mut db, "COMMIT");
    let mut again = open("bulk_in_tx", Storage::Memory);
    assert_eq!(one(&mut again, "SELECT COUNT(*) FROM t WHERE v = 'changed'"), "6");
    assert_eq!(one(&mut again, "SELECT COUNT(*) FROM t"), "501");
}

/// A database on a test store that writes ahead of flushes as IndexedDB does.
fn ahead() -> (Database<Racing>, Racing) {
    let store = Racing { writes_ahead: true, ..Racing::new() };
    let probe = store.handle();
    let db = ready(Database::open_on("ahead", store, options(Storage::Memory))).expect("open");
    (db, probe)
}

/// An INSERT of the 1,000 rows of `t` from id `start` on, with 40-byte texts.
fn insert_batch(start: usize) -> String {
    let values: Vec<String> =
        (start..start + 1000).map(|i| format!("({i}, {}, '{:040}')", i % 7, i * 31)).collect();
    format!("INSERT INTO t VALUES {}", values.join(", "))
}

/// Loads `batches` INSERTs of 1,000 rows into `t`, starting at id `from`.
fn load<B: Backend>(db: &mut Database<B>, from: usize, batches: usize) {
    for batch in 0..batches {
        rows(db, &insert_batch(from + batch * 1000));
    }
}

/// The script of a load inside one transaction, as a plain session runs it (which builds
/// nothing ahead): the reference for the tree the database must commit.
fn reference_hash(statements: &[String]) -> String {
    let mut store = MemoryStore::new();
    let mut session = Session::open(&mut store, "ahead").expect("session");
    session.set_time(1_700_000_000_000);
    let mut last = None;
    for statement in statements {
        last = session.execute(&mut store, statement).ok().map(|mut r| r.remove(0));
    }
    last.expect("the last statement answers").rows[0][0].to_string()
}

/// Runs `statements` on the database; failures are expected only where the reference fails.
fn run_all<B: Backend>(db: &mut Database<B>, statements: &[String]) -> String {
    let mut last = None;
    for statement in statements {
        last = ready(db.execute(statement, &[])).ok().map(|mut r| r.remove(0));
    }
    last.expect("the last statement answers").rows[0][0].to_string()
}

fn load_script(shape: &str) -> Vec<String> {
    let mut script = vec![
        "CREATE TABLE t (id BIGINT PRIMARY KEY, k INT, v VARCHAR(64), KEY by_k (k))".to_string(),
        "BEGIN".to_string(),
    ];
    for b in 0..12 {
        script.push(insert_batch(b * 1000));
        match (shape, b) {
            // An early row changes after it was built ahead: the builder must be dropped.
            ("update", 6) => script.push("UPDATE t SET v = 'changed' WHERE id = 17".to_string()),
            ("delete", 6) => script.push("DELETE FROM t WHERE id BETWEEN 100 AND 300".to_string()),
            // A failing statement's undo steps leave the built rows as they were.
            ("duplicate", 6) => {
                script.push("INSERT INTO t VALUES (7000, 1, 'a'), (5, 1, 'b')".into())
            }
            // A key below the run sends it into the tree.
            ("below", 6) => script.push("INSERT INTO t VALUES (-1, 0, 'first')".to_string()),
            _ => {}
        }
    }
    script.push("COMMIT".to_string());
    script.push("SELECT dolt_hashof_table('t')".to_string());
    script
}

#[test]
fn a_bulk_load_builds_its_table_ahead_and_commits_the_tree_a_plain_session_does() {
    for shape in ["append", "update", "delete", "duplicate", "below"] {
        let script = load_script(shape);
        let (mut db, probe) = ahead();
        assert_eq!(run_all(&mut db, &script), reference_hash(&script), "{shape}");
        // Once a key lands below the run, the table's rows are no longer one run and nothing
        // more is built ahead; before that, too little was built to be written.
        assert_eq!(
            probe.ahead_chunks.get() > 0,
            shape != "below",
            "{shape}: whether the load wrote chunks ahead of its commit"
        );
        let report = ready(db.fsck()).expect("fsck");
        assert!(report.is_clean(), "{shape}: {report}");
        let mut again = ready(Database::open_on("ahead", probe.handle(), options(Storage::Memory)))
            .expect("reopen");
        assert_eq!(
            one(&mut again, "SELECT COUNT(*) FROM t WHERE k = 3"),
            one(&mut db, "SELECT COUNT(*) FROM t WHERE k = 3")
        );
    }
}

#[test]
fn a_commit_after_writes_ahead_writes_only_the_rest_and_all_of_it_when_one_failed() {
    let (mut db, probe) = ahead();
    rows(&mut db, "CREATE TABLE t (id BIGINT PRIMARY KEY, k INT, v VARCHAR(64))");
    rows(&mut db, "BEGIN");
    load(&mut db, 0, 20);
    let before = probe.flushed_chunks.get();
    rows(&mut db, "COMMIT");
    let (ahead, flushed) = (probe.ahead_chunks.get(), probe.flushed_chunks.get() - before);
    assert!(ahead > 2 * flushed, "most chunks went ahead: {ahead} ahead, {flushed} at commit");
    assert_eq!(one(&mut db, "SELECT COUNT(*) FROM t"), "20000");

    probe.fail_ahead.set(true);
    rows(&mut db, "BEGIN");
    load(&mut db, 20_000, 20);
    let before = probe.flushed_chunks.get();
    rows(&mut db, "COMMIT");
    assert!(probe.flushed_chunks.get() - before > flushed, "the commit wrote every chunk again");
    let report = ready(db.fsck()).expect("fsck");
    assert!(report.is_clean(), "{report}");
    let mut again = ready(Database::open_on("ahead", probe.handle(), options(Storage::Memory)))
        .expect("reopen");
    assert_eq!(one(&mut again, "SELECT COUNT(*) FROM t"), "40000");
}

#[test]
fn a_rolled_back_load_leaves_nothing_to_publish() {
    let (mut db, probe) = ahead();
    rows(&mut db, "CREATE TABLE t (id BIGINT PRIMARY KEY, k INT, v VARCHAR(64))");
    rows(&mut db, "BEGIN");
    load(&mut db, 0, 10);
    rows(&mut db, "ROLLBACK");
    let before = probe.flushed_chunks.get();
    rows(&mut db, "INSERT INTO t VALUES (1, 1, 'one')");
    let flushed = probe.flushed_chunks.get() - before;
    assert!(flushed < 10, "the next write carries none of the rolled-back nodes: {flushed}");
    assert_eq!(one(&mut db, "SELECT COUNT(*) FROM t"), "1");
}

/// A memory store that counts the batches the database loads through `Store::get_many` (what
/// a cache does after `Missing`), and offers a reader to read through when `reads_through`.
struct Counted {
    store: MemoryStore,
    loads: Rc<Cell<u32>>,
    reads_through: bool,
}

impl Store for Counted {
    async fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, StoreError> {
        self.loads.set(self.loads.get() + 1);
        Store::get_many(&self.store, hashes).await
    }
    async fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, StoreError> {
        Store::has_many(&self.store, hashes).await
    }
    fn put(&mut self, chunk: Chunk) -> Result<(), StoreError> {
        Store::put(&mut self.store, chunk)
    }
    async fn manifest(&self) -> Result<Manifest, StoreError> {
        Store::manifest(&self.store).await
    }
    async fn flush(
        &mut self,
        expected: &Manifest,
        new: &Manifest,
        durability: Durability,
    ) -> Result<(), StoreError> {
        Store::flush(&mut self.store, expected, new, durability).await
    }
    async fn collect_garbage(
        &mut self,
        expected: &Manifest,
        keep: &HashSet<Hash>,
    ) -> Result<GcStats, StoreError> {
        Store::collect_garbage(&mut self.store, expected, keep).await
    }
}

impl Backend for Counted {
    fn handle(&self) -> Counted {
        Counted {
            store: self.store.handle(),
            loads: self.loads.clone(),
            reads_through: self.reads_through,
        }
    }

    fn reader(&self) -> Option<Box<dyn cambium::chunk::ChunkStore>> {
        self.reads_through
            .then(|| Box::new(self.store.handle()) as Box<dyn cambium::chunk::ChunkStore>)
    }
}

#[test]
fn a_cold_scan_on_a_store_that_answers_at_once_reads_through_instead_of_running_again() {
    let store = MemoryStore::new();
    let loads = Rc::new(Cell::new(0));
    let backend = Counted { store: store.handle(), loads: loads.clone(), reads_through: true };
    let mut db =
        ready(Database::open_on("counted", backend, options(Storage::Memory))).expect("open");
    rows(&mut db, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(40))");
    let values: Vec<String> = (0..20_000).map(|i| format!("({i}, 'value {i}')")).collect();
    rows(&mut db, &format!("INSERT INTO t VALUES {}", values.join(",")));
    drop(db);

    for reads_through in [true, false] {
        loads.set(0);
        let backend = Counted { store: store.handle(), loads: loads.clone(), reads_through };
        let mut cold = options(Storage::Memory);
        cold.cache_bytes_max = 0;
        let mut db = ready(Database::open_on("counted", backend, cold)).expect("open");
        let opened = loads.get();
        assert_eq!(one(&mut db, "SELECT count(*) FROM t"), "20000");
        let scan_loads = loads.get() - opened;
        if reads_through {
            assert_eq!(scan_loads, 0, "the scan read through the reader");
        } else {
            // Without a reader the cache answers `Missing` and the statement runs again after
            // each load: many loads for a scan over many leaves.
            assert!(scan_loads > 3, "{scan_loads} loads");
        }
    }
}
