// The demo's one HTTP server: the task board app (www/), the browser build of the package under
// /pkg/, and a Cambium remote under /remote that the app clones from, pushes to and pulls from.
// Serving all three from one origin keeps the page free of CORS and makes "offline" mean the
// same thing for the app and its remote. Run it as `node www/serve.mjs [--port N] [--dir DIR]`,
// or import `start` to run it inside a test.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { refuseMalformed, serveStatic } from './static.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const WWW = resolve(ROOT, 'www');
const PKG = resolve(ROOT, 'pkg');
const DEFAULT_DIR = resolve(ROOT, 'target', 'demo-remote');

/** URL prefix → directory, longest prefix first. Only pkg/'s web build and types are public. */
const MOUNTS = [
  ['/pkg/', PKG],
  ['/', WWW],
];

/** What the mounts hold that is not part of the app: the servers, and pkg/ beyond its web build. */
const hidden = (file) =>
  file === resolve(WWW, 'serve.mjs') || file === resolve(WWW, 'static.mjs') || (file.startsWith(PKG + sep) && !file.startsWith(resolve(PKG, 'web') + sep));

/**
 * Starts the server on 127.0.0.1:`port` (0 picks a free port) with the remote's databases under
 * `dir`; resolves to `{ url, remote, port, close() }`.
 */
export async function start({ port = 8080, dir = DEFAULT_DIR } = {}) {
  // The package's server module is CommonJS and loads the Node build of the engine beside it.
  const { createHandler } = createRequire(import.meta.url)(resolve(PKG, 'bin', 'lib', 'server.js'));
  mkdirSync(dir, { recursive: true });
  const remote = createHandler({ dir, prefix: '/remote' });
  const server = createServer((request, response) => {
    // The service worker keeps its own copy for offline use; the HTTP cache would only hide a
    // rebuilt package from a reload.
    remote(request, response, () => serveStatic(request, response, { mounts: MOUNTS, cacheControl: 'no-cache', hidden }));
  });
  refuseMalformed(server);
  await new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', done);
  });
  const actual = server.address().port;
  const url = `http://127.0.0.1:${actual}/`;
  return {
    url,
    remote: `${url}remote/board`,
    port: actual,
    close: () =>
      new Promise((done) => {
        remote.close();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, dir: { type: 'string' } },
  });
  const port = Number(values.port ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`not a port: ${values.port ?? process.env.PORT}`);
    process.exit(1);
  }
  const dir = values.dir ? resolve(values.dir) : DEFAULT_DIR;
  const running = await start({ port, dir });
  console.log(`Cambium demo at ${running.url}`);
  console.log(`Remote server at ${running.remote} (databases under ${dir})`);
  console.log('Open the address in two browser profiles to see them sync; Ctrl-C stops.');
  const stop = async () => {
    await running.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
