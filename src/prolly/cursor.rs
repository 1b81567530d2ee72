//! Reading nodes (`Reader`, with batched readahead) and walking trees (`Cursor`).
//!
//! Every cursor move that needs a chunk loads it before changing any state, so a move that fails
//! with `Missing` can be repeated after the chunks are loaded, exactly as if it had never run.

use crate::chunk::{AddressMap, ChunkStore, Hash};

use super::node::Node;
use super::Error;

/// Leaves fetched in one batch when a scan enters a new stretch of the tree.
pub(crate) const READAHEAD_NODES: usize = 32;
/// Decoded nodes one reader keeps (about 16 MiB of 4 KiB nodes, shared with the store's copies).
/// The cache lives as long as one operation, so it never outlives the tree it describes.
const NODE_CACHE_NODES_MAX: usize = 4096;

/// Loads and decodes nodes from a store, keeping decoded nodes for the rest of the operation:
/// a merge reads the base's nodes from two diffs and ours again to edit, and each edit seeks
/// through the same internal nodes.
pub(crate) struct Reader<'a> {
    store: &'a dyn ChunkStore,
    readahead: usize,
    prefetched: AddressMap<Node>,
    cache: AddressMap<Node>,
}

impl<'a> Reader<'a> {
    pub fn new(store: &'a dyn ChunkStore) -> Reader<'a> {
        Reader {
            store,
            readahead: 0,
            prefetched: AddressMap::default(),
            cache: AddressMap::default(),
        }
    }

    fn remember(&mut self, node: &Node) {
        if self.cache.len() >= NODE_CACHE_NODES_MAX {
            self.cache.clear();
        }
        self.cache.insert(node.hash(), node.clone());
    }

    /// A reader that, when it descends to a leaf, fetches up to `nodes` sibling leaves ahead
    /// in the same batch.
    pub fn with_readahead(store: &'a dyn ChunkStore, nodes: usize) -> Reader<'a> {
        Reader { readahead: nodes, ..Reader::new(store) }
    }

    pub fn store(&self) -> &'a dyn ChunkStore {
        self.store
    }

    pub fn node(&mut self, hash: Hash) -> Result<Node, Error> {
        if let Some(node) = self.prefetched.remove(&hash) {
            return Ok(node);
        }
        if let Some(node) = self.cache.get(&hash) {
            return Ok(node.clone());
        }
        let node = if hash == super::node::empty_leaf_hash() {
            Node::decode(super::node::empty_leaf())?
        } else {
            Node::decode(self.store.get(hash)?)?
        };
        self.remember(&node);
        Ok(node)
    }

    /// Loads several nodes in one batch (asking the store only for those not cached).
    pub fn nodes(&mut self, hashes: &[Hash]) -> Result<Vec<Node>, Error> {
        let wanted: Vec<Hash> =
            hashes.iter().filter(|h| !self.cache.contains_key(h)).copied().collect();
        let chunks = if wanted.is_empty() { Vec::new() } else { self.store.get_many(&wanted)? };
        let mut fresh = AddressMap::with_capacity_and_hasher(wanted.len(), Default::default());
        for (hash, chunk) in wanted.iter().zip(chunks) {
            let node = Node::decode(chunk.ok_or(crate::chunk::Error::NotFound(*hash))?)?;
            self.remember(&node);
            fresh.insert(*hash, node);
        }
        Ok(hashes
            .iter()
            .map(|hash| fresh.get(hash).or_else(|| self.cache.get(hash)).expect("loaded").clone())
            .collect())
    }

    /// Loads child `index` of `parent`; with readahead, also the next leaves in `forward`
    /// direction, so a scan asks the store once per stretch of leaves instead of once per leaf.
    pub fn child(&mut self, parent: &Node, index: usize, forward: bool) -> Result<Node, Error> {
        let hash = parent.child(index).hash;
        if self.readahead == 0 || parent.level() != 1 || self.prefetched.contains_key(&hash) {
            return self.node(hash);
        }
        let span: Vec<usize> = if forward {
            (index..parent.len().min(index + self.readahead)).collect()
        } else {
            (index.saturating_sub(self.readahead - 1)..=index).rev().collect()
        };
        let hashes: Vec<Hash> = span.iter().map(|&i| parent.child(i).hash).collect();
        let nodes = self.nodes(&hashes)?;
        self.prefetched.clear();
        self.prefetched.extend(hashes.into_iter().zip(nodes));
        self.node(hash)
    }
}

/// One step of a path through a tree: a node and a position in it.
#[derive(Clone)]
pub(crate) struct Frame {
    pub node: Node,
    pub index: usize,
}

/// A path from the root to a node at some level. The last frame is the current node and its
/// index the current entry (`index == len` means "past this node's last entry").
#[derive(Clone)]
pub(crate) struct Cursor {
    pub frames: Vec<Frame>,
}

impl Cursor {
    /// A cursor at the root's first entry, for walks that descend one level at a time.
    pub fn at_root(root: Node) -> Cursor {
        Cursor { frames: vec![Frame { node: root, index: 0 }] }
    }

