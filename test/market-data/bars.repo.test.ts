import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Bar, chunkSeconds, chunkStart, createBarsRepo, validateBar } from '../../src/market-data/bars.repo.js';
import { tempStore } from '../helpers/tmp.js';
import { columnsOf } from './columns.js';

const bar = (time: number, close = 100.25, volume = 10): Bar => ({ time, open: 100, high: 101, low: 99.5, close, volume });
const hourly = (n: number, start = 1_750_000_000) => Array.from({ length: n }, (_, i) => bar(start + i * 3600, 100 + (i % 4) * 0.25, i));

test('bars table is WITHOUT ROWID with primary key (instrument, timeframe, time)', (t) => {
  const store = tempStore(t);
  const sql = store.market.conn.prepare("SELECT sql FROM sqlite_schema WHERE name = 'bars'").pluck().get() as string;
  assert.match(sql, /WITHOUT ROWID/);
  assert.match(sql, /PRIMARY KEY \(instrument, timeframe, time\)/);
  const plan = store.market.conn
    .prepare(
      "EXPLAIN QUERY PLAN SELECT time FROM bars WHERE instrument = 'MNQ' AND timeframe = '1h' AND time >= 0 ORDER BY time DESC LIMIT 10",
    )
    .all() as { detail: string }[];
  assert.match(plan.map((p) => p.detail).join(' '), /SEARCH bars USING PRIMARY KEY/);
});

test('validateBar rejects non-finite, non-positive, inconsistent and fractional-volume bars', () => {
  assert.equal(validateBar(bar(60)), undefined);
  assert.match(validateBar({ ...bar(60), open: Number.NaN }) ?? '', /open NaN is not a finite number/);
  assert.match(validateBar({ ...bar(60), low: 0 }) ?? '', /low 0 is not positive/);
  assert.match(validateBar({ ...bar(60), low: 102 }) ?? '', /low 102 is above high 101/);
  assert.match(validateBar({ ...bar(60), open: 101.5 }) ?? '', /open 101.5 is outside/);
  assert.match(validateBar({ ...bar(60), close: 99 }) ?? '', /close 99 is outside/);
  assert.match(validateBar({ ...bar(60), volume: -1 }) ?? '', /volume -1/);
  assert.match(validateBar({ ...bar(60), volume: 1.5 }) ?? '', /volume 1.5/);
  assert.match(validateBar({ ...bar(60), time: 1.5 }) ?? '', /time 1.5/);
  assert.match(validateBar({ ...bar(60), high: Number.POSITIVE_INFINITY }) ?? '', /high Infinity/);
});

test('upsert stores valid bars, counts and reports rejected ones, and writes none of the rejected', (t) => {
  const repo = createBarsRepo(tempStore(t).market);
  const bars = hourly(5);
  bars[2] = { ...(bars[2] as Bar), low: 200 };
  bars[4] = { ...(bars[4] as Bar), volume: -3 };
  const result = repo.upsert('MNQ', '1h', bars, 'yahoo');
  assert.equal(result.received, 5);
  assert.equal(result.stored, 3);
  assert.equal(result.rejected, 2);
  assert.deepEqual(
    result.rejections.map((r) => r.index),
    [2, 4],
  );
  assert.match(result.rejections[0]?.reason ?? '', /low 200 is above high/);
  assert.deepEqual(
    repo.read('MNQ', '1h').map((b) => b.time),
    [bars[0], bars[1], bars[3]].map((b) => b?.time),
  );
});

test('upsert is idempotent: a second run stores nothing and adds no duplicates; changed values are updated', (t) => {
  const store = tempStore(t);
  const repo = createBarsRepo(store.market);
  const bars = hourly(100);
  assert.equal(repo.upsert('MNQ', '1h', bars, 'yahoo').stored, 100);
  const again = repo.upsert('MNQ', '1h', bars, 'yahoo');
  assert.equal(again.stored, 0);
  assert.equal(again.unchanged, 100);
  assert.equal(store.market.conn.prepare('SELECT count(*) FROM bars').pluck().get(), 100);
  const changed = bars.map((b, i) => (i === 99 ? { ...b, close: 100.75, volume: 500 } : b));
  assert.equal(repo.upsert('MNQ', '1h', changed, 'yahoo').stored, 1);
  assert.deepEqual(repo.read('MNQ', '1h', { limit: 1 })[0], { ...(bars[99] as Bar), close: 100.75, volume: 500 });
  // The same values from another source count as a change (the source is recorded).
  assert.equal(repo.upsert('MNQ', '1h', changed.slice(0, 10), 'csv').stored, 10);
  assert.equal(store.market.conn.prepare("SELECT count(*) FROM bars WHERE source = 'csv'").pluck().get(), 10);
});

test('upsert writes everything or nothing when the transaction fails', (t) => {
  const store = tempStore(t);
  const repo = createBarsRepo(store.market);
  repo.upsert('MNQ', '1h', hourly(3), 'yahoo');
  store.market.conn.exec("CREATE TRIGGER boom BEFORE INSERT ON bars WHEN NEW.time = 1750036000 BEGIN SELECT RAISE(ABORT, 'boom'); END");
  assert.throws(() => repo.upsert('MNQ', '1h', hourly(20), 'yahoo'), /boom/);
  assert.equal(store.market.conn.prepare('SELECT count(*) FROM bars').pluck().get(), 3);
});

