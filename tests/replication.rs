//! Replication with Dolt's system variables, natively over a `file://` remote: a primary
//! pushes every head it moves (commits, branches created and deleted, tags), a read replica
//! pulls the configured heads before every transaction, a misconfigured primary refuses
//! statements or, told to skip errors, warns.

#![cfg(not(target_arch = "wasm32"))]

use cambium::db::{ready, Database};

mod support;

use support::databases::{fails, open, options, rows, TempDir};

/// A primary `a` with table `test` (one row) committed and pushed to `origin`, replicating to
/// it, and a replica `b` cloned from the remote.
fn primary_and_replica(dir: &TempDir) -> (Database, Database) {
    let mut a = open("a", dir.storage("a"));
    rows(&mut a, "CREATE TABLE test (pk INT PRIMARY KEY, c1 INT)");
    rows(&mut a, "INSERT INTO test VALUES (0, 0)");
    rows(&mut a, "CALL dolt_commit('-Am', 'first')");
    rows(&mut a, &format!("CALL dolt_remote('add', 'origin', '{}')", dir.url("db")));
    rows(&mut a, "CALL dolt_push('origin', 'main')");
    rows(&mut a, "SET PERSIST @@GLOBAL.dolt_replicate_to_remote = 'origin'");
    let b =
        ready(Database::clone_from(&dir.url("db"), "b", options(dir.storage("b")), "origin", None))
            .unwrap_or_else(|e| panic!("clone: {e}"));
    (a, b)
}

fn remote_head(dir: &TempDir, branch: &str) -> String {
    let mut probe = ready(Database::clone_from(
        &dir.url("db"),
        "probe",
        options(dir.storage(&format!("probe-{}", std::process::id()))),
        "origin",
        Some(branch),
    ))
    .unwrap_or_else(|e| panic!("clone {branch}: {e}"));
    let head = rows(&mut probe, &format!("SELECT hashof('{branch}')"))[0][0].clone();
    probe.close();
    let _ = std::fs::remove_dir_all(dir.path().join(format!("probe-{}", std::process::id())));
    head
}

#[test]
fn a_primary_pushes_each_commit_and_a_replica_pulls_it_before_reading() {
    let dir = TempDir::new("replication", "commits");
    let (mut a, mut b) = primary_and_replica(&dir);
    rows(&mut b, "SET PERSIST @@GLOBAL.dolt_read_replica_remote = 'origin'");
    rows(&mut b, "SET PERSIST @@GLOBAL.dolt_replicate_heads = 'main'");

    rows(&mut a, "INSERT INTO test VALUES (1, 1)");
    let head = rows(&mut a, "CALL dolt_commit('-am', 'one')")[0][0].clone();
    assert_eq!(remote_head(&dir, "main"), head, "the commit was pushed before it answered");

    assert_eq!(rows(&mut b, "SELECT pk FROM test ORDER BY pk"), [["0"], ["1"]]);
    assert_eq!(rows(&mut b, "SELECT hashof('main')"), [[head]]);

    // A replica refuses writes unless told to allow them.
    let (code, message) = fails(&mut b, "INSERT INTO test VALUES (9, 9)");
    assert_eq!(code, "sql_read_only", "{message}");
    assert!(message.contains("read replica of remote 'origin'"), "{message}");
    rows(&mut b, "SET @@GLOBAL.dolt_read_replica_allow_writes = 1");
    rows(&mut b, "INSERT INTO test VALUES (9, 9)");
    rows(&mut b, "SET @@GLOBAL.dolt_read_replica_allow_writes = 0");

    // The function form of a commit is a head move too.
    rows(&mut a, "INSERT INTO test VALUES (2, 2)");
    rows(&mut a, "SELECT dolt_commit('-am', 'two')");
    assert_eq!(rows(&mut b, "SELECT pk FROM test ORDER BY pk"), [["0"], ["1"], ["2"]]);

    // A plain COMMIT of the working set moves no head, so nothing is pushed.
    rows(&mut a, "INSERT INTO test VALUES (3, 3)");
    assert_eq!(rows(&mut b, "SELECT pk FROM test ORDER BY pk"), [["0"], ["1"], ["2"]]);
}

