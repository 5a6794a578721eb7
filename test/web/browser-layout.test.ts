import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { demoDataDir, fileScope, launchBrowser, OUTPUT_DIR, openPage, type ServerProcess, spawnServer } from '../helpers/browser.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { TEST_NOW } from '../helpers/web.js';

// Every page at a phone's, a tablet's, a laptop's and a wide desktop's width, in the light and the dark theme, in
// real headless Chromium against `tradelog serve` (one browser, one server, signed in with an access token so the
// sign-in page and the header's sign-out are drawn too) on a data dir filled with the demo (pinned clock).
// Measured in the page (test/helpers/layout-probe.js): nothing wider than the window, no amount cut, the key
// columns of every table shown, every run of text at WCAG AA contrast against what is behind it (4.5:1, large text
// 3:1) and every field's border at 3:1 against what is around it. Screenshots:
// test-output/layout/<page>-<width>-<theme>.png.

const scope = fileScope();
const WIDTHS = [390, 768, 1366, 1920] as const;
const THEMES = ['light', 'dark'] as const;
const TOKEN = 'layout-test-token-7f3a9c';
const SHOTS = path.join(OUTPUT_DIR, 'layout');
const HELPERS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'helpers');
const LAYOUT = fs.readFileSync(path.join(HELPERS, 'layout-probe.js'), 'utf8');
const CHART = fs.readFileSync(path.join(HELPERS, 'chart-probe.js'), 'utf8');

let browser: BrowserContext | undefined;
let server: ServerProcess;
/** name → path of every page a person reaches. */
let pages: [string, string][];

before(async () => {
  browser = await launchBrowser(scope);
  if (!browser) return;
  const dataDir = path.join(tempDir(scope), 'data');
  await demoDataDir(dataDir, TEST_NOW);
  server = await spawnServer(scope, { dataDir, at: TEST_NOW, env: { TRADELOG_AUTH_TOKEN: TOKEN } });
  const page = await browser.newPage();
  await page.goto(`${server.url}/login`);
  await page.fill('input[name="token"]', TOKEN);
  await Promise.all([page.waitForURL(`${server.url}/`), page.click('button[type="submit"]')]);
  // The position with the most fills: the most markers and the longest executions table.
  const list = (await (await page.request.get(`${server.url}/api/positions?status=closed&pageSize=200`)).json()).items as {
    id: number;
    executionCount?: number;
    maxQuantity: number;
  }[];
  const busiest = [...list].sort((a, b) => (b.executionCount ?? b.maxQuantity) - (a.executionCount ?? a.maxQuantity))[0];
  assert.ok(busiest, 'the demo has closed positions');
  await page.close();
  pages = [
    ['dashboard', '/'],
    ['positions', '/positions'],
    ['position', `/positions/${busiest.id}`],
    ['statistics', '/statistics'],
    ['statistics-day', '/statistics?by=day'],
    ['charts', '/charts?instrument=MNQ&timeframe=5m&range=7d'],
    ['import', '/import'],
    ['settings', '/settings'],
    ['status', '/status'],
    ['login', '/login'],
  ];
});

interface Findings {
  overflow: string[];
  truncated: string[];
  hiddenKeys: string[];
  contrast: string[];
  scrollers: string[];
  texts: number;
}

const layout = (page: Page) => page.evaluate(`${LAYOUT}\n;layoutProbe.check()`) as Promise<Findings>;

/** A page with a candle chart is measured once the chart has drawn (polled: the CSP forbids waitForFunction). */
async function settle(page: Page): Promise<void> {
  if (!(await page.$('#chart'))) return;
  await waitFor(
    'the chart to finish drawing',
    async () => {
      const s = (await page.evaluate(`${CHART}\n;tlProbe.state()`)) as { state: string };
      return ['ready', 'empty', 'error'].includes(s.state) ? s : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 50 },
  );
}

/**
 * The widest amounts the calendar can show (compactPnl: at most 6 characters) put in every day of it: each must
 * still fit its day at this width.
 */
