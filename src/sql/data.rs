//! Tables as a transaction sees them: the committed maps plus the transaction's pending row and
//! index edits, kept in memory until commit so a bulk load costs one tree edit, not one per
//! row. Rows travel as `Datum`s in the schema's column order; this module turns them into keys
//! and cells and back, keeps every secondary index in step and checks unique keys.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::rc::Rc;

use crate::chunk::ChunkStore;
use crate::history::Table;
use crate::prolly::{MapBuilder, Order};
use crate::row::{self, Schema, Value};

use super::ast::Expr;
use super::error::{Error, ErrorKind};
use super::parse::parse_expression;
use super::types::{Datum, SqlType};

/// A table's schema with each column's parsed type, resolved once per table load.
#[derive(Clone, Debug)]
pub struct TableMeta {
    pub name: String,
    pub schema: Schema,
    pub types: Vec<SqlType>,
    /// Positions (in `schema.columns`) of the primary key columns; empty for a hidden key.
    pub key_positions: Vec<usize>,
    /// Positions of the other columns, in ascending tag order: the order a row's cells are
    /// encoded in.
    cell_positions: Vec<usize>,
    /// Per secondary index, the positions of its columns, so writes do not search by tag.
    pub index_positions: Vec<Vec<usize>>,
    /// The CHECK constraints, parsed once per table load: (name, condition).
    pub checks: Vec<(String, Expr)>,
    /// Per foreign key, the positions of its referencing columns.
    pub foreign_key_positions: Vec<Vec<usize>>,
}

impl TableMeta {
    pub fn new(name: &str, schema: Schema) -> Result<TableMeta, Error> {
        let types = schema
            .columns
            .iter()
            .map(|c| SqlType::parse(&c.sql_type))
            .collect::<Result<Vec<_>, _>>()?;
        let positions = |tags: &[crate::row::Tag]| -> Vec<usize> {
            tags.iter()
                .map(|tag| schema.columns.iter().position(|c| c.tag == *tag).expect("validated"))
                .collect()
        };
        let key_positions = positions(&schema.primary_key);
        let mut cell_positions: Vec<usize> =
            (0..schema.columns.len()).filter(|p| !key_positions.contains(p)).collect();
        cell_positions.sort_by_key(|&p| schema.columns[p].tag);
        let index_positions =
            schema.indexes.iter().map(|index| positions(&index.columns)).collect();
        let foreign_key_positions =
            schema.foreign_keys.iter().map(|fk| positions(&fk.columns)).collect();
        let checks = schema
            .checks
            .iter()
            .map(|check| Ok((check.name.clone(), parse_expression(&check.expression)?)))
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(TableMeta {
            name: name.to_string(),
            schema,
            types,
            key_positions,
            cell_positions,
            index_positions,
            checks,
            foreign_key_positions,
        })
    }

    pub fn position(&self, column: &str) -> Option<usize> {
        self.schema.columns.iter().position(|c| c.name.eq_ignore_ascii_case(column))
    }

    /// The primary key of a row (the hidden key comes from the caller for keyless tables).
    pub fn key_of(&self, row: &[Datum]) -> Result<Vec<u8>, Error> {
        // A one-column key, the common case, is encoded from the datum without a copy.
        if let [p] = self.key_positions[..] {
            if let Some(value) = self.types[p].storage_ref(&row[p]) {
                return Ok(row::encode_key_refs(&[value])?);
            }
        }
        let values: Vec<Value> =
            self.key_positions.iter().map(|&p| self.types[p].to_storage(&row[p])).collect();
        Ok(row::encode_key(&values)?)
    }

    pub fn encode_row(&self, row: &[Datum]) -> Result<Vec<u8>, Error> {
        // Most rows hold only values stored as they are: encoded straight from the datums, in
        // one buffer sized for them (a tag, type byte and length take at most ten bytes).
        let capacity: usize = self
            .cell_positions
            .iter()
            .map(|&p| match &row[p] {
                Datum::Text(text) | Datum::Json(text) => text.len() + 10,
                Datum::Bytes(bytes) => bytes.len() + 10,
                _ => 10,
            })
            .sum();
        let mut writer = row::CellsWriter::with_capacity(capacity + 1);
        let mut complete = true;
        for &p in &self.cell_positions {
            match self.types[p].storage_ref(&row[p]) {
                Some(value) => writer.push(self.schema.columns[p].tag, value)?,
                None => {
                    complete = false;
                    break;
                }
            }
        }
        if complete {
            return Ok(writer.finish());
        }
        let cells: Vec<(row::Tag, Value)> = self
            .cell_positions
            .iter()
            .filter(|&&p| !row[p].is_null())
            .map(|&p| (self.schema.columns[p].tag, self.types[p].to_storage(&row[p])))
            .collect();
        Ok(row::encode_cells(&cells)?)
    }

