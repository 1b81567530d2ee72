//! Tables as the history layer changes them: creating one, and editing rows while keeping every
//! secondary index in step (index key = the index's columns followed by the primary key).

use crate::chunk::ChunkStore;
use crate::prolly::Map;
use crate::row::{self, IndexDef, Schema, Tag, Value};

use super::objects::Table;
use super::Error;

/// A row change: the primary key, the cells before (`None`: absent) and after (`None`: deleted).
pub(crate) struct RowChange<'a> {
    pub key: &'a [u8],
    pub old: Option<&'a [u8]>,
    pub new: Option<&'a [u8]>,
}

/// The index key of one row for `index`.
fn index_key(
    schema: &Schema,
    index: &IndexDef,
    key: &[u8],
    cells: &[u8],
) -> Result<Vec<u8>, Error> {
    let key_values = row::decode_key(key)?;
    let cells = row::decode_cells(cells)?;
    let value_of = |tag: Tag| -> Value {
        if let Some(position) = schema.primary_key.iter().position(|&t| t == tag) {
            return key_values[position].clone();
        }
        match cells.binary_search_by_key(&tag, |(t, _)| *t) {
            Ok(found) => cells[found].1.clone(),
            Err(_) => Value::Null,
        }
    };
    let mut values: Vec<Value> = index.columns.iter().map(|&tag| value_of(tag)).collect();
    values.extend(key_values);
    Ok(row::encode_key(&values)?)
}

impl Table {
    /// An empty table with `schema`.
    pub fn create(store: &mut dyn ChunkStore, schema: Schema) -> Result<Table, Error> {
        schema.validate()?;
        let empty = Map::empty(store)?;
        let indexes = schema.indexes.iter().map(|index| (index.name.clone(), empty)).collect();
        Ok(Table { schema, rows: empty, indexes, auto_increment: 1 })
    }

    /// Applies row edits (primary key → cells, `None` deletes) and updates every index.
    pub fn edit_rows(
        &self,
        store: &mut dyn ChunkStore,
        mut edits: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    ) -> Result<Table, Error> {
        // One change per row (the last one given), so each row's old cells are read once.
        edits.reverse();
        edits.sort_by(|a, b| a.0.cmp(&b.0));
        edits.dedup_by(|later, earlier| later.0 == earlier.0);
        let mut olds = Vec::with_capacity(edits.len());
        if !self.indexes.is_empty() {
            for (key, _) in &edits {
                olds.push(self.rows.get(store, key)?);
            }
        }
        let changes: Vec<RowChange> = edits
            .iter()
            .enumerate()
            .map(|(i, (key, new))| RowChange {
                key,
                old: olds.get(i).and_then(|old| old.as_deref()),
                new: new.as_deref(),
            })
            .collect();
        let indexes = self.indexes_after(store, &changes)?;
        let rows = self.rows.edit(store, edits.iter().cloned())?;
        Ok(Table { rows, indexes, ..self.clone() })
    }

    /// The index maps after `changes` (which must list each changed row's real old cells).
    pub(crate) fn indexes_after(
        &self,
        store: &mut dyn ChunkStore,
        changes: &[RowChange],
    ) -> Result<Vec<(String, Map)>, Error> {
        let mut out = Vec::with_capacity(self.indexes.len());
        for (def, (name, map)) in self.schema.indexes.iter().zip(&self.indexes) {
            let mut edits = Vec::new();
            for change in changes {
                let old = change.old.map(|cells| index_key(&self.schema, def, change.key, cells));
                let new = change.new.map(|cells| index_key(&self.schema, def, change.key, cells));
                let (old, new) = (old.transpose()?, new.transpose()?);
                if old == new {
                    continue;
                }
                if let Some(old) = old {
                    edits.push((old, None));
                }
                if let Some(new) = new {
                    edits.push((new, Some(Vec::new())));
                }
            }
            // Deletes first, so an index key that moves between rows ends up present.
            edits.sort_by_key(|(_, value)| value.is_some());
            out.push((name.clone(), map.edit(store, edits)?));
        }
        Ok(out)
    }

    /// Rebuilds every index from the rows (after the index set changed).
    pub(crate) fn rebuild_indexes(&self, store: &mut dyn ChunkStore) -> Result<Table, Error> {
        let mut indexes = Vec::with_capacity(self.schema.indexes.len());
        for def in &self.schema.indexes {
            let mut keys = Vec::new();
            for entry in self.rows.iter(store) {
                let (key, cells) = entry?;
                keys.push(index_key(&self.schema, def, &key, &cells)?);
            }
            keys.sort();
            keys.dedup();
            let map = Map::build(store, keys.iter().map(|k| (k.as_slice(), &[][..])))?;
            indexes.push((def.name.clone(), map));
        }
        Ok(Table { indexes, ..self.clone() })
    }
}
