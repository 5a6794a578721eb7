import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseBarFile } from '../../src/market-data/bar-file.js';
import { createMarketData } from '../../src/market-data/service.js';
import { tempDir, tempStore } from '../helpers/tmp.js';

const sec = (iso: string) => Date.parse(iso) / 1000;

function market(t: { after: (fn: () => void | Promise<void>) => void }) {
  const store = tempStore(t);
  const m = createMarketData({
    market: store.market,
    journal: store.journal,
    config: { yahooBaseUrl: 'http://127.0.0.1:9', importTimezone: 'America/Los_Angeles', schedulerIntervalMinutes: 0 },
  });
  return { store, m, count: () => store.market.conn.prepare('SELECT count(*) FROM bars').pluck().get() as number };
}

test('parseBarFile reads the CSV header format with Unix seconds, ISO with offset and ISO wall-clock times', () => {
  const text = [
    'time,open,high,low,close,volume',
    '1750251600,21788.75,21850.25,21761,21779,9877',
    '2025-06-18T14:00:00Z,21779,21800,21770.5,21790,1200',
    '2025-06-18T10:00:00-05:00,21790,21795,21760,21775.25,800',
    '"2025-06-18 11:00:00",21775.25,21780,21700,21702.75,0',
    '',
  ].join('\r\n');
  const got = parseBarFile(text, { timeframe: '1h', timezone: 'America/Chicago' });
  assert.equal(got.format, 'csv');
  assert.equal(got.read, 4);
  assert.deepEqual(got.rejected, []);
  assert.deepEqual(got.bars, [
    { time: 1750251600, open: 21788.75, high: 21850.25, low: 21761, close: 21779, volume: 9877 },
    { time: sec('2025-06-18T14:00:00Z'), open: 21779, high: 21800, low: 21770.5, close: 21790, volume: 1200 },
    { time: sec('2025-06-18T15:00:00Z'), open: 21790, high: 21795, low: 21760, close: 21775.25, volume: 800 },
    // 11:00 CDT.
    { time: sec('2025-06-18T16:00:00Z'), open: 21775.25, high: 21780, low: 21700, close: 21702.75, volume: 0 },
  ]);
});

test('parseBarFile reads a NinjaTrader export in its zone and moves close-stamped bars to their open', () => {
  const text = ['20250618 093100;21790;21792.5;21788;21791.25;120', '20250618 093200;21791.25;21795;21790;21794;98'].join('\n');
  const got = parseBarFile(text, { timeframe: '1m', timezone: 'America/New_York' });
  assert.equal(got.format, 'ninjatrader');
  // 09:31 EDT close = 13:31 UTC; the bar opened at 13:30 UTC.
  assert.deepEqual(
    got.bars.map((b) => b.time),
    [sec('2025-06-18T13:30:00Z'), sec('2025-06-18T13:31:00Z')],
  );
  const asOpen = parseBarFile(text, { timeframe: '1m', timezone: 'America/New_York', barTime: 'open' });
  assert.equal(asOpen.bars[0]?.time, sec('2025-06-18T13:31:00Z'));
  // A daily bar's date is its trading day, stored at 00:00 UTC of it (whatever the zone).
  const daily = parseBarFile('20250618;21700;21900;21650;21850.5;250000\n', { timeframe: '1d', timezone: 'America/Chicago' });
  assert.deepEqual(daily.bars, [
    { time: sec('2025-06-18T00:00:00Z'), open: 21700, high: 21900, low: 21650, close: 21850.5, volume: 250000 },
  ]);
});

test('parseBarFile names the line and the reason of every bad line', () => {
  const text = [
    'time,open,high,low,close,volume',
    '1750251600,100,101,99,100.5,10',
    '1750255200,100,101,99,100.5',
    '1750258800,abc,101,99,100.5,10',
    '2025-13-40T00:00:00Z,100,101,99,100.5,10',
    '1750262400,100,99,101,100.5,10',
    '1750266000,100,101,99,100.5,-4',
    '1750251600,100,101,99,100.5,10',
    '1750269600000,100,101,99,100.5,10',
  ].join('\n');
  const got = parseBarFile(text, { timeframe: '1h', timezone: 'UTC' });
  assert.equal(got.read, 8);
  assert.deepEqual(got.rejected, [
    { line: 3, reason: 'has 5 fields, expected 6 (time, open, high, low, close, volume)' },
    { line: 4, reason: 'open "abc" is not a number' },
    { line: 5, reason: '"2025-13-40T00:00:00Z" is not a valid date and time' },
    { line: 6, reason: 'low 101 is above high 99' },
    { line: 7, reason: 'volume -4 is not a whole number ≥ 0' },
    { line: 8, reason: 'same bar time as line 2' },
    { line: 9, reason: 'time 1750269600000 looks like milliseconds; give Unix seconds or ISO 8601' },
  ]);
});

