// The browser build on IndexedDB in headless Chromium (through playwright-core): data survives a
// reload, two pages of one origin write one database at once without losing a write and hear of
// each other's flushes, a statement cut off by a reload or a closed page leaves all or nothing,
// a quota error is reported as such and leaves the data readable, and a worker opens what a
// page wrote. One browser (one persistent context, so one profile) serves the whole file; each
// test uses its own database names.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { inPage, launch, openHarness, waitReady } from '../support/browser.mjs';
import { lcg, needWeb, sleep, within } from '../support/paths.mjs';
import { startServer } from '../support/server.mjs';

const TEST_MS = 180_000;
const STEP_MS = 60_000;

let server;
let browser;

before(async () => {
  needWeb();
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** The failure message with what the pages logged, for asserts that may need it. */
const withLogs = (message) => `${message}\n--- browser log ---\n${browser.dumpLogs()}`;

/** Opens the harness in a new page of the shared context. */
const newPage = () => openHarness(browser.context, server.url('/'));

/** Opens database `name` on IndexedDB in `page` as `window.db` (or `window[slot]`). */
const openDb = (page, name, slot = 'db') =>
  inPage(
    page,
    async ({ name, slot }) => {
      window[slot] = await window.cambium.Database.open(name, { storage: 'indexeddb' });
      return true;
    },
    { name, slot },
  );

/** Runs one statement on `window.db` of `page`; resolves to its rows. */
const rows = (page, sql, params = []) =>
  inPage(page, async ({ sql, params }) => (await window.db.query(sql, params)).rows, { sql, params });

const count = async (page, table, where = '1 = 1') =>
  (await rows(page, `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`))[0].n;

const fsck = (page) => inPage(page, () => window.db.fsck());

describe('IndexedDB in Chromium', { timeout: 15 * 60_000 }, () => {
  test('a reload keeps committed data and history', { timeout: TEST_MS }, async () => {
    const page = await newPage();
    await openDb(page, 'reload');
    await inPage(page, () =>
      window.db.exec(`CREATE TABLE notes (id INT PRIMARY KEY, body TEXT);
        INSERT INTO notes VALUES (1, 'first'), (2, 'second'), (3, 'third');
        CALL dolt_commit('-Am', 'three notes');
        INSERT INTO notes VALUES (4, 'working set only')`),
    );
    await within(STEP_MS, 'reload', page.reload());
    await waitReady(page);
    assert.equal(await inPage(page, () => window.db === undefined), true, 'the reload started afresh');
    await openDb(page, 'reload');
    assert.deepEqual(await rows(page, 'SELECT id, body FROM notes ORDER BY id'), [
      { id: 1, body: 'first' },
      { id: 2, body: 'second' },
      { id: 3, body: 'third' },
      { id: 4, body: 'working set only' },
    ]);
    const log = await rows(page, 'SELECT message FROM dolt_log ORDER BY commit_order DESC');
    assert.deepEqual(
      log.map((r) => r.message),
      ['three notes', 'Initialize data repository'],
    );
    assert.equal(await count(page, "notes AS OF 'HEAD'"), 3);
    const report = await fsck(page);
    assert.equal(report.clean, true, report.text);
    assert.ok(report.chunksChecked > 0);
    await page.close();
  });

  test('two pages writing at once lose no write', { timeout: TEST_MS }, async (t) => {
    const a = await newPage();
    const b = await newPage();
    await openDb(a, 'concurrent');
    await inPage(a, () =>
      window.db.exec(`CREATE TABLE t (id INT PRIMARY KEY, writer VARCHAR(1));
        CALL dolt_commit('-Am', 'table t')`),
    );
    await openDb(b, 'concurrent');
    // Each page inserts its 100 rows one statement at a time. A statement that lost the race
    // to publish more often than the database retries by itself fails with the retryable
    // sql_serialization_failure, having changed nothing; like an application, the loop runs
    // it again (a duplicate-key error then would show a failed statement that wrote).
    const insertLoop = ({ writer, first }) =>
      (async () => {
        const retried = [];
        for (let i = 0; i < 100; i++) {
          for (let attempt = 1; ; attempt++) {
            try {
              await window.db.query('INSERT INTO t VALUES (?, ?)', [first + i, writer]);
              break;
            } catch (error) {
              if (error.code !== 'sql_serialization_failure' || attempt === 50) throw error;
              retried.push(first + i);
            }
          }
        }
        return retried;
      })();
    const started = Date.now();
    const retried = await Promise.all([
      inPage(a, insertLoop, { writer: 'a', first: 0 }, TEST_MS),
      inPage(b, insertLoop, { writer: 'b', first: 1000 }, TEST_MS),
    ]);
    const elapsed = Date.now() - started;
    t.diagnostic(
      `200 inserts from two pages in ${elapsed} ms; statements the pages ran again after ` +
        `sql_serialization_failure: a ${JSON.stringify(retried[0])}, b ${JSON.stringify(retried[1])}`,
    );
    for (const page of [a, b]) {
      assert.equal(await count(page, 't'), 200);
      assert.deepEqual(await rows(page, 'SELECT writer, COUNT(*) AS n FROM t GROUP BY writer ORDER BY writer'), [
        { writer: 'a', n: 100 },
        { writer: 'b', n: 100 },
      ]);
      const report = await fsck(page);
      assert.equal(report.clean, true, report.text);
    }

    // An explicit transaction in A, open while B commits one row at a time.
    await rows(a, 'BEGIN');
    const txLoop = () =>
      (async () => {
        for (let i = 0; i < 50; i++) {
          await window.db.query('INSERT INTO t VALUES (?, ?)', [2000 + i, 'x']);
          // Let the other page's inserts land between this transaction's statements.
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        return true;
      })();
    await Promise.all([
      inPage(a, txLoop, null, TEST_MS),
      inPage(b, insertLoop, { writer: 'b', first: 3000 }, TEST_MS),
    ]);
    t.diagnostic('the transaction in A committed while B wrote 100 rows');
    // Before COMMIT, B does not see the transaction's rows; A sees its own.
    assert.equal(await count(b, 't', "writer = 'x'"), 0);
    assert.equal(await count(a, 't', "writer = 'x'"), 50);
    await rows(a, 'COMMIT');
    for (const page of [a, b]) {
      assert.equal(await count(page, 't'), 350);
      assert.equal(await count(page, 't', 'id BETWEEN 2000 AND 2049'), 50);
      assert.equal(await count(page, 't', 'id BETWEEN 3000 AND 3099'), 100);
    }
    assert.equal((await fsck(b)).clean, true);
    await a.close();
    await b.close();
  });

  // A statement that loses the race to publish must load the winner's chunks before it can
  // flush again, while the winner writes straight away; the random back-off between attempts
  // (src/db/backend.rs) lets it through, so neither page's loop ever gives up.
  test('no statement gives up under two-page contention', { timeout: TEST_MS }, async () => {
    const a = await newPage();
    const b = await newPage();
    try {
      await openDb(a, 'contention');
      await inPage(a, () => window.db.query('CREATE TABLE t (id INT PRIMARY KEY)'));
      await openDb(b, 'contention');
      const loop = (first) =>
        (async () => {
          for (let i = 0; i < 100; i++) await window.db.query('INSERT INTO t VALUES (?)', [first + i]);
          return true;
        })();
      await Promise.all([inPage(a, loop, 0, TEST_MS), inPage(b, loop, 1000, TEST_MS)]);
      assert.equal(await count(a, 't'), 200);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a page sees another page’s writes without reloading', { timeout: TEST_MS }, async () => {
    const a = await newPage();
    const b = await newPage();
    await openDb(a, 'announce');
    await inPage(a, () => window.db.query('CREATE TABLE t (id INT PRIMARY KEY)'));
    await openDb(b, 'announce');
    assert.equal(await count(b, 't'), 0);
    for (const [round, ids] of [[1, [1, 2, 3]], [2, [4]], [3, [5, 6]]]) {
      await inPage(a, (ids) => window.db.query(`INSERT INTO t VALUES ${ids.map((id) => `(${id})`).join(', ')}`), ids);
      const expected = ids.at(-1);
      // B reads the manifest again only after A announced its flush on the BroadcastChannel;
      // poll B (bounded) until the rows show up.
      const deadline = Date.now() + 10_000;
      let seen;
      while ((seen = await count(b, 't')) !== expected && Date.now() < deadline) await sleep(50);
      assert.equal(seen, expected, withLogs(`round ${round}: page B still sees ${seen} rows`));
    }
    // And the other way round, with a version-control write.
    await inPage(b, () => window.db.query("CALL dolt_commit('-Am', 'from b')"));
    const deadline = Date.now() + 10_000;
    let head;
    while ((head = (await rows(a, 'SELECT message FROM dolt_log LIMIT 1'))[0].message) !== 'from b' && Date.now() < deadline) {
      await sleep(50);
    }
    assert.equal(head, 'from b');
    await a.close();
    await b.close();
  });

  test('a page hears a change event when another page writes', { timeout: TEST_MS }, async () => {
    const a = await newPage();
    const b = await newPage();
    await openDb(a, 'events');
    await inPage(a, () => window.db.query('CREATE TABLE t (id INT PRIMARY KEY)'));
    await openDb(b, 'events');
    // B keeps every event it hears and reads the table when one arrives.
    await inPage(b, () => {
      window.heard = [];
      window.db.addEventListener('change', async (event) => {
        const { rows } = await window.db.query('SELECT COUNT(*) AS n FROM t');
        window.heard.push({ ...event, n: rows[0].n });
      });
      return true;
    });
    await inPage(a, () => window.db.query('INSERT INTO t VALUES (1), (2)'));
    const deadline = Date.now() + 10_000;
    let heard = [];
    while ((heard = await inPage(b, () => window.heard)).length === 0 && Date.now() < deadline) await sleep(50);
    assert.deepEqual(heard[0], { type: 'change', database: 'events', n: 2 }, withLogs('page B heard nothing'));
    // B's own write sends B no event.
    await inPage(b, () => window.db.query('INSERT INTO t VALUES (3)'));
    await sleep(200);
    assert.equal((await inPage(b, () => window.heard)).length, 1);
    await a.close();
    await b.close();
  });

  test('a statement cut off by a reload or a closed page leaves all or nothing', { timeout: 2 * TEST_MS }, async (t) => {
    let page = await newPage();
    await openDb(page, 'abort');
    await inPage(page, () =>
      window.db.exec(`CREATE TABLE d (n INT PRIMARY KEY);
        INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
        CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(64));
        INSERT INTO big VALUES (1, 'kept'), (2, 'kept'), (3, 'kept');
        CALL dolt_commit('-Am', 'before')`),
    );
    // 20,000 rows in one statement: ids base .. base + 19,999.
    const bigInsert = (base) =>
      `INSERT INTO big SELECT ${base} + a.n + 10 * b.n + 100 * c.n + 1000 * e.n + 10000 * f.n, ` +
      `REPEAT('p', 40) FROM d a, d b, d c, d e, d f WHERE f.n < 2`;

    // How long the statement takes here, to place the interruptions inside it.
    const calibration = await inPage(page, async (sql) => {
      const started = performance.now();
      await window.db.query(sql);
      return performance.now() - started;
    }, bigInsert(1_000_000));
    assert.equal(await count(page, 'big', 'id >= 1000000 AND id < 1020000'), 20_000);
    t.diagnostic(`the 20,000-row statement takes ${Math.round(calibration)} ms`);
    await inPage(page, () => window.db.query("CALL dolt_commit('-am', 'calibration')"));
    let kept = 3 + 20_000;

    // Explicit transaction never committed: none of its rows survive the reload.
    await inPage(page, (sql) => window.db.exec(`BEGIN; ${sql}; INSERT INTO big VALUES (4, 'uncommitted')`), bigInsert(2_000_000));
    await within(STEP_MS, 'reload', page.reload());
    await waitReady(page);
    await openDb(page, 'abort');
    assert.equal(await count(page, 'big'), kept, 'an uncommitted transaction left nothing');

    // Autocommit statements interrupted at seeded points along their run, by a reload or by
    // closing the page, in turn. In two rounds of four the page opens the database with a small
    // cache, so the statement also waits for chunk loads halfway and the interruption can land
    // between them.
    const random = lcg(7);
    const outcomes = [];
    const fractions = [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 1.0, 1.3];
    for (let round = 0; round < fractions.length; round++) {
      const base = 3_000_000 + round * 100_000;
      const delay = Math.round(calibration * fractions[round] * (0.9 + 0.2 * random.next()));
      const how = round % 2 === 0 ? 'reload' : 'close';
      const cacheBytes = round % 4 < 2 ? undefined : 128 * 1024;
      await inPage(page, async (cacheBytes) => {
        await window.db.close();
        window.db = await window.cambium.Database.open('abort', { storage: 'indexeddb', cacheBytes });
      }, cacheBytes);
      // Start the statement and leave it running.
      await inPage(page, (sql) => {
        window.db.query(sql).catch(() => {});
        return true;
      }, bigInsert(base));
      await sleep(delay);
      if (how === 'reload') {
        await within(STEP_MS, 'reload', page.reload());
        await waitReady(page);
      } else {
        await within(STEP_MS, 'close', page.close());
        page = await newPage();
      }
      await openDb(page, 'abort');
      const written = await count(page, 'big', `id >= ${base} AND id < ${base + 20_000}`);
      assert.ok(written === 0 || written === 20_000, `round ${round}: ${written} of the 20,000 rows`);
      kept += written;
      assert.equal(await count(page, 'big'), kept, `round ${round}: earlier rows intact`);
      assert.deepEqual(await rows(page, 'SELECT id, pad FROM big WHERE id < 100 ORDER BY id'), [
        { id: 1, pad: 'kept' },
        { id: 2, pad: 'kept' },
        { id: 3, pad: 'kept' },
      ]);
      assert.equal(await count(page, "big AS OF 'HEAD'"), 3 + 20_000, `round ${round}: HEAD unchanged`);
      const report = await fsck(page);
      assert.equal(report.clean, true, `round ${round}: ${report.text}`);
      outcomes.push(`${how} after ${delay} ms${cacheBytes ? ' (small cache)' : ''}: ${written ? 'all' : 'none'}`);
    }
    t.diagnostic(outcomes.join('; '));
    await page.close();
  });

  test('a quota error is reported and leaves the data readable', { timeout: TEST_MS }, async () => {
    // Its own server, so its own origin: Chromium caches an origin's free space for up to 30 s,
    // so the small quota must be in place before the origin first writes.
    const quotaServer = await startServer();
    const page = await browser.context.newPage();
    try {
      const cdp = await browser.context.newCDPSession(page);
      const origin = quotaServer.origin;
      const QUOTA = 200 * 1024;
      const send = (method, params) => within(STEP_MS, method, cdp.send(method, params));
      await send('Storage.overrideQuotaForOrigin', { origin, quotaSize: QUOTA });
      const quota = await send('Storage.getUsageAndQuota', { origin });
      assert.equal(quota.quota, QUOTA);
      assert.equal(quota.overrideActive, true);
      await page.goto(quotaServer.url('/'), { timeout: STEP_MS });
      await waitReady(page);
      await openDb(page, 'quota');
      await inPage(page, () =>
        window.db.exec(`CREATE TABLE t (id INT PRIMARY KEY, pad TEXT);
          INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three');
          CALL dolt_commit('-Am', 'small')`),
      );
      // About 400 kB of fresh row data in one statement: twice the quota.
      const big = () =>
        window.db.query(
          `INSERT INTO t SELECT 1000 + a.n + 10 * b.n + 100 * c.n, REPEAT('q', 1000) FROM
           (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
            UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a,
           (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
            UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b,
           (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) c`,
        );
      await assert.rejects(inPage(page, big), (err) => {
        assert.equal(err.code, 'quota_exceeded', err.message);
        assert.match(err.message, /quota/i);
        return true;
      });
      // The committed rows are intact and readable, in this page and after a reload.
      assert.deepEqual(await rows(page, 'SELECT id, pad FROM t ORDER BY id'), [
        { id: 1, pad: 'one' },
        { id: 2, pad: 'two' },
        { id: 3, pad: 'three' },
      ]);
      await within(STEP_MS, 'reload', page.reload());
      await waitReady(page);
      await openDb(page, 'quota');
      assert.equal(await count(page, 't'), 3);
      assert.equal((await fsck(page)).clean, true);
      // Lift the override: the same write goes through.
      await send('Storage.overrideQuotaForOrigin', { origin });
      await inPage(page, big);
      assert.equal(await count(page, 't'), 403);
      await inPage(page, () => window.db.query("CALL dolt_commit('-am', 'big')"));
      assert.equal((await fsck(page)).clean, true);
    } finally {
      await page.close();
      await quotaServer.close();
    }
  });

  test('a worker opens what the page wrote', { timeout: TEST_MS }, async () => {
    const page = await newPage();
    await openDb(page, 'worker');
    await inPage(page, () =>
      window.db.exec(`CREATE TABLE t (id INT PRIMARY KEY, who TEXT);
        INSERT INTO t VALUES (1, 'page'), (2, 'page');
        CALL dolt_commit('-Am', 'from the page')`),
    );
    const answers = await inPage(page, async () => {
      const worker = window.startWorker();
      const ask = (sql) => worker.ask({ name: 'worker', sql });
      const read = await ask('SELECT id, who FROM t ORDER BY id');
      const log = await ask('SELECT message FROM dolt_log LIMIT 1');
      const write = await ask("INSERT INTO t VALUES (3, 'worker')");
      worker.terminate();
      return { read, log, write };
    });
    assert.equal(answers.read.ok, true, answers.read.message);
    assert.deepEqual(answers.read.rows, [
      { id: 1, who: 'page' },
      { id: 2, who: 'page' },
    ]);
    assert.deepEqual(answers.log.rows, [{ message: 'from the page' }]);
    assert.equal(answers.write.ok, true, answers.write.message);
    // The page hears of the worker's flush and reads its row.
    const deadline = Date.now() + 10_000;
    let seen;
    while ((seen = await count(page, 't')) !== 3 && Date.now() < deadline) await sleep(50);
    assert.equal(seen, 3);
    assert.deepEqual(await rows(page, 'SELECT who FROM t WHERE id = 3'), [{ who: 'worker' }]);
    await page.close();
  });
});
