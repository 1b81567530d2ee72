//! Query execution: the transaction's view of tables, expression evaluation with MySQL's
//! three-valued logic, and SELECT (joins, filters, grouping, aggregates, ordering, DISTINCT,
//! UNION, common table expressions, subqueries) over materialised rows. Single-table reads use
//! the primary key or a secondary index when the filter pins their columns.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;

use crate::chunk::{ChunkStore, Hash};
use crate::history::{CommitOptions, Repo, RootValue, Table};

use super::ast::*;
use super::data::{TableData, TableMeta, Undo, UndoLog};
use super::error::{Error, ErrorKind};
use super::functions::{self, FunctionContext};
use super::types::{Datum, GroupKey};
use super::workspace::Workspace;

/// Rows one statement may produce or hold in memory.
pub const RESULT_ROWS_MAX: usize = 10_000_000;
/// Rows a join may build before its filter applies. Joins are nested loops over materialised
/// rows, so this bounds their memory.
pub const JOIN_ROWS_MAX: usize = 250_000;
/// Nesting of subqueries and derived tables during execution.
const QUERY_DEPTH_MAX: usize = 32;

/// The transaction's tables: the root it started from plus every table it has opened.
#[derive(Clone, Debug)]
pub struct Tx {
    /// The working root the transaction began from.
    pub base: RootValue,
    pub root: RootValue,
    pub tables: BTreeMap<String, TableData>,
    /// Tables' parsed schemas from earlier transactions of the session, by stored name: reused
    /// while the schema is unchanged, so a short statement does not re-parse column types.
    pub metas: HashMap<String, TableMeta>,
    /// The garbage collection marker when the transaction began ([`Repo::gc_marker`]).
    pub gc_marker: Option<Hash>,
}

impl Tx {
    /// A transaction on `branch`'s working root as `repo` holds it.
    pub fn begin(
        repo: &Repo,
        branch: &str,
        metas: HashMap<String, TableMeta>,
    ) -> Result<Tx, Error> {
        let root = repo.working_root(branch)?;
        Ok(Tx {
            base: root.clone(),
            root,
            tables: BTreeMap::new(),
            metas,
            gc_marker: repo.gc_marker(),
        })
    }

    /// Writes the transaction's changes and makes them `branch`'s working root (merged with
    /// what others committed since it began); with `dolt_commit`, a transaction that changed
    /// the working root also commits every change on the branch, in the same publish.
    pub fn commit(
        &mut self,
        store: &mut dyn ChunkStore,
        branch: &str,
        dolt_commit: Option<&CommitOptions>,
    ) -> Result<(), Error> {
        let ours = self.flush(store)?;
        super::workspace::publish_working_root(
            store,
            branch,
            &self.base,
            &ours,
            self.gc_marker,
            dolt_commit,
        )
    }

    /// Whether a table holds row changes not yet written.
    pub fn dirty(&self) -> bool {
        self.tables.values().any(|t| t.dirty)
    }

    /// The stored name of a table, matched ignoring ASCII case.
    pub fn table_name(&self, name: &str) -> Option<String> {
        self.root.tables.keys().find(|n| n.eq_ignore_ascii_case(name)).cloned()
    }

    pub fn open(&mut self, store: &dyn ChunkStore, name: &str) -> Result<&mut TableData, Error> {
        let stored = self.table_name(name).ok_or_else(|| Error::no_such_table(name))?;
        if !self.tables.contains_key(&stored) {
            let table = Table::read(store, self.root.tables[&stored])?;
            let meta = match self.metas.get(&stored) {
                Some(meta) if meta.schema == table.schema => meta.clone(),
                _ => {
                    let meta = TableMeta::new(&stored, table.schema.clone())?;
                    self.metas.insert(stored.clone(), meta.clone());
                    meta
                }
            };
            self.tables.insert(stored.clone(), TableData::new(meta, table));
        }
        Ok(self.tables.get_mut(&stored).expect("inserted above"))
    }

    /// Writes every changed table and returns the root as the transaction now sees it.
    pub fn flush(&mut self, store: &mut dyn ChunkStore) -> Result<RootValue, Error> {
        for (name, data) in self.tables.iter_mut() {
            if data.dirty {
                let table = data.flush(store)?;
                let hash = table.write(store)?;
                self.root.tables.insert(name.clone(), hash);
                data.dirty = false;
            }
        }
        Ok(self.root.clone())
    }
}

/// Column names visible to expressions: (table alias, column name) per row position.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub columns: Vec<(Option<String>, String)>,
}

impl Scope {
    fn resolve(&self, column: &ColumnRef) -> Result<Option<usize>, Error> {
        let mut found = None;
        for (i, (table, name)) in self.columns.iter().enumerate() {
            if !name.eq_ignore_ascii_case(&column.column) {
                continue;
            }
            if let Some(wanted) = &column.table {
                if !table.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(wanted)) {
                    continue;
                }
            }
            if found.is_some() {
                return Err(Error::new(
                    ErrorKind::AmbiguousColumn,
                    format!("column '{}' in field list is ambiguous", column.column),
                ));
            }
            found = Some(i);
        }
        Ok(found)
    }
}

/// The row an expression is evaluated against, with the rows of enclosing queries.
pub struct Env<'a> {
    pub scope: &'a Scope,
    pub row: &'a [Datum],
    pub outer: Option<&'a Env<'a>>,
    /// Aggregate expressions of a grouped query and their values for this group.
    pub aggregates: Option<(&'a [Expr], &'a [Datum])>,
    /// The row being inserted, for `VALUES(col)` in ON DUPLICATE KEY UPDATE.
    pub inserted: Option<(&'a Scope, &'a [Datum])>,
}

impl<'a> Env<'a> {
    pub fn new(scope: &'a Scope, row: &'a [Datum]) -> Env<'a> {
        Env { scope, row, outer: None, aggregates: None, inserted: None }
    }
}

/// Rows with the names that address their columns.
type Relation = (Scope, Vec<Vec<Datum>>);
/// A group of a grouped query: a representative row and its aggregate values.
type Group = (Vec<Datum>, Vec<Datum>);

/// Everything a statement reads and writes.
pub struct Exec<'s> {
    pub store: &'s mut dyn ChunkStore,
    pub tx: &'s mut Tx,
    pub functions: FunctionContext,
    pub user_variables: &'s HashMap<String, Datum>,
    pub system_variable: &'s dyn Fn(&str, bool) -> Result<Datum, Error>,
    /// The session's database, branch and user, which version-control statements read and
    /// change (a checkout moves the session to another branch).
    pub workspace: &'s mut Workspace,
    /// The values of the statement's parameters ([`Expr::Param`]); as many as it has, which
    /// binding checked.
    pub params: &'s [Datum],
    pub undo: UndoLog,
    /// The undo steps of the row write under way, kept between rows so that a bulk load does
    /// not allocate a vector per row.
    pub(super) row_undo: Vec<Undo>,
    ctes: Vec<HashMap<String, Relation>>,
    depth: usize,
    /// Access paths chosen, kept only while EXPLAIN runs (formatting them costs allocations on
    /// every point lookup otherwise).
    pub plan: Option<Vec<String>>,
    /// Whether values being computed will be stored (INSERT values, UPDATE assignments): MySQL's
    /// strict mode then makes division by zero an error instead of NULL.
    pub(super) storing: bool,
    /// `@@foreign_key_checks`, once read.
    pub(super) foreign_key_checks: Option<bool>,
    /// Per parent table (lower case), the foreign keys that refer to it, once looked for.
    pub(super) children: Option<HashMap<String, Vec<(String, usize)>>>,
}

/// A query's output.
#[derive(Clone, Debug, Default)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Datum>>,
}

fn truth(value: &Datum) -> Option<bool> {
    value.truth()
}

fn bool_datum(value: Option<bool>) -> Datum {
    match value {
        None => Datum::Null,
        Some(b) => Datum::Int(i64::from(b)),
    }
}