#[test]
fn branches_and_tags_replicate_with_all_heads() {
    let dir = TempDir::new("replication", "branches");
    let (mut a, mut b) = primary_and_replica(&dir);
    rows(&mut b, "SET PERSIST @@GLOBAL.dolt_read_replica_remote = 'origin'");
    rows(&mut b, "SET PERSIST @@GLOBAL.dolt_replicate_all_heads = 1");

    rows(&mut a, "CALL dolt_checkout('-b', 'branch1')");
    rows(&mut a, "INSERT INTO test VALUES (3, 3)");
    rows(&mut a, "CALL dolt_commit('-am', 'Inserted (3,3)')");
    rows(&mut a, "CALL dolt_tag('v1', 'branch1')");

    let checked_out =
        rows(&mut b, "CALL dolt_checkout('branch1'); SELECT pk FROM test ORDER BY pk");
    assert_eq!(checked_out, [["0"], ["3"]]);
    assert_eq!(rows(&mut b, "SELECT tag_name FROM dolt_tags"), [["v1"]]);

    rows(&mut a, "CALL dolt_checkout('main')");
    rows(&mut a, "CALL dolt_branch('-D', 'branch1')");
    rows(&mut a, "CALL dolt_tag('-d', 'v1')");
    rows(&mut b, "CALL dolt_checkout('main')");
    assert_eq!(rows(&mut b, "SELECT name FROM dolt_branches"), [["main"]]);
    assert!(rows(&mut b, "SELECT tag_name FROM dolt_tags").is_empty());
}

#[test]
fn a_missing_remote_refuses_the_commit_unless_errors_are_skipped() {
    let dir = TempDir::new("replication", "broken");
    let (mut a, _) = primary_and_replica(&dir);
    rows(&mut a, "SET PERSIST @@GLOBAL.dolt_replicate_to_remote = 'broken'");
    let before = rows(&mut a, "SELECT hashof('main')");
    let (_, message) = fails(&mut a, "CALL dolt_commit('-m', 'empty commit', '--allow-empty')");
    assert!(message.contains("remote not found: 'broken'"), "{message}");
    assert_eq!(rows(&mut a, "SELECT hashof('main')"), before, "nothing was committed");

    rows(&mut a, "SET PERSIST @@GLOBAL.dolt_skip_replication_errors = 1");
    let results = ready(a.execute("CALL dolt_commit('-m', 'empty commit', '--allow-empty')", &[]))
        .expect("a commit with a warning");
    let warnings = &results[0].warnings;
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].message.contains("remote not found: 'broken'"), "{warnings:?}");
    let shown = rows(&mut a, "SHOW WARNINGS");
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0][..2], ["Warning".to_string(), "1105".to_string()]);
    assert!(shown[0][2].contains("remote not found: 'broken'"), "{shown:?}");
    assert_eq!(rows(&mut a, "SHOW WARNINGS"), shown, "SHOW WARNINGS keeps them");
    rows(&mut a, "SELECT 1");
    assert!(rows(&mut a, "SHOW WARNINGS").is_empty(), "the next statement has none");
    assert_eq!(rows(&mut a, "SELECT message FROM dolt_log LIMIT 1"), [["empty commit"]]);
}

