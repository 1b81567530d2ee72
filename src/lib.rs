//! Cambium: a version-controlled SQL database for offline-first web apps.
//!
//! The core (`chunk`, `prolly`, `row`, `history`, `sql`, `sync`) is synchronous, does no IO and knows no JavaScript; see
//! `ARCHITECTURE.md` for the map of modules and the invariants that hold between them.

pub mod chunk;
pub mod db;
pub mod history;
pub mod platform;
pub mod prolly;
pub mod row;
pub mod sql;
pub mod sync;

#[cfg(feature = "bench")]
pub mod bench;

#[cfg(target_arch = "wasm32")]
mod js;
