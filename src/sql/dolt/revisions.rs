//! Revisions: how SQL names a commit (a branch, a tag, a hash, `HEAD~n` on the session's branch,
//! a time), tables read at a revision (`t AS OF 'v1'`, `` `db/feature`.t ``), the
//! `@@<db>_head`, `@@<db>_head_ref`, `@@<db>_working` and `@@<db>_staged` variables, and the
//! scalar functions that read history (`active_branch()`, `dolt_hashof()`, ...).

use std::ops::Bound;

use crate::chunk::Hash;
use crate::history::{Repo, RootValue};

use super::super::ast::Revision;
use super::super::data::{TableData, TableMeta};
use super::super::error::{Error, ErrorKind};
use super::super::exec::Exec;
use super::super::types::{parse_datetime, Datum};
use super::super::workspace::Workspace;
use super::{hash_text, text_arg, working_root};

/// Resolves a revision name. `HEAD` means the session's branch, not the repository's.
pub(super) fn resolve(repo: &Repo, workspace: &Workspace, revision: &str) -> Result<Hash, Error> {
    let head_relative = revision.len() >= 4
        && revision[..4].eq_ignore_ascii_case("head")
        && revision[4..].chars().next().is_none_or(|c| c == '~' || c == '^');
    if head_relative {
        return Ok(repo.resolve(&format!("{}{}", workspace.branch, &revision[4..]))?);
    }
    Ok(repo.resolve(revision)?)
}

/// The newest commit of the session branch's history made at or before `micros` (a DATETIME).
fn commit_at(repo: &Repo, workspace: &Workspace, micros: i64) -> Result<Hash, Error> {
    let head = repo.branch_head(&workspace.branch)?;
    let time_ms = micros.div_euclid(1000);
    for commit in repo.log(head, None)? {
        if commit.committer.time_ms <= time_ms {
            return Ok(commit.hash);
        }
    }
    Err(Error::new(
        ErrorKind::History,
        format!("no commit on branch '{}' is that old", workspace.branch),
    ))
}

/// The commit a revision value names: text is a revision name (or, failing that, a time),
/// a DATE or DATETIME picks the commit current at that time.
pub(super) fn commit_of(repo: &Repo, workspace: &Workspace, value: &Datum) -> Result<Hash, Error> {
    match value {
        Datum::DateTime(micros) => commit_at(repo, workspace, *micros),
        Datum::Date(days) => commit_at(repo, workspace, i64::from(*days) * 86_400_000_000),
        Datum::Null => Err(Error::new(ErrorKind::BadValue, "a revision may not be NULL")),
        other => {
            let text = other.to_text().unwrap_or_default();
            match resolve(repo, workspace, &text) {
                Ok(hash) => Ok(hash),
                Err(error) => match parse_datetime(&text) {
                    Some(micros) => commit_at(repo, workspace, micros),
                    None => Err(error),
                },
            }
        }
    }
}

/// The root value a revision names; `WORKING` and `STAGED` name the session branch's working
/// (with the transaction's changes) and staged roots.
pub(super) fn root_of(exec: &mut Exec, value: &Datum) -> Result<RootValue, Error> {
    if let Datum::Text(text) = value {
        if text.eq_ignore_ascii_case("working") {
            return working_root(exec);
        }
        if text.eq_ignore_ascii_case("staged") {
            let repo = Repo::open(&mut *exec.store)?;
            return Ok(repo.staged_root(&exec.workspace.branch)?);
        }
    }
    let repo = Repo::open(&mut *exec.store)?;
    let commit = commit_of(&repo, exec.workspace, value)?;
    Ok(repo.root(repo.commit(commit)?.root)?)
}

/// Whether a table revision names the session's own branch, whose rows the transaction reads
/// with its uncommitted changes.
pub(in super::super) fn is_own_branch(exec: &Exec, revision: &Revision) -> bool {
    matches!(revision, Revision::Database(name) if *name == exec.workspace.branch)
}

/// Table `name` in a root value, with its schema read.
fn table_in(
    exec: &Exec,
    root: &RootValue,
    name: &str,
) -> Result<(TableMeta, crate::history::Table), Error> {
    let stored = root
        .tables
        .keys()
        .find(|n| n.eq_ignore_ascii_case(name))
        .cloned()
        .ok_or_else(|| Error::no_such_table(name))?;
    let table = crate::history::Table::read(&*exec.store, root.tables[&stored])?;
    let meta = TableMeta::new(&stored, table.schema.clone())?;
    Ok((meta, table))
}

/// The rows of table `name` in a root value.
fn rows_in(
    exec: &mut Exec,
    root: &RootValue,
    name: &str,
) -> Result<(Vec<String>, Vec<Vec<Datum>>), Error> {
    let (meta, table) = table_in(exec, root, name)?;
    let columns = meta.schema.columns.iter().map(|c| c.name.clone()).collect();
    let data = TableData::new(meta, table);
    let rows = data.scan(&*exec.store, Bound::Unbounded, Bound::Unbounded)?;
    Ok((columns, rows.into_iter().map(|(_, row)| row).collect()))
}

/// The rows of table `name` at a revision (`t AS OF revision`).
pub(in super::super) fn read_as_of(
    exec: &mut Exec,
    name: &str,
    revision: &Datum,
) -> Result<(Vec<String>, Vec<Vec<Datum>>), Error> {
    let root = root_of(exec, revision)?;
    rows_in(exec, &root, name)
}

