// The child of crash.test.mjs: opens the database <dir>/<name> on files and, from id <first>
// on, inserts a row and commits it, then writes "ack <id>" to stdout. A line on stdout is the
// acknowledgement: the parent kills this process at a moment it chooses and expects every
// acknowledged row to be there afterwards.
//   node crash-child.mjs <dir> <name> <first>
import { loadNode } from '../support/paths.mjs';

const [dir, name, first] = process.argv.slice(2);
const { Database } = loadNode();
const db = await Database.open(name, { storage: 'fs', dir });
// Writes to a pipe are synchronous on Linux: the line has left this process when write returns.
process.stdout.write('ready\n');
for (let id = Number(first); ; id++) {
  await db.exec(
    `INSERT INTO acked (id, note) VALUES (${id}, 'row ${id}'); CALL dolt_commit('-am', 'row ${id}')`,
  );
  process.stdout.write(`ack ${id}\n`);
}
