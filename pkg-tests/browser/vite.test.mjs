// The browser build as an application bundled by Vite uses it: a tiny app in a temporary
// directory imports `cambium` by its package name, `vite build` bundles it, and the output,
// served over HTTP, runs in headless Chromium on IndexedDB. It proves that the package's
// `exports` map hands a bundler the web build, that the bundler finds the wasm file through the
// web build's `new URL('cambium_bg.wasm', import.meta.url)` and emits it as an asset, and that
// the bundled app really opens, writes, commits and reads a database, which a second page load
// finds again.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { build } from 'vite';

import { launch } from '../support/browser.mjs';
import { needWeb, ROOT } from '../support/paths.mjs';
import { startServer } from '../support/server.mjs';

const PKG = join(ROOT, 'pkg');
const STEP_MS = 30_000;

// The app's entry. `?write` creates, fills and commits the table, then reads it back; `?read`
// (a later page load, so a fresh wasm instance) only reads what IndexedDB kept. The outcome goes
// on `window.result`, or the error on `window.failure`, for the test to collect.
const MAIN_JS = `// The test app's entry: the package imported by name, as an application would.
import init, { Database } from 'cambium';

async function main() {
  await init();
  const db = await Database.open('vite-app', { storage: 'indexeddb' });
  if (location.search === '?write') {
    await db.exec(\`CREATE TABLE fruit (id INT PRIMARY KEY, name TEXT);
      INSERT INTO fruit VALUES (1, 'apple'), (2, 'pear'), (3, 'quince');
      CALL dolt_commit('-Am', 'fruit from a Vite bundle')\`);
  }
  const fruit = (await db.query('SELECT id, name FROM fruit ORDER BY id')).rows;
  const log = (await db.query('SELECT message FROM dolt_log ORDER BY commit_order DESC')).rows;
  await db.close();
  return { fruit, log: log.map((row) => row.message) };
}

main().then(
  (result) => { window.result = result; },
  (error) => { window.failure = String(error?.stack ?? error); },
);
`;

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <link rel="icon" href="data:,">
  <title>Cambium bundled by Vite</title>
  <script type="module" src="/main.js"></script>
</head>
<body><p>A test app: Cambium bundled by Vite.</p></body>
</html>
`;

let dir;
let server;
let browser;

before(() => {
  needWeb();
  dir = mkdtempSync(join(tmpdir(), 'cambium-vite-'));
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Lays the package into `app/node_modules/cambium` as an install would: its package.json and
 * the entries of its `files` list, copied. Neither `npm install ./pkg` nor a symlink: npm links
 * a local directory instead of copying it, and through a link Vite sees the real path outside
 * node_modules and treats the package as linked source, not as an installed dependency; and an
 * install would cost time and a registry reachable for nothing. Copying only what `files`
 * publishes also fails the test if the list leaves out a file the bundle needs.
 */
function installPackage(app) {
  const manifest = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'));
  const target = join(app, 'node_modules', 'cambium');
  mkdirSync(target, { recursive: true });
  cpSync(join(PKG, 'package.json'), join(target, 'package.json'));
  for (const entry of manifest.files) cpSync(join(PKG, entry), join(target, entry), { recursive: true });
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

test('an app bundled by Vite opens, commits and reads a database on IndexedDB', { timeout: 120_000 }, async (t) => {
  const app = join(dir, 'app');
  const dist = join(dir, 'dist');
  mkdirSync(app);
  writeFileSync(join(app, 'index.html'), INDEX_HTML);
  writeFileSync(join(app, 'main.js'), MAIN_JS);
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify({ name: 'cambium-vite-app', private: true, type: 'module', dependencies: { cambium: `file:${PKG}` } }, null, 2)}\n`,
  );
  installPackage(app);

  // A plain production build with Vite's defaults, as `npx vite build` would run it; no config
  // file, so nothing the repository has around it changes the outcome.
  let started = Date.now();
  await build({
    root: app,
    configFile: false,
    logLevel: 'warn',
    build: { outDir: dist, emptyOutDir: true },
  });
  t.diagnostic(`vite build took ${Date.now() - started} ms`);

  // The wasm file is an emitted asset, byte for byte the package's, and the bundle names it.
  const assets = readdirSync(join(dist, 'assets'));
  const wasm = assets.filter((name) => name.endsWith('.wasm'));
  assert.equal(wasm.length, 1, `one wasm asset in ${JSON.stringify(assets)}`);
  assert.match(wasm[0], /^cambium_bg-.+\.wasm$/);
  assert.equal(
    sha256(readFileSync(join(dist, 'assets', wasm[0]))),
    sha256(readFileSync(join(PKG, 'web', 'cambium_bg.wasm'))),
    'the emitted wasm is the package’s',
  );
  const scripts = assets.filter((name) => name.endsWith('.js'));
  assert.ok(scripts.length >= 1, `a script in ${JSON.stringify(assets)}`);
  assert.ok(
    scripts.some((name) => readFileSync(join(dist, 'assets', name), 'utf8').includes(wasm[0])),
    `a script of ${JSON.stringify(scripts)} loads ${wasm[0]}`,
  );
  // The bundle took the web build: the Node build reads its wasm with `readFileSync`.
  for (const name of scripts) {
    assert.doesNotMatch(readFileSync(join(dist, 'assets', name), 'utf8'), /readFileSync/, `${name} has the Node build`);
  }

  server = await startServer({ mounts: [['/', dist]] });
  started = Date.now();
  browser = await launch();
  const fetched = [];
  browser.context.on('response', (response) => fetched.push(`${response.status()} ${new URL(response.url()).pathname}`));

  /** Loads the app at `search` in a new page; resolves to its `window.result`. */
  const run = async (search) => {
    const page = await browser.context.newPage();
    try {
      await page.goto(server.url(`/${search}`), { timeout: STEP_MS });
      await page.waitForFunction(() => window.result !== undefined || window.failure !== undefined, null, {
        timeout: STEP_MS,
      });
      const { result, failure } = await page.evaluate(() => ({ result: window.result, failure: window.failure }));
      assert.equal(failure, undefined, `the app failed:\n${failure}\n--- browser log ---\n${browser.dumpLogs()}`);
      return result;
    } finally {
      await page.close();
    }
  };

  const fruit = [
    { id: 1, name: 'apple' },
    { id: 2, name: 'pear' },
    { id: 3, name: 'quince' },
  ];
  const log = ['fruit from a Vite bundle', 'Initialize data repository'];
  assert.deepEqual(await run('?write'), { fruit, log });
  assert.ok(fetched.includes(`200 /assets/${wasm[0]}`), `the page loaded the emitted wasm: ${JSON.stringify(fetched)}`);
  // A new page, so a new wasm instance: what it reads came back from IndexedDB.
  assert.deepEqual(await run('?read'), { fruit, log });
  t.diagnostic(`the browser part took ${Date.now() - started} ms`);
});
