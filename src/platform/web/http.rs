//! `HttpRemote`: the client of the remote protocol (`docs/remote-protocol.md`) over the global
//! `fetch`, which pages, workers and Node (18 and later) all have. It is a [`Store`] like any
//! other: reads are `has` and `get` requests in batches, `put` buffers, and a flush uploads the
//! buffer in order and then swaps the manifest by compare-and-swap. Every chunk it downloads is
//! verified against its hash before it is handed on.

use std::collections::{HashMap, HashSet, VecDeque};

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::chunk::{Chunk, Error, GcStats, Hash, Manifest};
use crate::db::{Durability, Store};
use crate::sync::{
    decode_chunks, decode_presence, decode_refs, encode_chunks, encode_hashes, encode_pack_request,
    encode_swap, EventReader, PackRequest, CHUNKS_BODY_BYTES_MAX, FRAME_HEADER_BYTES,
    GET_HASHES_MAX, HAS_HASHES_MAX,
};
use crate::sync::{manifest_from_hex, manifest_hex};

/// Hashes asked for in one `get` request: a quarter of the protocol's limit, so that a read of
/// [`GET_HASHES_MAX`] chunks goes as four requests under way together.
pub const GET_REQUEST_HASHES: usize = GET_HASHES_MAX / 4;

/// Silence on an `events` stream after which it counts as broken: three of the server's
/// heartbeats (one every 15 s) missed. A link that died without closing is found this way.
pub const EVENTS_SILENCE_MS_MAX: u32 = 45_000;

/// A remote database at a URL (`http://host:port/<db>`).
pub struct HttpRemote {
    base: String,
    /// Sent as `Authorization: Bearer` with every request; never written into messages.
    token: Option<String>,
    buffer: Vec<Chunk>,
    buffered: HashSet<Hash>,
}

/// An answer: status and body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

/// What an error body says: its code, message and (for conflicts) the current manifest.
struct Refusal {
    code: String,
    message: String,
    manifest: Option<Manifest>,
}

fn js_text(value: &JsValue) -> String {
    value
        .as_string()
        .or_else(|| Reflect::get(value, &"message".into()).ok().and_then(|m| m.as_string()))
        .unwrap_or_else(|| format!("{value:?}"))
}

impl HttpRemote {
    pub fn new(url: &str, token: Option<String>) -> HttpRemote {
        HttpRemote {
            base: url.trim_end_matches('/').to_string(),
            token,
            buffer: Vec::new(),
            buffered: HashSet::new(),
        }
    }

