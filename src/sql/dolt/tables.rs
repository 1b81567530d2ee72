//! Dolt's system tables and table functions: where SQL reads history as rows (`dolt_log`,
//! `dolt_branches`, `dolt_status`, `dolt_diff_<table>`, ...) and the few tables whose writes
//! change history (`dolt_branches` moves, renames and deletes branches; `dolt_conflicts_<table>`
//! resolves merge conflicts). Names match ignoring ASCII case, as table names do.
//!
//! A system table hands back every row it may hold and the caller applies the WHERE clause;
//! the history-sized tables read the filter only to skip what it cannot match
//! ([`pinned`]), so the rows returned are always a superset of the answer.

use crate::chunk::Hash;
use crate::history::{remotes, Commit, Repo, RootValue, Signature};

use super::super::ast::{BinaryOp, Expr, OrderItem};
use super::super::error::{Error, ErrorKind};
use super::super::exec::{check_columns, sort_keyed, Env, Exec, Scope};
use super::super::types::Datum;
use super::{change_history, hash_text, text_arg, working_root};
use super::{conflicts, diff_tables, log};

/// A system table's or table function's output: column names and rows.
pub(super) type Listing = (Vec<String>, Vec<Vec<Datum>>);

/// Columns of `dolt_branches`.
const BRANCH_COLUMNS: &[&str] = &[
    "name",
    "hash",
    "latest_committer",
    "latest_committer_email",
    "latest_commit_date",
    "latest_commit_message",
    "remote",
    "branch",
    "dirty",
];

/// Columns of `dolt_schemas`, which stays empty until Cambium has views and triggers; the
/// table exists so tools that read it find its shape.
const SCHEMA_COLUMNS: &[&str] = &["type", "name", "fragment", "extra", "sql_mode"];

/// The system tables that take no table name; the `<table>`-suffixed ones follow [`suffixed`].
const PLAIN_TABLES: &[&str] = &[
    "dolt_log",
    "dolt_branches",
    "dolt_remote_branches",
    "dolt_status",
    "dolt_commits",
    "dolt_commit_ancestors",
    "dolt_tags",
    "dolt_diff",
    "dolt_conflicts",
    "dolt_merge_status",
    "dolt_schemas",
    "dolt_remotes",
    "dolt_backups",
    "dolt_persisted_variables",
];

/// The system tables named after a user table.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Suffixed {
    Diff,
    History,
    Conflicts,
}

/// Which `<prefix><table>` system table `name` is, and the user table it names.
fn suffixed(name: &str) -> Option<(Suffixed, &str)> {
    let prefixes = [
        ("dolt_diff_", Suffixed::Diff),
        ("dolt_history_", Suffixed::History),
        ("dolt_conflicts_", Suffixed::Conflicts),
    ];
    prefixes.into_iter().find_map(|(prefix, kind)| {
        let head = name.get(..prefix.len())?;
        let table = &name[prefix.len()..];
        (head.eq_ignore_ascii_case(prefix) && !table.is_empty()).then_some((kind, table))
    })
}

/// Column names as a listing wants them.
pub(super) fn listing(columns: &[&str], rows: Vec<Vec<Datum>>) -> Listing {
    (columns.iter().map(|c| c.to_string()).collect(), rows)
}

/// A signature's time as SQL shows dates (DATETIME, microseconds).
pub(super) fn date(signature: &Signature) -> Datum {
    Datum::DateTime(signature.time_ms.saturating_mul(1000))
}

/// The cells Dolt's history tables open with for a commit: its hash, committer name and
/// email, commit date and message.
pub(super) fn commit_cells(commit: &Commit) -> [Datum; 5] {
    [
        hash_text(commit.hash),
        Datum::Text(commit.committer.name.clone()),
        Datum::Text(commit.committer.email.clone()),
        date(&commit.committer),
        Datum::Text(commit.message.clone()),
    ]
}

/// A boolean column's value, as MySQL stores BOOLEAN.
pub(super) fn flag(value: bool) -> Datum {
    Datum::Int(i64::from(value))
}

