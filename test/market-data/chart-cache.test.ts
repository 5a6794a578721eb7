import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStore } from '../../src/db/store.js';
import { type Bar, type BarsRepo, chunkSeconds, chunkStart, createBarsRepo, type RangeQuery } from '../../src/market-data/bars.repo.js';
import { ChartCache, type ChartWindow } from '../../src/market-data/chart-cache.js';
import { parseBarsQuery } from '../../src/market-data/query.js';
import type { TimeframeId } from '../../src/market-data/timeframes.js';
import { tempStore } from '../helpers/tmp.js';
import { columnsOf, decodeBinaryBars } from './columns.js';

// Every window the chart cache answers must be the window the database answers: the newest `limit` bars of
// [from, to], oldest first. Checked on windows of every kind (random, at chunk edges, empty, beyond the data), in
// both forms, with the cache large, tiny (evicting all the time) and off, and again after bars change.

/** A seeded generator, so a failure names a window that can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** 1m bars of the CME week (Sunday 17:00 CT to Friday 16:00 CT, a break 16:00–17:00 CT daily), `days` days from `start`. */
function minuteBars(start: number, days: number, priceSeed = 1): Bar[] {
  const out: Bar[] = [];
  let price = 20000 + priceSeed;
  for (let t = start; t < start + days * 86400; t += 60) {
    const d = new Date(t * 1000);
    const day = d.getUTCDay();
    const hour = d.getUTCHours();
    // CST is UTC-6: the break is 22:00–23:00 UTC; closed from Friday 22:00 to Sunday 23:00 UTC.
    if (hour === 22 || day === 6 || (day === 5 && hour > 22) || (day === 0 && hour < 23)) continue;
    const open = price;
    price = Math.max(1, price + (((t / 60) * 7919) % 13) * 0.25 - 1.5);
    out.push({
      time: t,
      open,
      high: Math.max(open, price) + 0.25,
      low: Math.min(open, price) - 0.25,
      close: price,
      volume: (t / 60) % 500,
    });
  }
  return out;
}

/** What the database answers for the window (read directly, no cache). */
function fromDb(repo: BarsRepo, instrument: string, timeframe: TimeframeId, query: RangeQuery) {
  return { instrument, timeframe, ...columnsOf(repo.read(instrument, timeframe, { limit: 2000, ...query })) };
}

/** Both forms of a window, decoded to plain columns. */
function decoded(w: ChartWindow) {
  const json = JSON.parse(w.json().toString('utf8'));
  const { types: _, ...cols } = decodeBinaryBars(w.binary());
  assert.equal(w.count, cols.t.length);
  return { json, binary: { instrument: w.instrument, timeframe: w.timeframe, ...cols } };
}

function assertSame(
  caches: ChartCache[],
  repo: BarsRepo,
  instrument: string,
  timeframe: TimeframeId,
  query: RangeQuery,
  why: string,
): void {
  const expected = fromDb(repo, instrument, timeframe, query);
  for (const cache of caches) {
    const { json, binary } = decoded(cache.window(instrument, timeframe, query));
    const label = `${why}: ${instrument} ${timeframe} ${JSON.stringify(query)} (cache of ${cache.maxBytes} bytes)`;
    // Compared as text first (fast on 100,000 bars); deepEqual names the difference when there is one.
    const want = JSON.stringify(expected);
    if (JSON.stringify(json) !== want) assert.deepEqual(json, expected, `${label}, JSON`);
    if (JSON.stringify(binary) !== want) assert.deepEqual(binary, expected, `${label}, binary`);
  }
}

/** Windows of every kind over bars with times `times`: random ranges and limits, and ranges that start or end on chunk edges. */
function windows(timeframe: TimeframeId, times: number[], rnd: () => number, count: number): RangeQuery[] {
  const span = chunkSeconds(timeframe);
  const first = times[0] as number;
  const last = times[times.length - 1] as number;
  const pick = () => times[Math.floor(rnd() * times.length)] as number;
  const edge = () => {
    const c = chunkStart(timeframe, pick());
    return [c - 1, c, c + 1, c + span - 1][Math.floor(rnd() * 4)] as number;
  };
  const limit = () => [1, 7, 500, 1023, 1024, 1025, 2000, 2000, 5000][Math.floor(rnd() * 9)] as number;
  const out: RangeQuery[] = [{}, { limit: 1 }, { limit: 100_000 }, { to: first - 1 }, { from: last + 1 }, { from: first, to: first }];
  for (let i = 0; i < count; i++) {
    const a = rnd() < 0.5 ? edge() : pick() + Math.floor((rnd() - 0.5) * 600);
    const b = rnd() < 0.5 ? edge() : pick();
    const [from, to] = a <= b ? [a, b] : [b, a];
    const shape = Math.floor(rnd() * 4);
    if (shape === 0) out.push({ to, limit: limit() });
    else if (shape === 1) out.push({ from, limit: limit() });
    else out.push({ from, to, limit: limit() });
  }
  return out;
}

