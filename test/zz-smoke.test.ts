import { test } from 'node:test';
import { loadDemo } from '../src/demo/demo.js';
import { manualClock } from '../src/clock.js';
import { buildTestApp } from './helpers/web.js';
import { launchBrowser } from './helpers/browser.js';

test('smoke', async (t) => {
  const NOW = Date.parse('2026-11-20T22:30:00Z');
  const { app } = await buildTestApp(t, { clock: manualClock(NOW) });
  const s = app.tradelog.services!;
  await loadDemo({ trades: s.trades, market: s.market, now: NOW });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const ctx = await launchBrowser(t);
  const page = await ctx!.newPage();
  for (const [name, u] of [['dash-year', '/?cal=2026'], ['dash-month', '/?period=this-week'], ['positions', '/positions?period=this-month'], ['position', '/positions/3'], ['stats', '/statistics?by=hour'], ['settings', '/settings']]) {
    await page.goto(url + u);
    const sel = name.startsWith('dash') ? '#calendar-card' : name === 'position' ? '#summary' : name === 'stats' ? '#groups' : name === 'settings' ? '#display-timezone' : '#positions';
    await page.locator(sel).screenshot({ path: `/tmp/hp/${name}.png` });
  }
});
