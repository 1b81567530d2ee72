//! ARCHITECTURE.md's core invariants, checked on the source: the core names no JavaScript binding
//! crate and does no IO, reads no clock and no ambient randomness; its layers depend one way.

#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::{Path, PathBuf};

/// Core modules, lowest layer first. A module may use only modules listed before it.
const CORE: &[&str] = &["chunk", "prolly", "row", "history", "sql", "sync", "replication"];

/// Names that mean JavaScript bindings, IO, the clock, threads or ambient randomness.
const FORBIDDEN: &[&str] = &[
    "wasm_bindgen",
    "js_sys",
    "web_sys",
    "gloo",
    "std::fs",
    "std::net",
    "std::io::stdin",
    "std::process",
    "std::env",
    "std::thread",
    "SystemTime",
    "Instant",
    "getrandom",
    "rand::",
    "File::",
    "tokio",
    "async fn",
    ".await",
    "crate::db",
    "crate::platform",
    "crate::js",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every violation in `source` of a core module that sits at `layer` in `CORE`. A file's unit
/// tests, which by convention close it after `#[cfg(test)]`, may use the wasm test harness.
fn violations(source: &str, layer: usize) -> Vec<String> {
    let mut found = Vec::new();
    let production = source.lines().take_while(|line| line.trim() != "#[cfg(test)]");
    for (number, line) in production.enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for name in FORBIDDEN {
            if code.contains(name) {
                found.push(format!("line {}: names `{name}`", number + 1));
            }
        }
        for higher in &CORE[layer + 1..] {
            if code.contains(&format!("crate::{higher}"))
                || code.contains(&format!("super::super::{higher}"))
            {
                found.push(format!("line {}: depends on the higher layer `{higher}`", number + 1));
            }
        }
    }
    found
}

#[test]
fn core_is_pure_and_layered() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut checked = 0;
    let mut problems = Vec::new();
    for (layer, module) in CORE.iter().enumerate() {
        let mut files = Vec::new();
        rust_files(&src.join(module), &mut files);
        let single = src.join(format!("{module}.rs"));
        if single.exists() {
            files.push(single);
        }
        for file in files {
            let source = fs::read_to_string(&file).expect("read source");
            checked += 1;
            for problem in violations(&source, layer) {
                problems.push(format!("{}: {problem}", file.display()));
            }
        }
    }
    assert!(checked >= 10, "the scan found only {checked} core files: is the layout right?");
    assert!(
        problems.is_empty(),
        "the core breaks ARCHITECTURE.md invariants:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_scan_catches_violations() {
    assert!(violations("use wasm_bindgen::prelude::*;", 0).len() == 1);
    assert!(violations("let t = std::time::Instant::now();", 1).len() == 1);
    assert!(violations("let f = std::fs::read(p);", 1).len() == 1);
    assert!(violations("use crate::prolly::Map;", 0).len() == 1, "chunk may not use prolly");
    assert!(violations("use crate::chunk::Hash;", 1).is_empty(), "prolly may use chunk");
    assert!(violations("// a comment naming web_sys is fine", 0).is_empty());
    let with_tests = "fn f() {}\n#[cfg(test)]\nmod tests { use wasm_bindgen_test::*; }";
    assert!(violations(with_tests, 0).is_empty(), "unit tests may use the test harness");
    assert_eq!(violations("use js_sys::Date;\n#[cfg(test)]\nmod tests {}", 0).len(), 1);
}
