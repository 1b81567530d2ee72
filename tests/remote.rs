//! Push, fetch, pull, clone and backups between databases on files, through a `file://`
//! remote: the round trip of Dolt's remote workflow, non-fast-forward pushes refused and
//! resolved by a pull, branch deletion and prune, upstreams, a backup that carries
//! uncommitted work, progress reported by clone and fetch, a clone cut off part way and finished by cloning again, and the errors
//! that name an unknown remote.

#![cfg(not(target_arch = "wasm32"))]

use std::cell::RefCell;
use std::rc::Rc;

use cambium::chunk::ChunkStore;
use cambium::db::{ready, Database};
use cambium::history::RefMap;
use cambium::platform::files::{FileStore, NativeFiles};
use cambium::sync::{Limits, Progress, Step, Transfer};

mod support;

use support::databases::{fails, open, options, rows as run, TempDir};

fn ids(db: &mut Database) -> Vec<String> {
    run(db, "SELECT id FROM t ORDER BY id").into_iter().map(|row| row[0].clone()).collect()
}

/// A database `a` with table `t` (rows 1 and 2) committed and pushed to `origin`.
fn pushed(dir: &TempDir) -> Database {
    let mut a = open("a", dir.storage("a"));
    run(&mut a, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))");
    run(&mut a, "INSERT INTO t VALUES (1, 'one'), (2, 'two')");
    run(&mut a, "CALL dolt_commit('-Am', 'two rows')");
    run(&mut a, &format!("CALL dolt_remote('add', 'origin', '{}')", dir.url("db")));
    run(&mut a, "CALL dolt_push('origin', 'main')");
    a
}

fn clone(dir: &TempDir, name: &str) -> Database {
    let options = options(dir.storage(name));
    ready(Database::clone_from(&dir.url("db"), name, options, "origin", None))
        .unwrap_or_else(|e| panic!("clone {name}: {e}"))
}

#[test]
fn push_clone_and_pull_carry_commits_both_ways() {
    let dir = TempDir::new("remote", "roundtrip");
    let mut a = pushed(&dir);
    let mut b = clone(&dir, "b");
    assert_eq!(ids(&mut b), ["1", "2"]);
    assert_eq!(
        run(&mut b, "SELECT name, url FROM dolt_remotes"),
        [["origin".to_string(), dir.url("db")]]
    );
    assert_eq!(run(&mut b, "SELECT name FROM dolt_remote_branches"), [["remotes/origin/main"]]);
    assert_eq!(run(&mut b, "SELECT active_branch()"), [["main"]]);
    // The branch a clone checks out tracks the remote's.
    assert_eq!(
        run(&mut b, "SELECT name, remote, branch FROM dolt_branches"),
        [["main", "origin", "main"]]
    );
    let head_a = run(&mut a, "SELECT hashof('main')");
    assert_eq!(run(&mut b, "SELECT hashof('main')"), head_a, "the clone has the same commit");

    run(&mut a, "INSERT INTO t VALUES (3, 'three')");
    run(&mut a, "CALL dolt_commit('-am', 'three')");
    run(&mut a, "CALL dolt_push('origin', 'main')");
    let pulled = run(&mut b, "CALL dolt_pull('origin')");
    assert_eq!(pulled[0][0], "1", "a fast-forward: {pulled:?}");
    assert_eq!(ids(&mut b), ["1", "2", "3"]);

    // The function forms reach the remote too, and answer the procedure's status.
    run(&mut b, "INSERT INTO t VALUES (4, 'four')");
    run(&mut b, "CALL dolt_commit('-am', 'four')");
    let pushed = ready(b.execute("SELECT dolt_push('origin', 'main')", &[])).expect("push");
    assert_eq!(pushed[0].columns, ["dolt_push('origin', 'main')"]);
    assert_eq!(pushed[0].rows[0][0].to_string(), "0");
    assert_eq!(run(&mut a, "SELECT dolt_pull('origin', 'main') AS pulled"), [["1"]]);
    assert_eq!(ids(&mut a), ["1", "2", "3", "4"]);
    assert_eq!(run(&mut a, "SELECT message FROM dolt_log LIMIT 1"), [["four"]]);
}

