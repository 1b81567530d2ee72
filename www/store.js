// The task board's data layer: every read and write of the board goes through Cambium's SQL here,
// so the views never see SQL and this file shows, in one place, how an app uses the database:
// plain tables for the data, and Dolt's procedures and system tables for versions, branches,
// merges, conflicts and sync.
import init, { Database } from '/pkg/web/cambium.js';

/** The database's name in IndexedDB (Cambium stores it as `cambium/board`). */
export const DB_NAME = 'board';
/** The remote's name inside the database, as `git clone` names it. */
const REMOTE = 'origin';
/** The task columns a diff or a conflict compares, in the order the page shows them. */
export const FIELDS = ['title', 'status', 'assignee', 'updated'];
export const STATUSES = [
  { id: 'todo', label: 'To do' },
  { id: 'doing', label: 'In progress' },
  { id: 'done', label: 'Done' },
];

const SEED = [
  ['Sketch the onboarding flow', 'done', 'Ada'],
  ['Write the release notes', 'doing', 'Grace'],
  ['Fix the login timeout', 'doing', 'Linus'],
  ['Plan the team offsite', 'todo', 'Ada'],
  ['Review the pricing page', 'todo', 'Grace'],
  ['Update the privacy policy', 'todo', null],
];

/** A new task id: time first so ids sort by creation, then random so two offline writers never collide. */
function newTaskId() {
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36).padStart(7, '0');
  return `${Date.now().toString(36)}${random}`.slice(0, 16);
}

/** The current time as a DATETIME literal, in UTC as the engine keeps it. */
const now = () => new Date().toISOString().slice(0, 19).replace('T', ' ');

/** A SQL string literal, for the few places (procedure flags) where a parameter is not enough. */
const quote = (text) => `'${String(text).replaceAll("'", "''")}'`;

/** Whether IndexedDB already holds the board, so a first start can clone instead of opening. */
async function existsLocally() {
  const names = (await indexedDB.databases()).map(({ name }) => name);
  return names.includes(`cambium/${DB_NAME}`);
}

export class Board {
  constructor(db, remoteUrl, user) {
    this.db = db;
    this.remoteUrl = remoteUrl;
    this.user = user;
    this.branch = 'main';
  }

  /**
   * Opens the board in IndexedDB. A fresh browser clones it from the remote (reporting progress
   * through `onProgress`); when the remote holds none yet, or cannot be reached, the board is
   * created with a few tasks and pushed when possible. `stage(text)` says what is happening.
   */
  static async start({ remoteUrl, user, branch, onProgress, stage }) {
    stage('Loading the database engine');
    await init();
    const options = { storage: 'indexeddb', onProgress, user: { name: user, email: emailOf(user) } };
    let db = null;
    let created = false;
    if (!(await existsLocally()) && navigator.onLine) {
      stage('Cloning the shared board');
      try {
        db = await Database.clone(remoteUrl, DB_NAME, options);
      } catch (error) {
        // An empty or unreachable remote means this browser starts the board; anything else
        // is a real failure the user must see.
        if (error.code !== 'remote_empty' && error.code !== 'io') throw error;
      }
    }
    if (!db) {
      stage('Opening the local database');
      db = await Database.open(DB_NAME, options);
      created = !(await db.query("SHOW TABLES LIKE 'tasks'")).rows.length;
    }
    const board = new Board(db, remoteUrl, user);
    // Merges and pulls that conflict keep their conflicts in the working set for the page to
    // resolve, instead of being rolled back as a single autocommit statement would be.
    await db.query('SET @@dolt_allow_commit_conflicts = 1');
    if (created) await board.seed();
    if (!(await db.query('SELECT name FROM dolt_remotes WHERE name = ?', [REMOTE])).rows.length) {
      await db.query('CALL dolt_remote(?, ?, ?)', ['add', REMOTE, remoteUrl]);
    }
    // The checked-out branch belongs to a session; the page remembers it across reloads.
    const branches = (await db.query('SELECT name FROM dolt_branches')).rows.map(({ name }) => name);
    if (branch && branch !== 'main' && branches.includes(branch)) await db.query('CALL dolt_checkout(?)', [branch]);
    board.branch = await board.activeBranch();
    return { board, created };
  }

  /** Creates the tasks table with a few tasks as the board's first version. */
  async seed() {
    await this.db.query(`CREATE TABLE tasks (
      id VARCHAR(16) PRIMARY KEY,
      title VARCHAR(200) NOT NULL,
      status VARCHAR(12) NOT NULL DEFAULT 'todo',
      assignee VARCHAR(40),
      updated DATETIME NOT NULL)`);
    let i = 0;
    for (const [title, status, assignee] of SEED) {
      await this.db.query('INSERT INTO tasks VALUES (?, ?, ?, ?, ?)', [`seed${++i}`, title, status, assignee, now()]);
    }
    await this.commit('Create the task board');
  }

  async activeBranch() {
    return (await this.db.query('SELECT active_branch() AS branch')).rows[0].branch;
  }

