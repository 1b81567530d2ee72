//! The file store natively: the conformance suite (through shared handles and through separate
//! opens, as separate processes would see it), reopening, torn tails, corruption, failed and
//! crashed flushes and collections cut at every byte, and the writer lock.

#![cfg(not(target_arch = "wasm32"))]

use std::cell::RefCell;
use std::collections::HashSet;
use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cambium::chunk::{Chunk, ChunkStore, Error, Hash, Manifest};
use cambium::platform::files::{
    FileStore, Files, NativeFiles, JOURNAL_HEADER_BYTES, LOCK_FILE, MANIFEST_FILE,
    MANIFEST_FILE_BYTES, RECORD_HEADER_BYTES,
};

/// A directory of its own under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir()
            .join(format!("cambium-files-{}-{name}-{unique}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create the test directory");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// Removes everything inside, keeping the directory.
    fn clear(&self) {
        fs::remove_dir_all(&self.0).expect("clear the test directory");
        fs::create_dir_all(&self.0).expect("recreate the test directory");
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Bytes of the commit record that ends every flush: a record header and a manifest file.
const COMMIT_RECORD_BYTES: usize = RECORD_HEADER_BYTES + MANIFEST_FILE_BYTES;

fn open(dir: &Path) -> Result<FileStore<NativeFiles>, Error> {
    FileStore::open(NativeFiles::open(dir)?)
}

/// The journal files in `dir`, by name.
fn journals(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .expect("list")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| {
            path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("journal-"))
        })
        .collect();
    found.sort();
    found
}

fn only_journal(dir: &Path) -> PathBuf {
    let found = journals(dir);
    assert_eq!(found.len(), 1, "one journal expected in {}", dir.display());
    found[0].clone()
}

/// The journal length the manifest file covers (bytes `[16, 24)`, see docs/format.md).
fn covered(dir: &Path) -> u64 {
    let bytes = fs::read(dir.join(MANIFEST_FILE)).expect("manifest file");
    u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"))
}

/// Where the record of `hash` starts in the journal `path`.
fn record_offset(path: &Path, hash: Hash) -> usize {
    let bytes = fs::read(path).expect("journal");
    let at = bytes
        .windows(20)
        .position(|window| window == hash.as_bytes())
        .expect("the chunk's record is in the journal");
    at - 8
}

fn overwrite(path: &Path, offset: u64, bytes: &[u8]) {
    let mut file = fs::OpenOptions::new().write(true).open(path).expect("open for writing");
    file.seek(SeekFrom::Start(offset)).expect("seek");
    file.write_all(bytes).expect("write");
}

fn append(path: &Path, bytes: &[u8]) {
    let mut file = fs::OpenOptions::new().append(true).open(path).expect("open for append");
    file.write_all(bytes).expect("append");
}

/// Overwrites the published bytes of `hash` in place, as a failing disk would.
fn corrupt_chunk(dir: &Path, hash: Hash, bytes: &[u8]) {
    let journal = only_journal(dir);
    let data = record_offset(&journal, hash) + RECORD_HEADER_BYTES;
    let len = u32::from_le_bytes(
        fs::read(&journal).expect("journal")[data - 28..data - 24].try_into().expect("4 bytes"),
    );
    assert_eq!(len as usize, bytes.len(), "the harness replaces bytes of equal length");
    overwrite(&journal, data as u64, bytes);
}

fn chunk(text: &str) -> Chunk {
    Chunk::new(text.as_bytes().to_vec())
}

fn chunks(prefix: &str, n: usize) -> Vec<Chunk> {
    (0..n).map(|i| chunk(&format!("{prefix} {i}"))).collect()
}

fn manifest(root: &Chunk, epoch: u64) -> Manifest {
    Manifest { root: Some(root.hash()), epoch }
}

fn put_all(store: &mut impl ChunkStore, chunks: &[Chunk]) {
    for c in chunks {
        store.put(c.clone()).expect("put");
    }
}

fn assert_readable(store: &impl ChunkStore, chunks: &[Chunk]) {
    let hashes: Vec<Hash> = chunks.iter().map(Chunk::hash).collect();
    let got = store.get_many(&hashes).expect("get_many");
    for (c, got) in chunks.iter().zip(got) {
        assert_eq!(got.as_ref(), Some(c), "chunk {:?}", c.hash());
    }
}

