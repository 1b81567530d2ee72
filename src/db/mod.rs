//! The layer that drives the synchronous core and does the IO: the asynchronous storage contract
//! ([`Store`]) every backend meets, its conformance suite, and (built on them) the database a
//! program opens by name.

pub mod conformance;
mod store;

pub use store::{ready, Durability, Store};
