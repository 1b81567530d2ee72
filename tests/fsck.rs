//! fsck over a repository with branches, a tag, a remote ref, a merge commit, a merge in progress
//! with conflicts, a configuration document and values large enough to go out of line: clean when
//! healthy, every damaged chunk reported with its path (not only the first), resumable across
//! `Missing` in few round trips, and walking exactly what garbage collection keeps.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use cambium::chunk::{
    Chunk, ChunkStore, Error as StoreError, GcStats, Hash, Manifest, MemoryStore,
};
use cambium::history::{
    fsck, Commit, CommitOptions, Fsck, FsckReport, MergeOptions, MergeOutcome, Problem,
    ProblemKind, RefMap, Repo, RootValue, Signature, Table, FSCK_PROBLEMS_MAX,
    WALK_BATCH_CHUNKS_MAX,
};
use cambium::prolly::Map;
use cambium::row::{self, Column, IndexDef, Schema, Value};

/// Rows of table `t`: enough for row and index maps of three levels, so that the chunks far
/// outnumber the walk's round trips.
const ROWS: i64 = 20_000;
/// Rows of `t` holding values that go out of line: one over several blob leaves (so its blob
/// tree has an internal root), one in a single blob leaf. They have the largest keys, so the
/// first leaf of the row map refers to no blob.
const BIG_ROW: i64 = ROWS - 2;
const BIG_BYTES: usize = 20_000;
const SMALL_BLOB_ROW: i64 = ROWS - 1;
const SMALL_BLOB_BYTES: usize = 3_000;

const KIND_MAP_NODE: u8 = 0x01;
const KIND_BLOB_NODE: u8 = 0x02;

fn sig(time_ms: i64) -> Signature {
    Signature::new("Ada", "ada@example.com", time_ms)
}

fn column(tag: u32, name: &str, sql_type: &str) -> Column {
    Column {
        tag,
        name: name.into(),
        sql_type: sql_type.into(),
        nullable: tag != 1,
        default: None,
        auto_increment: false,
    }
}

/// `t`: id, a (indexed), b (text, sometimes large).
fn schema_t() -> Schema {
    Schema {
        columns: vec![column(1, "id", "INT"), column(2, "a", "INT"), column(3, "b", "TEXT")],
        primary_key: vec![1],
        indexes: vec![IndexDef { name: "by_a".into(), columns: vec![2], unique: false }],
        ..Schema::default()
    }
}

/// `u`: a small table without indexes.
fn schema_u() -> Schema {
    Schema {
        columns: vec![column(1, "id", "INT"), column(2, "a", "INT")],
        primary_key: vec![1],
        ..Schema::default()
    }
}

fn key(id: i64) -> Vec<u8> {
    row::encode_key(&[Value::Int(id)]).unwrap()
}

/// Row edits of one table: id → (a, b), `None` deleting.
type Edits = Vec<(i64, Option<(i64, String)>)>;

/// Applies `edits` to table `name` (created with `schema` if absent) in the branch's working root.
fn write(repo: &mut Repo, branch: &str, name: &str, schema: Schema, edits: Edits) {
    let mut root = repo.working_root(branch).unwrap();
    let table = match root.tables.get(name) {
        Some(hash) => Table::read(repo.store(), *hash).unwrap(),
        None => Table::create(repo.store_mut(), schema).unwrap(),
    };
    let edits = edits
        .into_iter()
        .map(|(id, row)| {
            let cells = row.map(|(a, b)| {
                let mut cells = vec![(2, Value::Int(a))];
                if !b.is_empty() {
                    cells.push((3, Value::Text(b)));
                }
                row::encode_cells(&cells).unwrap()
            });
            (key(id), cells)
        })
        .collect();
    let table = table.edit_rows(repo.store_mut(), edits).unwrap();
    root.tables.insert(name.into(), table.write(repo.store_mut()).unwrap());
    repo.set_working_root(branch, &root).unwrap();
}

/// Sets column a of row `id` of `t`.
fn set_a(repo: &mut Repo, branch: &str, id: i64, a: i64) {
    write(repo, branch, "t", schema_t(), vec![(id, Some((a, format!("row {id}"))))]);
}

