// What the JS benchmark programs share with each other and with src/bench.rs: the Node build of
// Cambium they drive, the shape of a figure, and the rows of the benchmark table (`sql_k` and
// `sql_v` in src/bench.rs), so every engine loads the same bytes.
import { createRequire } from 'node:module';
import path from 'node:path';

// The Node build scripts/bench.sh makes in target/bench-pkg, or the one CAMBIUM_BENCH_PKG names.
export function loadCambium() {
  const require = createRequire(import.meta.url);
  const pkg =
    process.env.CAMBIUM_BENCH_PKG ?? new URL('../target/bench-pkg', import.meta.url).pathname;
  return require(path.join(path.resolve(pkg), 'cambium.js'));
}

export const INSERT = 'INSERT INTO t VALUES (?, ?, ?)';

// Column k of row `id`: 1,000 distinct values spread over the ids.
export const sqlK = (id) => (id * 7919) % 1000;

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

// Column v of row `id`: 20 to 60 characters that differ from row to row.
export const sqlV = (id) => {
  const len = 20 + ((id * 37) % 41);
  let s = `v${id}-`;
  while (s.length < len) s += LETTERS[(id + s.length * 7) % 26];
  return s;
};

// One figure as every benchmark program prints it: the median of the samples and their range.
export const figure = (engine, name, unit, samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    engine,
    name,
    unit,
    median: sorted[Math.floor(sorted.length / 2)],
    min: sorted[0],
    max: sorted[sorted.length - 1],
    runs: sorted.length,
  };
};
