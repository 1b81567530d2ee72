// The browser build pushing to and cloning from a remote in headless Chromium (through
// playwright-core): `cambium remote-server` runs as a child process allowing the page's origin
// by CORS; the page commits on IndexedDB, adds the remote and pushes with SQL, clones it into a
// second IndexedDB database with Database.clone, and the `cambium` command clones the same
// remote in Node and reads the same rows. A module worker is a client too: it clones into
// IndexedDB and pushes a commit, which a clone in Node reads.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { scratchSpace, startServer as startRemoteServer } from '../node/support.mjs';
import { inPage, launch, openHarness } from '../support/browser.mjs';
import { loadNode, needWeb } from '../support/paths.mjs';
import { startServer } from '../support/server.mjs';

const { scratch, env, ok } = scratchSpace('cambium-browser-remote-');

let pages;
let remoteServer;
let browser;

before(async () => {
  needWeb();
  pages = await startServer();
  remoteServer = await startRemoteServer(join(scratch, 'served'), env, ['--cors', pages.origin]);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await pages?.close();
  if (remoteServer) assert.equal((await remoteServer.stop()).code, 0);
});

test('a page pushes to the remote server, clones it into IndexedDB, and the CLI clones it too', async () => {
  const page = await openHarness(browser.context, pages.url('/'));
  const url = `${remoteServer.url}webdb`;
  const pushed = await inPage(
    page,
    async (url) => {
      const db = await window.cambium.Database.open('webdb', { storage: 'indexeddb' });
      try {
        await db.query("CALL dolt_remote('add', 'origin', ?)", [url]);
        await db.query("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO t VALUES (1, 'one'), (2, 'two')");
        await db.query("CALL dolt_commit('-Am', 'from the page')");
        return (await db.query("CALL dolt_push('origin', 'main')")).rows[0].message;
      } finally {
        await db.close();
      }
    },
    url,
  );
  assert.equal(pushed, `To ${url}\n * main -> main`);

  const cloned = await inPage(
    page,
    async (url) => {
      const db = await window.cambium.Database.clone(url, 'webdb_clone', { storage: 'indexeddb' });
      try {
        const rows = (await db.query('SELECT id, name FROM t ORDER BY id')).rows;
        const remotes = (await db.query('SELECT name, url FROM dolt_remotes')).rows;
        const message = (await db.query('SELECT message FROM dolt_log LIMIT 1')).rows[0].message;
        return { rows, remotes, message };
      } finally {
        await db.close();
      }
    },
    url,
  );
  assert.deepEqual(cloned, {
    rows: [
      { id: 1, name: 'one' },
      { id: 2, name: 'two' },
    ],
    remotes: [{ name: 'origin', url }],
    message: 'from the page',
  });

  ok(scratch, ['clone', url, 'fromweb']);
  assert.equal(ok(join(scratch, 'fromweb'), ['sql', '-q', 'SELECT id, name FROM t ORDER BY id', '-r', 'csv']), 'id,name\n1,one\n2,two\n');
  await page.close();
});

test('a module worker clones the remote into IndexedDB and pushes a commit back', async () => {
  // The remote database comes from Node, so that the worker is the only browser client.
  const url = `${remoteServer.url}workerdb`;
  const { Database } = loadNode();
  const seed = await Database.open('workerdb_seed', { storage: 'memory' });
  try {
    await seed.exec(`CREATE TABLE t (id INT PRIMARY KEY, who VARCHAR(20));
      INSERT INTO t VALUES (1, 'node');
      CALL dolt_commit('-Am', 'from node');
      CALL dolt_remote('add', 'origin', '${url}');
      CALL dolt_push('origin', 'main')`);
  } finally {
    await seed.close();
  }

  const page = await openHarness(browser.context, pages.url('/'));
  const answers = await inPage(
    page,
    async (url) => {
      const worker = window.startWorker();
      const ask = (sql) => worker.ask({ name: 'workerdb', clone: url, sql });
      try {
        const read = await ask('SELECT id, who FROM t ORDER BY id');
        const commit = await ask("INSERT INTO t VALUES (2, 'worker'); CALL dolt_commit('-am', 'from the worker')");
        const push = await ask("CALL dolt_push('origin', 'main')");
        const head = await ask("SELECT hash FROM dolt_branches WHERE name = 'main'");
        return { read, commit, push, head };
      } finally {
        worker.terminate();
      }
    },
    url,
  );
  for (const [step, answer] of Object.entries(answers)) assert.equal(answer.ok, true, `${step}: ${answer.code}: ${answer.message}`);
  assert.deepEqual(answers.read.rows, [{ id: 1, who: 'node' }]);
  assert.equal(answers.push.rows[0].message, `To ${url}\n * main -> main`);

  // A clone made in Node now is at the worker's commit, with its row.
  const check = await Database.clone(url, 'workerdb_check', { storage: 'memory' });
  try {
    assert.deepEqual((await check.query('SELECT id, who FROM t ORDER BY id')).rows, [
      { id: 1, who: 'node' },
      { id: 2, who: 'worker' },
    ]);
    assert.deepEqual((await check.query("SELECT hash FROM dolt_branches WHERE name = 'main'")).rows, answers.head.rows);
    assert.equal((await check.query('SELECT message FROM dolt_log LIMIT 1')).rows[0].message, 'from the worker');
  } finally {
    await check.close();
  }
  await page.close();
});