fn has_none(store: &impl ChunkStore, chunks: &[Chunk]) -> bool {
    let hashes: Vec<Hash> = chunks.iter().map(Chunk::hash).collect();
    store.has_many(&hashes).expect("has_many").iter().all(|has| !has)
}

/// Handles made by `FileStore::handle`, sharing one open store.
struct SharedHarness {
    store: FileStore<NativeFiles>,
    dir: TempDir,
}

impl SharedHarness {
    fn new() -> SharedHarness {
        let dir = TempDir::new("shared");
        SharedHarness { store: open(dir.path()).expect("open"), dir }
    }
}

impl cambium::db::conformance::Harness for SharedHarness {
    type Store = FileStore<NativeFiles>;
    async fn open(&mut self) -> FileStore<NativeFiles> {
        self.store.handle()
    }
    async fn corrupt(&mut self, hash: Hash, bytes: &[u8]) {
        corrupt_chunk(self.dir.path(), hash, bytes);
    }
}

/// Every handle opened on its own, as separate processes open the same directory.
struct SeparateHarness(TempDir);

impl cambium::db::conformance::Harness for SeparateHarness {
    type Store = FileStore<NativeFiles>;
    async fn open(&mut self) -> FileStore<NativeFiles> {
        open(self.0.path()).expect("open")
    }
    async fn corrupt(&mut self, hash: Hash, bytes: &[u8]) {
        corrupt_chunk(self.0.path(), hash, bytes);
    }
}

mod shared_handles {
    use super::*;
    cambium::store_conformance!(SharedHarness::new());
}

mod separate_opens {
    use super::*;
    cambium::store_conformance!(SeparateHarness(TempDir::new("separate")));
}

#[test]
fn reopening_keeps_every_flush() {
    let dir = TempDir::new("reopen");
    let first = chunks("first", 30);
    let second = chunks("second", 30);
    {
        let mut store = open(dir.path()).expect("open");
        put_all(&mut store, &first);
        store.flush(&Manifest::EMPTY, &manifest(&first[0], 1)).expect("flush");
        put_all(&mut store, &second);
        store.flush(&manifest(&first[0], 1), &manifest(&second[0], 2)).expect("flush");
        store.put(chunk("never flushed")).expect("put");
    }
    let store = open(dir.path()).expect("reopen");
    assert_eq!(store.manifest().expect("manifest"), manifest(&second[0], 2));
    assert_readable(&store, &first);
    assert_readable(&store, &second);
    assert!(has_none(&store, &[chunk("never flushed")]));
}

/// Chunks are written in the order they were put (trees are put children first, leaves in key
/// order), so the leaves a scan or a clone reads lie side by side; a repeated put adds nothing.
#[test]
fn a_flush_writes_chunks_in_the_order_they_were_put() {
    let dir = TempDir::new("order");
    let mut put = chunks("ordered", 40);
    put.reverse();
    let mut store = open(dir.path()).expect("open");
    put_all(&mut store, &put);
    put_all(&mut store, &put[..10]);
    store.flush(&Manifest::EMPTY, &manifest(&put[0], 1)).expect("flush");
    let journal = only_journal(dir.path());
    let offsets: Vec<usize> = put.iter().map(|c| record_offset(&journal, c.hash())).collect();
    assert!(offsets.windows(2).all(|pair| pair[0] < pair[1]), "journal order {offsets:?}");
    let record_bytes_sum: usize = put.iter().map(|c| RECORD_HEADER_BYTES + c.len()).sum();
    // The chunks, then the commit record that publishes them.
    assert_eq!(
        fs::metadata(&journal).expect("journal").len() as usize,
        offsets[0] + record_bytes_sum + COMMIT_RECORD_BYTES
    );
}

