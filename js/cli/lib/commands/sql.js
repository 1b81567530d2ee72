// `cambium sql`: runs SQL from `-q`, a file or stdin, printing each statement's result as Dolt
// does (`-r tabular|csv|json|vertical`); on a terminal without `-q` or `-f`, the interactive
// shell (lib/shell.js).
'use strict';

const fs = require('node:fs');

const { CliError, describe } = require('../errors');
const { RESULT_FORMATS, statementLines } = require('../format');
const { splitStatements } = require('../script');
const { runShell } = require('../shell');

async function readStdin(stdin) {
  const parts = [];
  for await (const part of stdin) parts.push(part);
  return Buffer.concat(parts).toString('utf8');
}

module.exports = {
  name: 'sql',
  summary: 'Run SQL statements: from -q, from a file, from stdin, or in a shell on a terminal.',
  usage: '[-q <query>] [-r tabular|csv|json|vertical] [-f <file>] [-b] [--continue]',
  options: [
    { short: 'q', long: 'query', value: true, help: 'the statements to run (several separated by ;)' },
    { short: 'r', long: 'result-format', value: true, help: 'how results are printed: tabular (default), csv, json, vertical' },
    { short: 'f', long: 'file', value: true, help: 'run the statements in this file' },
    { short: 'b', long: 'batch', help: "print only result sets, not 'Query OK' lines" },
    { long: 'continue', help: 'go on after a failing statement (the exit status is still 1)' },
  ],
  async run({ session, opts, args, out, err, stdin, terminal }) {
    const resultFormat = opts['result-format'] || 'tabular';
    if (!RESULT_FORMATS.includes(resultFormat)) {
      throw new CliError(`error: unknown result format '${resultFormat}'; use one of ${RESULT_FORMATS.join(', ')}`);
    }
    if (args.length) throw new CliError(`error: unexpected argument '${args[0]}'; quote the query and pass it with -q`);
    if (opts.query !== undefined && opts.file !== undefined) {
      throw new CliError('error: -q and -f cannot be used together');
    }
    // Tabular results say when a statement changed rows; CSV and JSON stay machine-readable.
    const okLines = resultFormat === 'tabular' && !opts.batch;
    if (opts.query === undefined && opts.file === undefined && terminal) {
      return runShell({ session, input: stdin, output: terminal, out, err, resultFormat, okLines });
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
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // Warnings (a replication failure told to be skipped, say) go to stderr, so that the
      // results on stdout stay machine-readable.
      for (const warning of result.warnings) err(`warning: ${warning.message}`);
      for (const line of statementLines(result, { resultFormat, okLines, seconds })) out(line);
    }
    return failed ? 1 : 0;
  },
};
