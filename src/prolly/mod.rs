//! Prolly trees: ordered key → value maps spread over content-addressed chunks.
//!
//! Node boundaries depend only on the entries (see [`chunker`]), so the same contents give the
//! same chunks and root hash however they were reached. Edits rewrite only the nodes on the paths
//! they touch; diff skips subtrees whose hashes are equal; merge is built on diff.
//!
//! Every operation reads through a [`ChunkStore`]. When a store answers
//! [`crate::chunk::Error::Missing`], the operation returns it (as [`Error::Store`]) without having
//! changed anything; iterators keep their position, so calling `next` again after loading the
//! chunks continues where they were.

mod blob;
mod build;
mod chunker;
mod cursor;
mod diff;
mod edit;
mod merge;
mod node;
mod range;

use std::fmt;

use crate::chunk::{self, Chunk, ChunkStore, Hash};

pub(crate) use blob::{decode_blob_node, BlobNode};
pub use diff::{Change, Diff};
pub use merge::{Conflict, MergeOutcome, Resolution};
pub(crate) use node::node_refs;
pub use range::{Entry, Order, Range};

/// Largest key, in bytes (MySQL's InnoDB index key limit).
pub const KEY_BYTES_MAX: usize = 3072;
/// Values up to this size sit inside leaves; larger ones go to a blob tree.
pub const INLINE_VALUE_BYTES_MAX: usize = 2048;
/// Largest value, in bytes.
pub const VALUE_BYTES_MAX: usize = 64 << 20;
/// Nodes end at a boundary only once they hold at least this many entry bytes.
pub const NODE_BYTES_MIN: usize = 512;
/// Nodes always end once they hold this many entry bytes.
pub const NODE_BYTES_MAX: usize = 16 << 10;
/// No encoded node is larger: the forced boundary plus one largest entry plus headers.
pub(crate) const NODE_BYTES_HARD_MAX: usize = 24 << 10;
/// Levels a tree may have. Even two-entry nodes of 2^64 entries would need fewer.
pub const TREE_LEVELS_MAX: u8 = 64;

/// What went wrong in a map operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Reading or writing chunks failed (including [`chunk::Error::Missing`]: load and retry).
    Store(chunk::Error),
    KeyTooLarge {
        bytes: usize,
        max: usize,
    },
    ValueTooLarge {
        bytes: usize,
        max: usize,
    },
    /// Entries handed to [`Map::build`] were not in strictly ascending key order.
    Unsorted,
}

impl Error {
    pub(crate) fn malformed(hash: Hash, reason: &'static str) -> Error {
        Error::Store(chunk::Error::Malformed { hash, reason })
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::Store(error) => error.code(),
            Error::KeyTooLarge { .. } => "key_too_large",
            Error::ValueTooLarge { .. } => "value_too_large",
            Error::Unsorted => "entries_unsorted",
        }
    }

    /// The chunks to load before retrying, when the store answered `Missing`.
    pub fn missing(&self) -> Option<&[Hash]> {
        match self {
            Error::Store(error) => error.missing(),
            _ => None,
        }
    }
}

impl From<chunk::Error> for Error {
    fn from(error: chunk::Error) -> Error {
        Error::Store(error)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Store(error) => error.fmt(f),
            Error::KeyTooLarge { bytes, max } => {
                write!(f, "a key of {bytes} bytes is over the limit of {max}")
            }
            Error::ValueTooLarge { bytes, max } => {
                write!(f, "a value of {bytes} bytes is over the limit of {max}")
            }
            Error::Unsorted => write!(f, "entries must be in strictly ascending key order"),
        }
    }
}

impl std::error::Error for Error {}

/// Shape figures of a tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Levels of nodes (1 for a tree that is a single leaf).
    pub depth: u8,
    /// Map nodes in the tree (blob chunks not included).
    pub chunks: u64,
    pub leaf_chunks: u64,
    /// Bytes of all map nodes.
    pub bytes: u64,
    pub leaf_bytes: u64,
    pub entries: u64,
}

/// A prolly map, named by its root hash. Cheap to copy; the contents live in a [`ChunkStore`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Map {
    root: Hash,
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Map({:?})", self.root)
    }
}

