//! `ManifestChannel`: how the tabs and workers of one origin hear that a database's manifest
//! moved.
//!
//! Each context keeps its own cache of what it read from the manifest it last saw. IndexedDB
//! has no change notification, so a context that flushes posts its new manifest on a
//! `BroadcastChannel` named after the database; the others learn of it at once instead of
//! polling, and reread what they need. The message is only a hint: the manifest in IndexedDB
//! stays the truth, and every flush still compares against it.

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, MessageEvent};

use super::idb::{error_from_js, DATABASE_PREFIX};
use crate::chunk::{Error, Manifest};

/// A `BroadcastChannel` named `cambium/<name>`, the same name as the database it speaks for,
/// carrying encoded manifests (40 bytes, as a `Uint8Array`).
///
/// A channel object does not hear its own posts, only those of other objects of the same name
/// (in this context or any other of the origin). Dropping it (or [`ManifestChannel::close`])
/// closes the channel and frees the callback.
pub struct ManifestChannel {
    channel: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl ManifestChannel {
    /// Joins the channel of database `name`; `on_manifest` is called with every manifest another
    /// channel object posts on it. Messages that are not an encoded manifest (another program's,
    /// a damaged one) are ignored: a hint that cannot be read is no hint.
    pub fn open(
        name: &str,
        mut on_manifest: impl FnMut(Manifest) + 'static,
    ) -> Result<ManifestChannel, Error> {
        let full = format!("{DATABASE_PREFIX}{name}");
        let channel = BroadcastChannel::new(&full)
            .map_err(|error| error_from_js(&format!("opening BroadcastChannel {full}"), &error))?;
        // Nothing of the channel's own state can be left half-changed by a panicking callback.
        let on_message = Closure::<dyn FnMut(MessageEvent)>::own_assert_unwind_safe(
            move |event: MessageEvent| {
                let data = event.data();
                let Some(bytes) = data.dyn_ref::<Uint8Array>() else { return };
                if let Ok(manifest) = Manifest::decode(&bytes.to_vec()) {
                    on_manifest(manifest);
                }
            },
        );
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Ok(ManifestChannel { channel, _on_message: on_message })
    }

    /// Tells every other channel object of this database that the manifest is now `manifest`.
    pub fn post(&self, manifest: &Manifest) -> Result<(), Error> {
        let bytes = Uint8Array::from(&manifest.encode()[..]);
        self.channel.post_message(&bytes).map_err(|error| {
            error_from_js(&format!("posting on BroadcastChannel {}", self.channel.name()), &error)
        })
    }

    /// Leaves the channel: no more messages arrive and the callback is freed. The same as
    /// dropping it, spelled out for readers.
    pub fn close(self) {
        drop(self);
    }
}

impl Drop for ManifestChannel {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}
