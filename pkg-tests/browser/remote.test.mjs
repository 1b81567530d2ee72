// The browser build pushing to and cloning from a remote in headless Chromium (through
// playwright-core): `cambium remote-server` runs as a child process allowing the page's origin
// by CORS; the page commits on IndexedDB, adds the remote and pushes with SQL, clones it into a
// second IndexedDB database with Database.clone, and the `cambium` command clones the same
// remote in Node and reads the same rows.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { launch, openHarness } from '../support/browser.mjs';
import { needWeb, ROOT, within } from '../support/paths.mjs';
import { startServer } from '../support/server.mjs';

const BIN = join(ROOT, 'pkg', 'bin', 'cambium.js');
const STEP_MS = 60_000;
const scratch = mkdtempSync(join(tmpdir(), 'cambium-browser-remote-'));
const HOME = join(scratch, 'home');
mkdirSync(HOME);
const ENV = { ...process.env, HOME, TZ: 'UTC' };

let pages;
let remoteServer;
let browser;

/** Starts `cambium remote-server --port 0` allowing `origin`; resolves to its URL and a stop. */
async function startRemoteServer(dir, origin) {
  const child = spawn(process.execPath, [BIN, 'remote-server', '--dir', dir, '--port', '0', '--cors', origin], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: ENV,
  });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (part) => (stderr += part));
  const started = new Promise((resolve, reject) => {
    child.stdout.on('data', (part) => {
      stdout += part;
      const match = stdout.match(/ at (http:\/\/127\.0\.0\.1:\d+\/)\n/);
      if (match) resolve(match[1]);
    });
    exited.then((code) => reject(new Error(`the remote server exited (${code}) before listening: ${stderr}`)));
  });
  const url = await within(20_000, 'the remote server starting', started);
  return {
    url,
    stop() {
      child.kill('SIGTERM');
      return within(10_000, 'the remote server stopping', exited);
    },
  };
}

before(async () => {
  needWeb();
  pages = await startServer();
  remoteServer = await startRemoteServer(join(scratch, 'served'), pages.origin);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await pages?.close();
  if (remoteServer) assert.equal(await remoteServer.stop(), 0);
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs `fn(arg)` in `page` through the harness's `attempt`: its value, or an Error with the page's code. */
async function inPage(page, fn, arg) {
  const outcome = await within(
    STEP_MS,
    'page.evaluate',
    page.evaluate(
      async ([source, value]) => {
        // The function crosses as text: page.evaluate cannot carry a closure.
        const run = (0, eval)(`(${source})`);
        return window.attempt(() => run(value));
      },
      [fn.toString(), arg],
    ),
  );
  if (!outcome.ok) throw new Error(`in the page: ${outcome.code}: ${outcome.message}\n${browser.dumpLogs()}`);
  return outcome.value;
}

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

  const clone = spawnSync(process.execPath, [BIN, 'clone', url, 'fromweb'], { cwd: scratch, encoding: 'utf8', env: ENV });
  assert.equal(clone.status, 0, clone.stderr);
  const read = spawnSync(process.execPath, [BIN, 'sql', '-q', 'SELECT id, name FROM t ORDER BY id', '-r', 'csv'], {
    cwd: join(scratch, 'fromweb'),
    encoding: 'utf8',
    env: ENV,
  });
  assert.equal(read.status, 0, read.stderr);
  assert.equal(read.stdout, 'id,name\n1,one\n2,two\n');
});
