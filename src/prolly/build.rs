//! Builders that turn ordered entries into nodes: `LevelBuilder` chunks one level, `TreeBuilder`
//! stacks levels to build a whole tree from sorted entries in one pass.

use crate::chunk::{Chunk, Hash};

use super::chunker::{entry_bytes, Chunker};
use super::node::{ChildRef, Node, NodeBuffer};

/// A node just written by a builder, as its parent will list it.
#[derive(Clone, Debug)]
pub(crate) struct Emitted {
    /// The node's last (largest) key.
    pub key: Vec<u8>,
    pub child: ChildRef,
}

/// Chunks one level: entries go in, finished nodes come out at each boundary.
#[derive(Clone)]
pub(crate) struct LevelBuilder {
    level: u8,
    chunker: Chunker,
    buffer: NodeBuffer,
    count: u64,
}

impl LevelBuilder {
    pub fn new(level: u8) -> LevelBuilder {
        LevelBuilder {
            level,
            chunker: Chunker::new(level),
            buffer: NodeBuffer::default(),
            count: 0,
        }
    }

    /// True when no entry is waiting: the previous entry (if any) ended a node.
    pub fn at_boundary(&self) -> bool {
        self.buffer.is_empty()
    }

    /// Adds an entry whose subtree holds `count` leaf entries (1 for a leaf entry). Returns the
    /// node it completed, after appending that node's chunk to `out`.
    pub fn push(
        &mut self,
        key: &[u8],
        value: &[u8],
        count: u64,
        out: &mut Vec<Chunk>,
    ) -> Option<Emitted> {
        self.buffer.push(key, value);
        self.count += count;
        if self.chunker.push(key, entry_bytes(key, value)) {
            Some(self.emit(out))
        } else {
            None
        }
    }

    /// Adds entries `start..end` of `node` (of this builder's level), calling `emitted` for each
    /// node completed. The chunker still sees every key; the bytes are copied in runs.
    pub fn push_run(
        &mut self,
        node: &Node,
        start: usize,
        end: usize,
        out: &mut Vec<Chunk>,
        emitted: &mut dyn FnMut(Emitted),
    ) {
        debug_assert_eq!(node.level(), self.level);
        let mut run = start;
        // The chunker's state is only the bytes since the last boundary. When it matches the
        // bytes before `start` in `node`, it is the state the node was built in, and the node
        // holds no boundary before its last entry: those entries need no key hashing, only
        // their bytes and counts. An edit that kept entry sizes leaves the rest of its node so.
        let mut from = start;
        let synced_end = end.min(node.len().saturating_sub(1));
        if from < synced_end && self.chunker.bytes() == node.prefix_bytes(from) {
            self.count += node.run_count(from, synced_end);
            self.chunker.skip(node.prefix_bytes(synced_end) - node.prefix_bytes(from));
            from = synced_end;
        }
        for (i, key, value) in node.entries(from, end) {
            self.count += if self.level == 0 { 1 } else { ChildRef::count_of(value) };
            if self.chunker.push(key, entry_bytes(key, value)) {
                self.buffer.push_run(node, run, i + 1);
                run = i + 1;
                emitted(self.emit(out));
            }
        }
        self.buffer.push_run(node, run, end);
    }

    /// Ends the level: writes the partly filled last node, if any.
    pub fn finish(&mut self, out: &mut Vec<Chunk>) -> Option<Emitted> {
        (!self.buffer.is_empty()).then(|| self.emit(out))
    }

    fn emit(&mut self, out: &mut Vec<Chunk>) -> Emitted {
        let key = self.buffer.last_key().expect("a node has entries").to_vec();
        let chunk = self.buffer.encode(self.level);
        let child = ChildRef { hash: chunk.hash(), count: self.count };
        self.count = 0;
        self.chunker = Chunker::new(self.level);
        out.push(chunk);
        Emitted { key, child }
    }
}

/// Builds a whole tree from entries in ascending key order, holding one partial node per level.
///
/// The root is the only node of the lowest level that has exactly one node, which is also how
/// edits leave a tree, so both paths give the same shape and hash. A level's first node is held
/// back until a second one exists: a lone node is the root, and pushing it upward would write
/// parent chunks nothing refers to.
#[derive(Clone)]
pub(crate) struct TreeBuilder {
    levels: Vec<LevelState>,
}

#[derive(Clone)]
struct LevelState {
    builder: LevelBuilder,
    /// The level's first node, until the level has a second one.
    first: Option<Emitted>,
    nodes: u64,
}

impl LevelState {
    fn new(level: u8) -> LevelState {
        LevelState { builder: LevelBuilder::new(level), first: None, nodes: 0 }
    }
}

impl TreeBuilder {
    /// A builder whose first entries are at `level` (0 for leaf entries).
    pub fn new(level: u8) -> TreeBuilder {
        TreeBuilder { levels: vec![LevelState::new(level)] }
    }

    pub fn push(&mut self, key: &[u8], value: &[u8], count: u64, out: &mut Vec<Chunk>) {
        if let Some(emitted) = self.levels[0].builder.push(key, value, count, out) {
            self.completed(0, emitted, out);
        }
    }

    /// Records a node completed at level `index` and passes it (with the held first node, once
    /// there are two) to the level above.
    fn completed(&mut self, index: usize, emitted: Emitted, out: &mut Vec<Chunk>) {
        let state = &mut self.levels[index];
        state.nodes += 1;
        if state.nodes == 1 {
            state.first = Some(emitted);
            return;
        }
        let held = state.first.take();
        if self.levels.len() == index + 1 {
            let level = self.levels[index].builder.level + 1;
            assert!(level < super::TREE_LEVELS_MAX, "tree depth bound exceeded");
            self.levels.push(LevelState::new(level));
        }
        for node in held.into_iter().chain([emitted]) {
            let value = node.child.encode();
            let above =
                self.levels[index + 1].builder.push(&node.key, &value, node.child.count, out);
            if let Some(above) = above {
                self.completed(index + 1, above, out);
            }
        }
    }

    /// Writes the partial nodes and returns the root, or `None` when no entry was pushed.
    pub fn finish(mut self, out: &mut Vec<Chunk>) -> Option<Hash> {
        let mut index = 0;
        loop {
            if let Some(emitted) = self.levels[index].builder.finish(out) {
                self.completed(index, emitted, out);
            }
            match self.levels[index].nodes {
                0 => return None,
                1 => return self.levels[index].first.as_ref().map(|root| root.child.hash),
                _ => index += 1,
            }
        }
    }
}
