//! Diffs as tables: `dolt_diff` (which tables each commit changed), `dolt_diff_<table>` (row
//! changes over the session branch's history) and `dolt_history_<table>` (the table at every
//! commit), and the table functions `dolt_diff()`, `dolt_diff_stat()` and
//! `dolt_diff_summary()` between two revisions.
//!
//! Row diffs walk prolly maps with [`Map::diff`], which skips equal subtrees, so a diff costs
//! what changed, not the table's size. The history tables read `to_commit` / `commit_hash`
//! pinned by the filter and then diff or read only that commit, so a query for one commit
//! costs that commit's changes, not the history's length.

use std::collections::{BTreeSet, HashMap};

use crate::chunk::{ChunkStore, Hash};
use crate::history::{self, Commit, Repo, RootValue, Table};
use crate::prolly::Map;

use super::super::ast::Expr;
use super::super::data::TableMeta;
use super::super::error::{Error, ErrorKind};
use super::super::exec::{Exec, RESULT_ROWS_MAX};
use super::super::types::Datum;
use super::args::parse;
use super::revisions::{commit_of, resolve};
use super::tables::{
    commit_named, date, find_table, flag, listing, pinned, too_many_rows, Listing,
};
use super::{hash_text, text_arg, working_root};

/// Positions of a table's columns as diff and conflict tables list them: the primary key's
/// columns first (in key order), then the others in schema order, as Dolt does.
pub(super) fn key_first(meta: &TableMeta) -> Vec<usize> {
    let mut positions = meta.key_positions.clone();
    positions.extend((0..meta.schema.columns.len()).filter(|p| !meta.key_positions.contains(p)));
    positions
}

/// A table's schema read from its chunk, parsed for decoding rows.
fn meta_of(store: &dyn ChunkStore, name: &str, table: Hash) -> Result<TableMeta, Error> {
    TableMeta::new(name, Table::read(store, table)?.schema)
}

/// A table's rows, or no rows when the table is absent.
fn rows_of(store: &dyn ChunkStore, table: Option<Hash>) -> Result<Map, Error> {
    Ok(match table {
        Some(hash) => Table::read(store, hash)?.rows,
        None => Map::empty_unwritten(),
    })
}

/// The current schema of a user table named by a `dolt_diff_<table>` / `dolt_history_<table>`
/// name, from the open transaction (so its uncommitted DDL counts). Returns the stored name.
fn current_meta(exec: &mut Exec, system: &str, table: &str) -> Result<(String, TableMeta), Error> {
    let stored = exec.tx.table_name(table).ok_or_else(|| Error::no_such_table(system))?;
    if let Some(data) = exec.tx.tables.get(&stored) {
        return Ok((stored, data.meta.clone()));
    }
    let meta = meta_of(&*exec.store, &stored, exec.tx.root.tables[&stored])?;
    Ok((stored, meta))
}

/// One side of a row diff: how its rows decode, and what names and dates it.
struct Side<'m> {
    meta: &'m TableMeta,
    order: &'m [usize],
    table: Option<Hash>,
    label: Datum,
    date: Datum,
}

/// Appends the row changes from `from` to `to` as diff-table rows (`to_` columns, to_commit,
/// to_commit_date, `from_` columns, from_commit, from_commit_date, diff_type).
fn diff_rows(
    store: &dyn ChunkStore,
    system: &str,
    from: &Side,
    to: &Side,
    out: &mut Vec<Vec<Datum>>,
) -> Result<(), Error> {
    if from.table == to.table {
        return Ok(());
    }
    let (old, new) = (rows_of(store, from.table)?, rows_of(store, to.table)?);
    let cells = |side: &Side, key: &[u8], cells: Option<&[u8]>| -> Result<Vec<Datum>, Error> {
        Ok(match cells {
            Some(cells) => {
                let mut row = side.meta.decode_row(key, cells)?;
                side.order.iter().map(|&p| std::mem::replace(&mut row[p], Datum::Null)).collect()
            }
            None => vec![Datum::Null; side.order.len()],
        })
    };
    for change in old.diff(&new, store) {
        let change = change?;
        if out.len() >= RESULT_ROWS_MAX {
            return Err(too_many_rows(system));
        }
        let kind = match (&change.old, &change.new) {
            (None, _) => "added",
            (_, None) => "removed",
            _ => "modified",
        };
        let mut row = cells(to, &change.key, change.new.as_deref())?;
        row.extend([to.label.clone(), to.date.clone()]);
        row.extend(cells(from, &change.key, change.old.as_deref())?);
        row.extend([from.label.clone(), from.date.clone(), Datum::Text(kind.into())]);
        out.push(row);
    }
    Ok(())
}