#[test]
fn a_torn_tail_is_cut_off_at_open() {
    let dir = TempDir::new("torn");
    let kept = chunks("kept", 10);
    let mut store = open(dir.path()).expect("open");
    put_all(&mut store, &kept);
    store.flush(&Manifest::EMPTY, &manifest(&kept[0], 0)).expect("flush");
    drop(store);
    let journal = only_journal(dir.path());
    let published_len = fs::metadata(&journal).expect("journal").len();
    assert_eq!(published_len, covered(dir.path()));

    // A whole record nobody acknowledged, then half of another: what a crash mid-flush leaves.
    let unacknowledged = chunk("written but never published");
    let mut tail = Vec::new();
    let whole = record_bytes(&unacknowledged);
    tail.extend_from_slice(&whole);
    tail.extend_from_slice(&record_bytes(&chunk("half written"))[..RECORD_HEADER_BYTES + 3]);
    append(&journal, &tail);

    let mut store = open(dir.path()).expect("reopen repairs");
    assert_eq!(fs::metadata(&journal).expect("journal").len(), published_len, "tail cut off");
    assert_eq!(store.manifest().expect("manifest"), manifest(&kept[0], 0));
    assert_readable(&store, &kept);
    assert!(
        has_none(&store, std::slice::from_ref(&unacknowledged)),
        "an unpublished record was indexed"
    );

    let later = chunks("later", 5);
    put_all(&mut store, &later);
    store.flush(&manifest(&kept[0], 0), &manifest(&later[0], 0)).expect("flush after repair");
    drop(store);
    let store = open(dir.path()).expect("reopen");
    assert_readable(&store, &kept);
    assert_readable(&store, &later);
}

/// The journal record of `c`, as `docs/format.md` lays it out, taken from a store that wrote it.
fn record_bytes(c: &Chunk) -> Vec<u8> {
    let dir = TempDir::new("record");
    let mut store = open(dir.path()).expect("open");
    store.put(c.clone()).expect("put");
    store.flush(&Manifest::EMPTY, &manifest(c, 0)).expect("flush");
    let bytes = fs::read(only_journal(dir.path())).expect("journal");
    let end = JOURNAL_HEADER_BYTES + RECORD_HEADER_BYTES + c.len();
    assert_eq!(bytes.len(), end + COMMIT_RECORD_BYTES);
    bytes[JOURNAL_HEADER_BYTES..end].to_vec()
}

#[test]
fn damage_inside_the_published_journal_is_reported() {
    let dir = TempDir::new("damage");
    let all = chunks("damage", 5);
    let mut store = open(dir.path()).expect("open");
    put_all(&mut store, &all);
    store.flush(&Manifest::EMPTY, &manifest(&all[0], 0)).expect("flush");
    drop(store);
    let journal = only_journal(dir.path());
    let pristine = fs::read(&journal).expect("journal");
    let header = record_offset(&journal, all[2].hash());

    // A damaged chunk's bytes: the store opens, refuses that chunk, serves the others.
    overwrite(&journal, (header + RECORD_HEADER_BYTES) as u64, b"X");
    let store = open(dir.path()).expect("open with a damaged chunk");
    let error = store.get(all[2].hash()).expect_err("damaged chunk");
    assert_eq!(error, Error::Corrupt(all[2].hash()));
    assert_eq!(error.code(), "chunk_corrupt");
    assert_readable(&store, &[all[0].clone(), all[4].clone()]);
    drop(store);

    // A store opened to relay chunks to readers who verify them hands the bytes on unchecked,
    // and they fail the receiver's check.
    let relay = FileStore::open_relay(NativeFiles::open(dir.path()).expect("files"))
        .expect("open to relay");
    let relayed = relay.get_many(&[all[2].hash(), all[3].hash()]).expect("read");
    let damaged = relayed[0].as_ref().expect("present");
    assert_eq!(
        Chunk::verified(all[2].hash(), damaged.data().to_vec()),
        Err(Error::Corrupt(all[2].hash()))
    );
    assert_eq!(relayed[1].as_ref(), Some(&all[3]));
    drop(relay);

    // A damaged record header inside the covered length: refused, never silently dropped.
    for at in [0, 5, 12, RECORD_HEADER_BYTES - 1] {
        fs::write(&journal, &pristine).expect("restore");
        overwrite(&journal, (header + at) as u64, &[pristine[header + at] ^ 0x40]);
        let error = open(dir.path()).err().expect("a damaged header is refused");
        assert_eq!(error.code(), "store_corrupt", "byte {at}: {error}");
    }

    // A journal shorter than the manifest covers, and a damaged manifest file.
    fs::write(&journal, &pristine[..pristine.len() - 1]).expect("shorten");
    assert_eq!(open(dir.path()).err().expect("short journal").code(), "store_corrupt");
    fs::write(&journal, &pristine).expect("restore");
    // A damaged manifest file, as a crash can leave one that was replaced without a sync, is
    // rebuilt from the journal's last commit record, durably.
    let manifest_path = dir.path().join(MANIFEST_FILE);
    let good_manifest = fs::read(&manifest_path).expect("manifest");
    let mut manifest_bytes = good_manifest.clone();
    manifest_bytes[30] ^= 1;
    fs::write(&manifest_path, &manifest_bytes).expect("damage the manifest");
    let store = open(dir.path()).expect("a damaged manifest file is rebuilt");
    assert_eq!(store.manifest().expect("manifest"), manifest(&all[0], 0));
    assert_readable(&store, &all[..2]);
    drop(store);
    assert_eq!(fs::read(&manifest_path).expect("manifest"), good_manifest);
    // Without a commit record to rebuild from, the damage is reported.
    fs::write(&manifest_path, &manifest_bytes).expect("damage the manifest");
    fs::write(&journal, &pristine[..pristine.len() - COMMIT_RECORD_BYTES]).expect("no commit");
    assert_eq!(open(dir.path()).err().expect("bad manifest").code(), "store_corrupt");
}

