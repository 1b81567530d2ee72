//! Statements that change data or schemas: INSERT (with IGNORE, REPLACE and ON DUPLICATE KEY
//! UPDATE), UPDATE and DELETE with ORDER BY / LIMIT, and the DDL statements. Values are coerced
//! to column types in strict mode; every write goes through `TableData::write`, which keeps
//! indexes in step and records undo steps so a failing statement leaves nothing behind.

use std::ops::Bound;

use crate::history::Table;
use crate::row::{Column, IndexDef, Schema};

use super::ast::*;
use super::constraints::table_scope;
use super::data::{KeyedRow, TableData, TableMeta, Undo};
use super::error::{Error, ErrorKind};
use super::exec::{check_columns, sort_keyed, Env, Exec, Scope};
use super::types::{Datum, SqlType};

/// What a data-changing statement did.
#[derive(Clone, Copy, Debug, Default)]
pub struct Changed {
    pub rows_affected: u64,
    pub last_insert_id: u64,
}

impl Exec<'_> {
    fn data(&mut self, table: &str) -> Result<(String, &mut TableData), Error> {
        let store: &dyn crate::chunk::ChunkStore = &*self.store;
        let data = self.tx.open(store, table)?;
        Ok((data.meta.name.clone(), data))
    }

    /// Coerces a full row to the table's types and checks NOT NULL and the CHECK constraints.
    fn finish_row(&mut self, meta: &TableMeta, mut row: Vec<Datum>) -> Result<Vec<Datum>, Error> {
        // Coerced in place: a bulk load makes no second vector per row.
        for ((value, ty), column) in row.iter_mut().zip(&meta.types).zip(&meta.schema.columns) {
            *value = ty.coerce(std::mem::replace(value, Datum::Null), &column.name)?;
            if value.is_null() && !column.nullable {
                return Err(Error::new(
                    ErrorKind::NotNull,
                    format!("Column '{}' cannot be null", column.name),
                ));
            }
        }
        self.check_row(meta, &row)?;
        Ok(row)
    }

    /// Changes one row and its index entries, all or nothing: a failed write (a duplicate
    /// key in the second index, say) takes back what it had done, so INSERT IGNORE can go on.
    fn write_raw(
        &mut self,
        table: &str,
        key: &[u8],
        old: Option<&[Datum]>,
        new: Option<&[Datum]>,
    ) -> Result<(), Error> {
        let mut undo = std::mem::take(&mut self.row_undo);
        let store: &dyn crate::chunk::ChunkStore = &*self.store;
        let data = self.tx.tables.get_mut(table).expect("opened");
        let result = data.write(store, key, old, new, &mut undo);
        if result.is_err() {
            for step in undo.drain(..).rev() {
                data.undo(step);
            }
        } else {
            self.undo.extend(table, undo.drain(..));
        }
        self.row_undo = undo;
        result
    }

    fn write_row(
        &mut self,
        table: &str,
        key: &[u8],
        old: Option<&[Datum]>,
        new: Option<&[Datum]>,
    ) -> Result<(), Error> {
        self.write_row_at(table, key, old, new, 0)
    }

    /// A row write that keeps foreign keys true, `depth` levels into a cascade.
    pub(super) fn write_row_at(
        &mut self,
        table: &str,
        key: &[u8],
        old: Option<&[Datum]>,
        new: Option<&[Datum]>,
        depth: usize,
    ) -> Result<(), Error> {
        self.write_raw(table, key, old, new)?;
        self.enforce_foreign_keys(table, old, new, depth)
    }

    /// The key of a row: its primary key, or a fresh hidden key for keyless tables.
    fn row_key(&mut self, table: &str, row: &[Datum]) -> Result<Vec<u8>, Error> {
        let data = self.tx.tables.get_mut(table).expect("opened");
        if !data.meta.key_positions.is_empty() {
            return data.meta.key_of(row);
        }
        let next = data.table.auto_increment;
        self.undo.push(table, Undo::AutoIncrement(next));
        data.table.auto_increment = next + 1;
        data.dirty = true;
        Ok(crate::row::encode_key(&[crate::row::Value::UInt(next)])?)
    }

    pub fn insert(
        &mut self,
        table: &str,
        columns: &[String],
        source: &Query,
        on_duplicate: &[(String, Expr)],
        ignore: bool,
        replace: bool,
    ) -> Result<Changed, Error> {
        // IGNORE turns a division by zero into NULL, as it turns other bad values into skips.
        self.storing = !ignore;
        let (name, data) = self.data(table)?;
        let meta = data.meta.clone();
        let targets: Vec<usize> = if columns.is_empty() {
            (0..meta.schema.columns.len()).collect()
        } else {
            columns
                .iter()
                .map(|c| meta.position(c).ok_or_else(|| Error::no_such_column(c)))
                .collect::<Result<_, _>>()?
        };
        // DEFAULT inside VALUES is resolved per column below, so VALUES rows are evaluated here.
        let mut defaults = vec![None; meta.schema.columns.len()];
        let source_rows = match &source.body {
            SetExpr::Values(rows) if source.order_by.is_empty() && source.limit.is_none() => {
                let scope = Scope::default();
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let mut values = Vec::with_capacity(row.len());
                    for (i, e) in row.iter().enumerate() {
                        values.push(match e {
                            Expr::Default => self.default_value(
                                &meta,
                                &mut defaults,
                                *targets.get(i).unwrap_or(&0),
                            )?,
                            other => self.eval(other, &Env::new(&scope, &[]))?,
                        });
                    }
                    out.push(values);
                }
                out
            }
            _ => self.query(source, None)?.rows,
        };
        let mut changed = Changed::default();
        // Values given for every column in table order are the row itself.
        let all_in_order = targets.iter().copied().eq(0..meta.schema.columns.len());
        for mut values in source_rows {
            if values.len() != targets.len() {
                return Err(Error::new(
                    ErrorKind::ColumnCount,
                    "Column count doesn't match value count at row 1",
                ));
            }
            let mut row = if all_in_order {
                values
            } else {
                let mut row = Vec::with_capacity(meta.schema.columns.len());
                for p in 0..meta.schema.columns.len() {
                    row.push(match targets.iter().position(|&t| t == p) {
                        Some(i) => std::mem::replace(&mut values[i], Datum::Null),
                        None => self.default_value(&meta, &mut defaults, p)?,
                    });
                }
                row
            };
            let generated = self.auto_increment(&name, &meta, &mut row)?;
            if changed.last_insert_id == 0 {
                changed.last_insert_id = generated;
            }
            let row = match self.finish_row(&meta, row) {
                Ok(row) => row,
                Err(e) if ignore && e.kind != ErrorKind::Storage => continue,
                Err(e) => return Err(e),
            };
            let key = self.row_key(&name, &row)?;
            let store: &dyn crate::chunk::ChunkStore = &*self.store;
            let existing = self.tx.tables[&name].get_row(store, &key)?;
            match existing {
                None => match self.write_row(&name, &key, None, Some(&row)) {
                    Ok(()) => changed.rows_affected += 1,
                    Err(e) if e.kind == ErrorKind::DuplicateKey && replace => {
                        self.replace_unique_holders(&name, &meta, &row)?;
                        self.write_row(&name, &key, None, Some(&row))?;
                        changed.rows_affected += 2;
                    }
                    Err(e) if e.kind == ErrorKind::DuplicateKey && !on_duplicate.is_empty() => {
                        // The row that holds the unique value is the one to update, as MySQL
                        // updates the first row the new one collides with.
                        let (holder_key, holder) =
                            self.unique_holders(&name, &meta, &row)?.into_iter().next().ok_or(e)?;
                        changed.rows_affected +=
                            self.upsert(&name, &meta, &holder_key, &holder, &row, on_duplicate)?;
                    }
                    Err(e) if e.kind == ErrorKind::DuplicateKey && ignore => {}
                    Err(e) => return Err(e),
                },
                Some(old) => {
                    if replace {
                        self.write_row(&name, &key, Some(&old), None)?;
                        let others = self.unique_holders(&name, &meta, &row)?;
                        for (other_key, other) in &others {
                            self.write_row(&name, other_key, Some(other), None)?;
                        }
                        self.write_row(&name, &key, None, Some(&row))?;
                        changed.rows_affected += 2 + others.len() as u64;
                    } else if !on_duplicate.is_empty() {
                        changed.rows_affected +=
                            self.upsert(&name, &meta, &key, &old, &row, on_duplicate)?;
                    } else if ignore {
                        continue;
                    } else {
                        let shown: Vec<String> =
                            meta.key_positions.iter().map(|&p| row[p].to_string()).collect();
                        return Err(Error::new(
                            ErrorKind::DuplicateKey,
                            format!(
                                "Duplicate entry '{}' for key '{}.PRIMARY'",
                                shown.join("-"),
                                name
                            ),
                        ));
                    }
                }
            }
        }
        Ok(changed)
    }

    /// The rows already holding a unique index value that `row` would take, in index order.
    fn unique_holders(
        &mut self,
        name: &str,
        meta: &TableMeta,
        row: &[Datum],
    ) -> Result<Vec<KeyedRow>, Error> {
        let mut holders: Vec<KeyedRow> = Vec::new();
        for (i, index) in meta.schema.indexes.iter().enumerate() {
            let values: Vec<Datum> =
                meta.index_positions[i].iter().map(|&p| row[p].clone()).collect();
            if !index.unique || values.iter().any(Datum::is_null) {
                continue;
            }
            let store: &dyn crate::chunk::ChunkStore = &*self.store;
            let data = &self.tx.tables[name];
            let prefix = data.index_values_prefix(i, &values)?;
            for key in data.index_lookup(store, i, &prefix)? {
                if holders.iter().any(|(k, _)| *k == key) {
                    continue;
                }
                if let Some(old) = data.get_row(store, &key)? {
                    holders.push((key, old));
                }
            }
        }
        Ok(holders)
    }

    /// REPLACE: deletes the rows holding the unique index values `row` would take.
    fn replace_unique_holders(
        &mut self,
        name: &str,
        meta: &TableMeta,
        row: &[Datum],
    ) -> Result<(), Error> {
        for (key, old) in self.unique_holders(name, meta, row)? {
            self.write_row(name, &key, Some(&old), None)?;
        }
        Ok(())
    }

    /// ON DUPLICATE KEY UPDATE: applies the assignments to the row `old` that the inserted
    /// `row` collided with. Returns MySQL's affected-row count: 2 when it changed, else 0.
    fn upsert(
        &mut self,
        name: &str,
        meta: &TableMeta,
        key: &[u8],
        old: &[Datum],
        row: &[Datum],
        on_duplicate: &[(String, Expr)],
    ) -> Result<u64, Error> {
        let scope = table_scope(meta, name);
        let mut new = old.to_vec();
        for (column, expr) in on_duplicate {
            let p = meta.position(column).ok_or_else(|| Error::no_such_column(column))?;
            let env = Env { inserted: Some((&scope, row)), ..Env::new(&scope, &new) };
            new[p] = self.eval(expr, &env)?;
        }
        let new = self.finish_row(meta, new)?;
        if new == old {
            return Ok(0);
        }
        self.update_row(name, meta, key, old, &new)?;
        Ok(2)
    }

    /// Column `p`'s default, evaluated once per statement: defaults are SQL text in the schema,
    /// and parsing it for every row would put the parser on the path of bulk inserts.
    fn default_value(
        &mut self,
        meta: &TableMeta,
        defaults: &mut [Option<Datum>],
        p: usize,
    ) -> Result<Datum, Error> {
        if let Some(value) = &defaults[p] {
            return Ok(value.clone());
        }
        let value = self.evaluate_default(meta, p)?;
        defaults[p] = Some(value.clone());
        Ok(value)
    }

    fn evaluate_default(&mut self, meta: &TableMeta, p: usize) -> Result<Datum, Error> {
        let column = &meta.schema.columns[p];
        match &column.default {
            None => Ok(Datum::Null),
            Some(text) => {
                let statement = super::parse::parse_script(&format!("SELECT {text}"), &[])?;
                let Some(Statement::Query(query)) = statement.into_iter().next() else {
                    return Err(Error::new(
                        ErrorKind::BadValue,
                        format!("bad default for '{}'", column.name),
                    ));
                };
                let rows = self.query(&query, None)?;
                Ok(rows
                    .rows
                    .into_iter()
                    .next()
                    .and_then(|r| r.into_iter().next())
                    .unwrap_or(Datum::Null))
            }
        }
    }

    /// Fills an AUTO_INCREMENT column left NULL or 0 and advances the table's counter; returns
    /// the generated value (0 when none was).
    fn auto_increment(
        &mut self,
        name: &str,
        meta: &TableMeta,
        row: &mut [Datum],
    ) -> Result<u64, Error> {
        let Some(p) = meta.schema.columns.iter().position(|c| c.auto_increment) else {
            return Ok(0);
        };
        let data = self.tx.tables.get_mut(name).expect("opened");
        let given = row[p].to_i64().ok().flatten();
        match given {
            Some(n) if n > 0 => {
                if n as u64 >= data.table.auto_increment {
                    self.undo.push(name, Undo::AutoIncrement(data.table.auto_increment));
                    data.table.auto_increment = n as u64 + 1;
                    data.dirty = true;
                }
                Ok(0)
            }
            _ => {
                let next = data.table.auto_increment;
                self.undo.push(name, Undo::AutoIncrement(next));
                data.table.auto_increment = next + 1;
                data.dirty = true;
                row[p] = Datum::UInt(next);
                Ok(next)
            }
        }
    }

    fn update_row(
        &mut self,
        name: &str,
        meta: &TableMeta,
        key: &[u8],
        old: &[Datum],
        new: &[Datum],
    ) -> Result<(), Error> {
        self.update_row_at(name, meta, key, old, new, 0)
    }

    /// Changes a row, moving it when its primary key changes, as one update for the foreign
    /// keys that refer to it.
    pub(super) fn update_row_at(
        &mut self,
        name: &str,
        meta: &TableMeta,
        key: &[u8],
        old: &[Datum],
        new: &[Datum],
        depth: usize,
    ) -> Result<(), Error> {
        let new_key = if meta.key_positions.is_empty() { key.to_vec() } else { meta.key_of(new)? };
        if new_key == key {
            return self.write_row_at(name, key, Some(old), Some(new), depth);
        }
        let store: &dyn crate::chunk::ChunkStore = &*self.store;
        if self.tx.tables[name].get(store, &new_key)?.is_some() {
            let shown: Vec<String> =
                meta.key_positions.iter().map(|&p| new[p].to_string()).collect();
            return Err(Error::new(
                ErrorKind::DuplicateKey,
                format!("Duplicate entry '{}' for key '{}.PRIMARY'", shown.join("-"), name),
            ));
        }
        self.write_raw(name, key, Some(old), None)?;
        self.write_raw(name, &new_key, None, Some(new))?;
        self.enforce_foreign_keys(name, Some(old), Some(new), depth)
    }

    /// The rows of `table` matching `filter`, ordered and limited, as (key, row).
    fn target_rows(
        &mut self,
        name: &str,
        label: &str,
        filter: Option<&Expr>,
        order_by: &[OrderItem],
        limit: Option<&Expr>,
    ) -> Result<Vec<KeyedRow>, Error> {
        let meta = self.tx.tables[name].meta.clone();
        let scope = table_scope(&meta, label);
        check_columns(
            &scope,
            None,
            filter.into_iter().chain(order_by.iter().map(|o| &o.expr)),
            &[],
        )?;
        // Tables with a primary key are read by the same access paths as SELECT (key or index
        // lookups when the filter pins them); rows without one carry hidden keys only a scan
        // returns.
        let all: Vec<KeyedRow> = if meta.key_positions.is_empty() {
            let store: &dyn crate::chunk::ChunkStore = &*self.store;
            self.tx.tables[name].scan(store, Bound::Unbounded, Bound::Unbounded)?
        } else {
            let (_, rows) = self.read_table(name, label, filter, None)?;
            rows.into_iter()
                .map(|row| Ok((meta.key_of(&row)?, row)))
                .collect::<Result<_, Error>>()?
        };
        let mut rows = Vec::new();
        for (key, row) in all {
            if let Some(filter) = filter {
                if self.eval(filter, &Env::new(&scope, &row))?.truth() != Some(true) {
                    continue;
                }
            }
            rows.push((key, row));
        }
        if !order_by.is_empty() {
            let mut keyed = Vec::with_capacity(rows.len());
            for (key, row) in rows {
                let mut keys = Vec::new();
                for item in order_by {
                    keys.push(self.eval(&item.expr, &Env::new(&scope, &row))?);
                }
                keyed.push((keys, (key, row)));
            }
            sort_keyed(&mut keyed, order_by);
            rows = keyed.into_iter().map(|(_, r)| r).collect();
        }
        if let Some(limit) = limit {
            let n =
                self.eval(limit, &Env::new(&Scope::default(), &[]))?.to_i64()?.unwrap_or(0).max(0);
            rows.truncate(n as usize);
        }
        Ok(rows)
    }

    pub fn update(
        &mut self,
        table: &str,
        alias: Option<&str>,
        assignments: &[(String, Expr)],
        filter: Option<&Expr>,
        order_by: &[OrderItem],
        limit: Option<&Expr>,
    ) -> Result<Changed, Error> {
        if self.tx.table_name(table).is_none() {
            let updated =
                super::dolt::update_rows(self, table, alias, assignments, filter, order_by, limit);
            if let Some(rows_affected) = updated {
                return Ok(Changed { rows_affected: rows_affected?, last_insert_id: 0 });
            }
        }
        let (name, data) = self.data(table)?;
        let meta = data.meta.clone();
        let label = alias.unwrap_or(&name).to_string();
        let scope = table_scope(&meta, &label);
        let positions: Vec<usize> = assignments
            .iter()
            .map(|(c, _)| meta.position(c).ok_or_else(|| Error::no_such_column(c)))
            .collect::<Result<_, _>>()?;
        check_columns(&scope, None, assignments.iter().map(|(_, e)| e), &[])?;
        let mut defaults = vec![None; meta.schema.columns.len()];
        let rows = self.target_rows(&name, &label, filter, order_by, limit)?;
        let mut changed = Changed::default();
        for (key, old) in rows {
            let mut new = old.clone();
            for ((_, expr), &p) in assignments.iter().zip(&positions) {
                // MySQL evaluates assignments left to right, each seeing the ones before.
                self.storing = true;
                let value = match expr {
                    Expr::Default => self.default_value(&meta, &mut defaults, p),
                    other => self.eval(other, &Env::new(&scope, &new)),
                };
                self.storing = false;
                new[p] = value?;
            }
            let new = self.finish_row(&meta, new)?;
            if new != old {
                self.update_row(&name, &meta, &key, &old, &new)?;
                changed.rows_affected += 1;
            }
        }
        Ok(changed)
    }

    pub fn delete(
        &mut self,
        table: &str,
        alias: Option<&str>,
        filter: Option<&Expr>,
        order_by: &[OrderItem],
        limit: Option<&Expr>,
    ) -> Result<Changed, Error> {
        if self.tx.table_name(table).is_none() {
            if let Some(rows_affected) =
                super::dolt::delete_rows(self, table, alias, filter, order_by, limit)
            {
                return Ok(Changed { rows_affected: rows_affected?, last_insert_id: 0 });
            }
        }
        let (name, _) = self.data(table)?;
        let label = alias.unwrap_or(&name).to_string();
        let rows = self.target_rows(&name, &label, filter, order_by, limit)?;
        let mut changed = Changed::default();
        for (key, old) in rows {
            self.write_row(&name, &key, Some(&old), None)?;
            changed.rows_affected += 1;
        }
        Ok(changed)
    }

    // ---------------------------------------------------------------- DDL

    pub fn create_table(&mut self, create: &CreateTable) -> Result<(), Error> {
        if self.tx.table_name(&create.name).is_some() {
            if create.if_not_exists {
                return Ok(());
            }
            return Err(Error::new(
                ErrorKind::TableExists,
                format!("table '{}' already exists", create.name),
            ));
        }
        let mut columns = Vec::new();
        for (i, def) in create.columns.iter().enumerate() {
            if create.columns[..i].iter().any(|c| c.name.eq_ignore_ascii_case(&def.name)) {
                return Err(Error::new(
                    ErrorKind::ColumnExists,
                    format!("Duplicate column name '{}'", def.name),
                ));
            }
            columns.push(column_of(
                def,
                i as u32 + 1,
                create.primary_key.iter().any(|k| k.eq_ignore_ascii_case(&def.name)),
            )?);
        }
        let tag_of = |name: &str| -> Result<u32, Error> {
            columns
                .iter()
                .find(|c: &&Column| c.name.eq_ignore_ascii_case(name))
                .map(|c| c.tag)
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::NoSuchColumn,
                        format!("Key column '{name}' doesn't exist in table"),
                    )
                })
        };
        let primary_key =
            create.primary_key.iter().map(|c| tag_of(c)).collect::<Result<Vec<_>, _>>()?;
        let mut indexes: Vec<IndexDef> = Vec::new();
        for spec in &create.indexes {
            let columns = spec.columns.iter().map(|c| tag_of(c)).collect::<Result<Vec<_>, _>>()?;
            let name = index_name(spec, &indexes);
            indexes.push(IndexDef { name, columns, unique: spec.unique });
        }
        let mut schema = Schema { columns, primary_key, indexes, ..Schema::default() };
        for (name, text) in &create.checks {
            let check = self.define_check(&create.name, &schema, name.as_deref(), text)?;
            schema.checks.push(check);
        }
        for def in &create.foreign_keys {
            let foreign_key = self.define_foreign_key(&create.name, &mut schema, def)?;
            schema.foreign_keys.push(foreign_key);
        }
        let table = Table::create(self.store, schema)?;
        let hash = table.write(self.store)?;
        self.tx.root.tables.insert(create.name.clone(), hash);
        Ok(())
    }

    pub fn drop_tables(&mut self, names: &[String], if_exists: bool) -> Result<(), Error> {
        for name in names {
            match self.tx.table_name(name) {
                Some(stored) => {
                    self.refuse_if_referenced(&stored, names, "drop")?;
                    self.tx.root.tables.remove(&stored);
                    self.tx.tables.remove(&stored);
                }
                None if if_exists => {}
                None => return Err(Error::no_such_table(name)),
            }
        }
        Ok(())
    }

    /// Replaces a table's schema, rewriting every row through `rewrite` and rebuilding indexes.
    fn replace_table(
        &mut self,
        name: &str,
        schema: Schema,
        rewrite: impl Fn(&[Datum]) -> Result<Vec<Datum>, Error>,
    ) -> Result<(), Error> {
        let store: &dyn crate::chunk::ChunkStore = &*self.store;
        let old = self.tx.open(store, name)?.clone();
        let stored = old.meta.name.clone();
        let rows = old.scan(store, Bound::Unbounded, Bound::Unbounded)?;
        let mut table = Table::create(self.store, schema.clone())?;
        table.auto_increment = old.table.auto_increment;
        let mut data = TableData::new(TableMeta::new(&stored, schema)?, table);
        let mut undo = Vec::new();
        for (key, row) in rows {
            let new = self.finish_row(&data.meta, rewrite(&row)?)?;
            let key =
                if data.meta.key_positions.is_empty() { key } else { data.meta.key_of(&new)? };
            let store: &dyn crate::chunk::ChunkStore = &*self.store;
            if data.get(store, &key)?.is_some() {
                return Err(Error::new(
                    ErrorKind::DuplicateKey,
                    format!("Duplicate entry for key '{stored}.PRIMARY'"),
                ));
            }
            data.write(store, &key, None, Some(&new), &mut undo)?;
        }
        let table = data.flush(self.store)?;
        let hash = table.write(self.store)?;
        self.tx.root.tables.insert(stored.clone(), hash);
        self.tx.tables.remove(&stored);
        // Foreign keys may have changed with the schema.
        self.children = None;
        Ok(())
    }

    pub fn alter_table(&mut self, table: &str, actions: &[AlterAction]) -> Result<(), Error> {
        for action in actions {
            let store: &dyn crate::chunk::ChunkStore = &*self.store;
            let data = self.tx.open(store, table)?;
            let mut schema = data.meta.schema.clone();
            let stored = data.meta.name.clone();
            let width = schema.columns.len();
            match action {
                AlterAction::AddColumn(def) => {
                    if schema.column_named(&def.name).is_some() {
                        return Err(Error::new(
                            ErrorKind::ColumnExists,
                            format!("Duplicate column name '{}'", def.name),
                        ));
                    }
                    if def.primary_key
                        || def.unique
                        || def.check.is_some()
                        || def.references.is_some()
                    {
                        return Err(Error::unsupported("key or constraint options in ADD COLUMN"));
                    }
                    let tag = schema.columns.iter().map(|c| c.tag).max().unwrap_or(0) + 1;
                    schema.columns.push(column_of(def, tag, false)?);
                    let default = match &def.default {
                        Some(e) => self.eval(e, &Env::new(&Scope::default(), &[]))?,
                        None => Datum::Null,
                    };
                    self.replace_table(&stored, schema, |row| {
                        let mut row = row.to_vec();
                        row.push(default.clone());
                        Ok(row)
                    })?;
                }
                AlterAction::DropColumn(name) => {
                    let p = column_position(&schema, name)?;
                    self.refuse_if_column_in_use(&stored, &schema, p)?;
                    let tag = schema.columns[p].tag;
                    if schema.primary_key.contains(&tag) {
                        return Err(Error::unsupported("dropping a primary key column"));
                    }
                    if width == 1 {
                        return Err(Error::new(
                            ErrorKind::BadValue,
                            "You can't delete all columns with ALTER TABLE; use DROP TABLE instead",
                        ));
                    }
                    schema.columns.remove(p);
                    for index in &mut schema.indexes {
                        index.columns.retain(|t| *t != tag);
                    }
                    schema.indexes.retain(|i| !i.columns.is_empty());
                    self.replace_table(&stored, schema, |row| {
                        let mut row = row.to_vec();
                        row.remove(p);
                        Ok(row)
                    })?;
                }
                AlterAction::RenameColumn { from, to } => {
                    if schema.column_named(to).is_some() {
                        return Err(Error::new(
                            ErrorKind::ColumnExists,
                            format!("Duplicate column name '{to}'"),
                        ));
                    }
                    let p = column_position(&schema, from)?;
                    self.refuse_if_column_in_use(&stored, &schema, p)?;
                    schema.columns[p].name = to.clone();
                    self.replace_table(&stored, schema, |row| Ok(row.to_vec()))?;
                }
                AlterAction::ModifyColumn { name, column } => {
                    let p = column_position(&schema, name)?;
                    let tag = schema.columns[p].tag;
                    let key = schema.primary_key.contains(&tag);
                    schema.columns[p] = column_of(column, tag, key)?;
                    self.replace_table(&stored, schema, |row| Ok(row.to_vec()))?;
                }
                AlterAction::AddIndex(spec) => {
                    self.create_index(&stored, spec, false)?;
                }
                AlterAction::DropIndex(name) => {
                    self.drop_index(&stored, name)?;
                }
                AlterAction::RenameTable(to) => {
                    self.rename_table(&stored, to)?;
                }
                AlterAction::AddCheck(name, text) => {
                    let check = self.define_check(&stored, &schema, name.as_deref(), text)?;
                    schema.checks.push(check);
                    self.replace_table(&stored, schema, |row| Ok(row.to_vec()))?;
                }
                AlterAction::AddForeignKey(def) => {
                    let foreign_key = self.define_foreign_key(&stored, &mut schema, def)?;
                    schema.foreign_keys.push(foreign_key);
                    let i = schema.foreign_keys.len() - 1;
                    self.replace_table(&stored, schema, |row| Ok(row.to_vec()))?;
                    self.check_existing_references(&stored, i)?;
                }
                AlterAction::DropConstraint { name, kind } => {
                    Self::drop_constraint(&mut schema, name, *kind)?;
                    self.replace_table(&stored, schema, |row| Ok(row.to_vec()))?;
                }
            }
        }
        Ok(())
    }

    pub fn create_index(
        &mut self,
        table: &str,
        spec: &IndexSpec,
        if_not_exists: bool,
    ) -> Result<(), Error> {
        let store: &dyn crate::chunk::ChunkStore = &*self.store;
        let data = self.tx.open(store, table)?;
        let mut schema = data.meta.schema.clone();
        let stored = data.meta.name.clone();
        if let Some(name) = &spec.name {
            if schema.indexes.iter().any(|i| i.name.eq_ignore_ascii_case(name)) {
                if if_not_exists {
                    return Ok(());
                }
                return Err(Error::new(
                    ErrorKind::IndexExists,
                    format!("Duplicate key name '{name}'"),
                ));
            }
        }
        let columns = spec
            .columns
            .iter()
            .map(|c| {
                schema.column_named(c).map(|c| c.tag).ok_or_else(|| {
                    Error::new(
                        ErrorKind::NoSuchColumn,
                        format!("Key column '{c}' doesn't exist in table"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let name = index_name(spec, &schema.indexes);
        schema.indexes.push(IndexDef { name, columns, unique: spec.unique });
        self.replace_table(&stored, schema, |row| Ok(row.to_vec()))
    }

    pub fn drop_index(&mut self, table: &str, name: &str) -> Result<(), Error> {
        let store: &dyn crate::chunk::ChunkStore = &*self.store;
        let data = self.tx.open(store, table)?;
        let mut schema = data.meta.schema.clone();
        let stored = data.meta.name.clone();
        self.refuse_if_index_in_use(&stored, &schema, name)?;
        let before = schema.indexes.len();
        schema.indexes.retain(|i| !i.name.eq_ignore_ascii_case(name));
        if schema.indexes.len() == before {
            return Err(Error::new(
                ErrorKind::NoSuchIndex,
                format!("Can't DROP '{name}'; check that column/key exists"),
            ));
        }
        self.replace_table(&stored, schema, |row| Ok(row.to_vec()))
    }

    pub fn rename_table(&mut self, from: &str, to: &str) -> Result<(), Error> {
        let stored = self.tx.table_name(from).ok_or_else(|| Error::no_such_table(from))?;
        if self.tx.table_name(to).is_some() {
            return Err(Error::new(ErrorKind::TableExists, format!("table '{to}' already exists")));
        }
        let children = self.children_of(&stored)?;
        let store: &mut dyn crate::chunk::ChunkStore = &mut *self.store;
        self.tx.flush(store)?;
        let hash = self.tx.root.tables.remove(&stored).expect("found above");
        self.tx.tables.remove(&stored);
        self.tx.root.tables.insert(to.to_string(), hash);
        // Foreign keys name their parent table: those that named this one follow the rename.
        for (child, i) in children {
            let child = if child == stored { to.to_string() } else { child };
            let store: &dyn crate::chunk::ChunkStore = &*self.store;
            let mut schema = self.tx.open(store, &child)?.meta.schema.clone();
            schema.foreign_keys[i].parent_table = to.to_string();
            self.replace_table(&child, schema, |row| Ok(row.to_vec()))?;
        }
        self.children = None;
        Ok(())
    }

    pub fn truncate(&mut self, table: &str) -> Result<(), Error> {
        let store: &dyn crate::chunk::ChunkStore = &*self.store;
        let data = self.tx.open(store, table)?;
        let schema = data.meta.schema.clone();
        let stored = data.meta.name.clone();
        self.refuse_if_referenced(&stored, &[], "truncate")?;
        let table = Table::create(self.store, schema)?;
        let hash = table.write(self.store)?;
        self.tx.root.tables.insert(stored.clone(), hash);
        self.tx.tables.remove(&stored);
        Ok(())
    }
}

/// Where the column `name` sits in `schema`, matched ignoring ASCII case.
fn column_position(schema: &Schema, name: &str) -> Result<usize, Error> {
    schema
        .columns
        .iter()
        .position(|c| c.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| Error::no_such_column(name))
}

fn index_name(spec: &IndexSpec, existing: &[IndexDef]) -> String {
    if let Some(name) = &spec.name {
        return name.clone();
    }
    // MySQL names an unnamed index after its first column, adding _2, _3 on clashes.
    let base = spec.columns.first().cloned().unwrap_or_else(|| "index".into());
    let mut name = base.clone();
    let mut n = 2;
    while existing.iter().any(|i| i.name.eq_ignore_ascii_case(&name)) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

fn column_of(def: &ColumnDef, tag: u32, in_primary_key: bool) -> Result<Column, Error> {
    if def.auto_increment && !matches!(def.sql_type, SqlType::Int { .. }) {
        return Err(Error::new(
            ErrorKind::BadValue,
            format!("Incorrect column specifier for column '{}'", def.name),
        ));
    }
    if let Some(Expr::Literal(value)) = &def.default {
        def.sql_type.coerce(value.clone(), &def.name).map_err(|_| {
            Error::new(ErrorKind::BadValue, format!("Invalid default value for '{}'", def.name))
        })?;
    }
    Ok(Column {
        tag,
        name: def.name.clone(),
        sql_type: def.sql_type.to_string(),
        nullable: def.nullable && !in_primary_key,
        default: def.default_text.clone(),
        auto_increment: def.auto_increment,
    })
}
