//! Garbage collection while another session has a transaction open: the transaction may refer to
//! chunks the collection removed, so its commit is refused with a retryable error and a retry
//! (a fresh transaction) succeeds; nothing reachable is lost.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use cambium::chunk::MemoryStore;
use cambium::history::fsck;
use cambium::sql::Session;

fn run(session: &mut Session, store: &mut MemoryStore, sql: &str) {
    session.execute(store, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn count(session: &mut Session, store: &mut MemoryStore) -> String {
    let result = session.execute(store, "SELECT COUNT(*) FROM t").expect("count");
    result[0].rows[0][0].to_string()
}

#[test]
fn a_transaction_open_across_a_collection_is_rolled_back_and_retried() {
    let mut store = MemoryStore::new();
    let mut writer = Session::open(&mut store, "mydb").expect("session");
    let mut collector = Session::open(&mut store, "mydb").expect("session");
    run(&mut writer, &mut store, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    run(&mut writer, &mut store, "INSERT INTO t VALUES (1, 'one'), (2, 'two')");
    run(&mut writer, &mut store, "CALL dolt_commit('-Am', 'two rows')");

    run(&mut writer, &mut store, "BEGIN");
    run(&mut writer, &mut store, "INSERT INTO t VALUES (3, 'three')");
    // The collector rewrites the table, so the writer's base becomes garbage, then collects.
    run(&mut collector, &mut store, "DELETE FROM t WHERE id = 1");
    run(&mut collector, &mut store, "CALL dolt_commit('-am', 'one row')");
    run(&mut collector, &mut store, "CALL dolt_gc()");

    let refused = writer.execute(&mut store, "COMMIT").expect_err("a stale transaction");
    assert_eq!(refused.code(), "sql_serialization_failure", "{refused}");
    assert!(refused.message.contains("garbage-collected"), "{refused}");
    assert!(!writer.in_transaction(), "the refused transaction is over");
    assert_eq!(count(&mut writer, &mut store), "1", "nothing of the refused transaction stands");

    run(&mut writer, &mut store, "INSERT INTO t VALUES (3, 'three')");
    assert_eq!(count(&mut collector, &mut store), "2");
    let report = fsck(&store).expect("fsck");
    assert!(report.is_clean(), "{report}");
}

#[test]
fn every_collection_moves_the_marker() {
    let mut store = MemoryStore::new();
    let mut session = Session::open(&mut store, "mydb").expect("session");
    run(&mut session, &mut store, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    run(&mut session, &mut store, "CALL dolt_commit('-Am', 'table')");
    for round in 0..3 {
        // A transaction begun after a collection commits normally.
        run(&mut session, &mut store, "CALL dolt_gc()");
        run(&mut session, &mut store, "BEGIN");
        run(&mut session, &mut store, &format!("INSERT INTO t VALUES ({round}, 'r')"));
        run(&mut session, &mut store, "COMMIT");
    }
    assert_eq!(count(&mut session, &mut store), "3");
}
