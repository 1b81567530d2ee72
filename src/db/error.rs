//! The one error type of the database facade: a stable code for programs (and the JS
//! boundary, where it becomes `err.code`) and a message for people.

use std::fmt;

/// Why a database call failed. Codes come from the layer that refused (`sql_*`, history codes
/// such as `branch_not_merged`, storage codes such as `manifest_conflict` or
/// `quota_exceeded`) or from the facade itself (`bad_database_name`, `storage_unavailable`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    code: &'static str,
    message: String,
}

impl Error {
    pub fn new(code: &'static str, message: impl Into<String>) -> Error {
        Error { code, message: message.into() }
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether running the same call again may succeed: it lost a race with another writer.
    pub fn is_retryable(&self) -> bool {
        matches!(self.code, "sql_serialization_failure" | "manifest_conflict")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<crate::sql::Error> for Error {
    fn from(error: crate::sql::Error) -> Error {
        Error::new(error.code(), error.message)
    }
}

impl From<crate::history::Error> for Error {
    fn from(error: crate::history::Error) -> Error {
        Error::new(error.code(), error.to_string())
    }
}

impl From<crate::chunk::Error> for Error {
    fn from(error: crate::chunk::Error) -> Error {
        Error::new(error.code(), error.to_string())
    }
}
