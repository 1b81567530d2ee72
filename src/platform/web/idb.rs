//! `IdbStore`: the chunk store of a page or worker, kept in IndexedDB as `docs/format.md`
//! (section "IndexedDB") specifies.
//!
//! IndexedDB gives a transaction over several object stores that commits all of its writes or
//! none, which is exactly what a flush needs: the buffered chunks and the new manifest go into
//! one readwrite transaction, which aborts itself when the manifest it finds is not the one the
//! caller expected. Nothing else writes, so a reader (in this tab or another) sees a flush whole
//! or not at all.
//!
//! IndexedDB keeps a transaction alive only while the browser is dispatching one of its events
//! or while the code that created it runs. Every operation here therefore issues all of its
//! requests in the turn that created the transaction, decides in synchronous request callbacks
//! (never in a future's continuation, which runs later, in a microtask), and only then awaits the
//! transaction's `complete` or `abort`.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Event, IdbCursorWithValue, IdbDatabase, IdbFactory, IdbKeyRange, IdbObjectStore, IdbRequest,
    IdbTransaction, IdbTransactionMode, IdbVersionChangeEvent,
};

use crate::chunk::{AddressMap, AddressSet, Chunk, Error, GcStats, Hash, Manifest, HASH_BYTES};
use crate::chunk::{CHUNK_BYTES_MAX, MANIFEST_BYTES};
use crate::db::{Durability, Store};

/// What every Cambium database name starts with, so that Cambium's databases are recognisable
/// among the others of an origin and a user's name cannot collide with another library's.
pub const DATABASE_PREFIX: &str = "cambium/";

/// The one schema version this build reads and writes. The object stores are created when a
/// database is first made and never changed at run time; a database at a higher version was made
/// by a newer Cambium and is refused rather than guessed at.
pub const DATABASE_VERSION: u32 = 1;

/// The object store of chunks: the 20 hash bytes as a binary key, the chunk's bytes as a
/// `Uint8Array` value.
pub const CHUNKS_STORE: &str = "chunks";

/// The object store holding the one manifest record, under [`MANIFEST_KEY`].
pub const MANIFEST_STORE: &str = "manifest";

/// The key of the manifest record: its value is the 40-byte encoded [`Manifest`]. When the
/// record is absent the store is empty ([`Manifest::EMPTY`]).
pub const MANIFEST_KEY: &str = "manifest";

/// The prefix of the keys of write-ahead records in the manifest store. A write ahead (see
/// [`IdbStore::write_ahead`]) leaves `ahead/<root>/<epoch>` naming the manifest it was written
/// under, and a garbage collection against that manifest refuses to run: the chunks are about
/// to be published and are not reachable yet.
pub const AHEAD_KEY_PREFIX: &str = "ahead/";

/// The write-ahead record of chunks written under `manifest`.
fn ahead_key(manifest: &Manifest) -> JsValue {
    let root = manifest.root.map_or_else(|| "-".to_string(), |root| root.to_string());
    JsValue::from_str(&format!("{AHEAD_KEY_PREFIX}{root}/{}", manifest.epoch))
}

#[wasm_bindgen]
extern "C" {
    /// An `IDBDatabase` seen through the one binding web-sys lacks: web-sys binds the `options`
    /// argument of `transaction` (which carries `durability`) only behind its unstable-API flag,
    /// so it is bound here, taking a plain options object. Browsers that do not know
    /// `durability` ignore it.
    #[wasm_bindgen(js_name = IDBDatabase)]
    type DatabaseWithOptions;

    /// `IDBDatabase.transaction(storeNames, mode, options)`.
    #[wasm_bindgen(catch, method, js_name = transaction)]
    fn transaction_with_options(
        this: &DatabaseWithOptions,
        store_names: &Array,
        mode: &str,
        options: &Object,
    ) -> Result<IdbTransaction, JsValue>;

    /// An `IDBTransaction` seen through `commit()`, which the web-sys version in use binds
    /// only behind its unstable-API flag.
    #[wasm_bindgen(js_name = IDBTransaction)]
    type TransactionWithCommit;

    /// `IDBTransaction.commit()`: commit once the issued requests are done, without waiting
    /// for the issuing context to return to its event loop.
    #[wasm_bindgen(catch, method, js_name = commit)]
    fn commit_now(this: &TransactionWithCommit) -> Result<(), JsValue>;
}

