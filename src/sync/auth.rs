//! Who may use a remote: the server's auth file (`docs/remote-protocol.md`, "Authentication")
//! and the check of a request's bearer token against it.
//!
//! The file is JSON, `{ "tokens": [ { "token": "…", "database": "name" or "*", "scope": "read"
//! or "write" } ] }`. Only a digest of each token is kept, and every check compares the digest of
//! the presented token with every entry in constant time, so neither the time an answer takes
//! nor anything printed (errors, `Debug`) tells a token or how much of one was right.

use super::json::{self, Json};
use super::ProtocolError;
use crate::chunk::Hash;

/// Bytes of an auth file, at most.
pub const AUTH_FILE_BYTES_MAX: usize = 1 << 20;
/// Entries in an auth file, at most.
pub const AUTH_TOKENS_MAX: usize = 1_024;
/// Bytes of a token, at least: a short token can be guessed.
pub const TOKEN_BYTES_MIN: usize = 16;
/// Bytes of a token, at most.
pub const TOKEN_BYTES_MAX: usize = 512;
/// Bytes of a database name, at most (the database name rule).
const DATABASE_NAME_BYTES_MAX: usize = 64;

/// What a token may do: `Write` includes `Read`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Read,
    Write,
}

/// One entry of the file: a token's digest, the database it is for (`None` for every one) and
/// what it may do there.
#[derive(Clone, Debug)]
struct Grant {
    digest: Hash,
    database: Option<String>,
    scope: Scope,
}

/// The tokens a server accepts, as its auth file lists them.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    grants: Vec<Grant>,
}

/// An auth file the server refuses to start with, and why (never quoting a token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthFileError {
    pub message: String,
}

impl AuthFileError {
    /// The stable code of every auth file error.
    pub const CODE: &'static str = "bad_auth_file";
}

impl std::fmt::Display for AuthFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AuthFileError {}

fn bad(message: impl Into<String>) -> AuthFileError {
    AuthFileError { message: format!("the auth file: {}", message.into()) }
}

/// Whether a token's bytes are what an `Authorization` header can carry: visible ASCII, no space.
fn token_bytes_allowed(token: &str) -> bool {
    token.bytes().all(|b| b.is_ascii_graphic())
}

