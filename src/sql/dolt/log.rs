//! Commit listings: the `dolt_log` system table and table function (revision ranges, `--not`,
//! `--merges`, `--parents`, `--decorate`, ...), `dolt_commits` and `dolt_commit_ancestors`.

use std::collections::{BinaryHeap, HashMap, HashSet};

use crate::chunk::Hash;
use crate::history::{Commit, Repo, LOG_COMMITS_MAX};

use super::super::error::{Error, ErrorKind};
use super::super::exec::Exec;
use super::super::types::Datum;
use super::args::{option, parse, switch, Flag};
use super::revisions::resolve;
use super::tables::{commit_cells, date, find_table, listing, Listing};
use super::{hash_text, text_arg};

/// Columns of `dolt_log`, the system table and the table function alike.
const LOG_COLUMNS: &[&str] = &[
    "commit_hash",
    "committer",
    "email",
    "date",
    "message",
    "commit_order",
    "parents",
    "refs",
    "author",
    "author_email",
    "author_date",
];

/// The flags `dolt_log()` takes besides revisions and `--not` (which takes every revision
/// after it, so it is read before these).
const LOG_FLAGS: &[Flag] = &[
    option("number", Some('n')),
    option("min-parents", None),
    switch("merges", None),
    switch("parents", None),
    option("decorate", None),
    switch("all", None),
    option("tables", Some('t')),
];

/// Commits reachable from `starts`, newest first in [`Repo::log`]'s order (height, then
/// commit time, then hash), each once.
pub(super) fn walk(repo: &Repo, starts: &[Hash]) -> Result<Vec<Commit>, Error> {
    let mut queue = BinaryHeap::new();
    let mut pending: HashMap<Hash, Commit> = HashMap::new();
    let mut seen = HashSet::new();
    for &start in starts {
        if seen.insert(start) {
            let commit = repo.commit(start)?;
            queue.push((commit.height, commit.committer.time_ms, start));
            pending.insert(start, commit);
        }
    }
    let mut out = Vec::new();
    while let Some((_, _, hash)) = queue.pop() {
        if out.len() == LOG_COMMITS_MAX {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!("the history holds more than {LOG_COMMITS_MAX} commits"),
            ));
        }
        let commit = pending.remove(&hash).expect("queued commits are pending");
        for &parent in &commit.parents {
            if seen.insert(parent) {
                let parent_commit = repo.commit(parent)?;
                queue.push((parent_commit.height, parent_commit.committer.time_ms, parent));
                pending.insert(parent, parent_commit);
            }
        }
        out.push(commit);
    }
    Ok(out)
}

/// Branch and tag names per commit, as the `refs` column shows them: branches, then tags,
/// each by name; `full` spells them as refs (`refs/heads/main`, `refs/tags/v1`).
fn decorations(repo: &Repo, full: bool) -> Result<HashMap<Hash, String>, Error> {
    let mut names: HashMap<Hash, Vec<String>> = HashMap::new();
    for (name, hash) in repo.branches() {
        let name = if full { format!("refs/heads/{name}") } else { name };
        names.entry(hash).or_default().push(name);
    }
    for (name, tag) in repo.tags()? {
        let name = if full { format!("refs/tags/{name}") } else { name };
        names.entry(tag.commit).or_default().push(name);
    }
    Ok(names.into_iter().map(|(hash, names)| (hash, names.join(", "))).collect())
}

/// One `dolt_log` row. `parents` and `refs` are NULL when not asked for (the table function
/// without `--parents`, or with `--decorate no`).
fn log_row(commit: Commit, parents: bool, refs: Option<&HashMap<Hash, String>>) -> Vec<Datum> {
    let parents = match parents {
        true => {
            let hashes: Vec<String> = commit.parents.iter().map(Hash::to_string).collect();
            Datum::Text(hashes.join(" "))
        }
        false => Datum::Null,
    };
    let refs = match refs {
        Some(refs) => Datum::Text(refs.get(&commit.hash).cloned().unwrap_or_default()),
        None => Datum::Null,
    };
    let mut row = Vec::from(commit_cells(&commit));
    row.extend([Datum::UInt(commit.height), parents, refs]);
    row.extend(author_cells(&commit));
    row
}