/// Two writers replicating to one remote: a push refused as non-fast-forward merges the
/// remote branch and goes through, so both writers' commits end up on the remote; conflicts
/// are kept for the application or resolved as `@@dolt_replication_conflicts` says.
#[test]
fn writers_whose_push_is_refused_merge_and_push_again() {
    let dir = TempDir::new("replication", "writers");
    let (mut a, mut c) = primary_and_replica(&dir);
    rows(&mut c, "SET PERSIST @@GLOBAL.dolt_replicate_to_remote = 'origin'");

    rows(&mut a, "INSERT INTO test VALUES (1, 1)");
    rows(&mut a, "CALL dolt_commit('-am', 'from a')");
    rows(&mut c, "INSERT INTO test VALUES (2, 2)");
    rows(&mut c, "CALL dolt_commit('-am', 'from c')");
    assert_eq!(rows(&mut c, "SELECT pk FROM test ORDER BY pk"), [["0"], ["1"], ["2"]]);
    let head = rows(&mut c, "SELECT hashof('main')")[0][0].clone();
    assert_eq!(remote_head(&dir, "main"), head, "c merged a's commit and pushed the merge");

    // Both change row 0: kept conflicts stop the push until the application resolves them.
    rows(&mut a, "CALL dolt_pull('origin')");
    rows(&mut a, "UPDATE test SET c1 = 10 WHERE pk = 0");
    rows(&mut a, "CALL dolt_commit('-am', 'a sets 10')");
    rows(&mut c, "UPDATE test SET c1 = 20 WHERE pk = 0");
    let (code, message) = fails(&mut c, "CALL dolt_commit('-am', 'c sets 20')");
    assert_eq!(code, "replication_conflicts", "{message}");
    assert_eq!(rows(&mut c, "SELECT count(*) FROM dolt_conflicts_test"), [["1"]]);
    rows(&mut c, "CALL dolt_conflicts_resolve('--theirs', 'test')");
    rows(&mut c, "CALL dolt_commit('-am', 'resolved')");
    assert_eq!(rows(&mut c, "SELECT c1 FROM test WHERE pk = 0"), [["10"]]);
    assert_eq!(remote_head(&dir, "main"), rows(&mut c, "SELECT hashof('main')")[0][0]);

    // With a policy, the writer resolves them itself.
    rows(&mut a, "CALL dolt_pull('origin')");
    rows(&mut a, "UPDATE test SET c1 = 11 WHERE pk = 0");
    rows(&mut a, "CALL dolt_commit('-am', 'a sets 11')");
    rows(&mut c, "SET PERSIST @@GLOBAL.dolt_replication_conflicts = 'ours'");
    rows(&mut c, "UPDATE test SET c1 = 21 WHERE pk = 0");
    rows(&mut c, "CALL dolt_commit('-am', 'c sets 21')");
    assert_eq!(rows(&mut c, "SELECT c1 FROM test WHERE pk = 0"), [["21"]]);
    assert_eq!(remote_head(&dir, "main"), rows(&mut c, "SELECT hashof('main')")[0][0]);
    rows(&mut a, "CALL dolt_pull('origin')");
    assert_eq!(rows(&mut a, "SELECT c1 FROM test WHERE pk = 0"), [["21"]], "the writers converge");
}

/// Failover: a standby replica promotes itself; the remote's epoch moves on, so the old
/// primary's next push is refused as fenced and it turns read-only, while the new primary
/// replicates its commits.
#[test]
fn a_promoted_standby_fences_off_the_old_primary() {
    let dir = TempDir::new("replication", "failover");
    let (mut a, mut b) = primary_and_replica(&dir);
    rows(&mut b, "SET PERSIST @@GLOBAL.dolt_read_replica_remote = 'origin'");
    rows(&mut b, "SET PERSIST @@GLOBAL.dolt_replicate_heads = 'main'");
    rows(&mut a, "INSERT INTO test VALUES (1, 1)");
    rows(&mut a, "CALL dolt_commit('-am', 'last from a')");

    let promoted = rows(&mut b, "CALL dolt_promote('origin')");
    assert!(promoted[0][1].contains("epoch 1"), "{promoted:?}");
    assert_eq!(rows(&mut b, "SELECT pk FROM test ORDER BY pk"), [["0"], ["1"]], "caught up");
    assert_eq!(rows(&mut b, "SELECT @@GLOBAL.dolt_read_replica_remote"), [[""]]);
    rows(&mut b, "INSERT INTO test VALUES (2, 2)");
    let head = rows(&mut b, "CALL dolt_commit('-am', 'first from b')")[0][0].clone();
    assert_eq!(remote_head(&dir, "main"), head, "the new primary replicates");

    rows(&mut a, "INSERT INTO test VALUES (3, 3)");
    let (code, message) = fails(&mut a, "CALL dolt_commit('-am', 'too late')");
    assert_eq!(code, "fenced", "{message}");
    assert!(message.contains("newer primary"), "{message}");
    assert_eq!(
        remote_head(&dir, "main"),
        head,
        "the old primary's commit never reached the remote"
    );
    let (code, message) = fails(&mut a, "INSERT INTO test VALUES (4, 4)");
    assert_eq!(code, "sql_read_only", "{message}");
    assert!(message.contains("newer primary"), "{message}");
    // Skipping replication errors does not skip being fenced.
    rows(&mut a, "SET PERSIST @@GLOBAL.dolt_skip_replication_errors = 1");
    assert_eq!(fails(&mut a, "CALL dolt_branch('late')").0, "sql_read_only");
}

