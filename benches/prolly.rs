//! Storage-engine and history benchmarks, native. Prints one line of JSON per figure (or a table with `--table`);
//! `scripts/bench.sh` runs this and the same workloads in wasm under Node side by side.

use std::time::Instant;

use cambium::bench::{history_suite, prolly_suite, Scale};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let scale = if args.iter().any(|a| a == "--smoke") { Scale::SMOKE } else { Scale::FULL };
    let origin = Instant::now();
    let clock = move || origin.elapsed().as_secs_f64() * 1e3;
    let mut figures = prolly_suite(&clock, scale);
    figures.extend(history_suite(&clock, scale));
    for figure in figures {
        println!("{}", figure.to_json());
    }
}
