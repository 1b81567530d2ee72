// `cambium version`: the package's version (the engine's, from `dolt_version()`).
'use strict';

const { engine } = require('../repo');

module.exports = {
  name: 'version',
  summary: 'Display the version of cambium.',
  usage: '',
  repo: 'none',
  options: [],
  async run({ out }) {
    const db = await engine().Database.open('cambium_version', { storage: 'memory' });
    const { rows } = await db.query('SELECT dolt_version() AS version');
    await db.close();
    out(`cambium version ${rows[0].version}`);
  },
};
