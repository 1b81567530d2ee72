//! The IndexedDB store in a browser: `IdbStore` passes the storage conformance suite through
//! handles on one connection and through separate connections, keeps its data across closing and
//! reopening, settles a race between two connections by its compare-and-swap, leaves nothing of
//! a flush that failed at its very end, maps quota errors, refuses databases it did not make or
//! cannot read, and `ManifestChannel` carries manifests between channel objects.
//!
//! Built only for wasm32 without the `node-tests` feature: `wasm-pack test --headless --chrome`
//! runs it; Node has no IndexedDB.

#![cfg(all(target_arch = "wasm32", not(feature = "node-tests")))]

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test as test;
use wasm_bindgen_test::wasm_bindgen_test_configure;
use web_sys::{
    BroadcastChannel, DomException, IdbDatabase, IdbFactory, IdbRequest, IdbTransactionMode,
};

use cambium::chunk::{Chunk, Error, Hash, Manifest};
use cambium::db::conformance::Harness;
use cambium::db::{Durability, Store};
use cambium::platform::web::{error_from_js, IdbStore, ManifestChannel, DATABASE_PREFIX};

wasm_bindgen_test_configure!(run_in_browser);

thread_local! {
    static NEXT: Cell<u32> = const { Cell::new(0) };
}

/// A database name no other test (nor an earlier run in the same browser profile) uses.
fn unique_name(label: &str) -> String {
    let n = NEXT.with(|next| {
        next.set(next.get() + 1);
        next.get()
    });
    let random = (js_sys::Math::random() * 1e12) as u64;
    format!("test-{label}-{n}-{random}")
}

/// A database deleted when the test that made it ends (in the background: a test cannot await
/// in `drop`, and every connection to it closes itself when the deletion starts).
struct TempDatabase(String);

impl TempDatabase {
    fn new(label: &str) -> TempDatabase {
        TempDatabase(unique_name(label))
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let name = self.0.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = IdbStore::delete_database(&name).await;
        });
    }
}

async fn open(name: &str) -> IdbStore {
    IdbStore::open(name).await.expect("open the IndexedDB store")
}

fn factory() -> IdbFactory {
    web_sys::window().expect("a page").indexed_db().expect("indexedDB").expect("indexedDB")
}

/// Waits for a request's success (its result) or error.
async fn request_done(request: &IdbRequest) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    JsFuture::from(promise).await?;
    request.result()
}

/// Opens a database through IndexedDB directly, running `upgrade` if the open upgrades it.
async fn raw_open(
    full: &str,
    version: u32,
    upgrade: impl Fn(&IdbDatabase) + 'static,
) -> IdbDatabase {
    let request = factory().open_with_u32(full, version).expect("open");
    let on_upgrade = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::Event)>::new({
        let request = request.clone();
        move |_event: web_sys::Event| {
            upgrade(&request.result().expect("the database").unchecked_into());
        }
    });
    request.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
    let database = request_done(&request).await.expect("the raw open succeeds");
    request.set_onupgradeneeded(None);
    database.unchecked_into()
}

/// Writes `value` under `key` in an object store of Cambium database `name`, bypassing the
/// store, as damage from outside would.
async fn raw_put(name: &str, store: &str, key: &JsValue, value: &JsValue) {
    let database = raw_open(&format!("{DATABASE_PREFIX}{name}"), 1, |_| {}).await;
    let transaction = database
        .transaction_with_str_and_mode(store, IdbTransactionMode::Readwrite)
        .expect("transaction");
    let done = Promise::new(&mut |resolve, reject| {
        transaction.set_oncomplete(Some(&resolve));
        transaction.set_onabort(Some(&reject));
    });
    transaction.object_store(store).expect("store").put_with_key(value, key).expect("put");
    JsFuture::from(done).await.expect("the raw write commits");
    database.close();
}

fn hash_key(hash: Hash) -> JsValue {
    Uint8Array::from(&hash.as_bytes()[..]).into()
}

/// Handles made by `IdbStore::handle` from one connection.
struct SharedHarness {
    store: Option<IdbStore>,
    database: TempDatabase,
}

impl SharedHarness {
    fn new() -> SharedHarness {
        SharedHarness { store: None, database: TempDatabase::new("shared") }
    }
}

