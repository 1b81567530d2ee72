// The version-control workloads of src/bench.rs (`version_control_suite`) on Cambium's wasm build,
// called from JS the way an application calls it, and on DoltLite's wasm build (SQLite with Dolt's
// version control) in the same process: for each table size, load and commit the table, then per
// round and per number of changed rows, update those rows (untimed), time `dolt_commit('-am', …)`
// and time `SELECT * FROM dolt_diff_t WHERE to_commit = '<hash>'`, first call and again. Prints
// one line of JSON per figure and engine, then a side-by-side table.
//   node benches/dolt-peers.mjs [--smoke]
// Expects the Node build made by scripts/bench.sh in target/bench-pkg (or the directory named by
// CAMBIUM_BENCH_PKG) and the packages of benches/package.json installed.
import sqlite3InitModule from '@dolthub/doltlite-wasm/sqlite3-node.mjs';
import { figure, INSERT, loadCambium, sqlK as k, sqlV as v } from './bench-data.mjs';
import { ENGINES, vcTable } from './dolt-report.mjs';

const cambium = loadCambium();

const full = !process.argv.includes('--smoke');
// Sizes and figure names come from the Rust side, so both engines run the same work as
// `version_control_suite`.
const plan = JSON.parse(cambium.vcBenchPlan(full));
const log = (...args) => console.error('[dolt-peers]', ...args);

// The same statements and data as `VC_CREATE`, `VC_UPDATE`, `vc_changed_ids`,
// `vc_k` and `vc_diff_sql` in src/bench.rs.
const CREATE = 'CREATE TABLE t(id BIGINT PRIMARY KEY, k INT, v VARCHAR(64))';
const UPDATE = 'UPDATE t SET k = ? WHERE id = ?';
const changedIds = (rows, changes, round) => {
  const stride = Math.floor(rows / changes);
  const offset = (round * 7919) % stride;
  return Array.from({ length: changes }, (_, i) => 1 + i * stride + offset);
};
const vcK = (round, step) => -(1 + round * plan.changes.length + step);
const diffSql = (hash) => `SELECT * FROM dolt_diff_t WHERE to_commit = '${hash}'`;
// As `VcScale::runs`: the warm-up round skips the largest change.
const runs = (round, changes) => round > 0 || plan.changes.some((c) => c > changes);
const check = (engine, what, ok) => {
  if (!ok) throw new Error(`${engine}: ${what}`);
};

const sqlite3 = await sqlite3InitModule({ print: () => {}, printErr: log });

// Each engine keeps one database per table size; `change` runs untimed, `commit` and `diff` are
// what the figures measure.
const engines = [
  {
    name: 'cambium-wasm',
    // Multi-row INSERTs with `?` parameters in one transaction, as `version_control_suite` does
    // natively (Cambium has no prepared statements), made batch by batch to spare memory.
    open(rows) {
      const db = new cambium.BenchSession();
      this.db = db;
      db.exec(CREATE);
      db.exec('BEGIN');
      for (let at = 1; at <= rows; at += plan.insertBatch) {
        const count = Math.min(plan.insertBatch, rows - at + 1);
        const params = [];
        for (let id = at; id < at + count; id++) params.push(id, k(id), v(id));
        const sql = `INSERT INTO t VALUES ${Array(count).fill('(?, ?, ?)').join(', ')}`;
        check(this.name, `load at ${at}`, db.run(sql, params) === count);
      }
      db.exec('COMMIT');
      db.query("CALL dolt_commit('-Am', 'load')", []);
    },
    change(ids, value) {
      this.db.exec('BEGIN');
      for (const id of ids) {
        check(this.name, `update ${id}`, this.db.run(UPDATE, [value, id]) === 1);
      }
      this.db.exec('COMMIT');
    },
    commit(message) {
      return this.db.query(`CALL dolt_commit('-am', '${message}')`, [])[0][0];
    },
    diff(hash) {
      return this.db.query(diffSql(hash), []).length;
    },
    sql(statement) {
      return this.db.query(statement, []);
    },
    merge(branch) {
      return this.db.query(`CALL dolt_merge('${branch}')`, [])[0][0];
    },
    close() {
      this.db.free();
    },
  },
  {
    name: 'doltlite-wasm',
    // One prepared single-row INSERT per row inside one transaction: SQLite's fast path.
    open(rows) {
      const db = new sqlite3.oo1.DB(':memory:');
      this.db = db;
      db.exec(CREATE);
      db.exec('BEGIN');
      const stmt = db.prepare(INSERT);
      for (let id = 1; id <= rows; id++) stmt.bind([id, k(id), v(id)]).stepReset();
      stmt.finalize();
      db.exec('COMMIT');
      db.selectValue("SELECT dolt_commit('-Am', 'load')");
    },
    change(ids, value) {
      const db = this.db;
      db.exec('BEGIN');
      const stmt = db.prepare(UPDATE);
      for (const id of ids) {
        stmt.bind([value, id]).stepReset();
        check(this.name, `update ${id}`, db.changes() === 1);
      }
      stmt.finalize();
      db.exec('COMMIT');
    },
    commit(message) {
      return this.db.selectValue(`SELECT dolt_commit('-am', '${message}')`);
    },
    diff(hash) {
      return this.db.selectArrays(diffSql(hash)).length;
    },
    sql(statement) {
      return this.db.selectArrays(statement.replace(/^CALL /, 'SELECT '));
    },
    merge(branch) {
      return this.db.selectValue(`SELECT dolt_merge('${branch}')`);
    },
    close() {
      this.db.close();
    },
  },
];

