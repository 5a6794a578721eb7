import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { formatPrice } from '../../src/instruments/prices.js';
import { BUILT_IN_SPECS } from '../../src/instruments/specs.js';
import { demoDataDir, fileScope, launchBrowser, openPage, type ServerProcess, screenshot, spawnServer } from '../helpers/browser.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { TEST_NOW } from '../helpers/web.js';

/** The tick of a built-in root (prices on the pages are written to it: src/instruments/prices.ts). */
function tickOf(root: string): number | undefined {
  return BUILT_IN_SPECS.find((s) => s.root === root)?.tickSize;
}

// Charts and forms as a new user meets them (issue 9, section 3: defects 2, 6, 7, 8), in real headless Chromium
// against `tradelog serve` on a data dir filled with the demo (pinned clock), at a phone's and a desktop's width.
// Screenshots go to test-output/.

const scope = fileScope();
const WIDTHS = [390, 1366] as const;
const PROBE = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'chart-probe.js'), 'utf8');

let browser: BrowserContext | undefined;
let server: ServerProcess;

before(async () => {
  browser = await launchBrowser(scope);
  if (!browser) return;
  const dataDir = path.join(tempDir(scope), 'data');
  await demoDataDir(dataDir, TEST_NOW);
  server = await spawnServer(scope, { dataDir, at: TEST_NOW });
});

function probe<T>(page: Page, call: string): Promise<T> {
  return page.evaluate(`${PROBE}\n;tlProbe.${call}`) as Promise<T>;
}

/** Wait until the chart has drawn (or failed): polled, since the CSP forbids waitForFunction's eval. */
async function chartState(page: Page): Promise<{ state: string; bars: number; markers: number }> {
  return waitFor(
    'the chart to finish drawing',
    async () => {
      const s = await probe<{ state: string; bars: number; markers: number }>(page, 'state()');
      return ['ready', 'empty', 'error'].includes(s.state) ? s : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 50 },
  );
}

async function positions(page: Page, query: string): Promise<{ id: number; openedAt: string; instrument: string }[]> {
  return (await (await page.request.get(`${server.url}/api/positions?${query}`)).json()).items;
}

type Box = { x: number; y: number; width: number; height: number };

/** Where the centre of the chart is, which element a click there reaches (inside #chart-empty or not). */
async function whatCoversTheChart(page: Page): Promise<{ overlay: boolean; chart: Box; empty: Box }> {
  return page.evaluate(`(() => {
    document.getElementById('chart').scrollIntoView({ block: 'center' });
    const chart = document.getElementById('chart').getBoundingClientRect();
    const empty = document.getElementById('chart-empty').getBoundingClientRect();
    const hit = document.elementFromPoint(chart.left + chart.width / 2, chart.top + chart.height / 2);
    return { overlay: Boolean(hit && hit.closest('#chart-empty')), chart: chart.toJSON(), empty: empty.toJSON() };
  })()`) as Promise<{ overlay: boolean; chart: Box; empty: Box }>;
}

test('a chart with no bars shows what to do where the chart is, at phone and desktop width', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page, problems } = await openPage(browser);
  // The oldest position predates the demo's 1m bars: its 1m chart is empty.
  const [oldest] = await positions(page, 'sort=openedAt&order=asc&pageSize=1');
  assert.ok(oldest);
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${server.url}/charts?instrument=NQ`);
    assert.equal((await chartState(page)).state, 'empty');
    const charts = await whatCoversTheChart(page);
    assert.ok(charts.overlay, `${width}px: the explanation is on top of the chart, not under its canvas`);
    assert.ok(Math.abs(charts.empty.height - charts.chart.height) < 3 && Math.abs(charts.empty.width - charts.chart.width) < 3);
    const text = (await page.textContent('#chart-empty')) ?? '';
    assert.match(text, /No 1h bars of NQ are stored yet\./);
    assert.match(text, /Update from API downloads them from Yahoo Finance/);
    assert.match(text, /tradelog ohlc import FILE --instrument NQ --timeframe 1h/);
    assert.ok(await page.isVisible('#chart-empty-update'));
    await screenshot(page, `chart-empty-charts-${width}`);

    await page.goto(`${server.url}/positions/${oldest.id}`);
    await chartState(page);
    await page.click('#position-timeframes button[value="1m"]');
    assert.equal((await chartState(page)).state, 'empty');
    const pos = await whatCoversTheChart(page);
    assert.ok(pos.overlay, `${width}px: the position's empty chart explains itself on top`);
    assert.match((await page.textContent('#chart-empty')) ?? '', /No 1m bars of (MNQ|ES) are stored around this position\./);
    await screenshot(page, `chart-empty-position-${width}`);
  }
  assert.deepEqual(problems.all(), []);
});

