// Persistence in the browser: Cambium's browser build (pkg/web) on IndexedDB in headless
// Chromium, next to the raw IndexedDB limits measured in the same browser and PGlite on
// `idb://` (DoltLite's OPFS build too, when it opens). Drives the page in benches/idb-page/
// through playwright-core; prints one line of JSON per figure, in the shape of
// bench-data.mjs's `figure()` (a figure that could not be measured carries a `note` instead).
//   node benches/idb-bench.mjs [--smoke] [--rounds=N]
// Builds nothing: expects `bash scripts/build-pkg.sh` to have made pkg/web (or the directory
// CAMBIUM_WEB_PKG names) and benches/node_modules installed (scripts/bench.sh does both).
//
// Each round runs in a new Chromium profile: raw IndexedDB probes, then Cambium and PGlite
// (in turns, the first alternating between rounds) load 100,000 rows and run single-row
// autocommit updates; then Chromium is started again on the same profile, once per engine, for
// the cold open. Figures are medians over the rounds of each round's value (for latencies,
// each round's median or 90th percentile), with the range over the rounds.
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { CHROMIUM, CHROMIUM_ARGS, CONTENT_TYPES } from '../pkg-tests/support/web.mjs';
import { figure, sqlK, sqlV } from './bench-data.mjs';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const roundsArg = args.find((a) => a.startsWith('--rounds='));
const log = (...parts) => console.error('[idb-bench]', ...parts);

const SIZES = smoke
  ? {
      rows: 3000,
      updates: 30,
      pgUpdates: 5,
      doltUpdates: 5,
      latencyReps: 10,
      batch: 500,
      rounds: 2,
    }
  : {
      rows: 100_000,
      updates: 1000,
      pgUpdates: 300,
      doltUpdates: 300,
      latencyReps: 200,
      batch: 25_000,
      rounds: 5,
    };
if (roundsArg) SIZES.rounds = Number(roundsArg.split('=')[1]);
const INSERT_BATCH = 1000; // rows per INSERT inside the one-transaction load
const STATEMENT_ROWS = SIZES.rows / 10; // rows per autocommit INSERT in the statements load
const WARM_ROWS = Math.min(5000, SIZES.rows);
const KIB = 1024;

// ------------------------------------------------------------------------------------------
// What is served: the page at /, the package at /pkg/, PGlite at /pglite/, DoltLite at
// /doltlite/, cross-origin isolated (SQLite's OPFS VFS needs SharedArrayBuffer).
// ------------------------------------------------------------------------------------------
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const PKG_WEB = process.env.CAMBIUM_WEB_PKG ?? here('../pkg/web/');
for (const file of ['cambium.js', 'cambium_bg.wasm']) {
  if (!existsSync(join(PKG_WEB, file))) {
    console.error(
      `[idb-bench] ${join(PKG_WEB, file)} is missing: ` +
        'build the package first with bash scripts/build-pkg.sh',
    );
    process.exit(2);
  }
}
const MOUNTS = [
  ['/pkg/', PKG_WEB],
  ['/pglite/', here('./node_modules/@electric-sql/pglite/dist/')],
  ['/doltlite/', here('./node_modules/@dolthub/doltlite-wasm/')],
  ['/', here('./idb-page/')],
];
const TYPES = CONTENT_TYPES;

/** The file under a mount that a URL path names, or null. */
function fileFor(urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (path.includes('\0') || path.includes('\\')) return null;
  if (path.endsWith('/')) path += 'index.html';
  for (const [prefix, dir] of MOUNTS) {
    if (!path.startsWith(prefix)) continue;
    const root = resolve(dir);
    const file = resolve(root, `.${path.slice(prefix.length - 1)}`);
    return file.startsWith(root + sep) ? file : null;
  }
  return null;
}

