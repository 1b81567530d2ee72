// `cambium config`: reads and writes settings, local (`.cambium/config.json`) or global
// (`~/.cambium/config_global.json`); `user.name` and `user.email` sign commits.
'use strict';

const { CliError, NOT_A_REPOSITORY } = require('../errors');
const { Repo, configs } = require('../repo');

const OPERATIONS = ['add', 'set', 'get', 'unset', 'list'];

module.exports = {
  name: 'config',
  summary: 'Get and set local and global settings.',
  usage: '[--global|--local] (--add|--set <key> <value> | --get <key> | --unset <key>... | --list)',
  repo: 'optional',
  options: [
    { long: 'global', help: "the user's settings, in ~/.cambium/config_global.json" },
    { long: 'local', help: "this database's settings, in .cambium/config.json" },
    { long: 'add', help: 'set <key> to <value>' },
    { long: 'set', help: 'the same as --add' },
    { long: 'get', help: "print <key>'s value (local first, then global)" },
    { long: 'unset', help: 'remove keys' },
    { long: 'list', help: 'print every setting as key = value' },
  ],
  async run({ cwd, opts, args, out }) {
    const chosen = OPERATIONS.filter((o) => opts[o]);
    if (chosen.length !== 1) {
      throw new CliError('error: config needs exactly one of --add, --set, --get, --unset or --list');
    }
    const op = chosen[0];
    if (opts.global && opts.local) throw new CliError('error: --global and --local cannot be used together');
    const repo = Repo.find(cwd);
    if (opts.local && !repo) throw new CliError(NOT_A_REPOSITORY);
    const scopes = configs(repo);
    const scope = opts.global ? scopes.global : opts.local ? scopes.local : null;

    if (op === 'add' || op === 'set') {
      if (!scope) throw new CliError('error: one of the --global or --local flags must be given');
      if (args.length !== 2) throw new CliError(`error: config --${op} takes <key> <value>`);
      scope.set(args[0].toLowerCase(), args[1]);
      out('Config successfully updated.');
      return;
    }
    if (op === 'unset') {
      if (!scope) throw new CliError('error: one of the --global or --local flags must be given');
      if (!args.length) throw new CliError('error: config --unset takes the keys to remove');
      const missing = args.filter((key) => !scope.unset(key.toLowerCase()));
      if (missing.length) throw new CliError(`error: not set: ${missing.join(', ')}`);
      out('Config successfully updated.');
      return;
    }
    // Reading: one scope, or local over global.
    const readable = scope ? [scope] : [scopes.global, scopes.local].filter(Boolean);
    const merged = Object.assign({}, ...readable.map((s) => s.values));
    if (op === 'get') {
      if (args.length !== 1) throw new CliError('error: config --get takes one <key>');
      const value = merged[args[0].toLowerCase()];
      if (value === undefined) throw new CliError(`error: '${args[0]}' is not set`);
      out(value);
      return;
    }
    if (args.length) throw new CliError('error: config --list takes no arguments');
    for (const key of Object.keys(merged).sort()) out(`${key} = ${merged[key]}`);
  },
};