impl<'s> Exec<'s> {
    pub fn new(
        store: &'s mut dyn ChunkStore,
        tx: &'s mut Tx,
        functions: FunctionContext,
        user_variables: &'s HashMap<String, Datum>,
        system_variable: &'s dyn Fn(&str, bool) -> Result<Datum, Error>,
        workspace: &'s mut Workspace,
        params: &'s [Datum],
    ) -> Exec<'s> {
        Exec {
            store,
            tx,
            functions,
            user_variables,
            system_variable,
            workspace,
            params,
            undo: UndoLog::default(),
            row_undo: Vec::new(),
            ctes: Vec::new(),
            depth: 0,
            plan: None,
            storing: false,
            foreign_key_checks: None,
            children: None,
        }
    }

    /// Undoes this statement's writes (in reverse order).
    pub fn rollback_statement(&mut self) {
        for (table, steps) in self.undo.take_newest_first() {
            if let Some(data) = self.tx.tables.get_mut(&table) {
                steps.for_each(|step| data.undo(step));
            }
        }
    }

    // ---------------------------------------------------------------- expressions

    pub fn eval(&mut self, expr: &Expr, env: &Env) -> Result<Datum, Error> {
        Ok(match expr {
            Expr::Literal(value) => value.clone(),
            Expr::Param(at) => self.params[*at].clone(),
            Expr::Column(column) => self.column(column, env)?,
            Expr::UserVariable(name) => {
                self.user_variables.get(name).cloned().unwrap_or(Datum::Null)
            }
            Expr::SystemVariable { name, global } => match super::dolt::variable(self, name) {
                Some(value) => value?,
                None => (self.system_variable)(name, *global)?,
            },
            Expr::Unary(op, inner) => {
                let value = self.eval(inner, env)?;
                match op {
                    UnaryOp::Neg => value.neg()?,
                    UnaryOp::Not => bool_datum(truth(&value).map(|b| !b)),
                    UnaryOp::BitNot => match value.to_i64()? {
                        None => Datum::Null,
                        Some(n) => Datum::UInt(!(n as u64)),
                    },
                }
            }
            Expr::Binary(op, left, right) => self.binary(*op, left, right, env)?,
            Expr::IsNull { expr, negated } => {
                Datum::Int(i64::from(self.eval(expr, env)?.is_null() != *negated))
            }
            Expr::IsBool { expr, value, negated } => {
                let is = truth(&self.eval(expr, env)?) == Some(*value);
                Datum::Int(i64::from(is != *negated))
            }
            Expr::InList { expr, list, negated } if matches!(**expr, Expr::Row(_)) => {
                let Expr::Row(items) = &**expr else { unreachable!("matched above") };
                let mut candidates = Vec::with_capacity(list.len());
                for candidate in list {
                    let Expr::Row(values) = candidate else {
                        return Err(Error::new(
                            ErrorKind::ColumnCount,
                            format!("Operand should contain {} column(s)", items.len()),
                        ));
                    };
                    let mut row = Vec::with_capacity(values.len());
                    for value in values {
                        row.push(self.eval(value, env)?);
                    }
                    candidates.push(row);
                }
                self.row_in(items, candidates, *negated, env)?
            }
            Expr::InSubquery { expr, query, negated } if matches!(**expr, Expr::Row(_)) => {
                let Expr::Row(items) = &**expr else { unreachable!("matched above") };
                let rows = self.subquery(query, env)?;
                if rows.columns.len() != items.len() {
                    return Err(Error::new(
                        ErrorKind::ColumnCount,
                        format!("Operand should contain {} column(s)", items.len()),
                    ));
                }
                self.row_in(items, rows.rows, *negated, env)?
            }
            Expr::InList { expr, list, negated } => {
                let value = self.eval(expr, env)?;
                let mut candidates = Vec::with_capacity(list.len());
                for item in list {
                    candidates.push(self.eval(item, env)?);
                }
                in_values(&value, &candidates, *negated)
            }
            Expr::InSubquery { expr, query, negated } => {
                let value = self.eval(expr, env)?;
                let rows = self.subquery(query, env)?;
                let width = match &value {
                    Datum::Null => rows.columns.len(),
                    _ => 1,
                };
                if rows.columns.len() != width {
                    return Err(Error::new(
                        ErrorKind::ColumnCount,
                        "Operand should contain 1 column(s)",
                    ));
                }
                let candidates: Vec<Datum> =
                    rows.rows.into_iter().map(|mut r| r.swap_remove(0)).collect();
                in_values(&value, &candidates, *negated)
            }
            Expr::Exists { query, negated } => {
                let rows = self.subquery(query, env)?;
                Datum::Int(i64::from(rows.rows.is_empty() == *negated))
            }
            Expr::Subquery(query) => {
                let rows = self.subquery(query, env)?;
                if rows.columns.len() != 1 {
                    return Err(Error::new(
                        ErrorKind::ColumnCount,
                        "Operand should contain 1 column(s)",
                    ));
                }
                match rows.rows.len() {
                    0 => Datum::Null,
                    1 => rows.rows.into_iter().next().expect("one row").swap_remove(0),
                    _ => {
                        return Err(Error::new(
                            ErrorKind::SubqueryRows,
                            "Subquery returns more than 1 row",
                        ))
                    }
                }
            }
            Expr::Between { expr, low, high, negated } => {
                let value = self.eval(expr, env)?;
                let low = self.eval(low, env)?;
                let high = self.eval(high, env)?;
                let above = value.sql_cmp(&low).map(|o| o != Ordering::Less);
                let below = value.sql_cmp(&high).map(|o| o != Ordering::Greater);
                let inside = and3(above, below);
                bool_datum(inside.map(|b| b != *negated))
            }
            Expr::Like { expr, pattern, escape, negated } => {
                let value = self.eval(expr, env)?;
                let pattern = self.eval(pattern, env)?;
                match (value.to_text(), pattern.to_text()) {
                    (Some(v), Some(p)) => {
                        Datum::Int(i64::from(like(&v, &p, escape.unwrap_or('\\')) != *negated))
                    }
                    _ => Datum::Null,
                }
            }
            Expr::Case { operand, whens, otherwise } => {
                let subject = operand.as_ref().map(|o| self.eval(o, env)).transpose()?;
                for (when, then) in whens {
                    let value = self.eval(when, env)?;
                    let hit = match &subject {
                        Some(subject) => subject.sql_cmp(&value) == Some(Ordering::Equal),
                        None => truth(&value) == Some(true),
                    };
                    if hit {
                        return self.eval(then, env);
                    }
                }
                match otherwise {
                    Some(e) => self.eval(e, env)?,
                    None => Datum::Null,
                }
            }
            Expr::Cast { expr, to } => self.eval(expr, env)?.cast(to)?,
            Expr::Function { name, args } => {
                // IF / IFNULL / COALESCE evaluate lazily only in MySQL's error behaviour; the
                // values are the same, so arguments are evaluated eagerly.
                let mut values = Vec::with_capacity(args.len());
                for arg in args {
                    values.push(self.eval(arg, env)?);
                }
                match name.as_str() {
                    "database" | "schema" => Datum::Text(self.workspace.database.clone()),
                    "last_insert_id" if values.is_empty() => {
                        (self.system_variable)("last_insert_id", false)?
                    }
                    _ if super::dolt::is_function(name) => {
                        super::dolt::function(self, name, values)?
                    }
                    _ => functions::call(name, values, &self.functions)?,
                }
            }
            Expr::Aggregate { .. } => {
                let mut current = Some(env);
                while let Some(e) = current {
                    if let Some((exprs, values)) = e.aggregates {
                        if let Some(i) = exprs.iter().position(|a| a == expr) {
                            return Ok(values[i].clone());
                        }
                    }
                    current = e.outer;
                }
                return Err(Error::new(ErrorKind::Unsupported, "Invalid use of group function"));
            }
            Expr::Row(items) => {
                if items.len() == 1 {
                    return self.eval(&items[0], env);
                }
                return Err(Error::new(
                    ErrorKind::ColumnCount,
                    "Operand should contain 1 column(s)",
                ));
            }
            Expr::InsertedValue(column) => match env.inserted {
                Some((scope, row)) => {
                    let reference = ColumnRef { table: None, column: column.clone() };
                    match scope.resolve(&reference)? {
                        Some(i) => row[i].clone(),
                        None => return Err(Error::no_such_column(column)),
                    }
                }
                None => Datum::Null,
            },
            Expr::Default => {
                return Err(Error::unsupported("DEFAULT outside INSERT and UPDATE values"))
            }
        })
    }

    fn column(&mut self, column: &ColumnRef, env: &Env) -> Result<Datum, Error> {
        let mut current = Some(env);
        while let Some(e) = current {
            if let Some(i) = e.scope.resolve(column)? {
                return Ok(e.row[i].clone());
            }
            current = e.outer;
        }
        let name = match &column.table {
            Some(t) => format!("{t}.{}", column.column),
            None => column.column.clone(),
        };
        Err(Error::new(ErrorKind::NoSuchColumn, format!("unknown column '{name}'")))
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
        env: &Env,
    ) -> Result<Datum, Error> {
        if let (Expr::Row(a), Expr::Row(b)) = (left, right) {
            return self.row_compare(op, a, b, env);
        }
        match op {
            BinaryOp::And => {
                let l = truth(&self.eval(left, env)?);
                if l == Some(false) {
                    return Ok(Datum::Int(0));
                }
                let r = truth(&self.eval(right, env)?);
                return Ok(bool_datum(and3(l, r)));
            }
            BinaryOp::Or => {
                let l = truth(&self.eval(left, env)?);
                if l == Some(true) {
                    return Ok(Datum::Int(1));
                }
                let r = truth(&self.eval(right, env)?);
                return Ok(bool_datum(match (l, r) {
                    (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                }));
            }
            _ => {}
        }
        let l = self.eval(left, env)?;
        let r = self.eval(right, env)?;
        let value = compare_or_compute(op, &l, &r)?;
        let division = matches!(op, BinaryOp::Div | BinaryOp::IntDiv | BinaryOp::Rem);
        if self.storing && division && value.is_null() && !l.is_null() && !r.is_null() {
            return Err(Error::new(ErrorKind::DivisionByZero, "Division by 0"));
        }
        Ok(value)
    }

    fn row_compare(
        &mut self,
        op: BinaryOp,
        a: &[Expr],
        b: &[Expr],
        env: &Env,
    ) -> Result<Datum, Error> {
        if a.len() != b.len() {
            return Err(Error::new(
                ErrorKind::ColumnCount,
                format!("Operand should contain {} column(s)", a.len()),
            ));
        }
        let mut left = Vec::with_capacity(a.len());
        let mut right = Vec::with_capacity(b.len());
        for (x, y) in a.iter().zip(b) {
            left.push(self.eval(x, env)?);
            right.push(self.eval(y, env)?);
        }
        let result = match op {
            BinaryOp::Eq => rows_equal(&left, &right),
            BinaryOp::NotEq => rows_equal(&left, &right).map(|eq| !eq),
            BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => {
                // Lexicographic: the first pair that differs decides; a NULL before it makes
                // the answer unknown.
                let mut decided = Some(Ordering::Equal);
                for (x, y) in left.iter().zip(&right) {
                    decided = x.sql_cmp(y);
                    if decided != Some(Ordering::Equal) {
                        break;
                    }
                }
                decided.map(|o| match op {
                    BinaryOp::Lt => o == Ordering::Less,
                    BinaryOp::LtEq => o != Ordering::Greater,
                    BinaryOp::Gt => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                })
            }
            _ => return Err(Error::unsupported("this comparison of rows")),
        };
        Ok(bool_datum(result))
    }

    /// `(a, b) IN (...)`: whether the row equals one of the candidate rows, three-valued.
    fn row_in(
        &mut self,
        items: &[Expr],
        candidates: Vec<Vec<Datum>>,
        negated: bool,
        env: &Env,
    ) -> Result<Datum, Error> {
        let mut row = Vec::with_capacity(items.len());
        for item in items {
            row.push(self.eval(item, env)?);
        }
        let mut found = Some(false);
        for candidate in &candidates {
            if candidate.len() != row.len() {
                return Err(Error::new(
                    ErrorKind::ColumnCount,
                    format!("Operand should contain {} column(s)", row.len()),
                ));
            }
            found = match (found, rows_equal(&row, candidate)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            };
        }
        Ok(bool_datum(found.map(|f| f != negated)))
    }

    fn subquery(&mut self, query: &Query, env: &Env) -> Result<Rows, Error> {
        self.query(query, Some(env))
    }

    // ---------------------------------------------------------------- queries

    pub fn query(&mut self, query: &Query, outer: Option<&Env>) -> Result<Rows, Error> {
        if self.depth >= QUERY_DEPTH_MAX {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!("queries nested deeper than {QUERY_DEPTH_MAX}"),
            ));
        }
        self.depth += 1;
        let result = self.query_inner(query, outer);
        self.depth -= 1;
        result
    }

    fn query_inner(&mut self, query: &Query, outer: Option<&Env>) -> Result<Rows, Error> {
        let pushed = !query.with.is_empty();
        if pushed {
            self.ctes.push(HashMap::new());
            for (name, cte) in &query.with {
                let rows = self.query(cte, outer)?;
                let scope = Scope {
                    columns: rows
                        .columns
                        .iter()
                        .map(|c| (Some(name.to_lowercase()), c.clone()))
                        .collect(),
                };
                self.ctes
                    .last_mut()
                    .expect("pushed")
                    .insert(name.to_lowercase(), (scope, rows.rows));
            }
        }
        let result = self.query_body(query, outer);
        if pushed {
            self.ctes.pop();
        }
        result
    }

    fn query_body(&mut self, query: &Query, outer: Option<&Env>) -> Result<Rows, Error> {
        let limit = self.limit_value(query.limit.as_ref())?;
        let offset = self.limit_value(query.offset.as_ref())?.unwrap_or(0);
        if let SetExpr::Select(select) = &query.body {
            return self.select(select, &query.order_by, limit, offset, outer);
        }
        let mut rows = self.set_expr(&query.body, outer)?;
        if !query.order_by.is_empty() {
            let scope = Scope { columns: rows.columns.iter().map(|c| (None, c.clone())).collect() };
            let mut keyed = Vec::with_capacity(rows.rows.len());
            for row in std::mem::take(&mut rows.rows) {
                let mut keys = Vec::new();
                for item in &query.order_by {
                    let env = Env { outer, ..Env::new(&scope, &row) };
                    keys.push(match &item.expr {
                        Expr::Literal(Datum::Int(n)) if *n >= 1 && (*n as usize) <= row.len() => {
                            row[*n as usize - 1].clone()
                        }
                        other => self.eval(other, &env)?,
                    });
                }
                keyed.push((keys, row));
            }
            sort_keyed(&mut keyed, &query.order_by);
            rows.rows = keyed.into_iter().map(|(_, r)| r).collect();
        }
        rows.rows = rows.rows.into_iter().skip(offset).take(limit.unwrap_or(usize::MAX)).collect();
        Ok(rows)
    }

    fn limit_value(&mut self, expr: Option<&Expr>) -> Result<Option<usize>, Error> {
        let Some(expr) = expr else { return Ok(None) };
        let scope = Scope::default();
        let value = self.eval(expr, &Env::new(&scope, &[]))?;
        match value.to_i64()? {
            Some(n) if n >= 0 => Ok(Some(n as usize)),
            _ => {
                Err(Error::new(ErrorKind::BadValue, "LIMIT and OFFSET take a non-negative integer"))
            }
        }
    }

    fn set_expr(&mut self, body: &SetExpr, outer: Option<&Env>) -> Result<Rows, Error> {
        match body {
            SetExpr::Select(select) => self.select(select, &[], None, 0, outer),
            SetExpr::Query(query) => self.query(query, outer),
            SetExpr::Values(rows) => {
                let scope = Scope::default();
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let env = Env { outer, ..Env::new(&scope, &[]) };
                    let mut values = Vec::with_capacity(row.len());
                    for e in row {
                        values.push(self.eval(e, &env)?);
                    }
                    if out.first().is_some_and(|first: &Vec<Datum>| first.len() != values.len()) {
                        return Err(Error::new(
                            ErrorKind::ColumnCount,
                            "Column count doesn't match value count",
                        ));
                    }
                    out.push(values);
                }
                let width = out.first().map_or(0, Vec::len);
                Ok(Rows { columns: (0..width).map(|i| format!("column_{i}")).collect(), rows: out })
            }
            SetExpr::SetOperation { op, left, right, all } => {
                let mut l = self.set_expr(left, outer)?;
                let r = self.set_expr(right, outer)?;
                if l.columns.len() != r.columns.len() {
                    return Err(Error::new(
                        ErrorKind::ColumnCount,
                        "The used SELECT statements have a different number of columns",
                    ));
                }
                let key = |row: &[Datum]| row.iter().map(Datum::group_key).collect::<Vec<_>>();
                if *op == SetOperator::Union {
                    l.rows.extend(r.rows);
                } else {
                    // How many times each right row may still meet a left one: once per
                    // occurrence with ALL (multiset semantics), else without bound.
                    let mut counts: HashMap<Vec<GroupKey>, usize> = HashMap::new();
                    for row in &r.rows {
                        *counts.entry(key(row)).or_default() += 1;
                    }
                    let keep_matched = *op == SetOperator::Intersect;
                    l.rows.retain(|row| match counts.get_mut(&key(row)) {
                        Some(count) if *count > 0 => {
                            if *all {
                                *count -= 1;
                            }
                            keep_matched
                        }
                        _ => !keep_matched,
                    });
                }
                if !all {
                    let mut seen = HashSet::new();
                    l.rows.retain(|row| seen.insert(key(row)));
                }
                Ok(l)
            }
        }
    }

    fn select(
        &mut self,
        select: &Select,
        order_by: &[OrderItem],
        limit: Option<usize>,
        offset: usize,
        outer: Option<&Env>,
    ) -> Result<Rows, Error> {
        let (scope, mut rows) = match &select.from {
            None => (Scope::default(), vec![Vec::new()]),
            Some(from) => self.from(from, select.filter.as_ref(), outer, false)?,
        };
        // Names are checked before any row is seen, so a query over no rows reports them too.
        let items = select.items.iter().filter_map(|item| match item {
            SelectItem::Expr { expr, .. } => Some(expr),
            _ => None,
        });
        check_columns(&scope, outer, items.chain(&select.filter), &[])?;
        let mut output_names: Vec<&str> = Vec::new();
        for item in &select.items {
            if let SelectItem::Expr { alias, text, .. } = item {
                output_names.extend(alias.as_deref());
                output_names.push(text);
            }
        }
        let late =
            select.group_by.iter().chain(&select.having).chain(order_by.iter().map(|o| &o.expr));
        check_columns(&scope, outer, late, &output_names)?;
        if let Some(filter) = &select.filter {
            let mut kept = Vec::with_capacity(rows.len());
            for row in rows {
                let env = Env { outer, ..Env::new(&scope, &row) };
                if truth(&self.eval(filter, &env)?) == Some(true) {
                    kept.push(row);
                }
            }
            rows = kept;
        }
        // Aggregates anywhere in the select list, HAVING or ORDER BY make the query grouped.
        let mut aggregates = Vec::new();
        for item in &select.items {
            if let SelectItem::Expr { expr, .. } = item {
                collect_aggregates(expr, &mut aggregates);
            }
        }
        if let Some(having) = &select.having {
            collect_aggregates(having, &mut aggregates);
        }
        for item in order_by {
            collect_aggregates(&item.expr, &mut aggregates);
        }
        let grouped = !select.group_by.is_empty() || !aggregates.is_empty();
        // Each output group: a representative row and its aggregate values.
        let groups: Vec<(Vec<Datum>, Vec<Datum>)> = if grouped {
            self.group(&scope, rows, select, &aggregates, outer)?
        } else {
            rows.into_iter().map(|r| (r, Vec::new())).collect()
        };
        let mut columns = Vec::new();
        for item in &select.items {
            match item {
                SelectItem::Wildcard => {
                    columns.extend(scope.columns.iter().map(|(_, c)| c.clone()))
                }
                SelectItem::QualifiedWildcard(table) => {
                    let before = columns.len();
                    columns.extend(
                        scope
                            .columns
                            .iter()
                            .filter(|(t, _)| {
                                t.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(table))
                            })
                            .map(|(_, c)| c.clone()),
                    );
                    if columns.len() == before {
                        return Err(Error::no_such_table(table));
                    }
                }
                SelectItem::Expr { text, .. } => columns.push(text.clone()),
            }
        }
        let output_scope = Scope { columns: columns.iter().map(|c| (None, c.clone())).collect() };
        let mut keyed = Vec::with_capacity(groups.len());
        for (row, aggregate_values) in &groups {
            let env = Env {
                scope: &scope,
                row,
                outer,
                aggregates: grouped.then_some((aggregates.as_slice(), aggregate_values.as_slice())),
                inserted: None,
            };
            if let Some(having) = &select.having {
                let value = match self.eval(having, &env) {
                    Err(e) if e.kind == ErrorKind::NoSuchColumn => {
                        // HAVING may name select-list aliases.
                        let projected = self.project(select, &scope, &env)?;
                        let alias_env =
                            Env { outer: Some(&env), ..Env::new(&output_scope, &projected) };
                        self.eval(having, &alias_env)?
                    }
                    other => other?,
                };
                if truth(&value) != Some(true) {
                    continue;
                }
            }
            let projected = self.project(select, &scope, &env)?;
            let mut keys = Vec::with_capacity(order_by.len());
            for item in order_by {
                keys.push(self.order_key(&item.expr, &projected, &output_scope, select, &env)?);
            }
            keyed.push((keys, projected));
            if keyed.len() > RESULT_ROWS_MAX {
                return Err(Error::new(ErrorKind::LimitExceeded, "the result has too many rows"));
            }
        }
        if select.distinct {
            let mut seen = HashSet::new();
            keyed.retain(|(_, row)| {
                seen.insert(row.iter().map(Datum::group_key).collect::<Vec<GroupKey>>())
            });
        }
        if !order_by.is_empty() {
            sort_keyed(&mut keyed, order_by);
        }
        let rows = keyed
            .into_iter()
            .map(|(_, r)| r)
            .skip(offset)
            .take(limit.unwrap_or(usize::MAX))
            .collect();
        Ok(Rows { columns, rows })
    }

    fn project(&mut self, select: &Select, scope: &Scope, env: &Env) -> Result<Vec<Datum>, Error> {
        let mut out = Vec::with_capacity(select.items.len());
        for item in &select.items {
            match item {
                SelectItem::Wildcard => out.extend(env.row.iter().cloned()),
                SelectItem::QualifiedWildcard(table) => {
                    for (i, (t, _)) in scope.columns.iter().enumerate() {
                        if t.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(table)) {
                            out.push(env.row[i].clone());
                        }
                    }
                }
                SelectItem::Expr { expr, .. } => out.push(self.eval(expr, env)?),
            }
        }
        Ok(out)
    }

    fn order_key(
        &mut self,
        expr: &Expr,
        projected: &[Datum],
        output: &Scope,
        select: &Select,
        env: &Env,
    ) -> Result<Datum, Error> {
        match expr {
            Expr::Literal(Datum::Int(n)) if *n >= 1 && (*n as usize) <= projected.len() => {
                return Ok(projected[*n as usize - 1].clone());
            }
            Expr::Column(ColumnRef { table: None, column }) => {
                let aliased = select.items.iter().position(|item| {
                    matches!(item, SelectItem::Expr { alias: Some(a), .. } if a.eq_ignore_ascii_case(column))
                });
                if let Some(i) = aliased {
                    // Wildcards before the alias shift positions; count output columns instead.
                    let position = output
                        .columns
                        .iter()
                        .position(|(_, c)| c.eq_ignore_ascii_case(column))
                        .unwrap_or(i);
                    return Ok(projected[position].clone());
                }
            }
            _ => {}
        }
        self.eval(expr, env)
    }

    fn group(
        &mut self,
        scope: &Scope,
        rows: Vec<Vec<Datum>>,
        select: &Select,
        aggregates: &[Expr],
        outer: Option<&Env>,
    ) -> Result<Vec<Group>, Error> {
        let mut order: Vec<Vec<GroupKey>> = Vec::new();
        let mut groups: HashMap<Vec<GroupKey>, (Vec<Datum>, Vec<Accumulator>)> = HashMap::new();
        for row in rows {
            let env = Env { outer, ..Env::new(scope, &row) };
            let mut key = Vec::with_capacity(select.group_by.len());
            for expr in &select.group_by {
                let value = match expr {
                    // GROUP BY 1 names the first select item.
                    Expr::Literal(Datum::Int(n))
                        if *n >= 1 && (*n as usize) <= select.items.len() =>
                    {
                        match &select.items[*n as usize - 1] {
                            SelectItem::Expr { expr, .. } => self.eval(expr, &env)?,
                            _ => return Err(Error::unsupported("GROUP BY a wildcard position")),
                        }
                    }
                    Expr::Column(c) if c.table.is_none() && scope.resolve(c)?.is_none() => {
                        match select_alias(select, &c.column) {
                            Some(e) => self.eval(e, &env)?,
                            None => self.eval(expr, &env)?,
                        }
                    }
                    other => self.eval(other, &env)?,
                };
                key.push(value.group_key());
            }
            let mut values = Vec::with_capacity(aggregates.len());
            for aggregate in aggregates {
                let Expr::Aggregate { args, order_by, .. } = aggregate else {
                    unreachable!("collected")
                };
                // The ORDER BY keys of GROUP_CONCAT travel after its arguments.
                let mut arg_values = Vec::with_capacity(args.len() + order_by.len());
                for arg in args.iter().chain(order_by.iter().map(|item| &item.expr)) {
                    arg_values.push(self.eval(arg, &env)?);
                }
                values.push(arg_values);
            }
            let entry = groups.entry(key.clone()).or_insert_with(|| {
                order.push(key);
                (row.clone(), aggregates.iter().map(Accumulator::new).collect())
            });
            for (accumulator, args) in entry.1.iter_mut().zip(values) {
                accumulator.add(args)?;
            }
        }
        if groups.is_empty() && select.group_by.is_empty() {
            // An aggregate over no rows still gives one row.
            let empty = vec![Datum::Null; scope.columns.len()];
            let values = aggregates
                .iter()
                .map(|a| Accumulator::new(a).finish())
                .collect::<Result<_, _>>()?;
            return Ok(vec![(empty, values)]);
        }
        let mut out = Vec::with_capacity(order.len());
        for key in order {
            let (row, accumulators) = groups.remove(&key).expect("recorded");
            let values =
                accumulators.into_iter().map(Accumulator::finish).collect::<Result<_, _>>()?;
            out.push((row, values));
        }
        Ok(out)
    }

    /// Rows of a FROM clause. `filter` (the WHERE clause) guides a table's access path; inside
    /// joins (`apply`) its conjuncts are also applied as soon as their columns are joined, so
    /// a join of many tables never holds the cross product of all of them. The caller still
    /// applies the whole filter.
    fn from(
        &mut self,
        from: &TableRef,
        filter: Option<&Expr>,
        outer: Option<&Env>,
        apply: bool,
    ) -> Result<Relation, Error> {
        match from {
            // DUAL is MySQL's name for "no table": one row without columns.
            TableRef::Named { name, alias: None, revision: None }
                if name.eq_ignore_ascii_case("dual") && self.tx.table_name(name).is_none() =>
            {
                Ok((Scope::default(), vec![Vec::new()]))
            }
            TableRef::Named { name, alias, revision: Some(revision) }
                if !super::dolt::is_own_branch(self, revision) =>
            {
                let label = alias.clone().unwrap_or_else(|| name.clone()).to_lowercase();
                let (columns, rows) = match revision {
                    Revision::AsOf(expr) => {
                        let scope = Scope::default();
                        let value = self.eval(expr, &Env { outer, ..Env::new(&scope, &[]) })?;
                        super::dolt::read_as_of(self, name, &value)?
                    }
                    Revision::Database(text) => super::dolt::read_revision(self, name, text)?,
                };
                self.relation(label, columns, rows, filter, outer, apply)
            }
            TableRef::Function { name, args, alias } => {
                let label = alias.clone().unwrap_or_else(|| name.clone()).to_lowercase();
                let empty = Scope::default();
                let env = Env { outer, ..Env::new(&empty, &[]) };
                let values = args.iter().map(|a| self.eval(a, &env)).collect::<Result<_, _>>()?;
                let (columns, rows) = super::dolt::table_function(self, name, values)?;
                self.relation(label, columns, rows, filter, outer, apply)
            }
            TableRef::Named { name, alias, .. }
                if self.tx.table_name(name).is_none() && !self.has_cte(name) =>
            {
                let label = alias.clone().unwrap_or_else(|| name.clone()).to_lowercase();
                let (columns, rows) = super::dolt::system_table(self, name, filter, outer)?;
                self.relation(label, columns, rows, filter, outer, apply)
            }
            TableRef::Named { name, alias, .. } => {
                let label = alias.clone().unwrap_or_else(|| name.clone()).to_lowercase();
                if let Some((scope, rows)) = self.cte(name) {
                    let scope = Scope {
                        columns: scope
                            .columns
                            .iter()
                            .map(|(_, c)| (Some(label.clone()), c.clone()))
                            .collect(),
                    };
                    return Ok((scope, rows));
                }
                let (columns, rows) = self.read_table(name, &label, filter, outer)?;
                self.relation(label, columns, rows, filter, outer, apply)
            }
            TableRef::Derived { query, alias } => {
                let rows = self.query(query, outer)?;
                let label = alias.to_lowercase();
                let scope = Scope {
                    columns: rows.columns.into_iter().map(|c| (Some(label.clone()), c)).collect(),
                };
                Ok((scope, rows.rows))
            }
            TableRef::Join { kind: JoinKind::Inner | JoinKind::Cross, .. } => {
                self.inner_joins(from, filter, outer)
            }
            TableRef::Join { left, right, kind, on } => {
                // An outer join keeps every row of its preserved side and pads the other with
                // NULLs, so WHERE conjuncts may filter only the preserved input early.
                let right_preserved = *kind == JoinKind::Right;
                let (left_scope, left_rows) =
                    self.from(left, filter.filter(|_| !right_preserved), outer, true)?;
                let (right_scope, right_rows) =
                    self.from(right, filter.filter(|_| right_preserved), outer, true)?;
                let mut scope = left_scope.clone();
                scope.columns.extend(right_scope.columns.iter().cloned());
                let (kept_scope, kept_rows, other_scope, other_rows) = if right_preserved {
                    (&right_scope, &right_rows, &left_scope, &left_rows)
                } else {
                    (&left_scope, &left_rows, &right_scope, &right_rows)
                };
                let hashed = self.hash_right(
                    on.iter().flat_map(conjuncts_of),
                    kept_scope,
                    other_scope,
                    other_rows,
                    outer,
                )?;
                let everything: Vec<usize> = (0..other_rows.len()).collect();
                let padding = vec![Datum::Null; other_scope.columns.len()];
                let mut out = Vec::new();
                for kept in kept_rows {
                    let partners = match &hashed {
                        Some(hashed) => {
                            let env = Env { outer, ..Env::new(kept_scope, kept) };
                            hashed.partners(&self.eval(hashed.left_key, &env)?, &everything)
                        }
                        None => &everything,
                    };
                    let joined = |other: &[Datum]| -> Vec<Datum> {
                        let (l, r) =
                            if right_preserved { (other, &kept[..]) } else { (&kept[..], other) };
                        l.iter().chain(r).cloned().collect()
                    };
                    let mut any = false;
                    'partners: for other in partners.iter().map(|&i| &other_rows[i]) {
                        let row = joined(other);
                        let env = Env { outer, ..Env::new(&scope, &row) };
                        if let Some(condition) = on {
                            if truth(&self.eval(condition, &env)?) != Some(true) {
                                continue 'partners;
                            }
                        }
                        any = true;
                        out.push(row);
                        if out.len() > JOIN_ROWS_MAX {
                            return Err(Error::new(
                                ErrorKind::LimitExceeded,
                                "a join of too many rows",
                            ));
                        }
                    }
                    if !any {
                        out.push(joined(&padding));
                    }
                }
                Ok((scope, out))
            }
        }
    }

    /// A table's rows under the label that addresses them, filtered when `apply` says so.
    fn relation(
        &mut self,
        label: String,
        columns: Vec<String>,
        rows: Vec<Vec<Datum>>,
        filter: Option<&Expr>,
        outer: Option<&Env>,
        apply: bool,
    ) -> Result<Relation, Error> {
        let scope =
            Scope { columns: columns.into_iter().map(|c| (Some(label.clone()), c)).collect() };
        let rows = match filter {
            Some(filter) if apply => self.keep_matching(&scope, rows, filter, outer)?,
            _ => rows,
        };
        Ok((scope, rows))
    }

    /// Rows of a tree of inner and cross joins, joined in an order chosen from the data: the
    /// smallest input first, then always the smallest input that an equality links to what is
    /// joined so far, so a chain of equi-joins written in any order never builds a cross
    /// product. ON conditions and WHERE conjuncts (equivalent for inner joins) are applied as
    /// soon as their columns are joined; the columns come out in the FROM clause's order.
    fn inner_joins(
        &mut self,
        from: &TableRef,
        filter: Option<&Expr>,
        outer: Option<&Env>,
    ) -> Result<Relation, Error> {
        let mut leaves = Vec::new();
        let mut on = Vec::new();
        flatten_inner_joins(from, &mut leaves, &mut on);
        // ON conditions must hold in the result; WHERE conjuncts are re-checked by the caller.
        let required = on.len();
        let conditions: Vec<&Expr> = on
            .iter()
            .map(|(c, _)| *c)
            .chain(filter.map(conjuncts_of).unwrap_or_default())
            .collect();
        let mut applied = vec![false; conditions.len()];
        let guide = conditions
            .iter()
            .map(|&c| c.clone())
            .reduce(|a, b| Expr::Binary(BinaryOp::And, Box::new(a), Box::new(b)));
        let mut scopes = Vec::with_capacity(leaves.len());
        let mut inputs = Vec::with_capacity(leaves.len());
        for leaf in &leaves {
            let (scope, mut rows) = self.from(leaf, guide.as_ref(), outer, false)?;
            if let Some(guide) = &guide {
                rows = self.keep_matching(&scope, rows, guide, outer)?;
                for (c, done) in conditions.iter().zip(applied.iter_mut()) {
                    *done |= resolvable(c, &scope);
                }
            }
            scopes.push(scope);
            inputs.push(Some(rows));
        }
        // An ON condition may name only the inputs of its own join, as MySQL checks.
        for (condition, range) in &on {
            let visible = Scope {
                columns: scopes[range.clone()]
                    .iter()
                    .flat_map(|s| s.columns.iter().cloned())
                    .collect(),
            };
            check_columns(&visible, outer, [*condition], &[])?;
        }
        let smallest = |inputs: &[Option<Vec<Vec<Datum>>>], allowed: &dyn Fn(usize) -> bool| {
            (0..inputs.len())
                .filter(|&i| allowed(i))
                .filter_map(|i| inputs[i].as_ref().map(|rows| (rows.len(), i)))
                .min()
                .map(|(_, i)| i)
        };
        let first = smallest(&inputs, &|_| true).expect("a join has inputs");
        let mut order = vec![first];
        let mut scope = scopes[first].clone();
        let mut rows = inputs[first].take().expect("each input is joined once");
        while order.len() < leaves.len() {
            let linked = |i: usize| {
                conditions
                    .iter()
                    .zip(&applied)
                    .any(|(c, done)| !done && equality_between(c, &scope, &scopes[i]).is_some())
            };
            let next = smallest(&inputs, &linked)
                .or_else(|| smallest(&inputs, &|_| true))
                .expect("an input is left");
            let right_scope = &scopes[next];
            let right_rows = inputs[next].take().expect("each input is joined once");
            let mut combined = scope.clone();
            combined.columns.extend(right_scope.columns.iter().cloned());
            let mut now = Vec::new();
            for (c, done) in conditions.iter().zip(applied.iter_mut()) {
                if !*done && resolvable(c, &combined) {
                    *done = true;
                    now.push(*c);
                }
            }
            let hashed =
                self.hash_right(now.iter().copied(), &scope, right_scope, &right_rows, outer)?;
            if let Some(plan) = &mut self.plan {
                plan.push(format!(
                    "join {} by {}",
                    leaf_label(leaves[next]),
                    if hashed.is_some() { "hash" } else { "nested loop" }
                ));
            }
            let everything: Vec<usize> = (0..right_rows.len()).collect();
            let mut out = Vec::new();
            for l in &rows {
                let partners = match &hashed {
                    Some(hashed) => {
                        let env = Env { outer, ..Env::new(&scope, l) };
                        hashed.partners(&self.eval(hashed.left_key, &env)?, &everything)
                    }
                    None => &everything,
                };
                'partners: for r in partners.iter().map(|&i| &right_rows[i]) {
                    let row: Vec<Datum> = l.iter().chain(r).cloned().collect();
                    let env = Env { outer, ..Env::new(&combined, &row) };
                    for condition in &now {
                        if truth(&self.eval(condition, &env)?) != Some(true) {
                            continue 'partners;
                        }
                    }
                    out.push(row);
                    if out.len() > JOIN_ROWS_MAX {
                        return Err(Error::new(
                            ErrorKind::LimitExceeded,
                            "a join of too many rows",
                        ));
                    }
                }
            }
            scope = combined;
            rows = out;
            order.push(next);
        }
        // Put the columns back in FROM order: `SELECT *` and positions depend on it.
        if order.windows(2).any(|w| w[0] > w[1]) {
            let mut starts = vec![0; leaves.len()];
            let mut at = 0;
            for &i in &order {
                starts[i] = at;
                at += scopes[i].columns.len();
            }
            let source: Vec<usize> = (0..leaves.len())
                .flat_map(|i| starts[i]..starts[i] + scopes[i].columns.len())
                .collect();
            scope = Scope { columns: scopes.into_iter().flat_map(|s| s.columns).collect() };
            rows = rows
                .into_iter()
                .map(|row| source.iter().map(|&p| row[p].clone()).collect())
                .collect();
        }
        // ON conditions no join step could evaluate (subqueries, enclosing rows) apply last.
        let rest: Vec<&Expr> =
            (0..required).filter(|&i| !applied[i]).map(|i| conditions[i]).collect();
        if !rest.is_empty() {
            let mut kept = Vec::with_capacity(rows.len());
            'rows: for row in rows {
                let env = Env { outer, ..Env::new(&scope, &row) };
                for condition in &rest {
                    if truth(&self.eval(condition, &env)?) != Some(true) {
                        continue 'rows;
                    }
                }
                kept.push(row);
            }
            rows = kept;
        }
        Ok((scope, rows))
    }

    /// Groups the right input of a join by one side of an equality between the two inputs, if
    /// the join has one, so each left row meets only its candidate partners instead of every
    /// right row. The join condition is still checked on each candidate.
    fn hash_right<'e>(
        &mut self,
        conditions: impl Iterator<Item = &'e Expr>,
        left: &Scope,
        right: &Scope,
        right_rows: &[Vec<Datum>],
        outer: Option<&Env>,
    ) -> Result<Option<HashedRows<'e>>, Error> {
        for condition in conditions {
            let Some((left_key, right_key)) = equality_between(condition, left, right) else {
                continue;
            };
            let mut buckets: HashMap<GroupKey, Vec<usize>> = HashMap::new();
            let mut kinds = HashSet::new();
            for (i, row) in right_rows.iter().enumerate() {
                let value = self.eval(right_key, &Env { outer, ..Env::new(right, row) })?;
                if value.is_null() {
                    continue;
                }
                kinds.insert(comparison_kind(&value));
                buckets.entry(value.group_key()).or_default().push(i);
            }
            // Grouping keys agree with `=` only between values of one kind ('1' = 1 holds but
            // their keys differ), so mixed kinds fall back to the nested loop.
            if kinds.len() > 1 {
                return Ok(None);
            }
            return Ok(Some(HashedRows { left_key, kind: kinds.into_iter().next(), buckets }));
        }
        Ok(None)
    }

    /// The rows for which every conjunct of `filter` that `scope` can evaluate holds.
    fn keep_matching(
        &mut self,
        scope: &Scope,
        rows: Vec<Vec<Datum>>,
        filter: &Expr,
        outer: Option<&Env>,
    ) -> Result<Vec<Vec<Datum>>, Error> {
        let conditions: Vec<&Expr> =
            conjuncts_of(filter).into_iter().filter(|c| resolvable(c, scope)).collect();
        if conditions.is_empty() {
            return Ok(rows);
        }
        let mut kept = Vec::with_capacity(rows.len());
        'rows: for row in rows {
            let env = Env { outer, ..Env::new(scope, &row) };
            for condition in &conditions {
                if truth(&self.eval(condition, &env)?) != Some(true) {
                    continue 'rows;
                }
            }
            kept.push(row);
        }
        Ok(kept)
    }

    fn has_cte(&self, name: &str) -> bool {
        let lower = name.to_lowercase();
        self.ctes.iter().any(|level| level.contains_key(&lower))
    }

    fn cte(&self, name: &str) -> Option<(Scope, Vec<Vec<Datum>>)> {
        let lower = name.to_lowercase();
        self.ctes.iter().rev().find_map(|level| level.get(&lower).cloned())
    }

    /// Reads a table's rows, by primary key or index when `filter` pins their columns to
    /// constants, else by a full scan. The filter is still applied by the caller.
    pub(super) fn read_table(
        &mut self,
        name: &str,
        label: &str,
        filter: Option<&Expr>,
        outer: Option<&Env>,
    ) -> Result<(Vec<String>, Vec<Vec<Datum>>), Error> {
        let conjuncts = filter.map(|f| conjuncts_of(f)).unwrap_or_default();
        // Constant equalities `col = value` on this table.
        let mut pinned: Vec<(String, Datum)> = Vec::new();
        for c in &conjuncts {
            if let Expr::Binary(BinaryOp::Eq, a, b) = c {
                for (col, value) in [(a, b), (b, a)] {
                    if let Expr::Column(ColumnRef { table, column }) = &**col {
                        if table.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case(label)) {
                            continue;
                        }
                        if let Some(v) = self.constant(value, outer)? {
                            pinned.push((column.clone(), v));
                        }
                    }
                }
            }
        }
        let store: &dyn ChunkStore = &*self.store;
        let data = self.tx.open(store, name)?;
        let columns: Vec<String> =
            data.meta.schema.columns.iter().map(|c| c.name.clone()).collect();
        let value_for = |column: &str| -> Option<Datum> {
            pinned.iter().find(|(c, _)| c.eq_ignore_ascii_case(column)).map(|(_, v)| v.clone())
        };
        let key_positions = data.meta.key_positions.clone();
        if !key_positions.is_empty() {
            let values: Option<Vec<Datum>> =
                key_positions.iter().map(|&p| value_for(&columns[p])).collect();
            if let Some(values) = values {
                let mut row = vec![Datum::Null; columns.len()];
                let mut ok = true;
                for (&p, v) in key_positions.iter().zip(values) {
                    match data.meta.types[p].coerce(v, &columns[p]) {
                        Ok(v) => row[p] = v,
                        Err(_) => ok = false,
                    }
                }
                // A constant that the key type cannot hold matches no row exactly; scan.
                if ok {
                    if let Some(plan) = &mut self.plan {
                        plan.push(format!("{label}: primary key lookup"));
                    }
                    let key = data.meta.key_of(&row)?;
                    let found = data.get_row(store, &key)?;
                    return Ok((columns, found.into_iter().collect()));
                }
            }
        }
        for (i, index) in data.meta.schema.indexes.iter().enumerate() {
            let mut values = Vec::new();
            for &p in &data.meta.index_positions[i] {
                match value_for(&columns[p]) {
                    Some(v) => match data.meta.types[p].coerce(v, &columns[p]) {
                        Ok(v) if !v.is_null() => values.push(v),
                        _ => break,
                    },
                    None => break,
                }
            }
            if values.is_empty() {
                continue;
            }
            let prefix = data.index_values_prefix(i, &values)?;
            let keys = data.index_lookup(store, i, &prefix)?;
            let mut rows = Vec::with_capacity(keys.len());
            for key in keys {
                if let Some(row) = data.get_row(store, &key)? {
                    rows.push(row);
                }
            }
            if let Some(plan) = &mut self.plan {
                plan.push(format!("{label}: index {} lookup", index.name));
            }
            return Ok((columns, rows));
        }
        if let Some(plan) = &mut self.plan {
            plan.push(format!("{label}: full scan"));
        }
        let rows = data.scan(store, Bound::Unbounded, Bound::Unbounded)?;
        Ok((columns, rows.into_iter().map(|(_, r)| r).collect()))
    }

    /// The value of an expression that does not depend on the current row, if it is one.
    fn constant(&mut self, expr: &Expr, outer: Option<&Env>) -> Result<Option<Datum>, Error> {
        if !is_constant(expr, outer.is_some()) {
            return Ok(None);
        }
        let scope = Scope::default();
        let env = Env { outer, ..Env::new(&scope, &[]) };
        match self.eval(expr, &env) {
            Ok(value) if !value.is_null() => Ok(Some(value)),
            Ok(_) => Ok(None),
            Err(e) if e.kind == ErrorKind::NoSuchColumn => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn select_alias<'a>(select: &'a Select, name: &str) -> Option<&'a Expr> {
    select.items.iter().find_map(|item| match item {
        SelectItem::Expr { expr, alias: Some(alias), .. } if alias.eq_ignore_ascii_case(name) => {
            Some(expr)
        }
        _ => None,
    })
}