/// Column names of a diff table whose sides have these schemas.
fn diff_columns(from: &Side, to: &Side) -> Vec<String> {
    let names = |side: &Side, prefix: &str| -> Vec<String> {
        side.order
            .iter()
            .map(|&p| format!("{prefix}{}", side.meta.schema.columns[p].name))
            .collect()
    };
    let mut columns = names(to, "to_");
    columns.extend(["to_commit".to_string(), "to_commit_date".to_string()]);
    columns.extend(names(from, "from_"));
    columns.extend(["from_commit", "from_commit_date", "diff_type"].map(String::from));
    columns
}

/// The commits of the session branch's history a filter leaves: only the one `pin` names
/// (when it is on the history), else all, newest first.
fn history_commits(repo: &Repo, head: Hash, pin: Option<&str>) -> Result<Vec<Commit>, Error> {
    match pin {
        None => Ok(repo.log(head, None)?),
        Some(text) => match commit_named(repo, text)? {
            Some(commit) if repo.is_ancestor(commit.hash, head)? => Ok(vec![commit]),
            _ => Ok(Vec::new()),
        },
    }
}

/// `dolt_diff_<table>`: every row change of the table over the session branch's history,
/// each commit against its first parent, after the working set's changes against HEAD
/// (`to_commit = 'WORKING'`). Rows decode with the table's current schema, as in Dolt.
pub(super) fn table_diff(
    exec: &mut Exec,
    system: &str,
    table: &str,
    filter: Option<&Expr>,
) -> Result<Listing, Error> {
    let to_pin = pinned(exec, filter, system, "to_commit")?;
    let from_pin = pinned(exec, filter, system, "from_commit")?;
    let (stored, meta) = current_meta(exec, system, table)?;
    let order = key_first(&meta);
    let wants_working = to_pin.as_deref().is_none_or(|t| t == "working");
    let working = match wants_working {
        true => Some(working_root(exec)?.tables.get(&stored).copied()),
        false => None,
    };
    let repo = Repo::open(&mut *exec.store)?;
    let head = repo.commit(repo.branch_head(&exec.workspace.branch)?)?;
    let side = |table: Option<Hash>, label: Datum, date: Datum| Side {
        meta: &meta,
        order: &order,
        table,
        label,
        date,
    };
    let blank = side(None, Datum::Null, Datum::Null);
    let columns = diff_columns(&blank, &blank);
    // Each commit's version of the table, remembered: the log meets most commits twice, as a
    // commit and as the parent of the one before.
    let mut tables: HashMap<Hash, Option<Hash>> = HashMap::new();
    let mut table_at = |commit: &Commit| -> Result<Option<Hash>, Error> {
        if let Some(table) = tables.get(&commit.hash) {
            return Ok(*table);
        }
        let table = repo.root(commit.root)?.tables.get(&stored).copied();
        tables.insert(commit.hash, table);
        Ok(table)
    };
    let mut rows = Vec::new();
    let head_matches = from_pin.as_deref().is_none_or(|f| f == head.hash.to_string());
    if let (Some(working), true) = (working, head_matches) {
        let from = side(table_at(&head)?, hash_text(head.hash), date(&head.committer));
        let to = side(working, Datum::Text("WORKING".into()), Datum::Null);
        diff_rows(repo.store(), system, &from, &to, &mut rows)?;
    }
    let commits = match to_pin.as_deref() {
        Some("working") => Vec::new(),
        pin => history_commits(&repo, head.hash, pin)?,
    };
    let by_hash: HashMap<Hash, &Commit> = commits.iter().map(|c| (c.hash, c)).collect();
    for commit in &commits {
        let parent = commit.parents.first().copied();
        if from_pin.as_ref().is_some_and(|pin| parent.map(|p| p.to_string()).as_ref() != Some(pin))
        {
            continue;
        }
        let from = match parent {
            Some(parent) => {
                let read;
                let parent = match by_hash.get(&parent) {
                    Some(commit) => *commit,
                    None => {
                        read = repo.commit(parent)?;
                        &read
                    }
                };
                side(table_at(parent)?, hash_text(parent.hash), date(&parent.committer))
            }
            None => side(None, Datum::Null, Datum::Null),
        };
        let to = side(table_at(commit)?, hash_text(commit.hash), date(&commit.committer));
        diff_rows(repo.store(), system, &from, &to, &mut rows)?;
    }
    Ok((columns, rows))
}