#[test]
fn a_push_behind_the_remote_is_refused_until_pulled_and_merged() {
    let dir = TempDir::new("remote", "diverged");
    let mut a = pushed(&dir);
    let mut b = clone(&dir, "b");
    run(&mut b, "INSERT INTO t VALUES (10, 'from b')");
    run(&mut b, "CALL dolt_commit('-am', 'b')");
    run(&mut b, "CALL dolt_push('origin', 'main')");

    run(&mut a, "INSERT INTO t VALUES (20, 'from a')");
    run(&mut a, "CALL dolt_commit('-am', 'a')");
    let (code, message) = fails(&mut a, "CALL dolt_push('origin', 'main')");
    assert_eq!(code, "non_fast_forward");
    assert!(message.contains("[rejected]") && message.contains("non-fast-forward"), "{message}");

    run(&mut a, "CALL dolt_pull('--author', 'Ada <ada@example.com>', 'origin', 'main')");
    assert_eq!(ids(&mut a), ["1", "2", "10", "20"], "merged");
    let merge = run(&mut a, "SELECT committer, email FROM dolt_log LIMIT 1");
    assert_eq!(merge, [["Ada", "ada@example.com"]], "the merge commit is signed as asked");
    run(&mut a, "CALL dolt_push('origin', 'main')");
    run(&mut b, "CALL dolt_pull('origin')");
    assert_eq!(ids(&mut b), ["1", "2", "10", "20"]);

    // --force replaces the remote branch whatever it holds.
    run(&mut b, "CALL dolt_reset('--hard', 'HEAD~1')");
    let (code, _) = fails(&mut b, "CALL dolt_push('origin', 'main')");
    assert_eq!(code, "non_fast_forward");
    run(&mut b, "CALL dolt_push('--force', 'origin', 'main')");
    run(&mut a, "CALL dolt_fetch('origin')");
    assert_eq!(run(&mut a, "SELECT hashof('origin/main')"), run(&mut b, "SELECT hashof('main')"));
}

#[test]
fn branches_and_tags_push_fetch_and_prune() {
    let dir = TempDir::new("remote", "branches");
    let mut a = pushed(&dir);
    run(&mut a, "CALL dolt_checkout('-b', 'feature')");
    run(&mut a, "INSERT INTO t VALUES (5, 'five')");
    run(&mut a, "CALL dolt_commit('-am', 'five')");
    run(&mut a, "CALL dolt_push('--set-upstream', 'origin', 'feature')");
    assert_eq!(
        run(&mut a, "SELECT name, remote, branch FROM dolt_branches ORDER BY name"),
        [["feature", "origin", "feature"], ["main", "", ""]]
    );
    run(&mut a, "CALL dolt_tag('v1', 'main')");
    run(&mut a, "CALL dolt_push('origin', 'v1')");

    let mut b = clone(&dir, "b");
    let mut tracking = run(&mut b, "SELECT name FROM dolt_remote_branches ORDER BY name");
    tracking.sort();
    assert_eq!(tracking, [["remotes/origin/feature"], ["remotes/origin/main"]]);
    assert_eq!(run(&mut b, "SELECT tag_name FROM dolt_tags"), [["v1"]]);
    run(&mut b, "CALL dolt_checkout('-b', 'feature', 'origin/feature')");
    assert_eq!(ids(&mut b), ["1", "2", "5"]);

    // An upstream lets a push name nothing.
    run(&mut a, "INSERT INTO t VALUES (6, 'six')");
    run(&mut a, "CALL dolt_commit('-am', 'six')");
    run(&mut a, "CALL dolt_push()");
    run(&mut b, "CALL dolt_pull('origin', 'feature')");
    assert_eq!(ids(&mut b), ["1", "2", "5", "6"]);

    // Deleting the remote branch, then a fetch with --prune drops its tracking branch.
    run(&mut a, "CALL dolt_push('origin', ':feature')");
    run(&mut b, "CALL dolt_fetch('origin')");
    assert_eq!(run(&mut b, "SELECT count(*) FROM dolt_remote_branches"), [["2"]]);
    run(&mut b, "CALL dolt_fetch('--prune', 'origin')");
    assert_eq!(run(&mut b, "SELECT name FROM dolt_remote_branches"), [["remotes/origin/main"]]);
}

#[test]
fn a_backup_carries_uncommitted_work_and_restores_it() {
    let dir = TempDir::new("remote", "backup");
    let mut a = pushed(&dir);
    run(&mut a, "INSERT INTO t VALUES (7, 'uncommitted')");
    run(&mut a, &format!("CALL dolt_backup('add', 'bak', '{}')", dir.url("bak")));
    assert_eq!(run(&mut a, "SELECT name FROM dolt_backups"), [["bak"]]);
    run(&mut a, "CALL dolt_backup('sync', 'bak')");
    let restored = options(dir.storage("restored"));
    let mut r = ready(Database::restore(&dir.url("bak"), "r", restored)).expect("restore");
    assert_eq!(ids(&mut r), ["1", "2", "7"]);
    assert_eq!(run(&mut r, "SELECT count(*) FROM dolt_status"), [["1"]]);
    assert_eq!(run(&mut r, "SELECT name FROM dolt_remotes"), [["origin"]]);

    // A second sync sends only what changed, and a restore refuses an existing database.
    run(&mut a, "CALL dolt_commit('-am', 'seven')");
    run(&mut a, &format!("CALL dolt_backup('sync-url', '{}')", dir.url("bak")));
    let again = ready(Database::restore(&dir.url("bak"), "r", options(dir.storage("restored"))));
    assert_eq!(again.err().map(|e| e.code().to_string()).as_deref(), Some("database_exists"));
}