fn commit(repo: &mut Repo, branch: &str, message: &str, time: i64) -> Hash {
    let options =
        CommitOptions { all: true, allow_empty: true, ..CommitOptions::new(message, sig(time)) };
    repo.commit_staged(branch, &options).unwrap().hash
}

/// A published repository, and `c3`, a commit in the middle of main's history.
fn repository() -> (MemoryStore, Hash) {
    let mut store = MemoryStore::new();
    let mut repo = Repo::init(&mut store, &sig(0)).unwrap();
    let mut rows: Edits = (0..ROWS).map(|id| (id, Some((id % 50, format!("row {id}"))))).collect();
    rows[BIG_ROW as usize].1 = Some((0, "x".repeat(BIG_BYTES)));
    rows[SMALL_BLOB_ROW as usize].1 = Some((0, "y".repeat(SMALL_BLOB_BYTES)));
    write(&mut repo, "main", "t", schema_t(), rows);
    let small = (1..=3).map(|id| (id, Some((id, String::new())))).collect();
    write(&mut repo, "main", "u", schema_u(), small);
    commit(&mut repo, "main", "load", 1);
    set_a(&mut repo, "main", 5, 1000);
    let c2 = commit(&mut repo, "main", "two", 2);
    repo.create_tag("v1", c2, &sig(2), "first release").unwrap();
    set_a(&mut repo, "main", 6, 1000);
    let c3 = commit(&mut repo, "main", "three", 3);

    // A merge commit: two parents.
    repo.create_branch("feature", c3, false).unwrap();
    set_a(&mut repo, "feature", 7, 1000);
    commit(&mut repo, "feature", "feature", 4);
    set_a(&mut repo, "main", 8, 1000);
    let c4 = commit(&mut repo, "main", "four", 5);
    let feature = repo.branch_head("feature").unwrap();
    let merged = repo.merge("main", feature, "feature", &sig(6), &MergeOptions::default());
    assert!(matches!(merged.unwrap(), MergeOutcome::Committed { .. }));
    repo.set_remote_ref("origin", "main", Some(c4)).unwrap();

    // A merge left in progress with a conflict: the working set holds a merge state.
    let head = repo.branch_head("main").unwrap();
    repo.create_branch("side", head, false).unwrap();
    set_a(&mut repo, "side", 9, 1);
    let side = commit(&mut repo, "side", "side", 7);
    set_a(&mut repo, "main", 9, 2);
    commit(&mut repo, "main", "five", 8);
    let merged = repo.merge("main", side, "side", &sig(9), &MergeOptions::default());
    assert_eq!(merged.unwrap(), MergeOutcome::Uncommitted { conflicts: 1 });

    let config = Chunk::new(b"opaque configuration".to_vec());
    repo.set_config_ref("variables", Some(config.hash()));
    repo.store_mut().put(config).unwrap();

    // Garbage: a branch with its own rows, dropped.
    repo.create_branch("doomed", side, false).unwrap();
    let doomed = (0..500).map(|id| (ROWS + id, Some((id, "doomed".to_string())))).collect();
    write(&mut repo, "doomed", "t", schema_t(), doomed);
    commit(&mut repo, "doomed", "doomed", 10);
    repo.delete_branch("doomed", true).unwrap();
    repo.publish().unwrap();
    (store, c3)
}

fn refs(store: &dyn ChunkStore) -> RefMap {
    RefMap::read(store, store.manifest().unwrap().root.unwrap()).unwrap()
}

/// Table `name` of main's head commit.
fn head_table(store: &dyn ChunkStore, name: &str) -> (Hash, Table) {
    let head = Commit::read(store, refs(store).refs["refs/heads/main"]).unwrap();
    let hash = RootValue::read(store, head.root).unwrap().tables[name];
    (hash, Table::read(store, hash).unwrap())
}

/// A chunk's kind and level bytes.
fn kind_and_level(store: &dyn ChunkStore, hash: Hash) -> (u8, u8) {
    let chunk = store.get(hash).unwrap();
    (chunk.data()[0], chunk.data()[2])
}

/// Chunks of the head's table `t`, by kind.
struct Chunks {
    /// A leaf of the row map that refers to no blob.
    map_leaf: Hash,
    /// The index map's root, an internal node.
    index_root: Hash,
    /// A leaf of the large value's blob tree (not its root).
    blob_leaf: Hash,
    /// Table `u`'s chunk.
    table_u: Hash,
}

