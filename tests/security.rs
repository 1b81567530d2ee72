//! Hostile requests against the remote server's core, `db::RemoteServer` over a directory of
//! file stores (docs/security.md): database names built to leave the directory or to look like
//! another name, refusals that must leave every file as it was, and tokens that must never come
//! back in an answer or a printed value. The HTTP side (origins, slow clients, Node's parser)
//! is pkg-tests/node/security.test.mjs.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::path::Path;

use cambium::chunk::{Chunk, Manifest, CHUNK_BYTES_MAX};
use cambium::db::{RemoteServer, ServerRequest};
use cambium::sync::{authorize, encode_chunks, encode_swap, AuthConfig, Response};
use support::databases::TempDir;

const READER: &str = "SECRET-reader-5e1f0a9c3b7d";
const WRITER: &str = "SECRET-writer-2c8e4a6f0b1d";
const STRANGER: &str = "SECRET-stranger-9d3b7f1e5a";

fn auth_file() -> String {
    format!(
        r#"{{ "tokens": [
            {{ "token": "{READER}", "database": "notes", "scope": "read" }},
            {{ "token": "{WRITER}", "database": "notes", "scope": "write" }}
        ] }}"#
    )
}

fn send(
    server: &mut RemoteServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &[u8],
) -> Response {
    let header = token.map(|token| format!("Bearer {token}"));
    let request =
        ServerRequest { method, path, if_none_match: None, authorization: header.as_deref(), body };
    server.handle(&request).response
}

/// The `code` of a refusal's JSON body.
fn code(response: &Response) -> String {
    let text = String::from_utf8_lossy(&response.body);
    let rest =
        text.strip_prefix("{\"code\":\"").unwrap_or_else(|| panic!("not a JSON error: {text}"));
    rest[..rest.find('"').expect("a closed string")].to_string()
}

/// Every file and directory under `dir` with its size, sorted: any write shows.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).expect("list") {
            let entry = entry.expect("entry");
            let meta = entry.metadata().expect("metadata");
            let relative = entry.path().strip_prefix(dir).expect("inside").display().to_string();
            out.push(format!("{relative} {}", meta.len()));
            if meta.is_dir() {
                pending.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

/// A ref map chunk with no refs: a root a swap accepts, and a sound chunk for a put.
fn root_chunk(salt: &str) -> Chunk {
    let mut scratch = cambium::chunk::MemoryStore::new();
    let refs = cambium::history::RefMap { head: format!("main-{salt}"), refs: Default::default() };
    let hash = refs.write(&mut scratch).expect("write the ref map");
    cambium::chunk::ChunkStore::get(&scratch, hash).expect("written")
}

#[test]
fn names_built_to_leave_the_directory_or_pass_for_another_are_refused() {
    let dir = TempDir::new("security", "names");
    let root = dir.path().join("remote");
    std::fs::write(dir.path().join("secret"), "not for clients").expect("write");
    let mut server = RemoteServer::open(root.to_str().unwrap(), None).expect("open");
    let body = encode_chunks(&[root_chunk("names")]);
    assert_eq!(send(&mut server, "POST", "/notes/put", None, &body).status, 200);
    let before = tree(dir.path());
    let absolute = format!("/{}/put", dir.path().join("secret").display());
    let long = format!("/{}/put", "a".repeat(10_000));
    let cases = [
        "/../secret/put",
        "/..%2fsecret/put",
        "/%2e%2e%2fsecret/put",
        "/.%2e/put",
        "/./put",
        "/~/put",
        "/notes%00/put",
        "/notes\0/put",
        "/notes\n/put",
        "/notes\u{200f}/put",
        "/n\u{f3}tes/put",
        "/\u{ff0e}\u{ff0e}/put",
        "/\u{ff4e}otes/put",
        "/notes\u{0301}/put",
        "/..\\secret/put",
        "/C:\\secret/put",
        "/notes:stream/put",
        absolute.as_str(),
        long.as_str(),
    ];
    for path in cases {
        for (method, endpoint) in [("POST", "put"), ("GET", "manifest"), ("POST", "get")] {
            let path = path.replace("/put", &format!("/{endpoint}"));
            let response = send(&mut server, method, &path, None, &body);
            assert_eq!(
                (response.status, code(&response)),
                (400, "bad_database_name".into()),
                "{path:?}"
            );
        }
    }
    // With an auth file the name is judged first, so a bad name tells nothing about tokens.
    let mut guarded = RemoteServer::open(root.to_str().unwrap(), Some(&auth_file())).expect("open");
    let response = send(&mut guarded, "POST", "/../secret/put", None, &body);
    assert_eq!((response.status, code(&response)), (400, "bad_database_name".into()));
    assert_eq!(tree(dir.path()), before, "nothing was created or changed");
    assert_eq!(std::fs::read_to_string(dir.path().join("secret")).unwrap(), "not for clients");
}

/// A request and the refusal it must get: method, path, token, body, status and error code.
type Case<'a> = (&'a str, &'a str, Option<&'a str>, &'a [u8], u16, &'a str);