#[test]
fn unknown_remotes_and_bad_arguments_are_named() {
    let dir = TempDir::new("remote", "errors");
    let mut a = pushed(&dir);
    let (code, message) = fails(&mut a, "CALL dolt_push('broken', 'main')");
    assert_eq!((code.as_str(), message.as_str()), ("sql_history", "remote not found: 'broken'"));
    let (_, message) = fails(&mut a, "CALL dolt_remote('add', 'origin', 'file:///elsewhere')");
    assert!(message.contains("already exists"), "{message}");
    let (_, message) = fails(&mut a, "CALL dolt_remote('add', 'x', 'ftp://host/db')");
    assert!(message.contains("http://"), "{message}");
    let (_, message) = fails(&mut a, "CALL dolt_push('origin', 'nope')");
    assert!(message.contains("src refspec nope does not match any"), "{message}");
    let (_, message) = fails(&mut a, "CALL dolt_fetch('origin', 'nope')");
    assert!(message.contains("'nope' is not a branch"), "{message}");
    run(&mut a, "CALL dolt_remote('remove', 'origin')");
    assert!(run(&mut a, "SELECT * FROM dolt_remotes").is_empty());
    assert!(run(&mut a, "SELECT * FROM dolt_remote_branches").is_empty());
    let (_, message) = fails(&mut a, "CALL dolt_remote('remove', 'origin')");
    assert_eq!(message, "remote not found: 'origin'");
}

#[test]
fn a_fetch_when_nothing_changed_moves_nothing_and_a_change_is_still_seen() {
    let dir = TempDir::new("remote", "unchanged");
    let mut a = pushed(&dir);
    let mut b = clone(&dir, "b");
    let first = run(&mut b, "CALL dolt_fetch('origin')");
    assert_eq!(first[0][1], "fetched 0 chunks", "the clone is current");
    let again = run(&mut b, "CALL dolt_fetch('origin')");
    assert_eq!(again[0][1], "fetched 0 chunks");

    run(&mut a, "INSERT INTO t VALUES (8, 'eight')");
    run(&mut a, "CALL dolt_commit('-am', 'eight')");
    run(&mut a, "CALL dolt_push('origin', 'main')");
    let changed = run(&mut b, "CALL dolt_fetch('origin')");
    assert_ne!(changed[0][1], "fetched 0 chunks", "the push is fetched");
    assert_eq!(run(&mut b, "SELECT hashof('origin/main')"), run(&mut a, "SELECT hashof('main')"));
    let pulled = run(&mut b, "CALL dolt_pull('origin')");
    assert_eq!(pulled[0][0], "1", "{pulled:?}");
    let unchanged = run(&mut b, "CALL dolt_pull('origin')");
    assert_eq!(ids(&mut b), ["1", "2", "8"], "{unchanged:?}");
}

#[test]
fn a_clone_cut_off_part_way_is_finished_by_cloning_again() {
    let dir = TempDir::new("remote", "resume");
    let mut a = pushed(&dir);
    let values: Vec<String> = (100..3_000).map(|i| format!("({i}, 'row {i}')")).collect();
    run(&mut a, &format!("INSERT INTO t VALUES {}", values.join(",")));
    run(&mut a, "CALL dolt_commit('-am', 'more rows')");
    run(&mut a, "CALL dolt_push('origin', 'main')");

    // Part of a clone arrives in the new database's store: a few batches, children first.
    let remote = FileStore::open(NativeFiles::open(dir.path().join("remote/db")).expect("files"))
        .expect("the remote's store");
    let target = dir.path().join("b").join("b");
    let mut store = FileStore::open(NativeFiles::open(&target).expect("files")).expect("store");
    let root = remote.manifest().expect("manifest").root.expect("published");
    let refs = RefMap::read(&remote, root).expect("refs");
    let roots = refs.refs.iter().map(|(name, hash)| (name.as_str(), *hash));
    let limits = Limits {
        has_hashes_max: 16,
        get_hashes_max: 8,
        put_bytes_max: 8 << 10,
        ..Limits::default()
    };
    let mut transfer = Transfer::of_refs(roots, limits);
    let mut puts = 0;
    while puts < 3 {
        match transfer.step() {
            Step::Has(hashes) => {
                transfer.present(&store.has_many(&hashes).expect("has")).expect("present")
            }
            Step::Get(hashes) => {
                transfer.fetched(remote.get_many(&hashes).expect("get")).expect("fetched")
            }
            Step::Put(chunks) => {
                for chunk in chunks {
                    store.put(chunk).expect("put");
                }
                let manifest = store.manifest().expect("manifest");
                store.flush(&manifest, &manifest).expect("flush");
                puts += 1;
            }
            Step::Wait => unreachable!("every read is answered at once"),
            Step::Done => panic!("the clone was meant to be cut off"),
        }
    }
    assert_eq!(store.manifest().expect("manifest").root, None, "nothing published yet");
    drop(store);

    let mut b = clone(&dir, "b");
    assert_eq!(run(&mut b, "SELECT count(*) FROM t"), [["2902"]]);
    let report = ready(b.fsck()).expect("fsck");
    assert!(report.is_clean(), "{report}");
}