async function startServer() {
  const server = createServer(async (request, response) => {
    const file = fileFor((request.url ?? '').split(/[?#]/)[0]);
    const info = file && (await stat(file).catch(() => null));
    if (!info?.isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': 'no-store',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    createReadStream(file).on('error', () => response.destroy()).pipe(response);
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((done) => (server.closeAllConnections(), server.close(done))),
  };
}

// ------------------------------------------------------------------------------------------
// Chromium: the system's, as in docs/ and pkg-tests/ (never a downloaded browser), on a profile
// the round owns, so it can be started again on the same IndexedDB for a cold open.
// ------------------------------------------------------------------------------------------

async function openBrowser(profile, url) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => log('page error:', error.stack ?? error));
  page.on('console', (message) => {
    if (message.type() === 'error') log('page console:', message.text());
  });
  await page.goto(url);
  await page.waitForFunction(() => window.ready === true || window.loadError);
  const failure = await page.evaluate(() => window.loadError ?? null);
  if (failure) throw new Error(`the bench page failed to load: ${failure}`);
  return { context, page, version: context.browser()?.version() };
}

// ------------------------------------------------------------------------------------------
// Workload data
// ------------------------------------------------------------------------------------------
const rows = Array.from({ length: SIZES.rows }, (_, i) => [i + 1, sqlK(i + 1), sqlV(i + 1)]);

/** Seeded xorshift32, so every engine updates the same ids in a round. */
function ids(seed, count) {
  let x = seed >>> 0 || 1;
  return Array.from({ length: count }, () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return 1 + (x % SIZES.rows);
  });
}

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const median = (values) => quantile(values, 0.5);
// Values of the untimed warm-up updates: positive, so the timed updates (negative values) that
// follow on the same ids still change their rows.
const warmValues = (count) => Array.from({ length: count }, (_, i) => 1_000_000 + i);
const MB = 1e6;

// ------------------------------------------------------------------------------------------
// One round
// ------------------------------------------------------------------------------------------
const samples = new Map(); // `${engine}\0${name}\0${unit}` → values, one per round
const notes = new Map(); // `${engine}\0${name}\0${unit}` → text, for figures not measured
const record = (engine, name, unit, value) => {
  const key = `${engine}\u0000${name}\u0000${unit}`;
  if (!samples.has(key)) samples.set(key, []);
  samples.get(key).push(value);
};
const note = (engine, name, unit, text) => {
  const key = `${engine}\u0000${name}\u0000${unit}`;
  if (!notes.has(key)) notes.set(key, text);
};
let browserVersion = null;

/** Calls `window[fn](arg)` in the page and answers its (structured-clone) result. */
const call = (page, fn, arg) => page.evaluate(([f, a]) => window[f](a), [fn, arg]);
const perSecond = (amount, ms) => amount / (ms / 1e3);
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

const R = SIZES.rows;
const NAMES = {
  latency: (d) => `readwrite transaction putting 5 × 4 KiB, ${d}`,
  batch: (d) => `one transaction putting ${SIZES.batch} × 4 KiB, ${d}`,
  loadSame: "one transaction putting the bulk load's chunks, strict",
  commitSame: "readwrite transaction putting one update's chunks and manifest, strict",
  loadTxn: `bulk load ${R} rows, one transaction (INSERTs of ${INSERT_BATCH} rows)`,
  loadStatements: `bulk load ${R} rows, 10 autocommit INSERTs of ${STATEMENT_ROWS} rows`,
  update: `autocommit UPDATE by primary key, ${R} rows`,
  cold: `cold open + first point query, ${R} rows`,
  pgLoad: `load ${R} rows (one INSERT … SELECT generate_series)`,
};

async function cambiumBlock(page, round, updateIds, updateValues) {
  const say = (text) => log(`round ${round}: Cambium ${text}`);
  // Warm-up, untimed: compiles the hot code before anything is measured.
  const warmIds = updateIds.slice(0, 50).map((id) => 1 + (id % WARM_ROWS));
  await call(page, 'camOpen', 'warm');
  const warmLoad = { name: 'warm', mode: 'transaction', batch: INSERT_BATCH, count: WARM_ROWS };
  await call(page, 'camLoad', warmLoad);
  await call(page, 'camUpdates', { name: 'warm', ids: warmIds, values: warmValues(50) });
  await call(page, 'camClose', 'warm');

  // Bulk load in one transaction (one flush), then a raw transaction writing the same chunks.
  let at = `${NAMES.loadTxn}: `;
  await call(page, 'camOpen', 'main');
  const before = await call(page, 'storeStats', 'cambium/main');
  const load = await call(page, 'camLoad', {
    name: 'main',
    mode: 'transaction',
    batch: INSERT_BATCH,
    keep: true,
  });
  const after = await call(page, 'storeStats', 'cambium/main');
  const raw = await call(page, 'rawSameAsLoad', { name: 'load-same' });
  const bytes = after.bytes - before.bytes;
  const chunks = after.records - before.records;
  const rawRate = perSecond(raw.bytes / MB, raw.ms);
  say(
    `load ${load.ms.toFixed(0)} ms, ${(bytes / MB).toFixed(2)} MB in ${chunks} chunks ` +
      `(COMMIT's IndexedDB transaction ${load.lastFlushMs.toFixed(0)} ms); ` +
      `raw transaction with the same chunks ${raw.ms.toFixed(0)} ms`,
  );
  record('cambium', `${at}time`, 'ms', load.ms);
  record('cambium', `${at}chunk bytes written per second`, 'MB/s', perSecond(bytes / MB, load.ms));
  record('cambium', `${at}rows per second`, 'rows/s', perSecond(R, load.ms));
  record('cambium', `${at}chunk bytes written`, 'MB', bytes / MB);
  record('cambium', `${at}chunks written`, 'chunks', chunks);
  const commitTxn = load.lastFlushMs;
  record('cambium', `${at}COMMIT's IndexedDB transaction (created → complete)`, 'ms', commitTxn);
  record('cambium', `${at}before the COMMIT's IndexedDB transaction`, 'ms', load.beforeLastFlushMs);
  // Each INSERT of the open transaction, early and late: what a statement costs as the
  // transaction's pending rows grow.
  const tenth = Math.max(1, Math.floor(load.statementMs.length / 10));
  const early = median(load.statementMs.slice(0, tenth));
  record('cambium', `${at}one INSERT, first tenth of the load (median)`, 'ms', early);
  const late = median(load.statementMs.slice(-tenth));
  record('cambium', `${at}one INSERT, last tenth of the load (median)`, 'ms', late);
  record('indexeddb', `${NAMES.loadSame}: time`, 'ms', raw.ms);
  record('indexeddb', `${NAMES.loadSame}: throughput`, 'MB/s', rawRate);
  // The ratio, per round: Cambium's chunk bytes per second over the raw transaction's.
  const loadRatio = perSecond(bytes, load.ms) / perSecond(raw.bytes, raw.ms);
  record('ratio', `${at}Cambium's MB/s ÷ the raw transaction's`, '×', loadRatio);

  // Single-row autocommit updates at random ids, each followed by a raw transaction writing
  // the same chunks; the store is counted before and after.
  at = `${NAMES.update}: `;
  const warm = { name: 'main', ids: updateIds.slice(0, 20), values: warmValues(20) };
  await call(page, 'camUpdates', warm);
  const u0 = await call(page, 'storeStats', 'cambium/main');
  const up = await call(page, 'camUpdates', {
    name: 'main',
    ids: updateIds,
    values: updateValues,
    raw: true,
  });
  const u1 = await call(page, 'storeStats', 'cambium/main');
  await call(page, 'camClose', 'main');
  const n = updateIds.length;
  const kib = (u1.bytes - u0.bytes) / n / KIB;
  const added = (u1.records - u0.records) / n;
  say(
    `update median ${median(up.ms).toFixed(2)} ms (raw transaction with the same chunks ` +
      `${median(up.rawMs).toFixed(2)} ms), ${kib.toFixed(1)} KiB in ${added.toFixed(1)} new chunks`,
  );
  record('cambium', `${at}per update (median)`, 'ms', median(up.ms));
  record('cambium', `${at}per update (p90)`, 'ms', quantile(up.ms, 0.9));
  record('indexeddb', `${NAMES.commitSame} (median)`, 'ms', median(up.rawMs));
  record('indexeddb', `${NAMES.commitSame} (p90)`, 'ms', quantile(up.rawMs, 0.9));
  // The issue's ratio, per round: Cambium's median time per commit over the raw transactions'.
  const commitRatio = median(up.ms) / median(up.rawMs);
  record('ratio', `${at}Cambium's median ÷ the raw transactions' median`, '×', commitRatio);
  record('cambium', `${at}chunk bytes added to the store per update`, 'KiB', kib);
  record('cambium', `${at}chunks added to the store per update`, 'chunks', added);
  record('cambium', `${at}chunk puts per update (median)`, 'puts', median(up.puts));
  record('cambium', `${at}bytes put per update (median)`, 'KiB', median(up.putBytes) / KIB);
  record('cambium', `${at}readonly transactions per update (mean)`, 'txns', mean(up.reads));
  record('cambium', `${at}before the IndexedDB transaction (median)`, 'ms', median(up.before));
  const inside = median(up.inside);
  record('cambium', `${at}IndexedDB transaction, created → complete (median)`, 'ms', inside);
  record('cambium', `${at}after complete → result (median)`, 'ms', median(up.after));

  // Bulk load as 10 autocommit INSERTs (10 flushes), in a database of its own.
  at = `${NAMES.loadStatements}: `;
  await call(page, 'camOpen', 'stmts');
  const s0 = await call(page, 'storeStats', 'cambium/stmts');
  const stmts = await call(page, 'camLoad', {
    name: 'stmts',
    mode: 'statements',
    batch: STATEMENT_ROWS,
  });
  const s1 = await call(page, 'storeStats', 'cambium/stmts');
  await call(page, 'camClose', 'stmts');
  await call(page, 'dropIdb', 'cambium/stmts');
  const sBytes = s1.bytes - s0.bytes;
  const sRate = perSecond(sBytes / MB, stmts.ms);
  say(
    `load by statements ${stmts.ms.toFixed(0)} ms, ${(sBytes / MB).toFixed(2)} MB ` +
      `(IndexedDB transactions ${stmts.flushMs.toFixed(0)} ms)`,
  );
  record('cambium', `${at}time`, 'ms', stmts.ms);
  // Over the rate of the raw transaction that wrote the one-transaction load's chunks.
  record('ratio', `${at}Cambium's MB/s ÷ the raw transaction's`, '×', sRate / rawRate);
  record('cambium', `${at}chunk bytes written per second`, 'MB/s', sRate);
  record('cambium', `${at}rows per second`, 'rows/s', perSecond(R, stmts.ms));
  record('cambium', `${at}chunk bytes written`, 'MB', sBytes / MB);
  record('cambium', `${at}IndexedDB transactions (created → complete)`, 'ms', stmts.flushMs);
}

/** The first line of a failure's message, without Playwright's prefix. */
const failure = (error) =>
  String(error?.message ?? error)
    .split('\n')[0]
    .replace(/^page\.evaluate: (Error: )?/, '');

async function pgliteBlock(page, round, updateIds, updateValues) {
  const at = `${NAMES.update}: `;
  try {
    const openMs = await call(page, 'pgOpen', 'main');
    const loadMs = await call(page, 'pgLoad', { name: 'main', count: R });
    const count = SIZES.pgUpdates;
    const warm = { name: 'main', ids: updateIds.slice(0, 10), values: warmValues(10) };
    await call(page, 'pgUpdates', warm);
    const up = await call(page, 'pgUpdates', {
      name: 'main',
      ids: updateIds.slice(0, count),
      values: updateValues.slice(0, count),
    });
    await call(page, 'pgClose', 'main');
    log(
      `round ${round}: PGlite open ${openMs.toFixed(0)} ms, load ${loadMs.toFixed(0)} ms, ` +
        `update median ${median(up.ms).toFixed(1)} ms`,
    );
    record('pglite', NAMES.pgLoad, 'ms', loadMs);
    record('pglite', `${at}per update (median)`, 'ms', median(up.ms));
    record('pglite', `${at}per update (p90)`, 'ms', quantile(up.ms, 0.9));
    return true;
  } catch (error) {
    log(`round ${round}: PGlite failed: ${failure(error)}`);
    note('pglite', `${at}per update (median)`, 'ms', `PGlite on idb:// failed: ${failure(error)}`);
    return false;
  }
}

async function doltliteBlock(page, round, updateIds, updateValues) {
  const at = `${NAMES.update}: `;
  const dolt = (op, arg) => page.evaluate(([o, a]) => window.doltlite(o, a), [op, arg]);
  try {
    const { vfs } = await dolt('open', { name: 'main' });
    const loadMs = await dolt('load', { count: R });
    const count = SIZES.doltUpdates;
    await dolt('updates', { ids: updateIds.slice(0, 10), values: warmValues(10) });
    const up = await dolt('updates', {
      ids: updateIds.slice(0, count),
      values: updateValues.slice(0, count),
    });
    await dolt('close', {});
    log(
      `round ${round}: DoltLite on the "${vfs}" VFS: load ${loadMs.toFixed(0)} ms, ` +
        `update median ${median(up.ms).toFixed(2)} ms`,
    );
    record('doltlite-opfs', `${at}per update (median)`, 'ms', median(up.ms));
    record('doltlite-opfs', `${at}per update (p90)`, 'ms', quantile(up.ms, 0.9));
  } catch (error) {
    log(`round ${round}: DoltLite's OPFS build failed: ${failure(error)}`);
    const text = `DoltLite's OPFS build failed: ${failure(error)}`;
    note('doltlite-opfs', `${at}per update (median)`, 'ms', text);
  }
}

/** Chromium started again on `profile`: the cold open of Cambium's database `main`. */
async function cambiumCold(server, profile, round, id) {
  const browser = await openBrowser(profile, server.url);
  const cold = await call(browser.page, 'coldOpen', { name: 'main', id });
  await browser.context.close();
  if (Number(cold.row?.id) !== id) {
    throw new Error(`Cambium's cold open read ${JSON.stringify(cold.row)} for id ${id}`);
  }
  log(
    `round ${round}: Cambium cold: init ${cold.initMs.toFixed(0)} ms, open ` +
      `${cold.openMs.toFixed(0)} ms, first query ${cold.queryMs.toFixed(0)} ms, ` +
      `${cold.gets} gets in ${cold.txns} transactions`,
  );
  const at = NAMES.cold;
  record('cambium', at, 'ms', cold.openMs + cold.queryMs);
  record('cambium', `${at}, including wasm init`, 'ms', cold.initMs + cold.openMs + cold.queryMs);
  record('cambium', `${at}: wasm init`, 'ms', cold.initMs);
  record('cambium', `${at}: Database.open`, 'ms', cold.openMs);
  record('cambium', `${at}: first query`, 'ms', cold.queryMs);
  record('cambium', `${at}: IndexedDB gets`, 'gets', cold.gets);
  record('cambium', `${at}: IndexedDB transactions`, 'txns', cold.txns);
}

/** Chromium started again on `profile`: the cold open of PGlite's database `main`. */
async function pgliteCold(server, profile, round, id) {
  const browser = await openBrowser(profile, server.url);
  const cold = await call(browser.page, 'pgColdOpen', { name: 'main', id });
  await browser.context.close();
  if (Number(cold.row?.id) !== id) {
    throw new Error(`PGlite's cold open read ${JSON.stringify(cold.row)} for id ${id}`);
  }
  log(
    `round ${round}: PGlite cold: open ${cold.openMs.toFixed(0)} ms, ` +
      `first query ${cold.queryMs.toFixed(1)} ms`,
  );
  record('pglite', `${NAMES.cold}, including wasm init`, 'ms', cold.openMs + cold.queryMs);
}

async function round(server, index) {
  const profile = mkdtempSync(join(tmpdir(), 'cambium-idb-bench-'));
  const seed = 0x9e3779b9 ^ (index * 7919);
  const updateIds = ids(seed, SIZES.updates);
  const updateValues = updateIds.map((_, i) => -(index * 1_000_000 + i + 1));
  const coldId = ids(seed ^ 0x5bd1e995, 1)[0];
  const cambiumFirst = index % 2 === 0;
  let pgLoaded = false;
  try {
    const browser = await openBrowser(profile, server.url);
    const { page } = browser;
    if (index === 0) {
      browserVersion = browser.version;
      const env = await call(page, 'environment');
      log(`Chromium ${browser.version}, crossOriginIsolated ${env.crossOriginIsolated}`);
    }
    await call(page, 'setRows', rows);

    // Raw IndexedDB: small transactions (strict and relaxed in turns), then big batches.
    const lat = await call(page, 'rawLatency', {
      name: 'latency',
      count: 5,
      size: 4096,
      reps: SIZES.latencyReps,
    });
    for (const d of ['strict', 'relaxed']) {
      record('indexeddb', `${NAMES.latency(d)} (median)`, 'ms', median(lat[d]));
      record('indexeddb', `${NAMES.latency(d)} (p90)`, 'ms', quantile(lat[d], 0.9));
    }
    for (const durability of index % 2 ? ['relaxed', 'strict'] : ['strict', 'relaxed']) {
      const batch = await call(page, 'rawBatch', {
        name: 'batch',
        count: SIZES.batch,
        size: 4096,
        durability,
      });
      const rate = perSecond(batch.bytes / MB, batch.ms);
      record('indexeddb', `${NAMES.batch(durability)}: throughput`, 'MB/s', rate);
    }
    log(
      `round ${index}: raw 5 × 4 KiB strict ${median(lat.strict).toFixed(2)} ms, ` +
        `relaxed ${median(lat.relaxed).toFixed(2)} ms`,
    );

    // The engines, in turns.
    const blocks = [
      () => cambiumBlock(page, index, updateIds, updateValues),
      async () => {
        pgLoaded = await pgliteBlock(page, index, updateIds, updateValues);
      },
    ];
    if (!cambiumFirst) blocks.reverse();
    for (const block of blocks) await block();
    await doltliteBlock(page, index, updateIds, updateValues);
    await browser.context.close();

    // Cold opens: Chromium started again on the same profile, once per engine.
    const colds = [
      () => cambiumCold(server, profile, index, coldId),
      () => (pgLoaded ? pgliteCold(server, profile, index, coldId) : null),
    ];
    if (!cambiumFirst) colds.reverse();
    for (const cold of colds) await cold();
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

const server = await startServer();
try {
  log(
    `${smoke ? 'smoke' : 'full'} run: ${SIZES.rounds} rounds, ${R} rows, ` +
      `${SIZES.updates} Cambium updates per round`,
  );
  for (let index = 0; index < SIZES.rounds; index++) await round(server, index);
} finally {
  await server.close();
}

const browserNote = `headless Chromium ${browserVersion}`;
const environment = { engine: 'environment', name: 'browser', unit: '', note: browserNote };
console.log(JSON.stringify(environment));
for (const [key, values] of samples) {
  const [engine, name, unit] = key.split('\u0000');
  console.log(JSON.stringify(figure(engine, name, unit, values)));
}
for (const [key, text] of notes) {
  if (samples.has(key)) continue;
  const [engine, name, unit] = key.split('\u0000');
  console.log(JSON.stringify({ engine, name, unit, note: text }));
}