    /// Descends from `root` to `stop_level` towards `key`. Internal frames point at the first
    /// child whose last key is `>= key`, or the last child; the bottom frame's index is the
    /// first entry `>= key`, which is `len` only when `key` is past every key of the tree.
    pub fn seek(
        reader: &mut Reader,
        root: Node,
        key: &[u8],
        stop_level: u8,
    ) -> Result<Cursor, Error> {
        let mut frames = Vec::with_capacity(usize::from(root.level()) + 1);
        let mut node = root;
        loop {
            let index = node.search(key);
            if node.level() == stop_level {
                frames.push(Frame { node, index });
                return Ok(Cursor { frames });
            }
            let index = index.min(node.len() - 1);
            let child = reader.child(&node, index, true)?;
            frames.push(Frame { node, index });
            node = child;
        }
    }

    /// Moves a cursor made by [`Cursor::seek`] on to the first entry `>= key`, for a `key` not
    /// below the one it stands on: it climbs only as far as the node holding `key` and descends
    /// from there, so ascending look-ups read each node on their way once instead of searching
    /// from the root each time. Loads everything before changing `self`.
    pub fn seek_forward(&mut self, reader: &mut Reader, key: &[u8]) -> Result<(), Error> {
        // The lowest frame whose node's last key is `>= key`; the root when none is.
        let pivot = (1..self.frames.len())
            .rev()
            .find(|&i| self.frames[i].node.last_key().is_some_and(|last| last >= key))
            .unwrap_or(0);
        let stop_level = self.top().node.level();
        let frame = &self.frames[pivot];
        let index = frame.node.search_from(frame.index, key);
        if frame.node.level() == stop_level {
            self.frames.truncate(pivot + 1);
            self.frames[pivot].index = index;
            return Ok(());
        }
        let index = index.min(frame.node.len() - 1);
        let mut added = Vec::new();
        let mut node = reader.child(&frame.node, index, true)?;
        loop {
            let at = node.search(key);
            if node.level() == stop_level {
                added.push(Frame { node, index: at });
                break;
            }
            let at = at.min(node.len() - 1);
            let child = reader.child(&node, at, true)?;
            added.push(Frame { node, index: at });
            node = child;
        }
        self.frames.truncate(pivot + 1);
        self.frames[pivot].index = index;
        self.frames.extend(added);
        Ok(())
    }

    /// The first (or last) entry at `stop_level`.
    pub fn edge(
        reader: &mut Reader,
        root: Node,
        stop_level: u8,
        forward: bool,
    ) -> Result<Cursor, Error> {
        let mut cursor = Cursor { frames: Vec::new() };
        cursor.push_edge(reader, root, stop_level, forward)?;
        Ok(cursor)
    }

    /// Appends frames from `node` down to `stop_level`, always at the first (or last) entry.
    /// Loads everything before changing `self`.
    fn push_edge(
        &mut self,
        reader: &mut Reader,
        node: Node,
        stop_level: u8,
        forward: bool,
    ) -> Result<(), Error> {
        let mut added = Vec::new();
        let mut node = node;
        loop {
            let index = if forward { 0 } else { node.len().saturating_sub(1) };
            if node.level() == stop_level {
                added.push(Frame { node, index });
                break;
            }
            let child = reader.child(&node, index, forward)?;
            added.push(Frame { node, index });
            node = child;
        }
        self.frames.extend(added);
        Ok(())
    }

    pub fn top(&self) -> &Frame {
        self.frames.last().expect("a cursor has a frame")
    }

