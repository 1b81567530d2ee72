// The `cambium` command of the built package (pkg/bin/cambium.js), end to end: every command run
// as a child process in temporary database directories, every result format, scripts on stdin,
// the interactive shell (on streams, and on a pseudo-terminal), exit statuses and error messages,
// state kept between invocations, a branch/merge/conflict round trip, and the package installed
// with npm.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, describe, test } from 'node:test';

import { loadNode, ROOT } from '../support/paths.mjs';

const PKG = join(ROOT, 'pkg');
const BIN = join(PKG, 'bin', 'cambium.js');
const scratch = mkdtempSync(join(tmpdir(), 'cambium-cli-'));
// The global config lives under HOME; every run gets this one, never the real one.
const HOME = join(scratch, 'home');
mkdirSync(HOME);
after(() => rmSync(scratch, { recursive: true, force: true }));

let dirs = 0;
/** A new empty directory named `name` (unique). */
function freshDir(name = 'db') {
  const dir = join(scratch, `${name}${++dirs}`);
  mkdirSync(dir);
  return dir;
}

/** Runs `cambium args…` in `cwd`; returns `{ status, stdout, stderr }`. */
function run(cwd, args, { input, home = HOME } = {}) {
  const child = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    input,
    encoding: 'utf8',
    env: { ...process.env, HOME: home, TZ: 'UTC' },
  });
  if (child.error) throw child.error;
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

/** Runs a command that must succeed and returns its stdout. */
function ok(cwd, args, options) {
  const result = run(cwd, args, options);
  assert.equal(result.status, 0, `cambium ${args.join(' ')} failed: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Runs a command that must fail, with its stderr matching `pattern`; returns the result. */
function fails(cwd, args, pattern, options) {
  const result = run(cwd, args, options);
  assert.notEqual(result.status, 0, `cambium ${args.join(' ')} succeeded: ${result.stdout}`);
  assert.match(result.stderr, pattern);
  return result;
}

/** A new database directory holding table t (id, name) with rows 1 and 2, committed. */
function seeded(name = 'db') {
  const dir = freshDir(name);
  ok(dir, ['init']);
  ok(dir, ['sql', '-q', "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO t VALUES (1, 'one'), (2, 'two')"]);
  ok(dir, ['commit', '-Am', 'seed']);
  return dir;
}

/**
 * A seeded database where main sets row 1's name to 'ours' and `branch` sets it to 'theirs',
 * both committed, main checked out: merging `branch` conflicts.
 */
function conflicting(branch) {
  const dir = seeded();
  ok(dir, ['branch', branch]);
  ok(dir, ['sql', '-q', "UPDATE t SET name = 'ours' WHERE id = 1"]);
  ok(dir, ['commit', '-am', 'ours']);
  ok(dir, ['checkout', branch]);
  ok(dir, ['sql', '-q', "UPDATE t SET name = 'theirs' WHERE id = 1"]);
  ok(dir, ['commit', '-am', 'theirs']);
  ok(dir, ['checkout', 'main']);
  return dir;
}

/** The CLI's entry, loaded from the package into this process to drive the shell on streams. */
const { main } = createRequire(import.meta.url)(join(PKG, 'bin', 'lib', 'main.js'));

/**
 * Runs `cambium sql args…` in `cwd` in this process as on a terminal, with `lines` typed into
 * its shell (and the input ended after them unless `end` is false); resolves to the exit status
 * and the transcript: prompts, results and errors in the order they were written, with every
 * statement's time as 0.00.
 */
async function shell(cwd, lines, { args = [], end = true } = {}) {
  let transcript = '';
  const terminal = new Writable({
    write(chunk, _, done) {
      transcript += chunk;
      done();
    },
  });
  const input = new PassThrough();
  for (const line of lines) input.write(`${line}\n`);
  if (end) input.end();
  const print = (line) => {
    transcript += `${line}\n`;
  };
  const status = await main(['sql', ...args], { cwd, stdout: print, stderr: print, stdin: input, terminal });
  return { status, transcript: transcript.replace(/\(\d+\.\d\d sec\)/g, '(0.00 sec)') };
}

/** Text a terminal showed, without escape sequences and carriage returns. */
function plain(text) {
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}

/**
 * Runs `cambium sql` in `cwd` on a pseudo-terminal made by util-linux's `script`, typing each of
 * `keys` once the shell shows a prompt for it; resolves to the exit status and what the
 * terminal showed (see `plain`).
 */
function onTerminal(cwd, keys) {
  const quote = (text) => `'${text.replace(/'/g, "'\\''")}'`;
  const command = `${quote(process.execPath)} ${quote(BIN)} sql`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd,
    env: { ...process.env, HOME, TZ: 'UTC', TERM: 'xterm' },
  });
  return new Promise((resolve, reject) => {
    let shown = '';
    let typed = 0;
    let since = 0;
    const stalled = setTimeout(() => {
      child.kill();
      reject(new Error(`the shell stopped answering; the terminal showed:\n${plain(shown)}`));
    }, 30_000);
    child.on('error', reject);
    child.stdout.on('data', (data) => {
      shown += data;
      // A prompt at the end of what arrived since the last keys means the shell waits for more.
      if (typed < keys.length && /> $/.test(plain(shown.slice(since)))) {
        since = shown.length;
        child.stdin.write(keys[typed++]);
      }
    });
    child.on('close', (status) => {
      clearTimeout(stalled);
      child.stdin.end();
      resolve({ status, shown: plain(shown) });
    });
  });
}

/** The hash of a revision. */
function hashOf(dir, revision) {
  return ok(dir, ['sql', '-r', 'csv', '-q', `SELECT dolt_hashof('${revision}') AS h`]).split('\n')[1];
}

