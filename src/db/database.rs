//! The database a program opens by name: a storage backend, a [`Cache`] the core runs on, and
//! one SQL session. Every statement runs synchronously on the cache; chunks it lacks are loaded
//! in one batch and the statement runs again; what it published is written to the backend in
//! one flush, and if another writer (a second tab, another process) moved the manifest first,
//! the statement runs again on the newer state, as a retried transaction would. A bulk load
//! inside a transaction has its finished nodes written while it goes on, on stores that can
//! write ahead of a flush (see [`Backend::write_ahead`]).

use crate::chunk::{self, GcStats, Hash, Manifest, MemoryStore};
use crate::history::{Fsck, FsckReport, Repo};
use crate::sql::ast::Statement;
use crate::sql::{Datum, QueryResult, Saved, Session};

use std::collections::{HashSet, VecDeque};

use super::backend::{AnyStore, Backend, WriteAhead};
use super::cache::{Cache, Mark, Pending, CACHE_BYTES_MAX_DEFAULT};
use super::changes::{Listener, Watch};
use super::{Durability, Error};

mod live;
mod network;
mod replication;

/// Times one statement runs again because another writer published first, before it fails
/// with a retryable error.
pub const STATEMENT_RETRIES_MAX: u32 = 16;

/// Batches of chunks one statement may load before it is considered runaway. Each batch brings
/// at least one chunk the statement had not reached, so a correct statement stays far below.
pub const STATEMENT_LOADS_MAX: u32 = 1 << 20;

/// The longest database name: it becomes a directory name and part of IndexedDB names.
pub const DATABASE_NAME_BYTES_MAX: usize = 64;

/// Where a database keeps its chunks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Storage {
    /// In this process's memory: reopening the name in the same process finds it again, and
    /// it is gone when the process ends.
    Memory,
    /// Files in the directory `<dir>/<name>` (natively, or through Node's `fs` in the wasm
    /// build).
    Files { dir: String },
    /// The browser's IndexedDB (pages and workers).
    IndexedDb,
}

/// How to open a database.
pub struct Options {
    pub storage: Storage,
    /// Loaded chunks kept in memory before the oldest are dropped.
    pub cache_bytes_max: usize,
    /// Milliseconds since the Unix epoch, for commit times and NOW().
    pub clock: Box<dyn Fn() -> i64>,
    /// Told how chunks move during a clone, restore, push, fetch, pull or backup.
    pub progress: Option<ProgressListener>,
    /// The bearer token to send to a remote, by its URL; none for remotes without auth.
    pub credentials: Option<Credentials>,
    /// Whom commits the session makes without naming an author are signed by (name, email):
    /// `dolt_transaction_commit`'s, for one. Unset, the SQL root user signs them.
    pub user: Option<(String, String)>,
}

/// Gives the bearer token for a remote's URL, if it has one. Tokens stay out of the database:
/// they are never stored with its remotes, so a push or a backup never carries them.
pub type Credentials = std::rc::Rc<dyn Fn(&str) -> Option<String>>;

/// Hears a transfer's progress: the operation (`clone`, `restore`, `push`, `fetch`, `backup`)
/// and what moved so far, after each batch.
pub type ProgressListener = std::rc::Rc<dyn Fn(&str, &crate::sync::Progress)>;

impl Options {
    pub fn new(storage: Storage) -> Options {
        Options {
            storage,
            cache_bytes_max: CACHE_BYTES_MAX_DEFAULT,
            clock: Box::new(now_ms),
            progress: None,
            credentials: None,
            user: None,
        }
    }
}

/// The time from the platform's clock: the `db` layer is where the clock may be read.
fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        since.map_or(0, |d| d.as_millis() as i64)
    }
}

