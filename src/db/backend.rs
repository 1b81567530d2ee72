//! The storage backends a database can open, behind one [`Store`]: memory, files (natively on
//! `std::fs`, in the wasm build on Node's `fs`) and IndexedDB (in the browser).

#[cfg(target_arch = "wasm32")]
use std::cell::Cell;
use std::collections::HashSet;
#[cfg(target_arch = "wasm32")]
use std::rc::Rc;

#[cfg(target_arch = "wasm32")]
use js_sys::Reflect;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen::{JsCast, JsValue};

use crate::chunk::{Chunk, ChunkStore, Error as StoreError, GcStats, Hash, Manifest, MemoryStore};
use crate::platform::files::FileStore;
#[cfg(not(target_arch = "wasm32"))]
use crate::platform::files::NativeFiles;
#[cfg(target_arch = "wasm32")]
use crate::platform::files::{NodeFiles, MANIFEST_FILE};
#[cfg(target_arch = "wasm32")]
use crate::platform::web::{IdbStore, ManifestChannel};

use super::changes::Watch;
use super::database::memory_store;
use super::{Durability, Error, Storage, Store};

/// The files of a directory on this target: `std::fs` natively, Node's `fs` in the wasm build.
/// `PlatformFiles::open(path)` works on (and creates) the directory `path`.
#[cfg(not(target_arch = "wasm32"))]
pub type PlatformFiles = NativeFiles;
/// The files of a directory on this target: `std::fs` natively, Node's `fs` in the wasm build.
/// `PlatformFiles::open(path)` works on (and creates) the directory `path`.
#[cfg(target_arch = "wasm32")]
pub type PlatformFiles = NodeFiles;

/// A write of chunks ahead of the flush that will publish them (see [`Backend::write_ahead`]).
pub type WriteAhead = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StoreError>>>>;

/// What the database needs of a store beyond [`Store`]: fresh handles, whether it must read the
/// manifest before each statement, announcing flushes and spacing out retries.
// Polled on one thread, as `Store` is: no `Send` bound is wanted on the futures.
#[allow(async_fn_in_trait)]
pub trait Backend: Store + Sized {
    /// A new handle on the same store with its own empty write buffer.
    fn handle(&self) -> Self;

    /// A handle that reads at once, for a cache to read through instead of answering
    /// `Missing` (memory and files); `None` for stores that answer through callbacks.
    fn reader(&self) -> Option<Box<dyn ChunkStore>> {
        None
    }

    /// Whether the manifest may have moved since this was last asked. Stores that other
    /// processes write without telling (files) always say yes; IndexedDB says yes after
    /// another tab announced a flush.
    fn may_have_moved(&self) -> bool {
        true
    }

    /// Tells other tabs that this handle published `manifest`.
    fn announce(&self, manifest: &Manifest) {
        let _ = manifest;
    }

    /// Starts writing `chunks` to the store without publishing anything, and answers how that
    /// write ends; the flush that publishes them must wait for it. `under` is the manifest the
    /// writer has read. `None` when this backend has no such write: the chunks wait for the
    /// flush, as every chunk does on stores whose flushes cost little beyond the bytes.
    fn write_ahead(&self, under: &Manifest, chunks: &[Chunk]) -> Option<WriteAhead> {
        let _ = (under, chunks);
        None
    }

    /// Waits before a statement that lost the race to publish runs again for the `attempt`th
    /// time, so writers that keep colliding fall out of step. Stores read synchronously cannot
    /// wait and do not: their writers are other processes, which the file lock spaces out.
    async fn back_off(&self, attempt: u32) {
        let _ = attempt;
    }
}

impl Backend for MemoryStore {
    fn handle(&self) -> MemoryStore {
        MemoryStore::handle(self)
    }

    fn reader(&self) -> Option<Box<dyn ChunkStore>> {
        Some(Box::new(MemoryStore::handle(self)))
    }
}

impl<F: crate::platform::files::Files + 'static> Backend for FileStore<F> {
    fn handle(&self) -> FileStore<F> {
        FileStore::handle(self)
    }

    fn reader(&self) -> Option<Box<dyn ChunkStore>> {
        Some(Box::new(FileStore::handle(self)))
    }
}

/// IndexedDB with the channel tabs announce their flushes on: a handle reads the manifest again
/// only after another tab (or another database object in this one) announced a new one.
#[cfg(target_arch = "wasm32")]
pub struct IndexedDb {
    store: IdbStore,
    name: String,
    channel: Rc<ManifestChannel>,
    /// Set when another tab or database object published; cleared when the manifest is read.
    moved: Rc<Cell<bool>>,
}

