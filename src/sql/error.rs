//! SQL errors: one kind per thing that can go wrong, each with a stable code for programs, the
//! MySQL error number and SQLSTATE clients know, and a message that names the problem.

use std::fmt;

use crate::history;

/// What kind of failure an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The text is not SQL the parser accepts (the message gives the position).
    Syntax,
    /// Valid SQL that Cambium does not implement; the message names the construct.
    Unsupported,
    NoSuchTable,
    NoSuchColumn,
    NoSuchIndex,
    NoSuchDatabase,
    TableExists,
    ColumnExists,
    IndexExists,
    AmbiguousColumn,
    /// A primary key or unique index would hold the same key twice.
    DuplicateKey,
    /// NULL given for a NOT NULL column.
    NotNull,
    /// A number outside the range of its type (also integer arithmetic overflow).
    OutOfRange,
    /// A string or binary value longer than its column allows.
    DataTooLong,
    /// A value that does not convert to the type asked for (`'abc'` as an integer, a bad date).
    BadValue,
    DivisionByZero,
    CheckViolation,
    /// Deleting or updating a row that child rows still refer to.
    ForeignKeyParent,
    /// A row that refers to a parent row that does not exist.
    ForeignKeyChild,
    /// A FOREIGN KEY that cannot be defined: no parent table, no index on the parent's
    /// columns, incompatible column types, SET NULL on a NOT NULL column.
    ForeignKeyDefinition,
    /// A CHECK that cannot be defined: unknown columns, subqueries or variables in it.
    CheckDefinition,
    /// A table, column or index that a foreign key still needs.
    ConstraintInUse,
    ConstraintExists,
    NoSuchConstraint,
    UnknownFunction,
    WrongArgumentCount,
    /// A scalar subquery returned more than one row.
    SubqueryRows,
    /// Operands with different numbers of columns (`(1, 2) = 1`, a UNION of different widths).
    ColumnCount,
    UnknownVariable,
    /// Setting a read-only variable, or a value a variable does not accept.
    BadVariable,
    /// A procedure's argument is not one it accepts (unknown flag, missing value).
    BadArgument,
    /// Another session committed a conflicting change to the same branch first. Retry.
    SerializationFailure,
    /// A statement, expression, row or result over one of the engine's limits.
    LimitExceeded,
    /// A `?` parameter without a value, or a value without a `?`.
    Parameters,
    /// The history layer refused the operation (merge in progress, conflicts, bad ref, ...).
    History,
    /// Reading or writing chunks failed; `Missing` chunks can be loaded and the statement retried.
    Storage,
    /// A statement that would write, in a session made read-only (a read replica); the message
    /// is the reason the session was given.
    ReadOnly,
}