test('chart cache windows equal the database’s answer for random windows, windows at chunk edges and beyond the data', (t) => {
  const store = tempStore(t);
  const repo = createBarsRepo(store.market);
  // Six weeks of 1m bars (weekends and daily breaks make empty and part-filled chunks), a gap of two weeks, two more.
  const start = Date.UTC(2025, 0, 5, 23) / 1000;
  const bars = [...minuteBars(start, 42), ...minuteBars(start + 56 * 86400, 14, 5)];
  repo.upsert('MNQ', '1m', bars, 'csv');
  repo.upsert(
    'ES',
    '1h',
    minuteBars(start, 300).filter((b) => b.time % 3600 === 0),
    'csv',
  );
  const caches = [new ChartCache(repo), new ChartCache(repo, 300_000), new ChartCache(repo, 0)];
  const rnd = random(11);
  const times = bars.map((b) => b.time);
  for (const q of windows('1m', times, rnd, 150)) assertSame(caches, repo, 'MNQ', '1m', q, 'window');
  const hourTimes = repo.read('ES', '1h').map((b) => b.time);
  for (const q of windows('1h', hourTimes, rnd, 60)) assertSame(caches, repo, 'ES', '1h', q, 'hourly window');
  // Nothing stored for this instrument or timeframe.
  assertSame(caches, repo, 'NQ', '1m', {}, 'no bars');
  assertSame(caches, repo, 'MNQ', '5m', { to: start + 86400 }, 'no bars');
  // The bound holds, and the large cache answered from memory.
  for (const cache of caches) assert.ok(cache.stats().bytes <= cache.maxBytes, JSON.stringify(cache.stats()));
  assert.ok((caches[0]?.stats().hits ?? 0) > 300, JSON.stringify(caches[0]?.stats()));
  assert.equal(caches[2]?.stats().entries, 0);
});

test('chart cache windows follow new, changed and back-filled bars, written by this connection or another one', (t) => {
  const store = tempStore(t);
  const repo = createBarsRepo(store.market);
  const start = Date.UTC(2025, 2, 2, 23) / 1000;
  const all = minuteBars(start, 30);
  // The first three weeks, without the second week (a hole to back-fill later), and not the last nine days.
  const week = 7 * 86400;
  const inHole = (b: Bar) => b.time >= start + week && b.time < start + 2 * week;
  const stored = all.filter((b) => b.time < start + 21 * 86400 && !inHole(b));
  repo.upsert('MNQ', '1m', stored, 'csv');
  const caches = [new ChartCache(repo), new ChartCache(repo, 200_000)];
  const rnd = random(5);
  const check = (why: string) => {
    const times = repo.read('MNQ', '1m').map((b) => b.time);
    for (const q of windows('1m', times, rnd, 60)) assertSame(caches, repo, 'MNQ', '1m', q, why);
  };
  check('before any change');
  const before = caches[0]?.window('MNQ', '1m', { limit: 100_000 }).version;

  // New bars at the end (a download), through this connection.
  repo.upsert(
    'MNQ',
    '1m',
    all.filter((b) => b.time >= start + 21 * 86400 && b.time < start + 25 * 86400),
    'yahoo',
  );
  check('after new bars');
  assert.notEqual(caches[0]?.window('MNQ', '1m', { limit: 100_000 }).version, before, 'the version moves with the bars');

  // Through another connection (another process would do the same: the change is recorded in market.db).
  const other = openStore(store.paths);
  t.after(() => other.close());
  const otherRepo = createBarsRepo(other.market);
  // History rewritten in the middle (a file import with other prices).
  const middle = stored.filter((b) => b.time >= start + 15 * 86400 && b.time < start + 16 * 86400);
  otherRepo.upsert(
    'MNQ',
    '1m',
    middle.map((b) => ({ ...b, close: b.low, volume: b.volume + 1 })),
    'csv',
  );
  check('after history rewritten by another connection');
  // The hole filled: chunks that were empty get bars, and the chunks after it find them.
  otherRepo.upsert('MNQ', '1m', all.filter(inHole), 'csv');
  check('after the hole was filled');
  // The rest, and a rerun that changes nothing (no chunk is dropped for it).
  otherRepo.upsert('MNQ', '1m', all, 'csv');
  check('after everything');
  const misses = caches[0]?.stats().misses ?? 0;
  assert.equal(otherRepo.upsert('MNQ', '1m', all, 'csv').stored, 0);
  caches[0]?.window('MNQ', '1m', { limit: 100_000 });
  assert.equal(caches[0]?.stats().misses, misses, 'an upsert that changed nothing drops nothing');
  // Another instrument's change leaves this one's version alone.
  const version = caches[0]?.window('MNQ', '1m', {}).version;
  otherRepo.upsert('ES', '1m', all.slice(0, 10), 'csv');
  assert.equal(caches[0]?.window('MNQ', '1m', {}).version, version);
});

