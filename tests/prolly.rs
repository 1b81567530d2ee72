//! Prolly maps against a `BTreeMap` model: random edit sequences, ranges, diffs and merges agree;
//! history independence; golden root hashes; edge cases; and resumption after `Missing`.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod support;

use std::collections::BTreeMap;
use std::ops::Bound;

use cambium::chunk::{ChunkStore, MemoryStore};
use cambium::prolly::{Change, Conflict, Error, Map, Order, Resolution, KEY_BYTES_MAX};
use support::{key, publish, value, ColdStore, Rng};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

fn build(store: &mut MemoryStore, model: &Model) -> Map {
    Map::build(store, model.iter()).expect("build")
}

fn entries(map: &Map, store: &dyn ChunkStore) -> Vec<(Vec<u8>, Vec<u8>)> {
    map.iter(store).collect::<Result<_, _>>().expect("iterate")
}

fn model_diff(from: &Model, to: &Model) -> Vec<Change> {
    let mut keys: Vec<&Vec<u8>> = from.keys().chain(to.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| from.get(*k) != to.get(*k))
        .map(|k| Change { key: k.clone(), old: from.get(k).cloned(), new: to.get(k).cloned() })
        .collect()
}

/// A random batch of edits over keys `0..space`: sets (some of large values) and deletes.
fn random_edits(
    rng: &mut Rng,
    space: u64,
    count: usize,
    version: u64,
) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    (0..count)
        .map(|_| {
            let i = rng.below(space);
            let edit = match rng.below(10) {
                0..=2 => None,
                3 if rng.below(20) == 0 => {
                    let len = 5000 + rng.below(9000) as usize;
                    Some(rng.bytes(len))
                }
                _ => Some(value(i, version)),
            };
            (key(i), edit)
        })
        .collect()
}

fn apply_model(model: &mut Model, edits: &[(Vec<u8>, Option<Vec<u8>>)]) {
    for (k, v) in edits {
        match v {
            Some(v) => model.insert(k.clone(), v.clone()),
            None => model.remove(k),
        };
    }
}

fn random_bound(rng: &mut Rng, space: u64) -> Bound<Vec<u8>> {
    match rng.below(3) {
        0 => Bound::Unbounded,
        1 => Bound::Included(key(rng.below(space))),
        _ => Bound::Excluded(key(rng.below(space))),
    }
}

fn as_ref(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    bound.as_ref().map(Vec::as_slice)
}