    /// The current entry's key and encoded value, if the cursor is on an entry.
    pub fn entry(&self) -> Option<(&[u8], &[u8])> {
        let frame = self.frames.last()?;
        (frame.index < frame.node.len())
            .then(|| (frame.node.key(frame.index), frame.node.value(frame.index)))
    }

    /// Whether the current node is the last of its level.
    pub fn on_last_node(&self) -> bool {
        let ancestors = &self.frames[..self.frames.len() - 1];
        ancestors.iter().all(|frame| frame.index + 1 == frame.node.len())
    }

    /// Moves to the next (or previous) node of the current level, at its first (or last) entry.
    /// Returns false, unchanged, when there is none.
    pub fn step_node(&mut self, reader: &mut Reader, forward: bool) -> Result<bool, Error> {
        let depth = self.frames.len() - 1;
        let pivot = (0..depth).rev().find(|&i| {
            let frame = &self.frames[i];
            if forward {
                frame.index + 1 < frame.node.len()
            } else {
                frame.index > 0
            }
        });
        let Some(pivot) = pivot else { return Ok(false) };
        let level = self.top().node.level();
        let parent = &self.frames[pivot];
        let index = if forward { parent.index + 1 } else { parent.index - 1 };
        let child = reader.child(&parent.node, index, forward)?;
        let mut moved = Cursor { frames: self.frames[..=pivot].to_vec() };
        moved.frames[pivot].index = index;
        moved.push_edge(reader, child, level, forward)?;
        *self = moved;
        Ok(true)
    }

    /// Moves to the next (or previous) entry at the current level, crossing into neighbouring
    /// nodes. Returns false, unchanged, at the end.
    pub fn step_entry(&mut self, reader: &mut Reader, forward: bool) -> Result<bool, Error> {
        let frame = self.frames.last_mut().expect("a cursor has a frame");
        if forward && frame.index + 1 < frame.node.len() {
            frame.index += 1;
            return Ok(true);
        }
        if !forward && frame.index > 0 && frame.node.len() > 0 {
            frame.index = frame.index.min(frame.node.len()) - 1;
            return Ok(true);
        }
        self.step_node(reader, forward)
    }

    /// Moves to the next entry of the current node, or climbs to the parent's next entry when the
    /// node is done. Needs no IO. Returns false when the whole tree is done.
    pub fn step_up(&mut self) -> bool {
        while let Some(frame) = self.frames.last_mut() {
            frame.index += 1;
            if frame.index < frame.node.len() {
                return true;
            }
            self.frames.pop();
        }
        false
    }

    /// Descends into the child under the current entry, at its first entry.
    pub fn descend(&mut self, reader: &mut Reader) -> Result<(), Error> {
        let frame = self.top();
        let child = reader.child(&frame.node, frame.index, true)?;
        self.frames.push(Frame { node: child, index: 0 });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::MemoryStore;
    use crate::prolly::Map;

    /// Ascending look-ups, present and absent, past the end too, land where a fresh seek from
    /// the root does, on a tree of three levels.
    #[test]
    fn seek_forward_lands_where_a_fresh_seek_does() {
        let mut store = MemoryStore::new();
        let key = |i: u64| (i * 2).to_be_bytes().to_vec();
        let map = Map::build(&mut store, (0..60_000u64).map(|i| (key(i), vec![7u8; 40]))).unwrap();
        let mut reader = Reader::new(&store);
        let root = reader.node(map.root()).unwrap();
        assert!(root.level() >= 2, "the tree is deep enough to climb");
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20 {
            let mut at = 0u64;
            let mut cursor = Cursor::seek(&mut reader, root.clone(), &at.to_be_bytes(), 0).unwrap();
            while at < 121_000 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                at += seed % [3, 300, 9_000][(seed >> 40) as usize % 3];
                let target = at.to_be_bytes();
                cursor.seek_forward(&mut reader, &target).unwrap();
                let fresh = Cursor::seek(&mut reader, root.clone(), &target, 0).unwrap();
                assert_eq!(cursor.entry(), fresh.entry(), "look-up of {at}");
                let indexes = |c: &Cursor| c.frames.iter().map(|f| f.index).collect::<Vec<_>>();
                assert_eq!(indexes(&cursor), indexes(&fresh), "path to {at}");
            }
        }
    }
}
