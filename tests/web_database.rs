//! The database facade on IndexedDB in headless Chrome: a database reopened by name (as after a
//! reload) is in its last published state; two database objects on one name (as two tabs) write
//! at the same time and lose nothing, and each sees the other's writes on its next statement; a
//! cache that keeps nothing between statements, so every statement loads its chunks from
//! IndexedDB in batches, gives the answers of a plain session; fsck and gc.

#![cfg(all(target_arch = "wasm32", not(feature = "node-tests")))]

use std::cell::Cell;

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};

use cambium::chunk::MemoryStore;
use cambium::db::{Database, Options, Storage};
use cambium::sql::Session;

wasm_bindgen_test_configure!(run_in_browser);

thread_local! {
    static NEXT: Cell<u32> = const { Cell::new(0) };
}

/// A database name no earlier run used.
fn unique(name: &str) -> String {
    let n = NEXT.with(|n| {
        n.set(n.get() + 1);
        n.get()
    });
    format!("{name}-{n}-{}", (js_sys::Math::random() * 1e9) as u64)
}

fn options() -> Options {
    let mut options = Options::new(Storage::IndexedDb);
    options.clock = Box::new(|| 1_700_000_000_000);
    options
}

async fn open(name: &str) -> Database {
    Database::open(name, options()).await.unwrap_or_else(|e| panic!("open {name}: {e}"))
}

async fn rows(db: &mut Database, sql: &str) -> Vec<Vec<String>> {
    let results = db.execute(sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let last = results.last().expect("a result");
    last.rows.iter().map(|row| row.iter().map(|d| d.to_string()).collect()).collect()
}

async fn one(db: &mut Database, sql: &str) -> String {
    rows(db, sql).await[0][0].clone()
}

#[test]
async fn a_reopened_database_is_in_its_last_published_state() {
    let name = unique("reopen");
    let mut db = open(&name).await;
    rows(&mut db, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)").await;
    rows(&mut db, "INSERT INTO t VALUES (1, 'one'), (2, 'two')").await;
    rows(&mut db, "CALL dolt_commit('-Am', 'two rows')").await;
    rows(&mut db, "BEGIN").await;
    rows(&mut db, "INSERT INTO t VALUES (3, 'never committed')").await;
    db.close();
    let mut again = open(&name).await;
    assert_eq!(one(&mut again, "SELECT COUNT(*) FROM t").await, "2");
    assert_eq!(one(&mut again, "SELECT message FROM dolt_log LIMIT 1").await, "two rows");
}

/// Inserts `count` rows from `first` on, one autocommit statement each, and gives the
/// database back.
async fn insert_rows(mut db: Database, first: u32, count: u32) -> Database {
    for id in first..first + count {
        rows(&mut db, &format!("INSERT INTO t VALUES ({id}, 'w')")).await;
    }
    db
}

#[test]
async fn two_databases_on_one_name_write_at_once_and_lose_nothing() {
    let name = unique("two");
    let mut a = open(&name).await;
    rows(&mut a, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)").await;
    let mut b = open(&name).await;
    rows(&mut b, "BEGIN").await;
    rows(&mut b, "INSERT INTO t VALUES (10000, 'in a transaction')").await;
    // The two writers interleave at every await: each flush may find the other's manifest.
    let (done_a, done_b) = (std::rc::Rc::new(Cell::new(None)), std::rc::Rc::new(Cell::new(None)));
    let (slot_a, slot_b) = (done_a.clone(), done_b.clone());
    let first = future_to_promise(async move {
        slot_a.set(Some(insert_rows(a, 0, 60).await));
        Ok(JsValue::UNDEFINED)
    });
    let second = future_to_promise(async move {
        slot_b.set(Some(insert_rows(b, 100, 60).await));
        Ok(JsValue::UNDEFINED)
    });
    let both = js_sys::Array::of2(&first, &second);
    JsFuture::from(js_sys::Promise::all(&both)).await.expect("both writers");
    let (mut a, mut b) = (done_a.take().expect("a"), done_b.take().expect("b"));
    rows(&mut b, "COMMIT").await;
    assert_eq!(one(&mut a, "SELECT COUNT(*) FROM t").await, "121");
    assert_eq!(one(&mut b, "SELECT COUNT(*) FROM t").await, "121");
    let report = a.fsck().await.expect("fsck");
    assert!(report.is_clean(), "{report}");
}

#[test]
async fn another_database_object_sees_new_rows_on_its_next_statement() {
    let name = unique("announce");
    let mut writer = open(&name).await;
    rows(&mut writer, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)").await;
    let mut reader = open(&name).await;
    assert_eq!(one(&mut reader, "SELECT COUNT(*) FROM t").await, "0");
    rows(&mut writer, "INSERT INTO t VALUES (1, 'new')").await;
    // The announcement travels as a message; give it a bounded number of turns.
    let mut seen = String::new();
    for _ in 0..50 {
        seen = one(&mut reader, "SELECT COUNT(*) FROM t").await;
        if seen == "1" {
            break;
        }
        let tick = js_sys::Promise::new(&mut |resolve, _| {
            let global = js_sys::global();
            let set_timeout = js_sys::Reflect::get(&global, &"setTimeout".into()).expect("timer");
            let set_timeout: js_sys::Function = set_timeout.into();
            set_timeout.call2(&global, &resolve, &10.into()).expect("setTimeout");
        });
        JsFuture::from(tick).await.expect("tick");
    }
    assert_eq!(seen, "1", "the reader never heard of the writer's flush");
}

#[test]
async fn a_cache_that_keeps_nothing_loads_from_indexeddb_and_answers_the_same() {
    let name = unique("cold");
    let mut options = options();
    options.cache_bytes_max = 0;
    let mut db = Database::open(&name, options).await.expect("open");
    let mut store = MemoryStore::new();
    let mut session = Session::open(&mut store, &name).expect("session");
    session.set_time(1_700_000_000_000);
    let mut statements =
        vec!["CREATE TABLE t (id INT PRIMARY KEY, n INT, s TEXT, KEY by_n (n))".to_string()];
    for chunk in 0..10 {
        let values: Vec<String> = (0..100)
            .map(|i| chunk * 100 + i)
            .map(|i| format!("({i}, {}, 'row {i}')", i % 13))
            .collect();
        statements.push(format!("INSERT INTO t VALUES {}", values.join(", ")));
    }
    statements.extend(
        [
            "CALL dolt_commit('-Am', 'load')",
            "CALL dolt_branch('side')",
            "UPDATE t SET n = n + 100 WHERE id % 5 = 0",
            "CALL dolt_commit('-am', 'bump')",
            "SELECT n, COUNT(*) FROM t GROUP BY n ORDER BY n",
            "SELECT id FROM t WHERE n = 103 ORDER BY id LIMIT 5",
            "SELECT diff_type, COUNT(*) FROM dolt_diff('side', 'main', 't') GROUP BY diff_type",
            "SELECT COUNT(*) FROM t AS OF 'side' WHERE n >= 100",
        ]
        .map(String::from),
    );
    for statement in statements {
        let expected = session
            .execute(&mut store, &statement)
            .unwrap_or_else(|e| panic!("{statement}: the plain session failed: {e}"));
        let got = db.execute(&statement, &[]).await.unwrap_or_else(|e| panic!("{statement}: {e}"));
        assert_eq!(got, expected, "{statement}");
    }
}

#[test]
async fn fsck_and_gc_on_indexeddb() {
    let name = unique("gc");
    let mut db = open(&name).await;
    rows(&mut db, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)").await;
    for i in 0..20 {
        rows(&mut db, &format!("INSERT INTO t VALUES ({i}, '{}')", "v".repeat(300))).await;
    }
    rows(&mut db, "CALL dolt_commit('-Am', 'rows')").await;
    let stats = db.gc().await.expect("gc");
    assert!(stats.removed_chunks > 0, "{stats:?}");
    let report = db.fsck().await.expect("fsck");
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.chunks_checked, stats.kept_chunks, "fsck walks exactly what gc kept");
    db.close();
    let mut again = open(&name).await;
    assert_eq!(one(&mut again, "SELECT COUNT(*) FROM t").await, "20");
}

