//! Remotes and backups in SQL, with Dolt's names and flags: `CALL dolt_remote('add', name,
//! url)` and `('remove', name)`, `CALL dolt_backup('add' | 'remove', ...)`, the `dolt_remotes`
//! and `dolt_backups` tables; and the arguments of the procedures that reach a remote
//! (`dolt_push`, `dolt_fetch`, `dolt_pull`, `dolt_clone`, `dolt_backup sync | sync-url |
//! restore`), parsed here into a [`NetworkCall`] that the `db` layer carries out, since the
//! core does no IO.

use crate::chunk::Hash;
use crate::history::remotes::{self, BACKUPS_DOCUMENT, REMOTES_DOCUMENT};
use crate::history::{RefMap, Repo};

use super::super::error::{Error, ErrorKind};
use super::super::exec::{Exec, Rows};
use super::super::types::Datum;
use super::args::{option, parse, switch, Flag};
use super::{change_history, rows};

/// Procedures that move data to or from a remote: the `db` layer runs them.
pub const NETWORK_PROCEDURES: &[&str] =
    &["dolt_push", "dolt_fetch", "dolt_pull", "dolt_clone", "dolt_promote"];

/// What a procedure that reaches a remote asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkCall {
    /// `dolt_push [--force] [--set-upstream] [REMOTE [REFSPEC...]]`. A refspec is `branch`,
    /// `tag`, `local:remote`, or `:remote` to delete the remote branch. No refspec pushes the
    /// current branch to its upstream (or the branch of the same name).
    Push { remote: Option<String>, refspecs: Vec<String>, force: bool, set_upstream: bool },
    /// `dolt_fetch [--prune] [REMOTE [BRANCH...]]`.
    Fetch { remote: Option<String>, branches: Vec<String>, prune: bool },
    /// `dolt_pull [--no-ff] [--squash] [--author AUTHOR] [REMOTE [BRANCH]]`; `merge_flags` are
    /// the flags handed on to the merge.
    Pull { remote: Option<String>, branch: Option<String>, merge_flags: Vec<String> },
    /// `dolt_clone [--remote NAME] [-b BRANCH] URL [NAME]`.
    Clone { url: String, name: Option<String>, remote: String, branch: Option<String> },
    /// `dolt_backup('sync', NAME)`: the whole store to a configured backup.
    BackupSync { name: String },
    /// `dolt_backup('sync-url', URL)`.
    BackupSyncUrl { url: String },
    /// `dolt_backup('restore', URL, NAME)`: a new database from a backup.
    BackupRestore { url: String, name: String, force: bool },
    /// `dolt_promote([--backup NAME] [REMOTE])` (Cambium's): this database becomes the primary
    /// that replicates to the remote (`origin` by default), fencing off the one before it, and
    /// catching up from the remote and, if named, from a backup of the old primary.
    Promote { remote: String, backup: Option<String> },
}

fn usage(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::BadArgument, message)
}

impl From<remotes::Error> for Error {
    fn from(error: remotes::Error) -> Error {
        match error {
            remotes::Error::History(error) => error.into(),
            remotes::Error::NotFound { .. } => Error::new(ErrorKind::History, error.to_string()),
            other => Error::new(ErrorKind::BadArgument, other.to_string()),
        }
    }
}

