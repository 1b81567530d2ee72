// `cambium remote`: lists the database's remotes (`-v` with their URLs), adds and removes them;
// the list is kept in the database (`dolt_remotes`, `CALL dolt_remote(...)`).
'use strict';

const { CliError } = require('../errors');
const { resolveRemoteUrl, verboseLine } = require('../remote');

module.exports = {
  name: 'remote',
  summary: 'Manage the set of remotes the database pushes to and fetches from.',
  usage: '[-v] | add <name> <url> | remove|rm <name>',
  options: [{ short: 'v', long: 'verbose', help: 'list each remote with its URL' }],
  async run({ cwd, session, opts, args, out }) {
    const [verb, ...rest] = args;
    if (verb === undefined) {
      const remotes = await session.records('SELECT name, url, params FROM dolt_remotes ORDER BY name');
      for (const r of remotes) out(opts.verbose ? verboseLine(r.name, r.url, r.params) : r.name);
      return;
    }
    if (verb === 'add') {
      if (rest.length !== 2) throw new CliError('error: remote add takes <name> <url>');
      await session.call('dolt_remote', ['add', rest[0], resolveRemoteUrl(cwd, rest[1])]);
      return;
    }
    if (verb === 'remove' || verb === 'rm') {
      if (rest.length !== 1) throw new CliError(`error: remote ${verb} takes <name>`);
      await session.call('dolt_remote', ['remove', rest[0]]);
      return;
    }
    throw new CliError(`error: unknown remote subcommand '${verb}': use add, remove or rm`);
  },
};