/// Turns what IndexedDB threw or reported (a `DOMException`, or any other thrown value) into a
/// store error naming `operation`, so that every failure tells which step failed and why.
///
/// A `DOMException` named `QuotaExceededError` becomes [`Error::QuotaExceeded`]: the browser
/// refused the write for lack of space, which a caller handles differently (by freeing space)
/// from any other failure. Everything else is [`Error::Io`] carrying the exception's name and
/// message.
pub fn error_from_js(operation: &str, error: &JsValue) -> Error {
    let field = |name: &str| {
        if error.is_object() {
            Reflect::get(error, &JsValue::from_str(name)).ok().and_then(|value| value.as_string())
        } else {
            None
        }
    };
    // Browsers often leave the message of a quota error empty; the name alone says it all.
    let message = field("message").filter(|message| !message.is_empty());
    match (field("name"), message) {
        (Some(name), Some(message)) if name == "QuotaExceededError" => {
            Error::QuotaExceeded(format!("{operation}: {message}"))
        }
        (Some(name), None) if name == "QuotaExceededError" => {
            Error::QuotaExceeded(format!("{operation}: {name}"))
        }
        (Some(name), Some(message)) => Error::Io(format!("{operation}: {name}: {message}")),
        (Some(name), None) => Error::Io(format!("{operation}: {name}")),
        (None, _) => match error.as_string() {
            Some(text) => Error::Io(format!("{operation}: {text}")),
            None => Error::Io(format!("{operation}: {error:?}")),
        },
    }
}

/// The `indexedDB` of whatever global this code runs in: a page's `Window` or a worker's
/// `WorkerGlobalScope` both have one, so the property is looked up on the global object rather
/// than through either type.
fn factory() -> Result<IdbFactory, Error> {
    let unavailable = || Error::Io("IndexedDB is not available in this environment".to_string());
    let value = Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB"))
        .map_err(|error| error_from_js("looking up indexedDB", &error))?;
    if value.is_undefined() || value.is_null() {
        return Err(unavailable());
    }
    // Not `dyn_into`: a polyfilled factory (as in some test runners) is not an `IDBFactory`
    // instance but answers the same calls.
    Ok(value.unchecked_into())
}

fn database_name(name: &str) -> String {
    format!("{DATABASE_PREFIX}{name}")
}

/// Waits for a request's `success` (its result) or `error` (the request's exception). The
/// handlers are JavaScript functions (the promise's own), so nothing of Rust's is left for the
/// browser to call if the wait is given up.
async fn request_done(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    let settled = JsFuture::from(promise).await;
    request.set_onsuccess(None);
    request.set_onerror(None);
    match settled {
        Ok(_) => request.result(),
        Err(event) => Err(match request.error() {
            Ok(Some(exception)) => exception.into(),
            _ => event,
        }),
    }
}

fn exception_name(error: &JsValue) -> Option<String> {
    if !error.is_object() {
        return None;
    }
    Reflect::get(error, &JsValue::from_str("name")).ok()?.as_string()
}

/// A Rust callback installed as a request's `onsuccess`. Dropping it uninstalls the callback
/// before freeing it, so the browser can never call a closure that no longer exists.
struct OnSuccess {
    request: IdbRequest,
    _callback: Closure<dyn FnMut(Event)>,
}

impl OnSuccess {
    fn new(request: &IdbRequest, callback: impl FnMut(Event) + 'static) -> OnSuccess {
        // A panic inside a request callback throws into the browser's event dispatch, which
        // aborts the transaction: nothing half-decided can commit.
        let callback = Closure::<dyn FnMut(Event)>::own_assert_unwind_safe(callback);
        request.set_onsuccess(Some(callback.as_ref().unchecked_ref()));
        OnSuccess { request: request.clone(), _callback: callback }
    }
}

impl Drop for OnSuccess {
    fn drop(&mut self) {
        self.request.set_onsuccess(None);
    }
}

/// How a request callback stops a transaction: it records why (the first reason wins) and
/// aborts, so the caller reports that reason instead of a bare `AbortError`.
#[derive(Clone)]
struct Refusal {
    transaction: IdbTransaction,
    reason: Rc<RefCell<Option<Error>>>,
}

impl Refusal {
    fn refuse(&self, error: Error) {
        self.reason.borrow_mut().get_or_insert(error);
        // Fails only when the transaction already finished, and a transaction cannot finish
        // while one of its request callbacks runs.
        let _ = self.transaction.abort();
    }
}

/// A transaction whose requests are being issued, and the wait for its outcome.
struct Pending {
    transaction: IdbTransaction,
    settled: JsFuture,
    refusal: Refusal,
    operation: String,
}