fn chunks(store: &dyn ChunkStore) -> Chunks {
    let (_, t) = head_table(store, "t");
    let hashes = t.rows.chunk_hashes(store).unwrap();
    let blobs: Vec<Hash> = (hashes.iter().copied())
        .filter(|h| kind_and_level(store, *h).0 == KIND_BLOB_NODE)
        .collect();
    let map_leaf = *hashes
        .iter()
        .find(|h| {
            let data = store.get(**h).unwrap().data().to_vec();
            kind_and_level(store, **h) == (KIND_MAP_NODE, 0)
                && !blobs.iter().any(|b| data.windows(20).any(|w| w == b.as_bytes()))
        })
        .unwrap();
    let blob_leaf = *blobs
        .iter()
        .find(|h| kind_and_level(store, **h).1 == 0 && store.get(**h).unwrap().len() == 4 + 4096)
        .unwrap();
    let index_root = t.indexes[0].1.root();
    assert!(kind_and_level(store, index_root).1 > 0, "the index map must have internal nodes");
    Chunks { map_leaf, index_root, blob_leaf, table_u: head_table(store, "u").0 }
}

/// A store in front of a `MemoryStore` that records what is asked of it, how often each chunk is
/// handed out, and what a collection keeps. When cold it answers `Missing` for every chunk not
/// loaded yet, as a cache in front of IndexedDB does.
struct Probe {
    inner: MemoryStore,
    cold: bool,
    loaded: RefCell<HashSet<Hash>>,
    loads: Cell<usize>,
    asked: RefCell<HashSet<Hash>>,
    served: RefCell<HashMap<Hash, usize>>,
    kept: RefCell<Option<HashSet<Hash>>>,
}

impl Probe {
    fn new(inner: MemoryStore, cold: bool) -> Probe {
        Probe {
            inner,
            cold,
            loaded: RefCell::default(),
            loads: Cell::new(0),
            asked: RefCell::default(),
            served: RefCell::default(),
            kept: RefCell::default(),
        }
    }

    fn load(&self, hashes: &[Hash]) {
        self.loads.set(self.loads.get() + 1);
        self.loaded.borrow_mut().extend(hashes.iter().copied());
    }
}

impl ChunkStore for Probe {
    fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, StoreError> {
        self.asked.borrow_mut().extend(hashes.iter().copied());
        if self.cold {
            let loaded = self.loaded.borrow();
            let missing: Vec<Hash> =
                hashes.iter().filter(|h| !loaded.contains(h)).copied().collect();
            if !missing.is_empty() {
                return Err(StoreError::Missing(missing));
            }
        }
        let chunks = self.inner.get_many(hashes)?;
        for chunk in chunks.iter().flatten() {
            *self.served.borrow_mut().entry(chunk.hash()).or_default() += 1;
        }
        Ok(chunks)
    }

    fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, StoreError> {
        self.inner.has_many(hashes)
    }

    fn put(&mut self, chunk: Chunk) -> Result<(), StoreError> {
        self.loaded.borrow_mut().insert(chunk.hash());
        self.inner.put(chunk)
    }

    fn manifest(&self) -> Result<Manifest, StoreError> {
        self.inner.manifest()
    }

    fn flush(&mut self, expected: &Manifest, new: &Manifest) -> Result<(), StoreError> {
        self.inner.flush(expected, new)
    }

    fn collect_garbage(
        &mut self,
        expected: &Manifest,
        keep: &HashSet<Hash>,
    ) -> Result<GcStats, StoreError> {
        *self.kept.borrow_mut() = Some(keep.clone());
        self.inner.collect_garbage(expected, keep)
    }
}

/// Drives a check through a cold store, loading what each `Missing` names; returns the report
/// and the number of round trips. Checks that no chunk is named again once loaded.
fn check_cold(probe: &Probe) -> (FsckReport, usize) {
    let mut check = Fsck::new(probe.manifest().unwrap());
    let mut named = HashSet::new();
    while let Err(error) = check.advance(probe) {
        let missing = error.missing().unwrap_or_else(|| panic!("only Missing stops: {error}"));
        assert!(!missing.is_empty() && missing.len() <= WALK_BATCH_CHUNKS_MAX, "{missing:?}");
        for hash in missing {
            assert!(named.insert(*hash), "{hash} was named again after it was loaded");
        }
        probe.load(missing);
    }
    (check.report(), probe.loads.get())
}

