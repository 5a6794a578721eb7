import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { wallClockText } from '../../src/calendar/zone.js';
import { runCli } from '../helpers/cli.js';
import { buildTestApp, cookieHeader, cookiesFrom, TEST_NOW } from '../helpers/web.js';

const HEADER = 'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation';

/**
 * Read in UTC (TRADELOG_IMPORT_TIMEZONE): position 1 opens Friday 2026-11-20 15:00:00Z (07:00 Los Angeles, 00:00 the
 * next day in Tokyo) with two buys a tick apart, so its average entry falls between ticks (21000.125 on MNQ's 0.25
 * grid), and closes both contracts at 15:30Z: 1.75 points in total, 0.875 per contract.
 */
const CSV = [
  HEADER,
  'MNQ 12-26,Buy,1,21000.00,11/20/2026 3:00:00 PM,z1,Entry,1 L,zo1,Entry,$0.50,1,SIM1,Sim101,',
  'MNQ 12-26,Buy,1,21000.25,11/20/2026 3:00:00 PM,z2,Entry,2 L,zo2,Entry,$0.50,1,SIM1,Sim101,',
  'MNQ 12-26,Sell,2,21001.00,11/20/2026 3:30:00 PM,z3,Exit,-,zo3,Exit,$1.00,1,SIM1,Sim101,',
].join('\n');

const PAGES = ['/', '/positions', '/positions/1', '/charts', '/statistics?by=hour', '/import', '/settings', '/status'];

async function journal(t: TestContext, env: Record<string, string> = {}) {
  const built = await buildTestApp(t, { env: { TRADELOG_IMPORT_TIMEZONE: 'UTC', ...env } });
  const services = built.app.tradelog.services;
  assert.ok(services);
  const r = await services.trades.importFile({ name: 'zone.csv', content: CSV });
  assert.equal(r.status, 'imported', JSON.stringify(r.rejected));
  return built;
}

async function setDisplayZone(app: Awaited<ReturnType<typeof journal>>['app'], zone: string) {
  const form = await app.inject({ method: 'GET', url: '/settings' });
  const token = cookiesFrom(form).tl_csrf as string;
  return app.inject({
    method: 'POST',
    url: '/settings/display-timezone',
    headers: { cookie: cookieHeader({ tl_csrf: token }), accept: 'text/html' },
    payload: { _csrf: token, zone },
  });
}

