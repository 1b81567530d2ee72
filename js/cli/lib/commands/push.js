// `cambium push`: sends a branch (the checked-out one by default, to its upstream) and what it
// reaches to a remote; refused unless the remote branch's head is in its history, unless forced.
'use strict';

module.exports = {
  name: 'push',
  summary: 'Update a remote branch with the commits of a local one.',
  usage: '[--set-upstream|-u] [--force|-f] [<remote> [<refspec>...]]',
  options: [
    { short: 'u', long: 'set-upstream', help: 'make the remote branch the upstream of the local one' },
    { short: 'f', long: 'force', help: 'replace the remote branch even when it is not an ancestor' },
  ],
  async run({ session, opts, args, out }) {
    const call = [];
    if (opts['set-upstream']) call.push('--set-upstream');
    if (opts.force) call.push('--force');
    const { rows } = await session.call('dolt_push', [...call, ...args]);
    const message = rows.length ? rows[0][1] : '';
    if (message) out(message);
  },
};