async function widestCalendarAmounts(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const cut = [];
    const days = [...document.querySelectorAll('#calendar .day .p')];
    const before = days.map((a) => a.textContent);
    for (const text of ['+$8.88', '-$888', '+$8.8k', '+$888k', '+$8.8M', '-$88M']) {
      for (const a of days) a.textContent = text;
      for (const a of days) if (a.scrollWidth > a.clientWidth || a.getBoundingClientRect().right > a.parentElement.getBoundingClientRect().right)
        cut.push(text + ' in a ' + a.clientWidth + 'px day');
    }
    days.forEach((a, i) => { a.textContent = before[i]; });
    return [...new Set(cut)];
  })()`) as Promise<string[]>;
}

test('the probe sees what it looks for: an overflowing box, a cut amount, faint text, a faint field border', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page } = await openPage(browser);
  await page.setViewportSize({ width: 390, height: 800 });
  await page.goto(`${server.url}/positions`);
  const clean = await layout(page);
  assert.deepEqual([...clean.overflow, ...clean.truncated, ...clean.contrast], []);
  await page.evaluate(`(() => {
    const wide = document.createElement('div');
    wide.style.width = '500px';
    wide.textContent = 'wider than a phone';
    document.querySelector('main').append(wide);
    const cell = document.querySelector('#positions td.num');
    cell.style.cssText = 'display:block;width:10px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap';
    const faint = document.createElement('p');
    faint.style.color = '#b0b0b0';
    faint.textContent = 'grey on white';
    document.querySelector('main').append(faint);
    const field = document.createElement('input');
    field.id = 'faint-field';
    field.style.borderColor = '#e0e0e0';
    document.querySelector('main').append(field);
  })()`);
  const bad = await layout(page);
  assert.ok(
    bad.overflow.some((s) => s.startsWith('document:')),
    JSON.stringify(bad.overflow),
  );
  assert.ok(
    bad.truncated.some((s) => s.includes('text-overflow ellipsis')),
    JSON.stringify(bad.truncated),
  );
  assert.ok(
    bad.contrast.some((s) => s.includes('"grey on white"')),
    JSON.stringify(bad.contrast),
  );
  assert.ok(
    bad.contrast.some((s) => s.startsWith('input#faint-field') && s.includes('border')),
    JSON.stringify(bad.contrast),
  );
  await page.close();
});

for (const theme of THEMES) {
  test(`every page in the ${theme} theme: no sideways scroll, no cut amount, key columns shown, AA contrast`, async (t) => {
    if (!browser) return t.skip('no chromium');
    const { page, problems } = await openPage(browser);
    // The system's preference, followed while the theme picker says "Auto".
    await page.emulateMedia({ colorScheme: theme });
    fs.mkdirSync(SHOTS, { recursive: true });
    const found: string[] = [];
    const scrollers: string[] = [];
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      for (const [name, url] of pages) {
        const res = await page.goto(`${server.url}${url}`);
        assert.equal(res?.status(), 200, url);
        await settle(page);
        assert.equal(await page.evaluate('window.TL.theme.current()'), theme, `${name} follows prefers-color-scheme`);
        const f = await layout(page);
        const at = `${name} ${width}px ${theme}`;
        assert.ok(f.texts > 5, `${at}: text measured (${f.texts} runs)`);
        for (const kind of ['overflow', 'truncated', 'hiddenKeys', 'contrast'] as const)
          for (const s of f[kind]) found.push(`${at} ${kind}: ${s}`);
        for (const s of f.scrollers) scrollers.push(`${at}: ${s}`);
        if (name === 'dashboard') for (const s of await widestCalendarAmounts(page)) found.push(`${at} calendar: ${s}`);
        await page.screenshot({ path: path.join(SHOTS, `${name}-${width}-${theme}.png`), fullPage: true });
      }
    }
    // A table may scroll inside its box only when the column chooser asked for more columns than fit: never by
    // default, at any of these widths.
    assert.deepEqual(scrollers, []);
    assert.deepEqual(found, []);
    assert.deepEqual(problems.all(), []);
    await page.close();
  });
}

interface Drawn {
  theme: string;
  setting: string;
  picker: string;
  /** The page's background and the most common colour of the candle chart's canvas, as #rrggbb. */
  page: string;
  canvas: string;
  /** The colour of a rising candle. */
  up: string;
  /** The volume histogram's pane. */
  panes: number;
}

/** What the charts page draws now, read back from the page and its canvas. */
function drawn(page: Page): Promise<Drawn> {
  return page.evaluate(`(() => {
    const hex = (c) => '#' + c.slice(0, 3).map((v) => v.toString(16).padStart(2, '0')).join('');
    const rgb = (s) => (s.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
    const api = window.TL.candles.created[0];
    const canvas = [...document.querySelectorAll('#chart canvas')].sort((a, b) => b.width * b.height - a.width * a.height)[0];
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const counts = new Map();
    for (let o = 0; o < d.length; o += 4 * 7) {
      const k = hex([d[o], d[o + 1], d[o + 2]]);
      counts.set(k, (counts.get(k) || 0) + 1);
    }
    const up = window.TL.candles.COLORS.UP;
    return {
      theme: window.TL.theme.current(),
      setting: window.TL.theme.setting(),
      picker: document.getElementById('theme-select').value,
      page: hex(rgb(getComputedStyle(document.body).backgroundColor)),
      canvas: [...counts].sort((a, b) => b[1] - a[1])[0][0],
      up,
      panes: api.chart.panes().length,
    };
  })()`) as Promise<Drawn>;
}

test('the theme picker pins light or dark over the system’s choice, is remembered, and the charts follow it at once', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page, problems } = await openPage(browser);
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`${server.url}/charts?instrument=MNQ&timeframe=5m&range=7d`);
  await settle(page);
  const upPixels = async () => ((await page.evaluate(`${CHART}\n;tlProbe.colours()`)) as { up: number }).up;
  const light = await drawn(page);
  assert.deepEqual(
    { theme: light.theme, setting: light.setting, picker: light.picker, panes: light.panes },
    { theme: 'light', setting: 'auto', picker: 'auto', panes: 2 },
    'the system’s light theme, and the volume in a pane of its own',
  );
  assert.ok((await upPixels()) > 300);

  // Dark, picked: the chart is drawn again in the dark palette without a reload.
  await page.selectOption('#theme-select', 'dark');
  const dark = await waitFor('the chart to be drawn dark', async () => {
    const d = await drawn(page);
    return d.theme === 'dark' && d.canvas !== light.canvas ? d : undefined;
  });
  assert.notEqual(dark.page, light.page);
  assert.notEqual(dark.up, light.up, 'candles take the dark theme’s green');
  assert.ok((await upPixels()) > 300, 'and are drawn in it');
  const lum = (h: string) => [1, 3, 5].reduce((s, i) => s + Number.parseInt(h.slice(i, i + 2), 16), 0) / 3;
  assert.ok(lum(dark.canvas) < 60 && lum(light.canvas) > 200, `${light.canvas} → ${dark.canvas}`);

  // Remembered: a reload (and another page) stays dark while the system still prefers light.
  await page.reload();
  await settle(page);
  const again = await drawn(page);
  assert.deepEqual([again.theme, again.setting, again.picker, again.canvas], ['dark', 'dark', 'dark', dark.canvas]);
  await page.goto(`${server.url}/`);
  const stroke = async () => page.evaluate(`getComputedStyle(document.querySelector('svg.line .stroke')).stroke`) as Promise<string>;
  const darkStroke = await stroke();

  // Auto again: the page follows the system, and follows it when it changes.
  await page.selectOption('#theme-select', 'auto');
  assert.equal(await page.evaluate('window.TL.theme.current()'), 'light');
  assert.notEqual(await stroke(), darkStroke, 'the server-drawn equity curve follows the theme');
  await page.goto(`${server.url}/charts?instrument=MNQ&timeframe=5m&range=7d`);
  await settle(page);
  await page.emulateMedia({ colorScheme: 'dark' });
  const followed = await waitFor('the chart to follow the system to dark', async () => {
    // A media query's change event fires in a rendering step; an idle headless page may not have one scheduled.
    await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => resolve(true)))');
    const d = await drawn(page);
    return d.theme === 'dark' && d.canvas === dark.canvas ? d : undefined;
  });
  assert.equal(followed.up, dark.up);
  assert.deepEqual(problems.all(), []);
  await page.close();
});

test('fills of one candle and side share one arrow labelled with their total; the tooltip still lists each', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page, problems } = await openPage(browser);
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.emulateMedia({ colorScheme: 'light' });
  const position = pages.find(([name]) => name === 'position')?.[1] as string;
  await page.goto(`${server.url}${position}`);
  await settle(page);
  let shared = 0;
  for (const tf of ['1m', '15m', '1h']) {
    await page.click(`#position-timeframes button[value="${tf}"]`);
    const check = await waitFor(`the ${tf} chart`, async () => {
      const r = (await page.evaluate(`(() => {
        const TL = window.TL;
        const api = TL.candles.created[0];
        if (document.getElementById('chart').dataset.state !== 'ready') return undefined;
        if (api.bars().t.length === 0) return undefined;
        const data = JSON.parse(document.getElementById('position-data').textContent);
        const bars = api.bars();
        const want = new Map();
        for (const e of data.executions) {
          const i = TL.candles.barIndexAt(bars.t, Date.parse(e.time) / 1000, '${tf}');
          if (i < 0) continue;
          const key = bars.t[i] + '|' + (e.side === 'buy' ? 'belowBar' : 'aboveBar');
          const w = want.get(key) || { quantity: 0, fills: 0 };
          want.set(key, { quantity: w.quantity + e.quantity, fills: w.fills + 1 });
        }
        return {
          timeframe: document.querySelector('#position-timeframes button[aria-pressed="true"]').value,
          want: [...want].map(([key, w]) => ({ key, ...w })),
          drawn: api.markers().map((m) => ({ key: m.time + '|' + m.position, text: m.text })),
        };
      })()`)) as
        | { timeframe: string; want: { key: string; quantity: number; fills: number }[]; drawn: { key: string; text: string }[] }
        | undefined;
      return r?.timeframe === tf ? r : undefined;
    });
    assert.deepEqual(check.drawn.map((d) => d.key).sort(), check.want.map((w) => w.key).sort(), `${tf}: one arrow per candle and side`);
    for (const d of check.drawn) {
      const w = check.want.find((x) => x.key === d.key);
      if (d.text) assert.equal(d.text, `${d.key.endsWith('belowBar') ? 'B' : 'S'}${w?.quantity}`, `${tf}: the label is the total`);
      if ((w?.fills ?? 0) > 1) shared++;
    }
  }
  assert.ok(shared > 0, 'some candle holds more than one fill of one side at 15m or 1h');
  // Pointing at a shared candle lists every fill in it.
  const tip = await page.evaluate(`(() => {
    const api = window.TL.candles.created[0];
    const m = api.markers().find((x) => String(x.id).includes('+'));
    const x = api.chart.timeScale().timeToCoordinate(m.time);
    const box = document.querySelector('#chart').getBoundingClientRect();
    return { x: box.left + x, y: box.top + 60 };
  })()`);
  const { x, y } = tip as { x: number; y: number };
  await page.mouse.move(x, y);
  const lines = await waitFor('the tooltip', async () => {
    const n = (await page.evaluate(`document.querySelectorAll('#chart-tip > div').length`)) as number;
    return n >= 2 ? n : undefined;
  });
  assert.ok(lines >= 2);
  assert.deepEqual(problems.all(), []);
  await page.close();
});

