import assert from 'node:assert/strict';
import path from 'node:path';
import { before, test } from 'node:test';
import { DateTime } from 'luxon';
import type { BrowserContext, Page } from 'playwright-core';
import { sessionsBetween } from '../../src/calendar/sessions.js';
import { manualClock } from '../../src/clock.js';
import { NAV } from '../../src/web/render.js';
import { fileScope, launchBrowser, openPage, type ServerProcess, screenshot, spawnServer } from '../helpers/browser.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { startYahooStub, stubBar, type YahooStub } from '../helpers/yahoo-stub.js';

// A new user in real headless Chromium: an empty journal, a NinjaTrader CSV uploaded through the Import page
// (preview, then positions), then "Update from API" on the charts page against the local Yahoo stub: live
// per-timeframe progress, a failing timeframe shown with its fix, bars in every timeframe at the end.
//
// The server and the stub share one pinned instant, and the fills are placed from it: what the chart shows (every
// fill on a bar with prices: the stub leaves every 37th hourly bar empty) never depends on the day the suite runs.

/** Wednesday 18 November 2026, 10:00 CST: the market is open; the last finished session is Tuesday's. */
const NOW = Date.parse('2026-11-18T16:00:00Z');

const scope = fileScope();

let browser: BrowserContext | undefined;
let server: ServerProcess;
let stub: YahooStub;

before(async () => {
  browser = await launchBrowser(scope);
  if (!browser) return;
  stub = await startYahooStub({ latencyMs: 150, clock: manualClock(NOW) });
  scope.after(() => stub.close());
  server = await spawnServer(scope, {
    dataDir: path.join(tempDir(scope), 'data'),
    env: { TRADELOG_YAHOO_BASE_URL: stub.url },
    at: NOW,
  });
});

/** Four MNQ fills in the last finished CME session, written as NinjaTrader writes them (Los Angeles wall clock). */
function recentCsv(): string {
  const sessions = sessionsBetween(NOW - 10 * 86_400_000, NOW).filter((s) => s.close < NOW - 3600_000);
  const s = sessions[sessions.length - 1];
  assert.ok(s);
  const times = [0, 25, 70, 130].map((minutes) => s.close - 4 * 3600_000 + minutes * 60_000);
  // Each fill's 1h bar has prices, so each one gets its marker on the 1h chart.
  for (const t of times) {
    const hour = Math.floor(t / 3_600_000) * 3600;
    assert.notEqual(
      stubBar(21800, hour, 3600, NOW / 1000).open,
      null,
      `the stub's 1h bar at ${new Date(hour * 1000).toISOString()} is empty`,
    );
  }
  const at = (i: number) => DateTime.fromMillis(times[i] as number, { zone: 'America/Los_Angeles' }).toFormat('M/d/yyyy h:mm:ss a');
  return [
    'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation',
    `MNQ 12-25,Buy,2,21800.00,${at(0)},w1,Entry,2 L,o1,Entry,$1.04,1,SIM1,Sim101,`,
    `MNQ 12-25,Sell,2,21812.25,${at(1)},w2,Exit,-,o2,Exit,$1.04,1,SIM1,Sim101,Valid`,
    `MNQ 12-25,Sell,1,21815.00,${at(2)},w3,Entry,1 S,o3,Entry,$0.52,1,SIM1,Sim101,`,
    `MNQ 12-25,Buy,1,21790.50,${at(3)},w4,Exit,-,o4,Exit,$0.52,1,SIM1,Sim101,Valid`,
    '',
  ].join('\n');
}

async function progressRows(page: Page): Promise<{ job: string; state: string; rows: { tf: string; status: string; text: string }[] }> {
  return page.evaluate(
    `(() => ({
      job: document.getElementById('update-progress')?.dataset.jobId ?? '',
      state: document.getElementById('update-progress')?.dataset.state ?? '',
      rows: [...document.querySelectorAll('#update-table tbody tr')].map((r) => ({ tf: r.dataset.timeframe, status: r.dataset.status, text: r.innerText })),
    }))()`,
  ) as Promise<{ job: string; state: string; rows: { tf: string; status: string; text: string }[] }>;
}

/**
 * Follow the progress table until a job other than `previous` has finished; returns every state seen on the way.
 * (Right after a click the table still shows the previous job, finished: that one does not count.)
 */
async function followUpdate(page: Page, previous = ''): Promise<{ seen: Set<string>; final: Awaited<ReturnType<typeof progressRows>> }> {
  const seen = new Set<string>();
  const final = await waitFor(
    'the update job to finish',
    async () => {
      const p = await progressRows(page);
      if (!p.job || p.job === previous) return undefined;
      for (const r of p.rows) seen.add(`${p.state}:${r.tf}:${r.status}`);
      return p.state === 'done' || p.state === 'failed' ? p : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 50 },
  );
  return { seen, final };
}

test('every page of an empty journal loads without console errors and says how to get data', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page, problems } = await openPage(browser);
  for (const item of NAV) {
    const res = await page.goto(`${server.url}${item.href}`);
    assert.equal(res?.status(), 200, item.href);
  }
  await page.goto(`${server.url}/`);
  assert.ok(await page.isVisible('#import-link'));
  assert.ok(await page.isVisible('#load-demo'));
  await page.goto(`${server.url}/charts`);
  assert.match((await page.textContent('#charts-empty')) ?? '', /Update from API/);
  assert.deepEqual(problems.all(), []);
});