/// `dolt_history_<table>`: the table's rows at every commit of the session branch's history
/// (newest first), each with the commit's hash, committer and date.
pub(super) fn table_history(
    exec: &mut Exec,
    system: &str,
    table: &str,
    filter: Option<&Expr>,
) -> Result<Listing, Error> {
    let pin = pinned(exec, filter, system, "commit_hash")?;
    let (stored, meta) = current_meta(exec, system, table)?;
    let repo = Repo::open(&mut *exec.store)?;
    let head = repo.branch_head(&exec.workspace.branch)?;
    let store = repo.store();
    let mut rows: Vec<Vec<Datum>> = Vec::new();
    // The last table version decoded: consecutive commits often share it.
    let mut decoded: Option<(Hash, Vec<Vec<Datum>>)> = None;
    for commit in history_commits(&repo, head, pin.as_deref())? {
        let Some(&table) = repo.root(commit.root)?.tables.get(&stored) else { continue };
        if decoded.as_ref().is_none_or(|(hash, _)| *hash != table) {
            let map = Table::read(store, table)?.rows;
            let count = usize::try_from(map.count(store)?).unwrap_or(usize::MAX);
            if count > RESULT_ROWS_MAX.saturating_sub(rows.len()) {
                return Err(too_many_rows(system));
            }
            let mut version = Vec::with_capacity(count);
            for entry in map.iter(store) {
                let (key, cells) = entry?;
                version.push(meta.decode_row(&key, &cells)?);
            }
            decoded = Some((table, version));
        }
        let version = &decoded.as_ref().expect("decoded above").1;
        if version.len() > RESULT_ROWS_MAX.saturating_sub(rows.len()) {
            return Err(too_many_rows(system));
        }
        for row in version {
            let mut row = row.clone();
            row.extend([
                hash_text(commit.hash),
                Datum::Text(commit.committer.name.clone()),
                date(&commit.committer),
            ]);
            rows.push(row);
        }
    }
    let mut columns: Vec<String> = meta.schema.columns.iter().map(|c| c.name.clone()).collect();
    columns.extend(["commit_hash", "committer", "commit_date"].map(String::from));
    Ok((columns, rows))
}

/// A table that differs between two roots: its name and its versions (absent: `None`).
type ChangedTable = (String, Option<Table>, Option<Table>);

/// The tables that differ between two roots, with both versions read (their chunks only: the
/// callers compare map and schema hashes or diff the rows themselves).
fn changed_tables(
    store: &dyn ChunkStore,
    from: &RootValue,
    to: &RootValue,
) -> Result<Vec<ChangedTable>, Error> {
    let names: BTreeSet<&String> = from.tables.keys().chain(to.tables.keys()).collect();
    let mut out = Vec::new();
    for name in names {
        let (old, new) = (from.tables.get(name), to.tables.get(name));
        if old == new {
            continue;
        }
        let old = old.map(|h| Table::read(store, *h)).transpose()?;
        let new = new.map(|h| Table::read(store, *h)).transpose()?;
        out.push((name.clone(), old, new));
    }
    Ok(out)
}

/// Whether a table's rows, and its schema, differ between two versions (absent = no rows).
fn data_and_schema(old: &Option<Table>, new: &Option<Table>) -> (bool, bool) {
    let rows =
        |t: &Option<Table>| t.as_ref().map_or(Map::empty_unwritten().root(), |t| t.rows.root());
    let schema = match (old, new) {
        (Some(old), Some(new)) => old.schema != new.schema,
        _ => true,
    };
    (rows(old) != rows(new), schema)
}