describe('commands outside a database directory', () => {
  test('help lists every command; a command has its own usage', () => {
    const dir = freshDir('plain');
    const listing = ok(dir, ['help']);
    for (const name of ['init', 'sql', 'log', 'status', 'add', 'commit', 'branch', 'checkout', 'merge', 'diff', 'reset', 'tag', 'config', 'fsck', 'gc', 'version']) {
      assert.match(listing, new RegExp(`^    ${name} +- `, 'm'), name);
    }
    assert.match(ok(dir, ['commit', '--help']), /^usage: cambium commit .*-m <msg>/m);
    assert.match(ok(dir, ['help', 'log']), /--oneline/);
    fails(dir, ['help', 'nope'], /'nope' is not a cambium command/);
    // No command at all prints the usage and fails, as Dolt does.
    const bare = run(dir, []);
    assert.equal(bare.status, 1);
    assert.match(bare.stdout, /Valid commands for cambium are/);
  });

  test('version names the engine version', () => {
    assert.match(ok(freshDir('plain'), ['version']), /^cambium version \d+\.\d+\.\d+\n$/);
  });

  test('an unknown command fails and says so', () => {
    const result = fails(freshDir('plain'), ['frobnicate'], /'frobnicate' is not a cambium command/);
    assert.equal(result.status, 1);
  });

  test('commands that need a database fail like Dolt', () => {
    const dir = freshDir('plain');
    for (const args of [['status'], ['log'], ['sql', '-q', 'SELECT 1'], ['branch'], ['commit', '-m', 'x'], ['diff'], ['gc'], ['config', '--local', '--list']]) {
      const result = fails(dir, args, /^The current directory is not a valid cambium repository\.$/m);
      assert.equal(result.status, 1, args.join(' '));
    }
    assert.equal(existsSync(join(dir, '.cambium')), false, 'nothing was created');
  });
});

