//! Dolt's version-control procedures: `CALL dolt_add(...)`, `dolt_commit`, `dolt_checkout`,
//! `dolt_branch`, `dolt_merge`, `dolt_reset`, `dolt_tag`, `dolt_revert`, `dolt_cherry_pick`,
//! `dolt_conflicts_resolve`, `dolt_clean`, `dolt_gc`, `dolt_remote` and `dolt_backup` (see
//! `remotes`; the procedures that reach a remote run in the `db` layer), with Dolt's flags, result columns and
//! error texts; and the legacy `COMMIT('-m', msg)` function, which makes a commit of the working
//! set without moving any branch (the availability document moves `main` to it with an
//! `UPDATE dolt_branches`).

use std::collections::BTreeSet;

use crate::chunk::Hash;
use crate::history::{
    self, Commit, CommitOptions, MergeOptions, MergeOutcome, Repo, ResetMode, RootValue, Side,
    Signature,
};

use super::super::error::{Error, ErrorKind};
use super::super::exec::{Exec, Rows};
use super::super::types::{parse_datetime, Datum};
use super::super::workspace::Workspace;
use super::args::{option, parse, switch, Flag, Parsed};
use super::revisions::resolve;
use super::{change_history, hash_text, restart, rows, text_arg, working_root};

const PROCEDURES: &[&str] = &[
    "dolt_add",
    "dolt_commit",
    "dolt_checkout",
    "dolt_branch",
    "dolt_merge",
    "dolt_reset",
    "dolt_tag",
    "dolt_revert",
    "dolt_cherry_pick",
    "dolt_conflicts_resolve",
    "dolt_clean",
    "dolt_gc",
    "dolt_remote",
    "dolt_backup",
    "dolt_push",
    "dolt_promote",
    "dolt_fetch",
    "dolt_pull",
    "dolt_clone",
];

/// Times garbage collection starts over when another writer published during it.
const GC_ATTEMPTS_MAX: usize = 8;

pub(super) fn is_procedure(name: &str) -> bool {
    PROCEDURES.contains(&name)
}

/// The failure Dolt reports for misuse of a procedure, with Dolt's text.
fn usage(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::BadArgument, message)
}

/// A refusal by the version-control rules (not the arguments), with Dolt's text.
fn refused(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::History, message)
}

fn status_row() -> Rows {
    rows(&["status"], vec![vec![Datum::Int(0)]])
}

/// Runs procedure `name` with its arguments.
pub(in super::super) fn call(exec: &mut Exec, name: &str, args: Vec<Datum>) -> Result<Rows, Error> {
    if !is_procedure(name) {
        return Err(Error::new(
            ErrorKind::UnknownFunction,
            format!("PROCEDURE {name} does not exist"),
        ));
    }
    let args = args.iter().map(|a| text_arg(name, a)).collect::<Result<Vec<_>, _>>()?;
    match name {
        "dolt_add" => add(exec, &args),
        "dolt_commit" => commit(exec, &args),
        "dolt_checkout" => checkout(exec, &args),
        "dolt_branch" => branch(exec, &args),
        "dolt_merge" => merge(exec, &args),
        "dolt_reset" => reset(exec, &args),
        "dolt_tag" => tag(exec, &args),
        "dolt_revert" => revert(exec, &args),
        "dolt_cherry_pick" => cherry_pick(exec, &args),
        "dolt_conflicts_resolve" => conflicts_resolve(exec, &args),
        "dolt_clean" => clean(exec, &args),
        "dolt_gc" => gc(exec, &args),
        "dolt_remote" => super::remotes::remote(exec, &args),
        "dolt_backup" => super::remotes::backup(exec, &args),
        _ if super::remotes::NETWORK_PROCEDURES.contains(&name) => Err(Error::new(
            ErrorKind::Unsupported,
            format!("{name} reaches a remote and needs a database opened with storage"),
        )),
        _ => unreachable!("every procedure in PROCEDURES has a branch"),
    }
}

fn now_ms(exec: &Exec) -> i64 {
    exec.functions.now_micros.div_euclid(1000)
}