/// `dolt_diff`: per commit of the session branch's history (after the working set's unstaged
/// and staged changes), each table it changed and whether its data and schema changed.
pub(super) fn commit_diffs(
    exec: &mut Exec,
    system: &str,
    filter: Option<&Expr>,
) -> Result<Listing, Error> {
    let pin = pinned(exec, filter, system, "commit_hash")?;
    let uncommitted = pin.as_deref().is_none_or(|p| p == "working" || p == "staged");
    let working = if uncommitted { Some(working_root(exec)?) } else { None };
    let repo = Repo::open(&mut *exec.store)?;
    let store = repo.store();
    let head = repo.branch_head(&exec.workspace.branch)?;
    let mut rows = Vec::new();
    let mut add = |label: Datum, who: [Datum; 4], from: &RootValue, to: &RootValue| {
        for (name, old, new) in changed_tables(store, from, to)? {
            let (data, schema) = data_and_schema(&old, &new);
            if data || schema {
                let mut row = vec![label.clone(), Datum::Text(name)];
                row.extend(who.iter().cloned());
                row.extend([flag(data), flag(schema)]);
                rows.push(row);
            }
        }
        Ok::<(), Error>(())
    };
    if let Some(working) = working {
        let head_root = repo.root(repo.commit(head)?.root)?;
        let staged = repo.staged_root(&exec.workspace.branch)?;
        let nobody = [Datum::Null, Datum::Null, Datum::Null, Datum::Null];
        if pin.as_deref().is_none_or(|p| p == "working") {
            add(Datum::Text("WORKING".into()), nobody.clone(), &staged, &working)?;
        }
        if pin.as_deref().is_none_or(|p| p == "staged") {
            add(Datum::Text("STAGED".into()), nobody, &head_root, &staged)?;
        }
    }
    let commits = match pin.as_deref() {
        Some("working" | "staged") => Vec::new(),
        pin => history_commits(&repo, head, pin)?,
    };
    for commit in commits {
        let root = repo.root(commit.root)?;
        let parent = match commit.parents.first() {
            Some(parent) => repo.root(repo.commit(*parent)?.root)?,
            None => RootValue::default(),
        };
        let who = [
            Datum::Text(commit.committer.name.clone()),
            Datum::Text(commit.committer.email.clone()),
            date(&commit.committer),
            Datum::Text(commit.message.clone()),
        ];
        add(hash_text(commit.hash), who, &parent, &root)?;
    }
    let columns = [
        "commit_hash",
        "table_name",
        "committer",
        "email",
        "date",
        "message",
        "data_change",
        "schema_change",
    ];
    Ok(listing(&columns, rows))
}

// ---------------------------------------------------------------- table functions

/// A revision a table function compares: its root, how it is named in the result and its
/// commit's date (NULL for the working and staged roots).
struct Revision {
    root: RootValue,
    label: String,
    date: Datum,
}

/// The root a revision argument names: `WORKING` (the open transaction included), `STAGED`,
/// or any commit revision of the session.
fn revision(exec: &mut Exec, text: &str) -> Result<Revision, Error> {
    let label = text.to_string();
    if text.eq_ignore_ascii_case("working") {
        return Ok(Revision { root: working_root(exec)?, label, date: Datum::Null });
    }
    let repo = Repo::open(&mut *exec.store)?;
    if text.eq_ignore_ascii_case("staged") {
        let root = repo.staged_root(&exec.workspace.branch)?;
        return Ok(Revision { root, label, date: Datum::Null });
    }
    let commit = repo.commit(commit_of(&repo, exec.workspace, &Datum::Text(label.clone()))?)?;
    Ok(Revision { root: repo.root(commit.root)?, label, date: date(&commit.committer) })
}

