// `cambium init`: makes the current directory a database, its data in `.cambium/` inside, with
// Dolt's flags: the first branch's name, and the name, email and date of the first commit.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const { CliError } = require('../errors');
const { DATA_DIR, Repo, Session, author, configs, databaseName } = require('../repo');

/** The branch a new store starts on. */
const ENGINE_BRANCH = 'main';

/** Creates the database in `repo` and shapes its first branch and commit as the flags ask. */
async function create(repo, opts) {
  // Opening a new store creates the `main` branch and its first commit.
  const session = new Session(repo, await repo.open());
  try {
    const branch = opts['initial-branch'];
    if (branch !== undefined && branch !== ENGINE_BRANCH) {
      // Renaming the only branch makes it the default branch too.
      await session.call('dolt_branch', ['-m', ENGINE_BRANCH, branch]);
    }
    const local = configs(repo).local;
    if (opts.name !== undefined) local.set('user.name', opts.name);
    if (opts.email !== undefined) local.set('user.email', opts.email);
    // The engine signs the first commit as its own user at time zero; as in Dolt, it is the
    // configured user's, made now or at --date.
    const signer = author(repo);
    if (signer || opts.date !== undefined) {
      const call = ['--amend'];
      if (signer) call.push('--author', signer);
      if (opts.date !== undefined) call.push('--date', opts.date);
      await session.call('dolt_commit', call);
    }
  } finally {
    await session.close();
  }
}

module.exports = {
  name: 'init',
  summary: 'Create an empty database in the current directory.',
  usage: '[--name <name>] [--email <email>] [--date <date>] [-b <branch>]',
  repo: 'none',
  options: [
    { long: 'name', value: true, help: "the name in this database's commits (stored as its local user.name)" },
    { long: 'email', value: true, help: "the email in this database's commits (stored as its local user.email)" },
    { long: 'date', value: true, help: 'the date of the first commit (default: now)' },
    { short: 'b', long: 'initial-branch', value: true, help: "the name of the first branch (default: 'main')" },
  ],
  async run({ cwd, opts, args, out, err }) {
    if (args.length) throw new CliError(`error: init takes no arguments, got '${args[0]}'`);
    for (const flag of ['name', 'email', 'date', 'initial-branch']) {
      if (opts[flag] !== undefined && opts[flag].trim() === '') throw new CliError(`error: --${flag} needs a non-empty value`);
    }
    if (Repo.find(cwd)) throw new CliError('This directory has already been initialized.');
    const name = databaseName(cwd);
    if (name !== path.basename(path.resolve(cwd))) {
      err(`note: the database is named '${name}' (letters, digits, '_' and '-' only)`);
    }
    const repo = new Repo(cwd);
    const fresh = !fs.existsSync(repo.dataDir);
    fs.mkdirSync(repo.dataDir, { recursive: true });
    try {
      await create(repo, opts);
    } catch (e) {
      // A refused flag (a bad branch name or date) leaves no half-made database behind.
      if (fresh) fs.rmSync(repo.dataDir, { recursive: true, force: true });
      throw e;
    }
    repo.writeInitialState(name, opts['initial-branch'] || ENGINE_BRANCH);
    out(`Successfully initialized cambium data repository in ${path.join(cwd, DATA_DIR)}`);
  },
};