/// What a [`Faulty`] does to the operations that pass through it.
#[derive(Default)]
struct Plan {
    /// Operations (each 1) and written bytes (each 1) left before the process "crashes": the
    /// operation that runs out does only the part it could pay for, and every operation after
    /// it fails. `None`: never.
    crash_after: Option<u64>,
    /// The index of the one operation that fails (doing nothing); later ones work again.
    fail_op: Option<u64>,
    ops: u64,
    crashed: bool,
}

enum Step {
    Go,
    /// Do only this much of the write, then fail.
    Cut(u64),
    Fail,
}

/// `NativeFiles` that fail when the plan says, to test what a failure or crash leaves behind.
struct Faulty {
    inner: NativeFiles,
    dir: PathBuf,
    plan: Rc<RefCell<Plan>>,
}

impl Faulty {
    fn new(dir: &Path, plan: Plan) -> (Faulty, Rc<RefCell<Plan>>) {
        let plan = Rc::new(RefCell::new(plan));
        let inner = NativeFiles::open(dir).expect("native files");
        (Faulty { inner, dir: dir.to_path_buf(), plan: plan.clone() }, plan)
    }

    /// Accounts for an operation writing `bytes` (reads pass `None`: they fail only after a
    /// crash). A write costs one more than its bytes, so every cut from none of them to all of
    /// them but the final step happens at some budget.
    fn step(&self, bytes: Option<u64>) -> Step {
        let mut plan = self.plan.borrow_mut();
        if plan.crashed {
            return Step::Fail;
        }
        let Some(bytes) = bytes else { return Step::Go };
        let op = plan.ops;
        plan.ops += 1;
        if plan.fail_op == Some(op) {
            return Step::Fail;
        }
        if let Some(left) = plan.crash_after {
            if left < bytes + 1 {
                plan.crashed = true;
                return Step::Cut(left);
            }
            plan.crash_after = Some(left - bytes - 1);
        }
        Step::Go
    }

    fn failure(name: &str) -> Error {
        Error::Io(format!("injected failure on {name}"))
    }

    fn simple<T>(
        &mut self,
        name: &str,
        write: bool,
        op: impl FnOnce(&mut NativeFiles) -> Result<T, Error>,
    ) -> Result<T, Error> {
        match self.step(write.then_some(0)) {
            Step::Go => op(&mut self.inner),
            Step::Cut(_) | Step::Fail => Err(Faulty::failure(name)),
        }
    }
}