/// `--author 'Name <email>'`, else the session's user; at `time_ms`.
fn author(parsed: &Parsed, workspace: &Workspace, time_ms: i64) -> Result<Signature, Error> {
    let Some(text) = parsed.value("author") else { return Ok(workspace.signature(time_ms)) };
    let malformed =
        || usage("Author not formatted correctly. Use 'Name <author@example.com>' format");
    let (name, rest) = text.split_once('<').ok_or_else(malformed)?;
    let email = rest.strip_suffix('>').ok_or_else(malformed)?;
    let name = name.trim();
    if name.is_empty() || email.trim().is_empty() || email.contains(['<', '>']) {
        return Err(malformed());
    }
    Ok(Signature::new(name, email.trim(), time_ms))
}

/// A boolean system variable of the session.
fn switch_on(exec: &Exec, name: &str) -> Result<bool, Error> {
    Ok((exec.system_variable)(name, false)?.truth() == Some(true))
}

/// The stored names of `names` (matched ignoring case) among the tables of `roots`; Dolt's
/// error lists those that match none.
fn stored_tables(roots: &[&RootValue], names: &[String]) -> Result<Vec<String>, Error> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for name in names {
        let stored = roots
            .iter()
            .flat_map(|root| root.tables.keys())
            .find(|stored| stored.eq_ignore_ascii_case(name));
        match stored {
            Some(stored) => found.push(stored.clone()),
            None => missing.push(name.clone()),
        }
    }
    if !missing.is_empty() {
        return Err(Error::no_such_table(&missing.join(", ")));
    }
    Ok(found)
}

fn as_strs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

/// The working, staged and head roots of a branch.
fn branch_roots(repo: &Repo, branch: &str) -> Result<[RootValue; 3], Error> {
    let set = repo.working_set(branch)?;
    let head = repo.commit(repo.branch_head(branch)?)?;
    Ok([repo.root(set.working)?, repo.root(set.staged)?, repo.root(head.root)?])
}

fn add(exec: &mut Exec, args: &[String]) -> Result<Rows, Error> {
    const FLAGS: &[Flag] = &[switch("all", Some('A')), switch("force", Some('f'))];
    let parsed = parse("dolt_add", FLAGS, args)?;
    if !parsed.has("all") && parsed.positional.is_empty() {
        return Err(usage(
            "Nothing specified, nothing added. Maybe you wanted to say 'dolt add .'?",
        ));
    }
    let everything = parsed.has("all") || parsed.positional.iter().any(|t| t == ".");
    change_history(exec, |repo, workspace| {
        if everything {
            return Ok(repo.add(&workspace.branch, None)?);
        }
        let [working, staged, _] = branch_roots(repo, &workspace.branch)?;
        let tables = stored_tables(&[&working, &staged], &parsed.positional)?;
        Ok(repo.add(&workspace.branch, Some(&as_strs(&tables)))?)
    })?;
    Ok(status_row())
}

/// The flags `dolt_commit` and the legacy `COMMIT()` share.
const COMMIT_FLAGS: &[Flag] = &[
    option("message", Some('m')),
    switch("all", Some('a')),
    switch("ALL", Some('A')),
    switch("allow-empty", None),
    switch("skip-empty", None),
    option("date", None),
    option("author", None),
    switch("force", Some('f')),
    switch("amend", None),
];

/// Author and committer of a commit made now, honouring `--author` and `--date`.
fn commit_signatures(exec: &Exec, parsed: &Parsed) -> Result<(Signature, Signature), Error> {
    let time_ms = match parsed.value("date") {
        Some(text) => parse_datetime(text)
            .ok_or_else(|| usage(format!("error: invalid date '{text}'")))?
            .div_euclid(1000),
        None => now_ms(exec),
    };
    let author = author(parsed, exec.workspace, time_ms)?;
    let committer = match parsed.value("author") {
        Some(_) => author.clone(),
        None => exec.workspace.signature(time_ms),
    };
    Ok((author, committer))
}

