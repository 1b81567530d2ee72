// Start-up and size: for Cambium's Node build (pkg/node, as shipped) and the peers in
// benches/node_modules, the time from a fresh Node process importing the engine to its first
// query answered (an in-memory `SELECT 1`), and the bytes of the wasm (and data) files it loads,
// raw and gzipped. Each start runs in a new process, engines alternating, and prints one line of
// JSON per figure in the shape of bench-data.mjs's `figure()`.
//   node benches/start-bench.mjs [--smoke] [--rounds=N]
// Builds nothing: expects `bash scripts/build-pkg.sh` to have made pkg/node and benches/
// node_modules installed (scripts/bench.sh does both).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';

import { figure } from './bench-data.mjs';

const args = process.argv.slice(2);
const roundsArg = args.find((a) => a.startsWith('--rounds='));
const rounds = roundsArg ? Number(roundsArg.split('=')[1]) : args.includes('--smoke') ? 2 : 7;

const require = createRequire(import.meta.url);
const cambiumDir = new URL('../pkg/node/', import.meta.url).pathname;
const peer = (path) => require.resolve(path);

// Each engine: the program a child process runs (it prints the milliseconds from before its
// import to the first answer), and the files the engine loads to start.
const ENGINES = {
  cambium: {
    program: `
      const t0 = performance.now();
      const { Database } = require(${JSON.stringify(`${cambiumDir}cambium.js`)});
      const db = await Database.open('start', { storage: 'memory' });
      await db.query('SELECT 1');
      console.log(performance.now() - t0);`,
    files: [`${cambiumDir}cambium_bg.wasm`],
  },
  'sql.js': {
    program: `
      const t0 = performance.now();
      const initSqlJs = require(${JSON.stringify(peer('sql.js'))});
      const SQL = await initSqlJs();
      new SQL.Database().exec('SELECT 1');
      console.log(performance.now() - t0);`,
    files: [peer('sql.js/dist/sql-wasm.wasm')],
  },
  doltlite: {
    program: `
      const t0 = performance.now();
      const { default: init } = await import(${JSON.stringify(peer('@dolthub/doltlite-wasm/sqlite3-node.mjs'))});
      const sqlite3 = await init({ print: () => {}, printErr: () => {} });
      new sqlite3.oo1.DB(':memory:').exec('SELECT 1');
      console.log(performance.now() - t0);`,
    files: [peer('@dolthub/doltlite-wasm/sqlite3.wasm')],
  },
  pglite: {
    program: `
      const t0 = performance.now();
      const { PGlite } = await import(${JSON.stringify(peer('@electric-sql/pglite'))});
      const db = await PGlite.create();
      await db.query('SELECT 1');
      console.log(performance.now() - t0);
      await db.close();`,
    files: ['pglite.wasm', 'pglite.data'].map(
      (name) => new URL(name, `file://${peer('@electric-sql/pglite')}`).pathname,
    ),
  },
};

const startMs = (program) => {
  // CommonJS with top-level await wrapped: every engine runs the same way.
  const source = `(async () => { ${program} })().catch((e) => { console.error(e); process.exit(1); });`;
  const out = execFileSync(process.execPath, ['-e', source], { encoding: 'utf8', cwd: '/tmp' });
  return Number(out.trim().split('\n').at(-1));
};

const samples = Object.fromEntries(Object.keys(ENGINES).map((name) => [name, []]));
for (let round = 0; round < rounds; round++) {
  const names = Object.keys(ENGINES);
  // Alternate the order so no engine always runs first on a cold file cache.
  if (round % 2) names.reverse();
  for (const name of names) samples[name].push(startMs(ENGINES[name].program));
}

for (const [name, engine] of Object.entries(ENGINES)) {
  const bytes = engine.files.map((file) => readFileSync(file));
  const raw = bytes.reduce((sum, b) => sum + b.length, 0) / 1e6;
  const gzipped = bytes.reduce((sum, b) => sum + gzipSync(b, { level: 9 }).length, 0) / 1e6;
  console.log(JSON.stringify(figure(name, 'import to first query answered, Node', 'ms', samples[name])));
  console.log(JSON.stringify(figure(name, 'wasm and data files, raw', 'MB', [raw])));
  console.log(JSON.stringify(figure(name, 'wasm and data files, gzipped', 'MB', [gzipped])));
}