/// The stored name of a table in `root`, matched ignoring ASCII case as SQL names are.
pub(super) fn find_table(root: &RootValue, name: &str) -> Option<String> {
    root.tables.keys().find(|n| n.eq_ignore_ascii_case(name)).cloned()
}

/// A result past [`super::super::exec::RESULT_ROWS_MAX`], refused rather than cut short.
pub(super) fn too_many_rows(table: &str) -> Error {
    Error::new(
        ErrorKind::LimitExceeded,
        format!(
            "{table} would hold more than {} rows; narrow it with a filter",
            super::super::exec::RESULT_ROWS_MAX
        ),
    )
}

/// The rows of the system table `name`.
pub(in super::super) fn system_table(
    exec: &mut Exec,
    name: &str,
    filter: Option<&Expr>,
    _outer: Option<&Env>,
) -> Result<Listing, Error> {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "dolt_log" => return log::log_table(exec),
        "dolt_branches" => return branches(exec),
        "dolt_remote_branches" => return remote_branches(exec),
        "dolt_status" => return status(exec),
        "dolt_commits" => return log::commits(exec),
        "dolt_commit_ancestors" => return log::ancestors(exec),
        "dolt_tags" => return tags(exec),
        "dolt_diff" => return diff_tables::commit_diffs(exec, name, filter),
        "dolt_conflicts" => return conflicts::summary(exec),
        "dolt_merge_status" => return merge_status(exec),
        "dolt_schemas" => return Ok(listing(SCHEMA_COLUMNS, Vec::new())),
        "dolt_remotes" => return super::remotes::remotes_table(exec),
        "dolt_backups" => return super::remotes::backups_table(exec),
        "dolt_persisted_variables" => return persisted_variables(exec),
        _ => {}
    }
    match suffixed(name) {
        Some((Suffixed::Diff, table)) => diff_tables::table_diff(exec, name, table, filter),
        Some((Suffixed::History, table)) => diff_tables::table_history(exec, name, table, filter),
        Some((Suffixed::Conflicts, table)) => conflicts::rows(exec, name, table),
        None => Err(Error::no_such_table(name)),
    }
}

/// The rows of the table function `name`.
pub(in super::super) fn table_function(
    exec: &mut Exec,
    name: &str,
    args: Vec<Datum>,
) -> Result<Listing, Error> {
    match name.to_ascii_lowercase().as_str() {
        "dolt_diff" => diff_tables::diff_function(exec, args),
        "dolt_diff_stat" => diff_tables::diff_stat(exec, args),
        "dolt_diff_summary" => diff_tables::diff_summary(exec, args),
        "dolt_log" => log::log_function(exec, args),
        _ => Err(Error::no_such_table(name)),
    }
}

/// Whether `name` is one of the system tables, so that writing it is refused as read-only
/// rather than reported as a missing table.
fn is_system_table(name: &str) -> bool {
    PLAIN_TABLES.iter().any(|t| t.eq_ignore_ascii_case(name)) || suffixed(name).is_some()
}

/// The refusal for writing a system table that only reports history; its changes go through
/// the procedures.
fn read_only(name: &str) -> Error {
    Error::new(ErrorKind::Unsupported, format!("the {name} system table is read-only"))
}

/// `UPDATE` of a writable system table; `None` when `table` is not one.
pub(in super::super) fn update_rows(
    exec: &mut Exec,
    table: &str,
    alias: Option<&str>,
    assignments: &[(String, Expr)],
    filter: Option<&Expr>,
    order_by: &[OrderItem],
    limit: Option<&Expr>,
) -> Option<Result<u64, Error>> {
    let picks = Picks { label: alias.unwrap_or(table), filter, order_by, limit };
    if table.eq_ignore_ascii_case("dolt_branches") {
        return Some(update_branches(exec, assignments, &picks));
    }
    if let Some((Suffixed::Conflicts, user_table)) = suffixed(table) {
        return Some(conflicts::update(exec, table, user_table, assignments, &picks));
    }
    is_system_table(table).then(|| Err(read_only(table)))
}

