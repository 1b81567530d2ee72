//! The transfer plan between two stores: a full copy arrives whole (fsck clean, exactly the
//! chunks reachable), a one-row commit moves a handful of chunks, a transfer cut off after any
//! number of puts resumes without writing again what arrived, and chunks that do not match
//! their hashes or are missing at the source fail it with the path that reached them.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use cambium::chunk::{Chunk, ChunkStore, Hash, Manifest, MemoryStore};
use cambium::history::{fsck, Fsck, RefMap};
use cambium::sql::Session;
use cambium::sync::{Limits, Progress, Step, Transfer};

/// Rows in the source's table: enough for a row map and an index over many leaves.
const ROWS: usize = 6_000;

fn sql(session: &mut Session, store: &mut MemoryStore, text: &str) {
    session.execute(store, text).unwrap_or_else(|e| panic!("{text}: {e}"));
}

/// A store with a table of `ROWS` rows over two commits, a branch and a tag.
fn source() -> (MemoryStore, Session) {
    let mut store = MemoryStore::new();
    let mut session = Session::open(&mut store, "db").expect("session");
    sql(
        &mut session,
        &mut store,
        "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(100), KEY by_v (v))",
    );
    let values: Vec<String> =
        (0..ROWS).map(|i| format!("({i}, 'value number {}')", i * 7919 % 10_007)).collect();
    sql(&mut session, &mut store, &format!("INSERT INTO t VALUES {}", values.join(",")));
    sql(&mut session, &mut store, "CALL dolt_commit('-Am', 'rows')");
    sql(&mut session, &mut store, "CALL dolt_branch('side')");
    sql(&mut session, &mut store, "UPDATE t SET v = 'changed' WHERE id < 50");
    sql(&mut session, &mut store, "CALL dolt_commit('-am', 'changed')");
    sql(&mut session, &mut store, "CALL dolt_tag('v1')");
    (store, session)
}

/// Runs `transfer` from `source` into `dest`, writing each put as its own flush, until done
/// (`Ok`) or until it hands out a put past `puts_max`, which it drops (`Err` with the number of
/// chunks dropped), as a connection cut during that put would.
fn run(
    transfer: &mut Transfer,
    source: &dyn ChunkStore,
    dest: &mut dyn ChunkStore,
    puts_max: usize,
) -> Result<(), u64> {
    let mut puts = 0;
    loop {
        match transfer.step() {
            Step::Has(hashes) => {
                let present = dest.has_many(&hashes).expect("has");
                transfer.present(&present).expect("present");
            }
            Step::Get(hashes) => {
                let chunks = source.get_many(&hashes).expect("get");
                transfer.fetched(chunks).expect("fetched");
            }
            Step::Put(chunks) => {
                if puts == puts_max {
                    return Err(chunks.len() as u64);
                }
                puts += 1;
                for chunk in chunks {
                    dest.put(chunk).expect("put");
                }
                let manifest = dest.manifest().expect("manifest");
                dest.flush(&manifest, &manifest).expect("flush");
            }
            Step::Wait => unreachable!("every read is answered at once"),
            Step::Done => return Ok(()),
        }
    }
}

fn ref_map_of(store: &dyn ChunkStore) -> Hash {
    store.manifest().expect("manifest").root.expect("a repository")
}

/// Publishes `root` as the destination's ref map, as a backup's last step does.
fn publish(dest: &mut MemoryStore, root: Hash) {
    let current = dest.manifest().expect("manifest");
    dest.flush(&current, &Manifest { root: Some(root), epoch: current.epoch }).expect("publish");
}

fn small_limits() -> Limits {
    Limits { has_hashes_max: 64, get_hashes_max: 32, put_bytes_max: 64 << 10, ..Limits::default() }
}

fn copy_all(source: &MemoryStore, dest: &mut MemoryStore, limits: Limits) -> Progress {
    let mut transfer = Transfer::of_ref_map(ref_map_of(source), limits);
    run(&mut transfer, source, dest, usize::MAX).expect("done");
    transfer.progress()
}

#[test]
fn a_full_copy_holds_exactly_what_the_refs_reach() {
    let (source, _) = source();
    let mut dest = MemoryStore::new();
    let progress = copy_all(&source, &mut dest, Limits::default());
    publish(&mut dest, ref_map_of(&source));

    let report = fsck(&dest).expect("fsck");
    assert!(report.is_clean(), "{report}");
    let mut walk = Fsck::new(source.manifest().expect("manifest"));
    walk.advance(&source).expect("walk");
    let (_, reachable) = walk.reached();
    let (stored, _) = dest.published_size();
    assert_eq!(stored as u64, progress.written_chunks, "nothing written twice");
    // Every reachable chunk was written but the empty map's leaf, which every reader knows.
    let written = progress.written_chunks as usize;
    assert!(written == reachable.len() || written + 1 == reachable.len(), "{written}");
    assert_eq!(progress.pending_chunks, 0);
    assert!(progress.written_chunks > 100, "a table over many leaves: {progress:?}");
}

