// `cambium init`: makes the current directory a database, its data in `.cambium/` inside.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const { CliError } = require('../errors');
const { DATA_DIR, Repo, databaseName } = require('../repo');

module.exports = {
  name: 'init',
  summary: 'Create an empty database in the current directory.',
  usage: '',
  repo: 'none',
  options: [],
  async run({ cwd, args, out, err }) {
    if (args.length) throw new CliError(`error: init takes no arguments, got '${args[0]}'`);
    if (Repo.find(cwd)) throw new CliError('This directory has already been initialized.');
    const name = databaseName(cwd);
    if (name !== path.basename(path.resolve(cwd))) {
      err(`note: the database is named '${name}' (letters, digits, '_' and '-' only)`);
    }
    const repo = new Repo(cwd);
    fs.mkdirSync(repo.dataDir, { recursive: true });
    // Opening a new store creates the `main` branch and its first commit.
    const db = await repo.open();
    await db.close();
    repo.writeInitialState(name);
    out(`Successfully initialized cambium data repository in ${path.join(cwd, DATA_DIR)}`);
  },
};