fn check_key(key: &[u8]) -> Result<(), Error> {
    if key.len() > KEY_BYTES_MAX {
        return Err(Error::KeyTooLarge { bytes: key.len(), max: KEY_BYTES_MAX });
    }
    Ok(())
}

/// Encodes a leaf value: inline with a tag byte, or as a reference to a blob tree written to
/// `out`.
fn encode_value(value: &[u8], out: &mut Vec<Chunk>) -> Result<Vec<u8>, Error> {
    let mut encoded = Vec::with_capacity(value.len().min(INLINE_VALUE_BYTES_MAX) + 1);
    encode_value_into(value, &mut encoded, out)?;
    Ok(encoded)
}

/// [`encode_value`] into a buffer the caller reuses, so bulk loads allocate nothing per entry.
fn encode_value_into(
    value: &[u8],
    encoded: &mut Vec<u8>,
    out: &mut Vec<Chunk>,
) -> Result<(), Error> {
    if value.len() > VALUE_BYTES_MAX {
        return Err(Error::ValueTooLarge { bytes: value.len(), max: VALUE_BYTES_MAX });
    }
    encoded.clear();
    if value.len() <= INLINE_VALUE_BYTES_MAX {
        encoded.push(node::VALUE_INLINE);
        encoded.extend_from_slice(value);
        return Ok(());
    }
    let root = blob::write(value, out);
    encoded.push(node::VALUE_BLOB);
    encoded.extend_from_slice(root.as_bytes());
    encoded.extend_from_slice(&(value.len() as u64).to_le_bytes());
    Ok(())
}

/// The blob root and length of an out-of-line leaf value, `None` for an inline one.
fn blob_ref(encoded: &[u8]) -> Option<(Hash, u64)> {
    (encoded[0] == node::VALUE_BLOB).then(|| {
        let root = Hash::from_slice(&encoded[1..]).expect("validated blob reference");
        let len = u64::from_le_bytes(encoded[21..29].try_into().expect("8 bytes"));
        (root, len)
    })
}

/// Turns an encoded leaf value (validated when its node was decoded) back into the value.
fn decode_value(reader: &mut cursor::Reader, encoded: &[u8]) -> Result<Vec<u8>, Error> {
    match blob_ref(encoded) {
        None => Ok(encoded[1..].to_vec()),
        Some((root, len)) => blob::read(reader, root, len),
    }
}

fn put_all(store: &mut dyn ChunkStore, chunks: &mut Vec<Chunk>) -> Result<(), Error> {
    for chunk in chunks.drain(..) {
        store.put(chunk)?;
    }
    Ok(())
}

/// Builds a map from entries in strictly ascending key order, one entry at a time, writing each
/// node to the store as soon as its last entry is known. The tree is the one [`Map::build`] and
/// edits make of the same entries; a caller can feed it across several steps and keep it (it is
/// cheap to clone: one partly filled node per level).
#[derive(Clone, Default)]
pub struct MapBuilder {
    tree: Option<build::TreeBuilder>,
    previous: Option<Vec<u8>>,
    encoded: Vec<u8>,
    out: Vec<Chunk>,
}

impl fmt::Debug for MapBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapBuilder").field("last_key", &self.previous).finish_non_exhaustive()
    }
}

impl MapBuilder {
    /// Adds an entry whose key is above every key added before.
    pub fn push(
        &mut self,
        store: &mut dyn ChunkStore,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), Error> {
        check_key(key)?;
        if self.previous.as_deref().is_some_and(|p| p >= key) {
            return Err(Error::Unsorted);
        }
        encode_value_into(value, &mut self.encoded, &mut self.out)?;
        let tree = self.tree.get_or_insert_with(|| build::TreeBuilder::new(0));
        tree.push(key, &self.encoded, 1, &mut self.out);
        put_all(store, &mut self.out)?;
        match &mut self.previous {
            Some(p) => {
                p.clear();
                p.extend_from_slice(key);
            }
            None => self.previous = Some(key.to_vec()),
        }
        Ok(())
    }

    /// Writes the partly filled nodes and returns the map.
    pub fn finish(mut self, store: &mut dyn ChunkStore) -> Result<Map, Error> {
        let root = match self.tree.take().and_then(|tree| tree.finish(&mut self.out)) {
            Some(root) => root,
            None => {
                let empty = node::empty_leaf();
                let hash = empty.hash();
                self.out.push(empty);
                hash
            }
        };
        put_all(store, &mut self.out)?;
        Ok(Map { root })
    }
}