const now = () => performance.now();
const timed = (work) => {
  const start = now();
  const out = work();
  return [out, now() - start];
};

const figures = [];
const emit = (f) => {
  figures.push(f);
  console.log(JSON.stringify(f));
};

// A branch merge, as `history_suite` measures natively: from the committed table, a branch
// changes column v of MERGE_CHANGES rows while main changes column k of as many rows, the two
// ranges overlapping by half so those rows merge cell by cell; the time is that of
// `dolt_merge` on main. Round 0 warms up; engines alternate and the first rotates.
const MERGE_CHANGES = full ? 2_000 : 200;
const mergeName = (rows) => `merge ${MERGE_CHANGES} + ${MERGE_CHANGES} changed rows (spread), ${rows} rows`;
function mergeRounds(rows) {
  const stride = Math.floor(rows / (2 * MERGE_CHANGES));
  const ids = (from) => Array.from({ length: MERGE_CHANGES }, (_, i) => 1 + (from + i) * stride);
  const samples = new Map(engines.map((e) => [e.name, []]));
  for (let round = 0; round <= plan.repeats; round++) {
    for (let i = 0; i < engines.length; i++) {
      const engine = engines[(round + i) % engines.length];
      const branch = `merge${round}`;
      engine.sql(`CALL dolt_checkout('-b', '${branch}')`);
      engine.sql('BEGIN');
      for (const id of ids(MERGE_CHANGES / 2)) engine.sql(`UPDATE t SET v = 'branch ${round}' WHERE id = ${id}`);
      engine.sql('COMMIT');
      engine.sql(`CALL dolt_commit('-am', 'branch ${round}')`);
      engine.sql("CALL dolt_checkout('main')");
      engine.change(ids(0), -1_000_000 - round);
      engine.sql(`CALL dolt_commit('-am', 'main ${round}')`);
      globalThis.gc?.();
      const [, ms] = timed(() => engine.merge(branch));
      const merged = engine.sql(`SELECT COUNT(*) FROM t WHERE v = 'branch ${round}' AND k = ${-1_000_000 - round}`);
      check(engine.name, `merge of round ${round} left ${merged[0][0]} rows changed on both sides`, Number(merged[0][0]) === MERGE_CHANGES / 2);
      log(`${rows} rows, round ${round}, ${engine.name}: merge ${ms.toFixed(2)} ms`);
      if (round > 0) samples.get(engine.name).push(ms);
    }
  }
  for (const { name } of engines) emit(figure(name, mergeName(rows), 'ms', samples.get(name)));
}

for (const rows of plan.rows) {
  for (const engine of engines) {
    globalThis.gc?.();
    const [, load] = timed(() => engine.open(rows));
    log(`${engine.name}: loaded and committed ${rows} rows in ${(load / 1e3).toFixed(1)} s`);
  }
  // samples[engine][step] = { commit, first, warm }
  const samples = new Map(
    engines.map((e) => [e.name, plan.changes.map(() => ({ commit: [], first: [], warm: [] }))]),
  );
  // Round 0 warms up and is not reported. Engines alternate within each step, and the first
  // engine rotates, so a slow phase of the machine does not fall on one engine.
  for (let round = 0; round <= plan.repeats; round++) {
    plan.changes.forEach((changes, step) => {
      if (!runs(round, changes)) return;
      const ids = changedIds(rows, changes, round);
      for (let i = 0; i < engines.length; i++) {
        const engine = engines[(round + step + i) % engines.length];
        engine.change(ids, vcK(round, step));
        globalThis.gc?.();
        const [hash, commit] = timed(() => engine.commit(`round ${round}: ${changes} rows`));
        const [firstCount, first] = timed(() => engine.diff(hash));
        const [warmCount, warm] = timed(() => engine.diff(hash));
        check(engine.name, `diff of ${changes} changes gave ${firstCount} and ${warmCount} rows`,
          firstCount === changes && warmCount === changes);
        log(`${rows} rows, round ${round}, ${changes} changed, ${engine.name}: commit`,
          `${commit.toFixed(2)} ms, diff ${first.toFixed(2)} ms then ${warm.toFixed(2)} ms`);
        if (round > 0) {
          const s = samples.get(engine.name)[step];
          s.commit.push(commit);
          s.first.push(first);
          s.warm.push(warm);
        }
      }
    });
  }
  if (rows === plan.rows[0]) mergeRounds(rows);
  for (const engine of engines) engine.close();
  for (const { name } of engines) {
    plan.changes.forEach((changes, step) => {
      const names = plan.names.find((n) => n.rows === rows && n.changes === changes);
      const s = samples.get(name)[step];
      emit(figure(name, names.commit, 'ms', s.commit));
      emit(figure(name, names.diffFirst, 'ms', s.first));
      emit(figure(name, names.diffWarm, 'ms', s.warm));
    });
  }
}

console.log('');
console.log(vcTable(figures, ENGINES.filter((e) => e.key !== 'cambium-native')));
