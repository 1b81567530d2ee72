// The panels of the task board (Board, History, Branches, Conflicts, Sync) as functions from the
// app's state to DOM nodes. They hold no state of their own: every click calls one of the
// actions app.js passes in, which changes the database and renders again.
import { FIELDS, STATUSES } from './store.js';
import { ago, branchIcon, bytes, h, short, when } from './dom.js';

const statusLabel = (id) => STATUSES.find((status) => status.id === id)?.label ?? id;
const FIELD_LABELS = { title: 'Title', status: 'Status', assignee: 'Assignee', updated: 'Updated' };

/** How a cell's value reads on the page. */
function show(field, value) {
  if (value === null || value === undefined || value === '') return field === 'assignee' ? 'Nobody' : '—';
  if (field === 'status') return statusLabel(value);
  if (field === 'updated') return when(value, { seconds: true });
  return String(value);
}

function initials(name) {
  return name
    .split(/\s+/)
    .map((part) => part[0])
    .join('')
    .slice(0, 2)
    .toUpperCase();
}

/** A round badge with a person's initials, coloured by their name so people are told apart. */
function avatar(name) {
  if (!name) return h('span.avatar.nobody', { title: 'Nobody' }, '?');
  let hue = 0;
  for (const char of name) hue = (hue * 31 + char.codePointAt(0)) % 360;
  return h('span.avatar', { title: name, style: { background: `hsl(${hue} 45% 42%)` } }, initials(name));
}

// Board.

export function renderBoard(state, actions) {
  const people = [...new Set([state.user, ...state.tasks.map((task) => task.assignee).filter(Boolean)])].sort();
  const pending = new Map(state.pending.map((change) => [change.id, change.diff_type]));
  const removed = state.pending.filter((change) => change.diff_type === 'removed').length;
  return h(
    'section.panel.board-panel',
    {},
    saveBar(state, actions),
    h(
      'form.add-task',
      {
        onsubmit: (event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const title = form.elements.title.value.trim();
          if (!title) return;
          actions.addTask({ title, assignee: form.elements.assignee.value });
          form.reset();
        },
      },
      h('input', { name: 'title', placeholder: 'Add a task…', 'aria-label': 'New task title', maxlength: 200, autocomplete: 'off', 'data-keep': true }),
      h(
        'select',
        { name: 'assignee', 'aria-label': 'Assignee of the new task' },
        h('option', { value: '' }, 'Nobody'),
        people.map((name) => h('option', { value: name, selected: name === state.user }, name)),
      ),
      h('button.primary', { type: 'submit' }, 'Add task'),
    ),
    h(
      'div.columns',
      {},
      STATUSES.map((status, index) => {
        const tasks = state.tasks.filter((task) => task.status === status.id);
        return h(
          'div.column',
          { dataset: { status: status.id } },
          h('h2', {}, status.label, h('span.count', {}, tasks.length)),
          tasks.length === 0 && h('p.empty', {}, 'Nothing here'),
          tasks.map((task) => card(task, { index, people, change: pending.get(task.id), editing: state.editing === task.id }, actions)),
        );
      }),
    ),
    removed > 0 && h('p.note', {}, `${removed} deleted ${removed === 1 ? 'task is' : 'tasks are'} waiting to be saved.`),
  );
}

function saveBar(state, actions) {
  const count = state.pending.length;
  const autoCommit = h(
    'label.switch',
    {},
    h('input', { type: 'checkbox', checked: state.autoCommit, onchange: (event) => actions.setAutoCommit(event.target.checked) }),
    h('span.track', {}),
    'Save every edit as a version',
  );
  if (count === 0) {
    return h(
      'div.save-bar.clean',
      {},
      h('span.save-state', {}, h('span.dot.ok', {}), h('span', {}, 'All changes saved on ', h('strong', {}, state.branch))),
      autoCommit,
    );
  }
  return h(
    'form.save-bar.dirty',
    {
      onsubmit: (event) => {
        event.preventDefault();
        actions.commit(event.currentTarget.elements.message.value.trim());
      },
    },
    h('span.save-state', {}, h('span.dot.warn', {}), `${count} unsaved ${count === 1 ? 'change' : 'changes'}`),
    h('input', { name: 'message', placeholder: state.suggestion, 'aria-label': 'Version message', autocomplete: 'off', 'data-keep': true }),
    h('button.ghost', { type: 'button', onclick: actions.discard }, 'Discard'),
    h('button.primary', { type: 'submit' }, 'Save version'),
    autoCommit,
  );
}

