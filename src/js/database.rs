//! The `Database` class of the JS API: `await Database.open(name, { storage, dir })`, then
//! `query`, `exec`, `fsck`, `gc`, `subscribe` and `close`, each returning a promise. Calls made
//! without waiting for the previous one run one after another, in the order made; the pulls of
//! a live replica (see `subscribe`) take their turn in the same queue.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::error::{coded, to_js};
use super::values::{js_to_datums, result_to_js_as, RowMode};
use crate::db::{self, Options, Storage};
use crate::platform::web::{sleep, EventStream};
use crate::sql::Datum;
use crate::sync::Progress;

/// The open database and the queue of calls waiting for it.
struct Shared {
    database: RefCell<Option<db::Database>>,
    busy: Cell<bool>,
    waiting: RefCell<VecDeque<Function>>,
    /// The `change` listeners, kept here rather than in the database, which a call in progress
    /// holds.
    listeners: RefCell<Vec<Function>>,
    /// Whether a task pushing an asynchronous primary's outbox is under way.
    draining: Cell<bool>,
    /// The database's name, which `change` events carry.
    name: String,
    /// What ends a live replica's subscription (see `subscribe`), while there is one.
    subscription: RefCell<Option<web_sys::AbortController>>,
}

impl Shared {
    /// Calls every `change` listener with `{ type: 'change', database }`, each in a microtask
    /// of its own, so that a listener runs after the write that caused it has returned and a
    /// listener that throws stops no other.
    fn changed(&self) {
        let event = Object::new();
        let _ = Reflect::set(&event, &"type".into(), &"change".into());
        let _ = Reflect::set(&event, &"database".into(), &self.name.as_str().into());
        for listener in self.listeners.borrow().iter() {
            let (listener, event) = (listener.clone(), event.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let _ = listener.call1(&JsValue::UNDEFINED, &event);
            });
        }
    }
}

/// The type of event a database sends.
const CHANGE_EVENT: &str = "change";

/// The wait after an asynchronous primary's outbox failed to go out, doubled after each
/// further failure up to the longest wait. The timers keep no Node process alive: a program
/// that is done exits, and `close` pushes what still waits.
const OUTBOX_RETRY_MS_MIN: u32 = 250;
const OUTBOX_RETRY_MS_MAX: u32 = 30_000;

/// The wait before a live replica opens its broken events stream again, doubled after each
/// further failure up to the longest wait; the replica pulls at each transaction start
/// meanwhile.
const RECONNECT_WAIT_MS_MIN: u32 = 250;
const RECONNECT_WAIT_MS_MAX: u32 = 15_000;

impl Shared {
    /// Runs a script in its turn, then starts pushing the outbox if the script filled it.
    async fn execute(
        self: &Rc<Self>,
        sql: &str,
        params: &[Datum],
    ) -> Result<Vec<crate::sql::QueryResult>, JsValue> {
        let mut database = self.acquire().await?;
        let outcome = database.execute(sql, params).await;
        let waiting = database.outbox_waiting();
        self.release(Some(database));
        if waiting {
            self.drain_outbox();
        }
        outcome.map_err(|e| to_js(&e))
    }

    /// Starts pushing an asynchronous primary's outbox in the background, between calls,
    /// unless that is under way: at once, then again while refs keep waiting, with a growing
    /// wait after failures. The refs stay in the durable outbox whatever happens here.
    fn drain_outbox(self: &Rc<Self>) {
        if self.draining.replace(true) {
            return;
        }
        let shared = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let mut wait_ms = 0;
            loop {
                sleep(wait_ms).await;
                let Ok(mut database) = shared.acquire().await else { break };
                let outcome = database.replicate_outbox().await;
                shared.release(Some(database));
                wait_ms = match outcome {
                    Ok(false) => break,
                    Ok(true) => 0,
                    Err(_) => (wait_ms * 2).clamp(OUTBOX_RETRY_MS_MIN, OUTBOX_RETRY_MS_MAX),
                };
            }
            shared.draining.set(false);
        });
    }
}

impl Shared {
    /// Opens the replica's events stream and pulls once the server answered its first event
    /// (the manifest current when it opened): from then on the replica is live.
    async fn connect(&self, signal: &web_sys::AbortSignal) -> Result<EventStream, JsValue> {
        let mut database = self.acquire().await?;
        let opened = database.replica_events(signal).await;
        self.release(Some(database));
        let mut stream = opened.map_err(|e| to_js(&e))?;
        stream.next().await.map_err(|e| to_js(&db::Error::from(e)))?;
        self.pull(true).await?;
        Ok(stream)
    }

