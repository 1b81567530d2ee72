// Remotes behind a server that checks bearer tokens (`remote-server --auth FILE`): without a
// token a push or clone is refused 401 and names the problem; a read token clones and pulls
// but cannot push (403); a write token pushes; the token comes from CAMBIUM_REMOTE_TOKEN in
// the CLI and from `remoteToken` in the JS API, and is never stored in the database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const pkg = new URL('../../pkg/', import.meta.url).pathname;
const cli = path.join(pkg, 'bin', 'cambium.js');
const { Database } = require(path.join(pkg, 'node', 'cambium.js'));

const WRITE = 'write-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';

function cambium(cwd, args, token) {
  const env = { ...process.env, HOME: cwd };
  delete env.CAMBIUM_REMOTE_TOKEN;
  if (token) env.CAMBIUM_REMOTE_TOKEN = token;
  const run = spawnSync(process.execPath, [cli, ...args], { cwd, env, encoding: 'utf8' });
  return { status: run.status, out: run.stdout, err: run.stderr };
}

function ok(cwd, args, token) {
  const run = cambium(cwd, args, token);
  assert.equal(run.status, 0, `cambium ${args.join(' ')}: ${run.err}`);
  return run.out;
}

test('a server that checks tokens', async () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'cambium-auth-'));
  const auth = path.join(work, 'auth.json');
  writeFileSync(
    auth,
    JSON.stringify({
      tokens: [
        { token: WRITE, database: 'db', scope: 'write' },
        { token: READ, database: '*', scope: 'read' },
      ],
    }),
  );
  const server = spawn(
    process.execPath,
    [cli, 'remote-server', '--dir', path.join(work, 'remote'), '--port', '0', '--auth', auth],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const port = await new Promise((resolve) =>
      server.stdout.once('data', (data) => resolve(String(data).match(/:(\d+)\//)[1])),
    );
    const url = `http://127.0.0.1:${port}/db`;
    const a = path.join(work, 'a');
    mkdirSync(a);
    ok(a, ['init']);
    ok(a, ['sql', '-q', "CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2)"]);
    ok(a, ['commit', '-Am', 'rows']);
    ok(a, ['remote', 'add', 'origin', url]);

    const anonymous = cambium(a, ['push', 'origin', 'main']);
    assert.notEqual(anonymous.status, 0);
    assert.match(anonymous.err, /unauthorized/);
    const reader = cambium(a, ['push', 'origin', 'main'], READ);
    assert.notEqual(reader.status, 0);
    assert.match(reader.err, /forbidden/);
    ok(a, ['push', 'origin', 'main'], WRITE);

    assert.notEqual(cambium(work, ['clone', url, 'b']).status, 0, 'no token, no clone');
    ok(work, ['clone', url, 'b2'], READ);
    assert.match(ok(path.join(work, 'b2'), ['sql', '-q', 'SELECT count(*) AS n FROM t', '-r', 'csv']), /^n\n2\n/);

    // The JS API: a function of the URL gives the token.
    const db = await Database.clone(url, 'js', {
      storage: 'fs',
      dir: path.join(work, 'js'),
      remoteToken: (asked) => (asked === url ? READ : undefined),
    });
    const { rows } = await db.query('SELECT count(*) AS n FROM t');
    assert.equal(rows[0].n, 2);
    await db.close();

    // No token was written anywhere in the databases' files.
    for (const dir of [path.join(a, '.cambium'), path.join(work, 'b2', '.cambium'), path.join(work, 'js')]) {
      const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
      for (const file of files) {
        const bytes = readFileSync(path.join(file.parentPath ?? file.path, file.name));
        assert.ok(!bytes.includes(WRITE) && !bytes.includes(READ), `a token in ${file.name}`);
      }
    }
  } finally {
    server.kill();
    rmSync(work, { recursive: true, force: true });
  }
});
