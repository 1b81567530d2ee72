// `cambium conflicts`: shows the conflicts a merge left in a table, and resolves them by keeping
// our rows or theirs.
'use strict';

const { CliError } = require('../errors');
const { tabular } = require('../format');
const { ident } = require('../repo');

module.exports = {
  name: 'conflicts',
  summary: 'Show (cat) or resolve (resolve --ours|--theirs) merge conflicts.',
  usage: 'cat <table>... | resolve --ours|--theirs <table>...|.',
  options: [
    { long: 'ours', help: 'resolve by keeping the rows of the current branch' },
    { long: 'theirs', help: 'resolve by taking the rows of the merged branch' },
  ],
  async run({ session, opts, args, out }) {
    const [action, ...tables] = args;
    if (action === 'cat') {
      if (!tables.length) throw new CliError('error: conflicts cat needs tables');
      for (const table of tables) {
        const { columns, rows } = await session.query(`SELECT * FROM ${ident(`dolt_conflicts_${table}`)}`);
        const text = tabular(columns, rows);
        if (text) out(text);
      }
      return;
    }
    if (action === 'resolve') {
      if (opts.ours === opts.theirs) throw new CliError('error: conflicts resolve needs one of --ours or --theirs');
      if (!tables.length) throw new CliError("error: conflicts resolve needs tables, or '.'");
      await session.call('dolt_conflicts_resolve', [opts.ours ? '--ours' : '--theirs', ...tables]);
      return;
    }
    throw new CliError(`error: unknown conflicts action '${action || ''}'; use cat or resolve`);
  },
};
