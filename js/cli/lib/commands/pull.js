// `cambium pull`: fetches a remote branch (the checked-out branch's upstream by default) and
// merges it into the checked-out branch, printing the merge as `cambium merge` does.
'use strict';

const { CliError } = require('../errors');
const history = require('../history');
const { author } = require('../repo');

module.exports = {
  name: 'pull',
  summary: 'Fetch a remote branch and merge it into the current branch.',
  usage: '[<remote> [<branch>]]',
  options: [],
  async run({ session, repo, args, out }) {
    if (args.length > 2) throw new CliError('error: pull takes at most <remote> and <branch>');
    const before = await session.value("SELECT dolt_hashof('HEAD')");
    // A merge commit the pull makes is signed by user.name and user.email, as commit and merge
    // sign theirs.
    const signer = author(repo);
    const result = await session.call('dolt_pull', signer ? ['--author', signer, ...args] : args);
    const row = Object.fromEntries(result.columns.map((c, i) => [c, result.rows[0] && result.rows[0][i]]));
    if (Number(row.conflicts) > 0) {
      const tables = await session.records('SELECT `table` FROM dolt_conflicts ORDER BY `table`');
      for (const { table } of tables) {
        out(`Auto-merging ${table}`);
        out(`CONFLICT (content): Merge conflict in ${table}`);
      }
      out('Automatic merge failed; fix conflicts and then commit the result.');
      return 1;
    }
    const after = await session.value("SELECT dolt_hashof('HEAD')");
    if (after === before) {
      out('Everything up-to-date');
      return;
    }
    if (Number(row.fast_forward) === 1) {
      out(`Updating ${before}..${after}`);
      out('Fast-forward');
      return;
    }
    out(await history.show(session, after));
  },
};
