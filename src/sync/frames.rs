//! The bodies of the remote protocol's requests and answers (`docs/remote-protocol.md`): lists
//! of hashes, presence bitmaps, framed chunks and manifest swaps, each with its limit. Decoding
//! is where bytes from the network first meet the program, so every decoder refuses with a
//! [`ProtocolError`] naming the problem, never panics, and verifies every chunk's hash.

use crate::chunk::{Chunk, Hash, Manifest, CHUNK_BYTES_MAX, HASH_BYTES, MANIFEST_BYTES};

/// Hashes one `has` request may ask about.
pub const HAS_HASHES_MAX: usize = 65_536;
/// Hashes one `get` request may ask for.
pub const GET_HASHES_MAX: usize = 4_096;
/// Bytes of one `put` request's body, or of one `get` answer.
pub const CHUNKS_BODY_BYTES_MAX: usize = 32 << 20;
/// Bytes of a chunk frame before the chunk: the hash and a u32 length.
pub const FRAME_HEADER_BYTES: usize = HASH_BYTES + 4;

/// A request or answer the protocol refuses: an HTTP status, a stable code and a message that
/// names the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ProtocolError {
    fn bad_request(message: impl Into<String>) -> ProtocolError {
        ProtocolError { status: 400, code: "bad_request", message: message.into() }
    }

    fn too_large(message: impl Into<String>) -> ProtocolError {
        ProtocolError { status: 413, code: "too_large", message: message.into() }
    }
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ProtocolError {}

/// A list of hashes: 20 bytes each, back to back.
pub fn encode_hashes(hashes: &[Hash]) -> Vec<u8> {
    hashes.iter().flat_map(|hash| *hash.as_bytes()).collect()
}

/// Reads a list of at most `max` hashes.
pub fn decode_hashes(body: &[u8], max: usize) -> Result<Vec<Hash>, ProtocolError> {
    if body.len() % HASH_BYTES != 0 {
        return Err(ProtocolError::bad_request(format!(
            "a list of hashes is a multiple of {HASH_BYTES} bytes, not {}",
            body.len()
        )));
    }
    let count = body.len() / HASH_BYTES;
    if count > max {
        return Err(ProtocolError::too_large(format!(
            "{count} hashes in one request, over the limit of {max}"
        )));
    }
    Ok(body
        .chunks_exact(HASH_BYTES)
        .map(|bytes| Hash::from_slice(bytes).expect("20 bytes"))
        .collect())
}

/// A presence bitmap: bit `i % 8` of byte `i / 8` set when item `i` is present.
pub fn encode_presence(present: &[bool]) -> Vec<u8> {
    let mut out = vec![0u8; present.len().div_ceil(8)];
    for (i, _) in present.iter().enumerate().filter(|(_, &here)| here) {
        out[i / 8] |= 1 << (i % 8);
    }
    out
}

/// Reads the presence bitmap answering a list of `count` hashes: exactly its length, with the
/// bits past `count` clear.
pub fn decode_presence(body: &[u8], count: usize) -> Result<Vec<bool>, ProtocolError> {
    if body.len() != count.div_ceil(8) {
        return Err(ProtocolError::bad_request(format!(
            "a presence answer for {count} hashes is {} bytes, not {}",
            count.div_ceil(8),
            body.len()
        )));
    }
    if count % 8 != 0 && body[count / 8] >> (count % 8) != 0 {
        return Err(ProtocolError::bad_request("a presence answer sets bits past its last hash"));
    }
    Ok((0..count).map(|i| body[i / 8] & (1 << (i % 8)) != 0).collect())
}

/// Framed chunks: each its hash, its length as a u32, then its bytes.
pub fn encode_chunks(chunks: &[Chunk]) -> Vec<u8> {
    let bytes = chunks.iter().map(|c| FRAME_HEADER_BYTES + c.len()).sum();
    let mut out = Vec::with_capacity(bytes);
    for chunk in chunks {
        out.extend_from_slice(chunk.hash().as_bytes());
        out.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
        out.extend_from_slice(chunk.data());
    }
    out
}

/// Reads framed chunks, verifying each one's hash: a body over [`CHUNKS_BODY_BYTES_MAX`], a
/// chunk over [`CHUNK_BYTES_MAX`], a truncated frame, or bytes that do not hash to their
/// address refuse the whole body.
pub fn decode_chunks(body: &[u8]) -> Result<Vec<Chunk>, ProtocolError> {
    if body.len() > CHUNKS_BODY_BYTES_MAX {
        return Err(ProtocolError::too_large(format!(
            "a body of {} bytes, over the limit of {CHUNKS_BODY_BYTES_MAX}",
            body.len()
        )));
    }
    let mut chunks = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let Some((header, after)) = rest.split_at_checked(FRAME_HEADER_BYTES) else {
            return Err(ProtocolError::bad_request(format!(
                "chunk {} is cut off inside its {FRAME_HEADER_BYTES}-byte header",
                chunks.len() + 1
            )));
        };
        let hash = Hash::from_slice(header).expect("20 bytes");
        let len = u32::from_le_bytes(header[HASH_BYTES..].try_into().expect("4 bytes")) as usize;
        if len > CHUNK_BYTES_MAX {
            return Err(ProtocolError::too_large(format!(
                "chunk {hash} says it has {len} bytes, over the limit of {CHUNK_BYTES_MAX}"
            )));
        }
        let Some((data, after)) = after.split_at_checked(len) else {
            return Err(ProtocolError::bad_request(format!(
                "chunk {hash} says it has {len} bytes, but only {} follow",
                after.len()
            )));
        };
        let chunk = Chunk::verified(hash, data).map_err(|_| ProtocolError {
            status: 422,
            code: "chunk_corrupt",
            message: format!("the bytes sent as chunk {hash} do not hash to it"),
        })?;
        chunks.push(chunk);
        rest = after;
    }
    Ok(chunks)
}