impl Harness for SharedHarness {
    type Store = IdbStore;
    async fn open(&mut self) -> IdbStore {
        if self.store.is_none() {
            self.store = Some(open(&self.database.0).await);
        }
        self.store.as_ref().expect("opened").handle()
    }
    async fn corrupt(&mut self, hash: Hash, bytes: &[u8]) {
        raw_put(&self.database.0, "chunks", &hash_key(hash), &Uint8Array::from(bytes)).await;
    }
}

/// Every handle on a connection of its own, as tabs open one database.
struct SeparateHarness(TempDatabase);

impl Harness for SeparateHarness {
    type Store = IdbStore;
    async fn open(&mut self) -> IdbStore {
        open(&self.0 .0).await
    }
    async fn corrupt(&mut self, hash: Hash, bytes: &[u8]) {
        raw_put(&self.0 .0, "chunks", &hash_key(hash), &Uint8Array::from(bytes)).await;
    }
}

mod shared_connection {
    use super::SharedHarness;
    use wasm_bindgen_test::wasm_bindgen_test as test;
    cambium::store_conformance!(async SharedHarness::new());
}

mod separate_connections {
    use super::{SeparateHarness, TempDatabase};
    use wasm_bindgen_test::wasm_bindgen_test as test;
    cambium::store_conformance!(async SeparateHarness(TempDatabase::new("separate")));
}

fn chunks(label: &str, count: usize) -> Vec<Chunk> {
    (0..count).map(|i| Chunk::new(format!("{label} {i}").into_bytes())).collect()
}

fn hashes(chunks: &[Chunk]) -> Vec<Hash> {
    chunks.iter().map(Chunk::hash).collect()
}

fn manifest(root: &Chunk, epoch: u64) -> Manifest {
    Manifest { root: Some(root.hash()), epoch }
}

/// Runs two futures together, polling both in the same turn, so that both start their
/// IndexedDB transactions before either can finish.
async fn both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut done_a, mut done_b) = (None, None);
    poll_fn(|cx| {
        if done_a.is_none() {
            if let Poll::Ready(out) = a.as_mut().poll(cx) {
                done_a = Some(out);
            }
        }
        if done_b.is_none() {
            if let Poll::Ready(out) = b.as_mut().poll(cx) {
                done_b = Some(out);
            }
        }
        if done_a.is_some() && done_b.is_some() {
            Poll::Ready((done_a.take().expect("a"), done_b.take().expect("b")))
        } else {
            Poll::Pending
        }
    })
    .await
}

#[test]
async fn data_survives_closing_and_reopening() {
    let database = TempDatabase::new("reopen");
    let batch = chunks("kept", 40);
    let target = manifest(&batch[0], 3);
    {
        let mut store = open(&database.0).await;
        for chunk in &batch {
            store.put(chunk.clone()).expect("put");
        }
        store.flush(&Manifest::EMPTY, &target, Durability::Strict).await.expect("flush");
    } // The last handle is gone: the connection is closed.
    let store = open(&database.0).await;
    assert_eq!(store.database_name(), format!("cambium/{}", database.0));
    assert_eq!(store.manifest().await.expect("manifest"), target);
    let got = store.get_many(&hashes(&batch)).await.expect("get_many");
    assert_eq!(got, batch.into_iter().map(Some).collect::<Vec<_>>());
}

#[test]
async fn chunks_written_ahead_are_stored_without_publishing_and_published_by_a_later_flush() {
    let database = TempDatabase::new("ahead");
    let mut store = open(&database.0).await;
    let base = chunks("base", 3);
    let first = manifest(&base[0], 1);
    for chunk in &base {
        store.put(chunk.clone()).expect("put");
    }
    store.flush(&Manifest::EMPTY, &first, Durability::Strict).await.expect("flush");
    let early = chunks("early", 30);
    store.write_ahead(&first, &early).expect("issued").await.expect("written ahead");
    let observer = open(&database.0).await;
    assert_eq!(observer.manifest().await.expect("manifest"), first, "nothing was published");
    assert!(observer.has_many(&hashes(&early)).await.expect("has").iter().all(|has| *has));
    // The flush that publishes them carries only the rest.
    let rest = chunks("rest", 2);
    for chunk in &rest {
        store.put(chunk.clone()).expect("put");
    }
    let second = manifest(&early[0], 2);
    store.flush(&first, &second, Durability::Strict).await.expect("flush");
    assert_eq!(observer.manifest().await.expect("manifest"), second);
    let got = observer.get_many(&hashes(&early)).await.expect("get_many");
    assert_eq!(got, early.into_iter().map(Some).collect::<Vec<_>>());
}

