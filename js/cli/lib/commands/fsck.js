// `cambium fsck`: checks that every chunk the database reaches is present, intact and readable.
'use strict';

module.exports = {
  name: 'fsck',
  summary: 'Verify the contents of the database.',
  usage: '',
  options: [],
  async run({ session, out, err }) {
    const report = await session.db.fsck();
    out(`Chunks Scanned: ${report.chunksChecked} (${report.bytesChecked} bytes)`);
    if (report.clean) {
      out('No problems found.');
      return;
    }
    for (const p of report.problems) err(`${p.problem}: ${p.hash} (reached by ${p.path})`);
    err(`error: fsck found ${report.problems.length} problem(s)`);
    return 1;
  },
};
