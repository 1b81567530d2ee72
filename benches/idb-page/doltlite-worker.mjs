// DoltLite's wasm build (SQLite with Dolt's version control) on OPFS, in a dedicated worker as
// SQLite's OPFS VFS requires. The page posts `{ id, op, args }` and gets `{ id, ok, value }` or
// `{ id, ok: false, error }` back. Served at /doltlite-worker.mjs; the build at /doltlite/.
import sqlite3InitModule from '/doltlite/sqlite3.mjs';

let sqlite3 = null;
let db = null;
let opened = ''; // which VFS the database opened on, for failure messages
const said = []; // what the module printed as errors, for the failure message
const now = () => performance.now();

const ops = {
  /**
   * Loads the module and opens `/<name>.db` on OPFS: SQLite's "opfs" VFS first, then its
   * "opfs-sahpool" VFS (no SharedArrayBuffer needed); answers which one opened and how long it
   * took, or fails with both reasons.
   */
  async open({ name }) {
    const t0 = now();
    sqlite3 ??= await sqlite3InitModule({ print: () => {}, printErr: (m) => said.push(m) });
    const t1 = now();
    const failures = [];
    if (sqlite3.oo1.OpfsDb && sqlite3.capi.sqlite3_vfs_find('opfs')) {
      try {
        db = new sqlite3.oo1.OpfsDb(`/${name}.db`);
        opened = 'the "opfs" VFS';
        return { initMs: t1 - t0, openMs: now() - t1, vfs: 'opfs' };
      } catch (error) {
        failures.push(`"opfs" VFS: ${error?.message ?? error}`);
      }
    } else {
      const isolated = `crossOriginIsolated=${self.crossOriginIsolated}`;
      failures.push(`"opfs" VFS did not install (${isolated}) ${said.join(' ')}`);
    }
    try {
      const pool = await sqlite3.installOpfsSAHPoolVfs({ name: 'opfs-sahpool' });
      db = new pool.OpfsSAHPoolDb(`/${name}.db`);
      opened = `the "opfs-sahpool" VFS (after ${failures.join('; ')})`;
      return { initMs: t1 - t0, openMs: now() - t1, vfs: 'opfs-sahpool' };
    } catch (error) {
      failures.push(`"opfs-sahpool" VFS: ${error?.message ?? error}`);
    }
    throw new Error(failures.join('; '));
  },

  /** Table t with `count` rows (k and v shaped as in bench-data.mjs), one transaction: ms. */
  async load({ count }) {
    const t0 = now();
    const step = (what, sql) => {
      try {
        db.exec(sql);
      } catch (error) {
        throw new Error(`${what}: ${error?.message ?? error}`);
      }
    };
    step('CREATE TABLE', 'CREATE TABLE t (id BIGINT PRIMARY KEY, k INT, v VARCHAR(64))');
    step('INSERT', `INSERT INTO t
      WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${count})
      SELECT n, (n * 7919) % 1000,
        substr('v' || n || '-' || hex(randomblob(32)), 1, 20 + (n * 37) % 41)
      FROM g`);
    return now() - t0;
  },

  /** Autocommit single-row updates, each timed. */
  async updates({ ids, values }) {
    const statement = db.prepare('UPDATE t SET k = ? WHERE id = ?');
    const ms = [];
    try {
      for (let i = 0; i < ids.length; i++) {
        const t0 = now();
        statement.bind([values[i], ids[i]]).stepReset();
        ms.push(now() - t0);
      }
    } finally {
      statement.finalize();
    }
    return { ms };
  },

  async close() {
    db?.close();
    db = null;
    return null;
  },
};

self.onmessage = async ({ data: { id, op, args } }) => {
  try {
    postMessage({ id, ok: true, value: await ops[op](args) });
  } catch (error) {
    const where = op === 'open' ? '' : ` on ${opened}`;
    postMessage({ id, ok: false, error: `${op}${where}: ${error?.message ?? error}` });
  }
};