impl Pending {
    /// Starts waiting for `transaction` to settle. Called in the turn that created it, before
    /// anything awaits, so neither `complete` nor `abort` can have fired yet.
    fn new(transaction: IdbTransaction, operation: String) -> Pending {
        let promise = Promise::new(&mut |resolve, reject| {
            transaction.set_oncomplete(Some(&resolve));
            transaction.set_onabort(Some(&reject));
        });
        let refusal = Refusal { transaction: transaction.clone(), reason: Rc::default() };
        Pending { transaction, settled: JsFuture::from(promise), refusal, operation }
    }

    fn store(&self, name: &str) -> Result<IdbObjectStore, Error> {
        self.transaction.object_store(name).map_err(|error| self.error(&error))
    }

    fn error(&self, error: &JsValue) -> Error {
        error_from_js(&self.operation, error)
    }

    /// Asks the transaction to commit as soon as its requests are done. A page that stays
    /// busy (a bulk load running statement after statement on promises alone) would otherwise
    /// hold it open until it next returns to its event loop. Browsers without `commit()` commit
    /// at that point instead, which is only later.
    fn commit_now(&self) {
        let _ = self.transaction.unchecked_ref::<TransactionWithCommit>().commit_now();
    }

    /// Gives the transaction up after issuing a request failed: aborting it undoes every request
    /// already issued, so a flush never commits part of its writes.
    fn abandon(self, error: Error) -> Error {
        let _ = self.transaction.abort();
        error
    }

    /// Issues a read of the manifest whose callback aborts the transaction unless the manifest
    /// equals `expected`: [`Error::Conflict`] naming the manifest found, or the error of a
    /// record that does not decode. Issued before the transaction's writes, it runs first.
    fn check_manifest(
        &self,
        manifests: &IdbObjectStore,
        expected: Manifest,
        database: &str,
    ) -> Result<OnSuccess, Error> {
        let request =
            manifests.get(&JsValue::from_str(MANIFEST_KEY)).map_err(|error| self.error(&error))?;
        let refusal = self.refusal.clone();
        let database = database.to_string();
        let read = request.clone();
        Ok(OnSuccess::new(&request, move |_event: Event| {
            let found = read
                .result()
                .map_err(|error| error_from_js("reading the manifest", &error))
                .and_then(|value| manifest_from_record(&value, &database));
            match found {
                Ok(current) if current == expected => {}
                Ok(current) => refusal.refuse(Error::Conflict { current }),
                Err(error) => refusal.refuse(error),
            }
        }))
    }

    /// Waits for the transaction to commit. When it aborted, the error is the reason a callback
    /// recorded, else the transaction's own `error` (where a commit refused for lack of space
    /// reports `QuotaExceededError`), else a plain abort.
    async fn finish(self) -> Result<(), Error> {
        let outcome = self.settled.await;
        let refused = self.refusal.reason.borrow_mut().take();
        match outcome {
            Ok(_) => {
                debug_assert!(refused.is_none(), "a refused transaction committed: {refused:?}");
                Ok(())
            }
            Err(_) => Err(refused.unwrap_or_else(|| match self.transaction.error() {
                Some(exception) => error_from_js(&self.operation, &exception),
                None => Error::Io(format!("{}: the transaction was aborted", self.operation)),
            })),
        }
    }
}

/// The key of a chunk: its 20 hash bytes, which IndexedDB keeps as a binary key.
fn chunk_key(hash: &Hash) -> JsValue {
    Uint8Array::from(&hash.as_bytes()[..]).into()
}

/// The hash a key of the chunks store names; `None` for a key that is not 20 bytes of binary.
fn hash_from_key(key: &JsValue) -> Option<Hash> {
    let bytes = if key.is_instance_of::<ArrayBuffer>() {
        Uint8Array::new(key).to_vec()
    } else {
        key.dyn_ref::<Uint8Array>()?.to_vec()
    };
    if bytes.len() != HASH_BYTES {
        return None;
    }
    Hash::from_slice(&bytes)
}

/// The chunk a record of the chunks store holds, verified against the key it was read under.
/// A value that is not bytes at all is as corrupt as bytes that hash differently.
fn chunk_from_record(hash: Hash, value: JsValue) -> Result<Option<Chunk>, Error> {
    if value.is_undefined() {
        return Ok(None);
    }
    match value.dyn_into::<Uint8Array>() {
        Ok(bytes) => Chunk::verified(hash, bytes.to_vec()).map(Some),
        Err(_) => Err(Error::Corrupt(hash)),
    }
}

