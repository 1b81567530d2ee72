//! The history layer against a simple model: random histories of commits, branches, merges and
//! resets; the merge matrix of row changes; pinned commit hashes; garbage collection.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

mod support;

use std::collections::{BTreeMap, HashSet};

use cambium::chunk::{ChunkStore, Hash, MemoryStore};
use cambium::history::{
    diff_roots, CommitOptions, Error, MergeOptions, MergeOutcome, Repo, ResetMode, RootValue, Side,
    Signature, Table, TableChange,
};
use cambium::row::{self, Column, IndexDef, Schema, Value};
use support::Rng;

const ID: u32 = 1;
const A: u32 = 2;
const B: u32 = 3;

fn schema() -> Schema {
    let column = |tag, name: &str, sql_type: &str| Column {
        tag,
        name: name.into(),
        sql_type: sql_type.into(),
        nullable: tag != ID,
        default: None,
        auto_increment: false,
    };
    Schema {
        columns: vec![column(ID, "id", "INT"), column(A, "a", "INT"), column(B, "b", "VARCHAR(8)")],
        primary_key: vec![ID],
        indexes: vec![IndexDef { name: "by_a".into(), columns: vec![A], unique: false }],
        ..Schema::default()
    }
}

/// A row's non-key cells in the model: column a and column b, `None` meaning NULL.
type Cells = (Option<i64>, Option<String>);
type Rows = BTreeMap<i64, Cells>;

fn sig(time_ms: i64) -> Signature {
    Signature::new("Ada", "ada@example.com", time_ms)
}

fn key(id: i64) -> Vec<u8> {
    row::encode_key(&[Value::Int(id)]).unwrap()
}

fn cells(c: &Cells) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(a) = c.0 {
        out.push((A, Value::Int(a)));
    }
    if let Some(b) = &c.1 {
        out.push((B, Value::Text(b.clone())));
    }
    row::encode_cells(&out).unwrap()
}

fn decode_cells(bytes: &[u8]) -> Cells {
    let mut out = (None, None);
    for (tag, value) in row::decode_cells(bytes).unwrap() {
        match (tag, value) {
            (A, Value::Int(a)) => out.0 = Some(a),
            (B, Value::Text(b)) => out.1 = Some(b),
            other => panic!("unexpected cell {other:?}"),
        }
    }
    out
}

/// Reads table `t` of a root as model rows, checking its index matches the rows.
fn read_rows(store: &dyn ChunkStore, root: &RootValue) -> Option<Rows> {
    let hash = root.tables.get("t")?;
    let table = Table::read(store, *hash).unwrap();
    let rows: Rows = table
        .rows
        .iter(store)
        .map(|entry| {
            let (k, v) = entry.unwrap();
            let Value::Int(id) = row::decode_key(&k).unwrap()[0] else { panic!("bad key") };
            (id, decode_cells(&v))
        })
        .collect();
    let index: Vec<Vec<u8>> = table.indexes[0].1.iter(store).map(|e| e.unwrap().0).collect();
    let mut expected: Vec<Vec<u8>> = rows
        .iter()
        .map(|(id, c)| {
            let a = c.0.map_or(Value::Null, Value::Int);
            row::encode_key(&[a, Value::Int(*id)]).unwrap()
        })
        .collect();
    expected.sort();
    assert_eq!(index, expected, "the index must follow the rows");
    Some(rows)
}

/// Writes model rows as table `t` into the branch's working root.
fn write_rows(repo: &mut Repo, branch: &str, rows: &Rows) {
    let mut root = repo.working_root(branch).unwrap();
    if rows.is_empty() && !root.tables.contains_key("t") {
        return;
    }
    let table = match root.tables.get("t") {
        Some(hash) => Table::read(repo.store(), *hash).unwrap(),
        None => Table::create(repo.store_mut(), schema()).unwrap(),
    };
    let current = read_rows(repo.store(), &root).unwrap_or_default();
    let mut edits = Vec::new();
    for id in current.keys().chain(rows.keys()).collect::<std::collections::BTreeSet<_>>() {
        if current.get(id) != rows.get(id) {
            edits.push((key(*id), rows.get(id).map(cells)));
        }
    }
    let table = table.edit_rows(repo.store_mut(), edits).unwrap();
    root.tables.insert("t".into(), table.write(repo.store_mut()).unwrap());
    repo.set_working_root(branch, &root).unwrap();
}

