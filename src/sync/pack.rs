//! Packs: every chunk some refs reach that a peer holding some other commits lacks, worked out
//! by the side that has the chunks, so a push or a pull of a small change moves in one request
//! instead of one round trip per tree level.
//!
//! The peer is described by commits it holds ("haves"); by the store rule every chunk a held
//! commit reaches is held too. The pack is then:
//!
//! - **History.** The wanted commits and their ancestors not reachable from a have, found by
//!   walking both sides by descending commit height: a commit of height `h` is reachable from
//!   the haves only through commits of height `h` or more, so the have side is walked only
//!   down to the heights the wanted side reaches.
//! - **Trees.** For each new commit, its root value against its first parent's (which the peer
//!   holds, or gets in this pack), walked level by level in step: a chunk of the new side is
//!   left out when the old side has the same chunk at the same depth, and the old side is only
//!   read below chunks that differ. The result may hold a chunk the peer already has (one that
//!   moved to another depth), never lack one it needs.
//!
//! Chunks come out children first: a store that keeps a prefix of the pack keeps complete
//! subtrees, as [`super::Transfer`] guarantees for its puts. A pack over its byte bound is not
//! made (`None`): the caller falls back to a [`super::Transfer`], which moves any amount in
//! batches.

use std::collections::{BinaryHeap, HashMap, HashSet};

use crate::chunk::{self, Chunk, ChunkStore, Hash};
use crate::history::walk::Item;
use crate::history::{Commit, Error, Tag};

/// New commits one pack holds at most; a longer history goes by transfer.
pub const PACK_COMMITS_MAX: usize = 4096;

/// A commit waiting in one side's walk, highest first.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Queued {
    height: u64,
    hash: Hash,
}

/// Reads the chunks `hashes` names, one `get_many`; a missing one is an error naming it, unless
/// it is the empty map's leaf, which no store needs to hold.
fn read(store: &dyn ChunkStore, items: &[Item]) -> Result<Vec<Option<Chunk>>, Error> {
    let hashes: Vec<Hash> = items.iter().map(|item| item.hash).collect();
    let chunks = store.get_many(&hashes)?;
    assert_eq!(chunks.len(), hashes.len(), "a store answers every hash asked");
    for (item, chunk) in items.iter().zip(&chunks) {
        if chunk.is_none() && !item.may_be_absent() {
            return Err(chunk::Error::NotFound(item.hash).into());
        }
    }
    Ok(chunks)
}

/// What the peer lacks of what `wants` (ref name and target, as in a ref map: branches'
/// commits and tags' objects) reach, given that it holds every commit in `haves` that this
/// store holds; children before parents. `None` when the pack would pass `bytes_max` bytes or
/// [`PACK_COMMITS_MAX`] commits.
pub fn pack(
    store: &dyn ChunkStore,
    wants: &[(&str, Hash)],
    haves: &[Hash],
    bytes_max: usize,
) -> Result<Option<Vec<Chunk>>, Error> {
    // A store that relays chunks unchecked (the remote server's) still has every chunk a pack
    // decodes checked: a damaged one must fail the pack, not steer which chunks it leaves out.
    let verifying = Verifying(store);
    let store: &dyn ChunkStore = &verifying;
    let mut tags = Vec::new();
    let mut want_commits = Vec::new();
    for (name, hash) in wants {
        let item = Item::of_ref(name, *hash);
        if item.is_tag() {
            let tag_chunk = store.get(*hash)?;
            want_commits.push(Tag::read(store, *hash)?.commit);
            tags.push(tag_chunk);
        } else {
            want_commits.push(*hash);
        }
    }
    let Some(new_commits) = new_commits(store, &want_commits, haves)? else { return Ok(None) };

    let mut out = Vec::new();
    let mut bytes = 0usize;
    let mut sent: HashSet<Hash> = HashSet::new();
    let mut parents_roots: HashMap<Hash, Hash> = HashMap::new();
    for commit in &new_commits {
        parents_roots.insert(commit.hash, commit.root);
    }
    for commit in &new_commits {
        let base = match commit.parents.first() {
            Some(parent) => match parents_roots.get(parent) {
                Some(root) => Some(*root),
                None => Some(Commit::read(store, *parent)?.root),
            },
            None => None,
        };
        let tree = diff_tree(store, commit.root, base, &mut sent)?;
        for chunk in tree {
            bytes += chunk.len();
            out.push(chunk);
        }
        if bytes > bytes_max {
            return Ok(None);
        }
    }
    for commit in &new_commits {
        let chunk = store.get(commit.hash)?;
        bytes += chunk.len();
        out.push(chunk);
    }
    for tag in tags {
        bytes += tag.len();
        out.push(tag);
    }
    Ok((bytes <= bytes_max).then_some(out))
}

