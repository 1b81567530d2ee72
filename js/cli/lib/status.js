// The working status as Dolt words it, shared by `status` and by `commit` when nothing is
// staged: which tables are staged, changed, in conflict or new.
'use strict';

const STATUS_FORMAT = (label, table) => `\t${label.padEnd(18)}${table}`;

const LABELS = { 'new table': 'new table:', modified: 'modified:', deleted: 'deleted:', renamed: 'renamed:' };

/** The rows of `dolt_status`, split: `{ staged, unstaged, conflicted }`. */
async function changes(session) {
  const rows = await session.records('SELECT table_name, staged, status FROM dolt_status ORDER BY table_name');
  const conflicted = (await session.records('SELECT `table` FROM dolt_conflicts ORDER BY `table`')).map(
    (r) => r.table,
  );
  const isConflict = (r) => conflicted.includes(r.table_name) || /conflict/.test(r.status);
  return {
    staged: rows.filter((r) => Number(r.staged) === 1 && !isConflict(r)),
    unstaged: rows.filter((r) => Number(r.staged) !== 1 && !isConflict(r)),
    conflicted,
  };
}

/**
 * The sections for changes not yet staged, as Dolt prints them (under `status`, with help
 * lines) and after a commit that had nothing staged (without). Returns the lines.
 */
function unstagedSections({ unstaged, conflicted }, help) {
  const sections = [];
  if (conflicted.length) {
    sections.push([
      'Unmerged paths:',
      ...(help ? ['  (use "cambium add <table>..." to mark resolution)'] : []),
      ...conflicted.map((t) => STATUS_FORMAT('both modified:', t)),
    ]);
  }
  const changed = unstaged.filter((r) => r.status !== 'new table');
  if (changed.length) {
    sections.push([
      'Changes not staged for commit:',
      ...(help
        ? [
            '  (use "cambium add <table>" to update what will be committed)',
            '  (use "cambium checkout <table>" to discard changes in working directory)',
          ]
        : []),
      ...changed.map((r) => STATUS_FORMAT(LABELS[r.status] || `${r.status}:`, r.table_name)),
    ]);
  }
  const added = unstaged.filter((r) => r.status === 'new table');
  if (added.length) {
    sections.push([
      'Untracked tables:',
      ...(help ? ['  (use "cambium add <table>" to include in what will be committed)'] : []),
      ...added.map((r) => STATUS_FORMAT(LABELS['new table'], r.table_name)),
    ]);
  }
  return sections;
}

/**
 * How `branch` stands against its upstream, as Dolt (and git) says it: up to date, ahead,
 * behind or diverged, counted in commits; no lines when the branch tracks nothing.
 */
async function upstreamLines(session, branch) {
  const upstream = (await session.records('SELECT remote, branch FROM dolt_branches WHERE name = ?', [branch]))[0];
  if (!upstream || !upstream.remote) return [];
  const tracking = `${upstream.remote}/${upstream.branch}`;
  const known = await session.value('SELECT COUNT(*) FROM dolt_remote_branches WHERE name = ?', [`remotes/${tracking}`]);
  if (Number(known) === 0) {
    return [`Your branch is based on '${tracking}', but the upstream is gone.`];
  }
  const count = async (range) => Number(await session.value('SELECT COUNT(*) FROM dolt_log(?)', [range]));
  const ahead = await count(`${tracking}..${branch}`);
  const behind = await count(`${branch}..${tracking}`);
  const commits = (n) => `${n} commit${n === 1 ? '' : 's'}`;
  if (ahead && behind) {
    return [
      `Your branch and '${tracking}' have diverged,`,
      `and have ${ahead} and ${behind} different commits each, respectively.`,
      '  (use "cambium pull" to merge the remote branch into yours)',
    ];
  }
  if (ahead) return [`Your branch is ahead of '${tracking}' by ${commits(ahead)}.`, '  (use "cambium push" to publish your local commits)'];
  if (behind) {
    return [
      `Your branch is behind '${tracking}' by ${commits(behind)}, and can be fast-forwarded.`,
      '  (use "cambium pull" to update your local branch)',
    ];
  }
  return [`Your branch is up to date with '${tracking}'.`];
}

/** The whole of `cambium status`. */
async function statusReport(session) {
  const branch = await session.branch();
  const found = await changes(session);
  const merging = Number(await session.value('SELECT is_merging FROM dolt_merge_status')) === 1;
  const lines = [`On branch ${branch}`, ...(await upstreamLines(session, branch))];
  if (merging) {
    lines.push(
      ...(found.conflicted.length
        ? [
            'You have unmerged tables.',
            '  (fix conflicts and run "cambium commit")',
            '  (use "cambium merge --abort" to abort the merge)',
            '',
          ]
        : ['All conflicts and constraint violations fixed but you are still merging.', '  (use "cambium commit" to conclude merge)']),
    );
  }
  const sections = [];
  if (found.staged.length) {
    sections.push([
      'Changes to be committed:',
      '  (use "cambium reset <table>..." to unstage)',
      ...found.staged.map((r) => STATUS_FORMAT(LABELS[r.status] || `${r.status}:`, r.table_name)),
    ]);
  }
  sections.push(...unstagedSections(found, true));
  if (sections.length === 0 && !merging) lines.push('nothing to commit, working tree clean');
  const body = sections.map((section) => section.join('\n')).join('\n\n');
  return (body ? [...lines, body] : lines).join('\n');
}

module.exports = { changes, statusReport, unstagedSections };
