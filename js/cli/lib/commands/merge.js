// `cambium merge`: merges a branch into the checked-out one; conflicts stay in the working set
// for resolution (`cambium conflicts`, SQL), then `cambium commit`.
'use strict';

const { CliError } = require('../errors');
const history = require('../history');
const { author } = require('../repo');

module.exports = {
  name: 'merge',
  summary: 'Join two or more development histories together.',
  usage: '[--no-ff] [--ff-only] [--squash] [--no-commit] [-m <msg>] [--author <author>] <branch> | --abort',
  options: [
    { long: 'no-ff', help: 'make a merge commit even when a fast-forward is possible' },
    { long: 'ff-only', help: 'refuse unless the merge is a fast-forward' },
    { long: 'squash', help: 'merge the changes into the working set without a merge commit' },
    { long: 'no-commit', help: 'merge into the working set and stop before committing' },
    { long: 'abort', help: 'abandon a merge with conflicts and go back to before it' },
    { short: 'm', long: 'message', value: true, help: 'the merge commit message' },
    { long: 'author', value: true, help: "the author, as 'Name <email>' (default: user.name and user.email)" },
  ],
  async run({ session, repo, opts, args, out }) {
    if (opts.abort) {
      if (args.length) throw new CliError('error: merge --abort takes no branch');
      await session.call('dolt_merge', ['--abort']);
      return;
    }
    if (args.length !== 1) throw new CliError('error: merge takes one branch to merge');
    const call = [];
    for (const flag of ['no-ff', 'ff-only', 'squash', 'no-commit']) if (opts[flag]) call.push(`--${flag}`);
    if (opts.message !== undefined) call.push('-m', opts.message);
    const signer = opts.author !== undefined ? opts.author : author(repo);
    if (signer) call.push('--author', signer);
    const before = await session.value("SELECT dolt_hashof('HEAD')");
    const result = await session.call('dolt_merge', [...call, '--', args[0]]);
    const [hash, fastForward, conflicts, message] = result.rows[0];
    if (Number(conflicts) > 0) {
      const tables = await session.records('SELECT `table` FROM dolt_conflicts ORDER BY `table`');
      for (const { table } of tables) {
        out(`Auto-merging ${table}`);
        out(`CONFLICT (content): Merge conflict in ${table}`);
      }
      out('Automatic merge failed; fix conflicts and then commit the result.');
      return 1;
    }
    if (message === 'Everything up-to-date' || !hash) {
      out(message || 'Everything up-to-date');
      return;
    }
    if (Number(fastForward) === 1) {
      out(`Updating ${before}..${hash}`);
      out('Fast-forward');
      return;
    }
    out(await history.show(session, hash));
  },
};
