// Live read replicas of the built package against a real `cambium remote-server` child process,
// reached through a relay in this process (support.mjs) that counts the requests and can be
// pointed at a restarted server: the replica hears the primary's commit through the `events`
// stream and reads it without a request of its own; when the server goes away its queries pull
// (and fail) instead of serving stale rows, and once the server is back it reconnects and
// catches up; a Node program whose live replica is closed exits by itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { loadNode, PKG_NODE, sleep, within } from '../support/paths.mjs';
import { scratchSpace, startRelay, startServer } from './support.mjs';

const { Database } = loadNode();
const { scratch } = scratchSpace('cambium-live-');
/** The token the replica is opened with; the server checks none, the relay sees it sent. */
const TOKEN = 'live-replica-token-0123';
/** How long the replica may take to hear a commit, or to reconnect after a restart. */
const HEAR_MS_MAX = 20_000;

/** Resolves at the database's next `change` event. */
function nextChange(db) {
  return new Promise((resolve) => {
    const heard = (event) => {
      db.removeEventListener('change', heard);
      resolve(event);
    };
    db.addEventListener('change', heard);
  });
}

const ids = async (db) => (await db.query('SELECT id FROM t ORDER BY id')).rows.map((row) => row.id);

let server = await startServer(join(scratch, 'remote'));
const relay = await startRelay(server.port);
after(async () => {
  await relay.close();
  await server.stop();
});
const url = `${relay.url}/live`;

/** A primary replicating every commit to `url`, with table `t` holding row 1. */
async function primary() {
  const db = await Database.open('primary', { storage: 'memory' });
  await db.exec(
    `CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1);
     CALL dolt_commit('-Am', 'first'); CALL dolt_remote('add', 'origin', '${url}');
     CALL dolt_push('origin', 'main'); SET PERSIST @@GLOBAL.dolt_replicate_to_remote = 'origin'`,
  );
  return db;
}

/** A read replica of `url` named `name`, pulling `main`. */
async function replica(name) {
  const db = await Database.clone(url, name, { storage: 'memory', remoteToken: TOKEN });
  await db.exec(
    `SET PERSIST @@GLOBAL.dolt_read_replica_remote = 'origin';
     SET PERSIST @@GLOBAL.dolt_replicate_heads = 'main'`,
  );
  return db;
}

test('a live replica hears a commit, reads it without a request, and catches up after a restart', async () => {
  const writer = await primary();
  const reader = await replica('reader');
  await reader.subscribe();
  await reader.subscribe();
  const events = relay.seen.filter((r) => r.path === '/live/events');
  assert.equal(events.length, 1, 'one events stream, however often subscribe is called');
  assert.equal(events[0].authorization, `Bearer ${TOKEN}`, 'the token goes on the events request');

  const changed = nextChange(reader);
  await writer.exec("INSERT INTO t VALUES (2); CALL dolt_commit('-am', 'two')");
  assert.deepEqual(await within(HEAR_MS_MAX, 'the change event', changed), { type: 'change', database: 'reader' });
  const before = relay.seen.length;
  assert.deepEqual(await ids(reader), [1, 2]);
  assert.deepEqual(await ids(reader), [1, 2]);
  assert.equal(relay.seen.length, before, 'a live replica reads without asking the remote');

  // The server goes away: the stream breaks, and the replica's queries pull again, which fails,
  // rather than answer from a copy nothing keeps current.
  await server.stop();
  await within(HEAR_MS_MAX, 'a query failing without the server', (async () => {
    for (;;) {
      try {
        await reader.query('SELECT 1');
      } catch (error) {
        assert.match(error.message, /unreachable|refused|broke/, error.message);
        return;
      }
      await sleep(20);
    }
  })());

  server = await startServer(join(scratch, 'remote'));
  relay.retarget(server.port);
  const caughtUp = nextChange(reader);
  await writer.exec("INSERT INTO t VALUES (3); CALL dolt_commit('-am', 'three')");
  await within(HEAR_MS_MAX, 'the change after reconnecting', caughtUp);
  // The pull of the reconnect and that of the commit's event may be two; wait for the last.
  for (let at = Date.now(); (await ids(reader)).length < 3 && Date.now() - at < HEAR_MS_MAX; ) await sleep(20);
  const settled = relay.seen.length;
  assert.deepEqual(await ids(reader), [1, 2, 3]);
  assert.equal(relay.seen.length, settled, 'live again: reads make no request');

  await reader.close();
  await writer.close();
  await assert.rejects(reader.subscribe(), { code: 'closed' });
});

test('subscribe refuses a database that is no replica, and a file:// remote', async () => {
  const plain = await Database.open('plain', { storage: 'memory' });
  await assert.rejects(plain.subscribe(), { code: 'not_a_replica' });
  await plain.exec(
    `CALL dolt_remote('add', 'origin', 'file://${join(scratch, 'files')}');
     SET @@GLOBAL.dolt_read_replica_remote = 'origin'; SET @@GLOBAL.dolt_replicate_heads = 'main'`,
  );
  await assert.rejects(plain.subscribe(), { code: 'remote_unsupported' });
  await plain.close();
});

test('a program whose live replica is closed exits by itself', async () => {
  const program = `
    const { Database } = require(${JSON.stringify(join(PKG_NODE, 'cambium.js'))});
    (async () => {
      const db = await Database.clone(${JSON.stringify(url)}, 'child', { storage: 'memory' });
      await db.exec("SET @@GLOBAL.dolt_read_replica_remote = 'origin'; SET @@GLOBAL.dolt_replicate_heads = 'main'");
      await db.subscribe();
      await db.close();
      console.log('closed');
    })().catch((error) => { console.error(error); process.exit(1); });
  `;
  const child = spawn(process.execPath, ['-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (part) => (out += part));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const code = await within(HEAR_MS_MAX, 'the program exiting after close', exited).finally(() => child.kill());
  assert.equal(code, 0);
  assert.equal(out.trim(), 'closed');
});
