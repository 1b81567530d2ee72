// Merges the native and wasm figures of the core benchmarks into one table and rewrites the
// section between the core markers of docs/benchmarks.md.
//   node benches/report.mjs native.jsonl wasm.jsonl docs/benchmarks.md
import { machineLine, readFigures as read, replaceSection } from './doc-section.mjs';

const [nativePath, wasmPath, docPath] = process.argv.slice(2);
const native = read(nativePath);
const wasm = new Map(read(wasmPath).map((figure) => [figure.name, figure]));

const throughput = new Set(['MB/s', 'entries/s']);
const time = new Set(['µs', 'ms']);
const show = (value) => {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(0)} k`;
  if (value >= 100) return value.toFixed(0);
  return value.toFixed(value >= 10 ? 1 : 2).replace(/\.?0+$/, '') || '0';
};
const cell = (figure) =>
  figure.runs > 1 ? `${show(figure.median)} (${show(figure.min)}–${show(figure.max)})` : show(figure.median);

const rows = native.map((n) => {
  const w = wasm.get(n.name);
  let ratio = '';
  if (w && throughput.has(n.unit)) ratio = `${(n.median / w.median).toFixed(2)}×`;
  if (w && time.has(n.unit)) ratio = `${(w.median / n.median).toFixed(2)}×`;
  return `| ${n.name} | ${n.unit} | ${cell(n)} | ${w ? cell(w) : '—'} | ${ratio} |`;
});

const table = [
  machineLine(),
  'Medians of the runs shown, with the range in brackets; "wasm cost" is how many times slower the',
  'wasm build is than native for that figure.',
  '',
  '| figure | unit | native | wasm (Node) | wasm cost |',
  '| --- | --- | --- | --- | --- |',
  ...rows,
].join('\n');

replaceSection(docPath, 'core', table);
console.log(table);
