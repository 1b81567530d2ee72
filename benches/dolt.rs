//! Version-control SQL benchmarks, native: Cambium's `dolt_commit` and `dolt_diff_<table>` on
//! the workloads of `cambium::bench::version_control_suite`. Prints one line of JSON per figure;
//! `scripts/bench.sh` runs this next to `benches/dolt-peers.mjs`, which measures the wasm build
//! and DoltLite's wasm build on the same work.
//!   cargo bench --features bench --bench dolt [-- --smoke]

use std::time::Instant;

use cambium::bench::{version_control_suite, VcScale};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let scale = if args.iter().any(|a| a == "--smoke") { VcScale::SMOKE } else { VcScale::FULL };
    let origin = Instant::now();
    let clock = move || origin.elapsed().as_secs_f64() * 1e3;
    for figure in version_control_suite(&clock, scale) {
        println!("{}", figure.to_json_for("cambium-native"));
    }
}
