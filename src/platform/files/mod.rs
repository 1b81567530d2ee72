//! The file store: chunks in an append-only journal, the manifest in a small file replaced by
//! atomic rename, as `docs/format.md` (section "Files") specifies byte by byte.
//!
//! The store's logic ([`FileStore`]) is written once against [`Files`], the few synchronous
//! operations it needs on one directory. `NativeFiles` implements them on `std::fs`, and
//! `NodeFiles` on Node's synchronous `fs.*Sync` calls from the wasm build, so the same store, and
//! the same files, serve both.
//!
//! In Node, `NodeFiles::watch` also hears another process replace a file of the directory, which
//! is how a database on files hears other processes publish. `NativeFiles` offers no watch: the
//! native build needs none, since its database objects hear only each other and, like every
//! database on files, read the manifest before each statement, so they never read stale data.

mod format;
#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(target_arch = "wasm32")]
mod node;
mod store;

pub use format::{
    JOURNAL_HEADER_BYTES, LOCK_FILE, MANIFEST_FILE, MANIFEST_FILE_BYTES, RECORD_BYTES_MAX,
    RECORD_HEADER_BYTES,
};
#[cfg(not(target_arch = "wasm32"))]
pub use native::NativeFiles;
#[cfg(target_arch = "wasm32")]
pub use node::{FileWatch, NodeFiles};
pub use store::{FileStore, LOCK_WAIT_MS_MAX};

use crate::chunk::Error;

/// The synchronous file operations the store performs on its one directory. Names are plain file
/// names inside that directory (no separators). Every failure is [`Error::Io`]; an operation
/// that fails may have done part of its work only where its documentation says so.
///
/// Implementations may keep files open between calls; they must not cache file contents, since
/// other processes change them.
pub trait Files {
    /// The length of `name`, `None` when it does not exist.
    fn len(&mut self, name: &str) -> Result<Option<u64>, Error>;

    /// Exactly `len` bytes of `name` from `offset`; an error if the file ends first.
    fn read_at(&mut self, name: &str, offset: u64, len: usize) -> Result<Vec<u8>, Error>;

    /// The whole of a small file, `None` when it does not exist.
    fn read_all(&mut self, name: &str) -> Result<Option<Vec<u8>>, Error>;

    /// Appends `bytes` at the end of `name`, creating it when absent. On failure any prefix of
    /// `bytes` may have been written.
    fn append(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error>;

    /// Makes everything written to `name` durable (fsync).
    fn sync(&mut self, name: &str) -> Result<(), Error>;

    /// Cuts `name` down to `len` bytes.
    fn truncate(&mut self, name: &str, len: u64) -> Result<(), Error>;

    /// Replaces `name` with `bytes` atomically and durably: writes a temporary file, fsyncs it,
    /// renames it over `name` and fsyncs the directory. After a failure or a crash `name` holds
    /// either its old bytes or all of the new ones, never a mix.
    fn replace(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error>;

    /// Replaces `name` with `bytes` atomically for every reader now (temporary file, rename)
    /// but syncs nothing: after a crash `name` may hold its old bytes, the new ones, or damaged
    /// ones. For a file that something durable can rebuild.
    fn replace_volatile(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error>;

    /// Creates `name` holding `bytes` only if it does not exist yet (`O_EXCL`); `false` when it
    /// already existed. This is the cross-process lock primitive.
    fn create_new(&mut self, name: &str, bytes: &[u8]) -> Result<bool, Error>;

    /// Removes `name`; removing a file that does not exist is not an error.
    fn remove(&mut self, name: &str) -> Result<(), Error>;

    /// The names of the files in the directory.
    fn list(&mut self) -> Result<Vec<String>, Error>;

    /// This process's id, written into the lock file.
    fn process_id(&self) -> u32;

    /// Whether the process `pid` may still be running. When unsure, `true`: a lock is taken
    /// over only from an owner known to be gone.
    fn process_alive(&self, pid: u32) -> bool;

    /// Waits `ms` milliseconds before trying a held lock again.
    fn sleep_ms(&mut self, ms: u32);
}
