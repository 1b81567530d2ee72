//! Packs: a peer that holds an older state and receives the pack of a newer one holds all of
//! it (fsck clean) after random edits, commits, branches and merges; a one-row commit packs a
//! handful of chunks; any prefix of a pack keeps the store complete below what it holds, so a
//! transfer finishes what an interrupted pack began; and the byte bound is kept.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod support;

use cambium::chunk::{
    Chunk, ChunkStore, Error as StoreError, GcStats, Hash, Manifest, MemoryStore,
};
use cambium::history::{fsck, RefMap};
use cambium::sql::Session;
use cambium::sync::{
    decode_chunks, decode_refs, encode_pack_request, pack, serve, Limits, PackRequest, Request,
    Step, Transfer,
};
use support::Rng;

fn sql(session: &mut Session, store: &mut MemoryStore, text: &str) {
    session.execute(store, text).unwrap_or_else(|e| panic!("{text}: {e}"));
}

fn refs(store: &MemoryStore) -> RefMap {
    let root = store.manifest().expect("manifest").root.expect("a repository");
    RefMap::read(store, root).expect("refs")
}

fn head(store: &MemoryStore, branch: &str) -> Hash {
    refs(store).refs[&format!("refs/heads/{branch}")]
}

/// Copies everything `from`'s ref map reaches into `to` and publishes that ref map there.
fn mirror(from: &MemoryStore, to: &mut MemoryStore) {
    let root = from.manifest().expect("manifest").root.expect("a repository");
    let mut transfer = Transfer::of_ref_map(root, Limits::default());
    loop {
        match transfer.step() {
            Step::Has(hashes) => {
                transfer.present(&to.has_many(&hashes).expect("has")).expect("present")
            }
            Step::Get(hashes) => {
                transfer.fetched(from.get_many(&hashes).expect("get")).expect("fetched")
            }
            Step::Put(chunks) => {
                for chunk in chunks {
                    to.put(chunk).expect("put");
                }
            }
            Step::Wait => unreachable!("every read is answered at once"),
            Step::Done => break,
        }
    }
    let current = to.manifest().expect("manifest");
    to.flush(&current, &Manifest { root: Some(root), epoch: 0 }).expect("publish");
}

/// Puts a pack's chunks (the first `take` of them) into `peer`, then points the peer's
/// `main` at `target` through a ref map chunk of its own and checks the peer with fsck.
fn receive(peer: &mut MemoryStore, chunks: &[cambium::chunk::Chunk], target: Hash) -> bool {
    for chunk in chunks {
        peer.put(chunk.clone()).expect("put");
    }
    let mut refs = refs(peer);
    refs.refs.insert("refs/heads/main".into(), target);
    refs.refs.retain(|name, _| !name.starts_with("workingSets/"));
    let root = refs.write(peer).expect("ref map");
    let current = peer.manifest().expect("manifest");
    peer.flush(&current, &Manifest { root: Some(root), epoch: 0 }).expect("publish");
    fsck(peer).expect("fsck").is_clean()
}

fn source() -> (MemoryStore, Session) {
    let mut store = MemoryStore::new();
    let mut session = Session::open(&mut store, "db").expect("session");
    sql(
        &mut session,
        &mut store,
        "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(40), b BLOB, KEY by_v (v))",
    );
    let values: Vec<String> =
        (0..4_000).map(|i| format!("({i}, 'v{}', NULL)", i * 31 % 997)).collect();
    sql(&mut session, &mut store, &format!("INSERT INTO t VALUES {}", values.join(",")));
    sql(&mut session, &mut store, "CALL dolt_commit('-Am', 'rows')");
    (store, session)
}

#[test]
fn a_one_row_commit_packs_a_few_chunks_and_completes_the_peer() {
    let (mut store, mut session) = source();
    let mut peer = MemoryStore::new();
    mirror(&store, &mut peer);
    let old = head(&store, "main");
    sql(&mut session, &mut store, "UPDATE t SET v = 'changed' WHERE id = 1234");
    sql(&mut session, &mut store, "CALL dolt_commit('-am', 'one row')");
    let new = head(&store, "main");
    let chunks =
        pack(&store, &[("refs/heads/main", new)], &[old], 1 << 20).expect("pack").expect("small");
    // The commit, its root value, the table, and a path of each of the two maps.
    assert!(chunks.len() <= 10, "{} chunks", chunks.len());
    let bytes: usize = chunks.iter().map(|c| c.len()).sum();
    assert!(bytes <= 32 << 10, "{bytes} bytes");
    assert!(receive(&mut peer, &chunks, new));
}