function card(task, { index, people, change, editing }, actions) {
  const title = editing
    ? h('input.title-edit', {
        value: task.title,
        'aria-label': 'Task title',
        maxlength: 200,
        onkeydown: (event) => {
          if (event.key === 'Enter') event.target.blur();
          if (event.key === 'Escape') actions.stopEditing();
        },
        onblur: (event) => {
          const value = event.target.value.trim();
          if (value && value !== task.title) actions.updateTask(task, { title: value });
          else actions.stopEditing();
        },
      })
    : h('button.card-title', { title: 'Rename', onclick: () => actions.startEditing(task.id) }, task.title);
  return h(
    'article.card',
    { dataset: { id: task.id }, class: change ? `changed ${change}` : '' },
    h('div.card-head', {}, title, h('button.icon.delete', { title: 'Delete task', 'aria-label': 'Delete task', onclick: () => actions.deleteTask(task) }, '×')),
    h(
      'div.card-foot',
      {},
      h(
        'label.assignee',
        {},
        avatar(task.assignee),
        h(
          'select',
          { 'aria-label': 'Assignee', onchange: (event) => actions.updateTask(task, { assignee: event.target.value }) },
          h('option', { value: '', selected: !task.assignee }, 'Nobody'),
          people.map((name) => h('option', { value: name, selected: name === task.assignee }, name)),
        ),
      ),
      change && h('span.badge.unsaved', {}, change === 'added' ? 'new' : 'edited'),
      h(
        'span.move',
        {},
        index > 0 && h('button.icon', { title: `Move to ${STATUSES[index - 1].label}`, 'aria-label': 'Move left', onclick: () => actions.updateTask(task, { status: STATUSES[index - 1].id }) }, '←'),
        index < STATUSES.length - 1 && h('button.icon', { title: `Move to ${STATUSES[index + 1].label}`, 'aria-label': 'Move right', onclick: () => actions.updateTask(task, { status: STATUSES[index + 1].id }) }, '→'),
      ),
    ),
  );
}

// History.

export function renderHistory(state, actions) {
  const selected = state.selected;
  const entries = [];
  if (state.pending.length) {
    entries.push(
      h(
        'li.commit.working',
        { class: selected === 'WORKING' ? 'selected' : '', onclick: () => actions.select('WORKING') },
        h('div.commit-line', {}, h('span.message', {}, 'Unsaved changes'), h('span.hash', {}, 'working set')),
        h('div.commit-meta', {}, `${state.pending.length} changed ${state.pending.length === 1 ? 'task' : 'tasks'}`),
      ),
    );
  }
  for (const commit of state.log) {
    entries.push(
      h(
        'li.commit',
        { class: selected === commit.commit_hash ? 'selected' : '', dataset: { hash: commit.commit_hash }, onclick: () => actions.select(commit.commit_hash) },
        h(
          'div.commit-line',
          {},
          h('span.message', {}, commit.message),
          commit.parents.length > 1 && h('span.badge.merge', {}, 'merge'),
          h('span.hash', {}, short(commit.commit_hash)),
        ),
        h('div.commit-meta', {}, avatar(commit.author), h('span', {}, commit.author), h('span.sep', {}, '·'), h('span', { title: commit.date }, ago(commit.date)),
          refBadges(commit.refs)),
      ),
    );
  }
  return h(
    'section.panel.history-panel',
    {},
    h('div.history-list', {}, h('h2.section-title', {}, `Versions on ${state.branch}`), h('ol.commits', {}, entries)),
    h('div.history-detail', {}, diffView(state)),
  );
}

function refBadges(refs) {
  if (!refs) return null;
  return refs
    .split(/,\s*/)
    .filter(Boolean)
    .map((ref) => h('span.badge.ref', { class: ref.includes('/') ? 'remote' : '' }, ref.replace(/^HEAD -> /, '')));
}

