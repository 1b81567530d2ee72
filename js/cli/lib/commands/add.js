// `cambium add`: stages tables (`.` or `-A` for all) for the next commit.
'use strict';

module.exports = {
  name: 'add',
  summary: 'Add table changes to the list of staged table changes.',
  usage: '[-A] [.] [<table>...]',
  options: [{ short: 'A', long: 'all', help: 'stage every changed table, new ones too' }],
  async run({ session, opts, args, out }) {
    if (args.length === 0 && !opts.all) {
      out("Nothing specified, nothing added.\n Maybe you wanted to say 'cambium add .'?");
      return;
    }
    await session.call('dolt_add', [...(opts.all ? ['-A'] : []), ...(args.length ? ['--', ...args] : [])]);
  },
};
