// The task board's entry point: starts the database (cloning it on a browser's first visit),
// keeps the page's state, renders the header and the current panel, runs the actions the views
// call, and keeps the board in sync with the server: the status pill, push and pull, automatic
// replication and the server's announcements of new versions.
import { Board } from './store.js';
import { branchIcon, bytes, h, mount } from './dom.js';
import { renderBoard, renderBranches, renderConflicts, renderHistory, renderSync, transferView } from './views.js';

const REMOTE_URL = new URL('/remote/board', location.href).href;
const KEYS = { user: 'cambium-board:user', branch: 'cambium-board:branch', autoCommit: 'cambium-board:auto-commit' };
const NAMES = ['Ada', 'Grace', 'Linus', 'Margaret', 'Alan', 'Barbara', 'Edsger', 'Frances'];
/** How long a transfer may stay silent before the page counts it as finished. */
const TRANSFER_IDLE_MS = 700;

/** The person editing: from `?user=` (handy for two profiles side by side), else remembered, else made up. */
function whoAmI() {
  const asked = new URLSearchParams(location.search).get('user')?.trim();
  if (asked) localStorage.setItem(KEYS.user, asked);
  let user = localStorage.getItem(KEYS.user);
  if (!user) {
    user = NAMES[Math.floor(Math.random() * NAMES.length)];
    localStorage.setItem(KEYS.user, user);
  }
  return user;
}

const state = {
  board: null,
  user: whoAmI(),
  remoteUrl: REMOTE_URL,
  tab: 'board',
  branch: 'main',
  online: navigator.onLine,
  /** 'pulling' or 'pushing' while a sync runs. */
  activity: null,
  syncError: null,
  sync: null,
  replicating: false,
  autoCommit: localStorage.getItem(KEYS.autoCommit) === '1',
  tasks: [],
  pending: [],
  /** What each unsaved edit did, for the suggested version message. */
  notes: [],
  suggestion: '',
  editing: null,
  /** Whether the name in the header is being edited. */
  renaming: false,
  log: [],
  selected: null,
  diff: null,
  branches: [],
  remoteBranches: [],
  merge: null,
  conflicts: [],
  resolving: null,
  transfer: null,
  lastTransfer: null,
  activityLog: [],
};

const app = document.getElementById('app');
const header = document.getElementById('header');
const toasts = document.getElementById('toasts');
const topProgress = document.getElementById('top-progress');

// Messages.

/** Shows a toast; errors stay until closed so that none goes unseen. */
function toast(kind, title, text) {
  const node = h(
    'div.toast',
    { class: kind, role: kind === 'error' ? 'alert' : 'status' },
    h('div.toast-body', {}, h('strong', {}, title), text && h('p', {}, text)),
    h('button.icon', { 'aria-label': 'Close', onclick: () => node.remove() }, '×'),
  );
  toasts.append(node);
  if (kind !== 'error') setTimeout(() => node.remove(), 4000);
}

/** Shows a database error with its code, as the engine reported it. */
function fail(error) {
  console.error(error);
  toast('error', error?.code ? `Error ${error.code}` : 'Error', String(error?.message ?? error));
}

/** Adds a line to the Sync panel's activity list. */
function note(kind, text) {
  const time = new Date().toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  state.activityLog.unshift({ kind, text, time });
  state.activityLog.length = Math.min(state.activityLog.length, 40);
}

// Transfers.

let transferTimer = 0;
let progressFrame = 0;

/** Called by the engine as chunks move during a clone, push, fetch or pull. */
function onProgress(progress) {
  state.transfer = { ...progress, done: false };
  clearTimeout(transferTimer);
  // Background pushes of the outbox end without telling the page; silence means done.
  transferTimer = setTimeout(finishTransfer, TRANSFER_IDLE_MS);
  if (!progressFrame) progressFrame = requestAnimationFrame(renderTransfer);
}

function finishTransfer() {
  clearTimeout(transferTimer);
  if (!state.transfer) return;
  // A fetch that found nothing new is not worth showing over the last real transfer.
  if (state.transfer.chunks > 0 || !state.lastTransfer) state.lastTransfer = { ...state.transfer, done: true };
  state.transfer = null;
  renderTransfer();
}

