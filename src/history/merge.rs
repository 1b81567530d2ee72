//! Three-way merge of root values. Tables added or dropped on one side follow that side; a schema
//! changed on one side is taken; rows are merged by the prolly merge with a cell-by-cell policy:
//! edits to different columns of a row combine, while the same cell changed differently, a
//! delete against an update, or two different inserts of one key are conflicts.

use std::collections::{BTreeMap, BTreeSet};

use crate::chunk::ChunkStore;
use crate::prolly::{self, Map, Resolution};
use crate::row::{self, Schema, Tag, Value};

use super::objects::{RootValue, Table};
use super::table::RowChange;
use super::Error;

/// A row both sides changed incompatibly: its key and cells at the base and on each side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowConflict {
    pub key: Vec<u8>,
    pub base: Option<Vec<u8>>,
    pub ours: Option<Vec<u8>>,
    pub theirs: Option<Vec<u8>>,
}

impl RowConflict {
    /// The value stored in a conflict map: a presence byte (bit 0 base, 1 ours, 2 theirs), then
    /// each present side's cells as a u32 length and the bytes.
    pub(crate) fn encode_value(&self) -> Vec<u8> {
        let sides = [&self.base, &self.ours, &self.theirs];
        let mut out = vec![0u8];
        for (bit, side) in sides.iter().enumerate() {
            if let Some(cells) = side {
                out[0] |= 1 << bit;
                out.extend_from_slice(&(cells.len() as u32).to_le_bytes());
                out.extend_from_slice(cells);
            }
        }
        out
    }

    pub(crate) fn decode(key: Vec<u8>, value: &[u8]) -> Result<RowConflict, Error> {
        let bad = || Error::Row(row::Error::Malformed("a conflict record is malformed"));
        let (&flags, mut rest) = value.split_first().ok_or_else(bad)?;
        if flags & !0b111 != 0 {
            return Err(bad());
        }
        let mut sides = [None, None, None];
        for (bit, side) in sides.iter_mut().enumerate() {
            if flags & (1 << bit) != 0 {
                let len = rest.get(..4).ok_or_else(bad)?;
                let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
                let cells = rest.get(4..4 + len).ok_or_else(bad)?;
                *side = Some(cells.to_vec());
                rest = &rest[4 + len..];
            }
        }
        if !rest.is_empty() {
            return Err(bad());
        }
        let [base, ours, theirs] = sides;
        Ok(RowConflict { key, base, ours, theirs })
    }
}

/// The outcome of merging root values.
#[derive(Clone, Debug)]
pub struct RootMerge {
    /// The merged root; conflicted rows hold our cells.
    pub root: RootValue,
    /// Table name → its conflicted rows, in key order.
    pub conflicts: BTreeMap<String, Vec<RowConflict>>,
    /// Rows the merge changed in ours.
    pub rows_applied: usize,
}

/// Merges two rows' cells against their base, column by column; `None` when a column conflicts.
/// Cells of columns outside `columns` (dropped by the merged schema) are left out.
fn merge_cells(
    base: &[(Tag, Value)],
    ours: &[(Tag, Value)],
    theirs: &[(Tag, Value)],
    columns: &BTreeSet<Tag>,
) -> Option<Vec<(Tag, Value)>> {
    let value = |cells: &[(Tag, Value)], tag: Tag| {
        cells.binary_search_by_key(&tag, |(t, _)| *t).ok().map(|i| cells[i].1.clone())
    };
    let mut merged = Vec::new();
    for &tag in columns {
        let (b, o, t) = (value(base, tag), value(ours, tag), value(theirs, tag));
        let pick = if o == t || t == b {
            o
        } else if o == b {
            t
        } else {
            return None;
        };
        if let Some(v) = pick {
            merged.push((tag, v));
        }
    }
    Some(merged)
}

fn cell_policy(columns: &BTreeSet<Tag>) -> impl FnMut(&prolly::Conflict) -> Resolution + '_ {
    move |conflict| {
        let (Some(b), Some(o), Some(t)) = (&conflict.base, &conflict.ours, &conflict.theirs) else {
            return Resolution::Conflict;
        };
        let decoded = (row::decode_cells(b), row::decode_cells(o), row::decode_cells(t));
        let (Ok(b), Ok(o), Ok(t)) = decoded else {
            return Resolution::Conflict;
        };
        match merge_cells(&b, &o, &t, columns).map(|cells| row::encode_cells(&cells)) {
            Some(Ok(cells)) => Resolution::Value(Some(cells)),
            _ => Resolution::Conflict,
        }
    }
}