test('parseBarFile refuses wall-clock times that do not exist or happen twice in the zone', () => {
  const text = ['20250309 023000;1;1;1;1;1', '20251102 013000;1;1;1;1;1', '20251102 003000;1;1;1;1;1'].join('\n');
  const got = parseBarFile(text, { timeframe: '1m', timezone: 'America/Chicago', barTime: 'open' });
  assert.deepEqual(got.rejected, [
    { line: 1, reason: '2025-03-09 02:30 does not exist in America/Chicago (clocks went forward)' },
    { line: 2, reason: '2025-11-02 01:30 happens twice in America/Chicago (clocks went back); the file cannot say which is meant' },
  ]);
  assert.deepEqual(
    got.bars.map((b) => b.time),
    [sec('2025-11-02T05:30:00Z')],
  );
});

test('parseBarFile rejects a file of an unknown format naming line 1, and an unknown zone', () => {
  assert.throws(
    () => parseBarFile('date;price\n1;2\n', { timeframe: '1m', timezone: 'UTC' }),
    (err: { code: string; message: string }) => {
      assert.equal(err.code, 'TL_MARKET_FILE_FORMAT');
      assert.match(err.message, /^Line 1 is "date;price"/);
      return true;
    },
  );
  assert.throws(() => parseBarFile('', { timeframe: '1m', timezone: 'UTC' }), { code: 'TL_MARKET_FILE_FORMAT' });
  assert.throws(() => parseBarFile('time,open,high,low,close,volume\n', { timeframe: '1m', timezone: 'Mars/Olympus' }), {
    code: 'TL_MARKET_FILE_FORMAT',
  });
});

test('importBarFile rejects a file with a malformed line whole, naming the line, and stores nothing of it', (t) => {
  const { m, count } = market(t);
  const dir = tempDir(t);
  const file = path.join(dir, 'mnq-1m.txt');
  const lines = Array.from({ length: 500 }, (_, i) => {
    const d = new Date(Date.UTC(2025, 5, 18, 13, 31 + i));
    const stamp = `${d.toISOString().slice(0, 10).replaceAll('-', '')} ${d.toISOString().slice(11, 19).replaceAll(':', '')}`;
    return `${stamp};21790;21792.5;21788;21791.25;${100 + i}`;
  });
  lines[313] = '20250618 183400;21790;21792.5;21788';
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  const r = m.importBarFile(file, { instrument: 'MNQ 09-25', timeframe: '1m', timezone: 'UTC' });
  assert.equal(r.read, 500);
  assert.equal(r.stored, 0);
  assert.deepEqual(r.rejected, [{ line: 314, reason: 'has 4 fields, expected 6 (time, open, high, low, close, volume)' }]);
  assert.equal(count(), 0, 'nothing partial stored');

  const skipped = m.importBarFile(file, { instrument: 'MNQ 09-25', timeframe: '1m', timezone: 'UTC', skipInvalid: true });
  assert.equal(skipped.stored, 499);
  assert.equal(skipped.instrument, 'MNQ');
  assert.equal(count(), 499);
  const again = m.importBarFile(file, { instrument: 'MNQ', timeframe: '1m', timezone: 'UTC', skipInvalid: true });
  assert.equal(again.stored, 0);
  assert.equal(again.unchanged, 499);
  assert.equal(count(), 499, 'importing again adds no duplicates');
});

test('importBarText of 1h bars also rebuilds the 4h bars; 4h itself cannot be imported', (t) => {
  const { m } = market(t);
  const text = [
    'time,open,high,low,close,volume',
    ...[22, 23, 0, 1, 2].map(
      (h, i) =>
        `2025-03-${h >= 22 ? '09' : '10'}T${String(h).padStart(2, '0')}:00:00Z,${110 + i},${111 + i},${109 + i},${110.5 + i},${3 + i}`,
    ),
  ].join('\n');
  const r = m.importBarText(text, { instrument: 'MNQ', timeframe: '1h' });
  assert.equal(r.stored, 5);
  assert.deepEqual(r.derived, { timeframe: '4h', stored: 2 });
  assert.deepEqual(
    m.readBars('MNQ', '4h').map((b) => [new Date(b.time * 1000).toISOString(), b.open, b.high, b.low, b.close, b.volume]),
    [
      ['2025-03-09T22:00:00.000Z', 110, 114, 109, 113.5, 18],
      ['2025-03-10T02:00:00.000Z', 114, 115, 113, 114.5, 7],
    ],
  );
  assert.throws(() => m.importBarText(text, { instrument: 'MNQ', timeframe: '4h' }), { code: 'TL_MARKET_DERIVED_TIMEFRAME' });
  assert.throws(() => m.importBarFile('/nonexistent/bars.csv', { instrument: 'MNQ', timeframe: '1h' }), {
    code: 'TL_MARKET_FILE_UNREADABLE',
  });
});
