// The SQL workloads of src/bench.rs (`sql_suite`) on Cambium's wasm build, called from JS the way
// an application calls it, and on other in-memory databases in the same process: sql.js and
// DoltLite (SQLite compiled to wasm), PGlite (Postgres compiled to wasm) and better-sqlite3
// (SQLite as a native addon, the reference). Also runs `sql_suite` itself inside wasm, which
// shows what crossing the JS boundary costs. Prints one line of JSON per figure and engine, then
// a side-by-side table.
//   node benches/sql-peers.mjs [--smoke]
// Expects the Node build made by scripts/bench.sh in target/bench-pkg and the packages of
// benches/package.json installed (scripts/setup.sh installs them).
import initSqlJs from 'sql.js';
import sqlite3InitModule from '@dolthub/doltlite-wasm/sqlite3-node.mjs';
import { figure, INSERT, loadCambium, sqlK as k, sqlV as v } from './bench-data.mjs';
import { PGlite } from '@electric-sql/pglite';
import Database from 'better-sqlite3';
import { ENGINES, sqlTable } from './sql-report.mjs';

const cambium = loadCambium();

const full = !process.argv.includes('--smoke');
// Sizes and figure names come from the Rust side, so every engine runs the same work as
// `sql_suite`.
const plan = JSON.parse(cambium.sqlBenchPlan(full));
const log = (...args) => console.error('[sql-peers]', ...args);

// The same statements as `SQL_CREATE`, `SQL_SELECT`, `SQL_GROUP` and `SQL_UPDATE` in src/bench.rs.
const CREATE = 'CREATE TABLE t(id INT PRIMARY KEY, k INT, v VARCHAR(64))';
const SELECT = 'SELECT * FROM t WHERE id = ?';
const GROUP = 'SELECT k % 10, COUNT(*), SUM(LENGTH(v)) FROM t GROUP BY 1';
const UPDATE = 'UPDATE t SET v = ? WHERE id = ?';

// The same data as `sql_update_v` and `XorShift32` in src/bench.rs (k and v: bench-data.mjs).
const xorshiftIds = (seed, count) => {
  const ids = [];
  let x = seed >>> 0;
  for (let i = 0; i < count; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    ids.push(1 + (x % plan.rows));
  }
  return ids;
};
const SELECT_SEED = 2463534242;
const UPDATE_SEED = 88675123;

// Everything is made before timing, so the figures measure the engines, not the data.
const rows = Array.from({ length: plan.rows }, (_, i) => [i + 1, k(i + 1), v(i + 1)]);
const selectIds = xorshiftIds(SELECT_SEED, plan.selects);
const updates = xorshiftIds(UPDATE_SEED, plan.updates).map((id, n) => [v(id + plan.rows + n), id]);
const values = (count, placeholder) =>
  Array.from({ length: count }, (_, i) => {
    const [a, b, c] = [1, 2, 3].map((n) => placeholder(3 * i + n));
    return `(${a}, ${b}, ${c})`;
  }).join(', ');
// Multi-row INSERTs of `insertBatch` rows, with each engine's placeholder syntax.
const batches = (placeholder) => {
  const out = [];
  for (let at = 0; at < rows.length; at += plan.insertBatch) {
    const part = rows.slice(at, at + plan.insertBatch);
    out.push({ sql: `INSERT INTO t VALUES ${values(part.length, placeholder)}`, params: part.flat() });
  }
  return out;
};
const cambiumBatches = batches(() => '?');
const pgBatches = batches((n) => `$${n}`);

// The expected GROUP BY result, to check every engine computes the same thing.
const expectedGroups = (() => {
  const groups = new Map();
  for (const [, kk, vv] of rows) {
    const g = groups.get(kk % 10) ?? [kk % 10, 0, 0];
    g[1] += 1;
    g[2] += vv.length;
    groups.set(kk % 10, g);
  }
  return JSON.stringify([...groups.values()].sort((a, b) => a[0] - b[0]));
})();
const checkGroups = (engine, result) => {
  const got = JSON.stringify(result.map((row) => row.map(Number)).sort((a, b) => a[0] - b[0]));
  if (got !== expectedGroups) throw new Error(`${engine}: GROUP BY gave ${got}`);
};
const check = (engine, what, ok) => {
  if (!ok) throw new Error(`${engine}: ${what}`);
};

