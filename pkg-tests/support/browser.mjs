// Headless Chromium for the browser tests, through playwright-core and the system's
// /usr/bin/chromium (never a downloaded browser). One persistent context per launch, on a fresh
// temporary profile directory: its pages share one origin's IndexedDB, which lives on disk in
// that profile, survives page.reload() and is removed with the directory in close().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { within } from './paths.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from './web.mjs';

export { CHROMIUM, CHROMIUM_ARGS };

/** What the pages of each launched context logged, for the errors `inPage` throws. */
const contextLogs = new WeakMap();

/**
 * Launches Chromium on a new profile directory; resolves to `{ context, profile, close() }`.
 * Console messages and uncaught errors of every page are kept in `logs` (printed by
 * `dumpLogs`) so that a failing test can show what the page said.
 */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'cambium-chromium-'));
  // Playwright passes the profile as --user-data-dir itself; it refuses that flag in `args`.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
  context.setDefaultTimeout(30_000);
  const logs = [];
  contextLogs.set(context, logs);
  const watch = (page, label) => {
    page.on('console', (message) => logs.push(`[${label} ${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => logs.push(`[${label} pageerror] ${error.stack ?? error}`));
    page.on('crash', () => logs.push(`[${label}] crashed`));
  };
  let pages = 0;
  context.on('page', (page) => watch(page, `page${++pages}`));
  for (const page of context.pages()) watch(page, `page${++pages}`);
  let closed = false;
  return {
    context,
    profile,
    logs,
    dumpLogs() {
      return logs.join('\n');
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Opens `url` in a new page of `context` and waits until the harness set `window.ready`.
 * Resolves to the page.
 */
export async function openHarness(context, url, { timeout = 30_000 } = {}) {
  const page = await context.newPage();
  await page.goto(url, { timeout });
  await waitReady(page, timeout);
  return page;
}

/** Waits until the harness of `page` is loaded (after a goto or a reload). */
export async function waitReady(page, timeout = 30_000) {
  await page.waitForFunction(() => window.ready === true || window.loadError, null, { timeout });
  const failure = await page.evaluate(() => window.loadError ?? null);
  if (failure) throw new Error(`the harness failed to load: ${failure}`);
}

/**
 * Runs `fn(arg)` in `page` through the harness's `attempt`, within `ms`: resolves to its value,
 * or throws an Error carrying the page's error `code`, its message followed by what the pages
 * of the context logged (a test's report shows an error's message, not its other fields).
 */
export async function inPage(page, fn, arg, ms = 60_000) {
  const outcome = await within(
    ms,
    'page.evaluate',
    page.evaluate(
      async ([source, value]) => {
        // The function crosses as text: page.evaluate cannot carry a closure.
        const run = (0, eval)(`(${source})`);
        return window.attempt(() => run(value));
      },
      [fn.toString(), arg],
    ),
  );
  if (!outcome.ok) {
    const logs = (contextLogs.get(page.context()) ?? []).join('\n');
    const error = new Error(`in the page: ${outcome.code}: ${outcome.message}\n--- browser log ---\n${logs}`);
    error.code = outcome.code;
    throw error;
  }
  return outcome.value;
}