#[test]
fn a_one_row_commit_moves_a_few_chunks_in_few_steps() {
    let (mut source, mut session) = source();
    let mut dest = MemoryStore::new();
    copy_all(&source, &mut dest, Limits::default());

    sql(&mut session, &mut source, "UPDATE t SET v = 'one more' WHERE id = 4321");
    sql(&mut session, &mut source, "CALL dolt_commit('-am', 'one row')");
    let head = RefMap::read(&source, ref_map_of(&source)).expect("refs").refs["refs/heads/main"];
    let mut transfer = Transfer::of_refs([("refs/heads/main", head)], Limits::default());
    run(&mut transfer, &source, &mut dest, usize::MAX).expect("done");
    let progress = transfer.progress();
    // The commit, its root value, the table, and the changed path of the row map and of the
    // index: each a few levels deep.
    assert!(progress.written_chunks <= 12, "{progress:?}");
    assert!(progress.has_steps <= 6 && progress.get_steps <= 6, "{progress:?}");
    assert_eq!(progress.put_steps, 1);
}

#[test]
fn a_transfer_cut_off_after_any_put_resumes_without_sending_again() {
    let (source, _) = source();
    let mut whole = MemoryStore::new();
    let full = copy_all(&source, &mut whole, small_limits());
    assert!(full.put_steps > 8, "small batches: {full:?}");

    // Cut off at every put in turn: whatever arrived is complete below itself, so the
    // second run skips it and writes exactly the rest.
    for cut_after in 0..full.put_steps as usize {
        let mut dest = MemoryStore::new();
        let mut first = Transfer::of_ref_map(ref_map_of(&source), small_limits());
        let dropped = run(&mut first, &source, &mut dest, cut_after).expect_err("cut off");
        let mut second = Transfer::of_ref_map(ref_map_of(&source), small_limits());
        run(&mut second, &source, &mut dest, usize::MAX).expect("done");
        let written = first.progress().written_chunks - dropped + second.progress().written_chunks;
        assert_eq!(written, full.written_chunks, "cut after {cut_after} puts");
        publish(&mut dest, ref_map_of(&source));
        assert!(fsck(&dest).expect("fsck").is_clean(), "cut after {cut_after} puts");
    }
}

#[test]
fn a_chunk_that_does_not_match_its_hash_is_refused() {
    let (source, _) = source();
    let mut transfer = Transfer::of_ref_map(ref_map_of(&source), Limits::default());
    let Step::Has(hashes) = transfer.step() else { panic!("asks first") };
    transfer.present(&vec![false; hashes.len()]).expect("present");
    let Step::Get(hashes) = transfer.step() else { panic!("then reads") };
    let forged = vec![Some(Chunk::new(b"not the ref map".to_vec())); hashes.len()];
    let error = transfer.fetched(forged).expect_err("refused");
    assert!(error.to_string().contains("corrupt"), "{error}");
}

#[test]
fn a_chunk_missing_at_the_source_names_its_path() {
    let (source, _) = source();
    let mut transfer = Transfer::of_ref_map(ref_map_of(&source), Limits::default());
    let mut dest = MemoryStore::new();
    let mut reads = 0;
    let error = loop {
        match transfer.step() {
            Step::Has(hashes) => {
                let present = dest.has_many(&hashes).expect("has");
                transfer.present(&present).expect("present");
            }
            Step::Get(hashes) => {
                reads += 1;
                let mut chunks = source.get_many(&hashes).expect("get");
                // The third read is of the commits' root values and tables: drop one.
                if reads == 3 {
                    chunks[0] = None;
                }
                if let Err(error) = transfer.fetched(chunks) {
                    break error;
                }
            }
            Step::Put(chunks) => {
                for chunk in chunks {
                    dest.put(chunk).expect("put");
                }
            }
            Step::Wait => unreachable!("every read is answered at once"),
            Step::Done => panic!("a chunk was dropped"),
        }
    };
    let text = error.to_string();
    assert!(text.contains("missing at the source") && text.contains("refs/"), "{text}");
}

#[test]
fn reads_under_way_together_give_the_same_copy() {
    let (source, _) = source();
    let mut one = MemoryStore::new();
    let single = copy_all(&source, &mut one, small_limits());
    let limits = Limits { reads_in_flight_max: 3, ..small_limits() };
    let mut transfer = Transfer::of_ref_map(ref_map_of(&source), limits);
    let mut dest = MemoryStore::new();
    let mut under_way = std::collections::VecDeque::new();
    let mut most_under_way = 0;
    loop {
        match transfer.step() {
            Step::Has(hashes) => {
                transfer.present(&dest.has_many(&hashes).expect("has")).expect("present")
            }
            Step::Get(hashes) => {
                under_way.push_back(hashes);
                most_under_way = most_under_way.max(under_way.len());
            }
            Step::Wait => {
                let hashes = under_way.pop_front().expect("a read under way");
                transfer.fetched(source.get_many(&hashes).expect("get")).expect("fetched");
            }
            Step::Put(chunks) => {
                for chunk in chunks {
                    dest.put(chunk).expect("put");
                }
                let manifest = dest.manifest().expect("manifest");
                dest.flush(&manifest, &manifest).expect("flush");
            }
            Step::Done => break,
        }
    }
    assert_eq!(most_under_way, 3, "reads overlap");
    assert_eq!(transfer.progress().written_chunks, single.written_chunks);
    publish(&mut dest, ref_map_of(&source));
    assert!(fsck(&dest).expect("fsck").is_clean());
}