    /// One request to `endpoint` of the database.
    async fn call(
        &self,
        method: &str,
        endpoint: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, Error> {
        self.request(method, endpoint, body, None).await
    }

    /// One request, with an `If-None-Match` of the manifest `unless` when given.
    async fn request(
        &self,
        method: &str,
        endpoint: &str,
        body: Option<Vec<u8>>,
        unless: Option<&Manifest>,
    ) -> Result<Answer, Error> {
        let sent = self.send(method, endpoint, body, unless, None)?;
        self.answer(sent).await
    }

    fn unreachable(&self, what: String) -> Error {
        Error::Io(format!("the remote at {} is unreachable: {what}", self.base))
    }

    /// Starts a request: `fetch` sends it at once, so several may be under way together.
    /// `signal`, an `AbortSignal`, ends it when aborted.
    fn send(
        &self,
        method: &str,
        endpoint: &str,
        body: Option<Vec<u8>>,
        unless: Option<&Manifest>,
        signal: Option<&JsValue>,
    ) -> Result<JsFuture, Error> {
        let unreachable = |what: String| self.unreachable(what);
        let global = js_sys::global();
        let fetch: Function = Reflect::get(&global, &"fetch".into())
            .ok()
            .and_then(|f| f.dyn_into().ok())
            .ok_or_else(|| unreachable("this JavaScript environment has no fetch".into()))?;
        let init = Object::new();
        let set = |key: &str, value: &JsValue| Reflect::set(&init, &key.into(), value).map(|_| ());
        let headers = Object::new();
        if let Some(token) = &self.token {
            let value = format!("Bearer {token}");
            let _ = Reflect::set(&headers, &"authorization".into(), &value.into());
        }
        if let Some(manifest) = unless {
            let etag = format!("\"{}\"", manifest_hex(manifest));
            let _ = Reflect::set(&headers, &"if-none-match".into(), &etag.into());
        }
        if let Some(body) = body {
            let bytes = Uint8Array::from(body.as_slice());
            let _ =
                Reflect::set(&headers, &"content-type".into(), &"application/octet-stream".into());
            set("body", &bytes).map_err(|e| unreachable(js_text(&e)))?;
        }
        set("method", &method.into()).map_err(|e| unreachable(js_text(&e)))?;
        set("headers", &headers).map_err(|e| unreachable(js_text(&e)))?;
        if let Some(signal) = signal {
            set("signal", signal).map_err(|e| unreachable(js_text(&e)))?;
        }
        let url = format!("{}/{endpoint}", self.base);
        let promise: Promise = fetch
            .call2(&global, &url.into(), &init)
            .map_err(|e| unreachable(js_text(&e)))?
            .unchecked_into();
        Ok(JsFuture::from(promise))
    }

    /// Waits for the answer to a request [`HttpRemote::send`] started.
    async fn answer(&self, sent: JsFuture) -> Result<Answer, Error> {
        let (status, response) = self.response(sent).await?;
        self.whole(status, &response).await
    }

    /// Waits for the status and headers of a request's answer: the `Response`, its body unread.
    async fn response(&self, sent: JsFuture) -> Result<(u16, JsValue), Error> {
        let unreachable = |what: String| self.unreachable(what);
        let response = sent.await.map_err(|e| unreachable(js_text(&e)))?;
        let status = Reflect::get(&response, &"status".into())
            .ok()
            .and_then(|s| s.as_f64())
            .ok_or_else(|| unreachable("an answer without a status".into()))?
            as u16;
        Ok((status, response))
    }

    /// Reads the whole body of a `Response`.
    async fn whole(&self, status: u16, response: &JsValue) -> Result<Answer, Error> {
        let unreachable = |what: String| self.unreachable(what);
        let read: Function = Reflect::get(response, &"arrayBuffer".into())
            .ok()
            .and_then(|f| f.dyn_into().ok())
            .ok_or_else(|| unreachable("an answer without a body".into()))?;
        let promise: Promise =
            read.call0(response).map_err(|e| unreachable(js_text(&e)))?.unchecked_into();
        let buffer = JsFuture::from(promise).await.map_err(|e| unreachable(js_text(&e)))?;
        Ok(Answer { status, body: Uint8Array::new(&buffer).to_vec() })
    }

    /// Reads an error body.
    fn refusal(answer: &Answer) -> Refusal {
        let text = String::from_utf8_lossy(&answer.body);
        let parsed = js_sys::JSON::parse(&text).unwrap_or(JsValue::UNDEFINED);
        let field =
            |name: &str| Reflect::get(&parsed, &name.into()).ok().and_then(|v| v.as_string());
        let manifest = field("manifest").and_then(|hex| manifest_from_hex(&hex));
        Refusal {
            code: field("code").unwrap_or_else(|| "bad_answer".into()),
            message: field("message").unwrap_or_else(|| text.chars().take(200).collect()),
            manifest,
        }
    }

    /// The error for an answer that is not a success.
    fn failed(&self, answer: &Answer) -> Error {
        let refusal = HttpRemote::refusal(answer);
        match (refusal.code.as_str(), refusal.manifest) {
            ("manifest_conflict", Some(current)) => Error::Conflict { current },
            ("fenced", Some(current)) => Error::Fenced { current },
            _ => Error::Io(format!(
                "the remote at {} refused: {} ({} {})",
                self.base, refusal.message, answer.status, refusal.code
            )),
        }
    }

    /// Whether an answer says the database does not exist on the server yet.
    fn no_database(answer: &Answer) -> bool {
        answer.status == 404 && HttpRemote::refusal(answer).code == "no_such_database"
    }

    async fn upload(&mut self) -> Result<(), Error> {
        let mut start = 0;
        while start < self.buffer.len() {
            let mut end = start;
            let mut bytes = 0;
            while end < self.buffer.len() {
                let framed = FRAME_HEADER_BYTES + self.buffer[end].len();
                if end > start && bytes + framed > CHUNKS_BODY_BYTES_MAX {
                    break;
                }
                bytes += framed;
                end += 1;
            }
            let body = encode_chunks(&self.buffer[start..end]);
            let answer = self.call("POST", "put", Some(body)).await?;
            if answer.status != 200 {
                return Err(self.failed(&answer));
            }
            start = end;
        }
        self.buffer.clear();
        self.buffered.clear();
        Ok(())
    }
}

impl HttpRemote {
    /// The manifest and ref map in one request; `None` when the manifest is still `seen`.
    pub async fn refs_if_changed(
        &self,
        seen: Option<&Manifest>,
    ) -> Result<Option<(Manifest, Option<Chunk>)>, Error> {
        let answer = self.request("GET", "refs", None, seen).await?;
        if answer.status == 304 {
            return Ok(None);
        }
        if HttpRemote::no_database(&answer) {
            return Ok(Some((Manifest::EMPTY, None)));
        }
        if answer.status != 200 {
            return Err(self.failed(&answer));
        }
        decode_refs(&answer.body).map(Some).map_err(|error| {
            Error::Io(format!("the remote at {} answered: {}", self.base, error.message))
        })
    }