function diffView(state) {
  const { selected, diff } = state;
  if (!selected || !diff) return h('div.placeholder', {}, 'Choose a version to see what it changed.');
  const commit = state.log.find((entry) => entry.commit_hash === selected);
  const counts = { added: 0, modified: 0, removed: 0 };
  for (const row of diff.rows) counts[row.type] += 1;
  const header =
    selected === 'WORKING'
      ? h('header.diff-head', {}, h('h2', {}, 'Unsaved changes'), h('p.muted', {}, `Not yet saved as a version on ${state.branch}`))
      : h(
          'header.diff-head',
          {},
          h('h2', {}, commit?.message ?? short(selected)),
          h(
            'p.muted',
            {},
            commit && `${commit.author} · ${when(commit.date)} · `,
            h('code', {}, short(selected)),
            commit?.parents.length > 1 && ` · merge of ${commit.parents.map(short).join(' and ')}, shown against the first`,
          ),
        );
  if (diff.first) {
    return h('div.diff', {}, header, h('div.placeholder', {}, 'The database was created here; the next version added the board.'));
  }
  return h(
    'div.diff',
    {},
    header,
    h(
      'div.diff-summary',
      {},
      h('span.chip.added', {}, `${counts.added} added`),
      h('span.chip.modified', {}, `${counts.modified} modified`),
      h('span.chip.removed', {}, `${counts.removed} removed`),
    ),
    diff.rows.length === 0
      ? h('div.placeholder', {}, 'No task changed in this version.')
      : h(
          'table.diff-table',
          {},
          h('thead', {}, h('tr', {}, h('th', {}, ''), FIELDS.map((field) => h('th', {}, FIELD_LABELS[field])))),
          h('tbody', {}, diff.rows.map(diffRow)),
        ),
  );
}

function diffRow(row) {
  const marker = { added: '+', removed: '−', modified: '~' }[row.type];
  return h(
    'tr',
    { class: row.type, dataset: { id: row.id, type: row.type } },
    h('td.marker', { title: row.type }, marker),
    FIELDS.map((field) => {
      if (row.type === 'added') return h('td.cell', {}, show(field, row.to[field]));
      if (row.type === 'removed') return h('td.cell', {}, h('del', {}, show(field, row.from[field])));
      if (!row.changed.includes(field)) return h('td.cell.same', {}, show(field, row.to[field]));
      return h(
        'td.cell.changed',
        { dataset: { field } },
        h('del', {}, show(field, row.from[field])),
        h('span.arrow', {}, '→'),
        h('ins', {}, show(field, row.to[field])),
      );
    }),
  );
}

// Branches.

export function renderBranches(state, actions) {
  return h(
    'section.panel.branches-panel',
    {},
    h(
      'form.card-box.new-branch',
      {
        onsubmit: (event) => {
          event.preventDefault();
          const name = event.currentTarget.elements.name.value.trim();
          if (name) actions.createBranch(name, event.currentTarget.elements.checkout.checked);
        },
      },
      h('div', {}, h('h2', {}, 'New branch'), h('p.muted', {}, `Starts from the last saved version of ${state.branch}. Edits there stay apart until you merge.`)),
      h('div.row', {},
        h('input', { name: 'name', placeholder: 'e.g. q3-planning', 'aria-label': 'Branch name', pattern: '[A-Za-z0-9._/-]+', required: true, autocomplete: 'off', 'data-keep': true }),
        h('label.check', {}, h('input', { type: 'checkbox', name: 'checkout', checked: true }), 'Switch to it'),
        h('button.primary', { type: 'submit' }, 'Create branch'),
      ),
    ),
    h(
      'ul.branch-list',
      {},
      state.branches.map((branch) => {
        const current = branch.name === state.branch;
        return h(
          'li.branch',
          { class: current ? 'current' : '', dataset: { branch: branch.name } },
          h(
            'div.branch-info',
            {},
            h('div.branch-name', {}, branchIcon(), branch.name, current && h('span.badge.current', {}, 'current'), state.remoteBranches.includes(branch.name) && h('span.badge.ref.remote', {}, 'on server')),
            h('div.muted', {}, `${branch.latest_commit_message} · ${branch.latest_committer} · ${ago(branch.latest_commit_date)} · `, h('code', {}, short(branch.hash))),
          ),
          h(
            'div.branch-actions',
            {},
            !current && h('button', { onclick: () => actions.switchBranch(branch.name) }, 'Switch'),
            !current && h('button.primary', { onclick: () => actions.merge(branch.name) }, `Merge into ${state.branch}`),
            !current && branch.name !== 'main' && h('button.ghost.danger', { onclick: () => actions.deleteBranch(branch.name) }, 'Delete'),
          ),
        );
      }),
    ),
  );
}

