// Remote figures over loopback HTTP, with `cambium remote-server`'s handler in a child process:
// the clone of a large database (MB/s of chunks served, against the loopback bandwidth
// measured in the same run by the same server process sending one large body), the push
// that created the remote, and the requests and bytes of a one-row push, a one-row pull and a
// pull when nothing changed. Prints one line of JSON per figure in the shape of
// bench-data.mjs's `figure()`.
//   node benches/remote-bench.mjs [--rows=N] [--rounds=N] [--smoke]
// Builds nothing: expects `bash scripts/build-pkg.sh` to have made pkg/.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

import { INSERT, figure, sqlK, sqlV } from './bench-data.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const found = args.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
};
const smoke = args.includes('--smoke');
const ROWS = flag('rows', smoke ? 20_000 : 1_000_000);
const ROUNDS = flag('rounds', smoke ? 2 : 5);
/** Bytes of the body the loopback probe downloads. */
const PROBE_BYTES = 64 << 20;
/** Rows inserted per INSERT statement while building the database. */
const ROWS_PER_STATEMENT = 500;

const require = createRequire(import.meta.url);
const pkg = new URL('../pkg/', import.meta.url).pathname;
const { Database } = require(path.join(pkg, 'node/cambium.js'));

// The server process: the remote's handler behind a counter of requests and bytes, which
// `/stats` reports and resets, and `/probe`, one body of PROBE_BYTES for the loopback figure.
const SERVER = `
  const http = require('node:http');
  const { createHandler } = require(${JSON.stringify(path.join(pkg, 'bin/lib/server.js'))});
  const handler = createHandler({ dir: process.argv[1] });
  const probe = Buffer.alloc(${PROBE_BYTES}, 7);
  let stats = { requests: 0, bytesIn: 0, bytesOut: 0 };
  const server = http.createServer((req, res) => {
    if (req.url === '/stats') {
      res.end(JSON.stringify(stats));
      stats = { requests: 0, bytesIn: 0, bytesOut: 0 };
      return;
    }
    if (req.url === '/probe') return res.end(probe);
    stats.requests += 1;
    req.on('data', (data) => { stats.bytesIn += data.length; });
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    res.write = (data, ...rest) => { if (data) stats.bytesOut += Buffer.byteLength(data); return write(data, ...rest); };
    res.end = (data, ...rest) => { if (data && typeof data !== 'function') stats.bytesOut += Buffer.byteLength(data); return end(data, ...rest); };
    handler(req, res, () => { res.statusCode = 404; res.end(); });
  });
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

function startServer(dir) {
  const child = spawn(process.execPath, ['-e', SERVER, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (data) => resolve({ child, port: Number(String(data).trim()) }));
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
  });
}

const work = mkdtempSync(path.join(os.tmpdir(), 'cambium-remote-bench-'));
const { child, port } = await startServer(path.join(work, 'remote'));
const base = `http://127.0.0.1:${port}`;
const url = `${base}/bench`;
const stats = async () => (await fetch(`${base}/stats`)).json();
const print = (f) => console.log(JSON.stringify(f));

