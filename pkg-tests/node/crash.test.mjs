// Crashes in Node: a child process commits rows one at a time on the file store and is killed
// with SIGKILL at a pseudo-random moment, again and again over one directory. After each kill
// the database must open, fsck clean, and hold every row (and its commit) the child
// acknowledged. Delays come from a seeded LCG: set CAMBIUM_CRASH_SEED to replay a run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { lcg, loadNode, within } from '../support/paths.mjs';

const { Database } = loadNode();
const CHILD = fileURLToPath(new URL('./crash-child.mjs', import.meta.url));
const KILLS = Number(process.env.CAMBIUM_CRASH_KILLS ?? 24);
const SEED = Number(process.env.CAMBIUM_CRASH_SEED ?? 20261122);
const NAME = 'crashdb';

const dir = mkdtempSync(join(tmpdir(), 'cambium-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Starts the child writing ids from `first` and kills it `delayMs` after `from`: 'spawn' (most
 * often while it is still loading the module or opening the store), 'ready' (it opened the
 * store and is running its first statements) or 'ack' (its first acknowledgement, so the kill
 * lands somewhere in the commit loop). Resolves to the ids it acknowledged.
 */
function runAndKill(first, delayMs, from) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, NAME, String(first)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked = [];
    let pending = '';
    let stderr = '';
    let timer = null;
    let killed = false;
    const kill = () => {
      killed = true;
      child.kill('SIGKILL');
    };
    const arm = (moment) => {
      if (moment === from && timer === null) timer = setTimeout(kill, delayMs);
    };
    arm('spawn');
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text) => {
      pending += text;
      let newline;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line === 'ready') {
          arm('ready');
        } else if (line.startsWith('ack ')) {
          acked.push(Number(line.slice(4)));
          arm('ack');
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => (stderr += text));
    // 'close' comes after the child was reaped (so its process id is no longer alive and a LOCK
    // file it left behind counts as abandoned) and after its stdout was read to the end (so no
    // acknowledgement still in the pipe is missed).
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killed && signal === 'SIGKILL') resolve({ acked, partialLine: pending });
      else reject(new Error(`child ended by itself (code ${code}, signal ${signal}): ${stderr}`));
    });
    child.on('error', reject);
  });
}

/** Opens the database in this process and checks it; answers ids and committed messages. */
async function check() {
  const db = await Database.open(NAME, { storage: 'fs', dir });
  try {
    const fsck = await db.fsck();
    assert.equal(fsck.clean, true, fsck.text);
    const ids = (await db.query('SELECT id FROM acked ORDER BY id')).rows.map((r) => r.id);
    const committed = (await db.query("SELECT id FROM acked AS OF 'HEAD' ORDER BY id")).rows.map(
      (r) => r.id,
    );
    const messages = new Set(
      (await db.query("SELECT message FROM dolt_log WHERE message LIKE 'row %'")).rows.map(
        (r) => r.message,
      ),
    );
    return { ids, committed, messages };
  } finally {
    await db.close();
  }
}

test(`${KILLS} SIGKILLs of a committing child lose no acknowledged row`, async (t) => {
  const setup = await Database.open(NAME, { storage: 'fs', dir });
  await setup.exec(`CREATE TABLE acked (id INT PRIMARY KEY, note VARCHAR(40));
    CALL dolt_commit('-Am', 'create acked')`);
  await setup.close();

  const random = lcg(SEED);
  const acknowledged = [];
  let totalAcked = 0;
  let loopRounds = 0;
  for (let round = 0; round < KILLS; round++) {
    const delay = random.int(10, 400);
    const from = ['spawn', 'ready', 'ack', 'ack', 'ack', 'ack'][random.int(0, 5)];
    const first = (round + 1) * 100_000;
    const { acked } = await within(60_000, `round ${round}`, runAndKill(first, delay, from));
    if (from === 'ack') {
      loopRounds++;
      assert.ok(acked.length >= 1);
    }
    totalAcked += acked.length;
    acknowledged.push(...acked);

    const { ids, committed, messages } = await within(60_000, `check ${round}`, check());
    const present = new Set(ids);
    const inHead = new Set(committed);
    for (const id of acknowledged) {
      assert.ok(present.has(id), `round ${round}: acknowledged row ${id} is missing`);
      assert.ok(inHead.has(id), `round ${round}: acknowledged row ${id} is not in HEAD`);
      assert.ok(messages.has(`row ${id}`), `round ${round}: the commit 'row ${id}' is missing`);
    }
    // Beyond the acknowledged rows, at most the one the child was writing when it died.
    const mine = ids.filter((id) => id >= first && id < first + 100_000);
    assert.ok(mine.length <= acked.length + 1, `round ${round}: rows ${mine} beyond ${acked}`);
    for (let i = 0; i < mine.length; i++) assert.equal(mine[i], first + i, 'rows come in order');
    t.diagnostic(
      `round ${round}: killed ${delay} ms after ${from}, ${acked.length} acked, ` +
        `${mine.length} written, ${ids.length} rows in all`,
    );
  }
  t.diagnostic(`seed ${SEED}: ${totalAcked} rows acknowledged over ${KILLS} kills`);
  assert.ok(loopRounds >= KILLS / 3, `only ${loopRounds} kills landed in the commit loop`);
  // Nothing is left locked: a writer in this process commits at once.
  const db = await Database.open(NAME, { storage: 'fs', dir });
  await db.exec("INSERT INTO acked VALUES (1, 'after'); CALL dolt_commit('-am', 'after the kills')");
  assert.equal((await db.query('SELECT message FROM dolt_log LIMIT 1')).rows[0].message, 'after the kills');
  assert.equal((await db.fsck()).clean, true);
  await db.close();
  t.diagnostic(`files left: ${readdirSync(join(dir, NAME)).join(' ')}`);
});
