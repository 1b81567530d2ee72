//! A remote as a [`Store`]: a database's store reached by URL, which push, fetch, clone and
//! backup copy chunks to and from and swap the manifest of. `file://PATH` is a file store in
//! the directory PATH (natively and under Node), the same layout `cambium remote-server` keeps
//! under its `--dir`; `http://` and `https://` speak the remote protocol with `fetch` (in the
//! wasm build: pages, workers and Node).

use std::collections::HashSet;

use crate::chunk::ChunkStore;
use crate::chunk::{Chunk, Error as StoreError, GcStats, Hash, Manifest};
use crate::platform::files::FileStore;
use crate::sync::{Limits, PackRequest};

use super::backend::PlatformFiles;
use super::{Durability, Error, Store};

/// A remote database's store.
pub enum RemoteStore {
    Files(FileStore<PlatformFiles>),
    #[cfg(target_arch = "wasm32")]
    Http(crate::platform::web::HttpRemote),
}

impl RemoteStore {
    /// Opens the store `url` names, sending `token` (if any) as the bearer token of every HTTP
    /// request. A `file://` directory is created when missing, so a first push creates the
    /// remote database, as it does on a server.
    pub fn open(url: &str, token: Option<String>) -> Result<RemoteStore, Error> {
        crate::history::remotes::validate_url(url)
            .map_err(|error| Error::new("bad_remote_url", error.to_string()))?;
        if let Some(path) = url.strip_prefix("file://") {
            let files = PlatformFiles::open(path).map_err(|error| unreachable(url, &error))?;
            let store = FileStore::open(files).map_err(|error| unreachable(url, &error))?;
            return Ok(RemoteStore::Files(store));
        }
        #[cfg(target_arch = "wasm32")]
        {
            Ok(RemoteStore::Http(crate::platform::web::HttpRemote::new(url, token)))
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = token;
            Err(Error::new(
                "remote_unsupported",
                format!("'{url}': native builds reach file:// remotes only; HTTP remotes need the wasm build"),
            ))
        }
    }
}

impl RemoteStore {
    /// The remote's manifest and ref map chunk, or `None` when the manifest is still `seen`:
    /// over HTTP one request, with no body when nothing changed.
    pub async fn refs_if_changed(
        &self,
        seen: Option<&Manifest>,
    ) -> Result<Option<(Manifest, Option<Chunk>)>, StoreError> {
        match self {
            RemoteStore::Files(store) => {
                let current = Store::manifest(store).await?;
                if Some(&current) == seen {
                    return Ok(None);
                }
                let ref_map = match current.root {
                    Some(root) => Some(Store::get(store, root).await?),
                    None => None,
                };
                Ok(Some((current, ref_map)))
            }
            #[cfg(target_arch = "wasm32")]
            RemoteStore::Http(store) => store.refs_if_changed(seen).await,
        }
    }

    /// What `request` wants and its haves lack, children first; `None` when too large to pack.
    pub async fn pack(&self, request: &PackRequest) -> Result<Option<Vec<Chunk>>, Error> {
        match self {
            RemoteStore::Files(store) => Ok(crate::sync::pack(
                store,
                &request.wanted_refs(),
                &request.haves,
                crate::sync::CHUNKS_BODY_BYTES_MAX,
            )?),
            #[cfg(target_arch = "wasm32")]
            RemoteStore::Http(store) => Ok(store.pack(request).await?),
        }
    }
}

/// A read from a remote that may still be under way (see [`RemoteStore::start_get`]).
pub enum PendingRead {
    /// Read already: a store on this machine answers at once.
    Ready(Result<Vec<Option<Chunk>>, StoreError>),
    #[cfg(target_arch = "wasm32")]
    Http(crate::platform::web::PendingGet),
}

impl RemoteStore {
    /// Starts reading `hashes`: over HTTP the requests go out now, so several reads may be
    /// under way together; a `file://` remote reads at once.
    pub fn start_get(&self, hashes: Vec<Hash>) -> PendingRead {
        match self {
            RemoteStore::Files(store) => PendingRead::Ready(ChunkStore::get_many(store, &hashes)),
            #[cfg(target_arch = "wasm32")]
            RemoteStore::Http(store) => match store.start_get(hashes) {
                Ok(pending) => PendingRead::Http(pending),
                Err(error) => PendingRead::Ready(Err(error)),
            },
        }
    }

    /// The chunks of a read [`RemoteStore::start_get`] started, in the order asked.
    pub async fn finish_get(&self, pending: PendingRead) -> Result<Vec<Option<Chunk>>, StoreError> {
        match pending {
            PendingRead::Ready(read) => read,
            #[cfg(target_arch = "wasm32")]
            PendingRead::Http(pending) => match self {
                RemoteStore::Http(store) => store.finish_get(pending).await,
                RemoteStore::Files(_) => unreachable!("an HTTP read is finished by its remote"),
            },
        }
    }

    /// How a transfer from this remote reads: over HTTP one request per `get` step and four
    /// under way together; the protocol's defaults otherwise.
    pub fn read_limits(&self) -> Limits {
        match self {
            RemoteStore::Files(_) => Limits::default(),
            #[cfg(target_arch = "wasm32")]
            RemoteStore::Http(_) => Limits {
                get_hashes_max: crate::platform::web::GET_REQUEST_HASHES,
                reads_in_flight_max: 4,
                ..Limits::default()
            },
        }
    }
}

fn unreachable(url: &str, error: &StoreError) -> Error {
    Error::new("remote_unreachable", format!("remote '{url}' cannot be opened: {error}"))
}

impl Store for RemoteStore {
    async fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, StoreError> {
        match self {
            RemoteStore::Files(store) => Store::get_many(store, hashes).await,
            #[cfg(target_arch = "wasm32")]
            RemoteStore::Http(store) => store.get_many(hashes).await,
        }
    }

    async fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, StoreError> {
        match self {
            RemoteStore::Files(store) => Store::has_many(store, hashes).await,
            #[cfg(target_arch = "wasm32")]
            RemoteStore::Http(store) => store.has_many(hashes).await,
        }
    }

    fn put(&mut self, chunk: Chunk) -> Result<(), StoreError> {
        match self {
            RemoteStore::Files(store) => Store::put(store, chunk),
            #[cfg(target_arch = "wasm32")]
            RemoteStore::Http(store) => store.put(chunk),
        }
    }

    async fn manifest(&self) -> Result<Manifest, StoreError> {
        match self {
            RemoteStore::Files(store) => Store::manifest(store).await,
            #[cfg(target_arch = "wasm32")]
            RemoteStore::Http(store) => store.manifest().await,
        }
    }

    async fn flush(
        &mut self,
        expected: &Manifest,
        new: &Manifest,
        durability: Durability,
    ) -> Result<(), StoreError> {
        match self {
            RemoteStore::Files(store) => Store::flush(store, expected, new, durability).await,
            #[cfg(target_arch = "wasm32")]
            RemoteStore::Http(store) => store.flush(expected, new, durability).await,
        }
    }

    async fn collect_garbage(
        &mut self,
        expected: &Manifest,
        keep: &HashSet<Hash>,
    ) -> Result<GcStats, StoreError> {
        match self {
            RemoteStore::Files(store) => Store::collect_garbage(store, expected, keep).await,
            #[cfg(target_arch = "wasm32")]
            RemoteStore::Http(_) => {
                let _ = (expected, keep);
                Err(StoreError::Io("a remote server collects its own garbage".to_string()))
            }
        }
    }
}