interface Labels {
  markers: number;
  labels: { text: string; time: number; pixels: number; onCandles: number; onMarkers: number }[];
  shared: { a: string; b: string; pixels: number }[];
}

test('chart marker labels cover no candle, arrow or other label, and a fill’s detail shows on hover', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page, problems } = await openPage(browser);
  const sample = (await positions(page, 'pageSize=60')).filter((_, i) => i % 6 === 0);
  let labelsSeen = 0;
  let markersSeen = 0;
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    for (const p of sample) {
      await page.goto(`${server.url}/positions/${p.id}`);
      const s = await chartState(page);
      assert.equal(s.state, 'ready', `position ${p.id}`);
      const check = await probe<Labels>(page, 'labels()');
      markersSeen += check.markers;
      // (a label of a fill outside the visible range draws nothing)
      labelsSeen += check.labels.filter((l) => l.pixels > 0).length;
      for (const l of check.labels) {
        assert.equal(l.onCandles, 0, `${width}px position ${p.id}: label ${l.text} covers a candle ${JSON.stringify(l)}`);
        assert.equal(l.onMarkers, 0, `${width}px position ${p.id}: label ${l.text} covers an arrow ${JSON.stringify(l)}`);
      }
      assert.deepEqual(check.shared, [], `${width}px position ${p.id}: labels overlap`);
    }
    await page.goto(`${server.url}/charts?instrument=MNQ&timeframe=5m&range=3d`);
    await chartState(page);
    const charts = await probe<Labels>(page, 'labels()');
    assert.ok(charts.markers > 5);
    for (const l of charts.labels) assert.ok(l.onCandles === 0 && l.onMarkers === 0, `${width}px charts: ${JSON.stringify(l)}`);
    assert.deepEqual(charts.shared, []);
    labelsSeen += charts.labels.filter((l) => l.pixels > 0).length;
    await screenshot(page, `chart-labels-charts-${width}`);
  }
  assert.ok(markersSeen > 20 && labelsSeen > 5, `labels are shown where there is room: ${labelsSeen} of ${markersSeen} markers`);

  // The full detail of a fill is in a tooltip over its candle.
  await page.setViewportSize({ width: 1366, height: 900 });
  const [p] = sample;
  assert.ok(p);
  await page.goto(`${server.url}/positions/${p.id}`);
  await chartState(page);
  // Point at the candle of the first fill (its position read just before each move), until the tooltip shows.
  const where = `(() => {
    const api = window.TL.candles.created[0];
    const m = api.markers()[0];
    const box = document.getElementById('chart').getBoundingClientRect();
    const x = api.chart.timeScale().timeToCoordinate(m.time);
    const y = api.candles.priceToCoordinate(api.bars().c[api.bars().t.indexOf(m.time)]);
    return { x: box.left + x, y: box.top + y, tip: !document.getElementById('chart-tip').classList.contains('hidden') };
  })()`;
  let shown = false;
  for (let i = 0; i < 20 && !shown; i++) {
    const at = (await page.evaluate(where)) as { x: number; y: number };
    await page.mouse.move(at.x - 15, at.y);
    await page.mouse.move(at.x, at.y, { steps: 3 });
    shown = ((await page.evaluate(where)) as { tip: boolean }).tip;
    if (!shown) await page.waitForTimeout(100);
  }
  assert.ok(shown, `the tooltip shows over the fill's candle: ${JSON.stringify(await page.evaluate(where))}`);
  const executions = (await (await page.request.get(`${server.url}/api/positions/${p.id}`)).json()).executions as {
    action: string;
    quantity: number;
    price: number;
  }[];
  const tip = (await page.textContent('#chart-tip')) ?? '';
  assert.ok(
    executions.some((e) => tip.includes(`${e.action} ${e.quantity} @ ${e.price}`)),
    `tooltip names the fill in full: ${tip}`,
  );
  await screenshot(page, 'chart-tooltip-1366');
  assert.deepEqual(problems.all(), []);
});

