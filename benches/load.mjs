// The remote server under load: `cambium remote-server` as a child process on 127.0.0.1 and many
// clients (databases of the Node build on memory storage, spread over several worker processes so
// that their work does not queue on one event loop) each committing a row, pushing it to one
// branch (after a non-fast-forward: pulling, which merges, and pushing again) and pulling, for a
// bounded time. Prints requests per second (counted by each worker around `fetch`, which the
// engine's HTTP client calls for every request), pushes and pulls per second, client errors by
// code (only `non_fast_forward` is expected; anything else is printed loudly), HTTP answers by
// status, the server's resident memory (VmRSS, sampled every second) at the start, its maximum and
// at the end and whether it held flat after the first third of the run, the remote's size on disk,
// and whether every acknowledged commit and row is in a clone of the remote afterwards.
//   node benches/load.mjs [--clients=50] [--seconds=30] [--workers=5] [--json]
// Builds nothing: expects `bash scripts/build-pkg.sh` to have made pkg/. pkg-tests/node/
// load.test.mjs runs `runLoad` with small numbers and checks correctness only.
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { startServer } from '../pkg-tests/node/support.mjs';

const require = createRequire(import.meta.url);
const pkg = new URL('../pkg/', import.meta.url).pathname;
const { Database } = require(path.join(pkg, 'node/cambium.js'));

/** The one error a client is expected to see: its push lost the race to another client's. */
const EXPECTED_ERROR = 'non_fast_forward';
/** Pushes a client tries in a row before it commits again (the next push carries both). */
const PUSH_ATTEMPTS_MAX = 20;
/** The largest pause, in ms, a client takes after losing a push, drawn at random so that the
 *  losers of one race do not all come back at the same moment. */
const BACKOFF_MS_MAX = 50;
/** Ids of one client's rows start at its number times this, so no two clients' rows collide
 *  and a merge never conflicts. */
const ROWS_PER_CLIENT = 1_000_000;
/** The server's memory counts as flat when no sample after the first third of the run (its
 *  warm-up: stores opened, first allocations) is more than this much above the sample there. */
const RSS_GROWTH_FLAT_MAX = 0.1;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server process's resident memory in bytes, from /proc. */
function residentBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/^VmRSS:\s+(\d+) kB$/m)[1]) * 1024;
}

/**
 * Counts every request the engine sends through the global `fetch` in `counts`, by the endpoint
 * (the URL's last segment) and the answer's status: `requests` in total, `byStatus` per status.
 */
function countRequests(counts) {
  const fetchOnce = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const answer = await fetchOnce(input, init);
    counts.requests += 1;
    counts.byStatus[answer.status] = (counts.byStatus[answer.status] ?? 0) + 1;
    return answer;
  };
}

/** The figures of one worker, or of all, before anything ran. */
const emptyTally = () => ({ requests: 0, byStatus: {}, pushes: 0, pulls: 0, unpushed: 0, errors: {}, unexpected: [], acknowledged: [] });

/** Adds `error` to `tally` ({ errors: code → count, unexpected: [messages] }). */
function noteError(tally, error) {
  const code = error?.code ?? 'no_code';
  tally.errors[code] = (tally.errors[code] ?? 0) + 1;
  if (code !== EXPECTED_ERROR && tally.unexpected.length < 20) tally.unexpected.push(`${code}: ${error?.message}`);
}

/**
 * One client until `deadline` (ms since the epoch): commits a row, pushes it (after a
 * non-fast-forward: pulls, which merges, and pushes again, until the deadline), pulls. Adds its
 * figures to `tally`, and to `tally.acknowledged` every commit of its own, with its row, once a
 * push that carries it succeeded (a commit whose pushes all lost goes out with the next one).
 */
