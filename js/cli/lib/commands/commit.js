// `cambium commit`: records the staged tables (or all changed ones with -a/-A) as a commit,
// signed by `user.name`/`user.email` from the config, and prints it as `log` does.
'use strict';

const { CliError } = require('../errors');
const history = require('../history');
const { author } = require('../repo');
const { changes, unstagedSections } = require('../status');

module.exports = {
  name: 'commit',
  summary: 'Record changes to the database.',
  usage: '[-a|-A] [--allow-empty] [--skip-empty] [--amend] [--author <author>] [--date <date>] [-f] -m <msg>',
  options: [
    { short: 'm', long: 'message', value: true, help: 'the commit message' },
    { short: 'a', long: 'all', help: 'stage every changed table, new ones too, then commit' },
    { short: 'A', long: 'ALL', help: 'stage every changed table, new ones too, then commit' },
    { long: 'allow-empty', help: 'commit even when nothing changed' },
    { long: 'skip-empty', help: 'do nothing, successfully, when nothing changed' },
    { long: 'amend', help: 'replace the last commit' },
    { long: 'author', value: true, help: "the author, as 'Name <email>' (default: user.name and user.email)" },
    { long: 'date', value: true, help: 'the commit date' },
    { short: 'f', long: 'force', help: 'commit even when constraint violations remain' },
  ],
  async run({ session, repo, opts, args, out }) {
    if (args.length) throw new CliError(`error: unexpected argument '${args[0]}'; quote the message and pass it with -m`);
    if (opts.message === undefined && !opts.amend) {
      throw new CliError('error: no commit message given; pass it with -m <msg>');
    }
    const call = [];
    if (opts.message !== undefined) call.push('-m', opts.message);
    for (const flag of ['all', 'allow-empty', 'skip-empty', 'amend', 'force']) {
      if (opts[flag]) call.push(flag === 'all' ? '-a' : flag === 'force' ? '-f' : `--${flag}`);
    }
    if (opts.ALL) call.push('-A');
    if (opts.date !== undefined) call.push('--date', opts.date);
    const signer = opts.author !== undefined ? opts.author : author(repo);
    if (signer) call.push('--author', signer);
    let result;
    try {
      result = await session.call('dolt_commit', call);
    } catch (e) {
      if (e.code !== 'nothing_to_commit') throw e;
      // As Dolt: say what could have been committed, then why nothing was.
      const sections = unstagedSections(await changes(session), false);
      if (sections.length) out(sections.map((s) => s.join('\n')).join('\n\n'));
      throw new CliError('no changes added to commit (use "cambium add")');
    }
    const hash = result.rows.length ? result.rows[0][0] : null;
    if (!hash) {
      out('Skipping empty commit');
      return;
    }
    out(await history.show(session, hash));
  },
};