/// The manifest a manifest record holds; an absent record is the empty store's manifest. A
/// record that is not 40 bytes of a valid manifest means the database was damaged, and the
/// store refuses it rather than guessing what it held.
fn manifest_from_record(value: &JsValue, database: &str) -> Result<Manifest, Error> {
    if value.is_undefined() {
        return Ok(Manifest::EMPTY);
    }
    let Some(bytes) = value.dyn_ref::<Uint8Array>() else {
        return Err(Error::StoreCorrupt(format!(
            "the manifest record of IndexedDB database {database} is not a byte array"
        )));
    };
    Manifest::decode(&bytes.to_vec()).map_err(|error| {
        Error::StoreCorrupt(format!(
            "the manifest record of IndexedDB database {database} does not decode: {error}"
        ))
    })
}

fn manifest_record(manifest: &Manifest) -> JsValue {
    let bytes: [u8; MANIFEST_BYTES] = manifest.encode();
    Uint8Array::from(&bytes[..]).into()
}

/// One open connection to a database, shared by every handle made from it. It closes itself
/// when another context deletes or upgrades the database (`versionchange`), so that deletion is
/// never blocked by a tab that merely has the database open; later operations then fail with an
/// error saying so.
struct Connection {
    database: IdbDatabase,
    /// The full IndexedDB name, `cambium/<name>`.
    name: String,
    closed: Rc<Cell<bool>>,
    _on_version_change: Closure<dyn FnMut(Event)>,
    _on_close: Closure<dyn FnMut(Event)>,
}

impl Connection {
    fn new(database: IdbDatabase, name: String) -> Connection {
        let closed = Rc::new(Cell::new(false));
        let on_version_change = Closure::<dyn FnMut(Event)>::new({
            let database = database.clone();
            let closed = closed.clone();
            move |_event: Event| {
                closed.set(true);
                database.close();
            }
        });
        database.set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
        // `close` fires when the browser itself closes the connection (storage cleared by the
        // user, a failing disk).
        let on_close = Closure::<dyn FnMut(Event)>::new({
            let closed = closed.clone();
            move |_event: Event| closed.set(true)
        });
        database.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Connection {
            database,
            name,
            closed,
            _on_version_change: on_version_change,
            _on_close: on_close,
        }
    }

    fn open_database(&self) -> Result<&IdbDatabase, Error> {
        if self.closed.get() {
            return Err(Error::Io(format!(
                "IndexedDB database {} was closed because it is being deleted or upgraded \
                 elsewhere (or the browser closed it); open it again",
                self.name
            )));
        }
        Ok(&self.database)
    }

    /// A readonly transaction over one object store.
    fn read(&self, operation: &str, store: &str) -> Result<Pending, Error> {
        let operation = format!("{operation} on IndexedDB database {}", self.name);
        let transaction = self
            .open_database()?
            .transaction_with_str_and_mode(store, IdbTransactionMode::Readonly)
            .map_err(|error| error_from_js(&operation, &error))?;
        Ok(Pending::new(transaction, operation))
    }

    /// A readwrite transaction over both object stores, with the durability asked for.
    fn write(&self, operation: &str, durability: Durability) -> Result<Pending, Error> {
        let operation = format!("{operation} on IndexedDB database {}", self.name);
        let stores =
            Array::of2(&JsValue::from_str(CHUNKS_STORE), &JsValue::from_str(MANIFEST_STORE));
        let options = Object::new();
        let durability = match durability {
            Durability::Strict => "strict",
            Durability::Relaxed => "relaxed",
        };
        Reflect::set(&options, &JsValue::from_str("durability"), &JsValue::from_str(durability))
            .map_err(|error| error_from_js(&operation, &error))?;
        let transaction = self
            .open_database()?
            .unchecked_ref::<DatabaseWithOptions>()
            .transaction_with_options(&stores, "readwrite", &options)
            .map_err(|error| error_from_js(&operation, &error))?;
        Ok(Pending::new(transaction, operation))
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.database.set_onversionchange(None);
        self.database.set_onclose(None);
        // Transactions still running finish first; the close only stops new ones.
        self.database.close();
    }
}

/// A chunk store in an IndexedDB database of the page's or worker's origin.
///
/// Each handle has its own write buffer; [`IdbStore::handle`] makes another handle on the same
/// connection, and [`IdbStore::open`] of the same name (in this tab, another tab or a worker)
/// another connection onto the same data. Handles and connections coordinate only through
/// IndexedDB's transactions: a flush is one readwrite transaction that checks the manifest and
/// writes everything, so a lost race changes nothing.
pub struct IdbStore {
    connection: Rc<Connection>,
    buffer: AddressMap<Chunk>,
    fail_next_flush: bool,
}

