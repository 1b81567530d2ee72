//! The storage contract as the `db` layer drives it: the same operations as
//! [`ChunkStore`](crate::chunk::ChunkStore), but reads and flushes may wait for IO. IndexedDB
//! answers only through callbacks, so its store implements this trait alone; every synchronous
//! store (memory, files) implements it too, through [`ChunkStore`], and so passes the one
//! conformance suite in [`super::conformance`].

use std::collections::HashSet;

use crate::chunk::{Chunk, ChunkStore, Error, GcStats, Hash, Manifest};

/// How hard a flush insists that its bytes reached the disk before it reports success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Acknowledged only once the data would survive a power cut: commits and every write a
    /// user is told has happened.
    Strict,
    /// Acknowledged once the write is ordered and visible to other readers, before the disk
    /// confirms it. For data that can be fetched again after a crash (clone, fetch), where the
    /// saved disk round trips matter. Stores without a cheaper mode treat it as `Strict`.
    Relaxed,
}

/// A chunk store whose reads and flushes may wait. The contract is [`ChunkStore`]'s: batched
/// reads in the order asked, `put` buffers, `flush` publishes the buffer and swaps the manifest
/// atomically or fails with [`Error::Conflict`] writing nothing, garbage collection refuses a
/// manifest that moved.
// The futures are polled on one thread (the page's or worker's event loop, or a blocking call
// natively), so the trait deliberately asks for no `Send` bound.
#[allow(async_fn_in_trait)]
pub trait Store {
    /// Fetches chunks in the order asked; `None` for a chunk the store does not have.
    async fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, Error>;

    /// Whether the store has each chunk, in the order asked (buffered chunks count).
    async fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, Error>;

    /// Buffers a chunk for the next flush.
    fn put(&mut self, chunk: Chunk) -> Result<(), Error>;

    /// The manifest as last published.
    async fn manifest(&self) -> Result<Manifest, Error>;

    /// Publishes every buffered chunk and `new` if the published manifest still equals
    /// `expected`; otherwise [`Error::Conflict`], nothing written, the buffer kept.
    async fn flush(
        &mut self,
        expected: &Manifest,
        new: &Manifest,
        durability: Durability,
    ) -> Result<(), Error>;

    /// Removes every published chunk not in `keep`, if the manifest still equals `expected`.
    async fn collect_garbage(
        &mut self,
        expected: &Manifest,
        keep: &HashSet<Hash>,
    ) -> Result<GcStats, Error>;

    /// Fetches one chunk that must exist.
    async fn get(&self, hash: Hash) -> Result<Chunk, Error> {
        match self.get_many(&[hash]).await?.pop().flatten() {
            Some(chunk) => Ok(chunk),
            None => Err(Error::NotFound(hash)),
        }
    }
}

/// A synchronous store is a store that never waits. Its flushes are always strict: the file
/// store's only cheaper mode would skip the fsync that makes a commit durable.
impl<S: ChunkStore> Store for S {
    async fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, Error> {
        ChunkStore::get_many(self, hashes)
    }

    async fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, Error> {
        ChunkStore::has_many(self, hashes)
    }

    fn put(&mut self, chunk: Chunk) -> Result<(), Error> {
        ChunkStore::put(self, chunk)
    }

    async fn manifest(&self) -> Result<Manifest, Error> {
        ChunkStore::manifest(self)
    }

    async fn flush(
        &mut self,
        expected: &Manifest,
        new: &Manifest,
        _durability: Durability,
    ) -> Result<(), Error> {
        ChunkStore::flush(self, expected, new)
    }

    async fn collect_garbage(
        &mut self,
        expected: &Manifest,
        keep: &HashSet<Hash>,
    ) -> Result<GcStats, Error> {
        ChunkStore::collect_garbage(self, expected, keep)
    }
}

/// Runs a future that never waits, such as any [`Store`] call on a synchronous store.
///
/// # Panics
///
/// When the future is not ready at its first poll: the caller broke the promise that nothing
/// in it waits for IO.
pub fn ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(value) => value,
        std::task::Poll::Pending => panic!("a future expected to be ready had to wait"),
    }
}
