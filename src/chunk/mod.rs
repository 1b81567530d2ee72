//! Content-addressed chunks and the storage contract every backend implements.
//!
//! A chunk is immutable bytes addressed by the hash of those bytes. A store holds chunks and one
//! mutable record, the [`Manifest`], which changes only by compare-and-swap inside
//! [`ChunkStore::flush`]. Everything above this module (prolly trees, history, SQL) reads and
//! writes through [`ChunkStore`], so a backend is correct exactly when it passes
//! [`crate::db::conformance`].

mod buffer;
mod error;
mod hash;
mod manifest;
mod memory;
mod store;

pub use buffer::ChunkBuffer;
pub use error::Error;
pub use hash::{
    AddressHasher, AddressMap, AddressSet, Hash, ParseHashError, HASH_BYTES, HASH_TEXT_CHARS,
};
pub use manifest::{Manifest, MANIFEST_BYTES};
pub use memory::MemoryStore;
pub use store::{Chunk, ChunkStore, GcStats, CHUNK_BYTES_MAX};
