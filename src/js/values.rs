//! SQL values to and from JavaScript, in one place. Integers within ±2^53 are numbers and
//! larger ones BigInts; DECIMAL is a string (no float could hold it exactly); dates and times
//! are strings in MySQL's text form; BLOBs are `Uint8Array`s; JSON documents are parsed into JS
//! values and JS objects are bound as JSON.

use js_sys::{Array, BigInt, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::sql::{Datum, QueryResult};

/// The largest integer a JS number holds exactly.
const SAFE_INTEGER_MAX: i64 = (1 << 53) - 1;

/// A SQL value as JS.
pub fn datum_to_js(datum: &Datum) -> JsValue {
    match datum {
        Datum::Null => JsValue::NULL,
        Datum::Int(n) if n.unsigned_abs() <= SAFE_INTEGER_MAX as u64 => {
            JsValue::from_f64(*n as f64)
        }
        Datum::Int(n) => BigInt::from(*n).into(),
        Datum::UInt(n) if *n <= SAFE_INTEGER_MAX as u64 => JsValue::from_f64(*n as f64),
        Datum::UInt(n) => BigInt::from(*n).into(),
        Datum::Float(f) => JsValue::from_f64(*f),
        Datum::Bytes(bytes) => Uint8Array::from(bytes.as_slice()).into(),
        Datum::Json(text) => js_sys::JSON::parse(text).unwrap_or_else(|_| text.into()),
        other => JsValue::from_str(&other.to_string()),
    }
}

/// The values of an array of parameters; an error names the parameter (from 1) and why.
pub fn js_to_datums(params: &Array) -> Result<Vec<Datum>, (usize, String)> {
    params
        .iter()
        .enumerate()
        .map(|(i, value)| js_to_datum(&value).map_err(|why| (i + 1, why)))
        .collect()
}

fn number_datum(number: f64) -> Result<Datum, String> {
    if !number.is_finite() {
        return Err(format!("{number} is not a SQL value (use NULL for a missing number)"));
    }
    let integral = number.fract() == 0.0 && number.abs() <= SAFE_INTEGER_MAX as f64;
    Ok(if integral { Datum::Int(number as i64) } else { Datum::Float(number) })
}

/// A JS value bound to a `?` placeholder.
fn js_to_datum(value: &JsValue) -> Result<Datum, String> {
    // Numbers and strings first: they are most parameters, and each test is a call into JS.
    if let Some(number) = value.as_f64() {
        return number_datum(number);
    }
    if let Some(text) = value.as_string() {
        return Ok(Datum::Text(text));
    }
    if value.is_null() || value.is_undefined() {
        return Ok(Datum::Null);
    }
    if let Some(flag) = value.as_bool() {
        return Ok(Datum::Int(i64::from(flag)));
    }
    if value.is_bigint() {
        let text = String::from(
            value.unchecked_ref::<BigInt>().to_string(10).map_err(|_| "an unprintable BigInt")?,
        );
        if let Ok(n) = text.parse::<i64>() {
            return Ok(Datum::Int(n));
        }
        return text
            .parse::<u64>()
            .map(Datum::UInt)
            .map_err(|_| format!("the BigInt {text} is outside the range of BIGINT"));
    }
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        return Ok(Datum::Bytes(bytes.to_vec()));
    }
    if let Some(date) = value.dyn_ref::<js_sys::Date>() {
        let ms = date.get_time();
        if ms.is_nan() {
            return Err("an invalid Date".into());
        }
        return Ok(Datum::DateTime((ms as i64).saturating_mul(1000)));
    }
    // `JSON.stringify` answers `undefined` (not a string) for a Symbol or a function.
    match js_sys::JSON::stringify(value).ok().and_then(|text| text.as_string()) {
        Some(text) => Ok(Datum::Json(text)),
        None => Err("a value that is neither a SQL value nor JSON".into()),
    }
}

/// How rows reach JS: plain objects keyed by column name, or arrays in column order (which keep
/// every column when two share a name, as in `SELECT a.id, b.id`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RowMode {
    Object,
    Array,
}

/// A statement's result as `{ columns, rows, rowsAffected, lastInsertId, warnings }`, its rows
/// in `mode`.
pub fn result_to_js_as(result: &QueryResult, mode: RowMode) -> JsValue {
    let object = Object::new();
    let columns: Array = result.columns.iter().map(|c| JsValue::from_str(c)).collect();
    let rows: Array = result
        .rows
        .iter()
        .map(|row| {
            if mode == RowMode::Array {
                return JsValue::from(row.iter().map(datum_to_js).collect::<Array>());
            }
            let record = Object::new();
            for (column, datum) in result.columns.iter().zip(row) {
                let _ = Reflect::set(&record, &column.into(), &datum_to_js(datum));
            }
            JsValue::from(record)
        })
        .collect();
    let _ = Reflect::set(&object, &"columns".into(), &columns);
    let _ = Reflect::set(&object, &"rows".into(), &rows);
    let _ = Reflect::set(&object, &"rowsAffected".into(), &(result.rows_affected as f64).into());
    let _ = Reflect::set(&object, &"lastInsertId".into(), &(result.last_insert_id as f64).into());
    let warnings: Array = result
        .warnings
        .iter()
        .map(|warning| {
            let item = Object::new();
            let _ = Reflect::set(&item, &"level".into(), &warning.level.into());
            let _ = Reflect::set(&item, &"code".into(), &f64::from(warning.code).into());
            let _ = Reflect::set(&item, &"message".into(), &warning.message.as_str().into());
            JsValue::from(item)
        })
        .collect();
    let _ = Reflect::set(&object, &"warnings".into(), &warnings);
    object.into()
}