/// Fails with an unknown-column error if a column named in `exprs` resolves neither in
/// `scope`, nor in an enclosing query's, nor as one of the output `names` (which GROUP BY,
/// HAVING and ORDER BY may use). Subqueries check their own names when they run.
pub(super) fn check_columns<'e>(
    scope: &Scope,
    outer: Option<&Env>,
    exprs: impl IntoIterator<Item = &'e Expr>,
    names: &[&str],
) -> Result<(), Error> {
    let mut failure = None;
    let mut unknown = |e: &Expr| {
        let Expr::Column(column) = e else { return false };
        let found = (|| {
            if scope.resolve(column)?.is_some() {
                return Ok(true);
            }
            let mut current = outer;
            while let Some(env) = current {
                if env.scope.resolve(column)?.is_some() {
                    return Ok(true);
                }
                current = env.outer;
            }
            Ok(column.table.is_none()
                && names.iter().any(|n| n.eq_ignore_ascii_case(&column.column)))
        })();
        match found {
            Ok(true) => false,
            Ok(false) => {
                let name = match &column.table {
                    Some(t) => format!("{t}.{}", column.column),
                    None => column.column.clone(),
                };
                failure =
                    Some(Error::new(ErrorKind::NoSuchColumn, format!("unknown column '{name}'")));
                true
            }
            Err(e) => {
                failure = Some(e);
                true
            }
        }
    };
    for expr in exprs {
        if expr.any(&mut unknown) {
            break;
        }
    }
    failure.map_or(Ok(()), Err)
}