/// The two revisions (and the table, if given) of `dolt_diff`-style arguments:
/// `(from, to[, table])`, `('from..to'[, table])`, or `('a...b'[, table])`, which compares
/// the merge base of `a` and `b` with `b`.
fn between(
    exec: &mut Exec,
    function: &str,
    args: &[Datum],
    table_required: bool,
) -> Result<(Revision, Revision, Option<String>), Error> {
    let texts = args.iter().map(|a| text_arg(function, a)).collect::<Result<Vec<_>, _>>()?;
    let positional = parse(function, &[], &texts)?.positional;
    let dotted = positional.first().is_some_and(|p| p.contains(".."));
    let revisions = if dotted { 1 } else { 2 };
    let tables = positional.len().saturating_sub(revisions);
    if positional.len() < revisions || tables > 1 || (table_required && tables == 0) {
        let expected = match (dotted, table_required) {
            (true, true) => "2",
            (true, false) => "1 to 2",
            (false, true) => "3",
            (false, false) => "2 to 3",
        };
        return Err(Error::new(
            ErrorKind::WrongArgumentCount,
            format!("{function} expects {expected} arguments, got {}", positional.len()),
        ));
    }
    let table = positional.get(revisions).cloned();
    if !dotted {
        return Ok((revision(exec, &positional[0])?, revision(exec, &positional[1])?, table));
    }
    let bad = || {
        Error::new(
            ErrorKind::BadArgument,
            format!("{function}: '{}' needs a revision on both sides", positional[0]),
        )
    };
    if let Some((a, b)) = positional[0].split_once("...") {
        if a.is_empty() || b.is_empty() {
            return Err(bad());
        }
        let base = {
            let repo = Repo::open(&mut *exec.store)?;
            let (a, b) = (resolve(&repo, exec.workspace, a)?, resolve(&repo, exec.workspace, b)?);
            repo.merge_base(a, b)?.ok_or_else(|| {
                Error::new(
                    ErrorKind::History,
                    format!("{function}: '{}' have no common ancestor", positional[0]),
                )
            })?
        };
        return Ok((revision(exec, &base.to_string())?, revision(exec, b)?, table));
    }
    let (a, b) = positional[0].split_once("..").expect("dotted");
    if a.is_empty() || b.is_empty() {
        return Err(bad());
    }
    Ok((revision(exec, a)?, revision(exec, b)?, table))
}

/// The stored names of a table in two roots; an error when neither has it.
fn table_in_either(
    from: &RootValue,
    to: &RootValue,
    table: &str,
) -> Result<(Option<String>, Option<String>), Error> {
    let names = (find_table(from, table), find_table(to, table));
    if names == (None, None) {
        return Err(Error::new(ErrorKind::NoSuchTable, format!("table not found: {table}")));
    }
    Ok(names)
}

/// `dolt_diff(from, to, table)`: the table's row changes between two revisions; each side's
/// columns follow that side's schema, and to_commit / from_commit hold the revisions as given.
pub(super) fn diff_function(exec: &mut Exec, args: Vec<Datum>) -> Result<Listing, Error> {
    let (from, to, table) = between(exec, "dolt_diff", &args, true)?;
    let table = table.expect("dolt_diff requires its table");
    let (from_name, to_name) = table_in_either(&from.root, &to.root, &table)?;
    let store: &dyn ChunkStore = &*exec.store;
    let hash_of = |root: &RootValue, name: &Option<String>| {
        name.as_ref().and_then(|n| root.tables.get(n).copied())
    };
    let (from_table, to_table) = (hash_of(&from.root, &from_name), hash_of(&to.root, &to_name));
    let either = to_table.or(from_table).expect("one side has the table");
    let either_name = to_name.clone().or(from_name.clone()).unwrap_or_default();
    let from_meta = meta_of(store, &either_name, from_table.unwrap_or(either))?;
    let to_meta = meta_of(store, &either_name, to_table.unwrap_or(either))?;
    let (from_order, to_order) = (key_first(&from_meta), key_first(&to_meta));
    let from_side = Side {
        meta: &from_meta,
        order: &from_order,
        table: from_table,
        label: Datum::Text(from.label),
        date: from.date,
    };
    let to_side = Side {
        meta: &to_meta,
        order: &to_order,
        table: to_table,
        label: Datum::Text(to.label),
        date: to.date,
    };
    let mut rows = Vec::new();
    diff_rows(store, "dolt_diff", &from_side, &to_side, &mut rows)?;
    Ok((diff_columns(&from_side, &to_side), rows))
}

