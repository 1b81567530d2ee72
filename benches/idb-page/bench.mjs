// The page benches/idb-bench.mjs drives through Playwright (`page.evaluate`): raw IndexedDB
// probes, Cambium's browser build on IndexedDB, and PGlite on `idb://`, each function answering
// plain numbers. Served at / next to the package (/pkg/), PGlite's dist (/pglite/) and DoltLite's
// wasm build (/doltlite/). Sets `window.ready` (or `window.loadError`) once loaded.
//
// Nothing here initialises Cambium's wasm module at load: `coldOpen` times `init()` itself, and
// the other functions call `ensureInit()` first.
import init, { Database } from '/pkg/cambium.js';

const now = () => performance.now();

// ---------------------------------------------------------------------------------------------
// Tracing: what an operation asked of IndexedDB. While `trace.on`, every transaction created
// (its mode, when it was created and when it completed) and every `put` and `get` (object store,
// value bytes) are recorded. Cambium's glue calls these methods on the prototype, so wrapping
// them sees its requests; the cost is a few array pushes per request.
// ---------------------------------------------------------------------------------------------
const trace = { on: false, keepValues: false, txns: [], puts: [], gets: 0 };

const resetTrace = (keepValues = false) => {
  trace.txns = [];
  trace.puts = [];
  trace.gets = 0;
  trace.keepValues = keepValues;
  trace.on = true;
};

const transaction = IDBDatabase.prototype.transaction;
IDBDatabase.prototype.transaction = function (...args) {
  const txn = transaction.apply(this, args);
  if (trace.on) {
    const entry = { db: this.name, mode: args[1] ?? 'readonly', created: now(), done: null };
    trace.txns.push(entry);
    // Registered before the caller's handlers, so this runs first when the event fires.
    const end = () => {
      entry.done ??= now();
    };
    txn.addEventListener('complete', end);
    txn.addEventListener('abort', end);
  }
  return txn;
};

const put = IDBObjectStore.prototype.put;
IDBObjectStore.prototype.put = function (...args) {
  if (trace.on) {
    const value = args[0];
    trace.puts.push({
      store: this.name,
      bytes: value?.byteLength ?? 0,
      value: trace.keepValues ? value : null,
    });
  }
  return put.apply(this, args);
};

const get = IDBObjectStore.prototype.get;
IDBObjectStore.prototype.get = function (...args) {
  if (trace.on) trace.gets += 1;
  return get.apply(this, args);
};

// ---------------------------------------------------------------------------------------------
// Raw IndexedDB: databases shaped like Cambium's (a `chunks` store keyed by 20 binary bytes and
// a `manifest` store), written by bare readwrite transactions.
// ---------------------------------------------------------------------------------------------
const request = (req) =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });

const finished = (txn) =>
  new Promise((resolve, reject) => {
    txn.oncomplete = () => resolve();
    txn.onabort = () => reject(txn.error ?? new Error('transaction aborted'));
    txn.onerror = () => {};
  });

const rawDbs = new Map();

async function rawDb(name) {
  if (rawDbs.has(name)) return rawDbs.get(name);
  const req = indexedDB.open(`raw/${name}`, 1);
  req.onupgradeneeded = () => {
    req.result.createObjectStore('chunks');
    req.result.createObjectStore('manifest');
  };
  const db = await request(req);
  rawDbs.set(name, db);
  return db;
}

async function rawDrop(name) {
  rawDbs.get(name)?.close();
  rawDbs.delete(name);
  await request(indexedDB.deleteDatabase(`raw/${name}`));
}

const randomBytes = (n) => {
  const bytes = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
  return bytes;
};

const MANIFEST = randomBytes(40);

/**
 * One readwrite transaction putting `values` under fresh random 20-byte keys into `chunks`
 * (and, with `manifest`, a 40-byte record into `manifest`), timed from `transaction()` to
 * `complete`. Keys are made before the clock starts.
 */
async function rawWrite(db, values, durability, manifest = false) {
  const keys = values.map(() => randomBytes(20));
  const stores = manifest ? ['chunks', 'manifest'] : ['chunks'];
  const t0 = now();
  const txn = db.transaction(stores, 'readwrite', { durability });
  const done = finished(txn);
  const chunks = txn.objectStore('chunks');
  for (let i = 0; i < values.length; i++) chunks.put(values[i], keys[i]);
  if (manifest) txn.objectStore('manifest').put(MANIFEST, 'manifest');
  await done;
  return now() - t0;
}