/// Whether an expression can be evaluated without a row (literals, parameters, variables,
/// functions of those, and columns of enclosing queries when `outer_columns` holds).
fn is_constant(expr: &Expr, outer_columns: bool) -> bool {
    match expr {
        Expr::Literal(_) | Expr::Param(_) | Expr::UserVariable(_) | Expr::SystemVariable { .. } => {
            true
        }
        Expr::Column(_) => outer_columns,
        Expr::Unary(_, e) | Expr::Cast { expr: e, .. } => is_constant(e, outer_columns),
        Expr::Binary(_, a, b) => is_constant(a, outer_columns) && is_constant(b, outer_columns),
        Expr::Function { name, args } => {
            !matches!(name.as_str(), "rand" | "uuid")
                && args.iter().all(|a| is_constant(a, outer_columns))
        }
        _ => false,
    }
}

/// A join's right rows grouped by their join key.
struct HashedRows<'e> {
    left_key: &'e Expr,
    /// The comparison kind of every right key, None when all were NULL.
    kind: Option<u8>,
    buckets: HashMap<GroupKey, Vec<usize>>,
}

impl HashedRows<'_> {
    /// The right rows that may equal a left row whose key is `value`: its bucket, none for
    /// NULL, or all of them when the kinds differ and only a comparison can tell.
    fn partners<'a>(&'a self, value: &Datum, everything: &'a [usize]) -> &'a [usize] {
        if value.is_null() {
            return &[];
        }
        match self.kind {
            Some(kind) if kind == comparison_kind(value) => {
                self.buckets.get(&value.group_key()).map_or(&[], Vec::as_slice)
            }
            Some(_) => everything,
            None => &[],
        }
    }
}

