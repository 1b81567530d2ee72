// `cambium config`: reads and writes settings, local (`.cambium/config.json`) or global
// (`~/.cambium/config_global.json`); `user.name` and `user.email` sign commits. As in Dolt,
// `sqlserver.global.<variable>` keys are the database's persisted system variables, the very
// setting `SET PERSIST <variable> = value` makes (replication is configured so), and exist only
// in the local scope.
'use strict';

const { CliError, NOT_A_REPOSITORY } = require('../errors');
const { Repo, Session, configs } = require('../repo');

const OPERATIONS = ['add', 'set', 'get', 'unset', 'list'];
/** Keys that name a persisted system variable of the database. */
const SERVER_PREFIX = 'sqlserver.global.';
const VARIABLE_NAME = /^[a-z_][a-z0-9_]*$/;

/** The system variable a `sqlserver.global.` key names (lower-cased), or null for other keys. */
function serverVariable(key) {
  const lower = key.toLowerCase();
  if (!lower.startsWith(SERVER_PREFIX)) return null;
  const name = lower.slice(SERVER_PREFIX.length);
  if (!VARIABLE_NAME.test(name)) throw new CliError(`error: '${key}' does not name a system variable`);
  return name;
}

/** A SQL string literal holding `text`. */
function sqlString(text) {
  return `'${String(text).replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * The database's persisted system variables, reached through a session on `repo`: `list()`
 * reads them by name, `persist(name, value)` sets one (`null` removes it, back to its default).
 */
class ServerConfig {
  constructor(repo, warn) {
    this.repo = repo;
    this.warn = warn;
  }

  async session() {
    if (!this.repo) throw new CliError(NOT_A_REPOSITORY);
    return (this._session ||= await Session.open(this.repo, { warn: this.warn }));
  }

  async list() {
    const rows = await (await this.session()).records('SELECT name, value FROM dolt_persisted_variables');
    return Object.fromEntries(rows.map((r) => [`${SERVER_PREFIX}${r.name}`, r.value]));
  }

  async persist(name, value) {
    const sql = value === null ? 'DEFAULT' : sqlString(value);
    await (await this.session()).query(`SET PERSIST ${name} = ${sql}`);
  }

  async close() {
    if (this._session) await this._session.close();
  }
}

module.exports = {
  name: 'config',
  summary: 'Get and set local and global settings.',
  usage: '[--global|--local] (--add|--set <key> <value> | --get <key> | --unset <key>... | --list)',
  repo: 'optional',
  options: [
    { long: 'global', help: "the user's settings, in ~/.cambium/config_global.json" },
    { long: 'local', help: "this database's settings, in .cambium/config.json (sqlserver.global.<variable>: its persisted system variables)" },
    { long: 'add', help: 'set <key> to <value>' },
    { long: 'set', help: 'the same as --add' },
    { long: 'get', help: "print <key>'s value (local first, then global)" },
    { long: 'unset', help: 'remove keys' },
    { long: 'list', help: 'print every setting as key = value' },
  ],
  async run({ cwd, opts, args, out, err }) {
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
    const keyed = op === 'list' ? [] : op === 'unset' ? args : args.slice(0, 1);
    for (const key of keyed) {
      if (opts.global && serverVariable(key) !== null) {
        throw new CliError(`error: ${key} is a setting of the database and can only be used with --local`);
      }
    }
    const server = new ServerConfig(repo, err);
    try {
      await apply(op, { scopes, scope, server, args, out });
    } finally {
      await server.close();
    }
  },
};

/** Carries out `op`; `server` holds the database's persisted variables. */
async function apply(op, { scopes, scope, server, args, out }) {
  if (op === 'add' || op === 'set') {
    if (!scope) throw new CliError('error: one of the --global or --local flags must be given');
    if (args.length !== 2) throw new CliError(`error: config --${op} takes <key> <value>`);
    const variable = serverVariable(args[0]);
    if (variable !== null) await server.persist(variable, args[1]);
    else scope.set(args[0].toLowerCase(), args[1]);
    out('Config successfully updated.');
    return;
  }
  if (op === 'unset') {
    if (!scope) throw new CliError('error: one of the --global or --local flags must be given');
    if (!args.length) throw new CliError('error: config --unset takes the keys to remove');
    const persisted = args.some((key) => serverVariable(key) !== null) ? await server.list() : {};
    const missing = [];
    for (const key of args) {
      const variable = serverVariable(key);
      if (variable === null) {
        if (!scope.unset(key.toLowerCase())) missing.push(key);
      } else if (persisted[key.toLowerCase()] === undefined) {
        missing.push(key);
      } else {
        await server.persist(variable, null);
      }
    }
    if (missing.length) throw new CliError(`error: not set: ${missing.join(', ')}`);
    out('Config successfully updated.');
    return;
  }
  // Reading: one scope, or local over global; the persisted variables belong to the local one.
  const readable = scope ? [scope] : [scopes.global, scopes.local].filter(Boolean);
  const merged = Object.assign({}, ...readable.map((s) => s.values));
  if (op === 'get') {
    if (args.length !== 1) throw new CliError('error: config --get takes one <key>');
    const key = args[0].toLowerCase();
    const value = serverVariable(key) !== null ? (await server.list())[key] : merged[key];
    if (value === undefined) throw new CliError(`error: '${args[0]}' is not set`);
    out(value);
    return;
  }
  if (args.length) throw new CliError('error: config --list takes no arguments');
  if (scopes.local && scope !== scopes.global) Object.assign(merged, await server.list());
  for (const key of Object.keys(merged).sort()) out(`${key} = ${merged[key]}`);
}
