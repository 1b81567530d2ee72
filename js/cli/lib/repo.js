// A directory as a database: where its data and state live (`.cambium/` inside it), its name,
// its configuration (local and global), and the session every command runs in, opened on the
// branch the directory has checked out.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { CliError, NOT_A_REPOSITORY } = require('./errors');

/** The hidden folder inside a database directory that holds its data, state and config. */
const DATA_DIR = '.cambium';
/** The directory's checked-out branch and database name, as Dolt's `repo_state.json`. */
const STATE_FILE = 'repo_state.json';
const LOCAL_CONFIG_FILE = 'config.json';
const GLOBAL_CONFIG_FILE = 'config_global.json';
/** The longest database name the engine accepts, in bytes (`validate_name`). */
const NAME_BYTES_MAX = 64;
const BRANCH_REF_PREFIX = 'refs/heads/';

/** The Node build of the engine, loaded on first use so `help` and `config` start at once. */
function engine() {
  return require(path.join(__dirname, '..', '..', 'node', 'cambium.js'));
}

// The token for remote servers that check them, from CAMBIUM_REMOTE_TOKEN: taken from the
// environment on each run and never written into the database or its configuration.
function remoteToken() {
  const token = process.env.CAMBIUM_REMOTE_TOKEN;
  return token ? { remoteToken: token } : {};
}

/**
 * The database name for a directory: its base name with every character the engine does not
 * accept in a name (letters, digits, `_`, `-`; no leading `-`) replaced by `_`, so `my notes`
 * is `my_notes`. A name that is still not valid (too long) is refused with the reason.
 */
function databaseName(dir) {
  const base = path.basename(path.resolve(dir));
  const mapped = base.replace(/[^A-Za-z0-9_-]/g, '_').replace(/^-/, '_');
  if (mapped.length === 0) {
    throw new CliError(`error: the directory '${dir}' has no name to use as the database's name`);
  }
  if (Buffer.byteLength(mapped) > NAME_BYTES_MAX) {
    throw new CliError(
      `error: the directory name '${base}' is longer than ${NAME_BYTES_MAX} bytes, the longest database name; ` +
        'rename the directory and run the command again',
    );
  }
  return mapped;
}

function readJson(file, fallback) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return fallback;
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`error: ${file} is not valid JSON; fix or remove it`);
  }
}

/** Writes `value` as JSON by replacing the file whole, so a crash leaves the old or new one. */
function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

/** The global configuration file, under the user's home directory. */
function globalConfigPath() {
  return path.join(os.homedir(), DATA_DIR, GLOBAL_CONFIG_FILE);
}

/** A database directory found at `root`. */
class Repo {
  constructor(root) {
    this.root = root;
    this.dataDir = path.join(root, DATA_DIR);
    this.statePath = path.join(this.dataDir, STATE_FILE);
    this.configPath = path.join(this.dataDir, LOCAL_CONFIG_FILE);
  }

  /** The database directory `cwd`, or null when it is not one (Dolt looks in `cwd` only). */
  static find(cwd) {
    const repo = new Repo(cwd);
    return fs.existsSync(repo.statePath) ? repo : null;
  }

  /** The database directory `cwd`, or the error Dolt gives outside one. */
  static require(cwd) {
    const repo = Repo.find(cwd);
    if (!repo) throw new CliError(NOT_A_REPOSITORY);
    return repo;
  }

  get state() {
    return (this._state ||= readJson(this.statePath, {}));
  }

  /** The database name recorded at `init` (the directory's name then). */
  get name() {
    return this.state.name || databaseName(this.root);
  }

  /** The branch this directory has checked out. */
  get branch() {
    const head = this.state.head || `${BRANCH_REF_PREFIX}main`;
    return head.startsWith(BRANCH_REF_PREFIX) ? head.slice(BRANCH_REF_PREFIX.length) : head;
  }

  set branch(name) {
    this._state = { ...this.state, head: `${BRANCH_REF_PREFIX}${name}` };
    writeJson(this.statePath, this._state);
  }

  /** Records a new database directory's name and its first branch, checked out. */
  writeInitialState(name, branch) {
    this._state = { name, head: `${BRANCH_REF_PREFIX}${branch}` };
    writeJson(this.statePath, this._state);
  }

