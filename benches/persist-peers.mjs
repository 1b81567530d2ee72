// Persisted workloads under Node, side by side: Cambium's Node package on files (`storage: 'fs'`,
// an fsync at every commit), better-sqlite3 on a file (WAL, synchronous = FULL, so a commit is
// on disk when it returns, as Cambium's is) and PGlite on a data directory. For each engine and
// round, in a fresh directory: a bulk load of 100,000 rows in one transaction (INSERTs of 1,000
// rows), then 1,000 single-row autocommit UPDATEs by primary key. Engines alternate within a
// round and the first engine rotates from round to round; round 0 warms up and is not
// reported. Prints one line of JSON per figure and engine, then a side-by-side table.
//   node benches/persist-peers.mjs [--smoke]
// Expects the built package (bash scripts/build-pkg.sh) and benches/package.json's packages.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PGlite } from '@electric-sql/pglite';
import BetterSqlite from 'better-sqlite3';

import { figure, sqlK as k, sqlV as v } from './bench-data.mjs';
import { peerTable, show } from './doc-section.mjs';

const { Database } = createRequire(import.meta.url)('../pkg/node/cambium.js');

const smoke = process.argv.includes('--smoke');
const ROWS = smoke ? 5_000 : 100_000;
const UPDATES = smoke ? 100 : 1_000;
const BATCH = 1_000;
const ROUNDS = smoke ? 1 : 5;
const log = (...args) => console.error('[persist-peers]', ...args);

const LOAD = `bulk load ${ROWS} rows on disk, one transaction (INSERTs of ${BATCH} rows)`;
const UPDATE = `autocommit UPDATE by primary key on disk, ${ROWS} rows: per update (median)`;
const UPDATES_TOTAL = `${UPDATES} autocommit UPDATEs by primary key on disk, ${ROWS} rows`;

const CREATE = 'CREATE TABLE t(id INT PRIMARY KEY, k INT, v VARCHAR(64))';
const batches = [];
for (let at = 1; at <= ROWS; at += BATCH) {
  const ids = Array.from({ length: Math.min(BATCH, ROWS - at + 1) }, (_, i) => at + i);
  batches.push(ids.flatMap((id) => [id, k(id), v(id)]));
}
// The rows the updates change, spread over the table by a fixed stride so every engine changes
// the same ones.
const updated = Array.from({ length: UPDATES }, (_, i) => 1 + ((i * 7919) % ROWS));
const values = (count, placeholder) =>
  Array.from({ length: count }, (_, i) => `(${placeholder(3 * i + 1)}, ${placeholder(3 * i + 2)}, ${placeholder(3 * i + 3)})`).join(', ');

const engines = [
  {
    name: 'cambium-fs',
    async open(dir) {
      this.db = await Database.open('bench', { storage: 'fs', dir });
      await this.db.query(CREATE);
    },
    async load() {
      await this.db.query('BEGIN');
      for (const params of batches) await this.db.query(`INSERT INTO t VALUES ${values(params.length / 3, () => '?')}`, params);
      await this.db.query('COMMIT');
    },
    async update(id, value) {
      await this.db.query('UPDATE t SET v = ? WHERE id = ?', [value, id]);
    },
    async count() {
      return Number((await this.db.query('SELECT COUNT(*) AS n FROM t')).rows[0].n);
    },
    async close() {
      await this.db.close();
    },
  },
  {
    name: 'better-sqlite3-file',
    async open(dir) {
      this.db = new BetterSqlite(join(dir, 'bench.db'));
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.exec(CREATE);
      this.insert = new Map();
      this.updateStmt = this.db.prepare('UPDATE t SET v = ? WHERE id = ?');
    },
    async load() {
      const statement = (rows) => {
        if (!this.insert.has(rows)) this.insert.set(rows, this.db.prepare(`INSERT INTO t VALUES ${values(rows, () => '?')}`));
        return this.insert.get(rows);
      };
      this.db.transaction(() => {
        for (const params of batches) statement(params.length / 3).run(params);
      })();
    },
    async update(id, value) {
      this.updateStmt.run(value, id);
    },
    async count() {
      return this.db.prepare('SELECT COUNT(*) AS n FROM t').get().n;
    },
    async close() {
      this.db.close();
    },
  },
  {
    name: 'pglite-fs',
    async open(dir) {
      this.db = new PGlite(join(dir, 'pgdata'));
      await this.db.exec(CREATE);
    },
    async load() {
      await this.db.transaction(async (tx) => {
        for (const params of batches) await tx.query(`INSERT INTO t VALUES ${values(params.length / 3, (n) => `$${n}`)}`, params);
      });
    },
    async update(id, value) {
      await this.db.query('UPDATE t SET v = $1 WHERE id = $2', [value, id]);
    },
    async count() {
      return Number((await this.db.query('SELECT COUNT(*) AS n FROM t')).rows[0].n);
    },
    async close() {
      await this.db.close();
    },
  },
];

const samples = new Map(engines.map(({ name }) => [name, { load: [], update: [], updates: [] }]));
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];

for (let round = 0; round <= ROUNDS; round++) {
  for (let i = 0; i < engines.length; i++) {
    const engine = engines[(round + i) % engines.length];
    const dir = mkdtempSync(join(tmpdir(), `persist-${engine.name}-`));
    try {
      await engine.open(dir);
      let at = performance.now();
      await engine.load();
      const load = performance.now() - at;
      const perUpdate = [];
      at = performance.now();
      for (let n = 0; n < updated.length; n++) {
        const start = performance.now();
        await engine.update(updated[n], `updated-${round}-${n}`);
        perUpdate.push(performance.now() - start);
      }
      const updates = performance.now() - at;
      const count = await engine.count();
      if (count !== ROWS) throw new Error(`${engine.name}: ${count} rows after the load, not ${ROWS}`);
      await engine.close();
      log(`round ${round} ${engine.name}: load ${show(load)} ms, updates ${show(updates)} ms (${show(median(perUpdate))} ms each)`);
      if (round > 0) {
        const own = samples.get(engine.name);
        own.load.push(load);
        own.update.push(median(perUpdate));
        own.updates.push(updates);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

const figures = [];
for (const [engine, own] of samples) {
  figures.push(figure(engine, LOAD, 'ms', own.load));
  figures.push(figure(engine, UPDATE, 'ms', own.update));
  figures.push(figure(engine, UPDATES_TOTAL, 'ms', own.updates));
}
for (const f of figures) console.log(JSON.stringify(f));
console.error(`\n${peerTable(figures)}`);
