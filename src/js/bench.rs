//! `runProllyBench(full)`: runs the shared storage and history workloads inside wasm and returns their
//! figures as JSON lines, timed with the host's `performance.now()`.

use wasm_bindgen::prelude::*;

use crate::bench::{history_suite, prolly_suite, Scale};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

#[wasm_bindgen(js_name = runProllyBench)]
pub fn run_prolly_bench(full: bool) -> String {
    let scale = if full { Scale::FULL } else { Scale::SMOKE };
    let clock = || performance_now();
    let mut figures = prolly_suite(&clock, scale);
    figures.extend(history_suite(&clock, scale));
    figures.iter().map(|figure| figure.to_json()).collect::<Vec<_>>().join("\n")
}
