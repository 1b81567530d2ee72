// The demo app (www/) in headless Chromium, driven as a person would: two browsers with
// profiles of their own (own IndexedDB, own network) open the task board served by
// www/serve.mjs, which also mounts the remote. The first creates the board and pushes it, the
// second clones it with visible progress; both go offline, edit different tasks and save
// versions, come back online, sync and end on the same board and head. A branch is created,
// edited and merged; then both rename one task, the second pulls, sees the conflict side by
// side, resolves it in the page, saves and pushes, and the first pulls the resolution. Automatic
// sync, switched on in the page, carries a new task across without a push. Screenshots of every
// panel go to target/demo-screens/.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { start } from '../../www/serve.mjs';
import { launch } from '../support/browser.mjs';
import { needWeb, ROOT } from '../support/paths.mjs';

const TEST_MS = 150_000;
const SCREENS = join(ROOT, 'target', 'demo-screens');
const SEED = [
  'Fix the login timeout',
  'Plan the team offsite',
  'Review the pricing page',
  'Sketch the onboarding flow',
  'Update the privacy policy',
  'Write the release notes',
];

let scratch;
let server;
let browserA;
let browserB;

before(async () => {
  needWeb();
  scratch = mkdtempSync(join(tmpdir(), 'cambium-demo-'));
  mkdirSync(SCREENS, { recursive: true });
  server = await start({ port: 0, dir: join(scratch, 'remote') });
  browserA = await launch();
  browserB = await launch();
});

after(async () => {
  await browserA?.close();
  await browserB?.close();
  await server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/**
 * Opens the board as `user` in a new page of `browser` and waits until it has started. Every
 * value the page's progress bars show is kept in `window.progressSeen`, so a test can tell that
 * progress was on screen during a transfer however quick it was.
 */
async function openBoard(browser, user) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 820 });
  await page.addInitScript(() => {
    window.progressSeen = [];
    new MutationObserver(() => {
      for (const bar of document.querySelectorAll('[role=progressbar]')) {
        const text = bar.parentElement.textContent;
        if (window.progressSeen.at(-1) !== text) window.progressSeen.push(text);
      }
    }).observe(document, { subtree: true, childList: true, attributes: true });
  });
  await page.goto(`${server.url}?user=${user}`);
  await page.waitForSelector('body[data-ready=yes]', { timeout: 60_000 });
  return page;
}

/** Fails with the page's error toasts, if it shows any. */
async function noErrors(page) {
  const errors = await page.locator('.toast.error').allTextContents();
  assert.deepEqual(errors, [], `the page shows errors:\n${errors.join('\n')}`);
}

/** The board as the page shows it: column → task titles in order. */
const board = (page) =>
  page.$$eval('.column', (columns) =>
    Object.fromEntries(columns.map((column) => [column.dataset.status, [...column.querySelectorAll('.card-title')].map((t) => t.textContent)])),
  );

/** Every task title on the page's board, sorted. */
const titles = async (page) => Object.values(await board(page)).flat().sort();

/** Runs SQL in the page's database (the app's `window.board`); resolves to the rows. */
const sql = (page, text, params = []) =>
  page.evaluate(async ([text, params]) => (await window.board.db.query(text, params)).rows, [text, params]);

const head = async (page) => (await sql(page, "SELECT hashof('main') AS head"))[0].head;

const tab = (page, name) => page.click(`[data-tab=${name}]`);

const pill = (page, text) => page.locator('#sync-pill', { hasText: text }).waitFor();

const card = (page, title) => page.locator('article.card', { has: page.locator('.card-title', { hasText: title }) });

async function addTask(page, title) {
  await tab(page, 'board');
  await page.fill('input[aria-label="New task title"]', title);
  await page.press('input[aria-label="New task title"]', 'Enter');
  await card(page, title).waitFor();
}

async function rename(page, from, to) {
  await tab(page, 'board');
  await card(page, from).locator('.card-title').click();
  await page.fill('input.title-edit', to);
  await page.press('input.title-edit', 'Enter');
  await card(page, to).waitFor();
}

async function saveVersion(page, message) {
  await tab(page, 'board');
  await page.fill('input[aria-label="Version message"]', message);
  await page.click('button:has-text("Save version")');
  await page.locator('.save-bar.clean').waitFor();
}

/** Clicks Pull, Push or Sync now on the Sync panel and waits until that run is over. */
async function sync(page, button) {
  await tab(page, 'sync');
  await page.click(`.sync-status button:has-text("${button}")`);
  await page.waitForFunction(() => !['pulling', 'pushing'].includes(document.querySelector('#sync-pill').dataset.state));
}

const shot = (page, name) => page.screenshot({ path: join(SCREENS, `${name}.png`) });

