//! SQL text from outside: Cambium's parser must answer every text with statements or an error
//! with a code, never a panic. Where a query parses, each unaliased select item's heading (the
//! canonical print of its expression, as `tests/sql_parse.rs` checks it) must read back as the
//! same expression with the same heading. The text then runs on a fresh copy of the fixture
//! database; every failure must be an error with a code, and afterwards fsck must find the store
//! sound. Inputs are capped at `INPUT_BYTES_MAX`, and the engine's own row limits bound what one
//! statement can do.

#![no_main]

use cambium::history::fsck;
use cambium::sql::ast::{Expr, SelectItem, SetExpr, Statement};
use cambium::sql::parse::parse_script;
use cambium::sql::Session;
use libfuzzer_sys::fuzz_target;

/// Longer texts only repeat what shorter ones reach, more slowly.
const INPUT_BYTES_MAX: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else { return };
    if sql.len() > INPUT_BYTES_MAX {
        return;
    }
    if let Ok(statements) = parse_script(sql, &[]) {
        for (expr, heading) in statements.iter().flat_map(printed_items) {
            check_round_trip(expr, heading);
        }
    }
    run(sql);
});

/// The unaliased select items of a query whose heading is the printed expression: a bare
/// column's or system variable's heading is its name, which is not meant to read back.
fn printed_items(statement: &Statement) -> Vec<(&Expr, &str)> {
    let Statement::Query(query) = statement else { return Vec::new() };
    let SetExpr::Select(select) = &query.body else { return Vec::new() };
    select
        .items
        .iter()
        .filter_map(|item| match item {
            SelectItem::Expr { expr, alias: None, text }
                if !matches!(expr, Expr::Column(_) | Expr::SystemVariable { .. }) =>
            {
                Some((expr, text.as_str()))
            }
            _ => None,
        })
        .collect()
}

fn check_round_trip(expr: &Expr, heading: &str) {
    let again = format!("SELECT {heading}");
    let statements =
        parse_script(&again, &[]).unwrap_or_else(|e| panic!("{again:?} does not parse: {e}"));
    let items: Vec<_> = statements.iter().flat_map(printed_items).collect();
    let [(expr_again, heading_again)] = items.as_slice() else {
        panic!("{again:?} is not one printed select item: {statements:?}")
    };
    assert_eq!(
        format!("{expr:?}"),
        format!("{expr_again:?}"),
        "{heading:?} reads back differently"
    );
    assert_eq!(heading, *heading_again, "the heading of {heading:?} is not stable");
}

fn run(sql: &str) {
    let mut store = cambium_fuzz::database();
    let mut session = Session::open(&mut store, cambium_fuzz::DATABASE).expect("a session");
    session.set_time(1_700_000_000_000);
    if let Err(error) = session.execute(&mut store, sql) {
        assert!(!error.code().is_empty(), "an error without a code: {error:?}");
    }
    let report = fsck(&store).expect("fsck of a memory store");
    assert!(report.is_clean(), "{sql:?} left the store unsound: {report}");
}
