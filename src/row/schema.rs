//! Table schemas: columns named by stable tags, the primary key, secondary indexes, CHECK and
//! FOREIGN KEY constraints, their rules and their canonical byte encoding.
//!
//! A column's SQL type and default are opaque text here; the SQL layer gives them meaning. What
//! this module guarantees is structural: tags and names are unique, keys and indexes name
//! columns that exist, and every limit holds. Both [`Schema::encode`] and [`Schema::decode`]
//! validate, so no invalid schema is ever written or read.

use std::collections::BTreeSet;

use super::{
    write_bytes, write_uvarint, Error, Reader, Tag, CELLS_MAX, CONSTRAINTS_MAX,
    DEFINITION_BYTES_MAX, INDEXES_MAX, INDEX_COLUMNS_MAX, NAME_BYTES_MAX,
};

/// The first byte of every encoded schema, so a later layout can be told apart. A schema
/// without constraints is written in the first layout, so its bytes (and every hash above
/// them) stay what they were before constraints existed; the second adds the constraints.
const SCHEMA_VERSION: u8 = 0x01;
const SCHEMA_VERSION_CONSTRAINTS: u8 = 0x02;

/// Column flag bits; the others are reserved and must be zero.
const COLUMN_NULLABLE: u8 = 0x01;
const COLUMN_AUTO_INCREMENT: u8 = 0x02;
const COLUMN_HAS_DEFAULT: u8 = 0x04;
/// Index flag bits; the others are reserved and must be zero.
const INDEX_UNIQUE: u8 = 0x01;

/// One column of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// The column's stable id: rows name cells by tag, so a rename rewrites nothing.
    pub tag: Tag,
    pub name: String,
    /// The SQL type as written, such as `INT` or `VARCHAR(20)`.
    pub sql_type: String,
    pub nullable: bool,
    /// The default as SQL text, if the column has one.
    pub default: Option<String>,
    pub auto_increment: bool,
}

/// A secondary index: the columns it orders by, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexDef {
    pub name: String,
    pub columns: Vec<Tag>,
    pub unique: bool,
}

/// A CHECK constraint: a condition every row must not make false.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    /// The condition as SQL text; the SQL layer parses and evaluates it.
    pub expression: String,
}

/// What happens to child rows when the parent row they refer to is deleted or its key changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferentialAction {
    /// Refuse the change (MySQL's RESTRICT and NO ACTION).
    Restrict = 0,
    /// Delete the child rows, or change their reference along with the parent.
    Cascade = 1,
    /// Set the child rows' referencing columns to NULL.
    SetNull = 2,
}

/// A FOREIGN KEY constraint: these columns' values, when none is NULL, must exist in the
/// parent table's referenced columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignKey {
    pub name: String,
    /// The referencing columns of this table.
    pub columns: Vec<Tag>,
    pub parent_table: String,
    /// The referenced columns by name, one per referencing column: the parent's tags belong to
    /// another schema, which may change independently.
    pub parent_columns: Vec<String>,
    pub on_delete: ReferentialAction,
    pub on_update: ReferentialAction,
}

/// A table's shape.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Schema {
    /// In the table's column order (the order of `SELECT *`).
    pub columns: Vec<Column>,
    /// The primary key's columns, in key order. Empty for a table without a primary key.
    pub primary_key: Vec<Tag>,
    pub indexes: Vec<IndexDef>,
    pub checks: Vec<Check>,
    pub foreign_keys: Vec<ForeignKey>,
}

/// Folds a name for comparison. Names compare like MySQL's, ignoring case, but only ASCII case:
/// Unicode case mappings change between Unicode versions, and whether a stored schema is valid
/// must not depend on the version of the standard library that reads it.
fn fold(name: &str) -> String {
    name.to_ascii_lowercase()
}

fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.len() > NAME_BYTES_MAX {
        return Err(Error::InvalidName(name.to_owned()));
    }
    Ok(())
}