fn commit(exec: &mut Exec, args: &[String]) -> Result<Rows, Error> {
    let parsed = parse("dolt_commit", COMMIT_FLAGS, args)?;
    if parsed.has("allow-empty") && parsed.has("skip-empty") {
        return Err(usage("error: cannot use both --allow-empty and --skip-empty"));
    }
    if !parsed.positional.is_empty() {
        return Err(usage(
            "error: dolt_commit takes no positional arguments; use -m for the message",
        ));
    }
    let amend = parsed.has("amend");
    if parsed.value("message").is_none() && !amend {
        return Err(usage("Must provide commit message."));
    }
    let (author, committer) = commit_signatures(exec, &parsed)?;
    let made = change_history(exec, |repo, workspace| {
        let branch = workspace.branch.as_str();
        // `-a` stages new tables too, as Dolt's did when its replication documents were
        // written (their transcripts create a table and commit it with `-am`); `-A` is kept
        // for scripts written for Dolt since, where only it stages new tables.
        if parsed.has("ALL") || parsed.has("all") {
            repo.add(branch, None)?;
        }
        let merging = repo.working_set(branch)?.merge.is_some();
        if amend && merging {
            return Err(refused("you are in the middle of a merge -- cannot amend"));
        }
        let message = match parsed.value("message") {
            Some(message) => message.to_string(),
            None => repo.commit(repo.branch_head(branch)?)?.message,
        };
        let options = CommitOptions {
            committer: Some(committer.clone()),
            allow_empty: parsed.has("allow-empty"),
            amend,
            ..CommitOptions::new(&message, author.clone())
        };
        match repo.commit_staged(branch, &options) {
            Ok(commit) => Ok(Some(commit.hash)),
            Err(history::Error::NothingToCommit) if parsed.has("skip-empty") => Ok(None),
            Err(e) => Err(e.into()),
        }
    })?;
    Ok(rows(&["hash"], made.map(|hash| vec![hash_text(hash)]).into_iter().collect()))
}

/// The legacy `COMMIT('-m', msg)`: a commit of the session's working set (uncommitted
/// transaction changes included) whose parent is the branch head, returned as a hash and
/// reachable from nothing until a branch is moved to it.
pub(super) fn commit_function(exec: &mut Exec, args: Vec<Datum>) -> Result<Datum, Error> {
    let args = args.iter().map(|a| text_arg("commit", a)).collect::<Result<Vec<_>, _>>()?;
    let parsed = parse("commit", COMMIT_FLAGS, &args)?;
    let Some(message) = parsed.value("message") else {
        return Err(usage("Must provide commit message."));
    };
    let (author, committer) = commit_signatures(exec, &parsed)?;
    let root = working_root(exec)?;
    let root = root.write(&mut *exec.store)?;
    let repo = Repo::open(&mut *exec.store)?;
    let head = repo.commit(repo.branch_head(&exec.workspace.branch)?)?;
    let commit = Commit::write(&mut *exec.store, root, &[head], &author, &committer, message)?;
    Ok(hash_text(commit.hash))
}