#[test]
fn random_edit_sequences_agree_with_model() {
    for seed in 0..6 {
        let mut rng = Rng::new(seed);
        let mut store = MemoryStore::new();
        let space = [50, 3_000, 20_000][seed as usize % 3];
        let mut model = Model::new();
        let mut map = Map::empty(&mut store).unwrap();
        for round in 0..8 {
            let count = 1 + rng.below(space / 2 + 1) as usize;
            let mut edits = random_edits(&mut rng, space, count, round);
            if round % 2 == 1 {
                // Sorted edits without repeats, as a transaction hands them over, take the
                // path that neither sorts nor merges.
                let last: BTreeMap<_, _> = edits.into_iter().collect();
                edits = last.into_iter().collect();
            }
            let previous = (map, model.clone());
            map = map.edit(&mut store, edits.clone()).unwrap();
            apply_model(&mut model, &edits);

            assert_eq!(entries(&map, &store), model.clone().into_iter().collect::<Vec<_>>());
            assert_eq!(map.count(&store).unwrap(), model.len() as u64);
            // History independence: the same contents built in one pass give the same root.
            assert_eq!(map.root(), build(&mut store, &model).root(), "seed {seed} round {round}");
            for _ in 0..20 {
                let k = key(rng.below(space));
                assert_eq!(map.get(&store, &k).unwrap(), model.get(&k).cloned());
            }
            for _ in 0..10 {
                let (lower, upper) = (random_bound(&mut rng, space), random_bound(&mut rng, space));
                let valid = match (&lower, &upper) {
                    (
                        Bound::Included(a) | Bound::Excluded(a),
                        Bound::Included(b) | Bound::Excluded(b),
                    ) => a <= b,
                    _ => true,
                };
                if !valid || lower == upper && matches!(lower, Bound::Excluded(_)) {
                    continue;
                }
                let want: Vec<_> = model
                    .range((lower.clone(), upper.clone()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let forward: Vec<_> = map
                    .range(&store, as_ref(&lower), as_ref(&upper), Order::Ascending)
                    .collect::<Result<_, _>>()
                    .unwrap();
                assert_eq!(forward, want);
                let mut backward: Vec<_> = map
                    .range(&store, as_ref(&lower), as_ref(&upper), Order::Descending)
                    .collect::<Result<_, _>>()
                    .unwrap();
                backward.reverse();
                assert_eq!(backward, want);
            }
            let diff: Vec<Change> =
                previous.0.diff(&map, &store).collect::<Result<_, _>>().unwrap();
            assert_eq!(diff, model_diff(&previous.1, &model));
            let back: Vec<Change> =
                map.diff(&previous.0, &store).collect::<Result<_, _>>().unwrap();
            assert_eq!(back, model_diff(&model, &previous.1));
        }
    }
}

#[test]
fn insertion_order_does_not_change_the_root() {
    let mut store = MemoryStore::new();
    let mut rng = Rng::new(99);
    let n = 20_000u64;
    let mut order: Vec<u64> = (0..n).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut shuffled = Map::empty(&mut store).unwrap();
    for batch in order.chunks(997) {
        let edits = batch.iter().map(|&i| (key(i), Some(value(i, 0))));
        shuffled = shuffled.edit(&mut store, edits).unwrap();
    }
    let mut one_by_one = Map::empty(&mut store).unwrap();
    for &i in order.iter().take(300) {
        one_by_one = one_by_one.edit(&mut store, [(key(i), Some(value(i, 0)))]).unwrap();
    }
    let rest = order[300..].iter().map(|&i| (key(i), Some(value(i, 0))));
    one_by_one = one_by_one.edit(&mut store, rest).unwrap();
    let bulk = Map::build(&mut store, (0..n).map(|i| (key(i), value(i, 0)))).unwrap();
    assert_eq!(shuffled.root(), bulk.root());
    assert_eq!(one_by_one.root(), bulk.root());
    // Adding then removing extra entries returns to the same root.
    let extra = (n..n + 5_000).map(|i| (key(i), Some(value(i, 1))));
    let grown = bulk.edit(&mut store, extra).unwrap();
    let shrunk = grown.edit(&mut store, (n..n + 5_000).map(|i| (key(i), None))).unwrap();
    assert_eq!(shrunk.root(), bulk.root());
    assert!(bulk.stats(&store).unwrap().depth >= 2, "the test must cover internal levels");
}

#[test]
fn merges_agree_with_model() {
    for seed in 0..8 {
        let mut rng = Rng::new(1000 + seed);
        let mut store = MemoryStore::new();
        let space = 4_000;
        let base_model: Model =
            (0..space).filter(|_| rng.below(2) == 0).map(|i| (key(i), value(i, 0))).collect();
        let base = build(&mut store, &base_model);
        let our_edits = random_edits(&mut rng, space, 300, 1);
        let their_edits = random_edits(&mut rng, space, 300, 2);
        let ours = base.edit(&mut store, our_edits.clone()).unwrap();
        let theirs = base.edit(&mut store, their_edits.clone()).unwrap();
        let (mut our_model, mut their_model) = (base_model.clone(), base_model.clone());
        apply_model(&mut our_model, &our_edits);
        apply_model(&mut their_model, &their_edits);

        let policy = seed % 3;
        let outcome = Map::merge(&base, &ours, &theirs, &mut store, |_: &Conflict| match policy {
            0 => Resolution::Ours,
            1 => Resolution::Theirs,
            _ => Resolution::Conflict,
        })
        .unwrap();

        let mut expected = our_model.clone();
        let mut expected_conflicts = Vec::new();
        for change in model_diff(&base_model, &their_model) {
            let our_value = our_model.get(&change.key).cloned();
            let ours_changed = our_value != change.old;
            if ours_changed && our_value != change.new {
                if policy == 1 {
                    match &change.new {
                        Some(v) => expected.insert(change.key.clone(), v.clone()),
                        None => expected.remove(&change.key),
                    };
                }
                expected_conflicts.push(Conflict {
                    key: change.key,
                    base: change.old,
                    ours: our_value,
                    theirs: change.new,
                });
                continue;
            }
            match change.new {
                Some(v) => expected.insert(change.key, v),
                None => expected.remove(&change.key),
            };
        }
        assert_eq!(
            entries(&outcome.map, &store),
            expected.into_iter().collect::<Vec<_>>(),
            "seed {seed}"
        );
        if policy == 2 {
            assert_eq!(outcome.conflicts, expected_conflicts);
        } else {
            assert!(outcome.conflicts.is_empty());
        }
        assert!(!expected_conflicts.is_empty(), "the random edits must collide somewhere");
    }
}

#[test]
fn merge_policy_can_merge_values_itself() {
    let mut store = MemoryStore::new();
    let base = Map::build(&mut store, [(b"a", b"1"), (b"b", b"1")]).unwrap();
    let ours = base.edit(&mut store, [(b"a".to_vec(), Some(b"ours".to_vec()))]).unwrap();
    let theirs = base
        .edit(&mut store, [(b"a".to_vec(), Some(b"theirs".to_vec())), (b"b".to_vec(), None)])
        .unwrap();
    let outcome = Map::merge(&base, &ours, &theirs, &mut store, |c| {
        let mut joined = c.ours.clone().unwrap();
        joined.extend_from_slice(c.theirs.as_deref().unwrap());
        Resolution::Value(Some(joined))
    })
    .unwrap();
    assert_eq!(entries(&outcome.map, &store), vec![(b"a".to_vec(), b"ourstheirs".to_vec())]);
    assert_eq!(outcome.changes.len(), 2);
    assert_eq!(
        outcome.changes[1],
        Change { key: b"b".to_vec(), old: Some(b"1".to_vec()), new: None }
    );
    // Trivial merges return a side unchanged.
    let same = Map::merge(&base, &ours, &base, &mut store, |_| Resolution::Conflict).unwrap();
    assert_eq!(same.map, ours);
    let fast_forward =
        Map::merge(&base, &base, &theirs, &mut store, |_| Resolution::Conflict).unwrap();
    assert_eq!(fast_forward.map, theirs);
}

/// The golden data set: 10,000 entries of 16-byte keys and values derived from the index.
fn golden_entries() -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> {
    (0..10_000u64).map(|i| (key(i), format!("golden value {:016x}", i * 0x9E37_79B9).into_bytes()))
}

#[test]
fn golden_root_hashes() {
    let mut store = MemoryStore::new();
    let empty = Map::empty(&mut store).unwrap();
    assert_eq!(empty.root().to_string(), GOLDEN_EMPTY);
    let map = Map::build(&mut store, golden_entries()).unwrap();
    assert_eq!(map.root().to_string(), GOLDEN_10K);
    let stats = map.stats(&store).unwrap();
    assert_eq!((stats.depth, stats.chunks, stats.bytes), GOLDEN_10K_SHAPE);
    let big = vec![0xA5u8; 100_000];
    let with_blob = map.edit(&mut store, [(key(5), Some(big))]).unwrap();
    assert_eq!(with_blob.root().to_string(), GOLDEN_10K_BLOB);
}

const GOLDEN_EMPTY: &str = "2oq0s7ku4n2or11gai9fuitionn54pgp";
const GOLDEN_10K: &str = "jt1j3kp9414mifgp78qgv3bk9n8su0q0";
const GOLDEN_10K_SHAPE: (u8, u64, u64) = (3, 120, 506_912);
const GOLDEN_10K_BLOB: &str = "pesa1n2aia30090bun6i5rvbr3a591ah";

#[test]
fn edge_cases() {
    let mut store = MemoryStore::new();
    let empty = Map::empty(&mut store).unwrap();
    assert_eq!(entries(&empty, &store), vec![]);
    assert_eq!(empty.get(&store, b"x").unwrap(), None);
    assert_eq!(empty.count(&store).unwrap(), 0);
    assert_eq!(
        empty.range(&store, Bound::Unbounded, Bound::Unbounded, Order::Descending).count(),
        0
    );
    assert_eq!(empty.diff(&empty, &store).count(), 0);
    // Deleting absent keys changes nothing.
    assert_eq!(empty.edit(&mut store, [(b"x".to_vec(), None)]).unwrap(), empty);

    let one = empty.edit(&mut store, [(b"".to_vec(), Some(b"empty key".to_vec()))]).unwrap();
    assert_eq!(entries(&one, &store), vec![(vec![], b"empty key".to_vec())]);
    assert_eq!(one.edit(&mut store, [(b"zz".to_vec(), None)]).unwrap(), one);
    assert_eq!(one.edit(&mut store, [(b"".to_vec(), None)]).unwrap(), empty);

    // Duplicate keys in one batch: the last edit wins.
    let dup = empty
        .edit(
            &mut store,
            [
                (b"k".to_vec(), Some(b"1".to_vec())),
                (b"k".to_vec(), None),
                (b"k".to_vec(), Some(b"3".to_vec())),
            ],
        )
        .unwrap();
    assert_eq!(entries(&dup, &store), vec![(b"k".to_vec(), b"3".to_vec())]);

    // Huge values and the largest key.
    let huge = vec![7u8; 3 << 20];
    let big_key = vec![0xEEu8; KEY_BYTES_MAX];
    let map = Map::build(&mut store, (0..2_000u64).map(|i| (key(i), value(i, 0)))).unwrap();
    let map = map
        .edit(
            &mut store,
            [(key(1000), Some(huge.clone())), (big_key.clone(), Some(b"big key".to_vec()))],
        )
        .unwrap();
    assert_eq!(map.get(&store, &key(1000)).unwrap(), Some(huge.clone()));
    assert_eq!(map.get(&store, &big_key).unwrap(), Some(b"big key".to_vec()));
    let changes: Vec<Change> = map
        .diff(&map.edit(&mut store, [(key(1000), None)]).unwrap(), &store)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(changes, vec![Change { key: key(1000), old: Some(huge), new: None }]);

    // Limits are errors that change nothing.
    let too_long = vec![1u8; KEY_BYTES_MAX + 1];
    assert_eq!(
        map.edit(&mut store, [(too_long, Some(vec![]))]).unwrap_err().code(),
        "key_too_large"
    );
    assert_eq!(Map::build(&mut store, [(b"b", b""), (b"a", b"")]).unwrap_err(), Error::Unsorted);
    assert_eq!(Map::build(&mut store, [(b"a", b""), (b"a", b"")]).unwrap_err(), Error::Unsorted);
}

#[test]
fn one_entry_edit_writes_a_path() {
    let mut store = MemoryStore::new();
    let map = Map::build(&mut store, (0..200_000u64).map(|i| (key(i), value(i, 0)))).unwrap();
    publish(&mut store);
    let depth = map.stats(&store).unwrap().depth as usize;
    let mut rng = Rng::new(5);
    for _ in 0..200 {
        let i = rng.below(200_000);
        let edit = if rng.below(2) == 0 { None } else { Some(value(i, 9)) };
        let mut handle = store.handle();
        map.edit(&mut handle, [(key(i), edit)]).unwrap();
        let (chunks, bytes) = handle.buffered();
        assert!(chunks <= depth + 1, "{chunks} chunks for one edit at depth {depth}");
        assert!(bytes <= 40 << 10, "{bytes} bytes for one edit");
    }
}

#[test]
fn cold_store_operations_resume_after_missing() {
    let mut warm = MemoryStore::new();
    let n = 30_000u64;
    let map = Map::build(&mut warm, (0..n).map(|i| (key(i), value(i, 0)))).unwrap();
    let changed =
        map.edit(&mut warm, [(key(17), None), (key(20_000), Some(b"x".to_vec()))]).unwrap();
    let with_blob = map.edit(&mut warm, [(key(3), Some(vec![1u8; 50_000]))]).unwrap();
    publish(&mut warm);
    let leaves = map.stats(&warm).unwrap().leaf_chunks as usize;

    let cold = ColdStore::new(warm.handle());
    let mut scan = map.iter(&cold);
    let mut seen = Vec::new();
    while let Some(item) = cold.drive(|| scan.next().transpose()).transpose() {
        seen.push(item.unwrap());
    }
    assert_eq!(seen, entries(&map, &warm));
    // Readahead: a cold scan asks once per stretch of leaves, not once per leaf.
    assert!(cold.trips.get() <= leaves / 16 + 8, "{} trips for {leaves} leaves", cold.trips.get());

    let mut scan =
        map.range(&cold, Bound::Unbounded, Bound::Included(&key(5_000)), Order::Descending);
    let mut count = 0;
    while let Some(item) = cold.drive(|| scan.next().transpose()).transpose() {
        item.unwrap();
        count += 1;
    }
    assert_eq!(count, 5_001);

    let mut diff = map.diff(&changed, &cold);
    let mut changes = Vec::new();
    while let Some(change) = cold.drive(|| diff.next().transpose()).transpose() {
        changes.push(change.unwrap().key);
    }
    assert_eq!(changes, vec![key(17), key(20_000)]);
    assert_eq!(cold.drive(|| with_blob.get(&cold, &key(3))).unwrap(), Some(vec![1u8; 50_000]));
    // An edit answers Missing until every node it reads is resident, and writes nothing before.
    let mut writer = ColdStore::new(warm.handle());
    let edited = loop {
        match map.edit(&mut writer, [(key(1), None)]) {
            Err(error) if error.missing().is_some() => {
                assert_eq!(writer.inner.buffered().0, 0, "a failed edit wrote chunks");
                let hashes = error.missing().unwrap().to_vec();
                writer.load(&hashes);
            }
            other => break other.unwrap(),
        }
    };
    assert_eq!(edited, map.edit(&mut warm.handle(), [(key(1), None)]).unwrap());
}

/// Every chunk an operation writes is part of the tree it returns: nothing unreachable is left
/// for garbage collection, and nothing the tree needs is missing.
#[test]
fn writes_are_exactly_the_new_tree() {
    use std::collections::HashSet;
    let base_store = MemoryStore::new();
    let check = |map: &Map, handle: &MemoryStore, base: Option<&Map>| {
        let tree: HashSet<_> = map.chunk_hashes(handle).unwrap().into_iter().collect();
        let old: HashSet<_> =
            base.map_or(HashSet::new(), |b| b.chunk_hashes(handle).unwrap().into_iter().collect());
        let new_chunks: HashSet<_> = tree.difference(&old).copied().collect();
        assert_eq!(
            handle.buffered().0,
            new_chunks.len(),
            "written chunks are exactly the new tree's new chunks"
        );
    };
    for len in [600usize, 1500, 2999, KEY_BYTES_MAX] {
        let mut handle = base_store.handle();
        let map = Map::build(&mut handle, [(vec![b'x'; len], b"one big key".to_vec())]).unwrap();
        check(&map, &handle, None);
    }
    let mut handle = base_store.handle();
    let built = Map::build(&mut handle, (0..20_000u64).map(|i| (key(i), value(i, 0)))).unwrap();
    check(&built, &handle, None);
    publish(&mut handle);
    let mut handle = base_store.handle();
    let map = built.edit(&mut handle, [(key(3), Some(vec![9u8; 30_000]))]).unwrap();
    check(&map, &handle, Some(&built));
    publish(&mut handle);
    // Shrinking to a handful of entries drops levels; growing back adds them.
    let mut edit_handle = base_store.handle();
    let small = map.edit(&mut edit_handle, (5..20_000u64).map(|i| (key(i), None))).unwrap();
    assert_eq!(small.stats(&edit_handle).unwrap().depth, 1);
    check(&small, &edit_handle, Some(&map));
    publish(&mut edit_handle);
    let mut grow_handle = edit_handle.handle();
    let grown =
        small.edit(&mut grow_handle, (5..20_000u64).map(|i| (key(i), Some(value(i, 0))))).unwrap();
    check(&grown, &grow_handle, Some(&small));
    assert_eq!(grown.root(), map.root());
}

/// Nodes whose bytes hash correctly but are damaged (as a hostile peer could send) are refused
/// with `chunk_malformed`; reading them never panics and never yields garbage silently.
#[test]
fn malformed_nodes_are_errors_not_panics() {
    let mut store = MemoryStore::new();
    let map = Map::build(&mut store, (0..300u64).map(|i| (key(i), value(i, 0)))).unwrap();
    let with_blob = map.edit(&mut store, [(key(7), Some(vec![3u8; 9_000]))]).unwrap();
    let mut rng = Rng::new(4242);
    let mut refused = 0;
    for round in 0..2_000 {
        let source = if round % 2 == 0 { map } else { with_blob };
        let hashes = source.chunk_hashes(&store).unwrap();
        let victim = hashes[rng.below(hashes.len() as u64) as usize];
        let mut bytes = store.get(victim).unwrap().data().to_vec();
        for _ in 0..1 + rng.below(3) {
            match rng.below(3) {
                0 if !bytes.is_empty() => {
                    let at = rng.below(bytes.len() as u64) as usize;
                    bytes[at] ^= 1 << rng.below(8);
                }
                1 => bytes.truncate(rng.below(bytes.len() as u64 + 1) as usize),
                _ => {
                    let extra = 1 + rng.below(8) as usize;
                    bytes.extend(rng.bytes(extra));
                }
            }
        }
        let damaged = cambium::chunk::Chunk::new(bytes);
        let mut handle = store.handle();
        handle.put(damaged.clone()).unwrap();
        // Reading the damaged chunk as a root runs the same decoder every level uses.
        let probe = Map::from_root(damaged.hash());
        let outcomes = [
            probe.iter(&handle).collect::<Result<Vec<_>, _>>().err(),
            probe.get(&handle, &key(150)).err(),
            probe.stats(&handle).err(),
            probe.diff(&map, &handle).collect::<Result<Vec<_>, _>>().err(),
        ];
        for error in outcomes.into_iter().flatten() {
            assert!(
                matches!(error.code(), "chunk_malformed" | "chunk_not_found"),
                "unexpected error {error}"
            );
            refused += 1;
        }
    }
    assert!(refused > 1_000, "most damaged nodes must be refused, got {refused}");
}