    /// The pack of what `request` wants; `None` when the server will not make one this large
    /// (the caller then moves the chunks level by level).
    pub async fn pack(&self, request: &PackRequest) -> Result<Option<Vec<Chunk>>, Error> {
        let answer = self.call("POST", "pack", Some(encode_pack_request(request))).await?;
        if answer.status == 413 {
            return Ok(None);
        }
        if answer.status != 200 {
            return Err(self.failed(&answer));
        }
        decode_chunks(&answer.body).map(Some).map_err(|error| {
            Error::Io(format!("the remote at {} answered: {}", self.base, error.message))
        })
    }
}

/// A read of chunks whose requests are under way: [`HttpRemote::start_get`] sends them,
/// [`HttpRemote::finish_get`] takes in the answers.
pub struct PendingGet {
    hashes: Vec<Hash>,
    /// Chunks still in the upload buffer, which need no request.
    found: HashMap<Hash, Chunk>,
    requests: Vec<(Vec<Hash>, JsFuture)>,
}

impl HttpRemote {
    /// Sends the requests that read `hashes` (in batches of [`GET_REQUEST_HASHES`]), all at
    /// once, so the server prepares later batches while this side takes in earlier ones.
    pub fn start_get(&self, hashes: Vec<Hash>) -> Result<PendingGet, Error> {
        let mut found: HashMap<Hash, Chunk> = HashMap::new();
        for chunk in &self.buffer {
            found.insert(chunk.hash(), chunk.clone());
        }
        let wanted: Vec<Hash> = hashes.iter().copied().filter(|h| !found.contains_key(h)).collect();
        let requests = wanted
            .chunks(GET_REQUEST_HASHES)
            .map(|batch| {
                let sent = self.send("POST", "get", Some(encode_hashes(batch)), None, None)?;
                Ok((batch.to_vec(), sent))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(PendingGet { hashes, found, requests })
    }

    /// The chunks a [`PendingGet`] asked for, in the order asked, each verified against its
    /// hash; `None` for those the server does not have.
    pub async fn finish_get(&self, pending: PendingGet) -> Result<Vec<Option<Chunk>>, Error> {
        let PendingGet { hashes, mut found, requests } = pending;
        for (batch, sent) in requests {
            let answer = self.answer(sent).await?;
            if HttpRemote::no_database(&answer) {
                break;
            }
            if answer.status != 200 {
                return Err(self.failed(&answer));
            }
            let asked: HashSet<Hash> = batch.into_iter().collect();
            let chunks = decode_chunks(&answer.body).map_err(|error| {
                Error::Io(format!("the remote at {} answered: {}", self.base, error.message))
            })?;
            for chunk in chunks {
                if !asked.contains(&chunk.hash()) {
                    return Err(Error::Io(format!(
                        "the remote at {} sent chunk {} that was not asked for",
                        self.base,
                        chunk.hash()
                    )));
                }
                found.insert(chunk.hash(), chunk);
            }
        }
        Ok(hashes.iter().map(|hash| found.get(hash).cloned()).collect())
    }
}

/// An open `events` stream of a remote database (see [`HttpRemote::events`]). Dropping it
/// cancels the stream, which lets its connection go.
pub struct EventStream {
    base: String,
    /// The body's `ReadableStreamDefaultReader`.
    reader: JsValue,
    events: EventReader,
    /// Manifests heard and not handed out yet.
    heard: VecDeque<Manifest>,
}

impl HttpRemote {
    /// Opens the database's `events` stream (`signal`, an `AbortSignal`, ends it when
    /// aborted); answers once the server accepted it.
    pub async fn events(&self, signal: &JsValue) -> Result<EventStream, Error> {
        let sent = self.send("GET", "events", None, None, Some(signal))?;
        let (status, response) = self.response(sent).await?;
        if status != 200 {
            return Err(self.failed(&self.whole(status, &response).await?));
        }
        let body = Reflect::get(&response, &"body".into()).ok().filter(JsValue::is_object);
        let reader = body
            .and_then(|body| {
                let get_reader: Function =
                    Reflect::get(&body, &"getReader".into()).ok()?.dyn_into().ok()?;
                get_reader.call0(&body).ok()
            })
            .ok_or_else(|| self.unreachable("an events answer without a body to read".into()))?;
        let base = self.base.clone();
        Ok(EventStream { base, reader, events: EventReader::new(), heard: VecDeque::new() })
    }
}

impl EventStream {
    /// The next manifest the stream announces: first the one current when it opened, then one
    /// per swap. An error once the stream ended, broke, or stayed silent for longer than
    /// [`EVENTS_SILENCE_MS_MAX`].
    pub async fn next(&mut self) -> Result<Manifest, Error> {
        loop {
            if let Some(manifest) = self.heard.pop_front() {
                return Ok(manifest);
            }
            let bytes = self.read().await?;
            let heard = self.events.push(&bytes).map_err(|why| self.broken(&why))?;
            self.heard.extend(heard);
        }
    }

    /// The next bytes of the body.
    async fn read(&self) -> Result<Vec<u8>, Error> {
        let read: Function = Reflect::get(&self.reader, &"read".into())
            .ok()
            .and_then(|f| f.dyn_into().ok())
            .ok_or_else(|| self.broken("its body cannot be read"))?;
        let promise: Promise =
            read.call0(&self.reader).map_err(|e| self.broken(&js_text(&e)))?.unchecked_into();
        let Some(chunk) = super::within(promise, EVENTS_SILENCE_MS_MAX)
            .await
            .map_err(|e| self.broken(&js_text(&e)))?
        else {
            return Err(self.broken(&format!("silent for {EVENTS_SILENCE_MS_MAX} ms")));
        };
        let done = Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool());
        if done != Some(false) {
            return Err(self.broken("the server ended it"));
        }
        let value = Reflect::get(&chunk, &"value".into()).unwrap_or_default();
        Ok(Uint8Array::new(&value).to_vec())
    }

    fn broken(&self, why: &str) -> Error {
        Error::Io(format!("the events stream of the remote at {} broke: {why}", self.base))
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        let cancel = Reflect::get(&self.reader, &"cancel".into()).ok();
        if let Some(cancel) = cancel.and_then(|f| f.dyn_into::<Function>().ok()) {
            // `cancel` answers a promise; a rejected one is left unheard, and must not surface
            // as an unhandled rejection.
            if let Ok(promise) = cancel.call0(&self.reader) {
                let settled = JsFuture::from(Promise::resolve(&promise));
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = settled.await;
                });
            }
        }
    }
}

