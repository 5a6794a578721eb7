import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { NAV } from '../../src/web/render.js';
import { launchBrowser, openPage, screenshot, spawnServer } from '../helpers/browser.js';
import { tempDir } from '../helpers/tmp.js';

test('every page loads without console errors or 5xx when the journal is empty', async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const server = await spawnServer(t, { dataDir: path.join(tempDir(t), 'data') });
  const { page, problems } = await openPage(browser);
  for (const item of NAV) {
    const res = await page.goto(`${server.url}${item.href}`, { waitUntil: 'load' });
    assert.equal(res?.status(), 200, `${item.href} answered ${res?.status()}`);
    assert.equal(await page.locator('nav a[aria-current="page"]').textContent(), item.label);
  }
  await screenshot(page, 'empty-dashboard');
  assert.deepEqual(problems.all(), []);
});