/** Updates only the progress displays, so a transfer's many reports stay cheap. */
function renderTransfer() {
  progressFrame = 0;
  const { transfer } = state;
  const total = transfer ? transfer.chunks + transfer.pending : 0;
  topProgress.hidden = !transfer;
  topProgress.firstElementChild.style.width = `${total ? Math.max(4, (transfer.chunks / total) * 100) : 4}%`;
  for (const slot of document.querySelectorAll('[data-transfer-slot]')) mount(slot, transferView(state));
}

// Loading and rendering.

let refreshing = null;
let refreshAgain = false;

/** Reads what the page shows from the database, then renders; calls during one run coalesce. */
function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      refreshAgain = false;
      try {
        await load();
      } catch (error) {
        fail(error);
      }
      render();
    } while (refreshAgain);
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function load() {
  const { board } = state;
  state.branch = board.branch;
  state.tasks = await board.tasks();
  state.pending = await board.pendingChanges();
  if (!state.pending.length) state.notes = [];
  state.suggestion = state.notes.length
    ? state.notes.slice(0, 3).join('; ') + (state.notes.length > 3 ? ` and ${state.notes.length - 3} more` : '')
    : `Update ${state.pending.length} ${state.pending.length === 1 ? 'task' : 'tasks'}`;
  state.branches = await board.branches();
  state.remoteBranches = await board.remoteBranches();
  state.merge = await board.mergeState();
  if (state.merge) {
    state.conflicts = await board.conflicts();
    const branch = state.branches.find((candidate) => candidate.hash === state.merge.source);
    state.merge.sourceName = branch ? branch.name : `the server's ${state.branch}`;
    state.merge.theirs = branch ? branch.name : 'server';
  } else {
    state.conflicts = [];
    state.resolving = null;
    if (state.tab === 'conflicts') state.tab = 'board';
  }
  state.sync = await board.syncState();
  state.replicating = await board.replicating();
  if (state.tab === 'history') await loadHistory();
}

async function loadHistory() {
  const { board } = state;
  state.log = await board.log();
  const known = state.selected === 'WORKING' ? state.pending.length > 0 : state.log.some((c) => c.commit_hash === state.selected);
  if (!known) state.selected = state.pending.length ? 'WORKING' : (state.log[0]?.commit_hash ?? null);
  if (state.selected === 'WORKING') {
    state.diff = { rows: await board.diff('HEAD', 'WORKING') };
  } else if (state.selected) {
    const commit = state.log.find((c) => c.commit_hash === state.selected);
    state.diff = commit.parents.length
      ? { rows: await board.diff(commit.parents[0], commit.commit_hash) }
      : { rows: [], first: true };
  }
}

function render() {
  // Typing survives a re-render that a background sync causes: the free text fields (marked
  // data-keep; the others show values the state holds) keep their values.
  const typed = new Map();
  for (const input of app.querySelectorAll('input[data-keep]')) typed.set(input.getAttribute('aria-label'), input.value);
  const focused = document.activeElement?.getAttribute?.('aria-label');
  renderHeader();
  const panel = {
    board: renderBoard,
    history: renderHistory,
    branches: renderBranches,
    conflicts: renderConflicts,
    sync: renderSync,
  }[state.tab](state, actions);
  mount(app, state.merge && state.tab !== 'conflicts' ? mergeBanner() : null, panel);
  for (const input of app.querySelectorAll('input[aria-label]')) {
    const label = input.getAttribute('aria-label');
    if (typed.has(label)) input.value = typed.get(label);
    if (label === focused) input.focus();
  }
  const editor = app.querySelector('input.title-edit');
  if (editor && document.activeElement !== editor) {
    editor.focus();
    editor.select();
  }
  renderTransfer();
}

function mergeBanner() {
  const count = state.conflicts.length;
  return h(
    'div.merge-alert',
    {},
    h('span', {}, `Merging ${state.merge.sourceName}: ${count ? `${count} ${count === 1 ? 'conflict' : 'conflicts'} to resolve` : 'ready to save'}`),
    h('button.primary', { onclick: () => actions.setTab('conflicts') }, count ? 'Resolve' : 'Finish merge'),
  );
}