/// The merged schema: a schema changed on one side only is taken; both sides changing it
/// differently is a conflict the merge cannot settle.
fn merge_schema(
    name: &str,
    base: Option<&Schema>,
    ours: &Schema,
    theirs: &Schema,
) -> Result<Schema, Error> {
    if ours == theirs || Some(theirs) == base {
        Ok(ours.clone())
    } else if Some(ours) == base {
        Ok(theirs.clone())
    } else {
        Err(Error::SchemaConflict {
            table: name.to_string(),
            reason: "both sides changed the schema differently",
        })
    }
}

fn merge_table(
    store: &mut dyn ChunkStore,
    name: &str,
    base: Option<&Table>,
    ours: &Table,
    theirs: &Table,
) -> Result<(Table, Vec<RowConflict>, usize), Error> {
    let schema = merge_schema(name, base.map(|b| &b.schema), &ours.schema, &theirs.schema)?;
    let columns: BTreeSet<Tag> = schema.value_tags().into_iter().collect();
    let base_rows = base.map_or_else(Map::empty_unwritten, |b| b.rows);
    let outcome = Map::merge(&base_rows, &ours.rows, &theirs.rows, store, cell_policy(&columns))?;
    let mut rows = outcome.map;
    // Rows from a side that still has a column the merged schema dropped carry its cells.
    let side_columns: BTreeSet<Tag> =
        ours.schema.value_tags().into_iter().chain(theirs.schema.value_tags()).collect();
    if !side_columns.is_subset(&columns) {
        rows = strip_columns(store, rows, &columns)?;
    }
    let mut table = Table {
        schema,
        rows,
        indexes: ours.indexes.clone(),
        auto_increment: ours.auto_increment.max(theirs.auto_increment),
    };
    if table.schema.indexes != ours.schema.indexes {
        table = table.rebuild_indexes(store)?;
    } else if !table.indexes.is_empty() {
        let changes: Vec<RowChange> = outcome
            .changes
            .iter()
            .map(|c| RowChange { key: &c.key, old: c.old.as_deref(), new: c.new.as_deref() })
            .collect();
        table.indexes = table.indexes_after(store, &changes)?;
    }
    let conflicts = outcome
        .conflicts
        .into_iter()
        .map(|c| RowConflict { key: c.key, base: c.base, ours: c.ours, theirs: c.theirs })
        .collect();
    Ok((table, conflicts, outcome.changes.len()))
}

/// Rewrites every row without the cells of columns outside `columns`.
fn strip_columns(
    store: &mut dyn ChunkStore,
    rows: Map,
    columns: &BTreeSet<Tag>,
) -> Result<Map, Error> {
    let mut edits = Vec::new();
    for entry in rows.iter(store) {
        let (key, cells) = entry?;
        let decoded = row::decode_cells(&cells)?;
        if decoded.iter().any(|(tag, _)| !columns.contains(tag)) {
            let kept: Vec<(Tag, Value)> =
                decoded.into_iter().filter(|(t, _)| columns.contains(t)).collect();
            edits.push((key, Some(row::encode_cells(&kept)?)));
        }
    }
    Ok(rows.edit(store, edits)?)
}

/// Merges `theirs` into `ours` against their common ancestor `base`.
pub fn merge_roots(
    store: &mut dyn ChunkStore,
    base: &RootValue,
    ours: &RootValue,
    theirs: &RootValue,
) -> Result<RootMerge, Error> {
    let names: BTreeSet<String> =
        [base, ours, theirs].iter().flat_map(|r| r.tables.keys().cloned()).collect();
    let mut merged = ours.clone();
    let mut conflicts = BTreeMap::new();
    let mut rows_applied = 0;
    for name in names {
        let (b, o, t) = (base.tables.get(&name), ours.tables.get(&name), theirs.tables.get(&name));
        if t == b || o == t {
            continue;
        }
        if o == b {
            match t {
                Some(t) => merged.tables.insert(name, *t),
                None => merged.tables.remove(&name),
            };
            continue;
        }
        let (Some(o), Some(t)) = (o, t) else {
            return Err(Error::SchemaConflict {
                table: name,
                reason: "the table was dropped on one side and changed on the other",
            });
        };
        let base_table = b.map(|b| Table::read(store, *b)).transpose()?;
        let (our_table, their_table) = (Table::read(store, *o)?, Table::read(store, *t)?);
        let (table, table_conflicts, applied) =
            merge_table(store, &name, base_table.as_ref(), &our_table, &their_table)?;
        rows_applied += applied;
        merged.tables.insert(name.clone(), table.write(store)?);
        if !table_conflicts.is_empty() {
            conflicts.insert(name, table_conflicts);
        }
    }
    Ok(RootMerge { root: merged, conflicts, rows_applied })
}