#[test]
async fn a_collection_waits_while_chunks_written_ahead_of_its_manifest_are_unpublished() {
    let database = TempDatabase::new("ahead-gc");
    let mut store = open(&database.0).await;
    let base = chunks("base", 2);
    let first = manifest(&base[0], 1);
    for chunk in &base {
        store.put(chunk.clone()).expect("put");
    }
    store.flush(&Manifest::EMPTY, &first, Durability::Strict).await.expect("flush");
    let early = chunks("early", 10);
    store.write_ahead(&first, &early).expect("issued").await.expect("written ahead");
    let keep = hashes(&base).into_iter().collect();
    let refused = store.collect_garbage(&first, &keep).await.expect_err("refused");
    assert_eq!(refused, Error::Conflict { current: first });
    assert!(store.has_many(&hashes(&early)).await.expect("has").iter().all(|has| *has));
    // Once the writer published, the next collection runs and clears the stale record.
    let second = manifest(&base[1], 2);
    store.flush(&first, &second, Durability::Strict).await.expect("flush");
    let stats = store.collect_garbage(&second, &keep).await.expect("collected");
    assert_eq!(stats.removed_chunks, 10, "the chunks nothing published are garbage");
    let stats = store.collect_garbage(&second, &keep).await.expect("collected again");
    assert_eq!(stats.removed_chunks, 0);
}

#[test]
async fn racing_connections_one_wins_the_other_writes_nothing() {
    let database = TempDatabase::new("race");
    let mut first = open(&database.0).await;
    let mut second = open(&database.0).await;
    let ours = chunks("first", 25);
    let theirs = chunks("second", 25);
    for chunk in &ours {
        first.put(chunk.clone()).expect("put");
    }
    for chunk in &theirs {
        second.put(chunk.clone()).expect("put");
    }
    let (first_target, second_target) = (manifest(&ours[0], 1), manifest(&theirs[0], 1));
    let (a, b) = both(
        first.flush(&Manifest::EMPTY, &first_target, Durability::Strict),
        second.flush(&Manifest::EMPTY, &second_target, Durability::Strict),
    )
    .await;
    let (winner_target, winner, loser) = match (a, b) {
        (Ok(()), Err(lost)) => {
            assert_eq!(lost, Error::Conflict { current: first_target });
            (first_target, &ours, &theirs)
        }
        (Err(lost), Ok(())) => {
            assert_eq!(lost, Error::Conflict { current: second_target });
            (second_target, &theirs, &ours)
        }
        other => panic!("exactly one flush must win, got {other:?}"),
    };
    let observer = open(&database.0).await;
    assert_eq!(observer.manifest().await.expect("manifest"), winner_target);
    assert!(observer.has_many(&hashes(winner)).await.expect("has").iter().all(|has| *has));
    assert!(
        observer.has_many(&hashes(loser)).await.expect("has").iter().all(|has| !has),
        "the losing flush published a chunk"
    );
    let loser_buffer = if winner_target == first_target { &second } else { &first };
    assert_eq!(loser_buffer.buffered().0, 25, "the loser keeps its buffer for a retry");
}

#[test]
async fn injected_fault_leaves_the_earlier_state_and_a_usable_store() {
    let database = TempDatabase::new("fault");
    let mut store = open(&database.0).await;
    let base = Chunk::new(b"base".to_vec());
    store.put(base.clone()).expect("put");
    store.flush(&Manifest::EMPTY, &manifest(&base, 0), Durability::Strict).await.expect("flush");
    let batch = chunks("doomed", 30);
    for chunk in &batch {
        store.put(chunk.clone()).expect("put");
    }
    store.fail_next_flush();
    let target = manifest(&batch[0], 1);
    match store.flush(&manifest(&base, 0), &target, Durability::Strict).await {
        Err(Error::Io(message)) => assert!(message.contains("fail_next_flush"), "{message}"),
        other => panic!("the injected fault must fail the flush with Io, got {other:?}"),
    }
    let observer = open(&database.0).await;
    assert_eq!(observer.manifest().await.expect("manifest"), manifest(&base, 0));
    assert!(observer.has_many(&hashes(&batch)).await.expect("has").iter().all(|has| !has));
    assert_eq!(observer.get(base.hash()).await.expect("earlier chunk"), base);
    assert_eq!(store.buffered().0, 30, "the failed flush keeps its buffer");
    store.flush(&manifest(&base, 0), &target, Durability::Strict).await.expect("retry");
    assert_eq!(observer.manifest().await.expect("manifest"), target);
    let got = observer.get_many(&hashes(&batch)).await.expect("get_many");
    assert_eq!(got, batch.into_iter().map(Some).collect::<Vec<_>>());
    assert_eq!(store.buffered(), (0, 0));
}