/// Values compare with `=` through their grouping keys only within one of these kinds.
fn comparison_kind(value: &Datum) -> u8 {
    match value {
        Datum::Int(_) | Datum::UInt(_) | Datum::Float(_) | Datum::Decimal(_) => 0,
        Datum::Text(_) => 1,
        // A date equals the same day's midnight, yet their keys differ: separate kinds.
        Datum::Date(_) => 2,
        Datum::DateTime(_) => 3,
        Datum::Bytes(_) => 4,
        Datum::Json(_) => 5,
        Datum::Null => 6,
    }
}

/// The sides of `condition` if it is an equality between an expression over `left` and one
/// over `right`, left side first.
fn equality_between<'e>(
    condition: &'e Expr,
    left: &Scope,
    right: &Scope,
) -> Option<(&'e Expr, &'e Expr)> {
    let Expr::Binary(BinaryOp::Eq, a, b) = condition else { return None };
    if resolvable(a, left) && resolvable(b, right) {
        Some((a, b))
    } else if resolvable(b, left) && resolvable(a, right) {
        Some((b, a))
    } else {
        None
    }
}

/// The inputs of a tree of inner and cross joins, left to right, and their ON conjuncts, each
/// with the inputs its join joins (the only ones it may name).
fn flatten_inner_joins<'t>(
    from: &'t TableRef,
    leaves: &mut Vec<&'t TableRef>,
    on: &mut Vec<(&'t Expr, std::ops::Range<usize>)>,
) {
    match from {
        TableRef::Join { left, right, kind: JoinKind::Inner | JoinKind::Cross, on: condition } => {
            let first = leaves.len();
            flatten_inner_joins(left, leaves, on);
            flatten_inner_joins(right, leaves, on);
            let inputs = first..leaves.len();
            on.extend(condition.iter().flat_map(conjuncts_of).map(|c| (c, inputs.clone())));
        }
        other => leaves.push(other),
    }
}

