//! Push, fetch, pull, clone and backups: the procedures that reach a remote, carried out here
//! because the core does no IO. The core decides (which refs, fast-forward or not, what the
//! remote's refs become) and plans the copy ([`Transfer`]); this module moves the chunks
//! between the database's store and the remote's and swaps manifests.
//!
//! Order of writes: chunks first (children before parents, so an interrupted copy resumes),
//! then one compare-and-swap of the remote's manifest, then one publish of the local refs
//! (remote-tracking branches, upstreams). A push that loses the swap to another writer reads
//! the remote again and decides again, a bounded number of times.

use std::collections::{BTreeMap, VecDeque};

use crate::chunk::{self, Chunk, ChunkStore, Hash, Manifest, MemoryStore};
use crate::history::remotes::{self, REMOTES_DOCUMENT};
use crate::history::{RefMap, Repo};
use crate::sql::ast::{Expr, Statement};
use crate::sql::{self, Datum, NetworkCall, PushPlan, QueryResult};
use crate::sync::{Limits, PackRequest, Progress, Step, Transfer};

use super::super::remote::{PendingRead, RemoteStore};
use super::super::{Durability, Error, Store};
use super::{
    validate_name, AnyStore, Backend, Cache, Database, Engine, Options, ProgressListener, Watch,
};

/// Times a push reads the remote again after another writer swapped its manifest first.
const SWAP_ATTEMPTS_MAX: u32 = 8;
/// The largest pack a push sends in one go; a larger change goes by transfer, in batches.
const PACK_BYTES_MAX: usize = 16 << 20;
/// Times a write of copied chunks alone reads again a manifest that moved under it.
const CHUNK_FLUSH_ATTEMPTS_MAX: u32 = 8;

/// Where a transfer reads: a read starts at once where the source can (so that several are
/// under way together) and is waited for oldest first.
#[allow(async_fn_in_trait)]
pub trait Source {
    type Pending;
    fn start(&self, hashes: Vec<Hash>) -> Self::Pending;
    async fn finish(&self, pending: Self::Pending) -> Result<Vec<Option<Chunk>>, chunk::Error>;
}

/// Any store as a source: each read runs when waited for.
pub struct OneByOne<'a, S>(pub &'a S);

impl<S: Store> Source for OneByOne<'_, S> {
    type Pending = Vec<Hash>;

    fn start(&self, hashes: Vec<Hash>) -> Vec<Hash> {
        hashes
    }

    async fn finish(&self, hashes: Vec<Hash>) -> Result<Vec<Option<Chunk>>, chunk::Error> {
        self.0.get_many(&hashes).await
    }
}

impl Source for RemoteStore {
    type Pending = PendingRead;

    fn start(&self, hashes: Vec<Hash>) -> PendingRead {
        self.start_get(hashes)
    }

    async fn finish(&self, pending: PendingRead) -> Result<Vec<Option<Chunk>>, chunk::Error> {
        self.finish_get(pending).await
    }
}

/// What a copy reports its progress to: the listener, if any, and the operation's name.
pub struct Report<'a> {
    pub listener: Option<&'a ProgressListener>,
    pub operation: &'static str,
}

impl Report<'_> {
    /// Tells the listener what `transfer` has done, working it out only when someone listens.
    fn tell_of(&self, transfer: &Transfer) {
        if self.listener.is_some() {
            self.tell(&transfer.progress());
        }
    }

    fn tell(&self, progress: &Progress) {
        if let Some(listener) = self.listener {
            listener(self.operation, progress);
        }
    }
}

/// Where a copy writes, which decides how it batches its flushes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// A remote: each batch the transfer hands out is one request, flushed at once and
    /// durably, so the remote never holds more than one request's chunks unflushed.
    Remote,
    /// This machine's store: batches are gathered into flushes of at least
    /// [`LOCAL_FLUSH_BYTES_MIN`], since every flush costs the file store three fsyncs, and
    /// flushed relaxed, as what they hold can be fetched again.
    Local,
}

/// Bytes of chunks a copy into a local store gathers before it flushes them. A copy cut off
/// loses at most this much of its work (plus one batch), which the next run fetches again.
pub const LOCAL_FLUSH_BYTES_MIN: usize = 16 << 20;

