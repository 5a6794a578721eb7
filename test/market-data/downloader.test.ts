import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectedBarTimes, findGaps, sessionAnchor } from '../../src/calendar/sessions.js';
import { manualClock } from '../../src/clock.js';
import { deriveFourHourBars } from '../../src/market-data/derive.js';
import type { UpdateEvent } from '../../src/market-data/downloader.js';
import { createYahooProvider } from '../../src/market-data/providers/yahoo.provider.js';
import { createMarketData } from '../../src/market-data/service.js';
import { MARKET_SYMBOLS_KEY, marketSymbolsSchema } from '../../src/market-data/symbols.js';
import { barTime, type TimeframeId } from '../../src/market-data/timeframes.js';
import { createSettingsRepo } from '../../src/settings/settings.repo.js';
import { tempStore } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { startYahooStub, stubSeries, type YahooStubOptions } from '../helpers/yahoo-stub.js';

const SIX: TimeframeId[] = ['1m', '5m', '15m', '1h', '4h', '1d'];
/** Wednesday 18 June 2025, 10:30 CDT: the market is open. */
const WED = Date.parse('2025-06-18T15:30:00Z');

interface Ctx {
  after: (fn: () => void | Promise<void>) => void;
}

// A generous timeout: on a loaded 2-core CI machine a 2 s one fired on healthy answers and turned them into retries.
async function setup(t: Ctx, start = WED, stubOptions: YahooStubOptions = {}, timeoutMs = 15_000) {
  const clock = manualClock(start);
  const stub = await startYahooStub({ clock, ...stubOptions });
  t.after(() => stub.close());
  const store = tempStore(t);
  const provider = createYahooProvider({ baseUrl: stub.url, timeoutMs, requestSpacingMs: 0 });
  const market = createMarketData({
    market: store.market,
    journal: store.journal,
    config: { yahooBaseUrl: stub.url, importTimezone: 'America/Chicago', schedulerIntervalMinutes: 0 },
    provider,
    retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    clock,
  });
  t.after(() => market.close());
  const count = (timeframe: string) =>
    store.market.conn.prepare("SELECT count(*) FROM bars WHERE instrument = 'MNQ' AND timeframe = ?").pluck().get(timeframe) as number;
  return { clock, stub, store, market, count };
}

test('updateRecentData stores all six timeframes for one instrument, exactly the bars the provider sent, nulls skipped', async (t) => {
  const { stub, market, count } = await setup(t);
  const events: UpdateEvent[] = [];
  const report = await market.updateRecentData('MNQ SEP25', SIX, { onEvent: (e) => events.push(e) });
  assert.equal(report.instrument, 'MNQ');
  assert.equal(report.symbol, 'MNQ=F');
  assert.deepEqual(
    report.timeframes.map((r) => [r.timeframe, r.status]),
    SIX.map((tf) => [tf, 'ok']),
  );
  for (const r of report.timeframes) {
    assert.ok(r.stored > 0, `${r.timeframe} stored bars`);
    assert.equal(count(r.timeframe), r.stored, `${r.timeframe}: the store holds what the report says`);
  }
  // 4h is never requested from Yahoo; everything else once (each default window fits one request).
  assert.deepEqual(
    stub.requests.map((r) => r.interval),
    ['1m', '5m', '15m', '1h', '1d'],
  );
  // Each stored series is exactly what the stub served for the request, without its null bars; daily bars (stamped
  // 00:00 CT by the stub) under 00:00 UTC of their trading day.
  for (const req of stub.requests) {
    const served = stubSeries(21800, req.interval, req.period1, req.period2, WED / 1000);
    const nonNull = served.filter((b) => b.open !== null).map((b) => ({ ...b, time: barTime(req.interval as TimeframeId, b.time) }));
    const tf = report.timeframes.find((r) => r.timeframe === req.interval);
    assert.ok(served.length > nonNull.length, `${req.interval} answer had null bars`);
    assert.equal(tf?.nullsSkipped, served.length - nonNull.length, `${req.interval} nulls counted`);
    assert.deepEqual(market.readBars('MNQ', req.interval as TimeframeId), nonNull, `${req.interval} stored as served`);
  }
  // 4h = the 1h bars cut at CME session boundaries.
  const hourly = market.readBars('MNQ', '1h');
  const from = sessionAnchor(((hourly[0]?.time ?? 0) + 0) * 1000) / 1000;
  assert.deepEqual(market.readBars('MNQ', '4h'), deriveFourHourBars(hourly.filter((b) => b.time >= from)));
  // Progress events: start, per timeframe start/progress/done, done.
  assert.equal(events[0]?.type, 'start');
  assert.equal(events.at(-1)?.type, 'done');
  assert.equal(events.filter((e) => e.type === 'timeframe-done').length, 6);
  assert.ok(events.some((e) => e.type === 'progress' && e.timeframe === '1m' && e.done === 1 && e.total === 1));
});