test('two browsers share the task board through the remote, offline and online, and resolve a conflict in the page', { timeout: TEST_MS }, async () => {
  // A finds no board on the server: it creates one with a few tasks and pushes it.
  const a = await openBoard(browserA, 'Ada');
  assert.deepEqual(await titles(a), SEED);
  await pill(a, 'Up to date');
  await addTask(a, 'Order the new laptops');
  await addTask(a, 'Book the venue');
  assert.equal(await a.textContent('.save-bar .save-state'), '2 unsaved changes');
  assert.equal(await card(a, 'Book the venue').locator('.badge.unsaved').textContent(), 'new');
  await shot(a, 'board-unsaved');
  await saveVersion(a, 'Add laptops and venue');
  await pill(a, '1 to push');
  await sync(a, 'Push');
  await pill(a, 'Up to date');
  await noErrors(a);

  // B clones it, with the progress bar on screen while chunks arrive.
  const b = await openBoard(browserB, 'Bob');
  const all = [...SEED, 'Book the venue', 'Order the new laptops'].sort();
  assert.deepEqual(await titles(b), all);
  assert.equal(await head(b), await head(a));
  const progress = await b.evaluate(() => window.progressSeen);
  assert.ok(progress.some((text) => /^clone: \d+ of \d+ chunks/.test(text)), `progress seen: ${progress.join(' | ')}`);
  await tab(b, 'sync');
  assert.match(await b.textContent('.transfer-text'), /^Cloned \d+ chunks \(.+\)$/);
  assert.match(await b.textContent('.activity-log'), /Cloned the board from the server: \d+ chunks/);
  await pill(b, 'Up to date');
  await noErrors(b);

  // Offline, each edits a different task and saves a version, which stays in its browser.
  await browserA.context.setOffline(true);
  await browserB.context.setOffline(true);
  await pill(a, 'Offline');
  await pill(b, 'Offline');
  await tab(a, 'board');
  await card(a, 'Plan the team offsite').locator('button[aria-label="Move right"]').click();
  await a.locator('.column[data-status=doing] .card-title', { hasText: 'Plan the team offsite' }).waitFor();
  await saveVersion(a, 'Start planning the offsite');
  await rename(b, 'Review the pricing page', 'Review the new pricing page');
  await saveVersion(b, 'Rename the pricing review');
  await pill(a, 'Offline · 1 to push');
  await pill(b, 'Offline · 1 to push');
  await shot(b, 'board-offline');
  await tab(b, 'sync');
  assert.equal(await b.isDisabled('.sync-status button:has-text("Push")'), true);

  // Online again: A pushes its version, B pulls it (a merge) and pushes, A pulls the merge.
  await browserA.context.setOffline(false);
  await browserB.context.setOffline(false);
  await a.waitForFunction(() => document.querySelector('#sync-pill').dataset.state !== 'offline');
  await b.waitForFunction(() => document.querySelector('#sync-pill').dataset.state !== 'offline');
  await sync(a, 'Sync now');
  await pill(a, 'Up to date');
  await sync(b, 'Sync now');
  await pill(b, 'Up to date');
  await sync(a, 'Pull');
  await pill(a, 'Up to date');
  await noErrors(a);
  await noErrors(b);
  await tab(a, 'board');
  await tab(b, 'board');
  const converged = await board(a);
  assert.deepEqual(await board(b), converged);
  assert.ok(converged.doing.includes('Plan the team offsite'));
  assert.ok(converged.todo.includes('Review the new pricing page'));
  assert.equal(await head(a), await head(b));
  const [merge] = await sql(a, 'SELECT message, parents FROM dolt_log LIMIT 1');
  assert.equal(merge.parents.split(' ').length, 2, 'the head is the merge B made');

  // History: the merge's diff against B's own version shows A's change as a changed cell.
  await tab(b, 'history');
  await b.locator('li.commit', { hasText: 'Rename the pricing review' }).click();
  await b.locator('.diff-head h2', { hasText: 'Rename the pricing review' }).waitFor();
  const renamed = b.locator('.diff-table tr.modified');
  assert.equal(await renamed.count(), 1);
  assert.equal(await renamed.locator('td.changed[data-field=title] del').textContent(), 'Review the pricing page');
  assert.equal(await renamed.locator('td.changed[data-field=title] ins').textContent(), 'Review the new pricing page');
  await b.locator('li.commit', { hasText: 'Add laptops and venue' }).click();
  await b.locator('.diff-summary', { hasText: '2 added' }).waitFor();
  assert.deepEqual((await b.locator('.diff-table tr.added td:nth-child(2)').allTextContents()).sort(), ['Book the venue', 'Order the new laptops']);
  await b.locator('li.commit', { hasText: 'Start planning the offsite' }).click();
  await b.locator('.diff-table td.changed[data-field=status] ins', { hasText: 'In progress' }).waitFor();
  await shot(b, 'history');

  // Branches: A creates a branch, edits there, switches back and merges it.
  await tab(a, 'branches');
  await a.fill('input[aria-label="Branch name"]', 'q3-planning');
  await a.click('button:has-text("Create branch")');
  await a.locator('.branch-chip', { hasText: 'q3-planning' }).waitFor();
  await addTask(a, 'Draft the Q3 roadmap');
  await saveVersion(a, 'Draft the roadmap on a branch');
  await tab(a, 'branches');
  await a.locator('li.branch[data-branch=main] button:has-text("Switch")').click();
  await a.locator('.branch-chip', { hasText: 'main' }).waitFor();
  await shot(a, 'branches');
  await tab(a, 'board');
  assert.ok(!(await titles(a)).includes('Draft the Q3 roadmap'), 'main does not have the branch edit');
  await tab(a, 'branches');
  await a.locator('li.branch[data-branch=q3-planning] button:has-text("Merge into main")').click();
  await a.locator('.toast', { hasText: 'Merged q3-planning into main' }).waitFor();
  await tab(a, 'board');
  assert.ok((await titles(a)).includes('Draft the Q3 roadmap'));
  await shot(a, 'board');
  await sync(a, 'Push');
  await pill(a, 'Up to date');

  // A conflict: both rename one task; A pushes first, B pulls and resolves it in the page.
  await rename(a, 'Write the release notes', 'Write the 2.0 release notes');
  await saveVersion(a, 'Name the release');
  await sync(a, 'Push');
  await rename(b, 'Write the release notes', 'Write the launch notes');
  await saveVersion(b, 'Call them launch notes');
  await sync(b, 'Pull');
  await b.locator('[data-tab=conflicts][aria-selected=true]').waitFor();
  const conflict = b.locator('article.conflict');
  assert.equal(await conflict.count(), 1);
  assert.equal(await conflict.locator('td[data-side=ours][data-field=title]').textContent(), 'Write the launch notes');
  assert.equal(await conflict.locator('td[data-side=theirs][data-field=title]').textContent(), 'Write the 2.0 release notes');
  assert.match(await conflict.locator('td[data-side=ours][data-field=title]').getAttribute('class'), /differs/);
  assert.match(await conflict.locator('td[data-side=ours][data-field=status]').getAttribute('class'), /same/);
  assert.equal((await sql(b, 'SELECT count(*) AS n FROM dolt_conflicts_tasks'))[0].n, 1);
  await shot(b, 'conflict');
  // B writes the result: their title picked from the table, then edited.
  await conflict.locator('button:has-text("Edit")').click();
  await conflict.locator('td[data-side=theirs][data-field=title]').click();
  const result = conflict.locator('input[aria-label="Result title"]');
  assert.equal(await result.inputValue(), 'Write the 2.0 release notes');
  await result.fill('Write the 2.0 launch notes');
  await shot(b, 'conflict-edit');
  await conflict.locator('button:has-text("Use result")').click();
  await b.locator('.merge-banner h2', { hasText: 'Every conflict is resolved' }).waitFor();
  assert.equal((await sql(b, 'SELECT count(*) AS n FROM dolt_conflicts_tasks'))[0].n, 0);
  await b.click('button:has-text("Save merge")');
  await b.locator('[data-tab=board][aria-selected=true]').waitFor();
  await sync(b, 'Push');
  await pill(b, 'Up to date');
  await sync(a, 'Pull');
  await pill(a, 'Up to date');
  await tab(a, 'board');
  await tab(b, 'board');
  assert.ok((await titles(a)).includes('Write the 2.0 launch notes'));
  assert.ok(!(await titles(a)).some((title) => /release notes|Write the launch notes/.test(title)));
  assert.deepEqual(await titles(a), await titles(b));
  assert.equal(await head(a), await head(b));
  const [resolved] = await sql(a, "SELECT title FROM tasks WHERE title LIKE 'Write the 2.0%'");
  assert.equal(resolved.title, 'Write the 2.0 launch notes');

  // Automatic sync, switched on in A's page, pushes each version by itself; B pulls it.
  await tab(a, 'sync');
  await a.click('.auto-sync .switch');
  await a.locator('.auto-sync .switch', { hasText: 'On' }).waitFor();
  assert.deepEqual(await sql(a, 'SELECT name, value FROM dolt_persisted_variables ORDER BY name'), [
    { name: 'dolt_async_replication', value: '1' },
    { name: 'dolt_replicate_to_remote', value: 'origin' },
  ]);
  await shot(a, 'sync');
  await addTask(a, 'Send the invitations');
  await saveVersion(a, 'Invite everyone');
  await pill(a, 'Up to date');
  await sync(b, 'Pull');
  await tab(b, 'board');
  await card(b, 'Send the invitations').waitFor();
  assert.equal(await head(a), await head(b));
  await noErrors(a);
  await noErrors(b);
});
