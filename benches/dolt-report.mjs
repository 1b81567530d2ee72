// Merges the version-control figures of Cambium native (benches/dolt.rs) and of the side-by-side
// run (benches/dolt-peers.mjs) into one table, set against the figures the issue measured for
// DoltLite, and rewrites the section between the dolt markers of docs/benchmarks.md. Also exports
// the table for dolt-peers.mjs to print.
//   node benches/dolt-report.mjs dolt-native.jsonl dolt-peers.jsonl docs/benchmarks.md
import { pathToFileURL } from 'node:url';
import { cell, machineLine, readFigures as read, replaceSection, show } from './doc-section.mjs';

// Columns of the table, in order; `engine` is the name each figure's JSON carries.
export const ENGINES = [
  { key: 'cambium-native', label: 'Cambium native' },
  { key: 'cambium-wasm', label: 'Cambium wasm' },
  { key: 'doltlite-wasm', label: 'DoltLite wasm' },
];

// What the issue measured for DoltLite's wasm build on 100k rows in Node, and asks Cambium to
// beat: the figure it compares with (named as `VcScale` in src/bench.rs names figures) and the
// time in ms.
const DIFF = 'dolt_diff_t WHERE to_commit, 100000 rows';
export const REFERENCES = [
  {
    what: '`dolt_commit` after a one-row change',
    name: "dolt_commit('-am'), 100000 rows, 1 changed",
    ms: 0.84,
  },
  { what: 'diff of one changed row, first call', name: `${DIFF}, 1 changed: first call`, ms: 8.5 },
  { what: 'diff of one changed row, warm', name: `${DIFF}, 1 changed: warm`, ms: 2.2 },
  { what: 'diff of 100 changed rows', name: `${DIFF}, 100 changed: first call`, ms: 39.5 },
];

const index = (figures) => {
  const byKey = new Map(figures.map((f) => [`${f.engine}\u0000${f.name}`, f]));
  return (engine, name) => byKey.get(`${engine}\u0000${name}`);
};

/// A Markdown table: one row per workload, one column per engine present, and how many times
/// longer Cambium's wasm build takes than DoltLite's (below 1: Cambium is faster).
export function vcTable(figures, engines = ENGINES) {
  const get = index(figures);
  const names = [...new Set(figures.map((f) => f.name))];
  const present = engines.filter((e) => figures.some((f) => f.engine === e.key));
  const header = ['workload (ms)', ...present.map((e) => e.label), 'Cambium wasm / DoltLite wasm'];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const name of names) {
    const ours = get('cambium-wasm', name);
    const theirs = get('doltlite-wasm', name);
    const ratio = ours && theirs ? `${(ours.median / theirs.median).toPrecision(2)}×` : '';
    const cells = present.map((e) => cell(get(e.key, name)));
    lines.push(`| ${name} | ${cells.join(' | ')} | ${ratio} |`);
  }
  return lines.join('\n');
}

/// One sentence per reference figure of the issue: its value, and what Cambium's wasm build and
/// DoltLite's took on the same workload in this run.
export function referenceLines(figures) {
  const get = index(figures);
  return REFERENCES.map(({ what, name, ms }) => {
    const ours = get('cambium-wasm', name);
    const theirs = get('doltlite-wasm', name);
    if (!ours) return `- ${what}: issue ${ms} ms; not measured in this run.`;
    const verdict = ours.median < ms ? 'below' : 'above';
    const dolt = theirs ? `; DoltLite wasm in this run ${show(theirs.median)} ms` : '';
    return `- ${what}: issue ${ms} ms; Cambium wasm ${show(ours.median)} ms, ${verdict} it${dolt}.`;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [nativePath, peersPath, docPath] = process.argv.slice(2);
  const figures = [...read(nativePath), ...read(peersPath)];
  const text = [
    machineLine(),
    'Medians of the rounds in milliseconds, with the range in brackets; lower is better. The last',
    "column is Cambium's wasm build (called from JS) over DoltLite's wasm build; below 1× Cambium",
    'is faster.',
    '',
    vcTable(figures),
    '',
    "The issue's reference figures (DoltLite's wasm build, 100,000 rows, in Node) against this",
    'run:',
    '',
    ...referenceLines(figures),
  ].join('\n');
  replaceSection(docPath, 'dolt', text);
  console.log(text);
}
