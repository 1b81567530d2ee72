// Replication end to end with the built package: Dolt's replication and availability documents
// replayed with `cambium` in place of `dolt` and a `cambium remote-server` child process on
// 127.0.0.1 in place of DoltHub, every database in its own temporary directory and every command
// a separate process. Then what the documents leave to the reader: branches replicated to
// all-heads and wildcard replicas, failover to a promoted standby that fences the old primary
// off, and two writers committing to one branch at once.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { loadNode } from '../support/paths.mjs';
import { scratchSpace, startServer } from './support.mjs';

// Every command runs without blocking, so the suites below (each a story of commands in order)
// run side by side and the file takes the time of the longest.
const { scratch, env, freshDir, okAsync: ok, failsAsync: fails } = scratchSpace('cambium-replication-');

let server;
/** The URL of the remote database `name` on the server. */
const remote = (name) => `${server.url}${name}`;

/** Sets the persisted system variable `variable` of the database in `dir` through `cambium config`. */
async function configure(dir, variable, value) {
  assert.equal(await ok(dir, ['config', '--add', '--local', `sqlserver.global.${variable}`, String(value)]), 'Config successfully updated.\n');
}

/** Removes the persisted system variable `variable` of the database in `dir`, back to its default. */
async function unconfigure(dir, variable) {
  assert.equal(await ok(dir, ['config', '--unset', '--local', `sqlserver.global.${variable}`]), 'Config successfully updated.\n');
}

/** Runs `query` in `dir` and returns what it printed as CSV lines, header lines included. */
async function csv(dir, query) {
  return (await ok(dir, ['sql', '-q', query, '-r', 'csv'])).trim().split('\n');
}

/** The rows of table test in `dir`, as `pk,c1` lines. */
async function testRows(dir) {
  const [header, ...lines] = await csv(dir, 'SELECT * FROM test ORDER BY pk');
  assert.equal(header, 'pk,c1');
  return lines;
}

/** The hash of the commit a `dolt_commit` (or `COMMIT()`) printed. */
function printedHash(stdout) {
  const match = stdout.match(/\b([0-9a-v]{32})\b/);
  assert.ok(match, `no commit hash in: ${stdout}`);
  return match[1];
}

/** The hash and message of the commit `cambium log -n 1` shows in `dir`. */
async function lastCommit(dir) {
  const log = await ok(dir, ['log', '-n', '1']);
  const match = log.match(/^commit ([0-9a-v]{32})[^\n]*\n[\s\S]*?\n\n\s+([^\n]*)\n/);
  assert.ok(match, `unexpected log: ${log}`);
  return { hash: match[1], message: match[2] };
}

let probes = 0;
/**
 * The branches of the remote database `name` and their heads (`{ main: hash, … }`), read from a
 * fresh clone of it made in this process: what anyone cloning the remote now would get.
 */