/** The pill's state and words: offline, pulling, pushing, up to date, or what waits. */
function pill() {
  const { sync } = state;
  if (!state.online) {
    const waiting = sync?.ahead ? ` · ${sync.ahead} to push` : '';
    return ['offline', `Offline${waiting}`];
  }
  if (state.activity === 'pushing') return ['pushing', 'Pushing…'];
  if (state.activity === 'pulling') return ['pulling', 'Pulling…'];
  if (state.syncError) return ['error', 'Sync failed'];
  if (!sync) return ['online', 'Online'];
  if (!sync.published) return ['online', 'Online · not on server'];
  if (sync.ahead === 0 && sync.behind === 0) return ['synced', 'Up to date'];
  const parts = [sync.ahead && `${sync.ahead} to push`, sync.behind && `${sync.behind} to pull`].filter(Boolean);
  return ['online', `Online · ${parts.join(' · ')}`];
}

function renderHeader() {
  const [kind, words] = pill();
  const tabs = [
    ['board', 'Board'],
    ['history', 'History'],
    ['branches', 'Branches'],
    state.merge && ['conflicts', 'Conflicts'],
    ['sync', 'Sync'],
  ].filter(Boolean);
  mount(
    header,
    h('div.brand', {}, h('span.logo', { 'aria-hidden': 'true' }), h('span.name', {}, 'Cambium'), h('span.product', {}, 'Task board')),
    h(
      'nav.tabs',
      { role: 'tablist' },
      tabs.map(([id, label]) =>
        h(
          'button.tab',
          { role: 'tab', 'aria-selected': String(state.tab === id), dataset: { tab: id }, onclick: () => actions.setTab(id) },
          label,
          id === 'conflicts' && state.conflicts.length > 0 && h('span.tab-count', {}, state.conflicts.length),
          id === 'board' && state.pending.length > 0 && h('span.tab-dot', { title: 'Unsaved changes' }),
        ),
      ),
    ),
    h(
      'div.header-side',
      {},
      h('button.chip.branch-chip', { title: 'Branches', onclick: () => actions.setTab('branches') }, branchIcon(), state.branch),
      userChip(),
      h('button.pill', { id: 'sync-pill', dataset: { state: kind }, title: 'Sync', onclick: () => actions.setTab('sync') }, h('span.pill-dot', {}), words),
    ),
  );
}

function userChip() {
  if (state.renaming) {
    return h('input.chip.user-edit', {
      value: state.user,
      'aria-label': 'Your name',
      onkeydown: (event) => event.key === 'Enter' && event.target.blur(),
      onblur: (event) => actions.rename(event.target.value.trim()),
    });
  }
  return h('button.chip.user-chip', { title: 'Change your name', onclick: actions.startRename }, `Signed as ${state.user}`);
}

// Actions.

/** Runs a change of the database, shows its error if it fails, and renders the new state. */
async function run(change) {
  try {
    await change();
  } catch (error) {
    fail(error);
  }
  await refresh();
}

/** Applies one edit of the board, saving it as a version at once when auto-commit is on. */
function edit(change, description) {
  state.editing = null;
  return run(async () => {
    await change();
    state.notes.push(description);
    if (state.autoCommit) await saveVersion(description);
  });
}

async function saveVersion(message) {
  const hash = await state.board.commit(message);
  state.notes = [];
  note('info', `Saved “${message}” on ${state.branch}`);
  afterCommit();
  return hash;
}

/** With automatic sync on, the pill shows the outbox's push until the server has the branch. */
async function afterCommit() {
  if (!state.replicating || !state.online || state.activity) return;
  state.activity = 'pushing';
  // Everything renders, not only the pill, so the sync buttons show they must wait.
  render();
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const sync = await state.board.syncState();
      if ((sync.published && sync.ahead === 0) || !state.online || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  } finally {
    state.activity = null;
    await refresh();
  }
}

