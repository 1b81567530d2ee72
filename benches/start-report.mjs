// Puts the figures of benches/start-bench.mjs into one table (one row per figure, one column
// per engine) and rewrites the section between the start markers of docs/benchmarks.md.
//   node benches/start-report.mjs start.jsonl docs/benchmarks.md
import { cell, machineLine, readFigures, replaceSection } from './doc-section.mjs';

const ENGINES = [
  { key: 'cambium', label: 'Cambium' },
  { key: 'sql.js', label: 'sql.js' },
  { key: 'doltlite', label: 'DoltLite wasm' },
  { key: 'pglite', label: 'PGlite' },
];

const [figuresPath, docPath] = process.argv.slice(2);
const figures = readFigures(figuresPath);
const byKey = new Map(figures.map((f) => [`${f.engine}\u0000${f.name}`, f]));
const names = [...new Set(figures.map((f) => f.name))];
const header = ['figure', 'unit', ...ENGINES.map((e) => e.label)];
const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
for (const name of names) {
  const unit = figures.find((f) => f.name === name).unit;
  // Sizes are one reading each: the range would only repeat the median.
  const show = (f) => (f && f.runs === 1 ? f.median.toFixed(2) : cell(f));
  lines.push(
    `| ${name} | ${unit} | ${ENGINES.map((e) => show(byKey.get(`${e.key}\u0000${name}`))).join(' | ')} |`,
  );
}
replaceSection(
  docPath,
  'start',
  [
    machineLine(),
    'Start times are medians over fresh Node processes (engines alternating), range in brackets.',
    '',
    ...lines,
  ].join('\n'),
);
