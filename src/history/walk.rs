//! The one walk over everything a repository's ref map reaches, shared by fsck and garbage
//! collection so that the two cannot disagree about what is reachable.
//!
//! The walk keeps a frontier of chunks still to read, each with the kind of chunk it must be
//! and a short path saying how it was reached (`refs/heads/main → commit 1a2b3c4d → root →
//! table t → rows`). It reads the frontier in batches of at most [`WALK_BATCH_CHUNKS_MAX`]
//! chunks, one `get_many` per batch, so a store that loads asynchronously names a whole batch
//! in one `Missing`. That error is returned before the walk changes anything; running the walk
//! again once the chunks are loaded reads the same batch and goes on. A chunk enters the
//! frontier only the first time it is reached, so none is read or decoded twice, and subtrees
//! shared between versions are walked once.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use crate::chunk::{self, Chunk, ChunkStore, GcStats, Hash, Manifest};
use crate::prolly::{self, BlobNode, Map};

use super::objects::{Commit, RefMap, RootValue, Table, Tag, WorkingSet};
use super::repo::CONFIG_PREFIX;
use super::Error;

/// Chunks asked of the store in one batch, so also the most one `Missing` from the walk names.
/// Large enough that a walk needs few round trips, small enough that one batch of 4 KiB nodes
/// stays around a megabyte.
pub const WALK_BATCH_CHUNKS_MAX: usize = 256;

/// Characters of a hash's text shown in paths: enough to tell a repository's commits apart.
const PATH_HASH_CHARS: usize = 8;

/// What the walk tells its user about each chunk.
pub(crate) trait Visitor {
    /// `chunk` was read from the store (its hash verified); decoding may still find a problem.
    fn checked(&mut self, chunk: &Chunk);

    /// The chunk `hash`, reached by `path`, is missing, corrupt or malformed, as `error` says.
    /// Returning an error ends the walk with it, part way through a batch: such a walk is not
    /// run again.
    fn problem(&mut self, hash: Hash, path: &str, error: Error) -> Result<(), Error>;
}

/// What a chunk in the frontier must be, with what its referrer says about it.
pub(crate) enum Kind {
    RefMap,
    /// A configuration document: one chunk of opaque bytes.
    Config,
    Tag,
    WorkingSet,
    /// A commit; `origin` names where its chain of commits was entered (a ref, a merge).
    Commit {
        origin: Arc<str>,
    },
    Root,
    Table,
    /// A map node; below a map's root, the level and entry count its parent records for it.
    MapNode {
        parent_says: Option<(u8, u64)>,
    },
    /// A blob node holding `bytes` of a value; below a blob's root, the level it must have.
    Blob {
        level: Option<u8>,
        bytes: u64,
    },
}

/// A chunk to read: its address, what it must be, and how it was reached.
pub(crate) struct Item {
    pub hash: Hash,
    pub kind: Kind,
    pub path: Arc<str>,
}

impl Item {
    fn new(hash: Hash, kind: Kind, path: Arc<str>) -> Item {
        Item { hash, kind, path }
    }

    /// The chunk a ref map entry `name` points at, as what the entry's name says it is.
    pub(crate) fn of_ref(name: &str, target: Hash) -> Item {
        let path: Arc<str> = name.into();
        let kind = if name.starts_with("workingSets/") {
            Kind::WorkingSet
        } else if name.starts_with(CONFIG_PREFIX) {
            Kind::Config
        } else if name.starts_with("refs/tags/") {
            Kind::Tag
        } else {
            return Item::commit(target, path, true);
        };
        Item { hash: target, kind, path }
    }

    /// A root value, as a commit names it.
    pub(crate) fn root_value(hash: Hash) -> Item {
        Item { hash, kind: Kind::Root, path: "root value".into() }
    }

    /// Whether this is a tag object.
    pub(crate) fn is_tag(&self) -> bool {
        matches!(self.kind, Kind::Tag)
    }

