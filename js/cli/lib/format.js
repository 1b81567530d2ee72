// How results are printed, in Dolt's shapes: the tabular form with +---+ borders, CSV, JSON and
// the vertical form for `sql -r` and its shell, and the dates of `log`.
'use strict';

/** A value as text in a table: NULL for null, BLOBs in hex, JSON as JSON. */
function cellText(value) {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString('hex').toUpperCase()}`;
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/** The width a string takes in a terminal, counting code points (not UTF-16 units). */
function width(text) {
  return [...text].length;
}

/**
 * The tabular form: a header, the rows, left-aligned in columns as wide as their longest cell,
 * between `+---+` borders. Returns the lines without a final newline; no rows give no table.
 */
function tabular(columns, rows) {
  if (rows.length === 0) return '';
  const cells = rows.map((row) => row.map(cellText));
  const widths = columns.map((c, i) => Math.max(width(c), ...cells.map((row) => width(row[i]))));
  const line = (values) =>
    `| ${values.map((v, i) => v + ' '.repeat(widths[i] - width(v))).join(' | ')} |`;
  const border = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  return [border, line(columns), border, ...cells.map(line), border].join('\n');
}

/** A CSV field, quoted when it holds a separator, a quote, a line break or edge spaces. */
function csvField(value) {
  if (value === null || value === undefined) return '';
  const text = cellText(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV with a header line; NULL is an empty field. Ends with a newline. */
function csv(columns, rows) {
  const lines = [columns.map(csvField).join(','), ...rows.map((row) => row.map(csvField).join(','))];
  return `${lines.join('\n')}\n`;
}

/** A value as JSON text: numbers and BigInts as numbers, BLOBs as hex strings. */
function jsonValue(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return JSON.stringify(cellText(value));
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Dolt's JSON result: `{"rows": [{"col":value,...},...]}` on one line. */
function json(columns, rows) {
  const records = rows.map(
    (row) => `{${columns.map((c, i) => `${JSON.stringify(c)}:${jsonValue(row[i])}`).join(',')}}`,
  );
  return `{"rows": [${records.join(',')}]}`;
}

/** MySQL's vertical form (`\G`): one block per row, names right-aligned. */
function vertical(columns, rows) {
  const nameWidth = Math.max(0, ...columns.map(width));
  return rows
    .map((row, r) => {
      const stars = '*'.repeat(27);
      const lines = columns.map((c, i) => `${' '.repeat(nameWidth - width(c))}${c}: ${cellText(row[i])}`);
      return [`${stars} ${r + 1}. row ${stars}`, ...lines].join('\n');
    })
    .join('\n');
}

/** The formats `sql -r` accepts. */
const RESULT_FORMATS = ['tabular', 'csv', 'json', 'vertical'];

/** How one statement's rows are printed in each format; null prints nothing. */
function rowsText(resultFormat, columns, rows) {
  switch (resultFormat) {
    case 'csv':
      return csv(columns, rows).replace(/\n$/, '');
    case 'json':
      return json(columns, rows);
    case 'vertical':
      return rows.length ? vertical(columns, rows) : null;
    default:
      return tabular(columns, rows) || null;
  }
}

/**
 * The lines `sql` prints for one statement's result: its rows in `resultFormat` (a table and an
 * empty line after it, as Dolt prints them), or, for a statement without a result set and with
 * `okLines`, `Query OK, <n> rows affected (<seconds> sec)`. Nothing for an empty result.
 */
function statementLines(result, { resultFormat, okLines, seconds }) {
  if (result.columns.length) {
    const text = rowsText(resultFormat, result.columns, result.rows);
    if (text === null) return [];
    return resultFormat === 'tabular' ? [text, ''] : [text];
  }
  if (!okLines) return [];
  const noun = result.rowsAffected === 1 ? 'row' : 'rows';
  return [`Query OK, ${result.rowsAffected} ${noun} affected (${seconds.toFixed(2)} sec)`];
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n) => String(n).padStart(2, '0');

/**
 * A commit date as Dolt prints it (Go's RubyDate, in local time): `Mon Jan 02 15:04:05 -0700
 * 2006`. `value` is the engine's DATETIME text (UTC, `YYYY-MM-DD hh:mm:ss[.ffffff]`) or a Date.
 */
function commitDate(value) {
  const date = value instanceof Date ? value : new Date(`${String(value).replace(' ', 'T')}Z`);
  if (Number.isNaN(date.getTime())) return String(value);
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const zone = `${sign}${two(Math.floor(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)}`;
  const clock = `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
  return `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${two(date.getDate())} ${clock} ${zone} ${date.getFullYear()}`;
}

module.exports = { RESULT_FORMATS, cellText, commitDate, csv, json, statementLines, tabular, vertical };
