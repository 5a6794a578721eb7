import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { demoDataDir, launchBrowser, openPage, spawnServer } from '../helpers/browser.js';
import { tempDir } from '../helpers/tmp.js';

// The chart page reads bars in the binary form (typed arrays, no JSON): the candles it draws must be exactly the
// bars the JSON API answers for the same request.

type Columns = Record<'t' | 'o' | 'h' | 'l' | 'c' | 'v', number[]>;

test('charts page draws exactly the bars the JSON API answers for its request (read in the binary form)', async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const dataDir = path.join(tempDir(t), 'data');
  await demoDataDir(dataDir, Date.parse('2026-11-20T22:30:00Z'));
  const server = await spawnServer(t, { dataDir });
  const { page, problems } = await openPage(browser);
  const asked: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/bars/')) asked.push(r.url());
  });
  for (const [timeframe, range] of [
    ['5m', '7d'],
    ['1d', '1y'],
  ] as const) {
    asked.length = 0;
    await page.goto(`${server.url}/charts?instrument=MNQ&timeframe=${timeframe}&range=${range}`);
    await page.waitForSelector('#chart[data-state="ready"]');
    assert.equal(asked.length, 1, asked.join(' '));
    const url = new URL(asked[0] as string);
    assert.equal(url.searchParams.get('format'), 'binary');
    url.searchParams.delete('format');
    const json = (await (await page.request.get(url.toString())).json()) as Columns;
    assert.ok(json.t.length > 100, `${timeframe}: ${json.t.length} bars`);
    // What the page holds and what it gave the candlestick series (evaluated as a string: no DOM types here).
    const seen = (await page.evaluate(`(() => {
      const api = window.TL.candles.created[0];
      const b = api.bars();
      const cols = Object.fromEntries(['t', 'o', 'h', 'l', 'c', 'v'].map((k) => [k, Array.from(b[k])]));
      const drawn = api.candles.data().map((d) => [d.time, d.open, d.high, d.low, d.close]);
      return { typed: b.t instanceof Float64Array, cols, drawn };
    })()`)) as { typed: boolean; cols: Columns; drawn: number[][] };
    assert.ok(seen.typed, 'columns are Float64Arrays');
    const { t: times, o, h, l, c, v } = json;
    assert.deepEqual(seen.cols, { t: times, o, h, l, c, v }, timeframe);
    assert.deepEqual(
      seen.drawn,
      times.map((time, i) => [time, o[i], h[i], l[i], c[i]]),
      `${timeframe}: the candles drawn`,
    );
    assert.equal(await page.getAttribute('#chart', 'data-bars'), String(times.length));
  }
  assert.deepEqual(problems.all(), []);
});