  /**
   * Opens the database on the file store in `.cambium/`, creating it when new. Commits the
   * engine signs itself (`dolt_transaction_commit`'s) name `user.name` and `user.email`.
   */
  async open() {
    const name = configValue(this, 'user.name');
    const email = configValue(this, 'user.email');
    const user = name && email ? { user: { name, email } } : {};
    return engine().Database.open(this.name, { storage: 'fs', dir: this.dataDir, ...user, ...remoteToken() });
  }
}

/** The configuration of one scope: a flat map of keys such as `user.name` to strings. */
class Config {
  constructor(file) {
    this.file = file;
    this.values = readJson(file, {});
  }

  get(key) {
    return Object.prototype.hasOwnProperty.call(this.values, key) ? this.values[key] : undefined;
  }

  set(key, value) {
    this.values[key] = value;
    writeJson(this.file, this.values);
  }

  unset(key) {
    const had = this.get(key) !== undefined;
    delete this.values[key];
    writeJson(this.file, this.values);
    return had;
  }
}

/** The global configuration and, inside a database directory, the local one. */
function configs(repo) {
  return {
    global: new Config(globalConfigPath()),
    local: repo ? new Config(repo.configPath) : null,
  };
}

/** A key's value, the local scope first, as Dolt reads it; undefined when unset. */
function configValue(repo, key) {
  const { global, local } = configs(repo);
  const value = local && local.get(key);
  return value !== undefined ? value : global.get(key);
}

/**
 * The commit author from `user.name` and `user.email`, as `Name <email>`; null when either is
 * unset, so the engine's session user (root <root@localhost>) signs instead.
 */
function author(repo) {
  const name = configValue(repo, 'user.name');
  const email = configValue(repo, 'user.email');
  return name && email ? `${name} <${email}>` : null;
}

/** Quotes an identifier for SQL. */
function ident(name) {
  return `\`${String(name).replace(/`/g, '``')}\``;
}

/**
 * A SQL session on a database directory, on its checked-out branch. Rows come back as arrays
 * in column order (`rowMode: 'array'`), so columns that share a name all survive.
 */
class Session {
  constructor(repo, db) {
    this.repo = repo;
    this.db = db;
  }

  /**
   * Opens the database of `repo` and moves the session to the directory's branch. Conflicts a
   * merge leaves stay in the working set for resolution, as in Dolt's CLI, instead of rolling
   * the merge back.
   */
  static async open(repo, { warn }) {
    const session = new Session(repo, await repo.open());
    await session.query('SET @@dolt_allow_commit_conflicts = 1');
    const branch = repo.branch;
    try {
      await session.query(`USE ${ident(`${repo.name}/${branch}`)}`);
    } catch (err) {
      // The branch was deleted or renamed behind the directory's back (from SQL, say): the
      // session stays on the repository's default branch and the directory follows it.
      const current = await session.value('SELECT active_branch()');
      warn(`warning: the checked-out branch '${branch}' is gone (${err.message}); now on '${current}'`);
      repo.branch = current;
    }
    return session;
  }

  /** Runs one statement; the result's rows are arrays. */
  query(sql, params = []) {
    return this.db.query(sql, params, { rowMode: 'array' });
  }

  /** The rows of a query as objects keyed by column name. */
  async records(sql, params = []) {
    const { columns, rows } = await this.query(sql, params);
    return rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
  }

  /** The first cell of a query, or undefined when it returns no row. */
  async value(sql, params = []) {
    const { rows } = await this.query(sql, params);
    return rows.length ? rows[0][0] : undefined;
  }

  /** `CALL procedure(args…)`, every argument a bound string; resolves to the result. */
  call(procedure, args) {
    const marks = args.map(() => '?').join(', ');
    return this.query(`CALL ${procedure}(${marks})`, args.map(String));
  }

  /** The branch the session is on. */
  branch() {
    return this.value('SELECT active_branch()');
  }

  close() {
    return this.db.close();
  }
}

module.exports = {
  remoteToken,
  DATA_DIR,
  Repo,
  Session,
  author,
  configs,
  configValue,
  databaseName,
  engine,
  ident,
};
