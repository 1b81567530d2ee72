// Replication figures over loopback HTTP, with `cambium remote-server` as a child process on
// 127.0.0.1: the lag from a primary's commit returning to a read replica seeing the row, for a
// polling replica (querying in a loop, each query pulling first) and for a live one (its
// `change` event, then a read), as p50 and p99 over many commits; and the commits per second
// of a primary without replication, with synchronous and with asynchronous replication; and the
// time of one read on each kind of replica while nothing changes.
// Prints one line of JSON per figure in the shape of bench-data.mjs's `figure()`.
//   node benches/replication-bench.mjs [--commits=N] [--rounds=N] [--smoke]
// Builds nothing: expects `bash scripts/build-pkg.sh` to have made pkg/.
//
// The primary of the lag figures runs in a worker thread, so that its commits and the replica's
// reads do not take turns on one event loop; both stamp times with `performance.timeOrigin +
// performance.now()`, one clock for the whole process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

import { figure } from './bench-data.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const found = args.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
};
const smoke = args.includes('--smoke');
/** Commits whose lag is measured, per kind of replica. */
const LAG_COMMITS = flag('commits', smoke ? 20 : 250);
/** Rounds of the commit-rate figures, and commits per round. */
const ROUNDS = flag('rounds', smoke ? 2 : 5);
const RATE_COMMITS = smoke ? 20 : 100;
/** Reads timed on each kind of replica once its commits are in. */
const READS = smoke ? 20 : 200;
/** The primary's pause between two measured commits, so that each lands on a replica at rest
 *  (or, for the polling one, somewhere in its loop) rather than in a queue of commits. */
const COMMIT_GAP_MS = 10;

const require = createRequire(import.meta.url);
const pkg = new URL('../pkg/', import.meta.url).pathname;
const { Database } = require(path.join(pkg, 'node/cambium.js'));
const now = () => performance.timeOrigin + performance.now();
const COMMIT = "INSERT INTO t VALUES (?); CALL dolt_commit('-am', 'one row')";

/** A primary of `url` (memory storage) holding table `t`, pushed, replicating every commit. */
async function primary(name, url) {
  const db = await Database.open(name, { storage: 'memory' });
  await db.exec(
    `CREATE TABLE t (id INT PRIMARY KEY); CALL dolt_commit('-Am', 'table');
     CALL dolt_remote('add', 'origin', '${url}'); CALL dolt_push('origin', 'main');
     SET PERSIST @@GLOBAL.dolt_replicate_to_remote = 'origin'`,
  );
  return db;
}

/** Starts `cambium remote-server` over `dir` on a free port; resolves to it and its port. */
function startServer(dir) {
  const bin = path.join(pkg, 'bin/cambium.js');
  const child = spawn(process.execPath, [bin, 'remote-server', '--dir', dir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (data) => {
      out += data;
      const match = out.match(/ at http:\/\/127\.0\.0\.1:(\d+)\//);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  });
}

/** The value below which `share` of the sorted `values` lie. */
const percentile = (values, share) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))];
};

