// `cambium status`: the branch, a merge in progress, and the tables staged, changed, in
// conflict and untracked, in Dolt's words.
'use strict';

const { statusReport } = require('../status');

module.exports = {
  name: 'status',
  summary: 'Show the working status.',
  usage: '',
  options: [],
  async run({ session, out }) {
    out(await statusReport(session));
  },
};
