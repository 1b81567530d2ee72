//! The `RemoteServer` class of the JS API: the remote server over a directory of databases
//! (Node only: the stores are files), answering one request at a time. `js/cli/lib/server.js`
//! does the HTTP around it: bodies, limits in flight, the `events` streams and CORS.

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use super::error::to_js;
use crate::db::{self, ServerRequest};
use crate::sync::manifest_hex;

/// The remote server over a directory.
#[wasm_bindgen(js_name = RemoteServer)]
pub struct JsRemoteServer {
    server: db::RemoteServer,
}

fn set(target: &Object, name: &str, value: JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(target, &name.into(), &value);
}

#[wasm_bindgen(js_class = RemoteServer)]
impl JsRemoteServer {
    /// Serves the databases under `dir` (created when absent); with `authText`, the text of an
    /// auth file, every request needs a token it lists. Throws `bad_auth_file` or `io`.
    #[wasm_bindgen(constructor)]
    pub fn new(dir: &str, auth_text: Option<String>) -> Result<JsRemoteServer, JsValue> {
        let server = db::RemoteServer::open(dir, auth_text.as_deref()).map_err(|e| to_js(&e))?;
        Ok(JsRemoteServer { server })
    }

    /// Answers one request: `{ status, contentType, etag, body, swapped, database }`, where
    /// `etag` is set on manifest reads, `swapped` is the hex of the manifest a successful swap
    /// published and `database` the name the path gave (both `undefined` otherwise). Every
    /// refusal is an answer with its status and JSON error; this never throws.
    pub fn handle(
        &mut self,
        method: &str,
        path: &str,
        if_none_match: Option<String>,
        authorization: Option<String>,
        body: &[u8],
    ) -> JsValue {
        let served = self.server.handle(&ServerRequest {
            method,
            path,
            if_none_match: if_none_match.as_deref(),
            authorization: authorization.as_deref(),
            body,
        });
        let response = served.response;
        let out = Object::new();
        set(&out, "status", response.status.into());
        set(&out, "contentType", response.content_type.into());
        set(&out, "etag", response.etag.map_or(JsValue::UNDEFINED, JsValue::from));
        set(&out, "body", Uint8Array::from(response.body.as_slice()).into());
        let swapped = response.swapped.map(|manifest| manifest_hex(&manifest));
        set(&out, "swapped", swapped.map_or(JsValue::UNDEFINED, JsValue::from));
        set(&out, "database", served.database.map_or(JsValue::UNDEFINED, JsValue::from));
        out.into()
    }
}