  // Tasks.

  async tasks() {
    return (await this.db.query('SELECT id, title, status, assignee, updated FROM tasks ORDER BY id')).rows;
  }

  async addTask({ title, assignee, status = 'todo' }) {
    await this.db.query('INSERT INTO tasks VALUES (?, ?, ?, ?, ?)', [newTaskId(), title, status, assignee || null, now()]);
  }

  /** Changes some of a task's fields (`title`, `status`, `assignee`). */
  async updateTask(id, fields) {
    const names = Object.keys(fields).filter((name) => ['title', 'status', 'assignee'].includes(name));
    const sets = names.map((name) => `${name} = ?`).join(', ');
    // An empty assignee is stored as NULL: nobody.
    const values = names.map((name) => (name === 'assignee' && !fields[name] ? null : fields[name]));
    await this.db.query(`UPDATE tasks SET ${sets}, updated = ? WHERE id = ?`, [...values, now(), id]);
  }

  async deleteTask(id) {
    await this.db.query('DELETE FROM tasks WHERE id = ?', [id]);
  }

  // Versions.

  /** The working set's changes since the last version: `[{ id, diff_type }]`. */
  async pendingChanges() {
    const { rows } = await this.db.query(
      "SELECT COALESCE(to_id, from_id) AS id, diff_type FROM dolt_diff('HEAD', 'WORKING', 'tasks')",
    );
    return rows;
  }

  /** Saves the working set as a version signed by the page's user; resolves to its hash. */
  async commit(message) {
    const { rows } = await this.db.query('CALL dolt_commit(?, ?, ?, ?)', [
      '-Am',
      message,
      '--author',
      `${this.user} <${emailOf(this.user)}>`,
    ]);
    return rows[0].hash;
  }

  /** Throws away the working set's changes. */
  async discard() {
    await this.db.query("CALL dolt_reset('--hard')");
  }

  /** The current branch's versions, newest first. */
  async log(limit = 200) {
    const { rows } = await this.db.query(
      `SELECT commit_hash, author, date, message, parents, refs FROM dolt_log LIMIT ${Number(limit)}`,
    );
    return rows.map((row) => ({ ...row, parents: row.parents ? row.parents.split(' ') : [] }));
  }

  /**
   * What a version changed against its first parent (`to` = 'WORKING' for the unsaved changes):
   * `[{ type, id, from, to, changed: [field…] }]`.
   */
  async diff(from, to) {
    const { rows } = await this.db.query('SELECT * FROM dolt_diff(?, ?, ?)', [from, to, 'tasks']);
    return rows.map((row) => {
      const pick = (side) =>
        row[`${side}_id`] === null ? null : Object.fromEntries(['id', ...FIELDS].map((f) => [f, row[`${side}_${f}`]]));
      const before = pick('from');
      const after = pick('to');
      const changed = before && after ? FIELDS.filter((f) => before[f] !== after[f]) : [];
      return { type: row.diff_type, id: (after ?? before).id, from: before, to: after, changed };
    });
  }

  // Branches.

  async branches() {
    const { rows } = await this.db.query(
      'SELECT name, hash, latest_committer, latest_commit_date, latest_commit_message FROM dolt_branches ORDER BY name',
    );
    return rows;
  }