    /// Pulls, in turn with the other calls, and sends `change` when a ref moved. The replica is
    /// live after a pull that succeeded, when `live` says the stream is open, and not live
    /// after one that failed: its transactions pull again until an event brings a pull that
    /// succeeds.
    async fn pull(&self, live: bool) -> Result<(), JsValue> {
        let mut database = self.acquire().await?;
        let pulled = database.pull_replica().await;
        database.set_live(live && pulled.is_ok());
        self.release(Some(database));
        if pulled.map_err(|e| to_js(&e))? {
            self.changed();
        }
        Ok(())
    }

    /// Follows an open events stream until the subscription ends (`signal` aborted, or the
    /// database closed): a pull on each event, and when the stream breaks, transaction starts
    /// pull again while it is opened anew, after a wait growing with each failure.
    async fn stay_live(self: Rc<Self>, mut stream: EventStream, signal: web_sys::AbortSignal) {
        loop {
            while stream.next().await.is_ok() {
                // A failed pull is not the stream's failure: the next event pulls again.
                if let Err(error) = self.pull(true).await {
                    if is_closed(&error) {
                        return;
                    }
                }
            }
            drop(stream);
            let Ok(mut database) = self.acquire().await else { return };
            database.set_live(false);
            self.release(Some(database));
            let mut wait_ms = 0;
            stream = loop {
                wait_ms = (wait_ms * 2).clamp(RECONNECT_WAIT_MS_MIN, RECONNECT_WAIT_MS_MAX);
                sleep(wait_ms).await;
                if signal.aborted() {
                    return;
                }
                match self.connect(&signal).await {
                    Ok(stream) => break stream,
                    Err(error) if is_closed(&error) => return,
                    Err(_) => {}
                }
            };
        }
    }

    /// Ends the live replica's subscription, if any: its stream closes at once.
    fn unsubscribe(&self) {
        if let Some(controller) = self.subscription.borrow_mut().take() {
            controller.abort();
        }
    }
}

/// Whether a call failed because the database is closed.
fn is_closed(error: &JsValue) -> bool {
    Reflect::get(error, &"code".into()).ok().and_then(|code| code.as_string()).as_deref()
        == Some("closed")
}

impl Shared {
    /// Waits until no other call uses the database, then takes it.
    async fn acquire(&self) -> Result<db::Database, JsValue> {
        if self.busy.replace(true) {
            let turn = Promise::new(&mut |resolve, _| self.waiting.borrow_mut().push_back(resolve));
            JsFuture::from(turn).await?;
        }
        match self.database.borrow_mut().take() {
            Some(database) => Ok(database),
            None => {
                self.release(None);
                Err(coded("closed", "the database is closed"))
            }
        }
    }