test('the column chooser shows and hides the columns that fold, remembers them, and never offers a key column', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page, problems } = await openPage(browser);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.goto(`${server.url}/positions`);
  const state = () =>
    page.evaluate(`(() => {
      const shown = (sel) => [...document.querySelectorAll(sel)].filter((e) => getComputedStyle(e).display !== 'none').map((e) => e.dataset.col);
      const chooser = document.querySelector('.col-chooser[data-table="positions"]');
      return {
        chooser: chooser ? !chooser.hidden : false,
        offered: [...document.querySelectorAll('.col-chooser[data-table="positions"] input')].map((i) => i.value),
        shown: shown('#positions thead th'),
        stored: localStorage.getItem('tl.columns'),
      };
    })()`) as Promise<{ chooser: boolean; offered: string[]; shown: string[]; stored: string | null }>;
  const before = await state();
  assert.ok(before.chooser, 'a chooser above the table');
  for (const key of ['opened', 'instrument', 'side', 'net']) {
    assert.ok(!before.offered.includes(key), `${key} is a key column: always shown, not offered`);
    assert.ok(before.shown.includes(key), `${key} shown`);
  }
  const folded = before.offered.filter((c) => !before.shown.includes(c));
  assert.ok(folded.length > 0, `some columns fold at 1366 px: ${JSON.stringify(before)}`);

  // Show every folded column and hide a shown one.
  await page.click('.col-chooser[data-table="positions"] summary');
  for (const c of folded) await page.check(`.col-chooser[data-table="positions"] input[value="${c}"]`);
  await page.uncheck('.col-chooser[data-table="positions"] input[value="closed"]');
  const chosen = await state();
  for (const c of folded) assert.ok(chosen.shown.includes(c), `${c} shown once ticked`);
  assert.ok(!chosen.shown.includes('closed'));
  // More columns than fit: the table scrolls inside its box, the page does not, and the key columns stay in view.
  let f = await layout(page);
  assert.deepEqual([...f.overflow, ...f.hiddenKeys], []);

  // Remembered across a reload, and applied before the page is drawn (no script needed to re-apply it).
  await page.reload();
  assert.deepEqual((await state()).shown, chosen.shown);
  f = await layout(page);
  assert.deepEqual([...f.overflow, ...f.hiddenKeys], []);

  // A phone shows cards with every other field, the default-folded ones too; what was hidden by choice stays out.
  await page.setViewportSize({ width: 390, height: 900 });
  const phone = (await page.evaluate(`(() => {
    const card = document.querySelector('#positions tbody tr:nth-child(2)');
    const display = (c) => getComputedStyle(card.querySelector('td.c-' + c)).display;
    return {
      chooser: document.querySelector('.col-chooser[data-table="positions"]').checkVisibility(),
      closed: display('closed'), gross: display('gross'), fills: display('fills'), account: display('account'),
      header: getComputedStyle(document.querySelector('#positions thead')).display,
    };
  })()`)) as Record<string, unknown>;
  assert.deepEqual(phone, { chooser: true, closed: 'none', gross: 'block', fills: 'block', account: 'block', header: 'none' });
  f = await layout(page);
  assert.deepEqual([...f.overflow, ...f.hiddenKeys, ...f.truncated], []);

  // "Default columns" forgets the choice.
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.click('.col-chooser[data-table="positions"] summary');
  await page.click('.col-chooser[data-table="positions"] button');
  const reset = await state();
  assert.deepEqual([reset.shown, reset.stored], [before.shown, null]);
  assert.deepEqual(problems.all(), []);
  await page.close();
});

