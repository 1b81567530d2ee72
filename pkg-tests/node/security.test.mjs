// The remote server's defences against hostile clients (docs/security.md), over real sockets to
// `cambium remote-server`: database names that try to walk out of --dir, tokens scoped to one
// database and to reading, bodies, chunks and batches over their limits, clients that trickle or
// stall, browser origins with and without --cors, and tokens kept out of everything the server
// prints and answers. Every refusal must be a 4xx with the protocol's JSON error and change
// nothing on disk.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { sleep, within } from '../support/paths.mjs';
import { scratchSpace, startServer } from './support.mjs';

const space = scratchSpace('cambium-security-');

/** The manifest of a database nothing was published to. */
const EMPTY = Buffer.concat([Buffer.from('CMBM'), Buffer.from([1]), Buffer.alloc(35)]);

/**
 * Sends `head` (the request line and headers, byte for byte, without the blank line; a
 * `Content-Length` of the body's unless it has one) and `body` on a socket of its own and resolves to `{ status, headers, json }` once the server closes it.
 */
function raw(port, head, body = Buffer.alloc(0)) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      const length = /\r\ncontent-length:/i.test(head) ? '' : `\r\nContent-Length: ${body.length}`;
      socket.write(Buffer.concat([Buffer.from(`${head}${length}\r\nConnection: close\r\n\r\n`, 'latin1'), body]));
    });
    const parts = [];
    socket.on('data', (part) => parts.push(part));
    socket.on('error', reject);
    socket.on('close', () => resolve(parseAnswer(Buffer.concat(parts))));
  });
}

