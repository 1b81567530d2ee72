// `cambium diff`: the changes between two states, table by table, as Dolt prints them: the
// schema as a line diff of CREATE TABLE, then the rows in a table marked + (added), - (removed),
// < and > (a row before and after).
'use strict';

const { CliError } = require('../errors');
const { tabular } = require('../format');
const { ident } = require('../repo');

/** The engine's names for the two states that are not commits. */
const PSEUDO = new Set(['WORKING', 'STAGED', 'HEAD']);
/** The columns of `dolt_diff()` that describe the change rather than hold a row's value. */
const META = new Set(['commit', 'commit_date']);

async function isRevision(session, text) {
  if (PSEUDO.has(text.toUpperCase()) || text.includes('..')) return true;
  try {
    return Boolean(await session.value('SELECT dolt_hashof(?)', [text]));
  } catch {
    return false;
  }
}

/** The two states to compare, from the revisions given (Dolt's and git's rules). */
async function endpoints(session, revisions, staged) {
  if (revisions.length === 0) return staged ? ['HEAD', 'STAGED'] : ['STAGED', 'WORKING'];
  if (revisions.length === 2) return revisions;
  const [only] = revisions;
  const three = only.split('...');
  if (three.length === 2) {
    const base = await session.value('SELECT dolt_merge_base(?, ?)', [three[0], three[1] || 'HEAD']);
    return [base, three[1] || 'HEAD'];
  }
  const two = only.split('..');
  if (two.length === 2) return [two[0], two[1] || 'HEAD'];
  return [only, staged ? 'STAGED' : 'WORKING'];
}

/**
 * The schema part of a table's diff. The engine shows CREATE TABLE only for the working set (it
 * has no `SHOW CREATE TABLE ... AS OF`), so a table added in the working set is printed whole,
 * as Dolt does, and any other schema change as the columns added and dropped, read from the
 * column names `dolt_diff()` gives each side.
 */
async function schemaDiff(session, delta, from, to) {
  if (delta.diff_type === 'added' && to.toUpperCase() === 'WORKING') {
    const { rows } = await session.query(`SHOW CREATE TABLE ${ident(delta.to_table_name)}`);
    // Dolt prints the statement as it would run, with its semicolon.
    return `${rows[0][1]};`.split('\n').map((line) => `+${line}`);
  }
  const { columns } = await session.query('SELECT * FROM dolt_diff(?, ?, ?) LIMIT 0', [
    from,
    to,
    delta.to_table_name || delta.from_table_name,
  ]);
  const side = (prefix) =>
    columns.filter((c) => c.startsWith(prefix)).map((c) => c.slice(prefix.length)).filter((c) => !META.has(c));
  const before = delta.diff_type === 'added' ? [] : side('from_');
  const after = delta.diff_type === 'dropped' || delta.diff_type === 'removed' ? [] : side('to_');
  return [
    'schema changed:',
    ...after.filter((c) => !before.includes(c)).map((c) => `+  column ${ident(c)}`),
    ...before.filter((c) => !after.includes(c)).map((c) => `-  column ${ident(c)}`),
  ];
}

/** The rows of `dolt_diff()` as a table marked +, -, < and >. */
async function rowDiff(session, from, to, table) {
  const { columns, rows } = await session.query('SELECT * FROM dolt_diff(?, ?, ?)', [from, to, table]);
  const side = (prefix) =>
    columns
      .map((c, i) => ({ name: c.slice(prefix.length), i }))
      .filter((c) => columns[c.i].startsWith(prefix) && !META.has(c.name));
  const toCols = side('to_');
  const fromCols = side('from_');
  const names = [...toCols.map((c) => c.name)];
  for (const c of fromCols) if (!names.includes(c.name)) names.push(c.name);
  const pick = (row, cols) => names.map((name) => {
    const col = cols.find((c) => c.name === name);
    return col ? row[col.i] : null;
  });
  const typeAt = columns.indexOf('diff_type');
  const lines = [];
  for (const row of rows) {
    const type = row[typeAt];
    if (type === 'added') lines.push(['+', ...pick(row, toCols)]);
    else if (type === 'removed') lines.push(['-', ...pick(row, fromCols)]);
    else {
      lines.push(['<', ...pick(row, fromCols)]);
      lines.push(['>', ...pick(row, toCols)]);
    }
  }
  return tabular(['', ...names], lines);
}

module.exports = {
  name: 'diff',
  summary: 'Show changes between the working set, the staged tables and commits.',
  usage: '[--staged] [--stat|--summary] [<revision> [<revision>] | <rev>..<rev> | <rev>...<rev>] [<table>...]',
  options: [
    { long: 'staged', help: 'compare the staged tables with HEAD' },
    { long: 'cached', help: 'the same as --staged' },
    { long: 'stat', help: 'count the rows added, modified and removed per table' },
    { long: 'summary', help: 'list the tables that changed and how' },
  ],
  async run({ session, opts, args, out }) {
    const revisions = [];
    const tables = [];
    for (const arg of args) {
      if (tables.length === 0 && revisions.length < 2 && (await isRevision(session, arg))) revisions.push(arg);
      else tables.push(arg);
    }
    const [from, to] = await endpoints(session, revisions, opts.staged || opts.cached);
    let deltas = await session.records('SELECT * FROM dolt_diff_summary(?, ?)', [from, to]);
    const nameOf = (d) => d.to_table_name || d.from_table_name;
    if (tables.length) {
      const known = new Set(deltas.map(nameOf));
      const missing = tables.filter((t) => !known.has(t));
      if (missing.length && deltas.length === 0) {
        throw new CliError(`error: table ${missing[0]} does not exist or did not change`);
      }
      deltas = deltas.filter((d) => tables.includes(nameOf(d)));
    }
    if (opts.summary) {
      const text = tabular(
        ['Table name', 'Diff type', 'Data change', 'Schema change'],
        deltas.map((d) => [nameOf(d), d.diff_type, Number(d.data_change) ? 'true' : 'false', Number(d.schema_change) ? 'true' : 'false']),
      );
      if (text) out(text);
      return;
    }
    if (opts.stat) {
      for (const d of deltas) {
        const [stat] = await session.records('SELECT * FROM dolt_diff_stat(?, ?, ?)', [from, to, nameOf(d)]);
        if (!stat) continue;
        out(`diff --dolt a/${d.from_table_name || nameOf(d)} b/${d.to_table_name || nameOf(d)}`);
        out(`${stat.rows_unmodified} Rows Unmodified`);
        out(`${stat.rows_added} Rows Added`);
        out(`${stat.rows_deleted} Rows Deleted`);
        out(`${stat.rows_modified} Rows Modified`);
        out(`${stat.cells_added} Cells Added`);
        out(`${stat.cells_deleted} Cells Deleted`);
        out(`${stat.cells_modified} Cells Modified`);
        out(`(${stat.old_row_count} Row Entries vs ${stat.new_row_count} Row Entries)`);
        out('');
      }
      return;
    }
    for (const d of deltas) {
      const name = nameOf(d);
      out(`diff --dolt a/${d.from_table_name || name} b/${d.to_table_name || name}`);
      if (d.diff_type === 'added') out('added table');
      else if (d.diff_type === 'dropped' || d.diff_type === 'removed') out('deleted table');
      else {
        out(`--- a/${d.from_table_name}`);
        out(`+++ b/${d.to_table_name}`);
      }
      if (Number(d.schema_change)) out((await schemaDiff(session, d, from, to)).join('\n'));
      if (Number(d.data_change)) {
        const rows = await rowDiff(session, from, to, name);
        if (rows) out(rows);
      }
    }
  },
};
