// Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in a markdown file,
// so each report script rewrites only its own table of docs/benchmarks.md.
import { readFileSync, writeFileSync } from 'node:fs';

export function replaceSection(docPath, name, text) {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const doc = readFileSync(docPath, 'utf8');
  const start = doc.indexOf(begin);
  const stop = doc.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`${docPath} lacks the ${begin} … ${end} markers`);
  writeFileSync(docPath, `${doc.slice(0, start + begin.length)}\n${text}\n${doc.slice(stop)}`);
}