    /// A ref map, as a manifest names it.
    pub(crate) fn ref_map(hash: Hash) -> Item {
        Item { hash, kind: Kind::RefMap, path: "manifest → ref map".into() }
    }

    /// A commit reached from `origin`: directly (`tip`) or as an ancestor of one that was.
    fn commit(hash: Hash, origin: Arc<str>, tip: bool) -> Item {
        let via = if tip { "" } else { " → …" };
        let path = format!("{origin}{via} → commit {}", short(hash)).into();
        Item { hash, kind: Kind::Commit { origin }, path }
    }

    /// Whether a store may lack this chunk: every reader knows the empty map's one leaf.
    pub(crate) fn may_be_absent(&self) -> bool {
        matches!(self.kind, Kind::MapNode { .. }) && self.hash == Map::empty_unwritten().root()
    }

    /// Decodes `chunk` (this item's bytes) as the item says it must be and hands every chunk it
    /// refers to to `reach`.
    pub(crate) fn expand(&self, chunk: &Chunk, reach: &mut dyn FnMut(Item)) -> Result<(), Error> {
        let fetched = Fetched(chunk);
        let store: &dyn ChunkStore = &fetched;
        let (hash, path) = (self.hash, &self.path);
        match &self.kind {
            Kind::RefMap => {
                for (name, target) in RefMap::read(store, hash)?.refs {
                    reach(Item::of_ref(&name, target));
                }
            }
            Kind::Config => {}
            Kind::Tag => reach(Item::commit(Tag::read(store, hash)?.commit, path.clone(), true)),
            Kind::WorkingSet => {
                let set = WorkingSet::read(store, hash)?;
                reach(Item::new(set.working, Kind::Root, format!("{path} → working root").into()));
                reach(Item::new(set.staged, Kind::Root, format!("{path} → staged root").into()));
                if let Some(merge) = set.merge {
                    reach(Item::commit(merge.commit, format!("{path} → merge").into(), true));
                    let pre_merge = format!("{path} → pre-merge root").into();
                    reach(Item::new(merge.pre_merge_working, Kind::Root, pre_merge));
                    for (table, map) in merge.conflicts {
                        let conflicts = format!("{path} → conflicts {table}").into();
                        reach(Item::new(map, Kind::MapNode { parent_says: None }, conflicts));
                    }
                }
            }
            Kind::Commit { origin } => {
                let commit = Commit::read(store, hash)?;
                reach(Item::new(commit.root, Kind::Root, format!("{path} → root").into()));
                for parent in commit.parents {
                    reach(Item::commit(parent, origin.clone(), false));
                }
            }
            Kind::Root => {
                for (name, table) in RootValue::read(store, hash)?.tables {
                    reach(Item::new(table, Kind::Table, format!("{path} → table {name}").into()));
                }
            }
            Kind::Table => {
                let table = Table::read(store, hash)?;
                let rows = format!("{path} → rows").into();
                reach(Item::new(table.rows.root(), Kind::MapNode { parent_says: None }, rows));
                for (name, index) in table.indexes {
                    let index_path = format!("{path} → index {name}").into();
                    reach(Item::new(index.root(), Kind::MapNode { parent_says: None }, index_path));
                }
            }
            Kind::MapNode { parent_says } => self.expand_map_node(chunk, *parent_says, reach)?,
            Kind::Blob { level, bytes } => self.expand_blob(chunk, *level, *bytes, reach)?,
        }
        Ok(())
    }