async function remoteBranches(name) {
  const { Database } = loadNode();
  const db = await Database.clone(remote(name), `probe${++probes}`, { storage: 'memory' });
  try {
    const { rows } = await db.query('SELECT name, hash FROM dolt_remote_branches ORDER BY name');
    return Object.fromEntries(rows.map(({ name: branch, hash }) => [branch.replace(/^remotes\/origin\//, ''), hash]));
  } finally {
    await db.close();
  }
}

/** The head of `branch` on the remote database `name`. */
async function remoteHead(name, branch = 'main') {
  return (await remoteBranches(name))[branch];
}

/**
 * A primary: a new database directory named `name` holding table test with row (0,0) committed,
 * pushed to the remote database `name` as origin, and replicating to it.
 */
async function primary(name) {
  const dir = databaseDir(name);
  await ok(dir, ['init']);
  await ok(dir, ['sql', '-q', 'CREATE TABLE test (pk INT PRIMARY KEY, c1 INT); INSERT INTO test VALUES (0, 0)']);
  await ok(dir, ['commit', '-Am', 'first']);
  await ok(dir, ['remote', 'add', 'origin', remote(name)]);
  await ok(dir, ['push', '-u', 'origin', 'main']);
  await configure(dir, 'dolt_replicate_to_remote', 'origin');
  return dir;
}

/** A new directory named `name`, so that the database made in it is called `name`. */
function databaseDir(name) {
  const dir = join(freshDir('parent'), name);
  mkdirSync(dir);
  return dir;
}

/** `cambium clone` of the remote database `name` into a new directory `dir`; returns its path. */
async function cloneOf(name, dir) {
  const parent = freshDir('parent');
  await ok(parent, ['clone', remote(name), dir]);
  return join(parent, dir);
}

before(async () => {
  server = await startServer(join(scratch, 'served'), env);
});

after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0);
});

// The three suites run side by side; the steps inside each run in order.
describe('replication through cambium remote-server', { concurrency: true }, () => {
  // Dolt's replication document, one step after another, each `dolt` command run as `cambium`.
  describe('the replication transcript', { concurrency: false }, () => {
    const NAME = 'replication_example';
    let master;
    let replica;
    let replicated;

    test('configuring a master: a Dolt commit pushes to the remote', async () => {
      master = databaseDir(NAME);
      await ok(master, ['init']);
      await ok(master, ['remote', 'add', 'origin', remote(NAME)]);
      await configure(master, 'dolt_replicate_to_remote', 'origin');
      await ok(master, ['sql', '-q', 'create table test (pk int, c1 int, primary key(pk))']);
      assert.match(await ok(master, ['sql', '-q', 'insert into test values (0,0)']), /^Query OK, 1 row affected/);
      // '-am' stages the new table too, as in the Dolt the transcript was recorded with.
      const hash = printedHash(await ok(master, ['sql', '-q', "call dolt_commit('-am', 'trigger replication')"]));

      // The remote has the commit: a fresh clone of it is at that commit, with the row.
      const check = await cloneOf(NAME, 'check');
      assert.deepEqual(await lastCommit(check), { hash, message: 'trigger replication' });
      assert.deepEqual(await testRows(check), ['0,0']);
      replicated = hash;
    });

    test('stopping replication: with the variable unset, commits stay local', async () => {
      await unconfigure(master, 'dolt_replicate_to_remote');
      assert.doesNotMatch(await ok(master, ['config', '--list']), /dolt_replicate_to_remote/);
      await ok(master, ['sql', '-q', "call dolt_commit('--allow-empty', '-m', 'while stopped')"]);
      assert.equal(await remoteHead(NAME), replicated);
    });

    test('making every transaction commit a Dolt commit, replicated once replication is on again', async () => {
      await configure(master, 'dolt_replicate_to_remote', 'origin');
      await configure(master, 'dolt_transaction_commit', 1);
      assert.match(await ok(master, ['sql', '-q', 'insert into test values (1,1)']), /^Query OK, 1 row affected/);
      const { hash, message } = await lastCommit(master);
      assert.equal(message, 'Transaction commit');
      assert.equal(await remoteHead(NAME), hash, 'and now on the remote');
      replicated = hash;
      // The transcript leaves this on, but then every insert is committed by itself and the
      // `insert …; call dolt_commit('-am', …)` of the replica section finds nothing to commit.
      await unconfigure(master, 'dolt_transaction_commit');
    });

    test('replication errors fail the commit, or are warnings with dolt_skip_replication_errors', async () => {
      await configure(master, 'dolt_replicate_to_remote', 'broken');
      const refused = await fails(master, ['sql', '-q', "call dolt_commit('-m', 'empty commit', '--allow-empty')"], /remote not found: 'broken'/);
      assert.equal(refused.stdout, '');
      assert.deepEqual(await lastCommit(master), { hash: replicated, message: 'Transaction commit' });

      await configure(master, 'dolt_skip_replication_errors', 1);
      const hash = printedHash(await ok(master, ['sql', '-q', "call dolt_commit('-m', 'empty commit', '--allow-empty')"]));
      assert.deepEqual(await lastCommit(master), { hash, message: 'empty commit' });
      assert.equal(await remoteHead(NAME), replicated, 'nothing reached the remote');
    });

    test('asynchronous replication: the commit succeeds and its outbox is pushed before the command exits', async () => {
      await configure(master, 'dolt_replicate_to_remote', 'origin');
      await configure(master, 'dolt_async_replication', 1);
      const hash = printedHash(await ok(master, ['sql', '-q', "call dolt_commit('-m', 'asynchronous', '--allow-empty')"]));
      assert.equal(await remoteHead(NAME), hash);
      replicated = hash;
    });

    test('configuring a replica: reads pull the master\'s commits on main', async () => {
      replica = await cloneOf(NAME, 'read_replica');
      await configure(replica, 'dolt_read_replica_remote', 'origin');
      await configure(replica, 'dolt_replicate_heads', 'main');
      assert.deepEqual(await testRows(replica), ['0,0', '1,1']);

      const out = await ok(master, ['sql', '-q', "insert into test values (2,2); call dolt_commit('-am', 'Inserted (2,2)');"]);
      assert.match(out, /^Query OK, 1 row affected/);
      const hash = printedHash(out);

      assert.deepEqual(await testRows(replica), ['0,0', '1,1', '2,2']);
      assert.deepEqual(await lastCommit(replica), { hash, message: 'Inserted (2,2)' });
      // A replica refuses writes of its own.
      await fails(replica, ['sql', '-q', 'insert into test values (9,9)'], /read replica of remote 'origin'.*\[sql_read_only\]/);
    });

    test('replicating all branches: a branch made on the master is read on the replica', async () => {
      await unconfigure(replica, 'dolt_replicate_heads');
      await configure(replica, 'dolt_replicate_all_heads', 1);
      const out = await ok(master, ['sql', '-q', "call dolt_checkout('-b', 'branch1'); insert into test values (3,3); call dolt_commit('-am', 'Inserted (3,3)');"]);
      assert.match(out, /Query OK, 1 row affected/);

      const read = await csv(replica, "call dolt_checkout('branch1'); select * from test;");
      assert.equal(read[0], 'status,message');
      assert.match(read[1], /^0,/);
      assert.deepEqual(read.slice(2), ['pk,c1', '0,0', '1,1', '2,2', '3,3']);
    });

    test('only one of dolt_replicate_heads and dolt_replicate_all_heads can be set', async () => {
      await fails(replica, ['config', '--add', '--local', 'sqlserver.global.dolt_replicate_heads', 'main'], /dolt_replicate_(all_)?heads/);
    });
  });

  // Dolt's availability document: the SQL forms of the configuration, what triggers a push and what
  // does not, and backups.
  describe('the availability document', { concurrency: false }, () => {
    const NAME = 'availability';
    let source;
    let replica;

    test('SET PERSIST configures a source and a replica as cambium config does', async () => {
      source = databaseDir(NAME);
      await ok(source, ['init']);
      await ok(source, ['sql', '-q', 'CREATE TABLE test (pk INT PRIMARY KEY, c1 INT); INSERT INTO test VALUES (0, 0)']);
      await ok(source, ['commit', '-Am', 'first']);
      await ok(source, ['remote', 'add', 'origin', remote(NAME)]);
      await ok(source, ['push', '-u', 'origin', 'main']);
      await ok(source, ['sql', '-q', "SET PERSIST @@GLOBAL.dolt_replicate_to_remote = 'origin'"]);
      assert.match(await ok(source, ['config', '--list']), /^sqlserver\.global\.dolt_replicate_to_remote = origin$/m);

      replica = await cloneOf(NAME, 'replica');
      await ok(replica, ['sql', '-q', "SET PERSIST @@GLOBAL.dolt_read_replica_remote = 'origin'; SET PERSIST @@GLOBAL.dolt_replicate_heads = 'main'"]);
      assert.match(await ok(replica, ['config', '--list']), /^sqlserver\.global\.dolt_read_replica_remote = origin$/m);
    });

    test('SELECT DOLT_COMMIT(…) replicates', async () => {
      const hash = printedHash(await ok(source, ['sql', '-q', "INSERT INTO test VALUES (1, 1); SELECT DOLT_COMMIT('-am', 'message')"]));
      assert.equal(await remoteHead(NAME), hash);
      assert.deepEqual(await testRows(replica), ['0,0', '1,1']);
    });

    test('a branch head set to COMMIT(…) through dolt_branches replicates', async () => {
      const update = `UPDATE dolt_branches SET hash = COMMIT('-m', 'message') WHERE name = 'main' AND hash = @@${NAME}_head`;
      await ok(source, ['sql', '-q', `INSERT INTO test VALUES (2, 2); CALL dolt_add('test'); ${update}`]);
      const { hash, message } = await lastCommit(source);
      assert.equal(message, 'message');
      assert.equal(await remoteHead(NAME), hash);
      assert.deepEqual(await testRows(replica), ['0,0', '1,1', '2,2']);
    });

    test('a standalone COMMIT moves no head and replicates nothing', async () => {
      const pushed = await remoteHead(NAME);
      await ok(source, ['sql', '-q', 'START TRANSACTION; INSERT INTO test VALUES (3, 3); COMMIT']);
      assert.deepEqual(await testRows(source), ['0,0', '1,1', '2,2', '3,3']);
      assert.equal(await remoteHead(NAME), pushed);
      assert.deepEqual(await testRows(replica), ['0,0', '1,1', '2,2']);
    });

    test('backup add, sync and restore copy the whole database, the uncommitted row included', async () => {
      const url = remote(`${NAME}_backup`);
      await ok(source, ['backup', 'add', 'nightly', url]);
      await ok(source, ['backup', 'sync', 'nightly']);
      const parent = freshDir('parent');
      await ok(parent, ['backup', 'restore', url, 'restored']);
      const restored = join(parent, 'restored');
      assert.deepEqual(await testRows(restored), ['0,0', '1,1', '2,2', '3,3']);
      assert.match(await ok(restored, ['status']), /modified:\s+test/);
      assert.deepEqual(await lastCommit(restored), await lastCommit(source));
    });
  });

  // Beyond the documents: a primary, replicas and writers as separate processes around one server.
  describe('replication between processes', { concurrency: false }, () => {
    /** The branches of the database in `dir`. */
    const branches = async (dir) => (await csv(dir, 'SELECT name FROM dolt_branches ORDER BY name')).slice(1);

    test('branches made and deleted on a primary reach an all-heads replica; a wildcard heads list takes what matches', async () => {
      const NAME = 'branches';
      const source = await primary(NAME);
      const all = await cloneOf(NAME, 'all');
      await configure(all, 'dolt_read_replica_remote', 'origin');
      await configure(all, 'dolt_replicate_all_heads', 1);
      const releases = await cloneOf(NAME, 'releases');
      await configure(releases, 'dolt_read_replica_remote', 'origin');
      await configure(releases, 'dolt_replicate_heads', 'main,release/*');

      await ok(source, ['sql', '-q', "CALL dolt_branch('feature'); CALL dolt_checkout('-b', 'release/1.0'); INSERT INTO test VALUES (1, 1); CALL dolt_commit('-am', 'release fix')"]);
      assert.deepEqual(Object.keys(await remoteBranches(NAME)), ['feature', 'main', 'release/1.0']);
      assert.deepEqual(await branches(all), ['feature', 'main', 'release/1.0']);
      assert.deepEqual(await branches(releases), ['main', 'release/1.0']);
      const read = await csv(releases, "CALL dolt_checkout('release/1.0'); SELECT * FROM test ORDER BY pk");
      assert.deepEqual(read.slice(2), ['pk,c1', '0,0', '1,1']);

      await ok(source, ['sql', '-q', "CALL dolt_branch('-D', 'feature')"]);
      assert.deepEqual(Object.keys(await remoteBranches(NAME)), ['main', 'release/1.0']);
      assert.deepEqual(await branches(all), ['main', 'release/1.0']);
    });

    test('failover: a promoted standby replicates, the old primary is fenced off and turns read-only', async () => {
      const NAME = 'failover';
      const old = await primary(NAME);
      const standby = await cloneOf(NAME, 'standby');
      await configure(standby, 'dolt_read_replica_remote', 'origin');
      await configure(standby, 'dolt_replicate_heads', 'main');
      await ok(old, ['sql', '-q', "INSERT INTO test VALUES (1, 1); CALL dolt_commit('-am', 'last from the old primary')"]);

      assert.match((await csv(standby, "CALL dolt_promote('origin')")).join('\n'), /epoch 1/);
      assert.deepEqual(await testRows(standby), ['0,0', '1,1'], 'the standby caught up');
      const settings = await ok(standby, ['config', '--list']);
      assert.match(settings, /^sqlserver\.global\.dolt_replicate_to_remote = origin$/m);
      assert.doesNotMatch(settings, /dolt_read_replica_remote = origin/);
      const first = printedHash(await ok(standby, ['sql', '-q', "INSERT INTO test VALUES (2, 2); CALL dolt_commit('-am', 'first from the standby')"]));
      assert.equal(await remoteHead(NAME), first);

      await fails(old, ['sql', '-q', "INSERT INTO test VALUES (3, 3); CALL dolt_commit('-am', 'too late')"], /newer primary.*\[fenced\]/);
      assert.equal(await remoteHead(NAME), first, "the old primary's commit never reached the remote");
      await fails(old, ['sql', '-q', 'INSERT INTO test VALUES (4, 4)'], /newer primary.*\[sql_read_only\]/);

      const second = printedHash(await ok(standby, ['sql', '-q', "INSERT INTO test VALUES (5, 5); CALL dolt_commit('-am', 'second from the standby')"]));
      assert.equal(await remoteHead(NAME), second);
    });

    test('two writers commit to one branch at once: both commits reach the remote; conflicts are kept or resolved by policy', async () => {
      const NAME = 'writers';
      const a = await primary(NAME);
      const c = await cloneOf(NAME, 'c');
      await configure(c, 'dolt_replicate_to_remote', 'origin');

      // The push that lands second is refused as non-fast-forward: that writer merges and pushes again.
      await Promise.all([
        ok(a, ['sql', '-q', "INSERT INTO test VALUES (1, 1); CALL dolt_commit('-am', 'from a')"]),
        ok(c, ['sql', '-q', "INSERT INTO test VALUES (2, 2); CALL dolt_commit('-am', 'from c')"]),
      ]);
      const check = await cloneOf(NAME, 'check');
      assert.deepEqual(await testRows(check), ['0,0', '1,1', '2,2']);
      const messages = (await csv(check, 'SELECT message FROM dolt_log')).slice(1);
      assert.ok(messages.includes('from a') && messages.includes('from c'), messages.join('\n'));
      const pushed = await remoteHead(NAME);
      const mergers = [];
      for (const dir of [a, c]) if ((await lastCommit(dir)).hash === pushed) mergers.push(dir);
      assert.equal(mergers.length, 1, 'one writer merged and its merge is the remote head');

      // Both change row 0: the second writer's merge conflicts, and the conflicts are kept for it
      // to resolve; its commit is refused until then.
      await ok(a, ['pull', 'origin', 'main']);
      await ok(c, ['pull', 'origin', 'main']);
      await ok(a, ['sql', '-q', "UPDATE test SET c1 = 10 WHERE pk = 0; CALL dolt_commit('-am', 'a sets 10')"]);
      await fails(c, ['sql', '-q', "UPDATE test SET c1 = 20 WHERE pk = 0; CALL dolt_commit('-am', 'c sets 20')"], /\[replication_conflicts\]/);
      assert.deepEqual(await csv(c, 'SELECT count(*) AS n FROM dolt_conflicts_test'), ['n', '1']);
      await ok(c, ['sql', '-q', "CALL dolt_conflicts_resolve('--theirs', 'test'); CALL dolt_commit('-am', 'resolved')"]);
      assert.deepEqual(await testRows(c), ['0,10', '1,1', '2,2']);
      assert.equal(await remoteHead(NAME), (await lastCommit(c)).hash);

      // With dolt_replication_conflicts = ours, the writer resolves them itself, keeping its rows.
      await ok(a, ['pull', 'origin', 'main']);
      await ok(a, ['sql', '-q', "UPDATE test SET c1 = 11 WHERE pk = 0; CALL dolt_commit('-am', 'a sets 11')"]);
      await configure(c, 'dolt_replication_conflicts', 'ours');
      await ok(c, ['sql', '-q', "UPDATE test SET c1 = 21 WHERE pk = 0; CALL dolt_commit('-am', 'c sets 21')"]);
      assert.deepEqual(await testRows(c), ['0,21', '1,1', '2,2']);
      assert.equal(await remoteHead(NAME), (await lastCommit(c)).hash);
      await ok(a, ['pull', 'origin', 'main']);
      assert.deepEqual(await testRows(a), ['0,21', '1,1', '2,2'], 'the writers converge');
    });
  });
});