/// Parses the arguments of `procedure` when it reaches a remote; `None` for every other
/// procedure.
pub fn network_call(procedure: &str, args: &[String]) -> Result<Option<NetworkCall>, Error> {
    let call = match procedure {
        "dolt_push" => {
            const FLAGS: &[Flag] = &[
                switch("force", Some('f')),
                switch("set-upstream", Some('u')),
                switch("all", None),
            ];
            let mut parsed = parse(procedure, FLAGS, args)?;
            if parsed.has("all") {
                return Err(usage("dolt_push --all is not supported: push each branch"));
            }
            let mut positional = std::mem::take(&mut parsed.positional).into_iter();
            NetworkCall::Push {
                remote: positional.next(),
                refspecs: positional.collect(),
                force: parsed.has("force"),
                set_upstream: parsed.has("set-upstream"),
            }
        }
        "dolt_fetch" => {
            const FLAGS: &[Flag] = &[switch("prune", Some('p'))];
            let mut parsed = parse(procedure, FLAGS, args)?;
            let mut positional = std::mem::take(&mut parsed.positional).into_iter();
            NetworkCall::Fetch {
                remote: positional.next(),
                branches: positional.collect(),
                prune: parsed.has("prune"),
            }
        }
        "dolt_pull" => {
            const FLAGS: &[Flag] =
                &[switch("no-ff", None), switch("squash", None), option("author", None)];
            let mut parsed = parse(procedure, FLAGS, args)?;
            if parsed.positional.len() > 2 {
                return Err(usage("dolt_pull takes at most a remote and a branch"));
            }
            let mut merge_flags = Vec::new();
            for switch in ["no-ff", "squash"] {
                if parsed.has(switch) {
                    merge_flags.push(format!("--{switch}"));
                }
            }
            if let Some(author) = parsed.value("author") {
                merge_flags.extend(["--author".to_string(), author.to_string()]);
            }
            let mut positional = std::mem::take(&mut parsed.positional).into_iter();
            NetworkCall::Pull { remote: positional.next(), branch: positional.next(), merge_flags }
        }
        "dolt_promote" => {
            const FLAGS: &[Flag] = &[option("backup", None)];
            let parsed = parse(procedure, FLAGS, args)?;
            let backup = parsed.value("backup").map(str::to_string);
            match parsed.positional.as_slice() {
                [] => NetworkCall::Promote { remote: "origin".into(), backup },
                [remote] => NetworkCall::Promote { remote: remote.clone(), backup },
                _ => return Err(usage("dolt_promote takes at most the name of a remote")),
            }
        }
        "dolt_clone" => {
            const FLAGS: &[Flag] = &[option("remote", None), option("branch", Some('b'))];
            let mut parsed = parse(procedure, FLAGS, args)?;
            let mut positional = std::mem::take(&mut parsed.positional).into_iter();
            let Some(url) = positional.next() else {
                return Err(usage("error: dolt_clone needs the URL of the remote to clone"));
            };
            let name = positional.next();
            if positional.next().is_some() {
                return Err(usage("dolt_clone takes a URL and at most a database name"));
            }
            remotes::validate_url(&url)?;
            NetworkCall::Clone {
                url,
                name,
                remote: parsed.value("remote").unwrap_or("origin").to_string(),
                branch: parsed.value("branch").map(str::to_string),
            }
        }
        "dolt_backup" => {
            const FLAGS: &[Flag] = &[switch("force", Some('f')), switch("verbose", Some('v'))];
            let parsed = parse(procedure, FLAGS, args)?;
            match parsed.positional.as_slice() {
                [verb, name] if verb == "sync" => NetworkCall::BackupSync { name: name.clone() },
                [verb, url] if verb == "sync-url" => {
                    remotes::validate_url(url)?;
                    NetworkCall::BackupSyncUrl { url: url.clone() }
                }
                [verb, url, name] if verb == "restore" => {
                    remotes::validate_url(url)?;
                    NetworkCall::BackupRestore {
                        url: url.clone(),
                        name: name.clone(),
                        force: parsed.has("force"),
                    }
                }
                _ => return Ok(None),
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(call))
}

/// `CALL dolt_remote('add', name, url)` / `('remove' | 'rm', name)`.
pub(super) fn remote(exec: &mut Exec, args: &[String]) -> Result<Rows, Error> {
    let parsed = parse("dolt_remote", &[switch("verbose", Some('v'))], args)?;
    edit_list(exec, "dolt_remote", REMOTES_DOCUMENT, &parsed.positional)
}

/// `CALL dolt_backup('add', name, url)` / `('remove' | 'rm', name)`; the verbs that move data
/// are [`NetworkCall`]s and never reach here through the `db` layer.
pub(super) fn backup(exec: &mut Exec, args: &[String]) -> Result<Rows, Error> {
    let parsed =
        parse("dolt_backup", &[switch("verbose", Some('v')), switch("force", Some('f'))], args)?;
    if matches!(
        parsed.positional.first().map(String::as_str),
        Some("sync" | "sync-url" | "restore")
    ) {
        return Err(Error::new(
            ErrorKind::Unsupported,
            "dolt_backup sync, sync-url and restore move data and need a database opened with storage",
        ));
    }
    edit_list(exec, "dolt_backup", BACKUPS_DOCUMENT, &parsed.positional)
}

fn edit_list(
    exec: &mut Exec,
    procedure: &str,
    document: &'static str,
    positional: &[String],
) -> Result<Rows, Error> {
    match positional {
        [verb, name, url] if verb == "add" => {
            change_history(exec, |repo, _| Ok(remotes::add(repo, document, name, url)?))?
        }
        [verb, name] if verb == "remove" || verb == "rm" => {
            change_history(exec, |repo, _| Ok(remotes::remove(repo, document, name)?))?
        }
        [] => return Err(usage(format!("error: {procedure} needs a verb: add or remove"))),
        [verb, ..] if ["add", "remove", "rm"].contains(&verb.as_str()) => {
            return Err(usage(format!("error: invalid arguments to {procedure} {verb}")));
        }
        [verb, ..] => return Err(usage(format!("error: unknown {procedure} verb '{verb}'"))),
    }
    Ok(rows(&["status"], vec![vec![Datum::Int(0)]]))
}

/// `dolt_remotes`: name, url, fetch_specs and params, as Dolt shows them.
pub(super) fn remotes_table(exec: &mut Exec) -> Result<(Vec<String>, Vec<Vec<Datum>>), Error> {
    let repo = Repo::open(&mut *exec.store)?;
    let list = remotes::List::read(&repo, REMOTES_DOCUMENT)?;
    let rows = list
        .entries()
        .map(|fields| {
            let specs = format!("[\"refs/heads/*:refs/remotes/{}/*\"]", fields[0]);
            vec![
                Datum::Text(fields[0].clone()),
                Datum::Text(fields[1].clone()),
                Datum::Json(specs),
                Datum::Json("{}".to_string()),
            ]
        })
        .collect();
    let columns = ["name", "url", "fetch_specs", "params"];
    Ok((columns.iter().map(|c| c.to_string()).collect(), rows))
}

/// `dolt_backups`: name and url.
pub(super) fn backups_table(exec: &mut Exec) -> Result<(Vec<String>, Vec<Vec<Datum>>), Error> {
    let repo = Repo::open(&mut *exec.store)?;
    let list = remotes::List::read(&repo, BACKUPS_DOCUMENT)?;
    let rows = list
        .entries()
        .map(|fields| vec![Datum::Text(fields[0].clone()), Datum::Text(fields[1].clone())])
        .collect();
    Ok((vec!["name".to_string(), "url".to_string()], rows))
}

/// One ref a push sets or deletes on the remote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushUpdate {
    /// The local ref's short name, as messages show it (empty for a deletion).
    pub local: String,
    /// The remote ref, in full (`refs/heads/main`, `refs/tags/v1`).
    pub remote_ref: String,
    /// What the remote ref will name; `None` deletes it.
    pub target: Option<Hash>,
    /// The local branch whose upstream becomes this ref (`--set-upstream`).
    pub upstream_of: Option<String>,
}

/// What a push will do: where to, and which refs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushPlan {
    pub remote: String,
    pub url: String,
    pub updates: Vec<PushUpdate>,
}

