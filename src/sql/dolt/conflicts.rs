//! Merge conflicts in SQL: `dolt_conflicts` (conflicted tables and their counts) and
//! `dolt_conflicts_<table>` (each conflicted row's base, ours and theirs), which is also how
//! conflicts are resolved by hand: deleting its rows keeps our rows as they are, updating
//! their `our_` columns writes those values into the table; either way the rows stop being
//! conflicts, and the table is resolved once none is left.

use crate::history::{Repo, RowConflict};
use crate::prolly::Map;

use super::super::ast::Expr;
use super::super::data::TableMeta;
use super::super::error::{Error, ErrorKind};
use super::super::exec::{Env, Exec};
use super::super::types::Datum;
use super::diff_tables::key_first;
use super::tables::{find_table, listing, Listing, Picks};
use super::{change_history, hash_text, working_root};

/// `dolt_conflicts`: each table with unresolved conflicts in the session branch's merge.
pub(super) fn summary(exec: &mut Exec) -> Result<Listing, Error> {
    let repo = Repo::open(&mut *exec.store)?;
    let mut rows = Vec::new();
    if let Some(merge) = repo.working_set(&exec.workspace.branch)?.merge {
        for (table, conflicts) in merge.conflicts {
            let count = Map::from_root(conflicts).count(repo.store())?;
            rows.push(vec![Datum::Text(table), Datum::UInt(count)]);
        }
    }
    Ok(listing(&["table", "num_conflicts"], rows))
}

/// A user table's conflicts as `dolt_conflicts_<table>` shows them.
struct Conflicts {
    /// The table's stored name.
    table: String,
    meta: TableMeta,
    /// Column positions in the order the table's columns are listed (key first).
    order: Vec<usize>,
    listing: Listing,
}

/// Where the `our_` columns start in a `dolt_conflicts_<table>` row.
fn ours_at(conflicts: &Conflicts) -> usize {
    1 + conflicts.order.len()
}