async function page(app: Awaited<ReturnType<typeof journal>>['app'], url: string): Promise<string> {
  const res = await app.inject({ method: 'GET', url });
  assert.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 300)}`);
  return res.body;
}

/** The hour groups of the statistics page: hour → positions. */
function hourGroups(html: string): string[] {
  const table = /<table id="groups"[^>]*>([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  return [...table.matchAll(/<tr[^>]*>\s*<td[^>]*>(\d\d)<\/td>/g)].map((m) => m[1] as string);
}

function cli(dataDir: string, args: string[], env: Record<string, string> = {}) {
  return runCli([...args, '--data-dir', dataDir], { TRADELOG_IMPORT_TIMEZONE: 'UTC', ...env }, undefined, TEST_NOW);
}

test('display zone: every page, the hour statistics, the API, the CLI and exports follow it when it changes', async (t) => {
  const { app, paths } = await journal(t);

  // Default: the import zone (UTC).
  for (const url of PAGES) assert.match(await page(app, url), /id="zone-note">Times in <strong>UTC \(UTC\)<\/strong>/, url);
  assert.match(await page(app, '/positions/1'), /2026-11-20 15:00:00/);
  assert.deepEqual(hourGroups(await page(app, '/statistics?by=hour')), ['15']);
  assert.match(cli(paths.dataDir, ['positions']).stdout, /2026-11-20 15:00:00\s+2026-11-20 15:30:00/);

  const saved = await setDisplayZone(app, 'Asia/Tokyo');
  assert.equal(saved.statusCode, 303);

  // Every page names the zone and writes its times in it.
  for (const url of PAGES) {
    assert.match(await page(app, url), /id="zone-note">Times in <strong>Asia\/Tokyo \(UTC\+09:00\)<\/strong>/, url);
  }
  const dashboard = await page(app, '/');
  assert.match(dashboard, /href="\/positions\/1">2026-11-21 00:00:00</);
  const list = await page(app, '/positions');
  assert.match(list, /2026-11-21 00:00:00/);
  assert.doesNotMatch(list, /2026-11-20 15:00:00/);
  const detail = await page(app, '/positions/1');
  assert.match(detail, /<td[^>]*>2026-11-21 00:00:00<\/td><td[^>]*>Buy<\/td>/);
  assert.match(detail, /<td[^>]*>2026-11-21 00:30:00<\/td><td[^>]*>Sell<\/td>/);
  assert.match(detail, /"zone":"Asia\/Tokyo"/);
  const imported = app.tradelog.services?.trades.listImports()[0]?.importedAt ?? Number.NaN;
  assert.match(await page(app, '/import'), new RegExp(`<td[^>]*>${wallClockText(imported, 'Asia/Tokyo')}</td>`));
  assert.match(await page(app, '/settings'), /id="display-zone">Asia\/Tokyo</);

  // Hour statistics: the hour the position opened on Tokyo's clock, and the page says so.
  const hours = await page(app, '/statistics?by=hour');
  assert.deepEqual(hourGroups(hours), ['00']);
  assert.match(hours, /Hour opened \(Asia\/Tokyo\)/);
  const api = (await app.inject({ method: 'GET', url: '/api/stats?by=hour' })).json() as { hourZone: string; groups: { key: string }[] };
  assert.equal(api.hourZone, 'Asia/Tokyo');
  assert.deepEqual(
    api.groups.map((g) => g.key),
    ['00'],
  );

  // Exports: local times and hour groups in the display zone, named in the file.
  const csv = (await app.inject({ method: 'GET', url: '/export/positions.csv' })).body;
  assert.match(csv, /"2026-11-21 00:00:00"|2026-11-21 00:00:00/);
  assert.match(csv, /Asia\/Tokyo/);
  const hourCsv = (await app.inject({ method: 'GET', url: '/export/statistics.csv?by=hour' })).body.replace(/^\uFEFF/, '').split('\r\n');
  assert.match(hourCsv[0] ?? '', /^"?hour"?,"?time_zone"?,/);
  assert.match(hourCsv[1] ?? '', /^"?00"?,"Asia\/Tokyo",/);

  // The CLI reads the same setting from the journal.
  const positions = cli(paths.dataDir, ['positions']);
  assert.equal(positions.status, 0, positions.stderr);
  assert.match(positions.stdout, /2026-11-21 00:00:00\s+2026-11-21 00:30:00/);
  assert.match(positions.stdout, /times in Asia\/Tokyo \(UTC\+09:00 now\)/);
  const stats = cli(paths.dataDir, ['stats', '--by', 'hour']);
  assert.equal(stats.status, 0, stats.stderr);
  assert.match(stats.stdout, /^00\s+1\s/m);
  assert.match(stats.stdout, /hour opened, times in Asia\/Tokyo/);
  const history = cli(paths.dataDir, ['import', '--history']);
  assert.match(history.stdout, new RegExp(`#1  ${wallClockText(imported, 'Asia/Tokyo')}  imported`));
  const bars = path.join(paths.dataDir, 'bars.csv');
  fs.writeFileSync(bars, 'time,open,high,low,close,volume\n2026-11-20T15:00:00Z,21000,21002,20999,21001,120\n');
  assert.equal(cli(paths.dataDir, ['ohlc', 'import', bars, '--instrument', 'MNQ', '--timeframe', '1h']).status, 0);
  const barText = cli(paths.dataDir, ['ohlc', 'bars', 'MNQ', '--timeframe', '1h']).stdout;
  assert.match(barText, /^2026-11-21 00:00:00 {2}21000 {2}21002/m);
  assert.match(barText, /bar open, times in Asia\/Tokyo/);
  const exported = cli(paths.dataDir, ['export', 'positions']);
  assert.match(exported.stdout, /2026-11-21 00:00:00/);

  // --tz and TRADELOG_DISPLAY_TIMEZONE win over the setting, for one command.
  assert.match(cli(paths.dataDir, ['positions', '--tz', 'America/New_York']).stdout, /2026-11-20 10:00:00/);
  assert.match(cli(paths.dataDir, ['stats', '--by', 'hour', '--tz', 'America/New_York']).stdout, /^10\s+1\s/m);
  assert.match(cli(paths.dataDir, ['positions'], { TRADELOG_DISPLAY_TIMEZONE: 'Europe/London' }).stdout, /times in Europe\/London/);
  const bad = cli(paths.dataDir, ['positions', '--tz', 'Mars/Olympus']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /error TL_CONFIG_INVALID: Invalid setting flag --tz/);

  // Cleared: back to the import zone.
  assert.equal((await setDisplayZone(app, '')).statusCode, 303);
  assert.match(await page(app, '/positions/1'), /<td[^>]*>2026-11-20 15:00:00<\/td><td[^>]*>Buy<\/td>/);
  assert.deepEqual(hourGroups(await page(app, '/statistics?by=hour')), ['15']);
});

