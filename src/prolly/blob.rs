//! Values too large to sit inside a leaf: stored as a blob tree (chunk kind 0x02) of fixed-size
//! leaves under internal nodes that list their children's hashes and byte lengths.

use crate::chunk::{Chunk, Hash, HASH_BYTES};

use super::cursor::Reader;
use super::Error;

pub(crate) const KIND_BLOB_NODE: u8 = 0x02;
const BLOB_NODE_VERSION: u8 = 1;
const HEADER_BYTES: usize = 4;
/// Payload bytes per blob leaf.
pub(crate) const BLOB_LEAF_BYTES: usize = 4096;
/// Children per internal blob node.
pub(crate) const BLOB_FANOUT: usize = 256;
const BLOB_CHILD_BYTES: usize = HASH_BYTES + 8;
const BLOB_LEVELS_MAX: u8 = 6;

/// Writes `data` as a blob tree; returns its root. The shape depends only on the length.
pub(crate) fn write(data: &[u8], out: &mut Vec<Chunk>) -> Hash {
    let mut level_refs: Vec<(Hash, u64)> = data
        .chunks(BLOB_LEAF_BYTES)
        .map(|piece| {
            let mut bytes = Vec::with_capacity(HEADER_BYTES + piece.len());
            bytes.extend_from_slice(&[KIND_BLOB_NODE, BLOB_NODE_VERSION, 0, 0]);
            bytes.extend_from_slice(piece);
            let chunk = Chunk::new(bytes);
            let hash = chunk.hash();
            out.push(chunk);
            (hash, piece.len() as u64)
        })
        .collect();
    let mut level = 0u8;
    while level_refs.len() > 1 {
        level += 1;
        level_refs = level_refs
            .chunks(BLOB_FANOUT)
            .map(|children| {
                let mut bytes =
                    Vec::with_capacity(HEADER_BYTES + children.len() * BLOB_CHILD_BYTES);
                bytes.extend_from_slice(&[KIND_BLOB_NODE, BLOB_NODE_VERSION, level, 0]);
                for (hash, len) in children {
                    bytes.extend_from_slice(hash.as_bytes());
                    bytes.extend_from_slice(&len.to_le_bytes());
                }
                let chunk = Chunk::new(bytes);
                let hash = chunk.hash();
                out.push(chunk);
                (hash, children.iter().map(|(_, len)| len).sum())
            })
            .collect();
    }
    level_refs[0].0
}

/// Reads a blob tree of `len` bytes, one batched load per level.
pub(crate) fn read(reader: &mut Reader, root: Hash, len: u64) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    walk(reader, root, len, |_, leaf| out.extend_from_slice(leaf))?;
    if out.len() as u64 != len {
        return Err(Error::malformed(root, "blob length differs from its reference"));
    }
    Ok(out)
}

/// One blob node, read from its bytes.
pub(crate) enum BlobNode<'a> {
    /// A leaf (level 0) and its piece of the value.
    Leaf(&'a [u8]),
    /// An internal node at `level` (1 or more) and its children: each one's hash and the value
    /// bytes this node records under it.
    Internal { level: u8, children: Vec<(Hash, u64)> },
}

/// Decodes the blob node `hash`, refusing (as malformed) what `docs/format.md` says a reader
/// refuses of one node on its own. Checks that need the node's place in its tree (its level
/// against its parent's, its bytes against its reference) are the caller's.
pub(crate) fn decode_blob_node(hash: Hash, data: &[u8]) -> Result<BlobNode<'_>, Error> {
    let malformed = |reason| Error::malformed(hash, reason);
    if data.len() < HEADER_BYTES
        || data[0] != KIND_BLOB_NODE
        || data[1] != BLOB_NODE_VERSION
        || data[3] != 0
    {
        return Err(malformed("not a blob node"));
    }
    let level = data[2];
    if level > BLOB_LEVELS_MAX {
        return Err(malformed("blob node at the wrong level"));
    }
    let body = &data[HEADER_BYTES..];
    if level == 0 {
        return Ok(BlobNode::Leaf(body));
    }
    if body.is_empty() || body.len() % BLOB_CHILD_BYTES != 0 {
        return Err(malformed("blob node children are not whole"));
    }
    let children = body
        .chunks(BLOB_CHILD_BYTES)
        .map(|child| {
            let hash = Hash::from_slice(child).expect("20 bytes");
            (hash, u64::from_le_bytes(child[HASH_BYTES..].try_into().expect("8 bytes")))
        })
        .collect();
    Ok(BlobNode::Internal { level, children })
}

/// Visits every node of a blob tree of `len` bytes, level by level, with its hash and, for
/// leaves, its payload. Loads one batch per level.
pub(crate) fn walk(
    reader: &mut Reader,
    root: Hash,
    len: u64,
    mut visit: impl FnMut(Hash, &[u8]),
) -> Result<(), Error> {
    let mut level_hashes = vec![root];
    let mut expected_level: Option<u8> = None;
    let mut leaf_bytes = 0u64;
    loop {
        let chunks = reader.store().get_many(&level_hashes)?;
        let mut next = Vec::new();
        for (hash, chunk) in level_hashes.iter().zip(chunks) {
            let chunk = chunk.ok_or(crate::chunk::Error::NotFound(*hash))?;
            let node = decode_blob_node(*hash, chunk.data())?;
            let level = match &node {
                BlobNode::Leaf(_) => 0,
                BlobNode::Internal { level, .. } => *level,
            };
            if expected_level.is_some_and(|e| e != level) {
                return Err(Error::malformed(*hash, "blob node at the wrong level"));
            }
            expected_level = Some(level);
            match node {
                BlobNode::Leaf(body) => {
                    leaf_bytes += body.len() as u64;
                    visit(*hash, body);
                }
                BlobNode::Internal { children, .. } => {
                    visit(*hash, &[]);
                    next.extend(children.into_iter().map(|(child, _)| child));
                }
            }
            // A hostile tree could list one leaf many times; stop before holding more than asked.
            if leaf_bytes > len || next.len() as u64 > len / BLOB_LEAF_BYTES as u64 + 1 {
                return Err(Error::malformed(root, "blob is longer than its reference says"));
            }
        }
        match expected_level {
            Some(0) => return Ok(()),
            Some(level) => expected_level = Some(level - 1),
            None => unreachable!("a level has at least the root"),
        }
        level_hashes = next;
    }
}