test('read with a limit returns the newest bars of the range, oldest first', (t) => {
  const repo = createBarsRepo(tempStore(t).market);
  const bars = hourly(50);
  repo.upsert('MNQ', '1h', bars, 'yahoo');
  repo.upsert('MNQ', '5m', hourly(5), 'yahoo');
  repo.upsert('ES', '1h', hourly(5), 'yahoo');
  const times = bars.map((b) => b.time);
  assert.deepEqual(
    repo.read('MNQ', '1h', { limit: 3 }).map((b) => b.time),
    times.slice(47),
  );
  assert.deepEqual(
    repo.read('MNQ', '1h', { from: times[10], to: times[20], limit: 4 }).map((b) => b.time),
    times.slice(17, 21),
    'newest 4 inside [from, to], to inclusive',
  );
  assert.equal(repo.read('MNQ', '1h').length, 50);
  assert.throws(() => repo.read('MNQ', '1h', { from: 10, to: 5 }), { code: 'TL_MARKET_BAD_RANGE' });
  assert.throws(() => repo.read('MNQ', '1h', { limit: 0 }), { code: 'TL_MARKET_BAD_RANGE' });
  assert.throws(() => repo.read('MNQ SEP25', '1h'), { code: 'TL_MARKET_BAD_INSTRUMENT' });
});

test('readColumnar gives the newest bars as columns, oldest first', (t) => {
  const repo = createBarsRepo(tempStore(t).market);
  const bars = hourly(3000).map((b, i) => ({ ...b, open: 21850.25 + i * 0.25, high: 21900 + i * 0.25, close: 21850.5 + i * 0.25 }));
  repo.upsert('MNQ', '1h', bars, 'yahoo');
  const col = repo.readColumnar('MNQ', '1h');
  assert.equal(col.t.length, 2000, 'default limit 2,000');
  const newest = bars.slice(1000);
  assert.deepEqual(col, columnsOf(newest));
  assert.deepEqual(repo.readColumnar('MNQ', '1h', { limit: 10, to: bars[20]?.time }), columnsOf(bars.slice(11, 21)));
  assert.deepEqual(repo.readColumnar('ES', '1h'), { t: [], o: [], h: [], l: [], c: [], v: [] });
  // Stored out of order, in several transactions: the columns still come out oldest first.
  const shuffled = [...bars].sort((a, b) => ((a.time * 7919) % 3001) - ((b.time * 7919) % 3001));
  for (let i = 0; i < shuffled.length; i += 700) repo.upsert('NQ', '1h', shuffled.slice(i, i + 700), 'yahoo');
  assert.deepEqual(repo.readColumnar('NQ', '1h'), columnsOf(newest));
  assert.deepEqual(repo.readColumnar('NQ', '1h', { limit: 2500, from: bars[800]?.time }), columnsOf(bars.slice(800)));
});

test('upsert records the chunks whose bars changed, with a generation that grows, and nothing for a rerun', (t) => {
  const store = tempStore(t);
  const repo = createBarsRepo(store.market);
  assert.equal(repo.lastChangeGen(), 0);
  const span = chunkSeconds('1h');
  const start = chunkStart('1h', 1_750_000_000);
  // Two chunks' worth of hourly bars, given newest first.
  const bars = Array.from({ length: 2 * 1024 }, (_, i) => bar(start + i * 3600)).reverse();
  repo.upsert('MNQ', '1h', bars, 'yahoo');
  const first = repo.changesSince(0);
  assert.deepEqual(first, [
    { instrument: 'MNQ', timeframe: '1h', start, end: start + span, gen: 1 },
    { instrument: 'MNQ', timeframe: '1h', start: start + span, end: start + 2 * span, gen: 1 },
  ]);
  assert.equal(repo.upsert('MNQ', '1h', bars, 'yahoo').stored, 0);
  assert.deepEqual(repo.changesSince(1), [], 'an upsert that changed nothing records nothing');
  // One changed bar in the second chunk, and a daily bar stamped the evening before: its trading day's chunk.
  repo.upsert('MNQ', '1h', [{ ...(bars[0] as Bar), close: 100.5 }], 'csv');
  repo.upsert('MNQ', '1d', [bar(Date.UTC(2025, 5, 17, 22) / 1000)], 'yahoo');
  const day = Date.UTC(2025, 5, 18) / 1000;
  assert.deepEqual(repo.changesSince(1), [
    { instrument: 'MNQ', timeframe: '1h', start: start + span, end: start + 2 * span, gen: 2 },
    { instrument: 'MNQ', timeframe: '1d', start: chunkStart('1d', day), end: chunkStart('1d', day) + chunkSeconds('1d'), gen: 3 },
  ]);
  assert.equal(repo.lastChangeGen(), 3);
  // A failed upsert records nothing either.
  store.market.conn.exec("CREATE TRIGGER boom BEFORE INSERT ON bars WHEN NEW.instrument = 'ES' BEGIN SELECT RAISE(ABORT, 'boom'); END");
  assert.throws(() => repo.upsert('ES', '1h', bars, 'yahoo'), /boom/);
  assert.equal(repo.lastChangeGen(), 3);
});

test('coverage counts bars per instrument and timeframe with the oldest and newest time', (t) => {
  const repo = createBarsRepo(tempStore(t).market);
  repo.upsert('MNQ', '1h', hourly(10, 1000 * 3600), 'yahoo');
  // A daily bar at 00:00 UTC of a Tuesday (1970-04-14) is already its trading day's key.
  repo.upsert('MNQ', '1d', [bar(86400 * 103)], 'yahoo');
  repo.upsert('ES', '5m', hourly(2, 7200), 'csv');
  // By instrument, then by bar length: 1h before 1d (as text 1d would come first).
  assert.deepEqual(repo.coverage(), [
    { instrument: 'ES', timeframe: '5m', count: 2, first: 7200, last: 10800 },
    { instrument: 'MNQ', timeframe: '1h', count: 10, first: 3600000, last: 3600000 + 9 * 3600 },
    { instrument: 'MNQ', timeframe: '1d', count: 1, first: 8899200, last: 8899200 },
  ]);
  assert.equal(repo.coverage('ES').length, 1);
});
