// Headless Chromium for the browser tests, through playwright-core and the system's
// /usr/bin/chromium (never a downloaded browser). One persistent context per launch, on a fresh
// temporary profile directory: its pages share one origin's IndexedDB, which lives on disk in
// that profile, survives page.reload() and is removed with the directory in close().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { CHROMIUM, CHROMIUM_ARGS } from './web.mjs';

export { CHROMIUM, CHROMIUM_ARGS };

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