fn check_definition(text: &str) -> Result<(), Error> {
    if text.len() > DEFINITION_BYTES_MAX {
        return Err(Error::TooLarge { bytes: text.len(), max: DEFINITION_BYTES_MAX });
    }
    Ok(())
}

fn check_count(what: &'static str, count: usize, max: usize) -> Result<(), Error> {
    if count > max {
        return Err(Error::TooMany { what, count, max });
    }
    Ok(())
}

fn write_tags(out: &mut Vec<u8>, tags: &[Tag]) {
    write_uvarint(out, tags.len() as u64);
    for &tag in tags {
        write_uvarint(out, u64::from(tag));
    }
}

fn read_tags(reader: &mut Reader, max: usize) -> Result<Vec<Tag>, Error> {
    let count = reader.count(max)?;
    (0..count).map(|_| reader.tag()).collect()
}

fn read_action(reader: &mut Reader) -> Result<ReferentialAction, Error> {
    match reader.u8()? {
        0 => Ok(ReferentialAction::Restrict),
        1 => Ok(ReferentialAction::Cascade),
        2 => Ok(ReferentialAction::SetNull),
        _ => Err(Error::Malformed("unknown referential action")),
    }
}

fn read_flags(reader: &mut Reader, known: u8) -> Result<u8, Error> {
    let flags = reader.u8()?;
    if flags & !known != 0 {
        return Err(Error::Malformed("reserved schema flag bits are set"));
    }
    Ok(flags)
}

impl Schema {
    pub fn column(&self, tag: Tag) -> Option<&Column> {
        self.columns.iter().find(|column| column.tag == tag)
    }