#[test]
fn packs_after_random_histories_complete_the_peer() {
    let mut rng = Rng::new(7);
    for round in 0..12 {
        let (mut store, mut session) = source();
        let mut peer = MemoryStore::new();
        mirror(&store, &mut peer);
        let old = head(&store, "main");
        let commits = 1 + rng.below(4);
        for c in 0..commits {
            for _ in 0..1 + rng.below(30) {
                let id = rng.below(5_000);
                let statement = match rng.below(4) {
                    0 => format!("DELETE FROM t WHERE id = {id}"),
                    1 => format!("REPLACE INTO t VALUES ({id}, 'r{round}c{c}', NULL)"),
                    2 => format!(
                        "REPLACE INTO t VALUES ({id}, 'big', REPEAT('x', {}))",
                        3_000 + rng.below(20_000)
                    ),
                    _ => format!(
                        "UPDATE t SET v = 'u{c}' WHERE id BETWEEN {id} AND {}",
                        id + rng.below(200)
                    ),
                };
                sql(&mut session, &mut store, &statement);
            }
            if rng.below(3) == 0 {
                sql(
                    &mut session,
                    &mut store,
                    &format!("CREATE TABLE IF NOT EXISTS n{c} (k INT PRIMARY KEY)"),
                );
                sql(&mut session, &mut store, &format!("INSERT INTO n{c} VALUES ({round})"));
            }
            sql(&mut session, &mut store, &format!("CALL dolt_commit('-Am', 'c{c}')"));
        }
        if rng.below(2) == 0 {
            // A branch with its own commit, merged back: a merge commit with two new parents.
            sql(&mut session, &mut store, "CALL dolt_checkout('-b', 'side', 'HEAD~1')");
            sql(
                &mut session,
                &mut store,
                &format!("INSERT INTO t VALUES ({}, 'side', NULL)", 10_000 + round),
            );
            sql(&mut session, &mut store, "CALL dolt_commit('-am', 'side')");
            sql(&mut session, &mut store, "CALL dolt_checkout('main')");
            sql(&mut session, &mut store, "CALL dolt_merge('side')");
        }
        let new = head(&store, "main");
        let chunks = pack(&store, &[("refs/heads/main", new)], &[old], 64 << 20)
            .expect("pack")
            .expect("within the bound");
        let mut receiving = MemoryStore::new();
        mirror(&peer, &mut receiving);
        assert!(receive(&mut receiving, &chunks, new), "round {round}");
    }
}

#[test]
fn a_cut_pack_leaves_complete_subtrees_that_a_transfer_finishes() {
    let (mut store, mut session) = source();
    let mut peer = MemoryStore::new();
    mirror(&store, &mut peer);
    let old = head(&store, "main");
    sql(&mut session, &mut store, "UPDATE t SET v = 'many' WHERE id % 50 = 0");
    sql(&mut session, &mut store, "CALL dolt_commit('-am', 'spread')");
    let new = head(&store, "main");
    let chunks =
        pack(&store, &[("refs/heads/main", new)], &[old], 64 << 20).expect("pack").expect("fits");
    assert!(chunks.len() > 20, "a spread change touches many leaves: {}", chunks.len());
    for cut in [0, 1, chunks.len() / 3, chunks.len() / 2, chunks.len() - 1] {
        let mut partial = MemoryStore::new();
        mirror(&peer, &mut partial);
        for chunk in &chunks[..cut] {
            partial.put(chunk.clone()).expect("put");
        }
        let mut transfer = Transfer::of_refs([("refs/heads/main", new)], Limits::default());
        let mut sent = 0;
        loop {
            match transfer.step() {
                Step::Has(hashes) => {
                    transfer.present(&partial.has_many(&hashes).expect("has")).expect("present")
                }
                Step::Get(hashes) => {
                    transfer.fetched(store.get_many(&hashes).expect("get")).expect("fetched")
                }
                Step::Put(put) => {
                    sent += put.len();
                    for chunk in put {
                        partial.put(chunk).expect("put");
                    }
                }
                Step::Wait => unreachable!("every read is answered at once"),
                Step::Done => break,
            }
        }
        assert_eq!(sent, chunks.len() - cut, "cut at {cut}: the transfer sends exactly the rest");
        assert!(receive(&mut partial, &[], new), "cut at {cut}");
    }
}

#[test]
fn the_byte_bound_and_unknown_haves() {
    let (mut store, mut session) = source();
    let old = head(&store, "main");
    sql(&mut session, &mut store, "UPDATE t SET v = 'x' WHERE id < 2000");
    sql(&mut session, &mut store, "CALL dolt_commit('-am', 'half')");
    let new = head(&store, "main");
    assert!(pack(&store, &[("refs/heads/main", new)], &[old], 4 << 10).expect("pack").is_none());
    // A have this store never saw is ignored: the pack is then everything the wants reach.
    let unknown = Hash::of(b"a commit from elsewhere");
    let everything = pack(&store, &[("refs/heads/main", new)], &[unknown], 64 << 20)
        .expect("pack")
        .expect("fits");
    let mut empty = MemoryStore::new();
    let mut peer_refs = RefMap { head: "main".into(), refs: Default::default() };
    for chunk in &everything {
        empty.put(chunk.clone()).expect("put");
    }
    peer_refs.refs.insert("refs/heads/main".into(), new);
    let root = peer_refs.write(&mut empty).expect("refs");
    empty.flush(&Manifest::EMPTY, &Manifest { root: Some(root), epoch: 0 }).expect("publish");
    assert!(fsck(&empty).expect("fsck").is_clean());
}

