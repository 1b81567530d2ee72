// Where Cambium stands: one table and one chart over the figures every benchmark program of
// scripts/bench.sh printed into target/bench-out/. For each workload that has peers, Cambium's
// median, the best peer's, and the ratio between them (how many times Cambium's cost is the best
// peer's: below 1× Cambium is ahead); better-sqlite3, SQLite as a native addon, is shown as the
// native reference and never counts as the best peer, since it is not an option in a browser.
// Rewrites the summary section of docs/benchmarks.md and docs/benchmarks-summary.svg.
//   node benches/summary.mjs target/bench-out docs/benchmarks.md
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { machineLine, peerTable, readFigures, replaceSection, show } from './doc-section.mjs';

const [outDir, docPath] = process.argv.slice(2);

/** Engines that are Cambium, per output file; every other engine there is a peer. */
const OURS = new Set(['cambium', 'cambium-wasm', 'cambium-fs']);
const NATIVE_REFERENCE = /^better-sqlite3/;

/**
 * The workloads of the summary: where their figures are, the figure's name (a prefix when the
 * size is in the name), and a short label. Lower is better for every one of them (times and
 * sizes).
 */
const WORKLOADS = [
  { group: 'Node, in memory', file: 'sql-peers.jsonl', name: 'bulk load 100000 rows, one transaction', label: 'bulk load 100k rows' },
  { group: 'Node, in memory', file: 'sql-peers.jsonl', name: 'point select by primary key (10000 random ids), per select', label: '10k point reads (per read)' },
  { group: 'Node, in memory', file: 'sql-peers.jsonl', name: 'GROUP BY k % 10 with COUNT, SUM(LENGTH(v)) over 100000 rows', label: 'GROUP BY scan of 100k rows' },
  { group: 'Node, in memory', file: 'sql-peers.jsonl', name: 'autocommit single-row UPDATE (1000 of them), per update', label: 'autocommit UPDATE (per update)' },
  { group: 'Node, on disk', file: 'persist-peers.jsonl', name: 'bulk load 100000 rows on disk', label: 'bulk load 100k rows' },
  { group: 'Node, on disk', file: 'persist-peers.jsonl', name: 'autocommit UPDATE by primary key on disk, 100000 rows: per update (median)', label: 'autocommit UPDATE (per update)' },
  { group: 'Browser, IndexedDB', file: 'idb.jsonl', name: 'autocommit UPDATE by primary key, 100000 rows: per update (median)', label: 'autocommit UPDATE (per update)' },
  { group: 'Browser, IndexedDB', file: 'idb.jsonl', name: 'cold open + first point query, 100000 rows, including wasm init', label: 'cold open + first query' },
  { group: 'Version control', file: 'dolt-peers.jsonl', name: "dolt_commit('-am'), 100000 rows, 1 changed", label: 'commit 1 changed row of 100k' },
  { group: 'Version control', file: 'dolt-peers.jsonl', name: "dolt_commit('-am'), 100000 rows, 100 changed", label: 'commit 100 changed rows of 100k' },
  { group: 'Version control', file: 'dolt-peers.jsonl', name: "dolt_commit('-am'), 100000 rows, 10000 changed", label: 'commit 10k changed rows of 100k' },
  { group: 'Version control', file: 'dolt-peers.jsonl', name: "dolt_commit('-am'), 1000000 rows, 1 changed", label: 'commit 1 changed row of 1M' },
  { group: 'Version control', file: 'dolt-peers.jsonl', name: "dolt_commit('-am'), 1000000 rows, 10000 changed", label: 'commit 10k changed rows of 1M' },
  { group: 'Version control', file: 'dolt-peers.jsonl', name: 'dolt_diff_t WHERE to_commit, 100000 rows, 1 changed: first call', label: 'diff of 1 changed row of 100k' },
  { group: 'Version control', file: 'dolt-peers.jsonl', name: 'dolt_diff_t WHERE to_commit, 100000 rows, 10000 changed: first call', label: 'diff of 10k changed rows of 100k' },
  { group: 'Version control', file: 'dolt-peers.jsonl', name: 'dolt_diff_t WHERE to_commit, 1000000 rows, 1 changed: first call', label: 'diff of 1 changed row of 1M' },
  { group: 'Version control', file: 'dolt-peers.jsonl', name: 'merge 2000 + 2000 changed rows (spread), 100000 rows', label: 'merge 2k + 2k changes on 100k' },
  { group: 'Package', file: 'start.jsonl', name: 'import to first query answered, Node', label: 'import to first query (Node)' },
  { group: 'Package', file: 'start.jsonl', name: 'wasm and data files, gzipped', label: 'download size, gzipped' },
];

const label = (engine) => engine.replace(/-(wasm|fs|file|opfs)$/, '').replace(/^cambium$/, 'Cambium');

