// The remote server's HTTP for Node (docs/remote-protocol.md): the engine's RemoteServer answers
// each request, and this module does what needs a socket: reading bodies under a cap, dropping
// requests that stall, turning away requests past the limit in flight, the `events` streams
// and CORS. `cambium remote-server` runs it through `listen`; any Node HTTP server can mount
// `createHandler`, which takes Express-style `(req, res, next)`:
//
//   const { createHandler } = require('cambium/server');
//   const remote = createHandler({ dir: '/srv/cambium', prefix: '/remote' });
//   http.createServer((req, res) => remote(req, res, () => app(req, res))).listen(8080);
//
// serves the databases under /srv/cambium at /remote/<db>/<endpoint> and hands every other path
// to `app`. Nothing here logs a request or a header, so no token ever reaches a log.
'use strict';

const fs = require('node:fs');
const http = require('node:http');

const { engine } = require('./repo');

/** Bytes of a request body read at most: a `put` of the protocol's 32 MiB and room beyond it,
 *  so the engine refuses a body a little over its limit with its own message and this module
 *  refuses anything larger without reading it. */
const BODY_BYTES_MAX = 32 * 1024 * 1024 + 64 * 1024;
/** A request whose headers or body make no progress for this long is dropped. */
const IDLE_MS_MAX = 30_000;
/** Past its first `IDLE_MS_MAX`, a request body must keep arriving at this average rate: a
 *  client trickling a byte now and then never stalls long enough for the idle limit, and would
 *  otherwise hold its place in flight for ever. A 32 MiB put at this rate takes 34 minutes. */
const BODY_BYTES_PER_SECOND_MIN = 16 * 1024;
/** Requests being read or answered at once; more are turned away with 503 `busy`. */
const REQUESTS_IN_FLIGHT_MAX = 256;
/** Open `events` streams at once; more are turned away with 503 `busy`. */
const SUBSCRIBERS_MAX = 1024;
/** Between two comments on every `events` stream, so proxies and clients see it alive. */
const HEARTBEAT_MS = 15_000;
/** What a `busy` answer tells the client to wait before trying again. */
const RETRY_AFTER_SECONDS = 1;
/** How long a turned-away body is still read and discarded so the client can read the answer
 *  before the connection closes. */
const DISCARD_MS_MAX = 2_000;
/** How long browsers may keep a CORS preflight's answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** The JSON error body of the protocol. */
function errorBody(code, message) {
  return JSON.stringify({ code, message });
}

/** The text of the auth file at `file`, read once at start. */
function readAuth(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const error = new Error(`cannot read the auth file '${file}': ${err.message}`);
    error.code = 'bad_auth_file';
    throw error;
  }
}

/**
 * The allowed origins as a predicate: `cors` is a list of origins (`https://app.example`), and
 * `*` in it allows any. `null` without CORS.
 */
function corsPolicy(cors) {
  if (cors === undefined || cors === null) return null;
  const origins = Array.isArray(cors) ? cors : [cors];
  if (origins.some((origin) => typeof origin !== 'string')) {
    throw new TypeError('cors must be an origin or a list of origins');
  }
  const any = origins.includes('*');
  return (origin) => typeof origin === 'string' && (any || origins.includes(origin));
}

/** Whether `req` comes from a page of the server's own origin (the `Origin` header names the
 *  host the request was sent to), as when a program mounts the handler beside its pages. */
function sameOrigin(req) {
  try {
    return new URL(req.headers.origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * Cuts `req` off through `tooSlow()` once its body arrives slower than
 * `BODY_BYTES_PER_SECOND_MIN` on average, counted from `IDLE_MS_MAX` after it began; returns a
 * function that stops watching. One timer per request, set for the moment the bytes received so
 * far stop being enough.
 */
function watchRate(req, tooSlow) {
  const started = Date.now();
  let received = 0;
  let timer;
  const count = (part) => (received += part.length);
  const check = () => {
    const due = started + IDLE_MS_MAX + (received / BODY_BYTES_PER_SECOND_MIN) * 1000;
    if (Date.now() >= due) {
      stop();
      tooSlow();
      return;
    }
    timer = setTimeout(check, due - Date.now());
  };
  const stop = () => {
    clearTimeout(timer);
    req.off('data', count);
  };
  req.on('data', count);
  timer = setTimeout(check, IDLE_MS_MAX);
  return stop;
}

/**
 * Reads `req`'s body; resolves to a Buffer, or to `null` as soon as it passes `limit` bytes
 * (keeping nothing of it). Rejects when the client goes away first.
 */
function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const parts = [];
    let length = 0;
    let over = false;
    req.on('data', (part) => {
      if (over) return;
      length += part.length;
      if (length > limit) {
        over = true;
        parts.length = 0;
        resolve(null);
        return;
      }
      parts.push(part);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(parts, length));
    });
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete && !over) reject(new Error('the client went away'));
    });
  });
}