fn request<'a>(method: &'a str, endpoint: &'a str, body: &'a [u8]) -> Request<'a> {
    Request { method, endpoint, body, if_none_match: None }
}

#[test]
fn the_refs_and_pack_endpoints_answer_a_pull_in_two_requests() {
    let (mut store, mut session) = source();
    let mut peer = MemoryStore::new();
    mirror(&store, &mut peer);
    let old = head(&store, "main");
    sql(&mut session, &mut store, "UPDATE t SET v = 'pulled' WHERE id = 42");
    sql(&mut session, &mut store, "CALL dolt_commit('-am', 'one row')");
    let new = head(&store, "main");

    let answer = serve(&mut store, &request("GET", "refs", &[]));
    assert_eq!(answer.status, 200);
    let (manifest, ref_map) = decode_refs(&answer.body).expect("refs");
    assert_eq!(Some(manifest), store.manifest().ok());
    assert_eq!(ref_map.map(|chunk| chunk.hash()), manifest.root);
    let etag = answer.etag.expect("an etag");
    let unchanged = Request { if_none_match: Some(&etag), ..request("GET", "refs", &[]) };
    let answer = serve(&mut store, &unchanged);
    assert_eq!((answer.status, answer.body.len()), (304, 0));

    let body = encode_pack_request(&PackRequest { wants: vec![(false, new)], haves: vec![old] });
    let answer = serve(&mut store, &request("POST", "pack", &body));
    assert_eq!(answer.status, 200);
    let chunks = decode_chunks(&answer.body).expect("verified chunks");
    assert!(chunks.len() <= 10, "{} chunks", chunks.len());
    assert!(receive(&mut peer, &chunks, new));

    let answer = serve(&mut store, &request("POST", "pack", &body[..body.len() - 1]));
    assert_eq!(answer.status, 400, "{}", String::from_utf8_lossy(&answer.body));
    let unknown = Hash::of(b"no such commit");
    let body = encode_pack_request(&PackRequest { wants: vec![(false, unknown)], haves: vec![] });
    let answer = serve(&mut store, &request("POST", "pack", &body));
    assert_eq!(answer.status, 422, "{}", String::from_utf8_lossy(&answer.body));
    assert!(String::from_utf8_lossy(&answer.body).contains("bad_pack_request"));
}

/// A store that hands back other bytes for one chunk, as a server relaying a damaged chunk
/// from its disk unchecked would.
struct Damaged {
    store: MemoryStore,
    damaged: Hash,
}

impl ChunkStore for Damaged {
    fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, StoreError> {
        let mut chunks = self.store.get_many(hashes)?;
        for (hash, chunk) in hashes.iter().zip(chunks.iter_mut()) {
            if *hash == self.damaged {
                *chunk = Some(Chunk::new(b"damaged bytes".to_vec()));
            }
        }
        Ok(chunks)
    }
    fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, StoreError> {
        self.store.has_many(hashes)
    }
    fn put(&mut self, chunk: Chunk) -> Result<(), StoreError> {
        self.store.put(chunk)
    }
    fn manifest(&self) -> Result<Manifest, StoreError> {
        self.store.manifest()
    }
    fn flush(&mut self, expected: &Manifest, new: &Manifest) -> Result<(), StoreError> {
        self.store.flush(expected, new)
    }
    fn collect_garbage(
        &mut self,
        expected: &Manifest,
        keep: &std::collections::HashSet<Hash>,
    ) -> Result<GcStats, StoreError> {
        self.store.collect_garbage(expected, keep)
    }
}

#[test]
fn a_pack_over_a_store_relaying_a_damaged_chunk_fails_instead_of_leaving_chunks_out() {
    let (mut store, mut session) = source();
    let old = head(&store, "main");
    sql(&mut session, &mut store, "UPDATE t SET v = 'damaged' WHERE id = 99");
    sql(&mut session, &mut store, "CALL dolt_commit('-am', 'one row')");
    let new = head(&store, "main");
    // The old side's root value: read only to compare, never sent.
    let old_root = cambium::history::Commit::read(&store, old).expect("commit").root;
    let damaged = Damaged { store: store.handle(), damaged: old_root };
    let error = pack(&damaged, &[("refs/heads/main", new)], &[old], 1 << 20).expect_err("refused");
    assert!(error.to_string().contains("corrupt"), "{error}");
}
