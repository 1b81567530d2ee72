// Puts the figures of benches/replication-bench.mjs into one table and rewrites the section
// between the replication markers of docs/benchmarks.md.
//   node benches/replication-report.mjs replication.jsonl docs/benchmarks.md
import { cell, machineLine, readFigures, replaceSection, show } from './doc-section.mjs';

const [figuresPath, docPath] = process.argv.slice(2);
const figures = readFigures(figuresPath);
const lines = ['| figure | unit | Cambium |', '| --- | --- | --- |'];
for (const f of figures) {
  // A percentile is one value over all the commits; rates and read times come with their range.
  const value = / p\d+$/.test(f.name) ? `${show(f.median)} (${f.runs} commits)` : cell(f);
  lines.push(`| ${f.name} | ${f.unit} | ${value} |`);
}
replaceSection(
  docPath,
  'replication',
  [
    machineLine(),
    'Loopback HTTP to `cambium remote-server` in a child process; the primary of the lag figures',
    'commits from a worker thread with a pause between commits, and the lag runs from its commit',
    'call returning to the replica seeing the row. Commit rates are medians over the rounds, range',
    'in brackets; read times are medians over the reads, range in brackets.',
    '',
    ...lines,
  ].join('\n'),
);