test('a CSV uploaded through the import page shows a preview, then positions', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/import`);
  await page.setInputFiles('#files', { name: 'NinjaTrader_Executions_demo.csv', mimeType: 'text/csv', buffer: Buffer.from(recentCsv()) });
  await page.click('#preview-btn');
  await page.waitForSelector('.file-preview');
  assert.equal((await page.textContent('.file-preview .added-count'))?.trim(), '4');
  assert.equal((await page.textContent('.file-preview .rejected-count'))?.trim(), '0');
  assert.equal(await page.locator('.file-preview table.added tbody tr').count(), 4);
  // Nothing stored by the preview.
  const before = await (await page.request.get(`${server.url}/api/positions`)).json();
  assert.equal(before.total, 0);
  await page.click('#commit-btn');
  await page.waitForSelector('.import-result');
  assert.equal(await page.getAttribute('.import-result', 'data-status'), 'imported');
  await page.click('#to-positions');
  await page.waitForSelector('#positions');
  assert.equal(await page.locator('#positions tbody tr').count(), 2);
  assert.match((await page.textContent('#positions')) ?? '', /MNQ 12-25/);
  await page.goto(`${server.url}/import`);
  assert.match((await page.textContent('#history')) ?? '', /NinjaTrader_Executions_demo\.csv/);
  assert.deepEqual(problems.all(), []);
});

test('Update from API shows progress per timeframe, a failing timeframe with its fix, and ends with bars in every timeframe', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/charts?instrument=MNQ&timeframe=1h&range=7d`);
  await page.waitForSelector('#chart[data-state="empty"]');
  assert.match((await page.textContent('#chart-empty')) ?? '', /No 1h bars of MNQ are stored yet\./);

  // One timeframe fails (Yahoo answers an HTML page for 15m); the others must still be stored.
  stub.fault({ interval: '15m' }, { kind: 'html' }, 1);
  await page.click('#update-btn');
  await page.waitForSelector('#update-table');
  // A second click while the job runs joins it instead of starting another.
  await page.click('#update-btn');
  const first = await followUpdate(page);
  const joined = await page.getAttribute('#update-progress', 'data-joined');
  assert.equal(joined, 'true', 'the second click joined the running job');
  assert.ok(
    [...first.seen].some((s) => s.startsWith('running:')),
    `progress was shown while the job ran: ${[...first.seen].join(' ')}`,
  );
  const byTf = new Map(first.final.rows.map((r) => [r.tf, r]));
  assert.deepEqual([...byTf.keys()], ['1m', '5m', '15m', '1h', '4h', '1d']);
  assert.equal(byTf.get('15m')?.status, 'error');
  assert.match(byTf.get('15m')?.text ?? '', /TL_MARKET_\w+: .*HTML/);
  assert.match(byTf.get('15m')?.text ?? '', /Fix: /);
  for (const tf of ['1m', '5m', '1h', '4h', '1d']) assert.equal(byTf.get(tf)?.status, 'ok', `${tf}: ${byTf.get(tf)?.text}`);
  await screenshot(page, 'charts-update-partial');

  // Run again: the fault is gone, the missing timeframe is fetched, every timeframe has bars.
  await page.click('#update-btn');
  const second = await followUpdate(page, first.final.job);
  assert.notEqual(second.final.job, first.final.job, 'a new job ran');
  const job = await (await page.request.get(`${server.url}/api/jobs/${second.final.job}`)).json();
  assert.equal(job.startedAt, new Date(NOW).toISOString(), "the server's jobs run on the pinned clock");
  for (const r of second.final.rows) assert.equal(r.status, 'ok', `${r.tf}: ${r.text}`);
  // The page reloads its coverage table after the job ends; wait for it rather than read it mid-refresh.
  const readCounts = async () =>
    (await page.evaluate(
      `Object.fromEntries([...document.querySelectorAll('#coverage tbody tr')].map((r) => [r.dataset.timeframe, Number(r.querySelector('.count').textContent.replace(/,/g, ''))]))`,
    )) as Record<string, number>;
  const counts = await waitFor(
    'the coverage table to show bars in every timeframe',
    async () => {
      const c = await readCounts();
      return ['1m', '5m', '15m', '1h', '4h', '1d'].every((tf) => (c[tf] ?? 0) > 0) ? c : undefined;
    },
    { intervalMs: 50 },
  );
  for (const tf of ['1m', '5m', '15m', '1h', '4h', '1d']) assert.ok((counts[tf] ?? 0) > 0, `${tf} bars: ${JSON.stringify(counts)}`);
  const coverage = await (await page.request.get(`${server.url}/api/market-data/coverage?instrument=MNQ`)).json();
  assert.deepEqual(coverage.map((c: { timeframe: string }) => c.timeframe).sort(), ['15m', '1d', '1h', '1m', '4h', '5m']);

  // The chart was redrawn with the new bars and the imported executions as markers.
  await page.waitForSelector('#chart[data-state="ready"]');
  assert.ok(Number(await page.getAttribute('#chart', 'data-bars')) > 20);
  assert.equal(Number(await page.getAttribute('#chart', 'data-markers')), 4);
  await screenshot(page, 'charts-updated');
  const metrics = await (await page.request.get(`${server.url}/metrics`)).text();
  assert.match(metrics, /tradelog_market_jobs_total\{origin="web",outcome="partial"\} 1\n/);
  assert.match(metrics, /tradelog_market_jobs_total\{origin="web",outcome="ok"\} 1\n/);
  const status = await page.goto(`${server.url}/status`);
  assert.equal(status?.status(), 200);
  assert.match((await page.textContent('#jobs')) ?? '', /MNQ \(web\)/);
  assert.deepEqual(problems.all(), []);
});