/// The model's three-way merge: per row, then per cell; `Err(())` marks a conflict.
fn model_merge_row(
    base: Option<&Cells>,
    ours: Option<&Cells>,
    theirs: Option<&Cells>,
) -> Result<Option<Cells>, ()> {
    if ours == theirs || theirs == base {
        return Ok(ours.cloned());
    }
    if ours == base {
        return Ok(theirs.cloned());
    }
    let (Some(b), Some(o), Some(t)) = (base, ours, theirs) else {
        return Err(());
    };
    fn cell<T: PartialEq + Clone>(b: &T, o: &T, t: &T) -> Result<T, ()> {
        if o == t || t == b {
            Ok(o.clone())
        } else if o == b {
            Ok(t.clone())
        } else {
            Err(())
        }
    }
    Ok(Some((cell(&b.0, &o.0, &t.0)?, cell(&b.1, &o.1, &t.1)?)))
}

fn model_merge(base: &Rows, ours: &Rows, theirs: &Rows) -> (Rows, Vec<i64>) {
    let ids: std::collections::BTreeSet<&i64> =
        base.keys().chain(ours.keys()).chain(theirs.keys()).collect();
    let mut merged = Rows::new();
    let mut conflicts = Vec::new();
    for id in ids {
        match model_merge_row(base.get(id), ours.get(id), theirs.get(id)) {
            Ok(Some(row)) => {
                merged.insert(*id, row);
            }
            Ok(None) => {}
            Err(()) => {
                conflicts.push(*id);
                if let Some(row) = ours.get(id) {
                    merged.insert(*id, row.clone());
                }
            }
        }
    }
    (merged, conflicts)
}

fn random_rows(rng: &mut Rng, rows: &Rows) -> Rows {
    let mut rows = rows.clone();
    for _ in 0..1 + rng.below(4) {
        let id = rng.below(12) as i64;
        match rng.below(4) {
            0 => {
                rows.remove(&id);
            }
            1 => {
                let b = ["x", "y", "z"][rng.below(3) as usize].to_string();
                rows.entry(id).or_insert((None, None)).1 = Some(b);
            }
            2 => {
                rows.entry(id).or_insert((None, None)).0 = Some(rng.below(3) as i64);
            }
            _ => {
                rows.insert(id, (Some(rng.below(3) as i64), None));
            }
        }
    }
    rows
}

fn head_rows(repo: &Repo, branch: &str) -> Rows {
    let head = repo.commit(repo.branch_head(branch).unwrap()).unwrap();
    read_rows(repo.store(), &repo.root(head.root).unwrap()).unwrap_or_default()
}

/// Every commit reachable from `hash` in the model DAG.
fn ancestors(parents: &BTreeMap<Hash, Vec<Hash>>, hash: Hash) -> HashSet<Hash> {
    let mut out = HashSet::new();
    let mut stack = vec![hash];
    while let Some(h) = stack.pop() {
        if out.insert(h) {
            stack.extend(parents[&h].iter().copied());
        }
    }
    out
}

