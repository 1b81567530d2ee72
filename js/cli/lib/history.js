// Commits as `log`, `commit` and `merge` print them: Dolt's long form (`commit <hash> (HEAD ->
// main, tag: v1)`, Author, Date, the indented message) and the one-line form, with the branches
// and tags that point at each commit.
'use strict';

const { commitDate } = require('./format');

/** The refs pointing at commits, and the commit HEAD names, for decorating a listing. */
async function decorations(session) {
  const current = await session.branch();
  const head = await session.value("SELECT dolt_hashof('HEAD')");
  const byHash = new Map();
  const add = (hash, label) => {
    if (!byHash.has(hash)) byHash.set(hash, []);
    byHash.get(hash).push(label);
  };
  // The checked-out branch comes first, right after `HEAD ->`.
  const branches = await session.records('SELECT name, hash FROM dolt_branches ORDER BY name');
  branches.sort((a, b) => (b.name === current) - (a.name === current));
  for (const { name, hash } of branches) add(hash, name);
  for (const { tag_name, tag_hash } of await session.records(
    'SELECT tag_name, tag_hash FROM dolt_tags ORDER BY tag_name',
  )) {
    add(tag_hash, `tag: ${tag_name}`);
  }
  return { head, byHash };
}

/** `(HEAD -> main, feature, tag: v1) ` or '' when nothing points at `hash`. */
function refs(hash, decorated) {
  if (!decorated) return '';
  const labels = decorated.byHash.get(hash) || [];
  if (labels.length === 0) return '';
  return `(${hash === decorated.head ? 'HEAD -> ' : ''}${labels.join(', ')}) `;
}

/**
 * The commits of `dolt_log(revision)`, newest first, at most `limit`: `{ hash, name, email,
 * date, message, parents }`.
 */
async function commits(session, revision, limit) {
  const bound = limit === null || limit === undefined ? '' : ` LIMIT ${Number(limit)}`;
  const rows = await session.records(
    `SELECT commit_hash, committer, email, date, message FROM dolt_log(?)${bound}`,
    [revision],
  );
  const result = [];
  for (const row of rows) {
    const parents = await session.records(
      'SELECT parent_hash FROM dolt_commit_ancestors WHERE commit_hash = ? ORDER BY parent_index',
      [row.commit_hash],
    );
    result.push({
      hash: row.commit_hash,
      name: row.committer,
      email: row.email,
      date: row.date,
      message: row.message,
      parents: parents.map((p) => p.parent_hash),
    });
  }
  return result;
}

/** One commit in Dolt's long form, ending with a blank line. */
function longForm(commit, decorated) {
  const lines = [`commit ${commit.hash} ${refs(commit.hash, decorated)}`.trimEnd()];
  if (commit.parents.length > 1) lines.push(`Merge: ${commit.parents.join(' ')}`);
  lines.push(`Author: ${commit.name} <${commit.email}>`);
  lines.push(`Date:  ${commitDate(commit.date)}`);
  lines.push('');
  lines.push(`\t${String(commit.message).replace(/\n/g, '\n\t')}`);
  lines.push('');
  return lines.join('\n');
}

/** One commit on one line: hash, refs, message. */
function oneLine(commit, decorated) {
  return `${commit.hash} ${refs(commit.hash, decorated)}${String(commit.message).replace(/\n/g, ' ')}`;
}

/** The long form of the commit `revision` names, decorated: what `commit` and `merge` print. */
async function show(session, revision) {
  const [commit] = await commits(session, revision, 1);
  return longForm(commit, await decorations(session));
}

module.exports = { commits, decorations, longForm, oneLine, show };