/// The database name rule (letters, digits, `_` and `-`, not starting with `-`, 1 to 64 bytes).
fn database_name_allowed(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= DATABASE_NAME_BYTES_MAX
        && !name.starts_with('-')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The digest under which a token is kept and compared.
fn digest(token: &str) -> Hash {
    Hash::of(token.as_bytes())
}

/// Whether two digests are equal, looking at every byte whatever the first difference.
fn same_digest(a: &Hash, b: &Hash) -> bool {
    let difference = a.as_bytes().iter().zip(b.as_bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

impl AuthConfig {
    /// Reads an auth file's text. An error names the entry and the field that are wrong.
    pub fn parse(text: &str) -> Result<AuthConfig, AuthFileError> {
        if text.len() > AUTH_FILE_BYTES_MAX {
            return Err(bad(format!(
                "{} bytes, over the limit of {AUTH_FILE_BYTES_MAX}",
                text.len()
            )));
        }
        let root = json::parse(text).map_err(|problem| bad(format!("not JSON: {problem}")))?;
        let Json::Object(members) = root else {
            return Err(bad(format!(
                "{} where an object {{ \"tokens\": [...] }} belongs",
                root.kind()
            )));
        };
        let mut entries = None;
        for (name, value) in members {
            match (name.as_str(), value) {
                ("tokens", Json::Array(items)) => entries = Some(items),
                ("tokens", other) => {
                    return Err(bad(format!("\"tokens\" is {}, not an array", other.kind())))
                }
                (other, _) => {
                    return Err(bad(format!(
                        "unknown field \"{}\" (the file holds only \"tokens\")",
                        other.escape_debug()
                    )))
                }
            }
        }
        let entries = entries.ok_or_else(|| bad("no \"tokens\" array"))?;
        if entries.len() > AUTH_TOKENS_MAX {
            return Err(bad(format!(
                "{} tokens, over the limit of {AUTH_TOKENS_MAX}",
                entries.len()
            )));
        }
        let grants = entries
            .into_iter()
            .enumerate()
            .map(|(i, entry)| {
                grant(entry).map_err(|problem| bad(format!("token {}: {problem}", i + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AuthConfig { grants })
    }
}

/// One entry of the `tokens` array.
fn grant(entry: Json) -> Result<Grant, String> {
    let Json::Object(members) = entry else {
        return Err(format!("{} where an object belongs", entry.kind()));
    };
    let (mut token, mut database, mut scope) = (None, None, None);
    for (name, value) in members {
        let slot = match name.as_str() {
            "token" => &mut token,
            "database" => &mut database,
            "scope" => &mut scope,
            other => {
                return Err(format!(
                    "unknown field \"{}\" (an entry has \"token\", \"database\" and \"scope\")",
                    other.escape_debug()
                ))
            }
        };
        let Json::String(text) = value else {
            return Err(format!("\"{name}\" is {}, not a string", value.kind()));
        };
        *slot = Some(text);
    }
    let token = token.ok_or("no \"token\"")?;
    if !(TOKEN_BYTES_MIN..=TOKEN_BYTES_MAX).contains(&token.len()) {
        return Err(format!(
            "the token has {} bytes; a token has {TOKEN_BYTES_MIN} to {TOKEN_BYTES_MAX}",
            token.len()
        ));
    }
    if !token_bytes_allowed(&token) {
        return Err("the token holds a character other than visible ASCII".into());
    }
    let database = match database.ok_or("no \"database\" (a name, or \"*\" for every one)")? {
        all if all == "*" => None,
        name if database_name_allowed(&name) => Some(name),
        name => {
            return Err(format!(
                "\"database\" is \"{}\", neither \"*\" nor a database name (letters, digits, '_' and '-', 1 to 64 bytes)",
                name.escape_debug()
            ))
        }
    };
    let scope = match scope.ok_or("no \"scope\" (\"read\" or \"write\")")?.as_str() {
        "read" => Scope::Read,
        "write" => Scope::Write,
        other => {
            return Err(format!(
                "\"scope\" is \"{}\", not \"read\" or \"write\"",
                other.escape_debug()
            ))
        }
    };
    Ok(Grant { digest: digest(&token), database, scope })
}

fn unauthorized(message: &str) -> ProtocolError {
    ProtocolError { status: 401, code: "unauthorized", message: message.into() }
}

/// Checks a request's `Authorization` header against `config`: `401 unauthorized` without a
/// known bearer token, `403 forbidden` when the token does not reach `database` or may only read
/// and `needs_write`.
pub fn authorize(
    config: &AuthConfig,
    header: Option<&str>,
    database: &str,
    needs_write: bool,
) -> Result<(), ProtocolError> {
    let header = header.ok_or_else(|| {
        unauthorized("this server needs a token: send the header `Authorization: Bearer <token>`")
    })?;
    let token = header
        .trim()
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim_start())
        .ok_or_else(|| unauthorized("the Authorization header is not `Bearer <token>`"))?;
    let presented = digest(token);
    // Every entry is compared, so how long this takes does not depend on which one matches.
    let (mut known, mut reaches, mut allowed) = (false, false, false);
    for grant in &config.grants {
        let matches = same_digest(&grant.digest, &presented);
        let here = grant.database.as_deref().is_none_or(|name| name == database);
        known |= matches;
        reaches |= matches && here;
        allowed |= matches && here && (grant.scope == Scope::Write || !needs_write);
    }
    if allowed {
        return Ok(());
    }
    if !known {
        return Err(unauthorized("the token is not one this server accepts"));
    }
    let message = if reaches {
        format!("the token may read but not write the database '{database}'")
    } else {
        format!("the token is not for the database '{database}'")
    };
    Err(ProtocolError { status: 403, code: "forbidden", message })
}