// Conflicts.

export function renderConflicts(state, actions) {
  const { merge, conflicts } = state;
  const source = merge.sourceName;
  return h(
    'section.panel.conflicts-panel',
    {},
    h(
      'div.merge-banner',
      {},
      h('div', {},
        h('h2', {}, conflicts.length ? `${conflicts.length} ${conflicts.length === 1 ? 'task was' : 'tasks were'} changed on both sides` : 'Every conflict is resolved'),
        h('p.muted', {}, `Merging ${source} into ${state.branch}. `,
          conflicts.length ? 'For each task, keep your version, take theirs, or write the result yourself.' : 'Save the merge as a version to finish it.'),
      ),
      h('div.row', {},
        h('button.ghost', { onclick: actions.abortMerge }, 'Abort merge'),
        conflicts.length === 0 && h('button.primary', { onclick: actions.concludeMerge }, 'Save merge'),
      ),
    ),
    conflicts.map((conflict) => conflictCard(conflict, state, actions)),
  );
}

function conflictCard(conflict, state, actions) {
  const editing = state.resolving?.key === conflict.key ? state.resolving.values : null;
  const sideLabel = (row, type) => (row ? (type === 'added' ? 'added' : 'changed') : 'deleted');
  const cell = (row, field, side) => {
    const other = side === 'ours' ? conflict.theirs : conflict.ours;
    const differs = !row || !other || row[field] !== other[field];
    const value = row ? show(field, row[field]) : '';
    const attrs = { class: differs ? 'differs' : 'same', dataset: { field, side } };
    if (editing && row && field !== 'updated') {
      attrs.title = 'Use this value';
      attrs.onclick = () => actions.pickCell(conflict, field, row[field]);
      attrs.class += ' pickable';
    }
    return h('td', attrs, row ? value : h('em', {}, 'deleted'));
  };
  return h(
    'article.conflict',
    { dataset: { id: conflict.id } },
    h('header', {},
      h('h3', {}, (conflict.ours ?? conflict.theirs ?? conflict.base).title),
      h('span.muted', {}, conflict.base ? `was “${conflict.base.title}” before both changes` : 'added on both sides'),
    ),
    h(
      'table.sides',
      {},
      h('thead', {}, h('tr', {},
        h('th', {}, ''),
        h('th.ours', {}, `Yours (${state.branch})`, h('small', {}, sideLabel(conflict.ours, conflict.oursType))),
        h('th.theirs', {}, `Theirs (${state.merge.theirs})`, h('small', {}, sideLabel(conflict.theirs, conflict.theirsType))),
        editing && h('th.result', {}, 'Result'),
      )),
      h('tbody', {}, FIELDS.map((field) => h('tr', {},
        h('th', { scope: 'row' }, FIELD_LABELS[field]),
        cell(conflict.ours, field, 'ours'),
        cell(conflict.theirs, field, 'theirs'),
        editing && h('td.result', {}, resultInput(field, editing, conflict, actions)),
      ))),
    ),
    h(
      'footer.row',
      {},
      editing
        ? [
            h('span.muted.hint', {}, 'Click a value on either side to use it, or type the result.'),
            h('button.ghost', { onclick: actions.cancelResolve }, 'Cancel'),
            h('button.primary', { onclick: () => actions.resolve(conflict, editing) }, 'Use result'),
          ]
        : [
            h('button', { onclick: () => actions.resolve(conflict, 'ours') }, 'Keep yours'),
            h('button', { onclick: () => actions.resolve(conflict, 'theirs') }, 'Take theirs'),
            h('button.ghost', { onclick: () => actions.editResolve(conflict) }, 'Edit…'),
          ],
    ),
  );
}