#[test]
fn quota_exceeded_dom_exception_maps_to_quota_exceeded() {
    let quota = DomException::new_with_message_and_name("the disk is full", "QuotaExceededError")
        .expect("a DOMException");
    match error_from_js("flush", &quota.into()) {
        Error::QuotaExceeded(message) => {
            assert!(message.contains("flush") && message.contains("the disk is full"), "{message}")
        }
        other => panic!("expected QuotaExceeded, got {other:?}"),
    }
    let other = DomException::new_with_message_and_name("bad key", "DataError").expect("exception");
    match error_from_js("get_many", &other.into()) {
        Error::Io(message) => assert_eq!(message, "get_many: DataError: bad key"),
        other => panic!("expected Io, got {other:?}"),
    }
    assert_eq!(
        error_from_js("open", &JsValue::from_str("plain text")),
        Error::Io("open: plain text".to_string())
    );
}

#[test]
async fn a_database_of_a_newer_version_is_refused() {
    let database = TempDatabase::new("newer");
    let full = format!("{DATABASE_PREFIX}{}", database.0);
    raw_open(&full, 2, |db| {
        db.create_object_store("chunks").expect("create");
    })
    .await
    .close();
    match IdbStore::open(&database.0).await {
        Err(Error::Io(message)) => {
            assert!(message.contains("version 2"), "{message}");
            assert!(message.contains("newer Cambium"), "{message}");
        }
        Err(other) => panic!("expected a clear Io error, got {other:?}"),
        Ok(_) => panic!("a database at version 2 was opened"),
    }
    let untouched = raw_open(&full, 2, |_| panic!("the refusal changed the database")).await;
    assert_eq!(untouched.version(), 2.0);
    untouched.close();
}

#[test]
async fn a_database_without_cambiums_stores_is_refused() {
    let database = TempDatabase::new("foreign");
    raw_open(&format!("{DATABASE_PREFIX}{}", database.0), 1, |_| {}).await.close();
    match IdbStore::open(&database.0).await {
        Err(Error::StoreCorrupt(message)) => assert!(message.contains("chunks"), "{message}"),
        Err(other) => panic!("expected StoreCorrupt, got {other:?}"),
        Ok(_) => panic!("a database without Cambium's object stores was opened"),
    }
}

#[test]
async fn corrupt_records_are_detected() {
    let database = TempDatabase::new("corrupt");
    let mut store = open(&database.0).await;
    let a = Chunk::new(b"a".to_vec());
    let b = Chunk::new(b"b".to_vec());
    store.put(a.clone()).expect("put");
    store.flush(&Manifest::EMPTY, &manifest(&a, 0), Durability::Strict).await.expect("flush");

    raw_put(&database.0, "chunks", &hash_key(a.hash()), &JsValue::from_str("not bytes")).await;
    assert_eq!(store.get(a.hash()).await, Err(Error::Corrupt(a.hash())));

    let garbage = Uint8Array::from(&b"not a manifest"[..]);
    raw_put(&database.0, "manifest", &JsValue::from_str("manifest"), &garbage).await;
    assert!(matches!(store.manifest().await, Err(Error::StoreCorrupt(_))));
    store.put(b.clone()).expect("put");
    let flushed = store.flush(&manifest(&a, 0), &manifest(&b, 1), Durability::Strict).await;
    assert!(matches!(flushed, Err(Error::StoreCorrupt(_))), "{flushed:?}");
    let observer = open(&database.0).await;
    assert_eq!(observer.has_many(&[b.hash()]).await.expect("has"), vec![false]);
}

