import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { demoDataDir, launchBrowser, openPage, spawnServer } from '../helpers/browser.js';
import { tempDir } from '../helpers/tmp.js';

// A daily candle is labelled with its CME trading day on the chart (not the calendar day its session opened, the
// evening before in the trader's zone), and a fill sits on the candle of its trading day.

test('charts label daily candles with their trading day and put fills on their trading day’s candle', async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const dataDir = path.join(tempDir(t), 'data');
  // Tuesday 24 November 2026, 10:00 CST: the demo's last finished session is Monday's.
  await demoDataDir(dataDir, Date.parse('2026-11-24T16:00:00Z'));
  // The trader reads times in Los Angeles: there a session open (15:00 PST) is on the previous calendar day.
  const server = await spawnServer(t, { dataDir, env: { TRADELOG_IMPORT_TIMEZONE: 'America/Los_Angeles' } });
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.url}/charts?instrument=MNQ&timeframe=1d&range=1y`);
  await page.waitForSelector('#chart[data-state="ready"]');
  const fills = await (await page.request.get(`${server.url}/api/executions?instrument=MNQ`)).json();
  // Evaluated in the page (a string: the test's own types know no DOM).
  const seen = (await page.evaluate(`(() => {
    const executions = ${JSON.stringify(fills)};
    const api = window.TL.candles.created[0];
    const bars = api.bars();
    const last = bars.t[bars.t.length - 1];
    const options = api.chart.options();
    const markers = window.TL.candles.executionMarkers(bars, '1d', executions);
    return {
      last,
      crosshairLabel: options.localization.timeFormatter(last),
      axisDay: options.timeScale.tickMarkFormatter(last, 2),
      markerDays: markers.map((m) => new Date(m.time * 1000).toISOString().slice(0, 10)),
    };
  })()`)) as { last: number; crosshairLabel: string; axisDay: string; markerDays: string[] };
  assert.equal(new Date(seen.last * 1000).toISOString(), '2026-11-23T00:00:00.000Z');
  assert.equal(seen.crosshairLabel, '2026-11-23', 'the last candle is Monday’s');
  assert.equal(seen.axisDay, '23');
  const expected = (fills as { tradingDay: string }[]).map((f) => f.tradingDay).sort();
  assert.ok(expected.length > 10);
  assert.deepEqual(seen.markerDays.sort(), expected, 'every fill on its trading day’s candle');
  assert.deepEqual(problems.all(), []);
});
