//! The remote server over a directory: `/<db>/<endpoint>` routed to the file store of `<db>` in a
//! subdirectory of its own (the layout a `file://` remote and `Storage::Files` use too), the
//! token checked when the server has an auth file, and the request answered by
//! [`crate::sync::serve`]. The HTTP itself (bodies, limits in flight, events) is the caller's;
//! this is the part that touches files.
//!
//! A database comes into being with its first `put` or swap; nothing else creates a directory,
//! so requests for names the server does not have cost nothing on disk. At most
//! [`STORES_OPEN_MAX`] stores stay open, the least recently used closed first.

use super::backend::PlatformFiles;
use super::{validate_name, Error};
use crate::chunk::Error as StoreError;
use crate::platform::files::{FileStore, Files};
use crate::sync::{
    authorize, serve, serve_absent, store_failed, AuthConfig, AuthFileError, Operation,
    ProtocolError, Request, Response,
};

/// Database stores kept open between requests, at most.
pub const STORES_OPEN_MAX: usize = 64;

/// One HTTP request as the server needs it: method, path (after any mount prefix; a query is
/// ignored), the `If-None-Match` and `Authorization` headers, and the body.
#[derive(Clone, Copy, Debug)]
pub struct ServerRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub if_none_match: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

/// The answer, and the database the path named when it names a valid one (for the caller's
/// `events` subscribers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Served {
    pub response: Response,
    pub database: Option<String>,
}

/// A remote serving every database under one directory.
pub struct RemoteServer {
    dir: String,
    /// The directory itself, to ask whether a database's subdirectory exists.
    root: PlatformFiles,
    auth: Option<AuthConfig>,
    /// Open stores by database name, the least recently used first.
    open: Vec<(String, FileStore<PlatformFiles>)>,
}

impl RemoteServer {
    /// Serves the databases under `dir` (created when absent). With `auth_file` (the auth file's
    /// text, `docs/remote-protocol.md`) every request needs a token it lists; a file that does
    /// not parse is refused as `bad_auth_file`.
    pub fn open(dir: &str, auth_file: Option<&str>) -> Result<RemoteServer, Error> {
        let auth = auth_file
            .map(AuthConfig::parse)
            .transpose()
            .map_err(|error| Error::new(AuthFileError::CODE, error.message))?;
        let root = PlatformFiles::open(dir)?;
        Ok(RemoteServer {
            dir: dir.trim_end_matches('/').to_string(),
            root,
            auth,
            open: Vec::new(),
        })
    }

    /// Answers one request. Every failure is an answer (its status and JSON error), never an
    /// `Err`.
    pub fn handle(&mut self, request: &ServerRequest) -> Served {
        let (database, endpoint) = match route(request.path) {
            Ok(route) => route,
            Err(error) => return Served { response: Response::refused(&error), database: None },
        };
        let response = self
            .answer(database, endpoint, request)
            .unwrap_or_else(|error| Response::refused(&error));
        Served { response, database: Some(database.to_string()) }
    }

    fn answer(
        &mut self,
        database: &str,
        endpoint: &str,
        request: &ServerRequest,
    ) -> Result<Response, ProtocolError> {
        let operation = Operation::of(request.method, endpoint)?;
        if let Some(auth) = &self.auth {
            authorize(auth, request.authorization, database, operation.writes())?;
        }
        let request = Request {
            method: request.method,
            endpoint,
            body: request.body,
            if_none_match: request.if_none_match,
        };
        let mut store = match self.store(database, false).map_err(|e| store_failed(&e))? {
            Some(store) => store,
            None => match serve_absent(&request) {
                Some(response) => return Ok(response),
                None => self
                    .store(database, true)
                    .map_err(|e| store_failed(&e))?
                    .expect("created when absent"),
            },
        };
        Ok(serve(&mut store, &request))
    }

    /// A handle of its own (an empty write buffer, so a failed flush leaves nothing buffered for
    /// the next request) on the store of `database`, opened when it is not open yet and its
    /// directory created when `create`; `None` when it has no directory and `create` is false.
    fn store(
        &mut self,
        database: &str,
        create: bool,
    ) -> Result<Option<FileStore<PlatformFiles>>, StoreError> {
        if let Some(at) = self.open.iter().position(|(name, _)| name == database) {
            let entry = self.open.remove(at);
            self.open.push(entry);
        } else {
            // `len` of a plain name in the server's directory: whether the database's
            // subdirectory exists, without creating it.
            if !create && self.root.len(database)?.is_none() {
                return Ok(None);
            }
            let path = format!("{}/{database}", self.dir);
            let store = FileStore::open_relay(PlatformFiles::open(path.as_str())?)?;
            if self.open.len() >= STORES_OPEN_MAX {
                self.open.remove(0);
            }
            self.open.push((database.to_string(), store));
        }
        Ok(self.open.last().map(|(_, store)| store.handle()))
    }
}

/// Splits a path into its database name and endpoint: `/<db>/<endpoint>`, a query after `?`
/// ignored. A name outside the database name rule is `400 bad_database_name`, so no path can
/// reach outside the server's directory.
fn route(path: &str) -> Result<(&str, &str), ProtocolError> {
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    let Some(rest) = path.strip_prefix('/') else {
        return Err(ProtocolError {
            status: 400,
            code: "bad_request",
            message: "a request's path starts with '/'".into(),
        });
    };
    let Some((database, endpoint)) = rest.rsplit_once('/') else {
        return Err(ProtocolError {
            status: 404,
            code: "no_such_endpoint",
            message: "a path is /<database>/<endpoint>".into(),
        });
    };
    validate_name(database).map_err(|error| ProtocolError {
        status: 400,
        code: "bad_database_name",
        message: error.message().to_string(),
    })?;
    Ok((database, endpoint))
}