#[cfg(target_arch = "wasm32")]
thread_local! {
    /// The `moved` flags of the databases open in this page or worker, by name. A flush sets
    /// them at once: a BroadcastChannel message reaches the other objects of this context only
    /// a task later, and a program that writes through one object and reads through another
    /// expects to read its write.
    static OPEN_HERE: std::cell::RefCell<std::collections::HashMap<String, Vec<std::rc::Weak<Cell<bool>>>>> =
        Default::default();
}

#[cfg(target_arch = "wasm32")]
impl IndexedDb {
    async fn open(name: &str, heard_elsewhere: Rc<dyn Fn()>) -> Result<IndexedDb, Error> {
        let global = js_sys::global();
        if !Reflect::has(&global, &"indexedDB".into()).unwrap_or(false) {
            return Err(Error::new(
                "storage_unavailable",
                "IndexedDB storage needs a browser page or worker; under Node use storage 'fs'",
            ));
        }
        let store = IdbStore::open(name).await?;
        let moved = Rc::new(Cell::new(false));
        let heard = moved.clone();
        let channel = ManifestChannel::open(name, move |_| {
            heard.set(true);
            heard_elsewhere();
        })?;
        OPEN_HERE.with(|open| {
            let mut open = open.borrow_mut();
            let flags = open.entry(name.to_string()).or_default();
            flags.retain(|flag| flag.strong_count() > 0);
            flags.push(Rc::downgrade(&moved));
        });
        Ok(IndexedDb { store, name: name.to_string(), channel: Rc::new(channel), moved })
    }
}

#[cfg(target_arch = "wasm32")]
impl Backend for IndexedDb {
    fn handle(&self) -> IndexedDb {
        IndexedDb {
            store: self.store.handle(),
            name: self.name.clone(),
            channel: self.channel.clone(),
            moved: self.moved.clone(),
        }
    }

    fn may_have_moved(&self) -> bool {
        self.moved.replace(false)
    }

    /// Another tab that misses the announcement still cannot publish over this flush: the
    /// announcement only saves it a failed compare-and-swap and shows it new data sooner.
    fn announce(&self, manifest: &Manifest) {
        OPEN_HERE.with(|open| {
            for flag in open.borrow().get(&self.name).into_iter().flatten() {
                match flag.upgrade() {
                    Some(flag) if !Rc::ptr_eq(&flag, &self.moved) => flag.set(true),
                    _ => {}
                }
            }
        });
        let _ = self.channel.post(manifest);
    }

    fn write_ahead(&self, under: &Manifest, chunks: &[Chunk]) -> Option<WriteAhead> {
        Some(match self.store.write_ahead(under, chunks) {
            Ok(write) => Box::pin(write),
            Err(error) => Box::pin(std::future::ready(Err(error))),
        })
    }