try {
  const source = await Database.open('source', { storage: 'fs', dir: path.join(work, 'local') });
  await source.query('CREATE TABLE t (id BIGINT PRIMARY KEY, k INT, v VARCHAR(100))');
  await source.query('BEGIN');
  for (let id = 0; id < ROWS; id += ROWS_PER_STATEMENT) {
    const count = Math.min(ROWS_PER_STATEMENT, ROWS - id);
    const values = [];
    for (let i = id; i < id + count; i += 1) values.push(i, sqlK(i), sqlV(i));
    const sql = `${INSERT}${', (?, ?, ?)'.repeat(count - 1)}`;
    await source.query(sql, values);
  }
  await source.query('COMMIT');
  await source.query("CALL dolt_commit('-Am', 'rows')");
  await source.query(`CALL dolt_remote('add', 'origin', '${url}')`);

  await stats();
  let t0 = performance.now();
  await source.query("CALL dolt_push('origin', 'main')");
  const pushMs = performance.now() - t0;
  const pushed = await stats();
  print(figure('cambium', `first push of ${ROWS} rows`, 'MB/s', [pushed.bytesIn / 1e6 / (pushMs / 1e3)]));
  print(figure('cambium', `first push of ${ROWS} rows, bytes`, 'MB', [pushed.bytesIn / 1e6]));
  print(figure('cambium', `first push of ${ROWS} rows, requests`, 'requests', [pushed.requests]));

  // Clones and probes alternate, so both see the machine in the same state.
  const cloneRates = [];
  const probeRates = [];
  const ratios = [];
  const cloneRequests = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    t0 = performance.now();
    const body = await (await fetch(`${base}/probe`)).arrayBuffer();
    const probeRate = body.byteLength / 1e6 / ((performance.now() - t0) / 1e3);
    await stats();
    t0 = performance.now();
    const clone = await Database.clone(url, `clone${round}`, { storage: 'fs', dir: path.join(work, 'local') });
    const cloneMs = performance.now() - t0;
    const served = await stats();
    await clone.close();
    const cloneRate = served.bytesOut / 1e6 / (cloneMs / 1e3);
    cloneRates.push(cloneRate);
    probeRates.push(probeRate);
    ratios.push(cloneRate / probeRate);
    cloneRequests.push(served.requests);
  }
  print(figure('cambium', `clone of ${ROWS} rows`, 'MB/s', cloneRates));
  print(figure('cambium', 'loopback HTTP bandwidth, one large body', 'MB/s', probeRates));
  print(figure('cambium', 'clone ÷ loopback bandwidth', 'ratio', ratios));
  print(figure('cambium', `clone of ${ROWS} rows, requests`, 'requests', cloneRequests));

  // A one-row commit pushed from the source and pulled into a clone, then a pull with
  // nothing new: requests and bytes (both directions) as the server counted them.
  const replica = await Database.open('clone0', { storage: 'fs', dir: path.join(work, 'local') });
  const samples = { push: [], pushBytes: [], pull: [], pullBytes: [], idle: [], idleBytes: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    await source.query('UPDATE t SET v = ? WHERE id = ?', [`changed ${round}`, (round * 7919) % ROWS]);
    await source.query("CALL dolt_commit('-am', 'one row')");
    await stats();
    await source.query("CALL dolt_push('origin', 'main')");
    const push = await stats();
    await replica.query("CALL dolt_pull('origin')");
    const pull = await stats();
    await replica.query("CALL dolt_pull('origin')");
    const idle = await stats();
    samples.push.push(push.requests);
    samples.pushBytes.push((push.bytesIn + push.bytesOut) / 1024);
    samples.pull.push(pull.requests);
    samples.pullBytes.push((pull.bytesIn + pull.bytesOut) / 1024);
    samples.idle.push(idle.requests);
    samples.idleBytes.push((idle.bytesIn + idle.bytesOut) / 1024);
  }
  const check = await replica.query('SELECT v FROM t WHERE id = ?', [((ROUNDS - 1) * 7919) % ROWS]);
  if (check.rows[0].v !== `changed ${ROUNDS - 1}`) throw new Error('the replica did not pull the last change');
  print(figure('cambium', 'push of a one-row commit, requests', 'requests', samples.push));
  print(figure('cambium', 'push of a one-row commit, bytes', 'KiB', samples.pushBytes));
  print(figure('cambium', 'pull of a one-row commit, requests', 'requests', samples.pull));
  print(figure('cambium', 'pull of a one-row commit, bytes', 'KiB', samples.pullBytes));
  print(figure('cambium', 'pull when nothing changed, requests', 'requests', samples.idle));
  print(figure('cambium', 'pull when nothing changed, bytes', 'KiB', samples.idleBytes));
  await replica.close();
  await source.close();
} finally {
  child.kill();
  rmSync(work, { recursive: true, force: true });
}
