import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { manualClock } from '../../src/clock.js';
import type { Bar } from '../../src/market-data/bars.repo.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { buildTestApp } from '../helpers/web.js';
import { startYahooStub } from '../helpers/yahoo-stub.js';
import { columnsOf, decodeBinaryBars } from '../market-data/columns.js';

// GET /api/bars/:instrument in its two forms (JSON, the documented shape; binary, what the chart page reads) through
// the app as `serve` builds it: both carry exactly the bars the database holds for the window, revalidation gives
// 304 until the bars change, and a change made by another process (`tradelog ohlc import`) or by a download is served
// at once.

const START = Date.UTC(2025, 0, 6) / 1000;

/** Hourly bars, weekdays only, `n` of them from START. */
function hourly(n: number, priceOffset = 0): Bar[] {
  const out: Bar[] = [];
  for (let t = START; out.length < n; t += 3600) {
    const day = new Date(t * 1000).getUTCDay();
    if (day === 0 || day === 6) continue;
    const open = 21000 + priceOffset + (out.length % 40) * 0.25;
    out.push({ time: t, open, high: open + 5.5, low: open - 3.25, close: open + 1.75, volume: 100 + (out.length % 17) });
  }
  return out;
}

/** The binary form decoded, without the column types. */
function decodeBinary(body: Buffer) {
  const { types: _, ...cols } = decodeBinaryBars(body);
  return cols;
}

test('api bars answers the same bars as JSON and in binary (format=binary or Accept), equal to what the database holds', async (t) => {
  const { app } = await buildTestApp(t);
  const market = app.tradelog.services?.market;
  assert.ok(market);
  const bars = hourly(3000);
  market.bars.upsert('MNQ', '1h', bars, 'csv');
  const cases: [string, Bar[]][] = [
    ['limit=2000', bars.slice(1000)],
    [`limit=10&to=${bars[20]?.time}`, bars.slice(11, 21)],
    [`from=${bars[100]?.time}&to=${(bars[2500]?.time ?? 0) - 1}&limit=100000`, bars.slice(100, 2500)],
    [`from=${(bars[2999]?.time ?? 0) + 1}`, []],
  ];
  for (const [q, expected] of cases) {
    const json = await app.inject({ url: `/api/bars/MNQ%2012-25?timeframe=1h&${q}` });
    assert.equal(json.statusCode, 200, json.body);
    assert.match(String(json.headers['content-type']), /^application\/json/);
    assert.deepEqual(json.json(), { instrument: 'MNQ', timeframe: '1h', ...columnsOf(expected) }, q);
    const bin = await app.inject({ url: `/api/bars/MNQ?timeframe=1h&${q}&format=binary` });
    assert.equal(bin.statusCode, 200);
    assert.equal(bin.headers['content-type'], 'application/vnd.tradelog.bars');
    assert.equal(bin.headers['content-encoding'], undefined, 'the binary form is never compressed');
    assert.deepEqual(decodeBinary(bin.rawPayload), columnsOf(expected), q);
    const byAccept = await app.inject({ url: `/api/bars/MNQ?timeframe=1h&${q}`, headers: { accept: 'application/vnd.tradelog.bars' } });
    assert.deepEqual(byAccept.rawPayload, bin.rawPayload);
    assert.notEqual(byAccept.headers.etag, json.headers.etag, 'each form has its own ETag');
    assert.equal(json.headers.vary, 'accept, accept-encoding');
  }
  // Compressed when the client takes it (brotli first, else gzip; not what it refuses with q=0): the same JSON.
  const newest = { instrument: 'MNQ', timeframe: '1h', ...columnsOf(bars.slice(1000)) };
  const br = await app.inject({ url: '/api/bars/MNQ?timeframe=1h&limit=2000', headers: { 'accept-encoding': 'gzip, deflate, br' } });
  assert.equal(br.headers['content-encoding'], 'br');
  assert.deepEqual(JSON.parse(zlib.brotliDecompressSync(br.rawPayload).toString('utf8')), newest);
  const gz = await app.inject({ url: '/api/bars/MNQ?timeframe=1h&limit=2000', headers: { 'accept-encoding': 'gzip, br;q=0' } });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.deepEqual(JSON.parse(zlib.gunzipSync(gz.rawPayload).toString('utf8')), newest);
  const plain = await app.inject({ url: '/api/bars/MNQ?timeframe=1h&limit=2000', headers: { 'accept-encoding': 'gzip;q=0, identity' } });
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.deepEqual(plain.json(), newest);
  const format = await app.inject({ url: '/api/bars/MNQ?timeframe=1h&format=csv' });
  assert.equal(format.statusCode, 400);
  assert.match(format.body, /format/);
});