/// `DELETE` from a writable system table; `None` when `table` is not one.
pub(in super::super) fn delete_rows(
    exec: &mut Exec,
    table: &str,
    alias: Option<&str>,
    filter: Option<&Expr>,
    order_by: &[OrderItem],
    limit: Option<&Expr>,
) -> Option<Result<u64, Error>> {
    let picks = Picks { label: alias.unwrap_or(table), filter, order_by, limit };
    if table.eq_ignore_ascii_case("dolt_branches") {
        return Some(delete_branches(exec, &picks));
    }
    if let Some((Suffixed::Conflicts, user_table)) = suffixed(table) {
        return Some(conflicts::delete(exec, table, user_table, &picks));
    }
    is_system_table(table).then(|| Err(read_only(table)))
}

// ---------------------------------------------------------------- filters

/// The clauses of an UPDATE or DELETE that pick rows.
pub(super) struct Picks<'a> {
    /// The name the statement's clauses call the table by: its alias, else its name.
    pub label: &'a str,
    pub filter: Option<&'a Expr>,
    pub order_by: &'a [OrderItem],
    pub limit: Option<&'a Expr>,
}

impl Picks<'_> {
    /// The rows of a system table this statement picks, with the scope naming their columns.
    pub(super) fn apply(
        &self,
        exec: &mut Exec,
        (columns, rows): Listing,
    ) -> Result<(Scope, Vec<Vec<Datum>>), Error> {
        let label = self.label.to_lowercase();
        let scope =
            Scope { columns: columns.into_iter().map(|c| (Some(label.clone()), c)).collect() };
        let used = self.filter.into_iter().chain(self.order_by.iter().map(|o| &o.expr));
        check_columns(&scope, None, used, &[])?;
        let mut picked = Vec::new();
        for row in rows {
            if let Some(filter) = self.filter {
                if exec.eval(filter, &Env::new(&scope, &row))?.truth() != Some(true) {
                    continue;
                }
            }
            picked.push(row);
        }
        if !self.order_by.is_empty() {
            let mut keyed = Vec::with_capacity(picked.len());
            for row in picked {
                let keys = self
                    .order_by
                    .iter()
                    .map(|item| exec.eval(&item.expr, &Env::new(&scope, &row)))
                    .collect::<Result<Vec<_>, _>>()?;
                keyed.push((keys, row));
            }
            sort_keyed(&mut keyed, self.order_by);
            picked = keyed.into_iter().map(|(_, row)| row).collect();
        }
        if let Some(limit) = self.limit {
            let empty = Scope::default();
            let n = exec.eval(limit, &Env::new(&empty, &[]))?.to_i64()?.unwrap_or(0).max(0);
            picked.truncate(usize::try_from(n).unwrap_or(usize::MAX));
        }
        Ok((scope, picked))
    }
}

/// Whether an expression's value is the same for every row and safe to compute once more:
/// no columns, no subqueries, and no procedure (whose function form changes history).
fn is_constant(expr: &Expr) -> bool {
    match expr {
        Expr::Literal(_) | Expr::Param(_) | Expr::UserVariable(_) | Expr::SystemVariable { .. } => {
            true
        }
        Expr::Unary(_, inner) | Expr::Cast { expr: inner, .. } => is_constant(inner),
        Expr::Binary(_, left, right) => is_constant(left) && is_constant(right),
        Expr::Function { name, args } => {
            let name = name.to_ascii_lowercase();
            !super::procedures::is_procedure(&name)
                && name != "commit"
                && args.iter().all(is_constant)
        }
        _ => false,
    }
}

/// The AND-ed parts of a filter, each of which every returned row must satisfy, so any one of
/// them may narrow what is read.
fn conjuncts<'e>(expr: &'e Expr, out: &mut Vec<&'e Expr>) {
    match expr {
        Expr::Binary(BinaryOp::And, left, right) => {
            conjuncts(left, out);
            conjuncts(right, out);
        }
        other => out.push(other),
    }
}