/** Pull, push or both ('sync'), one at a time, with the pill showing which. */
async function syncOp(kind) {
  if (state.activity) return;
  const { board } = state;
  state.syncError = null;
  try {
    if (kind === 'pull' || kind === 'sync') {
      state.activity = 'pulling';
      render();
      const result = await board.pull();
      finishTransfer();
      if (result.conflicts) {
        note('warn', `Pulled ${state.branch}: conflicts to resolve`);
        toast('warn', 'Conflicts', 'The server changed some of the tasks you changed. Choose what to keep.');
        state.tab = 'conflicts';
        return;
      }
      note('info', `Pulled ${state.branch}: ${result.fast_forward ? 'fast-forward' : result.message}`);
    }
    if (kind === 'push' || (kind === 'sync' && (await needsPush()))) {
      state.activity = 'pushing';
      render();
      await board.push();
      finishTransfer();
      note('info', `Pushed ${state.branch} to the server`);
    }
  } catch (error) {
    state.syncError = error;
    note('error', `${kind} failed: ${error.message.split('\n')[0]}`);
    fail(error);
  } finally {
    state.activity = null;
    finishTransfer();
    await refresh();
  }
}

async function needsPush() {
  const sync = await state.board.syncState();
  return !sync.published || sync.ahead > 0;
}

const actions = {
  setTab(tab) {
    state.tab = tab;
    refresh();
  },
  addTask: (task) => edit(() => state.board.addTask(task), `Add “${task.title}”`),
  updateTask(task, fields) {
    const [[field, value]] = Object.entries(fields);
    const description = {
      title: () => `Rename “${task.title}” to “${value}”`,
      status: () => `Move “${task.title}” to ${{ todo: 'To do', doing: 'In progress', done: 'Done' }[value]}`,
      assignee: () => (value ? `Assign “${task.title}” to ${value}` : `Unassign “${task.title}”`),
    }[field]();
    return edit(() => state.board.updateTask(task.id, fields), description);
  },
  deleteTask: (task) => edit(() => state.board.deleteTask(task.id), `Delete “${task.title}”`),
  startEditing(id) {
    state.editing = id;
    render();
  },
  stopEditing() {
    state.editing = null;
    render();
  },
  commit: (message) => run(() => saveVersion(message || state.suggestion)),
  discard: () =>
    run(async () => {
      await state.board.discard();
      state.notes = [];
      note('info', 'Discarded the unsaved changes');
    }),
  setAutoCommit(on) {
    state.autoCommit = on;
    localStorage.setItem(KEYS.autoCommit, on ? '1' : '0');
    render();
  },
  select(hash) {
    state.selected = hash;
    refresh();
  },
  createBranch: (name, checkout) =>
    run(async () => {
      await state.board.createBranch(name);
      if (checkout) await switchTo(name);
      toast('info', `Branch ${name} created`, checkout ? `You are now on ${name}.` : null);
    }),
  switchBranch: (name) => run(() => switchTo(name)),
  deleteBranch: (name) =>
    run(async () => {
      await state.board.deleteBranch(name);
      toast('info', `Branch ${name} deleted`);
    }),
  merge: (name) =>
    run(async () => {
      const result = await state.board.merge(name);
      if (result.conflicts) {
        toast('warn', 'Conflicts', `${name} and ${state.branch} changed the same tasks. Choose what to keep.`);
        state.tab = 'conflicts';
      } else {
        note('info', `Merged ${name} into ${state.branch}`);
        toast('info', `Merged ${name} into ${state.branch}`, result.message);
        afterCommit();
      }
    }),
  resolve: (conflict, choice) =>
    run(async () => {
      await state.board.resolve(conflict, choice);
      state.resolving = null;
    }),
  editResolve(conflict) {
    const { title, status, assignee } = conflict.ours ?? conflict.theirs;
    state.resolving = { key: conflict.key, values: { title, status, assignee } };
    render();
  },
  pickCell(conflict, field, value) {
    state.resolving.values[field] = value;
    render();
  },
  cancelResolve() {
    state.resolving = null;
    render();
  },
  concludeMerge: () =>
    run(async () => {
      await saveVersion(`Merge ${state.merge.sourceName} into ${state.branch}`);
      state.tab = 'board';
    }),
  abortMerge: () =>
    run(async () => {
      await state.board.abortMerge();
      note('info', 'Aborted the merge');
    }),
  pull: () => syncOp('pull'),
  push: () => syncOp('push'),
  sync: () => syncOp('sync'),
  setReplicating: (on) =>
    run(async () => {
      await state.board.setReplicating(on);
      state.replicating = on;
      note('info', on ? 'Automatic sync turned on' : 'Automatic sync turned off');
      if (on && state.online) setTimeout(() => syncOp('sync'));
    }),
  startRename() {
    state.renaming = true;
    renderHeader();
    header.querySelector('.user-edit').focus();
  },
  rename(name) {
    state.renaming = false;
    if (name) {
      state.user = name;
      state.board.user = name;
      localStorage.setItem(KEYS.user, name);
    }
    render();
  },
};