test('chart cache windows of daily bars (stored at 00:00 UTC of the trading day) equal the database’s across chunk edges and date-only ranges', (t) => {
  const store = tempStore(t);
  const repo = createBarsRepo(store.market);
  // Daily bars stamped the way Yahoo stamps them, at the 17:00 CT session open the evening before (23:00 UTC in
  // winter, 22:00 UTC in summer): stored under their trading day. Fourteen years, across several 1,024-day chunks.
  const bars: Bar[] = [];
  for (let day = Date.UTC(2012, 0, 2) / 1000; day < Date.UTC(2026, 0, 1) / 1000; day += 86400) {
    const dow = new Date(day * 1000).getUTCDay();
    if (dow === 0 || dow === 6) continue;
    const month = new Date(day * 1000).getUTCMonth();
    const open = 5000 + (day / 86400) * 0.25;
    bars.push({
      time: day - (month >= 3 && month <= 9 ? 7200 : 3600),
      open,
      high: open + 10,
      low: open - 10,
      close: open + 2.5,
      volume: 1000,
    });
  }
  repo.upsert('ES', '1d', bars, 'yahoo');
  const stored = repo.read('ES', '1d');
  assert.ok(
    stored.every((b) => b.time % 86400 === 0),
    'every daily bar at 00:00 UTC',
  );
  const caches = [new ChartCache(repo), new ChartCache(repo, 100_000)];
  const rnd = random(3);
  const times = stored.map((b) => b.time);
  for (const q of windows('1d', times, rnd, 150)) assertSame(caches, repo, 'ES', '1d', q, 'daily window');
  // Ranges as the API reads them: a date alone as `to` includes that day's bar; chunk edges as dates.
  const span = chunkSeconds('1d');
  for (const time of [times[100] as number, chunkStart('1d', times[1500] as number), chunkStart('1d', times[1500] as number) + span]) {
    for (const d of [time - 86400, time, time + 86400]) {
      const date = new Date(d * 1000).toISOString().slice(0, 10);
      const { timeframe, query } = parseBarsQuery({ timeframe: '1d', from: date, to: date, limit: '10' });
      assertSame(caches, repo, 'ES', timeframe, query, `the day ${date}`);
      const upTo = parseBarsQuery({ timeframe: '1d', to: date, limit: '300' });
      assertSame(caches, repo, 'ES', upTo.timeframe, upTo.query, `up to ${date}`);
    }
  }
  // A late correction of one day's bar (stamped at midnight Chicago this time) replaces that day's bar in the cache.
  const day = times[2000] as number;
  repo.upsert('ES', '1d', [{ time: day + 6 * 3600, open: 1, high: 2, low: 0.5, close: 1.5, volume: 7 }], 'csv');
  for (const q of [{ to: day }, { from: day, to: day }, { to: day + 86400 * 30, limit: 50 }])
    assertSame(caches, repo, 'ES', '1d', q, 'corrected day');
  assert.equal(caches[0]?.window('ES', '1d', { from: day, to: day }).json().toString().includes('"c":[1.5]'), true);
});

