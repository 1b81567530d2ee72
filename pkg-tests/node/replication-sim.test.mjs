// A seeded simulation of replication with the built package over faulty links: three writers
// (synchronous; asynchronous through the outbox; synchronous and skipping replication errors)
// and two read replicas, each a database on files in this process, reach one `cambium
// remote-server` child process through relays of their own (support.mjs). For every request a
// link draws from its seed what happens to it: it passes, comes late, is lost before the server
// sees it, is carried out but its answer lost, or has its answer cut in half; a link can also be
// down for a while. The server is killed with SIGKILL, between requests and in the middle of
// one, and started again on the same directory; the asynchronous writer is closed and opened
// again. The run checks what replication promises:
// - a replica only ever shows a head some writer committed;
// - once the links are quiet, every writer and replica holds the same head, every commit a
//   writer acknowledged is in its history, and every row of those commits is in it.
// What each step does and what each link does to each request follow from the seed; how the
// processes interleave in time does not, so the checks are the promises above, which hold
// whatever the timing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { lcg, loadNode } from '../support/paths.mjs';
import { scratchSpace, startRelay, startServer } from './support.mjs';

const { Database } = loadNode();
const { scratch, env } = scratchSpace('cambium-replication-sim-');

const SEEDS = [11, 23, 37, 41, 59];
const STEPS = 200;
/** Of 100 requests on a link that is up, how many each fault takes; the rest pass. */
const FAULTS_PERCENT = { delay: 10, 'lose-request': 5, 'lose-answer': 5, truncate: 4, kill: 1 };
const DELAY_MS_MAX = 40;

/** What a link does to its next request, drawn from its own generator. */
function drawFault(rng, kill) {
  let roll = rng.int(0, 99);
  for (const [kind, percent] of Object.entries(FAULTS_PERCENT)) {
    if (roll < percent) return kind === 'delay' ? { kind, ms: rng.int(1, DELAY_MS_MAX) } : { kind, kill };
    roll -= percent;
  }
  return undefined;
}

/** The remote server, restartable on its directory; every relay follows it. */
function remoteServer(dir) {
  let server;
  let restarts = 0;
  // Set by `kill`: the child's exit is heard only later, and until then it looks alive.
  let killed = false;
  const relays = [];
  return {
    relays,
    get restarts() {
      return restarts;
    },
    async start() {
      server = await startServer(dir, env);
      for (const relay of relays) relay.retarget(server.port);
    },
    get port() {
      return server.port;
    },
    /** Stops the server at once, as a crash would; `ensure` starts it again. */
    kill() {
      killed = true;
      server.child.kill('SIGKILL');
    },
    async ensure() {
      if (!killed && server.child.exitCode === null && server.child.signalCode === null) return;
      await server.exited;
      killed = false;
      restarts += 1;
      await this.start();
    },
    async stop() {
      await server.stop();
    },
  };
}

/** Runs `sql` on `db` and gives the last statement's rows as arrays. */
const rows = async (db, sql) => (await db.query(sql, [], { rowMode: 'array' })).rows;
const head = async (db) => (await rows(db, "SELECT hashof('main')"))[0][0];
const history = async (db) => (await rows(db, 'SELECT commit_hash FROM dolt_log')).map((row) => row[0]);

