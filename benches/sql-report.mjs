// Merges the SQL figures of Cambium native (benches/sql.rs) and of the side-by-side run
// (benches/sql-peers.mjs) into one table, and rewrites the section between the sql markers of
// docs/benchmarks.md. Also exports the table for sql-peers.mjs to print.
//   node benches/sql-report.mjs sql-native.jsonl sql-peers.jsonl docs/benchmarks.md
import { cell, machineLine, readFigures as read, replaceSection } from './doc-section.mjs';
import { pathToFileURL } from 'node:url';

// Columns of the table, in order; `engine` is the name each figure's JSON carries.
export const ENGINES = [
  { key: 'cambium-native', label: 'Cambium native' },
  { key: 'cambium-wasm', label: 'Cambium wasm (JS API)' },
  { key: 'cambium-wasm-rust', label: 'Cambium wasm (Rust loop)' },
  { key: 'sql.js', label: 'sql.js' },
  { key: 'doltlite-wasm', label: 'DoltLite wasm' },
  { key: 'pglite', label: 'PGlite' },
  { key: 'better-sqlite3', label: 'better-sqlite3 (native)' },
];
// The peers compiled to wasm that Cambium's wasm build is compared with.
const WASM_PEERS = ['sql.js', 'doltlite-wasm', 'pglite'];


/// A Markdown table: one row per workload, one column per engine present, and how many times
/// longer Cambium's wasm build takes than the fastest wasm peer (every unit is a time).
export function sqlTable(figures, engines = ENGINES) {
  const byKey = new Map(figures.map((f) => [`${f.engine}\u0000${f.name}`, f]));
  const names = [...new Set(figures.map((f) => f.name))];
  const present = engines.filter((e) => figures.some((f) => f.engine === e.key));
  const header = ['workload', 'unit', ...present.map((e) => e.label), 'Cambium wasm vs best wasm peer'];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const name of names) {
    const get = (engine) => byKey.get(`${engine}\u0000${name}`);
    const unit = figures.find((f) => f.name === name).unit;
    const ours = get('cambium-wasm');
    const best = WASM_PEERS.map(get)
      .filter(Boolean)
      .sort((a, b) => a.median - b.median)[0];
    const label = best && ENGINES.find((e) => e.key === best.engine).label;
    const ratio = ours && best ? `${(ours.median / best.median).toFixed(2)}× ${label}` : '';
    lines.push(`| ${name} | ${unit} | ${present.map((e) => cell(get(e.key))).join(' | ')} | ${ratio} |`);
  }
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [nativePath, peersPath, docPath] = process.argv.slice(2);
  const figures = [...read(nativePath), ...read(peersPath)];
  const table = [
    machineLine(),
    'Medians of the rounds, with the range in brackets; lower is better everywhere. The last column',
    "is Cambium's wasm build (called from JS) over the fastest wasm peer for that workload.",
    '',
    sqlTable(figures),
  ].join('\n');
  replaceSection(docPath, 'sql', table);
  console.log(table);
}