#[test]
fn random_histories_agree_with_model() {
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for seed in 0..12 {
        let mut rng = Rng::new(seed);
        let mut store = MemoryStore::new();
        let mut repo = Repo::init(&mut store, &sig(0)).unwrap();
        let mut time = 1;
        // The model: each commit's rows and parents; each branch's head and working rows.
        let first = repo.branch_head("main").unwrap();
        let mut contents: BTreeMap<Hash, Rows> = BTreeMap::from([(first, Rows::new())]);
        let mut parents: BTreeMap<Hash, Vec<Hash>> = BTreeMap::from([(first, vec![])]);
        let mut working: BTreeMap<String, Rows> = BTreeMap::from([("main".into(), Rows::new())]);
        let mut current = "main".to_string();
        for step in 0..80 {
            time += 1;
            let branches: Vec<String> = working.keys().cloned().collect();
            let op = rng.below(10);
            if op <= 3 {
                let rows = random_rows(&mut rng, &working[&current]);
                write_rows(&mut repo, &current, &rows);
                working.insert(current.clone(), rows);
            }
            match op {
                0 => {}
                1..=3 => {
                    let options = CommitOptions {
                        all: true,
                        ..CommitOptions::new(&format!("step {step}"), sig(time))
                    };
                    let head = repo.branch_head(&current).unwrap();
                    match repo.commit_staged(&current, &options) {
                        Ok(commit) => {
                            assert_eq!(commit.parents, vec![head]);
                            contents.insert(commit.hash, working[&current].clone());
                            parents.insert(commit.hash, commit.parents.clone());
                        }
                        Err(Error::NothingToCommit) => {
                            assert_eq!(contents[&head], working[&current])
                        }
                        Err(other) => panic!("commit failed: {other}"),
                    }
                }
                4 if working.len() < 4 => {
                    let name = format!("b{step}");
                    let head = repo.branch_head(&current).unwrap();
                    repo.create_branch(&name, head, false).unwrap();
                    working.insert(name, contents[&head].clone());
                }
                4 | 5 => {
                    current = branches[rng.below(branches.len() as u64) as usize].clone();
                    repo.switch_branch(&current).unwrap();
                }
                6..=8 => {
                    let others: Vec<&String> = branches.iter().filter(|b| **b != current).collect();
                    let Some(other) = others.get(rng.below(others.len().max(1) as u64) as usize)
                    else {
                        continue;
                    };
                    let other = (*other).clone();
                    let head = repo.branch_head(&current).unwrap();
                    let status = repo.status(&current).unwrap();
                    if !status.staged.is_empty() || !status.unstaged.is_empty() {
                        let refused =
                            repo.merge(&current, head, "x", &sig(time), &MergeOptions::default());
                        assert_eq!(refused, Err(Error::DirtyWorkingSet));
                        continue;
                    }
                    let theirs = repo.branch_head(&other).unwrap();
                    let base = repo.merge_base(head, theirs).unwrap().expect("one history");
                    // The base must be a best common ancestor: common, and no other common
                    // ancestor descends from it.
                    let common: HashSet<Hash> = ancestors(&parents, head)
                        .intersection(&ancestors(&parents, theirs))
                        .copied()
                        .collect();
                    assert!(common.contains(&base));
                    assert!(common
                        .iter()
                        .all(|c| *c == base || !ancestors(&parents, *c).contains(&base)));
                    let outcome = repo
                        .merge(&current, theirs, &other, &sig(time), &MergeOptions::default())
                        .unwrap();
                    let kind = match outcome {
                        MergeOutcome::UpToDate => "up to date",
                        MergeOutcome::FastForward { .. } => "fast-forward",
                        MergeOutcome::Committed { .. } => "merge commit",
                        MergeOutcome::Uncommitted { .. } => "conflicts",
                    };
                    *outcomes.entry(kind).or_default() += 1;
                    let (merged, conflicts) =
                        model_merge(&contents[&base], &contents[&head], &contents[&theirs]);
                    match outcome {
                        MergeOutcome::UpToDate => {
                            assert!(ancestors(&parents, head).contains(&theirs))
                        }
                        MergeOutcome::FastForward { commit } => {
                            assert_eq!(commit, theirs);
                            assert_eq!(base, head);
                            working.insert(current.clone(), contents[&theirs].clone());
                        }
                        MergeOutcome::Committed { commit } => {
                            assert!(conflicts.is_empty());
                            contents.insert(commit, merged.clone());
                            parents.insert(commit, vec![head, theirs]);
                            working.insert(current.clone(), merged);
                        }
                        MergeOutcome::Uncommitted { conflicts: count } => {
                            assert_eq!(count, conflicts.len());
                            let rows: Vec<i64> = repo
                                .conflicts(&current, "t")
                                .unwrap()
                                .iter()
                                .map(|c| match row::decode_key(&c.key).unwrap()[0] {
                                    Value::Int(id) => id,
                                    _ => unreachable!(),
                                })
                                .collect();
                            assert_eq!(rows, conflicts);
                            assert!(repo
                                .commit_staged(&current, &CommitOptions::new("no", sig(time)))
                                .is_err());
                            let mut resolved = merged.clone();
                            if rng.below(2) == 0 {
                                repo.resolve_conflicts(&current, "t", Side::Ours).unwrap();
                            } else {
                                repo.resolve_conflicts(&current, "t", Side::Theirs).unwrap();
                                for id in &conflicts {
                                    match contents[&theirs].get(id) {
                                        Some(row) => resolved.insert(*id, row.clone()),
                                        None => resolved.remove(id),
                                    };
                                }
                            }
                            let options = CommitOptions {
                                all: true,
                                ..CommitOptions::new("merge", sig(time))
                            };
                            let commit = repo.commit_staged(&current, &options).unwrap();
                            assert_eq!(commit.parents, vec![head, theirs]);
                            contents.insert(commit.hash, resolved.clone());
                            parents.insert(commit.hash, commit.parents.clone());
                            working.insert(current.clone(), resolved);
                        }
                    }
                }
                _ => {
                    let history = repo.log(repo.branch_head(&current).unwrap(), None).unwrap();
                    let target = history[rng.below(history.len() as u64) as usize].hash;
                    repo.reset(&current, target, ResetMode::Hard).unwrap();
                    working.insert(current.clone(), contents[&target].clone());
                }
            }
            // Every branch's head and working rows agree with the model.
            for (branch, rows) in &working {
                let head = repo.branch_head(branch).unwrap();
                assert_eq!(
                    head_rows(&repo, branch),
                    contents[&head],
                    "seed {seed} step {step} head of {branch}"
                );
                let root = repo.working_root(branch).unwrap();
                assert_eq!(
                    &read_rows(repo.store(), &root).unwrap_or_default(),
                    rows,
                    "seed {seed} step {step}"
                );
                let log = repo.log(head, None).unwrap();
                assert_eq!(log.len(), ancestors(&parents, head).len());
            }
        }
        repo.publish().unwrap();
        // Reopening sees the same refs.
        let refs = repo.refs().clone();
        drop(repo);
        assert_eq!(Repo::open(&mut store).unwrap().refs(), &refs);
    }
    for kind in ["up to date", "fast-forward", "merge commit", "conflicts"] {
        assert!(
            outcomes.get(kind).copied().unwrap_or(0) >= 5,
            "too few '{kind}' merges: {outcomes:?}"
        );
    }
}

