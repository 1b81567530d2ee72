//! SQL benchmarks, native: Cambium's SQL engine on the workloads of `cambium::bench::sql_suite`.
//! Prints one line of JSON per figure; `scripts/bench.sh` runs this next to
//! `benches/sql-peers.mjs`, which measures the wasm build and other in-memory databases.
//!   cargo bench --features bench --bench sql [-- --smoke]

use std::time::Instant;

use cambium::bench::{sql_suite, SqlScale};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let scale = if args.iter().any(|a| a == "--smoke") { SqlScale::SMOKE } else { SqlScale::FULL };
    let origin = Instant::now();
    let clock = move || origin.elapsed().as_secs_f64() * 1e3;
    for figure in sql_suite(&clock, scale) {
        println!("{}", figure.to_json_for("cambium-native"));
    }
}
