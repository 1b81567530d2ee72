//! `Repo`: one database's refs and working sets, and the version-control operations on them.
//!
//! A `Repo` reads the ref map named by the store's manifest and changes a copy of it in memory;
//! nothing is visible to other handles until [`Repo::publish`] flushes the new chunks and swaps
//! the manifest. Branch operations take the branch they act on; the ref map also records the
//! current branch (`HEAD`), which the CLI uses and SQL sessions start from.
//!
//! An operation that fails (including with `Missing`) may have changed the in-memory copy part
//! way; since nothing was published, the caller discards the `Repo`, opens a new one and runs
//! the operation again.

use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};

use crate::chunk::{ChunkStore, Hash, Manifest};
use crate::prolly::Map;

use super::merge::{merge_roots, RowConflict};
use super::objects::{Commit, MergeState, RefMap, RootValue, Signature, Table, Tag, WorkingSet};
use super::Error;

pub const DEFAULT_BRANCH: &str = "main";
pub const INIT_MESSAGE: &str = "Initialize data repository";
const BRANCH_PREFIX: &str = "refs/heads/";
const TAG_PREFIX: &str = "refs/tags/";
const REMOTE_PREFIX: &str = "refs/remotes/";
const WORKING_PREFIX: &str = "workingSets/heads/";
/// Longest ref name, in bytes.
pub const REF_NAME_BYTES_MAX: usize = 255;
/// Commits `log` returns at most in one call.
pub const LOG_COMMITS_MAX: usize = 1 << 20;

/// Checks a branch, tag or remote name with git's rules, which Dolt follows.
/// Ref-map names of configuration documents start with this.
pub(crate) const CONFIG_PREFIX: &str = "config/";

/// The configuration document every garbage collection replaces before it decides what to keep.
/// A transaction that began before a collection may refer to chunks the collection removed, so
/// publishing one whose marker differs from the current one is refused (see
/// [`Repo::gc_marker`]).
const GC_MARKER: &str = "gc";

/// The text of a collection marker, followed by its generation number counting from 1.
const GC_MARKER_TEXT: &str = "garbage collection ";

pub fn validate_ref_name(what: &'static str, name: &str) -> Result<(), Error> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > REF_NAME_BYTES_MAX {
        Some("it is longer than 255 bytes")
    } else if name.starts_with('-') || name.starts_with('/') || name.ends_with('/') {
        Some("it starts with '-' or '/' or ends with '/'")
    } else if name.ends_with(".lock") || name.ends_with('.') {
        Some("it ends with '.lock' or '.'")
    } else if name.contains("..")
        || name.contains("//")
        || name.contains("@{")
        || name == "@"
        || name == "HEAD"
    {
        Some("it contains '..', '//' or '@{', or is 'HEAD' or '@'")
    } else if name.chars().any(|c| c.is_control() || " ~^:?*[\\".contains(c)) {
        Some("it contains a space, a control character or one of ~^:?*[\\")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::BadName { what, name: name.to_string(), reason }),
        None => Ok(()),
    }
}

/// How `reset` moves a branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetMode {
    /// Moves the branch only; staged and working tables stay.
    Soft,
    /// Moves the branch and makes the staged tables the target's; working tables stay.
    Mixed,
    /// Moves the branch and discards every staged and working change.
    Hard,
}

#[derive(Clone, Debug)]
pub struct CommitOptions {
    pub message: String,
    pub author: Signature,
    /// Defaults to the author.
    pub committer: Option<Signature>,
    /// Stage every table first (`-a`).
    pub all: bool,
    pub allow_empty: bool,
    /// Replace the head commit instead of adding one.
    pub amend: bool,
}