async function main() {
  const work = mkdtempSync(path.join(os.tmpdir(), 'cambium-replication-bench-'));
  const { child, port } = await startServer(path.join(work, 'remote'));
  const base = `http://127.0.0.1:${port}`;
  const print = (f) => console.log(JSON.stringify(f));
  try {
    const writer = new Worker(new URL(import.meta.url), { workerData: { url: `${base}/lag` } });
    const messages = [];
    let wake = () => {};
    writer.on('message', (message) => {
      messages.push(message);
      wake();
    });
    writer.on('error', (error) => {
      throw error;
    });
    const heard = async (test) => {
      for (;;) {
        const at = messages.findIndex(test);
        if (at >= 0) return messages.splice(at, 1)[0];
        await new Promise((resolve) => (wake = resolve));
      }
    };
    await heard((m) => m.ready);

    // Each kind of replica watches its own run of commits: `watch(replica, until)` starts
    // reading and answers, once every row up to `until` was seen, when each id was first seen.
    const replica = async (name) => {
      const db = await Database.clone(`${base}/lag`, name, { storage: 'memory' });
      await db.exec(
        `SET PERSIST @@GLOBAL.dolt_read_replica_remote = 'origin';
         SET PERSIST @@GLOBAL.dolt_replicate_heads = 'main'`,
      );
      return db;
    };
    const latest = async (db) => (await db.query('SELECT MAX(id) AS m FROM t')).rows[0].m ?? -1;
    const polling = async (db, from, until, seen) => {
      for (let last = from - 1; last < until; ) {
        const m = await latest(db);
        const at = now();
        for (; last < m; last += 1) seen.set(last + 1, at);
      }
    };
    const live = (db, from, until, seen) =>
      new Promise((resolve) => {
        let last = from - 1;
        const listener = async () => {
          const m = await latest(db);
          const at = now();
          for (; last < m; last += 1) seen.set(last + 1, at);
          if (last >= until) {
            db.removeEventListener('change', listener);
            resolve();
          }
        };
        db.addEventListener('change', listener);
      });

    const lags = {};
    const reads = {};
    let from = 0;
    for (const [kind, watch] of [
      ['polling', polling],
      ['live', live],
    ]) {
      const db = await replica(kind);
      if (kind === 'live') await db.subscribe();
      const until = from + LAG_COMMITS - 1;
      const seen = new Map();
      const watching = watch(db, from, until, seen);
      writer.postMessage({ from, count: LAG_COMMITS });
      await heard((m) => m.done);
      await watching;
      const committed = messages.filter((m) => m.id >= from && m.id <= until);
      lags[kind] = committed.map((m) => seen.get(m.id) - m.at);
      reads[kind] = [];
      for (let read = 0; read < READS; read += 1) {
        const t0 = performance.now();
        await latest(db);
        reads[kind].push(performance.now() - t0);
      }
      await db.close();
      from = until + 1;
    }
    await writer.terminate();
    for (const [kind, label] of [
      ['polling', 'polling replica (each query pulls)'],
      ['live', 'live replica (change event, then a read)'],
    ]) {
      const name = `replica lag, ${label}`;
      print({ ...figure('cambium', `${name}, p50`, 'ms', [percentile(lags[kind], 0.5)]), runs: lags[kind].length });
      print({ ...figure('cambium', `${name}, p99`, 'ms', [percentile(lags[kind], 0.99)]), runs: lags[kind].length });
    }
    print(figure('cambium', 'a read of the polling replica (pulls first), nothing new', 'ms', reads.polling));
    print(figure('cambium', 'a read of the live replica, nothing new', 'ms', reads.live));

    // Commits per second of a primary, each mode in each round, the modes alternating so that
    // all see the machine in the same state.
    const modes = {
      'no replication': '',
      'synchronous replication': "SET PERSIST @@GLOBAL.dolt_replicate_to_remote = 'origin'",
      'asynchronous replication':
        "SET PERSIST @@GLOBAL.dolt_replicate_to_remote = 'origin'; SET PERSIST @@GLOBAL.dolt_async_replication = 1",
    };
    const rates = Object.fromEntries(Object.keys(modes).map((mode) => [mode, []]));
    let round = 0;
    for (; round < ROUNDS; round += 1) {
      for (const [mode, settings] of Object.entries(modes)) {
        const name = `rate${round}${mode.length}`;
        const db = await Database.open(name, { storage: 'memory' });
        await db.exec(
          `CREATE TABLE t (id INT PRIMARY KEY); CALL dolt_commit('-Am', 'table');
           CALL dolt_remote('add', 'origin', '${base}/${name}'); CALL dolt_push('origin', 'main')`,
        );
        if (settings) await db.exec(settings);
        const t0 = performance.now();
        for (let id = 0; id < RATE_COMMITS; id += 1) await db.query(COMMIT, [id]);
        rates[mode].push(RATE_COMMITS / ((performance.now() - t0) / 1e3));
        // An asynchronous primary's close pushes what still waits, outside the timed part.
        await db.close();
      }
    }
    for (const [mode, samples] of Object.entries(rates)) {
      print(figure('cambium', `commits of one row on the primary, ${mode}`, 'commits/s', samples));
    }
  } finally {
    child.kill();
    rmSync(work, { recursive: true, force: true });
  }
}

if (!isMainThread) {
  // The worker: the primary, committing row after row when told and reporting when each
  // commit returned.
  const db = await primary('primary', workerData.url);
  parentPort.postMessage({ ready: true });
  parentPort.on('message', async ({ from, count }) => {
    for (let id = from; id < from + count; id += 1) {
      await db.query(COMMIT, [id]);
      parentPort.postMessage({ id, at: now() });
      await new Promise((resolve) => setTimeout(resolve, COMMIT_GAP_MS));
    }
    parentPort.postMessage({ done: true });
  });
} else {
  await main();
}