/// Why a push was refused by the remote's refs (not by the arguments).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub message: String,
}

/// Resolves a push's remote and refspecs against the local repository.
pub fn plan_push(
    repo: &Repo,
    current: &str,
    remote: Option<&str>,
    refspecs: &[String],
    set_upstream: bool,
) -> Result<PushPlan, Error> {
    let upstream = remotes::upstream(repo, current)?;
    let remote = match (remote, &upstream) {
        (Some(remote), _) => remote.to_string(),
        (None, Some((remote, _))) => remote.clone(),
        (None, None) => {
            return Err(usage(format!(
                "fatal: The current branch {current} has no upstream branch.\nTo push the current branch and set the remote as upstream, use\n\n\tdolt push --set-upstream origin {current}"
            )))
        }
    };
    let url = remotes::url(repo, REMOTES_DOCUMENT, &remote)?;
    let mut updates = Vec::new();
    if refspecs.is_empty() {
        let remote_branch = match &upstream {
            Some((up_remote, branch)) if *up_remote == remote => branch.clone(),
            _ => current.to_string(),
        };
        updates.push(PushUpdate {
            local: current.to_string(),
            remote_ref: format!("refs/heads/{remote_branch}"),
            target: Some(repo.branch_head(current)?),
            upstream_of: set_upstream.then(|| current.to_string()),
        });
    }
    for spec in refspecs {
        let (source, destination) = spec.split_once(':').unwrap_or((spec, spec));
        if destination.is_empty() {
            return Err(usage(format!("error: invalid refspec '{spec}'")));
        }
        if source.is_empty() {
            updates.push(PushUpdate {
                local: String::new(),
                remote_ref: format!("refs/heads/{destination}"),
                target: None,
                upstream_of: None,
            });
            continue;
        }
        let branch = repo.branches().into_iter().find(|(name, _)| name == source);
        let update = if let Some((_, head)) = branch {
            PushUpdate {
                local: source.to_string(),
                remote_ref: format!("refs/heads/{destination}"),
                target: Some(head),
                upstream_of: set_upstream.then(|| source.to_string()),
            }
        } else if let Some(tag) = repo.tag_ref(source) {
            PushUpdate {
                local: source.to_string(),
                remote_ref: format!("refs/tags/{destination}"),
                target: Some(tag),
                upstream_of: None,
            }
        } else {
            return Err(usage(format!("error: src refspec {source} does not match any")));
        };
        updates.push(update);
    }
    Ok(PushPlan { remote, url, updates })
}