/// An open database. See the module documentation.
pub struct Database<B: Backend = AnyStore> {
    name: String,
    engine: Engine<B>,
    session: Session,
    clock: Box<dyn Fn() -> i64>,
    progress: Option<ProgressListener>,
    credentials: Option<Credentials>,
    /// Where this database lives, so that `dolt_clone` and a backup restore put the new
    /// database beside it.
    storage: Storage,
    /// Whether refs wait in the outbox of an asynchronous primary.
    outbox_waiting: bool,
    /// The user the database was opened for, handed on to the databases it clones.
    user: Option<(String, String)>,
    /// Whether a read replica is live: kept current by the remote's events, so that its
    /// transactions begin without pulling (see [`Database::set_live`]).
    live: bool,
}

/// The storage side of a database: the backend, the cache in front of it, and what ties them.
struct Engine<B> {
    backend: B,
    cache: Cache,
    /// Where the other objects of this database in this program hear of this one's publishes.
    watch: Watch,
    /// Writes ahead of the next flush still under way, oldest first.
    writes_ahead: VecDeque<WriteAhead>,
}

/// Chunk bytes a bulk load gathers before they are written ahead of its commit: enough that a
/// write's fixed cost is small beside its bytes, few enough that writing keeps pace.
const WRITE_AHEAD_BYTES_MIN: usize = 512 << 10;

/// Writes ahead that may be under way at once; one more waits for the oldest, so a load that
/// outruns the store is held back instead of queueing without bound.
const WRITES_AHEAD_MAX: usize = 16;

impl Database {
    /// Opens the database `name` on the chosen storage, creating it (branch `main`, one
    /// commit) when it does not exist yet, and otherwise in its last published state.
    pub async fn open(name: &str, options: Options) -> Result<Database, Error> {
        validate_name(name)?;
        let watch = Watch::join(name, &options.storage);
        let backend = AnyStore::open(name, &options.storage, watch.notifier()).await?;
        Database::open_watched(name, backend, options, watch).await
    }
}

impl<B: Backend> Database<B> {
    /// Opens the database `name` on a store the caller opened (`options.storage` only names
    /// the objects it shares change events with): how tests put a store with injected faults
    /// under a database.
    pub async fn open_on(name: &str, backend: B, options: Options) -> Result<Database<B>, Error> {
        validate_name(name)?;
        let watch = Watch::join(name, &options.storage);
        Database::open_watched(name, backend, options, watch).await
    }

    async fn open_watched(
        name: &str,
        backend: B,
        options: Options,
        watch: Watch,
    ) -> Result<Database<B>, Error> {
        let manifest = backend.manifest().await?;
        let mut cache = Cache::new(manifest, options.cache_bytes_max);
        if let Some(reader) = backend.reader() {
            cache.read_through(reader);
        }
        let mut engine = Engine { backend, cache, watch, writes_ahead: VecDeque::new() };
        // The session is opened on the cache like any statement: it may need chunks, and it
        // initialises an empty store, which is a write.
        let mut session = engine.drive(&mut (), |_, cache| Session::open(cache, name)).await?;
        if let Some((user, email)) = &options.user {
            session.set_user(user, email);
        }
        let waiting = engine
            .drive(&mut (), |_, cache| {
                let repo = Repo::open(cache)?;
                crate::history::remotes::outbox(&repo, None).map_err(crate::sql::Error::from)
            })
            .await?;
        let outbox_waiting = !waiting.is_empty();
        Ok(Database {
            name: name.to_string(),
            engine,
            session,
            clock: options.clock,
            progress: options.progress,
            credentials: options.credentials,
            storage: options.storage,
            outbox_waiting,
            user: options.user,
            live: false,
        })
    }

    /// The database's name, as SQL sees it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Calls `listener` whenever another object of this database publishes: another
    /// `Database` of it in this program, or (IndexedDB) another tab or worker. This object's
    /// own writes do not call it. Refused (false) past [`super::LISTENERS_MAX`] listeners.
    pub fn on_change(&self, listener: Listener) -> bool {
        self.engine.watch.listen(listener)
    }

    /// Stops calling a listener given to [`Database::on_change`]; whether it was there.
    pub fn off_change(&self, listener: &Listener) -> bool {
        self.engine.watch.unlisten(listener)
    }

