//! Dolt's version-control model on top of prolly maps: root values of tables, commits, branches,
//! tags, per-branch working sets, three-way merge with conflicts, diff, and garbage collection.
//!
//! Everything is stored as chunks under one manifest (see `docs/format.md`). Times are handed in
//! by callers inside [`Signature`]s; nothing here reads a clock.

mod codec;
mod diff;
pub mod fsck;
mod gc;
mod merge;
mod objects;
pub mod remotes;
mod repo;
mod table;
pub(crate) mod walk;

use std::fmt;

use crate::{chunk, prolly, row};

pub use diff::{diff_roots, DiffSummary, RowDiff, TableChange, TableDiff};
pub use fsck::{
    fsck, Fsck, FsckReport, Problem, ProblemKind, FSCK_PROBLEMS_MAX, WALK_BATCH_CHUNKS_MAX,
};
pub use merge::{merge_roots, RootMerge, RowConflict};
pub use objects::{
    Commit, MergeState, RefMap, RootValue, Signature, Table, Tag, WorkingSet, COMMIT_PARENTS_MAX,
};
pub use repo::{
    validate_ref_name, CommitOptions, MergeOptions, MergeOutcome, Repo, ResetMode, Side, Status,
    DEFAULT_BRANCH, INIT_MESSAGE, LOG_COMMITS_MAX, REF_NAME_BYTES_MAX,
};

/// What went wrong in a history operation. Each variant has a stable [`Error::code`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Reading or writing chunks or maps failed (including `Missing`: load and retry).
    Store(prolly::Error),
    Row(row::Error),
    NotARepository,
    NotFound {
        what: &'static str,
        name: String,
    },
    AlreadyExists {
        what: &'static str,
        name: String,
    },
    BadName {
        what: &'static str,
        name: String,
        reason: &'static str,
    },
    /// Deleting a branch that is not merged into the current branch, without force.
    NotMerged {
        branch: String,
    },
    /// The operation cannot act on the current branch.
    CurrentBranch {
        name: String,
    },
    NothingToCommit,
    MergeInProgress,
    NoMergeInProgress,
    UnresolvedConflicts {
        tables: Vec<String>,
    },
    /// Both sides changed a table's schema differently, or one dropped what the other changed.
    SchemaConflict {
        table: String,
        reason: &'static str,
    },
    NotFastForward,
    /// The operation needs a branch without uncommitted changes.
    DirtyWorkingSet,
    /// Cherry-pick and revert need a commit with exactly one parent.
    NoParent,
    MergeCommit,
}

impl Error {
    pub fn code(&self) -> &'static str {
        match self {
            Error::Store(error) => error.code(),
            Error::Row(error) => error.code(),
            Error::NotARepository => "not_a_repository",
            Error::NotFound { .. } => "not_found",
            Error::AlreadyExists { .. } => "already_exists",
            Error::BadName { .. } => "bad_name",
            Error::NotMerged { .. } => "branch_not_merged",
            Error::CurrentBranch { .. } => "current_branch",
            Error::NothingToCommit => "nothing_to_commit",
            Error::MergeInProgress => "merge_in_progress",
            Error::NoMergeInProgress => "no_merge_in_progress",
            Error::UnresolvedConflicts { .. } => "unresolved_conflicts",
            Error::SchemaConflict { .. } => "schema_conflict",
            Error::NotFastForward => "not_fast_forward",
            Error::DirtyWorkingSet => "dirty_working_set",
            Error::NoParent => "no_parent",
            Error::MergeCommit => "merge_commit",
        }
    }

    /// The chunks to load before retrying, when the store answered `Missing`.
    pub fn missing(&self) -> Option<&[chunk::Hash]> {
        match self {
            Error::Store(error) => error.missing(),
            _ => None,
        }
    }
}

impl From<prolly::Error> for Error {
    fn from(error: prolly::Error) -> Error {
        Error::Store(error)
    }
}

impl From<chunk::Error> for Error {
    fn from(error: chunk::Error) -> Error {
        Error::Store(prolly::Error::Store(error))
    }
}

impl From<row::Error> for Error {
    fn from(error: row::Error) -> Error {
        Error::Row(error)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Store(error) => error.fmt(f),
            Error::Row(error) => error.fmt(f),
            Error::NotARepository => write!(f, "the store holds no repository"),
            Error::NotFound { what, name } => write!(f, "{what} not found: '{name}'"),
            Error::AlreadyExists { what, name } => write!(f, "{what} '{name}' already exists"),
            Error::BadName { what, name, reason } => {
                write!(f, "'{name}' is not a valid {what} name: {reason}")
            }
            Error::NotMerged { branch } => write!(
                f,
                "branch '{branch}' is not fully merged; delete it with force to discard its commits"
            ),
            Error::CurrentBranch { name } => write!(f, "'{name}' is the current branch"),
            Error::NothingToCommit => write!(f, "nothing to commit"),
            Error::MergeInProgress => write!(f, "a merge is in progress; commit or abort it first"),
            Error::NoMergeInProgress => write!(f, "no merge is in progress"),
            Error::UnresolvedConflicts { tables } => {
                write!(f, "unresolved conflicts in tables: {}", tables.join(", "))
            }
            Error::SchemaConflict { table, reason } => {
                write!(f, "cannot merge table '{table}': {reason}")
            }
            Error::NotFastForward => write!(f, "the merge is not a fast-forward"),
            Error::DirtyWorkingSet => {
                write!(f, "the branch has uncommitted changes; commit or reset them first")
            }
            Error::NoParent => write!(f, "the commit has no parent"),
            Error::MergeCommit => write!(f, "the commit is a merge commit"),
        }
    }
}

impl std::error::Error for Error {}