/**
 * A request handler `(req, res, next)` serving the databases under `dir`. Options: `auth`, the
 * path of an auth file (then every request needs a token it lists); `cors`, origins browsers may
 * call from (`*` for any); `prefix`, a path the protocol's paths sit under (`/remote`), with
 * other paths handed to `next` (or answered 404 without one). `handler.close()` ends the
 * `events` streams and releases the databases.
 */
function createHandler({ dir, auth, cors, prefix = '' } = {}) {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('createHandler needs { dir }');
  if (typeof prefix !== 'string' || (prefix !== '' && (!prefix.startsWith('/') || prefix.endsWith('/')))) {
    throw new TypeError("prefix must be a path like '/remote' (a leading '/', no trailing one)");
  }
  const allowed = corsPolicy(cors);
  const server = new (engine().RemoteServer)(dir, auth === undefined ? undefined : readAuth(auth));
  /** Database name → the responses of its open `events` streams. */
  const subscribers = new Map();
  let subscriberCount = 0;
  let inFlight = 0;
  let closed = false;
  const heartbeat = setInterval(() => {
    for (const streams of subscribers.values()) for (const res of streams) res.write(': heartbeat\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  /** The CORS headers of an answer to `req`: none unless its origin is allowed. */
  function corsHeaders(req) {
    const origin = req.headers.origin;
    if (!allowed || !allowed(origin)) return {};
    return {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Expose-Headers': 'ETag, Retry-After',
      Vary: 'Origin',
    };
  }

  /** Answers with the protocol's JSON error; `close` ends the connection after it. */
  function refuse(req, res, status, code, message, { close = false, headers = {} } = {}) {
    const body = errorBody(code, message);
    res.writeHead(status, {
      ...corsHeaders(req),
      ...headers,
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      ...(close ? { Connection: 'close' } : {}),
    });
    res.end(body);
    if (close) {
      // Reads and drops what the client still sends, for a moment, so it can read the answer.
      req.resume();
      setTimeout(() => req.socket.destroy(), DISCARD_MS_MAX).unref();
    }
  }

  function subscribe(req, res, database, first) {
    if (subscriberCount >= SUBSCRIBERS_MAX) {
      refuse(req, res, 503, 'busy', `${SUBSCRIBERS_MAX} event streams are open; try again later`, {
        headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      });
      return;
    }
    // A stream is quiet between swaps; its heartbeats show it alive instead.
    req.socket.setTimeout(0);
    res.writeHead(200, {
      ...corsHeaders(req),
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      'X-Accel-Buffering': 'no',
    });
    res.write(first);
    let streams = subscribers.get(database);
    if (!streams) subscribers.set(database, (streams = new Set()));
    streams.add(res);
    subscriberCount++;
    res.on('close', () => {
      streams.delete(res);
      subscriberCount--;
      if (streams.size === 0 && subscribers.get(database) === streams) subscribers.delete(database);
    });
  }

  function publish(database, hex) {
    const streams = subscribers.get(database);
    if (!streams) return;
    for (const res of streams) res.write(`event: manifest\ndata: ${hex}\n\n`);
  }

  function answer(req, res, path, body) {
    if (closed) {
      refuse(req, res, 503, 'busy', 'the server is shutting down', { close: true });
      return;
    }
    const headers = req.headers;
    let result;
    try {
      result = server.handle(req.method, path, headers['if-none-match'], headers.authorization, body);
    } catch (err) {
      refuse(req, res, 500, 'internal', `the server failed: ${err && err.message}`);
      return;
    }
    if (result.swapped !== undefined) publish(result.database, result.swapped);
    if (result.status === 200 && result.contentType === 'text/event-stream') {
      subscribe(req, res, result.database, result.body);
      return;
    }
    res.writeHead(result.status, {
      ...corsHeaders(req),
      'Content-Type': result.contentType,
      'Content-Length': result.body.length,
      'Cache-Control': 'no-store',
      ...(result.etag !== undefined ? { ETag: result.etag } : {}),
      ...(result.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}),
    });
    res.end(result.body);
  }

  async function handle(req, res, next) {
    const url = req.url || '/';
    let path = url;
    if (prefix !== '') {
      const rest = url.startsWith(prefix) ? url.slice(prefix.length) : null;
      if (rest === null || !(rest === '' || rest.startsWith('/') || rest.startsWith('?'))) {
        if (typeof next === 'function') return next();
        refuse(req, res, 404, 'no_such_endpoint', `the remote's paths start with ${prefix}/`);
        return;
      }
      path = rest.startsWith('/') ? rest : `/${rest}`;
    }
    if (closed) {
      refuse(req, res, 503, 'busy', 'the server is shutting down', { close: true });
      return;
    }
    // A browser names the page's origin on every cross-origin request, even those it sends
    // without a preflight (a form's POST, a no-cors fetch), whose answers the page cannot read
    // but whose writes would still be made; so another origin is refused before anything is
    // read, not only denied the answer.
    if (req.headers.origin !== undefined && !(allowed && allowed(req.headers.origin)) && !sameOrigin(req)) {
      refuse(req, res, 403, 'forbidden', 'this origin may not call the server; --cors allows an origin', {
        close: true,
      });
      return;
    }
    if (allowed && req.method === 'OPTIONS' && allowed(req.headers.origin)) {
      res.writeHead(204, {
        ...corsHeaders(req),
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-None-Match',
        'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_SECONDS),
      });
      res.end();
      return;
    }
    if (inFlight >= REQUESTS_IN_FLIGHT_MAX) {
      refuse(req, res, 503, 'busy', `${REQUESTS_IN_FLIGHT_MAX} requests are in flight; try again later`, {
        close: true,
        headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      });
      return;
    }
    inFlight++;
    let counted = true;
    const done = () => {
      if (counted) inFlight--;
      counted = false;
    };
    res.on('close', done);
    res.on('finish', done);
    req.setTimeout(IDLE_MS_MAX, () => req.destroy());
    const tooLarge = () =>
      refuse(req, res, 413, 'too_large', `a request body is at most ${BODY_BYTES_MAX} bytes`, { close: true });
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > BODY_BYTES_MAX) {
      tooLarge();
      return;
    }
    const unwatch = watchRate(req, () =>
      refuse(req, res, 408, 'too_slow', `a request body must arrive at ${BODY_BYTES_PER_SECOND_MIN} bytes a second or more`, {
        close: true,
      }),
    );
    let body;
    try {
      body = await readBody(req, BODY_BYTES_MAX);
    } catch {
      // The client went away or the connection broke; there is no one to answer.
      return;
    } finally {
      unwatch();
    }
    // Cut off for its pace while the rest of its body still came in.
    if (res.headersSent) return;
    if (body === null) {
      tooLarge();
      return;
    }
    // An `events` stream is not a request in flight once it is open.
    done();
    answer(req, res, path, body);
  }

  handle.close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const streams of subscribers.values()) for (const res of streams) res.end();
    subscribers.clear();
    server.free();
  };
  return handle;
}