impl Store for HttpRemote {
    async fn get_many(&self, hashes: &[Hash]) -> Result<Vec<Option<Chunk>>, Error> {
        let pending = self.start_get(hashes.to_vec())?;
        self.finish_get(pending).await
    }

    async fn has_many(&self, hashes: &[Hash]) -> Result<Vec<bool>, Error> {
        let mut present = Vec::with_capacity(hashes.len());
        for batch in hashes.chunks(HAS_HASHES_MAX) {
            let answer = self.call("POST", "has", Some(encode_hashes(batch))).await?;
            if answer.status != 200 {
                return Err(self.failed(&answer));
            }
            let bits = decode_presence(&answer.body, batch.len()).map_err(|error| {
                Error::Io(format!("the remote at {} answered: {}", self.base, error.message))
            })?;
            present.extend(
                bits.into_iter().zip(batch).map(|(bit, h)| bit || self.buffered.contains(h)),
            );
        }
        Ok(present)
    }

    fn put(&mut self, chunk: Chunk) -> Result<(), Error> {
        if self.buffered.insert(chunk.hash()) {
            self.buffer.push(chunk);
        }
        Ok(())
    }

    async fn manifest(&self) -> Result<Manifest, Error> {
        let answer = self.call("GET", "manifest", None).await?;
        if HttpRemote::no_database(&answer) {
            return Ok(Manifest::EMPTY);
        }
        if answer.status != 200 {
            return Err(self.failed(&answer));
        }
        Manifest::decode(&answer.body)
    }

    async fn flush(
        &mut self,
        expected: &Manifest,
        new: &Manifest,
        _durability: Durability,
    ) -> Result<(), Error> {
        self.upload().await?;
        if new == expected {
            return Ok(());
        }
        let answer = self.call("POST", "manifest", Some(encode_swap(expected, new))).await?;
        if answer.status != 200 {
            return Err(self.failed(&answer));
        }
        Ok(())
    }

    async fn collect_garbage(
        &mut self,
        _expected: &Manifest,
        _keep: &HashSet<Hash>,
    ) -> Result<GcStats, Error> {
        Err(Error::Io("a remote server collects its own garbage".to_string()))
    }
}
