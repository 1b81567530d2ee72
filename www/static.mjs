// Static files over Node's http, shared by the demo's server (serve.mjs) and the browser tests'
// server (pkg-tests/support/server.mjs): the file a URL path names under a set of mounts, where
// any path that cannot be decoded or walks out of its mount is refused, served whole with its
// content type. Nothing here is loaded by the page.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

export const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ts': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The file a URL path names under `mounts` (`[prefix, directory]` pairs, longest prefix first),
 * or an HTTP status when it names none: 400 when it cannot be decoded or leaves its directory,
 * 404 when it is under no mount.
 */
export function resolvePath(urlPath, mounts) {
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

/**
 * Answers a request with the file it names under `mounts`: 405 for methods other than GET and
 * HEAD, the status `resolvePath` gives, 404 for what is absent or `hidden(file)`, and 500 (or a
 * cut connection once the answer began) when reading fails. `cacheControl` is sent with files.
 */
export async function serveStatic(request, response, { mounts, cacheControl, hidden = () => false }) {
  const fail = (status) => {
    response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`${status}\n`);
  };
  try {
    if (request.method !== 'GET' && request.method !== 'HEAD') return fail(405);
    const file = resolvePath((request.url ?? '/').split(/[?#]/)[0], mounts);
    if (typeof file === 'number') return fail(file);
    if (hidden(file)) return fail(404);
    let info;
    try {
      info = await stat(file);
    } catch {
      return fail(404);
    }
    if (!info.isFile()) return fail(404);
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': cacheControl,
    });
    if (request.method === 'HEAD') return response.end();
    const stream = createReadStream(file);
    stream.on('error', () => response.destroy());
    stream.pipe(response);
  } catch {
    if (!response.headersSent) fail(500);
    else response.destroy();
  }
}

/** Makes `server` answer a malformed request with 400 rather than an 'error' that ends the process. */
export function refuseMalformed(server) {
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
}