/// The remote's refs after `updates`, if the remote allows them: a branch moves only forward
/// (its remote commit an ancestor of the new one) and a tag is never replaced, unless `force`.
/// A remote without refs gets the first branch pushed as its default.
pub fn decide_push(
    repo: &Repo,
    remote_refs: &RefMap,
    updates: &[PushUpdate],
    force: bool,
    url: &str,
) -> Result<Result<RefMap, Rejection>, Error> {
    let mut refs = remote_refs.clone();
    let mut rejected = Vec::new();
    for update in updates {
        let short = update.remote_ref.rsplit_once('/').map_or("", |(_, name)| name);
        let old = refs.refs.get(&update.remote_ref).copied();
        match (old, update.target) {
            (None, None) => {
                return Err(usage(format!(
                    "error: unable to delete '{short}': remote ref does not exist"
                )))
            }
            (Some(_), None) => {
                refs.refs.remove(&update.remote_ref);
            }
            (Some(old), Some(new)) if old == new => {}
            (Some(old), Some(new)) if !force => {
                let forward = update.remote_ref.starts_with("refs/heads/")
                    && repo.is_ancestor(old, new).or_else(|error| match error {
                        crate::history::Error::Store(_) if error.missing().is_none() => Ok(false),
                        other => Err(other),
                    })?;
                if !forward {
                    let why = if update.remote_ref.starts_with("refs/tags/") {
                        "already exists"
                    } else {
                        "non-fast-forward"
                    };
                    rejected.push(format!(
                        " ! [rejected]          {} -> {short} ({why})",
                        update.local
                    ));
                    continue;
                }
                refs.refs.insert(update.remote_ref.clone(), new);
            }
            (_, Some(new)) => {
                refs.refs.insert(update.remote_ref.clone(), new);
            }
        }
    }
    if !rejected.is_empty() {
        let message = format!(
            "{}\nerror: failed to push some refs to '{url}'\nhint: Updates were rejected because the tip of your current branch is behind\nhint: its remote counterpart. Integrate the remote changes (e.g.\nhint: 'dolt pull ...') before pushing again.",
            rejected.join("\n")
        );
        return Ok(Err(Rejection { message }));
    }
    let head_is_branch = refs.refs.contains_key(&format!("refs/heads/{}", refs.head));
    if !head_is_branch {
        let first =
            updates.iter().find(|u| u.target.is_some() && u.remote_ref.starts_with("refs/heads/"));
        if let Some(first) = first {
            refs.head = first.remote_ref["refs/heads/".len()..].to_string();
        }
    }
    Ok(Ok(refs))
}