    pub fn decode_row(&self, key: &[u8], cells: &[u8]) -> Result<Vec<Datum>, Error> {
        let mut row = vec![Datum::Null; self.schema.columns.len()];
        if !self.key_positions.is_empty() {
            for (value, &p) in row::decode_key(key)?.into_iter().zip(&self.key_positions) {
                row[p] = self.types[p].from_storage(value);
            }
        }
        for (tag, value) in row::decode_cells(cells)? {
            if let Some(p) = self.schema.columns.iter().position(|c| c.tag == tag) {
                row[p] = self.types[p].from_storage(value);
            }
        }
        Ok(row)
    }

    /// The stored values of index `i`'s columns in `row`, in index order.
    fn index_values(&self, i: usize, row: &[Datum]) -> Vec<Value> {
        self.index_positions[i].iter().map(|&p| self.types[p].to_storage(&row[p])).collect()
    }

    /// The encoded values of index `i`'s columns for `row` (a prefix of its index keys), and
    /// whether any is NULL (NULLs never collide in a unique index).
    fn index_prefix(&self, i: usize, row: &[Datum]) -> Result<(Vec<u8>, bool), Error> {
        let has_null = self.index_positions[i].iter().any(|&p| row[p].is_null());
        Ok((row::encode_key(&self.index_values(i, row))?, has_null))
    }

    fn index_key(&self, i: usize, row: &[Datum], key: &[u8]) -> Result<Vec<u8>, Error> {
        let mut values = self.index_values(i, row);
        if !self.key_positions.is_empty() {
            values.extend(row::decode_key(key)?);
        } else {
            values.push(Value::Bytes(key.to_vec()));
        }
        Ok(row::encode_key(&values)?)
    }
}

/// A row with its primary key.
pub type KeyedRow = (Vec<u8>, Vec<Datum>);

/// One table inside a transaction.
#[derive(Clone, Debug)]
pub struct TableData {
    pub meta: TableMeta,
    pub table: Table,
    /// Key → new cells, or `None` for a deleted row.
    rows: PendingRows,
    /// Per index: index key → present.
    indexes: Vec<BTreeMap<Vec<u8>, bool>>,
    pub dirty: bool,
    /// The row map built ahead of commit from the first `rows.run` entries, while the committed
    /// map is empty (see [`TableData::prebuild`]).
    prebuilt: Option<Prebuilt>,
}

/// A bulk load's row map under construction: the builder has taken the first `upto` entries of
/// the pending run, and `rows.stable()` says whether they are still as it took them.
#[derive(Clone, Debug)]
struct Prebuilt {
    builder: MapBuilder,
    upto: usize,
}

/// New pending rows a table gathers before [`TableData::prebuild`] feeds them to its builder:
/// enough that each call writes whole leaves, few enough that the builder keeps up with a load.
const PREBUILD_ROWS_MIN: usize = 1024;

/// What an undo step restores.
#[derive(Clone, Debug)]
pub enum Undo {
    Row { key: Vec<u8>, previous: Option<Option<Vec<u8>>> },
    Index { index: usize, key: Vec<u8>, previous: Option<bool> },
    AutoIncrement(u64),
}

/// A statement's undo steps in the order they were taken, grouped by table so that a statement
/// writing many rows of one table does not keep the table's name once per row.
#[derive(Debug, Default)]
pub struct UndoLog {
    groups: Vec<(String, Vec<Undo>)>,
}

impl UndoLog {
    pub fn push(&mut self, table: &str, step: Undo) {
        self.extend(table, [step]);
    }

    pub fn extend(&mut self, table: &str, steps: impl IntoIterator<Item = Undo>) {
        match self.groups.last_mut() {
            Some((last, group)) if last == table => group.extend(steps),
            _ => self.groups.push((table.to_string(), steps.into_iter().collect())),
        }
    }

    pub fn clear(&mut self) {
        self.groups.clear();
    }

