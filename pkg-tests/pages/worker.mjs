// A dedicated module worker with the browser build: each message `{ id, name, sql, params,
// clone }` opens the database `name` on IndexedDB (once per name; as a clone of the remote
// database at the URL `clone` when given), runs `sql` and posts back `{ id, ok, rows }` or
// `{ id, ok: false, code, message }`.
import init, { Database } from '/pkg/cambium.js';

const ready = init();
const open = new Map();

self.onmessage = async ({ data: { id, name, sql, params, clone } }) => {
  try {
    await ready;
    if (!open.has(name)) {
      const options = { storage: 'indexeddb' };
      open.set(name, clone ? Database.clone(clone, name, options) : Database.open(name, options));
    }
    const db = await open.get(name);
    const result = await db.query(sql, params ?? []);
    self.postMessage({ id, ok: true, rows: result.rows, columns: result.columns });
  } catch (error) {
    self.postMessage({ id, ok: false, code: error?.code, message: String(error?.message ?? error) });
  }
};