async function client(db, number, deadline, tally) {
  const pending = [];
  for (let seq = 0; Date.now() < deadline; seq++) {
    const id = number * ROWS_PER_CLIENT + seq;
    try {
      const { rows } = await db.query(`INSERT INTO t VALUES (?, ?); CALL dolt_commit('-am', 'row ${id}')`, [id, number]);
      pending.push({ hash: rows[0].hash, id });
    } catch (error) {
      noteError(tally, error);
      continue;
    }
    for (let attempt = 1; attempt <= PUSH_ATTEMPTS_MAX && Date.now() < deadline; attempt++) {
      try {
        await db.query("CALL dolt_push('origin', 'main')");
        tally.pushes += 1;
        tally.acknowledged.push(...pending.splice(0));
        break;
      } catch (error) {
        noteError(tally, error);
        if (error?.code !== EXPECTED_ERROR) break;
      }
      await sleep(Math.random() * BACKOFF_MS_MAX);
      try {
        await db.query("CALL dolt_pull('origin')");
        tally.pulls += 1;
      } catch (error) {
        noteError(tally, error);
      }
    }
    try {
      await db.query("CALL dolt_pull('origin')");
      tally.pulls += 1;
    } catch (error) {
      noteError(tally, error);
    }
  }
  tally.unpushed += pending.length;
}

/** A worker process: clones the remote once per client it was given, then waits for the start. */
async function worker() {
  const tally = emptyTally();
  countRequests(tally);
  process.once('message', async ({ url, numbers }) => {
    const dbs = [];
    for (const number of numbers) dbs.push(await Database.clone(url, `client${number}`, { storage: 'memory' }));
    process.send({ ready: true });
    process.once('message', async ({ deadline }) => {
      // The clones' requests are set-up, not load.
      tally.requests = 0;
      tally.byStatus = {};
      await Promise.all(dbs.map((db, i) => client(db, numbers[i], deadline, tally)));
      process.send({ tally });
      process.disconnect();
    });
  });
}

/** Sends `message` to the worker `child` and resolves to its answer. */
const ask = (child, message) =>
  new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`a load worker exited (${code}) before answering`)));
    child.send(message);
  });

/**
 * Runs `clients` clients in `workers` processes against a new `cambium remote-server` for
 * `seconds`; resolves to the figures (see the top of this file) and `missing`, the acknowledged
 * commits and rows a clone of the remote lacks afterwards.
 */