    /// Runs one or more `;`-separated statements, binding `params` to `?` in order. Each
    /// statement is published before the next runs; a failing one changes nothing and stops
    /// the script, and the ones before it stand.
    pub async fn execute(
        &mut self,
        sql: &str,
        params: &[Datum],
    ) -> Result<Vec<QueryResult>, Error> {
        let statements = self.session.parse(sql, params)?;
        let lower = sql.to_ascii_lowercase();
        let may_change_history = lower.contains("dolt") || lower.contains("commit");
        let mut results = Vec::with_capacity(statements.len());
        for bound in &statements {
            let values = &params[bound.params.clone()];
            let mut warnings = Vec::new();
            let primary = self.before_statement(&bound.statement, &mut warnings).await?;
            let mut result = match self.session.network_call(&bound.statement, values)? {
                Some(call) => {
                    let result = self.network(call).await?;
                    match crate::sql::function_call(&bound.statement) {
                        // A procedure's function form answers its first value, as the
                        // procedures the core runs do.
                        Some((_, _, heading)) => QueryResult {
                            columns: vec![heading.to_string()],
                            rows: vec![vec![result.rows[0][0].clone()]],
                            ..QueryResult::default()
                        },
                        None => result,
                    }
                }
                None => {
                    let light =
                        !may_change_history && keeps_transaction(&self.session, &bound.statement);
                    self.statement(&bound.statement, values, light).await?
                }
            };
            if let Some(primary) = primary {
                self.replicate(primary, &mut warnings).await?;
            }
            self.session.finish_statement(&bound.statement, &mut result, warnings);
            results.push(result);
        }
        Ok(results)
    }

    /// Runs one statement of a script. `light` says the script cannot begin, end or publish
    /// a transaction from inside an explicit one (see [`keeps_transaction`]).
    async fn statement(
        &mut self,
        statement: &Statement,
        params: &[Datum],
        light: bool,
    ) -> Result<QueryResult, Error> {
        let now = (self.clock)();
        let mut state = Running { session: &mut self.session, light };
        let outcome = self
            .engine
            .drive(&mut state, |state, cache| {
                state.session.set_time(now);
                state.session.execute_statement(cache, statement, params)
            })
            .await;
        if light && outcome.is_ok() {
            self.session.prebuild(&mut self.engine.cache);
            self.engine.write_ahead().await;
        } else if !self.session.transaction_open() {
            self.engine.cache.discard_unpublished();
        }
        outcome
    }

    /// Checks everything reachable: every chunk loads, hashes to its address and decodes.
    pub async fn fsck(&mut self) -> Result<FsckReport, Error> {
        self.engine.refresh().await?;
        let manifest = self.engine.cache.manifest();
        Ok(self.engine.walk(manifest).await?.report())
    }

    /// Removes every chunk no ref or working set reaches, returning what it removed.
    /// Transactions other connections began before it are refused at commit with a retryable
    /// error (see [`crate::history::Repo::gc_marker`]). A store with problems (see
    /// [`Database::fsck`]) is not collected: what it cannot read, it cannot account for.
    pub async fn gc(&mut self) -> Result<GcStats, Error> {
        let engine = &mut self.engine;
        let manifest = engine.drive(&mut (), |_, cache| Repo::open(cache)?.begin_gc()).await?;
        let (report, keep) = engine.walk(manifest).await?.reached();
        if !report.is_clean() {
            return Err(Error::new(
                "store_corrupt",
                format!("garbage collection refused, the store has problems: {report}"),
            ));
        }
        Ok(engine.backend.handle().collect_garbage(&manifest, &keep).await?)
    }

    /// Ends the session: an open explicit transaction is rolled back (as when a MySQL client
    /// disconnects); everything published stays. Dropping the database does the same.
    pub fn close(self) {}
}

