//! The byte format of map nodes (chunk kind 0x01): decoding with full validation, and encoding
//! from a buffer of entries. `docs/format.md` specifies the layout.

use crate::chunk::{Chunk, Hash, HASH_BYTES};

use super::{Error, KEY_BYTES_MAX, NODE_BYTES_HARD_MAX, TREE_LEVELS_MAX};

pub(crate) const KIND_MAP_NODE: u8 = 0x01;
pub(crate) const MAP_NODE_VERSION: u8 = 1;
const HEADER_BYTES: usize = 6;

/// Bytes of an internal node's value: child hash + subtree entry count (u64 little-endian).
pub(crate) const CHILD_REF_BYTES: usize = HASH_BYTES + 8;

/// Leaf value tags.
pub(crate) const VALUE_INLINE: u8 = 0x00;
pub(crate) const VALUE_BLOB: u8 = 0x01;
/// Bytes of an out-of-line leaf value: tag + blob root hash + total length (u64 LE).
pub(crate) const VALUE_BLOB_BYTES: usize = 1 + HASH_BYTES + 8;

/// Whether an out-of-line value's length is one that only a blob may hold: values that fit
/// inline are always stored inline, so the same contents always give the same node bytes.
fn blob_len_is_canonical(value: &[u8]) -> bool {
    let len = u64::from_le_bytes(value[1 + HASH_BYTES..].try_into().expect("8 bytes"));
    len > super::INLINE_VALUE_BYTES_MAX as u64 && len <= super::VALUE_BYTES_MAX as u64
}

/// A child pointer of an internal node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ChildRef {
    pub hash: Hash,
    /// Leaf entries in the child's subtree.
    pub count: u64,
}

impl ChildRef {
    pub fn encode(&self) -> [u8; CHILD_REF_BYTES] {
        let mut out = [0u8; CHILD_REF_BYTES];
        out[..HASH_BYTES].copy_from_slice(self.hash.as_bytes());
        out[HASH_BYTES..].copy_from_slice(&self.count.to_le_bytes());
        out
    }

    /// The subtree entry count inside an encoded child reference.
    pub fn count_of(encoded: &[u8]) -> u64 {
        ChildRef::decode(encoded).count
    }

    fn decode(bytes: &[u8]) -> ChildRef {
        debug_assert_eq!(bytes.len(), CHILD_REF_BYTES);
        let hash = Hash::from_slice(bytes).expect("validated length");
        let count = u64::from_le_bytes(bytes[HASH_BYTES..].try_into().expect("8 bytes"));
        ChildRef { hash, count }
    }
}

/// A decoded map node. Decoding validates the whole layout once, so the accessors below index
/// without further checks. Cloning shares the bytes.
#[derive(Clone)]
pub(crate) struct Node {
    chunk: Chunk,
    level: u8,
    len: usize,
    keys_at: usize,
    values_at: usize,
}

fn u16_at(data: &[u8], at: usize) -> usize {
    u16::from_le_bytes([data[at], data[at + 1]]) as usize
}

impl Node {
    /// Decodes and validates `chunk` as a map node.
    pub fn decode(chunk: Chunk) -> Result<Node, Error> {
        if validated::contains(chunk.hash()) {
            let data = chunk.data();
            let len = u16_at(data, 4);
            let keys_at = HEADER_BYTES + 4 * (len + 1);
            let values_at = keys_at + u16_at(data, HEADER_BYTES + 2 * len);
            return Ok(Node { level: data[2], len, keys_at, values_at, chunk });
        }
        let node = Node::validate(chunk)?;
        validated::insert(node.hash());
        Ok(node)
    }