/// Asynchronous replication: a commit answers before the push; the refs wait in a durable
/// outbox that survives reopening and a failing remote, and go out in one push once it
/// works again.
#[test]
fn an_asynchronous_primary_pushes_from_a_durable_outbox() {
    let dir = TempDir::new("replication", "async");
    let (mut a, _) = primary_and_replica(&dir);
    let pushed = remote_head(&dir, "main");
    rows(&mut a, "SET PERSIST @@GLOBAL.dolt_async_replication = 1");
    rows(&mut a, "INSERT INTO test VALUES (1, 1)");
    rows(&mut a, "CALL dolt_commit('-am', 'one')");
    rows(&mut a, "CALL dolt_branch('feature')");
    assert_eq!(remote_head(&dir, "main"), pushed, "the commit answered before any push");
    assert!(a.outbox_waiting());
    a.close();

    let mut a = open("a", dir.storage("a"));
    assert!(a.outbox_waiting(), "the outbox survives reopening");
    rows(&mut a, "CALL dolt_remote('remove', 'origin')");
    let error = ready(a.replicate_outbox()).expect_err("no remote");
    assert!(error.message().contains("remote not found: 'origin'"), "{error}");
    assert!(a.outbox_waiting(), "a failed push leaves the refs waiting");

    rows(&mut a, &format!("CALL dolt_remote('add', 'origin', '{}')", dir.url("db")));
    rows(&mut a, "INSERT INTO test VALUES (2, 2)");
    let head = rows(&mut a, "CALL dolt_commit('-am', 'two')")[0][0].clone();
    assert!(!ready(a.replicate_outbox()).expect("pushed"), "nothing waits any more");
    assert_eq!(remote_head(&dir, "main"), head);
    assert_eq!(remote_head(&dir, "feature"), rows(&mut a, "SELECT hashof('feature')")[0][0]);
}

/// A live replica (kept current by its remote's events) begins transactions without pulling;
/// its pulls are `pull_replica`, and once it is no longer live its transactions pull again.
#[test]
fn a_live_replica_reads_without_pulling_until_it_is_live_no_more() {
    let dir = TempDir::new("replication", "live");
    let (mut a, mut b) = primary_and_replica(&dir);
    let error = ready(b.pull_replica()).expect_err("not a replica yet");
    assert_eq!(error.code(), "not_a_replica", "{error}");
    rows(&mut b, "SET PERSIST @@GLOBAL.dolt_read_replica_remote = 'origin'");
    rows(&mut b, "SET PERSIST @@GLOBAL.dolt_replicate_heads = 'main'");
    assert!(!ready(b.pull_replica()).expect("pulled"), "nothing new: no ref moves");
    b.set_live(true);
    assert!(b.is_live());

    rows(&mut a, "INSERT INTO test VALUES (1, 1)");
    rows(&mut a, "CALL dolt_commit('-am', 'one')");
    assert_eq!(
        rows(&mut b, "SELECT pk FROM test ORDER BY pk"),
        [["0"]],
        "a live replica reads here"
    );
    assert!(ready(b.pull_replica()).expect("pulled"), "the event's pull moves main");
    assert_eq!(rows(&mut b, "SELECT pk FROM test ORDER BY pk"), [["0"], ["1"]]);

    rows(&mut a, "INSERT INTO test VALUES (2, 2)");
    rows(&mut a, "CALL dolt_commit('-am', 'two')");
    b.set_live(false);
    assert_eq!(rows(&mut b, "SELECT pk FROM test ORDER BY pk"), [["0"], ["1"], ["2"]]);
}