/// What a fetch from `remote` leaves in the local repository: a remote-tracking branch for
/// each of the remote's branches (only `branches` when given; with `prune`, tracking branches
/// the remote no longer has are removed) and the remote's tags that are not here yet.
pub fn apply_fetch(
    repo: &mut Repo,
    remote: &str,
    remote_refs: &RefMap,
    branches: &[String],
    prune: bool,
) -> Result<(), Error> {
    let wanted = |name: &str| branches.is_empty() || branches.iter().any(|b| b == name);
    for (name, hash) in &remote_refs.refs {
        if let Some(branch) = name.strip_prefix("refs/heads/") {
            if wanted(branch) {
                repo.set_remote_ref(remote, branch, Some(*hash))?;
            }
        } else if let Some(tag) = name.strip_prefix("refs/tags/") {
            if repo.tag_ref(tag).is_none() {
                repo.set_tag_ref(tag, *hash)?;
            }
        }
    }
    if prune {
        prune_tracking(repo, remote, remote_refs)?;
    }
    Ok(())
}

/// Removes the remote-tracking branches of `remote` whose branch `remote_refs` no longer has.
pub(super) fn prune_tracking(
    repo: &mut Repo,
    remote: &str,
    remote_refs: &RefMap,
) -> Result<(), Error> {
    let prefix = format!("remotes/{remote}/");
    for (full, _) in repo.remote_branches() {
        let Some(branch) = full.strip_prefix(&prefix) else { continue };
        if !remote_refs.refs.contains_key(&format!("refs/heads/{branch}")) {
            repo.set_remote_ref(remote, branch, None)?;
        }
    }
    Ok(())
}

/// The refs a fetch copies: the remote's branches (only `branches` when given) and tags.
pub fn fetch_roots<'r>(remote_refs: &'r RefMap, branches: &[String]) -> Vec<(&'r str, Hash)> {
    remote_refs
        .refs
        .iter()
        .filter(|(name, _)| match name.strip_prefix("refs/heads/") {
            Some(branch) => branches.is_empty() || branches.iter().any(|b| b == branch),
            None => name.starts_with("refs/tags/"),
        })
        .map(|(name, hash)| (name.as_str(), *hash))
        .collect()
}

/// The remote and branch `dolt_pull` merges: the arguments, else the current branch's
/// upstream, else the branch of the same name on `origin`.
pub fn pull_source(
    repo: &Repo,
    current: &str,
    remote: Option<&str>,
    branch: Option<&str>,
) -> Result<(String, String), Error> {
    let upstream = remotes::upstream(repo, current)?;
    let remote = match (remote, &upstream) {
        (Some(remote), _) => remote.to_string(),
        (None, Some((remote, _))) => remote.clone(),
        (None, None) => "origin".to_string(),
    };
    remotes::url(repo, REMOTES_DOCUMENT, &remote)?;
    let branch = match (branch, &upstream) {
        (Some(branch), _) => branch.to_string(),
        (None, Some((up_remote, up_branch))) if *up_remote == remote => up_branch.clone(),
        (None, _) => current.to_string(),
    };
    Ok((remote, branch))
}

/// The URL of a configured remote or backup, with the error Dolt gives when it is unknown.
pub fn configured_url(repo: &Repo, backup: bool, name: &str) -> Result<String, Error> {
    let document = if backup { BACKUPS_DOCUMENT } else { REMOTES_DOCUMENT };
    Ok(remotes::url(repo, document, name)?)
}

/// After a push: the tracking branches of the pushed branches, and upstreams asked for.
pub fn after_push(repo: &mut Repo, plan: &PushPlan) -> Result<(), Error> {
    for update in &plan.updates {
        let Some(branch) = update.remote_ref.strip_prefix("refs/heads/") else { continue };
        repo.set_remote_ref(&plan.remote, branch, update.target)?;
        if let Some(local) = &update.upstream_of {
            remotes::set_upstream(repo, local, &plan.remote, branch)?;
        }
    }
    Ok(())
}