    /// Checks a map node against what its parent says of it and adds its children and blobs.
    fn expand_map_node(
        &self,
        chunk: &Chunk,
        parent_says: Option<(u8, u64)>,
        reach: &mut dyn FnMut(Item),
    ) -> Result<(), Error> {
        let node = prolly::node_refs(chunk.clone())?;
        if parent_says.is_some_and(|says| says != (node.level, node.count)) {
            return Err(malformed(self.hash, "map node differs from its parent's level or count"));
        }
        for child in node.children {
            let parent_says = Some((node.level - 1, child.count));
            let kind = Kind::MapNode { parent_says };
            reach(Item { hash: child.hash, kind, path: self.path.clone() });
        }
        if !node.blobs.is_empty() {
            let path: Arc<str> = format!("{} → blob", self.path).into();
            for (root, bytes) in node.blobs {
                let kind = Kind::Blob { level: None, bytes };
                reach(Item { hash: root, kind, path: path.clone() });
            }
        }
        Ok(())
    }

    /// Checks a blob node against what refers to it (readers check the whole tree's length;
    /// this checks each node's share of it) and adds its children.
    fn expand_blob(
        &self,
        chunk: &Chunk,
        level: Option<u8>,
        bytes: u64,
        reach: &mut dyn FnMut(Item),
    ) -> Result<(), Error> {
        let node = prolly::decode_blob_node(self.hash, chunk.data())?;
        let (at, held) = match &node {
            BlobNode::Leaf(piece) => (0, piece.len() as u128),
            BlobNode::Internal { level, children } => {
                (*level, children.iter().map(|(_, bytes)| u128::from(*bytes)).sum())
            }
        };
        if level.is_some_and(|level| level != at) {
            return Err(malformed(self.hash, "blob node not at the level its parent says"));
        }
        if held != u128::from(bytes) {
            return Err(malformed(self.hash, "blob node holds other bytes than referred to"));
        }
        if let BlobNode::Internal { children, .. } = node {
            for (child, bytes) in children {
                let kind = Kind::Blob { level: Some(at - 1), bytes };
                reach(Item { hash: child, kind, path: self.path.clone() });
            }
        }
        Ok(())
    }
}

/// A reachability walk from one ref map. Run it with [`Walk::run`]; when that returns `Ok`,
/// [`Walk::into_seen`] is every chunk reached.
pub(crate) struct Walk {
    /// History chunks come in chains (each commit names its parent, and only reading it tells
    /// which), so every batch takes them first: a long history then costs about one round trip
    /// per commit on its longest chain, overlapped with the trees' batches, not added to them.
    history: VecDeque<Item>,
    /// Map and blob nodes.
    trees: VecDeque<Item>,
    /// Every chunk that entered the frontier.
    seen: HashSet<Hash>,
}

fn short(hash: Hash) -> String {
    hash.to_string()[..PATH_HASH_CHARS].to_string()
}

fn malformed(hash: Hash, reason: &'static str) -> Error {
    chunk::Error::Malformed { hash, reason }.into()
}

impl Walk {
    /// A walk from the ref map a manifest names.
    pub fn new(ref_map: Hash) -> Walk {
        let mut walk =
            Walk { history: VecDeque::new(), trees: VecDeque::new(), seen: HashSet::new() };
        walk.push(Item::ref_map(ref_map));
        walk
    }

    /// Every chunk the walk reached (chunks found missing included).
    pub fn into_seen(self) -> HashSet<Hash> {
        self.seen
    }

    fn push(&mut self, item: Item) {
        if !self.seen.insert(item.hash) {
            return;
        }
        match item.kind {
            Kind::MapNode { .. } | Kind::Blob { .. } => self.trees.push_back(item),
            _ => self.history.push_back(item),
        }
    }

