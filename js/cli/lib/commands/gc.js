// `cambium gc`: removes the chunks no branch, tag or working set reaches.
'use strict';

module.exports = {
  name: 'gc',
  summary: 'Clean up unreferenced data from the database.',
  usage: '',
  options: [],
  async run({ session, out }) {
    const stats = await session.db.gc();
    out(`Removed ${stats.removedChunks} chunks (${stats.removedBytes} bytes); kept ${stats.keptChunks}.`);
  },
};
