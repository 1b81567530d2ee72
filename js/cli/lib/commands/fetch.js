// `cambium fetch`: copies a remote's branches (or the named ones) and tags into the database
// as remote-tracking branches (`origin/main`), leaving local branches alone.
'use strict';

module.exports = {
  name: 'fetch',
  summary: "Download a remote's branches as remote-tracking branches.",
  usage: '[--prune] [<remote> [<branch>...]]',
  options: [{ short: 'p', long: 'prune', help: 'delete remote-tracking branches the remote no longer has' }],
  async run({ session, opts, args }) {
    await session.call('dolt_fetch', [...(opts.prune ? ['--prune'] : []), ...args]);
  },
};
