//! The remote server: whole protocol conversations answered by `sync::serve` against a
//! `MemoryStore` (every target), and by `db::RemoteServer` over a directory of file stores
//! (natively): creating a database by put and swap, reads and conditional reads, the swap's
//! conflicts and fencing, roots whose refs are not all stored, refused bodies changing nothing,
//! limits, database names that could walk the directory, and tokens with read and write scope.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use cambium::chunk::{Chunk, ChunkStore, Hash, Manifest, MemoryStore, CHUNK_BYTES_MAX};
use cambium::history::RefMap;
use cambium::sync::{
    authorize, decode_chunks, decode_presence, encode_chunks, encode_hashes, encode_swap,
    manifest_etag, manifest_hex, serve, serve_absent, AuthConfig, Operation, Request, Response,
    AUTH_TOKENS_MAX, CHUNKS_BODY_BYTES_MAX, FRAME_HEADER_BYTES, GET_HASHES_MAX, HAS_HASHES_MAX,
    TOKEN_BYTES_MIN,
};

/// `count` chunks of varied sizes, each a ref map (so any of them is a root a swap accepts)
/// whose one ref names the chunk after it: put together, each is a root whose refs are stored.
fn chunks(count: usize, salt: u8) -> Vec<Chunk> {
    let mut out: Vec<Chunk> = Vec::with_capacity(count);
    for i in (0..count).rev() {
        let mut scratch = MemoryStore::new();
        let head = format!("b{salt}-{i}-{}", "x".repeat(i * 53 % 700));
        let mut refs = RefMap { head, refs: Default::default() };
        if let Some(next) = out.last() {
            refs.refs.insert(format!("refs/heads/b{salt}-{i}"), next.hash());
        }
        let hash = refs.write(&mut scratch).expect("write the ref map");
        out.push(scratch.get(hash).expect("written"));
    }
    out.reverse();
    out
}

fn hashes(chunks: &[Chunk]) -> Vec<Hash> {
    chunks.iter().map(Chunk::hash).collect()
}

fn request<'a>(method: &'a str, endpoint: &'a str, body: &'a [u8]) -> Request<'a> {
    Request { method, endpoint, body, if_none_match: None }
}

fn call(store: &mut MemoryStore, method: &str, endpoint: &str, body: &[u8]) -> Response {
    serve(store, &request(method, endpoint, body))
}

/// The `code` of an error answer, checking that its body is the protocol's JSON error.
fn code(response: &Response) -> String {
    assert_eq!(response.content_type, "application/json");
    let text = std::str::from_utf8(&response.body).expect("UTF-8");
    assert!(text.starts_with("{\"code\":\"") && text.contains(",\"message\":\""), "{text}");
    assert!(text.ends_with('}'), "{text}");
    let code = &text["{\"code\":\"".len()..];
    code[..code.find('"').expect("closed")].to_string()
}