/// Runs `transfer` from `source` into `dest`, writing the batches as flushes that move no ref,
/// and reports the progress after every batch read or written.
pub async fn copy<R: Source, D: Store>(
    mut transfer: Transfer,
    source: &R,
    dest: &mut D,
    destination: Destination,
    report: &Report<'_>,
) -> Result<Progress, Error> {
    let (flush_bytes_min, durability) = match destination {
        Destination::Remote => (0, Durability::Strict),
        Destination::Local => (LOCAL_FLUSH_BYTES_MIN, Durability::Relaxed),
    };
    let mut unflushed_bytes = 0;
    let mut reads = VecDeque::new();
    loop {
        match transfer.step() {
            Step::Has(hashes) => {
                let present = dest.has_many(&hashes).await?;
                transfer.present(&present)?;
            }
            Step::Get(hashes) => reads.push_back(source.start(hashes)),
            Step::Wait => {
                let pending = reads.pop_front().expect("a read under way");
                let chunks = source.finish(pending).await?;
                transfer.fetched(chunks)?;
                report.tell_of(&transfer);
            }
            Step::Put(chunks) => {
                for chunk in chunks {
                    unflushed_bytes += chunk.len();
                    dest.put(chunk)?;
                }
                if unflushed_bytes >= flush_bytes_min {
                    flush_chunks(dest, durability).await?;
                    unflushed_bytes = 0;
                }
                report.tell_of(&transfer);
            }
            Step::Done => {
                if unflushed_bytes > 0 {
                    flush_chunks(dest, durability).await?;
                }
                let progress = transfer.progress();
                report.tell(&progress);
                return Ok(progress);
            }
        }
    }
}

/// Writes a store's buffered chunks without changing its manifest.
async fn flush_chunks<D: Store>(dest: &mut D, durability: Durability) -> Result<(), Error> {
    for _ in 0..CHUNK_FLUSH_ATTEMPTS_MAX {
        let manifest = dest.manifest().await?;
        match dest.flush(&manifest, &manifest, durability).await {
            Err(chunk::Error::Conflict { .. }) => continue,
            other => return Ok(other?),
        }
    }
    Err(Error::new("busy", "the store kept moving while chunks were written to it; retry"))
}

/// The remote's manifest and ref map (`None` for a database never published to), in one
/// request over HTTP; `None` altogether when the manifest is still `seen`.
async fn remote_refs(
    store: &RemoteStore,
    seen: Option<&Manifest>,
) -> Result<Option<(Manifest, Option<RefMap>)>, Error> {
    let Some((manifest, chunk)) = store.refs_if_changed(seen).await? else { return Ok(None) };
    let refs = match chunk {
        Some(chunk) => {
            let hash = chunk.hash();
            let mut scratch = MemoryStore::new();
            ChunkStore::put(&mut scratch, chunk)?;
            Some(RefMap::read(&scratch, hash)?)
        }
        None => None,
    };
    Ok(Some((manifest, refs)))
}

/// [`remote_refs`] of a remote that must hold a database.
pub(super) async fn published_refs(
    store: &RemoteStore,
    url: &str,
) -> Result<(Manifest, RefMap), Error> {
    match remote_refs(store, None).await? {
        Some((manifest, Some(refs))) => Ok((manifest, refs)),
        _ => Err(Error::new("remote_empty", format!("{url} holds no database yet"))),
    }
}

/// The chunk holding `refs`.
fn ref_map_chunk(refs: &RefMap) -> Result<Chunk, Error> {
    let mut scratch = MemoryStore::new();
    let hash = refs.write(&mut scratch)?;
    Ok(ChunkStore::get(&scratch, hash)?)
}

/// What reading from or writing to the remote `name` failed with, naming the remote.
fn remote_failed(name: &str, error: Error) -> Error {
    if error.code() == "non_fast_forward" || error.code().starts_with("sql_") {
        return error;
    }
    Error::new(error.code(), format!("remote '{name}': {}", error.message()))
}

