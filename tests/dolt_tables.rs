//! `dolt_branches` as a compare-and-swap: the rows an UPDATE reports are the branches it
//! moved, so a client can tell whether it won (the fixture format cannot see row counts).
#![cfg(not(target_arch = "wasm32"))]

use cambium::chunk::MemoryStore;
use cambium::sql::Session;

fn affected(session: &mut Session, store: &mut MemoryStore, sql: &str) -> u64 {
    let results = session.execute(store, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    results.last().map_or(0, |r| r.rows_affected)
}

#[test]
fn branch_update_moves_only_an_unmoved_branch() {
    let mut store = MemoryStore::new();
    let mut a = Session::open(&mut store, "mydb").expect("session");
    let mut b = Session::open(&mut store, "mydb").expect("session");
    a.set_time(1_700_000_000_000);
    b.set_time(1_700_000_000_000);
    affected(&mut a, &mut store, "CREATE TABLE t (id INT PRIMARY KEY)");
    affected(&mut a, &mut store, "INSERT INTO t VALUES (1)");
    affected(&mut a, &mut store, "SET @old = @@mydb_head");
    let publish = "UPDATE dolt_branches SET hash = COMMIT('-m', 'message') \
                   WHERE name = 'main' AND hash = @@mydb_head";
    assert_eq!(affected(&mut a, &mut store, publish), 1);
    let stale = "UPDATE dolt_branches SET hash = COMMIT('-m', 'stale') \
                 WHERE name = 'main' AND hash = @old";
    assert_eq!(affected(&mut a, &mut store, stale), 0);

    // Another session moves main between this session reading its head and updating.
    affected(&mut a, &mut store, "SET @seen = @@mydb_head");
    affected(&mut b, &mut store, "INSERT INTO t VALUES (2)");
    assert_eq!(affected(&mut b, &mut store, publish), 1);
    let raced = "UPDATE dolt_branches SET hash = COMMIT('-m', 'late') \
                 WHERE name = 'main' AND hash = @seen";
    assert_eq!(affected(&mut a, &mut store, raced), 0);
    let head = a.execute(&mut store, "SELECT message FROM dolt_log LIMIT 1").expect("log");
    assert_eq!(head.last().expect("result").rows[0][0].to_string(), "message");
    assert_eq!(affected(&mut a, &mut store, "DELETE FROM dolt_branches WHERE name = 'none'"), 0);
}
