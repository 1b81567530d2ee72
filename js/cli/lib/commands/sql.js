// `cambium sql`: runs SQL from `-q`, a file or stdin, printing each statement's result as Dolt
// does (`-r tabular|csv|json|vertical`).
'use strict';

const fs = require('node:fs');

const { CliError, describe } = require('../errors');
const format = require('../format');
const { splitStatements } = require('../script');

const FORMATS = ['tabular', 'csv', 'json', 'vertical'];

/** How one statement's rows are printed in each format; null prints nothing. */
function render(resultFormat, columns, rows) {
  switch (resultFormat) {
    case 'csv':
      return format.csv(columns, rows).replace(/\n$/, '');
    case 'json':
      return format.json(columns, rows);
    case 'vertical':
      return rows.length ? format.vertical(columns, rows) : null;
    default:
      return format.tabular(columns, rows) || null;
  }
}

async function readStdin(stdin) {
  const parts = [];
  for await (const part of stdin) parts.push(part);
  return Buffer.concat(parts).toString('utf8');
}

module.exports = {
  name: 'sql',
  summary: 'Run SQL statements: from -q, from a file, or read from stdin.',
  usage: '[-q <query>] [-r tabular|csv|json|vertical] [-f <file>] [-b] [--continue]',
  options: [
    { short: 'q', long: 'query', value: true, help: 'the statements to run (several separated by ;)' },
    { short: 'r', long: 'result-format', value: true, help: 'how results are printed: tabular (default), csv, json, vertical' },
    { short: 'f', long: 'file', value: true, help: 'run the statements in this file' },
    { short: 'b', long: 'batch', help: "print only result sets, not 'Query OK' lines" },
    { long: 'continue', help: 'go on after a failing statement (the exit status is still 1)' },
  ],
  async run({ session, opts, args, out, err, stdin }) {
    const resultFormat = opts['result-format'] || 'tabular';
    if (!FORMATS.includes(resultFormat)) {
      throw new CliError(`error: unknown result format '${resultFormat}'; use one of ${FORMATS.join(', ')}`);
    }
    if (args.length) throw new CliError(`error: unexpected argument '${args[0]}'; quote the query and pass it with -q`);
    if (opts.query !== undefined && opts.file !== undefined) {
      throw new CliError('error: -q and -f cannot be used together');
    }
    let script;
    if (opts.query !== undefined) script = opts.query;
    else if (opts.file !== undefined) {
      try {
        script = fs.readFileSync(opts.file, 'utf8');
      } catch (e) {
        throw new CliError(`error: cannot read ${opts.file}: ${e.message}`);
      }
    } else script = await readStdin(stdin);

    // Tabular results say when a statement changed rows; CSV and JSON stay machine-readable.
    const okLines = resultFormat === 'tabular' && !opts.batch;
    const statements = splitStatements(script);
    let failed = false;
    for (const [index, statement] of statements.entries()) {
      const started = process.hrtime.bigint();
      let result;
      try {
        result = await session.query(statement);
      } catch (e) {
        failed = true;
        err(describe(e));
        if (statements.length > 1) err(`  in statement ${index + 1}: ${statement.split('\n')[0].slice(0, 120)}`);
        if (opts.continue) continue;
        break;
      }
      if (result.columns.length) {
        const text = render(resultFormat, result.columns, result.rows);
        if (text !== null) out(text);
        if (resultFormat === 'tabular' && text !== null) out('');
      } else if (okLines) {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const noun = result.rowsAffected === 1 ? 'row' : 'rows';
        out(`Query OK, ${result.rowsAffected} ${noun} affected (${seconds.toFixed(2)} sec)`);
      }
    }
    return failed ? 1 : 0;
  },
};
