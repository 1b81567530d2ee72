//! Differences between two root values: per table, whether it was added, dropped or changed,
//! whether its schema changed, and its rows added, removed and changed cell by cell.

use std::collections::BTreeSet;

use crate::chunk::ChunkStore;
use crate::prolly::Map;
use crate::row::{self, Tag, Value};

use super::objects::{RootValue, Table};
use super::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableChange {
    Added,
    Dropped,
    Modified,
}

/// One row's difference. Keys and cells are decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct RowDiff {
    pub key: Vec<Value>,
    /// Cells before; `None` when the row was added.
    pub old: Option<Vec<(Tag, Value)>>,
    /// Cells after; `None` when the row was removed.
    pub new: Option<Vec<(Tag, Value)>>,
    /// The columns whose value differs (all of the row's columns for an added or removed row).
    pub changed: Vec<Tag>,
}

/// Counts of a table's differences.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiffSummary {
    pub rows_added: u64,
    pub rows_removed: u64,
    pub rows_modified: u64,
    pub cells_modified: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TableDiff {
    pub name: String,
    pub change: TableChange,
    pub schema_changed: bool,
    pub summary: DiffSummary,
    pub rows: Vec<RowDiff>,
}

/// The tags whose values differ between two decoded rows (cells are sorted by tag).
pub(crate) fn changed_tags(old: &[(Tag, Value)], new: &[(Tag, Value)]) -> Vec<Tag> {
    let tags: BTreeSet<Tag> = old.iter().chain(new).map(|(tag, _)| *tag).collect();
    let value = |cells: &[(Tag, Value)], tag: Tag| {
        cells.binary_search_by_key(&tag, |(t, _)| *t).ok().map(|i| cells[i].1.clone())
    };
    tags.into_iter().filter(|&tag| value(old, tag) != value(new, tag)).collect()
}

/// A table's rows, or no rows for an absent table.
fn rows_of(table: Option<&Table>) -> Map {
    table.map_or_else(Map::empty_unwritten, |table| table.rows)
}

/// Diffs `from` → `to`. With `rows` false only the summaries are filled, which costs the same
/// walk but keeps no row in memory.
pub fn diff_roots(
    store: &dyn ChunkStore,
    from: &RootValue,
    to: &RootValue,
    rows: bool,
) -> Result<Vec<TableDiff>, Error> {
    let names: BTreeSet<&String> = from.tables.keys().chain(to.tables.keys()).collect();
    let mut out = Vec::new();
    for name in names {
        let (old_hash, new_hash) = (from.tables.get(name), to.tables.get(name));
        if old_hash == new_hash {
            continue;
        }
        let old = old_hash.map(|h| Table::read(store, *h)).transpose()?;
        let new = new_hash.map(|h| Table::read(store, *h)).transpose()?;
        let change = match (&old, &new) {
            (None, Some(_)) => TableChange::Added,
            (Some(_), None) => TableChange::Dropped,
            _ => TableChange::Modified,
        };
        let schema_changed = match (&old, &new) {
            (Some(o), Some(n)) => o.schema != n.schema,
            _ => true,
        };
        let (old_rows, new_rows) = (rows_of(old.as_ref()), rows_of(new.as_ref()));
        let mut summary = DiffSummary::default();
        let mut row_diffs = Vec::new();
        for change in old_rows.diff(&new_rows, store) {
            let change = change?;
            let old_cells = change.old.as_deref().map(row::decode_cells).transpose()?;
            let new_cells = change.new.as_deref().map(row::decode_cells).transpose()?;
            let changed = changed_tags(
                old_cells.as_deref().unwrap_or(&[]),
                new_cells.as_deref().unwrap_or(&[]),
            );
            match (&old_cells, &new_cells) {
                (None, _) => summary.rows_added += 1,
                (_, None) => summary.rows_removed += 1,
                _ => {
                    summary.rows_modified += 1;
                    summary.cells_modified += changed.len() as u64;
                }
            }
            if rows {
                let key = row::decode_key(&change.key)?;
                row_diffs.push(RowDiff { key, old: old_cells, new: new_cells, changed });
            }
        }
        out.push(TableDiff {
            name: name.clone(),
            change,
            schema_changed,
            summary,
            rows: row_diffs,
        });
    }
    Ok(out)
}
