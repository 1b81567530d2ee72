//! CHECK and FOREIGN KEY constraints: defining them (checked against the tables they name) and
//! keeping them true on every row a statement writes. Foreign keys behave as InnoDB's do: they
//! are checked row by row as the statement runs, a parent row's deletion or key change cascades,
//! detaches or is refused per the constraint's actions, and `SET foreign_key_checks = 0`
//! switches all of it off.

use std::collections::HashMap;
use std::ops::Bound;

use crate::row::{ForeignKey, IndexDef, ReferentialAction, Schema};

use super::ast::{ConstraintKind, Expr, ForeignKeyDef};
use super::data::{prefix_end, KeyedRow, TableMeta};
use super::error::{Error, ErrorKind};
use super::exec::{resolvable, Env, Exec, Scope};
use super::parse::parse_expression;
use super::types::{Datum, SqlType};

/// Levels of cascading a parent change may go through (InnoDB's limit).
pub const CASCADE_DEPTH_MAX: usize = 15;

/// Column names as an expression over one table's rows sees them.
pub(super) fn table_scope(meta: &TableMeta, label: &str) -> Scope {
    Scope {
        columns: meta
            .schema
            .columns
            .iter()
            .map(|c| (Some(label.to_lowercase()), c.name.clone()))
            .collect(),
    }
}

/// How MySQL shows a foreign key in its errors and in SHOW CREATE TABLE.
pub(super) fn describe_foreign_key(schema: &Schema, fk: &ForeignKey) -> String {
    let quoted =
        |names: Vec<&str>| names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(",");
    let columns: Vec<&str> =
        fk.columns.iter().map(|&tag| schema.column(tag).map_or("?", |c| c.name.as_str())).collect();
    let parent_columns: Vec<&str> = fk.parent_columns.iter().map(String::as_str).collect();
    format!(
        "CONSTRAINT `{}` FOREIGN KEY ({}) REFERENCES `{}` ({})",
        fk.name,
        quoted(columns),
        fk.parent_table,
        quoted(parent_columns)
    )
}

/// Whether a column of type `a` may refer to one of type `b`: InnoDB wants integers of the same
/// signedness, strings with strings, binaries with binaries, and otherwise the same type.
fn compatible(a: &SqlType, b: &SqlType) -> bool {
    use SqlType::*;
    let int = |t: &SqlType| match t {
        Int { unsigned, .. } => Some(*unsigned),
        Bool => Some(false),
        _ => None,
    };
    match (a, b) {
        (Char(_) | Varchar(_) | Text(_), Char(_) | Varchar(_) | Text(_)) => true,
        (Binary(_) | Varbinary(_) | Blob(_), Binary(_) | Varbinary(_) | Blob(_)) => true,
        _ => match (int(a), int(b)) {
            (Some(x), Some(y)) => x == y,
            (None, None) => a == b,
            _ => false,
        },
    }
}

/// Whether `positions` lead the key or one of the indexes of `meta`, in order, so rows with
/// given values there can be found without a scan.
fn indexed(meta: &TableMeta, positions: &[usize]) -> bool {
    meta.key_positions.starts_with(positions)
        || meta.index_positions.iter().any(|index| index.starts_with(positions))
}