impl IdbStore {
    /// Issues `request` for every hash not in the buffer (each once) in one readonly
    /// transaction and waits for it to complete, returning the finished requests by hash.
    async fn request_unbuffered(
        &self,
        operation: &str,
        hashes: &[Hash],
        request: impl Fn(&IdbObjectStore, &JsValue) -> Result<IdbRequest, JsValue>,
    ) -> Result<AddressMap<IdbRequest>, Error> {
        let mut requests: AddressMap<IdbRequest> = AddressMap::default();
        if hashes.iter().all(|hash| self.buffer.contains_key(hash)) {
            return Ok(requests);
        }
        let pending = self.connection.read(operation, CHUNKS_STORE)?;
        let issued = pending.store(CHUNKS_STORE).and_then(|chunks| {
            for hash in hashes {
                if !self.buffer.contains_key(hash) && !requests.contains_key(hash) {
                    let issued = request(&chunks, &chunk_key(hash))
                        .map_err(|error| pending.error(&error))?;
                    requests.insert(*hash, issued);
                }
            }
            Ok(())
        });
        if let Err(error) = issued {
            return Err(pending.abandon(error));
        }
        pending.finish().await?;
        Ok(requests)
    }

    /// Opens (creating when absent) the IndexedDB database `cambium/<name>` at version
    /// [`DATABASE_VERSION`], from the `indexedDB` of the current page or worker.
    ///
    /// A new database gets its object stores ([`CHUNKS_STORE`], [`MANIFEST_STORE`]) in the
    /// upgrade that creates it; that is the only schema change this build ever makes. A database
    /// at a higher version is refused with an error naming that version, and one at version 1
    /// without Cambium's object stores as [`Error::StoreCorrupt`]. Where there is no IndexedDB
    /// (Node, some sandboxed frames) the error says so.
    ///
    /// An open that has to wait for another context's deletion of the database waits: every
    /// Cambium connection closes on `versionchange`, so such a wait ends.
    pub async fn open(name: &str) -> Result<IdbStore, Error> {
        let factory = factory()?;
        let full = database_name(name);
        let operation = format!("opening IndexedDB database {full}");
        let request = factory
            .open_with_u32(&full, DATABASE_VERSION)
            .map_err(|error| error_from_js(&operation, &error))?;
        let refused: Rc<RefCell<Option<Error>>> = Rc::default();
        let on_upgrade = Closure::<dyn FnMut(IdbVersionChangeEvent)>::new({
            let request = request.clone();
            let refused = refused.clone();
            let full = full.clone();
            move |event: IdbVersionChangeEvent| {
                if let Err(error) = create_stores(&request, event.old_version(), &full) {
                    refused.borrow_mut().get_or_insert(error);
                    if let Some(transaction) = request.transaction() {
                        let _ = transaction.abort();
                    }
                }
            }
        });
        request.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
        let opened = request_done(&request).await;
        request.set_onupgradeneeded(None);
        drop(on_upgrade);
        let database: IdbDatabase = match opened {
            Ok(database) => database.unchecked_into(),
            Err(error) => {
                if let Some(error) = refused.borrow_mut().take() {
                    return Err(error);
                }
                if exception_name(&error).as_deref() == Some("VersionError") {
                    return Err(newer_version_error(&factory, &full).await);
                }
                return Err(error_from_js(&operation, &error));
            }
        };
        let stores = database.object_store_names();
        if !(stores.contains(CHUNKS_STORE) && stores.contains(MANIFEST_STORE)) {
            database.close();
            return Err(Error::StoreCorrupt(format!(
                "IndexedDB database {full} is at version {DATABASE_VERSION} but lacks the object \
                 stores `{CHUNKS_STORE}` and `{MANIFEST_STORE}`: Cambium did not make it"
            )));
        }
        Ok(IdbStore {
            connection: Rc::new(Connection::new(database, full)),
            buffer: AddressMap::default(),
            fail_next_flush: false,
        })
    }

