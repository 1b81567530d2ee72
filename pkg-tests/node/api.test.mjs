// The JS API of the Node build (pkg/node): open, query, exec, fsck, gc and close on memory and on
// files, persistence between processes, values through parameters and back, error codes, and the
// order of calls made without awaiting.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { loadNode, PKG_NODE } from '../support/paths.mjs';

const { Database } = loadNode();

const scratch = mkdtempSync(join(tmpdir(), 'cambium-api-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Asserts that `promise` rejects with a JS Error whose `code` is `code`. */
async function rejectsWith(promise, code, message) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof Error, `expected an Error, got ${err}`);
    assert.equal(err.code, code, `code of "${err.message}"`);
    assert.equal(typeof err.message, 'string');
    assert.ok(err.message.length > 0);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('open, query, exec, close', () => {
  test('memory: a table written, read, and the result shape', async () => {
    const db = await Database.open('api_memory', { storage: 'memory' });
    const created = await db.query('CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20))');
    assert.deepEqual(created.columns, []);
    assert.deepEqual(created.rows, []);
    const inserted = await db.query('INSERT INTO t VALUES (1, ?), (2, ?)', ['one', 'two']);
    assert.equal(inserted.rowsAffected, 2);
    assert.deepEqual(inserted.warnings, []);
    const read = await db.query('SELECT id, name FROM t ORDER BY id');
    assert.deepEqual(read.columns, ['id', 'name']);
    assert.deepEqual(read.rows, [
      { id: 1, name: 'one' },
      { id: 2, name: 'two' },
    ]);
    assert.equal(read.rowsAffected, 0);
    // query runs a script too and answers with its last statement.
    const last = await db.query('UPDATE t SET name = ? WHERE id = 1; SELECT name FROM t WHERE id = 1', [
      'uno',
    ]);
    assert.deepEqual(last.rows, [{ name: 'uno' }]);
    await db.close();
  });

  test('memory: reopening the name in the same process finds the data', async () => {
    const a = await Database.open('api_memory_reopen');
    await a.exec('CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (7)');
    await a.close();
    const b = await Database.open('api_memory_reopen', { storage: 'memory' });
    assert.deepEqual((await b.query('SELECT id FROM t')).rows, [{ id: 7 }]);
    await b.close();
  });

  test('exec answers every statement of a script, version control included', async () => {
    const db = await Database.open('api_exec', { storage: 'memory' });
    const results = await db.exec(`
      CREATE TABLE t (id INT PRIMARY KEY, v INT);
      INSERT INTO t VALUES (1, 10), (2, 20), (3, 30);
      CALL dolt_commit('-Am', 'three rows');
      UPDATE t SET v = v + 1 WHERE id > 1;
      SELECT SUM(v) AS total FROM t
    `);
    assert.equal(results.length, 5);
    assert.equal(results[1].rowsAffected, 3);
    assert.deepEqual(results[2].columns, ['hash']);
    assert.match(results[2].rows[0].hash, /^[0-9a-v]{32}$/);
    assert.equal(results[3].rowsAffected, 2);
    // SUM of integers is a DECIMAL, as in MySQL: an exact string.
    assert.deepEqual(results[4].rows, [{ total: '62' }]);
    const log = await db.query('SELECT message FROM dolt_log ORDER BY commit_order DESC');
    assert.deepEqual(
      log.rows.map((r) => r.message),
      ['three rows', 'Initialize data repository'],
    );
    const status = await db.query('SELECT table_name, staged, status FROM dolt_status');
    assert.deepEqual(status.rows, [{ table_name: 't', staged: 0, status: 'modified' }]);
    // An empty script answers with an empty list.
    assert.deepEqual(await db.exec(''), []);
    await db.close();
  });

  test('fsck and gc answer with their figures', async () => {
    const db = await Database.open('api_fsck_gc', { storage: 'memory' });
    await db.exec(`CREATE TABLE t (id INT PRIMARY KEY, pad VARCHAR(200));
      CALL dolt_commit('-Am', 'table')`);
    for (let i = 0; i < 20; i++) await db.query('INSERT INTO t VALUES (?, REPEAT(?, 150))', [i, 'p']);
    await db.query('DELETE FROM t');
    const report = await db.fsck();
    assert.equal(report.clean, true, report.text);
    assert.ok(report.chunksChecked > 0);
    assert.ok(report.bytesChecked > 0);
    assert.deepEqual(report.problems, []);
    assert.match(report.text, /no problems/);
    const stats = await db.gc();
    assert.ok(stats.removedChunks > 0, 'the 20 intermediate working sets left garbage');
    assert.ok(stats.removedBytes > 0);
    assert.ok(stats.keptChunks > 0);
    assert.equal((await db.fsck()).clean, true);
    assert.deepEqual((await db.query('SELECT COUNT(*) AS n FROM t')).rows, [{ n: 0 }]);
    await db.close();
  });

  test('after close every call rejects with code closed', async () => {
    const db = await Database.open('api_closed');
    await db.close();
    await rejectsWith(db.query('SELECT 1'), 'closed');
    await rejectsWith(db.exec('SELECT 1'), 'closed');
    await rejectsWith(db.fsck(), 'closed');
    await rejectsWith(db.gc(), 'closed');
    await db.close(); // closing twice is harmless
  });

  test('fs: data lives in <dir>/<name> and survives a reopen', async () => {
    const dir = join(scratch, 'reopen');
    const a = await Database.open('api_fs', { storage: 'fs', dir });
    assert.ok(existsSync(join(dir, 'api_fs')), 'the database directory is <dir>/<name>');
    await a.exec(`CREATE TABLE t (id INT PRIMARY KEY, v TEXT);
      INSERT INTO t VALUES (1, 'a'), (2, 'b');
      CALL dolt_commit('-Am', 'on disk')`);
    await a.close();
    const b = await Database.open('api_fs', { storage: 'fs', dir, cacheBytes: 1 << 20 });
    assert.deepEqual((await b.query('SELECT * FROM t ORDER BY id')).rows, [
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
    ]);
    assert.equal((await b.query("SELECT message FROM dolt_log LIMIT 1")).rows[0].message, 'on disk');
    assert.equal((await b.fsck()).clean, true);
    await b.close();
  });

  test('fs: two handles in one process see each other’s writes', async () => {
    const dir = join(scratch, 'two-handles');
    const a = await Database.open('shared', { storage: 'fs', dir });
    const b = await Database.open('shared', { storage: 'fs', dir });
    await a.query('CREATE TABLE t (id INT PRIMARY KEY)');
    await b.query('INSERT INTO t VALUES (1)');
    await a.query('INSERT INTO t VALUES (2)');
    assert.deepEqual((await b.query('SELECT id FROM t ORDER BY id')).rows, [{ id: 1 }, { id: 2 }]);
    await a.close();
    await b.close();
  });
});

describe('persistence between processes', () => {
  /** Runs `body` (an async function body with `Database`, `dir` in scope) in a new node. */
  function runNode(dir, body) {
    const code = `
      import { createRequire } from 'node:module';
      const { Database } = createRequire(import.meta.url)(${JSON.stringify(`${PKG_NODE}cambium.js`)});
      const dir = ${JSON.stringify(dir)};
      const out = await (async () => { ${body} })();
      process.stdout.write(JSON.stringify(out));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(child.status, 0, `child failed: ${child.stderr}`);
    return JSON.parse(child.stdout);
  }

  test('one process writes and exits, another reads', () => {
    const dir = join(scratch, 'processes');
    const written = runNode(
      dir,
      `const db = await Database.open('handoff', { storage: 'fs', dir });
       await db.exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t VALUES (1, 'x'), (2, 'y'); CALL dolt_commit('-Am', 'from process one'); INSERT INTO t VALUES (3, 'uncommitted')");
       await db.close();
       return process.pid;`,
    );
    const read = runNode(
      dir,
      `const db = await Database.open('handoff', { storage: 'fs', dir });
       const rows = (await db.query('SELECT * FROM t ORDER BY id')).rows;
       const log = (await db.query('SELECT message FROM dolt_log LIMIT 1')).rows;
       const head = (await db.query("SELECT COUNT(*) AS n FROM t AS OF 'HEAD'")).rows;
       const fsck = await db.fsck();
       await db.close();
       return { pid: process.pid, rows, log, head, clean: fsck.clean };`,
    );
    assert.notEqual(read.pid, written);
    assert.deepEqual(read.rows, [
      { id: 1, v: 'x' },
      { id: 2, v: 'y' },
      { id: 3, v: 'uncommitted' },
    ]);
    assert.deepEqual(read.log, [{ message: 'from process one' }]);
    assert.deepEqual(read.head, [{ n: 2 }], 'the working set is newer than HEAD');
    assert.equal(read.clean, true);
  });
});

describe('values through parameters and back', () => {
  let db;
  let nextId = 0;
  before(async () => {
    db = await Database.open('api_values');
    await db.query(`CREATE TABLE v (
      id INT PRIMARY KEY, n BIGINT, u BIGINT UNSIGNED, f DOUBLE, s TEXT, b BLOB,
      d DECIMAL(30, 10), j JSON, dt DATETIME, dt3 DATETIME(3), flag BOOLEAN)`);
  });
  after(() => db.close());

  /** Binds `value` into `column` of a fresh row and reads that column back. */
  async function roundTrip(column, value) {
    const id = ++nextId;
    await db.query(`INSERT INTO v (id, ${column}) VALUES (?, ?)`, [id, value]);
    const { rows } = await db.query(`SELECT ${column} AS x FROM v WHERE id = ?`, [id]);
    assert.equal(rows.length, 1);
    return rows[0].x;
  }

  test('null and undefined are NULL', async () => {
    assert.equal(await roundTrip('s', null), null);
    assert.equal(await roundTrip('n', undefined), null);
    assert.deepEqual((await db.query('SELECT ? IS NULL AS a', [null])).rows, [{ a: 1 }]);
  });

  test('booleans are 1 and 0', async () => {
    assert.equal(await roundTrip('flag', true), 1);
    assert.equal(await roundTrip('flag', false), 0);
    assert.deepEqual((await db.query('SELECT ? AND ? AS x', [true, false])).rows, [{ x: 0 }]);
  });

  test('safe integers are numbers', async () => {
    for (const n of [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      const back = await roundTrip('n', n);
      assert.equal(typeof back, 'number');
      assert.equal(back, n);
    }
  });

  test('BigInts beyond 2^53 round trip through BIGINT and BIGINT UNSIGNED', async () => {
    for (const n of [2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 53n) - 7n]) {
      assert.equal(await roundTrip('n', n), n);
    }
    assert.equal(await roundTrip('u', 2n ** 64n - 1n), 2n ** 64n - 1n);
    // A BigInt within the safe range comes back as a number.
    assert.equal(await roundTrip('n', 42n), 42);
    // Arithmetic stays exact past 2^53.
    const { rows } = await db.query('SELECT ? + 1 AS x', [2n ** 62n]);
    assert.equal(rows[0].x, 2n ** 62n + 1n);
  });

  test('floats', async () => {
    for (const f of [0.1, -2.5, 1e-300, 1.7976931348623157e308, Math.PI]) {
      assert.equal(await roundTrip('f', f), f);
    }
  });

  test('strings, Unicode included', async () => {
    for (const s of ['', 'plain', "quote ' and \" and \\", 'héllo ✓ 日本 🎉', 'x'.repeat(10_000)]) {
      assert.equal(await roundTrip('s', s), s);
    }
  });

  test('Uint8Array through a BLOB', async () => {
    const bytes = new Uint8Array(65_535);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 255;
    for (const value of [new Uint8Array([0, 1, 254, 255]), new Uint8Array(0), bytes]) {
      const back = await roundTrip('b', value);
      assert.ok(back instanceof Uint8Array, `a Uint8Array, not ${back}`);
      assert.deepEqual(back, value);
    }
    // Past a BLOB's 65,535 bytes the value is refused, never cut.
    await rejectsWith(db.query('INSERT INTO v (id, b) VALUES (?, ?)', [++nextId, new Uint8Array(65_536)]), 'sql_data_too_long');
  });

  test('DECIMAL comes back as an exact string', async () => {
    assert.equal(await roundTrip('d', '12345678901234567890.0123456789'), '12345678901234567890.0123456789');
    assert.equal(await roundTrip('d', '-0.5'), '-0.5000000000');
    assert.equal(await roundTrip('d', 2.25), '2.2500000000');
    assert.deepEqual((await db.query('SELECT CAST(? AS DECIMAL(5, 2)) AS d', ['3.14159'])).rows, [
      { d: '3.14' },
    ]);
  });

  test('JSON: an object or array is bound as JSON and read back as one', async () => {
    const doc = { a: 1, b: [true, null, 'x'], c: { nested: 2.5 } };
    assert.deepEqual(await roundTrip('j', doc), doc);
    assert.deepEqual(await roundTrip('j', [1, 'two', { three: 3 }]), [1, 'two', { three: 3 }]);
    // A string holding JSON text is parsed by the column.
    assert.deepEqual(await roundTrip('j', '{"k": [1, 2]}'), { k: [1, 2] });
    const { rows } = await db.query("SELECT JSON_EXTRACT(?, '$.c.nested') AS x", [doc]);
    assert.equal(rows[0].x, 2.5);
  });

  test('Date is bound into DATETIME (UTC) and read as MySQL text', async () => {
    const when = new Date(Date.UTC(2024, 1, 29, 23, 59, 58));
    assert.equal(await roundTrip('dt', when), '2024-02-29 23:59:58');
    const back = await roundTrip('dt3', new Date(Date.UTC(2001, 8, 9, 1, 46, 40, 123)));
    assert.match(back, /^2001-09-09 01:46:40\.123(000)?$/);
    // The text parses back to the same instant.
    assert.equal(new Date(`${await roundTrip('dt', when)}Z`).getTime(), when.getTime());
  });

  test('bad parameters are refused with bad_parameter', async () => {
    await rejectsWith(db.query('SELECT ?', 'not an array'), 'bad_parameter', /array/);
    await rejectsWith(db.query('SELECT ?', [2n ** 64n]), 'bad_parameter', /parameter 1.*BigInt/);
    await rejectsWith(db.query('SELECT ?, ?', [1, new Date(NaN)]), 'bad_parameter', /parameter 2/);
    await rejectsWith(db.query('SELECT ?', [{ big: 1n }]), 'bad_parameter');
    await rejectsWith(db.query('SELECT ?, ?', [1]), 'sql_parameters');
    await rejectsWith(db.query('SELECT ?', [1, 2]), 'sql_parameters');
  });

  // JSON.stringify answers `undefined` for a Symbol or a function; the binding must refuse them
  // rather than fail inside the promise. Run in a child process so that a call that never
  // settled could not take this file down.
  test('a Symbol or a function parameter is refused with bad_parameter', () => {
    const code = `
      import { createRequire } from 'node:module';
      const { Database } = createRequire(import.meta.url)(${JSON.stringify(`${PKG_NODE}cambium.js`)});
      const db = await Database.open('symbols');
      const codes = [];
      for (const value of [Symbol('s'), () => 1]) {
        codes.push(await Promise.race([
          db.query('SELECT ?', [value]).then(() => 'no error', (err) => err.code),
          new Promise((resolve) => setTimeout(resolve, 2000, 'never settled')),
        ]));
      }
      process.stdout.write(JSON.stringify(codes));
      process.exit(0);
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(child.status, 0, child.stderr.split('\n').slice(0, 5).join('\n'));
    assert.deepEqual(JSON.parse(child.stdout), ['bad_parameter', 'bad_parameter']);
  });

  // SQL has no NaN or infinity: the binding refuses them instead of storing a made-up number.
  test('NaN and Infinity are refused as parameters', async () => {
    for (const value of [NaN, Infinity, -Infinity]) {
      await rejectsWith(db.query('INSERT INTO v (id, n) VALUES (?, ?)', [++nextId, value]), 'bad_parameter', /not a SQL value/);
    }
  });

});

