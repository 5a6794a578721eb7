/**
 * Market-data speed goals (issue 4), printed as figures:
 * 1. bulk upsert of 1,000,000 bars through the bars repo vs a bare prepared-statement insert into the same table,
 *    same run (goal: ≥ 80 %);
 * 2. the newest 2,000 bars of one instrument/timeframe from a 5,000,000-bar store (goal: < 3 ms median), and the
 *    chart endpoint's body built from them (goal: < 5 ms);
 * 3. `ohlc update` of six timeframes against a stub answering in 50 ms (goal: < 2 s).
 *
 * `npm run bench -- market-data`. BENCH_QUICK=1 shrinks the sizes for a smoke run; BENCH_ONLY=1,3 runs some parts.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataPaths } from '../src/config.js';
import { openStore, type Store } from '../src/db/store.js';
import { type Bar, createBarsRepo } from '../src/market-data/bars.repo.js';
import { createMarketData } from '../src/market-data/service.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const UPSERT_N = quick ? 100_000 : 1_000_000;
const STORE_N = quick ? 500_000 : 5_000_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

function tempData(prefix: string): { dir: string; store: Store } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, store: openStore(dataPaths(path.join(dir, 'data'))) };
}

function makeBars(n: number, start: number, step: number): Bar[] {
  const out: Bar[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const o = 20000 + ((i * 7) % 400) * 0.25;
    const c = o + ((i % 9) - 4) * 0.25;
    out[i] = {
      time: start + i * step,
      open: o,
      high: Math.max(o, c) + 1.5,
      low: Math.min(o, c) - 1.25,
      close: c,
      volume: 100 + (i % 1000),
    };
  }
  return out;
}

const rate = (n: number, ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString('en-US')} rows/s`;

function benchUpsert(): void {
  console.log(
    `\n## 1. Bulk upsert of ${UPSERT_N.toLocaleString('en-US')} bars vs a bare prepared insert (same table, fresh file each run)`,
  );
  const bars = makeBars(UPSERT_N, 1_600_000_000, 60);
  const bare: number[] = [];
  const repo: number[] = [];
  const again: number[] = [];
  for (let run = 0; run < 3; run++) {
    {
      const { dir, store } = tempData('tl-bench-bare-');
      const stmt = store.market.conn.prepare(
        'INSERT INTO bars (instrument, timeframe, time, open, high, low, close, volume, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      const t0 = performance.now();
      store.market.write(() => {
        for (const b of bars) stmt.run('MNQ', '1m', b.time, b.open, b.high, b.low, b.close, b.volume, 'csv');
      });
      bare.push(performance.now() - t0);
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    {
      const { dir, store } = tempData('tl-bench-upsert-');
      const r = createBarsRepo(store.market);
      let t0 = performance.now();
      const res = r.upsert('MNQ', '1m', bars, 'csv');
      repo.push(performance.now() - t0);
      if (res.stored !== UPSERT_N) throw new Error(`stored ${res.stored}`);
      t0 = performance.now();
      const res2 = r.upsert('MNQ', '1m', bars, 'csv');
      again.push(performance.now() - t0);
      if (res2.unchanged !== UPSERT_N) throw new Error(`unchanged ${res2.unchanged}`);
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    console.log(
      `run ${run + 1}: bare insert ${(bare[run] as number).toFixed(0)} ms, repo upsert ${(repo[run] as number).toFixed(0)} ms, re-upsert (all unchanged) ${(again[run] as number).toFixed(0)} ms`,
    );
  }
  const b = median(bare);
  const u = median(repo);
  console.log(
    `median: bare insert ${rate(UPSERT_N, b)}; repo upsert (validation + ON CONFLICT) ${rate(UPSERT_N, u)}; re-upsert ${rate(UPSERT_N, median(again))}`,
  );
  console.log(`upsert / bare throughput: ${((b / u) * 100).toFixed(1)} %  (goal ≥ 80 %)`);
}

function benchRead(): void {
  console.log(`\n## 2. Newest 2,000 bars from a ${STORE_N.toLocaleString('en-US')}-bar store`);
  const { dir, store } = tempData('tl-bench-read-');
  try {
    const instruments = ['MNQ', 'ES', 'NQ', 'MES', 'CL'];
    const per = STORE_N / instruments.length;
    const stmt = store.market.conn.prepare(
      'INSERT INTO bars (instrument, timeframe, time, open, high, low, close, volume, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    let t0 = performance.now();
    for (const inst of instruments) {
      // 1m bars for most of the rows, plus the other timeframes of the same span, like a real store.
      const plan: [string, number, number][] = [
        ['1m', 60, per * 0.8],
        ['5m', 300, per * 0.12],
        ['15m', 900, per * 0.05],
        ['1h', 3600, per * 0.025],
        ['1d', 86400, per * 0.005],
      ];
      for (const [tf, step, n] of plan) {
        const bars = makeBars(Math.round(n), 1_500_000_000, step);
        store.market.write(() => {
          for (const b of bars) stmt.run(inst, tf, b.time, b.open, b.high, b.low, b.close, b.volume, 'demo');
        });
      }
    }
    const total = store.market.conn.prepare('SELECT count(*) FROM bars').pluck().get() as number;
    console.log(
      `built ${total.toLocaleString('en-US')} bars in ${((performance.now() - t0) / 1000).toFixed(1)} s; file ${(fs.statSync(store.paths.marketDb).size / 1e6).toFixed(0)} MB`,
    );
    store.market.checkpoint();

    const repo = createBarsRepo(store.market);
    const market = createMarketData({
      market: store.market,
      journal: store.journal,
      config: { yahooBaseUrl: 'http://127.0.0.1:9', importTimezone: 'UTC', schedulerIntervalMinutes: 0 },
    });
    const runs = 200;
    const cases: [string, () => unknown][] = [
      ['readColumnar (raw arrays → columns)', () => repo.readColumnar(pick(), '1m', { limit: 2000 })],
      ['chartWindow newest, JSON (endpoint body, chart cache)', () => market.chartWindow(pick(), '1m', { limit: 2000 }).json()],
      [
        'chartWindow at a random `to`, binary (chart cache)',
        () => market.chartWindow(pick(), '1m', { limit: 2000, to: 1_500_000_000 + Math.floor(Math.random() * per * 0.7) * 60 }).binary(),
      ],
      [
        'readColumnar at a random `to` (older range)',
        () => repo.readColumnar(pick(), '1m', { limit: 2000, to: 1_500_000_000 + Math.floor(Math.random() * per * 0.7) * 60 }),
      ],
      ['read (row objects, for comparison)', () => repo.read(pick(), '1m', { limit: 2000 })],
    ];
    function pick(): string {
      return instruments[Math.floor(Math.random() * instruments.length)] as string;
    }
    // Round-robin over the cases, so a change in the machine's load affects them all alike.
    for (const [, fn] of cases) for (let i = 0; i < 20; i++) fn();
    const times: number[][] = cases.map(() => []);
    for (let i = 0; i < runs; i++) {
      cases.forEach(([, fn], k) => {
        t0 = performance.now();
        const r = fn();
        (times[k] as number[]).push(performance.now() - t0);
        if ((typeof r === 'string' || Buffer.isBuffer(r)) && r.length < 1000) throw new Error('empty result');
      });
    }
    cases.forEach(([name], k) => {
      const ts = times[k] as number[];
      console.log(
        `${name.padEnd(52)} median ${median(ts).toFixed(2)} ms, p95 ${percentile(ts, 95).toFixed(2)} ms, min ${Math.min(...ts).toFixed(2)} ms`,
      );
    });
    const body = market.chartWindow('MNQ', '1m', { limit: 2000 }).json();
    console.log(
      `body: ${(body.length / 1024).toFixed(0)} KiB for 2,000 bars (goal: newest 2,000 < 3 ms median; endpoint server time < 5 ms)`,
    );
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function startStubChild(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--stub'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(buf.trim());
    });
    child.on('exit', (code) => reject(new Error(`stub exited ${code}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

async function benchUpdate(): Promise<void> {
  console.log('\n## 3. `ohlc update` of six timeframes (1m,5m,15m,1h,4h,1d) against a stub answering in 50 ms');
  const stub = await startStubChild();
  try {
    const inProcess: number[] = [];
    const rerun: number[] = [];
    for (let run = 0; run < 3; run++) {
      const { dir, store } = tempData('tl-bench-update-');
      // Default provider settings: request spacing 100 ms, 15 s timeout, default retries.
      const market = createMarketData({
        market: store.market,
        journal: store.journal,
        config: { yahooBaseUrl: stub.url, importTimezone: 'UTC', schedulerIntervalMinutes: 0 },
      });
      let t0 = performance.now();
      const report = await market.updateRecentData('MNQ', ['1m', '5m', '15m', '1h', '4h', '1d']);
      inProcess.push(performance.now() - t0);
      const bars = report.timeframes.reduce((s, t) => s + t.stored, 0);
      const requests = report.timeframes.reduce((s, t) => s + t.requests, 0);
      if (report.timeframes.some((t) => t.status !== 'ok')) throw new Error(JSON.stringify(report));
      t0 = performance.now();
      await market.updateRecentData('MNQ', ['1m', '5m', '15m', '1h', '4h', '1d']);
      rerun.push(performance.now() - t0);
      console.log(
        `run ${run + 1}: first update ${(inProcess[run] as number).toFixed(0)} ms (${requests} requests, ${bars.toLocaleString('en-US')} bars stored); rerun ${(rerun[run] as number).toFixed(0)} ms`,
      );
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    console.log(
      `median in process: first update ${median(inProcess).toFixed(0)} ms, rerun ${median(rerun).toFixed(0)} ms  (goal < 2,000 ms)`,
    );
    const cli: number[] = [];
    for (let run = 0; run < 3; run++) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tl-bench-cli-'));
      const t0 = performance.now();
      const r = spawnSync(
        path.join(here, '..', 'bin', 'tradelog'),
        ['ohlc', 'update', 'MNQ', '--json', '--data-dir', path.join(dir, 'data')],
        {
          env: { ...process.env, TRADELOG_YAHOO_BASE_URL: stub.url },
          encoding: 'utf8',
        },
      );
      cli.push(performance.now() - t0);
      if (r.status !== 0) throw new Error(r.stderr);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const bare = spawnSync(path.join(here, '..', 'bin', 'tradelog'), ['--version'], { encoding: 'utf8' });
    const t0 = performance.now();
    spawnSync(path.join(here, '..', 'bin', 'tradelog'), ['--version'], { encoding: 'utf8' });
    const startup = performance.now() - t0;
    if (bare.status !== 0) throw new Error('tradelog --version failed');
    console.log(
      `whole command (bin/tradelog through tsx, fresh data dir): median ${median(cli).toFixed(0)} ms, of which ~${startup.toFixed(0)} ms is process start-up (tradelog --version)`,
    );
  } finally {
    stub.stop();
  }
}

async function main(): Promise<void> {
  console.log(`market-data bench${quick ? ' (BENCH_QUICK)' : ''}: node ${process.version}, ${os.cpus().length} CPUs`);
  const only = process.env.BENCH_ONLY?.split(',');
  const want = (n: string) => !only || only.includes(n);
  if (want('1')) benchUpsert();
  if (want('2')) benchRead();
  if (want('3')) await benchUpdate();
}

if (process.argv.includes('--stub')) {
  // Child mode: serve the Yahoo stub so its bar generation does not share the measured process.
  const { startYahooStub } = await import('../test/helpers/yahoo-stub.js');
  const stub = await startYahooStub({ latencyMs: 50 });
  process.stdout.write(`${stub.url}\n`);
  process.on('SIGTERM', () => {
    void stub.close().then(() => process.exit(0));
  });
} else {
  await main();
}