    /// Decodes with every check of the format.
    fn validate(chunk: Chunk) -> Result<Node, Error> {
        let malformed = |reason| Error::malformed(chunk.hash(), reason);
        let data = chunk.data();
        if data.len() < HEADER_BYTES || data.len() > NODE_BYTES_HARD_MAX {
            return Err(malformed("map node size out of range"));
        }
        if data[0] != KIND_MAP_NODE {
            return Err(malformed("not a map node"));
        }
        if data[1] != MAP_NODE_VERSION {
            return Err(malformed("unknown map node version"));
        }
        let level = data[2];
        if level >= TREE_LEVELS_MAX || data[3] != 0 {
            return Err(malformed("bad map node level or reserved byte"));
        }
        let len = u16_at(data, 4);
        if len == 0 && level > 0 {
            return Err(malformed("an internal node has no children"));
        }
        let keys_at = HEADER_BYTES + 4 * (len + 1);
        if data.len() < keys_at {
            return Err(malformed("offset tables run past the end"));
        }
        let key_offset = |i: usize| u16_at(data, HEADER_BYTES + 2 * i);
        let value_offset = |i: usize| u16_at(data, HEADER_BYTES + 2 * (len + 1) + 2 * i);
        if key_offset(0) != 0 || value_offset(0) != 0 {
            return Err(malformed("offset tables do not start at zero"));
        }
        let values_at = keys_at + key_offset(len);
        if values_at + value_offset(len) != data.len() {
            return Err(malformed("offset tables do not cover the node exactly"));
        }
        for i in 0..len {
            if key_offset(i) > key_offset(i + 1) || value_offset(i) > value_offset(i + 1) {
                return Err(malformed("offsets decrease"));
            }
        }
        let node = Node { level, len, keys_at, values_at, chunk: chunk.clone() };
        let mut previous: Option<&[u8]> = None;
        for i in 0..len {
            let key = node.key(i);
            if key.len() > KEY_BYTES_MAX {
                return Err(malformed("a key is over the size limit"));
            }
            if previous.is_some_and(|p| p >= key) {
                return Err(malformed("keys are not strictly ascending"));
            }
            previous = Some(key);
            let value = node.value(i);
            let valid = if level > 0 {
                value.len() == CHILD_REF_BYTES
            } else {
                match value.first() {
                    Some(&VALUE_INLINE) => value.len() <= super::INLINE_VALUE_BYTES_MAX + 1,
                    Some(&VALUE_BLOB) => {
                        value.len() == VALUE_BLOB_BYTES && blob_len_is_canonical(value)
                    }
                    _ => false,
                }
            };
            if !valid {
                return Err(malformed("a value is not a valid encoding"));
            }
        }
        Ok(node)
    }

    pub fn hash(&self) -> Hash {
        self.chunk.hash()
    }

    pub fn level(&self) -> u8 {
        self.level
    }