describe('errors carry a stable code', () => {
  test('bad SQL', async () => {
    const db = await Database.open('api_errors');
    await rejectsWith(db.query('SELEC 1'), 'sql_syntax', /syntax/);
    await rejectsWith(db.query('SELECT * FROM nowhere'), 'sql_no_such_table', /nowhere/);
    await db.query('CREATE TABLE t (id INT PRIMARY KEY)');
    await db.query('INSERT INTO t VALUES (1)');
    await rejectsWith(db.query('INSERT INTO t VALUES (1)'), 'sql_duplicate_key', /Duplicate/);
    assert.match(await codeOf(db, "CALL dolt_checkout('no-such-branch')"), /^sql_/);
    // A failed statement changes nothing; the database stays usable.
    assert.deepEqual((await db.query('SELECT COUNT(*) AS n FROM t')).rows, [{ n: 1 }]);
    // A failing statement stops a script; the statements before it stand.
    await rejectsWith(db.exec('INSERT INTO t VALUES (2); INSERT INTO t VALUES (1); INSERT INTO t VALUES (3)'), 'sql_duplicate_key');
    assert.deepEqual((await db.query('SELECT id FROM t ORDER BY id')).rows, [{ id: 1 }, { id: 2 }]);
    await db.close();
  });

  test('bad database names', async () => {
    for (const name of ['', 'has space', 'dot.name', '../escape', '-leading', 'x'.repeat(65), 'ü']) {
      await rejectsWith(Database.open(name, { storage: 'memory' }), 'bad_database_name');
    }
    const ok = await Database.open(`A_z-09${'x'.repeat(58)}`, { storage: 'memory' });
    await ok.close();
  });

  test('bad options', async () => {
    await rejectsWith(Database.open('o', { storage: 'nowhere' }), 'bad_option', /nowhere/);
    await rejectsWith(Database.open('o', { storage: 5 }), 'bad_option', /string/);
    await rejectsWith(Database.open('o', { storage: 'fs' }), 'bad_option', /dir/);
    await rejectsWith(Database.open('o', { cacheBytes: -1 }), 'bad_option', /cacheBytes/);
    await rejectsWith(Database.open('o', { cacheBytes: 1.5 }), 'bad_option', /cacheBytes/);
    // IndexedDB does not exist under Node: a coded error, not a crash.
    await assert.rejects(Database.open('o', { storage: 'indexeddb' }), (err) => {
      assert.equal(typeof err.code, 'string');
      assert.match(err.message, /IndexedDB/);
      return true;
    });
  });
});