impl Files for Faulty {
    fn len(&mut self, name: &str) -> Result<Option<u64>, Error> {
        self.simple(name, false, |files| files.len(name))
    }
    fn read_at(&mut self, name: &str, offset: u64, len: usize) -> Result<Vec<u8>, Error> {
        self.simple(name, false, |files| files.read_at(name, offset, len))
    }
    fn read_all(&mut self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        self.simple(name, false, |files| files.read_all(name))
    }
    fn append(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        match self.step(Some(bytes.len() as u64)) {
            Step::Go => self.inner.append(name, bytes),
            Step::Cut(written) => {
                self.inner.append(name, &bytes[..written as usize])?;
                Err(Faulty::failure(name))
            }
            Step::Fail => Err(Faulty::failure(name)),
        }
    }
    fn sync(&mut self, name: &str) -> Result<(), Error> {
        self.simple(name, true, |files| files.sync(name))
    }
    fn truncate(&mut self, name: &str, len: u64) -> Result<(), Error> {
        self.simple(name, true, |files| files.truncate(name, len))
    }
    fn replace(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        // One step more than an append: after the rename, the directory fsync can still fail.
        match self.step(Some(bytes.len() as u64 + 1)) {
            Step::Go => self.inner.replace(name, bytes),
            Step::Cut(written) if written as usize > bytes.len() => {
                self.inner.replace(name, bytes)?;
                Err(Faulty::failure(name))
            }
            Step::Cut(written) => {
                let temporary = self.dir.join(format!("{name}.tmp"));
                fs::write(temporary, &bytes[..written as usize]).expect("partial temporary");
                Err(Faulty::failure(name))
            }
            Step::Fail => Err(Faulty::failure(name)),
        }
    }
    fn replace_volatile(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        match self.step(Some(bytes.len() as u64)) {
            Step::Go => self.inner.replace_volatile(name, bytes),
            Step::Cut(written) => {
                let temporary = self.dir.join(format!("{name}.tmp"));
                fs::write(temporary, &bytes[..written as usize]).expect("partial temporary");
                Err(Faulty::failure(name))
            }
            Step::Fail => Err(Faulty::failure(name)),
        }
    }
    fn create_new(&mut self, name: &str, bytes: &[u8]) -> Result<bool, Error> {
        self.simple(name, true, |files| files.create_new(name, bytes))
    }
    fn remove(&mut self, name: &str) -> Result<(), Error> {
        self.simple(name, true, |files| files.remove(name))
    }
    fn list(&mut self) -> Result<Vec<String>, Error> {
        self.simple("the directory", false, |files| files.list())
    }
    fn process_id(&self) -> u32 {
        self.inner.process_id()
    }
    fn process_alive(&self, pid: u32) -> bool {
        self.inner.process_alive(pid)
    }
    fn sleep_ms(&mut self, ms: u32) {
        self.inner.sleep_ms(ms);
    }
}

/// What a crashed process leaves: its lock, which its death releases (`process_alive` cannot
/// see that for this test's own process id).
fn bury(dir: &Path) {
    let _ = fs::remove_file(dir.join(LOCK_FILE));
}

#[test]
fn a_failed_flush_leaves_the_previous_state() {
    let dir = TempDir::new("failed");
    let old = chunks("old", 8);
    let new = chunks("new", 8);
    let before = manifest(&old[0], 0);
    let after = manifest(&new[0], 0);
    let mut op = 0;
    loop {
        dir.clear();
        let mut store = open(dir.path()).expect("open");
        put_all(&mut store, &old);
        store.flush(&Manifest::EMPTY, &before).expect("flush");
        drop(store);

        let (files, plan) = Faulty::new(dir.path(), Plan::default());
        let mut store = FileStore::open(files).expect("open");
        put_all(&mut store, &new);
        let opened_after = plan.borrow().ops;
        plan.borrow_mut().fail_op = Some(opened_after + op);
        let result = store.flush(&before, &after);
        bury(dir.path());
        let Err(error) = result else {
            // Every operation of the flush has had its turn to fail.
            assert!(op > 3, "a flush takes more than {op} operations");
            assert_readable(&open(dir.path()).expect("reopen"), &new);
            break;
        };
        assert_eq!(error.code(), "io", "operation {op}");
        let published = store.manifest().expect("manifest after the failure");
        // A failed directory fsync comes after the rename: the flush may be published.
        if published == before {
            assert_readable(&store, &old);
            assert!(
                has_none(&open(dir.path()).expect("observer"), &new),
                "operation {op}: {error}"
            );
            store.flush(&before, &after).expect("the buffer is kept: retry");
        } else {
            assert_eq!(published, after, "operation {op}");
        }
        drop(store);
        let store = open(dir.path()).expect("reopen");
        assert_eq!(store.manifest().expect("manifest"), after);
        assert_readable(&store, &old);
        assert_readable(&store, &new);
        op += 1;
    }
}

