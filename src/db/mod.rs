//! The layer that drives the synchronous core and does the IO: the asynchronous storage contract
//! ([`Store`]) every backend meets and its conformance suite, the [`Cache`] the core runs on in
//! front of a store that may wait, the [`Database`] a program opens by name, and the
//! [`RemoteServer`] that serves a directory of databases to remotes.

mod backend;
mod cache;
mod changes;
pub mod conformance;
mod database;
mod error;
mod remote;
mod remote_server;
mod store;

pub use backend::{AnyStore, Backend, WriteAhead};
pub use cache::{Cache, Mark, Pending, CACHE_BYTES_MAX_DEFAULT};
pub use changes::{Listener, LISTENERS_MAX};
pub use database::{
    validate_name, Credentials, Database, Options, ProgressListener, Storage,
    DATABASE_NAME_BYTES_MAX, STATEMENT_LOADS_MAX, STATEMENT_RETRIES_MAX,
};
pub use error::Error;
pub use remote::RemoteStore;
pub use remote_server::{RemoteServer, Served, ServerRequest, STORES_OPEN_MAX};
pub use store::{ready, Durability, Store};