    /// The column called `name`, ignoring ASCII case as MySQL ignores case in column names.
    pub fn column_named(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name.eq_ignore_ascii_case(name))
    }

    /// The primary key's tags, in key order.
    pub fn key_tags(&self) -> &[Tag] {
        &self.primary_key
    }

    /// The tags of the columns outside the primary key, in column order: the cells of a row.
    pub fn value_tags(&self) -> Vec<Tag> {
        self.columns
            .iter()
            .map(|column| column.tag)
            .filter(|tag| !self.primary_key.contains(tag))
            .collect()
    }

    /// Checks the structural rules: at most [`CELLS_MAX`] columns, unique tags, names of 1 to
    /// [`NAME_BYTES_MAX`] bytes that are unique ignoring ASCII case (columns among columns,
    /// indexes among indexes), types and defaults of at most [`DEFINITION_BYTES_MAX`] bytes, a
    /// primary key and indexes of existing, distinct columns (at most [`INDEX_COLUMNS_MAX`]
    /// each), every index of at least one column, and at most [`INDEXES_MAX`] indexes; at most
    /// [`CONSTRAINTS_MAX`] checks and as many foreign keys, with unique names (ignoring ASCII
    /// case), expressions and parent names within the definition and name limits, and every
    /// foreign key naming existing, distinct columns, as many as it names parent columns.
    pub fn validate(&self) -> Result<(), Error> {
        check_count("columns", self.columns.len(), CELLS_MAX)?;
        let mut tags = BTreeSet::new();
        let mut names = BTreeSet::new();
        for column in &self.columns {
            check_name(&column.name)?;
            check_definition(&column.sql_type)?;
            if let Some(default) = &column.default {
                check_definition(default)?;
            }
            if !tags.insert(column.tag) {
                return Err(Error::DuplicateTag(column.tag));
            }
            if !names.insert(fold(&column.name)) {
                return Err(Error::DuplicateName(column.name.clone()));
            }
        }
        let check_key = |what, key: &[Tag]| -> Result<(), Error> {
            check_count(what, key.len(), INDEX_COLUMNS_MAX)?;
            let mut seen = BTreeSet::new();
            for &tag in key {
                if !tags.contains(&tag) {
                    return Err(Error::UnknownTag(tag));
                }
                if !seen.insert(tag) {
                    return Err(Error::DuplicateTag(tag));
                }
            }
            Ok(())
        };
        check_key("primary key columns", &self.primary_key)?;
        check_count("indexes", self.indexes.len(), INDEXES_MAX)?;
        let mut index_names = BTreeSet::new();
        for index in &self.indexes {
            check_name(&index.name)?;
            if !index_names.insert(fold(&index.name)) {
                return Err(Error::DuplicateName(index.name.clone()));
            }
            if index.columns.is_empty() {
                return Err(Error::InvalidSchema("an index needs at least one column"));
            }
            check_key("index columns", &index.columns)?;
        }
        check_count("check constraints", self.checks.len(), CONSTRAINTS_MAX)?;
        let mut check_names = BTreeSet::new();
        for check in &self.checks {
            check_name(&check.name)?;
            check_definition(&check.expression)?;
            if !check_names.insert(fold(&check.name)) {
                return Err(Error::DuplicateName(check.name.clone()));
            }
        }
        check_count("foreign keys", self.foreign_keys.len(), CONSTRAINTS_MAX)?;
        let mut foreign_key_names = BTreeSet::new();
        for foreign_key in &self.foreign_keys {
            check_name(&foreign_key.name)?;
            check_name(&foreign_key.parent_table)?;
            if !foreign_key_names.insert(fold(&foreign_key.name)) {
                return Err(Error::DuplicateName(foreign_key.name.clone()));
            }
            if foreign_key.columns.is_empty()
                || foreign_key.columns.len() != foreign_key.parent_columns.len()
            {
                return Err(Error::InvalidSchema(
                    "a foreign key needs as many parent columns as columns, at least one",
                ));
            }
            check_key("foreign key columns", &foreign_key.columns)?;
            for parent_column in &foreign_key.parent_columns {
                check_name(parent_column)?;
            }
        }
        Ok(())
    }

    /// Whether the schema has constraints, and so needs the second layout.
    fn has_constraints(&self) -> bool {
        !self.checks.is_empty() || !self.foreign_keys.is_empty()
    }

    /// The schema's canonical bytes (see `docs/format.md`). Column, key and index order are kept
    /// as given, since they mean something. Refuses a schema that does not [`validate`].
    ///
    /// [`validate`]: Schema::validate
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        self.validate()?;
        let version =
            if self.has_constraints() { SCHEMA_VERSION_CONSTRAINTS } else { SCHEMA_VERSION };
        let mut out = vec![version];
        write_uvarint(&mut out, self.columns.len() as u64);
        for column in &self.columns {
            write_uvarint(&mut out, u64::from(column.tag));
            write_bytes(&mut out, column.name.as_bytes());
            write_bytes(&mut out, column.sql_type.as_bytes());
            let mut flags = 0;
            if column.nullable {
                flags |= COLUMN_NULLABLE;
            }
            if column.auto_increment {
                flags |= COLUMN_AUTO_INCREMENT;
            }
            if column.default.is_some() {
                flags |= COLUMN_HAS_DEFAULT;
            }
            out.push(flags);
            if let Some(default) = &column.default {
                write_bytes(&mut out, default.as_bytes());
            }
        }
        write_tags(&mut out, &self.primary_key);
        write_uvarint(&mut out, self.indexes.len() as u64);
        for index in &self.indexes {
            write_bytes(&mut out, index.name.as_bytes());
            out.push(if index.unique { INDEX_UNIQUE } else { 0 });
            write_tags(&mut out, &index.columns);
        }
        if version == SCHEMA_VERSION_CONSTRAINTS {
            write_uvarint(&mut out, self.checks.len() as u64);
            for check in &self.checks {
                write_bytes(&mut out, check.name.as_bytes());
                write_bytes(&mut out, check.expression.as_bytes());
            }
            write_uvarint(&mut out, self.foreign_keys.len() as u64);
            for foreign_key in &self.foreign_keys {
                write_bytes(&mut out, foreign_key.name.as_bytes());
                write_tags(&mut out, &foreign_key.columns);
                write_bytes(&mut out, foreign_key.parent_table.as_bytes());
                write_uvarint(&mut out, foreign_key.parent_columns.len() as u64);
                for parent_column in &foreign_key.parent_columns {
                    write_bytes(&mut out, parent_column.as_bytes());
                }
                out.push(foreign_key.on_delete as u8);
                out.push(foreign_key.on_update as u8);
            }
        }
        Ok(out)
    }

    /// Decodes bytes made by [`Schema::encode`]. Refuses malformed bytes (unknown version,
    /// reserved flags set, over-long LEB128, text that is not UTF-8, truncation, trailing bytes,
    /// the second layout without constraints) as [`Error::Malformed`], and a schema that does
    /// not validate with that error.
    pub fn decode(bytes: &[u8]) -> Result<Schema, Error> {
        let mut reader = Reader::new(bytes);
        let version = reader.u8()?;
        if version != SCHEMA_VERSION && version != SCHEMA_VERSION_CONSTRAINTS {
            return Err(Error::Malformed("unknown schema version"));
        }
        let column_count = reader.count(CELLS_MAX)?;
        let mut columns = Vec::with_capacity(column_count);
        for _ in 0..column_count {
            let tag = reader.tag()?;
            let name = reader.text(NAME_BYTES_MAX)?.to_owned();
            let sql_type = reader.text(DEFINITION_BYTES_MAX)?.to_owned();
            let flags = read_flags(
                &mut reader,
                COLUMN_NULLABLE | COLUMN_AUTO_INCREMENT | COLUMN_HAS_DEFAULT,
            )?;
            let default = if flags & COLUMN_HAS_DEFAULT != 0 {
                Some(reader.text(DEFINITION_BYTES_MAX)?.to_owned())
            } else {
                None
            };
            columns.push(Column {
                tag,
                name,
                sql_type,
                nullable: flags & COLUMN_NULLABLE != 0,
                default,
                auto_increment: flags & COLUMN_AUTO_INCREMENT != 0,
            });
        }
        let primary_key = read_tags(&mut reader, INDEX_COLUMNS_MAX)?;
        let index_count = reader.count(INDEXES_MAX)?;
        let mut indexes = Vec::with_capacity(index_count);
        for _ in 0..index_count {
            let name = reader.text(NAME_BYTES_MAX)?.to_owned();
            let unique = read_flags(&mut reader, INDEX_UNIQUE)? & INDEX_UNIQUE != 0;
            let columns = read_tags(&mut reader, INDEX_COLUMNS_MAX)?;
            indexes.push(IndexDef { name, columns, unique });
        }
        let mut checks = Vec::new();
        let mut foreign_keys = Vec::new();
        if version == SCHEMA_VERSION_CONSTRAINTS {
            for _ in 0..reader.count(CONSTRAINTS_MAX)? {
                let name = reader.text(NAME_BYTES_MAX)?.to_owned();
                let expression = reader.text(DEFINITION_BYTES_MAX)?.to_owned();
                checks.push(Check { name, expression });
            }
            for _ in 0..reader.count(CONSTRAINTS_MAX)? {
                let name = reader.text(NAME_BYTES_MAX)?.to_owned();
                let columns = read_tags(&mut reader, INDEX_COLUMNS_MAX)?;
                let parent_table = reader.text(NAME_BYTES_MAX)?.to_owned();
                let parent_columns = (0..reader.count(INDEX_COLUMNS_MAX)?)
                    .map(|_| reader.text(NAME_BYTES_MAX).map(str::to_owned))
                    .collect::<Result<Vec<_>, _>>()?;
                let on_delete = read_action(&mut reader)?;
                let on_update = read_action(&mut reader)?;
                foreign_keys.push(ForeignKey {
                    name,
                    columns,
                    parent_table,
                    parent_columns,
                    on_delete,
                    on_update,
                });
            }
            if checks.is_empty() && foreign_keys.is_empty() {
                return Err(Error::Malformed("a schema without constraints in their layout"));
            }
        }
        if !reader.is_empty() {
            return Err(Error::Malformed("bytes after the end of the schema"));
        }
        let schema = Schema { columns, primary_key, indexes, checks, foreign_keys };
        schema.validate()?;
        Ok(schema)
    }
}
