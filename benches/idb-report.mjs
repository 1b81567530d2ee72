// Turns the figures of benches/idb-bench.mjs (Cambium on IndexedDB in headless Chromium, the
// raw IndexedDB limits measured in the same browser, PGlite on idb://) into the tables of the
// section between the idb markers of docs/benchmarks.md, with the ratios the issue asks for.
//   node benches/idb-report.mjs idb.jsonl docs/benchmarks.md
import { pathToFileURL } from 'node:url';
import { cell, machineLine, readFigures, replaceSection, show } from './doc-section.mjs';

// What the issue measured in headless Chromium, and its targets.
const ISSUE = {
  strict5: 2.9,
  relaxed5: 1.7,
  batchStrict: 32,
  pgliteUpdate: 114,
  commitRatioMax: 1.5,
  loadRatioMin: 0.5,
};

const ratio = (value) => `${value.toPrecision(2)}×`;
const ratioCell = (f) => `${ratio(f.median)} (${f.min.toPrecision(2)}–${f.max.toPrecision(2)})`;

export function idbSection(figures) {
  const all = figures.filter((f) => f.median !== undefined);
  const notes = figures.filter((f) => f.note !== undefined);
  const byName = (engine, test) => all.find((f) => f.engine === engine && test(f.name));
  const ends = (engine, suffix) => byName(engine, (n) => n.endsWith(suffix));
  const has = (engine, ...parts) => byName(engine, (n) => parts.every((p) => n.includes(p)));
  const noteOf = (engine) => notes.find((n) => n.engine === engine)?.note;

  const rows = all
    .find((f) => f.name.startsWith('autocommit UPDATE'))
    ?.name.match(/(\d+) rows/)?.[1];
  const browser = noteOf('environment') ?? 'headless Chromium';
  const runs = Math.max(...all.map((f) => f.runs));

  const camUpdate = has('cambium', 'autocommit UPDATE', 'per update (median)');
  const camUpdateP90 = has('cambium', 'autocommit UPDATE', 'per update (p90)');
  const rawCommit = has('indexeddb', "one update's chunks", '(median)');
  const rawCommitP90 = has('indexeddb', "one update's chunks", '(p90)');
  const pgUpdate = has('pglite', 'autocommit UPDATE', '(median)');
  const pgUpdateP90 = has('pglite', 'autocommit UPDATE', '(p90)');
  const camLoad = has('cambium', 'bulk load', 'one transaction', 'written per second');
  const camLoadTime = has('cambium', 'bulk load', 'one transaction', ': time');
  const camStatements = has('cambium', 'bulk load', 'autocommit INSERTs', 'written per second');
  const camStatementsTime = has('cambium', 'bulk load', 'autocommit INSERTs', ': time');
  const rawLoad = has('indexeddb', "bulk load's chunks", 'throughput');
  const rawLoadTime = has('indexeddb', "bulk load's chunks", ': time');
  const camCold = ends('cambium', `${rows} rows`);
  const camColdInit = ends('cambium', 'including wasm init');
  const pgCold = ends('pglite', 'including wasm init');
  const commitRatio = has('ratio', 'autocommit UPDATE');
  const loadRatio = has('ratio', 'bulk load', 'one transaction');
  const statementsRatio = has('ratio', 'bulk load', 'autocommit INSERTs');

  const line = (cells) => `| ${cells.join(' | ')} |`;
  // One line of the main table: the limit, Cambium, how many times the limit Cambium's figure
  // is, the target, and PGlite's figure (`limit` or `peer` may be absent).
  // The ratio is the one measured per round when there is one (`paired`), with its range;
  // otherwise the ratio of the medians.
  const row = (label, unit, limit, ours, target = '', peer = undefined, paired = undefined) =>
    line([
      label,
      unit,
      limit ? cell(limit) : '',
      cell(ours),
      paired ? ratioCell(paired) : limit && ours ? ratio(ours.median / limit.median) : '',
      target,
      peer === undefined ? '—' : cell(peer),
    ]);
  const main = [
    line(['workload', 'unit', 'IndexedDB limit', 'Cambium', 'Cambium ÷ limit', 'target']
      .concat(['PGlite (idb://)'])),
    line(Array(7).fill('---')),
    row(
      `autocommit single-row UPDATE, ${rows} rows: per commit (median)`,
      'ms',
      rawCommit,
      camUpdate,
      `≤ ${ISSUE.commitRatioMax}×`,
      pgUpdate ?? null,
      commitRatio,
    ),
    row('the same, 90th percentile', 'ms', rawCommitP90, camUpdateP90, '', pgUpdateP90 ?? null),
    row(
      `bulk load ${rows} rows, one transaction: chunk bytes written per second`,
      'MB/s',
      rawLoad,
      camLoad,
      `≥ ${ISSUE.loadRatioMin}×`,
      undefined,
      loadRatio,
    ),
    row('the same load: time', 'ms', rawLoadTime, camLoadTime),
    row(
      `bulk load ${rows} rows as 10 autocommit INSERTs: chunk bytes written per second`,
      'MB/s',
      rawLoad,
      camStatements,
      '',
      undefined,
      statementsRatio,
    ),
    row('the same load: time', 'ms', null, camStatementsTime),
    row(`cold open + first point query, ${rows} rows`, 'ms', null, camCold),
    row(
      "the same, including the wasm module's init (PGlite: `PGlite.create` + query)",
      'ms',
      null,
      camColdInit,
      '',
      pgCold ?? null,
    ),
  ];

  const verdicts = [];
  if (commitRatio) {
    const r = commitRatio.median;
    const met = r <= ISSUE.commitRatioMax ? 'met' : 'not met';
    verdicts.push(
      '- Per-commit time over a bare strict transaction writing the same bytes: ' +
        `${ratioCell(commitRatio)} (target: within ${ISSUE.commitRatioMax}×, ${met}).`,
    );
  }
  if (loadRatio) {
    const r = loadRatio.median;
    const met = r >= ISSUE.loadRatioMin ? 'met' : 'not met';
    verdicts.push(
      '- Bulk load, chunk bytes per second over one raw transaction writing the same chunks: ' +
        `${ratioCell(loadRatio)} (target: at least ${ISSUE.loadRatioMin}×, ${met}).`,
    );
  }
  if (camUpdate && pgUpdate) {
    verdicts.push(
      `- PGlite on idb:// takes ${show(pgUpdate.median)} ms per durable autocommit update ` +
        `(issue: ${ISSUE.pgliteUpdate} ms), ${ratio(pgUpdate.median / camUpdate.median)} ` +
        "Cambium's time.",
    );
  } else if (noteOf('pglite')) {
    verdicts.push(`- PGlite: ${noteOf('pglite')}`);
  }
  const dolt = has('doltlite-opfs', '(median)');
  if (dolt && camUpdate) {
    verdicts.push(`- DoltLite's OPFS build takes ${show(dolt.median)} ms per autocommit update.`);
  } else if (noteOf('doltlite-opfs')) {
    const why = noteOf('doltlite-opfs').replace(/^DoltLite's OPFS build failed( to open)?: /, '');
    verdicts.push(`- DoltLite's OPFS build has no figure; it failed in this browser: ${why}.`);
  }

  const strict5 = has('indexeddb', '5 × 4 KiB, strict (median)');
  const relaxed5 = has('indexeddb', '5 × 4 KiB, relaxed (median)');
  const batchStrict = has('indexeddb', '× 4 KiB, strict: throughput');
  const batchRelaxed = has('indexeddb', '× 4 KiB, relaxed: throughput');
  const batchCount = batchStrict?.name.match(/putting (\d+) ×/)?.[1];
  const raw = [
    line(['raw IndexedDB probe', 'unit', 'issue', 'this run']),
    line(Array(4).fill('---')),
    line(['readwrite transaction putting 5 × 4 KiB, strict', 'ms', ISSUE.strict5, cell(strict5)]),
    line(['the same, relaxed', 'ms', ISSUE.relaxed5, cell(relaxed5)]),
    line([`one transaction putting ${batchCount} × 4 KiB, strict`, 'MB/s', ISSUE.batchStrict]
      .concat([cell(batchStrict)])),
    line(['the same, relaxed', 'MB/s', '—', cell(batchRelaxed)]),
  ];

  const used = new Set([camUpdate, camUpdateP90, camLoad, camLoadTime]);
  for (const f of [camStatements, camStatementsTime, camCold, camColdInit]) used.add(f);
  const details = [
    line(['Cambium, in detail', 'unit', 'median (range)']),
    line(Array(3).fill('---')),
    ...all
      .filter((f) => f.engine === 'cambium' && !used.has(f))
      .map((f) => line([f.name, f.unit, cell(f)])),
  ];

  return [
    `${machineLine()} In ${browser}.`,
    `Medians of ${runs} rounds, with the range over the rounds in brackets; a latency is each`,
    "round's median (or 90th percentile) over its operations. The IndexedDB limit of an update is",
    'a bare strict readwrite transaction putting the chunks that update wrote (the same bytes,',
    'under new keys, with a 40-byte manifest record), run right after it; the limit of a load is',
    "one strict transaction putting the one-transaction load's chunks. A ratio with a range was",
    'taken in each round (median over median, rate over rate); the others are ratios of the',
    'medians.',
    '',
    ...main,
    '',
    ...verdicts,
    '',
    ...raw,
    '',
    ...details,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [figuresPath, docPath] = process.argv.slice(2);
  const text = idbSection(readFigures(figuresPath));
  replaceSection(docPath, 'idb', text);
  console.log(text);
}