/// How EXPLAIN names a join input.
fn leaf_label(leaf: &TableRef) -> String {
    match leaf {
        TableRef::Named { name, alias, .. } | TableRef::Function { name, alias, .. } => {
            alias.as_ref().unwrap_or(name).to_lowercase()
        }
        TableRef::Derived { alias, .. } => alias.to_lowercase(),
        TableRef::Join { .. } => "(outer join)".to_string(),
    }
}

/// Whether `expr` can be evaluated from `scope`'s columns alone: every column resolves there
/// and nothing needs a subquery, an aggregate or an enclosing row.
pub(super) fn resolvable(expr: &Expr, scope: &Scope) -> bool {
    let all = |exprs: &[Expr]| exprs.iter().all(|e| resolvable(e, scope));
    match expr {
        Expr::Literal(_) | Expr::Param(_) | Expr::UserVariable(_) | Expr::SystemVariable { .. } => {
            true
        }
        Expr::Column(column) => matches!(scope.resolve(column), Ok(Some(_))),
        Expr::Unary(_, e) | Expr::Cast { expr: e, .. } => resolvable(e, scope),
        Expr::IsNull { expr, .. } | Expr::IsBool { expr, .. } => resolvable(expr, scope),
        Expr::Binary(_, a, b) => resolvable(a, scope) && resolvable(b, scope),
        Expr::InList { expr, list, .. } => resolvable(expr, scope) && all(list),
        Expr::Between { expr, low, high, .. } => {
            resolvable(expr, scope) && resolvable(low, scope) && resolvable(high, scope)
        }
        Expr::Like { expr, pattern, .. } => resolvable(expr, scope) && resolvable(pattern, scope),
        Expr::Case { operand, whens, otherwise } => {
            operand.as_deref().is_none_or(|o| resolvable(o, scope))
                && whens.iter().all(|(w, t)| resolvable(w, scope) && resolvable(t, scope))
                && otherwise.as_deref().is_none_or(|o| resolvable(o, scope))
        }
        Expr::Function { args, .. } | Expr::Row(args) => all(args),
        _ => false,
    }
}