impl<B: Backend> Engine<B> {
    /// Runs `step` on `state` (the session) and the cache until it needs no more chunks and
    /// what it published is in the store; `state` is restored whenever the step runs again.
    async fn drive<S: Rewind, T, E>(
        &mut self,
        state: &mut S,
        mut step: impl FnMut(&mut S, &mut Cache) -> Result<T, E>,
    ) -> Result<T, Error>
    where
        E: Into<Error> + MissingChunks,
    {
        self.refresh().await?;
        let mut retries = 0;
        for _ in 0..STATEMENT_LOADS_MAX {
            let mark = self.cache.mark();
            let before = state.save();
            let outcome = step(state, &mut self.cache);
            if let Err(error) = &outcome {
                if let Some(missing) = error.missing_chunks() {
                    let missing = missing.to_vec();
                    state.restore(before);
                    self.cache.rewind(mark);
                    self.load(missing).await?;
                    continue;
                }
            }
            if self.cache.has_pending() {
                self.settle_writes_ahead().await;
            }
            if let Some(pending) = self.cache.pending() {
                match self.publish(pending).await {
                    Ok(collection) => {
                        self.cache.published();
                        // The write stands even when the collection after it fails: that only
                        // leaves unreachable chunks behind, which the next collection removes.
                        if let Some((manifest, keep)) = collection {
                            self.backend.handle().collect_garbage(&manifest, &keep).await?;
                        }
                    }
                    Err(chunk::Error::Conflict { current }) if retries < STATEMENT_RETRIES_MAX => {
                        retries += 1;
                        state.restore(before);
                        self.cache.rejected(mark, current);
                        self.backend.back_off(retries).await;
                        continue;
                    }
                    Err(chunk::Error::Conflict { .. }) => {
                        state.restore(before);
                        self.reject(mark).await;
                        return Err(Error::new(
                            "sql_serialization_failure",
                            "other writers kept publishing first; the statement changed nothing, retry it",
                        ));
                    }
                    Err(error) => {
                        state.restore(before);
                        self.reject(mark).await;
                        return Err(error.into());
                    }
                }
            }
            self.cache.evict();
            return outcome.map_err(Into::into);
        }
        Err(Error::new("runaway", "a statement kept asking for chunks past its bound"))
    }

    /// Rewinds the cache to `mark` after its pending write failed, adopting the store's manifest.
    /// When the store cannot say what it is, the cache stays at the mark's manifest: that is
    /// safe, as a publish from it to a store that moved meanwhile is refused as a conflict.
    async fn reject(&mut self, mark: Mark) {
        match self.backend.manifest().await {
            Ok(current) => self.cache.rejected(mark, current),
            Err(_) => self.cache.rewind(mark),
        }
    }

    /// Adopts the backend's manifest when it may have moved: always for stores other
    /// processes write without telling (files), after an announcement for IndexedDB.
    async fn refresh(&mut self) -> Result<(), Error> {
        if !self.backend.may_have_moved() {
            return Ok(());
        }
        let manifest = self.backend.manifest().await?;
        self.cache.refresh(manifest);
        Ok(())
    }

    /// Walks everything `manifest` reaches, loading chunks in the walk's batches.
    async fn walk(&mut self, manifest: Manifest) -> Result<Fsck, Error> {
        let mut fsck = Fsck::new(manifest);
        for _ in 0..STATEMENT_LOADS_MAX {
            match fsck.advance(&self.cache) {
                Ok(()) => {
                    self.cache.evict();
                    return Ok(fsck);
                }
                Err(error) => match error.missing() {
                    Some(missing) => self.load(missing.to_vec()).await?,
                    None => return Err(error.into()),
                },
            }
        }
        Err(Error::new("runaway", "a walk of the store kept asking for chunks past its bound"))
    }

    async fn load(&mut self, missing: Vec<Hash>) -> Result<(), Error> {
        let chunks = self.backend.get_many(&missing).await?;
        self.cache.load(&missing, chunks);
        Ok(())
    }

    /// Starts writing the chunks a bulk load has made so far, when the backend writes ahead
    /// of a flush (IndexedDB: the browser writes them while the load goes on).
    async fn write_ahead(&mut self) {
        while self.writes_ahead.len() >= WRITES_AHEAD_MAX {
            let oldest = self.writes_ahead.pop_front().expect("the queue is full");
            if oldest.await.is_err() {
                self.cache.forget_written_ahead();
            }
        }
        let Some(chunks) = self.cache.to_write_ahead(WRITE_AHEAD_BYTES_MIN) else { return };
        if let Some(write) = self.backend.write_ahead(&self.cache.manifest(), chunks) {
            self.writes_ahead.push_back(write);
            self.cache.wrote_ahead();
        }
    }

