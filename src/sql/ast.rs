//! Cambium's own statement tree: the part of SQL the engine implements, with names already
//! folded and parameters already bound. `parse` builds it straight from the text and refuses
//! everything else by name, so the planner and executor only meet constructs they handle.

use super::types::{CastType, Datum, SqlType};

/// A possibly qualified column reference, names lower-cased.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnRef {
    pub table: Option<String>,
    pub column: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
    BitNot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    IntDiv,
    Rem,
    Eq,
    /// `<=>`: equality where NULL equals NULL.
    NullSafeEq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    And,
    Or,
    Xor,
    BitAnd,
    BitOr,
    BitXor,
    ShiftLeft,
    ShiftRight,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    Count,
    /// `COUNT(*)`.
    CountRows,
    Sum,
    Avg,
    Min,
    Max,
    GroupConcat,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Literal(Datum),
    /// The value bound to the statement's `?` number N (from 0), given with each execution
    /// of a statement parsed once and run many times.
    Param(usize),
    Column(ColumnRef),
    /// `@name`.
    UserVariable(String),
    /// `@@[global.|session.]name`.
    SystemVariable {
        name: String,
        global: bool,
    },
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// `IS [NOT] TRUE / FALSE`.
    IsBool {
        expr: Box<Expr>,
        value: bool,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    InSubquery {
        expr: Box<Expr>,
        query: Box<Query>,
        negated: bool,
    },
    Exists {
        query: Box<Query>,
        negated: bool,
    },
    Subquery(Box<Query>),
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        escape: Option<char>,
        negated: bool,
    },
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    Cast {
        expr: Box<Expr>,
        to: CastType,
    },
    Function {
        name: String,
        args: Vec<Expr>,
    },
    Aggregate {
        function: Aggregate,
        distinct: bool,
        args: Vec<Expr>,
        separator: String,
        /// GROUP_CONCAT(... ORDER BY ...): the order of the concatenated values.
        order_by: Vec<OrderItem>,
    },
    /// A row of values, `(a, b)`, for row comparisons and `IN`.
    Row(Vec<Expr>),
    /// `VALUES(col)` inside `ON DUPLICATE KEY UPDATE`.
    InsertedValue(String),
    /// `DEFAULT` as an inserted or assigned value.
    Default,
}

