//! Scalar functions: string, math, date and JSON functions by their MySQL names. Aggregates
//! live in the executor; `CAST`, `CASE` and operators are expressions, not functions.

use super::error::Error;
use super::types::Datum;

/// What functions may read besides their arguments. The clock is handed in, never read here.
#[derive(Clone, Copy, Debug)]
pub struct FunctionContext {
    /// The statement's start time, microseconds since the epoch (UTC).
    pub now_micros: i64,
}

/// Whether `name` (lower case) is a scalar function this module implements.
pub fn is_scalar(name: &str) -> bool {
    let _ = name;
    todo!()
}

/// Calls the scalar function `name` (lower case) on evaluated arguments.
pub fn call(name: &str, args: Vec<Datum>, context: &FunctionContext) -> Result<Datum, Error> {
    let _ = (name, args, context);
    todo!()
}