    /// Puts the database back (or leaves it closed) and hands it to the next waiting call.
    fn release(&self, database: Option<db::Database>) {
        if let Some(database) = database {
            *self.database.borrow_mut() = Some(database);
        }
        let next = self.waiting.borrow_mut().pop_front();
        match next {
            Some(resolve) => {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
            None => self.busy.set(false),
        }
    }
}

/// A database opened by name on memory, IndexedDB or files.
#[wasm_bindgen(js_name = Database)]
pub struct JsDatabase {
    shared: Rc<Shared>,
}

fn option(options: &JsValue, name: &str) -> Option<JsValue> {
    if !options.is_object() {
        return None;
    }
    Reflect::get(options, &name.into()).ok().filter(|v| !v.is_undefined())
}

fn parse_options(options: &JsValue) -> Result<Options, JsValue> {
    let bad = |message: String| coded("bad_option", &message);
    let storage = match option(options, "storage").map(|v| v.as_string()) {
        None => "memory".to_string(),
        Some(Some(storage)) => storage,
        Some(None) => return Err(bad("options.storage must be a string".into())),
    };
    let storage = match storage.as_str() {
        "memory" => Storage::Memory,
        "indexeddb" => Storage::IndexedDb,
        "fs" => match option(options, "dir").and_then(|v| v.as_string()) {
            Some(dir) => Storage::Files { dir },
            None => return Err(bad("storage 'fs' needs options.dir, the directory".into())),
        },
        other => {
            return Err(bad(format!(
                "unknown storage '{other}': use 'memory', 'indexeddb' or 'fs'"
            )))
        }
    };
    let mut parsed = Options::new(storage);
    if let Some(bytes) = option(options, "cacheBytes") {
        match bytes.as_f64() {
            Some(n) if n >= 0.0 && n.fract() == 0.0 => parsed.cache_bytes_max = n as usize,
            _ => return Err(bad("options.cacheBytes must be a whole number of bytes".into())),
        }
    }
    if let Some(token) = option(options, "remoteToken") {
        parsed.credentials = Some(match token.as_string() {
            Some(token) => Rc::new(move |_: &str| Some(token.clone())),
            None => {
                let function: Function = token.dyn_into().map_err(|_| {
                    bad("options.remoteToken must be a string or a function of the URL".into())
                })?;
                Rc::new(move |url: &str| {
                    function
                        .call1(&JsValue::UNDEFINED, &url.into())
                        .ok()
                        .and_then(|t| t.as_string())
                })
            }
        });
    }
    if let Some(user) = option(options, "user") {
        let field = |name: &str| Reflect::get(&user, &name.into()).ok().and_then(|v| v.as_string());
        match (field("name"), field("email")) {
            (Some(name), Some(email)) => parsed.user = Some((name, email)),
            _ => return Err(bad("options.user must be { name, email }, both strings".into())),
        }
    }
    if let Some(callback) = option(options, "onProgress") {
        let function: Function =
            callback.dyn_into().map_err(|_| bad("options.onProgress must be a function".into()))?;
        parsed.progress = Some(Rc::new(move |operation: &str, progress: &Progress| {
            let event = Object::new();
            let set = |key: &str, value: JsValue| {
                let _ = Reflect::set(&event, &key.into(), &value);
            };
            set("operation", operation.into());
            set("chunks", (progress.written_chunks as f64).into());
            set("bytes", (progress.written_bytes as f64).into());
            set("read", (progress.read_chunks as f64).into());
            set("pending", (progress.pending_chunks as f64).into());
            // A listener that throws must not fail the transfer it watches.
            let _ = function.call1(&JsValue::UNDEFINED, &event);
        }));
    }
    Ok(parsed)
}

fn parse_params(params: &JsValue) -> Result<Vec<Datum>, JsValue> {
    if params.is_undefined() || params.is_null() {
        return Ok(Vec::new());
    }
    if !Array::is_array(params) {
        return Err(coded("bad_parameter", "params must be an array"));
    }
    js_to_datums(params.unchecked_ref())
        .map_err(|(i, why)| coded("bad_parameter", &format!("parameter {i}: {why}")))
}

/// `options.rowMode`: `'object'` (the default) or `'array'`.
fn parse_row_mode(options: &JsValue) -> Result<RowMode, JsValue> {
    match option(options, "rowMode").map(|v| v.as_string()) {
        None => Ok(RowMode::Object),
        Some(Some(mode)) if mode == "object" => Ok(RowMode::Object),
        Some(Some(mode)) if mode == "array" => Ok(RowMode::Array),
        _ => Err(coded("bad_option", "options.rowMode must be 'object' or 'array'")),
    }
}

impl JsDatabase {
    /// The JS object of an open database, which hears its change events.
    fn wrap(database: db::Database, name: String) -> JsDatabase {
        let shared = Rc::new(Shared {
            database: RefCell::new(None),
            busy: Cell::new(false),
            waiting: RefCell::new(VecDeque::new()),
            listeners: RefCell::new(Vec::new()),
            draining: Cell::new(false),
            name,
            subscription: RefCell::new(None),
        });
        // A weak reference: the database's registry must not keep a closed object alive.
        let weak = Rc::downgrade(&shared);
        database.on_change(Rc::new(move || {
            if let Some(shared) = weak.upgrade() {
                shared.changed();
            }
        }));
        let waiting = database.outbox_waiting();
        *shared.database.borrow_mut() = Some(database);
        if waiting {
            shared.drain_outbox();
        }
        JsDatabase { shared }
    }
}

#[wasm_bindgen(js_class = Database)]
impl JsDatabase {
    /// Opens (creating when new) the database `name`. `options.storage` is `'memory'` (the
    /// default), `'indexeddb'` or `'fs'` (with `options.dir`); `options.cacheBytes` bounds
    /// the chunks kept in memory. Resolves to a `Database`.
    pub fn open(name: String, options: JsValue) -> Promise {
        future_to_promise(async move {
            let options = parse_options(&options)?;
            let database = db::Database::open(&name, options).await.map_err(|e| to_js(&e))?;
            Ok(JsDatabase::wrap(database, name).into())
        })
    }

