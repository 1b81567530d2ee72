//! The browser adapters: what a page or a worker offers Cambium for storage and coordination.
//!
//! [`IdbStore`] keeps a store in IndexedDB (`docs/format.md`, section "IndexedDB"), the only
//! durable storage every browser gives a page and its workers alike; IndexedDB answers through
//! callbacks, so it implements the asynchronous [`crate::db::Store`] alone. [`ManifestChannel`]
//! tells the other tabs of the same origin that a flush moved the manifest, so they can drop what
//! they read from the old one instead of polling. [`HttpRemote`] reaches a remote server with
//! `fetch`, and follows a remote database's `events` stream ([`EventStream`]). [`sleep`] and
//! [`within`] wait on timers that keep no Node process alive.
//!
//! Compiled only for `wasm32`; everything here finds the browser's objects at run time, so the
//! same build still loads under Node, where opening a store fails with a clear error.

mod channel;
mod http;
mod idb;
mod timer;

pub use channel::ManifestChannel;
pub use http::{EventStream, HttpRemote, PendingGet, EVENTS_SILENCE_MS_MAX, GET_REQUEST_HASHES};
pub use idb::{
    error_from_js, IdbStore, CHUNKS_STORE, DATABASE_PREFIX, DATABASE_VERSION, MANIFEST_KEY,
    MANIFEST_STORE,
};
pub use timer::{sleep, within};