impl CommitOptions {
    pub fn new(message: &str, author: Signature) -> CommitOptions {
        CommitOptions {
            message: message.to_string(),
            author,
            committer: None,
            all: false,
            allow_empty: false,
            amend: false,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct MergeOptions {
    /// Make a merge commit even when a fast-forward is possible.
    pub no_ff: bool,
    /// Fail unless the merge is a fast-forward.
    pub ff_only: bool,
    /// Merge into the working set without a commit and without recording the merge.
    pub squash: bool,
    /// Merge into the working set and stop before committing.
    pub no_commit: bool,
    /// The merge commit's message; a default names the merged branch.
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MergeOutcome {
    /// Nothing to do: theirs is already part of the branch.
    UpToDate,
    /// The branch moved to their commit.
    FastForward { commit: Hash },
    /// A merge commit was made.
    Committed { commit: Hash },
    /// The merged tables are in the working set; `conflicts` rows await resolution (the merge is
    /// in progress unless it was a squash).
    Uncommitted { conflicts: usize },
}

/// Which side a conflict resolution keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Ours,
    Theirs,
}

/// A branch's status: what is staged, what is not, what conflicts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    pub branch: String,
    /// Tables whose staged state differs from the head commit.
    pub staged: Vec<String>,
    /// Tables whose working state differs from the staged state.
    pub unstaged: Vec<String>,
    /// Tables with unresolved conflicts.
    pub conflicts: Vec<String>,
    pub merging: bool,
}

pub struct Repo<'s> {
    store: &'s mut dyn ChunkStore,
    published: Manifest,
    refs: RefMap,
}

fn branch_ref(name: &str) -> String {
    format!("{BRANCH_PREFIX}{name}")
}

fn working_ref(name: &str) -> String {
    format!("{WORKING_PREFIX}{name}")
}

/// Orders commits for walks that go from the newest down: by height, then time, then hash.
struct ByHeight(Commit);

impl PartialEq for ByHeight {
    fn eq(&self, other: &Self) -> bool {
        self.0.hash == other.0.hash
    }
}
impl Eq for ByHeight {}
impl PartialOrd for ByHeight {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ByHeight {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0.height, self.0.committer.time_ms, self.0.hash).cmp(&(
            other.0.height,
            other.0.committer.time_ms,
            other.0.hash,
        ))
    }
}

