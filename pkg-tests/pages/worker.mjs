// A dedicated module worker with the browser build: each message `{ id, name, sql, params }`
// opens the database `name` on IndexedDB (once per name), runs `sql` and posts back
// `{ id, ok, rows }` or `{ id, ok: false, code, message }`.
import init, { Database } from '/pkg/cambium.js';

const ready = init();
const open = new Map();

self.onmessage = async ({ data: { id, name, sql, params } }) => {
  try {
    await ready;
    if (!open.has(name)) open.set(name, Database.open(name, { storage: 'indexeddb' }));
    const db = await open.get(name);
    const result = await db.query(sql, params ?? []);
    self.postMessage({ id, ok: true, rows: result.rows, columns: result.columns });
  } catch (error) {
    self.postMessage({ id, ok: false, code: error?.code, message: String(error?.message ?? error) });
  }
};