test('updateRecentData asks for nothing on a rerun right after a success, and only for the newest bars later', async (t) => {
  const { clock, stub, store, market } = await setup(t);
  await market.updateRecentData('MNQ', SIX);
  const total = () => store.market.conn.prepare('SELECT count(*) FROM bars').pluck().get() as number;
  const before = total();
  const seen = stub.requests.length;

  clock.advance(10_000);
  const rerun = await market.updateRecentData('MNQ', SIX);
  assert.equal(stub.requests.length, seen, 'no request on a rerun right after a success');
  assert.deepEqual(
    rerun.timeframes.map((r) => [r.timeframe, r.status, r.fetched, r.stored]),
    SIX.map((tf) => [tf, 'ok', 0, 0]),
  );
  assert.equal(total(), before, 'no duplicates');
  const dupes = store.market.conn
    .prepare('SELECT count(*) FROM (SELECT 1 FROM bars GROUP BY instrument, timeframe, time HAVING count(*) > 1)')
    .pluck()
    .get();
  assert.equal(dupes, 0);

  // 20 minutes later: one small request per intraday timeframe, from where the final bars ended; daily waits an hour.
  clock.advance(20 * 60_000);
  const later = await market.updateRecentData('MNQ', SIX);
  const tail = stub.requests.slice(seen);
  assert.deepEqual(
    tail.map((r) => r.interval),
    ['1m', '5m', '15m', '1h'],
  );
  const barSeconds: Record<string, number> = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600 };
  for (const r of tail) {
    assert.equal(r.period2, clock.now() / 1000, `${r.interval} asks up to now`);
    // From the end of the bars that were final at the first fetch: one bar plus the feed delay before it, aligned.
    const bound = 2 * (barSeconds[r.interval] as number) + 900 + 20 * 60 + 10;
    assert.ok(
      clock.now() / 1000 - r.period1 <= bound,
      `${r.interval} asks only for the last bars (${(clock.now() / 1000 - r.period1) / 60} min)`,
    );
  }
  const oneMinute = later.timeframes.find((r) => r.timeframe === '1m');
  assert.ok((oneMinute?.stored ?? 0) >= 20, '20 new 1m bars');
  // The 1h bar that was still forming at the first fetch now holds its final values.
  const formingHour = Math.floor(WED / 1000 / 3600) * 3600;
  const final = stubSeries(21800, '1h', formingHour, formingHour + 3600, clock.now() / 1000)[0];
  const stored = market.readBars('MNQ', '1h', { from: formingHour, to: formingHour })[0];
  assert.deepEqual(stored, final);
});

test('updateRecentData retries a 429 and then stores the timeframe', async (t) => {
  const { stub, market } = await setup(t);
  stub.fault({ interval: '15m' }, { kind: 'rate-limit' }, 1);
  const events: UpdateEvent[] = [];
  const report = await market.updateRecentData('MNQ', ['15m', '1h'], { onEvent: (e) => events.push(e) });
  const r = report.timeframes.find((x) => x.timeframe === '15m');
  assert.equal(r?.status, 'ok');
  assert.ok((r?.stored ?? 0) > 0);
  assert.equal(r?.requests, 1, 'a retry is not a new request');
  assert.equal(stub.count({ interval: '15m' }), 2, 'the stub saw the 429 and the retry');
  const retry = events.find((e) => e.type === 'retry');
  assert.equal(retry?.type === 'retry' && retry.error.code, 'TL_MARKET_RATE_LIMITED');
});

test('updateRecentData reports one failing timeframe and stores the others (HTML error page, not retried)', async (t) => {
  const { stub, market, count } = await setup(t);
  stub.fault({ interval: '5m' }, { kind: 'html' }, 1);
  const report = await market.updateRecentData('MNQ', SIX);
  const byTf = Object.fromEntries(report.timeframes.map((r) => [r.timeframe, r]));
  assert.equal(byTf['5m']?.status, 'error');
  assert.equal(byTf['5m']?.error?.code, 'TL_MARKET_BAD_RESPONSE');
  assert.match(byTf['5m']?.error?.message ?? '', /HTML page/);
  assert.equal(stub.count({ interval: '5m' }), 1, 'a bad response is not retried');
  assert.equal(count('5m'), 0);
  for (const tf of ['1m', '15m', '1h', '4h', '1d'] as const) {
    assert.equal(byTf[tf]?.status, 'ok', tf);
    assert.ok(count(tf) > 0, `${tf} stored`);
  }
  // The failed timeframe is asked for again on the next run; the others are not.
  const seen = stub.requests.length;
  await market.updateRecentData('MNQ', SIX);
  assert.deepEqual(
    stub.requests.slice(seen).map((r) => r.interval),
    ['5m'],
  );
  assert.ok(count('5m') > 0);
});

