//! IO adapters: where Cambium meets files, browsers and networks. Unlike the core, this layer
//! does IO; it implements the core's contracts (such as [`crate::chunk::ChunkStore`]) on what
//! each platform offers.

pub mod files;
#[cfg(target_arch = "wasm32")]
pub mod web;