/// The set GC keeps, read through a probe.
fn kept_by_gc(store: &MemoryStore) -> (HashSet<Hash>, GcStats) {
    let mut probe = Probe::new(store.handle(), false);
    let stats = Repo::open(&mut probe).unwrap().gc().unwrap();
    let kept = probe.kept.borrow_mut().take().unwrap();
    (kept, stats)
}

fn short(hash: Hash) -> String {
    hash.to_string()[..8].to_string()
}

fn problem(report: &FsckReport, hash: Hash) -> &Problem {
    let found = report.problems.iter().find(|p| p.hash == hash);
    found.unwrap_or_else(|| panic!("{hash} is not reported:\n{report}"))
}

#[test]
fn a_healthy_repository_is_clean_and_walks_exactly_what_gc_keeps() {
    let (store, _) = repository();
    let (stored_chunks, _) = store.published_size();
    let report = fsck(&store).unwrap();
    assert!(report.is_clean(), "{report}");
    let text = report.to_string();
    assert!(text.starts_with(&format!("checked {} chunks (", report.chunks_checked)), "{text}");
    assert!(text.ends_with(" MB): no problems"), "{text}");
    assert!(report.chunks_checked < stored_chunks as u64, "the dropped branch left garbage");

    // Collect, then check through a probe: the chunks fsck asks for are exactly the set the
    // collection kept, each is handed out once, and the store now holds exactly the reachable
    // chunks, as many as fsck checked.
    let (kept, stats) = kept_by_gc(&store);
    let probe = Probe::new(store.handle(), false);
    let after = fsck(&probe).unwrap();
    assert!(after.is_clean(), "{after}");
    let walked = probe.asked.borrow().clone();
    let (only_fsck, only_gc) = (walked.difference(&kept), kept.difference(&walked));
    assert!(
        walked == kept,
        "fsck and garbage collection must reach the same chunks: only fsck {:?}, only gc {:?}",
        only_fsck.collect::<Vec<_>>(),
        only_gc.collect::<Vec<_>>()
    );
    assert!(probe.served.borrow().values().all(|&n| n == 1), "a chunk was read twice");
    assert_eq!(stats.kept_chunks, after.chunks_checked);
    let (chunks, bytes) = store.published_size();
    assert_eq!((chunks as u64, bytes as u64), (after.chunks_checked, after.bytes_checked));
    assert!(after.chunks_checked.abs_diff(report.chunks_checked) <= 2, "only gc's own records");
}

#[test]
fn an_empty_store_reports_nothing_and_a_missing_ref_map_is_a_problem() {
    let mut store = MemoryStore::new();
    let report = fsck(&store).unwrap();
    assert_eq!(report, FsckReport::default());
    assert!(report.is_clean());
    assert_eq!(report.to_string(), "checked 0 chunks (0 B): no problems");

    let absent = Hash::of(b"no such ref map");
    store.flush(&Manifest::EMPTY, &Manifest { root: Some(absent), epoch: 0 }).unwrap();
    let report = fsck(&store).unwrap();
    let expected =
        Problem { hash: absent, path: "manifest → ref map".into(), kind: ProblemKind::Missing };
    assert_eq!(report.problems, [expected]);
    assert!(!report.is_clean());
    assert_eq!(
        report.to_string(),
        format!("checked 0 chunks (0 B): 1 problem\nmissing chunk {absent} at manifest → ref map")
    );
}