/** The code `sql` fails with (for errors whose exact code is not the point). */
async function codeOf(db, sql) {
  try {
    await db.query(sql);
  } catch (err) {
    assert.equal(typeof err.code, 'string');
    assert.match(err.code, /^[a-z_]+$/);
    return err.code;
  }
  assert.fail(`${sql} succeeded`);
}

describe('calls made without awaiting run in order', () => {
  test('a burst of queries, a failure among them, then close', async () => {
    const db = await Database.open('api_order');
    const calls = [db.query('CREATE TABLE t (seq INT PRIMARY KEY, v INT)')];
    for (let i = 0; i < 50; i++) {
      // Each insert reads what the one before wrote, so any reordering shows.
      calls.push(db.query('INSERT INTO t SELECT COUNT(*), ? FROM t', [i]));
    }
    calls.push(db.query('INSERT INTO t VALUES (0, 0)').then(() => 'no error', (err) => err.code));
    calls.push(db.exec('SELECT COUNT(*) AS n FROM t; SELECT MAX(seq) AS m FROM t'));
    calls.push(db.fsck());
    calls.push(db.query('SELECT seq, v FROM t ORDER BY seq'));
    calls.push(db.close());
    calls.push(db.query('SELECT 1').then(() => 'no error', (err) => err.code));
    const results = await Promise.all(calls);
    const [, ...rest] = results;
    const inserts = rest.slice(0, 50);
    assert.ok(inserts.every((r) => r.rowsAffected === 1));
    const [duplicate, counts, fsck, all, closed, afterClose] = rest.slice(50);
    assert.equal(duplicate, 'sql_duplicate_key');
    assert.deepEqual(counts.map((r) => r.rows[0]), [{ n: 50 }, { m: 49 }]);
    assert.equal(fsck.clean, true);
    assert.deepEqual(
      all.rows,
      Array.from({ length: 50 }, (_, i) => ({ seq: i, v: i })),
    );
    assert.equal(closed, undefined);
    assert.equal(afterClose, 'closed');
  });

  test('an explicit transaction spread over un-awaited calls', async () => {
    const db = await Database.open('api_order_tx');
    const calls = [
      db.query('CREATE TABLE t (id INT PRIMARY KEY)'),
      db.query('BEGIN'),
      db.query('INSERT INTO t VALUES (1)'),
      db.query('INSERT INTO t VALUES (2)'),
      db.query('ROLLBACK'),
      db.query('START TRANSACTION'),
      db.query('INSERT INTO t VALUES (3)'),
      db.query('COMMIT'),
      db.query('SELECT id FROM t'),
    ];
    const results = await Promise.all(calls);
    assert.deepEqual(results.at(-1).rows, [{ id: 3 }]);
    await db.close();
  });
});