    /// Waits for the writes ahead of a flush; if any failed, the flush writes every chunk.
    async fn settle_writes_ahead(&mut self) {
        while let Some(write) = self.writes_ahead.pop_front() {
            if write.await.is_err() {
                self.cache.forget_written_ahead();
            }
        }
    }

    /// Writes a pending write to the backend in one flush and tells other tabs; answers the
    /// collection it asked for (the published manifest and what to keep), to run once the write
    /// is accepted.
    async fn publish(
        &mut self,
        pending: Pending,
    ) -> Result<Option<(Manifest, HashSet<Hash>)>, chunk::Error> {
        let mut handle = self.backend.handle();
        for chunk in pending.chunks.into_iter().skip(pending.written_ahead) {
            handle.put(chunk)?;
        }
        handle.flush(&pending.expected, &pending.new, Durability::Strict).await?;
        self.backend.announce(&pending.new);
        self.watch.published();
        Ok(pending.collect.map(|keep| (pending.new, keep)))
    }
}

/// Whether `statement` keeps the session's explicit transaction open without publishing: a
/// query or a row change inside `BEGIN` … `COMMIT`. Such a statement is saved without the
/// transaction's pending rows (its own undo steps restore them if it fails), which keeps a bulk
/// load inside one transaction linear. The caller also rules out scripts that name Dolt's
/// procedures or `COMMIT()`, which change history from inside a query.
fn keeps_transaction(session: &Session, statement: &Statement) -> bool {
    session.in_transaction()
        && matches!(
            statement,
            Statement::Query(_)
                | Statement::Insert { .. }
                | Statement::Update { .. }
                | Statement::Delete { .. }
        )
}

/// What [`Engine::drive`] saves before a step and restores when the step must run again.
trait Rewind {
    type Saved;
    fn save(&self) -> Self::Saved;
    fn restore(&mut self, saved: Self::Saved);
}

impl Rewind for () {
    type Saved = ();
    fn save(&self) {}
    fn restore(&mut self, _: ()) {}
}

/// A session running one statement; `light` as [`keeps_transaction`] decides it.
struct Running<'a> {
    session: &'a mut Session,
    light: bool,
}

impl Rewind for Running<'_> {
    type Saved = Saved;

    fn save(&self) -> Saved {
        self.session.save(!self.light)
    }

    fn restore(&mut self, saved: Saved) {
        self.session.restore(saved);
    }
}

/// Errors that may be the store's request to load chunks first.
pub(crate) trait MissingChunks {
    fn missing_chunks(&self) -> Option<&[Hash]>;
}

impl MissingChunks for crate::sql::Error {
    fn missing_chunks(&self) -> Option<&[Hash]> {
        self.source.as_ref().and_then(|source| source.missing())
    }
}

impl MissingChunks for crate::history::Error {
    fn missing_chunks(&self) -> Option<&[Hash]> {
        self.missing()
    }
}

/// Checks a database name: it becomes a directory and part of IndexedDB and channel names.
pub fn validate_name(name: &str) -> Result<(), Error> {
    let bad = |reason: &str| {
        Error::new("bad_database_name", format!("invalid database name '{name}': {reason}"))
    };
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    if name.len() > DATABASE_NAME_BYTES_MAX {
        return Err(bad("it is longer than 64 bytes"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(bad("use only letters, digits, '_' and '-'"));
    }
    if name.starts_with('-') {
        return Err(bad("it starts with '-'"));
    }
    Ok(())
}

/// Reopening a memory database by name in one process finds the same store.
pub(crate) fn memory_store(name: &str) -> MemoryStore {
    thread_local! {
        static STORES: std::cell::RefCell<std::collections::HashMap<String, MemoryStore>> =
            Default::default();
    }
    STORES.with(|stores| stores.borrow_mut().entry(name.to_string()).or_default().handle())
}