fn conjuncts_of(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::Binary(BinaryOp::And, a, b) => {
            let mut out = conjuncts_of(a);
            out.extend(conjuncts_of(b));
            out
        }
        other => vec![other],
    }
}

/// Whether two rows of values are equal, three-valued: false if a pair differs, else unknown if
/// a pair holds NULL.
fn rows_equal(a: &[Datum], b: &[Datum]) -> Option<bool> {
    let mut result = Some(true);
    for (x, y) in a.iter().zip(b) {
        result = and3(result, x.sql_cmp(y).map(|o| o == Ordering::Equal));
    }
    result
}

fn and3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn in_values(value: &Datum, candidates: &[Datum], negated: bool) -> Datum {
    if value.is_null() {
        return Datum::Null;
    }
    let mut saw_null = false;
    for candidate in candidates {
        match value.sql_cmp(candidate) {
            Some(Ordering::Equal) => return Datum::Int(i64::from(!negated)),
            None => saw_null = true,
            _ => {}
        }
    }
    if saw_null {
        Datum::Null
    } else {
        Datum::Int(i64::from(negated))
    }
}

/// Applies a comparison or arithmetic operator to two values.
pub fn compare_or_compute(op: BinaryOp, l: &Datum, r: &Datum) -> Result<Datum, Error> {
    let cmp = |test: fn(Ordering) -> bool| bool_datum(l.sql_cmp(r).map(test));
    Ok(match op {
        BinaryOp::Add => l.add(r)?,
        BinaryOp::Sub => l.sub(r)?,
        BinaryOp::Mul => l.mul(r)?,
        BinaryOp::Div => l.div(r)?,
        BinaryOp::IntDiv => l.int_div(r)?,
        BinaryOp::Rem => l.rem(r)?,
        BinaryOp::Eq => cmp(|o| o == Ordering::Equal),
        BinaryOp::NotEq => cmp(|o| o != Ordering::Equal),
        BinaryOp::Lt => cmp(|o| o == Ordering::Less),
        BinaryOp::LtEq => cmp(|o| o != Ordering::Greater),
        BinaryOp::Gt => cmp(|o| o == Ordering::Greater),
        BinaryOp::GtEq => cmp(|o| o != Ordering::Less),
        BinaryOp::NullSafeEq => Datum::Int(i64::from(match (l.is_null(), r.is_null()) {
            (true, true) => true,
            (false, false) => l.sql_cmp(r) == Some(Ordering::Equal),
            _ => false,
        })),
        BinaryOp::Xor => match (truth(l), truth(r)) {
            (Some(a), Some(b)) => Datum::Int(i64::from(a != b)),
            _ => Datum::Null,
        },
        BinaryOp::And | BinaryOp::Or => unreachable!("handled with short-circuit"),
        BinaryOp::BitAnd
        | BinaryOp::BitOr
        | BinaryOp::BitXor
        | BinaryOp::ShiftLeft
        | BinaryOp::ShiftRight => {
            let (Some(a), Some(b)) = (l.to_i64()?, r.to_i64()?) else { return Ok(Datum::Null) };
            let (a, b) = (a as u64, b as u64);
            Datum::UInt(match op {
                BinaryOp::BitAnd => a & b,
                BinaryOp::BitOr => a | b,
                BinaryOp::BitXor => a ^ b,
                BinaryOp::ShiftLeft => a.checked_shl(b as u32).unwrap_or(0),
                _ => a.checked_shr(b as u32).unwrap_or(0),
            })
        }
    })
}