/// The refusal of a primary's push once a newer primary took over remote `name`.
pub(super) fn fenced(name: &str, epoch: u64, held: u64) -> Error {
    Error::new(
        "fenced",
        format!(
            "remote '{name}' has a newer primary (epoch {epoch}; this database wrote at epoch {held}): this database is read-only now, and CALL dolt_promote('{name}') makes it the primary again"
        ),
    )
}

pub(super) fn status(message: String) -> QueryResult {
    QueryResult {
        columns: vec!["status".into(), "message".into()],
        rows: vec![vec![Datum::Int(0), Datum::Text(message)]],
        ..QueryResult::default()
    }
}

impl<B: Backend> Database<B> {
    /// Carries out a procedure that reaches a remote.
    pub(super) async fn network(&mut self, call: NetworkCall) -> Result<QueryResult, Error> {
        match call {
            NetworkCall::Push { remote, refspecs, force, set_upstream } => {
                self.push(remote.as_deref(), &refspecs, force, set_upstream).await
            }
            NetworkCall::Fetch { remote, branches, prune } => {
                let remote = remote.unwrap_or_else(|| "origin".to_string());
                let (progress, _) = self.fetch(&remote, &branches, prune).await?;
                Ok(status(format!("fetched {} chunks", progress.written_chunks)))
            }
            NetworkCall::Pull { remote, branch, merge_flags } => {
                self.pull(remote.as_deref(), branch.as_deref(), &merge_flags).await
            }
            NetworkCall::BackupSync { name } => {
                let url = self.configured_url(true, &name).await?;
                let progress = self.backup_to(&url).await.map_err(|e| remote_failed(&name, e))?;
                Ok(status(format!("backed up {} chunks", progress.written_chunks)))
            }
            NetworkCall::BackupSyncUrl { url } => {
                let progress = self.backup_to(&url).await?;
                Ok(status(format!("backed up {} chunks", progress.written_chunks)))
            }
            NetworkCall::Clone { url, name, remote, branch } => {
                // As in Dolt, the new database is named after the URL's last segment unless
                // named; it lives beside this one, and this session stays where it is.
                let name = name.unwrap_or_else(|| {
                    url.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_string()
                });
                let options = self.sibling_options();
                Database::clone_from(&url, &name, options, &remote, branch.as_deref()).await?;
                Ok(status(format!("cloned {url} into database '{name}'")))
            }
            NetworkCall::Promote { remote, backup } => {
                self.promote(&remote, backup.as_deref()).await
            }
            NetworkCall::BackupRestore { url, name, force } => {
                if force {
                    return Err(Error::new(
                        "sql_unsupported",
                        "dolt_backup('restore', '--force', ...) is not supported: a restore makes a new database; remove the old one first",
                    ));
                }
                Database::restore(&url, &name, self.sibling_options()).await?;
                Ok(status(format!("restored {url} into database '{name}'")))
            }
        }
    }

    /// Options for a new database beside this one, with the same progress listener and
    /// credentials.
    fn sibling_options(&self) -> Options {
        let mut options = Options::new(self.storage.clone());
        options.progress = self.progress.clone();
        options.credentials = self.credentials.clone();
        options.user = self.user.clone();
        options
    }

    /// The bearer token for the remote at `url`, from the credentials the database was
    /// opened with.
    pub(super) fn token(&self, url: &str) -> Option<String> {
        self.credentials.as_ref().and_then(|credentials| credentials(url))
    }

    pub(super) async fn configured_url(
        &mut self,
        backup: bool,
        name: &str,
    ) -> Result<String, Error> {
        let name = name.to_string();
        self.engine
            .drive(&mut (), |_, cache| sql::configured_url(&Repo::open(cache)?, backup, &name))
            .await
    }

