import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { sessionFor, tradingDay } from '../../src/calendar/sessions.js';
import { manualClock } from '../../src/clock.js';
import { currentVersion, loadMigrations, migrate } from '../../src/db/migrate.js';
import { openDb } from '../../src/db/open.js';
import { loadDemo } from '../../src/demo/demo.js';
import { type Bar, createBarsRepo } from '../../src/market-data/bars.repo.js';
import { createYahooProvider } from '../../src/market-data/providers/yahoo.provider.js';
import { createMarketData } from '../../src/market-data/service.js';
import { barTime } from '../../src/market-data/timeframes.js';
import { parseTimeParam } from '../../src/time-param.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, tempStore } from '../helpers/tmp.js';
import { buildTestApp } from '../helpers/web.js';
import { startYahooStub } from '../helpers/yahoo-stub.js';

// One convention for daily bars everywhere: a daily bar is labelled and stored at 00:00 UTC of its CME trading day.
const sec = (iso: string) => Date.parse(iso) / 1000;
const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
const bar = (time: number, close = 100): Bar => ({ time, open: 100, high: 101, low: 99, close, volume: 10 });

test('barTime labels a daily bar with its trading day, whatever its source stamped it with', () => {
  const wed = sec('2025-06-18T00:00:00Z');
  for (const [stamp, why] of [
    ['2025-06-17T22:00:00Z', 'Tuesday 17:00 CDT: the session open of Wednesday (Yahoo, the demo)'],
    ['2025-06-18T00:00:00Z', 'midnight UTC (already the key)'],
    ['2025-06-18T04:00:00Z', 'midnight New York'],
    ['2025-06-18T05:00:00Z', 'midnight Chicago'],
    ['2025-06-18T21:00:00Z', 'the 16:00 CDT close'],
  ] as const) {
    assert.equal(barTime('1d', sec(stamp)), wed, why);
  }
  // Winter time: the session open is 23:00 UTC; Friday's evening and the weekend belong to Monday.
  assert.equal(day(barTime('1d', sec('2025-01-14T23:00:00Z'))), '2025-01-15');
  assert.equal(day(barTime('1d', sec('2025-01-14T22:30:00Z'))), '2025-01-14', '16:30 CST is still Tuesday');
  assert.equal(day(barTime('1d', sec('2025-06-20T22:00:00Z'))), '2025-06-23');
  assert.equal(day(barTime('1d', sec('2025-06-22T22:00:00Z'))), '2025-06-23', 'Sunday 17:00 CDT opens Monday');
  // Intraday bars keep their grid.
  assert.equal(barTime('1h', sec('2025-06-18T15:30:00Z')), sec('2025-06-18T15:00:00Z'));
});

test('bars.upsert stores every daily bar under its trading day, so no writer can store it otherwise', (t) => {
  const repo = createBarsRepo(tempStore(t).market);
  const r = repo.upsert('MNQ', '1d', [bar(sec('2025-06-16T22:00:00Z')), bar(sec('2025-06-18T05:00:00Z'))], 'csv');
  assert.equal(r.stored, 2);
  assert.deepEqual(
    repo.read('MNQ', '1d').map((b) => day(b.time)),
    ['2025-06-17', '2025-06-18'],
  );
  // The same days stamped another way are the same bars: nothing new, the values updated.
  const again = repo.upsert('MNQ', '1d', [bar(sec('2025-06-17T00:00:00Z'), 100.5)], 'csv');
  assert.equal(again.stored, 1);
  assert.deepEqual(
    repo.read('MNQ', '1d').map((b) => [day(b.time), b.close]),
    [
      ['2025-06-17', 100.5],
      ['2025-06-18', 100],
    ],
  );
});

test('download: Yahoo daily bars are stored under their trading day, a date range finds them, a rerun asks for nothing', async (t) => {
  const now = Date.parse('2025-06-18T15:30:00Z');
  const clock = manualClock(now);
  const stub = await startYahooStub({ clock });
  t.after(() => stub.close());
  const store = tempStore(t);
  const market = createMarketData({
    market: store.market,
    journal: store.journal,
    config: { yahooBaseUrl: stub.url, importTimezone: 'America/Los_Angeles', schedulerIntervalMinutes: 0 },
    provider: createYahooProvider({ baseUrl: stub.url, requestSpacingMs: 0 }),
    clock,
  });
  t.after(() => market.close());
  const report = await market.updateRecentData('MNQ', ['1d'], { days: 30 });
  assert.equal(report.timeframes[0]?.status, 'ok');
  const stored = market.readBars('MNQ', '1d');
  assert.ok(stored.length >= 20);
  for (const b of stored) {
    assert.equal(b.time % 86400, 0, `${day(b.time)} at 00:00 UTC`);
    assert.ok(sessionFor(day(b.time)), `${day(b.time)} is a trading day with a session`);
  }
  assert.equal(day(stored.at(-1)?.time ?? 0), '2025-06-18', 'the forming bar of today is today');
  // `ohlc bars --from 2025-06-17 --to 2025-06-17` is the bar of that day.
  const one = market.readBars('MNQ', '1d', { from: parseTimeParam('2025-06-17', 'from'), to: parseTimeParam('2025-06-17', 'to', true) });
  assert.deepEqual(
    one.map((b) => day(b.time)),
    ['2025-06-17'],
  );
  // The stored bars cover their sessions: nothing is left to ask for.
  assert.deepEqual(market.plan('MNQ', '1d', { days: 30 }), []);
});