/// The text a WHERE conjunct `column = constant` pins a hash column of system table `table`
/// to, lower-cased and without trailing spaces (text compares that way), so it can be looked
/// up as a hash or `working`. `None` when no conjunct pins it to text; a NULL pins it to
/// nothing (the empty text, which no row holds). A qualified column counts only when the
/// qualifier is the table's own name, so a join's other tables are never pinned by mistake.
pub(super) fn pinned(
    exec: &mut Exec,
    filter: Option<&Expr>,
    table: &str,
    column: &str,
) -> Result<Option<String>, Error> {
    let Some(filter) = filter else { return Ok(None) };
    let mut all = Vec::new();
    conjuncts(filter, &mut all);
    for conjunct in all {
        let Expr::Binary(BinaryOp::Eq, left, right) = conjunct else { continue };
        let constant = match (&**left, &**right) {
            (Expr::Column(c), other) | (other, Expr::Column(c))
                if c.column.eq_ignore_ascii_case(column)
                    && c.table.as_deref().is_none_or(|t| t.eq_ignore_ascii_case(table))
                    && is_constant(other) =>
            {
                other
            }
            _ => continue,
        };
        let empty = Scope::default();
        match exec.eval(constant, &Env::new(&empty, &[]))? {
            Datum::Null => return Ok(Some(String::new())),
            value @ (Datum::Text(_) | Datum::Bytes(_)) => {
                let text = value.to_text().unwrap_or_default();
                return Ok(Some(text.trim_end_matches(' ').to_lowercase()));
            }
            // A number or date compares with hash text by conversion, which may match many
            // rows; leave such a filter to the caller.
            _ => continue,
        }
    }
    Ok(None)
}

/// The commit whose hash is `text` (as [`pinned`] gives it), if the store holds one. Anything
/// else is no commit, not an error: a filter may compare with any text.
pub(super) fn commit_named(repo: &Repo, text: &str) -> Result<Option<Commit>, Error> {
    let Ok(hash) = Hash::parse(text) else { return Ok(None) };
    if !repo.store().has_many(&[hash]).map_err(crate::history::Error::from)?[0] {
        return Ok(None);
    }
    match repo.commit(hash) {
        Ok(commit) => Ok(Some(commit)),
        Err(error) if error.missing().is_some() => Err(error.into()),
        Err(_) => Ok(None),
    }
}

// ---------------------------------------------------------------- refs and status

/// `dolt_branches`: every branch with its head commit's details and whether its working set
/// holds uncommitted changes (the session's own branch counting its open transaction).
fn branches(exec: &mut Exec) -> Result<Listing, Error> {
    let own = exec.workspace.branch.clone();
    let own_working = working_root(exec)?;
    let repo = Repo::open(&mut *exec.store)?;
    let upstreams = remotes::List::read(&repo, remotes::UPSTREAMS_DOCUMENT)?;
    let mut rows = Vec::new();
    for (name, hash) in repo.branches() {
        let commit = repo.commit(hash)?;
        let set = repo.working_set(&name)?;
        let dirty = set.staged != commit.root
            || if name == own {
                own_working != repo.root(commit.root)?
            } else {
                set.working != commit.root
            };
        let (remote, remote_branch) = remotes::upstream_in(&upstreams, &name).unwrap_or_default();
        let mut row = vec![Datum::Text(name)];
        row.extend(commit_cells(&commit));
        row.extend([Datum::Text(remote), Datum::Text(remote_branch), flag(dirty)]);
        rows.push(row);
    }
    Ok(listing(BRANCH_COLUMNS, rows))
}

/// `dolt_remote_branches`: the remote-tracking branches fetches left.
fn remote_branches(exec: &mut Exec) -> Result<Listing, Error> {
    let repo = Repo::open(&mut *exec.store)?;
    let mut rows = Vec::new();
    for (name, hash) in repo.remote_branches() {
        let commit = repo.commit(hash)?;
        let mut row = vec![Datum::Text(name)];
        row.extend(commit_cells(&commit));
        rows.push(row);
    }
    Ok(listing(&BRANCH_COLUMNS[..6], rows))
}

