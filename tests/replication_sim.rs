//! A deterministic, seeded simulation of replication: several writers (synchronous,
//! asynchronous, and one that skips replication errors) and read replicas share one remote
//! over links that go down and come back, while every writer inserts rows of its own and
//! commits. The run checks what replication promises:
//! - a replica only ever shows a commit some writer made, never a state nobody committed;
//! - once the links are up and every writer has pushed and pulled, all writers and replicas
//!   hold the same head, and every row whose commit was acknowledged is in it.

#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;

use cambium::db::{ready, Database};

mod support;

use support::databases::{open, options, rows, TempDir};
use support::Rng;

/// Steps of one run, and seeds run.
const STEPS: u32 = 160;
const SEEDS: [u64; 3] = [1, 7, 42];
/// Rounds of pulling and pushing after the run before every writer must agree.
const SETTLE_ROUNDS_MAX: u32 = 8;

/// A remote URL no store answers at: a link that is down. Natively an `http` remote cannot be
/// reached, so every request on it fails cleanly.
const DOWN_URL: &str = "http://127.0.0.1:9/down";

struct Writer {
    db: Database,
    id: u64,
    next_row: u64,
    link_up: bool,
    asynchronous: bool,
}

impl Writer {
    fn set_link(&mut self, up: bool, url: &str) {
        let url = if up { url } else { DOWN_URL };
        rows(&mut self.db, "CALL dolt_remote('remove', 'origin')");
        rows(&mut self.db, &format!("CALL dolt_remote('add', 'origin', '{url}')"));
        self.link_up = up;
    }
}

fn head(db: &mut Database) -> String {
    rows(db, "SELECT hashof('main')")[0][0].clone()
}

/// Every commit hash reachable from main in `db`.
fn history(db: &mut Database) -> BTreeSet<String> {
    rows(db, "SELECT commit_hash FROM dolt_log").into_iter().map(|row| row[0].clone()).collect()
}

fn run(seed: u64) {
    let dir = TempDir::new("replication-sim", &seed.to_string());
    let url = dir.url("db");
    let mut rng = Rng::new(seed);

    let mut first = open("w0", dir.storage("w0"));
    rows(&mut first, "CREATE TABLE t (id BIGINT PRIMARY KEY, writer INT, v INT)");
    rows(&mut first, "CALL dolt_commit('-Am', 'table')");
    rows(&mut first, &format!("CALL dolt_remote('add', 'origin', '{url}')"));
    rows(&mut first, "CALL dolt_push('origin', 'main')");
    first.close();

    let setup = |name: &str, writer: bool| -> Database {
        let options = options(dir.storage(name));
        let mut db = ready(Database::clone_from(&url, name, options, "origin", None))
            .unwrap_or_else(|e| panic!("clone {name}: {e}"));
        if writer {
            rows(&mut db, "SET PERSIST @@GLOBAL.dolt_replicate_to_remote = 'origin'");
            rows(&mut db, "SET PERSIST @@GLOBAL.dolt_replication_conflicts = 'theirs'");
        } else {
            rows(&mut db, "SET PERSIST @@GLOBAL.dolt_read_replica_remote = 'origin'");
            rows(&mut db, "SET PERSIST @@GLOBAL.dolt_replicate_heads = 'main'");
        }
        db
    };
    let mut writers: Vec<Writer> = (0..3)
        .map(|id| Writer {
            db: setup(&format!("writer{id}"), true),
            id,
            next_row: 0,
            link_up: true,
            asynchronous: id == 1,
        })
        .collect();
    rows(&mut writers[1].db, "SET PERSIST @@GLOBAL.dolt_async_replication = 1");
    rows(&mut writers[2].db, "SET PERSIST @@GLOBAL.dolt_skip_replication_errors = 1");
    let mut replicas: Vec<Database> =
        (0..2).map(|i| setup(&format!("replica{i}"), false)).collect();

    // Rows whose commit call answered success, and every commit any writer holds.
    let mut acknowledged: BTreeSet<u64> = BTreeSet::new();
    let (mut refused, mut replica_reads) = (0, 0);
    let mut committed: BTreeSet<String> = BTreeSet::new();
    for writer in &mut writers {
        committed.extend(history(&mut writer.db));
    }

    for step in 0..STEPS {
        match rng.below(10) {
            0 => {
                let writer = &mut writers[rng.below(3) as usize];
                let up = !writer.link_up;
                writer.set_link(up, &url);
            }
            1 => {
                let writer = &mut writers[1];
                let _ = ready(writer.db.replicate_outbox());
            }
            2 | 3 => {
                let replica = &mut replicas[rng.below(2) as usize];
                if let Ok(results) = ready(replica.execute("SELECT hashof('main')", &[])) {
                    replica_reads += 1;
                    let shown = results[0].rows[0][0].to_string();
                    for writer in &mut writers {
                        committed.extend(history(&mut writer.db));
                    }
                    assert!(
                        committed.contains(&shown),
                        "seed {seed} step {step}: a replica shows {shown}, which no writer committed"
                    );
                }
            }
            _ => {
                let writer = &mut writers[rng.below(3) as usize];
                let row = writer.id * 1_000_000 + writer.next_row;
                writer.next_row += 1;
                let sql = format!(
                    "INSERT INTO t VALUES ({row}, {}, {}); CALL dolt_commit('-am', 'row {row}')",
                    writer.id,
                    rng.below(1000)
                );
                match ready(writer.db.execute(&sql, &[])) {
                    Ok(_) => {
                        acknowledged.insert(row);
                    }
                    Err(_) => refused += 1,
                }
                committed.extend(history(&mut writer.db));
            }
        }
    }

    // Quiet: every link comes back, and the writers push and pull until they agree.
    for writer in &mut writers {
        if !writer.link_up {
            writer.set_link(true, &url);
        }
        if writer.asynchronous {
            ready(writer.db.replicate_outbox()).expect("the outbox goes out once the link is up");
        }
    }
    let mut settled = false;
    for _ in 0..SETTLE_ROUNDS_MAX {
        for writer in &mut writers {
            rows(&mut writer.db, "CALL dolt_pull('origin')");
            rows(&mut writer.db, "CALL dolt_push('origin', 'main')");
        }
        let heads: BTreeSet<String> = writers.iter_mut().map(|w| head(&mut w.db)).collect();
        if heads.len() == 1 {
            settled = true;
            break;
        }
    }
    assert!(settled, "seed {seed}: the writers did not converge");
    let final_head = head(&mut writers[0].db);
    for replica in &mut replicas {
        assert_eq!(head(replica), final_head, "seed {seed}: a replica did not converge");
    }
    let present: BTreeSet<u64> = rows(&mut writers[0].db, "SELECT id FROM t")
        .into_iter()
        .map(|row| row[0].parse().expect("an id"))
        .collect();
    let lost: Vec<&u64> = acknowledged.difference(&present).collect();
    assert!(lost.is_empty(), "seed {seed}: acknowledged rows were lost: {lost:?}");
    assert!(acknowledged.len() > 20, "seed {seed}: the run committed too little to tell");
    assert!(refused > 0 && replica_reads > 10, "seed {seed}: no link failed ({refused} refused)");
}

#[test]
fn writers_and_replicas_over_faulty_links_converge_without_losing_commits() {
    for seed in SEEDS {
        run(seed);
    }
}