    /// `dolt_push`: copies what the pushed refs reach, then swaps the remote's refs if every
    /// branch moves forward (or `force`), then records the remote-tracking branches.
    async fn push(
        &mut self,
        remote: Option<&str>,
        refspecs: &[String],
        force: bool,
        set_upstream: bool,
    ) -> Result<QueryResult, Error> {
        let branch = self.session.branch().to_string();
        let plan: PushPlan = self
            .engine
            .drive(&mut (), |_, cache| {
                sql::plan_push(&Repo::open(cache)?, &branch, remote, refspecs, set_upstream)
            })
            .await?;
        self.push_plan(&plan, force, None).await?;
        let lines: Vec<String> = plan
            .updates
            .iter()
            .map(|update| {
                let short = update.remote_ref.rsplit_once('/').map_or("", |(_, n)| n);
                match update.target {
                    Some(_) => format!(" * {} -> {short}", update.local),
                    None => format!(" - [deleted] {short}"),
                }
            })
            .collect();
        Ok(status(format!("To {}\n{}", plan.url, lines.join("\n"))))
    }

    /// Carries out a push: copies what the plan's refs reach, swaps the remote's refs if every
    /// branch moves forward (or `force`), retrying a lost swap, then records the
    /// remote-tracking branches here. A primary passes the remote's epoch it writes at as
    /// `held_epoch`, and the push is refused as `fenced` once the remote has moved past it.
    /// Answers the epoch the remote is at.
    pub(super) async fn push_plan(
        &mut self,
        plan: &PushPlan,
        force: bool,
        held_epoch: Option<u64>,
    ) -> Result<u64, Error> {
        let branch = self.session.branch().to_string();
        let name = plan.remote.clone();
        let mut store = RemoteStore::open(&plan.url, self.token(&plan.url))
            .map_err(|e| remote_failed(&name, e))?;
        let wants: Vec<(&str, Hash)> = plan
            .updates
            .iter()
            .filter_map(|update| update.target.map(|target| (update.remote_ref.as_str(), target)))
            .collect();
        let mut sent = false;
        let mut swapped = None;
        for _ in 0..SWAP_ATTEMPTS_MAX {
            let (current, remote_refs) = remote_refs(&store, None)
                .await
                .map_err(|e| remote_failed(&name, e))?
                .expect("asked without a manifest seen");
            if let Some(held) = held_epoch.filter(|held| current.epoch > *held) {
                return Err(fenced(&name, current.epoch, held));
            }
            let remote_refs = remote_refs
                .unwrap_or_else(|| RefMap { head: branch.clone(), refs: BTreeMap::new() });
            let decided = self
                .engine
                .drive(&mut (), |_, cache| {
                    sql::decide_push(
                        &Repo::open(cache)?,
                        &remote_refs,
                        &plan.updates,
                        force,
                        &plan.url,
                    )
                })
                .await?;
            let refs =
                decided.map_err(|rejection| Error::new("non_fast_forward", rejection.message))?;
            if refs == remote_refs {
                swapped = Some(current.epoch);
                break;
            }
            if !sent {
                self.send(&mut store, &wants, &remote_refs)
                    .await
                    .map_err(|e| remote_failed(&name, e))?;
                sent = true;
            }
            let chunk = ref_map_chunk(&refs)?;
            let next = Manifest { root: Some(chunk.hash()), epoch: current.epoch };
            store.put(chunk)?;
            match store.flush(&current, &next, Durability::Strict).await {
                Ok(()) => {
                    swapped = Some(current.epoch);
                    break;
                }
                Err(chunk::Error::Conflict { .. }) => continue,
                Err(chunk::Error::Fenced { current: now }) => {
                    return Err(fenced(&name, now.epoch, current.epoch))
                }
                Err(error) => return Err(remote_failed(&name, error.into())),
            }
        }
        let Some(epoch) = swapped else {
            return Err(Error::new(
                "busy",
                format!(
                    "remote '{name}': other writers kept pushing first; nothing was pushed, retry"
                ),
            ));
        };
        self.engine
            .drive(&mut (), |_, cache| {
                let mut repo = Repo::open(cache)?;
                sql::after_push(&mut repo, plan)?;
                repo.publish().map_err(sql::Error::from)
            })
            .await?;
        Ok(epoch)
    }

