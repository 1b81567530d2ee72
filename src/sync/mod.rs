//! Moving chunks between a database and a remote, without doing any IO: the bodies of the remote
//! protocol's requests and answers (`frames`), decoded with limits and verified; the server's
//! answer to one request against one database's store (`serve`), and who may make it (`auth`,
//! with `json` for the auth file and error bodies); the client's reading of the `events` stream
//! (`events`); and the plan of what a push, fetch, clone or backup must move (`transfer`) and of
//! what a small change needs (`pack`). The `db` layer sends and receives the bytes;
//! `docs/remote-protocol.md` is the protocol.

mod auth;
mod events;
mod frames;
mod json;
mod pack;
mod serve;
mod transfer;

pub use auth::{
    authorize, AuthConfig, AuthFileError, AUTH_FILE_BYTES_MAX, AUTH_TOKENS_MAX, TOKEN_BYTES_MAX,
    TOKEN_BYTES_MIN,
};
pub use events::{EventReader, EVENT_LINE_BYTES_MAX};
pub use frames::{
    decode_chunks, decode_hashes, decode_pack_request, decode_presence, decode_refs, decode_swap,
    encode_chunks, encode_hashes, encode_pack_request, encode_presence, encode_refs, encode_swap,
    PackRequest, ProtocolError, CHUNKS_BODY_BYTES_MAX, FRAME_HEADER_BYTES, GET_HASHES_MAX,
    HAS_HASHES_MAX, PACK_REFS_MAX,
};
pub use pack::{pack, PACK_COMMITS_MAX};
pub use serve::{
    manifest_etag, manifest_event, manifest_from_hex, manifest_hex, serve, serve_absent,
    store_failed, Operation, Request, Response, CONTENT_BINARY, CONTENT_EVENTS, CONTENT_JSON,
};
pub use transfer::{Limits, Progress, Step, Transfer};
