// The demo's one HTTP server: the task board app (www/), the browser build of the package under
// /pkg/, and a Cambium remote under /remote that the app clones from, pushes to and pulls from.
// Serving all three from one origin keeps the page free of CORS and makes "offline" mean the
// same thing for the app and its remote. Run it as `node www/serve.mjs [--port N] [--dir DIR]`,
// or import `start` to run it inside a test.
import { createReadStream, mkdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const WWW = resolve(ROOT, 'www');
const PKG = resolve(ROOT, 'pkg');
const DEFAULT_DIR = resolve(ROOT, 'target', 'demo-remote');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ts': 'text/plain; charset=utf-8',
};

/** URL prefix → directory, longest prefix first. Only pkg/'s web build and types are public. */
const MOUNTS = [
  ['/pkg/', PKG],
  ['/', WWW],
];

/** The file a URL path names inside a mount, or an HTTP status when it names none. */
function resolvePath(urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return 400;
  }
  if (path.includes('\0') || path.includes('\\') || !path.startsWith('/')) return 400;
  if (path.endsWith('/')) path += 'index.html';
  for (const [prefix, dir] of MOUNTS) {
    if (!path.startsWith(prefix)) continue;
    const file = resolve(dir, `.${path.slice(prefix.length - 1)}`);
    // `resolve` removed every `..`; what is left must still be inside the mount.
    if (!file.startsWith(dir + sep)) return 400;
    // The server itself is not part of the app, and pkg/ holds more than the browser needs.
    if (dir === WWW && file === resolve(WWW, 'serve.mjs')) return 404;
    if (dir === PKG && !file.startsWith(resolve(PKG, 'web') + sep)) return 404;
    return file;
  }
  return 404;
}

/** Answers a GET or HEAD for a static file. */
async function serveFile(request, response) {
  const fail = (status) => {
    response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`${status}\n`);
  };
  if (request.method !== 'GET' && request.method !== 'HEAD') return fail(405);
  const file = resolvePath((request.url ?? '/').split(/[?#]/)[0]);
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
    // The service worker keeps its own copy for offline use; the HTTP cache would only hide a
    // rebuilt package from a reload.
    'cache-control': 'no-cache',
  });
  if (request.method === 'HEAD') return response.end();
  const stream = createReadStream(file);
  stream.on('error', () => response.destroy());
  stream.pipe(response);
}

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
    remote(request, response, () => {
      serveFile(request, response).catch(() => {
        if (!response.headersSent) response.writeHead(500).end();
        else response.destroy();
      });
    });
  });
  // A malformed request gets a 400 rather than an 'error' event that would end the process.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
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
