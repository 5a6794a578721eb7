import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { type Bar, createBarsRepo } from '../../src/market-data/bars.repo.js';
import { ChartCache } from '../../src/market-data/chart-cache.js';
import { demoDataDir, launchBrowser, openPage, spawnServer } from '../helpers/browser.js';
import { tempDir, tempStore } from '../helpers/tmp.js';
import { decodeBinaryBars } from '../market-data/columns.js';

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
      const typed = ['t', 'o', 'h', 'l', 'c', 'v'].map((k) => b[k].constructor.name);
      return { typed, cols, drawn };
    })()`)) as { typed: string[]; cols: Columns; drawn: number[][] };
    // Quarter-point prices come as float32, volumes as uint32, both viewed on the answer's bytes.
    assert.deepEqual(seen.typed, ['Float64Array', 'Float32Array', 'Float32Array', 'Float32Array', 'Float32Array', 'Uint32Array']);
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

test('charts page decodes every column type of the binary form exactly, and refuses a cut answer', async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const server = await spawnServer(t, { dataDir: path.join(tempDir(t), 'data') });
  const { page } = await openPage(browser);
  await page.goto(`${server.url}/charts?instrument=MNQ&timeframe=1h`);
  await page.waitForSelector('#chart[data-state]');
  // Answers made by the server's cache: 6E prices are no float32 (float64 columns), one ES volume needs 40 bits
  // (float64), times 200 years apart do not fit a uint32 offset (float64), an odd count pads 4-byte columns.
  const repo = createBarsRepo(tempStore(t).market);
  const start = Date.UTC(2025, 0, 6) / 1000;
  const bars = Array.from({ length: 5 }, (_, i) => ({
    time: start + i * 60,
    open: 1.0835 + i * 0.00005,
    high: 1.3,
    low: 1,
    close: 1.0836,
    volume: i,
  }));
  repo.upsert('6E', '1m', bars, 'csv');
  repo.upsert(
    'ES',
    '1m',
    bars.map((b, i) => ({ ...b, open: 21000.25, high: 21001.5, low: 20999.75, close: 21000, volume: i === 3 ? 2 ** 40 : i })),
    'csv',
  );
  repo.upsert(
    'NQ',
    '1d',
    [
      { ...(bars[0] as Bar), time: Date.UTC(1900, 0, 2) / 1000 },
      { ...(bars[1] as Bar), time: Date.UTC(2100, 0, 4) / 1000 },
    ],
    'csv',
  );
  const cache = new ChartCache(repo);
  for (const [instrument, timeframe, types] of [
    ['6E', '1m', [3, 1, 1, 1, 1, 3]],
    ['ES', '1m', [3, 2, 2, 2, 2, 1]],
    ['NQ', '1d', [1, 1, 1, 1, 1, 3]],
    ['MNQ', '1m', [3, 2, 2, 2, 2, 3]],
  ] as const) {
    const body = cache.window(instrument, timeframe, {}).binary();
    const { types: stored, ...want } = decodeBinaryBars(body);
    assert.deepEqual(stored, types, instrument);
    const got = await page.evaluate(
      `(() => {
        const bars = window.TL.candles.decodeBars(new Uint8Array(${JSON.stringify([...body])}).buffer);
        return Object.fromEntries(Object.entries(bars).map(([k, v]) => [k, Array.from(v)]));
      })()`,
    );
    assert.deepEqual(got, want, instrument);
    const cut = await page.evaluate(
      `window.TL.candles.decodeBars(new Uint8Array(${JSON.stringify([...body.subarray(0, body.length - 4)])}).buffer)`,
    );
    assert.equal(cut, null, `${instrument} cut short`);
  }
});