async function switchTo(name) {
  await state.board.switchBranch(name);
  localStorage.setItem(KEYS.branch, name);
  state.selected = null;
  note('info', `Switched to ${name}`);
}

// Sync in the background.

function goOnline() {
  state.online = true;
  note('info', 'Back online');
  // With automatic sync the outbox would retry on its own after a growing wait; going at once
  // is what a person who just reconnected expects.
  if (state.replicating) syncOp('sync');
  else quietFetch();
}

function goOffline() {
  state.online = false;
  note('warn', 'Offline: edits and versions stay in this browser');
  renderHeader();
}

/** Learns what the server has (for the pill's counts) and, with automatic sync, pulls it. */
async function quietFetch() {
  if (!state.online || state.activity) return;
  try {
    await state.board.fetch();
    const sync = await state.board.syncState();
    const clean = !(await state.board.pendingChanges()).length && !(await state.board.mergeState());
    if (state.replicating && clean && sync.behind > 0) return syncOp('pull');
  } catch (error) {
    // Losing the network between the event and the fetch is what offline means, not an error.
    if (navigator.onLine) fail(error);
  }
  await refresh();
}

/** Hears the remote announce each new version (server-sent events), to fetch it at once. */
function listenToServer() {
  const events = new EventSource(`${REMOTE_URL}/events`);
  events.addEventListener('manifest', () => quietFetch());
  // The browser retries a dropped stream by itself, but gives up on an answer such as 404 (the
  // server has no board yet); this tries again a little later.
  events.addEventListener('error', () => {
    if (events.readyState === EventSource.CLOSED) setTimeout(listenToServer, 5000);
  });
}

// Start.

function startupScreen(stageText) {
  mount(
    app,
    h(
      'div.startup',
      {},
      h('span.logo.big', { 'aria-hidden': 'true' }),
      h('h1', {}, 'Cambium task board'),
      h('p.muted', {}, stageText),
      h('div', { dataset: { transferSlot: '' } }),
    ),
  );
  renderTransfer();
}

async function main() {
  renderHeader();
  startupScreen('Starting');
  try {
    const { board, created } = await Board.start({
      remoteUrl: REMOTE_URL,
      user: state.user,
      branch: localStorage.getItem(KEYS.branch),
      onProgress,
      stage: startupScreen,
    });
    state.board = board;
    finishTransfer();
    if (state.lastTransfer?.operation === 'clone') {
      note('info', `Cloned the board from the server: ${state.lastTransfer.chunks} chunks, ${bytes(state.lastTransfer.bytes)}`);
    } else if (created) {
      note('info', 'Created the board in this browser');
      if (state.online) syncOp('push');
    } else {
      note('info', 'Opened the board stored in this browser');
    }
  } catch (error) {
    fail(error);
    mount(app, h('div.startup', {}, h('h1', {}, 'The board could not start'), h('p', {}, h('code', {}, error.code ?? 'error'), ' ', error.message)));
    return;
  }
  // Another tab of this browser changed the board.
  state.board.db.addEventListener('change', () => refresh());
  addEventListener('online', goOnline);
  addEventListener('offline', goOffline);
  listenToServer();
  await refresh();
  // Tests and curious visitors can reach the board from the console.
  window.board = state.board;
  document.body.dataset.ready = 'yes';
}

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch((error) => fail(error));
}
main();
