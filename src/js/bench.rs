//! The benchmark surface of the wasm build (bench feature only): `runProllyBench(full)` and
//! `runSqlBench(full)` run the shared workloads of `crate::bench` inside wasm, timed with the
//! host's `performance.now()`; `BenchSession` lets `benches/sql-peers.mjs` and
//! `benches/dolt-peers.mjs` drive the SQL engine across the JS boundary, as an application would,
//! next to other in-memory databases; `sqlBenchPlan` and `vcBenchPlan` give them the sizes.

use wasm_bindgen::prelude::*;

use crate::bench::{history_suite, prolly_suite, sql_suite, Scale, SqlScale, VcScale};
use crate::chunk::MemoryStore;
use crate::sql::{Datum, QueryResult, Session};

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

fn sql_scale(full: bool) -> SqlScale {
    if full {
        SqlScale::FULL
    } else {
        SqlScale::SMOKE
    }
}

/// The SQL suite run inside wasm, without crossing into JS per statement: set against
/// `BenchSession`'s figures, it shows what the JS boundary costs.
#[wasm_bindgen(js_name = runSqlBench)]
pub fn run_sql_bench(full: bool) -> String {
    let clock = || performance_now();
    let figures = sql_suite(&clock, sql_scale(full));
    figures.iter().map(|f| f.to_json_for("cambium-wasm-rust")).collect::<Vec<_>>().join("\n")
}

/// The SQL suite's sizes and figure names as JSON, so the JS side runs the same work.
#[wasm_bindgen(js_name = sqlBenchPlan)]
pub fn sql_bench_plan(full: bool) -> String {
    sql_scale(full).to_json()
}

/// The version-control suite's sizes and figure names as JSON, so `benches/dolt-peers.mjs` runs
/// on Cambium's wasm build and on DoltLite the work `version_control_suite` runs natively.
#[wasm_bindgen(js_name = vcBenchPlan)]
pub fn vc_bench_plan(full: bool) -> String {
    if full { VcScale::FULL } else { VcScale::SMOKE }.to_json()
}

/// A Cambium database in memory with one SQL session, called from JS.
#[wasm_bindgen]
pub struct BenchSession {
    store: MemoryStore,
    session: Session,
}

#[wasm_bindgen]
impl BenchSession {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Result<BenchSession, JsError> {
        let mut store = MemoryStore::new();
        let session = Session::open(&mut store, "cambium")?;
        Ok(BenchSession { store, session })
    }

    /// Runs `;`-separated statements without parameters; returns the rows they affected.
    pub fn exec(&mut self, sql: &str) -> Result<f64, JsError> {
        let results = self.session.execute(&mut self.store, sql)?;
        Ok(results.iter().map(|r| r.rows_affected as f64).sum())
    }

    /// Runs statements binding `params` (numbers, strings, booleans, bigints, null) to their `?`
    /// placeholders; returns the rows they affected, without building any rows in JS.
    pub fn run(&mut self, sql: &str, params: Vec<JsValue>) -> Result<f64, JsError> {
        let results = self.execute(sql, params)?;
        Ok(results.iter().map(|r| r.rows_affected as f64).sum())
    }

    /// As `run`, returning the rows of the last statement, each an array of cells.
    pub fn query(&mut self, sql: &str, params: Vec<JsValue>) -> Result<Vec<JsValue>, JsError> {
        let results = self.execute(sql, params)?;
        let Some(last) = results.last() else { return Ok(Vec::new()) };
        Ok(last
            .rows
            .iter()
            .map(|row| JsValue::from(row.iter().map(to_js).collect::<Box<[JsValue]>>()))
            .collect())
    }

    fn execute(&mut self, sql: &str, params: Vec<JsValue>) -> Result<Vec<QueryResult>, JsError> {
        let params = params.iter().map(from_js).collect::<Result<Vec<_>, _>>()?;
        Ok(self.session.execute_with(&mut self.store, sql, &params)?)
    }
}

/// Integers beyond this lose precision as JS numbers, so they cross as bigints.
const SAFE_INTEGER_MAX: f64 = 9_007_199_254_740_991.0;

fn from_js(value: &JsValue) -> Result<Datum, JsError> {
    if let Some(n) = value.as_f64() {
        let integral = n.fract() == 0.0 && n.abs() <= SAFE_INTEGER_MAX;
        return Ok(if integral { Datum::Int(n as i64) } else { Datum::Float(n) });
    }
    if let Some(text) = value.as_string() {
        return Ok(Datum::Text(text));
    }
    if value.is_null_or_undefined() {
        return Ok(Datum::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(Datum::Int(i64::from(b)));
    }
    if value.is_bigint() {
        if let Ok(n) = i64::try_from(value.clone()) {
            return Ok(Datum::Int(n));
        }
        if let Ok(n) = u64::try_from(value.clone()) {
            return Ok(Datum::UInt(n));
        }
    }
    Err(JsError::new("a parameter must be a number, string, boolean, bigint or null"))
}

/// Numbers as JS numbers (bigints beyond 2^53), DECIMAL as exact text (as MySQL drivers return
/// it), binary strings as `Uint8Array`, dates and JSON as their MySQL text.
fn to_js(datum: &Datum) -> JsValue {
    match datum {
        Datum::Null => JsValue::NULL,
        Datum::Int(n) if (*n as f64).abs() <= SAFE_INTEGER_MAX => JsValue::from_f64(*n as f64),
        Datum::Int(n) => JsValue::from(*n),
        Datum::UInt(n) if *n as f64 <= SAFE_INTEGER_MAX => JsValue::from_f64(*n as f64),
        Datum::UInt(n) => JsValue::from(*n),
        Datum::Float(n) => JsValue::from_f64(*n),
        Datum::Text(text) | Datum::Json(text) => JsValue::from_str(text),
        Datum::Bytes(bytes) => JsValue::from(bytes.clone().into_boxed_slice()),
        other => other.to_text().map_or(JsValue::NULL, |text| JsValue::from_str(&text)),
    }
}