impl Map {
    /// The map whose root is `root` (which must be in the store to be read).
    pub fn from_root(root: Hash) -> Map {
        Map { root }
    }

    pub fn root(&self) -> Hash {
        self.root
    }

    /// The empty map, without writing anything: every reader recognises its root hash, so it
    /// is readable from any store.
    pub fn empty_unwritten() -> Map {
        Map { root: node::empty_leaf_hash() }
    }

    /// An empty map; writes its single empty leaf.
    pub fn empty(store: &mut dyn ChunkStore) -> Result<Map, Error> {
        Map::build(store, std::iter::empty::<(&[u8], &[u8])>())
    }

    /// Builds a map from entries in strictly ascending key order, in one pass.
    pub fn build<K, V>(
        store: &mut dyn ChunkStore,
        entries: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Map, Error>
    where
        K: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        let mut builder = MapBuilder::default();
        for (key, value) in entries {
            builder.push(store, key.as_ref(), value.as_ref())?;
        }
        builder.finish(store)
    }

    /// Whether this is the empty map (recognised by its root hash, without reading).
    pub fn is_empty(&self) -> bool {
        self.root == node::empty_leaf_hash()
    }

    fn root_node(&self, reader: &mut cursor::Reader) -> Result<node::Node, Error> {
        reader.node(self.root)
    }

    /// The value under `key`.
    pub fn get(&self, store: &dyn ChunkStore, key: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        // Loads into a new table look up every row they insert in the empty committed map.
        if self.is_empty() {
            return Ok(None);
        }
        let mut reader = cursor::Reader::new(store);
        let root = self.root_node(&mut reader)?;
        let cursor = cursor::Cursor::seek(&mut reader, root, key, 0)?;
        match cursor.entry() {
            Some((found, value)) if found == key => Ok(Some(decode_value(&mut reader, value)?)),
            _ => Ok(None),
        }
    }

    /// Number of entries; reads only the root.
    pub fn count(&self, store: &dyn ChunkStore) -> Result<u64, Error> {
        Ok(cursor::Reader::new(store).node(self.root)?.subtree_count())
    }

