//! The errors of the storage layer, each with a stable code.

use std::fmt;

use super::{Hash, Manifest};

/// What went wrong while reading or writing chunks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// These chunks are not resident yet. Stores that load asynchronously answer this instead of
    /// blocking; the caller loads the chunks in one batch and runs the same step again, which is
    /// always safe because chunks never change.
    Missing(Vec<Hash>),
    /// A chunk that something refers to is not in the store.
    NotFound(Hash),
    /// The bytes stored under this hash do not hash to it.
    Corrupt(Hash),
    /// The chunk's bytes hash correctly but do not decode as the kind of chunk expected.
    Malformed { hash: Hash, reason: &'static str },
    /// A chunk larger than the store accepts.
    TooLarge { bytes: usize, max: usize },
    /// `flush` expected one manifest but the store holds another: someone else flushed first.
    /// Nothing was written.
    Conflict { current: Manifest },
    /// `flush` expected a manifest of an older epoch than the store's: a newer primary took
    /// over (see "Epochs and failover" in `docs/remote-protocol.md`). Nothing was written.
    Fenced { current: Manifest },
    /// A manifest's bytes do not decode.
    BadManifest(&'static str),
    /// The backend's IO failed; the store's state is as it was before the call.
    Io(String),
    /// The backend refused the write for lack of space (the browser's storage quota, a full
    /// disk). Nothing of the write was kept; the state before it is intact.
    QuotaExceeded(String),
    /// The store's own files (not a chunk's bytes) are damaged where they were known to be
    /// complete, so the store refuses them instead of guessing what they held.
    StoreCorrupt(String),
}

impl Error {
    /// A short stable identifier for programs (and the JS boundary) to match on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Missing(_) => "chunks_missing",
            Error::NotFound(_) => "chunk_not_found",
            Error::Corrupt(_) => "chunk_corrupt",
            Error::Malformed { .. } => "chunk_malformed",
            Error::TooLarge { .. } => "chunk_too_large",
            Error::Conflict { .. } => "manifest_conflict",
            Error::Fenced { .. } => "fenced",
            Error::BadManifest(_) => "manifest_malformed",
            Error::Io(_) => "io",
            Error::QuotaExceeded(_) => "quota_exceeded",
            Error::StoreCorrupt(_) => "store_corrupt",
        }
    }

    /// The hashes to load before retrying, when this is [`Error::Missing`].
    pub fn missing(&self) -> Option<&[Hash]> {
        match self {
            Error::Missing(hashes) => Some(hashes),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Missing(hashes) => write!(f, "{} chunks are not loaded yet", hashes.len()),
            Error::NotFound(hash) => write!(f, "chunk {hash} is not in the store"),
            Error::Corrupt(hash) => {
                write!(f, "chunk {hash} is corrupt: its bytes hash differently")
            }
            Error::Malformed { hash, reason } => write!(f, "chunk {hash} is malformed: {reason}"),
            Error::TooLarge { bytes, max } => {
                write!(f, "a chunk of {bytes} bytes is larger than the limit of {max}")
            }
            Error::Fenced { current } => write!(
                f,
                "a newer primary took over (the store is at epoch {}); nothing was written",
                current.epoch
            ),
            Error::Conflict { current } => write!(
                f,
                "the manifest moved (now epoch {} root {:?}); nothing was written",
                current.epoch, current.root
            ),
            Error::BadManifest(reason) => write!(f, "the manifest is malformed: {reason}"),
            Error::Io(message) => write!(f, "storage IO failed: {message}"),
            Error::QuotaExceeded(message) => write!(
                f,
                "the storage quota is exhausted ({message}); nothing was written, free space or delete data and retry"
            ),
            Error::StoreCorrupt(message) => write!(f, "the store's files are corrupt: {message}"),
        }
    }
}

impl std::error::Error for Error {}
