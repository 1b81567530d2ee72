//! The remote server's answers, without IO: one request of the remote protocol
//! (`docs/remote-protocol.md`) answered against the chunk store of one database. The caller
//! routes the request to its database, checks its token and does the HTTP; everything the
//! protocol says about a request's body, its limits, its answer and its errors is decided here,
//! so a whole conversation can run in process against a `MemoryStore`.
//!
//! A refused request changes nothing: every body is decoded and verified in full before the
//! store is touched, and a manifest swap checks everything before its one `flush`.

use std::fmt::Write;

use super::json::write_string;
use super::{
    decode_chunks, decode_hashes, decode_pack_request, decode_swap, encode_chunks, encode_presence,
    encode_refs, ProtocolError, CHUNKS_BODY_BYTES_MAX, GET_HASHES_MAX, HAS_HASHES_MAX,
};
use crate::chunk::{ChunkStore, Error as StoreError, Hash, Manifest, MemoryStore, MANIFEST_BYTES};
use crate::history::RefMap;

/// The type of binary bodies.
pub const CONTENT_BINARY: &str = "application/octet-stream";
/// The type of error bodies.
pub const CONTENT_JSON: &str = "application/json";
/// The type of the `events` stream.
pub const CONTENT_EVENTS: &str = "text/event-stream";

/// Chunks read from the store at a time while answering `get`, so an answer that would pass
/// its limit is refused after reading at most this many chunks past it.
const GET_READ_BATCH_CHUNKS: usize = 16;
/// Flushes a `put` tries when other writers of the same store keep moving the manifest under
/// it. Each retry follows a swap that succeeded elsewhere, so the limit is reached only by a
/// store that is being swapped without pause.
const PUT_FLUSH_ATTEMPTS_MAX: usize = 8;

/// One request: its method, the endpoint (the last part of the path), its body and its
/// `If-None-Match` header.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub method: &'a str,
    pub endpoint: &'a str,
    pub body: &'a [u8],
    pub if_none_match: Option<&'a str>,
}

/// The answer: status, content type, `ETag` (manifest reads), body, and the manifest a
/// successful swap published (so the caller can tell the database's `events` subscribers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub etag: Option<String>,
    pub body: Vec<u8>,
    pub swapped: Option<Manifest>,
}

impl Response {
    fn ok(content_type: &'static str, body: Vec<u8>) -> Response {
        Response { status: 200, content_type, etag: None, body, swapped: None }
    }

    /// The answer refusing a request: `error`'s status and its JSON body.
    pub fn refused(error: &ProtocolError) -> Response {
        Refusal::plain(error.clone()).into()
    }
}

/// What a request asks, from its method and endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `GET manifest`
    ReadManifest,
    /// `POST manifest`
    SwapManifest,
    /// `POST has`
    Has,
    /// `POST get`
    Get,
    /// `POST put`
    Put,
    /// `GET events`
    Events,
    /// `GET refs`: the manifest and the ref map chunk in one answer.
    Refs,
    /// `POST pack`: what wanted refs reach that held commits do not.
    Pack,
}

impl Operation {
    /// The operation `method` asks of `endpoint`: `404 no_such_endpoint` for an endpoint the
    /// protocol does not have, `405 method_not_allowed` for a method it has not there.
    pub fn of(method: &str, endpoint: &str) -> Result<Operation, ProtocolError> {
        let (get, post) = match endpoint {
            "manifest" => (Some(Operation::ReadManifest), Some(Operation::SwapManifest)),
            "has" => (None, Some(Operation::Has)),
            "get" => (None, Some(Operation::Get)),
            "put" => (None, Some(Operation::Put)),
            "events" => (Some(Operation::Events), None),
            "refs" => (Some(Operation::Refs), None),
            "pack" => (None, Some(Operation::Pack)),
            _ => {
                return Err(ProtocolError {
                    status: 404,
                    code: "no_such_endpoint",
                    message: format!(
                        "no endpoint '{}'; the endpoints are manifest, refs, has, get, pack, put and events",
                        endpoint.escape_debug()
                    ),
                })
            }
        };
        let operation = match method {
            "GET" => get,
            "POST" => post,
            _ => None,
        };
        operation.ok_or_else(|| {
            let allowed = match (get, post) {
                (Some(_), Some(_)) => "GET or POST",
                (Some(_), None) => "GET",
                _ => "POST",
            };
            ProtocolError {
                status: 405,
                code: "method_not_allowed",
                message: format!(
                    "{} is not a method of {endpoint}; use {allowed}",
                    method.escape_debug()
                ),
            }
        })
    }