test('charts take the width they are given and follow the window without a reload; volume has its own pane', async (t) => {
  if (!browser) return t.skip('no chromium');
  const { page, problems } = await openPage(browser);
  await page.emulateMedia({ colorScheme: 'light' });
  const sizes = () =>
    page.evaluate(`(() => {
      const api = window.TL.candles?.created[0];
      const box = (sel) => document.querySelector(sel)?.getBoundingClientRect().width;
      return {
        window: document.documentElement.clientWidth,
        chart: document.querySelector('#chart')?.clientWidth,
        // the library's own width: the time scale plus the price scale beside it
        drawn: api ? api.chart.timeScale().width() + api.chart.priceScale('right').width() : undefined,
        svg: box('svg.line'),
        svgCard: document.querySelector('svg.line')?.closest('.card')?.clientWidth,
      };
    })()`) as Promise<{ window: number; chart?: number; drawn?: number; svg?: number; svgCard?: number }>;
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.goto(`${server.url}/charts?instrument=MNQ&timeframe=5m&range=7d`);
  await settle(page);
  for (const width of [1366, 390, 768, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    const s = await waitFor(`the chart at ${width}px`, async () => {
      const x = await sizes();
      return x.window === width && Math.abs((x.drawn ?? 0) - (x.chart ?? 0)) <= 2 ? x : undefined;
    });
    assert.ok((s.chart ?? 0) > width * 0.8 && (s.chart ?? 0) <= width, `${width}px: ${JSON.stringify(s)}`);
  }
  // Volume is a pane of its own under the candles (a quarter of the height), named in the legend while it shows.
  const volume = () =>
    page.evaluate(`(() => {
      const api = window.TL.candles.created[0];
      const panes = api.chart.panes();
      return { panes: panes.length, volumeShare: panes.length > 1 ? Math.round((100 * panes[1].getHeight()) / (panes[0].getHeight() + panes[1].getHeight())) : 0, legend: document.getElementById('legend-volume').checkVisibility() };
    })()`) as Promise<{ panes: number; volumeShare: number; legend: boolean }>;
  const on = await volume();
  assert.ok(on.panes === 2 && on.legend && on.volumeShare >= 20 && on.volumeShare <= 30, JSON.stringify(on));
  await page.uncheck('#volume');
  assert.deepEqual(await waitFor('the volume pane to go', async () => ((await volume()).panes === 1 ? volume() : undefined)), {
    panes: 1,
    volumeShare: 0,
    legend: false,
  });
  await page.check('#volume');
  await page.goto(`${server.url}/`);
  for (const width of [1920, 390]) {
    await page.setViewportSize({ width, height: 900 });
    const s = await waitFor(`the equity curve at ${width}px`, async () => {
      const x = await sizes();
      return x.window === width ? x : undefined;
    });
    // the curve takes the card's width less its y axis (about 60 px) and the card's padding
    assert.ok((s.svg ?? 0) > (s.svgCard ?? 0) - 110 && (s.svg ?? 0) <= (s.svgCard ?? 0), `${width}px: ${JSON.stringify(s)}`);
  }
  assert.deepEqual(problems.all(), []);
  await page.close();
});