describe('init', () => {
  test('makes the directory a database with one commit, once', () => {
    const dir = freshDir('notes');
    assert.match(ok(dir, ['init']), /^Successfully initialized cambium data repository/);
    assert.ok(existsSync(join(dir, '.cambium', 'repo_state.json')));
    const state = JSON.parse(readFileSync(join(dir, '.cambium', 'repo_state.json'), 'utf8'));
    assert.deepEqual(state, { name: `notes${dirs}`, head: 'refs/heads/main' });
    assert.match(ok(dir, ['log']), /Initialize data repository/);
    assert.equal(ok(dir, ['status']), 'On branch main\nnothing to commit, working tree clean\n');
    fails(dir, ['init'], /^This directory has already been initialized\.$/m);
    fails(dir, ['init', 'extra'], /init takes no arguments/);
  });

  test("the database is named after the directory, other characters mapped to '_'", () => {
    const dir = join(scratch, 'my notes.v2');
    mkdirSync(dir);
    const result = run(dir, ['init']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /the database is named 'my_notes_v2'/);
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', 'SELECT DATABASE() AS d']), 'd\nmy_notes_v2\n');
  });

  test('--name, --email, --date and -b shape the first branch and commit, as in Dolt', async () => {
    const dir = freshDir('flags');
    const printed = ok(dir, ['init', '-b', 'trunk', '--name', 'Ada Lovelace', '--email', 'ada@example.com', '--date', '2024-01-02T03:04:05']);
    assert.match(printed, /^Successfully initialized cambium data repository/);
    const state = JSON.parse(readFileSync(join(dir, '.cambium', 'repo_state.json'), 'utf8'));
    assert.deepEqual(state, { name: `flags${dirs}`, head: 'refs/heads/trunk' });
    assert.equal(ok(dir, ['branch']), '* trunk\n');
    assert.equal(ok(dir, ['status']), 'On branch trunk\nnothing to commit, working tree clean\n');
    assert.match(
      ok(dir, ['log']),
      /^commit [0-9a-v]{32} \(HEAD -> trunk\)\nAuthor: Ada Lovelace <ada@example.com>\nDate:  Tue Jan 02 03:04:05 \+0000 2024\n\n\tInitialize data repository\n/,
    );
    // The name and email are the database's local config, so later commits are signed too.
    assert.equal(ok(dir, ['config', '--local', '--list']), 'user.email = ada@example.com\nuser.name = Ada Lovelace\n');
    assert.match(ok(dir, ['commit', '--allow-empty', '-m', 'next']), /^Author: Ada Lovelace <ada@example.com>$/m);
    // The renamed branch is the database's default one: a session that names none starts there.
    const { Database } = loadNode();
    const db = await Database.open(state.name, { storage: 'fs', dir: join(dir, '.cambium') });
    const { rows } = await db.query("SELECT active_branch() AS b, (SELECT COUNT(*) FROM dolt_branches) AS n");
    assert.deepEqual(rows, [{ b: 'trunk', n: 1 }]);
    await db.close();
  });

  test('init signs the first commit with the configured user; -b main keeps the default branch', () => {
    const home = freshDir('home');
    ok(freshDir('plain'), ['config', '--global', '--add', 'user.name', 'Grace Hopper'], { home });
    ok(freshDir('plain'), ['config', '--global', '--add', 'user.email', 'grace@example.com'], { home });
    const dir = freshDir();
    ok(dir, ['init', '--initial-branch=main'], { home });
    assert.equal(ok(dir, ['branch'], { home }), '* main\n');
    assert.match(ok(dir, ['log'], { home }), /^Author: Grace Hopper <grace@example.com>$/m);
    // Without --name or --email nothing is written to the local config.
    assert.equal(existsSync(join(dir, '.cambium', 'config.json')), false);
  });

  test('a refused branch name, date or empty flag leaves no database behind', () => {
    const dir = freshDir();
    fails(dir, ['init', '-b', 'bad..name'], /'bad\.\.name' is not a valid branch name/);
    assert.equal(existsSync(join(dir, '.cambium')), false);
    fails(dir, ['init', '--date', 'someday'], /invalid date 'someday'/);
    assert.equal(existsSync(join(dir, '.cambium')), false);
    fails(dir, ['init', '--name', ''], /--name needs a non-empty value/);
    fails(dir, ['init', '-b'], /option `-b' of `cambium init' needs a value/);
    assert.equal(existsSync(join(dir, '.cambium')), false);
    // The directory can still be initialized.
    ok(dir, ['init', '-b', 'good']);
    assert.equal(ok(dir, ['branch', '--show-current']), 'good\n');
  });

  test('a directory name too long for a database name is refused clearly', () => {
    const dir = join(scratch, 'x'.repeat(70));
    mkdirSync(dir);
    fails(dir, ['init'], /longer than 64 bytes/);
    assert.equal(existsSync(join(dir, '.cambium')), false);
  });
});

describe('sql', () => {
  test('several statements in -q, printed as Dolt prints them', () => {
    const dir = freshDir();
    ok(dir, ['init']);
    const out = ok(dir, ['sql', '-q', "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO t VALUES (1, 'one'), (2, NULL); SELECT * FROM t ORDER BY id"]);
    const lines = out.split('\n');
    assert.match(lines[0], /^Query OK, 0 rows affected \(\d+\.\d\d sec\)$/);
    assert.match(lines[1], /^Query OK, 2 rows affected \(\d+\.\d\d sec\)$/);
    assert.equal(
      lines.slice(2).join('\n'),
      ['+----+------+', '| id | name |', '+----+------+', '| 1  | one  |', '| 2  | NULL |', '+----+------+', '', ''].join('\n'),
    );
    assert.match(ok(dir, ['sql', '-q', 'UPDATE t SET name = 2 WHERE id = 1']), /^Query OK, 1 row affected/);
  });

  test('every result format: tabular, csv, json, vertical', () => {
    const dir = freshDir();
    ok(dir, ['init']);
    ok(dir, ['sql', '-q', "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20), price DECIMAL(6,2), big BIGINT); INSERT INTO t VALUES (1, 'a, \"b\"', 9.50, 9007199254740993), (2, NULL, NULL, -1)"]);
    const query = 'SELECT id, name, price, big FROM t ORDER BY id';
    assert.equal(
      ok(dir, ['sql', '-r', 'csv', '-q', query]),
      'id,name,price,big\n1,"a, ""b""",9.50,9007199254740993\n2,,,-1\n',
    );
    assert.equal(
      ok(dir, ['sql', '--result-format=json', '-q', query]),
      '{"rows": [{"id":1,"name":"a, \\"b\\"","price":"9.50","big":9007199254740993},{"id":2,"name":null,"price":null,"big":-1}]}\n',
    );
    assert.equal(
      ok(dir, ['sql', '-r', 'vertical', '-q', 'SELECT id, name FROM t WHERE id = 2']),
      '*************************** 1. row ***************************\n  id: 2\nname: NULL\n',
    );
    assert.match(ok(dir, ['sql', '-r', 'tabular', '-q', query]), /^\| 1  \| a, "b" \| 9\.50  \| 9007199254740993 \|$/m);
    // CSV and JSON stay machine-readable: no "Query OK" lines among them.
    assert.equal(ok(dir, ['sql', '-r', 'json', '-q', 'INSERT INTO t VALUES (3, NULL, NULL, 0)']), '');
    fails(dir, ['sql', '-r', 'xml', '-q', query], /unknown result format 'xml'/);
  });

  test('columns that share a name all appear', () => {
    const dir = freshDir();
    ok(dir, ['init']);
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', 'SELECT 1 AS x, 2 AS x']), 'x,x\n1,2\n');
  });

  test('statements from stdin and from a file, quotes and comments kept intact', () => {
    const dir = freshDir();
    ok(dir, ['init']);
    const script = [
      '-- a comment; with a semicolon',
      'CREATE TABLE notes (id INT PRIMARY KEY, body TEXT);',
      "INSERT INTO notes VALUES (1, 'semi; colon'), (2, 'it''s');",
      '/* block; comment */ INSERT INTO notes VALUES (3, "double; quoted");',
      'SELECT body FROM notes ORDER BY id;',
    ].join('\n');
    const out = ok(dir, ['sql', '-r', 'csv'], { input: script });
    assert.equal(out, 'body\nsemi; colon\nit\'s\ndouble; quoted\n');
    const file = join(dir, 'script.sql');
    writeFileSync(file, 'SELECT COUNT(*) AS n FROM notes;\n');
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-f', file]), 'n\n3\n');
    fails(dir, ['sql', '-f', join(dir, 'missing.sql')], /cannot read/);
  });

  test('a failing statement: its error and code, exit 1, the statements before it stand', () => {
    const dir = freshDir();
    ok(dir, ['init']);
    const result = fails(
      dir,
      ['sql', '-q', 'CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)'],
      /\[sql_duplicate_key\]|duplicate/i,
    );
    assert.match(result.stderr, /in statement 3: INSERT INTO t VALUES \(1\)/);
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', 'SELECT id FROM t']), 'id\n1\n');
    // --continue runs the rest, and still reports failure.
    const going = run(dir, ['sql', '--continue', '-q', 'INSERT INTO t VALUES (1); INSERT INTO t VALUES (5)']);
    assert.equal(going.status, 1);
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', 'SELECT id FROM t ORDER BY id']), 'id\n1\n5\n');
    const syntax = fails(dir, ['sql', '-q', 'SELEC 1'], /^error: .* \[sql_syntax\]$/m);
    assert.equal(syntax.status, 1);
    fails(dir, ['sql', '-q', 'SELECT * FROM nope'], /\[sql_no_such_table\]/);
  });

  test('SHOW CREATE TABLE of the working table, AS OF a revision, and in `db/<commit>`', () => {
    const dir = seeded();
    const { name } = JSON.parse(readFileSync(join(dir, '.cambium', 'repo_state.json'), 'utf8'));
    const seed = hashOf(dir, 'HEAD');
    ok(dir, ['sql', '-q', 'ALTER TABLE t ADD COLUMN extra INT']);
    const createOf = (sql) => JSON.parse(ok(dir, ['sql', '-r', 'json', '-q', sql])).rows[0]['Create Table'];
    const working = createOf('SHOW CREATE TABLE t');
    assert.match(working, /`extra` int/);
    const committed = createOf("SHOW CREATE TABLE t AS OF 'main'");
    assert.equal(committed, working.replace('  `extra` int,\n', ''));
    assert.equal(createOf(`SHOW CREATE TABLE t AS OF '${seed}'`), committed);
    assert.equal(createOf(`SHOW CREATE TABLE \`${name}/${seed}\`.t`), committed);
    fails(dir, ['sql', '-q', "SHOW CREATE TABLE t AS OF 'nope'"], /^error: revision not found: 'nope' \[not_found\]$/m);
    fails(dir, ['sql', '-q', `SHOW CREATE TABLE \`${name}/nope\`.t`], new RegExp(`database not found: ${name}/nope \\[sql_no_such_database\\]`));
  });

  test('bad flags are refused by name', () => {
    const dir = freshDir();
    ok(dir, ['init']);
    fails(dir, ['sql', '--bogus'], /unknown option `--bogus' for `cambium sql'/);
    fails(dir, ['sql', '-q'], /option `-q' of `cambium sql' needs a value/);
    fails(dir, ['log', '-z'], /unknown option `-z'/);
    fails(dir, ['sql', 'SELECT 1'], /unexpected argument 'SELECT 1'/);
  });
});

describe('the sql shell', () => {
  test('prompts with the database and branch, runs statements across lines, shows errors, follows checkouts', async () => {
    const dir = freshDir('shell');
    ok(dir, ['init']);
    const db = `shell${dirs}`;
    const prompt = `${db}/main> `;
    const more = '-> '.padStart(prompt.length);
    const { status, transcript } = await shell(dir, [
      'SELECT 1 AS one;',
      'CREATE TABLE t (id INT PRIMARY KEY,',
      '  name TEXT);',
      "INSERT INTO t VALUES (1, 'a;b'); SELECT name FROM t;",
      'SELECT * FROM nope;',
      '',
      '-- only a comment',
      "CALL dolt_checkout('-b', 'feature');",
      `USE \`${db}/main\`;`,
      "SELECT LENGTH('one",
      'exit',
      "') AS n;",
      'quit',
      'SELECT 2;',
    ]);
    assert.equal(status, 0);
    assert.equal(
      transcript,
      [
        '# Welcome to the Cambium SQL shell.',
        "# Statements must be terminated with ';'.",
        '# "exit" or "quit" (or Ctrl-D) to exit.',
        `${prompt}+-----+`,
        '| one |',
        '+-----+',
        '| 1   |',
        '+-----+',
        '',
        `${prompt}${more}Query OK, 0 rows affected (0.00 sec)`,
        `${prompt}Query OK, 1 row affected (0.00 sec)`,
        '+------+',
        '| name |',
        '+------+',
        '| a;b  |',
        '+------+',
        '',
        `${prompt}error: table 'nope' does not exist [sql_no_such_table]`,
        `${prompt}${prompt}${prompt}+--------+------------------------------+`,
        '| status | message                      |',
        '+--------+------------------------------+',
        "| 0      | Switched to branch 'feature' |",
        '+--------+------------------------------+',
        '',
        `${db}/feature> Query OK, 0 rows affected (0.00 sec)`,
        // `exit` inside an unfinished string is part of the statement, not a command.
        `${prompt}${more}${more}+---+`,
        '| n |',
        '+---+',
        '| 9 |',
        '+---+',
        '',
        `${prompt}Bye`,
        '',
      ].join('\n'),
    );
    // The shell moved its own session only: the directory is still on main.
    assert.equal(ok(dir, ['branch', '--show-current']), 'main\n');
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', 'SELECT COUNT(*) AS n FROM t']), 'n\n1\n');
  });

  test('the end of the input leaves as Ctrl-D does, \\q leaves at once, -r applies in the shell', async () => {
    const dir = freshDir('shell');
    ok(dir, ['init', '-b', 'trunk']);
    const prompt = `shell${dirs}/trunk> `;
    const more = '-> '.padStart(prompt.length);
    const afterWelcome = (text) => text.split('\n').slice(3).join('\n');
    // An unfinished statement at the end of the input is dropped.
    const ended = await shell(dir, ['SELECT 2 AS two;', 'SELECT 3'], { args: ['-r', 'csv'] });
    assert.equal(ended.status, 0);
    assert.equal(afterWelcome(ended.transcript), `${prompt}two\n2\n${prompt}${more}\nBye\n`);
    const left = await shell(dir, ['\\q', 'SELECT 4 AS four;'], { end: false });
    assert.equal(left.status, 0);
    assert.equal(afterWelcome(left.transcript), `${prompt}Bye\n`);
  });

  test('on a terminal: the prompt, line editing and history, results, Ctrl-C drops a statement, Ctrl-D leaves', async () => {
    const dir = freshDir('tty');
    ok(dir, ['init']);
    const db = `tty${dirs}`;
    const { status, shown } = await onTerminal(dir, [
      'CREATE TABLE t (id INT PRIMARY KEY);\r',
      'INSERT INTO t\r',
      'VALUES (7);\r',
      // Ctrl-C after typing part of a statement.
      'SELECT oops\x03',
      "CALL dolt_commit('-Am', 'seven');\r",
      "CALL dolt_checkout('-b', 'feature');\r",
      // A typo taken back with Backspace, then the same line again from the history (Up).
      'SELECT idx\x7f FROM t;\r',
      '\x1b[A\r',
      '\x04',
    ]);
    assert.equal(status, 0, shown);
    const expected = [
      '# Welcome to the Cambium SQL shell.',
      `${db}/main> CREATE TABLE t (id INT PRIMARY KEY);`,
      'Query OK, 0 rows affected',
      `${db}/main> INSERT INTO t`,
      `${' '.repeat(db.length + 4)}-> VALUES (7);`,
      'Query OK, 1 row affected',
      `${db}/main> SELECT oops^C`,
      `${db}/main> CALL dolt_checkout('-b', 'feature');`,
      "| 0      | Switched to branch 'feature' |",
      `${db}/feature> SELECT id FROM t;`,
      '| 7  |',
      `${db}/feature> SELECT id FROM t;`,
      '| 7  |',
      `${db}/feature> `,
      'Bye',
    ];
    let at = 0;
    for (const line of expected) {
      const found = shown.indexOf(line, at);
      assert.ok(found >= 0, `the terminal did not show ${JSON.stringify(line)} after position ${at}:\n${shown}`);
      at = found + line.length;
    }
  });
});

describe('status, add, commit, log', () => {
  test('status follows a table from untracked to staged to committed to modified', () => {
    const dir = freshDir();
    ok(dir, ['init']);
    ok(dir, ['sql', '-q', 'CREATE TABLE t (id INT PRIMARY KEY)']);
    assert.equal(
      ok(dir, ['status']),
      'On branch main\nUntracked tables:\n  (use "cambium add <table>" to include in what will be committed)\n\tnew table:        t\n',
    );
    assert.equal(ok(dir, ['add']), "Nothing specified, nothing added.\n Maybe you wanted to say 'cambium add .'?\n");
    ok(dir, ['add', 't']);
    assert.equal(
      ok(dir, ['status']),
      'On branch main\nChanges to be committed:\n  (use "cambium reset <table>..." to unstage)\n\tnew table:        t\n',
    );
    ok(dir, ['commit', '-m', 'add t']);
    ok(dir, ['sql', '-q', 'INSERT INTO t VALUES (1); CREATE TABLE u (id INT PRIMARY KEY)']);
    assert.equal(
      ok(dir, ['status']),
      [
        'On branch main',
        'Changes not staged for commit:',
        '  (use "cambium add <table>" to update what will be committed)',
        '  (use "cambium checkout <table>" to discard changes in working directory)',
        '\tmodified:         t',
        '',
        'Untracked tables:',
        '  (use "cambium add <table>" to include in what will be committed)',
        '\tnew table:        u',
        '',
      ].join('\n'),
    );
    fails(dir, ['add', 'nope'], /nope/);
  });

  test('commit: -m needed, nothing to commit, -a, -A, --allow-empty, and what it prints', () => {
    const dir = freshDir();
    ok(dir, ['init']);
    fails(dir, ['commit'], /no commit message given/);
    const empty = fails(dir, ['commit', '-m', 'nothing'], /^no changes added to commit \(use "cambium add"\)$/m);
    assert.equal(empty.status, 1);
    ok(dir, ['sql', '-q', 'CREATE TABLE t (id INT PRIMARY KEY)']);
    // Without -a or -A only what is staged is committed: a new table stays untracked.
    const untracked = fails(dir, ['commit', '-m', 'only new'], /no changes added to commit/);
    assert.match(untracked.stdout, /Untracked tables:\n\tnew table:        t/);
    // -a stages the new table too (as Dolt's replication document expects); -A does the same.
    const printed = ok(dir, ['commit', '-am', 'create t']);
    assert.match(
      printed,
      /^commit [0-9a-v]{32} \(HEAD -> main\)\nAuthor: root <root@localhost>\nDate:  \w{3} \w{3} \d\d \d\d:\d\d:\d\d \+0000 \d{4}\n\n\tcreate t\n\n$/,
    );
    ok(dir, ['sql', '-q', 'INSERT INTO t VALUES (1)']);
    ok(dir, ['commit', '-A', '-m', 'row 1']);
    ok(dir, ['commit', '--allow-empty', '-m', 'nothing changed\nsecond line']);
    assert.match(ok(dir, ['log', '-n', '1']), /\n\n\tnothing changed\n\tsecond line\n\n$/);
    fails(dir, ['commit', '-m', 'x', 'stray'], /unexpected argument 'stray'/);
  });

  test('log: order, -n, --oneline, decorations, merges', () => {
    const dir = seeded();
    ok(dir, ['sql', '-q', 'INSERT INTO t VALUES (3, NULL)']);
    ok(dir, ['commit', '-am', 'third row']);
    ok(dir, ['tag', 'v1', 'HEAD~1']);
    const oneline = ok(dir, ['log', '--oneline']).trimEnd().split('\n');
    assert.equal(oneline.length, 3);
    assert.match(oneline[0], /^[0-9a-v]{32} \(HEAD -> main\) third row$/);
    assert.match(oneline[1], /^[0-9a-v]{32} \(tag: v1\) seed$/);
    assert.match(oneline[2], /^[0-9a-v]{32} Initialize data repository$/);
    assert.equal(ok(dir, ['log', '-n', '1', '--oneline']).trimEnd().split('\n').length, 1);
    const long = ok(dir, ['log', '-n', '2']);
    assert.equal((long.match(/^commit /gm) || []).length, 2);
    assert.match(long, /^Author: root <root@localhost>$/m);
    assert.match(ok(dir, ['log', '--oneline', 'v1']), /^[0-9a-v]{32} \(tag: v1\) seed\n/);
    assert.doesNotMatch(ok(dir, ['log', '--decorate', 'no', '--oneline']), /HEAD ->/);
    fails(dir, ['log', '-n', 'many'], /invalid --number argument: many/);
    fails(dir, ['log', 'no-such-branch'], /no-such-branch/);
  });
});

describe('branch and checkout', () => {
  test('create, list, copy, rename, delete; the checked-out branch persists between runs', () => {
    const dir = seeded();
    ok(dir, ['branch', 'feature']);
    ok(dir, ['branch', '-c', 'feature', 'copy']);
    assert.equal(ok(dir, ['branch']), '  copy\n  feature\n* main\n');
    assert.match(ok(dir, ['branch', '-v']), /^\* main +[0-9a-v]{32} seed$/m);
    assert.equal(ok(dir, ['checkout', 'feature']), "Switched to branch 'feature'\n");
    // A new process: still on feature.
    assert.equal(ok(dir, ['branch', '--show-current']), 'feature\n');
    assert.match(ok(dir, ['status']), /^On branch feature$/m);
    assert.equal(ok(dir, ['checkout', 'feature']), "Already on branch 'feature'\n");
    // Renaming the checked-out branch keeps it checked out.
    ok(dir, ['branch', '-m', 'renamed']);
    assert.equal(ok(dir, ['branch', '--show-current']), 'renamed\n');
    assert.match(readFileSync(join(dir, '.cambium', 'repo_state.json'), 'utf8'), /refs\/heads\/renamed/);
    ok(dir, ['sql', '-q', "INSERT INTO t VALUES (9, 'nine')"]);
    ok(dir, ['commit', '-am', 'on renamed']);
    ok(dir, ['checkout', 'main']);
    // Not merged: -d refuses, -D deletes.
    const refused = fails(dir, ['branch', '-d', 'renamed'], /renamed/);
    assert.equal(refused.status, 1);
    ok(dir, ['branch', '-D', 'renamed']);
    ok(dir, ['branch', '-d', 'copy']);
    assert.equal(ok(dir, ['branch']), '* main\n');
    fails(dir, ['branch', 'main'], /already exists/);
    fails(dir, ['branch', '-d'], /branch name required/);
  });

  test('checkout -b, switching carries each branch its own data, checkout of a table discards changes', () => {
    const dir = seeded();
    assert.equal(ok(dir, ['checkout', '-b', 'work']), "Switched to a new branch 'work'\n");
    assert.equal(ok(dir, ['branch', '--show-current']), 'work\n');
    ok(dir, ['sql', '-q', "UPDATE t SET name = 'changed' WHERE id = 1"]);
    ok(dir, ['commit', '-am', 'change on work']);
    ok(dir, ['checkout', 'main']);
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', 'SELECT name FROM t WHERE id = 1']), 'name\none\n');
    ok(dir, ['checkout', 'work']);
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', 'SELECT name FROM t WHERE id = 1']), 'name\nchanged\n');
    ok(dir, ['sql', '-q', 'DELETE FROM t']);
    ok(dir, ['checkout', 't']);
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', 'SELECT COUNT(*) AS n FROM t']), 'n\n2\n');
    assert.match(ok(dir, ['status']), /nothing to commit, working tree clean/);
    ok(dir, ['checkout', '-b', 'from-main', 'main']);
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', 'SELECT name FROM t WHERE id = 1']), 'name\none\n');
    fails(dir, ['checkout'], /checkout needs a branch/);
  });

  test('a branch deleted behind the directory falls back to the default one, with a warning', () => {
    const dir = seeded();
    ok(dir, ['checkout', '-b', 'gone']);
    // Deleting the checked-out branch from SQL (another session would) leaves the state stale.
    ok(dir, ['sql', '-q', "USE `" + JSON.parse(readFileSync(join(dir, '.cambium', 'repo_state.json'), 'utf8')).name + "/main`; CALL dolt_branch('-D', 'gone')"]);
    const result = run(dir, ['branch', '--show-current']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /checked-out branch 'gone' is gone/);
    assert.equal(result.stdout, 'main\n');
    assert.equal(run(dir, ['status']).stderr, '');
  });
});

describe('merge', () => {
  test('fast-forward, a merge commit, up to date', () => {
    const dir = seeded();
    ok(dir, ['checkout', '-b', 'ahead']);
    ok(dir, ['sql', '-q', "INSERT INTO t VALUES (3, 'three')"]);
    ok(dir, ['commit', '-am', 'three']);
    const before = hashOf(dir, 'main');
    const ahead = hashOf(dir, 'ahead');
    ok(dir, ['checkout', 'main']);
    assert.equal(ok(dir, ['merge', 'ahead']), `Updating ${before}..${ahead}\nFast-forward\n`);
    assert.equal(ok(dir, ['merge', 'ahead']), 'Everything up-to-date\n');
    // Both sides move: a merge commit with two parents.
    ok(dir, ['checkout', 'ahead']);
    ok(dir, ['sql', '-q', "INSERT INTO t VALUES (4, 'four')"]);
    ok(dir, ['commit', '-am', 'four']);
    ok(dir, ['checkout', 'main']);
    ok(dir, ['sql', '-q', "INSERT INTO t VALUES (5, 'five')"]);
    ok(dir, ['commit', '-am', 'five']);
    const merged = ok(dir, ['merge', '-m', 'join ahead', 'ahead']);
    assert.match(merged, /^commit [0-9a-v]{32} \(HEAD -> main\)\nMerge: [0-9a-v]{32} [0-9a-v]{32}\n/);
    assert.match(merged, /\tjoin ahead/);
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', 'SELECT id FROM t ORDER BY id']), 'id\n1\n2\n3\n4\n5\n');
    fails(dir, ['merge'], /merge takes one branch/);
    fails(dir, ['merge', 'nope'], /nope/);
  });

  test('a conflict round trip: merge stops, status and conflicts show it, resolve, commit', () => {
    const dir = conflicting('theirs');
    const merge = run(dir, ['merge', 'theirs']);
    assert.equal(merge.status, 1, 'a merge that stops on conflicts fails');
    assert.equal(
      merge.stdout,
      'Auto-merging t\nCONFLICT (content): Merge conflict in t\nAutomatic merge failed; fix conflicts and then commit the result.\n',
    );
    // The conflict is kept across invocations.
    const status = ok(dir, ['status']);
    assert.match(status, /You have unmerged tables\./);
    assert.match(status, /Unmerged paths:\n  \(use "cambium add <table>\.\.\." to mark resolution\)\n\tboth modified:    t/);
    const cat = ok(dir, ['conflicts', 'cat', 't']);
    assert.match(cat, /our_name/);
    assert.match(cat, /\| ours +\|/);
    assert.match(cat, /\| theirs +\|/);
    fails(dir, ['commit', '-m', 'too early'], /conflict/i);
    fails(dir, ['conflicts', 'resolve', 't'], /one of --ours or --theirs/);
    ok(dir, ['conflicts', 'resolve', '--theirs', 't']);
    assert.match(ok(dir, ['status']), /All conflicts and constraint violations fixed but you are still merging/);
    // As in Dolt, the resolved table is staged before the merge is committed.
    ok(dir, ['add', 't']);
    const committed = ok(dir, ['commit', '-m', 'resolved']);
    assert.match(committed, /^Merge: /m);
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', 'SELECT name FROM t WHERE id = 1']), 'name\ntheirs\n');
    assert.match(ok(dir, ['status']), /nothing to commit, working tree clean/);
  });

  test('merge --abort goes back to before the merge', () => {
    const dir = conflicting('other');
    assert.equal(run(dir, ['merge', 'other']).status, 1);
    ok(dir, ['merge', '--abort']);
    assert.match(ok(dir, ['status']), /^On branch main\nnothing to commit, working tree clean\n$/);
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', 'SELECT name FROM t WHERE id = 1']), 'name\nours\n');
  });
});

describe('diff', () => {
  test('working changes as a row table, between revisions, staged, by table, --stat, --summary', () => {
    const dir = seeded();
    ok(dir, ['sql', '-q', "UPDATE t SET name = 'uno' WHERE id = 1; DELETE FROM t WHERE id = 2; INSERT INTO t VALUES (3, 'three')"]);
    const rows = [
      '+---+----+-------+',
      '|   | id | name  |',
      '+---+----+-------+',
      '| < | 1  | one   |',
      '| > | 1  | uno   |',
      '| - | 2  | two   |',
      '| + | 3  | three |',
      '+---+----+-------+',
    ].join('\n');
    assert.equal(ok(dir, ['diff']), `diff --dolt a/t b/t\n--- a/t\n+++ b/t\n${rows}\n`);
    assert.equal(ok(dir, ['diff', 't']), ok(dir, ['diff']));
    assert.equal(ok(dir, ['diff', '--staged']), '');
    ok(dir, ['add', 't']);
    assert.equal(ok(dir, ['diff']), '');
    assert.equal(ok(dir, ['diff', '--cached']), `diff --dolt a/t b/t\n--- a/t\n+++ b/t\n${rows}\n`);
    ok(dir, ['commit', '-m', 'changes']);
    assert.equal(ok(dir, ['diff', 'HEAD~1', 'HEAD']), `diff --dolt a/t b/t\n--- a/t\n+++ b/t\n${rows}\n`);
    assert.equal(ok(dir, ['diff', 'HEAD~1..HEAD']), ok(dir, ['diff', 'HEAD~1', 'HEAD']));
    assert.match(ok(dir, ['diff', 'HEAD', 'HEAD~1']), /\| \+ \| 2  \| two   \|/);
    assert.match(ok(dir, ['diff', '--stat', 'HEAD~1', 'HEAD']), /1 Rows Added\n1 Rows Deleted\n1 Rows Modified/);
    assert.match(ok(dir, ['diff', '--summary', 'HEAD~1', 'HEAD']), /\| t +\| modified +\| true +\| false +\|/);
  });

  test('a new table: added, with its CREATE TABLE and rows', () => {
    const dir = seeded();
    ok(dir, ['sql', '-q', 'CREATE TABLE w (k INT PRIMARY KEY); INSERT INTO w VALUES (5)']);
    assert.equal(
      ok(dir, ['diff', 'w']),
      [
        'diff --dolt a/w b/w',
        'added table',
        '+CREATE TABLE `w` (',
        '+  `k` int NOT NULL,',
        '+  PRIMARY KEY (`k`)',
        '+) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_bin;',
        '+---+---+',
        '|   | k |',
        '+---+---+',
        '| + | 5 |',
        '+---+---+',
        '',
      ].join('\n'),
    );
  });

  test('a changed schema: a line diff of CREATE TABLE before and after; a dropped table', () => {
    const dir = seeded();
    ok(dir, ['sql', '-q', 'ALTER TABLE t ADD COLUMN extra INT; ALTER TABLE t MODIFY COLUMN name VARCHAR(40)']);
    const schema = [
      'diff --dolt a/t b/t',
      '--- a/t',
      '+++ b/t',
      ' CREATE TABLE `t` (',
      '   `id` int NOT NULL,',
      '-  `name` varchar(20),',
      '+  `name` varchar(40),',
      '+  `extra` int,',
      '   PRIMARY KEY (`id`)',
      ' ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_bin;',
      '',
    ].join('\n');
    assert.equal(ok(dir, ['diff', 't']), schema);
    ok(dir, ['commit', '-am', 'wider']);
    assert.equal(ok(dir, ['diff', 'HEAD~1', 'HEAD']), schema);
    ok(dir, ['sql', '-q', 'DROP TABLE t']);
    assert.match(
      ok(dir, ['diff']),
      /^diff --dolt a\/t b\/t\ndeleted table\n-CREATE TABLE `t` \(\n-  `id` int NOT NULL,\n[\s\S]*\n-\) ENGINE=InnoDB .*;\n\+---\+----\+------\+/,
    );
  });
});

describe('reset and tag', () => {
  test('reset unstages, --soft keeps changes, --hard discards them', () => {
    const dir = seeded();
    ok(dir, ['sql', '-q', "INSERT INTO t VALUES (3, 'three')"]);
    ok(dir, ['add', '.']);
    ok(dir, ['reset', 't']);
    assert.match(ok(dir, ['status']), /Changes not staged for commit:[\s\S]*modified: +t/);
    ok(dir, ['commit', '-am', 'three']);
    ok(dir, ['reset', '--soft', 'HEAD~1']);
    assert.match(ok(dir, ['status']), /Changes to be committed:[\s\S]*modified: +t/);
    assert.match(ok(dir, ['log', '-n', '1', '--oneline']), / seed\n$/);
    ok(dir, ['reset', '--hard']);
    assert.match(ok(dir, ['status']), /nothing to commit, working tree clean/);
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', 'SELECT COUNT(*) AS n FROM t']), 'n\n2\n');
    fails(dir, ['reset', '--hard', '--soft'], /cannot be used together/);
    fails(dir, ['reset', '--hard', 'nope'], /nope/);
  });

  test('tag creates, lists, shows and deletes', () => {
    const dir = seeded();
    ok(dir, ['tag', 'v1']);
    ok(dir, ['tag', '-m', 'the first', 'v0', 'HEAD~1']);
    assert.equal(ok(dir, ['tag']), 'v0\nv1\n');
    const verbose = ok(dir, ['tag', '-v']);
    assert.match(verbose, new RegExp(`^v0\\t${hashOf(dir, 'HEAD~1')}\\n\\tTagger: root <root@localhost>\\n\\tDate:  .*\\n\\tthe first$`, 'm'));
    fails(dir, ['tag', 'v1'], /v1/);
    ok(dir, ['tag', '-d', 'v1']);
    assert.equal(ok(dir, ['tag']), 'v0\n');
    fails(dir, ['tag', '-d'], /needs the tags/);
  });
});

describe('config', () => {
  test('global and local settings; user.name and user.email sign commits, tags and merges', () => {
    const home = freshDir('home');
    const dir = freshDir();
    // Outside a database: --global works, --local does not.
    assert.equal(ok(dir, ['config', '--global', '--add', 'user.name', 'Ada Lovelace'], { home }), 'Config successfully updated.\n');
    ok(dir, ['config', '--global', '--add', 'user.email', 'ada@example.com'], { home });
    assert.equal(ok(dir, ['config', '--global', '--get', 'user.name'], { home }), 'Ada Lovelace\n');
    assert.deepEqual(JSON.parse(readFileSync(join(home, '.cambium', 'config_global.json'), 'utf8')), {
      'user.name': 'Ada Lovelace',
      'user.email': 'ada@example.com',
    });
    fails(dir, ['config', '--local', '--add', 'user.name', 'X'], /not a valid cambium repository/, { home });
    ok(dir, ['init'], { home });
    ok(dir, ['sql', '-q', 'CREATE TABLE t (id INT PRIMARY KEY)'], { home });
    assert.match(ok(dir, ['commit', '-Am', 'signed'], { home }), /^Author: Ada Lovelace <ada@example.com>$/m);
    // Local overrides global.
    ok(dir, ['config', '--local', '--add', 'user.name', 'Grace Hopper'], { home });
    ok(dir, ['config', '--local', '--set', 'user.email', 'grace@example.com'], { home });
    assert.equal(ok(dir, ['config', '--get', 'user.name'], { home }), 'Grace Hopper\n');
    assert.equal(
      ok(dir, ['config', '--list'], { home }),
      'user.email = grace@example.com\nuser.name = Grace Hopper\n',
    );
    assert.equal(ok(dir, ['config', '--global', '--list'], { home }), 'user.email = ada@example.com\nuser.name = Ada Lovelace\n');
    assert.match(ok(dir, ['commit', '--allow-empty', '-m', 'local'], { home }), /^Author: Grace Hopper <grace@example.com>$/m);
    assert.match(ok(dir, ['commit', '--allow-empty', '-m', 'x', '--author', 'Bob <bob@example.com>'], { home }), /^Author: Bob <bob@example.com>$/m);
    ok(dir, ['tag', '-m', 'tagged', 'v1'], { home });
    assert.match(ok(dir, ['tag', '-v'], { home }), /Tagger: Grace Hopper <grace@example.com>/);
    ok(dir, ['config', '--local', '--unset', 'user.name'], { home });
    assert.equal(ok(dir, ['config', '--get', 'user.name'], { home }), 'Ada Lovelace\n');
    fails(dir, ['config', '--local', '--unset', 'user.name'], /not set: user\.name/, { home });
    fails(dir, ['config', '--get', 'no.such.key'], /'no.such.key' is not set/, { home });
    fails(dir, ['config', '--add', 'a', 'b'], /--global or --local/, { home });
    fails(dir, ['config', '--global'], /exactly one of --add/, { home });
    fails(dir, ['config', '--global', '--local', '--list'], /cannot be used together/, { home });
  });

  test('sqlserver.global.<variable> is the persisted variable of the database, as SET PERSIST sets it', () => {
    const dir = freshDir();
    fails(dir, ['config', '--local', '--add', 'sqlserver.global.dolt_replicate_to_remote', 'origin'], /not a valid cambium repository/);
    ok(dir, ['init']);
    // The replication seed's commands.
    assert.equal(ok(dir, ['config', '--add', '--local', 'sqlserver.global.dolt_replicate_to_remote', 'origin']), 'Config successfully updated.\n');
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', 'SELECT @@GLOBAL.dolt_replicate_to_remote AS v']), 'v\norigin\n');
    assert.equal(ok(dir, ['config', '--local', '--get', 'sqlserver.global.dolt_replicate_to_remote']), 'origin\n');
    assert.match(ok(dir, ['config', '--list']), /^sqlserver\.global\.dolt_replicate_to_remote = origin$/m);
    assert.equal(ok(dir, ['config', '--unset', '--local', 'sqlserver.global.dolt_replicate_to_remote']), 'Config successfully updated.\n');
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', "SELECT @@GLOBAL.dolt_replicate_to_remote = '' AS v"]), 'v\n1\n');
    assert.doesNotMatch(ok(dir, ['config', '--local', '--list']), /sqlserver/);
    fails(dir, ['config', '--local', '--unset', 'sqlserver.global.dolt_replicate_to_remote'], /not set: sqlserver\.global\.dolt_replicate_to_remote/);

    // The same setting as SET PERSIST, both ways.
    ok(dir, ['sql', '-q', "SET PERSIST dolt_replicate_heads = 'main'"]);
    assert.equal(ok(dir, ['config', '--local', '--list']), 'sqlserver.global.dolt_replicate_heads = main\n');
    fails(dir, ['config', '--local', '--add', 'sqlserver.global.dolt_replicate_all_heads', '1'], /only one of dolt_replicate_heads and dolt_replicate_all_heads/);
    fails(dir, ['config', '--local', '--add', 'sqlserver.global.dolt_read_replica_remote', 'bad name'], /dolt_read_replica_remote/);
    fails(dir, ['config', '--local', '--add', 'sqlserver.global.no_such_variable', '1'], /Unknown system variable 'no_such_variable'/);
    fails(dir, ['config', '--global', '--add', 'sqlserver.global.dolt_replicate_to_remote', 'origin'], /can only be used with --local/);
    fails(dir, ['config', '--global', '--unset', 'sqlserver.global.dolt_replicate_heads'], /can only be used with --local/);
    fails(dir, ['config', '--local', '--add', "sqlserver.global.x'; DROP TABLE t; --", '1'], /does not name a system variable/);

    // Every transaction commit a Dolt commit.
    ok(dir, ['sql', '-q', 'CREATE TABLE test (pk INT PRIMARY KEY, c1 INT)']);
    ok(dir, ['commit', '-Am', 'create']);
    assert.equal(ok(dir, ['config', '--add', '--local', 'sqlserver.global.dolt_transaction_commit', '1']), 'Config successfully updated.\n');
    assert.match(ok(dir, ['sql', '-q', 'insert into test values (1,1)']), /Query OK, 1 row affected/);
    const log = ok(dir, ['log', '-n', '1']);
    assert.match(log, /^commit [0-9a-v]{32} \(HEAD -> main\)$/m);
    assert.match(log, /^\s+Transaction commit$/m);
    assert.equal(ok(dir, ['status']).includes('nothing to commit'), true);
    // A query changes nothing and commits nothing.
    ok(dir, ['sql', '-q', 'SELECT * FROM test']);
    assert.match(ok(dir, ['log', '-n', '1']), /Transaction commit/);
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', 'SELECT COUNT(*) AS n FROM dolt_log']), 'n\n3\n');
  });
});

describe('fsck, gc and persistence', () => {
  test('fsck finds a clean database; gc removes garbage and keeps every commit', () => {
    const dir = seeded();
    for (let i = 0; i < 3; i++) {
      ok(dir, ['sql', '-q', `INSERT INTO t VALUES (${10 + i}, 'row')`]);
      ok(dir, ['sql', '-q', `DELETE FROM t WHERE id = ${10 + i}`]);
    }
    assert.match(ok(dir, ['fsck']), /^Chunks Scanned: \d+ \(\d+ bytes\)\nNo problems found\.\n$/);
    const gc = ok(dir, ['gc']);
    const [, removed] = gc.match(/^Removed (\d+) chunks \(\d+ bytes\); kept \d+\.\n$/);
    assert.ok(Number(removed) > 0, gc);
    assert.match(ok(dir, ['fsck']), /No problems found/);
    assert.equal(ok(dir, ['log', '--oneline']).trimEnd().split('\n').length, 2);
    assert.equal(ok(dir, ['sql', '-r', 'csv', '-q', 'SELECT COUNT(*) AS n FROM t']), 'n\n2\n');
  });

  test('the data lives in .cambium on the file store, readable through the JS API', async () => {
    const dir = seeded('api');
    const { name } = JSON.parse(readFileSync(join(dir, '.cambium', 'repo_state.json'), 'utf8'));
    const { Database } = loadNode();
    const db = await Database.open(name, { storage: 'fs', dir: join(dir, '.cambium') });
    const { rows } = await db.query('SELECT message FROM dolt_log ORDER BY date DESC LIMIT 1');
    assert.deepEqual(rows, [{ message: 'seed' }]);
    await db.close();
  });
});

describe('the package', () => {
  test('npm install ./pkg gives require, import and the cambium command', () => {
    const project = freshDir('project');
    writeFileSync(join(project, 'package.json'), '{ "name": "user-app", "private": true }\n');
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--offline', PKG], {
      cwd: project,
      encoding: 'utf8',
    });
    assert.equal(install.status, 0, install.stderr);
    const manifest = JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'));
    assert.equal(manifest.name, 'cambium');
    assert.deepEqual(manifest.bin, { cambium: 'bin/cambium.js' });
    const required = spawnSync(process.execPath, ['-e', "console.log(typeof require('cambium').Database)"], {
      cwd: project,
      encoding: 'utf8',
    });
    assert.equal(required.stdout, 'function\n', required.stderr);
    const imported = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', "import { Database } from 'cambium'; const db = await Database.open('x'); console.log((await db.query('SELECT 1 AS one')).rows[0].one)"],
      { cwd: project, encoding: 'utf8' },
    );
    assert.equal(imported.stdout, '1\n', imported.stderr);
    const data = join(project, 'data');
    mkdirSync(data);
    const npx = (args) => spawnSync('npx', ['--no-install', 'cambium', ...args], { cwd: data, encoding: 'utf8', env: { ...process.env, HOME } });
    assert.equal(npx(['init']).status, 0);
    assert.equal(npx(['status']).stdout, 'On branch main\nnothing to commit, working tree clean\n');
  });
});
