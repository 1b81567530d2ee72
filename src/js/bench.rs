//! `runProllyBench(full)`: runs the shared prolly workloads inside wasm and returns their
//! figures as JSON lines, timed with the host's `performance.now()`.

use wasm_bindgen::prelude::*;

use crate::bench::{prolly_suite, Scale};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

#[wasm_bindgen(js_name = runProllyBench)]
pub fn run_prolly_bench(full: bool) -> String {
    let scale = if full { Scale::FULL } else { Scale::SMOKE };
    let figures = prolly_suite(&|| performance_now(), scale);
    figures
        .iter()
        .map(|figure| figure.to_json())
        .collect::<Vec<_>>()
        .join("\n")
}
