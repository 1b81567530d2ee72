// `cambium clone`: makes a new database directory (named after the URL's last segment by
// default) holding a copy of a remote database, its branches as remote-tracking branches and
// the default branch checked out.
'use strict';

const path = require('node:path');

const { CliError } = require('../errors');
const { createFromRemote, defaultDirName, resolveRemoteUrl } = require('../remote');

module.exports = {
  name: 'clone',
  summary: 'Clone a remote database into a new directory.',
  usage: '[--remote <name>] [-b <branch>] <url> [<dir>]',
  repo: 'none',
  options: [
    { long: 'remote', value: true, help: "the name the remote gets (default 'origin')" },
    { short: 'b', long: 'branch', value: true, help: "the branch checked out (default: the remote's default branch)" },
  ],
  async run({ cwd, opts, args, out, err }) {
    if (args.length < 1 || args.length > 2) throw new CliError('error: clone takes <url> [<dir>]');
    const url = resolveRemoteUrl(cwd, args[0]);
    const dir = args.length === 2 ? args[1] : defaultDirName(url);
    if (!dir) throw new CliError(`error: '${args[0]}' names no database to make a directory for; give <dir>`);
    const options = {};
    if (opts.remote !== undefined) options.remote = opts.remote;
    if (opts.branch !== undefined) options.branch = opts.branch;
    out(`cloning ${url}`);
    // On a terminal, one line rewritten as chunks arrive; elsewhere nothing, so scripts and
    // logs get only the outcome.
    if (process.stderr.isTTY) {
      options.onProgress = ({ chunks, bytes, pending }) => {
        const mb = (bytes / 1e6).toFixed(1);
        process.stderr.write(`\r${chunks} chunks (${mb} MB) downloaded, ${pending} to go   `);
      };
    }
    const root = await createFromRemote(cwd, dir, (Database, name, storage) =>
      Database.clone(url, name, { ...storage, ...options }),
    );
    if (process.stderr.isTTY) err('');
    out(`Cloned into ${path.relative(cwd, root) || '.'}`);
  },
};
