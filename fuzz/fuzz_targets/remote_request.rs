//! Requests from anyone who can reach a remote server: arbitrary method, path, `If-None-Match`
//! and `Authorization` headers and body. The server must answer every request, never panic:
//! success, `304`, or a `4xx` with a JSON error body, never a `5xx` over a sound store; and a
//! request it refuses must change nothing. The request goes, by the input's first byte, to
//! [`serve`] over a fresh copy of the fixture database (so `refs`, `pack` and `get` meet real
//! chunks), to a `RemoteServer` over a scratch directory with an auth file (routing, names, tokens
//! and the file store), or is the auth file itself, parsed and asked about the token.
//!
//! After the first byte come the method, the path, `If-None-Match` and `Authorization`, each
//! ended by a newline (an empty header is an absent one), then the body.

#![no_main]

use cambium::chunk::ChunkStore;
use cambium::db::{RemoteServer, ServerRequest};
use cambium::sync::{authorize, serve, AuthConfig, Request, Response, CONTENT_JSON};
use libfuzzer_sys::fuzz_target;

/// The auth file of the directory server: a reader of every database and a writer of one. The
/// seed corpus carries both tokens, so inputs get past the check as well as fail it.
const AUTH_FILE: &str = r#"{"tokens": [
  {"token": "reader-token-0123456789", "database": "*", "scope": "read"},
  {"token": "writer-token-0123456789", "database": "shop", "scope": "write"}
]}"#;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else { return };
    let mut fields = rest.splitn(5, |&b| b == b'\n');
    let mut text = || String::from_utf8_lossy(fields.next().unwrap_or_default()).into_owned();
    let (method, path, if_none_match, authorization) = (text(), text(), text(), text());
    let body = fields.next().unwrap_or_default();
    let header = |value: &str| (!value.is_empty()).then_some(value).map(str::to_owned);
    let (if_none_match, authorization) = (header(&if_none_match), header(&authorization));
    match choice % 4 {
        0 | 1 => {
            let request = Request {
                method: &method,
                endpoint: path.rsplit('/').next().unwrap_or_default(),
                body,
                if_none_match: if_none_match.as_deref(),
            };
            served(&request);
        }
        2 => {
            let request = ServerRequest {
                method: &method,
                path: &path,
                if_none_match: if_none_match.as_deref(),
                authorization: authorization.as_deref(),
                body,
            };
            directory(&request);
        }
        _ => {
            let Ok(text) = std::str::from_utf8(body) else { return };
            if let Ok(config) = AuthConfig::parse(text) {
                if let Err(refused) = authorize(&config, authorization.as_deref(), &path, true) {
                    assert!(matches!(refused.status, 401 | 403), "{refused:?}");
                }
            }
        }
    }
});

/// Checks what every answer must be: no server error, and a refusal is a JSON error.
fn check(response: &Response) {
    assert!(
        matches!(response.status, 200..=299 | 304 | 400..=499),
        "status {}: {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    if response.status >= 400 {
        assert_eq!(response.content_type, CONTENT_JSON);
        assert!(response.body.starts_with(b"{\"code\":"), "{:?}", response.body);
    }
}

fn served(request: &Request) {
    let store = cambium_fuzz::database();
    let before = (store.manifest().expect("manifest"), store.published_size());
    let response = serve(&mut store.handle(), request);
    check(&response);
    if response.status >= 400 {
        let after = (store.manifest().expect("manifest"), store.published_size());
        assert_eq!(before, after, "a refused request changed the store");
    }
}

fn directory(request: &ServerRequest) {
    let dir = std::env::temp_dir().join(format!("cambium-fuzz-remote-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut server = RemoteServer::open(&dir.to_string_lossy(), Some(AUTH_FILE)).expect("open");
    check(&server.handle(request).response);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
