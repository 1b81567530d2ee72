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

/** A table's CREATE TABLE statement at a revision, with its semicolon; null when it has none. */
async function createStatement(session, table, revision) {
  if (!table) return null;
  const { rows } = await session.query(`SHOW CREATE TABLE ${ident(table)} AS OF ?`, [revision]);
  return `${rows[0][1]};`;
}

/**
 * A line diff of two texts, as Dolt prints schema changes: every line of both, in order, marked
 * `-` (only before), `+` (only after) or ` ` (in both), along a longest common subsequence.
 */
function lineDiff(before, after) {
  const a = before === null ? [] : before.split('\n');
  const b = after === null ? [] : after.split('\n');
  // common[i][j]: the length of the longest common subsequence of a[i..] and b[j..].
  const common = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i][j] = a[i] === b[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
    }
  }
  const lines = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push(` ${a[i++]}`);
      j++;
    } else if (i < a.length && (j === b.length || common[i + 1][j] >= common[i][j + 1])) {
      lines.push(`-${a[i++]}`);
    } else {
      lines.push(`+${b[j++]}`);
    }
  }
  return lines;
}

/**
 * The schema part of a table's diff: its CREATE TABLE before and after as a line diff, or no
 * lines when the two read the same.
 */
async function schemaDiff(session, delta, from, to) {
  const before = await createStatement(session, delta.from_table_name, from);
  const after = await createStatement(session, delta.to_table_name, to);
  return before === after ? [] : lineDiff(before, after);
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
      if (Number(d.schema_change)) {
        const lines = await schemaDiff(session, d, from, to);
        if (lines.length) out(lines.join('\n'));
      }
      if (Number(d.data_change)) {
        const rows = await rowDiff(session, from, to, name);
        if (rows) out(rows);
      }
    }
  },
};