impl Exec<'_> {
    /// Fails if a CHECK constraint of `meta` is false for `row` (NULL passes, as in MySQL).
    pub(super) fn check_row(&mut self, meta: &TableMeta, row: &[Datum]) -> Result<(), Error> {
        if meta.checks.is_empty() {
            return Ok(());
        }
        let scope = table_scope(meta, &meta.name);
        for (name, condition) in &meta.checks {
            if self.eval(condition, &Env::new(&scope, row))?.truth() == Some(false) {
                return Err(Error::new(
                    ErrorKind::CheckViolation,
                    format!("Check constraint '{name}' is violated."),
                ));
            }
        }
        Ok(())
    }

    /// Whether foreign keys are enforced (`@@foreign_key_checks`), read once per statement.
    fn foreign_key_checks(&mut self) -> Result<bool, Error> {
        if let Some(on) = self.foreign_key_checks {
            return Ok(on);
        }
        let on = (self.system_variable)("foreign_key_checks", false)?.truth() == Some(true);
        self.foreign_key_checks = Some(on);
        Ok(on)
    }

    /// The foreign keys that refer to `parent`, as (child table, index of the key in the
    /// child's schema). Every table's schema is read once per statement to find them.
    pub(super) fn children_of(&mut self, parent: &str) -> Result<Vec<(String, usize)>, Error> {
        if self.children.is_none() {
            let mut children: HashMap<String, Vec<(String, usize)>> = HashMap::new();
            let names: Vec<String> = self.tx.root.tables.keys().cloned().collect();
            for name in names {
                let store: &dyn crate::chunk::ChunkStore = &*self.store;
                let data = self.tx.open(store, &name)?;
                for (i, fk) in data.meta.schema.foreign_keys.iter().enumerate() {
                    children
                        .entry(fk.parent_table.to_ascii_lowercase())
                        .or_default()
                        .push((name.clone(), i));
                }
            }
            self.children = Some(children);
        }
        let children = self.children.as_ref().expect("filled above");
        Ok(children.get(&parent.to_ascii_lowercase()).cloned().unwrap_or_default())
    }

    /// The rows of `table` whose columns at `positions` equal `values` (coerced to the
    /// columns' types; a value the type cannot hold matches nothing), found through the
    /// primary key or an index when one leads with those columns. At most `limit` rows.
    fn rows_where(
        &mut self,
        table: &str,
        positions: &[usize],
        values: &[Datum],
        limit: usize,
    ) -> Result<Vec<KeyedRow>, Error> {
        let store: &dyn crate::chunk::ChunkStore = &*self.store;
        let data = self.tx.open(store, table)?;
        let mut wanted = Vec::with_capacity(values.len());
        for (&p, value) in positions.iter().zip(values) {
            match data.meta.types[p].coerce(value.clone(), &data.meta.schema.columns[p].name) {
                Ok(value) => wanted.push(value),
                Err(_) => return Ok(Vec::new()),
            }
        }
        let matches = |row: &[Datum]| {
            positions
                .iter()
                .zip(&wanted)
                .all(|(&p, v)| row[p].sql_cmp(v).is_some_and(|o| o == std::cmp::Ordering::Equal))
        };
        let mut found = Vec::new();
        if data.meta.key_positions.starts_with(positions) {
            let mut full = vec![Datum::Null; data.meta.schema.columns.len()];
            for (&p, v) in positions.iter().zip(&wanted) {
                full[p] = v.clone();
            }
            let key_values: Vec<crate::row::Value> =
                positions.iter().map(|&p| data.meta.types[p].to_storage(&full[p])).collect();
            let prefix = crate::row::encode_key(&key_values)?;
            let end = prefix_end(&prefix).map_or(Bound::Unbounded, Bound::Excluded);
            let end = end.as_ref().map(Vec::as_slice);
            for (key, row) in data.scan(store, Bound::Included(&prefix), end)? {
                if matches(&row) {
                    found.push((key, row));
                    if found.len() >= limit {
                        break;
                    }
                }
            }
            return Ok(found);
        }
        if let Some(i) = data.meta.index_positions.iter().position(|ix| ix.starts_with(positions)) {
            let prefix = data.index_values_prefix(i, &wanted)?;
            for key in data.index_lookup(store, i, &prefix)? {
                if let Some(row) = data.get_row(store, &key)? {
                    if matches(&row) {
                        found.push((key, row));
                        if found.len() >= limit {
                            break;
                        }
                    }
                }
            }
            return Ok(found);
        }
        // Only a parent recreated while checks were off can lack an index; scan it.
        for (key, row) in data.scan(store, Bound::Unbounded, Bound::Unbounded)? {
            if matches(&row) {
                found.push((key, row));
                if found.len() >= limit {
                    break;
                }
            }
        }
        Ok(found)
    }

    /// Keeps every foreign key true after a row of `table` changed from `old` to `new`: a new
    /// reference must find its parent row; a parent row that goes away or changes its referenced
    /// values takes its child rows along, detaches them or is refused, per the key's actions.
    pub(super) fn enforce_foreign_keys(
        &mut self,
        table: &str,
        old: Option<&[Datum]>,
        new: Option<&[Datum]>,
        depth: usize,
    ) -> Result<(), Error> {
        if !self.foreign_key_checks()? {
            return Ok(());
        }
        if let Some(new) = new {
            self.check_parents(table, old, new)?;
        }
        if let Some(old) = old {
            self.update_children(table, old, new, depth)?;
        }
        Ok(())
    }

    fn check_parents(
        &mut self,
        table: &str,
        old: Option<&[Datum]>,
        new: &[Datum],
    ) -> Result<(), Error> {
        let data = &self.tx.tables[table];
        if data.meta.schema.foreign_keys.is_empty() {
            return Ok(());
        }
        let meta = data.meta.clone();
        for (fk, positions) in meta.schema.foreign_keys.iter().zip(&meta.foreign_key_positions) {
            let values: Vec<Datum> = positions.iter().map(|&p| new[p].clone()).collect();
            if values.iter().any(Datum::is_null) {
                continue;
            }
            if old.is_some_and(|old| positions.iter().all(|&p| old[p] == new[p])) {
                continue;
            }
            let found = match self.tx.table_name(&fk.parent_table) {
                Some(parent) => {
                    let parent_meta = self.tx.open(&*self.store, &parent)?.meta.clone();
                    let parent_positions = parent_positions(&parent_meta, fk)?;
                    !self.rows_where(&parent, &parent_positions, &values, 1)?.is_empty()
                }
                None => false,
            };
            if !found {
                return Err(Error::new(
                    ErrorKind::ForeignKeyChild,
                    format!(
                        "Cannot add or update a child row: a foreign key constraint fails (`{}`, {})",
                        meta.name,
                        describe_foreign_key(&meta.schema, fk)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn update_children(
        &mut self,
        table: &str,
        old: &[Datum],
        new: Option<&[Datum]>,
        depth: usize,
    ) -> Result<(), Error> {
        let children = self.children_of(table)?;
        if children.is_empty() {
            return Ok(());
        }
        let meta = self.tx.tables[table].meta.clone();
        for (child, i) in children {
            let child_meta = self.tx.open(&*self.store, &child)?.meta.clone();
            let fk = &child_meta.schema.foreign_keys[i];
            let positions = parent_positions(&meta, fk)?;
            let old_values: Vec<Datum> = positions.iter().map(|&p| old[p].clone()).collect();
            if old_values.iter().any(Datum::is_null) {
                continue;
            }
            if new.is_some_and(|new| positions.iter().all(|&p| old[p] == new[p])) {
                continue;
            }
            let child_positions = &child_meta.foreign_key_positions[i];
            let action = if new.is_some() { fk.on_update } else { fk.on_delete };
            let limit = if action == ReferentialAction::Restrict { 1 } else { usize::MAX };
            let rows = self.rows_where(&child, child_positions, &old_values, limit)?;
            if rows.is_empty() {
                continue;
            }
            if action == ReferentialAction::Restrict {
                return Err(Error::new(
                    ErrorKind::ForeignKeyParent,
                    format!(
                        "Cannot delete or update a parent row: a foreign key constraint fails (`{}`, {})",
                        child_meta.name,
                        describe_foreign_key(&child_meta.schema, fk)
                    ),
                ));
            }
            if depth >= CASCADE_DEPTH_MAX {
                return Err(Error::new(
                    ErrorKind::LimitExceeded,
                    format!(
                        "Foreign key cascade delete/update exceeds max depth of {CASCADE_DEPTH_MAX}."
                    ),
                ));
            }
            for (key, row) in rows {
                // A row an earlier cascade step of this statement already changed is re-read.
                let store: &dyn crate::chunk::ChunkStore = &*self.store;
                let Some(row) = self.tx.tables[&child].get_row(store, &key)?.or(Some(row)) else {
                    continue;
                };
                match (action, new) {
                    (ReferentialAction::Cascade, None) => {
                        self.write_row_at(&child, &key, Some(&row), None, depth + 1)?;
                    }
                    (ReferentialAction::Cascade, Some(new)) => {
                        let mut changed = row.clone();
                        for (&c, &p) in child_positions.iter().zip(&positions) {
                            let name = &child_meta.schema.columns[c].name;
                            changed[c] = child_meta.types[c].coerce(new[p].clone(), name)?;
                        }
                        self.update_row_at(&child, &child_meta, &key, &row, &changed, depth + 1)?;
                    }
                    (ReferentialAction::SetNull, _) => {
                        let mut changed = row.clone();
                        for &c in child_positions {
                            changed[c] = Datum::Null;
                        }
                        self.update_row_at(&child, &child_meta, &key, &row, &changed, depth + 1)?;
                    }
                    (ReferentialAction::Restrict, _) => unreachable!("refused above"),
                }
            }
        }
        Ok(())
    }

    // ---------------------------------------------------------------- definitions

    /// Validates a CHECK for a table of `schema` and gives it its stored form, named
    /// `<table>_chk_<n>` when unnamed (as MySQL names them).
    pub(super) fn define_check(
        &mut self,
        table: &str,
        schema: &Schema,
        name: Option<&str>,
        text: &str,
    ) -> Result<crate::row::Check, Error> {
        let name = match name {
            Some(name) => name.to_string(),
            None => (1..)
                .map(|n| format!("{table}_chk_{n}"))
                .find(|n| !schema.checks.iter().any(|c| c.name.eq_ignore_ascii_case(n)))
                .expect("an unused name"),
        };
        if schema.checks.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
            return Err(Error::new(
                ErrorKind::ConstraintExists,
                format!("Duplicate check constraint name '{name}'."),
            ));
        }
        let condition = parse_expression(text)?;
        let scope = Scope {
            columns: schema
                .columns
                .iter()
                .map(|c| (Some(table.to_lowercase()), c.name.clone()))
                .collect(),
        };
        if !resolvable(&condition, &scope) || volatile(&condition) {
            return Err(Error::new(
                ErrorKind::CheckDefinition,
                format!(
                    "An expression of check constraint '{name}' may name only this table's columns, constants and deterministic functions."
                ),
            ));
        }
        Ok(crate::row::Check { name, expression: text.to_string() })
    }

    /// Validates a FOREIGN KEY of `table` (whose schema so far is `schema`) against its parent
    /// and gives it its stored form, named `<table>_ibfk_<n>` when unnamed. Adds an index on the
    /// referencing columns to `schema` when none leads with them, as InnoDB does.
    pub(super) fn define_foreign_key(
        &mut self,
        table: &str,
        schema: &mut Schema,
        def: &ForeignKeyDef,
    ) -> Result<ForeignKey, Error> {
        let name = match &def.name {
            Some(name) => name.clone(),
            None => (1..)
                .map(|n| format!("{table}_ibfk_{n}"))
                .find(|n| !schema.foreign_keys.iter().any(|f| f.name.eq_ignore_ascii_case(n)))
                .expect("an unused name"),
        };
        if schema.foreign_keys.iter().any(|f| f.name.eq_ignore_ascii_case(&name)) {
            return Err(Error::new(
                ErrorKind::ConstraintExists,
                format!("Duplicate foreign key constraint name '{name}'"),
            ));
        }
        let definition_error =
            |message: String| Error::new(ErrorKind::ForeignKeyDefinition, message);
        if def.columns.len() != def.parent_columns.len() || def.columns.is_empty() {
            return Err(definition_error(format!(
                "Foreign key '{name}' names {} columns but {} referenced columns",
                def.columns.len(),
                def.parent_columns.len()
            )));
        }
        let mut columns = Vec::new();
        for column in &def.columns {
            let found = schema.column_named(column).ok_or_else(|| {
                Error::new(
                    ErrorKind::NoSuchColumn,
                    format!("Key column '{column}' doesn't exist in table"),
                )
            })?;
            if !found.nullable
                && [def.on_delete, def.on_update].contains(&ReferentialAction::SetNull)
            {
                return Err(definition_error(format!(
                    "Column '{column}' cannot be NOT NULL: needed in a foreign key constraint '{name}' SET NULL"
                )));
            }
            columns.push(found.tag);
        }
        let child_meta = TableMeta::new(table, schema.clone())?;
        let self_reference = def.parent_table.eq_ignore_ascii_case(table);
        let parent_meta = if self_reference {
            Some(child_meta.clone())
        } else {
            match self.tx.table_name(&def.parent_table) {
                Some(parent) => Some(self.tx.open(&*self.store, &parent)?.meta.clone()),
                None => None,
            }
        };
        let parent_table =
            parent_meta.as_ref().map_or(def.parent_table.clone(), |m| m.name.clone());
        let fk = ForeignKey {
            name: name.clone(),
            columns,
            parent_table,
            parent_columns: def.parent_columns.clone(),
            on_delete: def.on_delete,
            on_update: def.on_update,
        };
        match parent_meta {
            Some(parent_meta) => {
                let positions = parent_positions(&parent_meta, &fk)?;
                for (column, &p) in def.columns.iter().zip(&positions) {
                    let c = child_meta.position(column).expect("found above");
                    if !compatible(&child_meta.types[c], &parent_meta.types[p]) {
                        return Err(definition_error(format!(
                            "Referencing column '{column}' and referenced column '{}' in foreign key constraint '{name}' are incompatible.",
                            parent_meta.schema.columns[p].name
                        )));
                    }
                }
                if !indexed(&parent_meta, &positions) {
                    return Err(definition_error(format!(
                        "Failed to add the foreign key constraint. Missing index for constraint '{name}' in the referenced table '{}'",
                        parent_meta.name
                    )));
                }
            }
            None if self.foreign_key_checks()? => {
                return Err(definition_error(format!(
                    "Failed to open the referenced table '{}'",
                    def.parent_table
                )));
            }
            None => {}
        }
        let positions: Vec<usize> =
            def.columns.iter().map(|c| child_meta.position(c).expect("found above")).collect();
        if !indexed(&child_meta, &positions) {
            let index_name = if schema.indexes.iter().any(|i| i.name.eq_ignore_ascii_case(&name)) {
                format!("{name}_index")
            } else {
                name.clone()
            };
            schema.indexes.push(IndexDef {
                name: index_name,
                columns: fk.columns.clone(),
                unique: false,
            });
        }
        Ok(fk)
    }

    /// Checks that every row of `table` has the parent its foreign key `i` asks for (ALTER
    /// TABLE ADD FOREIGN KEY on a table with rows).
    pub(super) fn check_existing_references(&mut self, table: &str, i: usize) -> Result<(), Error> {
        if !self.foreign_key_checks()? {
            return Ok(());
        }
        let store: &dyn crate::chunk::ChunkStore = &*self.store;
        let data = self.tx.open(store, table)?;
        let rows = data.scan(store, Bound::Unbounded, Bound::Unbounded)?;
        let meta = data.meta.clone();
        let mut only = meta.clone();
        only.schema.foreign_keys = vec![meta.schema.foreign_keys[i].clone()];
        only.foreign_key_positions = vec![meta.foreign_key_positions[i].clone()];
        let name = meta.name.clone();
        let data = self.tx.tables.get_mut(&name).expect("opened above");
        let saved = std::mem::replace(&mut data.meta, only);
        let mut outcome = Ok(());
        for (_, row) in &rows {
            outcome = self.check_parents(&name, None, row);
            if outcome.is_err() {
                break;
            }
        }
        self.tx.tables.get_mut(&name).expect("opened above").meta = saved;
        outcome
    }

    /// Fails if a foreign key of another table still needs `table` (DROP TABLE, TRUNCATE).
    /// `also_dropped` are tables going away in the same statement, whose keys do not count.
    pub(super) fn refuse_if_referenced(
        &mut self,
        table: &str,
        also_dropped: &[String],
        what: &str,
    ) -> Result<(), Error> {
        if !self.foreign_key_checks()? {
            return Ok(());
        }
        for (child, i) in self.children_of(table)? {
            if child.eq_ignore_ascii_case(table)
                || also_dropped.iter().any(|d| d.eq_ignore_ascii_case(&child))
            {
                continue;
            }
            let fk = &self.tx.tables[&child].meta.schema.foreign_keys[i];
            return Err(Error::new(
                ErrorKind::ConstraintInUse,
                format!("Cannot {what} table '{table}' referenced by a foreign key constraint '{}' on table '{child}'.", fk.name),
            ));
        }
        Ok(())
    }

    /// Fails if a constraint needs column `p` of `table` (before it is dropped or renamed):
    /// a CHECK that names it, a foreign key of this table over it, or one that refers to it.
    pub(super) fn refuse_if_column_in_use(
        &mut self,
        table: &str,
        schema: &Schema,
        p: usize,
    ) -> Result<(), Error> {
        let column = &schema.columns[p];
        let in_use = |what: String| {
            Err(Error::new(
                ErrorKind::ConstraintInUse,
                format!("Column '{}' is needed by {what}", column.name),
            ))
        };
        for check in &schema.checks {
            let condition = parse_expression(&check.expression)?;
            if condition.any(&mut |e| {
                matches!(e, Expr::Column(c) if c.column.eq_ignore_ascii_case(&column.name))
            }) {
                return in_use(format!("check constraint '{}'", check.name));
            }
        }
        if let Some(fk) = schema.foreign_keys.iter().find(|fk| fk.columns.contains(&column.tag)) {
            return in_use(format!("foreign key constraint '{}'", fk.name));
        }
        for (child, i) in self.children_of(table)? {
            let fk = &self.tx.tables[&child].meta.schema.foreign_keys[i];
            if fk.parent_columns.iter().any(|c| c.eq_ignore_ascii_case(&column.name)) {
                return in_use(format!("foreign key constraint '{}' on table '{child}'", fk.name));
            }
        }
        Ok(())
    }

    /// Fails if dropping index `name` would leave a foreign key of `table`, or one that refers
    /// to it, without an index to find rows by.
    pub(super) fn refuse_if_index_in_use(
        &mut self,
        table: &str,
        schema: &Schema,
        name: &str,
    ) -> Result<(), Error> {
        let mut without = schema.clone();
        without.indexes.retain(|i| !i.name.eq_ignore_ascii_case(name));
        let meta = TableMeta::new(table, without)?;
        let mut needed = meta.foreign_key_positions.clone();
        for (child, i) in self.children_of(table)? {
            let fk = &self.tx.tables[&child].meta.schema.foreign_keys[i];
            if let Some(positions) =
                fk.parent_columns.iter().map(|c| meta.position(c)).collect::<Option<Vec<_>>>()
            {
                needed.push(positions);
            }
        }
        if needed.iter().all(|positions| indexed(&meta, positions)) {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::ConstraintInUse,
            format!("Cannot drop index '{name}': needed in a foreign key constraint"),
        ))
    }

    /// Removes the constraint `name` from `schema`: a CHECK, a FOREIGN KEY, or either.
    pub(super) fn drop_constraint(
        schema: &mut Schema,
        name: &str,
        kind: ConstraintKind,
    ) -> Result<(), Error> {
        let before = schema.checks.len() + schema.foreign_keys.len();
        if kind != ConstraintKind::ForeignKey {
            schema.checks.retain(|c| !c.name.eq_ignore_ascii_case(name));
        }
        if kind != ConstraintKind::Check {
            schema.foreign_keys.retain(|f| !f.name.eq_ignore_ascii_case(name));
        }
        if schema.checks.len() + schema.foreign_keys.len() == before {
            return Err(Error::new(
                ErrorKind::NoSuchConstraint,
                format!("Constraint '{name}' does not exist."),
            ));
        }
        Ok(())
    }
}

/// The positions in the parent table of the columns a foreign key refers to.
fn parent_positions(parent: &TableMeta, fk: &ForeignKey) -> Result<Vec<usize>, Error> {
    fk.parent_columns
        .iter()
        .map(|c| {
            parent.position(c).ok_or_else(|| {
                Error::new(
                    ErrorKind::ForeignKeyDefinition,
                    format!(
                        "Foreign key '{}' refers to column '{c}', which table '{}' does not have",
                        fk.name, parent.name
                    ),
                )
            })
        })
        .collect()
}

/// Functions whose value depends on when or where a statement runs: a CHECK may not call them.
const VOLATILE_FUNCTIONS: &[&str] = &[
    "connection_id",
    "curdate",
    "current_date",
    "current_time",
    "current_timestamp",
    "current_user",
    "curtime",
    "database",
    "last_insert_id",
    "localtime",
    "localtimestamp",
    "now",
    "rand",
    "sysdate",
    "unix_timestamp",
    "user",
    "utc_date",
    "utc_time",
    "utc_timestamp",
    "uuid",
];

/// Whether `expr` reads a variable or calls a volatile function (not allowed in a CHECK).
fn volatile(expr: &Expr) -> bool {
    expr.any(&mut |e| match e {
        Expr::UserVariable(_) | Expr::SystemVariable { .. } => true,
        Expr::Function { name, .. } => VOLATILE_FUNCTIONS.contains(&name.as_str()),
        _ => false,
    })
}