/// Asserts an answer refused the request with `status` and `code`.
fn refused(response: &Response, status: u16, expected: &str) {
    assert_eq!(
        (response.status, code(response).as_str()),
        (status, expected),
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(response.swapped, None);
}

fn swap(store: &mut MemoryStore, expected: &Manifest, new: &Manifest) -> Response {
    call(store, "POST", "manifest", &encode_swap(expected, new))
}

fn read_manifest(store: &mut MemoryStore) -> Manifest {
    let response = call(store, "GET", "manifest", &[]);
    assert_eq!(response.status, 200);
    Manifest::decode(&response.body).expect("a manifest")
}

fn count(response: &Response) -> u32 {
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    u32::from_le_bytes(response.body.as_slice().try_into().expect("a u32"))
}

#[test]
fn a_first_push_creates_the_database_and_reads_answer_what_it_holds() {
    let mut store = MemoryStore::new();
    let sent = chunks(20, 1);
    // Before anything: nothing is present, and the manifest is the empty one.
    let has = call(&mut store, "POST", "has", &encode_hashes(&hashes(&sent)));
    assert_eq!(decode_presence(&has.body, 20).unwrap(), vec![false; 20]);
    assert_eq!(read_manifest(&mut store), Manifest::EMPTY);

    assert_eq!(count(&call(&mut store, "POST", "put", &encode_chunks(&sent[..12]))), 12);
    // Putting again is harmless, and an empty put stores nothing.
    assert_eq!(count(&call(&mut store, "POST", "put", &encode_chunks(&sent[..12]))), 12);
    assert_eq!(count(&call(&mut store, "POST", "put", &[])), 0);
    // Durable before the answer: another handle sees them at once.
    assert_eq!(store.handle().has_many(&hashes(&sent[..12])).unwrap(), vec![true; 12]);

    let has = call(&mut store, "POST", "has", &encode_hashes(&hashes(&sent)));
    let expected: Vec<bool> = (0..20).map(|i| i < 12).collect();
    assert_eq!(decode_presence(&has.body, 20).unwrap(), expected);

    // `get` answers the chunks present, in request order, leaving the absent out.
    let asked = [sent[15].hash(), sent[3].hash(), sent[0].hash(), sent[11].hash()];
    let got = call(&mut store, "POST", "get", &encode_hashes(&asked));
    assert_eq!(got.status, 200);
    let received = decode_chunks(&got.body).expect("verified chunks");
    assert_eq!(hashes(&received), vec![sent[3].hash(), sent[0].hash(), sent[11].hash()]);

    let new = Manifest { root: Some(sent[0].hash()), epoch: 0 };
    let swapped = swap(&mut store, &Manifest::EMPTY, &new);
    assert_eq!(swapped.status, 200);
    assert_eq!(swapped.body, new.encode());
    assert_eq!(swapped.swapped, Some(new));
    assert_eq!(read_manifest(&mut store), new);
}

#[test]
fn manifest_reads_carry_an_etag_and_answer_304_when_nothing_changed() {
    let mut store = MemoryStore::new();
    let sent = chunks(2, 2);
    call(&mut store, "POST", "put", &encode_chunks(&sent));
    let first = Manifest { root: Some(sent[0].hash()), epoch: 0 };
    swap(&mut store, &Manifest::EMPTY, &first);

    let read = call(&mut store, "GET", "manifest", &[]);
    let etag = read.etag.clone().expect("an ETag");
    assert_eq!(etag, format!("\"{}\"", manifest_hex(&first)));
    assert_eq!(etag, manifest_etag(&first));
    assert_eq!(etag.len(), 82);

    let conditional = |store: &mut MemoryStore, tag: &str| {
        serve(store, &Request { if_none_match: Some(tag), ..request("GET", "manifest", &[]) })
    };
    let unchanged = conditional(&mut store, &etag);
    assert_eq!((unchanged.status, unchanged.body.len()), (304, 0));
    assert_eq!(unchanged.etag.as_deref(), Some(etag.as_str()));
    assert_eq!(conditional(&mut store, &format!("W/{etag}")).status, 304);
    assert_eq!(conditional(&mut store, &format!("\"other\", {etag}")).status, 304);

    let second = Manifest { root: Some(sent[1].hash()), epoch: 0 };
    swap(&mut store, &first, &second);
    let changed = conditional(&mut store, &etag);
    assert_eq!(changed.status, 200);
    assert_eq!(Manifest::decode(&changed.body).unwrap(), second);
    assert_eq!(changed.etag, Some(manifest_etag(&second)));
}

#[test]
fn swaps_are_compare_and_swap_and_fence_older_epochs() {
    let mut store = MemoryStore::new();
    let sent = chunks(4, 3);
    call(&mut store, "POST", "put", &encode_chunks(&sent));
    let a = Manifest { root: Some(sent[0].hash()), epoch: 0 };
    let b = Manifest { root: Some(sent[1].hash()), epoch: 0 };
    assert_eq!(swap(&mut store, &Manifest::EMPTY, &a).status, 200);

    // A push that read the manifest before another one published loses, and hears the
    // current manifest.
    let lost = swap(&mut store, &Manifest::EMPTY, &b);
    refused(&lost, 409, "manifest_conflict");
    let text = String::from_utf8(lost.body).unwrap();
    assert!(text.contains(&format!("\"manifest\":\"{}\"", manifest_hex(&a))), "{text}");
    assert_eq!(read_manifest(&mut store), a);

    // An epoch never goes down.
    let lower = Manifest { root: Some(sent[1].hash()), epoch: 0 };
    refused(&swap(&mut store, &Manifest { epoch: 1, ..a }, &lower), 400, "bad_manifest");

    // A standby takes over with the next epoch; the old primary's swaps are fenced.
    let taken = Manifest { epoch: 1, ..a };
    assert_eq!(swap(&mut store, &a, &taken).status, 200);
    let fenced = swap(&mut store, &a, &b);
    refused(&fenced, 409, "fenced");
    assert!(String::from_utf8(fenced.body).unwrap().contains(&manifest_hex(&taken)));
    // Expecting a later epoch than the current one is a plain conflict.
    let ahead = Manifest { epoch: 5, ..a };
    refused(&swap(&mut store, &ahead, &Manifest { epoch: 5, ..b }), 409, "manifest_conflict");
    assert_eq!(read_manifest(&mut store), taken);

    // The new root must be stored; the answer names it.
    let absent = Chunk::new(b"never put".to_vec()).hash();
    let missing = swap(&mut store, &taken, &Manifest { root: Some(absent), epoch: 1 });
    refused(&missing, 422, "missing_chunks");
    let text = String::from_utf8(missing.body).unwrap();
    assert!(text.contains(&format!("\"missing\":[\"{absent}\"]")), "{text}");
    assert_eq!(read_manifest(&mut store), taken);

    // So must every chunk its refs name, and the root must be a ref map.
    let dangling = chunks(2, 11);
    call(&mut store, "POST", "put", &encode_chunks(&dangling[..1]));
    let half = swap(&mut store, &taken, &Manifest { root: Some(dangling[0].hash()), epoch: 1 });
    refused(&half, 422, "missing_chunks");
    let text = String::from_utf8(half.body).unwrap();
    assert!(text.contains(&format!("\"missing\":[\"{}\"]", dangling[1].hash())), "{text}");
    let bytes = Chunk::new(b"not a ref map".to_vec());
    call(&mut store, "POST", "put", &encode_chunks(std::slice::from_ref(&bytes)));
    let garbage = swap(&mut store, &taken, &Manifest { root: Some(bytes.hash()), epoch: 1 });
    refused(&garbage, 422, "bad_manifest");
    assert_eq!(read_manifest(&mut store), taken);

    // A swap to a manifest without a root needs no chunk.
    let cleared = Manifest { root: None, epoch: 1 };
    assert_eq!(swap(&mut store, &taken, &cleared).swapped, Some(cleared));
}

#[test]
fn a_put_with_one_corrupt_chunk_stores_nothing() {
    let mut store = MemoryStore::new();
    let sent = chunks(6, 4);
    let mut body = encode_chunks(&sent);
    let last = body.len() - 1;
    body[last] ^= 0x40;
    let response = call(&mut store, "POST", "put", &body);
    refused(&response, 422, "chunk_corrupt");
    assert!(String::from_utf8(response.body).unwrap().contains(&sent[5].hash().to_string()));
    assert_eq!(store.has_many(&hashes(&sent)).unwrap(), vec![false; 6]);
    assert_eq!(store.published_size(), (0, 0));
}

#[test]
fn malformed_bodies_are_refused_as_bad_requests_and_change_nothing() {
    let mut store = MemoryStore::new();
    let sent = chunks(3, 5);
    let framed = encode_chunks(&sent);
    let listed = encode_hashes(&hashes(&sent));
    let swapped = encode_swap(&Manifest::EMPTY, &Manifest { root: Some(sent[0].hash()), epoch: 0 });
    let mut bad_magic = swapped.clone();
    bad_magic[0] = b'X';
    let mut long_length = framed[..FRAME_HEADER_BYTES + 1].to_vec();
    long_length[FRAME_HEADER_BYTES - 4..FRAME_HEADER_BYTES].copy_from_slice(&500u32.to_le_bytes());
    for (endpoint, body, expected) in [
        ("has", &listed[..listed.len() - 1], "bad_request"),
        ("get", &listed[..19], "bad_request"),
        ("put", &framed[..FRAME_HEADER_BYTES - 3], "bad_request"),
        ("put", &framed[..framed.len() - 1], "bad_request"),
        ("put", &long_length[..], "bad_request"),
        ("manifest", &swapped[..79], "bad_request"),
        ("manifest", &[][..], "bad_request"),
        ("manifest", &bad_magic[..], "bad_manifest"),
    ] {
        let response = call(&mut store, "POST", endpoint, body);
        refused(&response, 400, expected);
    }
    assert_eq!(store.published_size(), (0, 0));
    assert_eq!(read_manifest(&mut store), Manifest::EMPTY);
}

#[test]
fn requests_over_a_limit_are_refused_as_too_large() {
    let mut store = MemoryStore::new();
    let one = encode_hashes(&[Chunk::new(vec![1]).hash()]);
    refused(&call(&mut store, "POST", "has", &one.repeat(HAS_HASHES_MAX + 1)), 413, "too_large");
    refused(&call(&mut store, "POST", "get", &one.repeat(GET_HASHES_MAX + 1)), 413, "too_large");
    assert_eq!(call(&mut store, "POST", "has", &one.repeat(HAS_HASHES_MAX)).status, 200);
    let oversized = vec![0u8; CHUNKS_BODY_BYTES_MAX + 1];
    refused(&call(&mut store, "POST", "put", &oversized), 413, "too_large");
    let mut huge = one.clone();
    huge.extend_from_slice(&(CHUNK_BYTES_MAX as u32 + 1).to_le_bytes());
    refused(&call(&mut store, "POST", "put", &huge), 413, "too_large");

    // An answer that would pass the body limit is refused whole rather than cut short.
    let big: Vec<Chunk> = (0..33u8).map(|i| Chunk::new(vec![i; CHUNK_BYTES_MAX])).collect();
    for pair in big.chunks(2) {
        assert_eq!(
            count(&call(&mut store, "POST", "put", &encode_chunks(pair))),
            pair.len() as u32
        );
    }
    refused(&call(&mut store, "POST", "get", &encode_hashes(&hashes(&big))), 413, "too_large");
    let fits = call(&mut store, "POST", "get", &encode_hashes(&hashes(&big[..30])));
    assert_eq!(decode_chunks(&fits.body).unwrap().len(), 30);
}

#[test]
fn endpoints_and_methods_outside_the_protocol_are_refused() {
    let mut store = MemoryStore::new();
    refused(&call(&mut store, "GET", "chunks", &[]), 404, "no_such_endpoint");
    refused(&call(&mut store, "POST", "", &[]), 404, "no_such_endpoint");
    refused(&call(&mut store, "GET", "put", &[]), 405, "method_not_allowed");
    refused(&call(&mut store, "DELETE", "manifest", &[]), 405, "method_not_allowed");
    refused(&call(&mut store, "POST", "events", &[]), 405, "method_not_allowed");
    refused(&call(&mut store, "get", "manifest", &[]), 405, "method_not_allowed");
    assert!(Operation::of("POST", "put").unwrap().writes());
    assert!(Operation::of("POST", "manifest").unwrap().writes());
    assert!(!Operation::of("POST", "get").unwrap().writes());
    assert!(!Operation::of("GET", "manifest").unwrap().writes());
}

#[test]
fn events_start_with_the_current_manifest() {
    let mut store = MemoryStore::new();
    let events = call(&mut store, "GET", "events", &[]);
    assert_eq!((events.status, events.content_type), (200, "text/event-stream"));
    let text = String::from_utf8(events.body).unwrap();
    assert_eq!(text, format!("event: manifest\ndata: {}\n\n", manifest_hex(&Manifest::EMPTY)));
}

#[test]
fn a_database_without_a_store_is_created_only_by_a_put_or_swap_that_succeeds() {
    let sent = chunks(2, 6);
    let absent = |method, endpoint, body: &[u8]| serve_absent(&request(method, endpoint, body));
    for (method, endpoint) in [("GET", "manifest"), ("POST", "get"), ("GET", "events")] {
        let response = absent(method, endpoint, &encode_hashes(&hashes(&sent))).expect("answered");
        refused(&response, 404, "no_such_database");
    }
    let has = absent("POST", "has", &encode_hashes(&hashes(&sent))).expect("answered");
    assert_eq!(decode_presence(&has.body, 2).unwrap(), vec![false, false]);
    assert!(absent("POST", "put", &encode_chunks(&sent)).is_none());
    assert_eq!(count(&absent("POST", "put", &[]).expect("answered")), 0);
    let mut corrupt = encode_chunks(&sent);
    corrupt[FRAME_HEADER_BYTES] ^= 1;
    refused(&absent("POST", "put", &corrupt).expect("answered"), 422, "chunk_corrupt");
    let rooted = Manifest { root: Some(sent[0].hash()), epoch: 0 };
    let missing = absent("POST", "manifest", &encode_swap(&Manifest::EMPTY, &rooted));
    refused(&missing.expect("answered"), 422, "missing_chunks");
    let stale = absent("POST", "manifest", &encode_swap(&rooted, &rooted));
    refused(&stale.expect("answered"), 409, "manifest_conflict");
    let epoch = Manifest { root: None, epoch: 1 };
    assert!(absent("POST", "manifest", &encode_swap(&Manifest::EMPTY, &epoch)).is_none());
    refused(&absent("PUT", "put", &[]).expect("answered"), 405, "method_not_allowed");
}

const READER: &str = "read-token-0123456789";
const WRITER: &str = "write-token-0123456789";
const EVERYWHERE: &str = "star-token-0123456789";

fn auth_file() -> String {
    format!(
        r#"{{ "tokens": [
            {{ "token": "{READER}", "database": "notes", "scope": "read" }},
            {{ "token": "{WRITER}", "database": "notes", "scope": "write" }},
            {{ "token": "{WRITER}", "database": "other", "scope": "read" }},
            {{ "token": "{EVERYWHERE}", "database": "*", "scope": "write" }}
        ] }}"#
    )
}

