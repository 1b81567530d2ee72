//! The wasm-bindgen layer: one file per exported JS surface, conversions in one place.

#[cfg(feature = "bench")]
mod bench;
mod database;
mod error;
mod remote_server;
mod values;