    /// Creates the database `name` (on the storage `options` chooses, as for `open`) as a
    /// clone of the remote database at `url` (`http(s)://host:port/<db>` or `file://path`):
    /// every branch as a remote-tracking branch of `options.remote` (default `'origin'`),
    /// tags, and `options.branch` (the remote's default branch when absent) checked out.
    /// Refused with `database_exists` if `name` exists there. Resolves to a `Database`.
    pub fn clone(url: String, name: String, options: JsValue) -> Promise {
        future_to_promise(async move {
            let remote = match option(&options, "remote").map(|v| v.as_string()) {
                None => "origin".to_string(),
                Some(Some(remote)) => remote,
                Some(None) => return Err(coded("bad_option", "options.remote must be a string")),
            };
            let branch = match option(&options, "branch").map(|v| v.as_string()) {
                None => None,
                Some(Some(branch)) => Some(branch),
                Some(None) => return Err(coded("bad_option", "options.branch must be a string")),
            };
            let parsed = parse_options(&options)?;
            let database =
                db::Database::clone_from(&url, &name, parsed, &remote, branch.as_deref())
                    .await
                    .map_err(|e| to_js(&e))?;
            Ok(JsDatabase::wrap(database, name).into())
        })
    }

    /// Creates the database `name` from the backup at `url`, with every branch, tag, working
    /// set and setting the backup holds. Resolves to a `Database`.
    pub fn restore(url: String, name: String, options: JsValue) -> Promise {
        future_to_promise(async move {
            let parsed = parse_options(&options)?;
            let database =
                db::Database::restore(&url, &name, parsed).await.map_err(|e| to_js(&e))?;
            Ok(JsDatabase::wrap(database, name).into())
        })
    }

    /// Runs a statement (or a `;`-separated script) with `params` bound to `?` in order and
    /// resolves to the last statement's `{ columns, rows, rowsAffected, lastInsertId,
    /// warnings }`, rows as plain objects, or as arrays in column order with `options.rowMode
    /// = 'array'`.
    pub fn query(&self, sql: String, params: JsValue, options: JsValue) -> Promise {
        let shared = self.shared.clone();
        future_to_promise(async move {
            let params = parse_params(&params)?;
            let mode = parse_row_mode(&options)?;
            let results = shared.execute(&sql, &params).await?;
            let last = results.into_iter().last().unwrap_or_default();
            Ok(result_to_js_as(&last, mode))
        })
    }

    /// Runs a `;`-separated script and resolves to an array with every statement's result;
    /// `options.rowMode` as for `query`.
    pub fn exec(&self, script: String, options: JsValue) -> Promise {
        let shared = self.shared.clone();
        future_to_promise(async move {
            let mode = parse_row_mode(&options)?;
            let results = shared.execute(&script, &[]).await?;
            Ok(results.iter().map(|r| result_to_js_as(r, mode)).collect::<Array>().into())
        })
    }

    /// Checks everything reachable and resolves to `{ clean, chunksChecked, bytesChecked,
    /// problems: [{ hash, path, problem }], text }`.
    pub fn fsck(&self) -> Promise {
        let shared = self.shared.clone();
        future_to_promise(async move {
            let mut database = shared.acquire().await?;
            let outcome = database.fsck().await;
            shared.release(Some(database));
            let report = outcome.map_err(|e| to_js(&e))?;
            let object = Object::new();
            let problems: Array = report
                .problems
                .iter()
                .map(|p| {
                    let item = Object::new();
                    let _ = Reflect::set(&item, &"hash".into(), &p.hash.to_string().into());
                    let _ = Reflect::set(&item, &"path".into(), &p.path.clone().into());
                    let _ = Reflect::set(&item, &"problem".into(), &p.kind.to_string().into());
                    JsValue::from(item)
                })
                .collect();
            let _ = Reflect::set(&object, &"clean".into(), &report.is_clean().into());
            let checked = report.chunks_checked as f64;
            let _ = Reflect::set(&object, &"chunksChecked".into(), &checked.into());
            let bytes = report.bytes_checked as f64;
            let _ = Reflect::set(&object, &"bytesChecked".into(), &bytes.into());
            let _ = Reflect::set(&object, &"problems".into(), &problems);
            let _ = Reflect::set(&object, &"text".into(), &report.to_string().into());
            Ok(object.into())
        })
    }