#[test]
async fn deleting_closes_open_connections_and_empties_the_database() {
    let database = TempDatabase::new("delete");
    let mut store = open(&database.0).await;
    let a = Chunk::new(b"gone".to_vec());
    store.put(a.clone()).expect("put");
    store.flush(&Manifest::EMPTY, &manifest(&a, 0), Durability::Strict).await.expect("flush");
    // Not blocked by `store`'s open connection: it closes itself on `versionchange`.
    IdbStore::delete_database(&database.0).await.expect("delete");
    match store.manifest().await {
        Err(Error::Io(message)) => assert!(message.contains("open it again"), "{message}"),
        other => panic!("a closed connection must say so, got {other:?}"),
    }
    let fresh = open(&database.0).await;
    assert_eq!(fresh.manifest().await.expect("manifest"), Manifest::EMPTY);
    assert_eq!(fresh.has_many(&[a.hash()]).await.expect("has"), vec![false]);
}

/// Collects what a channel object hears and lets a test await the next message, giving up
/// after a timeout so that a message that never comes fails the test instead of hanging it.
#[derive(Clone, Default)]
struct Inbox {
    heard: Rc<RefCell<Vec<Manifest>>>,
    wake: Rc<RefCell<Option<Function>>>,
}

impl Inbox {
    fn listener(&self) -> impl FnMut(Manifest) + 'static {
        let inbox = self.clone();
        move |manifest| {
            inbox.heard.borrow_mut().push(manifest);
            if let Some(wake) = inbox.wake.borrow_mut().take() {
                wake.call0(&JsValue::UNDEFINED).expect("resolve");
            }
        }
    }

    /// Waits until this inbox holds `count` manifests; false after 5 s without them.
    async fn until(&self, count: usize) -> bool {
        while self.heard.borrow().len() < count {
            let arrived = Promise::new(&mut |resolve, _reject| {
                *self.wake.borrow_mut() = Some(resolve);
            });
            let timeout = Promise::new(&mut |resolve, _reject| {
                let set_timeout: Function = Reflect::get(&js_sys::global(), &"setTimeout".into())
                    .expect("setTimeout")
                    .unchecked_into();
                set_timeout
                    .call3(&JsValue::UNDEFINED, &resolve, &5000.into(), &"timeout".into())
                    .expect("setTimeout");
            });
            let first =
                JsFuture::from(Promise::race(&Array::of2(&arrived, &timeout))).await.expect("race");
            if first.as_string().as_deref() == Some("timeout") {
                return false;
            }
        }
        true
    }

    fn heard(&self) -> Vec<Manifest> {
        self.heard.borrow().clone()
    }
}

#[test]
async fn manifest_channel_carries_manifests_between_channel_objects() {
    let name = unique_name("channel");
    let listening = Inbox::default();
    let posting = Inbox::default();
    let listener = ManifestChannel::open(&name, listening.listener()).expect("listener");
    let poster = ManifestChannel::open(&name, posting.listener()).expect("poster");
    let first = Manifest { root: Some(Hash::of(b"first")), epoch: 1 };
    let second = Manifest { root: Some(Hash::of(b"second")), epoch: 2 };
    let third = Manifest { root: None, epoch: 3 };

    // Messages that are not manifests, then one that is, all from one sender (so in order):
    // only the manifest is heard.
    let stranger = BroadcastChannel::new(&format!("{DATABASE_PREFIX}{name}")).expect("channel");
    stranger.post_message(&JsValue::from_str("not a manifest")).expect("post");
    stranger.post_message(&Uint8Array::from(&[1u8, 2, 3][..])).expect("post");
    stranger.post_message(&Uint8Array::from(&first.encode()[..])).expect("post");
    assert!(listening.until(1).await, "the encoded manifest never arrived");
    assert_eq!(listening.heard(), vec![first]);

    poster.post(&second).expect("post");
    assert!(listening.until(2).await, "the posted manifest never arrived");
    assert_eq!(listening.heard(), vec![first, second]);

    // A closed channel hears nothing more; one still open does.
    let late = Inbox::default();
    let latecomer = ManifestChannel::open(&name, late.listener()).expect("latecomer");
    listener.close();
    poster.post(&third).expect("post");
    assert!(late.until(1).await, "an open channel stopped hearing");
    assert_eq!(late.heard(), vec![third]);
    assert_eq!(listening.heard(), vec![first, second], "a closed channel still heard a post");

    // The poster heard the stranger's manifest but neither of its own posts.
    assert!(posting.until(1).await, "the poster never heard the stranger");
    assert_eq!(posting.heard(), vec![first], "a channel object hears others, not itself");
    stranger.close();
    drop(latecomer);
}