export async function runLoad({ clients = 50, seconds = 30, workers = 5 } = {}) {
  const work = mkdtempSync(path.join(os.tmpdir(), 'cambium-load-'));
  const server = await startServer(path.join(work, 'remote'), { ...process.env, HOME: work });
  const children = [];
  try {
    const url = `${server.url}load`;
    const seed = await Database.open('seed', { storage: 'memory' });
    await seed.exec(
      `CREATE TABLE t (id BIGINT PRIMARY KEY, client INT); CALL dolt_commit('-Am', 'table');
       CALL dolt_remote('add', 'origin', '${url}'); CALL dolt_push('origin', 'main')`,
    );
    await seed.close();

    const numbers = Array.from({ length: clients }, (_, i) => i + 1);
    const ready = [];
    for (let w = 0; w < workers; w++) {
      const child = fork(fileURLToPath(import.meta.url), ['--worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      ready.push(ask(child, { url, numbers: numbers.filter((n) => n % workers === w) }));
    }
    await Promise.all(ready);

    const pid = server.child.pid;
    const rss = [residentBytes(pid)];
    const sampler = setInterval(() => rss.push(residentBytes(pid)), 1_000);
    const started = Date.now();
    const deadline = started + seconds * 1_000;
    const tallies = (await Promise.all(children.map((child) => ask(child, { deadline })))).map((m) => m.tally);
    const elapsed = (Date.now() - started) / 1_000;
    clearInterval(sampler);
    rss.push(residentBytes(pid));

    const total = emptyTally();
    for (const tally of tallies) {
      for (const key of ['requests', 'pushes', 'pulls', 'unpushed']) total[key] += tally[key];
      for (const [status, n] of Object.entries(tally.byStatus)) total.byStatus[status] = (total.byStatus[status] ?? 0) + n;
      for (const [code, n] of Object.entries(tally.errors)) total.errors[code] = (total.errors[code] ?? 0) + n;
      total.unexpected.push(...tally.unexpected);
      total.acknowledged.push(...tally.acknowledged);
    }

    // Every acknowledged commit and row must be in the remote's history.
    const clone = await Database.clone(url, 'verify', { storage: 'memory' });
    const history = new Set((await clone.query('SELECT commit_hash FROM dolt_log')).rows.map((r) => r.commit_hash));
    const stored = new Set((await clone.query('SELECT id FROM t')).rows.map((r) => Number(r.id)));
    await clone.close();
    const missing = total.acknowledged.filter(({ hash, id }) => !history.has(hash) || !stored.has(id));
    // What the server holds on disk, beside which its memory's growth is read.
    const remote = path.join(work, 'remote');
    const remoteBytes = readdirSync(remote, { recursive: true }).reduce((sum, file) => sum + statSync(path.join(remote, file)).size, 0);

    const warm = Math.floor(rss.length / 3);
    return {
      clients,
      workers,
      seconds: elapsed,
      requests: total.requests,
      requestsPerSecond: total.requests / elapsed,
      answersByStatus: total.byStatus,
      pushes: total.pushes,
      pushesPerSecond: total.pushes / elapsed,
      pulls: total.pulls,
      pullsPerSecond: total.pulls / elapsed,
      errors: total.errors,
      unexpectedErrors: total.unexpected,
      acknowledgedCommits: total.acknowledged.length,
      unpushedCommits: total.unpushed,
      commitsInRemote: history.size,
      remoteBytes,
      missing,
      rss: {
        startBytes: rss[0],
        maxBytes: Math.max(...rss),
        endBytes: rss.at(-1),
        samples: rss,
        warmBytes: rss[warm],
        flat: Math.max(...rss.slice(warm)) <= rss[warm] * (1 + RSS_GROWTH_FLAT_MAX),
      },
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The figures as lines for a person. */
function describe(result) {
  const mib = (bytes) => `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  const rate = (n) => n.toFixed(1);
  const lines = [
    `${result.clients} clients in ${result.workers} processes for ${result.seconds.toFixed(1)} s`,
    `requests: ${result.requests} (${rate(result.requestsPerSecond)}/s); answers by status: ${JSON.stringify(result.answersByStatus)}`,
    `pushes: ${result.pushes} (${rate(result.pushesPerSecond)}/s); pulls: ${result.pulls} (${rate(result.pullsPerSecond)}/s)`,
    `client errors by code: ${JSON.stringify(result.errors)}`,
    `server RSS: start ${mib(result.rss.startBytes)}, after the first third ${mib(result.rss.warmBytes)}, ` +
      `max ${mib(result.rss.maxBytes)}, end ${mib(result.rss.endBytes)} over ${result.rss.samples.length} samples; ` +
      `${result.rss.flat ? 'held flat' : 'GREW more than 10% after the first third'}`,
    `server RSS every 5 s: ${result.rss.samples.filter((_, i) => i % 5 === 0).map(mib).join(', ')}`,
    `acknowledged commits: ${result.acknowledgedCommits} (${result.unpushedCommits} still unpushed at the end); ` +
      `commits in the remote's history (merges included): ${result.commitsInRemote}, ${mib(result.remoteBytes)} on disk; ` +
      `acknowledged but missing: ${result.missing.length}`,
  ];
  if (result.unexpectedErrors.length > 0) {
    lines.push('UNEXPECTED ERRORS:', ...result.unexpectedErrors.map((message) => `  ${message}`));
  }
  if (result.missing.length > 0) lines.push(`MISSING COMMITS: ${JSON.stringify(result.missing.slice(0, 20))}`);
  return lines.join('\n');
}

if (process.argv.includes('--worker')) {
  await worker();
} else if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const flag = (name, fallback) => {
    const found = process.argv.find((a) => a.startsWith(`--${name}=`));
    return found ? Number(found.split('=')[1]) : fallback;
  };
  const result = await runLoad({ clients: flag('clients', 50), seconds: flag('seconds', 30), workers: flag('workers', 5) });
  console.log(process.argv.includes('--json') ? JSON.stringify(result) : describe(result));
  if (result.unexpectedErrors.length > 0 || result.missing.length > 0) process.exitCode = 1;
}
