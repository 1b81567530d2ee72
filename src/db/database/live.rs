//! Live read replicas (DESIGN.md "Replication", beyond Dolt): instead of pulling before every
//! transaction, a replica follows its remote's `events` stream and pulls when the server
//! announces a swap, so reads are served here without a round trip. Whoever follows the stream
//! (the JS `Database`) calls [`Database::pull_replica`] on each event and tells the database
//! with [`Database::set_live`] whether it is current: live only after a pull that followed the
//! stream's opening, and not live from the moment the stream breaks, so that a replica whose
//! stream is gone pulls at each transaction start again instead of serving stale data.

use super::{Backend, Database, Error};

/// The refusal of a read replica's operation on a database that is none.
pub(super) fn not_a_replica(name: &str) -> Error {
    Error::new(
        "not_a_replica",
        format!("database '{name}' is no read replica: @@dolt_read_replica_remote names no remote"),
    )
}

impl<B: Backend> Database<B> {
    /// Says whether the events of the replica's remote keep it current. While live, a
    /// transaction begins without pulling; set it only after a pull that came after the events
    /// stream opened, and clear it as soon as the stream breaks.
    pub fn set_live(&mut self, live: bool) {
        self.live = live;
    }

    /// Whether transactions begin without pulling (see [`Database::set_live`]).
    pub fn is_live(&self) -> bool {
        self.live
    }
}

#[cfg(target_arch = "wasm32")]
impl<B: Backend> Database<B> {
    /// Opens the `events` stream of the read replica's remote (`@@dolt_read_replica_remote`),
    /// with the remote's bearer token; `signal`, an `AbortSignal`, ends it. Refused with
    /// `not_a_replica` when the database is none, and `remote_unsupported` for a `file://`
    /// remote, which has no events.
    pub async fn replica_events(
        &mut self,
        signal: &wasm_bindgen::JsValue,
    ) -> Result<crate::platform::web::EventStream, Error> {
        use super::super::remote::RemoteStore;
        let Some(remote) = self.session.replication().read_replica_remote else {
            return Err(not_a_replica(&self.name));
        };
        let url = self.configured_url(false, &remote).await?;
        match RemoteStore::open(&url, self.token(&url))? {
            RemoteStore::Http(store) => Ok(store.events(signal).await?),
            RemoteStore::Files(_) => Err(Error::new(
                "remote_unsupported",
                format!("remote '{remote}' at {url} sends no events: a live replica needs an http(s) remote"),
            )),
        }
    }
}
