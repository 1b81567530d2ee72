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
