// `cambium branch`: lists, creates, copies, renames and deletes branches.
'use strict';

const { CliError } = require('../errors');

/** The one operation a `branch` command line asks for. */
function operation(opts) {
  const chosen = ['delete', 'D', 'move', 'M', 'copy', 'C', 'show-current'].filter((o) => opts[o]);
  if (chosen.length > 1) throw new CliError(`error: --${chosen[0]} and --${chosen[1]} cannot be used together`);
  return chosen[0] || null;
}

async function list({ session, opts, out }) {
  const current = await session.branch();
  const branches = await session.records(
    'SELECT name, hash, latest_commit_message FROM dolt_branches ORDER BY name',
  );
  const widest = Math.max(0, ...branches.map((b) => b.name.length));
  for (const b of branches) {
    const mark = b.name === current ? '* ' : '  ';
    out(opts.verbose ? `${mark}${b.name.padEnd(widest)} ${b.hash} ${b.latest_commit_message}` : `${mark}${b.name}`);
  }
}

module.exports = {
  name: 'branch',
  summary: 'List, create, rename, copy or delete branches.',
  usage: '[--list] [-v] | <name> [<start>] | -m [<old>] <new> | -c [<src>] <dst> | -d|-D <name>... | --show-current',
  options: [
    { long: 'list', help: 'list branches (the default)' },
    { short: 'v', long: 'verbose', help: 'list with each head commit and its message' },
    { short: 'a', long: 'all', help: 'list every branch (there are no remote branches yet)' },
    { short: 'd', long: 'delete', help: 'delete branches merged into the current one' },
    { short: 'D', long: 'D', help: 'delete branches, merged or not' },
    { short: 'm', long: 'move', help: 'rename a branch (the current one when only <new> is given)' },
    { short: 'M', long: 'M', help: 'rename, replacing a branch of the new name' },
    { short: 'c', long: 'copy', help: 'copy a branch (the current one when only <dst> is given)' },
    { short: 'C', long: 'C', help: 'copy, replacing a branch of the new name' },
    { short: 'f', long: 'force', help: 'with a new branch, -d, -m or -c: replace or delete regardless' },
    { long: 'show-current', help: 'print the current branch' },
  ],
  async run(ctx) {
    const { session, repo, opts, args, out } = ctx;
    const op = operation(opts);
    const force = opts.force ? ['-f'] : [];
    if (op === 'show-current') {
      out(await session.branch());
      return;
    }
    if (op === 'delete' || op === 'D') {
      if (!args.length) throw new CliError('error: branch name required');
      await session.call('dolt_branch', [op === 'D' || opts.force ? '-D' : '-d', ...args]);
      return;
    }
    if (op === 'move' || op === 'M' || op === 'copy' || op === 'C') {
      const current = await session.branch();
      if (args.length < 1 || args.length > 2) throw new CliError(`error: branch -${op[0].toLowerCase()} takes [<old>] <new>`);
      const [from, to] = args.length === 2 ? args : [current, args[0]];
      const replace = op === 'M' || op === 'C' ? ['-f'] : force;
      await session.call('dolt_branch', [op === 'move' || op === 'M' ? '-m' : '-c', ...replace, from, to]);
      // A renamed checked-out branch stays checked out under its new name.
      if ((op === 'move' || op === 'M') && repo.branch === from) repo.branch = to;
      return;
    }
    if (args.length === 0 || opts.list) return list(ctx);
    if (args.length > 2) throw new CliError('error: branch takes <name> [<start>]');
    await session.call('dolt_branch', [...force, ...args]);
  },
};