    /// A random wait of up to 2^attempt ms (at most [`BACK_OFF_MS_MAX`]): the writer that lost
    /// must load the winner's chunks before it can try again, and without the wait a writer
    /// that keeps writing wins every time.
    async fn back_off(&self, attempt: u32) {
        let ceiling_ms = f64::from(1u32 << attempt.min(16)).min(BACK_OFF_MS_MAX);
        let wait_ms = js_sys::Math::random() * ceiling_ms;
        let timer = js_sys::Promise::new(&mut |resolve, _| {
            let global = js_sys::global();
            let set_timeout = Reflect::get(&global, &"setTimeout".into())
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
            match set_timeout {
                Some(set_timeout) => {
                    let _ = set_timeout.call2(&global, &resolve, &wait_ms.into());
                }
                None => {
                    let _ = resolve.call0(&JsValue::UNDEFINED);
                }
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(timer).await;
    }
}

/// The longest wait between two attempts of one statement.
#[cfg(target_arch = "wasm32")]
const BACK_OFF_MS_MAX: f64 = 64.0;

#[cfg(target_arch = "wasm32")]
impl Store for IndexedDb {
    async fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, StoreError> {
        self.store.get_many(hashes).await
    }

    async fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, StoreError> {
        self.store.has_many(hashes).await
    }

    fn put(&mut self, chunk: Chunk) -> Result<(), StoreError> {
        self.store.put(chunk)
    }

    async fn manifest(&self) -> Result<Manifest, StoreError> {
        self.store.manifest().await
    }

    async fn flush(
        &mut self,
        expected: &Manifest,
        new: &Manifest,
        durability: Durability,
    ) -> Result<(), StoreError> {
        self.store.flush(expected, new, durability).await
    }

    async fn collect_garbage(
        &mut self,
        expected: &Manifest,
        keep: &HashSet<Hash>,
    ) -> Result<GcStats, StoreError> {
        self.store.collect_garbage(expected, keep).await
    }
}

/// A store handle of any backend, as [`Storage`] chooses it.
pub enum AnyStore {
    Memory(MemoryStore),
    Files(FileStore<PlatformFiles>),
    #[cfg(target_arch = "wasm32")]
    IndexedDb(IndexedDb),
}

/// Runs `$body` with `$store` bound to the variant's store.
#[cfg(not(target_arch = "wasm32"))]
macro_rules! each {
    ($any:expr, $store:ident => $body:expr) => {
        match $any {
            AnyStore::Memory($store) => $body,
            AnyStore::Files($store) => $body,
        }
    };
}

/// Runs `$body` with `$store` bound to the variant's store.
#[cfg(target_arch = "wasm32")]
macro_rules! each {
    ($any:expr, $store:ident => $body:expr) => {
        match $any {
            AnyStore::Memory($store) => $body,
            AnyStore::Files($store) => $body,
            AnyStore::IndexedDb($store) => $body,
        }
    };
}

impl AnyStore {
    /// Opens the store `storage` names for the database `name`. `heard` passes on what is
    /// heard from outside this program: another tab or worker announcing that it published
    /// (IndexedDB), another process replacing the database's manifest (files, in Node).
    pub(crate) async fn open(
        name: &str,
        storage: &Storage,
        heard: &Watch,
    ) -> Result<AnyStore, Error> {
        #[cfg(not(target_arch = "wasm32"))]
        let _ = heard;
        Ok(match storage {
            Storage::Memory => AnyStore::Memory(memory_store(name)),
            Storage::Files { dir } => {
                let path = format!("{}/{name}", dir.trim_end_matches('/'));
                let files = PlatformFiles::open(&path)?;
                // Change events are hints: a database whose directory Node cannot watch (no
                // watches left, say) still opens, and hears only the objects of this program.
                #[cfg(target_arch = "wasm32")]
                let _ = heard.share_hearing(|everyone| files.watch(MANIFEST_FILE, everyone));
                AnyStore::Files(FileStore::open(files)?)
            }
            #[cfg(target_arch = "wasm32")]
            Storage::IndexedDb => {
                AnyStore::IndexedDb(IndexedDb::open(name, heard.this_object()).await?)
            }
            #[cfg(not(target_arch = "wasm32"))]
            Storage::IndexedDb => {
                return Err(Error::new(
                    "storage_unavailable",
                    "IndexedDB storage is available only in the browser build",
                ))
            }
        })
    }
}

impl Backend for AnyStore {
    fn handle(&self) -> AnyStore {
        each!(self, store => store.handle().into())
    }

    fn may_have_moved(&self) -> bool {
        each!(self, store => store.may_have_moved())
    }

    fn reader(&self) -> Option<Box<dyn ChunkStore>> {
        each!(self, store => store.reader())
    }

    fn announce(&self, manifest: &Manifest) {
        each!(self, store => store.announce(manifest))
    }

    fn write_ahead(&self, under: &Manifest, chunks: &[Chunk]) -> Option<WriteAhead> {
        each!(self, store => store.write_ahead(under, chunks))
    }

    async fn back_off(&self, attempt: u32) {
        each!(self, store => store.back_off(attempt).await)
    }
}

impl From<MemoryStore> for AnyStore {
    fn from(store: MemoryStore) -> AnyStore {
        AnyStore::Memory(store)
    }
}

impl From<FileStore<PlatformFiles>> for AnyStore {
    fn from(store: FileStore<PlatformFiles>) -> AnyStore {
        AnyStore::Files(store)
    }
}

#[cfg(target_arch = "wasm32")]
impl From<IndexedDb> for AnyStore {
    fn from(store: IndexedDb) -> AnyStore {
        AnyStore::IndexedDb(store)
    }
}

impl Store for AnyStore {
    async fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, StoreError> {
        each!(self, store => Store::get_many(store, hashes).await)
    }

    async fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, StoreError> {
        each!(self, store => Store::has_many(store, hashes).await)
    }

    fn put(&mut self, chunk: Chunk) -> Result<(), StoreError> {
        each!(self, store => Store::put(store, chunk))
    }

    async fn manifest(&self) -> Result<Manifest, StoreError> {
        each!(self, store => Store::manifest(store).await)
    }

    async fn flush(
        &mut self,
        expected: &Manifest,
        new: &Manifest,
        durability: Durability,
    ) -> Result<(), StoreError> {
        each!(self, store => Store::flush(store, expected, new, durability).await)
    }

    async fn collect_garbage(
        &mut self,
        expected: &Manifest,
        keep: &HashSet<Hash>,
    ) -> Result<GcStats, StoreError> {
        each!(self, store => Store::collect_garbage(store, expected, keep).await)
    }
}
