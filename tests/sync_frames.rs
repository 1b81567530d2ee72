//! The remote protocol's bodies: every kind round-trips, and every malformed body — cut short,
//! over a limit, a chunk whose bytes do not hash to its address, stray bits — is refused with
//! its code; random damage never panics and never yields a chunk that does not verify.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use cambium::chunk::{Chunk, Hash, Manifest, CHUNK_BYTES_MAX};
use cambium::sync::{
    decode_chunks, decode_hashes, decode_pack_request, decode_presence, decode_refs, decode_swap,
    encode_chunks, encode_hashes, encode_pack_request, encode_presence, encode_refs, encode_swap,
    PackRequest, CHUNKS_BODY_BYTES_MAX, FRAME_HEADER_BYTES, HAS_HASHES_MAX, PACK_REFS_MAX,
};

fn chunks(count: usize) -> Vec<Chunk> {
    (0..count).map(|i| Chunk::new(vec![i as u8; i * 37 % 300])).collect()
}

fn code<T: std::fmt::Debug>(result: Result<T, cambium::sync::ProtocolError>) -> &'static str {
    result.expect_err("refused").code
}

#[test]
fn hashes_round_trip_within_their_limit() {
    let hashes: Vec<Hash> = chunks(50).iter().map(Chunk::hash).collect();
    assert_eq!(decode_hashes(&encode_hashes(&hashes), 50).unwrap(), hashes);
    assert_eq!(decode_hashes(&[], 10).unwrap(), Vec::<Hash>::new());
    assert_eq!(code(decode_hashes(&encode_hashes(&hashes), 49)), "too_large");
    assert_eq!(code(decode_hashes(&[0u8; 21], HAS_HASHES_MAX)), "bad_request");
}

#[test]
fn presence_round_trips_and_refuses_stray_bits() {
    for count in [0usize, 1, 7, 8, 9, 64, 1000] {
        let present: Vec<bool> = (0..count).map(|i| i % 3 == 0 || i % 7 == 1).collect();
        assert_eq!(decode_presence(&encode_presence(&present), count).unwrap(), present);
    }
    assert_eq!(code(decode_presence(&[0b1000_0001], 7)), "bad_request");
    assert_eq!(code(decode_presence(&[0, 0], 8)), "bad_request");
    assert!(decode_presence(&[0b0100_0001], 7).unwrap()[6]);
}

#[test]
fn chunks_round_trip_and_refuse_bad_frames() {
    let sent = chunks(40);
    let body = encode_chunks(&sent);
    let received = decode_chunks(&body).unwrap();
    assert_eq!(
        received.iter().map(Chunk::hash).collect::<Vec<_>>(),
        sent.iter().map(Chunk::hash).collect::<Vec<_>>()
    );
    assert_eq!(decode_chunks(&[]).unwrap().len(), 0);
    // Cut inside a header, and inside a chunk's bytes.
    assert_eq!(code(decode_chunks(&body[..FRAME_HEADER_BYTES - 1])), "bad_request");
    let one = encode_chunks(&chunks(3)[2..]);
    assert_eq!(code(decode_chunks(&one[..one.len() - 1])), "bad_request");
    // A chunk's bytes changed: refused, naming the chunk, nothing returned.
    let mut damaged = one.clone();
    *damaged.last_mut().unwrap() ^= 1;
    let error = decode_chunks(&damaged).unwrap_err();
    assert_eq!((error.status, error.code), (422, "chunk_corrupt"));
    assert!(error.message.contains(&chunks(3)[2].hash().to_string()), "{error}");
    // A length over the chunk limit is refused before anything is read.
    let mut huge = one[..FRAME_HEADER_BYTES].to_vec();
    huge[FRAME_HEADER_BYTES - 4..].copy_from_slice(&(CHUNK_BYTES_MAX as u32 + 1).to_le_bytes());
    assert_eq!(code(decode_chunks(&huge)), "too_large");
    assert_eq!(code(decode_chunks(&vec![0u8; CHUNKS_BODY_BYTES_MAX + 1])), "too_large");
}

