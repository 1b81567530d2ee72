//! Crashes: a child process commits in a loop on the file store and is killed with SIGKILL at
//! seeded random moments, many times over one directory. After every kill the database opens,
//! passes fsck, and holds every commit the child acknowledged (printed) before it died.
//!
//! The child is this test binary run again, on this one test, with `CAMBIUM_CRASH_CHILD` naming
//! the directory: the test then plays the child's part instead.

#![cfg(all(unix, not(target_arch = "wasm32")))]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cambium::db::{ready, Database, Options, Storage};

const CHILD_ENV: &str = "CAMBIUM_CRASH_CHILD";
const KILLS: u32 = 24;
const CHILD_LIFETIME_MS_MAX: u64 = 400;

fn open(dir: &str) -> Database {
    ready(Database::open("crash", Options::new(Storage::Files { dir: dir.to_string() })))
        .expect("open after a crash")
}

/// The child's loop, until it is killed: each round inserts a row and commits it with Dolt,
/// then prints the row's id, which acknowledges that commit.
fn child(dir: &str) -> ! {
    let mut db = open(dir);
    let next: i64 = {
        let results = ready(db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM t", &[]));
        results.expect("next id")[0].rows[0][0].to_string().parse().expect("an id")
    };
    for id in next.. {
        let sql = format!(
            "INSERT INTO t VALUES ({id}, '{}'); CALL dolt_commit('-am', 'row {id}')",
            "payload ".repeat((id % 40) as usize)
        );
        ready(db.execute(&sql, &[])).expect("commit");
        println!("{id}");
    }
    unreachable!("ids ran out")
}

/// A small deterministic generator, so a failing run can be repeated.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn acknowledged_commits_survive_sigkill() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(&dir);
    }
    let dir = std::env::temp_dir().join(format!("cambium-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let dir_text = dir.to_string_lossy().into_owned();
    {
        let mut db = open(&dir_text);
        ready(db.execute("CREATE TABLE t (id BIGINT PRIMARY KEY, payload TEXT)", &[])).expect("t");
        ready(db.execute("CALL dolt_commit('-Am', 'table')", &[])).expect("commit");
    }
    let mut rng = Lcg(0x5eed);
    let mut acknowledged = Vec::new();
    for kill in 0..KILLS {
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", "acknowledged_commits_survive_sigkill", "--nocapture"])
            .env(CHILD_ENV, &dir_text)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the child");
        let lifetime = Duration::from_millis(20 + rng.below(CHILD_LIFETIME_MS_MAX));
        let stdout = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            let mut ids = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(id) = line.trim().parse::<i64>() {
                    ids.push(id);
                }
            }
            ids
        });
        let started = Instant::now();
        while started.elapsed() < lifetime {
            std::thread::sleep(Duration::from_millis(2));
        }
        // SIGKILL: no destructor, no flush, no unlock runs in the child.
        child.kill().expect("kill");
        child.wait().expect("reap");
        acknowledged.extend(reader.join().expect("reader"));

        let mut db = open(&dir_text);
        let report = ready(db.fsck()).expect("fsck");
        assert!(report.is_clean(), "after kill {kill}: {report}");
        let results = ready(db.execute("SELECT id FROM t ORDER BY id", &[])).expect("rows");
        let present: std::collections::HashSet<i64> =
            results[0].rows.iter().map(|r| r[0].to_string().parse().expect("id")).collect();
        for id in &acknowledged {
            assert!(present.contains(id), "after kill {kill}: acknowledged row {id} is lost");
        }
        let log = ready(db.execute("SELECT COUNT(*) FROM dolt_log", &[])).expect("log");
        let commits: usize = log[0].rows[0][0].to_string().parse().expect("count");
        assert!(commits >= acknowledged.len() + 2, "after kill {kill}: commits are lost");
    }
    assert!(acknowledged.len() > KILLS as usize, "the children committed too little to test");
    println!("{KILLS} kills, {} acknowledged commits, all present", acknowledged.len());
    let _ = std::fs::remove_dir_all(&dir);
}
