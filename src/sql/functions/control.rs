//! Control functions: choosing among arguments by NULL-ness, truth or order.

use std::cmp::Ordering;

use super::{Call, Spec, MANY};
use crate::sql::error::Error;
use crate::sql::types::Datum;

pub(super) static FUNCTIONS: &[Spec] = &[
    Spec::sees_nulls("coalesce", 1, MANY, coalesce),
    Spec::sees_nulls("ifnull", 2, 2, ifnull),
    Spec::sees_nulls("nullif", 2, 2, nullif),
    Spec::sees_nulls("if", 3, 3, if_),
    Spec::sees_nulls("isnull", 1, 1, isnull),
    Spec::strict("greatest", 2, MANY, greatest),
    Spec::strict("least", 2, MANY, least),
];

fn coalesce(call: Call) -> Result<Datum, Error> {
    Ok(call.args.into_iter().find(|arg| !arg.is_null()).unwrap_or(Datum::Null))
}

fn ifnull(mut call: Call) -> Result<Datum, Error> {
    let fallback = call.args.pop().unwrap_or(Datum::Null);
    let value = call.args.pop().unwrap_or(Datum::Null);
    Ok(if value.is_null() { fallback } else { value })
}

fn nullif(mut call: Call) -> Result<Datum, Error> {
    let other = call.args.pop().unwrap_or(Datum::Null);
    let value = call.args.pop().unwrap_or(Datum::Null);
    Ok(if value.sql_cmp(&other) == Some(Ordering::Equal) { Datum::Null } else { value })
}

fn if_(mut call: Call) -> Result<Datum, Error> {
    // NULL is not true, so it picks the ELSE branch as in MySQL.
    let pick = if call.args[0].truth() == Some(true) { 1 } else { 2 };
    Ok(call.args.swap_remove(pick))
}

fn isnull(call: Call) -> Result<Datum, Error> {
    Ok(Datum::Int(i64::from(call.args[0].is_null())))
}

fn greatest(call: Call) -> Result<Datum, Error> {
    extreme(call, Ordering::Greater)
}

fn least(call: Call) -> Result<Datum, Error> {
    extreme(call, Ordering::Less)
}

/// The first argument that no other beats in direction `wanted`.
fn extreme(mut call: Call, wanted: Ordering) -> Result<Datum, Error> {
    let mut best = 0;
    for index in 1..call.args.len() {
        if call.args[index].sql_cmp(&call.args[best]) == Some(wanted) {
            best = index;
        }
    }
    Ok(call.args.swap_remove(best))
}