#[test]
fn tokens_grant_reading_or_writing_one_database_or_all() {
    let config = AuthConfig::parse(&auth_file()).expect("a good file");
    let check = |header: Option<&str>, database, write| {
        authorize(&config, header, database, write).map_err(|e| (e.status, e.code))
    };
    let bearer = |token: &str| format!("Bearer {token}");
    assert_eq!(check(None, "notes", false), Err((401, "unauthorized")));
    assert_eq!(check(Some(READER), "notes", false), Err((401, "unauthorized")));
    assert_eq!(check(Some(&format!("Basic {READER}")), "notes", false), Err((401, "unauthorized")));
    assert_eq!(
        check(Some("Bearer not-a-known-token-at-all"), "notes", false),
        Err((401, "unauthorized"))
    );
    assert_eq!(check(Some(&bearer(READER)), "notes", false), Ok(()));
    assert_eq!(check(Some(&format!("bearer  {READER}")), "notes", false), Ok(()));
    assert_eq!(check(Some(&bearer(READER)), "notes", true), Err((403, "forbidden")));
    assert_eq!(check(Some(&bearer(READER)), "other", false), Err((403, "forbidden")));
    assert_eq!(check(Some(&bearer(WRITER)), "notes", true), Ok(()));
    assert_eq!(check(Some(&bearer(WRITER)), "other", false), Ok(()));
    assert_eq!(check(Some(&bearer(WRITER)), "other", true), Err((403, "forbidden")));
    assert_eq!(check(Some(&bearer(WRITER)), "third", false), Err((403, "forbidden")));
    assert_eq!(check(Some(&bearer(EVERYWHERE)), "third", true), Ok(()));
    // A prefix or an extension of a token is not the token.
    assert_eq!(check(Some(&bearer(&READER[..20])), "notes", false), Err((401, "unauthorized")));
    assert_eq!(
        check(Some(&bearer(&format!("{READER}x"))), "notes", false),
        Err((401, "unauthorized"))
    );
    // No message, and no debug print of the configuration, shows a token.
    let error = authorize(&config, Some(&bearer(READER)), "notes", true).unwrap_err();
    assert!(!error.message.contains(READER), "{error}");
    let debug = format!("{config:?}");
    for token in [READER, WRITER, EVERYWHERE] {
        assert!(!debug.contains(token), "{debug}");
    }
}

