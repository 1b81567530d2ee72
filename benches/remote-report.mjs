// Puts the figures of benches/remote-bench.mjs into one table and rewrites the section between
// the remote markers of docs/benchmarks.md.
//   node benches/remote-report.mjs remote.jsonl docs/benchmarks.md
import { cell, machineLine, readFigures, replaceSection } from './doc-section.mjs';

const [figuresPath, docPath] = process.argv.slice(2);
const figures = readFigures(figuresPath);
const lines = ['| figure | unit | Cambium |', '| --- | --- | --- |'];
for (const f of figures) {
  // Counts and one-off readings are shown as they are; rates and ratios with their range.
  const value = f.runs === 1 || f.unit === 'requests' ? String(+f.median.toFixed(2)) : cell(f);
  lines.push(`| ${f.name} | ${f.unit} | ${value} |`);
}
replaceSection(
  docPath,
  'remote',
  [
    machineLine(),
    'Medians over the rounds (clones and loopback probes alternating), range in brackets; bytes',
    'are request and answer bodies as the server counted them.',
    '',
    ...lines,
  ].join('\n'),
);