    /// Takes every step out, per table, the last taken first.
    pub fn take_newest_first(
        &mut self,
    ) -> impl Iterator<Item = (String, impl Iterator<Item = Undo>)> {
        let groups = std::mem::take(&mut self.groups);
        groups.into_iter().rev().map(|(table, steps)| (table, steps.into_iter().rev()))
    }
}

impl TableData {
    pub fn new(meta: TableMeta, table: Table) -> TableData {
        let indexes = vec![BTreeMap::new(); meta.schema.indexes.len()];
        TableData {
            meta,
            table,
            rows: PendingRows::default(),
            indexes,
            dirty: false,
            prebuilt: None,
        }
    }

    /// The row's cells under `key`, pending edits first.
    pub fn get(&self, store: &dyn ChunkStore, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        if let Some(pending) = self.rows.get(key) {
            return Ok(pending.clone());
        }
        Ok(self.table.rows.get(store, key)?)
    }

    pub fn get_row(&self, store: &dyn ChunkStore, key: &[u8]) -> Result<Option<Vec<Datum>>, Error> {
        self.get(store, key)?.map(|cells| self.meta.decode_row(key, &cells)).transpose()
    }

    /// Rows with keys in `(lower, upper)`, in key order, as (key, row).
    pub fn scan(
        &self,
        store: &dyn ChunkStore,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
    ) -> Result<Vec<KeyedRow>, Error> {
        let mut out = Vec::new();
        let mut pending = self.rows.range(lower, upper).peekable();
        let committed = self.table.rows.range(store, lower, upper, Order::Ascending);
        for entry in committed {
            let (key, cells) = entry?;
            while let Some((pk, pv)) = pending.peek() {
                if pk.as_slice() >= key.as_slice() {
                    break;
                }
                if let Some(cells) = pv {
                    out.push(((*pk).clone(), self.meta.decode_row(pk, cells)?));
                }
                pending.next();
            }
            match pending.peek() {
                Some((pk, pv)) if pk.as_slice() == key.as_slice() => {
                    if let Some(cells) = pv {
                        out.push((key.clone(), self.meta.decode_row(&key, cells)?));
                    }
                    pending.next();
                }
                _ => out.push((key.clone(), self.meta.decode_row(&key, &cells)?)),
            }
        }
        for (pk, pv) in pending {
            if let Some(cells) = pv {
                out.push((pk.clone(), self.meta.decode_row(pk, cells)?));
            }
        }
        Ok(out)
    }

    /// Primary keys of rows whose index `i` columns equal `values` (encoded as an index
    /// prefix), pending edits included.
    pub fn index_lookup(
        &self,
        store: &dyn ChunkStore,
        i: usize,
        prefix: &[u8],
    ) -> Result<Vec<Vec<u8>>, Error> {
        let mut keys: BTreeMap<Vec<u8>, bool> = BTreeMap::new();
        let upper = prefix_end(prefix);
        let upper_bound = match &upper {
            Some(u) => Bound::Excluded(u.as_slice()),
            None => Bound::Unbounded,
        };
        let entries = self.table.indexes[i].1.range(
            store,
            Bound::Included(prefix),
            upper_bound,
            Order::Ascending,
        );
        for entry in entries {
            keys.insert(entry?.0, true);
        }
        let upper_ref = match &upper {
            Some(u) => Bound::Excluded(u.as_slice()),
            None => Bound::Unbounded,
        };
        for (key, present) in self.indexes[i].range::<[u8], _>((Bound::Included(prefix), upper_ref))
        {
            keys.insert(key.clone(), *present);
        }
        let count = self.meta.schema.indexes[i].columns.len();
        let mut out = Vec::new();
        for (index_key, present) in keys {
            if !present {
                continue;
            }
            let mut values = row::decode_key(&index_key)?;
            let tail = values.split_off(count);
            out.push(if self.meta.key_positions.is_empty() {
                match tail.into_iter().next() {
                    Some(Value::Bytes(key)) => key,
                    _ => return Err(Error::new(ErrorKind::Storage, "malformed index entry")),
                }
            } else {
                row::encode_key(&tail)?
            });
        }
        Ok(out)
    }

    /// Encodes the lookup prefix for index `i` from values of its leading columns.
    pub fn index_values_prefix(&self, i: usize, values: &[Datum]) -> Result<Vec<u8>, Error> {
        let stored: Vec<Value> = self.meta.index_positions[i]
            .iter()
            .zip(values)
            .map(|(&p, v)| self.meta.types[p].to_storage(v))
            .collect();
        Ok(row::encode_key(&stored)?)
    }