/**
 * Latency of bare readwrite transactions each putting `count` × `size` fresh random bytes:
 * `reps` of them per durability, strict and relaxed taking turns, after `warmup` untimed ones.
 */
window.rawLatency = async ({ name, count, size, reps, warmup = 10 }) => {
  const db = await rawDb(name);
  const out = { strict: [], relaxed: [] };
  for (let i = 0; i < warmup + reps; i++) {
    for (const durability of i % 2 ? ['relaxed', 'strict'] : ['strict', 'relaxed']) {
      const values = Array.from({ length: count }, () => randomBytes(size));
      const ms = await rawWrite(db, values, durability);
      if (i >= warmup) out[durability].push(ms);
    }
  }
  await rawDrop(name);
  return out;
};

/** One transaction putting `count` × `size` random bytes into an empty database: ms. */
window.rawBatch = async ({ name, count, size, durability }) => {
  const values = Array.from({ length: count }, () => randomBytes(size));
  const db = await rawDb(name);
  const ms = await rawWrite(db, values, durability);
  await rawDrop(name);
  return { ms, bytes: count * size };
};

// ---------------------------------------------------------------------------------------------
// Cambium
// ---------------------------------------------------------------------------------------------
let initialised = null;
const ensureInit = () => (initialised ??= init());

let rows = [];
/** The rows of the benchmark table, `[id, k, v]`, as benches/bench-data.mjs makes them. */
window.setRows = (all) => {
  rows = all;
  return rows.length;
};

const CREATE = 'CREATE TABLE t (id BIGINT PRIMARY KEY, k INT, v VARCHAR(64))';
const UPDATE = 'UPDATE t SET k = ? WHERE id = ?';
const SELECT = 'SELECT * FROM t WHERE id = ?';

const cambium = new Map();

window.camOpen = async (name) => {
  await ensureInit();
  const t0 = now();
  cambium.set(name, await Database.open(name, { storage: 'indexeddb' }));
  return now() - t0;
};

window.camClose = async (name) => {
  await cambium.get(name)?.close();
  cambium.get(name)?.free();
  cambium.delete(name);
};

/** Deletes the IndexedDB database `name` (its connections must be closed). */
window.dropIdb = (name) => request(indexedDB.deleteDatabase(name)).then(() => null);

/** The chunk records of `cambium/<name>` (or of another IndexedDB database): count and bytes. */
window.storeStats = async (idbName) => {
  const db = await request(indexedDB.open(idbName));
  try {
    const txn = db.transaction('chunks', 'readonly');
    const done = finished(txn);
    let records = 0;
    let bytes = 0;
    await new Promise((resolve, reject) => {
      const cursor = txn.objectStore('chunks').openCursor();
      cursor.onerror = () => reject(cursor.error);
      cursor.onsuccess = () => {
        const at = cursor.result;
        if (!at) return resolve();
        records += 1;
        bytes += at.value.byteLength;
        at.continue();
      };
    });
    await done;
    return { records, bytes };
  } finally {
    db.close();
  }
};

const insertSql = (count) => `INSERT INTO t VALUES ${Array(count).fill('(?, ?, ?)').join(', ')}`;

const writeTxns = () => trace.txns.filter((t) => t.mode === 'readwrite');
const sum = (values) => values.reduce((a, b) => a + b, 0);
const chunkPuts = () => trace.puts.filter((p) => p.store === 'chunks');

/**
 * Creates table t in `name` and loads every row given to `setRows`: with `mode` 'transaction',
 * BEGIN, multi-row INSERTs of `batch` rows, COMMIT (one flush); with 'statements', autocommit
 * INSERTs of `batch` rows each (one flush each). Statements and parameters are made before the
 * clock starts (`count` loads only the first rows). Answers the time (and each INSERT's), what
 * IndexedDB was asked to write and how long its write transactions took; with `keep`, the
 * chunk values written are kept for `rawSameAsLoad`.
 */