test('charts draw no unexplained last-price line: none on a position, a labelled one on the charts page', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page, problems } = await openPage(browser);
  const [p] = await positions(page, 'status=closed&pageSize=1');
  assert.ok(p);
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${server.url}/positions/${p.id}`);
    await chartState(page);
    const pos = (await page.evaluate(`(() => {
      const api = window.TL.candles.created[0];
      const o = api.candles.options();
      return { priceLine: o.priceLineVisible, lastValue: o.lastValueVisible, lines: api.candles.priceLines().map((l) => l.options()) };
    })()`)) as { priceLine: boolean; lastValue: boolean; lines: { price: number; title: string }[] };
    assert.equal(pos.priceLine, false, 'no line at the close of the last bar loaded (often off screen)');
    assert.equal(pos.lastValue, false);
    const detail = (await (await page.request.get(`${server.url}/api/positions/${p.id}`)).json()) as {
      root: string;
      avgEntryPrice: number;
      avgExitPrice: number;
    };
    assert.deepEqual(
      pos.lines.map((l) => l.price),
      [detail.avgEntryPrice, detail.avgExitPrice],
      'only the average entry and exit lines',
    );
    // Each line has its own entry in the legend, its swatch drawn in the line's colour.
    const legend = (await page.evaluate(`[...document.querySelectorAll('#chart-legend li')].map((li) => ({
      text: li.textContent.trim(),
      colour: getComputedStyle(li.querySelector('.sw')).borderTopColor,
    }))`)) as { text: string; colour: string }[];
    const hex = (rgb: string) =>
      `#${(rgb.match(/\d+/g) ?? [])
        .slice(0, 3)
        .map((v) => Number(v).toString(16).padStart(2, '0'))
        .join('')}`;
    const entry = legend.find((l) => l.text === `Average entry ${formatPrice(detail.avgEntryPrice, tickOf(detail.root))}`);
    const exit = legend.find((l) => l.text === `Average exit ${formatPrice(detail.avgExitPrice, tickOf(detail.root))}`);
    assert.ok(entry && exit, JSON.stringify(legend));
    const drawn = (c: string) => pos.lines.find((l) => (l as { color?: string }).color === c);
    assert.ok(
      drawn(hex(entry.colour)),
      `the entry line is drawn in its swatch's colour ${hex(entry.colour)}: ${JSON.stringify(pos.lines)}`,
    );
    assert.ok(drawn(hex(exit.colour)), `the exit line is drawn in its swatch's colour ${hex(exit.colour)}: ${JSON.stringify(pos.lines)}`);
    await screenshot(page, `chart-position-${width}`);

    await page.goto(`${server.url}/charts?instrument=MNQ&timeframe=5m&range=1d`);
    await chartState(page);
    const charts = (await page.evaluate(`(() => {
      const api = window.TL.candles.created[0];
      const bars = api.bars();
      return {
        priceLine: api.candles.options().priceLineVisible,
        lines: api.candles.priceLines().map((l) => l.options().price),
        lastClose: bars.c[bars.c.length - 1],
        precision: api.candles.options().priceFormat.precision,
      };
    })()`)) as { priceLine: boolean; lines: number[]; lastClose: number; precision: number };
    assert.equal(charts.priceLine, false);
    assert.deepEqual(charts.lines, [charts.lastClose]);
    const note = (await page.textContent('#last-close-note')) ?? '';
    assert.equal(
      note,
      `Newest stored close: ${charts.lastClose.toFixed(charts.precision)}, the 5m bar of 2026-11-20 13:55`,
      'what the line is and as of when (the 5m bar opening 21:55 UTC, in the trader’s zone)',
    );
    await screenshot(page, `chart-charts-${width}`);
  }
  assert.deepEqual(problems.all(), []);
});