/** An HTTP/1.1 answer's status, lower-cased headers and JSON body (when it has one). */
function parseAnswer(bytes) {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  assert.ok(end > 0, `no complete answer: ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  const body = bytes.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  const json = (headers['content-type'] || '').startsWith('application/json') ? JSON.parse(body) : undefined;
  return { status: Number(statusLine.split(' ')[1]), headers, body, json };
}

/** A request through `fetch`, whose answer is read whole: `{ status, headers, body, json }`. */
async function call(url, path, { method = 'GET', body, headers = {} } = {}) {
  const answer = await fetch(new URL(path, url), { method, body, headers });
  const bytes = Buffer.from(await answer.arrayBuffer());
  const json = (answer.headers.get('content-type') || '').startsWith('application/json') ? JSON.parse(bytes) : undefined;
  return { status: answer.status, headers: answer.headers, body: bytes, json };
}

/** Asserts `answer` is the protocol's JSON error with `status` and `code`. */
function refused(answer, status, code, what = '') {
  assert.equal(answer.status, status, `${what}: ${answer.body}`);
  assert.equal(answer.json?.code, code, `${what}: ${answer.body}`);
  assert.equal(typeof answer.json.message, 'string');
}

/** Every file and directory under `dir` with its size, as sorted `path size` lines: any write
 *  shows. */
const tree = (dir) =>
  readdirSync(dir, { recursive: true })
    .map((path) => `${path} ${statSync(join(dir, path)).size}`)
    .sort();

/**
 * A database `name` (rows 1 and 2 in `t`) made with the CLI in a directory of its own and pushed
 * to `url` (a server's root) with `token` in CAMBIUM_REMOTE_TOKEN; resolves to its directory and
 * the frame of the remote's ref map chunk (one sound chunk: a put of it anywhere would create a
 * database there) with the manifest naming it.
 */
async function pushDatabase(url, name, token) {
  const db = join(space.freshDir('work'), name);
  mkdirSync(db);
  const env = token ? { CAMBIUM_REMOTE_TOKEN: token } : {};
  space.ok(db, ['init']);
  space.ok(db, ['sql', '-q', 'CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2)']);
  space.ok(db, ['commit', '-Am', 'rows']);
  space.ok(db, ['remote', 'add', 'origin', `${url}${name}`]);
  space.ok(db, ['push', 'origin', 'main'], env);
  const refs = await call(url, `/${name}/refs`, { headers: token ? bearer(token) : {} });
  assert.equal(refs.status, 200);
  return { db, manifest: refs.body.subarray(0, 40), frame: refs.body.subarray(40) };
}

const bearer = (token) => ({ Authorization: `Bearer ${token}` });

/** `count` hashes (arbitrary, none stored) as a `has` or `get` body. */
const hashes = (count) => Buffer.alloc(20 * count, 7);

describe('remote-server security', () => {
  test('database names cannot reach outside --dir', async () => {
    const top = space.freshDir('traversal');
    const dir = join(top, 'remote');
    mkdirSync(dir);
    writeFileSync(join(top, 'secret'), 'not for clients');
    const server = await startServer(dir, space.env);
    try {
      const { frame } = await pushDatabase(server.url, 'src');
      const before = { top: tree(top) };
      const long = (n) => 'a'.repeat(n);
      // Each path is sent byte for byte: no client normalises it first.
      const cases = [
        ['/../put', 400, 'bad_database_name'],
        ['/../../etc/put', 400, 'bad_database_name'],
        ['/%2e%2e/put', 400, 'bad_database_name'],
        ['/%2e%2e%2f%2e%2e%2fsecret/put', 400, 'bad_database_name'],
        ['/..%2f..%2fput', 404, 'no_such_endpoint'],
        ['/..%2fsecret/get', 400, 'bad_database_name'],
        ['//etc/put', 400, 'bad_database_name'],
        ['/%2fetc%2fpasswd/put', 400, 'bad_database_name'],
        [`/${top}/put`, 400, 'bad_database_name'],
        ['/..\\..\\secret/put', 400, 'bad_database_name'],
        ['/C:%5csecret/put', 400, 'bad_database_name'],
        ['/a%00b/put', 400, 'bad_database_name'],
        ['/a\0b/put', 400, 'bad_request'],
        ['/src\0/put', 400, 'bad_request'],
        ['/%c0%ae%c0%ae/put', 400, 'bad_database_name'],
        // UTF-8 bytes on the wire: an accented letter, fullwidth full stops, a right-to-left mark.
        [Buffer.from('/é/put').toString('latin1'), 400, 'bad_request'],
        [Buffer.from('/\uff0e\uff0e/put').toString('latin1'), 400, 'bad_request'],
        [Buffer.from('/src\u200f/put').toString('latin1'), 400, 'bad_request'],
        ['/src%e2%80%8f/put', 400, 'bad_database_name'],
        ['/ src/put', 400, 'bad_request'],
        [`/${long(65)}/put`, 400, 'bad_database_name'],
        [`/${long(10_000)}/put`, 400, 'bad_database_name'],
        [`/${long(20_000)}/put`, 431, 'too_large'],
      ];
      for (const [path, status, code] of cases) {
        refused(await raw(server.port, `POST ${path} HTTP/1.1\r\nHost: remote`, frame), status, code, JSON.stringify(path.slice(0, 60)));
        // Reads too: nothing outside is served, or told to exist.
        const read = await raw(server.port, `GET ${path.replace(/put$/, 'manifest')} HTTP/1.1\r\nHost: remote`);
        assert.ok(read.status >= 400 && read.status < 500 && read.json, `${JSON.stringify(path.slice(0, 60))} read: ${read.status}`);
      }
      assert.deepEqual({ top: tree(top) }, before, 'nothing was created or changed');
      assert.deepEqual(readdirSync(dir), ['src']);
      assert.equal(readFileSync(join(top, 'secret'), 'utf8'), 'not for clients');
      // The server still answers the database it has.
      assert.equal((await call(server.url, '/src/manifest')).status, 200);
    } finally {
      await server.stop();
    }
  });

  test('a token reaches only its database, and a read token cannot write', async () => {
    const dir = space.freshDir('scoped');
    const tokens = {
      writeA: 'scope-write-a-0123456789',
      readA: 'scope-read-a-0123456789',
      writeB: 'scope-write-b-0123456789',
    };
    const authFile = join(space.scratch, 'scoped-auth.json');
    writeFileSync(
      authFile,
      JSON.stringify({
        tokens: [
          { token: tokens.writeA, database: 'a', scope: 'write' },
          { token: tokens.readA, database: 'a', scope: 'read' },
          { token: tokens.writeB, database: 'b', scope: 'write' },
        ],
      }),
    );
    const server = await startServer(dir, space.env, ['--auth', authFile]);
    try {
      const a = await pushDatabase(server.url, 'a', tokens.writeA);
      const b = await pushDatabase(server.url, 'b', tokens.writeB);
      const before = tree(dir);
      const swapA = Buffer.concat([a.manifest, b.manifest]);
      const attempts = [
        // A read token writes its own database.
        ['readA', 'POST', '/a/put', b.frame],
        ['readA', 'POST', '/a/manifest', swapA],
        // A token for b reads or writes a, or a database nobody has yet.
        ['writeB', 'GET', '/a/manifest'],
        ['writeB', 'GET', '/a/refs'],
        ['writeB', 'POST', '/a/has', hashes(1)],
        ['writeB', 'POST', '/a/get', a.frame.subarray(0, 20)],
        ['writeB', 'GET', '/a/events'],
        ['writeB', 'POST', '/a/put', b.frame],
        ['writeB', 'POST', '/a/manifest', swapA],
        ['writeB', 'POST', '/c/put', b.frame],
        ['writeA', 'GET', '/b/manifest'],
        ['readA', 'GET', '/nobody/manifest'],
      ];
      for (const [who, method, path, body] of attempts) {
        refused(await call(server.url, path, { method, body, headers: bearer(tokens[who]) }), 403, 'forbidden', `${who} ${method} ${path}`);
      }
      assert.deepEqual(tree(dir), before, 'nothing was created or changed');
      const readA = await call(server.url, '/a/manifest', { headers: bearer(tokens.readA) });
      assert.deepEqual(readA.body, a.manifest);

      // Through the CLI: the read token clones a but not b, and cannot push to a.
      const work = space.freshDir('clones');
      space.ok(work, ['clone', `${server.url}a`, 'a'], { CAMBIUM_REMOTE_TOKEN: tokens.readA });
      space.fails(work, ['clone', `${server.url}b`, 'b'], /forbidden/, { CAMBIUM_REMOTE_TOKEN: tokens.readA });
      space.ok(join(work, 'a'), ['sql', '-q', 'INSERT INTO t VALUES (3)']);
      space.ok(join(work, 'a'), ['commit', '-am', 'three']);
      space.fails(join(work, 'a'), ['push', 'origin', 'main'], /forbidden/, { CAMBIUM_REMOTE_TOKEN: tokens.readA });
      space.fails(join(work, 'a'), ['push', 'origin', 'main'], /forbidden/, { CAMBIUM_REMOTE_TOKEN: tokens.writeB });
      assert.deepEqual((await call(server.url, '/a/manifest', { headers: bearer(tokens.readA) })).body, a.manifest);
      space.ok(join(work, 'a'), ['push', 'origin', 'main'], { CAMBIUM_REMOTE_TOKEN: tokens.writeA });
    } finally {
      await server.stop();
    }
  });

  test('bodies, chunks and batches over their limits are refused 413 and change nothing', async () => {
    const dir = space.freshDir('limits');
    const server = await startServer(dir, space.env);
    try {
      const { manifest, frame } = await pushDatabase(server.url, 'src');
      const before = tree(dir);
      // A frame saying its chunk has one byte more than 1 MiB, after a sound chunk.
      const header = Buffer.alloc(24, 1);
      header.writeUInt32LE((1 << 20) + 1, 20);
      const bigChunk = Buffer.concat([frame, header, Buffer.alloc((1 << 20) + 1)]);
      const packRefs = Buffer.alloc(4);
      packRefs.writeUInt32LE(4097);
      const overs = [
        ['/fresh/put', bigChunk],
        ['/src/put', bigChunk],
        ['/fresh/put', Buffer.concat([frame, Buffer.alloc(32 * 1024 * 1024)])],
        ['/src/has', hashes(65_537)],
        ['/src/get', hashes(4_097)],
        ['/src/pack', packRefs],
      ];
      for (const [path, body] of overs) {
        refused(await call(server.url, path, { method: 'POST', body }), 413, 'too_large', `${path} of ${body.length} bytes`);
      }
      // A body declared larger than the server reads is refused before it is sent.
      const declared = await raw(server.port, `POST /fresh/put HTTP/1.1\r\nHost: remote\r\nContent-Length: ${64 << 20}`);
      refused(declared, 413, 'too_large');
      // At the limits, the batches are answered.
      assert.equal((await call(server.url, '/src/has', { method: 'POST', body: hashes(65_536) })).status, 200);
      assert.equal((await call(server.url, '/src/get', { method: 'POST', body: hashes(4_096) })).status, 200);
      assert.deepEqual(tree(dir), before, 'nothing was created or changed');
      assert.deepEqual((await call(server.url, '/src/manifest')).body, manifest);
    } finally {
      await server.stop();
    }
  });

  test('clients that trickle or stall are cut off while others are answered', async () => {
    const server = await startServer(space.freshDir('slow'), space.env);
    /**
     * Opens a socket, writes `first`, then `drip` every `everyMs` until the server closes it;
     * resolves to the milliseconds that took and the answer, if the server sent one.
     */
    const slow = (first, drip, everyMs) =>
      new Promise((resolve) => {
        const started = Date.now();
        const parts = [];
        let timer;
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write(first);
          if (drip) timer = setInterval(() => socket.write(drip), everyMs);
        });
        socket.on('data', (part) => parts.push(part));
        socket.on('error', () => {});
        socket.on('close', () => {
          clearInterval(timer);
          const bytes = Buffer.concat(parts);
          resolve({ ms: Date.now() - started, answer: bytes.length ? parseAnswer(bytes) : null });
        });
      });
    try {
      await pushDatabase(server.url, 'src');
      const cut = Promise.all([
        // A body announced at 100,000 bytes that arrives a byte every 2 s: never idle for 30 s.
        slow('POST /src/put HTTP/1.1\r\nHost: remote\r\nContent-Length: 100000\r\n\r\n', 'x', 2_000),
        // A body that stops after 10 bytes.
        slow('POST /src/put HTTP/1.1\r\nHost: remote\r\nContent-Length: 100000\r\n\r\n0123456789'),
        // Headers that arrive a byte every 2 s and never end.
        slow('POST /src/put HTTP/1.1\r\nHost: remote\r\nX-Slow: ', 'y', 2_000),
      ]);
      let done = false;
      cut.then(() => (done = true));
      // Meanwhile another client is answered at once, again and again.
      let answered = 0;
      while (!done) {
        const started = Date.now();
        const read = await within(2_000, 'a read beside the slow clients', call(server.url, '/src/manifest'));
        assert.equal(read.status, 200);
        assert.ok(Date.now() - started < 1_000, `a read took ${Date.now() - started} ms`);
        answered++;
        await sleep(1_000);
      }
      const [trickled, stalled, slowHeaders] = await cut;
      assert.ok(trickled.ms >= 29_000 && trickled.ms < 40_000, `the trickled body was cut after ${trickled.ms} ms`);
      refused(trickled.answer, 408, 'too_slow');
      assert.ok(stalled.ms >= 29_000 && stalled.ms < 45_000, `the stalled body was cut after ${stalled.ms} ms`);
      assert.ok(slowHeaders.ms >= 29_000 && slowHeaders.ms < 65_000, `the slow headers were cut after ${slowHeaders.ms} ms`);
      refused(slowHeaders.answer, 408, 'too_slow');
      assert.ok(answered >= 20, `${answered} reads answered`);
    } finally {
      await server.stop();
    }
  });

  test('CORS: only origins given with --cors are let in, and without it none', async () => {
    const allowed = 'https://app.example';
    const evil = 'https://evil.example';
    const preflight = (origin) => ({
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
    });
    const plain = space.freshDir('cors');
    const withCors = space.freshDir('cors');
    const servers = [await startServer(plain, space.env), await startServer(withCors, space.env, ['--cors', allowed])];
    try {
      const [without, server] = servers;
      const { frame } = await pushDatabase(server.url, 'src');
      await pushDatabase(without.url, 'src');
      const before = [tree(plain), tree(withCors)];

      // Without --cors: no preflight, no CORS header, and a page of any other origin is refused
      // even for a request a browser sends without asking (a no-cors POST), which changes nothing.
      refused(await call(without.url, '/src/manifest', preflight(allowed)), 403, 'forbidden');
      refused(await call(without.url, '/src/manifest', { method: 'OPTIONS' }), 405, 'method_not_allowed');
      for (const origin of [allowed, evil, 'null']) {
        const read = await call(without.url, '/src/manifest', { headers: { Origin: origin } });
        refused(read, 403, 'forbidden', origin);
        assert.equal(read.headers.get('access-control-allow-origin'), null);
        const put = await call(without.url, '/new/put', { method: 'POST', body: frame, headers: { Origin: origin, 'Content-Type': 'text/plain' } });
        refused(put, 403, 'forbidden', origin);
      }
      // A page of the server's own origin, as when a program mounts the handler beside its pages.
      const own = await call(without.url, '/src/manifest', { headers: { Origin: without.url.replace(/\/$/, '') } });
      assert.equal(own.status, 200);
      assert.equal(own.headers.get('access-control-allow-origin'), null);

      // With --cors: the origin given is let in, with the headers a browser needs.
      const ok = await call(server.url, '/src/manifest', preflight(allowed));
      assert.equal(ok.status, 204);
      assert.equal(ok.headers.get('access-control-allow-origin'), allowed);
      assert.match(ok.headers.get('access-control-allow-methods'), /POST/);
      assert.match(ok.headers.get('access-control-allow-headers'), /Authorization/);
      assert.equal(ok.headers.get('access-control-allow-credentials'), null, 'no cookies: tokens travel in a header');
      const read = await call(server.url, '/src/manifest', { headers: { Origin: allowed } });
      assert.equal(read.status, 200);
      assert.equal(read.headers.get('access-control-allow-origin'), allowed);
      assert.match(read.headers.get('access-control-expose-headers'), /ETag/);
      assert.equal(read.headers.get('vary'), 'Origin');
      const missing = await call(server.url, '/nothing/manifest', { headers: { Origin: allowed } });
      refused(missing, 404, 'no_such_database');
      assert.equal(missing.headers.get('access-control-allow-origin'), allowed, 'errors are readable by the page');
      // Any other origin: its preflight, reads and writes are refused without CORS headers.
      for (const [path, options] of [
        ['/src/manifest', preflight(evil)],
        ['/src/manifest', { headers: { Origin: evil } }],
        ['/new/put', { method: 'POST', body: frame, headers: { Origin: evil, 'Content-Type': 'text/plain' } }],
        ['/src/manifest', { headers: { Origin: `${allowed}.evil.example` } }],
        ['/src/manifest', { headers: { Origin: 'http://app.example' } }],
      ]) {
        const answer = await call(server.url, path, options);
        refused(answer, 403, 'forbidden', `${options.headers.Origin} ${path}`);
        assert.equal(answer.headers.get('access-control-allow-origin'), null);
      }
      // Without an Origin (the CLI, Node programs) nothing changes.
      assert.equal((await call(server.url, '/src/manifest')).status, 200);
      assert.deepEqual([tree(plain), tree(withCors)], before, 'nothing was created or changed');
    } finally {
      for (const server of servers) await server.stop();
    }
  });

  test('tokens appear in nothing the server prints or answers', async () => {
    const dir = space.freshDir('quiet');
    const secret = 'SECRET-7f3a9c1e5b2d8f4a6c0e';
    const stranger = 'STRANGER-1b3d5f7a9c2e4a6c8e';
    const authFile = join(space.scratch, 'quiet-auth.json');
    const writer = 'WRITER-0a2c4e6b8d1f3a5c7e9b';
    writeFileSync(
      authFile,
      JSON.stringify({
        tokens: [
          { token: secret, database: 'src', scope: 'read' },
          { token: writer, database: 'src', scope: 'write' },
        ],
      }),
    );
    const server = await startServer(dir, space.env, ['--auth', authFile]);
    const answers = [];
    try {
      const { db, frame } = await pushDatabase(server.url, 'src', writer);
      const requests = [
        ['GET', '/src/manifest', bearer(secret)],
        ['POST', '/src/put', bearer(secret), frame],
        ['GET', '/other/manifest', bearer(secret)],
        ['GET', '/src/manifest', bearer(stranger)],
        ['GET', '/src/manifest', { Authorization: `Basic ${stranger}` }],
        ['GET', '/src/manifest', { Authorization: stranger }],
        ['GET', '/src/manifest', { Authorization: `Bearer ${stranger}${'x'.repeat(600)}` }],
        ['GET', `/src/manifest?token=${stranger}`, {}],
        ['GET', `/${stranger}/manifest`, bearer(stranger)],
        ['POST', '/src/has', bearer(stranger), Buffer.alloc(21)],
        ['POST', '/src/manifest', bearer(secret), Buffer.alloc(80)],
      ];
      for (const [method, path, headers, body] of requests) {
        answers.push((await call(server.url, path, { method, headers, body })).body.toString('latin1'));
      }
      // A header too large and a malformed request, refused before the handler.
      answers.push((await raw(server.port, `GET /src/manifest HTTP/1.1\r\nHost: remote\r\nAuthorization: Bearer ${stranger}${'z'.repeat(20_000)}`)).body.toString('latin1'));
      answers.push((await raw(server.port, `GET /src/manifest HTTP/1.1\r\nHost: remote\r\nAuthorization: Bearer ${stranger}\0`)).body.toString('latin1'));
      // The CLI refused, with the token in its environment: its messages are clean too.
      space.ok(db, ['sql', '-q', 'INSERT INTO t VALUES (3)']);
      space.ok(db, ['commit', '-am', 'three']);
      const refusedPush = space.fails(db, ['push', 'origin', 'main'], /forbidden/, { CAMBIUM_REMOTE_TOKEN: secret });
      const unknownClone = space.fails(space.freshDir('clone'), ['clone', `${server.url}src`, 'c'], /unauthorized/, { CAMBIUM_REMOTE_TOKEN: stranger });
      answers.push(refusedPush.stdout, refusedPush.stderr, unknownClone.stdout, unknownClone.stderr);
    } finally {
      await server.stop();
    }
    assert.ok(answers.length >= 15);
    for (const text of [...answers, server.output()]) {
      for (const token of [secret, stranger, writer]) assert.ok(!text.includes(token), `a token in ${JSON.stringify(text.slice(0, 300))}`);
    }
  });
});