fn checkout(exec: &mut Exec, args: &[String]) -> Result<Rows, Error> {
    const FLAGS: &[Flag] =
        &[option("b", Some('b')), option("B", Some('B')), switch("force", Some('f'))];
    let parsed = parse("dolt_checkout", FLAGS, args)?;
    let result = |message: String| {
        rows(&["status", "message"], vec![vec![Datum::Int(0), Datum::Text(message)]])
    };
    if parsed.has("b") && parsed.has("B") {
        return Err(usage("Improper usage. Cannot use both -b and -B."));
    }
    if let Some(new) = parsed.value("b").or(parsed.value("B")) {
        let force = parsed.has("B");
        if parsed.positional.len() > 1 {
            return Err(usage("Improper usage."));
        }
        let start = parsed.positional.first().map_or("HEAD", String::as_str);
        change_history(exec, |repo, workspace| {
            let commit = resolve(repo, workspace, start).map_err(|error| {
                // Chunks not loaded yet are loaded and the call runs again.
                if error.source.as_ref().is_some_and(|source| source.missing().is_some()) {
                    return error;
                }
                refused(format!(
                    "fatal: '{start}' is not a commit and a branch '{new}' cannot be created from it"
                ))
            })?;
            match repo.create_branch(new, commit, force) {
                Err(history::Error::AlreadyExists { .. }) => {
                    return Err(refused(format!("fatal: A branch named '{new}' already exists.")))
                }
                other => other?,
            }
            workspace.branch = new.to_string();
            Ok(())
        })?;
        return Ok(result(format!("Switched to branch '{new}'")));
    }
    let Some(first) = parsed.positional.first() else {
        return Err(usage("Improper usage."));
    };
    if first.is_empty() {
        return Err(usage("error: cannot checkout empty string"));
    }
    if parsed.positional.len() == 1 && first != "." {
        let repo = Repo::open(&mut *exec.store)?;
        if repo.branch_head(first).is_ok() {
            drop(repo);
            if *first == exec.workspace.branch {
                return Ok(result(format!("Already on branch '{first}'")));
            }
            // The open transaction lands on the branch it was made on; the session then works
            // on the other branch's working set.
            change_history(exec, |_, workspace| {
                workspace.branch = first.clone();
                Ok(())
            })?;
            return Ok(result(format!("Switched to branch '{first}'")));
        }
        let [working, staged, head] = branch_roots(&repo, &exec.workspace.branch)?;
        if stored_tables(&[&working, &staged, &head], &parsed.positional).is_err() {
            if let Ok(commit) = resolve(&repo, exec.workspace, first) {
                return Err(refused(format!(
                    "dolt does not support a detached head state. To create a branch at this commit instead, run:\n\tCALL DOLT_CHECKOUT('{commit}', '-b', <new_branch_name>)"
                )));
            }
        }
    }
    restore_tables(exec, &parsed.positional)?;
    Ok(result(String::new()))
}

/// `dolt_checkout([revision,] tables...)`: the tables' working and staged states become their
/// state at the revision (HEAD by default); `.` names every table.
fn restore_tables(exec: &mut Exec, names: &[String]) -> Result<(), Error> {
    change_history(exec, |repo, workspace| {
        let branch = workspace.branch.clone();
        let [working, staged, head] = branch_roots(repo, &branch)?;
        let (source, names) = match names {
            [first, rest @ ..]
                if !rest.is_empty()
                    && stored_tables(&[&working, &staged, &head], &names[..1]).is_err() =>
            {
                let commit = resolve(repo, workspace, first)?;
                (repo.root(repo.commit(commit)?.root)?, rest)
            }
            _ => (head, names),
        };
        let known = [&working, &staged, &source];
        let tables: Vec<String> = if names.iter().any(|n| n == ".") {
            let every: BTreeSet<&String> =
                working.tables.keys().chain(source.tables.keys()).collect();
            every.into_iter().cloned().collect()
        } else {
            let unknown: Vec<String> = names
                .iter()
                .filter(|n| stored_tables(&known, std::slice::from_ref(n)).is_err())
                .map(|n| format!("error: tablespec '{n}' did not match any table(s) known to dolt"))
                .collect();
            if !unknown.is_empty() {
                return Err(refused(unknown.join("\n")));
            }
            stored_tables(&known, names)?
        };
        let mut restored = working.clone();
        for table in &tables {
            match source.tables.get(table) {
                Some(hash) => restored.tables.insert(table.clone(), *hash),
                None => restored.tables.remove(table),
            };
        }
        repo.set_working_root(&branch, &restored)?;
        Ok(repo.add(&branch, Some(&as_strs(&tables)))?)
    })
}