/// Loads `batches` INSERTs of 1,000 rows (about 60 KiB of chunks each) into `table`.
async fn load(db: &mut Database, table: &str, batches: usize) {
    for batch in 0..batches {
        let start = batch * 1000;
        let values: Vec<String> =
            (start..start + 1000).map(|i| format!("({i}, '{:040}')", i * 31)).collect();
        rows(db, &format!("INSERT INTO {table} VALUES {}", values.join(", "))).await;
    }
}

#[test]
async fn a_bulk_load_written_ahead_of_its_commit_reopens_whole() {
    let name = unique("ahead");
    let mut db = open(&name).await;
    rows(&mut db, "CREATE TABLE t (id BIGINT PRIMARY KEY, v VARCHAR(64))").await;
    rows(&mut db, "BEGIN").await;
    load(&mut db, "t", 30).await;
    rows(&mut db, "COMMIT").await;
    let report = db.fsck().await.expect("fsck");
    assert!(report.is_clean(), "{report}");
    db.close();
    let mut again = open(&name).await;
    assert_eq!(one(&mut again, "SELECT COUNT(*) FROM t").await, "30000");
    assert_eq!(
        one(&mut again, "SELECT v FROM t WHERE id = 29999").await,
        format!("{:040}", 29999 * 31)
    );
}

#[test]
async fn a_collection_during_a_load_written_ahead_refuses_the_commit_and_keeps_the_store_whole() {
    let name = unique("ahead-gc");
    let mut loader = open(&name).await;
    rows(&mut loader, "CREATE TABLE t (id BIGINT PRIMARY KEY, v VARCHAR(64))").await;
    rows(&mut loader, "INSERT INTO t VALUES (-1, 'before')").await;
    rows(&mut loader, "CREATE TABLE u (id BIGINT PRIMARY KEY, v VARCHAR(64))").await;
    rows(&mut loader, "BEGIN").await;
    // Into `u`, which is empty, so the load builds ahead; its chunks are written ahead.
    load(&mut loader, "u", 20).await;
    // Another connection collects garbage meanwhile: the chunks written ahead are not
    // reachable yet and go, and the loader's transaction, begun before the collection, is
    // refused at commit rather than publishing a table whose nodes are gone.
    let mut collector = open(&name).await;
    collector.gc().await.expect("gc");
    let refused = loader.execute("COMMIT", &[]).await.expect_err("the commit is refused");
    assert_eq!(refused.code(), "sql_serialization_failure", "{refused}");
    let report = collector.fsck().await.expect("fsck");
    assert!(report.is_clean(), "{report}");
    // The load run again after the collection commits whole.
    let _ = loader.execute("ROLLBACK", &[]).await;
    rows(&mut loader, "BEGIN").await;
    load(&mut loader, "u", 20).await;
    rows(&mut loader, "COMMIT").await;
    loader.close();
    let mut again = open(&name).await;
    assert_eq!(one(&mut again, "SELECT COUNT(*) FROM u").await, "20000");
    let report = again.fsck().await.expect("fsck");
    assert!(report.is_clean(), "{report}");
}