    /// Writes `new` (or deletes, for `None`) under `key`, whose current row is `old`; keeps the
    /// indexes in step, checks unique indexes, and records how to undo it.
    pub fn write(
        &mut self,
        store: &dyn ChunkStore,
        key: &[u8],
        old: Option<&[Datum]>,
        new: Option<&[Datum]>,
        undo: &mut Vec<Undo>,
    ) -> Result<(), Error> {
        for i in 0..self.meta.schema.indexes.len() {
            let old_key = old.map(|row| self.meta.index_key(i, row, key)).transpose()?;
            let new_key = new.map(|row| self.meta.index_key(i, row, key)).transpose()?;
            if old_key == new_key {
                continue;
            }
            if let (Some(row), true) = (new, self.meta.schema.indexes[i].unique) {
                let (prefix, has_null) = self.meta.index_prefix(i, row)?;
                if !has_null {
                    let holders = self.index_lookup(store, i, &prefix)?;
                    if holders.iter().any(|holder| holder.as_slice() != key) {
                        return Err(duplicate(&self.meta, i, row));
                    }
                }
            }
            if let Some(old_key) = old_key {
                let previous = self.indexes[i].insert(old_key.clone(), false);
                undo.push(Undo::Index { index: i, key: old_key, previous });
            }
            if let Some(new_key) = new_key {
                let previous = self.indexes[i].insert(new_key.clone(), true);
                undo.push(Undo::Index { index: i, key: new_key, previous });
            }
        }
        let cells = new.map(|row| self.meta.encode_row(row)).transpose()?;
        if let Some(cells) = &cells {
            if cells.len() + key.len() > row::ROW_BYTES_MAX {
                return Err(Error::new(
                    ErrorKind::LimitExceeded,
                    format!(
                        "a row of {} bytes is over the limit of {}",
                        cells.len(),
                        row::ROW_BYTES_MAX
                    ),
                ));
            }
        }
        let previous = self.rows.insert(key, cells);
        undo.push(Undo::Row { key: key.to_vec(), previous });
        self.dirty = true;
        Ok(())
    }

    pub fn undo(&mut self, step: Undo) {
        match step {
            Undo::Row { key, previous: Some(value) } => {
                self.rows.insert(&key, value);
            }
            Undo::Row { key, previous: None } => self.rows.remove(&key),
            Undo::Index { index, key, previous: Some(present) } => {
                self.indexes[index].insert(key, present);
            }
            Undo::Index { index, key, previous: None } => {
                self.indexes[index].remove(&key);
            }
            Undo::AutoIncrement(value) => self.table.auto_increment = value,
        }
    }

    /// Feeds the pending rows a bulk load appended since the last call to the table's map
    /// builder, so the nodes of the new map are made (and written to `store`) while the load
    /// goes on rather than all at commit. Only for a table whose committed map is empty and
    /// whose pending rows are one ascending run; a builder whose rows changed since is dropped.
    /// Nothing a reader sees changes: the rows stay pending until [`TableData::flush`], which
    /// finishes the builder when its rows are unchanged and edits the map as usual otherwise.
    pub fn prebuild(&mut self, store: &mut dyn ChunkStore) {
        if !self.table.rows.is_empty() || !self.rows.tree.is_empty() {
            self.prebuilt = None;
            return;
        }
        if self.prebuilt.as_ref().is_some_and(|p| self.rows.stable() < p.upto) {
            self.prebuilt = None;
        }
        let upto = self.prebuilt.as_ref().map_or(0, |p| p.upto);
        if self.rows.run.len() < upto + PREBUILD_ROWS_MIN {
            return;
        }
        let mut prebuilt =
            self.prebuilt.take().unwrap_or(Prebuilt { builder: MapBuilder::default(), upto: 0 });
        if prebuilt.feed(store, &self.rows.run).is_ok() {
            self.rows.mark_stable();
            self.prebuilt = Some(prebuilt);
        }
        // A failed feed drops the builder; the commit edits the map as usual and meets
        // the same error there, where it is reported.
    }