/// Runs `action` on a store opened through files that crash after `budget` bytes and
/// operations, for every budget until the action completes, and checks after each crash that
/// reopening gives `check` either the state before or the state after.
fn crash_everywhere(
    name: &str,
    prepare: impl Fn(&mut FileStore<NativeFiles>),
    action: impl Fn(&mut FileStore<Faulty>) -> Result<(), Error>,
    check: impl Fn(&FileStore<NativeFiles>, bool),
) -> u64 {
    let dir = TempDir::new(name);
    let mut budget = 0;
    loop {
        dir.clear();
        prepare(&mut open(dir.path()).expect("open"));
        let (files, plan) =
            Faulty::new(dir.path(), Plan { crash_after: Some(budget), ..Plan::default() });
        let done = FileStore::open(files).and_then(|mut store| action(&mut store)).is_ok();
        let crashed = plan.borrow().crashed;
        bury(dir.path());
        let store = open(dir.path()).expect("a crashed store reopens");
        check(&store, done);
        if done {
            // The action may still have crashed releasing the lock, after it was durable.
            return budget;
        }
        assert!(crashed, "budget {budget}: a failure without a crash");
        // The reopened store is whole: it takes another flush and keeps it.
        let mut store = store;
        let extra = chunk("after the crash");
        store.put(extra.clone()).expect("put");
        let current = store.manifest().expect("manifest");
        store.flush(&current, &manifest(&extra, 99)).expect("flush after the crash");
        drop(store);
        let store = open(dir.path()).expect("reopen");
        assert_readable(&store, &[extra]);
        budget += 1;
    }
}

#[test]
fn a_flush_cut_at_any_byte_reopens_old_or_new() {
    let old = chunks("old", 3);
    let new = chunks("new", 3);
    let before = manifest(&old[0], 0);
    let after = manifest(&new[0], 1);
    let budgets = crash_everywhere(
        "crash-flush",
        |store| {
            put_all(store, &old);
            store.flush(&Manifest::EMPTY, &before).expect("flush");
        },
        |store| {
            put_all(store, &new);
            store.flush(&before, &after)
        },
        |store, done| {
            let found = store.manifest().expect("manifest");
            assert!(found == before || found == after, "{found:?}");
            assert!(!done || found == after, "an acknowledged flush was lost");
            assert_readable(store, &old);
            if found == after {
                assert_readable(store, &new);
            } else {
                assert!(has_none(store, &new), "chunks of an unpublished flush are visible");
            }
        },
    );
    assert!(budgets > 3 * RECORD_HEADER_BYTES as u64, "the crashes cut inside the records");
}

#[test]
fn the_first_flush_cut_at_any_byte_reopens_empty_or_full() {
    let new = chunks("first", 2);
    let after = manifest(&new[0], 0);
    crash_everywhere(
        "crash-first",
        |_| {},
        |store| {
            put_all(store, &new);
            store.flush(&Manifest::EMPTY, &after)
        },
        |store, _| {
            let found = store.manifest().expect("manifest");
            assert!(found == Manifest::EMPTY || found == after, "{found:?}");
            if found == after {
                assert_readable(store, &new);
            }
        },
    );
}

#[test]
fn a_collection_cut_at_any_byte_keeps_every_kept_chunk() {
    let all = chunks("gc", 6);
    let keep: HashSet<Hash> = all.iter().step_by(2).map(Chunk::hash).collect();
    let kept: Vec<Chunk> = all.iter().step_by(2).cloned().collect();
    let published = manifest(&all[0], 3);
    crash_everywhere(
        "crash-gc",
        |store| {
            put_all(store, &all);
            store.flush(&Manifest::EMPTY, &published).expect("flush");
        },
        |store| store.collect_garbage(&published, &keep).map(|_| ()),
        |store, done| {
            assert_eq!(store.manifest().expect("manifest"), published);
            assert_readable(store, &kept);
            if done {
                let removed: Vec<Chunk> = all.iter().skip(1).step_by(2).cloned().collect();
                assert!(has_none(store, &removed));
            }
        },
    );
}

#[test]
fn collection_frees_space_and_survives_reopening() {
    let dir = TempDir::new("gc");
    let all: Vec<Chunk> = (0..100u8).map(|i| Chunk::new(vec![i; 1024])).collect();
    let kept: Vec<Chunk> = all.iter().step_by(10).cloned().collect();
    let keep: HashSet<Hash> = kept.iter().map(Chunk::hash).collect();
    let published = manifest(&all[0], 0);
    let mut store = open(dir.path()).expect("open");
    put_all(&mut store, &all);
    store.flush(&Manifest::EMPTY, &published).expect("flush");
    let old_journal = only_journal(dir.path());
    let before = fs::metadata(&old_journal).expect("journal").len();

    let stats = store.collect_garbage(&published, &keep).expect("gc");
    assert_eq!((stats.kept_chunks, stats.removed_chunks, stats.removed_bytes), (10, 90, 90 * 1024));
    let new_journal = only_journal(dir.path());
    assert_ne!(new_journal, old_journal, "a collection writes the next generation");
    let after = fs::metadata(&new_journal).expect("journal").len();
    assert!(after * 5 < before, "{after} bytes left of {before}");
    assert_eq!(after, covered(dir.path()));

    let more = chunks("after gc", 3);
    put_all(&mut store, &more);
    store.flush(&published, &manifest(&more[0], 0)).expect("flush after gc");
    drop(store);
    let store = open(dir.path()).expect("reopen");
    assert_readable(&store, &kept);
    assert_readable(&store, &more);
    let removed: Vec<Chunk> = all.iter().filter(|c| !keep.contains(&c.hash())).cloned().collect();
    assert!(has_none(&store, &removed));
}

