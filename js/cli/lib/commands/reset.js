// `cambium reset`: unstages tables, or moves the branch to a revision (--soft keeps the staged
// and working state, the default keeps the working state, --hard discards both).
'use strict';

const { CliError } = require('../errors');

module.exports = {
  name: 'reset',
  summary: 'Reset the staged tables, or the branch to a revision.',
  usage: '[--hard|--soft] [<revision>] | <table>...',
  options: [
    { long: 'hard', help: 'discard staged and working changes too' },
    { long: 'soft', help: 'keep staged and working changes' },
  ],
  async run({ session, opts, args }) {
    if (opts.hard && opts.soft) throw new CliError('error: --hard and --soft cannot be used together');
    const mode = opts.hard ? ['--hard'] : opts.soft ? ['--soft'] : [];
    if (mode.length && args.length > 1) throw new CliError(`error: reset ${mode[0]} takes at most one revision`);
    await session.call('dolt_reset', [...mode, ...args]);
  },
};