function resultInput(field, values, conflict, actions) {
  if (field === 'updated') return h('span.muted', {}, 'now');
  if (field === 'status') {
    return h('select', { 'aria-label': 'Result status', onchange: (event) => actions.pickCell(conflict, field, event.target.value) },
      STATUSES.map((status) => h('option', { value: status.id, selected: values.status === status.id }, status.label)));
  }
  return h('input', {
    value: values[field] ?? '',
    'aria-label': `Result ${field}`,
    oninput: (event) => {
      values[field] = event.target.value;
    },
  });
}

// Sync.

export function renderSync(state, actions) {
  const { sync } = state;
  const counts = !sync
    ? 'Not checked yet'
    : !sync.published
      ? `${state.branch} is not on the server yet`
      : `${sync.ahead} to push · ${sync.behind} to pull`;
  const busy = Boolean(state.activity);
  return h(
    'section.panel.sync-panel',
    {},
    h(
      'div.card-box.sync-status',
      {},
      h('div', {}, h('h2', {}, 'Server'), h('p', {}, h('code.url', {}, state.remoteUrl)), h('p.muted.counts', {}, `Branch ${state.branch}: ${counts}`)),
      h('div.row', {},
        h('button', { onclick: actions.pull, disabled: busy || !state.online }, 'Pull'),
        h('button', { onclick: actions.push, disabled: busy || !state.online }, 'Push'),
        h('button.primary', { onclick: actions.sync, disabled: busy || !state.online }, 'Sync now'),
      ),
    ),
    h(
      'div.card-box.auto-sync',
      {},
      h('div', {},
        h('h2', {}, 'Automatic sync'),
        h('p.muted', {}, 'Every saved version goes to the server in the background, from an outbox that survives reloads and offline spells; versions others push are pulled as the server announces them.'),
        h('pre.sql', {}, state.replicating
          ? "SET PERSIST @@GLOBAL.dolt_replicate_to_remote = 'origin';\nSET PERSIST @@GLOBAL.dolt_async_replication = 1;"
          : 'SET PERSIST @@GLOBAL.dolt_replicate_to_remote = DEFAULT;\nSET PERSIST @@GLOBAL.dolt_async_replication = DEFAULT;'),
      ),
      h('label.switch.large', {},
        h('input', { type: 'checkbox', name: 'replicate', checked: state.replicating, onchange: (event) => actions.setReplicating(event.target.checked) }),
        h('span.track', {}),
        state.replicating ? 'On' : 'Off'),
    ),
    h('div.card-box.transfer', {}, h('h2', {}, 'Transfers'), h('div', { dataset: { transferSlot: '' } })),
    h(
      'div.card-box.activity',
      {},
      h('h2', {}, 'Activity'),
      state.activityLog.length === 0
        ? h('p.muted', {}, 'Nothing yet.')
        : h('ol.activity-log', {}, state.activityLog.map((entry) => h('li', { class: entry.kind }, h('time', {}, entry.time), h('span', {}, entry.text)))),
    ),
  );
}

/** The transfer under way (a bar that fills as chunks arrive) or the last one's totals. */
export function transferView(state) {
  const transfer = state.transfer ?? state.lastTransfer;
  if (!transfer) return h('p.muted', {}, 'No transfer yet.');
  const total = transfer.chunks + transfer.pending;
  const percent = transfer.done ? 100 : total ? Math.floor((transfer.chunks / total) * 100) : 0;
  const verb = { clone: 'Cloned', fetch: 'Fetched', push: 'Pushed', restore: 'Restored', backup: 'Backed up' }[transfer.operation] ?? transfer.operation;
  const text = transfer.done
    ? `${verb} ${transfer.chunks} chunks (${bytes(transfer.bytes)})`
    : `${transfer.operation}: ${transfer.chunks} of ${total} chunks (${bytes(transfer.bytes)})`;
  return h(
    'div.transfer-view',
    { dataset: { operation: transfer.operation, done: transfer.done ? 'yes' : 'no' } },
    h('div.progress', { role: 'progressbar', 'aria-valuenow': percent, 'aria-valuemin': 0, 'aria-valuemax': 100 }, h('div.fill', { style: { width: `${percent}%` } })),
    h('p.transfer-text', {}, text),
  );
}
