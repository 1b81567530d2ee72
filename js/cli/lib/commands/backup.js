// `cambium backup`: lists, adds and removes the database's backups, copies the whole database
// (every branch, tag, working set and setting) to one (`sync`, `sync-url`), and makes a new
// database directory from one (`restore`).
'use strict';

const { CliError } = require('../errors');
const { Repo, Session } = require('../repo');
const { createFromRemote, resolveRemoteUrl, verboseLine } = require('../remote');

/** The arguments each verb takes after itself. */
const ARITY = {
  add: ['<name>', '<url>'],
  remove: ['<name>'],
  rm: ['<name>'],
  sync: ['<name>'],
  'sync-url': ['<url>'],
  restore: ['<url>', '<name>'],
};

/** Runs `work` on a session of the database directory `cwd`, closed afterwards. */
async function withSession(cwd, err, work) {
  const session = await Session.open(Repo.require(cwd), { warn: err });
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

module.exports = {
  name: 'backup',
  summary: 'Manage backups: copies of the whole database kept at a URL.',
  usage: '[-v] | add <name> <url> | remove|rm <name> | sync <name> | sync-url <url> | restore <url> <name>',
  repo: 'optional',
  options: [
    { short: 'v', long: 'verbose', help: 'list each backup with its URL' },
  ],
  async run({ cwd, opts, args, out, err }) {
    const [verb, ...rest] = args;
    if (verb === undefined) {
      return withSession(cwd, err, async (session) => {
        const backups = await session.records('SELECT name, url FROM dolt_backups ORDER BY name');
        for (const b of backups) out(opts.verbose ? verboseLine(b.name, b.url, null) : b.name);
      });
    }
    const arity = ARITY[verb];
    if (!arity) throw new CliError(`error: unknown backup subcommand '${verb}': use add, remove, rm, sync, sync-url or restore`);
    if (rest.length !== arity.length) throw new CliError(`error: backup ${verb} takes ${arity.join(' ')}`);
    if (verb === 'restore') {
      const [url, name] = rest;
      await createFromRemote(cwd, name, (Database, dbName, storage) =>
        Database.restore(resolveRemoteUrl(cwd, url), dbName, storage),
      );
      return;
    }
    const call =
      verb === 'add' ? ['add', rest[0], resolveRemoteUrl(cwd, rest[1])]
      : verb === 'sync-url' ? ['sync-url', resolveRemoteUrl(cwd, rest[0])]
      : [verb === 'rm' ? 'remove' : verb, rest[0]];
    await withSession(cwd, err, (session) => session.call('dolt_backup', call));
  },
};