#[test]
fn a_collection_sees_what_another_process_published() {
    let dir = TempDir::new("gc-refresh");
    let mut first = open(dir.path()).expect("open");
    let mut second = open(dir.path()).expect("open");
    let a = chunk("a");
    let b = chunk("b");
    first.put(a.clone()).expect("put");
    first.flush(&Manifest::EMPTY, &manifest(&a, 0)).expect("flush");
    second.put(b.clone()).expect("put");
    second.flush(&manifest(&a, 0), &manifest(&b, 0)).expect("flush");
    let keep: HashSet<Hash> = [b.hash()].into_iter().collect();
    first.collect_garbage(&manifest(&b, 0), &keep).expect("gc after catching up");
    assert_readable(&second, std::slice::from_ref(&b));
    assert!(has_none(&second, &[a]));
    second.put(chunk("c")).expect("put");
    second.flush(&manifest(&b, 0), &manifest(&b, 1)).expect("flush into the new generation");
    assert_readable(&open(dir.path()).expect("reopen"), &[b, chunk("c")]);
}

#[test]
fn a_lock_left_by_a_dead_or_half_created_owner_is_taken_over() {
    let dir = TempDir::new("lock");
    let a = chunk("a");
    // No process has this id: Linux caps process ids at 2^22.
    fs::write(dir.path().join(LOCK_FILE), b"4000000000").expect("stale lock");
    let mut store = open(dir.path()).expect("open");
    store.put(a.clone()).expect("put");
    store.flush(&Manifest::EMPTY, &manifest(&a, 0)).expect("flush takes over a dead lock");
    assert!(!dir.path().join(LOCK_FILE).exists(), "the lock is released");

    fs::write(dir.path().join(LOCK_FILE), b"").expect("empty lock");
    store.flush(&manifest(&a, 0), &manifest(&a, 1)).expect("flush takes over an empty lock");
    assert!(!dir.path().join(LOCK_FILE).exists(), "the lock is released");
}

#[test]
fn files_other_than_the_store_are_left_alone() {
    let dir = TempDir::new("others");
    fs::write(dir.path().join("README"), b"not ours").expect("write");
    let mut store = open(dir.path()).expect("open");
    let a = chunk("a");
    store.put(a.clone()).expect("put");
    store.flush(&Manifest::EMPTY, &manifest(&a, 0)).expect("flush");
    store.collect_garbage(&manifest(&a, 0), &HashSet::new()).expect("gc");
    assert_eq!(fs::read(dir.path().join("README")).expect("read"), b"not ours");
}

#[test]
fn opening_beside_a_live_writer_leaves_its_tail_alone() {
    let dir = TempDir::new("live-lock");
    let a = chunk("a");
    let mut store = open(dir.path()).expect("open");
    store.put(a.clone()).expect("put");
    store.flush(&Manifest::EMPTY, &manifest(&a, 0)).expect("flush");
    drop(store);
    // A writer in this (live) process is mid-flush: it holds the lock and has appended records
    // the manifest does not cover yet.
    let journal = only_journal(dir.path());
    fs::write(dir.path().join(LOCK_FILE), std::process::id().to_string()).expect("lock");
    append(&journal, b"records being written");
    let len = fs::metadata(&journal).expect("journal").len();
    let store = open(dir.path()).expect("open beside a writer");
    assert_eq!(fs::metadata(&journal).expect("journal").len(), len, "the writer's tail was cut");
    assert_readable(&store, &[a]);
}