/// One side's change to a row: from the base row (if any) to the new row (`None`: deleted), or
/// `None` when the change does not apply to that base.
type Change = Box<dyn Fn(Option<&Cells>) -> Option<Option<Cells>>>;

/// Every pair of changes two sides can make to one row, against the model's rules.
#[test]
fn merge_matrix() {
    let base_row: Cells = (Some(1), Some("p".into()));
    let changes: Vec<(&str, Change)> = vec![
        ("none", Box::new(|b: Option<&Cells>| Some(b.cloned()))),
        (
            "insert",
            Box::new(|b: Option<&Cells>| b.is_none().then(|| Some((Some(7), Some("n".into()))))),
        ),
        (
            "insert same",
            Box::new(|b: Option<&Cells>| b.is_none().then(|| Some((Some(7), Some("n".into()))))),
        ),
        (
            "insert other",
            Box::new(|b: Option<&Cells>| b.is_none().then_some(Some((Some(8), None)))),
        ),
        ("update a", Box::new(|b: Option<&Cells>| b.map(|b| Some((Some(2), b.1.clone()))))),
        ("update a again", Box::new(|b: Option<&Cells>| b.map(|b| Some((Some(3), b.1.clone()))))),
        ("update b", Box::new(|b: Option<&Cells>| b.map(|b| Some((b.0, Some("q".into())))))),
        ("null a", Box::new(|b: Option<&Cells>| b.map(|b| Some((None, b.1.clone()))))),
        ("update both", Box::new(|b: Option<&Cells>| b.map(|_| Some((Some(2), Some("q".into())))))),
        ("delete", Box::new(|b: Option<&Cells>| b.map(|_| None))),
    ];
    let mut cases = 0;
    let mut conflicts_seen = 0;
    for base in [None, Some(base_row.clone())] {
        for (our_name, ours) in &changes {
            for (their_name, theirs) in &changes {
                let (Some(our_row), Some(their_row)) = (ours(base.as_ref()), theirs(base.as_ref()))
                else {
                    continue;
                };
                cases += 1;
                let mut store = MemoryStore::new();
                let mut repo = Repo::init(&mut store, &sig(0)).unwrap();
                let mut rows = Rows::from([(100, (Some(0), None))]);
                if let Some(b) = &base {
                    rows.insert(1, b.clone());
                }
                write_rows(&mut repo, "main", &rows);
                let options = CommitOptions { all: true, ..CommitOptions::new("base", sig(1)) };
                let base_commit = repo.commit_staged("main", &options).unwrap();
                repo.create_branch("other", base_commit.hash, false).unwrap();
                let side = |rows: &Rows, row: &Option<Cells>| {
                    let mut rows = rows.clone();
                    match row {
                        Some(r) => rows.insert(1, r.clone()),
                        None => rows.remove(&1),
                    };
                    rows
                };
                let (our_rows, their_rows) = (side(&rows, &our_row), side(&rows, &their_row));
                for (branch, side_rows) in [("main", &our_rows), ("other", &their_rows)] {
                    write_rows(&mut repo, branch, side_rows);
                    let options = CommitOptions {
                        all: true,
                        allow_empty: true,
                        ..CommitOptions::new(branch, sig(2))
                    };
                    repo.commit_staged(branch, &options).unwrap();
                }
                let theirs_head = repo.branch_head("other").unwrap();
                let outcome = repo
                    .merge("main", theirs_head, "other", &sig(3), &MergeOptions::default())
                    .unwrap();
                let expected = model_merge_row(base.as_ref(), our_row.as_ref(), their_row.as_ref());
                let label = format!("base {base:?}, ours {our_name}, theirs {their_name}");
                match expected {
                    Ok(row) => {
                        assert!(
                            matches!(outcome, MergeOutcome::Committed { .. }),
                            "{label}: {outcome:?}"
                        );
                        assert_eq!(head_rows(&repo, "main"), side(&rows, &row), "{label}");
                    }
                    Err(()) => {
                        conflicts_seen += 1;
                        assert_eq!(outcome, MergeOutcome::Uncommitted { conflicts: 1 }, "{label}");
                        let conflict = &repo.conflicts("main", "t").unwrap()[0];
                        assert_eq!(conflict.base.as_deref().map(decode_cells), base, "{label}");
                        assert_eq!(conflict.ours.as_deref().map(decode_cells), our_row, "{label}");
                        assert_eq!(
                            conflict.theirs.as_deref().map(decode_cells),
                            their_row,
                            "{label}"
                        );
                    }
                }
            }
        }
    }
    assert_eq!(cases, 4 * 4 + 7 * 7);
    assert!(conflicts_seen >= 20, "the matrix must include conflicts, saw {conflicts_seen}");
}