    /// Reads batches until nothing is left. `Missing` (load the chunks it names and run again)
    /// and store failures that are not about one chunk are returned with the walk as it was
    /// before the batch; problems with single chunks go to `visitor`.
    pub fn run(&mut self, store: &dyn ChunkStore, visitor: &mut dyn Visitor) -> Result<(), Error> {
        loop {
            let from_history = self.history.len().min(WALK_BATCH_CHUNKS_MAX);
            let from_trees = self.trees.len().min(WALK_BATCH_CHUNKS_MAX - from_history);
            if from_history + from_trees == 0 {
                return Ok(());
            }
            let hashes: Vec<Hash> = (self.history.iter().take(from_history))
                .chain(self.trees.iter().take(from_trees))
                .map(|item| item.hash)
                .collect();
            let fetched = fetch(store, &hashes)?;
            let batch: Vec<Item> =
                self.history.drain(..from_history).chain(self.trees.drain(..from_trees)).collect();
            for (item, fetched) in batch.iter().zip(fetched) {
                let outcome = match fetched {
                    Ok(Some(chunk)) => {
                        visitor.checked(&chunk);
                        item.expand(&chunk, &mut |reached| self.push(reached))
                    }
                    Ok(None) if item.may_be_absent() => Ok(()),
                    Ok(None) => Err(chunk::Error::NotFound(item.hash).into()),
                    Err(error) => Err(error.into()),
                };
                if let Err(error) = outcome {
                    visitor.problem(item.hash, &item.path, error)?;
                }
            }
        }
    }
}

/// Whether a failed `get_many` is about one chunk (so the others of its batch may be sound)
/// rather than about the store.
fn names_a_chunk(error: &chunk::Error) -> bool {
    matches!(
        error,
        chunk::Error::Corrupt(_) | chunk::Error::NotFound(_) | chunk::Error::Malformed { .. }
    )
}

/// One answer of `get_many` for each of `hashes`, checked to be one per hash asked.
fn get_many(store: &dyn ChunkStore, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, chunk::Error> {
    let chunks = store.get_many(hashes)?;
    if chunks.len() != hashes.len() {
        let message =
            format!("the store answered {} chunks for {} asked", chunks.len(), hashes.len());
        return Err(chunk::Error::Io(message));
    }
    Ok(chunks)
}

/// Fetches a batch with one `get_many`. When that fails because of one chunk, fetches each
/// chunk on its own, so that one damaged chunk does not hide the others of its batch.
fn fetch(
    store: &dyn ChunkStore,
    hashes: &[Hash],
) -> Result<Vec<Result<Option<Chunk>, chunk::Error>>, Error> {
    match get_many(store, hashes) {
        Ok(chunks) => Ok(chunks.into_iter().map(Ok).collect()),
        Err(error) if names_a_chunk(&error) => hashes
            .iter()
            .map(|&hash| match get_many(store, &[hash]) {
                Ok(mut one) => Ok(Ok(one.pop().flatten())),
                Err(error) if names_a_chunk(&error) => Ok(Err(error)),
                Err(error) => Err(error.into()),
            })
            .collect(),
        Err(error) => Err(error.into()),
    }
}

/// One fetched chunk seen as a store, so that the history decoders, which read through a
/// store, decode it without asking the real store again. It holds nothing else and takes no
/// writes.
struct Fetched<'a>(&'a Chunk);

fn read_only() -> chunk::Error {
    chunk::Error::Io("a fetched chunk is read-only".to_string())
}

impl ChunkStore for Fetched<'_> {
    fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, chunk::Error> {
        Ok(hashes.iter().map(|hash| (*hash == self.0.hash()).then(|| self.0.clone())).collect())
    }

    fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, chunk::Error> {
        Ok(hashes.iter().map(|hash| *hash == self.0.hash()).collect())
    }

    fn put(&mut self, _: Chunk) -> Result<(), chunk::Error> {
        Err(read_only())
    }

    fn manifest(&self) -> Result<Manifest, chunk::Error> {
        Err(read_only())
    }

    fn flush(&mut self, _: &Manifest, _: &Manifest) -> Result<(), chunk::Error> {
        Err(read_only())
    }

    fn collect_garbage(
        &mut self,
        _: &Manifest,
        _: &HashSet<Hash>,
    ) -> Result<GcStats, chunk::Error> {
        Err(read_only())
    }
}