#[test]
fn corrupt_chunks_of_every_kind_are_each_reported_with_their_path() {
    let (store, c3) = repository();
    let healthy = fsck(&store).unwrap();
    let chunks = chunks(&store);
    let damaged = [chunks.map_leaf, chunks.index_root, chunks.blob_leaf, chunks.table_u, c3];
    for hash in damaged {
        assert!(store.corrupt(hash, b"bit rot"));
    }
    let report = fsck(&store).unwrap();
    assert_eq!(report.problems.len(), damaged.len(), "each damaged chunk once:\n{report}");
    for hash in damaged {
        assert_eq!(problem(&report, hash).kind, ProblemKind::Corrupt);
    }
    let path = |hash| problem(&report, hash).path.clone();
    assert!(path(chunks.map_leaf).ends_with("→ table t → rows"), "{}", path(chunks.map_leaf));
    assert!(path(chunks.index_root).ends_with("→ table t → index by_a"));
    assert!(path(chunks.blob_leaf).ends_with("→ table t → rows → blob"));
    assert!(path(chunks.table_u).ends_with("→ root → table u"));
    assert!(path(c3).contains(&format!("commit {}", short(c3))), "{}", path(c3));
    assert!(report.chunks_checked < healthy.chunks_checked);
    let text = report.to_string();
    assert!(text.contains("5 problems"), "{text}");
    assert!(text.contains(&format!("corrupt chunk {} at ", chunks.blob_leaf)), "{text}");

    // Garbage collection walks the same way, and refuses to collect around a damaged chunk.
    let (before, _) = store.published_size();
    let mut handle = store.handle();
    let error = Repo::open(&mut handle).unwrap().gc().unwrap_err();
    assert_eq!(error.code(), "chunk_corrupt");
    assert!(store.published_size().0 >= before, "nothing was removed");
    assert_eq!(fsck(&store).unwrap().problems, report.problems);
}

#[test]
fn missing_chunks_are_each_reported_with_their_path() {
    let (mut store, c3) = repository();
    let chunks = chunks(&store);
    let tag = refs(&store).refs["refs/tags/v1"];
    let removed = [chunks.map_leaf, chunks.blob_leaf, tag, c3];
    let (mut keep, _) = kept_by_gc(&store);
    for hash in removed {
        assert!(keep.remove(&hash));
    }
    let manifest = store.manifest().unwrap();
    store.collect_garbage(&manifest, &keep).unwrap();

    let report = fsck(&store).unwrap();
    assert_eq!(report.problems.len(), removed.len(), "{report}");
    for hash in removed {
        assert_eq!(problem(&report, hash).kind, ProblemKind::Missing);
    }
    assert_eq!(problem(&report, tag).path, "refs/tags/v1");
    assert!(problem(&report, chunks.map_leaf).path.ends_with("→ table t → rows"));
    assert!(problem(&report, chunks.blob_leaf).path.ends_with("→ rows → blob"));
    assert!(report.to_string().contains(&format!("missing chunk {c3} at ")), "{report}");
}

/// A map node of `level` with one entry, `key` → (`child`, `count`), written by hand from
/// `docs/format.md`.
fn internal_node(level: u8, key: &[u8], child: Hash, count: u64) -> Chunk {
    let mut bytes = vec![KIND_MAP_NODE, 1, level, 0, 1, 0];
    for offset in [0, key.len() as u16, 0, 28] {
        bytes.extend_from_slice(&offset.to_le_bytes());
    }
    bytes.extend_from_slice(key);
    bytes.extend_from_slice(child.as_bytes());
    bytes.extend_from_slice(&count.to_le_bytes());
    Chunk::new(bytes)
}

/// A leaf with one entry, `key` → a value of `len` bytes out of line in the blob tree `blob`.
fn leaf_with_blob(key: &[u8], blob: Hash, len: u64) -> Chunk {
    let mut bytes = vec![KIND_MAP_NODE, 1, 0, 0, 1, 0];
    for offset in [0, key.len() as u16, 0, 29] {
        bytes.extend_from_slice(&offset.to_le_bytes());
    }
    bytes.extend_from_slice(key);
    bytes.push(0x01);
    bytes.extend_from_slice(blob.as_bytes());
    bytes.extend_from_slice(&len.to_le_bytes());
    Chunk::new(bytes)
}