function compare(workload) {
  const path = join(outDir, workload.file);
  if (!existsSync(path)) return undefined;
  const figures = readFigures(path).filter((f) => f.name.startsWith(workload.name));
  const ours = figures.find((f) => OURS.has(f.engine));
  // Cambium's other runs (such as the workloads run inside wasm, without the JS boundary) are
  // not peers.
  const peers = figures.filter((f) => !f.engine.startsWith('cambium') && !NATIVE_REFERENCE.test(f.engine));
  if (!ours || peers.length === 0) return undefined;
  const best = peers.reduce((a, b) => (b.median < a.median ? b : a));
  const native = figures.find((f) => NATIVE_REFERENCE.test(f.engine));
  return { ...workload, unit: ours.unit, ours, best, native, ratio: ours.median / best.median };
}

const rows = WORKLOADS.map(compare).filter(Boolean);
const spread = (f) => (f.runs > 1 ? ` (${show(f.min)}–${show(f.max)})` : '');
/** A ratio in words: sizes are larger or smaller, times faster or slower, near 1× even. */
function ratioText(ratio, unit) {
  const [better, worse] = unit === 'MB' ? ['smaller', 'larger'] : ['faster', 'slower'];
  if (Math.abs(Math.log(ratio)) < Math.log(1.05)) return `even (${ratio.toPrecision(2)}×)`;
  return ratio < 1 ? `${(1 / ratio).toPrecision(2)}× ${better}` : `${ratio.toPrecision(2)}× ${worse}`;
}

const table = [
  // Each program's figures may come from an earlier run than this summary's; the sections
  // below say when each ran.
  `${machineLine().replace(/^Measured/, 'Summarised')} From each program's last run; each section below says when it ran.`,
  'Medians with the range of the runs in brackets (every figure is repeated at least 5 times,',
  'engines alternating); lower is better throughout. "Cambium vs best peer" compares Cambium with',
  'the best of DoltLite, sql.js and PGlite on that workload; better-sqlite3 is the native',
  'reference and is not counted as a peer. The chart below shows the same ratios.',
  '',
  '| where | workload | unit | Cambium | best peer | Cambium vs best peer | better-sqlite3 (native) |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.group} | ${r.label} | ${r.unit} | ${show(r.ours.median)}${spread(r.ours)} | ${label(r.best.engine)} ${show(r.best.median)}${spread(r.best)} | ${ratioText(r.ratio, r.unit)} | ${r.native ? show(r.native.median) : '—'} |`,
  ),
  '',
  '![Cambium against the best peer per workload](benchmarks-summary.svg)',
].join('\n');

// The chart: one bar per workload on a log scale centred on 1× (a tie), green where Cambium is
// ahead of the best peer and orange where it is behind, labelled with the ratio.
function chart() {
  const width = 1000;
  const left = 390;
  // Room on the right for the last tick's words.
  const right = 60;
  const barHeight = 22;
  const top = 40;
  const height = top + rows.length * barHeight + 40;
  const span = Math.max(2, ...rows.map((r) => Math.ceil(Math.abs(Math.log10(r.ratio)))));
  const centre = left + (width - left - right) / 2;
  const scale = (width - left - right) / 2 / span;
  const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="13" font-weight="600">Cambium against the best peer per workload (log scale; left of the 1× line Cambium is faster or smaller)</text>`,
  ];
  for (let power = -span; power <= span; power++) {
    const x = centre + power * scale;
    parts.push(`<line x1="${x}" y1="${top - 6}" x2="${x}" y2="${height - 30}" stroke="${power === 0 ? '#333' : '#ddd'}"/>`);
    const tick = power === 0 ? '1×' : power < 0 ? `${10 ** -power}× better` : `${10 ** power}× worse`;
    parts.push(`<text x="${x}" y="${height - 14}" text-anchor="middle" fill="#555">${tick}</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * barHeight;
    const x = centre + Math.log10(r.ratio) * scale;
    const ahead = r.ratio < 1;
    parts.push(`<text x="${left - 8}" y="${y + 14}" text-anchor="end">${escape(`${r.group}: ${r.label}`)}</text>`);
    parts.push(`<rect x="${Math.min(x, centre)}" y="${y + 3}" width="${Math.max(1, Math.abs(x - centre))}" height="${barHeight - 6}" fill="${ahead ? '#2e7d57' : '#d9822b'}"/>`);
    // The ratio goes on the other side of the 1× line from its bar, clear of the labels.
    const textX = ahead ? centre + 4 : centre - 4;
    parts.push(`<text x="${textX}" y="${y + 14}" text-anchor="${ahead ? 'start' : 'end'}" fill="#333">${escape(`${ratioText(r.ratio, r.unit)} (${label(r.best.engine)})`)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

writeFileSync(join(dirname(docPath), 'benchmarks-summary.svg'), `${chart()}\n`);
const persisted = join(outDir, 'persist-peers.jsonl');
if (existsSync(persisted)) replaceSection(docPath, 'persist', [machineLine(), '', peerTable(readFigures(persisted))].join('\n'));
replaceSection(docPath, 'summary', table);
console.log(table);