fn branch(exec: &mut Exec, args: &[String]) -> Result<Rows, Error> {
    const FLAGS: &[Flag] = &[
        switch("copy", Some('c')),
        switch("delete", Some('d')),
        switch("delete-force", Some('D')),
        switch("move", Some('m')),
        switch("force", Some('f')),
    ];
    let parsed = parse("dolt_branch", FLAGS, args)?;
    let force = parsed.has("force");
    let names = &parsed.positional;
    if names.iter().any(String::is_empty) {
        return Err(usage("error: cannot branch empty string"));
    }
    let invalid = || usage("error: invalid usage");
    change_history(exec, |repo, workspace| {
        if parsed.has("delete") || parsed.has("delete-force") {
            if names.is_empty() {
                return Err(invalid());
            }
            for name in names {
                if *name == workspace.branch {
                    return Err(refused(format!("Cannot delete checked out branch '{name}'")));
                }
                match repo.delete_branch(name, force || parsed.has("delete-force")) {
                    Err(history::Error::NotFound { .. }) => {
                        return Err(refused(format!("branch not found: '{name}'")))
                    }
                    Err(history::Error::NotMerged { .. }) => {
                        return Err(refused(format!("branch '{name}' is not fully merged")))
                    }
                    other => other?,
                }
            }
            return Ok(());
        }
        let already =
            |name: &str| refused(format!("fatal: A branch named '{name}' already exists."));
        if parsed.has("move") {
            let [from, to] = names.as_slice() else { return Err(invalid()) };
            return match repo.rename_branch(from, to, force) {
                Err(history::Error::AlreadyExists { .. }) => Err(already(to)),
                Err(history::Error::NotFound { .. }) => {
                    Err(refused(format!("fatal: A branch named '{from}' not found")))
                }
                other => {
                    other?;
                    if workspace.branch == *from {
                        workspace.branch = to.clone();
                    }
                    Ok(())
                }
            };
        }
        let (name, commit) = if parsed.has("copy") {
            let [from, to] = names.as_slice() else { return Err(invalid()) };
            let head = repo
                .branch_head(from)
                .map_err(|_| refused(format!("fatal: A branch named '{from}' not found")))?;
            (to, head)
        } else {
            match names.as_slice() {
                [name] => (name, resolve(repo, workspace, "HEAD")?),
                [name, start] => (name, resolve(repo, workspace, start)?),
                _ => return Err(invalid()),
            }
        };
        if *name == workspace.branch && force {
            return Err(refused(format!("Cannot force update branch '{name}': it is checked out")));
        }
        match repo.create_branch(name, commit, force) {
            Err(history::Error::AlreadyExists { .. }) => Err(already(name)),
            other => Ok(other?),
        }
    })?;
    Ok(status_row())
}