// Each engine opens a fresh database per round and runs the four workloads with its idiomatic
// fast path. Sync engines are wrapped in async functions; the await per workload is outside the
// per-statement loops, except for PGlite, whose API is asynchronous per statement.
const SQL = await initSqlJs();
const sqlite3 = await sqlite3InitModule({ print: () => {}, printErr: log });

const engines = [
  {
    name: 'cambium-wasm',
    open() {
      this.db = new cambium.BenchSession();
      this.db.exec(CREATE);
    },
    // Multi-row INSERTs with `?` parameters in one transaction, as `sql_suite` does natively:
    // Cambium has no prepared statements, and parsing one statement per row is about twice as
    // slow.
    load() {
      const db = this.db;
      db.exec('BEGIN');
      for (const { sql, params } of cambiumBatches) db.run(sql, params);
      db.exec('COMMIT');
    },
    selects() {
      for (const id of selectIds) {
        const row = this.db.query(SELECT, [id]);
        check(this.name, `select ${id}`, row.length === 1 && row[0][0] === id);
      }
    },
    group() {
      return this.db.query(GROUP, []);
    },
    updates() {
      for (const [value, id] of updates) {
        check(this.name, `update ${id}`, this.db.run(UPDATE, [value, id]) === 1);
      }
    },
    close() {
      this.db.free();
    },
  },
  {
    name: 'sql.js',
    open() {
      this.db = new SQL.Database();
      this.db.run(CREATE);
    },
    // One prepared single-row INSERT, run per row inside one transaction: SQLite's fast path.
    load() {
      const db = this.db;
      db.run('BEGIN');
      const stmt = db.prepare(INSERT);
      for (const row of rows) stmt.run(row);
      stmt.free();
      db.run('COMMIT');
    },
    selects() {
      const stmt = this.db.prepare(SELECT);
      for (const id of selectIds) {
        stmt.bind([id]);
        check(this.name, `select ${id}`, stmt.step() && stmt.get()[0] === id);
        stmt.reset();
      }
      stmt.free();
    },
    group() {
      return this.db.exec(GROUP)[0].values;
    },
    updates() {
      const stmt = this.db.prepare(UPDATE);
      for (const [value, id] of updates) {
        stmt.run([value, id]);
        check(this.name, `update ${id}`, this.db.getRowsModified() === 1);
      }
      stmt.free();
    },
    close() {
      this.db.close();
    },
  },
  {
    name: 'doltlite-wasm',
    open() {
      this.db = new sqlite3.oo1.DB(':memory:');
      this.db.exec(CREATE);
    },
    // One prepared single-row INSERT, bound and stepped per row inside one transaction.
    load() {
      const db = this.db;
      db.exec('BEGIN');
      const stmt = db.prepare(INSERT);
      for (const row of rows) stmt.bind(row).stepReset();
      stmt.finalize();
      db.exec('COMMIT');
    },
    selects() {
      const stmt = this.db.prepare(SELECT);
      for (const id of selectIds) {
        stmt.bind([id]);
        check(this.name, `select ${id}`, stmt.step() && stmt.get([])[0] === id);
        stmt.reset();
      }
      stmt.finalize();
    },
    group() {
      return this.db.selectArrays(GROUP);
    },
    updates() {
      const stmt = this.db.prepare(UPDATE);
      for (const [value, id] of updates) {
        stmt.bind([value, id]).stepReset();
        check(this.name, `update ${id}`, this.db.changes() === 1);
      }
      stmt.finalize();
    },
    close() {
      this.db.close();
    },
  },
  {
    name: 'pglite',
    async open() {
      this.db = await PGlite.create();
      await this.db.exec(CREATE);
    },
    // Multi-row parameterised INSERTs in one transaction: every PGlite query is a protocol round
    // trip through the wasm Postgres, so batching rows is its fast path (COPY needs a file).
    async load() {
      const db = this.db;
      await db.exec('BEGIN');
      for (const { sql, params } of pgBatches) await db.query(sql, params);
      await db.exec('COMMIT');
    },
    async selects() {
      for (const id of selectIds) {
        const { rows: found } = await this.db.query('SELECT * FROM t WHERE id = $1', [id], {
          rowMode: 'array',
        });
        check(this.name, `select ${id}`, found.length === 1 && found[0][0] === id);
      }
    },
    async group() {
      return (await this.db.query(GROUP, [], { rowMode: 'array' })).rows;
    },
    async updates() {
      for (const [value, id] of updates) {
        const result = await this.db.query('UPDATE t SET v = $1 WHERE id = $2', [value, id]);
        check(this.name, `update ${id}`, result.affectedRows === 1);
      }
    },
    async close() {
      await this.db.close();
    },
  },
  {
    name: 'better-sqlite3',
    open() {
      this.db = new Database(':memory:');
      this.db.exec(CREATE);
    },
    // One prepared single-row INSERT, run per row inside one transaction.
    load() {
      const stmt = this.db.prepare(INSERT);
      this.db.transaction(() => {
        for (const row of rows) stmt.run(row);
      })();
    },
    selects() {
      const stmt = this.db.prepare(SELECT).raw();
      for (const id of selectIds) check(this.name, `select ${id}`, stmt.get(id)[0] === id);
    },
    group() {
      return this.db.prepare(GROUP).raw().all();
    },
    updates() {
      const stmt = this.db.prepare(UPDATE);
      for (const [value, id] of updates) {
        check(this.name, `update ${id}`, stmt.run(value, id).changes === 1);
      }
    },
    close() {
      this.db.close();
    },
  },
];