impl<'s> Repo<'s> {
    /// Opens the repository whose ref map the store's manifest names.
    pub fn open(store: &'s mut dyn ChunkStore) -> Result<Repo<'s>, Error> {
        let published = store.manifest()?;
        let Some(root) = published.root else {
            return Err(Error::NotARepository);
        };
        let refs = RefMap::read(store, root)?;
        Ok(Repo { store, published, refs })
    }

    /// Creates a repository in an empty store from refs whose chunks the store already holds,
    /// as clone and restore do. Call [`Repo::publish`] to make it visible.
    pub fn adopt(store: &'s mut dyn ChunkStore, refs: RefMap) -> Result<Repo<'s>, Error> {
        let published = store.manifest()?;
        if published.root.is_some() {
            return Err(Error::AlreadyExists { what: "repository", name: String::new() });
        }
        Ok(Repo { store, published, refs })
    }

    /// Creates a repository in an empty store: an empty root value, a first commit on
    /// `DEFAULT_BRANCH`, and its working set. Call [`Repo::publish`] to make it visible.
    pub fn init(store: &'s mut dyn ChunkStore, author: &Signature) -> Result<Repo<'s>, Error> {
        let published = store.manifest()?;
        if published.root.is_some() {
            return Err(Error::AlreadyExists { what: "repository", name: String::new() });
        }
        let root = RootValue::default().write(store)?;
        let commit = Commit::write(store, root, &[], author, author, INIT_MESSAGE)?;
        let mut repo = Repo {
            store,
            published,
            refs: RefMap { head: DEFAULT_BRANCH.into(), refs: BTreeMap::new() },
        };
        repo.refs.refs.insert(branch_ref(DEFAULT_BRANCH), commit.hash);
        repo.put_working_set(
            DEFAULT_BRANCH,
            &WorkingSet { working: root, staged: root, merge: None },
        )?;
        Ok(repo)
    }

    /// Writes the ref map and swaps the manifest, if no one else published since this `Repo`
    /// was opened (otherwise [`crate::chunk::Error::Conflict`] and nothing changes).
    pub fn publish(&mut self) -> Result<(), Error> {
        let root = self.refs.write(self.store)?;
        let next = Manifest { root: Some(root), epoch: self.published.epoch };
        self.store.flush(&self.published, &next)?;
        self.published = next;
        Ok(())
    }

    pub fn store(&self) -> &dyn ChunkStore {
        self.store
    }

    pub fn store_mut(&mut self) -> &mut dyn ChunkStore {
        self.store
    }

    pub fn refs(&self) -> &RefMap {
        &self.refs
    }

    pub fn current_branch(&self) -> &str {
        &self.refs.head
    }

    /// Makes `branch` the current branch. Each branch keeps its own working set.
    pub fn switch_branch(&mut self, branch: &str) -> Result<(), Error> {
        self.branch_head(branch)?;
        self.refs.head = branch.to_string();
        Ok(())
    }

    // ---- reading ----

    pub fn commit(&self, hash: Hash) -> Result<Commit, Error> {
        Commit::read(self.store, hash)
    }

    pub fn root(&self, hash: Hash) -> Result<RootValue, Error> {
        RootValue::read(self.store, hash)
    }

    pub fn table(&self, root: &RootValue, name: &str) -> Result<Table, Error> {
        match root.tables.get(name) {
            Some(hash) => Table::read(self.store, *hash),
            None => Err(Error::NotFound { what: "table", name: name.to_string() }),
        }
    }

    /// The commit a branch points at.
    pub fn branch_head(&self, branch: &str) -> Result<Hash, Error> {
        self.refs
            .refs
            .get(&branch_ref(branch))
            .copied()
            .ok_or_else(|| Error::NotFound { what: "branch", name: branch.to_string() })
    }

    pub fn working_set(&self, branch: &str) -> Result<WorkingSet, Error> {
        match self.refs.refs.get(&working_ref(branch)) {
            Some(hash) => WorkingSet::read(self.store, *hash),
            None => {
                let root = self.commit(self.branch_head(branch)?)?.root;
                Ok(WorkingSet { working: root, staged: root, merge: None })
            }
        }
    }

    fn put_working_set(&mut self, branch: &str, set: &WorkingSet) -> Result<(), Error> {
        let hash = set.write(self.store)?;
        self.refs.refs.insert(working_ref(branch), hash);
        Ok(())
    }

    pub fn working_root(&self, branch: &str) -> Result<RootValue, Error> {
        self.root(self.working_set(branch)?.working)
    }

    pub fn staged_root(&self, branch: &str) -> Result<RootValue, Error> {
        self.root(self.working_set(branch)?.staged)
    }

    /// Replaces a branch's working root (how SQL writes land).
    pub fn set_working_root(&mut self, branch: &str, root: &RootValue) -> Result<Hash, Error> {
        let hash = root.write(self.store)?;
        let mut set = self.working_set(branch)?;
        set.working = hash;
        self.put_working_set(branch, &set)?;
        Ok(hash)
    }

    /// Resolves a revision: `HEAD`, a branch, a tag, a remote-tracking branch
    /// (`origin/main` or `remotes/origin/main`), a commit hash, each optionally followed by any
    /// number of `~n`, `~` and `^` (first parent) steps.
    pub fn resolve(&self, revision: &str) -> Result<Hash, Error> {
        let split = revision.find(['~', '^']).unwrap_or(revision.len());
        let (name, mut steps) = revision.split_at(split);
        let mut commit = self.resolve_name(name)?;
        while !steps.is_empty() {
            let count_text: String =
                steps[1..].chars().take_while(|c| c.is_ascii_digit()).collect();
            let count =
                if count_text.is_empty() { 1 } else { count_text.parse().unwrap_or(usize::MAX) };
            let first_parent_steps = if steps.starts_with('~') { count } else { count.min(1) };
            for _ in 0..first_parent_steps {
                commit = *self.commit(commit)?.parents.first().ok_or_else(|| Error::NotFound {
                    what: "commit",
                    name: revision.to_string(),
                })?;
            }
            steps = &steps[1 + count_text.len()..];
        }
        Ok(commit)
    }

    fn resolve_name(&self, name: &str) -> Result<Hash, Error> {
        let name = if name.eq_ignore_ascii_case("HEAD") { self.refs.head.as_str() } else { name };
        if let Some(hash) = self.refs.refs.get(&branch_ref(name)) {
            return Ok(*hash);
        }
        if let Some(tag) = self.refs.refs.get(&format!("{TAG_PREFIX}{name}")) {
            return Ok(Tag::read(self.store, *tag)?.commit);
        }
        let remote = name.strip_prefix("remotes/").unwrap_or(name);
        if let Some(hash) = self.refs.refs.get(&format!("{REMOTE_PREFIX}{remote}")) {
            return Ok(*hash);
        }
        if let Ok(hash) = Hash::parse(name) {
            if self.store.has_many(&[hash])?[0] {
                self.commit(hash)?;
                return Ok(hash);
            }
        }
        Err(Error::NotFound { what: "revision", name: name.to_string() })
    }

    // ---- staging and committing ----

    /// Stages tables: copies them (or their absence) from the working root to the staged root.
    /// `None` stages every table.
    pub fn add(&mut self, branch: &str, tables: Option<&[&str]>) -> Result<(), Error> {
        let working = self.working_set(branch)?.working;
        self.copy_to_staged(branch, working, tables)
    }

    /// Unstages tables: copies them back from the head commit to the staged root. `None`
    /// unstages everything.
    pub fn unstage(&mut self, branch: &str, tables: Option<&[&str]>) -> Result<(), Error> {
        let head = self.commit(self.branch_head(branch)?)?.root;
        self.copy_to_staged(branch, head, tables)
    }

    /// Makes the staged root `source` (all tables) or copies the named tables from it.
    fn copy_to_staged(
        &mut self,
        branch: &str,
        source: Hash,
        tables: Option<&[&str]>,
    ) -> Result<(), Error> {
        let mut set = self.working_set(branch)?;
        set.staged = match tables {
            None => source,
            Some(names) => {
                let from = self.root(source)?;
                let mut staged = self.root(set.staged)?;
                copy_tables(&from, &mut staged, names)?;
                staged.write(self.store)?
            }
        };
        self.put_working_set(branch, &set)
    }

    /// Commits the branch's staged tables (all tables with `all`). Returns the new commit.
    pub fn commit_staged(
        &mut self,
        branch: &str,
        options: &CommitOptions,
    ) -> Result<Commit, Error> {
        if options.all {
            self.add(branch, None)?;
        }
        let mut set = self.working_set(branch)?;
        if let Some(merge) = &set.merge {
            if !merge.conflicts.is_empty() {
                return Err(Error::UnresolvedConflicts {
                    tables: merge.conflicts.keys().cloned().collect(),
                });
            }
        }
        let head = self.commit(self.branch_head(branch)?)?;
        let mut parents = if options.amend {
            head.parents.iter().map(|p| self.commit(*p)).collect::<Result<Vec<_>, _>>()?
        } else {
            vec![head.clone()]
        };
        if let Some(merge) = &set.merge {
            parents.push(self.commit(merge.commit)?);
        }
        let unchanged =
            parents.first().is_some_and(|p| p.root == set.staged) && set.merge.is_none();
        if unchanged && !options.allow_empty && !options.amend {
            return Err(Error::NothingToCommit);
        }
        let committer = options.committer.as_ref().unwrap_or(&options.author);
        let commit = Commit::write(
            self.store,
            set.staged,
            &parents,
            &options.author,
            committer,
            &options.message,
        )?;
        self.refs.refs.insert(branch_ref(branch), commit.hash);
        set.merge = None;
        self.put_working_set(branch, &set)?;
        Ok(commit)
    }

    // ---- branches and tags ----

    pub fn branches(&self) -> Vec<(String, Hash)> {
        self.refs
            .refs
            .range(BRANCH_PREFIX.to_string()..)
            .take_while(|(name, _)| name.starts_with(BRANCH_PREFIX))
            .map(|(name, hash)| (name[BRANCH_PREFIX.len()..].to_string(), *hash))
            .collect()
    }

    /// Remote-tracking branches as `remotes/<remote>/<branch>` (how Dolt's
    /// `dolt_remote_branches` names them), with the commits they point at.
    pub fn remote_branches(&self) -> Vec<(String, Hash)> {
        self.refs
            .refs
            .range(REMOTE_PREFIX.to_string()..)
            .take_while(|(name, _)| name.starts_with(REMOTE_PREFIX))
            .map(|(name, hash)| (format!("remotes/{}", &name[REMOTE_PREFIX.len()..]), *hash))
            .collect()
    }

    /// Creates a branch at `commit`; with `force`, moves an existing one there.
    pub fn create_branch(&mut self, name: &str, commit: Hash, force: bool) -> Result<(), Error> {
        validate_ref_name("branch", name)?;
        self.commit(commit)?;
        if self.refs.refs.contains_key(&branch_ref(name)) {
            if !force {
                return Err(Error::AlreadyExists { what: "branch", name: name.to_string() });
            }
            if name == self.refs.head {
                return Err(Error::CurrentBranch { name: name.to_string() });
            }
        }
        self.refs.refs.insert(branch_ref(name), commit);
        self.refs.refs.remove(&working_ref(name));
        Ok(())
    }

    /// Points an existing branch at `commit`, keeping its working root (as an update of Dolt's
    /// `dolt_branches` table does). A staged root that matched the old head follows it, so a
    /// branch whose working root is the new commit's root is clean afterwards.
    pub fn move_branch(&mut self, name: &str, commit: Hash) -> Result<(), Error> {
        let old_root = self.commit(self.branch_head(name)?)?.root;
        let new_root = self.commit(commit)?.root;
        let mut set = self.working_set(name)?;
        self.refs.refs.insert(branch_ref(name), commit);
        if set.staged == old_root {
            set.staged = new_root;
        }
        self.put_working_set(name, &set)
    }

    /// Deletes a branch. Without `force` it must be merged into the current branch.
    pub fn delete_branch(&mut self, name: &str, force: bool) -> Result<(), Error> {
        let head = self.branch_head(name)?;
        if name == self.refs.head {
            return Err(Error::CurrentBranch { name: name.to_string() });
        }
        if !force {
            let current = self.branch_head(&self.refs.head.clone())?;
            if !self.is_ancestor(head, current)? {
                return Err(Error::NotMerged { branch: name.to_string() });
            }
        }
        self.refs.refs.remove(&branch_ref(name));
        self.refs.refs.remove(&working_ref(name));
        Ok(())
    }

    /// Renames a branch with its working set; with `force`, replaces an existing `to`.
    pub fn rename_branch(&mut self, from: &str, to: &str, force: bool) -> Result<(), Error> {
        validate_ref_name("branch", to)?;
        let head = self.branch_head(from)?;
        if self.refs.refs.contains_key(&branch_ref(to)) && !force {
            return Err(Error::AlreadyExists { what: "branch", name: to.to_string() });
        }
        let set = self.refs.refs.remove(&working_ref(from));
        self.refs.refs.remove(&branch_ref(from));
        self.refs.refs.insert(branch_ref(to), head);
        self.refs.refs.remove(&working_ref(to));
        if let Some(set) = set {
            self.refs.refs.insert(working_ref(to), set);
        }
        if self.refs.head == from {
            self.refs.head = to.to_string();
        }
        Ok(())
    }

    pub fn create_tag(
        &mut self,
        name: &str,
        commit: Hash,
        tagger: &Signature,
        message: &str,
    ) -> Result<Tag, Error> {
        validate_ref_name("tag", name)?;
        if self.refs.refs.contains_key(&format!("{TAG_PREFIX}{name}")) {
            return Err(Error::AlreadyExists { what: "tag", name: name.to_string() });
        }
        self.commit(commit)?;
        let tag = Tag::write(self.store, commit, tagger, message)?;
        self.refs.refs.insert(format!("{TAG_PREFIX}{name}"), tag.hash);
        Ok(tag)
    }

    pub fn delete_tag(&mut self, name: &str) -> Result<(), Error> {
        match self.refs.refs.remove(&format!("{TAG_PREFIX}{name}")) {
            Some(_) => Ok(()),
            None => Err(Error::NotFound { what: "tag", name: name.to_string() }),
        }
    }

    pub fn tags(&self) -> Result<Vec<(String, Tag)>, Error> {
        self.refs
            .refs
            .range(TAG_PREFIX.to_string()..)
            .take_while(|(name, _)| name.starts_with(TAG_PREFIX))
            .map(|(name, hash)| {
                Ok((name[TAG_PREFIX.len()..].to_string(), Tag::read(self.store, *hash)?))
            })
            .collect()
    }

    /// The chunk holding the configuration document `name` (such as persisted variables).
    pub fn config_ref(&self, name: &str) -> Option<Hash> {
        self.refs.refs.get(&format!("{CONFIG_PREFIX}{name}")).copied()
    }

    /// Points the configuration document `name` at a chunk (already put), or removes it.
    pub fn set_config_ref(&mut self, name: &str, chunk: Option<Hash>) {
        let name = format!("{CONFIG_PREFIX}{name}");
        match chunk {
            Some(hash) => self.refs.refs.insert(name, hash),
            None => self.refs.refs.remove(&name),
        };
    }

    /// The tag object `name` points at, as the ref map holds it.
    pub fn tag_ref(&self, name: &str) -> Option<Hash> {
        self.refs.refs.get(&format!("{TAG_PREFIX}{name}")).copied()
    }

    /// Points tag `name` at a tag object already in the store, as fetch and clone do.
    pub fn set_tag_ref(&mut self, name: &str, tag: Hash) -> Result<(), Error> {
        validate_ref_name("tag", name)?;
        self.refs.refs.insert(format!("{TAG_PREFIX}{name}"), tag);
        Ok(())
    }

    /// Sets a remote-tracking ref (`refs/remotes/<remote>/<branch>`), as fetch does.
    pub fn set_remote_ref(
        &mut self,
        remote: &str,
        branch: &str,
        commit: Option<Hash>,
    ) -> Result<(), Error> {
        validate_ref_name("remote", remote)?;
        validate_ref_name("branch", branch)?;
        let name = format!("{REMOTE_PREFIX}{remote}/{branch}");
        match commit {
            Some(commit) => self.refs.refs.insert(name, commit),
            None => self.refs.refs.remove(&name),
        };
        Ok(())
    }

    // ---- history queries ----

    /// Commits reachable from `start`, newest first (by height, then commit time), at most
    /// `limit` of them.
    pub fn log(&self, start: Hash, limit: Option<usize>) -> Result<Vec<Commit>, Error> {
        let limit = limit.unwrap_or(LOG_COMMITS_MAX).min(LOG_COMMITS_MAX);
        let mut queue = BinaryHeap::from([ByHeight(self.commit(start)?)]);
        let mut seen = HashSet::from([start]);
        let mut out = Vec::new();
        while let Some(ByHeight(commit)) = queue.pop() {
            if out.len() == limit {
                break;
            }
            for parent in &commit.parents {
                if seen.insert(*parent) {
                    queue.push(ByHeight(self.commit(*parent)?));
                }
            }
            out.push(commit);
        }
        Ok(out)
    }

    /// The best common ancestor of two commits, or `None` when they share no history. Walks
    /// down from both by height, so it reads only the commits above the answer.
    pub fn merge_base(&self, a: Hash, b: Hash) -> Result<Option<Hash>, Error> {
        const FROM_A: u8 = 1;
        const FROM_B: u8 = 2;
        let mut flags: HashMap<Hash, u8> = HashMap::from([(a, FROM_A)]);
        *flags.entry(b).or_default() |= FROM_B;
        let mut queue = BinaryHeap::from([ByHeight(self.commit(a)?)]);
        if a != b {
            queue.push(ByHeight(self.commit(b)?));
        }
        // Commits in the queue carrying only one side's flag; when none carries A's (or B's),
        // no common ancestor is left to find.
        while let Some(ByHeight(commit)) = queue.pop() {
            let mark = flags[&commit.hash];
            if mark == FROM_A | FROM_B {
                return Ok(Some(commit.hash));
            }
            for parent in &commit.parents {
                let entry = flags.entry(*parent).or_default();
                let fresh = *entry == 0;
                *entry |= mark;
                if fresh {
                    queue.push(ByHeight(self.commit(*parent)?));
                }
            }
        }
        Ok(None)
    }

    pub fn is_ancestor(&self, ancestor: Hash, descendant: Hash) -> Result<bool, Error> {
        Ok(self.merge_base(ancestor, descendant)? == Some(ancestor))
    }

    // ---- reset, status ----

    /// Moves a branch to `target` as `mode` says. A hard reset also abandons a merge.
    pub fn reset(&mut self, branch: &str, target: Hash, mode: ResetMode) -> Result<(), Error> {
        let commit = self.commit(target)?;
        self.branch_head(branch)?;
        self.refs.refs.insert(branch_ref(branch), target);
        let mut set = self.working_set(branch)?;
        match mode {
            ResetMode::Soft => {}
            ResetMode::Mixed => set.staged = commit.root,
            ResetMode::Hard => {
                set = WorkingSet { working: commit.root, staged: commit.root, merge: None };
            }
        }
        self.put_working_set(branch, &set)
    }

    pub fn status(&self, branch: &str) -> Result<Status, Error> {
        let head = self.root(self.commit(self.branch_head(branch)?)?.root)?;
        let set = self.working_set(branch)?;
        let (staged, working) = (self.root(set.staged)?, self.root(set.working)?);
        Ok(Status {
            branch: branch.to_string(),
            staged: changed_tables(&head, &staged),
            unstaged: changed_tables(&staged, &working),
            conflicts: set
                .merge
                .as_ref()
                .map(|m| m.conflicts.keys().cloned().collect())
                .unwrap_or_default(),
            merging: set.merge.is_some(),
        })
    }

    // ---- merging ----

    fn require_clean(&self, branch: &str) -> Result<(WorkingSet, Commit), Error> {
        let set = self.working_set(branch)?;
        if set.merge.is_some() {
            return Err(Error::MergeInProgress);
        }
        let head = self.commit(self.branch_head(branch)?)?;
        if set.working != head.root || set.staged != head.root {
            return Err(Error::DirtyWorkingSet);
        }
        Ok((set, head))
    }

    /// Merges commit `theirs` into `branch`. `theirs_name` names it in the default message.
    pub fn merge(
        &mut self,
        branch: &str,
        theirs: Hash,
        theirs_name: &str,
        author: &Signature,
        options: &MergeOptions,
    ) -> Result<MergeOutcome, Error> {
        let (_, head) = self.require_clean(branch)?;
        let their_commit = self.commit(theirs)?;
        let base = self.merge_base(head.hash, theirs)?;
        if base == Some(theirs) {
            return Ok(MergeOutcome::UpToDate);
        }
        let fast_forward = base == Some(head.hash);
        if options.ff_only && !fast_forward {
            return Err(Error::NotFastForward);
        }
        if fast_forward && !options.no_ff && !options.squash {
            let root = their_commit.root;
            self.refs.refs.insert(branch_ref(branch), theirs);
            self.put_working_set(branch, &WorkingSet { working: root, staged: root, merge: None })?;
            return Ok(MergeOutcome::FastForward { commit: theirs });
        }
        let base_root = match base {
            Some(base) => self.root(self.commit(base)?.root)?,
            None => RootValue::default(),
        };
        let (ours_root, theirs_root) = (self.root(head.root)?, self.root(their_commit.root)?);
        let merged = merge_roots(self.store, &base_root, &ours_root, &theirs_root)?;
        let root = merged.root.write(self.store)?;
        let conflict_count: usize = merged.conflicts.values().map(Vec::len).sum();
        let mut conflicts = BTreeMap::new();
        for (table, rows) in &merged.conflicts {
            let entries = rows.iter().map(|c| (c.key.as_slice(), c.encode_value()));
            conflicts.insert(table.clone(), Map::build(self.store, entries)?.root());
        }
        let merge = (!options.squash).then_some(MergeState {
            commit: theirs,
            pre_merge_working: head.root,
            conflicts,
        });
        let mut set = WorkingSet { working: root, staged: root, merge };
        if conflict_count > 0 || options.no_commit || options.squash {
            if conflict_count > 0 {
                // Conflicted tables stay unstaged until resolved.
                set.staged = head.root;
            }
            self.put_working_set(branch, &set)?;
            return Ok(MergeOutcome::Uncommitted { conflicts: conflict_count });
        }
        self.put_working_set(branch, &set)?;
        let message = options
            .message
            .clone()
            .unwrap_or_else(|| format!("Merge branch '{theirs_name}' into {branch}"));
        let commit = self.commit_staged(branch, &CommitOptions::new(&message, author.clone()))?;
        Ok(MergeOutcome::Committed { commit: commit.hash })
    }

    /// The conflicted rows of one table in the merge in progress.
    pub fn conflicts(&self, branch: &str, table: &str) -> Result<Vec<RowConflict>, Error> {
        let set = self.working_set(branch)?;
        let Some(map) = set.merge.as_ref().and_then(|m| m.conflicts.get(table)) else {
            return Ok(Vec::new());
        };
        Map::from_root(*map)
            .iter(self.store)
            .map(|entry| {
                let (key, value) = entry?;
                RowConflict::decode(key, &value)
            })
            .collect()
    }

    /// Resolves every conflict of `table` by keeping one side's rows, then marks it resolved.
    pub fn resolve_conflicts(
        &mut self,
        branch: &str,
        table: &str,
        side: Side,
    ) -> Result<(), Error> {
        let rows = self.conflicts(branch, table)?;
        let mut set = self.working_set(branch)?;
        let Some(merge) = set.merge.as_mut() else {
            return Err(Error::NoMergeInProgress);
        };
        if merge.conflicts.remove(table).is_none() {
            return Err(Error::NotFound { what: "conflicts for table", name: table.to_string() });
        }
        if side == Side::Theirs {
            let mut working = self.root(set.working)?;
            let current = self.table(&working, table)?;
            let edits = rows.into_iter().map(|c| (c.key, c.theirs)).collect();
            let updated = current.edit_rows(self.store, edits)?;
            working.tables.insert(table.to_string(), updated.write(self.store)?);
            set.working = working.write(self.store)?;
        }
        self.put_working_set(branch, &set)
    }

    /// Marks a table's conflicts resolved as the working rows now stand (resolution by hand).
    pub fn mark_resolved(&mut self, branch: &str, table: &str) -> Result<(), Error> {
        let mut set = self.working_set(branch)?;
        let Some(merge) = set.merge.as_mut() else {
            return Err(Error::NoMergeInProgress);
        };
        merge.conflicts.remove(table);
        self.put_working_set(branch, &set)
    }

    /// Drops single conflicted rows of `table` from the merge in progress, as resolving them one
    /// by one (SQL's `DELETE FROM dolt_conflicts_<table>`) does; the table counts as resolved
    /// once none is left. Keys without a conflict are ignored.
    pub fn remove_conflicts(
        &mut self,
        branch: &str,
        table: &str,
        keys: &[Vec<u8>],
    ) -> Result<(), Error> {
        let mut set = self.working_set(branch)?;
        let Some(merge) = set.merge.as_mut() else {
            return Err(Error::NoMergeInProgress);
        };
        let Some(root) = merge.conflicts.get(table).copied() else {
            return Ok(());
        };
        let edits = keys.iter().map(|key| (key.clone(), None));
        let map = Map::from_root(root).edit(self.store, edits)?;
        if map.count(self.store)? == 0 {
            merge.conflicts.remove(table);
        } else {
            merge.conflicts.insert(table.to_string(), map.root());
        }
        self.put_working_set(branch, &set)
    }

    /// Abandons the merge in progress, restoring the working root from before it.
    pub fn abort_merge(&mut self, branch: &str) -> Result<(), Error> {
        let set = self.working_set(branch)?;
        let Some(merge) = set.merge else {
            return Err(Error::NoMergeInProgress);
        };
        let head = self.commit(self.branch_head(branch)?)?;
        let restored =
            WorkingSet { working: merge.pre_merge_working, staged: head.root, merge: None };
        self.put_working_set(branch, &restored)
    }

    /// Applies the change `commit` made (against its parent) onto `branch` and commits it with
    /// the original message and author.
    pub fn cherry_pick(
        &mut self,
        branch: &str,
        commit: Hash,
        committer: &Signature,
    ) -> Result<MergeOutcome, Error> {
        let picked = self.commit(commit)?;
        let parent = self.single_parent(&picked)?;
        let message = picked.message.clone();
        self.apply_change(branch, parent.root, picked.root, &message, &picked.author, committer)
    }

    /// Undoes the change `commit` made, as a new commit on `branch`.
    pub fn revert(
        &mut self,
        branch: &str,
        commit: Hash,
        author: &Signature,
    ) -> Result<MergeOutcome, Error> {
        let reverted = self.commit(commit)?;
        let parent = self.single_parent(&reverted)?;
        let message = format!("Revert \"{}\"", reverted.message);
        self.apply_change(branch, reverted.root, parent.root, &message, author, author)
    }

    fn single_parent(&self, commit: &Commit) -> Result<Commit, Error> {
        match commit.parents.as_slice() {
            [parent] => self.commit(*parent),
            [] => Err(Error::NoParent),
            _ => Err(Error::MergeCommit),
        }
    }

    fn apply_change(
        &mut self,
        branch: &str,
        from: Hash,
        to: Hash,
        message: &str,
        author: &Signature,
        committer: &Signature,
    ) -> Result<MergeOutcome, Error> {
        let (_, head) = self.require_clean(branch)?;
        let (from, to, ours) = (self.root(from)?, self.root(to)?, self.root(head.root)?);
        let merged = merge_roots(self.store, &from, &ours, &to)?;
        if !merged.conflicts.is_empty() {
            let tables: Vec<String> = merged.conflicts.keys().cloned().collect();
            return Err(Error::UnresolvedConflicts { tables });
        }
        let root = merged.root.write(self.store)?;
        self.put_working_set(branch, &WorkingSet { working: root, staged: root, merge: None })?;
        let options = CommitOptions {
            committer: Some(committer.clone()),
            ..CommitOptions::new(message, author.clone())
        };
        let commit = self.commit_staged(branch, &options)?;
        Ok(MergeOutcome::Committed { commit: commit.hash })
    }

    /// Which garbage collection last ran: `None` before the first. Work begun under one marker
    /// must not be published under another, since it may refer to chunks that were unreachable
    /// when the collection chose what to keep.
    pub fn gc_marker(&self) -> Option<Hash> {
        self.config_ref(GC_MARKER)
    }

    /// The first half of [`Repo::gc`]: publishes a new collection marker and returns the
    /// manifest whose reachable chunks the collection must keep. Callers that walk the store
    /// themselves (loading chunks as they go) then remove the rest with
    /// [`ChunkStore::collect_garbage`] against that manifest.
    pub fn begin_gc(&mut self) -> Result<Manifest, Error> {
        let generation = match self.gc_marker() {
            Some(hash) => {
                let chunk = self.store.get(hash)?;
                let text = std::str::from_utf8(chunk.data()).ok();
                let number = text.and_then(|t| t.strip_prefix(GC_MARKER_TEXT)?.parse::<u64>().ok());
                number.ok_or(crate::chunk::Error::Malformed {
                    hash,
                    reason: "not a garbage collection marker",
                })? + 1
            }
            None => 1,
        };
        let marker = crate::chunk::Chunk::new(format!("{GC_MARKER_TEXT}{generation}").into_bytes());
        self.set_config_ref(GC_MARKER, Some(marker.hash()));
        self.store.put(marker)?;
        let ref_map = self.refs.write(self.store)?;
        let next = Manifest { root: Some(ref_map), epoch: self.published.epoch };
        self.store.flush(&self.published, &next)?;
        self.published = next;
        Ok(next)
    }

    /// Removes every chunk not reachable from a ref or working set. Fails with a manifest
    /// conflict, removing nothing, if someone published since this `Repo` was opened.
    ///
    /// The collection first publishes a new [`Repo::gc_marker`] and keeps what that manifest
    /// reaches; a writer that read the manifest before it fails its compare-and-swap or is
    /// refused by the marker check, and one that read it after sees only chunks that are kept.
    pub fn gc(&mut self) -> Result<crate::chunk::GcStats, Error> {
        let published = self.begin_gc()?;
        let ref_map = published.root.expect("a repository's manifest names its ref map");
        let keep = super::gc::reachable(self.store, ref_map)?;
        Ok(self.store.collect_garbage(&self.published, &keep)?)
    }
}

fn copy_tables(from: &RootValue, to: &mut RootValue, names: &[&str]) -> Result<(), Error> {
    for name in names {
        match from.tables.get(*name) {
            Some(hash) => to.tables.insert(name.to_string(), *hash),
            None if to.tables.contains_key(*name) => to.tables.remove(*name),
            None => return Err(Error::NotFound { what: "table", name: name.to_string() }),
        };
    }
    Ok(())
}

fn changed_tables(from: &RootValue, to: &RootValue) -> Vec<String> {
    let names: std::collections::BTreeSet<&String> =
        from.tables.keys().chain(to.tables.keys()).collect();
    names.into_iter().filter(|n| from.tables.get(*n) != to.tables.get(*n)).cloned().collect()
}