  /** The branches the server has, as of the last fetch, push or pull. */
  async remoteBranches() {
    const { rows } = await this.db.query('SELECT name FROM dolt_remote_branches');
    const prefix = `remotes/${REMOTE}/`;
    return rows.map(({ name }) => name).filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length));
  }

  async createBranch(name) {
    await this.db.query('CALL dolt_branch(?)', [name]);
  }

  async switchBranch(name) {
    await this.db.query('CALL dolt_checkout(?)', [name]);
    this.branch = await this.activeBranch();
  }

  async deleteBranch(name) {
    await this.db.query("CALL dolt_branch('-d', ?)", [name]);
  }

  /** Merges `name` into the current branch: `{ fast_forward, conflicts, message }`. */
  async merge(name) {
    const { rows } = await this.db.query('CALL dolt_merge(?, ?, ?, ?)', [
      name,
      '--no-ff',
      '-m',
      `Merge branch '${name}' into ${this.branch}`,
    ]);
    return rows[0];
  }

  /** The merge under way, if any: `{ source }` (a branch or commit), or null. */
  async mergeState() {
    const { rows } = await this.db.query('SELECT is_merging, source FROM dolt_merge_status');
    return rows[0]?.is_merging ? { source: rows[0].source } : null;
  }

  /** The rows the merge under way could not merge: `[{ id, base, ours, theirs, oursType, theirsType, key }]`. */
  async conflicts() {
    if (!(await this.db.query("SELECT * FROM dolt_conflicts WHERE `table` = 'tasks'")).rows.length) return [];
    const { rows } = await this.db.query('SELECT * FROM dolt_conflicts_tasks');
    return rows.map((row) => {
      const side = (prefix) =>
        row[`${prefix}_id`] === null ? null : Object.fromEntries(['id', ...FIELDS].map((f) => [f, row[`${prefix}_${f}`]]));
      const ours = side('our');
      const theirs = side('their');
      const base = side('base');
      return {
        key: row.dolt_conflict_id,
        id: (ours ?? theirs ?? base).id,
        base,
        ours,
        theirs,
        oursType: row.our_diff_type,
        theirsType: row.their_diff_type,
      };
    });
  }

  /**
   * Resolves one conflicting row: `'ours'` keeps the branch's row, `'theirs'` takes the merged
   * branch's, and an object (`{ title, status, assignee }`) writes that row.
   */
  async resolve(conflict, choice) {
    const { key, id } = conflict;
    if (choice === 'ours') {
      // Deleting a conflict keeps the row as the current branch has it.
      await this.db.query('DELETE FROM dolt_conflicts_tasks WHERE dolt_conflict_id = ?', [key]);
      return;
    }
    if (choice === 'theirs' && conflict.ours && conflict.theirs) {
      // Dolt's way: writing their values over ours in the conflicts table writes them into the
      // table and resolves the conflict.
      const sets = FIELDS.map((f) => `our_${f} = their_${f}`).join(', ');
      await this.db.query(`UPDATE dolt_conflicts_tasks SET ${sets} WHERE dolt_conflict_id = ?`, [key]);
      return;
    }
    // A side that deleted the row, or a row written by hand: the table gets exactly that row.
    const row = choice === 'theirs' ? conflict.theirs : { ...(conflict.ours ?? conflict.theirs), ...choice, updated: now() };
    await this.db.query('DELETE FROM tasks WHERE id = ?', [id]);
    if (row) {
      await this.db.query('INSERT INTO tasks VALUES (?, ?, ?, ?, ?)', [
        id,
        row.title,
        row.status,
        row.assignee || null,
        row.updated,
      ]);
    }
    await this.db.query('DELETE FROM dolt_conflicts_tasks WHERE dolt_conflict_id = ?', [key]);
  }

  async abortMerge() {
    await this.db.query("CALL dolt_merge('--abort')");
  }

  // Sync.

  /** Whether the remote has the current branch, and how many versions each side lacks. */
  async syncState() {
    const tracking = `${REMOTE}/${this.branch}`;
    const { rows } = await this.db.query('SELECT hash FROM dolt_remote_branches WHERE name = ?', [
      `remotes/${tracking}`,
    ]);
    if (!rows.length) {
      const { rows: all } = await this.db.query(`SELECT count(*) AS n FROM dolt_log(${quote(this.branch)})`);
      return { published: false, ahead: all[0].n, behind: 0 };
    }
    const count = async (from, not) =>
      (await this.db.query(`SELECT count(*) AS n FROM dolt_log(${quote(from)}, '--not', ${quote(not)})`)).rows[0].n;
    return { published: true, ahead: await count(this.branch, tracking), behind: await count(tracking, this.branch) };
  }

  /** Sends the current branch's versions to the remote. */
  async push() {
    const { rows } = await this.db.query('CALL dolt_push(?, ?)', [REMOTE, this.branch]);
    return rows[0];
  }

  /** Learns what the remote has without changing the board. */
  async fetch() {
    await this.db.query('CALL dolt_fetch(?)', [REMOTE]);
  }

  /**
   * Merges the remote's version of the current branch into it: `{ fast_forward, conflicts,
   * message }`. A branch the remote lacks is only fetched.
   */
  async pull() {
    await this.fetch();
    const { rows } = await this.db.query('SELECT 1 FROM dolt_remote_branches WHERE name = ?', [
      `remotes/${REMOTE}/${this.branch}`,
    ]);
    if (!rows.length) return { fast_forward: 0, conflicts: 0, message: 'not on the server yet' };
    return (await this.db.query('CALL dolt_pull(?, ?)', [REMOTE, this.branch])).rows[0];
  }

  /** Whether every version is pushed as it is made (the persisted replication settings). */
  async replicating() {
    const { rows } = await this.db.query(
      "SELECT value FROM dolt_persisted_variables WHERE name = 'dolt_replicate_to_remote'",
    );
    return rows.length > 0 && rows[0].value === REMOTE;
  }

  /** Turns automatic replication on (asynchronous, through the durable outbox) or off. */
  async setReplicating(on) {
    if (on) {
      await this.db.exec(`SET PERSIST @@GLOBAL.dolt_replicate_to_remote = '${REMOTE}';
        SET PERSIST @@GLOBAL.dolt_async_replication = 1`);
    } else {
      await this.db.exec(`SET PERSIST @@GLOBAL.dolt_replicate_to_remote = DEFAULT;
        SET PERSIST @@GLOBAL.dolt_async_replication = DEFAULT`);
    }
  }
}

/** A made-up address for the name a person typed, since commits carry one. */
export function emailOf(name) {
  return `${name.toLowerCase().replace(/[^a-z0-9]+/g, '.').replace(/^\.|\.$/g, '') || 'someone'}@board.example`;
}