#[test]
fn clone_and_fetch_report_their_progress() {
    let dir = TempDir::new("remote", "progress");
    let mut a = pushed(&dir);
    let values: Vec<String> = (100..2_000).map(|i| format!("({i}, 'row {i}')")).collect();
    run(&mut a, &format!("INSERT INTO t VALUES {}", values.join(",")));
    run(&mut a, "CALL dolt_commit('-am', 'more rows')");
    run(&mut a, "CALL dolt_push('origin', 'main')");

    let heard: Rc<RefCell<Vec<(String, Progress)>>> = Rc::default();
    let mut options = options(dir.storage("b"));
    let into = heard.clone();
    options.progress = Some(Rc::new(move |operation: &str, progress: &Progress| {
        into.borrow_mut().push((operation.to_string(), *progress));
    }));
    let mut b =
        ready(Database::clone_from(&dir.url("db"), "b", options, "origin", None)).expect("clone");
    let clone_events = heard.borrow().clone();
    assert!(clone_events.len() >= 2, "{clone_events:?}");
    assert!(clone_events.iter().all(|(operation, _)| operation == "clone"));
    let written: Vec<u64> = clone_events.iter().map(|(_, p)| p.written_chunks).collect();
    assert!(written.windows(2).all(|w| w[0] <= w[1]), "progress only grows: {written:?}");
    let (_, last) = clone_events.last().expect("events");
    assert_eq!(last.pending_chunks, 0);
    assert!(last.written_chunks > 5 && last.written_bytes > 10_000, "{last:?}");

    heard.borrow_mut().clear();
    run(&mut a, "UPDATE t SET v = 'new' WHERE id = 150");
    run(&mut a, "CALL dolt_commit('-am', 'one row')");
    run(&mut a, "CALL dolt_push('origin', 'main')");
    run(&mut b, "CALL dolt_fetch('origin')");
    let fetch_events = heard.borrow().clone();
    assert!(fetch_events.iter().all(|(operation, _)| operation == "fetch"), "{fetch_events:?}");
    let total: u64 = fetch_events.first().map_or(0, |(_, p)| p.written_chunks);
    assert!((1..=10).contains(&total), "the pack of a one-row commit: {fetch_events:?}");
}

#[test]
fn dolt_clone_and_backup_restore_in_sql_make_a_database_beside_this_one() {
    let dir = TempDir::new("remote", "sqlclone");
    let mut a = pushed(&dir);
    let cloned = run(&mut a, &format!("CALL dolt_clone('{}')", dir.url("db")));
    assert!(cloned[0][1].contains("into database 'db'"), "{cloned:?}");
    let mut db = open("db", dir.storage("a"));
    assert_eq!(ids(&mut db), ["1", "2"]);
    assert_eq!(run(&mut db, "SELECT name FROM dolt_remotes"), [["origin"]]);
    let (code, _) = fails(&mut a, &format!("CALL dolt_clone('{}', 'db')", dir.url("db")));
    assert_eq!(code, "database_exists");

    run(&mut a, "INSERT INTO t VALUES (9, 'not committed')");
    run(&mut a, &format!("CALL dolt_backup('sync-url', '{}')", dir.url("bak")));
    run(&mut a, &format!("CALL dolt_backup('restore', '{}', 'again')", dir.url("bak")));
    let mut again = open("again", dir.storage("a"));
    assert_eq!(ids(&mut again), ["1", "2", "9"]);
    let (code, _) = fails(
        &mut a,
        &format!("CALL dolt_backup('restore', '--force', '{}', 'again')", dir.url("bak")),
    );
    assert_eq!(code, "sql_unsupported");
}