    /// Another handle on the same connection with an empty write buffer of its own, as another
    /// part of a program would use the database it already opened.
    /// Writes `chunks` in a readwrite transaction of their own, without touching the manifest,
    /// and returns how it ends: a bulk load hands its finished nodes over while it goes on, so
    /// that its commit's flush has little left to write. The transaction is strict (the chunks
    /// are durable before the flush that publishes them is acknowledged) and committed at once.
    ///
    /// The chunks are unreachable until a flush publishes them, so the transaction also leaves
    /// the write-ahead record of `under` (the manifest the writer has read): a garbage
    /// collection against `under` is refused while it is there. A collection against an older
    /// manifest may remove the chunks, but a writer that read an older manifest than the
    /// collection's is refused at commit by the collection marker, and one that read a newer
    /// one moved the manifest the collection expects.
    pub fn write_ahead(
        &self,
        under: &Manifest,
        chunks: &[Chunk],
    ) -> Result<impl std::future::Future<Output = Result<(), Error>> + 'static, Error> {
        let pending = self.connection.write("write_ahead", Durability::Strict)?;
        let issued = (|| {
            let manifests = pending.store(MANIFEST_STORE)?;
            manifests
                .put_with_key(&manifest_record(under), &ahead_key(under))
                .map_err(|error| pending.error(&error))?;
            let store = pending.store(CHUNKS_STORE)?;
            for chunk in chunks {
                if chunk.len() > CHUNK_BYTES_MAX {
                    return Err(Error::TooLarge { bytes: chunk.len(), max: CHUNK_BYTES_MAX });
                }
                let bytes = Uint8Array::from(chunk.data());
                store
                    .put_with_key(&bytes, &chunk_key(&chunk.hash()))
                    .map_err(|e| pending.error(&e))?;
            }
            Ok(())
        })();
        if let Err(error) = issued {
            return Err(pending.abandon(error));
        }
        pending.commit_now();
        Ok(pending.finish())
    }

    pub fn handle(&self) -> IdbStore {
        IdbStore {
            connection: self.connection.clone(),
            buffer: AddressMap::default(),
            fail_next_flush: false,
        }
    }

    /// The IndexedDB name of the database, `cambium/<name>`.
    pub fn database_name(&self) -> &str {
        &self.connection.name
    }

    /// Deletes the database `cambium/<name>` with everything in it, for tests and for users
    /// removing a database. Open Cambium connections to it (in any tab) close themselves when
    /// the deletion starts; the call waits until the browser has deleted it.
    pub async fn delete_database(name: &str) -> Result<(), Error> {
        let factory = factory()?;
        let full = database_name(name);
        let operation = format!("deleting IndexedDB database {full}");
        let request =
            factory.delete_database(&full).map_err(|error| error_from_js(&operation, &error))?;
        request_done(&request).await.map(drop).map_err(|error| error_from_js(&operation, &error))
    }

    /// Fault injection for tests: the next flush of this handle issues every chunk put and the
    /// manifest put as usual, then aborts its transaction once the last of those writes has
    /// been applied inside it (just before it would commit), and reports [`Error::Io`]. A test
    /// can so check that a flush failing at its very end leaves nothing of itself visible and
    /// the buffer intact for a retry. Applies to one flush only.
    pub fn fail_next_flush(&mut self) {
        self.fail_next_flush = true;
    }

    /// Chunks and bytes waiting for the next flush.
    pub fn buffered(&self) -> (usize, usize) {
        (self.buffer.len(), self.buffer.values().map(Chunk::len).sum())
    }
}

/// Creates the object stores of a new database, inside the upgrade from version 0. Any other
/// upgrade cannot reach here (this build asks only for version 1), and is refused if it did.
fn create_stores(request: &IdbRequest, old_version: f64, full: &str) -> Result<(), Error> {
    if old_version != 0.0 {
        return Err(Error::Io(format!(
            "IndexedDB database {full} is at version {old_version}, which no Cambium wrote"
        )));
    }
    let operation = format!("creating the object stores of IndexedDB database {full}");
    let database: IdbDatabase =
        request.result().map_err(|error| error_from_js(&operation, &error))?.unchecked_into();
    for store in [CHUNKS_STORE, MANIFEST_STORE] {
        database.create_object_store(store).map_err(|error| error_from_js(&operation, &error))?;
    }
    Ok(())
}

/// The error for a database whose version is above [`DATABASE_VERSION`], naming its version
/// (read by opening it at whatever version it has, without changing it).
async fn newer_version_error(factory: &IdbFactory, full: &str) -> Error {
    let version = match existing_version(factory, full).await {
        Some(version) => format!("version {version}"),
        None => format!("a version above {DATABASE_VERSION}"),
    };
    Error::Io(format!(
        "IndexedDB database {full} is at {version}, made by a newer Cambium; this build reads \
         only version {DATABASE_VERSION} and never upgrades a database"
    ))
}