fn merge(exec: &mut Exec, args: &[String]) -> Result<Rows, Error> {
    const FLAGS: &[Flag] = &[
        switch("no-ff", None),
        switch("ff-only", None),
        switch("squash", None),
        switch("abort", None),
        switch("commit", None),
        switch("no-commit", None),
        switch("no-edit", None),
        option("message", Some('m')),
        option("author", None),
    ];
    let parsed = parse("dolt_merge", FLAGS, args)?;
    let result = |hash: Option<Hash>, fast_forward: bool, conflicts: bool, message: &str| {
        rows(
            &["hash", "fast_forward", "conflicts", "message"],
            vec![vec![
                hash.map_or(Datum::Text(String::new()), hash_text),
                Datum::Int(i64::from(fast_forward)),
                Datum::Int(i64::from(conflicts)),
                Datum::Text(message.to_string()),
            ]],
        )
    };
    if parsed.has("abort") {
        change_history(exec, |repo, workspace| match repo.abort_merge(&workspace.branch) {
            Err(history::Error::NoMergeInProgress) => {
                Err(refused("fatal: There is no merge to abort"))
            }
            other => Ok(other?),
        })?;
        return Ok(result(None, false, false, "merge aborted"));
    }
    for (a, b) in [("squash", "no-ff"), ("ff-only", "no-ff"), ("ff-only", "squash")] {
        if parsed.has(a) && parsed.has(b) {
            return Err(usage(format!("error: Flags '--{a}' and '--{b}' cannot be used together")));
        }
    }
    if parsed.has("commit") && parsed.has("no-commit") {
        return Err(usage("cannot define both 'commit' and 'no-commit' flags at the same time"));
    }
    let theirs_name = match parsed.positional.as_slice() {
        [] => return Err(usage("error: Please specify a branch to merge")),
        [one] => one.clone(),
        _ => {
            return Err(usage(
                "Error: Dolt does not support merging from multiple commits. You probably meant to checkout one and then merge from the other.",
            ))
        }
    };
    let time_ms = now_ms(exec);
    let author = author(&parsed, exec.workspace, time_ms)?;
    // Conflicts cannot be resolved inside an autocommitted statement, so, as in Dolt, the
    // merge is refused there unless the session allows committing conflicts.
    let conflicts_allowed = !switch_on(exec, "autocommit")?
        || switch_on(exec, "dolt_allow_commit_conflicts")?
        || switch_on(exec, "dolt_force_transaction_commit")?;
    let options = MergeOptions {
        no_ff: parsed.has("no-ff"),
        ff_only: parsed.has("ff-only"),
        squash: parsed.has("squash"),
        no_commit: parsed.has("no-commit"),
        message: parsed.value("message").map(str::to_string),
    };
    let outcome = change_history(exec, |repo, workspace| {
        let branch = workspace.branch.clone();
        let theirs = resolve(repo, workspace, &theirs_name)
            .map_err(|_| refused(format!("branch not found: {theirs_name}")))?;
        if repo.working_set(&branch)?.merge.is_some() {
            return Err(refused(
                "merging is not possible because you have not committed an active merge",
            ));
        }
        let outcome = match repo.merge(&branch, theirs, &theirs_name, &author, &options) {
            Err(history::Error::NotFastForward) => {
                return Err(refused("fatal: Not possible to fast-forward, aborting"))
            }
            other => other?,
        };
        match outcome {
            MergeOutcome::Uncommitted { conflicts } if conflicts > 0 && !conflicts_allowed => {
                Err(refused(
                    "Merge conflict detected, @autocommit transaction rolled back. @autocommit must be disabled so that merge conflicts can be resolved using the dolt_conflicts and dolt_schema_conflicts tables before manually committing the transaction. Alternatively, to commit transactions with merge conflicts, set @@dolt_allow_commit_conflicts = 1",
                ))
            }
            MergeOutcome::Uncommitted { conflicts: 0 } if options.squash && !options.no_commit => {
                // A squash merge commits the merged tables as one ordinary commit.
                let message = options
                    .message
                    .clone()
                    .unwrap_or_else(|| format!("Merge branch '{theirs_name}' into {branch}"));
                let commit =
                    repo.commit_staged(&branch, &CommitOptions::new(&message, author.clone()))?;
                Ok(MergeOutcome::Committed { commit: commit.hash })
            }
            other => Ok(other),
        }
    })?;
    Ok(match outcome {
        MergeOutcome::UpToDate => result(None, false, false, "Everything up-to-date"),
        MergeOutcome::FastForward { commit } => {
            result(Some(commit), true, false, "merge successful")
        }
        MergeOutcome::Committed { commit } => {
            result(Some(commit), false, false, "merge successful")
        }
        MergeOutcome::Uncommitted { conflicts: 0 } => {
            result(None, false, false, "merge successful")
        }
        MergeOutcome::Uncommitted { .. } => result(None, false, true, "conflicts found"),
    })
}

fn reset(exec: &mut Exec, args: &[String]) -> Result<Rows, Error> {
    const FLAGS: &[Flag] = &[switch("hard", None), switch("soft", None)];
    let parsed = parse("dolt_reset", FLAGS, args)?;
    let (hard, soft) = (parsed.has("hard"), parsed.has("soft"));
    if hard && soft {
        return Err(usage("error: --hard and --soft are mutually exclusive options."));
    }
    let positional = &parsed.positional;
    for (flag, on) in [("--hard", hard), ("--soft", soft)] {
        if on && positional.len() > 1 {
            return Err(usage(format!("{flag} supports at most one additional param")));
        }
    }
    change_history(exec, |repo, workspace| {
        let branch = workspace.branch.clone();
        let target = |repo: &Repo| match positional.first() {
            Some(revision) => resolve(repo, workspace, revision),
            None => resolve(repo, workspace, "HEAD"),
        };
        if hard {
            let target = target(repo)?;
            return Ok(repo.reset(&branch, target, ResetMode::Hard)?);
        }
        if soft {
            if positional.is_empty() {
                return Ok(());
            }
            let target = target(repo)?;
            return Ok(repo.reset(&branch, target, ResetMode::Soft)?);
        }
        if positional.is_empty() || positional.iter().any(|p| p == ".") {
            return Ok(repo.unstage(&branch, None)?);
        }
        let [working, staged, head] = branch_roots(repo, &branch)?;
        match stored_tables(&[&working, &staged, &head], positional) {
            Ok(tables) => Ok(repo.unstage(&branch, Some(&as_strs(&tables)))?),
            Err(not_tables) if positional.len() == 1 => match target(repo) {
                Ok(target) => Ok(repo.reset(&branch, target, ResetMode::Mixed)?),
                Err(_) => Err(not_tables),
            },
            Err(not_tables) => Err(not_tables),
        }
    })?;
    Ok(status_row())
}

