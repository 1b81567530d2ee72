// Change events between processes on the file store (Node build): a `Database` on files hears
// another process publishing to the same directory through a watch of the directory, once per
// write, without hearing its own program's writes; the watch keeps no process alive.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { PKG_NODE, loadNode, sleep, within } from '../support/paths.mjs';

const { Database } = loadNode();

const scratch = mkdtempSync(join(tmpdir(), 'cambium-file-changes-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Longer than the watch's wait for a burst to settle (25 ms), with room for a slow machine. */
const SETTLE_MS = 300;
/** How soon after another process's write its event must arrive. */
const PROMPT_MS = 750;

/**
 * The program another process runs (CommonJS, from `node -e`), told what to do by environment
 * variables: `CAMBIUM_MODE=write` runs `CAMBIUM_SQL` on the database, prints `done` and closes
 * it; `CAMBIUM_MODE=listen` adds a change listener, prints `ready`, and on the first event prints
 * `heard`, closes the database and keeps nothing else alive, so the process must end by itself;
 * `CAMBIUM_MODE=open` adds a change listener and leaves the database open.
 */
const CHILD = `
const { Database } = require(process.env.CAMBIUM_PKG);
(async () => {
  const { CAMBIUM_NAME: name, CAMBIUM_DIR: dir, CAMBIUM_MODE: mode } = process.env;
  const db = await Database.open(name, { storage: 'fs', dir });
  if (mode === 'write') {
    await db.exec(process.env.CAMBIUM_SQL);
    process.stdout.write('done\\n');
    await db.close();
    return;
  }
  if (mode === 'open') {
    db.addEventListener('change', () => {});
    return;
  }
  // The watch is unref'd: without this timer nothing would keep the process waiting.
  const alive = setInterval(() => {}, 1000);
  db.addEventListener('change', async () => {
    clearInterval(alive);
    process.stdout.write('heard\\n');
    await db.close();
  });
  process.stdout.write('ready\\n');
})().catch((error) => {
  process.stderr.write(String(error && error.stack) + '\\n');
  process.exit(1);
});
`;

/**
 * Starts another Node process on database `name` in `dir`. `onLine` is called with each line it
 * prints and the time it was read; resolves to its exit code once it ended.
 */
function child(env, onLine = () => {}) {
  const process_ = spawn(process.execPath, ['-e', CHILD], {
    env: { ...process.env, CAMBIUM_PKG: `${PKG_NODE}cambium.js`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let pending = '';
  let stderr = '';
  process_.stdout.setEncoding('utf8');
  process_.stdout.on('data', (text) => {
    pending += text;
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, newline), performance.now());
      pending = pending.slice(newline + 1);
    }
  });
  process_.stderr.setEncoding('utf8');
  process_.stderr.on('data', (text) => (stderr += text));
  const ended = new Promise((resolve, reject) => {
    process_.on('error', reject);
    process_.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { ended, kill: () => process_.kill('SIGKILL') };
}

/** Runs `sql` on the database in another process; resolves to when it printed `done`. */
async function writeElsewhere(dir, name, sql) {
  let doneAt = null;
  const run = child({ CAMBIUM_DIR: dir, CAMBIUM_NAME: name, CAMBIUM_MODE: 'write', CAMBIUM_SQL: sql }, (line, at) => {
    if (line === 'done') doneAt = at;
  });
  const { code, stderr } = await within(30_000, 'the writing process', run.ended);
  assert.equal(code, 0, `the writing process failed: ${stderr}`);
  assert.notEqual(doneAt, null, 'the writing process said it was done');
  return doneAt;
}

/** Records the times of the change events `db` sends. */
function record(db) {
  const times = [];
  db.addEventListener('change', (event) => {
    assert.equal(event.type, 'change');
    times.push(performance.now());
  });
  return times;
}

/** Resolves once `times` holds at least `count` entries, or rejects after `ms`. */
async function waitFor(times, count, ms, what) {
  const deadline = performance.now() + ms;
  while (times.length < count) {
    if (performance.now() > deadline) throw new Error(`${what}: no change event within ${ms} ms`);
    await sleep(5);
  }
}

describe('change events from other processes on files', () => {
  test('another process inserting and committing sends change, and the row reads', async () => {
    const dir = join(scratch, 'commit');
    const db = await Database.open('shared', { storage: 'fs', dir });
    await db.exec("CREATE TABLE t (id INT PRIMARY KEY, note TEXT); CALL dolt_commit('-Am', 'table t')");
    const events = [];
    db.addEventListener('change', (event) => events.push({ event, at: performance.now() }));
    const doneAt = await writeElsewhere(
      dir,
      'shared',
      "INSERT INTO t VALUES (1, 'from the other process'); CALL dolt_commit('-am', 'row 1')",
    );
    const deadline = performance.now() + PROMPT_MS;
    while (events.length === 0 && performance.now() < deadline) await sleep(5);
    assert.ok(events.length > 0, `a change event within ${PROMPT_MS} ms of the other process's commit`);
    assert.deepEqual(events[0].event, { type: 'change', database: 'shared' });
    assert.ok(events[0].at - doneAt < PROMPT_MS);
    assert.deepEqual((await db.query('SELECT id, note FROM t')).rows, [
      { id: 1, note: 'from the other process' },
    ]);
    const log = await db.query('SELECT message FROM dolt_log ORDER BY commit_order DESC LIMIT 1');
    assert.deepEqual(log.rows, [{ message: 'row 1' }]);
    await sleep(SETTLE_MS);
    // Two publishes (the insert, then the commit): at most one event each.
    assert.ok(events.length <= 2, `${events.length} events for two publishes`);
    await db.close();
  });

  test('one write elsewhere sends exactly one event to every object of the database', async () => {
    const dir = join(scratch, 'objects');
    const a = await Database.open('shared', { storage: 'fs', dir });
    const b = await Database.open('shared', { storage: 'fs', dir });
    await a.query('CREATE TABLE t (id INT PRIMARY KEY)');
    await sleep(SETTLE_MS);
    const [heardByA, heardByB] = [record(a), record(b)];
    await writeElsewhere(dir, 'shared', 'INSERT INTO t VALUES (7)');
    await waitFor(heardByA, 1, PROMPT_MS, 'the first object');
    await waitFor(heardByB, 1, PROMPT_MS, 'the second object');
    await sleep(SETTLE_MS);
    assert.equal(heardByA.length, 1, 'one event for one write');
    assert.equal(heardByB.length, 1, 'one event for one write');
    assert.deepEqual((await b.query('SELECT id FROM t')).rows, [{ id: 7 }]);
    await a.close();
    // The watch outlives the first object closed: the second still hears.
    await writeElsewhere(dir, 'shared', 'INSERT INTO t VALUES (8)');
    await waitFor(heardByB, 2, PROMPT_MS, 'the object left open');
    assert.equal(heardByA.length, 1, 'a closed object hears nothing');
    await b.close();
  });

  test("this program's own writes send no event from the watch", async () => {
    const dir = join(scratch, 'own');
    const a = await Database.open('shared', { storage: 'fs', dir });
    const b = await Database.open('shared', { storage: 'fs', dir });
    const [heardByA, heardByB] = [record(a), record(b)];
    await a.exec('CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2)');
    await a.query("CALL dolt_commit('-Am', 'two rows')");
    // b hears each of a's publishes from the program's registry at once (in microtasks, run
    // by this wait); the watch of the files, which reports later, must add nothing to them.
    await sleep(0);
    const fromRegistry = heardByB.length;
    assert.ok(fromRegistry >= 3, `b heard ${fromRegistry} of a's publishes`);
    await sleep(SETTLE_MS);
    assert.equal(heardByA.length, 0, 'a writer hears none of its own writes');
    assert.equal(heardByB.length, fromRegistry, "the watch reports none of this program's writes");
    await b.query('INSERT INTO t VALUES (3)');
    await sleep(SETTLE_MS);
    assert.equal(heardByA.length, 1, 'a hears b once');
    assert.equal(heardByB.length, fromRegistry, 'b hears none of its own writes');
    await a.close();
    await b.close();
  });

  test('a process whose database heard another process ends by itself after close', async () => {
    const dir = join(scratch, 'exit');
    const setup = await Database.open('shared', { storage: 'fs', dir });
    await setup.query('CREATE TABLE t (id INT PRIMARY KEY)');
    let ready;
    const isReady = new Promise((resolve) => (ready = resolve));
    let heard = false;
    const listener = child({ CAMBIUM_DIR: dir, CAMBIUM_NAME: 'shared', CAMBIUM_MODE: 'listen' }, (line) => {
      if (line === 'ready') ready();
      if (line === 'heard') heard = true;
    });
    try {
      await within(30_000, 'the listening process starting', isReady);
      await setup.query('INSERT INTO t VALUES (1)');
      const { code, signal, stderr } = await within(5_000, 'the listening process ending', listener.ended);
      assert.equal(stderr, '');
      assert.deepEqual({ code, signal }, { code: 0, signal: null });
      assert.ok(heard, 'the listening process heard the write before it ended');
    } finally {
      listener.kill();
      await setup.close();
    }
  });

  test('a database left open on files keeps no process alive', async () => {
    const dir = join(scratch, 'unref');
    const run = child({ CAMBIUM_DIR: dir, CAMBIUM_NAME: 'shared', CAMBIUM_MODE: 'open' });
    try {
      const { code, signal, stderr } = await within(10_000, 'a process with an open database', run.ended);
      assert.equal(stderr, '');
      assert.deepEqual({ code, signal }, { code: 0, signal: null });
    } finally {
      run.kill();
    }
  });
});