/// The changed tables between two revisions, limited to `table` when given (which must exist
/// on one side).
fn changed_between(
    store: &dyn ChunkStore,
    from: &Revision,
    to: &Revision,
    table: Option<&str>,
) -> Result<Vec<ChangedTable>, Error> {
    let mut changed = changed_tables(store, &from.root, &to.root)?;
    if let Some(table) = table {
        table_in_either(&from.root, &to.root, table)?;
        changed.retain(|(name, _, _)| name.eq_ignore_ascii_case(table));
    }
    Ok(changed)
}

/// `dolt_diff_summary(from, to[, table])`: per changed table, how it changed and whether its
/// data and schema did.
pub(super) fn diff_summary(exec: &mut Exec, args: Vec<Datum>) -> Result<Listing, Error> {
    let (from, to, table) = between(exec, "dolt_diff_summary", &args, false)?;
    let mut rows = Vec::new();
    for (name, old, new) in changed_between(&*exec.store, &from, &to, table.as_deref())? {
        let (data, schema) = data_and_schema(&old, &new);
        let (from_name, to_name, kind) = match (&old, &new) {
            (None, _) => (String::new(), name, "added"),
            (_, None) => (name, String::new(), "dropped"),
            _ => (name.clone(), name, "modified"),
        };
        rows.push(vec![
            Datum::Text(from_name),
            Datum::Text(to_name),
            Datum::Text(kind.into()),
            flag(data),
            flag(schema),
        ]);
    }
    let columns = ["from_table_name", "to_table_name", "diff_type", "data_change", "schema_change"];
    Ok(listing(&columns, rows))
}

/// `dolt_diff_stat(from, to[, table])`: per table whose rows changed, counts of rows and
/// cells added, deleted and modified, and of rows and cells on each side.
pub(super) fn diff_stat(exec: &mut Exec, args: Vec<Datum>) -> Result<Listing, Error> {
    let (from, to, table) = between(exec, "dolt_diff_stat", &args, false)?;
    let store: &dyn ChunkStore = &*exec.store;
    let mut rows = Vec::new();
    for (name, old, new) in changed_between(store, &from, &to, table.as_deref())? {
        let one = |root: &RootValue| RootValue {
            tables: root.tables.get(&name).map(|h| (name.clone(), *h)).into_iter().collect(),
        };
        let diffs = history::diff_roots(store, &one(&from.root), &one(&to.root), false)?;
        let Some(summary) = diffs.into_iter().next().map(|d| d.summary) else { continue };
        if summary.rows_added + summary.rows_removed + summary.rows_modified == 0 {
            continue;
        }
        let size = |table: &Option<Table>| -> Result<(u64, u64), Error> {
            Ok(match table {
                Some(t) => (t.rows.count(store)?, t.schema.columns.len() as u64),
                None => (0, 0),
            })
        };
        let ((old_rows, old_columns), (new_rows, new_columns)) = (size(&old)?, size(&new)?);
        let count = |n: u64| Datum::Int(i64::try_from(n).unwrap_or(i64::MAX));
        rows.push(vec![
            Datum::Text(name),
            count(old_rows.saturating_sub(summary.rows_modified + summary.rows_removed)),
            count(summary.rows_added),
            count(summary.rows_removed),
            count(summary.rows_modified),
            count(summary.rows_added.saturating_mul(new_columns)),
            count(summary.rows_removed.saturating_mul(old_columns)),
            count(summary.cells_modified),
            count(old_rows),
            count(new_rows),
            count(old_rows.saturating_mul(old_columns)),
            count(new_rows.saturating_mul(new_columns)),
        ]);
    }
    let columns = [
        "table_name",
        "rows_unmodified",
        "rows_added",
        "rows_deleted",
        "rows_modified",
        "cells_added",
        "cells_deleted",
        "cells_modified",
        "old_row_count",
        "new_row_count",
        "old_cell_count",
        "new_cell_count",
    ];
    Ok(listing(&columns, rows))
}