/// A conflicted row's id: its key in hex, stable for as long as the conflict lasts.
fn conflict_id(key: &[u8]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// The key a [`conflict_id`] spells.
fn key_of_id(id: &str) -> Option<Vec<u8>> {
    if id.len() % 2 != 0 {
        return None;
    }
    (0..id.len()).step_by(2).map(|i| u8::from_str_radix(id.get(i..i + 2)?, 16).ok()).collect()
}

/// How one side changed a conflicted row, in Dolt's words.
fn diff_type(base: &Option<Vec<u8>>, side: &Option<Vec<u8>>) -> Datum {
    Datum::Text(
        match (base, side) {
            (_, None) => "removed",
            (None, Some(_)) => "added",
            _ => "modified",
        }
        .into(),
    )
}

/// Reads `dolt_conflicts_<table>` for the session's branch (no rows outside a merge).
fn load(exec: &mut Exec, system: &str, table: &str) -> Result<Conflicts, Error> {
    let working = working_root(exec)?;
    let stored = find_table(&working, table).ok_or_else(|| Error::no_such_table(system))?;
    let schema = crate::history::Table::read(&*exec.store, working.tables[&stored])?.schema;
    let meta = TableMeta::new(&stored, schema)?;
    let order = key_first(&meta);
    let repo = Repo::open(&mut *exec.store)?;
    let branch = &exec.workspace.branch;
    let theirs = repo.working_set(branch)?.merge.map(|m| m.commit);
    let side = |key: &[u8], cells: &Option<Vec<u8>>| -> Result<Vec<Datum>, Error> {
        Ok(match cells {
            Some(cells) => {
                let mut row = meta.decode_row(key, cells)?;
                order.iter().map(|&p| std::mem::replace(&mut row[p], Datum::Null)).collect()
            }
            None => vec![Datum::Null; order.len()],
        })
    };
    let mut rows = Vec::new();
    for RowConflict { key, base, ours, theirs: their_cells } in repo.conflicts(branch, &stored)? {
        let mut row = vec![theirs.map_or(Datum::Null, hash_text)];
        row.extend(side(&key, &base)?);
        row.extend(side(&key, &ours)?);
        row.push(diff_type(&base, &ours));
        row.extend(side(&key, &their_cells)?);
        row.push(diff_type(&base, &their_cells));
        row.push(Datum::Text(conflict_id(&key)));
        rows.push(row);
    }
    let names = |prefix: &str| -> Vec<String> {
        order.iter().map(|&p| format!("{prefix}{}", meta.schema.columns[p].name)).collect()
    };
    let mut columns = vec!["from_root_ish".to_string()];
    columns.extend(names("base_"));
    columns.extend(names("our_"));
    columns.push("our_diff_type".into());
    columns.extend(names("their_"));
    columns.push("their_diff_type".into());
    columns.push("dolt_conflict_id".into());
    Ok(Conflicts { table: stored, meta, order, listing: (columns, rows) })
}

/// `dolt_conflicts_<table>`'s rows.
pub(super) fn rows(exec: &mut Exec, system: &str, table: &str) -> Result<Listing, Error> {
    Ok(load(exec, system, table)?.listing)
}

/// The keys of picked conflict rows, read back from their ids.
fn picked_keys(rows: &[Vec<Datum>]) -> Vec<Vec<u8>> {
    rows.iter().filter_map(|row| key_of_id(&row.last()?.to_text()?)).collect()
}

/// `DELETE FROM dolt_conflicts_<table> WHERE ...`: the picked conflicts are resolved as the
/// table now stands (our rows kept).
pub(super) fn delete(
    exec: &mut Exec,
    system: &str,
    table: &str,
    picks: &Picks,
) -> Result<u64, Error> {
    let conflicts = load(exec, system, table)?;
    let (_, rows) = picks.apply(exec, conflicts.listing)?;
    let keys = picked_keys(&rows);
    if keys.is_empty() {
        return Ok(0);
    }
    change_history(exec, |repo, workspace| {
        repo.remove_conflicts(&workspace.branch, &conflicts.table, &keys)?;
        Ok(keys.len() as u64)
    })
}

/// `UPDATE dolt_conflicts_<table> SET our_x = their_x, ... WHERE ...`: writes each picked
/// row's `our_` values into the table (by its key, inserting the row if ours had deleted it)
/// and resolves those conflicts. Only `our_` columns of the table's columns may be set.
pub(super) fn update(
    exec: &mut Exec,
    system: &str,
    table: &str,
    assignments: &[(String, Expr)],
    picks: &Picks,
) -> Result<u64, Error> {
    let conflicts = load(exec, system, table)?;
    let ours = ours_at(&conflicts);
    let columns = &conflicts.listing.0;
    let mut positions = Vec::with_capacity(assignments.len());
    for (column, _) in assignments {
        let at = columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(column))
            .ok_or_else(|| Error::no_such_column(column))?;
        if !(ours..ours + conflicts.order.len()).contains(&at) {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("column '{column}' of {system} is read-only; only our_ columns can be set"),
            ));
        }
        positions.push(at);
    }
    let meta = conflicts.meta.clone();
    let order = conflicts.order.clone();
    let stored = conflicts.table.clone();
    let (scope, rows) = picks.apply(exec, conflicts.listing)?;
    let mut edits = Vec::with_capacity(rows.len());
    for row in rows {
        let mut new = row.clone();
        for ((_, expr), &at) in assignments.iter().zip(&positions) {
            new[at] = exec.eval(expr, &Env::new(&scope, &new))?;
        }
        let id = new.last().and_then(Datum::to_text).unwrap_or_default();
        let key = key_of_id(&id).ok_or_else(|| {
            Error::new(ErrorKind::BadValue, format!("{system}: malformed dolt_conflict_id '{id}'"))
        })?;
        edits.push((key.clone(), table_row(&meta, &order, &key, &new[ours..ours + order.len()])?));
    }
    if edits.is_empty() {
        return Ok(0);
    }
    let keys: Vec<Vec<u8>> = edits.iter().map(|(key, _)| key.clone()).collect();
    change_history(exec, |repo, workspace| {
        let branch = &workspace.branch;
        let mut working = repo.working_root(branch)?;
        let current = repo.table(&working, &stored)?;
        let rows = edits.iter().map(|(key, cells)| (key.clone(), Some(cells.clone()))).collect();
        let updated = current.edit_rows(repo.store_mut(), rows)?;
        working.tables.insert(stored.clone(), updated.write(repo.store_mut())?);
        repo.set_working_root(branch, &working)?;
        repo.remove_conflicts(branch, &stored, &keys)?;
        Ok(keys.len() as u64)
    })
}

/// The cells of the table row a conflict's updated `our_` values (in `order`) make, coerced
/// to the columns' types. The key columns come from the conflict's key, which an update may
/// restate but not change: the row being resolved is the one the key names.
fn table_row(
    meta: &TableMeta,
    order: &[usize],
    key: &[u8],
    ours: &[Datum],
) -> Result<Vec<u8>, Error> {
    let mut row = vec![Datum::Null; order.len()];
    for (&p, value) in order.iter().zip(ours) {
        row[p] = meta.types[p].coerce(value.clone(), &meta.schema.columns[p].name)?;
    }
    if !meta.key_positions.is_empty() {
        for (&p, value) in meta.key_positions.iter().zip(crate::row::decode_key(key)?) {
            if row[p].is_null() {
                row[p] = meta.types[p].from_storage(value);
            }
        }
        if meta.key_of(&row)? != key {
            return Err(Error::new(
                ErrorKind::BadValue,
                "the primary key of a conflicted row cannot change",
            ));
        }
    }
    if let Some(column) = meta
        .schema
        .columns
        .iter()
        .zip(&row)
        .find(|(c, v)| !c.nullable && v.is_null())
        .map(|(c, _)| c)
    {
        return Err(Error::new(
            ErrorKind::NotNull,
            format!("Column '{}' cannot be null", column.name),
        ));
    }
    meta.encode_row(&row)
}
