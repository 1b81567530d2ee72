//! The file store under Node: the wasm build on Node's `fs` (`NodeFiles`) passes the storage
//! conformance suite through shared handles and through separate opens, keeps its data across
//! reopening, and writes the same files the native build reads (the format is shared, so the
//! journal and manifest bytes are compared with what `docs/format.md` fixes).
//!
//! Built only with the `node-tests` feature, which `wasm-pack test --node` turns on; in a
//! browser there is no file system to test.

#![cfg(all(target_arch = "wasm32", feature = "node-tests"))]

use std::cell::Cell;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test as test;

use cambium::chunk::{Chunk, ChunkStore, Hash, Manifest};
use cambium::db::conformance::Harness;
use cambium::platform::files::{FileStore, Files, NodeFiles, MANIFEST_FILE, RECORD_HEADER_BYTES};

thread_local! {
    static NEXT: Cell<u32> = const { Cell::new(0) };
}

/// A directory of its own under the temporary directory, removed with everything in it when
/// dropped.
struct TempDir(String);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let unique = NEXT.with(|n| {
            n.set(n.get() + 1);
            n.get()
        });
        let pid = NodeFiles::open("/tmp").expect("Node's fs").process_id();
        TempDir(format!("/tmp/cambium-node-files-{pid}-{name}-{unique}"))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Node's own recursive removal, reached as NodeFiles reaches `fs`.
        let process = Reflect::get(&js_sys::global(), &"process".into()).expect("process");
        let get_builtin: Function =
            Reflect::get(&process, &"getBuiltinModule".into()).expect("Node").unchecked_into();
        let fs = get_builtin.call1(&process, &"fs".into()).expect("fs");
        let rm: Function = Reflect::get(&fs, &"rmSync".into()).expect("rmSync").unchecked_into();
        let options = Object::new();
        Reflect::set(&options, &"recursive".into(), &true.into()).expect("a plain object");
        Reflect::set(&options, &"force".into(), &true.into()).expect("a plain object");
        let _ = rm.call2(&fs, &self.0.clone().into(), &options);
    }
}

fn open(dir: &str) -> FileStore<NodeFiles> {
    FileStore::open(NodeFiles::open(dir).expect("the directory")).expect("the store")
}

/// Overwrites the published bytes of `hash` in the journal, as a failing disk would.
fn corrupt(dir: &str, hash: Hash, bytes: &[u8]) {
    let mut files = NodeFiles::open(dir).expect("the directory");
    let journal = files
        .list()
        .expect("list")
        .into_iter()
        .find(|n| n.starts_with("journal-"))
        .expect("a journal");
    let mut data = files.read_all(&journal).expect("read").expect("the journal");
    let at = data.windows(20).position(|w| w == hash.as_bytes()).expect("the chunk's record");
    let start = at - 8 + RECORD_HEADER_BYTES;
    data[start..start + bytes.len()].copy_from_slice(bytes);
    files.replace(&journal, &data).expect("rewrite the journal");
}

/// Handles made by `FileStore::handle`, sharing one open store.
struct SharedHarness {
    store: FileStore<NodeFiles>,
    dir: TempDir,
}

impl Harness for SharedHarness {
    type Store = FileStore<NodeFiles>;
    async fn open(&mut self) -> FileStore<NodeFiles> {
        self.store.handle()
    }
    async fn corrupt(&mut self, hash: Hash, bytes: &[u8]) {
        corrupt(&self.dir.0, hash, bytes);
    }
}

fn shared() -> SharedHarness {
    let dir = TempDir::new("shared");
    SharedHarness { store: open(&dir.0), dir }
}

/// Every handle opened on its own, as separate processes open one directory.
struct SeparateHarness(TempDir);

impl Harness for SeparateHarness {
    type Store = FileStore<NodeFiles>;
    async fn open(&mut self) -> FileStore<NodeFiles> {
        open(&self.0 .0)
    }
    async fn corrupt(&mut self, hash: Hash, bytes: &[u8]) {
        corrupt(&self.0 .0, hash, bytes);
    }
}

mod shared_handles {
    use super::shared;
    use wasm_bindgen_test::wasm_bindgen_test as test;
    cambium::store_conformance!(shared());
}

mod separate_opens {
    use super::{SeparateHarness, TempDir};
    use wasm_bindgen_test::wasm_bindgen_test as test;
    cambium::store_conformance!(SeparateHarness(TempDir::new("separate")));
}

#[test]
fn reopening_keeps_every_flush() {
    let temp = TempDir::new("reopen");
    let dir = temp.0.as_str();
    let chunks: Vec<Chunk> =
        (0..40).map(|i| Chunk::new(format!("chunk {i}").into_bytes())).collect();
    let root = chunks[0].hash();
    {
        let mut store = open(dir);
        for chunk in &chunks {
            store.put(chunk.clone()).expect("put");
        }
        store.flush(&Manifest::EMPTY, &Manifest { root: Some(root), epoch: 1 }).expect("flush");
    }
    let store = open(dir);
    assert_eq!(store.manifest().expect("manifest"), Manifest { root: Some(root), epoch: 1 });
    let hashes: Vec<Hash> = chunks.iter().map(Chunk::hash).collect();
    let got = store.get_many(&hashes).expect("get_many");
    assert_eq!(got, chunks.into_iter().map(Some).collect::<Vec<_>>());
    let mut files = NodeFiles::open(dir).expect("the directory");
    let manifest = files.read_all(MANIFEST_FILE).expect("read").expect("the manifest file");
    assert_eq!(&manifest[..4], b"CMBF", "the manifest file starts with its magic");
}

#[test]
fn a_missing_file_reads_as_absent() {
    let temp = TempDir::new("absent");
    let mut files = NodeFiles::open(&temp.0).expect("the directory");
    assert_eq!(files.len("nothing").expect("len"), None);
    assert_eq!(files.read_all("nothing").expect("read_all"), None);
    files.remove("nothing").expect("removing an absent file is fine");
    assert!(files.read_at("nothing", 0, 1).is_err());
    assert!(files.create_new("lock", b"1").expect("create"));
    assert!(!files.create_new("lock", b"2").expect("create again"));
    assert_eq!(files.read_all("lock").expect("read").as_deref(), Some(&b"1"[..]));
    assert!(files.process_alive(files.process_id()));
}