test('file import: a date is the trading day in any zone, a moment is the trading day it falls in', (t) => {
  const store = tempStore(t);
  const market = createMarketData({
    market: store.market,
    journal: store.journal,
    config: { yahooBaseUrl: 'http://127.0.0.1:9', importTimezone: 'America/Los_Angeles', schedulerIntervalMinutes: 0 },
  });
  const csv = [
    'time,open,high,low,close,volume',
    '2025-06-16,100,101,99,100,10', // a date: Monday
    `${sec('2025-06-16T22:00:00Z')},100,101,99,100,10`, // Unix seconds of Monday 17:00 CDT: Tuesday's session open
    '2025-06-18T00:00:00+09:00,100,101,99,100,10', // midnight Tokyo = Tuesday 10:00 CDT: Tuesday again
  ].join('\n');
  const r = market.importBarText(csv, { instrument: 'MNQ', timeframe: '1d', timezone: 'Asia/Tokyo', skipInvalid: true });
  assert.deepEqual(r.rejected, [{ line: 4, reason: 'same trading day (2025-06-17) as line 3' }]);
  assert.deepEqual(
    market.readBars('MNQ', '1d').map((b) => day(b.time)),
    ['2025-06-16', '2025-06-17'],
  );
  // NinjaTrader's daily export in Tokyo: the date is the day (midnight Tokyo would be the previous day in Chicago).
  const nt = market.importBarText('20250618;100;101;99;100;10\n20250620;100;101;99;100;10\n', {
    instrument: 'MNQ',
    timeframe: '1d',
    timezone: 'Asia/Tokyo',
  });
  assert.equal(nt.stored, 2);
  assert.deepEqual(
    market.readBars('MNQ', '1d').map((b) => day(b.time)),
    ['2025-06-16', '2025-06-17', '2025-06-18', '2025-06-20'],
  );
  // A Sunday-dated bar belongs to Monday: with Monday's bar in the same file it is a duplicate, named by line.
  const sunday = market.importBarText('time,open,high,low,close,volume\n2025-06-22,1,1,1,1,1\n2025-06-23,1,1,1,1,1\n', {
    instrument: 'ES',
    timeframe: '1d',
  });
  assert.deepEqual(sunday.rejected, [{ line: 3, reason: 'same trading day (2025-06-23) as line 2' }]);
  assert.equal(sunday.stored, 0, 'the file is rejected whole');
});

test('legacy import: the old app’s daily bars land on their trading day (tradelog import-legacy)', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'futures_trades_clean.db');
  const legacy = new Database(file);
  legacy.exec(`
    CREATE TABLE trades (id INTEGER PRIMARY KEY, instrument TEXT, side_of_market TEXT, quantity INTEGER, entry_price REAL,
      entry_time TIMESTAMP, exit_time TIMESTAMP, exit_price REAL, account TEXT);
    CREATE TABLE ohlc_data (id INTEGER PRIMARY KEY, instrument TEXT NOT NULL, timeframe TEXT NOT NULL, timestamp INTEGER NOT NULL,
      open_price REAL NOT NULL, high_price REAL NOT NULL, low_price REAL NOT NULL, close_price REAL NOT NULL, volume INTEGER);
  `);
  // The old app stored Yahoo's daily bars at the 17:00 CT session open of the evening before (CST: 23:00 UTC).
  const insert = legacy.prepare(
    "INSERT INTO ohlc_data (instrument, timeframe, timestamp, open_price, high_price, low_price, close_price, volume) VALUES ('MNQ', '1d', ?, 100, 101, 99, 100, 10)",
  );
  for (const stamp of ['2025-11-03T23:00:00Z', '2025-11-04T23:00:00Z', '2025-11-06T23:00:00Z']) insert.run(sec(stamp));
  legacy.close();
  const dataDir = path.join(dir, 'data');
  const imported = runCli(['import-legacy', file, '--data-dir', dataDir, '--json']);
  assert.equal(JSON.parse(imported.stdout).bars, 3, imported.stderr);
  const listed = runCli(['ohlc', 'bars', 'MNQ', '--timeframe', '1d', '--json', '--data-dir', dataDir]);
  assert.equal(listed.status, 0, listed.stderr);
  assert.deepEqual(
    (JSON.parse(listed.stdout) as { time: number }[]).map((b) => day(b.time)),
    ['2025-11-04', '2025-11-05', '2025-11-07'],
  );
});