#[test]
fn malformed_chunks_are_reported_with_the_reason() {
    let (mut store, _) = repository();
    let mut repo = Repo::open(&mut store).unwrap();
    // A remote ref naming a chunk that is not a commit.
    let not_a_commit = Chunk::new(b"not a commit".to_vec());
    repo.set_remote_ref("origin", "broken", Some(not_a_commit.hash())).unwrap();
    repo.store_mut().put(not_a_commit.clone()).unwrap();

    // Tables whose maps are broken in ways only the walk's cross-checks see: an internal node
    // one level too high for its child, one whose count disagrees with its child, and a leaf
    // referring to a blob of another length than the blob holds.
    let leaf = Map::build(repo.store_mut(), [(b"a", b"1"), (b"b", b"2")]).unwrap().root();
    let too_high = internal_node(2, b"b", leaf, 2);
    let miscounted_leaf = Map::build(repo.store_mut(), [(b"c", b"1")]).unwrap().root();
    let miscounted = internal_node(1, b"c", miscounted_leaf, 5);
    let blob = Chunk::new([&[KIND_BLOB_NODE, 1, 0, 0][..], &[7; 3000]].concat());
    let wrong_length = leaf_with_blob(b"k", blob.hash(), 3001);
    let garbage_rows = Chunk::new(vec![KIND_MAP_NODE, 1, 0, 0, 9]);
    let mut root = repo.working_root("main").unwrap();
    for (name, map) in [
        ("high", &too_high),
        ("count", &miscounted),
        ("length", &wrong_length),
        ("garbage", &garbage_rows),
    ] {
        let mut table = Table::create(repo.store_mut(), schema_u()).unwrap();
        table.rows = Map::from_root(map.hash());
        root.tables.insert(name.into(), table.write(repo.store_mut()).unwrap());
    }
    for chunk in [too_high, miscounted, wrong_length, garbage_rows.clone(), blob.clone()] {
        repo.store_mut().put(chunk).unwrap();
    }
    repo.set_working_root("main", &root).unwrap();
    repo.publish().unwrap();
    drop(repo);

    let report = fsck(&store).unwrap();
    let reason = |hash| match &problem(&report, hash).kind {
        ProblemKind::Malformed(reason) => reason.clone(),
        other => panic!("{hash} is {other:?}, not malformed"),
    };
    assert_eq!(report.problems.len(), 5, "{report}");
    assert_eq!(reason(not_a_commit.hash()), "not the expected kind of chunk");
    assert_eq!(
        problem(&report, not_a_commit.hash()).path,
        format!("refs/remotes/origin/broken → commit {}", short(not_a_commit.hash()))
    );
    assert!(reason(leaf).contains("parent"), "{}", reason(leaf));
    assert!(reason(miscounted_leaf).contains("parent"), "{}", reason(miscounted_leaf));
    assert!(reason(blob.hash()).contains("bytes"), "{}", reason(blob.hash()));
    assert_eq!(reason(garbage_rows.hash()), "map node size out of range");
    assert!(problem(&report, garbage_rows.hash()).path.ends_with("→ table garbage → rows"));
    let text = report.to_string();
    assert!(
        text.contains(&format!(
            "malformed chunk {} at {}: not the expected kind of chunk",
            not_a_commit.hash(),
            problem(&report, not_a_commit.hash()).path
        )),
        "{text}"
    );
}

/// The longest chain of commits any ref reaches: the heights of the heads, tips and merges.
fn longest_history(store: &dyn ChunkStore) -> u64 {
    let refs = refs(store).refs;
    let commits = refs
        .iter()
        .filter(|(name, _)| name.starts_with("refs/heads/") || name.starts_with("refs/remotes/"));
    let heights = commits.map(|(_, hash)| Commit::read(store, *hash).unwrap().height);
    // The in-progress merge's commit is a branch head too (`side`), and the tag is older.
    heights.max().unwrap()
}

