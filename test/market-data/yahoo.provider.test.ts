import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { manualClock } from '../../src/clock.js';
import { roundToStep } from '../../src/market-data/provider.js';
import { createYahooProvider } from '../../src/market-data/providers/yahoo.provider.js';
import { readFixture, startYahooStub, stubBar } from '../helpers/yahoo-stub.js';

const NOW = Date.parse('2025-06-18T15:30:00Z');
const sec = (iso: string) => Date.parse(iso) / 1000;

/** A server that answers every request with the given status, headers and body. */
async function fixedServer(
  t: { after: (fn: () => Promise<void> | void) => void },
  status: number,
  body: string,
  contentType = 'application/json',
) {
  const server = http.createServer((_req, res) => res.writeHead(status, { 'content-type': contentType }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('yahoo provider parses the recorded answer: skips null bars, merges the off-grid live bar, rounds to the tick', async (t) => {
  const base = await fixedServer(t, 200, readFixture('chart-mnq-1h.json'));
  const provider = createYahooProvider({ baseUrl: base });
  const got = await provider.fetchBars({ symbol: 'MNQ=F', timeframe: '1h', fromSec: 1750248000, toSec: 1750262400, tickSize: 0.25 });
  assert.equal(got.symbol, 'MNQ=F');
  assert.equal(got.nullsSkipped, 1);
  assert.deepEqual(got.bars, [
    { time: 1750248000, open: 21790, high: 21812.5, low: 21750.25, close: 21788.75, volume: 10402 },
    // 21779.000000001 in the feed, rounded to the 0.25 tick.
    { time: 1750251600, open: 21788.75, high: 21850.25, low: 21761, close: 21779, volume: 9877 },
    // 15:00 UTC bar merged with the live bar stamped 15:30 UTC.
    { time: 1750258800, open: 21778.5, high: 21801.25, low: 21702.75, close: 21783.5, volume: 8120 },
  ]);
});

test('yahoo provider asks the chart endpoint with interval, period1, period2 and includePrePost=false', async (t) => {
  const stub = await startYahooStub({ clock: manualClock(NOW) });
  t.after(() => stub.close());
  const provider = createYahooProvider({ baseUrl: `${stub.url}/` });
  const from = sec('2025-06-18T13:00:00Z');
  const got = await provider.fetchBars({ symbol: 'MNQ=F', timeframe: '5m', fromSec: from, toSec: sec('2025-06-18T14:00:00Z') });
  assert.deepEqual(stub.requests[0], { symbol: 'MNQ=F', interval: '5m', period1: from, period2: sec('2025-06-18T14:00:00Z'), status: 200 });
  const expected = Array.from({ length: 12 }, (_, i) => stubBar(21800, from + i * 300, 300, NOW / 1000)).filter((b) => b.open !== null);
  assert.deepEqual(got.bars, expected);
  assert.equal(got.nullsSkipped, 12 - expected.length);
});

test('yahoo provider answers no bars (not an error) for a range with no trading', async (t) => {
  const stub = await startYahooStub({ clock: manualClock(NOW) });
  t.after(() => stub.close());
  const provider = createYahooProvider({ baseUrl: stub.url });
  const got = await provider.fetchBars({
    symbol: 'MNQ=F',
    timeframe: '1h',
    fromSec: sec('2025-06-14T00:00:00Z'),
    toSec: sec('2025-06-15T00:00:00Z'),
  });
  assert.deepEqual(got, { symbol: 'MNQ=F', bars: [], nullsSkipped: 0, outOfRange: 0 });
});

test('yahoo provider throws typed errors for each way the API fails', async (t) => {
  const stub = await startYahooStub({ clock: manualClock(NOW) });
  t.after(() => stub.close());
  const provider = createYahooProvider({ baseUrl: stub.url });
  const req = { symbol: 'MNQ=F', timeframe: '1h' as const, fromSec: sec('2025-06-16T00:00:00Z'), toSec: sec('2025-06-17T00:00:00Z') };

  stub.fault({}, { kind: 'rate-limit', retryAfterSec: 7 });
  await assert.rejects(provider.fetchBars(req), (err: { code: string; status: number; details: { retryAfterMs: number } }) => {
    assert.equal(err.code, 'TL_MARKET_RATE_LIMITED');
    assert.equal(err.status, 429);
    assert.equal(err.details.retryAfterMs, 7000);
    return true;
  });

  await assert.rejects(provider.fetchBars({ ...req, symbol: 'NOPE=F' }), (err: { code: string; message: string }) => {
    assert.equal(err.code, 'TL_MARKET_SYMBOL_NOT_FOUND');
    assert.match(err.message, /NOPE=F: No data found, symbol may be delisted/);
    return true;
  });

  // 1m: more than 8 days in one request.
  await assert.rejects(
    provider.fetchBars({ ...req, timeframe: '1m', fromSec: sec('2025-06-01T00:00:00Z'), toSec: sec('2025-06-12T00:00:00Z') }),
    (err: { code: string; message: string }) => {
      assert.equal(err.code, 'TL_MARKET_RANGE_NOT_ALLOWED');
      assert.match(err.message, /Only 8 days worth of 1m/);
      return true;
    },
  );
  // 5m older than 60 days.
  await assert.rejects(provider.fetchBars({ ...req, timeframe: '5m', fromSec: sec('2025-03-01T00:00:00Z') }), {
    code: 'TL_MARKET_RANGE_NOT_ALLOWED',
  });

  stub.fault({}, { kind: 'html' });
  await assert.rejects(provider.fetchBars(req), (err: { code: string; message: string }) => {
    assert.equal(err.code, 'TL_MARKET_BAD_RESPONSE');
    assert.match(err.message, /HTML page/);
    return true;
  });

  stub.fault({}, { kind: 'truncated' });
  await assert.rejects(provider.fetchBars(req), (err: { code: string; message: string }) => {
    assert.equal(err.code, 'TL_MARKET_BAD_RESPONSE');
    assert.match(err.message, /not valid JSON/);
    return true;
  });

  stub.fault({}, { kind: 'server-error', status: 502 });
  await assert.rejects(provider.fetchBars(req), { code: 'TL_MARKET_TRANSIENT' });

  stub.fault({}, { kind: 'html', status: 503 });
  await assert.rejects(provider.fetchBars(req), { code: 'TL_MARKET_TRANSIENT' }, 'an outage page with a 5xx is transient');

  // The stub answers after 2 s, past the provider's timeout: a normal answer would not reject at all.
  stub.fault({}, { kind: 'hang', delayMs: 2000 });
  const impatient = createYahooProvider({ baseUrl: stub.url, timeoutMs: 300 });
  await assert.rejects(impatient.fetchBars(req), (err: { code: string; details: { reason: string } }) => {
    assert.equal(err.code, 'TL_MARKET_TRANSIENT');
    assert.equal(err.details.reason, 'timeout');
    return true;
  });

  stub.fault({}, { kind: 'reset' });
  await assert.rejects(provider.fetchBars(req), (err: { code: string; details: { reason: string } }) => {
    assert.equal(err.code, 'TL_MARKET_TRANSIENT');
    assert.equal(err.details.reason, 'network');
    return true;
  });

  // After all that, a normal request still works.
  assert.ok((await provider.fetchBars(req)).bars.length > 0);
});

test('yahoo provider rejects an answer whose shape does not match the chart schema', async (t) => {
  const wrongShape = await fixedServer(t, 200, JSON.stringify({ chart: { result: [{ meta: {}, indicators: {} }], error: null } }));
  await assert.rejects(
    createYahooProvider({ baseUrl: wrongShape }).fetchBars({ symbol: 'MNQ=F', timeframe: '1h', fromSec: 0, toSec: 3600 }),
    {
      code: 'TL_MARKET_BAD_RESPONSE',
    },
  );
  const fixture = JSON.parse(readFixture('chart-mnq-1h.json'));
  fixture.chart.result[0].indicators.quote[0].close.pop();
  const ragged = await fixedServer(t, 200, JSON.stringify(fixture));
  await assert.rejects(
    createYahooProvider({ baseUrl: ragged }).fetchBars({ symbol: 'MNQ=F', timeframe: '1h', fromSec: 0, toSec: 3600 }),
    (err: { code: string; message: string }) => {
      assert.equal(err.code, 'TL_MARKET_BAD_RESPONSE');
      assert.match(err.message, /quote arrays of other lengths/);
      return true;
    },
  );
  const otherGranularity = JSON.parse(readFixture('chart-mnq-1h.json'));
  otherGranularity.chart.result[0].meta.dataGranularity = '5m';
  const mislabelled = await fixedServer(t, 200, JSON.stringify(otherGranularity));
  await assert.rejects(
    createYahooProvider({ baseUrl: mislabelled }).fetchBars({ symbol: 'MNQ=F', timeframe: '1h', fromSec: 0, toSec: 3600 }),
    (err: { code: string; message: string }) => {
      assert.equal(err.code, 'TL_MARKET_BAD_RESPONSE');
      assert.match(err.message, /5m bars when 1h bars were asked for/);
      return true;
    },
  );
});

test('yahoo provider reports an unreachable server as transient', async () => {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await assert.rejects(
    createYahooProvider({ baseUrl: `http://127.0.0.1:${port}` }).fetchBars({ symbol: 'MNQ=F', timeframe: '1h', fromSec: 0, toSec: 3600 }),
    {
      code: 'TL_MARKET_TRANSIENT',
    },
  );
});

test('yahoo provider refuses an answer over the byte cap the moment it passes it, naming the cap', async (t) => {
  const stub = await startYahooStub({ clock: manualClock(NOW) });
  t.after(() => stub.close());
  const provider = createYahooProvider({ baseUrl: stub.url, maxAnswerBytes: 256 * 1024 });
  const req = { symbol: 'MNQ=F', timeframe: '1h' as const, fromSec: sec('2025-06-16T00:00:00Z'), toSec: sec('2025-06-17T00:00:00Z') };
  // Streamed without a length: 50 MB offered, the provider stops reading past 256 KiB.
  stub.fault({}, { kind: 'huge', bytes: 50_000_000 });
  await assert.rejects(provider.fetchBars(req), (err: { code: string; message: string; details: { capBytes: number } }) => {
    assert.equal(err.code, 'TL_MARKET_BAD_RESPONSE');
    assert.match(err.message, /larger than the 0\.25 MiB cap/);
    assert.equal(err.details.capBytes, 256 * 1024);
    return true;
  });
  const sent = stub.requests[0]?.bytesSent ?? 0;
  assert.ok(sent < 10_000_000, `the stub sent only ${sent} of 50,000,000 bytes before the provider stopped reading`);
  // With a Content-Length over the cap, nothing is read at all.
  stub.fault({}, { kind: 'huge', bytes: 50_000_000, declareLength: true });
  await assert.rejects(provider.fetchBars(req), { code: 'TL_MARKET_BAD_RESPONSE' });
  // The cap is not retried by the provider: one request each, and a normal answer after them works.
  assert.equal(stub.requests.length, 2);
  assert.ok((await provider.fetchBars(req)).bars.length > 0);
});

test('yahoo provider refuses a redirect to another host and follows one within its own origin', async (t) => {
  const stub = await startYahooStub({ clock: manualClock(NOW) });
  t.after(() => stub.close());
  let elsewhere = 0;
  const other = http.createServer((_req, res) => {
    elsewhere++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(readFixture('chart-mnq-1h.json'));
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => other.close(() => resolve())));
  const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  const provider = createYahooProvider({ baseUrl: stub.url });
  const req = { symbol: 'MNQ=F', timeframe: '1h' as const, fromSec: sec('2025-06-16T00:00:00Z'), toSec: sec('2025-06-17T00:00:00Z') };

  stub.fault({}, { kind: 'redirect', location: `${otherUrl}/v8/finance/chart/MNQ=F?interval=1h` });
  await assert.rejects(provider.fetchBars(req), (err: { code: string; message: string; details: { location: string } }) => {
    assert.equal(err.code, 'TL_MARKET_BAD_RESPONSE');
    assert.match(err.message, /redirected the request for MNQ=F 1h to another host \(127\.0\.0\.1:\d+\)/);
    assert.match(err.details.location, /^http:\/\/127\.0\.0\.1:\d+\/v8/);
    return true;
  });
  assert.equal(elsewhere, 0, 'the other host was never asked');

  // A redirect within the stub's own origin is followed (a path-relative Location).
  const path = `/v8/finance/chart/MNQ%3DF?interval=1h&period1=${req.fromSec}&period2=${req.toSec}&includePrePost=false`;
  stub.fault({}, { kind: 'redirect', status: 307, location: path });
  const got = await provider.fetchBars(req);
  assert.ok(got.bars.length > 0);
  assert.deepEqual(
    stub.requests.slice(-2).map((r) => [r.status, r.fault ?? null]),
    [
      [307, 'redirect'],
      [200, null],
    ],
  );
});

test('yahoo provider refuses an answer for another symbol than asked', async (t) => {
  const stub = await startYahooStub({ clock: manualClock(NOW) });
  t.after(() => stub.close());
  const provider = createYahooProvider({ baseUrl: stub.url });
  stub.fault({}, { kind: 'wrong-symbol', symbol: 'ES=F' });
  await assert.rejects(
    provider.fetchBars({ symbol: 'MNQ=F', timeframe: '1h', fromSec: sec('2025-06-16T00:00:00Z'), toSec: sec('2025-06-17T00:00:00Z') }),
    (err: { code: string; message: string }) => {
      assert.equal(err.code, 'TL_MARKET_BAD_RESPONSE');
      assert.match(err.message, /answered bars of ES=F when MNQ=F was asked for/);
      return true;
    },
  );
});

test('yahoo provider keeps only bars inside the requested range, give or take one bar', async (t) => {
  // The recorded answer holds 1h bars from 12:00 to 15:30 UTC on 18 June 2025; ask for 14:00–15:00 only.
  const base = await fixedServer(t, 200, readFixture('chart-mnq-1h.json'));
  const got = await createYahooProvider({ baseUrl: base }).fetchBars({
    symbol: 'MNQ=F',
    timeframe: '1h',
    fromSec: sec('2025-06-18T14:00:00Z'),
    toSec: sec('2025-06-18T15:00:00Z'),
  });
  // 13:00 (one bar before) and 15:00/15:30 (the bar after) stay; 12:00 is dropped (the null 14:00 row is not counted).
  assert.deepEqual(
    got.bars.map((b) => new Date(b.time * 1000).toISOString()),
    ['2025-06-18T13:00:00.000Z', '2025-06-18T15:00:00.000Z'],
  );
  assert.equal(got.outOfRange, 1);
  const none = await createYahooProvider({ baseUrl: base }).fetchBars({ symbol: 'MNQ=F', timeframe: '1h', fromSec: 0, toSec: 3600 });
  assert.deepEqual(none.bars, []);
  assert.equal(none.outOfRange, 4, 'every priced row of the answer, the live one included');
});

test('yahoo provider sends credentials of the base URL as Basic auth and never shows them', async (t) => {
  const seen: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(500, { 'content-type': 'text/plain' }).end('down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const provider = createYahooProvider({ baseUrl: `http://trader:s3cret-pass@127.0.0.1:${port}/` });
  const req = { symbol: 'MNQ=F', timeframe: '1h' as const, fromSec: 0, toSec: 3600 };
  await assert.rejects(provider.fetchBars(req), (err: { code: string; message: string; remedy: string; details: unknown }) => {
    assert.equal(err.code, 'TL_MARKET_TRANSIENT');
    const shown = JSON.stringify({ message: err.message, remedy: err.remedy, details: err.details });
    assert.doesNotMatch(shown, /s3cret|trader/);
    assert.match(shown, /http:\/\/\*\*\*\*@127\.0\.0\.1/);
    return true;
  });
  assert.deepEqual(seen, [`Basic ${Buffer.from('trader:s3cret-pass').toString('base64')}`]);
  // Unreachable: the network error names the masked URL only.
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await assert.rejects(provider.fetchBars(req), (err: { code: string; message: string; remedy: string; details: unknown }) => {
    assert.equal(err.details && (err.details as { reason: string }).reason, 'network');
    assert.doesNotMatch(JSON.stringify({ m: err.message, r: err.remedy, d: err.details }), /s3cret/);
    return true;
  });
});

test('roundToStep removes feed float artefacts for every tick size in use', () => {
  assert.equal(roundToStep(21779.000000001, 0.25), 21779);
  assert.equal(roundToStep(21850.2499999, 0.25), 21850.25);
  assert.equal(roundToStep(Math.fround(1.0835), 0.00005), 1.0835);
  assert.equal(roundToStep(110.01562500001, 1 / 64), 110.015625);
  assert.equal(roundToStep(0.0066745000001, 0.0000005), 0.0066745);
  assert.equal(roundToStep(3.4560000001, 0.001), 3.456);
  assert.equal(roundToStep(65.43, 0.01), 65.43);
  assert.equal(roundToStep(Number.NaN, 0.25), Number.NaN);
});