/// The root value of the revision database `db/revision`: a branch's working set (as other
/// sessions committed it), or the commit a tag or hash names.
fn revision_root(exec: &mut Exec, revision: &str) -> Result<RootValue, Error> {
    let repo = Repo::open(&mut *exec.store)?;
    if repo.branch_head(revision).is_ok() {
        return Ok(repo.working_root(revision)?);
    }
    let commit = resolve(&repo, exec.workspace, revision).map_err(|error| {
        // A chunk not loaded yet (a tag's, a commit's) is loaded and the statement run again;
        // only a name that resolves to nothing names no database.
        if error.kind == ErrorKind::Storage {
            return error;
        }
        Error::new(
            ErrorKind::NoSuchDatabase,
            format!("database not found: {}/{revision}", exec.workspace.database),
        )
    })?;
    Ok(repo.root(repo.commit(commit)?.root)?)
}

/// The rows of table `name` in the revision database `db/revision`.
pub(in super::super) fn read_revision(
    exec: &mut Exec,
    name: &str,
    revision: &str,
) -> Result<(Vec<String>, Vec<Vec<Datum>>), Error> {
    let root = revision_root(exec, revision)?;
    rows_in(exec, &root, name)
}

/// The schema of table `name` at a revision (`SHOW CREATE TABLE t AS OF revision`).
pub(in super::super) fn meta_as_of(
    exec: &mut Exec,
    name: &str,
    revision: &Datum,
) -> Result<TableMeta, Error> {
    let root = root_of(exec, revision)?;
    Ok(table_in(exec, &root, name)?.0)
}

/// The schema of table `name` in the revision database `db/revision`.
pub(in super::super) fn meta_in_revision(
    exec: &mut Exec,
    name: &str,
    revision: &str,
) -> Result<TableMeta, Error> {
    let root = revision_root(exec, revision)?;
    Ok(table_in(exec, &root, name)?.0)
}

/// `@@<db>_head` and its kin, for the session's database; `None` for any other name.
pub(in super::super) fn variable(exec: &mut Exec, name: &str) -> Option<Result<Datum, Error>> {
    let database = exec.workspace.database.to_lowercase();
    let suffix = name.to_lowercase().strip_prefix(&database)?.strip_prefix('_')?.to_string();
    if !matches!(suffix.as_str(), "head" | "head_ref" | "working" | "staged") {
        return None;
    }
    Some(revision_variable(exec, &suffix))
}

fn revision_variable(exec: &mut Exec, suffix: &str) -> Result<Datum, Error> {
    let branch = exec.workspace.branch.clone();
    if suffix == "head_ref" {
        return Ok(Datum::Text(format!("refs/heads/{branch}")));
    }
    if suffix == "working" {
        let root = working_root(exec)?;
        return Ok(hash_text(root.write(&mut *exec.store)?));
    }
    let repo = Repo::open(&mut *exec.store)?;
    Ok(hash_text(match suffix {
        "head" => repo.branch_head(&branch)?,
        _ => repo.working_set(&branch)?.staged,
    }))
}

fn arity(name: &str, args: &[Datum], range: std::ops::RangeInclusive<usize>) -> Result<(), Error> {
    if range.contains(&args.len()) {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::WrongArgumentCount,
        format!("Incorrect parameter count in the call to function '{name}'"),
    ))
}

/// The history-reading scalar functions.
pub(super) fn function(exec: &mut Exec, name: &str, args: Vec<Datum>) -> Result<Datum, Error> {
    match name {
        "active_branch" => {
            arity(name, &args, 0..=0)?;
            Ok(Datum::Text(exec.workspace.branch.clone()))
        }
        "dolt_version" => {
            arity(name, &args, 0..=0)?;
            Ok(Datum::Text(env!("CARGO_PKG_VERSION").to_string()))
        }
        "dolt_hashof" | "hashof" => {
            arity(name, &args, 1..=1)?;
            let revision = text_arg(name, &args[0])?;
            let repo = Repo::open(&mut *exec.store)?;
            Ok(hash_text(resolve(&repo, exec.workspace, &revision)?))
        }
        "dolt_hashof_table" => {
            arity(name, &args, 1..=2)?;
            let table = text_arg(name, &args[0])?;
            let root = match args.get(1) {
                Some(revision) => root_of(exec, revision)?,
                None => working_root(exec)?,
            };
            let stored = root.tables.iter().find(|(n, _)| n.eq_ignore_ascii_case(&table));
            match stored {
                Some((_, hash)) => Ok(hash_text(*hash)),
                None => Err(Error::no_such_table(&table)),
            }
        }
        "dolt_hashof_db" => {
            arity(name, &args, 0..=1)?;
            let root = match args.first() {
                Some(revision) => root_of(exec, revision)?,
                None => working_root(exec)?,
            };
            Ok(hash_text(root.write(&mut *exec.store)?))
        }
        "dolt_merge_base" => {
            arity(name, &args, 2..=2)?;
            let (a, b) = (text_arg(name, &args[0])?, text_arg(name, &args[1])?);
            let repo = Repo::open(&mut *exec.store)?;
            let (a, b) = (resolve(&repo, exec.workspace, &a)?, resolve(&repo, exec.workspace, &b)?);
            Ok(repo.merge_base(a, b)?.map_or(Datum::Null, hash_text))
        }
        "has_ancestor" => {
            arity(name, &args, 2..=2)?;
            if args.iter().any(Datum::is_null) {
                return Ok(Datum::Null);
            }
            let (commit, ancestor) = (text_arg(name, &args[0])?, text_arg(name, &args[1])?);
            let repo = Repo::open(&mut *exec.store)?;
            let commit = resolve(&repo, exec.workspace, &commit)?;
            let ancestor = resolve(&repo, exec.workspace, &ancestor)?;
            Ok(Datum::Int(i64::from(repo.is_ancestor(ancestor, commit)?)))
        }
        "commit" => super::procedures::commit_function(exec, args),
        _ => unreachable!("is_function names only these and the procedures"),
    }
}
