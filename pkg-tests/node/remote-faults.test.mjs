// A remote server killed with SIGKILL in the middle of a push, end to end with the built package:
// `cambium remote-server` as a child process, and `cambium push` of a 300,000-row database as
// another. A relay in this process stands between the two, so the kill lands at a chosen request
// of the push (its first request; part way through the upload of the big `put`; after the whole
// `put` arrived, while the server writes it), not at a guessed delay. Each time the push fails
// naming the remote, the server starts again on the same --dir, the same push goes through, a
// clone of the remote passes `cambium fsck` and has the source's commit and rows, and the
// server's own copy opens with `Database.open` and reads the same.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { loadNode, sleep } from '../support/paths.mjs';
import { scratchSpace, startServer as startRemoteServer } from './support.mjs';

// Every command runs with HOME in this file's scratch directory, never the real one.
const { scratch, env: ENV, run, runAsync, ok } = scratchSpace('cambium-remote-faults-');

/** Starts `cambium remote-server` over `dir` with this file's environment. */
const startServer = (dir) => startRemoteServer(dir, ENV);

/** The rows of the pushed table: enough that the first push sends about 15 MB in one `put`. */
const ROWS = 300_000;

/**
 * Reads the HTTP/1.1 requests of one connection as its bytes go by and reports, through
 * `report(event)`, each request once its head is in (`{ method, path, length }`) and each part
 * of its body (`{ method, path, length, received }`). Bodies are framed by Content-Length, as
 * every request of the remote protocol is.
 */