/// `dolt_log`: the session branch's history, newest first.
pub(super) fn log_table(exec: &mut Exec) -> Result<Listing, Error> {
    let repo = Repo::open(&mut *exec.store)?;
    let head = repo.branch_head(&exec.workspace.branch)?;
    let refs = decorations(&repo, false)?;
    let rows = repo.log(head, None)?.into_iter().map(|c| log_row(c, true, Some(&refs))).collect();
    Ok(listing(LOG_COLUMNS, rows))
}

/// A malformed `dolt_log()` argument, named as Dolt words it.
fn bad(message: String) -> Error {
    Error::new(ErrorKind::BadArgument, format!("dolt_log: {message}"))
}

/// A flag's count (`-n 5`), refusing text that is not a count rather than reading it as none.
fn count_flag(value: Option<&str>, flag: &str) -> Result<Option<usize>, Error> {
    value
        .map(|v| {
            v.trim().parse::<usize>().map_err(|_| bad(format!("--{flag} needs a count, not '{v}'")))
        })
        .transpose()
}

/// `dolt_log([revisions...], flags)`: the commits reachable from the revisions (the session's
/// HEAD without any) and not from the excluded ones (`^rev`, `--not rev...`, `a..b`), or the
/// symmetric difference of `a...b`, filtered and limited as the flags say.
pub(super) fn log_function(exec: &mut Exec, args: Vec<Datum>) -> Result<Listing, Error> {
    let texts = args.iter().map(|a| text_arg("dolt_log", a)).collect::<Result<Vec<_>, _>>()?;
    let mut rest = Vec::new();
    let mut excluded = Vec::new();
    let mut after_not = false;
    for text in texts {
        if text == "--not" {
            after_not = true;
        } else if after_not && !text.starts_with('-') {
            if text.contains("..") {
                return Err(bad("--not revision cannot contain '..'".into()));
            }
            if text.starts_with('^') {
                return Err(bad("--not revision cannot contain '^'".into()));
            }
            excluded.push(text);
        } else {
            after_not = false;
            rest.push(text);
        }
    }
    let parsed = parse("dolt_log", LOG_FLAGS, &rest)?;
    if parsed.positional.len() > 1 && parsed.positional.iter().any(|r| r.contains("..")) {
        return Err(
            bad("revision cannot contain '..' or '...' if multiple revisions exist".into()),
        );
    }
    let refs_full = match parsed.value("decorate").unwrap_or("short") {
        "short" | "auto" => Some(false),
        "full" => Some(true),
        "no" => None,
        other => return Err(bad(format!("invalid --decorate option: \"{other}\""))),
    };
    let limit = count_flag(parsed.value("number"), "number")?;
    let mut min_parents = count_flag(parsed.value("min-parents"), "min-parents")?.unwrap_or(0);
    if parsed.has("merges") {
        min_parents = min_parents.max(2);
    }
    let tables: Vec<String> = parsed
        .value("tables")
        .map(|t| t.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let side = |s: &str| if s.is_empty() { "HEAD".to_string() } else { s.to_string() };
    let mut included = Vec::new();
    let mut symmetric = None;
    for revision in &parsed.positional {
        if let Some((a, b)) = revision.split_once("...") {
            symmetric = Some((side(a), side(b)));
        } else if let Some((a, b)) = revision.split_once("..") {
            excluded.push(side(a));
            included.push(side(b));
        } else if let Some(name) = revision.strip_prefix('^') {
            excluded.push(name.to_string());
        } else {
            included.push(revision.clone());
        }
    }
    let repo = Repo::open(&mut *exec.store)?;
    let workspace = &*exec.workspace;
    let resolve_all = |names: &[String]| -> Result<Vec<Hash>, Error> {
        names.iter().map(|n| resolve(&repo, workspace, n)).collect()
    };
    let mut starts = resolve_all(&included)?;
    if parsed.has("all") {
        starts.extend(repo.branches().into_iter().map(|(_, hash)| hash));
        starts.extend(repo.tags()?.into_iter().map(|(_, tag)| tag.commit));
    }
    let commits = match symmetric {
        Some((a, b)) => {
            let (a, b) = (resolve(&repo, workspace, &a)?, resolve(&repo, workspace, &b)?);
            let from_a: HashSet<Hash> = walk(&repo, &[a])?.iter().map(|c| c.hash).collect();
            let from_b: HashSet<Hash> = walk(&repo, &[b])?.iter().map(|c| c.hash).collect();
            let mut commits = walk(&repo, &[a, b])?;
            commits.retain(|c| from_a.contains(&c.hash) != from_b.contains(&c.hash));
            commits
        }
        None => {
            if starts.is_empty() {
                starts.push(repo.branch_head(&workspace.branch)?);
            }
            let hidden: HashSet<Hash> =
                walk(&repo, &resolve_all(&excluded)?)?.iter().map(|c| c.hash).collect();
            let mut commits = walk(&repo, &starts)?;
            commits.retain(|c| !hidden.contains(&c.hash));
            commits
        }
    };
    let refs = refs_full.map(|full| decorations(&repo, full)).transpose()?;
    let mut rows = Vec::new();
    for commit in commits {
        if limit.is_some_and(|n| rows.len() >= n) {
            break;
        }
        if commit.parents.len() < min_parents {
            continue;
        }
        if !tables.is_empty() && !touches(&repo, &commit, &tables)? {
            continue;
        }
        rows.push(log_row(commit, parsed.has("parents"), refs.as_ref()));
    }
    Ok(listing(LOG_COLUMNS, rows))
}

/// Whether `commit` changed any of `tables` (names ignoring case) against its first parent.
fn touches(repo: &Repo, commit: &Commit, tables: &[String]) -> Result<bool, Error> {
    let root = repo.root(commit.root)?;
    let parent = match commit.parents.first() {
        Some(parent) => repo.root(repo.commit(*parent)?.root)?,
        None => Default::default(),
    };
    Ok(tables.iter().any(|table| {
        let hash_in = |root: &crate::history::RootValue| {
            find_table(root, table).and_then(|name| root.tables.get(&name).copied())
        };
        hash_in(&root) != hash_in(&parent)
    }))
}

/// Every commit the repository keeps: reachable from a branch, a tag, a remote-tracking
/// branch or a merge in progress.
fn all_commits(repo: &Repo) -> Result<Vec<Commit>, Error> {
    let mut starts: Vec<Hash> = repo.branches().into_iter().map(|(_, hash)| hash).collect();
    starts.extend(repo.tags()?.into_iter().map(|(_, tag)| tag.commit));
    starts.extend(repo.remote_branches().into_iter().map(|(_, hash)| hash));
    for (branch, _) in repo.branches() {
        if let Some(merge) = repo.working_set(&branch)?.merge {
            starts.push(merge.commit);
        }
    }
    walk(repo, &starts)
}

/// A commit's author cells: name, email and date.
fn author_cells(commit: &Commit) -> [Datum; 3] {
    [
        Datum::Text(commit.author.name.clone()),
        Datum::Text(commit.author.email.clone()),
        date(&commit.author),
    ]
}

/// `dolt_commits`: every commit in the repository, newest first.
pub(super) fn commits(exec: &mut Exec) -> Result<Listing, Error> {
    let repo = Repo::open(&mut *exec.store)?;
    let rows = all_commits(&repo)?
        .into_iter()
        .map(|commit| {
            let mut row = Vec::from(commit_cells(&commit));
            row.extend(author_cells(&commit));
            row
        })
        .collect();
    let columns = [
        "commit_hash",
        "committer",
        "email",
        "date",
        "message",
        "author",
        "author_email",
        "author_date",
    ];
    Ok(listing(&columns, rows))
}

/// `dolt_commit_ancestors`: one row per (commit, parent), the first parent at index 0.
pub(super) fn ancestors(exec: &mut Exec) -> Result<Listing, Error> {
    let repo = Repo::open(&mut *exec.store)?;
    let mut rows = Vec::new();
    for commit in all_commits(&repo)? {
        for (index, parent) in commit.parents.iter().enumerate() {
            rows.push(vec![hash_text(commit.hash), hash_text(*parent), Datum::Int(index as i64)]);
        }
    }
    Ok(listing(&["commit_hash", "parent_hash", "parent_index"], rows))
}
