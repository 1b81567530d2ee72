// The interactive SQL shell that `cambium sql` starts on a terminal, as Dolt's `dolt sql` does:
// a prompt naming the database and branch (`mydb/main> `), statements that span lines until a
// `;` (with a continuation prompt meanwhile), each result printed as `sql -q` prints it, errors
// shown without leaving, and `exit`, `quit`, `\q` or Ctrl-D to leave.
'use strict';

const readline = require('node:readline');

const { describe } = require('./errors');
const { statementLines } = require('./format');
const { terminatedStatements } = require('./script');

/** What typed alone on a line (a `;` after it allowed) leaves the shell: Dolt's words and mysql's `\q`. */
const QUIT_WORDS = new Set(['exit', 'quit', 'exit()', 'quit()', '\\q']);
/** Lines kept for the arrow keys, as many as Dolt keeps. */
const HISTORY_LINES_MAX = 500;

const WELCOME = [
  '# Welcome to the Cambium SQL shell.',
  "# Statements must be terminated with ';'.",
  '# "exit" or "quit" (or Ctrl-D) to exit.',
];

/**
 * The prompts for the session's current database and branch: `db/branch> `, and `-> ` under
 * its end for the lines that continue a statement, as Dolt aligns them.
 */
async function prompts(session) {
  const { rows } = await session.query('SELECT DATABASE(), active_branch()');
  const [database, branch] = rows[0];
  const primary = `${database}/${branch}> `;
  return { primary, continuation: '-> '.padStart(primary.length) };
}

/** Whether a line typed at the start of a statement asks to leave. */
function isQuit(line) {
  return QUIT_WORDS.has(line.trim().replace(/;$/, '').trim().toLowerCase());
}

/**
 * Runs the shell on `input` until the user leaves or the input ends, and resolves to 0: as in
 * Dolt, a failing statement is shown and the shell goes on. Prompts and line editing go to
 * `output` (a terminal, or any stream: then prompts are written plainly and nothing is echoed);
 * results go to `out` and errors to `err`, line by line. `resultFormat` and `okLines` are
 * those of `sql -q`.
 */
async function runShell({ session, input, output, out, err, resultFormat, okLines }) {
  let prompt = await prompts(session);
  for (const line of WELCOME) out(line);
  const rl = readline.createInterface({
    input,
    output,
    terminal: Boolean(output.isTTY),
    historySize: HISTORY_LINES_MAX,
    prompt: prompt.primary,
  });
  // The lines of the statement being typed, up to its `;`.
  let pending = '';
  // Ctrl-C drops the statement being typed, as in mysql, instead of leaving the shell.
  rl.on('SIGINT', () => {
    pending = '';
    rl.write(null, { ctrl: true, name: 'e' });
    output.write('^C\n');
    rl.setPrompt(prompt.primary);
    rl.write(null, { ctrl: true, name: 'u' });
  });
  rl.prompt();
  let quit = false;
  for await (const line of rl) {
    if (pending === '' && isQuit(line)) {
      quit = true;
      break;
    }
    const { statements, rest } = terminatedStatements(`${pending}${line}\n`);
    pending = rest;
    for (const statement of statements) {
      const started = process.hrtime.bigint();
      try {
        const result = await session.query(statement);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        for (const printed of statementLines(result, { resultFormat, okLines, seconds })) out(printed);
      } catch (e) {
        err(describe(e));
      }
    }
    // USE and dolt_checkout move the session to another branch; the prompt follows.
    if (statements.length) prompt = await prompts(session);
    rl.setPrompt(pending === '' ? prompt.primary : prompt.continuation);
    rl.prompt();
  }
  rl.close();
  // Ctrl-D or the end of the input leaves the cursor after a prompt; the farewell starts a line
  // of its own.
  if (!quit) output.write('\n');
  out('Bye');
  return 0;
}

module.exports = { runShell };