#[test]
fn a_cold_store_is_checked_in_few_round_trips_with_the_same_report() {
    let (store, c3) = repository();
    let healthy = fsck(&store).unwrap();
    let probe = Probe::new(store.handle(), true);
    let (report, rounds) = check_cold(&probe);
    assert_eq!(report, healthy);
    assert!(probe.served.borrow().values().all(|&n| n == 1), "a chunk was read twice");

    // A round that is not a full batch reads the whole frontier, so it takes every chain of
    // chunks (each named only by the one before) one step further. The rounds are therefore at
    // most the full batches plus the longest chain: ref map → tag → every commit of the longest
    // history → root → table → map levels → blob levels.
    let (_, t) = head_table(&store, "t");
    let map_levels = u64::from(t.rows.stats(&store).unwrap().depth);
    let index_levels = u64::from(t.indexes[0].1.stats(&store).unwrap().depth);
    let blob_levels = 2;
    let chain = 2 + longest_history(&store) + 2 + map_levels.max(index_levels) + blob_levels;
    let full_batches = healthy.chunks_checked.div_ceil(WALK_BATCH_CHUNKS_MAX as u64);
    assert!(
        rounds as u64 <= full_batches + chain,
        "{rounds} rounds for {} chunks (chain {chain})",
        healthy.chunks_checked
    );
    assert!(
        (rounds as u64) * 10 < healthy.chunks_checked,
        "{rounds} rounds for {} chunks",
        healthy.chunks_checked
    );

    // A damaged repository through a cold store: batches that fail on a corrupt chunk are read
    // again chunk by chunk, and the report is still the synchronous one.
    let chunks = chunks(&store);
    for hash in [chunks.map_leaf, chunks.index_root, c3] {
        assert!(store.corrupt(hash, b"bit rot"));
    }
    let damaged = fsck(&store).unwrap();
    assert_eq!(damaged.problems.len(), 3);
    let (report, _) = check_cold(&Probe::new(store.handle(), true));
    assert_eq!(report, damaged);
}

#[test]
fn gc_through_a_cold_store_returns_missing_and_removes_nothing() {
    let (store, _) = repository();
    let (before, _) = store.published_size();
    let mut probe = Probe::new(store.handle(), true);
    probe.load(&[store.manifest().unwrap().root.unwrap()]);
    let error = Repo::open(&mut probe).unwrap().gc().unwrap_err();
    assert!(error.missing().is_some_and(|m| !m.is_empty()), "{error}");
    assert!(store.published_size().0 >= before, "nothing was removed");
    assert!(fsck(&store).unwrap().is_clean());
}

#[test]
fn problems_past_the_limit_are_counted_not_listed() {
    let mut store = MemoryStore::new();
    let mut repo = Repo::init(&mut store, &sig(0)).unwrap();
    let head = repo.branch_head("main").unwrap();
    let tags = FSCK_PROBLEMS_MAX + 100;
    let hashes: Vec<Hash> = (0..tags)
        .map(|i| repo.create_tag(&format!("t{i:05}"), head, &sig(1), &format!("{i}")).unwrap().hash)
        .collect();
    repo.publish().unwrap();
    drop(repo);
    for hash in &hashes {
        assert!(store.corrupt(*hash, b"bit rot"));
    }
    let report = fsck(&store).unwrap();
    assert_eq!(report.problems.len(), FSCK_PROBLEMS_MAX);
    assert_eq!(report.problems_omitted, 100);
    assert!(report.problems.iter().all(|p| p.kind == ProblemKind::Corrupt));
    let listed: HashSet<Hash> = report.problems.iter().map(|p| p.hash).collect();
    assert!(listed.is_subset(&hashes.iter().copied().collect()));
    let text = report.to_string();
    assert!(text.contains(&format!("{tags} problems")), "{text}");
    assert!(text.ends_with("… and 100 more problems"), "{text}");
    assert_eq!(text.lines().count(), 1 + FSCK_PROBLEMS_MAX + 1);
}

#[test]
fn the_summary_reads_as_a_person_would_write_it() {
    let report = |chunks_checked, bytes_checked| FsckReport {
        chunks_checked,
        bytes_checked,
        ..FsckReport::default()
    };
    assert_eq!(report(1, 999).to_string(), "checked 1 chunk (999 B): no problems");
    assert_eq!(report(1234, 5_600_000).to_string(), "checked 1234 chunks (5.6 MB): no problems");
    assert_eq!(report(2, 1_000).to_string(), "checked 2 chunks (1.0 kB): no problems");
    assert_eq!(report(2, 999_950).to_string(), "checked 2 chunks (1.0 MB): no problems");
    let hash = Hash::of(b"x");
    let broken = FsckReport {
        problems: vec![Problem {
            hash,
            path: "refs/heads/main → commit 0123abcd".into(),
            kind: ProblemKind::Malformed("chunk ends early".into()),
        }],
        ..report(3, 2_500)
    };
    assert_eq!(
        broken.to_string(),
        format!(
            "checked 3 chunks (2.5 kB): 1 problem\n\
             malformed chunk {hash} at refs/heads/main → commit 0123abcd: chunk ends early"
        )
    );
}