test('api bars revalidation gives 304 until another process imports bars, then the new bars in both forms', async (t) => {
  const { app, paths } = await buildTestApp(t);
  const market = app.tradelog.services?.market;
  assert.ok(market);
  const bars = hourly(3000);
  market.bars.upsert('ES', '1h', bars, 'csv');
  const window = `/api/bars/ES?timeframe=1h&limit=500&to=${bars[1999]?.time}`;
  const first = await app.inject({ url: window });
  const firstBin = await app.inject({ url: `${window}&format=binary` });
  const etag = String(first.headers.etag);
  assert.equal((await app.inject({ url: window, headers: { 'if-none-match': etag } })).statusCode, 304);
  assert.equal((await app.inject({ url: window, headers: { 'if-none-match': `W/"other", ${etag}` } })).statusCode, 304);
  assert.equal(
    (await app.inject({ url: `${window}&format=binary`, headers: { 'if-none-match': String(firstBin.headers.etag) } })).statusCode,
    304,
  );

  // Another process rewrites part of that history (new prices for bars 1,700–1,799).
  const changed = hourly(3000, 50).slice(1700, 1800);
  const file = path.join(tempDir(t), 'es.csv');
  fs.writeFileSync(
    file,
    ['time,open,high,low,close,volume', ...changed.map((b) => `${b.time},${b.open},${b.high},${b.low},${b.close},${b.volume}`)].join('\n'),
  );
  const r = await runCliAsync(['ohlc', 'import', file, '--instrument', 'ES', '--timeframe', '1h', '--json'], {
    TRADELOG_DATA_DIR: paths.dataDir,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).stored, 100);

  const expected = [...bars.slice(1500, 1700), ...changed, ...bars.slice(1800, 2000)];
  const again = await app.inject({ url: window, headers: { 'if-none-match': etag } });
  assert.equal(again.statusCode, 200, 'the bars changed: the old ETag no longer matches');
  assert.notEqual(again.headers.etag, etag);
  assert.deepEqual(again.json(), { instrument: 'ES', timeframe: '1h', ...columnsOf(expected) });
  const bin = await app.inject({ url: `${window}&format=binary`, headers: { 'if-none-match': String(firstBin.headers.etag) } });
  assert.equal(bin.statusCode, 200);
  assert.deepEqual(decodeBinary(bin.rawPayload), columnsOf(expected));
  assert.deepEqual(
    columnsOf(market.readBars('ES', '1h', { limit: 500, to: bars[1999]?.time })),
    columnsOf(expected),
    'as the database holds them',
  );
});

test('api bars serve what an update from the API downloaded, and the forming bar a later update rewrote', async (t) => {
  // Thursday 19 November 2026, 10:10 CST: the market is open, so the newest 5m bar is still forming.
  const clock = manualClock(Date.parse('2026-11-19T16:10:00Z'));
  const stub = await startYahooStub({ clock });
  t.after(() => stub.close());
  const { app } = await buildTestApp(t, { env: { TRADELOG_YAHOO_BASE_URL: stub.url }, clock });
  const market = app.tradelog.services?.market;
  assert.ok(market);
  const window = '/api/bars/MNQ?timeframe=5m&limit=300';
  const update = async () => {
    const started = await app.inject({
      method: 'POST',
      url: '/api/market-data/update',
      payload: { instrument: 'MNQ', timeframes: ['5m'], days: 3 },
    });
    assert.equal(started.statusCode, 202, started.body);
    const { id } = started.json() as { id: string };
    const job = await waitFor('the update job to end', async () => {
      const j = (await app.inject({ url: `/api/jobs/${id}` })).json() as { state: string; outcome?: string };
      return j.state === 'done' || j.state === 'failed' ? j : undefined;
    });
    assert.equal(job.outcome, 'ok', JSON.stringify(job));
  };
  const read = async (etags: { json?: string; binary?: string }) => {
    const json = await app.inject({ url: window, headers: etags.json ? { 'if-none-match': etags.json } : {} });
    const binary = await app.inject({ url: `${window}&format=binary`, headers: etags.binary ? { 'if-none-match': etags.binary } : {} });
    return { json, binary, etags: { json: String(json.headers.etag), binary: String(binary.headers.etag) } };
  };

  const empty = await read({});
  assert.deepEqual(empty.json.json(), { instrument: 'MNQ', timeframe: '5m', t: [], o: [], h: [], l: [], c: [], v: [] });
  await update();
  const first = await read(empty.etags);
  assert.equal(first.json.statusCode, 200, 'the download changed the bars: the ETag of the empty answer no longer matches');
  assert.equal(first.binary.statusCode, 200);
  const stored = columnsOf(market.readBars('MNQ', '5m', { limit: 300 }));
  assert.equal(stored.t.length, 300);
  assert.deepEqual(first.json.json(), { instrument: 'MNQ', timeframe: '5m', ...stored });
  assert.deepEqual(decodeBinary(first.binary.rawPayload), stored);
  assert.equal((await read(first.etags)).json.statusCode, 304);

  // 12 minutes later the bar that was forming has its final close and two more bars exist; the window was cached.
  clock.advance(12 * 60_000);
  await update();
  const later = await read(first.etags);
  assert.equal(later.json.statusCode, 200);
  assert.equal(later.binary.statusCode, 200);
  const now = columnsOf(market.readBars('MNQ', '5m', { limit: 300 }));
  assert.notDeepEqual(now, stored);
  assert.deepEqual(later.json.json(), { instrument: 'MNQ', timeframe: '5m', ...now });
  assert.deepEqual(decodeBinary(later.binary.rawPayload), now);
});