#[test]
fn a_bad_auth_file_is_refused_naming_the_problem_and_never_the_token() {
    let secret = "secret-token-0123456789";
    let entry = |fields: &str| format!(r#"{{ "tokens": [ {{ {fields} }} ] }}"#);
    let cases = [
        ("not json".to_string(), "not JSON"),
        ("{ \"tokens\": [ }".to_string(), "a value was expected at line 1, column 15"),
        ("[]".to_string(), "an array where an object"),
        ("{}".to_string(), "no \"tokens\""),
        ("{ \"tokenz\": [] }".to_string(), "unknown field \"tokenz\""),
        ("{ \"tokens\": [], \"tokens\": [] }".to_string(), "same member twice"),
        (entry(&format!(r#""token": "{secret}", "scope": "read""#)), "token 1: no \"database\""),
        (entry(&format!(r#""token": "{secret}", "database": "x""#)), "token 1: no \"scope\""),
        (entry(r#""database": "x", "scope": "read""#), "token 1: no \"token\""),
        (entry(r#""token": "short", "database": "x", "scope": "read""#), "the token has 5 bytes"),
        (
            entry(&format!(r#""token": "{secret}", "database": "x", "scope": "admin""#)),
            "\"scope\" is \"admin\"",
        ),
        (
            entry(&format!(r#""token": "{secret}", "database": "../x", "scope": "read""#)),
            "neither \"*\" nor a database name",
        ),
        (
            entry(&format!(r#""token": "{secret} x", "database": "x", "scope": "read""#)),
            "visible ASCII",
        ),
        (
            entry(&format!(r#""token": "{secret}", "database": "x", "scope": "read", "note": 1"#)),
            "unknown field \"note\"",
        ),
        (
            entry(&format!(r#""token": "{secret}", "database": "x", "scope": true"#)),
            "\"scope\" is a boolean",
        ),
    ];
    for (text, expected) in cases {
        let error = AuthConfig::parse(&text).expect_err(&text);
        assert!(error.message.contains(expected), "{text}: {error}");
        assert!(error.message.starts_with("the auth file: "), "{error}");
        assert!(!error.message.contains(secret), "{error}");
    }
    let many = (0..=AUTH_TOKENS_MAX)
        .map(|i| {
            format!(r#"{{ "token": "token-number-{i:08}", "database": "*", "scope": "read" }}"#)
        })
        .collect::<Vec<_>>()
        .join(",");
    let error = AuthConfig::parse(&format!("{{ \"tokens\": [{many}] }}")).unwrap_err();
    assert!(error.message.contains("over the limit"), "{error}");
    let long = "x".repeat(2 << 20);
    assert!(AuthConfig::parse(&long).unwrap_err().message.contains("over the limit"));
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    assert!(AuthConfig::parse(&deep).unwrap_err().message.contains("nest too deeply"));
    // Escapes, numbers and literals are JSON too.
    let token = "a".repeat(TOKEN_BYTES_MIN);
    let text = format!(
        r#"{{"tokens":[{{"token":"\u0061{}","database":"d\u002dx","scope":"read"}}]}}"#,
        &token[1..]
    );
    let config = AuthConfig::parse(&text).expect("escapes");
    assert!(authorize(&config, Some(&format!("Bearer {token}")), "d-x", false).is_ok());
    assert!(AuthConfig::parse(r#"{"tokens":[1.5e3, null]}"#)
        .unwrap_err()
        .message
        .contains("token 1: a number"));
}

/// The server over a directory of file stores, as the CLI runs it.
#[cfg(not(target_arch = "wasm32"))]
mod files {
    use std::path::{Path, PathBuf};

    use super::*;
    use cambium::db::{RemoteServer, Served, ServerRequest, STORES_OPEN_MAX};

    /// A directory of its own under the temporary directory, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let path = std::env::temp_dir()
                .join(format!("cambium-sync-serve-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).expect("create the test directory");
            TempDir(path)
        }

        fn path(&self) -> &str {
            self.0.to_str().expect("a UTF-8 path")
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn send(server: &mut RemoteServer, method: &str, path: &str, body: &[u8]) -> Served {
        server.handle(&ServerRequest {
            method,
            path,
            if_none_match: None,
            authorization: None,
            body,
        })
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("list")
            .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn databases_live_in_subdirectories_created_by_their_first_push() {
        let dir = TempDir::new("create");
        let root = dir.0.join("remote");
        let mut server = RemoteServer::open(root.to_str().unwrap(), None).expect("open");
        let sent = chunks(10, 7);

        let unknown = send(&mut server, "GET", "/notes/manifest", &[]);
        refused(&unknown.response, 404, "no_such_database");
        assert_eq!(unknown.database.as_deref(), Some("notes"));
        let has = send(&mut server, "POST", "/notes/has", &encode_hashes(&hashes(&sent)));
        assert_eq!(decode_presence(&has.response.body, 10).unwrap(), vec![false; 10]);
        refused(&send(&mut server, "GET", "/notes/events", &[]).response, 404, "no_such_database");
        refused(&send(&mut server, "POST", "/notes/get", &[]).response, 404, "no_such_database");
        let missing = Manifest { root: Some(sent[0].hash()), epoch: 0 };
        let swap = encode_swap(&Manifest::EMPTY, &missing);
        refused(
            &send(&mut server, "POST", "/notes/manifest", &swap).response,
            422,
            "missing_chunks",
        );
        assert_eq!(entries(&root), Vec::<String>::new(), "nothing was created");

        assert_eq!(
            count(&send(&mut server, "POST", "/notes/put", &encode_chunks(&sent)).response),
            10
        );
        assert_eq!(entries(&root), vec!["notes"]);
        let swapped = send(&mut server, "POST", "/notes/manifest?x=1", &swap);
        assert_eq!(swapped.response.swapped, Some(missing));
        assert_eq!(swapped.database.as_deref(), Some("notes"));

        // Another server on the same directory (a restart) finds everything.
        drop(server);
        let mut server = RemoteServer::open(root.to_str().unwrap(), None).expect("reopen");
        let read = send(&mut server, "GET", "/notes/manifest", &[]);
        assert_eq!(Manifest::decode(&read.response.body).unwrap(), missing);
        let got = send(&mut server, "POST", "/notes/get", &encode_hashes(&hashes(&sent)));
        assert_eq!(hashes(&decode_chunks(&got.response.body).unwrap()), hashes(&sent));
        // The directory is a file store `Storage::Files` opens as it is.
        let store = cambium::platform::files::FileStore::open(
            cambium::platform::files::NativeFiles::open(root.join("notes")).unwrap(),
        )
        .unwrap();
        assert_eq!(store.manifest().unwrap(), missing);
        assert_eq!(store.get(sent[9].hash()).unwrap(), sent[9]);
        // An absent database's swap from the empty manifest to a new epoch creates it.
        let epoch = encode_swap(&Manifest::EMPTY, &Manifest { root: None, epoch: 1 });
        assert_eq!(send(&mut server, "POST", "/epoch/manifest", &epoch).response.status, 200);
        assert_eq!(entries(&root), vec!["epoch", "notes"]);
    }

    #[test]
    fn names_that_could_leave_the_directory_are_refused() {
        let dir = TempDir::new("names");
        let root = dir.0.join("remote");
        let mut server = RemoteServer::open(root.to_str().unwrap(), None).expect("open");
        let body = encode_chunks(&chunks(1, 8));
        let long = "a".repeat(65);
        for path in [
            "/../put",
            "/./put",
            "/a/b/put",
            "//put",
            "/%2e%2e/put",
            "/-x/put",
            "/a b/put",
            "/a\\b/put",
            "/é/put",
            &format!("/{long}/put"),
        ] {
            let served = send(&mut server, "POST", path, &body);
            refused(&served.response, 400, "bad_database_name");
            assert_eq!(served.database, None);
        }
        refused(&send(&mut server, "POST", "put", &body).response, 400, "bad_request");
        refused(&send(&mut server, "POST", "/", &body).response, 404, "no_such_endpoint");
        refused(&send(&mut server, "POST", "/notes", &body).response, 404, "no_such_endpoint");
        refused(&send(&mut server, "POST", "/notes/", &body).response, 404, "no_such_endpoint");
        refused(&send(&mut server, "GET", "/notes/has", &body).response, 405, "method_not_allowed");
        assert_eq!(entries(&root), Vec::<String>::new());
        assert_eq!(entries(&dir.0), vec!["remote"]);
        let name = "a".repeat(64);
        assert_eq!(send(&mut server, "POST", &format!("/{name}/put"), &body).response.status, 200);
        assert_eq!(entries(&root), vec![name]);
    }

    #[test]
    fn reads_need_a_read_token_and_writes_a_write_token() {
        let dir = TempDir::new("auth");
        let mut server = RemoteServer::open(dir.path(), Some(&auth_file())).expect("open");
        let sent = chunks(3, 9);
        let body = encode_chunks(&sent);
        let mut as_token = |token: Option<&str>, method: &str, path: &str, body: &[u8]| {
            let header = token.map(|token| format!("Bearer {token}"));
            let request = ServerRequest {
                method,
                path,
                if_none_match: None,
                authorization: header.as_deref(),
                body,
            };
            server.handle(&request).response
        };
        refused(&as_token(None, "POST", "/notes/put", &body), 401, "unauthorized");
        refused(
            &as_token(Some("nobody-knows-this-token"), "GET", "/notes/manifest", &[]),
            401,
            "unauthorized",
        );
        refused(&as_token(Some(READER), "POST", "/notes/put", &body), 403, "forbidden");
        assert_eq!(count(&as_token(Some(WRITER), "POST", "/notes/put", &body)), 3);
        let swap =
            encode_swap(&Manifest::EMPTY, &Manifest { root: Some(sent[0].hash()), epoch: 0 });
        refused(&as_token(Some(READER), "POST", "/notes/manifest", &swap), 403, "forbidden");
        assert_eq!(as_token(Some(WRITER), "POST", "/notes/manifest", &swap).status, 200);
        assert_eq!(as_token(Some(READER), "GET", "/notes/manifest", &[]).status, 200);
        assert_eq!(
            as_token(Some(READER), "POST", "/notes/has", &encode_hashes(&hashes(&sent))).status,
            200
        );
        refused(&as_token(Some(READER), "GET", "/other/manifest", &[]), 403, "forbidden");
        // Without a token, even whether a database exists is not told.
        refused(&as_token(None, "GET", "/missing/manifest", &[]), 401, "unauthorized");
        refused(&as_token(Some(WRITER), "GET", "/other/manifest", &[]), 404, "no_such_database");
        assert_eq!(count(&as_token(Some(EVERYWHERE), "POST", "/third/put", &body)), 3);

        let error =
            RemoteServer::open(dir.path(), Some("{ \"tokens\": 3 }")).err().expect("refused");
        assert_eq!(error.code(), "bad_auth_file");
    }

    #[test]
    fn more_databases_than_stay_open_are_all_served() {
        let dir = TempDir::new("many");
        let mut server = RemoteServer::open(dir.path(), None).expect("open");
        let databases = STORES_OPEN_MAX + 6;
        for i in 0..databases {
            let sent = chunks(2, i as u8);
            let path = format!("/db{i}/");
            assert_eq!(
                count(
                    &send(&mut server, "POST", &format!("{path}put"), &encode_chunks(&sent))
                        .response
                ),
                2
            );
            let new = Manifest { root: Some(sent[1].hash()), epoch: 0 };
            let swap = encode_swap(&Manifest::EMPTY, &new);
            assert_eq!(
                send(&mut server, "POST", &format!("{path}manifest"), &swap).response.status,
                200
            );
        }
        // Backwards, so the first ones were closed and are opened again.
        for i in (0..databases).rev() {
            let sent = chunks(2, i as u8);
            let read = send(&mut server, "GET", &format!("/db{i}/manifest"), &[]);
            let manifest = Manifest::decode(&read.response.body).unwrap();
            assert_eq!(manifest.root, Some(sent[1].hash()));
            let got =
                send(&mut server, "POST", &format!("/db{i}/get"), &encode_hashes(&hashes(&sent)));
            assert_eq!(decode_chunks(&got.response.body).unwrap(), sent);
        }
    }
}