/// Flushes `first` (epoch 0) then `second` (epoch 1) into a new store in `dir`, then puts back
/// the manifest file of the first flush, as a crash that lost the second's unsynced manifest
/// file leaves it. Returns the manifest file the second flush wrote.
fn lose_the_last_manifest_file(dir: &Path, first: &[Chunk], second: &[Chunk]) -> Vec<u8> {
    let manifest_path = dir.join(MANIFEST_FILE);
    let mut store = open(dir).expect("open");
    put_all(&mut store, first);
    store.flush(&Manifest::EMPTY, &manifest(&first[0], 0)).expect("flush");
    let stale = fs::read(&manifest_path).expect("manifest");
    put_all(&mut store, second);
    store.flush(&manifest(&first[0], 0), &manifest(&second[0], 1)).expect("flush");
    let current = fs::read(&manifest_path).expect("manifest");
    drop(store);
    fs::write(&manifest_path, &stale).expect("the manifest file as a crash left it");
    current
}

/// A crash can leave the manifest file behind the journal, since it is replaced without a sync
/// once the journal's commit record is durable: the opener adopts the last commit record, and
/// writes the manifest file durably.
#[test]
fn a_commit_whose_manifest_file_did_not_reach_the_disk_is_adopted_at_open() {
    let dir = TempDir::new("lagging");
    let (first, second) = (chunks("first", 4), chunks("second", 4));
    let manifest_path = dir.path().join(MANIFEST_FILE);
    let current = lose_the_last_manifest_file(dir.path(), &first, &second);
    let store = open(dir.path()).expect("reopen");
    assert_eq!(store.manifest().expect("manifest"), manifest(&second[0], 1));
    assert_readable(&store, &first);
    assert_readable(&store, &second);
    assert_eq!(fs::read(&manifest_path).expect("manifest"), current, "rewritten");
    drop(store);

    // The first flush's manifest file lost altogether: the journal alone says what it holds.
    fs::remove_file(&manifest_path).expect("remove the manifest file");
    let store = open(dir.path()).expect("reopen without a manifest file");
    assert_eq!(store.manifest().expect("manifest"), manifest(&second[0], 1));
    assert_readable(&store, &second);
}

/// A writer that opened while another process held the lock (so it could not repair) and then
/// found the manifest file lagging adopts the journal's last commit before its compare-and-swap.
#[test]
fn a_writer_adopts_a_lagging_commit_before_its_compare_and_swap() {
    let dir = TempDir::new("lagging-writer");
    let (first, second, third) = (chunks("first", 3), chunks("second", 3), chunks("third", 3));
    lose_the_last_manifest_file(dir.path(), &first, &second);

    // This process's id: a live owner, so the opener leaves repairs to it.
    fs::write(dir.path().join(LOCK_FILE), std::process::id().to_string()).expect("lock");
    let mut writer = open(dir.path()).expect("open beside the lock");
    assert_eq!(writer.manifest().expect("what the file says"), manifest(&first[0], 0));
    bury(dir.path());

    put_all(&mut writer, &third);
    let refused = writer.flush(&manifest(&first[0], 0), &manifest(&third[0], 0));
    assert_eq!(refused, Err(Error::Conflict { current: manifest(&second[0], 1) }));
    writer.flush(&manifest(&second[0], 1), &manifest(&third[0], 0)).expect("flush");
    drop(writer);
    let store = open(dir.path()).expect("reopen");
    assert_eq!(store.manifest().expect("manifest"), manifest(&third[0], 0));
    assert_readable(&store, &first);
    assert_readable(&store, &second);
    assert_readable(&store, &third);
}

/// A collection's new journal ends with a commit record too, so a damaged manifest file after
/// a collection is rebuilt from the new generation.
#[test]
fn a_damaged_manifest_file_after_a_collection_is_rebuilt_from_the_new_journal() {
    let dir = TempDir::new("gc-rebuild");
    let all = chunks("gc", 6);
    let keep: HashSet<Hash> = all[..3].iter().map(Chunk::hash).collect();
    let published = manifest(&all[0], 4);
    let mut store = open(dir.path()).expect("open");
    put_all(&mut store, &all);
    store.flush(&Manifest::EMPTY, &published).expect("flush");
    store.collect_garbage(&published, &keep).expect("gc");
    drop(store);
    fs::write(dir.path().join(MANIFEST_FILE), b"damaged").expect("damage the manifest file");
    let store = open(dir.path()).expect("rebuilt");
    assert_eq!(store.manifest().expect("manifest"), published);
    assert_readable(&store, &all[..3]);
    assert!(has_none(&store, &all[3..]));
}
