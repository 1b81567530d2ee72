// `cambium remote-server` of the built package, over real HTTP: the CLI started on port 0 in a
// temporary directory, every endpoint of docs/remote-protocol.md and its error codes, the auth
// file, bodies over the limit, requests past the limit in flight, requests that stall, the
// events stream, CORS, a server killed with SIGKILL in the middle of a put and started again,
// and the handler mounted under a prefix in a plain http.createServer. The chunks sent are a real database's, read from
// the journal of a database the Node build wrote, so the remote's copy opens as a database.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { loadNode, ROOT, sleep, within } from '../support/paths.mjs';

const BIN = join(ROOT, 'pkg', 'bin', 'cambium.js');
const SERVER_MODULE = join(ROOT, 'pkg', 'bin', 'lib', 'server.js');
const scratch = mkdtempSync(join(tmpdir(), 'cambium-remote-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let dirs = 0;
function freshDir(name) {
  const dir = join(scratch, `${name}${++dirs}`);
  mkdirSync(dir);
  return dir;
}

// ---- The protocol's bytes, written by hand as a client in another language would.

/** The manifest of a store nothing was published to: magic, version, no root, epoch 0. */
const EMPTY = Buffer.concat([Buffer.from('CMBM'), Buffer.from([1]), Buffer.alloc(35)]);

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const frames = (chunks) =>
  Buffer.concat(
    chunks.flatMap(({ hash, data }) => {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(data.length);
      return [hash, length, data];
    }),
  );
const hashList = (hashes) => Buffer.concat(hashes);
const swapBody = (expected, next) => Buffer.concat([expected, next]);
/** `manifest` with its epoch set to `epoch`. */
function withEpoch(manifest, epoch) {
  const out = Buffer.from(manifest);
  out.writeBigUInt64LE(BigInt(epoch), 8);
  return out;
}
/** Reads the frames of a `get` answer back into `{ hash, data }`. */
function unframe(body) {
  const chunks = [];
  for (let at = 0; at < body.length; ) {
    const length = body.readUInt32LE(at + 20);
    chunks.push({ hash: body.subarray(at, at + 20), data: body.subarray(at + 24, at + 24 + length) });
    at += 24 + length;
  }
  return chunks;
}
/** The bits of a `has` answer for `count` hashes. */
const presence = (body, count) => Array.from({ length: count }, (_, i) => (body[i >> 3] >> (i & 7)) & 1);

/**
 * The published chunks and manifest of the file store in `dir`, read as docs/format.md lays
 * them out: the manifest file names the journal and how much of it is published; each record
 * is a 32-byte header (kind at 0, length at 4, hash at 8) and its body: a chunk's bytes (kind 1)
 * or a commit's manifest file (kind 2, skipped here).
 */
function readStore(dir) {
  const manifestFile = readFileSync(join(dir, 'manifest'));
  const generation = manifestFile.readBigUInt64LE(8).toString(16).padStart(16, '0');
  const covered = Number(manifestFile.readBigUInt64LE(16));
  const journal = readFileSync(join(dir, `journal-${generation}`));
  const chunks = [];
  for (let at = 16; at < covered; ) {
    const length = journal.readUInt32LE(at + 4);
    if (journal[at] === 1) {
      chunks.push({ hash: journal.subarray(at + 8, at + 28), data: journal.subarray(at + 32, at + 32 + length) });
    }
    at += 32 + length;
  }
  return { manifest: manifestFile.subarray(24, 64), chunks };
}

const { Database } = loadNode();

/** Rows of `SELECT id, note FROM notes` in the database `name` stored under `dir`. */
async function rows(dir, name) {
  const db = await Database.open(name, { storage: 'fs', dir });
  try {
    return (await db.query('SELECT id, note FROM notes ORDER BY id')).rows.map((r) => [r.id, r.note]);
  } finally {
    await db.close();
  }
}

/**
 * A database written by the Node build, as a remote's client would send it: after a first
 * commit (`first`: its chunks and manifest) and after a second one adding `bigRows` rows of
 * `bigBytes` each (`second`).
 */
async function sourceDatabase({ bigRows = 1, bigBytes = 1024 } = {}) {
  const dir = freshDir('source');
  let db = await Database.open('src', { storage: 'fs', dir });
  await db.exec('CREATE TABLE notes (id INT PRIMARY KEY, note LONGTEXT)');
  await db.exec("INSERT INTO notes VALUES (1, 'one'), (2, 'two')");
  await db.exec("CALL dolt_commit('-Am', 'first')");
  await db.close();
  const first = readStore(join(dir, 'src'));
  db = await Database.open('src', { storage: 'fs', dir });
  for (let i = 0; i < bigRows; i++) {
    // Text that does not repeat, so it is stored as many distinct chunks.
    const note = Array.from({ length: bigBytes / 16 }, (_, j) => `${i}:${j}`.padStart(16, '.')).join('');
    await db.query('INSERT INTO notes VALUES (?, ?)', [10 + i, note]);
  }
  await db.exec("CALL dolt_commit('-Am', 'second')");
  await db.close();
  const second = readStore(join(dir, 'src'));
  const firstHashes = new Set(first.chunks.map((c) => hex(c.hash)));
  const added = second.chunks.filter((c) => !firstHashes.has(hex(c.hash)));
  return { first, second, added };
}

// ---- HTTP.

/**
 * Sends one request with `path` byte for byte (no URL normalisation); resolves to
 * `{ status, headers, body, json }` as soon as the answer is read, even if the server closes the
 * connection before the request body was all sent.
 */
function send(url, method, path, { body, headers = {}, stream } = {}) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request({ hostname, port, path, method, headers }, (res) => {
      const parts = [];
      res.on('data', (part) => parts.push(part));
      res.on('end', () => {
        answered = true;
        const all = Buffer.concat(parts);
        const isJson = (res.headers['content-type'] || '').startsWith('application/json');
        const json = isJson ? JSON.parse(all) : undefined;
        resolve({ status: res.statusCode, headers: res.headers, body: all, json });
      });
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer to ${method} ${path}`)));
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (stream) stream(req);
    else req.end(body);
  });
}

/** Asserts `answer` is the protocol's JSON error with `status` and `code`. */
function refused(answer, status, code) {
  assert.equal(answer.status, status, answer.body.toString());
  assert.equal(answer.headers['content-type'], 'application/json');
  assert.equal(answer.json.code, code, answer.body.toString());
  assert.equal(typeof answer.json.message, 'string');
}

/** Servers still running; a test that fails before it stops its own leaves it here. */
const running = new Set();
after(() => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `cambium remote-server --port 0` on `dir`; resolves once it printed where it listens. */
function startServer(dir, args = []) {
  const child = spawn(process.execPath, [BIN, 'remote-server', '--dir', dir, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (part) => (stderr += part));
  const started = new Promise((resolve, reject) => {
    child.stdout.on('data', (part) => {
      stdout += part;
      const match = stdout.match(/^Serving databases under (.*) at (http:\/\/127\.0\.0\.1:(\d+)\/)\n/);
      if (match) resolve({ dir: match[1], url: match[2] });
    });
    exited.then(({ code }) => reject(new Error(`the server exited (${code}) before listening: ${stderr}`)));
  });
  return within(20_000, 'the remote server starting', started).then(({ dir: shown, url }) => ({
    child,
    url,
    shown,
    exited,
    output: () => stdout + stderr,
    /** SIGTERM, then the exit: a clean stop exits 0. */
    async stop() {
      child.kill('SIGTERM');
      return within(10_000, 'the remote server stopping', exited);
    },
  }));
}

describe('remote-server', () => {
  let source;
  before(async () => {
    source = await sourceDatabase();
  });

  test('answers every endpoint, and the pushed database opens from the remote directory', async () => {
    const dir = freshDir('remote');
    const server = await startServer(dir);
    const { url } = server;
    assert.equal(server.shown, dir);
    try {
      const { chunks, manifest } = source.first;
      const hashes = chunks.map((c) => c.hash);

      refused(await send(url, 'GET', '/notes/manifest'), 404, 'no_such_database');
      refused(await send(url, 'GET', '/notes/events'), 404, 'no_such_database');
      const before = await send(url, 'POST', '/notes/has', { body: hashList(hashes) });
      assert.equal(before.status, 200);
      assert.equal(before.body.length, Math.ceil(hashes.length / 8));
      assert.deepEqual(presence(before.body, hashes.length), hashes.map(() => 0));
      assert.deepEqual(readdirSync(dir), [], 'nothing is created before a push');

      // A corrupt chunk refuses the whole put; a swap to a root not stored is refused.
      const grown = { hash: chunks[1].hash, data: Buffer.concat([chunks[1].data, Buffer.from([0])]) };
      const damaged = chunks.map((c, i) => (i === 1 ? grown : c));
      refused(await send(url, 'POST', '/notes/put', { body: frames(damaged) }), 422, 'chunk_corrupt');
      const missing = await send(url, 'POST', '/notes/manifest', { body: swapBody(EMPTY, manifest) });
      refused(missing, 422, 'missing_chunks');
      assert.equal(missing.json.missing.length, 1);
      assert.deepEqual(readdirSync(dir), []);

      const put = await send(url, 'POST', '/notes/put', { body: frames(chunks) });
      assert.equal(put.status, 200);
      assert.equal(put.body.readUInt32LE(0), chunks.length);
      const now = await send(url, 'POST', '/notes/has', { body: hashList([...hashes, Buffer.alloc(20, 7)]) });
      assert.deepEqual(presence(now.body, hashes.length + 1), [...hashes.map(() => 1), 0]);

      const asked = [hashes[2], Buffer.alloc(20, 9), hashes[0]];
      const got = await send(url, 'POST', '/notes/get', { body: hashList(asked) });
      assert.equal(got.status, 200);
      assert.deepEqual(
        unframe(got.body).map((c) => [hex(c.hash), hex(c.data)]),
        [chunks[2], chunks[0]].map((c) => [hex(c.hash), hex(c.data)]),
      );

      const swapped = await send(url, 'POST', '/notes/manifest', { body: swapBody(EMPTY, manifest) });
      assert.equal(swapped.status, 200);
      assert.deepEqual(swapped.body, manifest);
      const read = await send(url, 'GET', '/notes/manifest');
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, manifest);
      assert.equal(read.headers.etag, `"${hex(manifest)}"`);
      const unchanged = await send(url, 'GET', '/notes/manifest', { headers: { 'If-None-Match': read.headers.etag } });
      assert.equal(unchanged.status, 304);
      assert.equal(unchanged.body.length, 0);

      const conflict = await send(url, 'POST', '/notes/manifest', { body: swapBody(EMPTY, manifest) });
      refused(conflict, 409, 'manifest_conflict');
      assert.equal(conflict.json.manifest, hex(manifest));
      const taken = withEpoch(manifest, 1);
      assert.equal((await send(url, 'POST', '/notes/manifest', { body: swapBody(manifest, taken) })).status, 200);
      refused(await send(url, 'POST', '/notes/manifest', { body: swapBody(manifest, manifest) }), 409, 'fenced');
      refused(await send(url, 'POST', '/notes/manifest', { body: swapBody(taken, manifest) }), 400, 'bad_manifest');

      // Bodies cut short, paths outside the protocol, names that could leave the directory.
      refused(await send(url, 'POST', '/notes/has', { body: Buffer.alloc(21) }), 400, 'bad_request');
      const framed = frames(chunks);
      const cut = framed.subarray(0, framed.length - 1);
      refused(await send(url, 'POST', '/notes/put', { body: cut }), 400, 'bad_request');
      refused(await send(url, 'POST', '/notes/manifest', { body: Buffer.alloc(79) }), 400, 'bad_request');
      refused(await send(url, 'GET', '/notes/chunks'), 404, 'no_such_endpoint');
      refused(await send(url, 'GET', '/notes/put'), 405, 'method_not_allowed');
      refused(await send(url, 'DELETE', '/notes/manifest'), 405, 'method_not_allowed');
      refused(await send(url, 'OPTIONS', '/notes/manifest'), 405, 'method_not_allowed');
      for (const path of ['/../put', '/a/b/put', '//put', '/%2e%2e/put', '/-a/put', `/${'a'.repeat(65)}/put`]) {
        refused(await send(url, 'POST', path, { body: frames(chunks) }), 400, 'bad_database_name');
      }
      assert.deepEqual(readdirSync(dir), ['notes']);
      assert.deepEqual(readdirSync(scratch).filter((n) => n === 'notes'), []);

      // The remote's directory is a database directory: the pushed commit reads back.
      assert.deepEqual(await rows(dir, 'notes'), [
        [1, 'one'],
        [2, 'two'],
      ]);
    } finally {
      assert.deepEqual(await server.stop(), { code: 0, signal: null });
    }
  });

  test('with an auth file, reads need a read token and writes a write token', async () => {
    const dir = freshDir('remote');
    const reader = 'reader-token-1234567890';
    const writer = 'writer-token-1234567890';
    const authFile = join(scratch, `auth${++dirs}.json`);
    writeFileSync(
      authFile,
      JSON.stringify({
        tokens: [
          { token: reader, database: 'notes', scope: 'read' },
          { token: writer, database: '*', scope: 'write' },
        ],
      }),
    );
    const server = await startServer(dir, ['--auth', authFile]);
    const { url } = server;
    const as = (token) => ({ Authorization: `Bearer ${token}` });
    try {
      const body = frames(source.first.chunks);
      const anonymous = await send(url, 'POST', '/notes/put', { body });
      refused(anonymous, 401, 'unauthorized');
      assert.equal(anonymous.headers['www-authenticate'], 'Bearer');
      const stranger = as('not-a-token-anyone-has');
      refused(await send(url, 'GET', '/notes/manifest', { headers: stranger }), 401, 'unauthorized');
      refused(await send(url, 'POST', '/notes/put', { body, headers: as(reader) }), 403, 'forbidden');
      assert.equal((await send(url, 'POST', '/notes/put', { body, headers: as(writer) })).status, 200);
      const swap = swapBody(EMPTY, source.first.manifest);
      refused(await send(url, 'POST', '/notes/manifest', { body: swap, headers: as(reader) }), 403, 'forbidden');
      assert.equal((await send(url, 'POST', '/notes/manifest', { body: swap, headers: as(writer) })).status, 200);
      const read = await send(url, 'GET', '/notes/manifest', { headers: as(reader) });
      assert.deepEqual(read.body, source.first.manifest);
      refused(await send(url, 'GET', '/other/manifest', { headers: as(reader) }), 403, 'forbidden');
    } finally {
      await server.stop();
    }
    assert.doesNotMatch(server.output(), /token-1234567890/);

    // A bad auth file stops the start with the reason, never quoting a token.
    writeFileSync(authFile, JSON.stringify({ tokens: [{ token: writer, database: 'notes', scope: 'admin' }] }));
    const bad = spawnSync(process.execPath, [BIN, 'remote-server', '--dir', dir, '--port', '0', '--auth', authFile], {
      encoding: 'utf8',
    });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /the auth file: token 1: "scope" is "admin".*\[bad_auth_file\]/);
    assert.doesNotMatch(bad.stderr, /token-1234567890/);
    const absentFile = join(scratch, 'absent.json');
    const absent = spawnSync(process.execPath, [BIN, 'remote-server', '--dir', dir, '--port', '0', '--auth', absentFile], {
      encoding: 'utf8',
    });
    assert.equal(absent.status, 1);
    assert.match(absent.stderr, /cannot read the auth file/);
    const noPort = spawnSync(process.execPath, [BIN, 'remote-server', '--dir', dir], { encoding: 'utf8' });
    assert.equal(noPort.status, 1);
    assert.match(noPort.stderr, /needs --port/);
  });

  test('bodies over the limit are refused with 413 without being read', async () => {
    const server = await startServer(freshDir('remote'));
    const { BODY_BYTES_MAX } = createRequire(import.meta.url)(SERVER_MODULE);
    try {
      // Declared too large: answered before the body is read.
      const declared = await send(server.url, 'POST', '/notes/put', {
        headers: { 'Content-Length': String(BODY_BYTES_MAX + 1) },
        stream: (req) => req.write(Buffer.alloc(1024)),
      });
      refused(declared, 413, 'too_large');
      // Sent without a length: refused once the cap is passed, not after the whole body.
      const block = Buffer.alloc(1 << 20);
      let sent = 0;
      const streamed = await send(server.url, 'POST', '/notes/put', {
        stream: (req) => {
          const more = () => {
            while (sent < 4 * BODY_BYTES_MAX) {
              sent += block.length;
              if (!req.write(block)) return req.once('drain', more);
            }
            req.end();
          };
          req.on('response', () => (sent = Infinity));
          more();
        },
      });
      refused(streamed, 413, 'too_large');
      // Over the protocol's limit but under the cap: the engine's own refusal.
      const over = Buffer.alloc(32 * 1024 * 1024 + 1);
      refused(await send(server.url, 'POST', '/notes/put', { body: over }), 413, 'too_large');
      assert.equal((await send(server.url, 'POST', '/notes/has', { body: Buffer.alloc(0) })).status, 200);
    } finally {
      await server.stop();
    }
  });

  test('requests past the limit in flight are turned away with 503 busy', async () => {
    const server = await startServer(freshDir('remote'));
    const { hostname, port } = new URL(server.url);
    const stalled = [];
    try {
      // Each announces a body it never sends, so it stays in flight.
      for (let i = 0; i < 256; i++) {
        const headers = { 'Content-Length': '20' };
        const req = request({ hostname, port, path: '/notes/has', method: 'POST', headers, agent: false });
        req.on('error', () => {});
        req.flushHeaders();
        stalled.push(req);
      }
      let busy;
      for (let attempt = 0; attempt < 50; attempt++) {
        busy = await send(server.url, 'POST', '/notes/has', { body: Buffer.alloc(0) });
        if (busy.status === 503) break;
        await sleep(100);
      }
      refused(busy, 503, 'busy');
      assert.equal(busy.headers['retry-after'], '1');
      for (const req of stalled) req.destroy();
      let after;
      for (let attempt = 0; attempt < 50; attempt++) {
        after = await send(server.url, 'POST', '/notes/has', { body: Buffer.alloc(0) });
        if (after.status === 200) break;
        await sleep(100);
      }
      assert.equal(after.status, 200);
    } finally {
      for (const req of stalled) req.destroy();
      await server.stop();
    }
  });

  test('a request whose headers or body stall for 30 s is dropped', async () => {
    const server = await startServer(freshDir('remote'));
    const { hostname, port } = new URL(server.url);
    /** Sends `text` and resolves to the milliseconds until the server closed the connection. */
    const stall = (text) =>
      new Promise((resolve) => {
        const started = Date.now();
        const socket = connect(Number(port), hostname, () => socket.write(text));
        socket.on('data', () => {});
        socket.on('error', () => {});
        socket.on('close', () => resolve(Date.now() - started));
      });
    try {
      const [headers, body] = await Promise.all([
        stall('POST /notes/put HTTP/1.1\r\nHost: remote\r\n'),
        stall('POST /notes/put HTTP/1.1\r\nHost: remote\r\nContent-Length: 100\r\n\r\n0123456789'),
      ]);
      for (const ms of [headers, body]) assert.ok(ms >= 29_000 && ms < 45_000, `closed after ${ms} ms`);
    } finally {
      await server.stop();
    }
  });

  test('an events stream hears every swap of its database', async () => {
    const server = await startServer(freshDir('remote'));
    const { url } = server;
    const { chunks, manifest } = source.first;
    await send(url, 'POST', '/notes/put', { body: frames(chunks) });
    await send(url, 'POST', '/notes/manifest', { body: swapBody(EMPTY, manifest) });

    const response = await fetch(`${url}notes/events`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const reader = response.body.getReader();
    let text = '';
    /** The next event's data, read from the stream. */
    async function nextEvent() {
      for (;;) {
        const end = text.indexOf('\n\n');
        if (end >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          if (block.startsWith(':')) continue;
          const lines = Object.fromEntries(block.split('\n').map((line) => line.split(': ')));
          assert.equal(lines.event, 'manifest');
          return lines.data;
        }
        const { value, done } = await within(10_000, 'an event', reader.read());
        if (done) return null;
        text += Buffer.from(value).toString();
      }
    }
    try {
      assert.equal(await nextEvent(), hex(manifest), 'the stream starts with the current manifest');
      // A swap of another database is not heard; this one's is.
      await send(url, 'POST', '/other/put', { body: frames(chunks) });
      await send(url, 'POST', '/other/manifest', { body: swapBody(EMPTY, manifest) });
      const next = withEpoch(manifest, 1);
      assert.equal((await send(url, 'POST', '/notes/manifest', { body: swapBody(manifest, next) })).status, 200);
      assert.equal(await nextEvent(), hex(next));
      // A refused swap sends nothing; the next one is heard.
      await send(url, 'POST', '/notes/manifest', { body: swapBody(manifest, next) });
      const third = withEpoch(manifest, 2);
      await send(url, 'POST', '/notes/manifest', { body: swapBody(next, third) });
      assert.equal(await nextEvent(), hex(third));

      // A stream that went away is forgotten: swaps after it still succeed.
      const second = await fetch(`${url}notes/events`);
      await second.body.cancel();
      const fourth = withEpoch(manifest, 3);
      assert.equal((await send(url, 'POST', '/notes/manifest', { body: swapBody(third, fourth) })).status, 200);
      assert.equal(await nextEvent(), hex(fourth));
    } finally {
      // Stopping ends the open stream; the server exits cleanly.
      assert.deepEqual(await server.stop(), { code: 0, signal: null });
    }
    assert.equal(await nextEvent(), null);
  });

  test('CORS: preflights and answers carry the headers for allowed origins only', async () => {
    const server = await startServer(freshDir('remote'), ['--cors', 'https://app.example']);
    const { url } = server;
    try {
      const preflight = await send(url, 'OPTIONS', '/notes/manifest', {
        headers: {
          Origin: 'https://app.example',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization',
        },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example');
      assert.match(preflight.headers['access-control-allow-methods'], /POST/);
      assert.match(preflight.headers['access-control-allow-headers'], /Authorization/);
      assert.match(preflight.headers['access-control-allow-headers'], /If-None-Match/);
      const stranger = await send(url, 'OPTIONS', '/notes/manifest', { headers: { Origin: 'https://evil.example' } });
      refused(stranger, 403, 'forbidden');
      assert.equal(stranger.headers['access-control-allow-origin'], undefined);

      const answer = await send(url, 'GET', '/notes/manifest', { headers: { Origin: 'https://app.example' } });
      refused(answer, 404, 'no_such_database');
      assert.equal(answer.headers['access-control-allow-origin'], 'https://app.example');
      assert.match(answer.headers['access-control-expose-headers'], /ETag/);
      assert.equal(answer.headers.vary, 'Origin');
      const other = await send(url, 'GET', '/notes/manifest', { headers: { Origin: 'https://evil.example' } });
      assert.equal(other.headers['access-control-allow-origin'], undefined);
    } finally {
      await server.stop();
    }
  });

  test('a server killed in the middle of a put starts again with what earlier swaps published', async () => {
    const big = await sourceDatabase({ bigRows: 24, bigBytes: 256 * 1024 });
    assert.ok(big.added.length > 20, `${big.added.length} chunks to add`);
    const dir = freshDir('remote');
    let server = await startServer(dir);
    await send(server.url, 'POST', '/notes/put', { body: frames(big.first.chunks) });
    const published = await send(server.url, 'POST', '/notes/manifest', { body: swapBody(EMPTY, big.first.manifest) });
    assert.equal(published.status, 200);

    // The second commit's chunks in one put; the server dies once the body is on its way, at
    // moments from while it still reads the body to while it verifies and writes the chunks
    // (such a put takes about 100 ms from its last byte to its answer).
    const body = frames(big.added);
    assert.ok(body.length > 4 << 20 && body.length < 32 << 20, `${body.length} bytes`);
    for (const delayMs of [0, 10, 30, 50, 70, 90]) {
      const killed = send(server.url, 'POST', '/notes/put', {
        stream: (req) => req.end(body, () => setTimeout(() => server.child.kill('SIGKILL'), delayMs)),
      }).catch((err) => err);
      assert.deepEqual(await server.exited, { code: null, signal: 'SIGKILL' });
      await killed;
      server = await startServer(dir);
      const read = await send(server.url, 'GET', '/notes/manifest');
      assert.deepEqual(read.body, big.first.manifest, `after a kill ${delayMs} ms after the upload`);
      assert.deepEqual(await rows(dir, 'notes'), [
        [1, 'one'],
        [2, 'two'],
      ]);
    }

    try {
      // The push completes: the put again (whatever arrived is kept), then the swap.
      const put = await send(server.url, 'POST', '/notes/put', { body });
      assert.equal(put.status, 200);
      const swap = await send(server.url, 'POST', '/notes/manifest', {
        body: swapBody(big.first.manifest, big.second.manifest),
      });
      assert.equal(swap.status, 200);
      const after = await rows(dir, 'notes');
      assert.equal(after.length, 2 + 24);
      assert.equal(after.at(-1)[1].length, 256 * 1024);
    } finally {
      await server.stop();
    }
  });

  test('the handler mounts under a prefix in a plain http.createServer', async () => {
    const { createHandler } = createRequire(import.meta.url)(SERVER_MODULE);
    const dir = freshDir('remote');
    const remote = createHandler({ dir, prefix: '/remote' });
    const app = createServer((req, res) =>
      remote(req, res, () => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(`app ${req.url}`);
      }),
    );
    await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${app.address().port}/`;
    try {
      assert.equal((await send(url, 'GET', '/elsewhere')).body.toString(), 'app /elsewhere');
      assert.equal((await send(url, 'GET', '/remotes/notes/manifest')).body.toString(), 'app /remotes/notes/manifest');
      refused(await send(url, 'GET', '/remote/notes/manifest'), 404, 'no_such_database');
      refused(await send(url, 'GET', '/remote'), 404, 'no_such_endpoint');
      const { chunks, manifest } = source.first;
      assert.equal((await send(url, 'POST', '/remote/notes/put', { body: frames(chunks) })).status, 200);
      const swap = await send(url, 'POST', '/remote/notes/manifest?from=test', { body: swapBody(EMPTY, manifest) });
      assert.equal(swap.status, 200);
      assert.deepEqual((await send(url, 'GET', '/remote/notes/manifest')).body, manifest);
      assert.deepEqual(await rows(dir, 'notes'), [
        [1, 'one'],
        [2, 'two'],
      ]);
    } finally {
      remote.close();
      await new Promise((resolve) => app.close(resolve));
    }
  });
});