    /// Whether the operation changes the store, and so needs a token with write scope.
    pub fn writes(self) -> bool {
        matches!(self, Operation::Put | Operation::SwapManifest)
    }
}

/// The manifest's 40 bytes in lower-case hex: its text in `ETag`s, events and errors.
pub fn manifest_hex(manifest: &Manifest) -> String {
    manifest.encode().iter().fold(String::with_capacity(80), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// The manifest whose hex (as [`manifest_hex`] writes it) `text` is; `None` for other text.
pub fn manifest_from_hex(text: &str) -> Option<Manifest> {
    if text.len() != 2 * MANIFEST_BYTES || !text.is_ascii() {
        return None;
    }
    let bytes: Option<Vec<u8>> =
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect();
    Manifest::decode(&bytes?).ok()
}

/// The `ETag` of a manifest: its hex, quoted.
pub fn manifest_etag(manifest: &Manifest) -> String {
    format!("\"{}\"", manifest_hex(manifest))
}

/// One event of the `events` stream: the manifest a swap published.
pub fn manifest_event(manifest: &Manifest) -> String {
    format!("event: manifest\ndata: {}\n\n", manifest_hex(manifest))
}

/// Whether an `If-None-Match` header names `etag`: one of its comma-separated tags (weak or
/// strong, compared weakly as RFC 9110 says for this header) is it, or it is `*`.
fn none_match(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

/// A refused request: the error, and the details some codes carry in their JSON body.
struct Refusal {
    error: ProtocolError,
    /// The store's current manifest (`manifest_conflict`, `fenced`).
    manifest: Option<Manifest>,
    /// The chunks a swap needs that are not stored (`missing_chunks`).
    missing: Vec<Hash>,
}

impl Refusal {
    fn plain(error: ProtocolError) -> Refusal {
        Refusal { error, manifest: None, missing: Vec::new() }
    }
}

impl From<ProtocolError> for Refusal {
    fn from(error: ProtocolError) -> Refusal {
        Refusal::plain(error)
    }
}

impl From<Refusal> for Response {
    fn from(refusal: Refusal) -> Response {
        let mut text = String::from("{\"code\":");
        write_string(&mut text, refusal.error.code);
        text.push_str(",\"message\":");
        write_string(&mut text, &refusal.error.message);
        if let Some(manifest) = refusal.manifest {
            let _ = write!(text, ",\"manifest\":\"{}\"", manifest_hex(&manifest));
        }
        if !refusal.missing.is_empty() {
            let missing: Vec<String> = refusal.missing.iter().map(|h| format!("\"{h}\"")).collect();
            let _ = write!(text, ",\"missing\":[{}]", missing.join(","));
        }
        text.push('}');
        Response {
            status: refusal.error.status,
            content_type: CONTENT_JSON,
            etag: None,
            body: text.into_bytes(),
            swapped: None,
        }
    }
}

/// The refusal when the server's store fails (IO, damaged files): the server's fault, not the
/// request's.
pub fn store_failed(error: &StoreError) -> ProtocolError {
    ProtocolError {
        status: 500,
        code: "storage_failed",
        message: format!("the server's store failed: {error}"),
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Refusal {
        Refusal::plain(store_failed(&error))
    }
}

/// Answers one request against the store of one database. Give each request a handle of its
/// own (an empty write buffer): a store failure in the middle of a `put` may leave its chunks
/// buffered in the handle.
pub fn serve(store: &mut dyn ChunkStore, request: &Request) -> Response {
    match answer(store, request) {
        Ok(response) => response,
        Err(refusal) => refusal.into(),
    }
}

/// Answers a request for a database that has no store yet without making one, or `None` when
/// the request succeeds only by creating it: a `put` of at least one sound chunk, or a swap from
/// the empty manifest that needs no stored chunk. Reads of the manifest or chunks and `events`
/// are `404 no_such_database`; everything else is answered as by an empty store.
pub fn serve_absent(request: &Request) -> Option<Response> {
    let operation = match Operation::of(request.method, request.endpoint) {
        Ok(operation) => operation,
        Err(error) => return Some(Response::refused(&error)),
    };
    match operation {
        Operation::ReadManifest
        | Operation::Refs
        | Operation::Get
        | Operation::Pack
        | Operation::Events => Some(Response::refused(&ProtocolError {
            status: 404,
            code: "no_such_database",
            message: "the server has no database of this name; a first push creates it".into(),
        })),
        Operation::Put => match decode_chunks(request.body) {
            Ok(chunks) if chunks.is_empty() => Some(serve(&mut MemoryStore::new(), request)),
            Ok(_) => None,
            Err(error) => Some(Response::refused(&error)),
        },
        Operation::Has => Some(serve(&mut MemoryStore::new(), request)),
        Operation::SwapManifest => {
            let response = serve(&mut MemoryStore::new(), request);
            (response.status != 200).then_some(response)
        }
    }
}

fn answer(store: &mut dyn ChunkStore, request: &Request) -> Result<Response, Refusal> {
    match Operation::of(request.method, request.endpoint)? {
        Operation::ReadManifest => read_manifest(store, request.if_none_match),
        Operation::SwapManifest => swap(store, request.body),
        Operation::Has => {
            let hashes = decode_hashes(request.body, HAS_HASHES_MAX)?;
            let present = store.has_many(&hashes)?;
            Ok(Response::ok(CONTENT_BINARY, encode_presence(&present)))
        }
        Operation::Get => get(store, request.body),
        Operation::Refs => refs(store, request.if_none_match),
        Operation::Pack => pack_answer(store, request.body),
        Operation::Put => put(store, request.body),
        Operation::Events => {
            let manifest = store.manifest()?;
            Ok(Response::ok(CONTENT_EVENTS, manifest_event(&manifest).into_bytes()))
        }
    }
}

/// `304 Not Modified` when `If-None-Match` names the manifest's `etag`.
fn not_modified(if_none_match: Option<&str>, etag: &str) -> Option<Response> {
    let unchanged = if_none_match.is_some_and(|header| none_match(header, etag));
    unchanged.then(|| Response {
        status: 304,
        content_type: CONTENT_BINARY,
        etag: Some(etag.to_string()),
        body: Vec::new(),
        swapped: None,
    })
}

fn read_manifest(store: &dyn ChunkStore, if_none_match: Option<&str>) -> Result<Response, Refusal> {
    let manifest = store.manifest()?;
    let etag = manifest_etag(&manifest);
    if let Some(unchanged) = not_modified(if_none_match, &etag) {
        return Ok(unchanged);
    }
    Ok(Response { etag: Some(etag), ..Response::ok(CONTENT_BINARY, manifest.encode().to_vec()) })
}

/// The manifest and the ref map it names, with the manifest's `ETag`: one round trip gives a
/// client all it needs to decide a push or a fetch, and none when nothing changed (304).
fn refs(store: &dyn ChunkStore, if_none_match: Option<&str>) -> Result<Response, Refusal> {
    let manifest = store.manifest()?;
    let etag = manifest_etag(&manifest);
    if let Some(unchanged) = not_modified(if_none_match, &etag) {
        return Ok(unchanged);
    }
    let ref_map = match manifest.root {
        Some(root) => Some(store.get(root)?),
        None => None,
    };
    let body = encode_refs(&manifest, ref_map.as_ref());
    Ok(Response { etag: Some(etag), ..Response::ok(CONTENT_BINARY, body) })
}

/// A pack of what the wanted refs reach and the asker's commits do not, children first;
/// `413 pack_too_large` when it would pass [`CHUNKS_BODY_BYTES_MAX`] (the asker then moves the
/// chunks level by level with `has` and `get`).
fn pack_answer(store: &dyn ChunkStore, body: &[u8]) -> Result<Response, Refusal> {
    let request = decode_pack_request(body)?;
    let packed = super::pack(store, &request.wanted_refs(), &request.haves, CHUNKS_BODY_BYTES_MAX)
        .map_err(|error| match error.missing() {
            Some(_) => Refusal::plain(store_failed(&StoreError::Io(error.to_string()))),
            None => Refusal::plain(ProtocolError {
                status: 422,
                code: "bad_pack_request",
                message: format!("a wanted ref cannot be packed: {error}"),
            }),
        })?;
    match packed {
        Some(chunks) => Ok(Response::ok(CONTENT_BINARY, encode_chunks(&chunks))),
        None => Err(Refusal::plain(ProtocolError {
            status: 413,
            code: "pack_too_large",
            message: format!(
                "the pack would pass {CHUNKS_BODY_BYTES_MAX} bytes or {} commits; move the chunks with has and get",
                super::PACK_COMMITS_MAX
            ),
        })),
    }
}

/// The chunks present, framed, in request order; an answer that would pass
/// [`CHUNKS_BODY_BYTES_MAX`] is refused whole, so a client never mistakes a chunk left out for
/// one the server lacks.
fn get(store: &dyn ChunkStore, body: &[u8]) -> Result<Response, Refusal> {
    let hashes = decode_hashes(body, GET_HASHES_MAX)?;
    let mut out = Vec::new();
    for batch in hashes.chunks(GET_READ_BATCH_CHUNKS) {
        let found = store.get_many(batch)?;
        let present: Vec<_> = found.into_iter().flatten().collect();
        out.extend_from_slice(&encode_chunks(&present));
        if out.len() > CHUNKS_BODY_BYTES_MAX {
            return Err(ProtocolError {
                status: 413,
                code: "too_large",
                message: format!(
                    "the chunks asked for come to more than the {CHUNKS_BODY_BYTES_MAX} bytes of one answer; ask for fewer at a time"
                ),
            }
            .into());
        }
    }
    Ok(Response::ok(CONTENT_BINARY, out))
}

/// Verifies every chunk of the body, then stores them all and makes them durable with a flush
/// that keeps the manifest as it is; answers how many chunks the body held.
fn put(store: &mut dyn ChunkStore, body: &[u8]) -> Result<Response, Refusal> {
    let chunks = decode_chunks(body)?;
    let count = chunks.len() as u32;
    if count == 0 {
        return Ok(Response::ok(CONTENT_BINARY, count.to_le_bytes().to_vec()));
    }
    for chunk in chunks {
        store.put(chunk)?;
    }
    let mut manifest = store.manifest()?;
    for attempt in 1.. {
        match store.flush(&manifest, &manifest) {
            Ok(()) => break,
            Err(StoreError::Conflict { current }) if attempt < PUT_FLUSH_ATTEMPTS_MAX => {
                manifest = current;
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(Response::ok(CONTENT_BINARY, count.to_le_bytes().to_vec()))
}

/// The refusal of a swap whose expected manifest is not `current`: `fenced` when it expects an
/// older epoch (a newer primary took over), `manifest_conflict` otherwise.
fn conflict(expected: &Manifest, current: Manifest) -> Refusal {
    let error = if expected.epoch < current.epoch {
        ProtocolError {
            status: 409,
            code: "fenced",
            message: format!(
                "the swap expects epoch {} but the database is at epoch {}: another primary took over",
                expected.epoch, current.epoch
            ),
        }
    } else {
        ProtocolError {
            status: 409,
            code: "manifest_conflict",
            message:
                "the database's manifest is not the one the swap expects; read it and decide again"
                    .into(),
        }
    };
    Refusal { error, manifest: Some(current), missing: Vec::new() }
}

/// Refuses a root that would publish refs to chunks the store lacks: the root must be stored
/// and be a ref map, and every ref in it (branches, tags, working sets, configuration) must
/// name a stored chunk. Clients put children before parents, so the chunks below those are
/// there too; checking the level below the root is what keeps a faulty or interrupted client
/// from publishing dangling refs.
fn check_refs_stored(store: &dyn ChunkStore, root: Hash) -> Result<(), Refusal> {
    let missing = |hashes: Vec<Hash>, what: &str| Refusal {
        error: ProtocolError {
            status: 422,
            code: "missing_chunks",
            message: format!("{what} {} is not stored; put it first", hashes[0]),
        },
        manifest: None,
        missing: hashes,
    };
    if store.has_many(&[root])?.first() != Some(&true) {
        return Err(missing(vec![root], "the new manifest's root chunk"));
    }
    let refs = RefMap::read(store, root).map_err(|error| ProtocolError {
        status: 422,
        code: "bad_manifest",
        message: format!("the new manifest's root chunk {root} is not a ref map: {error}"),
    })?;
    let targets: Vec<Hash> = refs.refs.values().copied().collect();
    let present = store.has_many(&targets)?;
    let absent: Vec<Hash> =
        targets.iter().zip(present).filter(|(_, here)| !here).map(|(hash, _)| *hash).collect();
    match absent.is_empty() {
        true => Ok(()),
        false => Err(missing(absent, "a ref of the new manifest names chunk")),
    }
}

fn swap(store: &mut dyn ChunkStore, body: &[u8]) -> Result<Response, Refusal> {
    let (expected, new) = decode_swap(body)?;
    if new.epoch < expected.epoch {
        return Err(ProtocolError {
            status: 400,
            code: "bad_manifest",
            message: format!(
                "the new manifest's epoch {} is below the expected one's {}; an epoch never goes down",
                new.epoch, expected.epoch
            ),
        }
        .into());
    }
    let current = store.manifest()?;
    if current != expected {
        return Err(conflict(&expected, current));
    }
    if let Some(root) = new.root {
        check_refs_stored(store, root)?;
    }
    match store.flush(&expected, &new) {
        Ok(()) => {}
        Err(StoreError::Conflict { current }) => return Err(conflict(&expected, current)),
        Err(error) => return Err(error.into()),
    }
    Ok(Response { swapped: Some(new), ..Response::ok(CONTENT_BINARY, new.encode().to_vec()) })
}
