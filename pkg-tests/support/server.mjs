// A static HTTP server for the browser tests: the browser build (pkg/web/) under /pkg/ and the
// test pages (pkg-tests/pages/) under /, on 127.0.0.1 and a port the OS chooses. Serves files
// only from inside those two directories; anything else is 400 (a malformed or escaping path)
// or 404 (absent), and no request can stop it.
import { createServer } from 'node:http';

import { refuseMalformed, serveStatic } from '../../www/static.mjs';
import { PAGES, PKG_WEB } from './paths.mjs';

/** The mounts, longest prefix first: URL prefix → directory. */
const MOUNTS = [
  ['/pkg/', PKG_WEB],
  ['/', PAGES],
];

/** Starts the server; resolves to `{ origin, url(path), close() }`. */
export async function startServer({ mounts = MOUNTS } = {}) {
  const server = createServer((request, response) => serveStatic(request, response, { mounts, cacheControl: 'no-store' }));
  refuseMalformed(server);
  await new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', done);
  });
  const { port } = server.address();
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