/// `dolt_tags`: each tag with the commit it names (`tag_hash`, as Dolt calls it).
/// `dolt_persisted_variables`: the system variables `SET PERSIST` stored in the database
/// (what `cambium config --list` shows as `sqlserver.global.<name>`), by name.
fn persisted_variables(exec: &mut Exec) -> Result<Listing, Error> {
    let persisted = super::super::session::load_persisted(&Repo::open(&mut *exec.store)?)?;
    let rows = persisted
        .into_iter()
        .map(|(name, value)| {
            vec![Datum::Text(name), Datum::Text(value.to_text().unwrap_or_default())]
        })
        .collect();
    Ok(listing(&["name", "value"], rows))
}

fn tags(exec: &mut Exec) -> Result<Listing, Error> {
    let repo = Repo::open(&mut *exec.store)?;
    let rows = repo
        .tags()?
        .into_iter()
        .map(|(name, tag)| {
            vec![
                Datum::Text(name),
                hash_text(tag.commit),
                Datum::Text(tag.tagger.name.clone()),
                Datum::Text(tag.tagger.email.clone()),
                date(&tag.tagger),
                Datum::Text(tag.message),
            ]
        })
        .collect();
    Ok(listing(&["tag_name", "tag_hash", "tagger", "email", "date", "message"], rows))
}

/// How a table changed between two roots, in `dolt_status`'s words.
fn change_word(from: &RootValue, to: &RootValue, table: &str) -> Option<&'static str> {
    match (from.tables.get(table), to.tables.get(table)) {
        (a, b) if a == b => None,
        (None, _) => Some("new table"),
        (_, None) => Some("deleted"),
        _ => Some("modified"),
    }
}

/// `dolt_status`: staged changes (HEAD → staged), then unstaged ones (staged → working, the
/// open transaction included), with conflicted tables reported as `conflict`.
fn status(exec: &mut Exec) -> Result<Listing, Error> {
    let branch = exec.workspace.branch.clone();
    let working = working_root(exec)?;
    let repo = Repo::open(&mut *exec.store)?;
    let head = repo.root(repo.commit(repo.branch_head(&branch)?)?.root)?;
    let set = repo.working_set(&branch)?;
    let staged = repo.root(set.staged)?;
    let conflicted: Vec<String> =
        set.merge.map(|m| m.conflicts.into_keys().collect()).unwrap_or_default();
    let names = |a: &RootValue, b: &RootValue| -> std::collections::BTreeSet<String> {
        a.tables.keys().chain(b.tables.keys()).cloned().collect()
    };
    let mut rows = Vec::new();
    for table in names(&head, &staged) {
        if let Some(word) = change_word(&head, &staged, &table) {
            rows.push(vec![Datum::Text(table), flag(true), Datum::Text(word.into())]);
        }
    }
    let mut unstaged = names(&staged, &working);
    unstaged.extend(conflicted.iter().cloned());
    for table in unstaged {
        let word = match conflicted.contains(&table) {
            true => Some("conflict"),
            false => change_word(&staged, &working, &table),
        };
        if let Some(word) = word {
            rows.push(vec![Datum::Text(table), flag(false), Datum::Text(word.into())]);
        }
    }
    Ok(listing(&["table_name", "staged", "status"], rows))
}

/// `dolt_merge_status`: one row saying whether the session's branch is mid-merge.
fn merge_status(exec: &mut Exec) -> Result<Listing, Error> {
    let branch = exec.workspace.branch.clone();
    let repo = Repo::open(&mut *exec.store)?;
    let row = match repo.working_set(&branch)?.merge {
        None => vec![flag(false), Datum::Null, Datum::Null, Datum::Null, Datum::Null],
        Some(merge) => {
            let tables: Vec<String> = merge.conflicts.into_keys().collect();
            vec![
                flag(true),
                hash_text(merge.commit),
                hash_text(merge.commit),
                Datum::Text(format!("refs/heads/{branch}")),
                Datum::Text(tables.join(", ")),
            ]
        }
    };
    let columns = ["is_merging", "source", "source_commit", "target", "unmerged_tables"];
    Ok(listing(&columns, vec![row]))
}

