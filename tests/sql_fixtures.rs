//! Data-driven SQL tests: every `tests/sql/*.test` file is a script of records, each run
//! against one fresh database in order.
//!
//! ```text
//! statement ok            -- runs; must succeed
//! statement error CODE    -- must fail with this stable error code (e.g. sql_duplicate_key)
//! query                   -- the rows below `----` are expected, one per line, cells joined
//! SELECT ...              --   by " | ", NULL as NULL, in the order returned
//! ----
//! 1 | a
//! ```
//!
//! Records are separated by blank lines; lines starting with `#` are comments. A cell holding
//! line breaks (SHOW CREATE TABLE) is compared line by line; trailing spaces of a line are not
//! compared, on either side. In expected rows, `<hash>` stands for any commit or chunk hash
//! (32 base32 characters), since hashes change with every format detail.
//!
//! `connection NAME` (a record of one line) makes the following records run in session NAME,
//! opened on first use on the same database; the first session is called `default`. Each
//! session has its own current branch, variables and transaction. The database is `mydb`.
//!
//! `read_only REASON` (one line) makes the current session read-only with that reason, as a
//! read replica's is; `read_write` makes it writable again.
#![cfg(not(target_arch = "wasm32"))]

use cambium::chunk::MemoryStore;
use std::collections::HashMap;

use cambium::sql::{Datum, Session};

enum Expect {
    Connection(String),
    /// Makes the session read-only with this reason, or writable for `None`.
    ReadOnly(Option<String>),
    Ok,
    Error(String),
    Rows(Vec<String>),
}

struct Record {
    line: usize,
    sql: String,
    expect: Expect,
}

fn parse(text: &str) -> Vec<Record> {
    let mut records = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut at = 0;
    while at < lines.len() {
        let line = lines[at].trim_end();
        if line.is_empty() || line.starts_with('#') {
            at += 1;
            continue;
        }
        let start = at + 1;
        let header: Vec<&str> = line.split_whitespace().collect();
        at += 1;
        let mut sql = Vec::new();
        while at < lines.len() && !lines[at].trim().is_empty() && lines[at].trim() != "----" {
            sql.push(lines[at]);
            at += 1;
        }
        let expect = match header.as_slice() {
            ["connection", name] => Expect::Connection(name.to_string()),
            ["read_only", reason @ ..] if !reason.is_empty() => {
                Expect::ReadOnly(Some(reason.join(" ")))
            }
            ["read_write"] => Expect::ReadOnly(None),
            ["statement", "ok"] => Expect::Ok,
            ["statement", "error", code] => Expect::Error(code.to_string()),
            ["query"] => {
                let mut rows = Vec::new();
                if at < lines.len() && lines[at].trim() == "----" {
                    at += 1;
                    while at < lines.len() && !lines[at].trim().is_empty() {
                        rows.push(lines[at].trim_end().to_string());
                        at += 1;
                    }
                }
                Expect::Rows(rows)
            }
            other => panic!("line {start}: unknown record header {other:?}"),
        };
        records.push(Record { line: start, sql: sql.join("\n"), expect });
    }
    records
}

const HASH_PLACEHOLDER: &str = "<hash>";

fn is_hash(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'v').contains(&b))
}

/// Whether a result line matches an expected one, where `<hash>` matches any hash.
fn line_matches(expected: &str, got: &str) -> bool {
    let mut rest = got;
    let mut parts = expected.split(HASH_PLACEHOLDER).peekable();
    while let Some(part) = parts.next() {
        let Some(after) = rest.strip_prefix(part) else { return false };
        rest = after;
        if parts.peek().is_some() {
            let Some(hash) = rest.get(..32).filter(|h| is_hash(h)) else { return false };
            rest = &rest[hash.len()..];
        }
    }
    rest.is_empty()
}

fn render(row: &[Datum]) -> String {
    row.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(" | ")
}

#[test]
fn sql_fixture_files() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sql");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("fixture folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixture files in {dir}");
    let mut failures = Vec::new();
    let mut total = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable fixture");
        let mut store = MemoryStore::new();
        let mut sessions = HashMap::new();
        let mut current = "default".to_string();
        for record in parse(&text) {
            let name = format!("{}:{}", file.file_name().unwrap().to_string_lossy(), record.line);
            if let Expect::Connection(connection) = &record.expect {
                current = connection.clone();
                continue;
            }
            let session = sessions.entry(current.clone()).or_insert_with(|| {
                let mut session = Session::open(&mut store, "mydb").expect("session");
                session.set_time(1_700_000_000_000);
                session
            });
            if let Expect::ReadOnly(reason) = &record.expect {
                session.set_read_only(reason.clone());
                continue;
            }
            total += 1;
            let outcome = session.execute(&mut store, &record.sql);
            match (&record.expect, outcome) {
                (Expect::Ok, Ok(_)) => {}
                (Expect::Error(code), Err(e)) if e.code() == code => {}
                (Expect::Rows(rows), Ok(results)) => {
                    let got: Vec<String> = results
                        .last()
                        .map(|r| {
                            r.rows
                                .iter()
                                .flat_map(|row| {
                                    render(row)
                                        .split('\n')
                                        .map(|line| line.trim_end().to_string())
                                        .collect::<Vec<_>>()
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let matches = got.len() == rows.len()
                        && got.iter().zip(rows).all(|(g, e)| line_matches(e, g));
                    if !matches {
                        failures.push(format!(
                            "{name}: {}\n  expected {rows:?}\n  got      {got:?}",
                            record.sql
                        ));
                    }
                }
                (expect, outcome) => {
                    let wanted = match expect {
                        Expect::Connection(_) | Expect::ReadOnly(_) => {
                            unreachable!("handled above")
                        }
                        Expect::Ok => "success".to_string(),
                        Expect::Error(code) => format!("error {code}"),
                        Expect::Rows(_) => "rows".to_string(),
                    };
                    let got = match outcome {
                        Ok(_) => "success".to_string(),
                        Err(e) => format!("error {} ({})", e.code(), e.message),
                    };
                    failures
                        .push(format!("{name}: {}\n  expected {wanted}, got {got}", record.sql));
                }
            }
        }
    }
    assert!(total > 0);
    assert!(
        failures.is_empty(),
        "{} of {total} records failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
