// Two pages replicating one database through `cambium remote-server` in headless Chromium
// (through playwright-core), as two writers ("many writers" in docs/replication.md). Each page
// runs in a browser of its own, so each has its own IndexedDB and its own network: page A opens
// the database and pushes it, page B clones it, and both set `dolt_replicate_to_remote` with
// SET PERSIST; A pushes each commit as it makes it, B asynchronously through its durable outbox.
// B goes offline, keeps committing while A commits too (one row changed by both), is reloaded
// while offline, and once online its outbox goes out merged with A's commits. Both pages then
// show the same rows and head as the remote, and every commit either page acknowledged is there.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { scratchSpace, startServer as startRemoteServer } from '../node/support.mjs';
import { inPage, launch, openHarness, waitReady } from '../support/browser.mjs';
import { loadNode, needWeb, sleep } from '../support/paths.mjs';
import { startServer } from '../support/server.mjs';

const TEST_MS = 60_000;
/** How long a commit may take to reach the other page once the network allows it. */
const REACH_MS = 20_000;

const { scratch, env } = scratchSpace('cambium-browser-replication-');

let pages;
let remoteServer;
let browserA;
let browserB;

before(async () => {
  needWeb();
  pages = await startServer();
  remoteServer = await startRemoteServer(join(scratch, 'served'), env, ['--cors', pages.origin]);
  browserA = await launch();
  browserB = await launch();
});

after(async () => {
  await browserA?.close();
  await browserB?.close();
  await pages?.close();
  if (remoteServer) assert.equal((await remoteServer.stop()).code, 0);
});

/** Runs `sql` on the page's database (`window.db`); resolves to `{ rows, warnings }`. */
const query = (page, sql, params = []) =>
  inPage(
    page,
    async ({ sql, params }) => {
      const { rows, warnings } = await window.db.query(sql, params);
      return { rows, warnings };
    },
    { sql, params },
  );

/** The rows of table notes in the page's database, as `id:body` strings in id order. */
const notes = async (page) =>
  (await query(page, 'SELECT id, body FROM notes ORDER BY id')).rows.map(({ id, body }) => `${id}:${body}`);

/** The head of main in the page's database. */
const head = async (page) => (await query(page, "SELECT hash FROM dolt_branches WHERE name = 'main'")).rows[0].hash;

/** Inserts a note and commits it as one acknowledged commit; resolves to the commit's warnings. */
const commitNote = async (page, id, body) =>
  (await query(page, `INSERT INTO notes VALUES (?, ?); CALL dolt_commit('-am', ?)`, [id, body, `note ${id}`])).warnings;

/** Pulls on `page` until its notes include every one of `expected`, within `ms`; resolves to its notes. */
async function pullUntil(page, expected, ms = REACH_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    await query(page, "CALL dolt_pull('origin')");
    const seen = await notes(page);
    if (expected.every((note) => seen.includes(note))) return seen;
    if (Date.now() > deadline) {
      const missing = expected.filter((note) => !seen.includes(note));
      assert.fail(`after ${ms} ms the page has ${seen.join(', ')}; missing ${missing.join(', ')}`);
    }
    await sleep(200);
  }
}

/** Opens the database notes on IndexedDB in `page` as `window.db`. */
const openNotes = (page) =>
  inPage(page, async () => {
    window.db = await window.cambium.Database.open('notes', { storage: 'indexeddb' });
  });

let checks = 0;
/** What a clone of the remote made in Node now holds: its notes and the head of main. */
async function remoteState(url) {
  const { Database } = loadNode();
  const db = await Database.clone(url, `check${++checks}`, { storage: 'memory' });
  try {
    const rows = (await db.query('SELECT id, body FROM notes ORDER BY id')).rows.map(({ id, body }) => `${id}:${body}`);
    const hash = (await db.query("SELECT hash FROM dolt_branches WHERE name = 'main'")).rows[0].hash;
    return { notes: rows, head: hash };
  } finally {
    await db.close();
  }
}