    /// Removes unreachable chunks and resolves to `{ removedChunks, removedBytes, keptChunks }`.
    pub fn gc(&self) -> Promise {
        let shared = self.shared.clone();
        future_to_promise(async move {
            let mut database = shared.acquire().await?;
            let outcome = database.gc().await;
            shared.release(Some(database));
            let stats = outcome.map_err(|e| to_js(&e))?;
            let object = Object::new();
            let _ = Reflect::set(
                &object,
                &"removedChunks".into(),
                &(stats.removed_chunks as f64).into(),
            );
            let _ =
                Reflect::set(&object, &"removedBytes".into(), &(stats.removed_bytes as f64).into());
            let _ = Reflect::set(&object, &"keptChunks".into(), &(stats.kept_chunks as f64).into());
            Ok(object.into())
        })
    }

    /// Calls `listener` with `{ type: 'change', database }` whenever another object of this
    /// database writes: another `Database` of it in this program, (IndexedDB) another tab or
    /// worker, or (files, Node) another process, heard through a watch of the database's
    /// directory that the last `close` of the database in this program stops. This object's own
    /// writes send no event. Only `'change'` is sent.
    #[wasm_bindgen(js_name = addEventListener)]
    pub fn add_event_listener(&self, kind: String, listener: Function) -> Result<(), JsValue> {
        if kind != CHANGE_EVENT {
            return Err(coded("bad_argument", &format!("unknown event '{kind}': use 'change'")));
        }
        let mut listeners = self.shared.listeners.borrow_mut();
        if listeners.contains(&listener) {
            return Ok(());
        }
        if listeners.len() >= db::LISTENERS_MAX {
            return Err(coded(
                "limit_exceeded",
                &format!("a database takes at most {} change listeners", db::LISTENERS_MAX),
            ));
        }
        listeners.push(listener);
        Ok(())
    }

    /// Stops calling a listener given to `addEventListener`.
    #[wasm_bindgen(js_name = removeEventListener)]
    pub fn remove_event_listener(&self, kind: String, listener: Function) {
        if kind == CHANGE_EVENT {
            self.shared.listeners.borrow_mut().retain(|l| *l != listener);
        }
    }

    /// Makes a read replica live: it follows the `events` stream of its remote
    /// (`@@dolt_read_replica_remote`, an `http(s)` remote) and pulls, in turn with the other
    /// calls, whenever the server announces that a ref moved, then sends `change`; its queries
    /// then read without asking the remote. Resolves once the stream is open and a pull after
    /// it is done. When the stream breaks, every transaction start pulls again (as without
    /// `subscribe`) until the stream is open anew and a pull after it is done; reopening is
    /// tried again and again with a growing wait. `close` ends the subscription. Refused with
    /// `not_a_replica` or `remote_unsupported` (a `file://` remote); a second call while
    /// subscribed does nothing.
    pub fn subscribe(&self) -> Promise {
        let shared = self.shared.clone();
        future_to_promise(async move {
            if shared.subscription.borrow().is_some() {
                return Ok(JsValue::UNDEFINED);
            }
            let controller = web_sys::AbortController::new()?;
            let signal = controller.signal();
            *shared.subscription.borrow_mut() = Some(controller);
            match shared.connect(&signal).await {
                Ok(stream) => {
                    wasm_bindgen_futures::spawn_local(shared.clone().stay_live(stream, signal));
                    Ok(JsValue::UNDEFINED)
                }
                Err(error) => {
                    shared.unsubscribe();
                    Err(error)
                }
            }
        })
    }

    /// Closes the database after the calls already made: a live replica's subscription ends,
    /// an open explicit transaction is rolled back, an asynchronous primary pushes what waits
    /// in its outbox (what fails to go out stays there for the next open); later calls fail
    /// with code `closed`.
    pub fn close(&self) -> Promise {
        let shared = self.shared.clone();
        future_to_promise(async move {
            shared.unsubscribe();
            if let Ok(mut database) = shared.acquire().await {
                if database.outbox_waiting() {
                    let _ = database.replicate_outbox().await;
                }
                database.close();
                shared.release(None);
            }
            shared.listeners.borrow_mut().clear();
            Ok(JsValue::UNDEFINED)
        })
    }
}
