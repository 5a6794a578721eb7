import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { formatPrice } from '../../src/instruments/prices.js';
import { BUILT_IN_SPECS } from '../../src/instruments/specs.js';
import { NAV } from '../../src/web/render.js';
import { demoDataDir, fileScope, launchBrowser, openPage, type ServerProcess, screenshot, spawnServer } from '../helpers/browser.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { TEST_NOW } from '../helpers/web.js';

// Real headless Chromium against `tradelog serve` (a child process) on a data dir filled with the demo (on a pinned
// clock: its trades are seeded from the date). One browser and one server for the whole file.

const scope = fileScope();

let browser: BrowserContext | undefined;
let server: ServerProcess;
let dataDir: string;

before(async () => {
  browser = await launchBrowser(scope);
  if (!browser) return;
  dataDir = path.join(tempDir(scope), 'data');
  const counts = await demoDataDir(dataDir, TEST_NOW);
  assert.ok(counts.executions > 50 && counts.positions > 20 && counts.bars > 10_000, JSON.stringify(counts));
  server = await spawnServer(scope, { dataDir, at: TEST_NOW });
});

const PROBE = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'chart-probe.js'), 'utf8');

/** Evaluate `tlProbe.<call>` in the page (page.evaluate is not subject to the page's CSP). */
function probe<T>(page: Page, call: string): Promise<T> {
  return page.evaluate(`${PROBE}\n;tlProbe.${call}`) as Promise<T>;
}

/** Wait until the chart on the page has drawn (or failed) and return its state. */
async function chartState(page: Page, timeframe?: string): Promise<{ state: string; bars: number; markers: number }> {
  // Polled with page.evaluate: waitForFunction evaluates strings with eval(), which the CSP rightly forbids.
  return waitFor(
    'the chart to finish drawing',
    async () => {
      const s = await probe<{ state: string; bars: number; markers: number }>(page, 'state()');
      const tfOk = !timeframe || new URL(page.url()).searchParams.get('timeframe') === timeframe;
      return tfOk && ['ready', 'empty', 'error'].includes(s.state) ? s : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 50 },
  );
}

test('every page loads in Chromium without console errors or 5xx answers when the journal holds the demo', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page, problems } = await openPage(browser);
  for (const item of NAV) {
    const res = await page.goto(`${server.url}${item.href}`, { waitUntil: 'load' });
    assert.equal(res?.status(), 200, item.href);
    assert.equal(await page.locator('nav a[aria-current="page"]').textContent(), item.label);
    if (item.href === '/charts') await chartState(page);
    if (item.href === '/') await screenshot(page, 'dashboard');
  }
  await page.goto(`${server.url}/positions`);
  const first = page.locator('#positions tbody tr a').first();
  await first.click();
  await page.waitForURL(/\/positions\/\d+$/);
  await chartState(page);
  assert.deepEqual(problems.all(), []);
});

test('charts page draws candles and the trader’s execution markers on the canvas', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/charts?instrument=MNQ&timeframe=5m&range=7d`);
  const s = await chartState(page);
  assert.equal(s.state, 'ready');
  assert.ok(s.bars > 500, `bars drawn: ${s.bars}`);
  assert.ok(s.markers > 5, `markers placed: ${s.markers}`);
  const px = await probe<Record<'up' | 'down' | 'buy' | 'sell', number>>(page, 'colours()');
  assert.ok(px.up > 300 && px.down > 300, `candle pixels ${JSON.stringify(px)}`);
  assert.ok(px.buy > 30 && px.sell > 30, `marker pixels ${JSON.stringify(px)}`);
  await screenshot(page, 'charts');

  // Switching timeframe redraws from the API without reloading the page.
  await page.click('#timeframes button[value="1h"]');
  const hourly = await chartState(page, '1h');
  assert.ok(hourly.bars > 50 && hourly.bars < s.bars);
  // Volume off removes the histogram.
  await page.uncheck('#volume');
  assert.match(page.url(), /volume=0/);
  assert.deepEqual(problems.all(), []);
});

test('position chart puts each fill on its candle, buys below and sells above, with the average entry line', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page, problems } = await openPage(browser);
  // A short closed by BuyToCover: the replaced app drew that buy as a sell.
  const res = await page.request.get(`${server.url}/api/positions?side=short&status=closed&pageSize=1`);
  const first = (await res.json()).items[0] as { id: number; root: string };
  const id = first.id;
  await page.goto(`${server.url}/positions/${id}`);
  const s = await chartState(page);
  assert.equal(s.state, 'ready');
  assert.ok(s.markers >= 2);
  await screenshot(page, 'position');
  const check = await probe<Record<string, unknown>>(page, 'fills()');
  assert.ok(!('error' in check), JSON.stringify(check));
  const results = (check as { results: { label: string; side: string; barTime: number; sec: number; above: number; below: number }[] })
    .results;
  assert.ok(results.length >= 2, JSON.stringify(results));
  assert.ok(
    results.some((r) => r.label.startsWith('BuyToCover')),
    'the closing fill of a short is a BuyToCover',
  );
  for (const r of results) {
    assert.ok(r.barTime <= r.sec, `${r.label}: marker on the candle that contains the fill`);
    if (r.side === 'buy') assert.ok(r.below > 5 && r.below > r.above, `${r.label}: buy arrow below the bar ${JSON.stringify(r)}`);
    else assert.ok(r.above > 5 && r.above > r.below, `${r.label}: sell arrow above the bar ${JSON.stringify(r)}`);
  }
  const { lines, avgEntryPrice } = check as { lines: { price: number; title: string }[]; avgEntryPrice: number };
  assert.ok(
    lines.some((l) => l.price === avgEntryPrice),
    `average entry line at ${avgEntryPrice}: ${JSON.stringify(lines)}`,
  );
  // Named in the legend under the chart (a title drawn in the chart would cover candles).
  // Written to the instrument's tick (src/instruments/prices.ts).
  const tick = BUILT_IN_SPECS.find((spec) => spec.root === first.root)?.tickSize;
  assert.ok((await page.textContent('#chart-legend'))?.includes(`Average entry ${formatPrice(avgEntryPrice, tick)}`));
  // The journal form saves and comes back with the note.
  await page.fill('#note', 'Covered into the 14:00 flush; should have waited for the retest.');
  await page.fill('#tags', 'fade, news');
  await page.check('#reviewed');
  await page.click('#save-journal');
  await page.waitForURL(/saved=1/);
  await screenshot(page, 'position-saved');
  await page.waitForSelector('#saved');
  assert.equal(await page.inputValue('#note'), 'Covered into the 14:00 flush; should have waited for the retest.');
  assert.equal(await page.inputValue('#tags'), 'fade, news');
  assert.deepEqual(problems.all(), []);
});

test('demo fills every chart timeframe and refuses to run again on a journal that holds executions', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page } = await openPage(browser);
  const coverage = await (await page.request.get(`${server.url}/api/market-data/coverage`)).json();
  for (const root of ['MNQ', 'ES']) {
    const tfs = coverage.filter((c: { instrument: string }) => c.instrument === root).map((c: { timeframe: string }) => c.timeframe);
    assert.deepEqual(tfs.sort(), ['15m', '1d', '1h', '1m', '4h', '5m'], root);
  }
  const again = await runCliAsync(['demo', '--data-dir', dataDir], {}, TEST_NOW);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /error TL_DEMO_NOT_EMPTY/);
  assert.match(again.stderr, /fix: .*--data-dir/);
});