test('chart cache stays within its memory bound and counts hits and misses', (t) => {
  const repo = createBarsRepo(tempStore(t).market);
  const start = Date.UTC(2025, 0, 5, 23) / 1000;
  repo.upsert('MNQ', '1m', minuteBars(start, 60), 'csv');
  const bound = 1024 * 1024;
  const cache = new ChartCache(repo, bound);
  const rnd = random(9);
  for (let i = 0; i < 300; i++) {
    const w = cache.window('MNQ', '1m', { to: start + Math.floor(rnd() * 60 * 86400), limit: 2000 });
    if (i % 2 === 0) w.json();
    assert.ok(cache.stats().bytes <= bound, `${JSON.stringify(cache.stats())} after window ${i}`);
  }
  const s = cache.stats();
  assert.ok(s.entries > 5 && s.hits > 0 && s.misses > s.entries, `it evicted and kept answering: ${JSON.stringify(s)}`);
  // The JSON text counts against the bound too: the same chunks cost about twice as much once asked for in JSON.
  const large = new ChartCache(repo);
  large.window('MNQ', '1m', { limit: 100_000 }).binary();
  const binaryOnly = large.stats();
  large.window('MNQ', '1m', { limit: 100_000 }).json();
  const both = large.stats();
  assert.ok(both.entries > binaryOnly.entries);
  assert.ok(both.bytes > 1.6 * binaryOnly.bytes, `${binaryOnly.bytes} bytes, then ${both.bytes} with the JSON text`);
});

test('chart cache binary form stores each column in the narrowest type that holds it exactly', (t) => {
  const repo = createBarsRepo(tempStore(t).market);
  const start = Date.UTC(2025, 0, 6) / 1000;
  // Quarter-point prices are float32s; 6E's are not; one volume needs more than 32 bits.
  const quarter = Array.from({ length: 3000 }, (_, i) => ({
    time: start + i * 60,
    open: 21000.25,
    high: 21001.5,
    low: 20999.75,
    close: 21000,
    volume: i,
  }));
  repo.upsert('MNQ', '1m', quarter, 'csv');
  const euro = quarter.map((b, i) => ({ ...b, open: 1.0835 + i * 0.00005, high: 1.3, low: 1, close: 1.0836 }));
  repo.upsert('6E', '1m', euro, 'csv');
  repo.upsert(
    'ES',
    '1m',
    quarter.map((b, i) => (i === 2500 ? { ...b, volume: 2 ** 40 } : b)),
    'csv',
  );
  const cache = new ChartCache(repo);
  const mnq = cache.window('MNQ', '1m', {});
  assert.deepEqual(decodeBinaryBars(mnq.binary()).types, [3, 2, 2, 2, 2, 3]);
  assert.equal(mnq.binary().length, 24 + 2000 * 4 * 6, 'half the bytes of float64 columns');
  const sixE = decodeBinaryBars(cache.window('6E', '1m', {}).binary());
  assert.deepEqual(sixE.types, [3, 1, 1, 1, 1, 3]);
  assert.deepEqual(
    sixE.o,
    euro.slice(1000).map((b) => b.open),
    'prices that are no float32 come as float64, exactly',
  );
  // The volume of 2^40 (bar 2500) is in the newest window but not in an older one. Types are decided per chunk of
  // 1,024 minutes: bars 1856–2879 share one with it, so the older window ends at bar 1500.
  assert.deepEqual(decodeBinaryBars(cache.window('ES', '1m', {}).binary()).types, [3, 2, 2, 2, 2, 1]);
  const older = cache.window('ES', '1m', { to: start + 1500 * 60 });
  assert.equal(older.count, 1501);
  assert.deepEqual(decodeBinaryBars(older.binary()).types, [3, 2, 2, 2, 2, 3]);
  // An odd count: 4-byte columns are padded to 8 bytes, so the next column stays aligned.
  const odd = cache.window('MNQ', '1m', { limit: 3 });
  assert.equal(odd.binary().length, 24 + 6 * 16);
  assert.deepEqual(
    decodeBinaryBars(odd.binary()).t,
    quarter.slice(-3).map((b) => b.time),
  );
  // Nothing stored: the header alone.
  assert.deepEqual(decodeBinaryBars(cache.window('NQ', '1m', {}).binary()), {
    t: [],
    o: [],
    h: [],
    l: [],
    c: [],
    v: [],
    types: [3, 2, 2, 2, 2, 3],
  });
});