const now = () => performance.now();
const timed = async (work) => {
  const start = now();
  const out = await work();
  return [out, now() - start];
};

const figures = [];
const emit = (f) => {
  figures.push(f);
  console.log(JSON.stringify(f));
};

log('Cambium sql_suite inside wasm');
for (const line of cambium.runSqlBench(full).split('\n')) emit(JSON.parse(line));

const samples = new Map(engines.map((e) => [e.name, { load: [], select: [], group: [], update: [] }]));
// Round 0 warms up and is not reported. Engines alternate within each round, and the first engine
// rotates from round to round, so a slow phase of the machine does not fall on one engine.
for (let round = 0; round <= plan.repeats; round++) {
  for (let i = 0; i < engines.length; i++) {
    const engine = engines[(round + i) % engines.length];
    globalThis.gc?.();
    await engine.open();
    const [, load] = await timed(() => engine.load());
    const [, select] = await timed(() => engine.selects());
    const [groups, group] = await timed(() => engine.group());
    checkGroups(engine.name, groups);
    const [, update] = await timed(() => engine.updates());
    await engine.close();
    const ms = (x) => `${x.toFixed(1)} ms`;
    log(`round ${round} ${engine.name}: load ${ms(load)}, selects ${ms(select)},`,
      `group ${ms(group)}, updates ${ms(update)}`);
    if (round > 0) {
      const s = samples.get(engine.name);
      s.load.push(load);
      s.select.push((select * 1e3) / plan.selects);
      s.group.push(group);
      s.update.push(update / plan.updates);
    }
  }
}
for (const { name } of engines) {
  const s = samples.get(name);
  emit(figure(name, plan.names.load, 'ms', s.load));
  emit(figure(name, plan.names.select, 'µs', s.select));
  emit(figure(name, plan.names.group, 'ms', s.group));
  emit(figure(name, plan.names.update, 'ms', s.update));
}

console.log('');
console.log(sqlTable(figures, ENGINES.filter((e) => e.key !== 'cambium-native')));