#[test]
fn pinned_commit_hashes() {
    let mut store = MemoryStore::new();
    let mut repo = Repo::init(&mut store, &sig(1_700_000_000_000)).unwrap();
    let first = repo.branch_head("main").unwrap();
    write_rows(
        &mut repo,
        "main",
        &Rows::from([(1, (Some(5), Some("x".into()))), (2, (None, None))]),
    );
    let options =
        CommitOptions { all: true, ..CommitOptions::new("two rows", sig(1_700_000_060_000)) };
    let second = repo.commit_staged("main", &options).unwrap();
    assert_eq!(first.to_string(), PINNED_INIT);
    assert_eq!(second.hash.to_string(), PINNED_SECOND);
    assert_eq!(second.root.to_string(), PINNED_SECOND_ROOT);
}

const PINNED_INIT: &str = "l6aktrmddn2h8dpu9ilovhrcckcn9jli";
const PINNED_SECOND: &str = "n8ohtpi5h2aau1r8rq4o67eb6g765f6n";
const PINNED_SECOND_ROOT: &str = "5gnrg0ar706dnaqceual7tsbd10ek58i";

/// Commits `rows` on `branch` and returns the commit's hash.
fn commit_rows(repo: &mut Repo, branch: &str, rows: &Rows, message: &str, time: i64) -> Hash {
    write_rows(repo, branch, rows);
    let options =
        CommitOptions { all: true, allow_empty: true, ..CommitOptions::new(message, sig(time)) };
    repo.commit_staged(branch, &options).unwrap().hash
}