test('updateRecentData reports a timeout after its retries while the other timeframes store', async (t) => {
  const { stub, market, count } = await setup(t, WED, {}, 500);
  stub.fault({ interval: '1h' }, { kind: 'hang', delayMs: 5000 }, 6);
  const report = await market.updateRecentData('MNQ', ['15m', '1h', '4h']);
  const byTf = Object.fromEntries(report.timeframes.map((r) => [r.timeframe, r]));
  assert.equal(byTf['1h']?.status, 'error');
  assert.equal(byTf['1h']?.error?.code, 'TL_MARKET_TRANSIENT');
  assert.match(byTf['1h']?.error?.message ?? '', /did not answer within 0.5 s/);
  assert.equal(byTf['4h']?.status, 'error', '4h needs the 1h bars');
  assert.equal(stub.count({ interval: '1h' }), 6, 'three attempts for 1h, three for 4h');
  assert.equal(byTf['15m']?.status, 'ok');
  assert.ok(count('15m') > 0);
  assert.equal(count('1h'), 0);
});

test('updateRecentData reports symbol not found for every timeframe without retrying (override in market.symbols)', async (t) => {
  const { stub, store, market } = await setup(t);
  createSettingsRepo(store.journal).set(MARKET_SYMBOLS_KEY, marketSymbolsSchema, { MNQ: 'MNQXX=F' });
  const report = await market.updateRecentData('MNQ DEC25', ['1m', '1h', '1d']);
  assert.equal(report.symbol, 'MNQXX=F');
  for (const r of report.timeframes) {
    assert.equal(r.status, 'error');
    assert.equal(r.error?.code, 'TL_MARKET_SYMBOL_NOT_FOUND');
  }
  assert.equal(stub.requests.length, 3);
  assert.ok(stub.requests.every((r) => r.symbol === 'MNQXX=F' && r.status === 404));
});

test('updateRecentData reports a 422 for a range the interval does not allow, without retrying', async (t) => {
  // The provider's clock is two days ahead: our 30-day 1m window starts before the 30 days Yahoo keeps.
  const { stub, market } = await setup(t, WED, { clock: manualClock(WED + 2 * 86_400_000) });
  const report = await market.updateRecentData('MNQ', ['1m', '5m'], { days: 30 });
  assert.equal(report.timeframes[0]?.error?.code, 'TL_MARKET_RANGE_NOT_ALLOWED');
  assert.match(report.timeframes[0]?.error?.message ?? '', /within the last 30 days/);
  assert.equal(stub.count({ interval: '1m' }), 1);
  assert.equal(report.timeframes[1]?.status, 'ok', '5m (30 days of 60) is fine');
});

test('updateRecentData keeps requests inside the provider limits and leaves no gap in what it fetched', async (t) => {
  const { stub, market } = await setup(t);
  const plan = market.plan('MNQ', '1m', { days: 45 });
  const nowSec = WED / 1000;
  assert.equal(plan.length, 4, '30 days of 1m in requests of at most 8 days');
  for (const r of plan) {
    assert.ok(r.end - r.start <= 8 * 86400, 'at most 8 days per request');
    assert.ok(r.start >= nowSec - 30 * 86400, 'within the last 30 days');
  }
  const report = await market.updateRecentData('MNQ', ['1m'], { days: 45 });
  assert.equal(report.timeframes[0]?.status, 'ok');
  assert.equal(stub.count({ interval: '1m' }), 4);
  assert.ok(stub.requests.every((r) => r.status === 200));
  // Every open-market minute since the first request has a bar, except the slots the feed had no trade in.
  const first = Math.min(...stub.requests.map((r) => r.period1));
  const stored = market.readBars('MNQ', '1m').map((b) => b.time);
  const expected = expectedBarTimes(first, nowSec, 60).filter((t) => Math.floor(t / 60) % 37 !== 0);
  assert.deepEqual(findGaps(stored, expected, 60), []);
  assert.ok(new Set(stored).size === stored.length);
});