impl ErrorKind {
    /// A short stable identifier for programs (and the JS boundary) to match on.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "sql_syntax",
            ErrorKind::Unsupported => "sql_unsupported",
            ErrorKind::NoSuchTable => "sql_no_such_table",
            ErrorKind::NoSuchColumn => "sql_no_such_column",
            ErrorKind::NoSuchIndex => "sql_no_such_index",
            ErrorKind::NoSuchDatabase => "sql_no_such_database",
            ErrorKind::TableExists => "sql_table_exists",
            ErrorKind::ColumnExists => "sql_column_exists",
            ErrorKind::IndexExists => "sql_index_exists",
            ErrorKind::AmbiguousColumn => "sql_ambiguous_column",
            ErrorKind::DuplicateKey => "sql_duplicate_key",
            ErrorKind::NotNull => "sql_not_null",
            ErrorKind::OutOfRange => "sql_out_of_range",
            ErrorKind::DataTooLong => "sql_data_too_long",
            ErrorKind::BadValue => "sql_bad_value",
            ErrorKind::DivisionByZero => "sql_division_by_zero",
            ErrorKind::CheckViolation => "sql_check_violation",
            ErrorKind::ForeignKeyParent => "sql_foreign_key_parent",
            ErrorKind::ForeignKeyChild => "sql_foreign_key_child",
            ErrorKind::ForeignKeyDefinition => "sql_foreign_key_definition",
            ErrorKind::CheckDefinition => "sql_check_definition",
            ErrorKind::ConstraintInUse => "sql_constraint_in_use",
            ErrorKind::ConstraintExists => "sql_constraint_exists",
            ErrorKind::NoSuchConstraint => "sql_no_such_constraint",
            ErrorKind::UnknownFunction => "sql_unknown_function",
            ErrorKind::WrongArgumentCount => "sql_wrong_argument_count",
            ErrorKind::SubqueryRows => "sql_subquery_rows",
            ErrorKind::ColumnCount => "sql_column_count",
            ErrorKind::UnknownVariable => "sql_unknown_variable",
            ErrorKind::BadVariable => "sql_bad_variable",
            ErrorKind::BadArgument => "sql_bad_argument",
            ErrorKind::SerializationFailure => "sql_serialization_failure",
            ErrorKind::LimitExceeded => "sql_limit_exceeded",
            ErrorKind::Parameters => "sql_parameters",
            ErrorKind::History => "sql_history",
            ErrorKind::Storage => "sql_storage",
            ErrorKind::ReadOnly => "sql_read_only",
        }
    }

    /// The MySQL error number a MySQL client would see for this failure.
    pub fn mysql_code(self) -> u16 {
        match self {
            ErrorKind::Syntax => 1064,
            ErrorKind::Unsupported => 1235,
            ErrorKind::NoSuchTable => 1146,
            ErrorKind::NoSuchColumn => 1054,
            ErrorKind::NoSuchIndex => 1091,
            ErrorKind::NoSuchDatabase => 1049,
            ErrorKind::TableExists => 1050,
            ErrorKind::ColumnExists => 1060,
            ErrorKind::IndexExists => 1061,
            ErrorKind::AmbiguousColumn => 1052,
            ErrorKind::DuplicateKey => 1062,
            ErrorKind::NotNull => 1048,
            ErrorKind::OutOfRange => 1264,
            ErrorKind::DataTooLong => 1406,
            ErrorKind::BadValue => 1366,
            ErrorKind::DivisionByZero => 1365,
            ErrorKind::CheckViolation => 3819,
            ErrorKind::ForeignKeyParent => 1451,
            ErrorKind::ForeignKeyChild => 1452,
            ErrorKind::ForeignKeyDefinition => 1822,
            ErrorKind::CheckDefinition => 3814,
            ErrorKind::ConstraintInUse => 3730,
            ErrorKind::ConstraintExists => 3822,
            ErrorKind::NoSuchConstraint => 3940,
            ErrorKind::UnknownFunction => 1305,
            ErrorKind::WrongArgumentCount => 1582,
            ErrorKind::SubqueryRows => 1242,
            ErrorKind::ColumnCount => 1241,
            ErrorKind::UnknownVariable => 1193,
            ErrorKind::BadVariable => 1231,
            ErrorKind::BadArgument => 1105,
            ErrorKind::SerializationFailure => 1213,
            ErrorKind::LimitExceeded => 1105,
            ErrorKind::Parameters => 1210,
            ErrorKind::History => 1105,
            ErrorKind::Storage => 1105,
            ErrorKind::ReadOnly => 1290,
        }
    }

    /// The SQLSTATE class and subclass MySQL reports with [`ErrorKind::mysql_code`].
    pub fn sqlstate(self) -> &'static str {
        match self {
            ErrorKind::Syntax | ErrorKind::Unsupported => "42000",
            ErrorKind::NoSuchTable => "42S02",
            ErrorKind::NoSuchColumn | ErrorKind::AmbiguousColumn => "42S22",
            ErrorKind::NoSuchIndex => "42000",
            ErrorKind::NoSuchDatabase => "42000",
            ErrorKind::TableExists => "42S01",
            ErrorKind::ColumnExists | ErrorKind::IndexExists => "42S21",
            ErrorKind::DuplicateKey => "23000",
            ErrorKind::NotNull => "23000",
            ErrorKind::OutOfRange | ErrorKind::DataTooLong => "22001",
            ErrorKind::BadValue => "HY000",
            ErrorKind::DivisionByZero => "22012",
            ErrorKind::CheckViolation => "HY000",
            ErrorKind::ForeignKeyParent | ErrorKind::ForeignKeyChild => "23000",
            ErrorKind::ForeignKeyDefinition
            | ErrorKind::CheckDefinition
            | ErrorKind::ConstraintInUse
            | ErrorKind::ConstraintExists
            | ErrorKind::NoSuchConstraint => "HY000",
            ErrorKind::UnknownFunction => "42000",
            ErrorKind::WrongArgumentCount => "42000",
            ErrorKind::SubqueryRows => "21000",
            ErrorKind::ColumnCount => "21000",
            ErrorKind::UnknownVariable => "HY000",
            ErrorKind::BadVariable => "42000",
            ErrorKind::BadArgument => "HY000",
            ErrorKind::SerializationFailure => "40001",
            ErrorKind::LimitExceeded | ErrorKind::Parameters => "HY000",
            ErrorKind::History | ErrorKind::Storage | ErrorKind::ReadOnly => "HY000",
        }
    }

    /// Whether running the same transaction again may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::SerializationFailure)
    }
}

/// A failed SQL statement. The statement changed nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// The history error underneath, for [`ErrorKind::History`] and [`ErrorKind::Storage`] (so
    /// `Missing` chunk lists reach the caller that can load them).
    pub source: Option<history::Error>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into(), source: None }
    }

    /// The stable code: the kind's, except that a refusal by the history layer keeps that
    /// layer's more precise code (`branch_not_merged`, `dirty_working_set`, ...) and a failing
    /// store its own (`io`, `chunk_corrupt`, `quota_exceeded`, ...).
    pub fn code(&self) -> &'static str {
        match (&self.kind, &self.source) {
            (ErrorKind::History | ErrorKind::Storage, Some(source)) => source.code(),
            _ => self.kind.code(),
        }
    }

    pub fn unsupported(what: impl fmt::Display) -> Error {
        Error::new(ErrorKind::Unsupported, format!("{what} is not supported"))
    }

    pub fn no_such_table(name: &str) -> Error {
        Error::new(ErrorKind::NoSuchTable, format!("table '{name}' does not exist"))
    }

    pub fn no_such_column(name: &str) -> Error {
        Error::new(ErrorKind::NoSuchColumn, format!("unknown column '{name}'"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<history::Error> for Error {
    fn from(error: history::Error) -> Error {
        let kind = match &error {
            history::Error::Store(_) => ErrorKind::Storage,
            _ => ErrorKind::History,
        };
        Error { kind, message: error.to_string(), source: Some(error) }
    }
}

impl From<crate::row::Error> for Error {
    fn from(error: crate::row::Error) -> Error {
        let kind = match error {
            crate::row::Error::TooLarge { .. } | crate::row::Error::KeyTooLarge { .. } => {
                ErrorKind::LimitExceeded
            }
            _ => ErrorKind::BadValue,
        };
        Error::new(kind, error.to_string())
    }
}

impl From<crate::prolly::Error> for Error {
    fn from(error: crate::prolly::Error) -> Error {
        Error::from(history::Error::Store(error))
    }
}
