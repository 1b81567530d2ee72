// The static server of the browser tests: what it serves, with which types, and that no path
// leaves the served directories or stops it.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';

import { needWeb } from '../support/paths.mjs';
import { startServer } from '../support/server.mjs';

let server;
before(async () => {
  needWeb();
  server = await startServer();
});
after(() => server.close());

/** Sends `path` byte for byte (no URL normalisation); resolves to { status, type, body }. */
function get(path, method = 'GET') {
  const { hostname, port } = new URL(server.origin);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method }, (res) => {
      const parts = [];
      res.on('data', (part) => parts.push(part));
      res.on('end', () =>
        resolve({ status: res.statusCode, type: res.headers['content-type'], body: Buffer.concat(parts) }),
      );
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer for ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

test('listens on 127.0.0.1 on a port the OS chose', () => {
  assert.match(server.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(new URL(server.origin).port, '');
});

test('serves the package and the pages with their types', async () => {
  const wasm = await get('/pkg/cambium_bg.wasm');
  assert.equal(wasm.status, 200);
  assert.equal(wasm.type, 'application/wasm');
  assert.deepEqual([...wasm.body.subarray(0, 4)], [0, 0x61, 0x73, 0x6d], 'wasm magic');
  for (const path of ['/pkg/cambium.js', '/harness.mjs', '/worker.mjs']) {
    const js = await get(path);
    assert.equal(js.status, 200, path);
    assert.match(js.type, /^text\/javascript/, path);
  }
  const index = await get('/');
  assert.equal(index.status, 200);
  assert.match(index.type, /^text\/html/);
  assert.match(index.body.toString(), /harness\.mjs/);
  assert.equal((await get('/index.html?cache=bust#x')).status, 200);
  const head = await get('/pkg/cambium.js', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
});

test('absent files are 404, other methods 405', async () => {
  assert.equal((await get('/nope.js')).status, 404);
  assert.equal((await get('/pkg/nope.wasm')).status, 404);
  assert.equal((await get('/pkg/')).status, 404, 'no directory listing');
  assert.equal((await get('/index.html', 'POST')).status, 405);
});

test('paths that leave the served directories are refused', async () => {
  for (const path of [
    '/../package.json',
    '/../../Cargo.toml',
    '/pkg/../../Cargo.toml',
    '/pkg/../node/cambium.js',
    '/%2e%2e/package.json',
    '/pkg/%2e%2e%2f%2e%2e%2fCargo.toml',
    '/pkg/..%2f..%2fCargo.toml',
    '/..%5c..%5cCargo.toml',
    '/pkg/%00cambium.js',
    '/%zz',
    '//etc/passwd',
  ]) {
    const { status, body } = await get(path);
    assert.ok(status === 400 || status === 404, `${path} answered ${status}`);
    assert.doesNotMatch(body.toString(), /\[package\]|root:/, path);
  }
  // A path that climbs and comes back inside its mount is still inside it; one that climbs out
  // of /pkg/ is refused even where the other mount has the file (browsers normalise first).
  assert.equal((await get('/pkg/sub/../cambium.js')).status, 200);
  assert.equal((await get('/pkg/../harness.mjs')).status, 400);
  // Still serving.
  assert.equal((await get('/harness.mjs')).status, 200);
});