async fn existing_version(factory: &IdbFactory, full: &str) -> Option<f64> {
    let request = factory.open(full).ok()?;
    // Were the database deleted meanwhile, this open would create an empty one; aborting the
    // upgrade that would create it undoes that.
    let on_upgrade = Closure::<dyn FnMut(Event)>::new({
        let request = request.clone();
        move |_event: Event| {
            if let Some(transaction) = request.transaction() {
                let _ = transaction.abort();
            }
        }
    });
    request.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
    let opened = request_done(&request).await;
    request.set_onupgradeneeded(None);
    let database: IdbDatabase = opened.ok()?.unchecked_into();
    let version = database.version();
    database.close();
    Some(version)
}

impl Store for IdbStore {
    /// One readonly transaction with every get issued at once; chunks in this handle's buffer
    /// are answered from it, repeated hashes are read once, and every chunk read is verified.
    async fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, Error> {
        let requests =
            self.request_unbuffered("get_many", hashes, |chunks, key| chunks.get(key)).await?;
        hashes
            .iter()
            .map(|hash| match self.buffer.get(hash) {
                Some(chunk) => Ok(Some(chunk.clone())),
                None => {
                    let value = requests[hash]
                        .result()
                        .map_err(|error| error_from_js("reading a chunk", &error))?;
                    chunk_from_record(*hash, value)
                }
            })
            .collect()
    }

    /// One readonly transaction counting each hash's records (0 or 1); buffered chunks count.
    async fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, Error> {
        let requests = self
            .request_unbuffered("has_many", hashes, |chunks, key| chunks.count_with_key(key))
            .await?;
        hashes
            .iter()
            .map(|hash| {
                if self.buffer.contains_key(hash) {
                    return Ok(true);
                }
                let count = requests[hash]
                    .result()
                    .map_err(|error| error_from_js("counting a chunk", &error))?;
                Ok(count.as_f64().unwrap_or(0.0) > 0.0)
            })
            .collect()
    }

    /// Buffers a chunk for the next flush, refusing one over [`CHUNK_BYTES_MAX`].
    fn put(&mut self, chunk: Chunk) -> Result<(), Error> {
        if chunk.len() > CHUNK_BYTES_MAX {
            return Err(Error::TooLarge { bytes: chunk.len(), max: CHUNK_BYTES_MAX });
        }
        self.buffer.insert(chunk.hash(), chunk);
        Ok(())
    }

    /// Reads the manifest record in a readonly transaction; no record is the empty manifest.
    async fn manifest(&self) -> Result<Manifest, Error> {
        let pending = self.connection.read("manifest", MANIFEST_STORE)?;
        let request = match pending.store(MANIFEST_STORE).and_then(|manifests| {
            manifests.get(&JsValue::from_str(MANIFEST_KEY)).map_err(|e| pending.error(&e))
        }) {
            Ok(request) => request,
            Err(error) => return Err(pending.abandon(error)),
        };
        pending.finish().await?;
        let value =
            request.result().map_err(|error| error_from_js("reading the manifest", &error))?;
        manifest_from_record(&value, &self.connection.name)
    }

    /// One readwrite transaction over both object stores, with `durability`. Issued in one
    /// turn, in this order: the manifest `get`, every buffered chunk's `put`, the manifest
    /// `put`. The `get`'s success callback aborts the transaction unless the manifest equals
    /// `expected`, which rolls back every put: the compare-and-swap and the writes commit
    /// together or not at all. On success the buffer is emptied; on any failure it is kept.
    async fn flush(
        &mut self,
        expected: &Manifest,
        new: &Manifest,
        durability: Durability,
    ) -> Result<(), Error> {
        let pending = self.connection.write("flush", durability)?;
        let fail = std::mem::take(&mut self.fail_next_flush);
        let issued = (|| {
            let chunks = pending.store(CHUNKS_STORE)?;
            let manifests = pending.store(MANIFEST_STORE)?;
            let mut callbacks =
                vec![pending.check_manifest(&manifests, *expected, &self.connection.name)?];
            for (hash, chunk) in &self.buffer {
                let bytes = Uint8Array::from(chunk.data());
                chunks.put_with_key(&bytes, &chunk_key(hash)).map_err(|e| pending.error(&e))?;
            }
            let last = manifests
                .put_with_key(&manifest_record(new), &JsValue::from_str(MANIFEST_KEY))
                .map_err(|error| pending.error(&error))?;
            if fail {
                let refusal = pending.refusal.clone();
                callbacks.push(OnSuccess::new(&last, move |_event: Event| {
                    refusal.refuse(Error::Io(
                        "flush aborted by the fault injected with IdbStore::fail_next_flush"
                            .to_string(),
                    ));
                }));
            }
            Ok(callbacks)
        })();
        let _callbacks = match issued {
            Ok(callbacks) => callbacks,
            Err(error) => return Err(pending.abandon(error)),
        };
        pending.finish().await?;
        self.buffer.clear();
        Ok(())
    }