/** What Node's HTTP parser refuses before a request reaches the handler, as the protocol's
 *  status and code: headers over Node's 16 KiB (a path too long for any database name among
 *  them), headers that did not arrive in time, and anything malformed (a NUL or a byte outside
 *  ASCII in the path, a broken request line). */
function clientErrorAnswer(err) {
  if (err.code === 'HPE_HEADER_OVERFLOW') return [431, 'too_large', 'the request line and headers pass 16 KiB'];
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'too_slow', `the headers did not arrive within ${IDLE_MS_MAX} ms`];
  return [400, 'bad_request', 'the request is not well-formed HTTP (a path holds only visible ASCII)'];
}

/** Answers a request Node's parser refused with the protocol's JSON error instead of Node's bare
 *  status line, so every refusal carries a stable code; a connection already gone is dropped. */
function answerClientError(err, socket) {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const [status, code, message] = clientErrorAnswer(err);
  const body = errorBody(code, message);
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Serves the databases under `dir` on `host:port` (port 0 picks a free one); resolves to
 * `{ url, port, close }`, `close()` resolving once the server has stopped. Options as
 * `createHandler`'s.
 */
async function listen({ dir, port, host = '127.0.0.1', auth, cors }) {
  const handler = createHandler({ dir, auth, cors });
  // Stalled requests are dropped by the idle limit, not by a limit on a request's whole time,
  // which a large upload on a slow link could pass while making progress.
  const server = http.createServer({ requestTimeout: 0, headersTimeout: IDLE_MS_MAX }, handler);
  server.timeout = IDLE_MS_MAX;
  server.on('clientError', answerClientError);
  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    handler.close();
    throw err;
  }
  const address = server.address();
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/`,
    port: address.port,
    close() {
      return new Promise((resolve) => {
        handler.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

module.exports = { createHandler, listen, BODY_BYTES_MAX };