    /// Entries with keys in the bounds, in `order`.
    pub fn range<'a>(
        &self,
        store: &'a dyn ChunkStore,
        lower: std::ops::Bound<&[u8]>,
        upper: std::ops::Bound<&[u8]>,
        order: Order,
    ) -> Range<'a> {
        Range::new(store, self.root, lower, upper, order)
    }

    /// All entries in ascending key order.
    pub fn iter<'a>(&self, store: &'a dyn ChunkStore) -> Range<'a> {
        use std::ops::Bound::Unbounded;
        self.range(store, Unbounded, Unbounded, Order::Ascending)
    }

    /// Applies a batch of edits (`Some(value)` sets, `None` deletes) and returns the new map.
    /// When a key appears more than once, its last edit wins. Deleting an absent key is a no-op.
    /// Nothing is written to the store unless the whole edit succeeds.
    pub fn edit(
        &self,
        store: &mut dyn ChunkStore,
        edits: impl IntoIterator<Item = (Vec<u8>, Option<Vec<u8>>)>,
    ) -> Result<Map, Error> {
        let mut reader = cursor::Reader::new(store);
        let mut edits: Vec<(Vec<u8>, Option<Vec<u8>>)> = edits.into_iter().collect();
        // Values are checked as they are encoded below; nothing is written before all pass.
        for (key, _) in &edits {
            check_key(key)?;
        }
        // Edits from a sorted source (a transaction's pending rows) need no sorting or merging.
        let unique = if edits.windows(2).all(|pair| pair[0].0 < pair[1].0) {
            edits
        } else {
            // A stable sort keeps repeated keys in the order given; keep only the last of each.
            edits.sort_by(|a, b| a.0.cmp(&b.0));
            let mut unique: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::with_capacity(edits.len());
            for edit in edits {
                match unique.last_mut() {
                    Some(last) if last.0 == edit.0 => *last = edit,
                    _ => unique.push(edit),
                }
            }
            unique
        };
        let mut out = Vec::new();
        let encoded = unique
            .into_iter()
            .map(|(key, value)| {
                let value = value.map(|v| encode_value(&v, &mut out)).transpose()?;
                Ok((key, value))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let root = edit::apply(&mut reader, self.root, &encoded, &mut out)?;
        drop(reader);
        put_all(store, &mut out)?;
        Ok(Map { root })
    }

    /// Differences from `self` to `to`, in key order. Costs follow the size of the difference:
    /// equal subtrees are skipped by hash.
    pub fn diff<'a>(&self, to: &Map, store: &'a dyn ChunkStore) -> Diff<'a> {
        Diff::new(store, self.root, to.root)
    }

    /// Three-way merge: applies the changes from `base` to `theirs` onto `ours`. Where both
    /// sides changed a key differently, `policy` decides; see [`Resolution`].
    pub fn merge(
        base: &Map,
        ours: &Map,
        theirs: &Map,
        store: &mut dyn ChunkStore,
        policy: impl FnMut(&Conflict) -> Resolution,
    ) -> Result<MergeOutcome, Error> {
        merge::merge(base, ours, theirs, store, policy)
    }

    /// Visits every map node of the tree not already in `seen` (adding it), a level at a time,
    /// loading each level in batches; subtrees whose root is in `seen` are not entered.
    fn walk_nodes(
        &self,
        reader: &mut cursor::Reader,
        seen: &mut std::collections::HashSet<Hash>,
        mut visit: impl FnMut(&node::Node),
    ) -> Result<(), Error> {
        /// Nodes asked for in one batch while walking a level.
        const WALK_BATCH_NODES: usize = 1024;
        if !seen.insert(self.root) {
            return Ok(());
        }
        let mut level = vec![reader.node(self.root)?];
        while !level.is_empty() {
            let mut children = Vec::new();
            for node in &level {
                visit(node);
                if !node.is_leaf() {
                    let fresh =
                        (0..node.len()).map(|i| node.child(i).hash).filter(|h| seen.insert(*h));
                    children.extend(fresh);
                }
            }
            level = Vec::with_capacity(children.len());
            for batch in children.chunks(WALK_BATCH_NODES) {
                level.extend(reader.nodes(batch)?);
            }
        }
        Ok(())
    }

    /// Walks the whole tree and reports its shape.
    pub fn stats(&self, store: &dyn ChunkStore) -> Result<Stats, Error> {
        let mut reader = cursor::Reader::new(store);
        let mut stats = Stats::default();
        // A tree never holds one node twice (keys strictly ascend), so nothing is skipped.
        let mut seen = std::collections::HashSet::new();
        self.walk_nodes(&mut reader, &mut seen, |node| {
            stats.depth = stats.depth.max(node.level() + 1);
            stats.chunks += 1;
            stats.bytes += node.byte_len() as u64;
            if node.is_leaf() {
                stats.leaf_chunks += 1;
                stats.leaf_bytes += node.byte_len() as u64;
                stats.entries += node.len() as u64;
            }
        })?;
        Ok(stats)
    }

    /// Every chunk of the map: its nodes and the blob trees of its large values. This is what
    /// garbage collection keeps and what a push must make sure the other side has.
    pub fn chunk_hashes(&self, store: &dyn ChunkStore) -> Result<Vec<Hash>, Error> {
        let mut seen = std::collections::HashSet::new();
        let mut hashes = Vec::new();
        self.walk_chunks(store, &mut seen, &mut |hash| hashes.push(hash))?;
        Ok(hashes)
    }

    fn walk_chunks(
        &self,
        store: &dyn ChunkStore,
        seen: &mut std::collections::HashSet<Hash>,
        visit: &mut dyn FnMut(Hash),
    ) -> Result<(), Error> {
        let mut reader = cursor::Reader::new(store);
        let mut blobs = Vec::new();
        self.walk_nodes(&mut reader, seen, |node| {
            visit(node.hash());
            if node.is_leaf() {
                blobs.extend((0..node.len()).filter_map(|i| blob_ref(node.value(i))));
            }
        })?;
        for (root, len) in blobs {
            if seen.contains(&root) {
                continue;
            }
            blob::walk(&mut reader, root, len, |hash, _| {
                if seen.insert(hash) {
                    visit(hash);
                }
            })?;
        }
        Ok(())
    }
}
