import assert from 'node:assert/strict';
import path from 'node:path';
import { before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { demoDataDir, fileScope, launchBrowser, openPage, type ServerProcess, screenshot, spawnServer } from '../helpers/browser.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { TEST_NOW } from '../helpers/web.js';

// Reviewing from the keyboard in real headless Chromium against `tradelog serve` (a child process, pinned clock)
// on the demo journal: j/k, r, e and the ? overlay on the positions list and on a position page.

const scope = fileScope();

let browser: BrowserContext | undefined;
let server: ServerProcess;

before(async () => {
  browser = await launchBrowser(scope);
  if (!browser) return;
  const dataDir = path.join(tempDir(scope), 'data');
  await demoDataDir(dataDir, TEST_NOW);
  server = await spawnServer(scope, { dataDir, at: TEST_NOW });
});

interface Listed {
  id: number;
  reviewed: boolean;
}

async function api<T>(page: Page, url: string): Promise<T> {
  const res = await page.request.get(`${server.url}${url}`);
  assert.equal(res.status(), 200, url);
  return (await res.json()) as T;
}

// Expressions evaluated in the page (strings: the test program has no DOM types).
const cursorId = (page: Page) =>
  page.evaluate("document.querySelector('#positions tr.is-cursor')?.getAttribute('data-id') ?? null") as Promise<string | null>;
const focusedId = (page: Page) => page.evaluate("document.activeElement?.id ?? ''") as Promise<string>;
const blur = (page: Page) => page.evaluate('document.activeElement?.blur()');

test('positions list moves a cursor with j/k, toggles reviewed with r and shows the keys with ?', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page, problems } = await openPage(browser);
  const filter = 'instrument=MNQ&status=closed';
  const rows = (await api<{ items: Listed[] }>(page, `/api/positions?${filter}`)).items;
  assert.ok(rows.length >= 3, `demo MNQ positions: ${rows.length}`);
  await page.goto(`${server.url}/positions?${filter}`);
  assert.equal(await cursorId(page), null);

  await page.keyboard.press('j');
  assert.equal(await cursorId(page), String(rows[0]?.id));
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  assert.equal(await cursorId(page), String(rows[2]?.id));
  await page.keyboard.press('k');
  assert.equal(await cursorId(page), String(rows[1]?.id));

  // r marks the cursor's position reviewed on the server, and again not reviewed.
  const id = rows[1]?.id as number;
  const before = (await api<Listed>(page, `/api/positions/${id}`)).reviewed;
  await page.keyboard.press('r');
  await waitFor('the row to be marked', async () => (await page.getAttribute(`#row-${id}`, 'data-reviewed')) === (before ? '0' : '1'));
  assert.equal((await api<Listed>(page, `/api/positions/${id}`)).reviewed, !before);
  assert.equal(await page.locator(`#row-${id} .badge.reviewed`).count(), before ? 0 : 1);
  await page.keyboard.press('r');
  await waitFor('the row to be unmarked', async () => (await page.getAttribute(`#row-${id}`, 'data-reviewed')) === (before ? '1' : '0'));
  assert.equal((await api<Listed>(page, `/api/positions/${id}`)).reviewed, before);

  // ? lists the keys; Escape closes the overlay; j inside a field is typed, not a shortcut.
  await page.keyboard.press('?');
  assert.equal(await page.isVisible('#shortcuts'), true);
  const keys = await page.locator('#shortcuts kbd').allTextContents();
  for (const k of ['j', 'k', 'r', 'e', '?']) assert.ok(keys.includes(k), `overlay lists ${k}: ${keys}`);
  await screenshot(page, 'review-shortcuts-list');
  await page.keyboard.press('j');
  assert.equal(await cursorId(page), String(rows[1]?.id), 'keys do nothing behind the overlay');
  await page.keyboard.press('Escape');
  assert.equal(await page.isVisible('#shortcuts'), false);
  await page.focus('select[name="account"]');
  await page.keyboard.press('j');
  assert.equal(await cursorId(page), String(rows[1]?.id), 'j in a field is not a shortcut');
  await blur(page);

  // Selecting every row with the header box ticks the bulk form's boxes.
  await page.check('#pick-all');
  assert.equal(await page.locator('#positions tbody input[name="id"]:checked').count(), await page.locator('#positions tbody tr').count());
  await page.uncheck('#pick-all');

  // e opens the cursor's position with its note ready to type into, the filter kept.
  await page.keyboard.press('e');
  await page.waitForURL(new RegExp(`/positions/${rows[1]?.id}\\?instrument=MNQ&status=closed#note$`));
  await waitFor('the note to have focus', async () => (await focusedId(page)) === 'note');
  assert.deepEqual(problems.all(), []);
});

test('position page goes to the next and previous position of its list with j/k, marks reviewed with r, edits the note with e', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page, problems } = await openPage(browser);
  const filter = 'instrument=MNQ&status=closed';
  const rows = (await api<{ items: Listed[] }>(page, `/api/positions?${filter}`)).items;
  const [first, second, third] = rows as [Listed, Listed, Listed];
  await page.goto(`${server.url}/positions/${second.id}?${filter}`);

  await page.keyboard.press('j');
  await page.waitForURL(`${server.url}/positions/${third.id}?${filter}`);
  await page.keyboard.press('k');
  await page.waitForURL(`${server.url}/positions/${second.id}?${filter}`);
  await page.keyboard.press('k');
  await page.waitForURL(`${server.url}/positions/${first.id}?${filter}`);

  // e: the note takes the keys typed next (j included) and the page stays.
  await page.keyboard.press('e');
  assert.equal(await focusedId(page), 'note');
  await page.keyboard.type('jk faded the open');
  assert.equal(await page.inputValue('#note'), 'jk faded the open');
  assert.equal(page.url(), `${server.url}/positions/${first.id}?${filter}`);

  // ?: the overlay; Escape closes it.
  await blur(page);
  await page.keyboard.press('?');
  assert.equal(await page.isVisible('#shortcuts'), true);
  await screenshot(page, 'review-shortcuts-position');
  await page.keyboard.press('Escape');
  assert.equal(await page.isVisible('#shortcuts'), false);

  // r: reviewed ticked and the journal saved (the note typed above with it), the filter kept on the way back.
  const wasReviewed = (await api<Listed>(page, `/api/positions/${first.id}`)).reviewed;
  await page.keyboard.press('r');
  await page.waitForURL(`${server.url}/positions/${first.id}?saved=1&${filter}#journal`);
  const saved = await api<Listed & { note: string }>(page, `/api/positions/${first.id}`);
  assert.equal(saved.reviewed, !wasReviewed);
  assert.equal(saved.note, 'jk faded the open');
  assert.equal(await page.isChecked('#reviewed'), !wasReviewed);

  // u: back to the list, the cursor on the position just reviewed.
  await page.keyboard.press('u');
  await page.waitForURL(new RegExp(`/positions\\?${filter}#row-${first.id}$`));
  await waitFor('the cursor on the reviewed row', async () => (await cursorId(page)) === String(first.id));
  assert.deepEqual(problems.all(), []);
});