let loadValues = [];
window.camLoad = async ({ name, mode, batch, count = rows.length, keep = false }) => {
  const db = cambium.get(name);
  await db.query(CREATE, []);
  const statements = [];
  for (let at = 0; at < count; at += batch) {
    const slice = rows.slice(at, Math.min(at + batch, count));
    statements.push([insertSql(slice.length), slice.flat()]);
  }
  resetTrace(keep);
  const statementMs = [];
  const t0 = now();
  if (mode === 'transaction') await db.query('BEGIN', []);
  for (const [sql, params] of statements) {
    const s0 = now();
    await db.query(sql, params);
    statementMs.push(now() - s0);
  }
  if (mode === 'transaction') await db.query('COMMIT', []);
  const ms = now() - t0;
  trace.on = false;
  const writes = writeTxns();
  const puts = chunkPuts();
  if (keep) loadValues = puts.map((p) => p.value);
  const last = writes[writes.length - 1];
  return {
    ms,
    statementMs,
    flushes: writes.length,
    flushMs: sum(writes.map((w) => w.done - w.created)),
    // The last statement (COMMIT, or the last INSERT): from its transaction's creation to the
    // end, and the whole run before it.
    lastFlushMs: last ? last.done - last.created : 0,
    beforeLastFlushMs: last ? last.created - t0 : 0,
    puts: puts.length,
    putBytes: sum(puts.map((p) => p.bytes)),
    readTxns: trace.txns.length - writes.length,
  };
};

/** One strict transaction writing the chunk values the last kept load wrote, under new keys. */
window.rawSameAsLoad = async ({ name }) => {
  const db = await rawDb(name);
  const ms = await rawWrite(db, loadValues, 'strict', true);
  await rawDrop(name);
  const bytes = sum(loadValues.map((v) => v.byteLength));
  return { ms, bytes, records: loadValues.length };
};

window.dropLoadValues = () => {
  loadValues = [];
};

/**
 * Autocommit `UPDATE t SET k = ? WHERE id = ?` for each id, timed from the call to the
 * resolved result. After each, with `raw`, one bare strict readwrite transaction writes the
 * same chunk values (and a 40-byte manifest) under new keys into a raw database: the physical
 * limit for that commit. Answers per-update times, the raw times, what each update put, and
 * where its time went: before its readwrite transaction was created (SQL, tree edits,
 * hashing), inside it (created → complete), and after `complete` until the result.
 */
window.camUpdates = async ({ name, ids, values, raw = false, rawName = 'same-bytes' }) => {
  const db = cambium.get(name);
  const rdb = raw ? await rawDb(rawName) : null;
  const out = {
    ms: [],
    rawMs: [],
    puts: [],
    putBytes: [],
    reads: [],
    before: [],
    inside: [],
    after: [],
  };
  for (let i = 0; i < ids.length; i++) {
    resetTrace(raw);
    const t0 = now();
    const result = await db.query(UPDATE, [values[i], ids[i]]);
    const t1 = now();
    trace.on = false;
    if (result.rowsAffected !== 1) {
      throw new Error(`update of id ${ids[i]} changed ${result.rowsAffected} rows`);
    }
    const writes = writeTxns();
    const puts = chunkPuts();
    out.ms.push(t1 - t0);
    out.puts.push(puts.length);
    out.putBytes.push(sum(puts.map((p) => p.bytes)));
    out.reads.push(trace.txns.length - writes.length);
    if (writes.length === 1) {
      out.before.push(writes[0].created - t0);
      out.inside.push(writes[0].done - writes[0].created);
      out.after.push(t1 - writes[0].done);
    }
    if (raw) out.rawMs.push(await rawWrite(rdb, puts.map((p) => p.value), 'strict', true));
  }
  trace.puts = [];
  if (raw) await rawDrop(rawName);
  return out;
};

/**
 * Cold start on a database loaded earlier (call in a fresh browser on the same profile):
 * `init()` of the wasm module, `Database.open`, then the first point query. Answers each
 * phase's time and how many IndexedDB transactions and gets it took.
 */