/// The "Transaction commit" that `@@dolt_transaction_commit` makes is signed by the user the
/// database was opened for, as the CLI opens it with `user.name` and `user.email`.
#[test]
fn transaction_commits_are_signed_by_the_user_the_database_was_opened_for() {
    let dir = TempDir::new("replication", "signed");
    let mut opened = options(dir.storage("a"));
    opened.user = Some(("Tim Sehn".into(), "tim@example.com".into()));
    let mut a = ready(Database::open("a", opened)).expect("open");
    rows(&mut a, "CREATE TABLE test (pk INT PRIMARY KEY, c1 INT)");
    rows(&mut a, "CALL dolt_commit('-Am', 'table')");
    rows(&mut a, "SET PERSIST @@GLOBAL.dolt_transaction_commit = 1");
    rows(&mut a, "INSERT INTO test VALUES (1, 1)");
    assert_eq!(
        rows(&mut a, "SELECT message, committer, email FROM dolt_log LIMIT 1"),
        [["Transaction commit", "Tim Sehn", "tim@example.com"]]
    );
}

/// A standby taking over catches up from a backup of the old primary too: commits the old
/// primary backed up but never pushed reach the new primary, which pushes them to the remote.
#[test]
fn a_standby_promoted_from_a_backup_has_what_only_the_backup_held() {
    let dir = TempDir::new("replication", "promote-backup");
    let (mut a, mut b) = primary_and_replica(&dir);
    let backup = dir.url("backup");
    rows(&mut a, &format!("CALL dolt_backup('add', 'bk', '{backup}')"));
    rows(&mut b, &format!("CALL dolt_backup('add', 'bk', '{backup}')"));
    rows(&mut b, "SET PERSIST @@GLOBAL.dolt_read_replica_remote = 'origin'");
    rows(&mut b, "SET PERSIST @@GLOBAL.dolt_replicate_all_heads = 1");
    // A promotion naming an unknown backup is refused before it changes anything: the old
    // primary is not fenced off and still pushes.
    let (code, _) = fails(&mut b, "CALL dolt_promote('--backup', 'nope', 'origin')");
    assert_eq!(code, "sql_history", "an unknown backup is refused");
    rows(&mut a, "INSERT INTO test VALUES (5, 5)");
    let pushed = rows(&mut a, "CALL dolt_commit('-am', 'still the primary')")[0][0].clone();
    assert_eq!(remote_head(&dir, "main"), pushed);

    rows(&mut a, "SET PERSIST @@GLOBAL.dolt_replicate_to_remote = ''");
    rows(&mut a, "INSERT INTO test VALUES (7, 7)");
    let backed_up = rows(&mut a, "CALL dolt_commit('-am', 'only in the backup')")[0][0].clone();
    rows(&mut a, "CALL dolt_backup('sync', 'bk')");
    assert_ne!(remote_head(&dir, "main"), backed_up, "the remote never got it");

    // A replica may back itself up: a backup only reads it.
    rows(&mut b, "CALL dolt_backup('sync', 'bk')");
    rows(&mut a, "CALL dolt_backup('sync', 'bk')");
    rows(&mut b, "CALL dolt_promote('--backup', 'bk', 'origin')");
    assert_eq!(rows(&mut b, "SELECT hashof('main')"), [[backed_up.clone()]]);
    assert_eq!(rows(&mut b, "SELECT pk FROM test ORDER BY pk"), [["0"], ["5"], ["7"]]);
    assert_eq!(remote_head(&dir, "main"), backed_up, "the new primary pushed it");
}