fn tag(exec: &mut Exec, args: &[String]) -> Result<Rows, Error> {
    const FLAGS: &[Flag] = &[
        option("message", Some('m')),
        switch("delete", Some('d')),
        option("author", None),
        switch("verbose", Some('v')),
    ];
    let parsed = parse("dolt_tag", FLAGS, args)?;
    let names = &parsed.positional;
    if parsed.has("delete") && parsed.value("message").is_some() {
        return Err(usage("delete and tag message options are incompatible"));
    }
    let tagger = author(&parsed, exec.workspace, now_ms(exec))?;
    change_history(exec, |repo, workspace| {
        if parsed.has("delete") {
            if names.is_empty() {
                return Err(usage("error: tag name is required for -d"));
            }
            for name in names {
                repo.delete_tag(name)?;
            }
            return Ok(());
        }
        let (name, revision) = match names.as_slice() {
            [] => {
                return Err(usage(
                    "error: invalid argument, use 'dolt_tags' system table to list tags",
                ))
            }
            [name] => (name, "HEAD"),
            [name, revision] => (name, revision.as_str()),
            _ => return Err(usage("create tag takes at most two args")),
        };
        let commit = resolve(repo, workspace, revision)?;
        repo.create_tag(name, commit, &tagger, parsed.value("message").unwrap_or(""))?;
        Ok(())
    })?;
    Ok(status_row())
}

/// The result of revert and cherry-pick: the new commit and counts of what stopped it.
fn applied_row(hash: Option<Hash>) -> Rows {
    rows(
        &["hash", "data_conflicts", "schema_conflicts", "constraint_violations"],
        vec![vec![
            hash.map_or(Datum::Text(String::new()), hash_text),
            Datum::Int(0),
            Datum::Int(0),
            Datum::Int(0),
        ]],
    )
}

fn committed(outcome: MergeOutcome) -> Option<Hash> {
    match outcome {
        MergeOutcome::Committed { commit } | MergeOutcome::FastForward { commit } => Some(commit),
        MergeOutcome::UpToDate | MergeOutcome::Uncommitted { .. } => None,
    }
}

fn revert(exec: &mut Exec, args: &[String]) -> Result<Rows, Error> {
    const FLAGS: &[Flag] = &[option("author", None), switch("abort", None)];
    let parsed = parse("dolt_revert", FLAGS, args)?;
    if parsed.has("abort") {
        return Err(refused("error: there is no revert in progress to abort"));
    }
    if parsed.positional.is_empty() {
        return Err(usage("error: nothing specified to revert"));
    }
    let author = author(&parsed, exec.workspace, now_ms(exec))?;
    let last = change_history(exec, |repo, workspace| {
        let mut last = None;
        for revision in &parsed.positional {
            let commit = resolve(repo, workspace, revision)?;
            last = committed(repo.revert(&workspace.branch, commit, &author)?);
        }
        Ok(last)
    })?;
    Ok(applied_row(last))
}

fn cherry_pick(exec: &mut Exec, args: &[String]) -> Result<Rows, Error> {
    const FLAGS: &[Flag] = &[switch("abort", None), switch("allow-empty", None)];
    let parsed = parse("dolt_cherry_pick", FLAGS, args)?;
    if parsed.has("abort") {
        return Err(refused("error: there is no cherry-pick in progress to abort"));
    }
    let revision = match parsed.positional.as_slice() {
        [revision] if !revision.is_empty() => revision.clone(),
        [_] => return Err(usage("cannot cherry-pick empty string")),
        [] => return Err(usage("error: a commit to cherry-pick is required")),
        _ => return Err(usage("cherry-picking multiple commits is not supported yet.")),
    };
    let committer = exec.workspace.signature(now_ms(exec));
    let hash = change_history(exec, |repo, workspace| {
        let commit = resolve(repo, workspace, &revision)?;
        Ok(committed(repo.cherry_pick(&workspace.branch, commit, &committer)?))
    })?;
    Ok(applied_row(hash))
}