/// The commits reachable from `wants` and not from `haves`, parents before children. Haves
/// this store does not hold are ignored: the peer may know commits this store never saw.
fn new_commits(
    store: &dyn ChunkStore,
    wants: &[Hash],
    haves: &[Hash],
) -> Result<Option<Vec<Commit>>, Error> {
    let known: Vec<Hash> = {
        let present = store.has_many(haves)?;
        haves.iter().zip(present).filter_map(|(hash, present)| present.then_some(*hash)).collect()
    };
    let mut commits: HashMap<Hash, Commit> = HashMap::new();
    let load = |hash: Hash, commits: &mut HashMap<Hash, Commit>| -> Result<u64, Error> {
        if let Some(commit) = commits.get(&hash) {
            return Ok(commit.height);
        }
        let commit = Commit::read(store, hash)?;
        let height = commit.height;
        commits.insert(hash, commit);
        Ok(height)
    };
    let mut have_queue = BinaryHeap::new();
    let mut queued_have: HashSet<Hash> = HashSet::new();
    for hash in known {
        if queued_have.insert(hash) {
            have_queue.push(Queued { height: load(hash, &mut commits)?, hash });
        }
    }
    let mut want_queue = BinaryHeap::new();
    let mut queued_want: HashSet<Hash> = HashSet::new();
    for &hash in wants {
        if queued_want.insert(hash) {
            want_queue.push(Queued { height: load(hash, &mut commits)?, hash });
        }
    }
    let mut had: HashSet<Hash> = HashSet::new();
    let mut new = Vec::new();
    while let Some(top) = want_queue.pop() {
        while have_queue.peek().is_some_and(|have| have.height >= top.height) {
            let have = have_queue.pop().expect("peeked");
            had.insert(have.hash);
            for parent in commits[&have.hash].parents.clone() {
                if queued_have.insert(parent) {
                    have_queue.push(Queued { height: load(parent, &mut commits)?, hash: parent });
                }
            }
        }
        if had.contains(&top.hash) {
            continue;
        }
        if new.len() == PACK_COMMITS_MAX {
            return Ok(None);
        }
        for parent in commits[&top.hash].parents.clone() {
            if queued_want.insert(parent) {
                want_queue.push(Queued { height: load(parent, &mut commits)?, hash: parent });
            }
        }
        new.push(top.hash);
    }
    // Popped highest first; parents (lower) go first in the pack.
    new.reverse();
    Ok(Some(new.into_iter().map(|hash| commits.remove(&hash).expect("loaded")).collect()))
}

/// The chunks of the tree under root value `root` that are not under `base` at the same depth
/// nor already `sent`, deepest first.
fn diff_tree(
    store: &dyn ChunkStore,
    root: Hash,
    base: Option<Hash>,
    sent: &mut HashSet<Hash>,
) -> Result<Vec<Chunk>, Error> {
    let mut new_level = vec![Item::root_value(root)];
    let mut old_level: Vec<Item> = base.into_iter().map(Item::root_value).collect();
    let mut levels: Vec<Vec<Chunk>> = Vec::new();
    while !new_level.is_empty() {
        let old_hashes: HashSet<Hash> = old_level.iter().map(|item| item.hash).collect();
        let new_hashes: HashSet<Hash> = new_level.iter().map(|item| item.hash).collect();
        let mut keep = Vec::new();
        for item in new_level {
            if !old_hashes.contains(&item.hash) && sent.insert(item.hash) {
                keep.push(item);
            }
        }
        let expand_old: Vec<Item> =
            old_level.into_iter().filter(|item| !new_hashes.contains(&item.hash)).collect();
        let kept_chunks = read(store, &keep)?;
        let old_chunks = read(store, &expand_old)?;
        let mut next_new = Vec::new();
        let mut level = Vec::new();
        for (item, chunk) in keep.iter().zip(kept_chunks) {
            let Some(chunk) = chunk else { continue };
            item.expand(&chunk, &mut |child| next_new.push(child))?;
            level.push(chunk);
        }
        let mut next_old = Vec::new();
        for (item, chunk) in expand_old.iter().zip(old_chunks) {
            let Some(chunk) = chunk else { continue };
            item.expand(&chunk, &mut |child| next_old.push(child))?;
        }
        levels.push(level);
        new_level = next_new;
        old_level = next_old;
    }
    Ok(levels.into_iter().rev().flatten().collect())
}

/// A store whose reads are checked against their hashes, for decoding chunks from a store that
/// relays them unchecked. It takes no writes.
struct Verifying<'a>(&'a dyn ChunkStore);

fn read_only() -> chunk::Error {
    chunk::Error::Io("a pack reads its store and writes nothing".to_string())
}

impl ChunkStore for Verifying<'_> {
    fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, chunk::Error> {
        let chunks = self.0.get_many(hashes)?;
        hashes
            .iter()
            .zip(chunks)
            .map(|(hash, chunk)| match chunk {
                Some(chunk) => Chunk::verified(*hash, chunk.shared_data()).map(Some),
                None => Ok(None),
            })
            .collect()
    }

    fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, chunk::Error> {
        self.0.has_many(hashes)
    }

    fn put(&mut self, _: Chunk) -> Result<(), chunk::Error> {
        Err(read_only())
    }

    fn manifest(&self) -> Result<crate::chunk::Manifest, chunk::Error> {
        self.0.manifest()
    }

    fn flush(
        &mut self,
        _: &crate::chunk::Manifest,
        _: &crate::chunk::Manifest,
    ) -> Result<(), chunk::Error> {
        Err(read_only())
    }

    fn collect_garbage(
        &mut self,
        _: &crate::chunk::Manifest,
        _: &HashSet<Hash>,
    ) -> Result<crate::chunk::GcStats, chunk::Error> {
        Err(read_only())
    }
}
