// A static HTTP server for the browser tests: the browser build (pkg/web/) under /pkg/ and the
// test pages (pkg-tests/pages/) under /, on 127.0.0.1 and a port the OS chooses. Serves files
// only from inside those two directories; anything else is 400 (a malformed or escaping path)
// or 404 (absent), and no request can stop it.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, resolve, sep } from 'node:path';

import { PAGES, PKG_WEB } from './paths.mjs';
import { CONTENT_TYPES } from './web.mjs';

const TYPES = CONTENT_TYPES;

/** The mounts, longest prefix first: URL prefix → directory. */
const MOUNTS = [
  ['/pkg/', PKG_WEB],
  ['/', PAGES],
];

/**
 * The file a URL path names, or an HTTP status when it names none: 400 when it cannot be
 * decoded or leaves its directory, 404 when it is not under a mount.
 */
export function resolvePath(urlPath, mounts = MOUNTS) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return 400;
  }
  if (path.includes('\0') || path.includes('\\') || !path.startsWith('/')) return 400;
  if (path.endsWith('/')) path += 'index.html';
  for (const [prefix, dir] of mounts) {
    if (!path.startsWith(prefix)) continue;
    const root = resolve(dir);
    const file = resolve(root, `.${path.slice(prefix.length - 1)}`);
    // `resolve` removed every `..`; what is left must still be inside the mount.
    if (!file.startsWith(root + sep)) return 400;
    return file;
  }
  return 404;
}

/** Starts the server; resolves to `{ origin, url(path), close() }`. */
export async function startServer({ mounts = MOUNTS } = {}) {
  const server = createServer(async (request, response) => {
    const fail = (status) => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`${status}\n`);
    };
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') return fail(405);
      const urlPath = (request.url ?? '').split(/[?#]/)[0];
      const file = resolvePath(urlPath, mounts);
      if (typeof file === 'number') return fail(file);
      let info;
      try {
        info = await stat(file);
      } catch {
        return fail(404);
      }
      if (!info.isFile()) return fail(404);
      response.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': 'no-store',
      });
      if (request.method === 'HEAD') return response.end();
      const stream = createReadStream(file);
      stream.on('error', () => response.destroy());
      stream.pipe(response);
    } catch {
      if (!response.headersSent) fail(500);
      else response.destroy();
    }
  });
  // A malformed request gets a 400 rather than an 'error' event that could end the process.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
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
