// The load benchmark's program (benches/load.mjs) with small numbers: 10 clients in two worker
// processes pushing to and pulling from one `cambium remote-server` for 3 s. Only correctness is
// checked, never speed: the only client error is the expected non-fast-forward, and every commit
// whose push was acknowledged is in the remote's history with its row.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { runLoad } from '../../benches/load.mjs';

test('ten clients pushing and pulling at once lose no acknowledged commit', async () => {
  const result = await runLoad({ clients: 10, seconds: 3, workers: 2 });
  assert.deepEqual(result.unexpectedErrors, []);
  assert.deepEqual(Object.keys(result.errors).filter((code) => code !== 'non_fast_forward'), []);
  assert.ok(result.pushes > 0 && result.pulls > 0, `${result.pushes} pushes, ${result.pulls} pulls`);
  assert.ok(result.acknowledgedCommits >= result.pushes, `${result.acknowledgedCommits} acknowledged commits`);
  assert.deepEqual(result.missing, []);
  assert.ok(result.commitsInRemote > result.acknowledgedCommits, 'the table and merges are in the history too');
  assert.ok(result.requests > 0 && result.rss.startBytes > 0 && result.rss.maxBytes >= result.rss.startBytes);
});