    /// Gets what `wants` reach to the remote: as one pack of what its branches' commits lack,
    /// buffered for the flush that swaps its manifest, or, for a change too large to pack, by
    /// a transfer that writes as it goes.
    async fn send(
        &mut self,
        store: &mut RemoteStore,
        wants: &[(&str, Hash)],
        remote_refs: &RefMap,
    ) -> Result<(), Error> {
        let haves: Vec<Hash> = remote_refs
            .refs
            .iter()
            .filter(|(name, _)| name.starts_with("refs/heads/"))
            .map(|(_, hash)| *hash)
            .collect();
        let packed = self
            .engine
            .drive(&mut (), |_, cache| crate::sync::pack(cache, wants, &haves, PACK_BYTES_MAX))
            .await?;
        match packed {
            Some(chunks) => {
                let packed = Progress {
                    written_chunks: chunks.len() as u64,
                    written_bytes: chunks.iter().map(|chunk| chunk.len() as u64).sum(),
                    ..Progress::default()
                };
                for chunk in chunks {
                    store.put(chunk)?;
                }
                Report { listener: self.progress.as_ref(), operation: "push" }.tell(&packed);
            }
            None => {
                let transfer = Transfer::of_refs(wants.iter().copied(), Limits::default());
                let report = Report { listener: self.progress.as_ref(), operation: "push" };
                copy(
                    transfer,
                    &OneByOne(&self.engine.backend),
                    store,
                    Destination::Remote,
                    &report,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// `dolt_fetch`: copies what the remote's branches (or `branches`) and tags reach, then
    /// moves the remote-tracking branches in one publish. Also answers the remote's refs,
    /// unless the remote answered that they had not changed since the last full fetch.
    pub(super) async fn fetch(
        &mut self,
        remote: &str,
        branches: &[String],
        prune: bool,
    ) -> Result<(Progress, Option<RefMap>), Error> {
        let (url, seen) = self
            .engine
            .drive(&mut (), |_, cache| {
                let repo = Repo::open(cache)?;
                let url = sql::configured_url(&repo, false, remote)?;
                let seen = remotes::seen(&repo, remote).map_err(sql::Error::from)?;
                Ok::<_, sql::Error>((
                    url,
                    seen.and_then(|hex| crate::sync::manifest_from_hex(&hex)),
                ))
            })
            .await?;
        let store =
            RemoteStore::open(&url, self.token(&url)).map_err(|e| remote_failed(remote, e))?;
        // A fetch of every branch that finds the manifest its last one saw has nothing to do.
        let full = branches.is_empty();
        let seen = seen.filter(|_| full && !prune);
        let answer =
            remote_refs(&store, seen.as_ref()).await.map_err(|e| remote_failed(remote, e))?;
        let Some((current, remote_refs)) = answer else { return Ok((Progress::default(), None)) };
        let Some(remote_refs) = remote_refs else {
            return Err(Error::new(
                "remote_empty",
                format!("remote '{remote}' at {url} holds no database yet"),
            ));
        };
        for branch in branches {
            if !remote_refs.refs.contains_key(&format!("refs/heads/{branch}")) {
                return Err(Error::new(
                    "sql_history",
                    format!("invalid ref spec: '{branch}' is not a branch of remote '{remote}'"),
                ));
            }
        }
        let roots = sql::fetch_roots(&remote_refs, branches);
        let mut dest = self.engine.backend.handle();
        // One pack of what this database's branches and remote-tracking branches lack, then a
        // transfer that finds everything present (or, when the pack was too large to make,
        // moves it level by level).
        let haves = self
            .engine
            .drive(&mut (), |_, cache| {
                let repo = Repo::open(cache)?;
                let heads = repo.branches().into_iter().chain(repo.remote_branches());
                Ok::<_, sql::Error>(heads.map(|(_, hash)| hash).collect::<Vec<Hash>>())
            })
            .await?;
        let wants = roots.iter().map(|(name, hash)| (name.starts_with("refs/tags/"), *hash));
        let request = PackRequest { wants: wants.collect(), haves };
        let report = Report { listener: self.progress.as_ref(), operation: "fetch" };
        let mut packed = Progress::default();
        if let Some(chunks) = store.pack(&request).await.map_err(|e| remote_failed(remote, e))? {
            packed.written_chunks = chunks.len() as u64;
            packed.written_bytes = chunks.iter().map(|chunk| chunk.len() as u64).sum();
            for chunk in chunks {
                dest.put(chunk)?;
            }
            flush_chunks(&mut dest, Durability::Relaxed).await?;
            report.tell(&packed);
        }
        let mut progress = copy(
            Transfer::of_refs(roots, store.read_limits()),
            &store,
            &mut dest,
            Destination::Local,
            &report,
        )
        .await
        .map_err(|e| remote_failed(remote, e))?;
        progress.written_chunks += packed.written_chunks;
        progress.written_bytes += packed.written_bytes;
        self.engine.cache.chunks_arrived();
        self.engine
            .drive(&mut (), |_, cache| {
                let mut repo = Repo::open(cache)?;
                sql::apply_fetch(&mut repo, remote, &remote_refs, branches, prune)?;
                if full {
                    remotes::set_seen(&mut repo, remote, &crate::sync::manifest_hex(&current))?;
                }
                repo.publish().map_err(sql::Error::from)
            })
            .await?;
        Ok((progress, Some(remote_refs)))
    }

    /// `dolt_pull`: fetches the branch, then merges its remote-tracking branch into the
    /// current one (a fast-forward when it can be), as `dolt_merge` does with `merge_flags`.
    async fn pull(
        &mut self,
        remote: Option<&str>,
        branch: Option<&str>,
        merge_flags: &[String],
    ) -> Result<QueryResult, Error> {
        let current = self.session.branch().to_string();
        let (remote, branch) = self
            .engine
            .drive(&mut (), |_, cache| {
                sql::pull_source(&Repo::open(cache)?, &current, remote, branch)
            })
            .await?;
        // Every branch is fetched, so a pull when nothing changed is one conditional request.
        self.fetch(&remote, &[], false).await?;
        let mut args: Vec<Expr> =
            merge_flags.iter().map(|flag| Expr::Literal(Datum::Text(flag.clone()))).collect();
        args.push(Expr::Literal(Datum::Text(format!("{remote}/{branch}"))));
        let merge = Statement::Call { name: "dolt_merge".into(), args };
        let mut result = self.statement(&merge, &[], false).await?;
        // dolt_pull answers as dolt_merge does, without the merge commit's hash.
        if result.columns.first().map(String::as_str) == Some("hash") {
            result.columns.remove(0);
            for row in &mut result.rows {
                row.remove(0);
            }
        }
        Ok(result)
    }

    /// Copies the whole store (every ref, working set and configuration) to `url` and makes
    /// the remote's manifest name this database's ref map.
    async fn backup_to(&mut self, url: &str) -> Result<Progress, Error> {
        let mut store = RemoteStore::open(url, self.token(url))?;
        let manifest = self.engine.backend.manifest().await?;
        let root = manifest.root.expect("an open database has a ref map");
        let report = Report { listener: self.progress.as_ref(), operation: "backup" };
        let progress = copy(
            Transfer::of_ref_map(root, Limits::default()),
            &OneByOne(&self.engine.backend),
            &mut store,
            Destination::Remote,
            &report,
        )
        .await?;
        for _ in 0..SWAP_ATTEMPTS_MAX {
            let current = store.manifest().await?;
            let next = Manifest { root: Some(root), epoch: current.epoch.max(manifest.epoch) };
            match store.flush(&current, &next, Durability::Strict).await {
                Ok(()) => return Ok(progress),
                Err(chunk::Error::Conflict { .. }) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(Error::new("busy", format!("the backup at {url} kept moving; retry")))
    }
}

/// How a new database is made from a remote.
enum Seed<'a> {
    /// Clone: the remote's branches as remote-tracking branches of `remote`, `branch` (or the
    /// remote's default) checked out, `remote` configured.
    Clone { remote: &'a str, branch: Option<&'a str> },
    /// Restore: the backup's ref map as it is.
    Restore,
}

impl Database {
    /// Creates the database `name` as a clone of the remote database at `url`: every branch as
    /// a remote-tracking branch of `remote`, tags, and `branch` (the remote's default when
    /// `None`) as the local branch checked out. Refused if `name` exists on that storage.
    pub async fn clone_from(
        url: &str,
        name: &str,
        options: Options,
        remote: &str,
        branch: Option<&str>,
    ) -> Result<Database, Error> {
        Database::seed(url, name, options, Seed::Clone { remote, branch }).await
    }

    /// Creates the database `name` from the backup at `url`: every branch, tag, working set
    /// and configuration as the backup holds them.
    pub async fn restore(url: &str, name: &str, options: Options) -> Result<Database, Error> {
        Database::seed(url, name, options, Seed::Restore).await
    }

    async fn seed(
        url: &str,
        name: &str,
        options: Options,
        seed: Seed<'_>,
    ) -> Result<Database, Error> {
        validate_name(name)?;
        let watch = Watch::join(name, &options.storage);
        let backend = AnyStore::open(name, &options.storage, watch.notifier()).await?;
        if backend.manifest().await?.root.is_some() {
            return Err(Error::new("database_exists", format!("database '{name}' already exists")));
        }
        let token = options.credentials.as_ref().and_then(|credentials| credentials(url));
        let store = RemoteStore::open(url, token)?;
        let (current, remote_refs) = published_refs(&store, url).await?;
        let root = current.root.expect("a ref map was read");
        let transfer = match seed {
            Seed::Restore => Transfer::of_ref_map(root, store.read_limits()),
            Seed::Clone { .. } => {
                Transfer::of_refs(sql::fetch_roots(&remote_refs, &[]), store.read_limits())
            }
        };
        let operation = match seed {
            Seed::Restore => "restore",
            Seed::Clone { .. } => "clone",
        };
        let report = Report { listener: options.progress.as_ref(), operation };
        copy(transfer, &store, &mut backend.handle(), Destination::Local, &report).await?;
        let mut engine = Engine {
            backend,
            cache: Cache::new(Manifest::EMPTY, options.cache_bytes_max),
            watch,
            writes_ahead: Default::default(),
        };
        match seed {
            Seed::Restore => {
                let next = Manifest { root: Some(root), epoch: current.epoch };
                engine.backend.flush(&Manifest::EMPTY, &next, Durability::Strict).await?;
            }
            Seed::Clone { remote, branch } => {
                let refs = clone_refs(&remote_refs, remote, branch, url)?;
                engine
                    .drive(&mut (), |_, cache| {
                        let mut repo = Repo::adopt(cache, refs.clone())?;
                        remotes::add(&mut repo, REMOTES_DOCUMENT, remote, url)?;
                        remotes::set_seen(&mut repo, remote, &crate::sync::manifest_hex(&current))?;
                        // As in git and Dolt, the branch a clone checks out tracks the
                        // remote's branch of that name.
                        let checked_out = refs.head.clone();
                        remotes::set_upstream(&mut repo, &checked_out, remote, &checked_out)?;
                        repo.publish().map_err(sql::Error::from)
                    })
                    .await?;
            }
        }
        Database::open_watched(name, engine.backend, options, engine.watch).await
    }
}

/// The refs of a new clone: `branch` (or the remote's default) as the local branch checked out,
/// every remote branch as a remote-tracking branch of `remote`, and the remote's tags.
fn clone_refs(
    remote_refs: &RefMap,
    remote: &str,
    branch: Option<&str>,
    url: &str,
) -> Result<RefMap, Error> {
    let branch = branch.unwrap_or(&remote_refs.head);
    let Some(head) = remote_refs.refs.get(&format!("refs/heads/{branch}")) else {
        return Err(Error::new(
            "sql_history",
            format!("branch '{branch}' not found on the remote at {url}"),
        ));
    };
    let mut refs = RefMap { head: branch.to_string(), refs: BTreeMap::new() };
    refs.refs.insert(format!("refs/heads/{branch}"), *head);
    for (name, hash) in &remote_refs.refs {
        if let Some(remote_branch) = name.strip_prefix("refs/heads/") {
            refs.refs.insert(format!("refs/remotes/{remote}/{remote_branch}"), *hash);
        } else if name.starts_with("refs/tags/") {
            refs.refs.insert(name.clone(), *hash);
        }
    }
    Ok(refs)
}
