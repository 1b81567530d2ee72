//! What replication decides, without IO: which refs a primary pushes after a statement moved
//! its heads ([`moved_refs`], [`replication_plan`]), and how a read replica's branches and tags follow the
//! remote-tracking branches a fetch left ([`apply_replica`]). The `db` layer does the pushing
//! and fetching around these.

use std::collections::BTreeMap;

use crate::chunk::Hash;
use crate::history::remotes::{self, REMOTES_DOCUMENT};
use crate::history::{RefMap, Repo, ResetMode};

use super::super::error::{Error, ErrorKind};
use super::remotes::{prune_tracking, PushPlan, PushUpdate};
use crate::sql::Heads;

/// The refs replication carries, by full name: branches and tags. Working sets, remote-tracking
/// branches and configuration stay where they are.
pub fn replicated_refs(refs: &RefMap) -> BTreeMap<&str, Hash> {
    refs.refs
        .iter()
        .filter(|(name, _)| name.starts_with("refs/heads/") || name.starts_with("refs/tags/"))
        .map(|(name, hash)| (name.as_str(), *hash))
        .collect()
}

/// The full names of the branches and tags that differ between `before` and `after`:
/// created, moved or deleted.
pub fn moved_refs(before: &RefMap, after: &RefMap) -> Vec<String> {
    let (old, new) = (replicated_refs(before), replicated_refs(after));
    let mut moved: Vec<String> = new
        .iter()
        .filter(|(name, hash)| old.get(*name) != Some(*hash))
        .map(|(n, _)| n.to_string())
        .collect();
    moved.extend(old.keys().filter(|name| !new.contains_key(*name)).map(|n| n.to_string()));
    moved.sort();
    moved
}

/// The push that carries the refs `names` to `remote` as the repository holds them now (a
/// name it no longer holds is deleted there); `None` for no names. Fails, naming the remote,
/// when `remote` is not configured.
pub fn replication_plan(
    repo: &Repo,
    remote: &str,
    names: &[String],
) -> Result<Option<PushPlan>, Error> {
    if names.is_empty() {
        return Ok(None);
    }
    let url = remotes::url(repo, REMOTES_DOCUMENT, remote)?;
    let updates = names.iter().map(|name| update(name, repo.refs().refs.get(name).copied()));
    Ok(Some(PushPlan { remote: remote.to_string(), url, updates: updates.collect() }))
}

fn update(full_name: &str, target: Option<Hash>) -> PushUpdate {
    let short = full_name.split_once('/').and_then(|(_, rest)| rest.split_once('/'));
    let local = match target {
        Some(_) => short.map_or(full_name, |(_, name)| name).to_string(),
        None => String::new(),
    };
    PushUpdate { local, remote_ref: full_name.to_string(), target, upstream_of: None }
}

/// What a replica's pull changed here.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReplicaChange {
    pub moved: Vec<String>,
    pub created: Vec<String>,
    pub deleted: Vec<String>,
}

impl ReplicaChange {
    pub fn is_empty(&self) -> bool {
        self.moved.is_empty() && self.created.is_empty() && self.deleted.is_empty()
    }
}

/// Brings the replica's branches that `heads` names to `remote`'s remote-tracking branches (a
/// fetch has just brought them up to date): a missing branch is created; one behind is moved
/// forward with its working set; one that diverged is reset to the remote when `force`, and
/// otherwise refused. With [`Heads::All`], branches other than `current` that the
/// remote lacks are deleted, and when `remote_refs` is given (the fetch saw the remote's
/// refs), remote-tracking branches the remote lacks are removed and the tags follow the
/// remote's.
pub fn apply_replica(
    repo: &mut Repo,
    remote: &str,
    heads: &Heads,
    force: bool,
    current: &str,
    remote_refs: Option<&RefMap>,
) -> Result<ReplicaChange, Error> {
    let prefix = format!("remotes/{remote}/");
    if let (Heads::All, Some(remote_refs)) = (heads, remote_refs) {
        prune_tracking(repo, remote, remote_refs)?;
    }
    let tracking: BTreeMap<String, Hash> = repo
        .remote_branches()
        .into_iter()
        .filter_map(|(name, hash)| Some((name.strip_prefix(&prefix)?.to_string(), hash)))
        .collect();
    let local: BTreeMap<String, Hash> = repo.branches().into_iter().collect();
    let mut change = ReplicaChange::default();
    for (branch, &target) in tracking.iter().filter(|(branch, _)| heads.includes(branch)) {
        match local.get(branch) {
            None => {
                repo.create_branch(branch, target, false)?;
                change.created.push(branch.clone());
            }
            Some(&head) if head == target => {}
            Some(&head) => {
                if !force && !repo.is_ancestor(head, target)? {
                    return Err(Error::new(
                        ErrorKind::History,
                        format!(
                            "branch '{branch}' of this replica has diverged from remote '{remote}'; set @@dolt_read_replica_force_pull to reset it to the remote"
                        ),
                    ));
                }
                repo.reset(branch, target, ResetMode::Hard)?;
                change.moved.push(branch.clone());
            }
        }
    }
    if let Heads::All = heads {
        for branch in local.keys() {
            if !tracking.contains_key(branch) && branch != current && branch != &repo.refs().head {
                repo.delete_branch(branch, true)?;
                change.deleted.push(branch.clone());
            }
        }
        if let Some(remote_refs) = remote_refs {
            mirror_tags(repo, remote_refs)?;
        }
    }
    Ok(change)
}

/// Makes the replica's tags the remote's: tags are immutable names, so one that differs is
/// replaced and one the remote lacks is removed.
fn mirror_tags(repo: &mut Repo, remote_refs: &RefMap) -> Result<(), Error> {
    let theirs: BTreeMap<&str, Hash> = remote_refs
        .refs
        .iter()
        .filter_map(|(name, hash)| Some((name.strip_prefix("refs/tags/")?, *hash)))
        .collect();
    let ours: Vec<(String, Hash)> = repo
        .refs()
        .refs
        .iter()
        .filter_map(|(name, hash)| Some((name.strip_prefix("refs/tags/")?.to_string(), *hash)))
        .collect();
    for (tag, hash) in &ours {
        match theirs.get(tag.as_str()) {
            Some(their) if their == hash => {}
            _ => repo.delete_tag(tag)?,
        }
    }
    for (tag, hash) in theirs {
        if repo.tag_ref(tag) != Some(hash) {
            repo.set_tag_ref(tag, hash)?;
        }
    }
    Ok(())
}

/// Moves branches forward to a backup's heads where the backup is ahead of them (or creates
/// those missing): a standby taking over catches up with commits its old primary backed up but
/// never pushed. A branch that went elsewhere than the backup keeps its head. Answers the full
/// names of the branches it moved or created.
pub fn adopt_backup(repo: &mut Repo, backup: &RefMap) -> Result<Vec<String>, Error> {
    let mut moved = Vec::new();
    for (name, &target) in &backup.refs {
        let Some(branch) = name.strip_prefix("refs/heads/") else { continue };
        match repo.refs().refs.get(name).copied() {
            None => repo.create_branch(branch, target, false)?,
            Some(head) if head == target || !repo.is_ancestor(head, target)? => continue,
            Some(_) => repo.reset(branch, target, ResetMode::Hard)?,
        }
        moved.push(name.clone());
    }
    Ok(moved)
}