    pub fn is_leaf(&self) -> bool {
        self.level == 0
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn byte_len(&self) -> usize {
        self.chunk.len()
    }

    fn offset(&self, table: usize, i: usize) -> usize {
        u16_at(self.chunk.data(), HEADER_BYTES + 2 * (table * (self.len + 1) + i))
    }

    /// Bytes entries `0..i` add to a node, as the chunker counts them.
    pub fn prefix_bytes(&self, i: usize) -> usize {
        self.offset(0, i) + self.offset(1, i) + 4 * i
    }

    pub fn key(&self, i: usize) -> &[u8] {
        let data = self.chunk.data();
        &data[self.keys_at + self.offset(0, i)..self.keys_at + self.offset(0, i + 1)]
    }

    /// The encoded value: a leaf value (tag + payload) or a child reference.
    pub fn value(&self, i: usize) -> &[u8] {
        let data = self.chunk.data();
        &data[self.values_at + self.offset(1, i)..self.values_at + self.offset(1, i + 1)]
    }

    /// How many entries, from entry `i` here and entry `j` in `other`, are equal pairwise (key
    /// and value). Compares entry lengths through the offset tables and the bytes in bulk, so
    /// long runs of equal entries cost a few instructions each rather than two calls to
    /// `memcmp`.
    pub fn equal_run(&self, i: usize, other: &Node, j: usize) -> usize {
        let most = (self.len - i).min(other.len - j);
        let (data, other_data) = (self.chunk.data(), other.chunk.data());
        let (k0, l0) = (self.offset(0, i), other.offset(0, j));
        let (v0, w0) = (self.offset(1, i), other.offset(1, j));
        // The tables of end offsets of the entries after i and j.
        fn table(node: &Node, t: usize, at: usize, entries: usize) -> &[u8] {
            let start = HEADER_BYTES + 2 * (t * (node.len + 1) + at + 1);
            &node.chunk.data()[start..start + 2 * entries]
        }
        let end = |t: &[u8], e: usize| usize::from(u16::from_le_bytes([t[2 * e], t[2 * e + 1]]));
        let delta = |x: usize, y: usize| (x as u16).wrapping_sub(y as u16);
        // Each bound below only narrows the run, so each scan stops at the previous one's end:
        // first the equal value bytes, then equal value lengths (where the offset tables differ
        // by the starting offsets' difference throughout), then the same for keys.
        let (va, vb) = (table(self, 1, i, most), table(other, 1, j, most));
        let values =
            common_prefix(&data[self.values_at + v0..], &other_data[other.values_at + w0..]);
        let run = leading(most, |e| end(va, e) - v0 <= values);
        let run = run.min(equal_deltas(&va[..2 * run], &vb[..2 * run], delta(v0, w0)));
        if run == 0 {
            return 0;
        }
        let (ka, kb) = (table(self, 0, i, run), table(other, 0, j, run));
        let run = run.min(equal_deltas(ka, kb, delta(k0, l0)));
        if run == 0 {
            return 0;
        }
        let bytes = end(ka, run - 1) - k0;
        let keys = common_prefix(
            &data[self.keys_at + k0..self.keys_at + k0 + bytes],
            &other_data[other.keys_at + l0..other.keys_at + l0 + bytes],
        );
        leading(run, |e| end(ka, e) - k0 <= keys)
    }

    /// Entries `start..end` as (index, key, encoded value), read by walking the offset tables
    /// once instead of looking each entry up.
    pub fn entries(&self, start: usize, end: usize) -> impl Iterator<Item = (usize, &[u8], &[u8])> {
        let data = self.chunk.data();
        let tables = &data[HEADER_BYTES..self.keys_at];
        let (key_ends, value_ends) = tables.split_at(2 * (self.len + 1));
        let at = |table: &[u8], i: usize| {
            usize::from(u16::from_le_bytes([table[2 * i], table[2 * i + 1]]))
        };
        let (keys, values) = (&data[self.keys_at..self.values_at], &data[self.values_at..]);
        (start..end).map(move |i| {
            let key = &keys[at(key_ends, i)..at(key_ends, i + 1)];
            (i, key, &values[at(value_ends, i)..at(value_ends, i + 1)])
        })
    }

    pub fn child(&self, i: usize) -> ChildRef {
        debug_assert!(!self.is_leaf());
        ChildRef::decode(self.value(i))
    }

    pub fn last_key(&self) -> Option<&[u8]> {
        self.len.checked_sub(1).map(|i| self.key(i))
    }

    /// The index of the first key `>= key` (`len` when every key is smaller).
    pub fn search(&self, key: &[u8]) -> usize {
        self.search_from(0, key)
    }

    /// [`Node::search`] for a caller that knows every key before index `from` is `< key`:
    /// ascending look-ups then search only what is left of the node.
    pub fn search_from(&self, from: usize, key: &[u8]) -> usize {
        debug_assert!(from == 0 || self.key(from - 1) < key);
        let (mut low, mut high) = (from.min(self.len), self.len);
        while low < high {
            let mid = (low + high) / 2;
            if self.key(mid) < key {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        low
    }

    /// Leaf entries under entries `start..end`.
    pub fn run_count(&self, start: usize, end: usize) -> u64 {
        if self.is_leaf() {
            (end - start) as u64
        } else {
            (start..end).map(|i| self.child(i).count).sum()
        }
    }

    /// Leaf entries under this node.
    pub fn subtree_count(&self) -> u64 {
        if self.is_leaf() {
            self.len as u64
        } else {
            (0..self.len).map(|i| self.child(i).count).sum()
        }
    }
}

/// What one map node refers to, read from its bytes. For walks that take a store's chunks in
/// batches of mixed kinds (fsck, garbage collection) rather than one tree at a time.
pub(crate) struct NodeRefs {
    pub level: u8,
    /// Leaf entries under the node, by its own entries.
    pub count: u64,
    /// An internal node's children, each with the entry count this node records for it.
    pub children: Vec<ChildRef>,
    /// A leaf's out-of-line values: each blob tree's root and the value's length in bytes.
    pub blobs: Vec<(Hash, u64)>,
}

/// Decodes `chunk` as a map node, with every check of [`Node::decode`], and lists what it
/// refers to.
pub(crate) fn node_refs(chunk: Chunk) -> Result<NodeRefs, Error> {
    let node = Node::decode(chunk)?;
    let (children, blobs) = if node.is_leaf() {
        (Vec::new(), (0..node.len()).filter_map(|i| super::blob_ref(node.value(i))).collect())
    } else {
        ((0..node.len()).map(|i| node.child(i)).collect(), Vec::new())
    };
    Ok(NodeRefs { level: node.level, count: node.subtree_count(), children, blobs })
}

/// Hashes of map nodes known to be well formed: ones this process encoded or already validated.
/// Whether bytes are a valid node depends only on the bytes, and a hash names exactly one byte
/// string, so skipping validation for these changes nothing but speed. Each thread keeps its own
/// bounded set; when it fills, it starts over.
mod validated {
    use std::cell::RefCell;

    use crate::chunk::{AddressSet, Hash};

    /// Hashes remembered at most (about 10 MiB).
    const VALIDATED_NODES_MAX: usize = 1 << 18;

    thread_local! {
        static VALIDATED: RefCell<AddressSet> = RefCell::new(AddressSet::default());
    }

    pub fn contains(hash: Hash) -> bool {
        VALIDATED.with(|set| set.borrow().contains(&hash))
    }

    pub fn insert(hash: Hash) {
        VALIDATED.with(|set| {
            let mut set = set.borrow_mut();
            if set.len() >= VALIDATED_NODES_MAX {
                set.clear();
            }
            set.insert(hash);
        });
    }
}

/// The length of the common prefix of two byte strings, compared eight bytes at a time.
/// How many of `0..n` satisfy `holds`, which must hold for a prefix of them (binary search).
fn leading(n: usize, holds: impl Fn(usize) -> bool) -> usize {
    let (mut low, mut high) = (0, n);
    while low < high {
        let middle = low + (high - low) / 2;
        if holds(middle) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    low
}

/// How many leading u16 (little-endian) pairs of two offset tables differ by exactly `delta`
/// (wrapping, as offsets of entries shifted by an earlier change do).
fn equal_deltas(a: &[u8], b: &[u8], delta: u16) -> usize {
    if delta == 0 {
        return common_prefix(a, b) / 2;
    }
    let pairs = a.len().min(b.len()) / 2;
    let at = |t: &[u8], e: usize| u16::from_le_bytes([t[2 * e], t[2 * e + 1]]);
    // Blocks of eight without an early exit inside, so the comparison runs as one vector step.
    const BLOCK: usize = 8;
    let mut e = 0;
    while e + BLOCK <= pairs {
        let (x, y) = (&a[2 * e..2 * (e + BLOCK)], &b[2 * e..2 * (e + BLOCK)]);
        let mut same = true;
        for k in 0..BLOCK {
            same &= at(x, k).wrapping_sub(at(y, k)) == delta;
        }
        if !same {
            break;
        }
        e += BLOCK;
    }
    e + (e..pairs).take_while(|&k| at(a, k).wrapping_sub(at(b, k)) == delta).count()
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    let mut at = 0;
    // 32-byte blocks folded without branches, so long equal stretches take a few vector steps.
    while at + 32 <= n {
        let mut diff = 0;
        for k in (at..at + 32).step_by(8) {
            diff |= word(a, k) ^ word(b, k);
        }
        if diff != 0 {
            break;
        }
        at += 32;
    }
    while at + 8 <= n {
        let (x, y) = (word(a, at), word(b, at));
        if x != y {
            return at + ((x ^ y).trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + a[at..n].iter().zip(&b[at..n]).take_while(|(x, y)| x == y).count()
}

/// The empty leaf: the whole tree of an empty map.
pub(crate) fn empty_leaf() -> Chunk {
    NodeBuffer::default().encode(0)
}

/// The empty leaf's hash, computed once.
pub(crate) fn empty_leaf_hash() -> Hash {
    static HASH: std::sync::OnceLock<Hash> = std::sync::OnceLock::new();
    *HASH.get_or_init(|| empty_leaf().hash())
}

/// Entries collected for one node, in order, before encoding.
#[derive(Clone, Default)]
pub(crate) struct NodeBuffer {
    keys: Vec<u8>,
    key_ends: Vec<usize>,
    values: Vec<u8>,
    value_ends: Vec<usize>,
    /// The encoding of the last node, kept so the next one reuses its allocation.
    encoded: Vec<u8>,
}

impl NodeBuffer {
    pub fn push(&mut self, key: &[u8], value: &[u8]) {
        debug_assert!(self.last_key().is_none_or(|last| last < key), "keys must ascend");
        self.keys.extend_from_slice(key);
        self.key_ends.push(self.keys.len());
        self.values.extend_from_slice(value);
        self.value_ends.push(self.values.len());
    }

    pub fn len(&self) -> usize {
        self.key_ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.key_ends.is_empty()
    }

    pub fn last_key(&self) -> Option<&[u8]> {
        let end = *self.key_ends.last()?;
        let start = self.key_ends.len().checked_sub(2).map_or(0, |i| self.key_ends[i]);
        Some(&self.keys[start..end])
    }

    /// Appends entries `start..end` of `node` in bulk: two slice copies and the adjusted ends,
    /// instead of four pushes per entry.
    pub fn push_run(&mut self, node: &Node, start: usize, end: usize) {
        if start == end {
            return;
        }
        debug_assert!(self.last_key().is_none_or(|last| last < node.key(start)), "keys ascend");
        let data = node.chunk.data();
        for (table, bytes, ends, region) in [
            (0, &mut self.keys, &mut self.key_ends, node.keys_at),
            (1, &mut self.values, &mut self.value_ends, node.values_at),
        ] {
            let (first, last) = (node.offset(table, start), node.offset(table, end));
            let base = bytes.len();
            bytes.extend_from_slice(&data[region + first..region + last]);
            let offsets = HEADER_BYTES + 2 * (table * (node.len + 1) + start + 1);
            let offsets = &data[offsets..offsets + 2 * (end - start)];
            ends.extend(
                offsets
                    .chunks_exact(2)
                    .map(|pair| base + usize::from(u16::from_le_bytes([pair[0], pair[1]])) - first),
            );
        }
    }

    /// Encodes the buffered entries as a node of `level` and empties the buffer.
    pub fn encode(&mut self, level: u8) -> Chunk {
        let len = self.len();
        let total = HEADER_BYTES + 4 * (len + 1) + self.keys.len() + self.values.len();
        assert!(total <= NODE_BYTES_HARD_MAX, "node of {total} bytes breaks the size bound");
        let out = &mut self.encoded;
        out.clear();
        out.extend_from_slice(&[KIND_MAP_NODE, MAP_NODE_VERSION, level, 0]);
        out.extend_from_slice(&(len as u16).to_le_bytes());
        for ends in [&self.key_ends, &self.value_ends] {
            out.extend_from_slice(&0u16.to_le_bytes());
            for &end in ends.iter() {
                out.extend_from_slice(&(end as u16).to_le_bytes());
            }
        }
        out.extend_from_slice(&self.keys);
        out.extend_from_slice(&self.values);
        self.keys.clear();
        self.key_ends.clear();
        self.values.clear();
        self.value_ends.clear();
        let chunk = Chunk::new(out.as_slice());
        validated::insert(chunk.hash());
        chunk
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::{Node, NodeBuffer};

    /// A leaf of `entries` (key, inline value) pairs.
    fn leaf(entries: &[(Vec<u8>, Vec<u8>)]) -> Node {
        let mut buffer = NodeBuffer::default();
        for (key, value) in entries {
            let mut encoded = vec![0u8];
            encoded.extend_from_slice(value);
            buffer.push(key, &encoded);
        }
        Node::decode(buffer.encode(0)).expect("valid leaf")
    }

    fn naive_run(a: &Node, i: usize, b: &Node, j: usize) -> usize {
        (0..(a.len() - i).min(b.len() - j))
            .take_while(|&e| a.key(i + e) == b.key(j + e) && a.value(i + e) == b.value(j + e))
            .count()
    }

    /// `equal_run` agrees with entry-by-entry comparison, whether the two leaves' offsets line
    /// up (the bulk path) or are shifted (the entry-length path).
    #[test]
    fn equal_run_matches_entry_by_entry_comparison() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..400 {
            let len = 1 + next(60) as usize;
            let base: Vec<(Vec<u8>, Vec<u8>)> = (0..len)
                .map(|i| (format!("k{:04}", i * 3).into_bytes(), vec![b'v'; 1 + next(12) as usize]))
                .collect();
            let mut other = base.clone();
            for _ in 0..next(4) {
                let at = next(len as u64) as usize;
                match next(3) {
                    0 => other[at].1.push(b'x'),
                    1 => *other[at].1.last_mut().expect("non-empty") = b'w',
                    _ => other[at].0.push(b'!'),
                }
            }
            let (a, b) = (leaf(&base), leaf(&other));
            for _ in 0..20 {
                let i = next(len as u64) as usize;
                let j = if next(2) == 0 { i } else { next(len as u64) as usize };
                assert_eq!(a.equal_run(i, &b, j), naive_run(&a, i, &b, j), "i {i} j {j}");
            }
        }
    }
}
