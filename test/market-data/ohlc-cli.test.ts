import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { manualClock } from '../../src/clock.js';
import { runCliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { startYahooStub } from '../helpers/yahoo-stub.js';

/** Wednesday 18 November 2026, 10:00 CST: the CLI and the stub share this instant, whatever day the suite runs. */
const AT = Date.parse('2026-11-18T16:00:00Z');

interface TfJson {
  timeframe: string;
  status: string;
  fetched: number;
  stored: number;
  error?: { code: string; message: string };
}

test('ohlc update, bars and coverage print the documented JSON and exit 0; a rerun fetches nothing', async (t) => {
  const stub = await startYahooStub({ clock: manualClock(AT) });
  t.after(() => stub.close());
  const dataDir = path.join(tempDir(t), 'data');
  const env = { TRADELOG_YAHOO_BASE_URL: stub.url, TRADELOG_DATA_DIR: dataDir };

  const first = await runCliAsync(['ohlc', 'update', 'MNQ SEP25', '--timeframes', '1m,5m,15m,1h,4h,1d', '--json'], env, AT);
  assert.equal(first.status, 0, first.stderr);
  const report = JSON.parse(first.stdout) as { instrument: string; symbol: string; timeframes: TfJson[] };
  assert.equal(report.instrument, 'MNQ');
  assert.equal(report.symbol, 'MNQ=F');
  assert.deepEqual(
    report.timeframes.map((x) => [x.timeframe, x.status]),
    ['1m', '5m', '15m', '1h', '4h', '1d'].map((tf) => [tf, 'ok']),
  );
  assert.ok(report.timeframes.every((x) => x.stored > 0 && typeof x.fetched === 'number'));
  assert.match(first.stderr, /\[6\/6\] 1d fetched/, 'progress on stderr');
  const requests = stub.requests.length;

  const again = await runCliAsync(['ohlc', 'update', 'MNQ', '--json'], env, AT);
  assert.equal(again.status, 0, again.stderr);
  assert.ok((JSON.parse(again.stdout) as { timeframes: TfJson[] }).timeframes.every((x) => x.fetched === 0 && x.stored === 0));
  assert.equal(stub.requests.length, requests, 'the rerun made no request');

  const all = await runCliAsync(['ohlc', 'bars', 'MNQ', '--timeframe', '1h', '--json'], env, AT);
  const bars = JSON.parse(all.stdout) as { time: number; open: number; high: number; low: number; close: number; volume: number }[];
  assert.equal(bars.length, report.timeframes.find((x) => x.timeframe === '1h')?.stored);
  assert.deepEqual(Object.keys(bars[0] ?? {}), ['time', 'open', 'high', 'low', 'close', 'volume']);
  assert.ok(
    bars.every((b, i) => Number.isInteger(b.time) && (i === 0 || b.time > (bars[i - 1]?.time ?? 0))),
    'Unix seconds, ascending',
  );
  const newest = await runCliAsync(['ohlc', 'bars', 'MNQ=F', '--timeframe', '1h', '--limit', '5', '--json'], env, AT);
  assert.deepEqual(JSON.parse(newest.stdout), bars.slice(-5), 'the newest 5, oldest first');
  const ranged = await runCliAsync(
    [
      'ohlc',
      'bars',
      'MNQ',
      '--timeframe',
      '1h',
      '--from',
      String(bars[10]?.time),
      '--to',
      new Date((bars[12]?.time ?? 0) * 1000).toISOString(),
      '--json',
    ],
    env,
    AT,
  );
  assert.deepEqual(JSON.parse(ranged.stdout), bars.slice(10, 13));

  const coverage = await runCliAsync(['ohlc', 'coverage', '--json'], env, AT);
  assert.equal(coverage.status, 0);
  const rows = JSON.parse(coverage.stdout) as { instrument: string; timeframe: string; count: number; first: string; last: string }[];
  const hourly = rows.find((r) => r.timeframe === '1h');
  assert.deepEqual(hourly, {
    instrument: 'MNQ',
    timeframe: '1h',
    count: bars.length,
    first: new Date((bars[0]?.time ?? 0) * 1000).toISOString(),
    last: new Date((bars.at(-1)?.time ?? 0) * 1000).toISOString(),
  });
  // Timeframes by length, in the JSON and in the text.
  assert.deepEqual(
    rows.map((r) => r.timeframe),
    ['1m', '5m', '15m', '1h', '4h', '1d'],
  );
  const text = await runCliAsync(['ohlc', 'coverage', 'MNQ'], env);
  assert.equal(text.status, 0);
  assert.deepEqual(
    text.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[1]),
    ['1m', '5m', '15m', '1h', '4h', '1d'],
  );
});

test('ohlc update exits 1 and lists the failed timeframe while storing the others', async (t) => {
  const stub = await startYahooStub({ clock: manualClock(AT) });
  t.after(() => stub.close());
  stub.fault({ interval: '5m' }, { kind: 'html' }, 1);
  const env = { TRADELOG_YAHOO_BASE_URL: stub.url, TRADELOG_DATA_DIR: path.join(tempDir(t), 'data') };
  const r = await runCliAsync(['ohlc', 'update', 'MNQ', '--timeframes', '5m,1d', '--json'], env, AT);
  assert.equal(r.status, 1, r.stderr);
  const report = JSON.parse(r.stdout) as { timeframes: TfJson[] };
  assert.equal(report.timeframes[0]?.status, 'error');
  assert.equal(report.timeframes[0]?.error?.code, 'TL_MARKET_BAD_RESPONSE');
  assert.equal(report.timeframes[1]?.status, 'ok');
  const text = await runCliAsync(['ohlc', 'update', 'MNQ', '--timeframes', '1d', '--days', 'x'], env, AT);
  assert.equal(text.status, 2);
  assert.match(text.stderr, /error TL_CLI_USAGE: --days "x"/);
});

test('ohlc import rejects a file with a malformed line naming it, stores nothing, exits 1; bad arguments exit 2', async (t) => {
  const dir = tempDir(t);
  const env = { TRADELOG_DATA_DIR: path.join(dir, 'data') };
  const file = path.join(dir, 'bars.csv');
  fs.writeFileSync(
    file,
    [
      'time,open,high,low,close,volume',
      '1750251600,100,101,99,100.5,10',
      '1750251660,100,101,99,100.5',
      '1750251720,100,101,99,100.5,12',
    ].join('\n'),
  );
  const r = await runCliAsync(['ohlc', 'import', file, '--instrument', 'MNQ', '--timeframe', '1m', '--json'], env, AT);
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { read: number; stored: number; rejected: { line: number; reason: string }[] };
  assert.equal(out.read, 3);
  assert.equal(out.stored, 0);
  assert.deepEqual(out.rejected, [{ line: 3, reason: 'has 5 fields, expected 6 (time, open, high, low, close, volume)' }]);
  const coverage = await runCliAsync(['ohlc', 'coverage', '--json'], env, AT);
  assert.deepEqual(JSON.parse(coverage.stdout), [], 'nothing stored');

  const text = await runCliAsync(['ohlc', 'import', file, '--instrument', 'MNQ', '--timeframe', '1m', '--skip-invalid'], env, AT);
  assert.equal(text.status, 1);
  assert.match(text.stdout, /stored 2/);
  assert.match(text.stdout, /line 3: has 5 fields/);

  const bad = await runCliAsync(['ohlc', 'bars', 'MNQ', '--timeframe', '3m', '--json'], env, AT);
  assert.equal(bad.status, 2);
  assert.equal((JSON.parse(bad.stdout) as { error: { code: string } }).error.code, 'TL_MARKET_BAD_TIMEFRAME');
});