test('two pages with separate databases replicate through the remote, one of them offline for a while', { timeout: TEST_MS }, async () => {
  const url = `${remoteServer.url}notes`;
  // B's pages come through Playwright's routing, which the offline emulation leaves alone, so B
  // can be reloaded while offline as if its app came from a cache; its requests to the remote
  // server (another origin) fail like any request of an offline browser. A page that came
  // through routing has no address of its own, so Chromium lets it reach a loopback server only
  // with the local network access permission.
  await browserB.context.route(`${pages.origin}/**`, async (route) => route.fulfill({ response: await route.fetch() }));
  await browserB.context.grantPermissions(['local-network-access'], { origin: pages.origin });
  const a = await openHarness(browserA.context, pages.url('/'));
  const b = await openHarness(browserB.context, pages.url('/'));

  await openNotes(a);
  await query(a, "CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(40)); INSERT INTO notes VALUES (0, 'title'); CALL dolt_commit('-Am', 'notes')");
  await query(a, "CALL dolt_remote('add', 'origin', ?); CALL dolt_push('origin', 'main')", [url]);
  await query(a, "SET PERSIST dolt_replicate_to_remote = 'origin'");

  await inPage(
    b,
    async (url) => {
      window.db = await window.cambium.Database.clone(url, 'notes', { storage: 'indexeddb' });
    },
    url,
  );
  // B resolves the conflicts of the merges its pushes make by keeping its own rows.
  await query(b, `SET PERSIST dolt_replicate_to_remote = 'origin';
    SET PERSIST dolt_async_replication = 1;
    SET PERSIST dolt_replication_conflicts = 'ours'`);
  assert.deepEqual(await notes(b), ['0:title']);

  // Online, each page's commits reach the other.
  assert.deepEqual(await commitNote(a, 1, 'a one'), []);
  assert.deepEqual(await commitNote(a, 2, 'a two'), []);
  assert.deepEqual(await pullUntil(b, ['1:a one', '2:a two']), ['0:title', '1:a one', '2:a two']);
  assert.deepEqual(await commitNote(b, 101, 'b one'), []);
  assert.deepEqual(await pullUntil(a, ['101:b one']), ['0:title', '1:a one', '2:a two', '101:b one']);
  assert.equal(await head(b), await head(a));

  // Offline, B's commits answer at once and wait in its outbox; A goes on committing, and both
  // change row 0.
  await browserB.context.setOffline(true);
  await assert.rejects(query(b, "CALL dolt_fetch('origin')"), { code: 'io', message: /the remote at .* is unreachable/ });
  assert.deepEqual(await commitNote(b, 102, 'b two'), []);
  assert.deepEqual((await query(b, "UPDATE notes SET body = 'title by b' WHERE id = 0; CALL dolt_commit('-am', 'b retitles')")).warnings, []);
  assert.deepEqual(await commitNote(a, 3, 'a three'), []);
  assert.deepEqual((await query(a, "UPDATE notes SET body = 'title by a' WHERE id = 0; CALL dolt_commit('-am', 'a retitles')")).warnings, []);
  assert.deepEqual(await commitNote(b, 103, 'b three'), []);
  const offlineHead = await head(b);

  // A reload while offline keeps B's commits and its outbox: after it B only opens the database,
  // so what carries B's commits to the remote later is the outbox written before the reload.
  await b.reload();
  await waitReady(b);
  await openNotes(b);
  assert.equal(await head(b), offlineHead);
  assert.deepEqual(await notes(b), ['0:title by b', '1:a one', '2:a two', '101:b one', '102:b two', '103:b three']);
  assert.deepEqual(await commitNote(a, 4, 'a four'), []);
  const aHead = await head(a);
  const beforeOnline = ['0:title by a', '1:a one', '2:a two', '3:a three', '4:a four', '101:b one'];
  assert.deepEqual((await remoteState(url)).notes, beforeOnline, "none of B's offline commits reached the remote");

  // Online again, B's outbox goes out in the background, merged with A's commits (B's title
  // wins); both pages pull and agree with the remote.
  await browserB.context.setOffline(false);
  const everything = ['0:title by b', '1:a one', '2:a two', '3:a three', '4:a four', '101:b one', '102:b two', '103:b three'];
  assert.deepEqual(await pullUntil(a, everything), everything);
  assert.deepEqual(await pullUntil(b, everything), everything);
  const remote = await remoteState(url);
  assert.deepEqual(remote.notes, everything);
  assert.equal(await head(a), remote.head);
  assert.equal(await head(b), remote.head);
  // The head is the merge B made when its push was refused: of B's last commit and A's.
  const parents = await query(b, 'SELECT parent_hash FROM dolt_commit_ancestors WHERE commit_hash = ? ORDER BY parent_index', [remote.head]);
  assert.deepEqual(parents.rows.map(({ parent_hash }) => parent_hash), [offlineHead, aHead]);

  // Every commit either page acknowledged is in the history both pages share.
  const acknowledged = ['notes', 'note 1', 'note 2', 'note 101', 'note 102', 'b retitles', 'note 3', 'a retitles', 'note 103', 'note 4'];
  for (const page of [a, b]) {
    const messages = (await query(page, 'SELECT message FROM dolt_log')).rows.map(({ message }) => message);
    assert.deepEqual(acknowledged.filter((message) => !messages.includes(message)), [], messages.join('\n'));
  }
});
