//! Replication's configuration across sessions on one store: persisted variables reach a
//! session that is already open at its next transaction, the settings read back as one
//! `Replication`, and a read-only session refuses writes with the reason it was given.
#![cfg(not(target_arch = "wasm32"))]

use cambium::chunk::MemoryStore;
use cambium::sql::{ConflictPolicy, Datum, ErrorKind, Heads, Session};

fn open(store: &mut MemoryStore) -> Session {
    let mut session = Session::open(store, "mydb").expect("session");
    session.set_time(1_700_000_000_000);
    session
}

fn value(session: &mut Session, store: &mut MemoryStore, sql: &str) -> Datum {
    let results = session.execute(store, sql).expect("query");
    results.last().expect("a result").rows[0][0].clone()
}

fn text(value: &str) -> Datum {
    Datum::Text(value.to_string())
}

#[test]
fn a_persisted_variable_reaches_an_open_session_at_its_next_transaction() {
    let mut store = MemoryStore::new();
    let mut writer = open(&mut store);
    let mut reader = open(&mut store);
    assert_eq!(reader.replication().to_remote, None);

    writer.execute(&mut store, "SET PERSIST dolt_replicate_to_remote = 'origin'").expect("persist");
    assert_eq!(reader.replication().to_remote, None, "read only at a transaction start");
    assert_eq!(value(&mut reader, &mut store, "SELECT @@dolt_replicate_to_remote"), text("origin"));
    assert_eq!(
        value(&mut reader, &mut store, "SELECT @@GLOBAL.dolt_replicate_to_remote"),
        text("origin")
    );
    assert_eq!(reader.replication().to_remote.as_deref(), Some("origin"));

    // A value the reader SET in its own session stays; the global still follows.
    reader.execute(&mut store, "SET SESSION dolt_replication_conflicts = 'ours'").expect("set");
    writer
        .execute(
            &mut store,
            "SET PERSIST dolt_replication_conflicts = 'theirs', PERSIST dolt_replicate_heads = 'main,release/*'",
        )
        .expect("persist");
    assert_eq!(
        value(&mut reader, &mut store, "SELECT @@GLOBAL.dolt_replication_conflicts"),
        text("theirs")
    );
    let settings = reader.replication();
    assert_eq!(settings.conflicts, ConflictPolicy::Ours);
    assert_eq!(settings.heads, Heads::List(vec!["main".into(), "release/*".into()]));

    // Removing a persisted value puts the default back everywhere.
    writer.execute(&mut store, "SET PERSIST dolt_replicate_to_remote = DEFAULT").expect("unset");
    value(&mut reader, &mut store, "SELECT 1");
    assert_eq!(reader.replication().to_remote, None);

    // Both writers' values are kept when they persist different variables.
    reader.execute(&mut store, "SET PERSIST dolt_async_replication = 1").expect("persist");
    value(&mut writer, &mut store, "SELECT 1");
    let settings = writer.replication();
    assert!(settings.async_push);
    assert_eq!(settings.conflicts, ConflictPolicy::Theirs);

    // A session opened now reads the same.
    let mut fresh = open(&mut store);
    value(&mut fresh, &mut store, "SELECT 1");
    assert_eq!(fresh.replication(), writer.replication());
}

#[test]
fn a_read_only_session_refuses_with_its_reason_and_changes_nothing() {
    let mut store = MemoryStore::new();
    let mut session = open(&mut store);
    session.execute(&mut store, "CREATE TABLE t (a INT PRIMARY KEY)").expect("create");
    let reason = "mydb is a read replica of origin; write to the primary";
    session.set_read_only(Some(reason.to_string()));
    assert_eq!(session.read_only(), Some(reason));

    let error = session.execute(&mut store, "INSERT INTO t VALUES (1)").unwrap_err();
    assert_eq!(error.kind, ErrorKind::ReadOnly);
    assert_eq!(error.code(), "sql_read_only");
    assert_eq!(error.message, reason);

    // The procedures that reach a remote are handed to the database layer, which asks first.
    let bound = session.parse("CALL dolt_push('origin', 'main')", &[]).expect("parse");
    let error = session.network_call(&bound[0].statement, &[]).unwrap_err();
    assert_eq!(error.kind, ErrorKind::ReadOnly);
    let bound = session.parse("CALL dolt_backup('sync', 'b')", &[]).expect("parse");
    assert!(session.network_call(&bound[0].statement, &[]).expect("allowed").is_some());

    session.set_read_only(None);
    assert_eq!(value(&mut session, &mut store, "SELECT COUNT(*) FROM t"), Datum::Int(0));
    session.execute(&mut store, "INSERT INTO t VALUES (1)").expect("writable again");
}

#[test]
fn a_transaction_that_wrote_before_the_session_turned_read_only_does_not_commit() {
    let mut store = MemoryStore::new();
    let mut session = open(&mut store);
    session.execute(&mut store, "CREATE TABLE t (a INT PRIMARY KEY)").expect("create");
    session.execute(&mut store, "BEGIN; INSERT INTO t VALUES (1)").expect("write");
    session.set_read_only(Some("demoted".to_string()));
    let error = session.execute(&mut store, "COMMIT").unwrap_err();
    assert_eq!(error.kind, ErrorKind::ReadOnly);
    session.execute(&mut store, "ROLLBACK").expect("rollback");
    assert_eq!(value(&mut session, &mut store, "SELECT COUNT(*) FROM t"), Datum::Int(0));
}

#[test]
fn transaction_commits_are_signed_by_the_session_user() {
    let mut store = MemoryStore::new();
    let mut session = open(&mut store);
    session.set_user("Tim Sehn", "tim@example.com");
    session
        .execute(&mut store, "SET PERSIST dolt_transaction_commit = 1; CREATE TABLE test (pk INT PRIMARY KEY, c1 INT); INSERT INTO test VALUES (1, 1)")
        .expect("write");
    let results = session
        .execute(&mut store, "SELECT message, committer, email FROM dolt_log LIMIT 1")
        .expect("log");
    assert_eq!(
        results[0].rows[0],
        vec![text("Transaction commit"), text("Tim Sehn"), text("tim@example.com")]
    );
}