async function run(seed) {
  const rng = lcg(seed);
  const dir = join(scratch, `seed${seed}`);
  const server = remoteServer(join(dir, 'remote'));
  await server.start();

  // One relay per database, with a generator of its own so that its faults follow from the seed
  // whatever the other links do. A link is quiet until the run starts.
  let faulty = false;
  const drawn = Object.fromEntries(Object.keys(FAULTS_PERCENT).map((kind) => [kind, 0]));
  const link = async (index) => {
    const linkRng = lcg(seed * 100 + index);
    const state = { up: true };
    const relay = await startRelay(server.port, () => {
      if (!faulty) return undefined;
      if (!state.up) return { kind: 'lose-request' };
      // A kill drawn just before the links turned quiet lands only while they are faulty.
      const fault = drawFault(linkRng, () => faulty && server.kill());
      if (fault) drawn[fault.kind] += 1;
      return fault;
    });
    server.relays.push(relay);
    return { relay, state, url: `${relay.url}/db` };
  };
  const open = (name) => Database.open(name, { storage: 'fs', dir: join(dir, name) });
  const clone = (url, name) => Database.clone(url, name, { storage: 'fs', dir: join(dir, name) });

  const origin = await link(0);
  const first = await open('first');
  await first.exec(
    `CREATE TABLE t (id BIGINT PRIMARY KEY, writer INT, v INT); INSERT INTO t VALUES (0, -1, 0);
     CALL dolt_commit('-Am', 'table'); CALL dolt_remote('add', 'origin', '${origin.url}');
     CALL dolt_push('origin', 'main')`,
  );
  await first.close();

  const writers = [];
  for (let id = 0; id < 3; id++) {
    const { state, url } = await link(1 + id);
    const name = `writer${id}`;
    const db = await clone(url, name);
    await db.exec(
      `SET PERSIST @@GLOBAL.dolt_replicate_to_remote = 'origin';
       SET PERSIST @@GLOBAL.dolt_replication_conflicts = 'theirs'`,
    );
    writers.push({ id, name, db, state, next: 1 });
  }
  await writers[1].db.query('SET PERSIST @@GLOBAL.dolt_async_replication = 1');
  await writers[2].db.query('SET PERSIST @@GLOBAL.dolt_skip_replication_errors = 1');
  const replicas = [];
  for (let i = 0; i < 2; i++) {
    const { url } = await link(4 + i);
    const db = await clone(url, `replica${i}`);
    await db.exec(
      `SET PERSIST @@GLOBAL.dolt_read_replica_remote = 'origin';
       SET PERSIST @@GLOBAL.dolt_replicate_heads = 'main'`,
    );
    replicas.push(db);
  }

  // Commits and rows whose commit call answered success, and every commit any writer holds.
  const acknowledged = { commits: new Set(), rows: new Set() };
  const committed = new Set();
  const learn = async () => {
    for (const writer of writers) for (const hash of await history(writer.db)) committed.add(hash);
  };
  await learn();
  const counts = { refused: 0, reads: 0, staleReads: 0, reopened: 0 };

  faulty = true;
  for (let step = 0; step < STEPS; step++) {
    await server.ensure();
    const roll = rng.int(0, 99);
    if (roll < 6) {
      const writer = writers[rng.int(0, 2)];
      writer.state.up = !writer.state.up;
    } else if (roll < 9) {
      server.kill();
    } else if (roll < 13) {
      // The asynchronous writer closes (its outbox goes out, or waits for the next open) and
      // opens again, as a page reload does.
      const writer = writers[1];
      await writer.db.close();
      writer.db = await open(writer.name);
      counts.reopened += 1;
    } else if (roll < 35) {
      const replica = replicas[rng.int(0, 1)];
      let shown;
      try {
        shown = await head(replica);
      } catch {
        counts.staleReads += 1;
        continue;
      }
      counts.reads += 1;
      await learn();
      assert.ok(committed.has(shown), `seed ${seed} step ${step}: a replica shows ${shown}, which no writer committed`);
    } else {
      const writer = writers[rng.int(0, 2)];
      const row = writer.id * 1_000_000 + writer.next++;
      // Now and then a writer also changes the row every writer changes, so merges conflict.
      const shared = rng.int(0, 3) === 0 ? `UPDATE t SET v = ${rng.int(1, 999)}, writer = ${writer.id} WHERE id = 0;` : '';
      try {
        const results = await writer.db.exec(
          `INSERT INTO t VALUES (${row}, ${writer.id}, ${rng.int(0, 999)}); ${shared}
           CALL dolt_commit('-am', 'row ${row}')`,
        );
        acknowledged.rows.add(row);
        acknowledged.commits.add(results.at(-1).rows[0].hash);
      } catch (error) {
        assert.ok(error.code, `seed ${seed} step ${step}: an error without a code: ${error.message}`);
        counts.refused += 1;
      }
      await learn();
    }
  }

  // Quiet: every link comes back and the server runs. Each writer commits once more, and its
  // replication merges what the remote gained meanwhile (conflicts by its policy) and pushes;
  // the asynchronous writer's close sends its outbox. Then every writer is behind or at the
  // remote's head, and a pull fast-forwards it there.
  faulty = false;
  await server.ensure();
  for (const writer of writers) {
    writer.state.up = true;
    const row = writer.id * 1_000_000 + writer.next++;
    const results = await writer.db.exec(`INSERT INTO t VALUES (${row}, ${writer.id}, 0); CALL dolt_commit('-am', 'last row ${row}')`);
    acknowledged.rows.add(row);
    acknowledged.commits.add(results.at(-1).rows[0].hash);
    if (writer.id === 1) {
      await writer.db.close();
      writer.db = await open(writer.name);
    }
  }
  for (const writer of writers) await writer.db.query("CALL dolt_pull('origin')");
  const heads = new Set(await Promise.all(writers.map((writer) => head(writer.db))));
  assert.equal(heads.size, 1, `seed ${seed}: the writers did not converge: ${[...heads]}`);
  const [final] = heads;
  for (const replica of replicas) assert.equal(await head(replica), final, `seed ${seed}: a replica did not converge`);

  const finalHistory = new Set(await history(writers[0].db));
  const lostCommits = [...acknowledged.commits].filter((hash) => !finalHistory.has(hash));
  assert.deepEqual(lostCommits, [], `seed ${seed}: acknowledged commits are missing from the final history`);
  const present = new Set((await rows(writers[0].db, 'SELECT id FROM t')).map((row) => Number(row[0])));
  const lostRows = [...acknowledged.rows].filter((row) => !present.has(row));
  assert.deepEqual(lostRows, [], `seed ${seed}: rows of acknowledged commits are missing`);

  // The run must have been eventful enough to tell something.
  assert.ok(acknowledged.rows.size > 20, `seed ${seed}: only ${acknowledged.rows.size} commits were acknowledged`);
  assert.ok(counts.refused > 0, `seed ${seed}: no commit was refused, so no fault reached a writer`);
  assert.ok(counts.reads > 10, `seed ${seed}: only ${counts.reads} replica reads answered`);
  assert.ok(server.restarts > 0, `seed ${seed}: the server never restarted`);
  for (const [kind, count] of Object.entries(drawn)) totals[kind] += count;

  for (const writer of writers) await writer.db.close();
  for (const replica of replicas) await replica.close();
  for (const relay of server.relays) await relay.close();
  await server.stop();
  return { acknowledged: acknowledged.rows.size, restarts: server.restarts, ...counts, faults: drawn };
}

/** How many requests met each fault over every seed. */
const totals = Object.fromEntries(Object.keys(FAULTS_PERCENT).map((kind) => [kind, 0]));

for (const seed of SEEDS) {
  test(`seed ${seed}: writers and replicas over faulty links converge without losing commits`, { timeout: 180_000 }, async (t) => {
    const figures = await run(seed);
    t.diagnostic(JSON.stringify(figures));
  });
}

test('the seeds together met every fault', () => {
  for (const [kind, count] of Object.entries(totals)) assert.ok(count > 0, `no request met '${kind}': ${JSON.stringify(totals)}`);
});
