// What the report scripts share: reading the figures a benchmark program printed, the line
// naming the machine, and rewriting one named section of docs/benchmarks.md.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

// The figures of a benchmark program's output: its lines of JSON, other lines skipped.
export const readFigures = (path) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));

// Where and when the figures were measured, as the first line of a section.
export function machineLine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const date = new Date().toISOString().slice(0, 10);
  return `Measured ${date} on ${cpu}, ${os.cpus().length} cores, Node ${process.version}.`;
}

// A time in a table: three significant figures or so, thousands as `k`.
export const show = (value) => {
  if (value >= 1e4) return `${(value / 1e3).toFixed(0)} k`;
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 0.1) return value.toFixed(2);
  return value.toPrecision(2);
};

// A figure in a table cell: the median and, in brackets, the range; a dash when not measured.
export const cell = (figure) =>
  figure ? `${show(figure.median)} (${show(figure.min)}–${show(figure.max)})` : '—';

// Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in a markdown file,
// so each report script rewrites only its own table of docs/benchmarks.md.

export function replaceSection(docPath, name, text) {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const doc = readFileSync(docPath, 'utf8');
  const start = doc.indexOf(begin);
  const stop = doc.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`${docPath} lacks the ${begin} … ${end} markers`);
  writeFileSync(docPath, `${doc.slice(0, start + begin.length)}\n${text}\n${doc.slice(stop)}`);
}

// A Markdown table of figures side by side: one row per figure name, one column per engine, in
// the order they first appear.
export function peerTable(figures) {
  const engines = [...new Set(figures.map((f) => f.engine))];
  const names = [...new Set(figures.map((f) => f.name))];
  const lines = [`| figure | unit | ${engines.join(' | ')} |`, `| --- | --- | ${engines.map(() => '---').join(' | ')} |`];
  for (const name of names) {
    const own = figures.filter((f) => f.name === name);
    const cells = engines.map((engine) => cell(own.find((f) => f.engine === engine)));
    lines.push(`| ${name} | ${own[0].unit} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
