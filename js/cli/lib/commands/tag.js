// `cambium tag`: lists, creates and deletes tags.
'use strict';

const { CliError } = require('../errors');
const { commitDate } = require('../format');
const { author } = require('../repo');

module.exports = {
  name: 'tag',
  summary: 'Create, list or delete tags.',
  usage: '[-v] | [-m <msg>] <name> [<revision>] | -d <name>...',
  options: [
    { short: 'm', long: 'message', value: true, help: 'the tag message' },
    { short: 'v', long: 'verbose', help: 'list with each tag’s commit, tagger and message' },
    { short: 'd', long: 'delete', help: 'delete tags' },
    { long: 'author', value: true, help: "the tagger, as 'Name <email>' (default: user.name and user.email)" },
  ],
  async run({ session, repo, opts, args, out }) {
    if (opts.delete) {
      if (!args.length) throw new CliError('error: tag -d needs the tags to delete');
      await session.call('dolt_tag', ['-d', ...args]);
      return;
    }
    if (args.length === 0) {
      const tags = await session.records('SELECT * FROM dolt_tags ORDER BY tag_name');
      for (const t of tags) {
        if (!opts.verbose) {
          out(t.tag_name);
          continue;
        }
        out(`${t.tag_name}\t${t.tag_hash}`);
        out(`\tTagger: ${t.tagger} <${t.email}>`);
        out(`\tDate:  ${commitDate(t.date)}`);
        if (t.message) out(`\t${String(t.message).replace(/\n/g, '\n\t')}`);
      }
      return;
    }
    if (args.length > 2) throw new CliError('error: tag takes <name> [<revision>]');
    const call = [...args];
    if (opts.message !== undefined) call.push('-m', opts.message);
    const signer = opts.author !== undefined ? opts.author : author(repo);
    if (signer) call.push('--author', signer);
    await session.call('dolt_tag', call);
  },
};