test('display zone setting refuses a name that is no zone, next to its field, and keeps the one in force', async (t) => {
  const { app } = await journal(t);
  const res = await setDisplayZone(app, 'Mars/Olympus');
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /id="display-zone-error">&quot;Mars\/Olympus&quot; is not a time zone/);
  assert.match(await page(app, '/positions'), /Times in <strong>UTC/);
  assert.deepEqual(app.tradelog.services?.trades.displayTimezone(), { zone: 'UTC', source: 'import zone' });
});

test('display zone from TRADELOG_DISPLAY_TIMEZONE wins over the setting and the settings page says so', async (t) => {
  const { app } = await journal(t, { TRADELOG_DISPLAY_TIMEZONE: 'America/Chicago' });
  assert.equal((await setDisplayZone(app, 'Asia/Tokyo')).statusCode, 303);
  const settings = await page(app, '/settings');
  assert.match(settings, /id="display-zone">America\/Chicago<\/strong> \(set by TRADELOG_DISPLAY_TIMEZONE/);
  // 15:00Z is 09:00 CST on 2026-11-20.
  assert.match(await page(app, '/positions/1'), /<td[^>]*>2026-11-20 09:00:00<\/td><td[^>]*>Buy<\/td>/);
  assert.match(await page(app, '/positions/1'), /Times in <strong>America\/Chicago \(UTC-06:00\)/);
});

test('prices are written to the instrument’s tick and points are labelled in total and per contract', async (t) => {
  const { app, paths } = await journal(t);
  const detail = await page(app, '/positions/1');
  // Fills on the grid: two decimals for MNQ's 0.25 tick; the average between ticks: two more and ≈.
  assert.match(detail, /<td class="num[^"]*"[^>]*>21000\.25<\/td>/);
  assert.match(detail, /id="avg-prices">≈21000\.1250 \/ 21001\.00</);
  assert.match(detail, /id="points-total">1\.75</);
  assert.match(detail, /id="points-per-contract">≈0\.8750 per contract × 2 contracts/);
  const list = await page(app, '/positions');
  assert.match(list, /Points \(total\)/);
  assert.match(
    list,
    /<td class="num[^"]*"[^>]*>≈21000\.1250<\/td>\s*<td class="num[^"]*"[^>]*>21001\.00<\/td>\s*<td class="num[^"]*"[^>]*>1\.75<\/td>/,
  );
  const text = cli(paths.dataDir, ['positions']).stdout;
  assert.match(text, /points \(total\)/);
  assert.match(text, /≈21000\.1250\s+21001\.00\s+1\.75/);
  // JSON keeps the exact values.
  const json = JSON.parse(cli(paths.dataDir, ['positions', '--json']).stdout) as { avgEntryPrice: number }[];
  assert.equal(json[0]?.avgEntryPrice, 21000.125);
});
