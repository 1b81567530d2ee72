// What the tests that drive the `cambium` command share (the Node tests, and the browser tests
// that need a remote): a scratch directory per test file (with its own HOME, so the user's global
// config is never read or written), the command run as a child process in it, and `cambium
// remote-server` started as a child process on 127.0.0.1.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

import { ROOT, sleep, within } from '../support/paths.mjs';

/** The command of the built package. */
export const BIN = join(ROOT, 'pkg', 'bin', 'cambium.js');

/** Asserts that `cambium args…` succeeded; returns its stdout. */
function succeeded(args, result) {
  assert.equal(result.status, 0, `cambium ${args.join(' ')} failed: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Asserts that `cambium args…` failed with stderr matching `pattern`; returns the result. */
function failed(args, result, pattern) {
  assert.notEqual(result.status, 0, `cambium ${args.join(' ')} succeeded: ${result.stdout}`);
  assert.match(result.stderr, pattern);
  return result;
}

/**
 * A new scratch directory named after `prefix`, removed when the test file ends, and the ways to
 * run `cambium` in directories under it: `run` and `runAsync` give `{ status, stdout, stderr }`,
 * `ok` asserts success and gives stdout, `fails` asserts failure with stderr matching a pattern;
 * `okAsync` and `failsAsync` do the same without blocking, so that several commands (and the
 * tests waiting for them) can run at once. Every run has `HOME` inside the scratch directory and
 * `TZ=UTC`.
 */
export function scratchSpace(prefix) {
  const scratch = mkdtempSync(join(tmpdir(), prefix));
  const home = join(scratch, 'home');
  mkdirSync(home);
  after(() => rmSync(scratch, { recursive: true, force: true }));
  const env = { ...process.env, HOME: home, TZ: 'UTC' };
  let dirs = 0;

  /** Runs `cambium args…` in `cwd`, with `extraEnv` added to the environment; returns
   *  `{ status, stdout, stderr }`. */
  function run(cwd, args, extraEnv = {}) {
    const child = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...env, ...extraEnv } });
    if (child.error) throw child.error;
    return { status: child.status, stdout: child.stdout, stderr: child.stderr };
  }

  /** Runs `cambium args…` in `cwd` without waiting; resolves to `{ status, stdout, stderr }`. */
  function runAsync(cwd, args) {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (part) => (stdout += part));
      child.stderr.on('data', (part) => (stderr += part));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  }

  return {
    scratch,
    home,
    env,
    run,

    /** A new empty directory named after `name` (unique). */
    freshDir(name) {
      const dir = join(scratch, `${name}${++dirs}`);
      mkdirSync(dir);
      return dir;
    },

    runAsync,

    /** Runs a command that must succeed and returns its stdout. */
    ok: (cwd, args, extraEnv) => succeeded(args, run(cwd, args, extraEnv)),

    /** Runs a command that must fail, with its stderr matching `pattern`; returns the result. */
    fails: (cwd, args, pattern, extraEnv) => failed(args, run(cwd, args, extraEnv), pattern),

    /** `ok` without blocking: resolves to the stdout of a command that must succeed. */
    okAsync: async (cwd, args) => succeeded(args, await runAsync(cwd, args)),

    /** `fails` without blocking. */
    failsAsync: async (cwd, args, pattern) => failed(args, await runAsync(cwd, args), pattern),
  };
}

/**
 * Starts `cambium remote-server --port 0` on 127.0.0.1 over `dir` with the environment `env` and
 * the further arguments `args` (such as `['--cors', origin]`), and resolves once it listens (to
 * its URL, port, child process, a promise of its exit, `output()`, all it printed on stdout and
 * stderr so far, and `stop`).
 */
export async function startServer(dir, env, args = []) {
  const child = spawn(process.execPath, [BIN, 'remote-server', '--dir', dir, '--port', '0', '--host', '127.0.0.1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (part) => (stderr += part));
  const started = new Promise((resolve, reject) => {
    child.stdout.on('data', (part) => {
      stdout += part;
      const match = stdout.match(/ at (http:\/\/127\.0\.0\.1:(\d+)\/)\n/);
      if (match) resolve({ url: match[1], port: Number(match[2]) });
    });
    exited.then(({ code }) => reject(new Error(`the remote server exited (${code}) before listening: ${stderr}`)));
  });
  const { url, port } = await within(20_000, 'the remote server starting', started);
  return {
    url,
    port,
    child,
    exited,
    output: () => stdout + stderr,
    async stop() {
      child.kill('SIGTERM');
      return within(10_000, 'the remote server stopping', exited);
    },
  };
}

/**
 * An HTTP relay on 127.0.0.1 in front of the server on `port`, which `retarget` changes. It keeps
 * the requests it forwarded (`{ method, path, authorization }`) in `seen` and streams answers as
 * they come, cutting the client's connection when the server's breaks. `fault(request)` picks,
 * per request, what the link does to it: `undefined` or `{ kind: 'pass' }` forwards it;
 * `{ kind: 'delay', ms }` forwards it late; `{ kind: 'lose-request' }` cuts the connection before
 * the server sees the request; `{ kind: 'lose-answer' }` lets the server carry it out, then cuts
 * the connection before the answer; `{ kind: 'truncate' }` passes half of the answer's body, then
 * cuts; `{ kind: 'kill', kill }` forwards the request and calls `kill()` (which stops the server)
 * once the whole request went out.
 */
export async function startRelay(port, fault = () => undefined) {
  let target = port;
  const seen = [];
  const server = createServer(async (req, res) => {
    seen.push({ method: req.method, path: req.url, authorization: req.headers.authorization });
    const chosen = fault(req) ?? { kind: 'pass' };
    if (chosen.kind === 'lose-request') {
      req.socket.destroy();
      return;
    }
    if (chosen.kind === 'delay') await sleep(chosen.ms);
    const upstream = request(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (chosen.kind === 'lose-answer') {
          answer.resume();
          answer.on('end', () => res.destroy());
          return;
        }
        res.writeHead(answer.statusCode, answer.headers);
        if (chosen.kind === 'truncate') {
          const parts = [];
          answer.on('data', (part) => parts.push(part));
          answer.on('end', () => {
            const body = Buffer.concat(parts);
            res.write(body.subarray(0, body.length >> 1));
            res.destroy();
          });
          return;
        }
        answer.pipe(res);
        answer.on('close', () => {
          if (!answer.complete) res.destroy();
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
    if (chosen.kind === 'kill') req.on('end', () => chosen.kill());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    retarget: (next) => (target = next),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
