// Remotes end to end with the built package: `cambium remote-server` started as a child process on
// port 0, and the `cambium` command run as separate processes in temporary directories: remote,
// push, clone, pull, a refused non-fast-forward push merged and pushed again, fetch (and
// --prune), backups to a file:// URL restored into a new directory, Database.clone over HTTP
// in this process, and eight clones pushing to one branch at once, of which exactly the
// fast-forward wins and the rest converge by pull and push with nothing lost.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { loadNode } from '../support/paths.mjs';
import { scratchSpace, startServer } from './support.mjs';

const { scratch, env, freshDir, run, runAsync, ok, fails } = scratchSpace('cambium-remotes-');

/** The rows of table t in the database directory `dir`, as CSV lines after the header. */
function rowsOf(dir) {
  const csv = ok(dir, ['sql', '-q', 'SELECT id, name FROM t ORDER BY id', '-r', 'csv']);
  const [header, ...lines] = csv.trim().split('\n');
  assert.equal(header, 'id,name');
  return lines;
}

/** A new database directory holding table t (id, name) with rows 1 and 2, committed. */
function seeded(name) {
  const dir = freshDir(name);
  ok(dir, ['init']);
  ok(dir, ['sql', '-q', "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO t VALUES (1, 'one'), (2, 'two')"]);
  ok(dir, ['commit', '-Am', 'seed']);
  return dir;
}

/** Inserts row `id` into t in `dir` and commits it. */
function commitRow(dir, id, name) {
  ok(dir, ['sql', '-q', `INSERT INTO t VALUES (${id}, '${name}')`]);
  ok(dir, ['commit', '-am', `row ${id}`]);
}

/** `cambium clone url` run in a fresh parent directory; returns the clone's directory. */
function cloneOf(url, dir = 'copy') {
  const parent = freshDir('parent');
  const out = ok(parent, ['clone', url, dir]);
  assert.match(out, new RegExp(`^cloning ${url}\\n`));
  return join(parent, dir);
}

/** The non-fast-forward refusal of a push, as Dolt words it. */
const NON_FAST_FORWARD = /failed to push some refs[\s\S]*behind[\s\S]*pull/;

let server;
/** The remote database `name` on the server. */
const remote = (name) => `${server.url}${name}`;

