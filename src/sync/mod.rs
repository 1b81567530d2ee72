//! Moving chunks between a database and a remote, without doing any IO: the bodies of the remote
//! protocol's requests and answers (`frames`), decoded with limits and verified, and the plan of
//! what a push, fetch, clone or backup must move (`transfer`). The `db` layer sends and
//! receives them; `docs/remote-protocol.md` is the protocol.

mod frames;
mod transfer;

pub use frames::{
    decode_chunks, decode_hashes, decode_presence, decode_swap, encode_chunks, encode_hashes,
    encode_presence, encode_swap, ProtocolError, CHUNKS_BODY_BYTES_MAX, FRAME_HEADER_BYTES,
    GET_HASHES_MAX, HAS_HASHES_MAX,
};
pub use transfer::{Limits, Progress, Step, Transfer};