fn conflicts_resolve(exec: &mut Exec, args: &[String]) -> Result<Rows, Error> {
    const FLAGS: &[Flag] = &[switch("ours", None), switch("theirs", None)];
    let parsed = parse("dolt_conflicts_resolve", FLAGS, args)?;
    let side = match (parsed.has("ours"), parsed.has("theirs")) {
        (true, true) => return Err(usage("specify only either --ours or --theirs")),
        (false, false) => return Err(usage("--ours or --theirs must be supplied")),
        (true, false) => Side::Ours,
        (false, true) => Side::Theirs,
    };
    if parsed.positional.is_empty() {
        return Err(usage("specify at least one table to resolve conflicts"));
    }
    change_history(exec, |repo, workspace| {
        let branch = workspace.branch.clone();
        let conflicted = repo.status(&branch)?.conflicts;
        let tables: Vec<String> = if parsed.positional.iter().any(|t| t == ".") {
            conflicted.clone()
        } else {
            let [working, staged, head] = branch_roots(repo, &branch)?;
            stored_tables(&[&working, &staged, &head], &parsed.positional)?
        };
        for table in &tables {
            match repo.resolve_conflicts(&branch, table, side) {
                Err(history::Error::NoMergeInProgress) => {
                    return Err(refused("error: no conflicts to resolve: no merge is in progress"))
                }
                Err(history::Error::NotFound { .. }) => {
                    return Err(refused(format!("error: table '{table}' has no conflicts")))
                }
                other => other?,
            }
        }
        Ok(())
    })?;
    Ok(status_row())
}

fn clean(exec: &mut Exec, args: &[String]) -> Result<Rows, Error> {
    const FLAGS: &[Flag] = &[switch("dry-run", None)];
    let parsed = parse("dolt_clean", FLAGS, args)?;
    change_history(exec, |repo, workspace| {
        let branch = workspace.branch.clone();
        let [working, staged, head] = branch_roots(repo, &branch)?;
        let untracked: Vec<String> = working
            .tables
            .keys()
            .filter(|t| !staged.tables.contains_key(*t) && !head.tables.contains_key(*t))
            .cloned()
            .collect();
        let chosen = if parsed.positional.is_empty() {
            untracked
        } else {
            let named = stored_tables(&[&working], &parsed.positional)?;
            if let Some(tracked) = named.iter().find(|t| !untracked.contains(t)) {
                return Err(refused(format!("failed to clean; table '{tracked}' is tracked")));
            }
            named
        };
        if parsed.has("dry-run") || chosen.is_empty() {
            return Ok(());
        }
        let mut cleaned = working.clone();
        for table in &chosen {
            cleaned.tables.remove(table);
        }
        repo.set_working_root(&branch, &cleaned)?;
        Ok(())
    })?;
    Ok(status_row())
}

fn gc(exec: &mut Exec, args: &[String]) -> Result<Rows, Error> {
    const FLAGS: &[Flag] = &[switch("shallow", Some('s')), switch("full", Some('f'))];
    let parsed = parse("dolt_gc", FLAGS, args)?;
    if !parsed.positional.is_empty() {
        return Err(usage("error: invalid usage"));
    }
    if parsed.has("shallow") && parsed.has("full") {
        return Err(usage(
            "cannot supply both --shallow and --full to dolt_gc: error: invalid usage",
        ));
    }
    exec.tx.commit(&mut *exec.store, &exec.workspace.branch, None)?;
    let mut collected = false;
    for _ in 0..GC_ATTEMPTS_MAX {
        match Repo::open(&mut *exec.store)?.gc() {
            Ok(_) => {
                collected = true;
                break;
            }
            Err(history::Error::Store(crate::prolly::Error::Store(
                crate::chunk::Error::Conflict { .. },
            ))) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    if !collected {
        return Err(Error::new(
            ErrorKind::SerializationFailure,
            "the repository kept moving during garbage collection; retry",
        ));
    }
    restart(exec)?;
    Ok(status_row())
}