describe('cambium with a remote server', () => {
  const serverDir = join(scratch, 'served');

  before(async () => {
    ok(scratch, ['config', '--global', '--add', 'user.name', 'Remote Tester']);
    ok(scratch, ['config', '--global', '--add', 'user.email', 'remote@example.com']);
    server = await startServer(serverDir, env);
  });

  after(async () => {
    const { code } = await server.stop();
    assert.equal(code, 0);
  });

  test('push --set-upstream, clone, then commits pushed on one side are pulled on the other', () => {
    const a = seeded('a');
    ok(a, ['remote', 'add', 'origin', remote('shared')]);
    const pushed = ok(a, ['push', '--set-upstream', 'origin', 'main']);
    assert.match(pushed, new RegExp(`^To ${remote('shared')}\\n \\* main -> main\\n$`));
    assert.ok(existsSync(join(serverDir, 'shared')), 'the server keeps the pushed database under --dir');

    // Without <dir>, the clone is named after the URL's last segment.
    const parent = freshDir('parent');
    assert.match(ok(parent, ['clone', remote('shared')]), /Cloned into shared/);
    const b = join(parent, 'shared');
    assert.deepEqual(rowsOf(b), ['1,one', '2,two']);
    assert.equal(ok(b, ['branch', '--show-current']), 'main\n');
    assert.deepEqual(JSON.parse(readFileSync(join(b, '.cambium', 'repo_state.json'), 'utf8')), {
      name: 'shared',
      head: 'refs/heads/main',
    });

    // The branch a clone checks out tracks the remote's, and status says how the two stand.
    const standing = (dir) => ok(dir, ['status']).split('\n')[1];
    assert.equal(standing(b), "Your branch is up to date with 'origin/main'.");

    // The upstream set by push --set-upstream (and by clone) lets push and pull go without arguments.
    commitRow(a, 3, 'three');
    assert.equal(standing(a), "Your branch is ahead of 'origin/main' by 1 commit.");
    assert.match(ok(a, ['push']), / \* main -> main/);
    ok(b, ['fetch']);
    assert.equal(standing(b), "Your branch is behind 'origin/main' by 1 commit, and can be fast-forwarded.");
    const pulled = ok(b, ['pull']);
    assert.match(pulled, /^Updating [0-9a-v]{32}\.\.[0-9a-v]{32}\nFast-forward\n$/);
    assert.deepEqual(rowsOf(b), ['1,one', '2,two', '3,three']);
    assert.equal(ok(b, ['pull']), 'Everything up-to-date\n');

    commitRow(b, 4, 'four');
    ok(b, ['push', 'origin', 'main']);
    ok(a, ['pull', 'origin', 'main']);
    assert.deepEqual(rowsOf(a), ['1,one', '2,two', '3,three', '4,four']);
    assert.equal(ok(a, ['log', '--oneline']).trim().split('\n').length, 4);
  });

  test('a non-fast-forward push fails with the reason; pull merges, then the push goes through', () => {
    const a = seeded('a');
    ok(a, ['remote', 'add', 'origin', remote('diverged')]);
    ok(a, ['push', '-u', 'origin', 'main']);
    const b = cloneOf(remote('diverged'));

    commitRow(a, 10, 'from a');
    ok(a, ['push', 'origin', 'main']);
    commitRow(b, 20, 'from b');
    const refused = fails(b, ['push', 'origin', 'main'], NON_FAST_FORWARD);
    assert.equal(refused.status, 1);
    assert.equal(refused.stdout, '');

    // The refused push changed nothing on the server: a fresh clone has a's rows only.
    assert.deepEqual(rowsOf(cloneOf(remote('diverged'))), ['1,one', '2,two', '10,from a']);

    // The histories diverged, so the pull makes a merge commit.
    const merged = ok(b, ['pull', 'origin', 'main']);
    assert.match(merged, /^commit [0-9a-v]{32}/);
    assert.match(merged, /Merge: /);
    // Signed by the configured user, as commit and merge sign theirs.
    assert.match(merged, /Author: Remote Tester <remote@example\.com>/);
    assert.deepEqual(rowsOf(b), ['1,one', '2,two', '10,from a', '20,from b']);
    assert.match(ok(b, ['push', 'origin', 'main']), / \* main -> main/);

    // --force replaces the remote branch even when it is not an ancestor.
    commitRow(a, 11, 'forced');
    fails(a, ['push', 'origin', 'main'], NON_FAST_FORWARD);
    ok(a, ['push', '--force', 'origin', 'main']);
    assert.deepEqual(rowsOf(cloneOf(remote('diverged'))), ['1,one', '2,two', '10,from a', '11,forced']);
  });

  test('remote -v, remove and relative file:// URLs; fetch and fetch --prune', () => {
    const a = seeded('a');
    ok(a, ['remote', 'add', 'origin', remote('fetched')]);
    ok(a, ['push', '-u', 'origin', 'main']);
    const b = cloneOf(remote('fetched'));
    assert.equal(ok(b, ['remote']), 'origin\n');
    assert.equal(ok(b, ['remote', '-v']), `origin ${remote('fetched')} \n`);

    // A relative file:// path is stored absolute, resolved against the current directory.
    ok(b, ['remote', 'add', 'local', 'file://./elsewhere']);
    assert.equal(ok(b, ['remote', '-v']), `local file://${join(b, 'elsewhere')} \norigin ${remote('fetched')} \n`);
    ok(b, ['remote', 'rm', 'local']);
    ok(b, ['remote', 'add', 'other', remote('fetched')]);
    ok(b, ['remote', 'remove', 'other']);
    assert.equal(ok(b, ['remote']), 'origin\n');
    fails(b, ['remote', 'remove', 'other'], /other/);
    fails(b, ['remote', 'add', 'bad', 'ftp://example.com/db'], /http:\/\/, https:\/\/ or file:\/\//);

    const remoteBranches = () =>
      ok(b, ['sql', '-q', 'SELECT name FROM dolt_remote_branches ORDER BY name', '-r', 'csv']).trim().split('\n').slice(1);
    assert.deepEqual(remoteBranches(), ['remotes/origin/main']);

    ok(a, ['branch', 'feature']);
    ok(a, ['push', 'origin', 'feature']);
    commitRow(a, 5, 'five');
    ok(a, ['push']);
    assert.equal(ok(b, ['fetch']), '');
    assert.deepEqual(remoteBranches(), ['remotes/origin/feature', 'remotes/origin/main']);
    // Fetch moves remote-tracking branches only: main is unchanged until a merge.
    assert.deepEqual(rowsOf(b), ['1,one', '2,two']);
    ok(b, ['merge', 'origin/main']);
    assert.deepEqual(rowsOf(b), ['1,one', '2,two', '5,five']);

    // Deleting the remote branch, then fetch --prune drops its remote-tracking branch.
    assert.match(ok(a, ['push', 'origin', ':feature']), / - \[deleted\] feature/);
    ok(b, ['fetch', 'origin']);
    assert.deepEqual(remoteBranches(), ['remotes/origin/feature', 'remotes/origin/main']);
    ok(b, ['fetch', '--prune', 'origin']);
    assert.deepEqual(remoteBranches(), ['remotes/origin/main']);
    fails(b, ['fetch', 'nowhere'], /nowhere/);
  });

  test('backups: add, -v, sync, sync-url to a relative file:// URL, restore into a new directory, remove', () => {
    const a = seeded('a');
    ok(a, ['branch', 'side']);
    // An uncommitted row: a backup keeps the working set too.
    ok(a, ['sql', '-q', "INSERT INTO t VALUES (7, 'uncommitted')"]);

    ok(a, ['backup', 'sync-url', 'file://./bk-url']);
    assert.ok(existsSync(join(a, 'bk-url')), 'the relative file:// URL names a directory under the current one');

    const named = join(scratch, 'bk-named');
    ok(a, ['backup', 'add', 'nightly', `file://${named}`]);
    assert.equal(ok(a, ['backup']), 'nightly\n');
    assert.equal(ok(a, ['backup', '-v']), `nightly file://${named} \n`);
    ok(a, ['backup', 'sync', 'nightly']);
    fails(a, ['backup', 'sync', 'weekly'], /weekly/);

    for (const url of [`file://${join(a, 'bk-url')}`, `file://${named}`]) {
      const parent = freshDir('parent');
      ok(parent, ['backup', 'restore', url, 'restored']);
      const restored = join(parent, 'restored');
      assert.deepEqual(rowsOf(restored), ['1,one', '2,two', '7,uncommitted']);
      assert.match(ok(restored, ['status']), /modified:\s+t/);
      assert.equal(ok(restored, ['branch']), '* main\n  side\n');
      // The name is taken: a second restore into it is refused and leaves it as it was.
      fails(parent, ['backup', 'restore', url, 'restored'], /already exists/);
      assert.deepEqual(rowsOf(restored), ['1,one', '2,two', '7,uncommitted']);
    }

    ok(a, ['backup', 'rm', 'nightly']);
    assert.equal(ok(a, ['backup', '-v']), '');
    fails(freshDir('empty'), ['backup', 'restore', `file://${join(scratch, 'no-backup-here')}`, 'x'], /error/);
  });

  test('clone refuses a non-empty directory and leaves nothing behind when the remote is missing', () => {
    const a = seeded('a');
    ok(a, ['remote', 'add', 'origin', remote('refusals')]);
    ok(a, ['push', '-u', 'origin', 'main']);
    const parent = freshDir('parent');
    mkdirSync(join(parent, 'taken'));
    ok(join(parent, 'taken'), ['init']);
    fails(parent, ['clone', remote('refusals'), 'taken'], /already exists and is not empty/);
    fails(parent, ['clone', remote('never-pushed'), 'missing'], /never-pushed|no database/);
    assert.ok(!existsSync(join(parent, 'missing')), 'a failed clone leaves no directory');
    fails(parent, ['clone'], /clone takes <url>/);
  });

  test('Database.clone over HTTP in this process reads what the CLI pushed', async () => {
    const a = seeded('a');
    ok(a, ['remote', 'add', 'origin', remote('api')]);
    ok(a, ['push', '-u', 'origin', 'main']);
    const { Database } = loadNode();
    const db = await Database.clone(remote('api'), 'api_clone', { storage: 'memory' });
    try {
      const { rows } = await db.query('SELECT id, name FROM t ORDER BY id');
      assert.deepEqual(rows, [
        { id: 1, name: 'one' },
        { id: 2, name: 'two' },
      ]);
      await db.query("INSERT INTO t VALUES (3, 'from the api')");
      await db.query("CALL dolt_commit('-am', 'from the api')");
      await db.query("CALL dolt_push('origin', 'main')");
    } finally {
      await db.close();
    }
    ok(a, ['pull']);
    assert.deepEqual(rowsOf(a), ['1,one', '2,two', '3,from the api']);
  });

  test('eight clones push to main at once: one fast-forward wins, the rest converge with nothing lost', async () => {
    const CLIENTS = 8;
    const base = seeded('base');
    ok(base, ['remote', 'add', 'origin', remote('race')]);
    ok(base, ['push', '-u', 'origin', 'main']);
    const clients = [];
    for (let i = 0; i < CLIENTS; i++) {
      const dir = cloneOf(remote('race'), `client${i}`);
      commitRow(dir, 100 + i, `client ${i}`);
      clients.push(dir);
    }

    const results = await Promise.all(clients.map((dir) => runAsync(dir, ['push', 'origin', 'main'])));
    const winners = results.filter((r) => r.status === 0);
    const losers = results.filter((r) => r.status !== 0);
    // Every clone is one commit ahead of the same base, so only the first to land fast-forwards.
    assert.equal(winners.length, 1, results.map((r) => r.stderr).join('\n'));
    for (const loser of losers) assert.match(loser.stderr, NON_FAST_FORWARD);

    for (const [i, dir] of clients.entries()) {
      if (results[i].status === 0) continue;
      ok(dir, ['pull', 'origin', 'main']);
      ok(dir, ['push', 'origin', 'main']);
    }
    const expected = ['1,one', '2,two', ...clients.map((_, i) => `${100 + i},client ${i}`)];
    for (const dir of clients) {
      ok(dir, ['pull', 'origin', 'main']);
      assert.deepEqual(rowsOf(dir), expected);
    }
    const heads = new Set(clients.map((dir) => ok(dir, ['sql', '-q', "SELECT dolt_hashof('main')", '-r', 'csv'])));
    assert.equal(heads.size, 1, 'every client ends on the same commit');

    const check = cloneOf(remote('race'), 'check');
    assert.deepEqual(rowsOf(check), expected);
    const fsck = run(check, ['fsck']);
    assert.equal(fsck.status, 0, `fsck of the server's database failed: ${fsck.stderr}${fsck.stdout}`);
  });
});