#[test]
fn branches_tags_and_their_errors() {
    let mut store = MemoryStore::new();
    let mut repo = Repo::init(&mut store, &sig(0)).unwrap();
    let c1 = commit_rows(&mut repo, "main", &Rows::from([(1, (Some(1), None))]), "one", 1);
    repo.create_branch("feature", c1, false).unwrap();
    assert_eq!(repo.create_branch("feature", c1, false).unwrap_err().code(), "already_exists");
    for bad in ["", "-x", "a..b", "a b", "x.lock", "HEAD", "a~1", "a:b"] {
        assert_eq!(repo.create_branch(bad, c1, false).unwrap_err().code(), "bad_name", "{bad:?}");
    }
    let c2 = commit_rows(&mut repo, "feature", &Rows::from([(1, (Some(2), None))]), "two", 2);
    assert_eq!(
        repo.delete_branch("feature", false).unwrap_err(),
        Error::NotMerged { branch: "feature".into() }
    );
    assert_eq!(repo.delete_branch("main", true).unwrap_err().code(), "current_branch");
    repo.rename_branch("feature", "topic", false).unwrap();
    assert_eq!(repo.branch_head("topic").unwrap(), c2);
    assert_eq!(
        repo.working_root("topic").unwrap(),
        repo.root(repo.commit(c2).unwrap().root).unwrap()
    );
    assert_eq!(
        repo.branches().iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["main", "topic"]
    );
    repo.switch_branch("topic").unwrap();
    assert_eq!(repo.resolve("HEAD").unwrap(), c2);
    assert_eq!(repo.resolve("HEAD~1").unwrap(), c1);
    assert_eq!(repo.resolve("topic^^").unwrap(), repo.resolve("main~1").unwrap());
    assert_eq!(repo.resolve(&c2.to_string()).unwrap(), c2);
    assert_eq!(repo.resolve("HEAD~9").unwrap_err().code(), "not_found");
    assert_eq!(repo.switch_branch("nope").unwrap_err().code(), "not_found");

    let tag = repo.create_tag("v1", c1, &sig(5), "first release").unwrap();
    assert_eq!(repo.resolve("v1").unwrap(), c1);
    assert_eq!(repo.tags().unwrap(), vec![("v1".to_string(), tag)]);
    assert_eq!(repo.create_tag("v1", c2, &sig(6), "").unwrap_err().code(), "already_exists");
    repo.delete_tag("v1").unwrap();
    assert_eq!(repo.delete_tag("v1").unwrap_err().code(), "not_found");

    repo.switch_branch("main").unwrap();
    assert_eq!(
        repo.merge(
            "main",
            c2,
            "topic",
            &sig(7),
            &MergeOptions { ff_only: true, ..MergeOptions::default() }
        )
        .unwrap(),
        MergeOutcome::FastForward { commit: c2 }
    );
    repo.delete_branch("topic", false).unwrap();
    let log = repo.log(c2, Some(2)).unwrap();
    assert_eq!(log.iter().map(|c| c.message.as_str()).collect::<Vec<_>>(), ["two", "one"]);
    assert_eq!(repo.log(c2, None).unwrap().last().unwrap().message, cambium::history::INIT_MESSAGE);
}

#[test]
fn staging_status_reset_and_amend() {
    let mut store = MemoryStore::new();
    let mut repo = Repo::init(&mut store, &sig(0)).unwrap();
    let c1 = commit_rows(&mut repo, "main", &Rows::from([(1, (Some(1), None))]), "one", 1);
    assert_eq!(
        repo.commit_staged("main", &CommitOptions::new("nothing", sig(2))).unwrap_err(),
        Error::NothingToCommit
    );
    let empty = CommitOptions { allow_empty: true, ..CommitOptions::new("empty", sig(2)) };
    let c2 = repo.commit_staged("main", &empty).unwrap().hash;
    write_rows(&mut repo, "main", &Rows::from([(1, (Some(9), None))]));
    let status = repo.status("main").unwrap();
    assert_eq!((status.staged.len(), status.unstaged.as_slice()), (0, &["t".to_string()][..]));
    repo.add("main", Some(&["t"])).unwrap();
    let status = repo.status("main").unwrap();
    assert_eq!((status.staged.as_slice(), status.unstaged.len()), (&["t".to_string()][..], 0));
    assert_eq!(repo.add("main", Some(&["missing"])).unwrap_err().code(), "not_found");
    repo.unstage("main", None).unwrap();
    assert_eq!(repo.status("main").unwrap().staged.len(), 0);
    // Amend replaces the head commit, keeping its parents.
    let amend = CommitOptions { all: true, amend: true, ..CommitOptions::new("amended", sig(3)) };
    let amended = repo.commit_staged("main", &amend).unwrap();
    assert_eq!(amended.parents, vec![c1]);
    assert_eq!(head_rows(&repo, "main"), Rows::from([(1, (Some(9), None))]));
    let _ = c2;
    // Soft keeps the working rows, hard drops them.
    repo.reset("main", c1, ResetMode::Soft).unwrap();
    assert_eq!(repo.status("main").unwrap().staged, vec!["t".to_string()]);
    repo.reset("main", c1, ResetMode::Mixed).unwrap();
    assert_eq!(repo.status("main").unwrap().unstaged, vec!["t".to_string()]);
    repo.reset("main", c1, ResetMode::Hard).unwrap();
    assert_eq!(
        repo.status("main").unwrap(),
        cambium::history::Status { branch: "main".into(), ..Default::default() }
    );
}