    /// Applies the pending edits to the maps and returns the table as it now stands.
    pub fn flush(&mut self, store: &mut dyn ChunkStore) -> Result<Table, Error> {
        let prebuilt = self.prebuilt.take();
        if let Some(mut prebuilt) = prebuilt.filter(|p| {
            self.table.rows.is_empty() && self.rows.tree.is_empty() && self.rows.stable() >= p.upto
        }) {
            prebuilt.feed(store, &self.rows.run)?;
            self.rows = PendingRows::default();
            self.table.rows = prebuilt.builder.finish(store)?;
        } else if !self.rows.is_empty() {
            let edits = std::mem::take(&mut self.rows).into_sorted();
            self.table.rows = self.table.rows.edit(store, edits)?;
        }
        for (i, pending) in self.indexes.iter_mut().enumerate() {
            if pending.is_empty() {
                continue;
            }
            let edits = std::mem::take(pending)
                .into_iter()
                .map(|(key, present)| (key, present.then(Vec::new)));
            let map = self.table.indexes[i].1.edit(store, edits)?;
            self.table.indexes[i].1 = map;
        }
        Ok(self.table.clone())
    }
}

/// Row edits in key order: key → new cells, or `None` for a deleted row.
type Entries = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// A transaction's row edits by key. Loads mostly insert in ascending key order, so keys above
/// every other are appended to a sorted run instead of a search tree: a search in the run is a
/// binary search over contiguous keys, and an append compares only with the last key.
/// Invariant: every key in `run` is greater than every key in `tree`.
#[derive(Clone, Debug, Default)]
struct PendingRows {
    tree: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Shared with the copies a statement saves to undo itself (a `COMMIT` saves the whole
    /// transaction): copied only if written while a copy holds it, so saving a bulk load's
    /// transaction does not copy its rows.
    run: Rc<Entries>,
    /// The run's first `stable` entries have not changed since [`PendingRows::mark_stable`].
    stable: usize,
}

impl Prebuilt {
    /// Gives the builder the run's entries from `upto` on; deletions of rows the empty
    /// committed map never had are no entries at all.
    fn feed(
        &mut self,
        store: &mut dyn ChunkStore,
        run: &[(Vec<u8>, Option<Vec<u8>>)],
    ) -> Result<(), Error> {
        for (key, cells) in &run[self.upto..] {
            if let Some(cells) = cells {
                self.builder.push(store, key, cells)?;
            }
        }
        self.upto = run.len();
        Ok(())
    }
}

impl PendingRows {
    /// How many leading entries of the run are unchanged since [`PendingRows::mark_stable`].
    fn stable(&self) -> usize {
        self.stable
    }

    fn mark_stable(&mut self) {
        self.stable = self.run.len();
    }

    /// Notes that the run's entry at `at` changed (or left).
    fn touched(&mut self, at: usize) {
        self.stable = self.stable.min(at);
    }

    fn is_empty(&self) -> bool {
        self.tree.is_empty() && self.run.is_empty()
    }

    /// Where `key` is or would be in the run, when it belongs there rather than in the tree.
    fn in_run(&self, key: &[u8]) -> Option<Result<usize, usize>> {
        let (first, last) = (self.run.first()?, self.run.last()?);
        if key < first.0.as_slice() {
            return None;
        }
        // Appends, the common case, skip the search.
        if key > last.0.as_slice() {
            return Some(Err(self.run.len()));
        }
        Some(self.run.binary_search_by(|(k, _)| k.as_slice().cmp(key)))
    }

    fn get(&self, key: &[u8]) -> Option<&Option<Vec<u8>>> {
        match self.in_run(key) {
            Some(Ok(at)) => Some(&self.run[at].1),
            Some(Err(_)) => None,
            None => self.tree.get(key),
        }
    }

    /// Sets `key`'s edit, returning the one it replaces.
    fn insert(&mut self, key: &[u8], cells: Option<Vec<u8>>) -> Option<Option<Vec<u8>>> {
        match self.in_run(key) {
            Some(Ok(at)) => {
                self.touched(at);
                Some(std::mem::replace(&mut Rc::make_mut(&mut self.run)[at].1, cells))
            }
            Some(Err(at)) if at == self.run.len() => {
                Rc::make_mut(&mut self.run).push((key.to_vec(), cells));
                None
            }
            // A key inside the run's span: the run joins the tree, which takes any order.
            Some(Err(_)) => {
                self.touched(0);
                self.tree.extend(Rc::unwrap_or_clone(std::mem::take(&mut self.run)));
                self.tree.insert(key.to_vec(), cells)
            }
            None if self.run.is_empty()
                && self.tree.last_key_value().is_none_or(|(last, _)| last.as_slice() < key) =>
            {
                Rc::make_mut(&mut self.run).push((key.to_vec(), cells));
                None
            }
            None => self.tree.insert(key.to_vec(), cells),
        }
    }

