// The CLI's one entry: finds the command, parses its flags, opens the database directory's
// session when the command needs one, runs it, and turns every failure into a message on stderr
// and a non-zero exit status.
'use strict';

const { parse } = require('./args');
const { CliError, describe } = require('./errors');
const commands = require('./commands');
const help = require('./commands/help');
const { Repo, Session } = require('./repo');

const HELP_OPTION = { short: 'h', long: 'help' };

/**
 * Runs `argv` (the arguments after `cambium`) in `cwd` and resolves to the exit status. `io`
 * holds `stdout`, `stderr` (functions taking a line), `stdin` (a readable stream) and, when
 * stdin is a terminal, `terminal`: the writable stream the interactive shell of `sql` draws its
 * prompts on.
 */
async function main(argv, io) {
  const { cwd, stdout, stderr, stdin, terminal } = io;
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    stdout(help.overview(commands));
    return name === undefined ? 1 : 0;
  }
  if (name === '--version') return main(['version'], io);
  const command = commands.find((c) => c.name === name);
  if (!command) {
    stderr(`cambium: '${name}' is not a cambium command. See 'cambium help'.`);
    return 1;
  }
  let session = null;
  try {
    const { opts, args } = parse(name, rest, [...command.options, HELP_OPTION]);
    if (opts.help) {
      stdout(help.usageOf(command));
      return 0;
    }
    const repo = command.repo === 'none' || command.repo === 'optional' ? null : Repo.require(cwd);
    if (repo) session = await Session.open(repo, { warn: stderr });
    const status = await command.run({ cwd, repo, session, opts, args, out: stdout, err: stderr, stdin, terminal, commands });
    return typeof status === 'number' ? status : 0;
  } catch (err) {
    stderr(describe(err));
    return err instanceof CliError ? err.status : 1;
  } finally {
    if (session) await session.close();
  }
}

module.exports = { main };
