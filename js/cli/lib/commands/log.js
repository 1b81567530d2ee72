// `cambium log`: the commit history from HEAD or a revision, long or one line per commit.
'use strict';

const { CliError } = require('../errors');
const history = require('../history');

module.exports = {
  name: 'log',
  summary: 'Show commit logs.',
  usage: '[-n <num_commits>] [--oneline] [--decorate short|no] [<revision>]',
  options: [
    { short: 'n', long: 'number', value: true, help: 'show at most this many commits' },
    { long: 'oneline', help: 'one line per commit: hash, refs, message' },
    { long: 'decorate', value: true, help: "show the branches and tags at each commit: 'short' (default) or 'no'" },
  ],
  async run({ session, opts, args, out }) {
    if (args.length > 1) throw new CliError(`error: log takes one revision, got ${args.length}`);
    let limit = null;
    if (opts.number !== undefined) {
      limit = Number(opts.number);
      if (!Number.isInteger(limit) || limit < 0) {
        throw new CliError(`fatal: invalid --number argument: ${opts.number}`);
      }
    }
    const decorate = opts.decorate || 'short';
    if (!['short', 'auto', 'no'].includes(decorate)) {
      throw new CliError(`fatal: invalid --decorate option: ${decorate}`);
    }
    const decorated = decorate === 'no' ? null : await history.decorations(session);
    const commits = await history.commits(session, args[0] || 'HEAD', limit);
    for (const commit of commits) {
      out(opts.oneline ? history.oneLine(commit, decorated) : history.longForm(commit, decorated));
    }
  },
};