describe('change events', () => {
  /** Resolves with the next `change` event `db` sends, or rejects after `ms`. */
  const nextChange = (db, ms = 2000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no change event arrived')), ms);
      const listener = (event) => {
        clearTimeout(timer);
        db.removeEventListener('change', listener);
        resolve(event);
      };
      db.addEventListener('change', listener);
    });

  test('another object of the database writing sends change; its own writes do not', async () => {
    const dir = join(scratch, 'changes');
    const a = await Database.open('watched', { storage: 'fs', dir });
    const b = await Database.open('watched', { storage: 'fs', dir });
    const seen = [];
    const listener = (event) => seen.push(event);
    a.addEventListener('change', listener);
    a.addEventListener('change', listener); // the same listener twice is added once
    await a.query('CREATE TABLE t (id INT PRIMARY KEY)');
    const arrived = nextChange(a);
    await b.query('INSERT INTO t VALUES (1)');
    assert.deepEqual(await arrived, { type: 'change', database: 'watched' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(seen.length, 1, 'one event for one write, none for a’s own');
    // The listener may read at once and sees the write that sent the event.
    assert.deepEqual((await a.query('SELECT id FROM t')).rows, [{ id: 1 }]);
    a.removeEventListener('change', listener);
    await b.query('INSERT INTO t VALUES (2)');
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(seen.length, 1, 'no event after removeEventListener');
    await a.close();
    await b.close();
  });

  test('a listener that throws stops no other; unknown event types are refused', async () => {
    const a = await Database.open('api_events', { storage: 'memory' });
    const b = await Database.open('api_events', { storage: 'memory' });
    a.addEventListener('change', () => {
      throw new Error('a listener failing');
    });
    const arrived = nextChange(a);
    await b.query('CREATE TABLE t (id INT PRIMARY KEY)');
    assert.equal((await arrived).type, 'change');
    assert.throws(() => a.addEventListener('update', () => {}), (err) => err.code === 'bad_argument');
    await a.close();
    await b.close();
  });
});