test('updateRecentData asks nothing over a weekend once the Friday close is fetched', async (t) => {
  // Friday 20 June 2025, 16:20 CDT: closed for 20 minutes, longer than the feed's delay, so every bar is final.
  const friday = Date.parse('2025-06-20T21:20:00Z');
  const { clock, stub, market } = await setup(t, friday);
  const first = await market.updateRecentData('MNQ', ['1m', '1h'], { days: 3 });
  assert.ok(first.timeframes.every((r) => r.status === 'ok' && r.stored > 0));
  // Requests stop at the Friday 16:00 CDT close, not at Saturday noon.
  for (const r of stub.requests) assert.ok(r.period2 <= Date.parse('2025-06-20T21:00:00Z') / 1000, `${r.interval} ends at the close`);
  const seen = stub.requests.length;
  clock.advance(5 * 3_600_000);
  await market.updateRecentData('MNQ', ['1m', '1h'], { days: 3 });
  assert.equal(stub.requests.length, seen, 'the closed market has nothing new');
});

test('updateRecentData skips the remaining timeframes when cancelled', async (t) => {
  const { stub, market } = await setup(t);
  // The 5m answer would come after 5 s: cancelled once the request has reached the stub.
  stub.fault({ interval: '5m' }, { kind: 'hang', delayMs: 5000 }, 1);
  const controller = new AbortController();
  const report = await market.updateRecentData('MNQ', ['1m', '5m', '1h'], {
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === 'timeframe-start' && e.timeframe === '5m') {
        void waitFor('the 5m request to reach the stub', () => stub.count({ interval: '5m' }) > 0).then(() => controller.abort());
      }
    },
  });
  assert.deepEqual(
    report.timeframes.map((r) => [r.timeframe, r.status, r.error?.code]),
    [
      ['1m', 'ok', undefined],
      ['5m', 'skipped', 'TL_MARKET_CANCELLED'],
      ['1h', 'skipped', 'TL_MARKET_CANCELLED'],
    ],
  );
  assert.equal(stub.count({ interval: '1h' }), 0);
});

test('updateRecentData counts a bar that fails validation as rejected and stores the others', async (t) => {
  const { stub, market } = await setup(t);
  stub.fault({ interval: '15m' }, { kind: 'inconsistent-bar' }, 1);
  const report = await market.updateRecentData('MNQ', ['15m']);
  const r = report.timeframes[0];
  assert.equal(r?.status, 'ok');
  assert.equal(r?.rejected, 1);
  assert.equal(r?.stored, (r?.fetched ?? 0) - 1);
  const req = stub.requests[0];
  const served = stubSeries(21800, '15m', req?.period1 ?? 0, req?.period2 ?? 0, WED / 1000).filter((b) => b.open !== null);
  assert.deepEqual(market.readBars('MNQ', '15m'), served.slice(1), 'everything but the broken bar');
});

test('updateRecentData never counts a range as downloaded when every bar of the answer was refused', async (t) => {
  const { stub, market, count } = await setup(t);
  const plan = market.plan('MNQ', '1h');
  assert.ok(plan.length > 0);
  // Every bar invalid (high below low).
  stub.fault({ interval: '1h' }, { kind: 'all-inconsistent' }, 1);
  const invalid = (await market.updateRecentData('MNQ', ['1h'])).timeframes[0];
  assert.equal(invalid?.status, 'error');
  assert.equal(invalid?.error?.code, 'TL_MARKET_BAD_RESPONSE');
  assert.match(invalid?.error?.message ?? '', /Every one of the \d+ 1h bars answered for MNQ=F was refused \(first: low \S+ is above high/);
  assert.ok((invalid?.rejected ?? 0) > 100);
  assert.equal(count('1h'), 0);
  assert.deepEqual(market.plan('MNQ', '1h'), plan, 'the range is still missing');
  // Every bar outside the range asked for (400 days earlier).
  stub.fault({ interval: '1h' }, { kind: 'shifted', shiftSec: 400 * 86400 }, 1);
  const outside = (await market.updateRecentData('MNQ', ['1h'])).timeframes[0];
  assert.equal(outside?.error?.code, 'TL_MARKET_BAD_RESPONSE');
  assert.match(outside?.error?.message ?? '', /outside the requested range/);
  assert.equal(count('1h'), 0);
  assert.deepEqual(market.plan('MNQ', '1h'), plan);
  // Neither was retried; a good answer afterwards stores the range and then it counts as fetched.
  assert.equal(stub.count({ interval: '1h' }), 2);
  const good = (await market.updateRecentData('MNQ', ['1h'])).timeframes[0];
  assert.equal(good?.status, 'ok');
  assert.ok(count('1h') > 0);
  assert.deepEqual(
    stub.requests.map((r) => [r.period1, r.period2]),
    [0, 1, 2].map(() => [plan[0]?.start, plan[0]?.end]),
    'each run asked for the same range',
  );
  assert.deepEqual(market.plan('MNQ', '1h'), []);
});