/// A manifest swap: the manifest expected, then the new one.
pub fn encode_swap(expected: &Manifest, new: &Manifest) -> Vec<u8> {
    [expected.encode(), new.encode()].concat()
}

/// Reads a manifest swap (exactly two encoded manifests).
pub fn decode_swap(body: &[u8]) -> Result<(Manifest, Manifest), ProtocolError> {
    if body.len() != 2 * MANIFEST_BYTES {
        return Err(ProtocolError::bad_request(format!(
            "a manifest swap is {} bytes (expected, then new manifest), not {}",
            2 * MANIFEST_BYTES,
            body.len()
        )));
    }
    let manifest = |bytes: &[u8], which: &str| {
        Manifest::decode(bytes).map_err(|e| ProtocolError {
            status: 400,
            code: "bad_manifest",
            message: format!("the {which} manifest: {e}"),
        })
    };
    let (expected, new) = body.split_at(MANIFEST_BYTES);
    Ok((manifest(expected, "expected")?, manifest(new, "new")?))
}

/// Wanted refs, and commits held, in one `pack` request.
pub const PACK_REFS_MAX: usize = 4_096;

/// What a `pack` request asks: the refs wanted (a branch's commit, or a tag's object) and the
/// commits the asker holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackRequest {
    /// Each wanted target, with whether it is a tag object (else a commit).
    pub wants: Vec<(bool, Hash)>,
    pub haves: Vec<Hash>,
}

impl PackRequest {
    /// The wants as ref-map entries, which is how [`super::pack`] takes them.
    pub fn wanted_refs(&self) -> Vec<(&'static str, Hash)> {
        let name = |tag: bool| if tag { "refs/tags/" } else { "refs/heads/" };
        self.wants.iter().map(|(tag, hash)| (name(*tag), *hash)).collect()
    }
}

/// A `pack` request: u32 count of wants, each a kind byte (1 for a tag object, 0 for a commit)
/// and a hash; then u32 count of haves, each a hash.
pub fn encode_pack_request(request: &PackRequest) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(request.wants.len() as u32).to_le_bytes());
    for (tag, hash) in &request.wants {
        out.push(u8::from(*tag));
        out.extend_from_slice(hash.as_bytes());
    }
    out.extend_from_slice(&(request.haves.len() as u32).to_le_bytes());
    out.extend_from_slice(&encode_hashes(&request.haves));
    out
}

pub fn decode_pack_request(body: &[u8]) -> Result<PackRequest, ProtocolError> {
    let truncated = || ProtocolError::bad_request("the pack request ends early");
    let count = |at: usize| -> Result<usize, ProtocolError> {
        let bytes = body.get(at..at + 4).ok_or_else(truncated)?;
        let count = u32::from_le_bytes(bytes.try_into().expect("4 bytes")) as usize;
        if count > PACK_REFS_MAX {
            return Err(ProtocolError::too_large(format!(
                "{count} refs in one pack request, over the limit of {PACK_REFS_MAX}"
            )));
        }
        Ok(count)
    };
    let wants_count = count(0)?;
    let mut at = 4;
    let mut wants = Vec::with_capacity(wants_count);
    for _ in 0..wants_count {
        let entry = body.get(at..at + 1 + HASH_BYTES).ok_or_else(truncated)?;
        let tag = match entry[0] {
            0 => false,
            1 => true,
            other => {
                return Err(ProtocolError::bad_request(format!(
                    "a wanted ref's kind is 0 (commit) or 1 (tag), not {other}"
                )))
            }
        };
        wants.push((tag, Hash::from_slice(&entry[1..]).expect("20 bytes")));
        at += 1 + HASH_BYTES;
    }
    let haves_count = count(at)?;
    at += 4;
    let rest = &body[at..];
    if rest.len() != haves_count * HASH_BYTES {
        return Err(ProtocolError::bad_request(format!(
            "the pack request says {haves_count} held commits but carries {} bytes of them",
            rest.len()
        )));
    }
    let haves = decode_hashes(rest, PACK_REFS_MAX)?;
    Ok(PackRequest { wants, haves })
}

/// A `refs` answer: the 40-byte manifest, then the ref map chunk it names as one frame (none
/// for a database never published to).
pub fn encode_refs(manifest: &Manifest, ref_map: Option<&Chunk>) -> Vec<u8> {
    let mut out = manifest.encode().to_vec();
    out.extend_from_slice(&encode_chunks(&ref_map.into_iter().cloned().collect::<Vec<_>>()));
    out
}

/// Reads a `refs` answer, checking that the chunk is the ref map the manifest names.
pub fn decode_refs(body: &[u8]) -> Result<(Manifest, Option<Chunk>), ProtocolError> {
    if body.len() < MANIFEST_BYTES {
        return Err(ProtocolError::bad_request("a refs answer starts with a 40-byte manifest"));
    }
    let manifest = Manifest::decode(&body[..MANIFEST_BYTES])
        .map_err(|error| ProtocolError::bad_request(format!("bad manifest: {error}")))?;
    let mut chunks = decode_chunks(&body[MANIFEST_BYTES..])?;
    let ref_map = chunks.pop();
    if !chunks.is_empty() || ref_map.as_ref().map(Chunk::hash) != manifest.root {
        return Err(ProtocolError::bad_request(
            "a refs answer carries exactly the ref map its manifest names",
        ));
    }
    Ok((manifest, ref_map))
}