// ---------------------------------------------------------------- writing dolt_branches

/// Where one picked `dolt_branches` row goes: its name and head when picked, and the name
/// and revision the UPDATE assigns.
struct BranchMove {
    name: String,
    head: String,
    new_name: String,
    new_head: String,
}

/// The position in `dolt_branches` of an assigned column, refusing the read-only ones.
fn branch_column(column: &str) -> Result<usize, Error> {
    let position = BRANCH_COLUMNS
        .iter()
        .position(|c| c.eq_ignore_ascii_case(column))
        .ok_or_else(|| Error::no_such_column(column))?;
    if position > 1 {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!("column '{column}' of dolt_branches is read-only; update name or hash"),
        ));
    }
    Ok(position)
}

/// `UPDATE dolt_branches SET hash = <revision>, name = <new name> WHERE ...`: moves (keeping
/// the branch's working root) and renames the picked branches. Each row is a compare-and-swap:
/// a branch that moved since it was picked is left alone and not counted, so
/// `WHERE name = 'main' AND hash = @@mydb_head` is an optimistic lock.
fn update_branches(
    exec: &mut Exec,
    assignments: &[(String, Expr)],
    picks: &Picks,
) -> Result<u64, Error> {
    let positions =
        assignments.iter().map(|(c, _)| branch_column(c)).collect::<Result<Vec<_>, _>>()?;
    let all = branches(exec)?;
    let (scope, rows) = picks.apply(exec, all)?;
    let mut moves = Vec::with_capacity(rows.len());
    for row in rows {
        let mut new = row.clone();
        for ((_, expr), &p) in assignments.iter().zip(&positions) {
            new[p] = exec.eval(expr, &Env::new(&scope, &new))?;
        }
        moves.push(BranchMove {
            name: text_arg("dolt_branches", &row[0])?,
            head: text_arg("dolt_branches", &row[1])?,
            new_name: text_arg("dolt_branches", &new[0])?,
            new_head: text_arg("dolt_branches", &new[1])?,
        });
    }
    if moves.is_empty() {
        return Ok(0);
    }
    change_history(exec, |repo, workspace| {
        let mut changed = 0;
        for step in &moves {
            let current = match repo.branch_head(&step.name) {
                Ok(current) if current.to_string() == step.head => current,
                _ => continue,
            };
            let target = super::revisions::resolve(repo, workspace, &step.new_head)?;
            if target != current {
                repo.move_branch(&step.name, target)?;
            }
            if step.new_name != step.name {
                repo.rename_branch(&step.name, &step.new_name, false)?;
                if workspace.branch == step.name {
                    workspace.branch = step.new_name.clone();
                }
            }
            changed += u64::from(target != current || step.new_name != step.name);
        }
        Ok(changed)
    })
}

/// `DELETE FROM dolt_branches WHERE ...`: deletes the picked branches, merged or not (the
/// statement is explicit about which), but never the session's own.
fn delete_branches(exec: &mut Exec, picks: &Picks) -> Result<u64, Error> {
    let all = branches(exec)?;
    let (_, rows) = picks.apply(exec, all)?;
    let names =
        rows.iter().map(|row| text_arg("dolt_branches", &row[0])).collect::<Result<Vec<_>, _>>()?;
    if let Some(own) = names.iter().find(|n| **n == exec.workspace.branch) {
        return Err(Error::new(
            ErrorKind::History,
            format!("cannot delete branch '{own}': it is this session's checked-out branch"),
        ));
    }
    if names.is_empty() {
        return Ok(0);
    }
    change_history(exec, |repo, _| {
        let mut deleted = 0;
        for name in &names {
            if repo.branch_head(name).is_ok() {
                repo.delete_branch(name, true)?;
                deleted += 1;
            }
        }
        Ok(deleted)
    })
}