function requestReader(report) {
  let head = Buffer.alloc(0);
  let request = null;
  return (data) => {
    let at = 0;
    while (at < data.length) {
      if (request && request.received < request.length) {
        const take = Math.min(data.length - at, request.length - request.received);
        request.received += take;
        at += take;
        report({ ...request });
        continue;
      }
      head = Buffer.concat([head, data.subarray(at)]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const [method, path] = lines[0].split(' ');
      const lengthLine = lines.find((line) => /^content-length:/i.test(line));
      assert.ok(!lines.some((line) => /^transfer-encoding:/i.test(line)), 'a request body framed by its length');
      // What followed the head in this piece of data is the body's beginning (or the next request).
      at = data.length - (head.length - end - 4);
      head = Buffer.alloc(0);
      request = { method, path, length: lengthLine ? Number(lengthLine.split(':')[1]) : 0, received: 0 };
      report({ ...request });
    }
  };
}

/**
 * A TCP relay on a port of its own in front of the remote server. The client's remote URL
 * names the relay, so it stays the same while the server behind it restarts on a new port, and
 * the relay sees every request on its way. `watch(event)` (see `requestReader`) is asked before
 * each piece of client data goes on; answering true kills the server with SIGKILL at that
 * point: that piece and everything after it is dropped and every connection is closed, as a
 * dead server's would be.
 */
async function startRelay() {
  const sockets = new Set();
  const relay = {
    server: null,
    watch: () => false,
    seen: [],
    killed: false,
    /** SIGKILLs the server and cuts every connection; resolves once the server is gone. */
    async kill() {
      if (relay.killed) return;
      relay.killed = true;
      relay.server.child.kill('SIGKILL');
      for (const socket of sockets) socket.destroy();
      assert.deepEqual(await relay.server.exited, { code: null, signal: 'SIGKILL' });
    },
    /** Puts `server` behind the relay and forgets what was seen and killed before. */
    use(server) {
      relay.server = server;
      relay.watch = () => false;
      relay.seen = [];
      relay.killed = false;
    },
  };
  const listener = createServer((client) => {
    if (relay.killed) return client.destroy();
    const upstream = connect(relay.server.port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      // A cut connection errors on both sides; the client's own error is what the test checks.
      socket.on('error', () => {});
    }
    const read = requestReader((event) => {
      if (event.received === 0) relay.seen.push(`${event.method} ${event.path}`);
      if (!relay.killed && relay.watch(event)) relay.kill();
    });
    client.on('data', (data) => {
      if (!relay.killed) read(data);
      if (relay.killed) return client.destroy();
      upstream.write(data);
    });
    upstream.on('data', (data) => client.write(data));
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
  relay.url = `http://127.0.0.1:${listener.address().port}/`;
  relay.close = () => new Promise((resolve) => listener.close(resolve));
  return relay;
}

/** The bytes of the files under the database `name` on the server's directory `dir`. */
function storedBytes(dir, name) {
  const db = join(dir, name);
  if (!existsSync(db)) return 0;
  return readdirSync(db).reduce((sum, file) => {
    try {
      return sum + statSync(join(db, file)).size;
    } catch {
      return sum;
    }
  }, 0);
}

/** The head commit of main, as `h`. */
const HEAD = "SELECT dolt_hashof('main') AS h";
/** The first and last rows of t and the key past the last, each looked up by key alone (an `OR`
 * or `IN` of keys scans the table). */
const ENDS = [1, ROWS, ROWS + 1].map((id) => `SELECT id, name FROM t WHERE id = ${id}`).join(' UNION ALL ');
const ENDS_ROWS = [
  { id: 1, name: 'row 000000 of the test' },
  { id: ROWS, name: 'row 299999 of the test' },
];
const ENDS_CSV = `id,name\n${ENDS_ROWS.map(({ id, name }) => `${id},${name}`).join('\n')}\n`;

describe('a remote server killed during a push', () => {
  const serverDir = join(scratch, 'served');
  /** The clones checked after each retried push. */
  const copies = [];
  let relay;
  let source;

  before(async () => {
    ok(scratch, ['config', '--global', '--add', 'user.name', 'Fault Tester']);
    ok(scratch, ['config', '--global', '--add', 'user.email', 'faults@example.com']);
    source = join(scratch, 'source');
    mkdirSync(source);
    ok(source, ['init']);
    // Three joins of a ten-row table with itself five times, 100,000 rows each (the join limit
    // is 250,000): distinct keys and names, so the data makes many distinct chunks.
    const batches = [0, 1, 2].map(
      (g) =>
        `INSERT INTO t SELECT ${g * 100_000} + a.x + 10*b.x + 100*c.x + 1000*e.x + 10000*f.x + 1, ` +
        `CONCAT('row ', ${g}, f.x, e.x, c.x, b.x, a.x, ' of the test'), a.x*b.x*c.x FROM d a, d b, d c, d e, d f`,
    );
    ok(source, [
      'sql',
      '-q',
      [
        'CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(64), n INT)',
        'CREATE TABLE d (x INT PRIMARY KEY)',
        'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
        ...batches,
        'DROP TABLE d',
      ].join('; '),
    ]);
    ok(source, ['commit', '-Am', `${ROWS} rows`]);
    relay = await startRelay();
    relay.use(await startServer(serverDir));
  });

  after(async () => {
    await relay?.close();
    if (relay?.server && !relay.killed) assert.equal((await relay.server.stop()).code, 0);
  });

  /**
   * Pushes the source to the remote database `name` through the relay, with the server killed
   * when `watch` says; checks the failure, restarts the server on the same directory, pushes
   * again and checks what the remote holds.
   */
  async function killedPush(name, watch, landed) {
    const remote = `${relay.url}${name}`;
    ok(source, ['remote', 'add', name, remote]);
    relay.watch = watch;
    const started = Date.now();
    const failed = await runAsync(source, ['push', name, 'main']);
    const killedAfter = Date.now() - started;
    assert.ok(relay.killed, `the server was never killed; the push saw ${relay.seen.join(', ')}`);
    assert.notEqual(failed.status, 0, `the push succeeded with the server killed: ${failed.stdout}`);
    assert.ok(failed.stderr.includes(remote), `the error names the remote: ${failed.stderr}`);
    // The kill came before the swap of the manifest, which is what publishes a push.
    assert.ok(!relay.seen.includes(`POST /${name}/manifest`), relay.seen.join(', '));
    landed();
    const leftBytes = storedBytes(serverDir, name);

    relay.use(await startServer(serverDir));
    const retried = Date.now();
    // Asynchronously: the relay runs in this process, so a synchronous run would stall it.
    const pushed = await runAsync(source, ['push', name, 'main']);
    assert.equal(pushed.status, 0, `the retried push failed: ${pushed.stderr}${pushed.stdout}`);
    assert.match(pushed.stdout, new RegExp(`^To ${remote}\\n \\* main -> main\\n$`));
    const retryMs = Date.now() - retried;

    // A clone straight from the server, not through the relay, is sound and has the source's
    // commit. Any scan of t reads every row (about 15 s here), so the rows are counted once, at
    // the end; here the first and last rows are looked up by key.
    const parent = join(scratch, `clone-${name}`);
    mkdirSync(parent);
    ok(parent, ['clone', `${relay.server.url}${name}`, 'copy']);
    const copy = join(parent, 'copy');
    const fsck = run(copy, ['fsck']);
    assert.equal(fsck.status, 0, `fsck of the clone failed: ${fsck.stderr}${fsck.stdout}`);
    assert.equal(fsck.stderr, '');
    assert.match(fsck.stdout, /^Chunks Scanned: \d+ \(\d+ bytes\)\nNo problems found\.\n$/);
    assert.equal(ok(copy, ['sql', '-q', HEAD, '-r', 'csv']), ok(source, ['sql', '-q', HEAD, '-r', 'csv']));
    assert.equal(ok(copy, ['sql', '-q', ENDS, '-r', 'csv']), ENDS_CSV);

    // The server's own copy opens as a database and has the same commit and rows.
    const { Database } = loadNode();
    const db = await Database.open(name, { storage: 'fs', dir: serverDir });
    try {
      const [{ h }] = (await db.query(HEAD)).rows;
      assert.equal(`h\n${h}\n`, ok(source, ['sql', '-q', HEAD, '-r', 'csv']));
      assert.deepEqual((await db.query(ENDS)).rows, ENDS_ROWS);
    } finally {
      await db.close();
    }
    copies.push(copy);
    return { killedAfter, leftBytes, retryMs, error: failed.stderr.trim() };
  }

  test('the server killed in the middle of a push: the retry succeeds and the remote passes fsck', async (t) => {
    const timings = [];

    // Early: at the push's first request, before the server has stored anything.
    let first = null;
    timings.push(
      await killedPush(
        'early',
        (event) => {
          first ??= `${event.method} ${event.path}`;
          return true;
        },
        () => {
          // A push reads the remote's refs first (docs/remote-protocol.md).
          assert.equal(first, 'GET /early/refs');
          assert.equal(storedBytes(serverDir, 'early'), 0);
        },
      ),
    );

    // Part way through the upload of the big put: 4 MiB of its body went on, the rest never.
    let putLength = 0;
    timings.push(
      await killedPush(
        'midput',
        (event) => {
          if (event.path !== '/midput/put') return false;
          putLength = event.length;
          return event.received >= 4 << 20;
        },
        () => assert.ok(putLength > 8 << 20, `the put is ${putLength} bytes`),
      ),
    );

    // Late: the whole put went on; the server dies once its journal starts to grow, while it
    // writes the put (or, if the write wins the race, at the swap that would follow it).
    let uploaded = false;
    timings.push(
      await killedPush(
        'late',
        (event) => {
          if (event.path === '/late/manifest' && event.method === 'POST') return true;
          if (event.path !== '/late/put' || event.received < event.length || event.length < 8 << 20) return false;
          uploaded = true;
          (async () => {
            while (!relay.killed && storedBytes(serverDir, 'late') < 1 << 20) await sleep(2);
            await relay.kill();
          })();
          return false;
        },
        () => {
          assert.ok(uploaded, 'the whole put went on before the kill');
          assert.ok(storedBytes(serverDir, 'late') >= 1 << 20, 'the server had begun to write the put');
        },
      ),
    );

    // Every row arrived: counted in the last clone and in the server's own copy, at once. The
    // other clones have the same commit and pass fsck, so they hold the same rows.
    const counted = runAsync(copies.at(-1), ['sql', '-q', 'SELECT count(*) AS n FROM t', '-r', 'csv']);
    const { Database } = loadNode();
    const db = await Database.open('late', { storage: 'fs', dir: serverDir });
    try {
      assert.deepEqual((await db.query('SELECT count(*) AS n FROM t')).rows, [{ n: ROWS }]);
    } finally {
      await db.close();
    }
    const { status, stdout, stderr } = await counted;
    assert.equal(status, 0, stderr);
    assert.equal(stdout, `n\n${ROWS}\n`);
    for (const [i, point] of ['at the first request', 'during the put upload', 'while the put is written'].entries()) {
      const { killedAfter, leftBytes, retryMs, error } = timings[i];
      t.diagnostic(`killed ${point} after ${killedAfter} ms (${leftBytes} bytes left on the server); retry took ${retryMs} ms`);
      t.diagnostic(`  the push said: ${error}`);
    }
  });
});
