//! Dolt's version-control surface in SQL, with Dolt's names, flags and result columns so that
//! Dolt's documentation carries over: procedures (`CALL dolt_commit('-am', 'msg')`, also callable
//! as functions), functions (`active_branch()`, `dolt_hashof()`, ...), system tables (`dolt_log`,
//! `dolt_diff_<table>`, ...), table functions (`dolt_diff(from, to, table)`, `dolt_log()`),
//! revisions (`t AS OF 'branch'`, `` `db/branch`.t ``) and the `@@<db>_head` variables.
//!
//! Everything here runs inside a statement's [`Exec`]: it reads the repository through the
//! statement's store, and the session's branch through its [`super::Workspace`]. A procedure
//! that changes history first publishes the open transaction's changes to the branch's working
//! set (as Dolt's procedures commit the transaction), then changes and publishes the ref map,
//! then restarts the transaction from the branch's new working root.

mod args;
mod conflicts;
mod diff_tables;
mod log;
mod procedures;
mod remotes;
mod replica;
mod revisions;
mod tables;

use crate::chunk::Hash;
use crate::history::{Repo, RootValue};

use super::error::{Error, ErrorKind};
use super::exec::{Exec, Rows, Tx};
use super::types::Datum;
use super::workspace::publish_retrying;

pub(super) use procedures::call;
pub use remotes::{
    after_push, apply_fetch, configured_url, decide_push, fetch_roots, network_call, plan_push,
    pull_source, NetworkCall, PushPlan, PushUpdate, Rejection, NETWORK_PROCEDURES,
};
pub use replica::{
    adopt_backup, apply_replica, moved_refs, replicated_refs, replication_plan, ReplicaChange,
};
pub(super) use revisions::{
    is_own_branch, meta_as_of, meta_in_revision, read_as_of, read_revision, variable,
};
pub(super) use tables::{delete_rows, system_table, table_function, update_rows};

/// The scalar functions of this module, procedures' function forms included.
pub(super) fn is_function(name: &str) -> bool {
    matches!(
        name,
        "active_branch"
            | "dolt_hashof"
            | "hashof"
            | "dolt_hashof_table"
            | "dolt_hashof_db"
            | "dolt_merge_base"
            | "has_ancestor"
            | "dolt_version"
            | "commit"
    ) || procedures::is_procedure(name)
}

/// Whether calling the procedure or function `name` with `args` (`None` when they are known
/// only as it runs) would change this database's data or history. Checking out an existing
/// branch only moves the session; copying to a backup, restoring one or cloning makes or
/// changes another database.
/// The read-only functions and unknown names change nothing (an unknown one fails as it runs).
pub(super) fn changes_repository(
    name: &str,
    args: Option<&[String]>,
    is_branch: &dyn Fn(&str) -> bool,
) -> bool {
    match name {
        "commit" => true,
        "dolt_checkout" => {
            !matches!(args, Some([branch]) if !branch.starts_with('-') && is_branch(branch))
        }
        // Remotes and backups are configuration, like SET PERSIST: a read-only database stays
        // configurable, and syncing or restoring a backup writes another database.
        "dolt_backup" | "dolt_remote" => false,
        "dolt_clone" => false,
        // Promotion is how a read replica, or a primary fenced off, becomes writable.
        "dolt_promote" => false,
        _ => procedures::is_procedure(name),
    }
}

/// Evaluates one of the functions [`is_function`] names.
pub(super) fn function(exec: &mut Exec, name: &str, args: Vec<Datum>) -> Result<Datum, Error> {
    if procedures::is_procedure(name) {
        // The function form runs the procedure and returns its first result cell, as Dolt's
        // deprecated function forms do (the hash for dolt_commit, the status for the others).
        let rows = call(exec, name, args)?;
        return Ok(rows
            .rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .unwrap_or(Datum::Null));
    }
    revisions::function(exec, name, args)
}

/// The text of a procedure's or function's argument; NULL is refused.
fn text_arg(function: &str, value: &Datum) -> Result<String, Error> {
    match value {
        Datum::Null => {
            Err(Error::new(ErrorKind::BadValue, format!("{function}: arguments may not be NULL")))
        }
        other => Ok(other.to_text().unwrap_or_default()),
    }
}

/// The transaction's working root as it stands, its uncommitted changes included.
fn working_root(exec: &mut Exec) -> Result<RootValue, Error> {
    if !exec.tx.dirty() {
        return Ok(exec.tx.root.clone());
    }
    let mut copy = exec.tx.clone();
    copy.flush(&mut *exec.store)
}

/// Publishes the open transaction's changes, runs `change` on the repository and publishes it
/// (again from a fresh read if another writer won the race), then restarts the transaction
/// from the session branch's working root, which `change` may have moved or switched.
fn change_history<T>(
    exec: &mut Exec,
    mut change: impl FnMut(&mut Repo, &mut super::Workspace) -> Result<T, Error>,
) -> Result<T, Error> {
    exec.tx.commit(&mut *exec.store, &exec.workspace.branch, None)?;
    exec.undo.clear();
    let mut workspace = exec.workspace.clone();
    let value = publish_retrying(
        &mut *exec.store,
        "the repository kept moving while changing its history; retry",
        |repo| {
            workspace = exec.workspace.clone();
            change(repo, &mut workspace)
        },
    )?;
    *exec.workspace = workspace;
    restart(exec)?;
    Ok(value)
}

/// Starts the transaction over from the session branch's published working root.
fn restart(exec: &mut Exec) -> Result<(), Error> {
    let metas = std::mem::take(&mut exec.tx.metas);
    *exec.tx = Tx::begin(&Repo::open(&mut *exec.store)?, &exec.workspace.branch, metas)?;
    exec.undo.clear();
    Ok(())
}

/// A commit hash as SQL shows it.
fn hash_text(hash: Hash) -> Datum {
    Datum::Text(hash.to_string())
}

/// Rows with the given column names.
fn rows(columns: &[&str], rows: Vec<Vec<Datum>>) -> Rows {
    Rows { columns: columns.iter().map(|c| c.to_string()).collect(), rows }
}