/// SQL LIKE: `%` any run, `_` one character, case-insensitive as the default collation.
pub fn like(value: &str, pattern: &str, escape: char) -> bool {
    let v: Vec<char> = value.to_lowercase().chars().collect();
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    // Iterative matching with backtracking to the last `%`.
    let (mut vi, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        if pi < p.len() && p[pi] == escape && pi + 1 < p.len() {
            if p[pi + 1] == v[vi] {
                vi += 1;
                pi += 2;
                continue;
            }
        } else if pi < p.len() && p[pi] == '%' {
            star = Some((pi, vi));
            pi += 1;
            continue;
        } else if pi < p.len() && (p[pi] == '_' || p[pi] == v[vi]) {
            vi += 1;
            pi += 1;
            continue;
        }
        match star {
            Some((sp, sv)) => {
                pi = sp + 1;
                vi = sv + 1;
                star = Some((sp, sv + 1));
            }
            None => return false,
        }
    }
    while pi < p.len() && p[pi] == '%' {
        pi += 1;
    }
    pi == p.len()
}

fn collect_aggregates(expr: &Expr, out: &mut Vec<Expr>) {
    match expr {
        Expr::Aggregate { .. } if !out.contains(expr) => out.push(expr.clone()),
        Expr::Aggregate { .. } => {}
        Expr::Unary(_, e) | Expr::Cast { expr: e, .. } => collect_aggregates(e, out),
        Expr::IsNull { expr, .. } | Expr::IsBool { expr, .. } => collect_aggregates(expr, out),
        Expr::Binary(_, a, b) => {
            collect_aggregates(a, out);
            collect_aggregates(b, out);
        }
        Expr::InList { expr, list, .. } => {
            collect_aggregates(expr, out);
            list.iter().for_each(|e| collect_aggregates(e, out));
        }
        Expr::InSubquery { expr, .. } => collect_aggregates(expr, out),
        Expr::Between { expr, low, high, .. } => {
            for e in [expr, low, high] {
                collect_aggregates(e, out);
            }
        }
        Expr::Like { expr, pattern, .. } => {
            collect_aggregates(expr, out);
            collect_aggregates(pattern, out);
        }
        Expr::Case { operand, whens, otherwise } => {
            if let Some(o) = operand {
                collect_aggregates(o, out);
            }
            for (w, t) in whens {
                collect_aggregates(w, out);
                collect_aggregates(t, out);
            }
            if let Some(o) = otherwise {
                collect_aggregates(o, out);
            }
        }
        Expr::Function { args, .. } | Expr::Row(args) => {
            args.iter().for_each(|e| collect_aggregates(e, out))
        }
        _ => {}
    }
}

/// Sorts rows by their precomputed ORDER BY keys (stable, so ties keep their order).
pub(super) fn sort_keyed<T>(keyed: &mut [(Vec<Datum>, T)], order_by: &[OrderItem]) {
    keyed.sort_by(|(a, _), (b, _)| {
        for ((x, y), item) in a.iter().zip(b).zip(order_by) {
            let o = x.order_cmp(y);
            let o = if item.descending { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
}

/// One aggregate's running state for one group.
struct Accumulator {
    function: Aggregate,
    distinct: Option<HashSet<Vec<GroupKey>>>,
    count: u64,
    value: Datum,
    /// GROUP_CONCAT's pieces with their ORDER BY keys.
    parts: Vec<(Vec<Datum>, String)>,
    separator: String,
    order_by: Vec<OrderItem>,
}

impl Accumulator {
    fn new(expr: &Expr) -> Accumulator {
        let Expr::Aggregate { function, distinct, separator, order_by, .. } = expr else {
            unreachable!("only aggregates are collected")
        };
        Accumulator {
            function: *function,
            distinct: distinct.then(HashSet::new),
            count: 0,
            value: Datum::Null,
            parts: Vec::new(),
            separator: separator.clone(),
            order_by: order_by.clone(),
        }
    }

    fn add(&mut self, mut args: Vec<Datum>) -> Result<(), Error> {
        if self.function == Aggregate::CountRows {
            self.count += 1;
            return Ok(());
        }
        let keys = args.split_off(args.len() - self.order_by.len());
        if args.iter().any(Datum::is_null) {
            return Ok(());
        }
        if let Some(seen) = &mut self.distinct {
            if !seen.insert(args.iter().map(Datum::group_key).collect()) {
                return Ok(());
            }
        }
        self.count += 1;
        let arg = &args[0];
        match self.function {
            Aggregate::Count | Aggregate::CountRows => {}
            Aggregate::Sum | Aggregate::Avg => {
                let addend = match arg {
                    Datum::Int(_) | Datum::UInt(_) => {
                        arg.cast(&super::types::CastType::Decimal { precision: 38, scale: 0 })?
                    }
                    Datum::Decimal(_) | Datum::Float(_) => arg.clone(),
                    other => Datum::Float(other.to_f64().unwrap_or(0.0)),
                };
                self.value = if self.value.is_null() { addend } else { self.value.add(&addend)? };
            }
            Aggregate::Min => {
                if self.value.is_null() || arg.sql_cmp(&self.value) == Some(Ordering::Less) {
                    self.value = arg.clone();
                }
            }
            Aggregate::Max => {
                if self.value.is_null() || arg.sql_cmp(&self.value) == Some(Ordering::Greater) {
                    self.value = arg.clone();
                }
            }
            Aggregate::GroupConcat => {
                let text = args.iter().filter_map(Datum::to_text).collect::<String>();
                self.parts.push((keys, text));
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<Datum, Error> {
        Ok(match self.function {
            Aggregate::Count | Aggregate::CountRows => Datum::Int(self.count as i64),
            Aggregate::Sum | Aggregate::Min | Aggregate::Max => self.value,
            Aggregate::Avg => {
                if self.count == 0 {
                    Datum::Null
                } else {
                    self.value.div(&Datum::Int(self.count as i64))?
                }
            }
            Aggregate::GroupConcat => {
                if self.parts.is_empty() {
                    Datum::Null
                } else {
                    let mut parts = self.parts;
                    sort_keyed(&mut parts, &self.order_by);
                    let texts: Vec<String> = parts.into_iter().map(|(_, text)| text).collect();
                    Datum::Text(texts.join(&self.separator))
                }
            }
        })
    }
}
