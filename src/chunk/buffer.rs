//! `ChunkBuffer`: chunks put and not yet written, each once, in the order they were put.
//!
//! The order is what a store writes them in. Trees are built children first and leaves in key
//! order, so a journal written in that order holds a scan's leaves side by side, and a reader
//! (a cold scan, the remote server answering a clone) reads them in a few large reads instead
//! of one small read per chunk.

use super::{AddressMap, Chunk, Hash};

#[derive(Default)]
pub struct ChunkBuffer {
    chunks: Vec<Chunk>,
    /// Where each held chunk is in `chunks`.
    at: AddressMap<usize>,
}

impl ChunkBuffer {
    /// Adds `chunk` after the others, unless it is held already (same address, same bytes).
    pub fn insert(&mut self, chunk: Chunk) {
        if !self.at.contains_key(&chunk.hash()) {
            self.at.insert(chunk.hash(), self.chunks.len());
            self.chunks.push(chunk);
        }
    }

    pub fn get(&self, hash: &Hash) -> Option<&Chunk> {
        self.at.get(hash).map(|&index| &self.chunks[index])
    }

    pub fn contains(&self, hash: &Hash) -> bool {
        self.at.contains_key(hash)
    }

    /// The held chunks, in the order they were put.
    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// Keeps the first `len` chunks put and forgets the rest.
    pub fn truncate(&mut self, len: usize) {
        for chunk in self.chunks.drain(len.min(self.chunks.len())..) {
            self.at.remove(&chunk.hash());
        }
    }

    pub fn clear(&mut self) {
        self.at.clear();
        self.chunks.clear();
    }

    /// Empties the buffer, handing out its chunks in order.
    pub fn take(&mut self) -> Vec<Chunk> {
        self.at.clear();
        std::mem::take(&mut self.chunks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_put_order_and_one_copy_of_each() {
        let chunk = |text: &str| Chunk::new(text.as_bytes().to_vec());
        let mut buffer = ChunkBuffer::default();
        for text in ["c", "a", "b", "a", "c"] {
            buffer.insert(chunk(text));
        }
        let order: Vec<&[u8]> = buffer.chunks().iter().map(|c| c.data()).collect();
        assert_eq!(order, [b"c", b"a", b"b"]);
        assert_eq!(buffer.get(&chunk("b").hash()).map(Chunk::data), Some(&b"b"[..]));
        buffer.truncate(1);
        assert_eq!(buffer.len(), 1);
        assert!(!buffer.contains(&chunk("a").hash()));
        buffer.insert(chunk("a"));
        assert_eq!(buffer.take().len(), 2);
        assert!(buffer.is_empty() && !buffer.contains(&chunk("c").hash()));
    }
}