#[test]
fn diff_between_roots_cell_by_cell() {
    let mut store = MemoryStore::new();
    let mut repo = Repo::init(&mut store, &sig(0)).unwrap();
    let c1 = commit_rows(
        &mut repo,
        "main",
        &Rows::from([(1, (Some(1), Some("x".into()))), (2, (Some(2), None))]),
        "one",
        1,
    );
    let c2 = commit_rows(
        &mut repo,
        "main",
        &Rows::from([(1, (Some(1), Some("y".into()))), (3, (None, None))]),
        "two",
        2,
    );
    let root = |repo: &Repo, c: Hash| repo.root(repo.commit(c).unwrap().root).unwrap();
    let diffs = diff_roots(repo.store(), &root(&repo, c1), &root(&repo, c2), true).unwrap();
    assert_eq!(diffs.len(), 1);
    let t = &diffs[0];
    assert_eq!((t.change, t.schema_changed), (TableChange::Modified, false));
    assert_eq!(
        (
            t.summary.rows_added,
            t.summary.rows_removed,
            t.summary.rows_modified,
            t.summary.cells_modified
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(t.rows[0].key, vec![Value::Int(1)]);
    assert_eq!(t.rows[0].changed, vec![B]);
    let initial = root(&repo, repo.resolve("HEAD~2").unwrap());
    let added = diff_roots(repo.store(), &initial, &root(&repo, c2), false).unwrap();
    assert_eq!(
        (added[0].change, added[0].summary.rows_added, added[0].rows.len()),
        (TableChange::Added, 2, 0)
    );
}

#[test]
fn revert_cherry_pick_and_abort() {
    let mut store = MemoryStore::new();
    let mut repo = Repo::init(&mut store, &sig(0)).unwrap();
    let base = Rows::from([(1, (Some(1), None)), (2, (Some(2), None))]);
    let c1 = commit_rows(&mut repo, "main", &base, "base", 1);
    repo.create_branch("other", c1, false).unwrap();
    let mut changed = base.clone();
    changed.insert(3, (Some(3), None));
    let c2 = commit_rows(&mut repo, "other", &changed, "add three", 2);
    let mut ours = base.clone();
    ours.insert(1, (Some(10), None));
    commit_rows(&mut repo, "main", &ours, "edit one", 3);
    let picked = repo.cherry_pick("main", c2, &sig(4)).unwrap();
    let MergeOutcome::Committed { commit } = picked else { panic!("{picked:?}") };
    let commit = repo.commit(commit).unwrap();
    assert_eq!((commit.message.as_str(), commit.author.time_ms), ("add three", 2));
    let mut expected = ours.clone();
    expected.insert(3, (Some(3), None));
    assert_eq!(head_rows(&repo, "main"), expected);
    let reverted = repo.revert("main", commit.hash, &sig(5)).unwrap();
    assert!(matches!(reverted, MergeOutcome::Committed { .. }));
    assert_eq!(head_rows(&repo, "main"), ours);
    assert_eq!(repo.commit(repo.resolve("HEAD").unwrap()).unwrap().message, "Revert \"add three\"");
    let first = repo.log(c1, None).unwrap().last().unwrap().hash;
    assert_eq!(repo.revert("main", first, &sig(6)).unwrap_err().code(), "no_parent");

    // A conflicting merge can be aborted, restoring the branch as it was.
    let mut theirs = changed.clone();
    theirs.insert(1, (Some(20), None));
    commit_rows(&mut repo, "other", &theirs, "conflict", 7);
    let before = repo.working_set("main").unwrap();
    let other = repo.branch_head("other").unwrap();
    let outcome = repo.merge("main", other, "other", &sig(8), &MergeOptions::default()).unwrap();
    assert_eq!(outcome, MergeOutcome::Uncommitted { conflicts: 1 });
    assert!(repo.status("main").unwrap().merging);
    assert_eq!(
        repo.merge("main", other, "other", &sig(8), &MergeOptions::default()).unwrap_err(),
        Error::MergeInProgress
    );
    repo.abort_merge("main").unwrap();
    assert_eq!(repo.working_set("main").unwrap(), before);
    assert_eq!(repo.abort_merge("main").unwrap_err(), Error::NoMergeInProgress);
}

/// A schema change on one side merges with row changes on the other.
#[test]
fn schema_change_on_one_side_merges() {
    let mut store = MemoryStore::new();
    let mut repo = Repo::init(&mut store, &sig(0)).unwrap();
    let base = Rows::from([(1, (Some(1), Some("x".into()))), (2, (Some(2), Some("y".into())))]);
    let c1 = commit_rows(&mut repo, "main", &base, "base", 1);
    repo.create_branch("other", c1, false).unwrap();
    // Ours drops column b.
    let mut root = repo.working_root("main").unwrap();
    let mut table = repo.table(&root, "t").unwrap();
    table.schema.columns.retain(|c| c.tag != B);
    let edits = base.iter().map(|(id, c)| (key(*id), Some(cells(&(c.0, None))))).collect();
    let table = table.edit_rows(repo.store_mut(), edits).unwrap();
    root.tables.insert("t".into(), table.write(repo.store_mut()).unwrap());
    repo.set_working_root("main", &root).unwrap();
    repo.commit_staged(
        "main",
        &CommitOptions { all: true, ..CommitOptions::new("drop b", sig(2)) },
    )
    .unwrap();
    // Theirs changes b of row 1 and a of row 2.
    let mut theirs = base.clone();
    theirs.insert(1, (Some(1), Some("z".into())));
    theirs.insert(2, (Some(5), Some("y".into())));
    let other = commit_rows(&mut repo, "other", &theirs, "edit", 3);
    let outcome = repo.merge("main", other, "other", &sig(4), &MergeOptions::default()).unwrap();
    assert!(matches!(outcome, MergeOutcome::Committed { .. }), "{outcome:?}");
    let head = repo.commit(repo.branch_head("main").unwrap()).unwrap();
    let merged = repo.table(&repo.root(head.root).unwrap(), "t").unwrap();
    assert!(merged.schema.column(B).is_none());
    let rows = read_rows(repo.store(), &repo.root(head.root).unwrap()).unwrap();
    assert_eq!(rows, Rows::from([(1, (Some(1), None)), (2, (Some(5), None))]));
}

#[test]
fn gc_keeps_everything_reachable_and_frees_the_rest() {
    for seed in 0..4 {
        let mut rng = Rng::new(77 + seed);
        let mut store = MemoryStore::new();
        let mut repo = Repo::init(&mut store, &sig(0)).unwrap();
        let mut rows = Rows::new();
        for step in 0..30 {
            rows = random_rows(&mut rng, &rows);
            let branch = if step % 3 == 0 { "main" } else { "side" };
            if branch == "side" && repo.branch_head("side").is_err() {
                let head = repo.branch_head("main").unwrap();
                repo.create_branch("side", head, false).unwrap();
            }
            commit_rows(&mut repo, branch, &rows, &format!("s{step}"), step);
            if step % 7 == 6 {
                let history = repo.log(repo.branch_head(branch).unwrap(), None).unwrap();
                repo.reset(branch, history[history.len() / 2].hash, ResetMode::Hard).unwrap();
            }
        }
        // Some garbage that only a dropped branch refers to.
        let big: Rows = (0..3_000).map(|i| (i, (Some(i), Some("garbage".into())))).collect();
        let head = repo.branch_head("main").unwrap();
        repo.create_branch("doomed", head, false).unwrap();
        commit_rows(&mut repo, "doomed", &big, "big", 99);
        write_rows(&mut repo, "main", &Rows::from([(5, (Some(5), None))]));
        repo.publish().unwrap();
        repo.delete_branch("doomed", true).unwrap();

        let heads: Vec<(String, Hash)> = repo.branches();
        let expected: Vec<(Rows, Vec<Hash>)> = heads
            .iter()
            .map(|(b, h)| {
                (head_rows(&repo, b), repo.log(*h, None).unwrap().iter().map(|c| c.hash).collect())
            })
            .collect();
        let working = read_rows(repo.store(), &repo.working_root("main").unwrap());
        let stats = repo.gc().unwrap();
        assert!(
            stats.removed_chunks > 10,
            "dropping a 3,000-row branch must free chunks: {stats:?}"
        );
        // Everything reachable is still readable, rows and history alike.
        for ((branch, head), (rows, log)) in heads.iter().zip(&expected) {
            assert_eq!(&head_rows(&repo, branch), rows);
            let again: Vec<Hash> = repo.log(*head, None).unwrap().iter().map(|c| c.hash).collect();
            assert_eq!(&again, log);
            for commit in log {
                let root = repo.root(repo.commit(*commit).unwrap().root).unwrap();
                read_rows(repo.store(), &root);
            }
        }
        assert_eq!(read_rows(repo.store(), &repo.working_root("main").unwrap()), working);
        // A second collection frees only what the first one replaced: its marker and the ref
        // map that named it.
        assert_eq!(repo.gc().unwrap().removed_chunks, 2);
    }
}