window.coldOpen = async ({ name, id }) => {
  resetTrace();
  const t0 = now();
  await ensureInit();
  const t1 = now();
  const db = await Database.open(name, { storage: 'indexeddb' });
  const t2 = now();
  const result = await db.query(SELECT, [id]);
  const t3 = now();
  trace.on = false;
  await db.close();
  db.free();
  return {
    initMs: t1 - t0,
    openMs: t2 - t1,
    queryMs: t3 - t2,
    row: result.rows[0] ?? null,
    txns: trace.txns.length,
    gets: trace.gets,
  };
};

// ---------------------------------------------------------------------------------------------
// PGlite on idb:// (Postgres in wasm; its file system is mirrored into IndexedDB after each
// query, awaited unless relaxedDurability is set).
// ---------------------------------------------------------------------------------------------
let PGliteClass = null;
const pglite = new Map();

const loadPGlite = async () => {
  PGliteClass ??= (await import('/pglite/index.js')).PGlite;
  return PGliteClass;
};

window.pgOpen = async (name) => {
  const PGlite = await loadPGlite();
  const t0 = now();
  const db = await PGlite.create(`idb://${name}`);
  pglite.set(name, db);
  return now() - t0;
};

window.pgClose = async (name) => {
  await pglite.get(name)?.close();
  pglite.delete(name);
};

/** Table t with `count` rows made by one INSERT … SELECT over generate_series: ms. */
window.pgLoad = async ({ name, count }) => {
  const db = pglite.get(name);
  const t0 = now();
  await db.query('CREATE TABLE t (id BIGINT PRIMARY KEY, k INT, v VARCHAR(64))');
  // k as sqlK; v of sqlV's length (20 to 60 characters), from md5 text.
  await db.query(
    `INSERT INTO t SELECT g, (g * 7919) % 1000,
       left('v' || g || '-' || md5(g::text) || md5((g + 1)::text), 20 + (g * 37) % 41)
     FROM generate_series(1, ${count}) AS g`,
  );
  return now() - t0;
};

window.pgUpdates = async ({ name, ids, values }) => {
  const db = pglite.get(name);
  const ms = [];
  for (let i = 0; i < ids.length; i++) {
    const t0 = now();
    const result = await db.query('UPDATE t SET k = $1 WHERE id = $2', [values[i], ids[i]]);
    ms.push(now() - t0);
    if (result.affectedRows !== 1) {
      throw new Error(`PGlite's update of id ${ids[i]} changed ${result.affectedRows} rows`);
    }
  }
  return { ms };
};

/** Cold start of PGlite on a database loaded earlier: create on idb://, first point query. */
window.pgColdOpen = async ({ name, id }) => {
  const PGlite = await loadPGlite();
  const t0 = now();
  const db = await PGlite.create(`idb://${name}`);
  const t1 = now();
  const result = await db.query('SELECT * FROM t WHERE id = $1', [id]);
  const t2 = now();
  await db.close();
  return { openMs: t1 - t0, queryMs: t2 - t1, row: result.rows[0] ?? null };
};

// ---------------------------------------------------------------------------------------------
// DoltLite's wasm build on OPFS, in a worker (OPFS's synchronous access needs one).
// ---------------------------------------------------------------------------------------------
let doltWorker = null;
let doltCalls = 0;
const doltWaiting = new Map();

window.doltlite = (op, args = {}) => {
  if (!doltWorker) {
    doltWorker = new Worker('/doltlite-worker.mjs', { type: 'module' });
    doltWorker.onmessage = ({ data }) => {
      const waiting = doltWaiting.get(data.id);
      doltWaiting.delete(data.id);
      if (data.ok) waiting.resolve(data.value);
      else waiting.reject(new Error(data.error));
    };
    doltWorker.onerror = (event) => {
      const error = new Error(event.message ?? 'the DoltLite worker failed');
      for (const waiting of doltWaiting.values()) waiting.reject(error);
      doltWaiting.clear();
    };
  }
  const id = ++doltCalls;
  return new Promise((resolve, reject) => {
    doltWaiting.set(id, { resolve, reject });
    doltWorker.postMessage({ id, op, args });
  });
};

window.environment = () => ({
  userAgent: navigator.userAgent,
  crossOriginIsolated: globalThis.crossOriginIsolated === true,
});

window.ready = true;
