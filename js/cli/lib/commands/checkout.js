// `cambium checkout`: switches the directory to a branch (creating it with -b), or discards the
// working changes of tables.
'use strict';

const { CliError } = require('../errors');

module.exports = {
  name: 'checkout',
  summary: 'Switch branches or restore working tables.',
  usage: '<branch> | -b <new_branch> [<start>] | -B <branch> [<start>] | <table>... | .',
  options: [
    { short: 'b', long: 'b', value: true, help: 'create this branch (from <start> or HEAD) and switch to it' },
    { short: 'B', long: 'B', value: true, help: 'as -b, resetting the branch when it exists' },
  ],
  async run({ session, repo, opts, args, out }) {
    const create = opts.b !== undefined ? ['-b', opts.b] : opts.B !== undefined ? ['-B', opts.B] : null;
    if (opts.b !== undefined && opts.B !== undefined) throw new CliError('error: -b and -B cannot be used together');
    if (create) {
      if (args.length > 1) throw new CliError('error: checkout -b takes <new_branch> [<start>]');
      await session.call('dolt_checkout', [...create, ...args]);
      repo.branch = create[1];
      out(`Switched to a new branch '${create[1]}'`);
      return;
    }
    if (args.length === 0) throw new CliError('error: checkout needs a branch, or tables to restore');
    const isBranch =
      args.length === 1 && (await session.value('SELECT COUNT(*) FROM dolt_branches WHERE name = ?', [args[0]])) > 0;
    if (!isBranch) {
      // Tables (or `.`): their working changes are replaced by the staged state.
      await session.call('dolt_checkout', ['--', ...args]);
      return;
    }
    const branch = args[0];
    if (branch === (await session.branch())) {
      out(`Already on branch '${branch}'`);
      return;
    }
    await session.call('dolt_checkout', [branch]);
    repo.branch = branch;
    out(`Switched to branch '${branch}'`);
  },
};