test('demo and chart API: daily bars are served at 00:00 UTC of their trading day and fills carry theirs', async (t) => {
  const now = Date.parse('2026-11-24T16:00:00Z');
  const { app } = await buildTestApp(t);
  const services = app.tradelog.services;
  assert.ok(services);
  await loadDemo({ trades: services.trades, market: services.market, clock: manualClock(now) });
  const bars = (await app.inject({ method: 'GET', url: '/api/bars/MNQ?timeframe=1d&limit=400' })).json() as { t: number[] };
  assert.ok(bars.t.length > 200);
  for (const t0 of bars.t) {
    assert.equal(t0 % 86400, 0);
    assert.ok(sessionFor(day(t0)), `${day(t0)} has a session`);
  }
  // The demo's last finished session is Monday 23 November 2026's (now is Tuesday morning, during Tuesday's).
  assert.equal(day(bars.t.at(-1) ?? 0), '2026-11-23');
  // Coverage lists timeframes by length here too (1h before 1d).
  const coverage = (await app.inject({ method: 'GET', url: '/api/market-data/coverage?instrument=MNQ' })).json() as { timeframe: string }[];
  assert.deepEqual(
    coverage.map((c) => c.timeframe),
    ['1m', '5m', '15m', '1h', '4h', '1d'],
  );
  const fills = (await app.inject({ method: 'GET', url: '/api/executions?instrument=MNQ' })).json() as {
    time: string;
    tradingDay: string;
  }[];
  assert.ok(fills.length > 10);
  const days = new Set(bars.t.map(day));
  for (const f of fills) {
    assert.equal(f.tradingDay, tradingDay(Date.parse(f.time)));
    assert.ok(days.has(f.tradingDay), `the daily chart has the bar of ${f.tradingDay} for the fill at ${f.time}`);
  }
});

test('migration market/0003 moves stored daily bars to their trading day and leaves other bars alone', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'market.db');
  const db = openDb(file, { name: 'market' });
  t.after(() => db.close());
  migrate(db, { backupsDir: path.join(dir, 'backups'), migrations: loadMigrations('market').slice(0, 2) });
  const insert = db.conn.prepare(
    "INSERT INTO bars (instrument, timeframe, time, open, high, low, close, volume, source) VALUES (?, ?, ?, 1, 1, 1, 1, 1, 'yahoo')",
  );
  // Every half hour across the DST rule change of 2007 and across 2025–2026, one instrument key per stamp.
  const stamps: number[] = [];
  for (const [from, to] of [
    ['2006-03-25', '2006-11-05'],
    ['2007-03-01', '2007-11-10'],
    ['2025-01-01', '2026-12-31'],
  ]) {
    for (let s = sec(`${from}T00:00:00Z`); s < sec(`${to}T00:00:00Z`); s += 1800) stamps.push(s);
  }
  db.write(() => {
    for (const [i, s] of stamps.entries()) insert.run(`K${i}`, '1d', s);
    // Two stamps of one day for one instrument (session open and midnight UTC), and an hourly bar.
    insert.run('MNQ', '1d', sec('2025-06-17T22:00:00Z'));
    insert.run('MNQ', '1d', sec('2025-06-18T00:00:00Z'));
    insert.run('MNQ', '1h', sec('2025-06-17T22:00:00Z'));
  });
  const result = migrate(db, { backupsDir: path.join(dir, 'backups'), migrations: loadMigrations('market').slice(0, 3) });
  assert.deepEqual(result.applied, ['rekey_daily_bars']);
  assert.equal(currentVersion(db), 3);
  assert.ok(result.backup, 'a verified backup was taken first');
  const rows = db.conn.prepare("SELECT instrument, time FROM bars WHERE timeframe = '1d' AND instrument LIKE 'K%'").all() as {
    instrument: string;
    time: number;
  }[];
  assert.equal(rows.length, stamps.length);
  const wrong = rows.filter((r) => r.time !== barTime('1d', stamps[Number(r.instrument.slice(1))] as number));
  assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} of ${rows.length} differ from the calendar`);
  assert.deepEqual(db.conn.prepare("SELECT timeframe, time FROM bars WHERE instrument = 'MNQ' ORDER BY timeframe").all(), [
    { timeframe: '1d', time: sec('2025-06-18T00:00:00Z') },
    { timeframe: '1h', time: sec('2025-06-17T22:00:00Z') },
  ]);
  db.close();
  const check = new Database(file, { readonly: true });
  assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
  check.close();
});