    fn remove(&mut self, key: &[u8]) {
        match self.in_run(key) {
            Some(Ok(at)) => {
                self.touched(at);
                Rc::make_mut(&mut self.run).remove(at);
            }
            Some(Err(_)) => {}
            None => {
                self.tree.remove(key);
            }
        }
    }

    /// Edits with keys within the bounds, in key order.
    fn range<'a>(
        &'a self,
        lower: Bound<&'a [u8]>,
        upper: Bound<&'a [u8]>,
    ) -> impl Iterator<Item = (&'a Vec<u8>, &'a Option<Vec<u8>>)> + 'a {
        let above = move |key: &[u8]| match lower {
            Bound::Included(l) => key >= l,
            Bound::Excluded(l) => key > l,
            Bound::Unbounded => true,
        };
        let below = move |key: &[u8]| match upper {
            Bound::Included(u) => key <= u,
            Bound::Excluded(u) => key < u,
            Bound::Unbounded => true,
        };
        let start = self.run.partition_point(|(k, _)| !above(k));
        let run = self.run[start..].iter().take_while(move |(k, _)| below(k));
        self.tree.range::<[u8], _>((lower, upper)).chain(run.map(|(k, v)| (k, v)))
    }

    /// Every edit, in key order.
    fn into_sorted(self) -> impl Iterator<Item = (Vec<u8>, Option<Vec<u8>>)> {
        self.tree.into_iter().chain(Rc::unwrap_or_clone(self.run))
    }
}

fn duplicate(meta: &TableMeta, i: usize, row: &[Datum]) -> Error {
    let def = &meta.schema.indexes[i];
    let values: Vec<String> = meta.index_positions[i].iter().map(|&p| row[p].to_string()).collect();
    Error::new(
        ErrorKind::DuplicateKey,
        format!("Duplicate entry '{}' for key '{}.{}'", values.join("-"), meta.name, def.name),
    )
}

/// The smallest byte string greater than every string that starts with `prefix`.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pending rows against a plain `BTreeMap` model, with mostly ascending keys (the run) and
    /// some anywhere (which send the run into the tree), removals and ranges of every kind.
    #[test]
    fn pending_rows_behave_as_an_ordered_map() {
        let mut seed = 0x9e37_79b9_u32;
        let mut next = |below: u32| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed % below
        };
        let mut rows = PendingRows::default();
        let mut model: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        let mut ascending = 0u32;
        let bound = |kind: u32, key: Vec<u8>| match kind {
            0 => Bound::Included(key),
            1 => Bound::Excluded(key),
            _ => Bound::Unbounded,
        };
        for step in 0..20_000 {
            let key = if next(10) < 8 {
                ascending += 1 + next(3);
                ascending.to_be_bytes().to_vec()
            } else {
                next(ascending + 10).to_be_bytes().to_vec()
            };
            match next(8) {
                0 => {
                    rows.remove(&key);
                    model.remove(&key);
                }
                1 => assert_eq!(rows.get(&key), model.get(&key), "get at step {step}"),
                2 => {
                    let other = next(ascending + 10).to_be_bytes().to_vec();
                    let (low, high) = if key <= other { (key, other) } else { (other, key) };
                    let lower = bound(next(3), low.clone());
                    let upper = bound(next(3), high.clone());
                    if low == high && lower != Bound::Unbounded {
                        continue;
                    }
                    let (lower, upper) =
                        (lower.as_ref().map(Vec::as_slice), upper.as_ref().map(Vec::as_slice));
                    let got: Vec<_> = rows.range(lower, upper).collect();
                    let want: Vec<_> = model.range::<[u8], _>((lower, upper)).collect();
                    assert_eq!(got, want, "range at step {step}");
                }
                n => {
                    let cells = (n != 3).then(|| vec![n as u8; 3]);
                    let previous = rows.insert(&key, cells.clone());
                    assert_eq!(previous, model.insert(key, cells), "insert at step {step}");
                }
            }
        }
        assert!(!rows.run.is_empty() && !rows.tree.is_empty(), "both parts were exercised");
        assert!(rows.into_sorted().eq(model), "the edits in key order");
    }
}