    /// One readwrite transaction (strict durability): the manifest check as in a flush, then a
    /// cursor over the chunks store deleting every chunk not in `keep`. A moved manifest aborts
    /// it with [`Error::Conflict`] and nothing is deleted.
    ///
    /// # Panics
    ///
    /// When this handle's buffer is not empty: flush before collecting garbage, since buffered
    /// chunks are not in the store the walk sees.
    async fn collect_garbage(
        &mut self,
        expected: &Manifest,
        keep: &HashSet<Hash>,
    ) -> Result<GcStats, Error> {
        assert!(self.buffer.is_empty(), "flush before collecting garbage");
        let pending = self.connection.write("collect_garbage", Durability::Strict)?;
        let stats = Rc::new(Cell::new(GcStats::default()));
        // The cursor's callback outlives this borrow of `keep` as far as Rust can tell, so it
        // gets its own copy.
        let keep: Rc<AddressSet> = Rc::new(keep.iter().copied().collect());
        let issued = (|| {
            let manifests = pending.store(MANIFEST_STORE)?;
            let check = pending.check_manifest(&manifests, *expected, &self.connection.name)?;
            let ahead = manifests.get(&ahead_key(expected)).map_err(|e| pending.error(&e))?;
            let fence = {
                let refusal = pending.refusal.clone();
                let request = ahead.clone();
                let expected = *expected;
                move |_event: Event| {
                    if request.result().map_or(true, |found| !found.is_undefined()) {
                        refusal.refuse(Error::Conflict { current: expected });
                    }
                }
            };
            // Records of other manifests are stale: their writers published since, or will be
            // refused by the collection marker.
            let stale = IdbKeyRange::bound(
                &JsValue::from_str(AHEAD_KEY_PREFIX),
                &JsValue::from_str(&AHEAD_KEY_PREFIX.replace('/', "0")),
            )
            .map_err(|error| pending.error(&error))?;
            manifests.delete(&stale).map_err(|error| pending.error(&error))?;
            let chunks = pending.store(CHUNKS_STORE)?;
            let walk = chunks.open_cursor().map_err(|error| pending.error(&error))?;
            let step = {
                let refusal = pending.refusal.clone();
                let stats = stats.clone();
                let request = walk.clone();
                let database = self.connection.name.clone();
                move |_event: Event| {
                    if let Err(error) = collect_step(&request, &keep, &stats, &database) {
                        refusal.refuse(error);
                    }
                }
            };
            Ok([check, OnSuccess::new(&ahead, fence), OnSuccess::new(&walk, step)])
        })();
        let _callbacks = match issued {
            Ok(callbacks) => callbacks,
            Err(error) => return Err(pending.abandon(error)),
        };
        pending.finish().await?;
        Ok(stats.get())
    }
}

/// One step of the collecting cursor: keep or delete the chunk under it, then move on. A key
/// that is not a chunk's hash means the store was damaged; the collection stops rather than
/// deleting what it does not understand.
fn collect_step(
    request: &IdbRequest,
    keep: &AddressSet,
    stats: &Cell<GcStats>,
    database: &str,
) -> Result<(), Error> {
    let operation = "collect_garbage";
    let result = request.result().map_err(|error| error_from_js(operation, &error))?;
    if result.is_null() || result.is_undefined() {
        return Ok(()); // The walk is over.
    }
    let cursor: IdbCursorWithValue = result.unchecked_into();
    let key = cursor.key().map_err(|error| error_from_js(operation, &error))?;
    let Some(hash) = hash_from_key(&key) else {
        return Err(Error::StoreCorrupt(format!(
            "the chunks store of IndexedDB database {database} holds a key that is not a hash"
        )));
    };
    let mut counts = stats.get();
    if keep.contains(&hash) {
        counts.kept_chunks += 1;
    } else {
        let bytes = cursor
            .value()
            .ok()
            .and_then(|value| value.dyn_into::<Uint8Array>().ok())
            .map_or(0, |bytes| bytes.length());
        cursor.delete().map_err(|error| error_from_js(operation, &error))?;
        counts.removed_chunks += 1;
        counts.removed_bytes += u64::from(bytes);
    }
    stats.set(counts);
    cursor.continue_().map_err(|error| error_from_js(operation, &error))
}