test('forms a new user meets work without scripts: a bad point value next to its field, undo asks first, the file’s verdict shows', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page, problems } = await openPage(browser);
  // No script runs: every form here is plain HTML.
  await page.route(
    (url) => url.pathname.endsWith('.js'),
    (route) => route.abort(),
  );
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${server.url}/settings`);
    await page.fill('#instrument-form input[name="root"]', 'MES');
    await page.fill('#instrument-form input[name="pointValue"]', 'five');
    await page.fill('#instrument-form input[name="tickSize"]', '0.25');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.click('#instrument-form button[type="submit"]'),
    ]);
    assert.equal(res.status(), 400);
    assert.equal(await page.inputValue('#instrument-form input[name="pointValue"]'), 'five', 'what was typed is kept');
    assert.equal(await page.inputValue('#instrument-form input[name="root"]'), 'MES');
    const error = page.locator('#instrument-pointValue-error');
    assert.match((await error.textContent()) ?? '', /^"five" is not a point value: enter the dollars one contract gains per 1\.00 move/);
    const [field, message] = [await page.locator('#pointValue').boundingBox(), await error.boundingBox()];
    assert.ok(
      field && message && message.y >= field.y + field.height - 1 && message.y - (field.y + field.height) < 40,
      'the message is right under the field',
    );
    await error.scrollIntoViewIfNeeded();
    await screenshot(page, `settings-bad-point-value-${width}`);
  }

  // The demo's positions carry TradeValidation verdicts from its file: the form shows them.
  const list = (await (await page.request.get(`${server.url}/api/positions?pageSize=200`)).json()).items as {
    id: number;
    validity: string | null;
  }[];
  const judged = list.find((p) => p.validity === 'valid' || p.validity === 'invalid');
  assert.ok(judged, 'a position with a verdict from the file');
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${server.url}/positions/${judged.id}#journal`);
    assert.equal(await page.evaluate('typeof window.LightweightCharts'), 'undefined', 'no script ran');
    assert.match(
      (await page.textContent('#chart-empty')) ?? '',
      /Drawing the chart…The chart is drawn by this page's script/,
      'not a blank box',
    );
    const shown = await page.locator('#validity option:checked').textContent();
    assert.equal(shown, `${judged.validity} (from the imported file)`);
    await page.locator('#journal').scrollIntoViewIfNeeded();
    await screenshot(page, `position-verdict-${width}`);
  }
  // Last, as it empties the demo journal. Undo: the history's link opens a page that asks; "Keep it" changes nothing, the form's button undoes.
  await page.setViewportSize({ width: 390, height: 900 });
  await page.goto(`${server.url}/import`);
  const before = (await (await page.request.get(`${server.url}/api/positions?pageSize=1`)).json()).total as number;
  const link = page.locator('#history a[data-undo]').first();
  const id = await link.getAttribute('data-undo');
  await link.click();
  await page.waitForURL(new RegExp(`/import/${id}/undo$`));
  assert.match((await page.textContent('#undo-confirm')) ?? '', /This removes the \d+ executions? that .* added on/);
  await screenshot(page, 'import-undo-confirm-390');
  await page.click('#undo-cancel');
  await page.waitForURL(/\/import$/);
  assert.equal((await (await page.request.get(`${server.url}/api/positions?pageSize=1`)).json()).total, before, 'nothing was undone');
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.goto(`${server.url}/import/${id}/undo`);
  await screenshot(page, 'import-undo-confirm-1366');
  await page.click('#undo-confirm-btn');
  await page.waitForURL(new RegExp(`/import\\?undone=${id}$`));
  assert.ok((await (await page.request.get(`${server.url}/api/positions?pageSize=1`)).json()).total < before);

  // (the console reports the refused 400 and the scripts this test blocked; nothing else may go wrong)
  assert.deepEqual([...problems.pageErrors, ...problems.serverErrors], []);
});
