//! Batched edits. Each level is re-chunked only around the edits: from the start of the first
//! node an edit touches until the chunker falls on an old node boundary again, after which the
//! old nodes are reused as they are. The replaced and new nodes become the edits of the level
//! above, up to the root.

use std::collections::BTreeMap;

use crate::chunk::{Chunk, Hash};

use super::build::{Emitted, LevelBuilder, TreeBuilder};
use super::cursor::{Cursor, Reader};
use super::node::Node;
use super::Error;

/// Sorted, unique edits of one level: key → new encoded value, or `None` to delete.
type Edits = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// Applies sorted, unique, encoded edits to the tree under `root`. New chunks are appended to
/// `out`; nothing is written to the store. Returns the new root.
pub(crate) fn apply(
    reader: &mut Reader,
    root: Hash,
    edits: &[(Vec<u8>, Option<Vec<u8>>)],
    out: &mut Vec<Chunk>,
) -> Result<Hash, Error> {
    let root_node = reader.node(root)?;
    let mut parent_edits: Edits;
    let mut edits = edits;
    for level in 0..=root_node.level() {
        if edits.is_empty() {
            return Ok(root);
        }
        let outcome = rechunk_level(reader, &root_node, level, edits, out)?;
        if level < root_node.level() {
            parent_edits = outcome.parent_edits;
            edits = &parent_edits;
            continue;
        }
        if outcome.parent_edits.is_empty() {
            return Ok(root);
        }
        return finish_root(reader, level, outcome.emitted, out);
    }
    unreachable!("the loop returns at the root level")
}

/// Turns the new nodes of the old root's level into a root: grows the tree when there are
/// several, and drops single-child roots, so the shape matches a tree built from scratch.
fn finish_root(
    reader: &mut Reader,
    level: u8,
    emitted: Vec<Emitted>,
    out: &mut Vec<Chunk>,
) -> Result<Hash, Error> {
    let mut root = match emitted.len() {
        0 => {
            let empty = super::node::empty_leaf();
            let hash = empty.hash();
            out.push(empty);
            return Ok(hash);
        }
        1 => emitted[0].child.hash,
        _ => {
            let mut builder = TreeBuilder::new(level + 1);
            for node in &emitted {
                builder.push(&node.key, &node.child.encode(), node.child.count, out);
            }
            return Ok(builder.finish(out).expect("several nodes were pushed"));
        }
    };
    loop {
        let node = match out.iter().find(|chunk| chunk.hash() == root) {
            Some(chunk) => Node::decode(chunk.clone())?,
            None => reader.node(root)?,
        };
        if node.is_leaf() || node.len() > 1 {
            return Ok(root);
        }
        // A single-child node above the root is not part of the tree: do not write it.
        out.retain(|chunk| chunk.hash() != root);
        root = node.child(0).hash;
    }
}

struct LevelOutcome {
    /// Edits for the level above: old nodes removed (keyed by their last key), new nodes added.
    parent_edits: Edits,
    /// The nodes written at this level, in order.
    emitted: Vec<Emitted>,
}

/// Whether any edit in `edits` changes `node`.
fn changes_node(node: &Node, edits: &[(Vec<u8>, Option<Vec<u8>>)]) -> bool {
    let mut index = 0;
    edits.iter().any(|(key, value)| {
        index = node.search_from(index, key);
        let present = index < node.len() && node.key(index) == key.as_slice();
        match value {
            None => present,
            Some(value) => !present || node.value(index) != value.as_slice(),
        }
    })
}

/// How many of `edits` fall into `node` (all of them when it is the last node of its level).
fn edits_in_node(node: &Node, last_node: bool, edits: &[(Vec<u8>, Option<Vec<u8>>)]) -> usize {
    match node.last_key() {
        Some(last) if !last_node => edits.partition_point(|(key, _)| key.as_slice() <= last),
        _ => edits.len(),
    }
}

fn rechunk_level(
    reader: &mut Reader,
    root: &Node,
    level: u8,
    edits: &[(Vec<u8>, Option<Vec<u8>>)],
    out: &mut Vec<Chunk>,
) -> Result<LevelOutcome, Error> {
    let mut parent: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
    let mut emitted = Vec::new();
    // One builder for every stretch: each stretch ends at a boundary, which leaves it empty, and
    // its buffers keep their capacity from one node to the next.
    let mut builder = LevelBuilder::new(level);
    let mut next = 0;
    while next < edits.len() {
        let mut cursor = Cursor::seek(reader, root.clone(), &edits[next].0, level)?;
        let first = &cursor.top().node;
        let taken = edits_in_node(first, cursor.on_last_node(), &edits[next..]);
        if !changes_node(first, &edits[next..next + taken]) {
            next += taken;
            continue;
        }
        // Re-chunk from this node's start until a new boundary meets an old node's end.
        debug_assert!(builder.at_boundary());
        loop {
            let node = cursor.top().node.clone();
            let last_node = cursor.on_last_node();
            let taken = edits_in_node(&node, last_node, &edits[next..]);
            if let Some(last) = node.last_key() {
                parent.entry(last.to_vec()).or_insert(None);
            }
            let mut record = |done: Emitted| {
                parent.insert(done.key.clone(), Some(done.child.encode().to_vec()));
                emitted.push(done);
            };
            merge_node(&node, &edits[next..next + taken], &mut builder, out, &mut record);
            next += taken;
            if last_node {
                if let Some(done) = builder.finish(out) {
                    parent.insert(done.key.clone(), Some(done.child.encode().to_vec()));
                    emitted.push(done);
                }
                break;
            }
            if builder.at_boundary() {
                break;
            }
            let moved = cursor.step_node(reader, true)?;
            assert!(moved, "a node that is not the last of its level has a successor");
        }
    }
    Ok(LevelOutcome { parent_edits: parent.into_iter().collect(), emitted })
}

/// Feeds the entries of `node` with `edits` applied, in key order, to `builder`: unchanged
/// stretches as runs, edited entries one by one.
fn merge_node(
    node: &Node,
    edits: &[(Vec<u8>, Option<Vec<u8>>)],
    builder: &mut LevelBuilder,
    out: &mut Vec<Chunk>,
    emitted: &mut dyn FnMut(Emitted),
) {
    let mut index = 0;
    for (key, value) in edits {
        // Edits ascend, so each lands at or after the previous one.
        let at = node.search_from(index, key);
        builder.push_run(node, index, at, out, emitted);
        index = at;
        if index < node.len() && node.key(index) == key.as_slice() {
            index += 1;
        }
        if let Some(value) = value {
            let count = if node.is_leaf() { 1 } else { super::node::ChildRef::count_of(value) };
            if let Some(done) = builder.push(key, value, count, out) {
                emitted(done);
            }
        }
    }
    builder.push_run(node, index, node.len(), out, emitted);
}