impl Expr {
    /// Whether `predicate` holds for this expression or any expression inside it, not looking
    /// into subqueries.
    pub fn any(&self, predicate: &mut dyn FnMut(&Expr) -> bool) -> bool {
        if predicate(self) {
            return true;
        }
        let mut any_of = |exprs: &mut dyn Iterator<Item = &Expr>| {
            for e in exprs {
                if e.any(predicate) {
                    return true;
                }
            }
            false
        };
        match self {
            Expr::Literal(_)
            | Expr::Param(_)
            | Expr::Column(_)
            | Expr::UserVariable(_)
            | Expr::SystemVariable { .. }
            | Expr::Exists { .. }
            | Expr::Subquery(_)
            | Expr::InsertedValue(_)
            | Expr::Default => false,
            Expr::Unary(_, e)
            | Expr::IsNull { expr: e, .. }
            | Expr::IsBool { expr: e, .. }
            | Expr::InSubquery { expr: e, .. }
            | Expr::Cast { expr: e, .. } => e.any(predicate),
            Expr::Binary(_, a, b) | Expr::Like { expr: a, pattern: b, .. } => {
                any_of(&mut [&**a, &**b].into_iter())
            }
            Expr::Between { expr, low, high, .. } => {
                any_of(&mut [&**expr, &**low, &**high].into_iter())
            }
            Expr::InList { expr, list, .. } => {
                any_of(&mut std::iter::once(&**expr).chain(list.iter()))
            }
            Expr::Case { operand, whens, otherwise } => any_of(
                &mut operand
                    .as_deref()
                    .into_iter()
                    .chain(whens.iter().flat_map(|(w, t)| [w, t]))
                    .chain(otherwise.as_deref()),
            ),
            Expr::Function { args, .. } | Expr::Aggregate { args, .. } | Expr::Row(args) => {
                any_of(&mut args.iter())
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Cross,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TableRef {
    /// A table by name, read at a revision when one is given.
    Named {
        name: String,
        alias: Option<String>,
        revision: Option<Revision>,
    },
    /// A table function, `dolt_diff('main', 'feature', 't')`.
    Function {
        name: String,
        args: Vec<Expr>,
        alias: Option<String>,
    },
    Derived {
        query: Box<Query>,
        alias: String,
    },
    Join {
        left: Box<TableRef>,
        right: Box<TableRef>,
        kind: JoinKind,
        on: Option<Expr>,
    },
}

/// Where a table is read from other than the transaction's working root.
#[derive(Clone, Debug, PartialEq)]
pub enum Revision {
    /// `t AS OF expr`: the commit a branch, tag, hash, `HEAD~n` or time names.
    AsOf(Expr),
    /// `` `db/name`.t ``: a branch's working set (uncommitted changes included), else the
    /// commit a tag or hash names.
    Database(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum SelectItem {
    Wildcard,
    QualifiedWildcard(String),
    Expr { expr: Expr, alias: Option<String>, text: String },
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrderItem {
    pub expr: Expr,
    pub descending: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Select {
    pub distinct: bool,
    pub items: Vec<SelectItem>,
    pub from: Option<TableRef>,
    pub filter: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SetExpr {
    Select(Box<Select>),
    Values(Vec<Vec<Expr>>),
    /// UNION, INTERSECT or EXCEPT; `all` keeps duplicates (as multisets), else rows are
    /// distinct.
    SetOperation {
        op: SetOperator,
        left: Box<SetExpr>,
        right: Box<SetExpr>,
        all: bool,
    },
    Query(Box<Query>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOperator {
    Union,
    Intersect,
    Except,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub with: Vec<(String, Query)>,
    pub body: SetExpr,
    pub order_by: Vec<OrderItem>,
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub sql_type: SqlType,
    pub nullable: bool,
    pub default: Option<Expr>,
    /// The default as SQL text, as stored in the schema.
    pub default_text: Option<String>,
    pub auto_increment: bool,
    pub primary_key: bool,
    pub unique: bool,
    pub check: Option<(Expr, String)>,
    pub references: Option<ForeignKeyDef>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ForeignKeyDef {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub parent_table: String,
    pub parent_columns: Vec<String>,
    pub on_delete: ReferentialAction,
    pub on_update: ReferentialAction,
}

pub use crate::row::ReferentialAction;

#[derive(Clone, Debug, PartialEq)]
pub struct IndexSpec {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub unique: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CreateTable {
    pub name: String,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDef>,
    pub primary_key: Vec<String>,
    pub indexes: Vec<IndexSpec>,
    /// (name, expression, SQL text).
    pub checks: Vec<(Option<String>, String)>,
    pub foreign_keys: Vec<ForeignKeyDef>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AlterAction {
    AddColumn(ColumnDef),
    DropColumn(String),
    RenameColumn {
        from: String,
        to: String,
    },
    /// MODIFY / CHANGE: the column `name` becomes `column`.
    ModifyColumn {
        name: String,
        column: ColumnDef,
    },
    AddIndex(IndexSpec),
    DropIndex(String),
    RenameTable(String),
    /// ADD [CONSTRAINT name] CHECK (expression): the name if given, and the expression's text.
    AddCheck(Option<String>, String),
    AddForeignKey(ForeignKeyDef),
    /// DROP CHECK / DROP FOREIGN KEY / DROP CONSTRAINT (either kind).
    DropConstraint {
        name: String,
        kind: ConstraintKind,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstraintKind {
    Check,
    ForeignKey,
    Any,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VariableScope {
    Session,
    Global,
    Persist,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShowKind {
    Tables,
    Variables,
    Warnings,
    Databases,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    Query(Query),
    Explain(Query),
    Insert {
        table: String,
        columns: Vec<String>,
        source: Query,
        on_duplicate: Vec<(String, Expr)>,
        ignore: bool,
        replace: bool,
    },
    Update {
        table: String,
        alias: Option<String>,
        assignments: Vec<(String, Expr)>,
        filter: Option<Expr>,
        order_by: Vec<OrderItem>,
        limit: Option<Expr>,
    },
    Delete {
        table: String,
        alias: Option<String>,
        filter: Option<Expr>,
        order_by: Vec<OrderItem>,
        limit: Option<Expr>,
    },
    CreateTable(CreateTable),
    DropTable {
        names: Vec<String>,
        if_exists: bool,
    },
    CreateIndex {
        table: String,
        index: IndexSpec,
        if_not_exists: bool,
    },
    DropIndex {
        table: String,
        name: String,
    },
    AlterTable {
        table: String,
        actions: Vec<AlterAction>,
    },
    RenameTable(Vec<(String, String)>),
    Truncate(String),
    Begin,
    Commit,
    Rollback,
    SetVariables(Vec<(VariableTarget, Expr)>),
    Show {
        kind: ShowKind,
        like: Option<String>,
    },
    /// `SHOW CREATE TABLE t`, of the working table or, with a revision, of the table as it
    /// was there (`t AS OF revision`, `` `db/revision`.t ``).
    ShowCreateTable {
        name: String,
        revision: Option<Revision>,
    },
    Describe(String),
    Use(String),
    /// `CALL name(args)`: a stored procedure (Dolt's version-control procedures).
    Call {
        name: String,
        args: Vec<Expr>,
    },
}

impl Statement {
    /// Whether the statement changes schemas: it commits the open transaction first and then
    /// commits itself, as in MySQL.
    pub fn is_ddl(&self) -> bool {
        matches!(
            self,
            Statement::CreateTable(_)
                | Statement::DropTable { .. }
                | Statement::CreateIndex { .. }
                | Statement::DropIndex { .. }
                | Statement::AlterTable { .. }
                | Statement::RenameTable(_)
                | Statement::Truncate(_)
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum VariableTarget {
    User(String),
    System { name: String, scope: VariableScope },
}