#[test]
fn refused_writes_leave_every_file_as_it_was() {
    let dir = TempDir::new("security", "refused");
    let mut server =
        RemoteServer::open(dir.path().to_str().unwrap(), Some(&auth_file())).expect("open");
    let first = root_chunk("first");
    assert_eq!(
        send(
            &mut server,
            "POST",
            "/notes/put",
            Some(WRITER),
            &encode_chunks(std::slice::from_ref(&first))
        )
        .status,
        200
    );
    let published = Manifest { root: Some(first.hash()), epoch: 0 };
    let swap = encode_swap(&Manifest::EMPTY, &published);
    assert_eq!(send(&mut server, "POST", "/notes/manifest", Some(WRITER), &swap).status, 200);
    let before = tree(dir.path());

    let second = root_chunk("second");
    let sound = encode_chunks(std::slice::from_ref(&second));
    let mut corrupt = sound.clone();
    *corrupt.last_mut().unwrap() ^= 1;
    let mut oversized = sound.clone();
    oversized.extend_from_slice(&[7; 20]);
    oversized.extend_from_slice(&(CHUNK_BYTES_MAX as u32 + 1).to_le_bytes());
    oversized.resize(oversized.len() + CHUNK_BYTES_MAX + 1, 0);
    let onward = encode_swap(&published, &Manifest { root: Some(second.hash()), epoch: 0 });
    let cases: [Case; 9] = [
        ("POST", "/notes/put", None, &sound, 401, "unauthorized"),
        ("POST", "/notes/put", Some(STRANGER), &sound, 401, "unauthorized"),
        ("POST", "/notes/put", Some(READER), &sound, 403, "forbidden"),
        ("POST", "/other/put", Some(WRITER), &sound, 403, "forbidden"),
        ("POST", "/notes/manifest", Some(READER), &onward, 403, "forbidden"),
        ("POST", "/notes/put", Some(WRITER), &corrupt, 422, "chunk_corrupt"),
        ("POST", "/notes/put", Some(WRITER), &oversized, 413, "too_large"),
        ("POST", "/notes/manifest", Some(WRITER), &onward, 422, "missing_chunks"),
        ("POST", "/notes/manifest", Some(WRITER), &swap, 409, "manifest_conflict"),
    ];
    for (method, path, token, body, status, expected) in cases {
        let response = send(&mut server, method, path, token, body);
        assert_eq!(
            (response.status, code(&response)),
            (status, expected.into()),
            "{path} as {token:?}"
        );
        assert_eq!(response.swapped, None);
    }
    assert_eq!(tree(dir.path()), before, "nothing was created or changed");
}

#[test]
fn no_answer_or_printed_value_quotes_a_token() {
    let dir = TempDir::new("security", "quiet");
    let config = AuthConfig::parse(&auth_file()).expect("a good file");
    let printed = format!("{config:?}");
    assert!(!printed.contains(READER) && !printed.contains(WRITER), "{printed}");

    let long = format!("{STRANGER}{}", "x".repeat(600));
    let headers = [
        format!("Bearer {STRANGER}"),
        format!("Basic {STRANGER}"),
        STRANGER.to_string(),
        format!("Bearer {long}"),
        format!("Bearer  {STRANGER} extra"),
        format!("Bearer {READER}"),
        format!("Bearer {WRITER}"),
    ];
    for header in &headers {
        for (database, write) in [("notes", true), ("other", false)] {
            if let Err(error) = authorize(&config, Some(header), database, write) {
                for token in [READER, WRITER, STRANGER] {
                    assert!(!format!("{error:?} {}", error.message).contains(token), "{error:?}");
                }
            }
        }
    }

    let mut server =
        RemoteServer::open(dir.path().to_str().unwrap(), Some(&auth_file())).expect("open");
    let body = encode_chunks(&[root_chunk("quiet")]);
    for token in [READER, WRITER, STRANGER, long.as_str()] {
        for (method, path) in
            [("POST", "/notes/put"), ("GET", "/other/manifest"), ("POST", "/notes/has")]
        {
            let answer = send(&mut server, method, path, Some(token), &body);
            let text = String::from_utf8_lossy(&answer.body);
            for secret in [READER, WRITER, STRANGER] {
                assert!(!text.contains(secret), "{method} {path}: {text}");
            }
        }
    }
}