#[test]
fn swaps_round_trip_and_refuse_bad_manifests() {
    let expected = Manifest { root: Some(chunks(2)[1].hash()), epoch: 3 };
    let new = Manifest { root: Some(chunks(3)[2].hash()), epoch: 3 };
    assert_eq!(decode_swap(&encode_swap(&expected, &new)).unwrap(), (expected, new));
    assert_eq!(decode_swap(&encode_swap(&Manifest::EMPTY, &new)).unwrap().0, Manifest::EMPTY);
    let body = encode_swap(&expected, &new);
    assert_eq!(code(decode_swap(&body[..79])), "bad_request");
    let mut bad = body.clone();
    bad[40] = b'X';
    let error = decode_swap(&bad).unwrap_err();
    assert_eq!(error.code, "bad_manifest");
    assert!(error.message.starts_with("the new manifest"), "{error}");
}

/// Random damage to valid bodies: decoding never panics, and whatever chunks it still accepts
/// hash to their addresses.
#[test]
fn damaged_bodies_never_panic_or_yield_unverified_chunks() {
    let body = encode_chunks(&chunks(12));
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for _ in 0..2_000 {
        let mut damaged = body.clone();
        for _ in 0..1 + next(3) {
            match next(3) {
                0 if !damaged.is_empty() => {
                    let at = next(damaged.len());
                    damaged[at] ^= 1 << next(8);
                }
                0 | 1 => damaged.truncate(next(damaged.len() + 1)),
                _ => {
                    let at = next(damaged.len() + 1);
                    damaged.insert(at, next(256) as u8);
                }
            }
        }
        if let Ok(received) = decode_chunks(&damaged) {
            for chunk in received {
                assert_eq!(Hash::of(chunk.data()), chunk.hash());
            }
        }
        let _ = decode_swap(&damaged);
        let _ = decode_hashes(&damaged, HAS_HASHES_MAX);
        let _ = decode_presence(&damaged, damaged.len() * 8);
    }
}

#[test]
fn pack_requests_round_trip_and_malformed_ones_are_refused() {
    let wants = vec![(false, Hash::of(b"commit")), (true, Hash::of(b"tag"))];
    let request = PackRequest { wants, haves: vec![Hash::of(b"held"), Hash::of(b"also held")] };
    let body = encode_pack_request(&request);
    assert_eq!(decode_pack_request(&body).expect("decodes"), request);
    for cut in 0..body.len() {
        let error = decode_pack_request(&body[..cut]).expect_err("cut short");
        assert_eq!(error.code, "bad_request", "cut at {cut}");
    }
    let mut bad_kind = body.clone();
    bad_kind[4] = 7;
    assert!(decode_pack_request(&bad_kind).expect_err("kind").message.contains("not 7"));
    let mut too_many = body.clone();
    too_many[..4].copy_from_slice(&(PACK_REFS_MAX as u32 + 1).to_le_bytes());
    assert_eq!(decode_pack_request(&too_many).expect_err("limit").status, 413);
    let mut trailing = body;
    trailing.push(0);
    assert_eq!(decode_pack_request(&trailing).expect_err("trailing").code, "bad_request");
}

#[test]
fn refs_answers_carry_exactly_the_ref_map_their_manifest_names() {
    let ref_map = Chunk::new(b"a ref map".to_vec());
    let manifest = Manifest { root: Some(ref_map.hash()), epoch: 3 };
    let body = encode_refs(&manifest, Some(&ref_map));
    assert_eq!(decode_refs(&body).expect("decodes"), (manifest, Some(ref_map.clone())));
    assert_eq!(
        decode_refs(&encode_refs(&Manifest::EMPTY, None)).expect("empty"),
        (Manifest::EMPTY, None)
    );
    let other = Chunk::new(b"another chunk".to_vec());
    assert!(decode_refs(&encode_refs(&manifest, Some(&other))).is_err(), "not the named ref map");
    assert!(decode_refs(&encode_refs(&manifest, None)).is_err(), "the ref map is missing");
    assert!(decode_refs(&body[..39]).is_err());
}
