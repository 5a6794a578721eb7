/**
 * Web benchmark (`npm run bench -- web`). Prints:
 * 1. chart data over HTTP: GET /api/bars/:instrument?timeframe=1m&limit=2000 out of a 5,000,000-bar store, 10
 *    connections, keep-alive, for a few seconds each: (a) a different window on every request (nothing cached),
 *    (b) the same chart asked again (served from the answer cache, gzip), (c) revalidation with If-None-Match (304).
 *    Server time is the median of the Server-Timing header; req/s counts completed answers.
 *    Goal: server time < 5 ms median and ≥ 1,000 req/s with 10 connections on 2 cores.
 * 2. dashboard HTML with 10,000 positions: median server time of GET / (goal < 100 ms), and of /positions and
 *    /statistics for comparison.
 *
 * The server runs in a child process (this file with `--serve DIR`), the load generator here, so they share the
 * machine's two cores the way a browser and the server would. The 5M-bar store is built once and kept in the
 * system temp dir for later runs.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { dataPaths, loadConfig } from '../src/config.js';
import { openStore } from '../src/db/store.js';
import { silentLogger } from '../src/log.js';
import { createMarketData } from '../src/market-data/service.js';
import { createSettingsRepo } from '../src/settings/settings.repo.js';
import { createTradesService } from '../src/trades/trades.service.js';
import { buildApp } from '../src/web/app.js';

const SELF = fileURLToPath(import.meta.url);
const BARS_DIR = path.join(os.tmpdir(), 'tradelog-bench-web-bars');
const INSTRUMENTS = ['MNQ', 'ES', 'NQ', 'CL', 'GC'];
const BARS_PER_INSTRUMENT = 1_000_000;
const START = Date.UTC(2020, 0, 6) / 1000;

async function serve(dir: string): Promise<void> {
  const config = loadConfig({ dataDir: dir, port: 0, logLevel: 'silent' }, {});
  const store = openStore(dataPaths(dir), { logger: silentLogger() });
  const app = await buildApp({ config, store, logger: silentLogger(), health: () => ({ status: 'ok', findings: [] }) });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${JSON.stringify({ address })}\n`);
  process.on('SIGTERM', () => {
    void app.close().then(() => {
      store.close();
      process.exit(0);
    });
  });
}

function buildBarStore(): void {
  const paths = dataPaths(BARS_DIR);
  if (fs.existsSync(paths.marketDb)) {
    const store = openStore(paths, { logger: silentLogger() });
    const market = createMarketData({ market: store.market, journal: store.journal, config: loadConfig({ dataDir: BARS_DIR }, {}) });
    const total = market.coverage().reduce((n, c) => n + c.count, 0);
    store.close();
    if (total === INSTRUMENTS.length * BARS_PER_INSTRUMENT) {
      console.log(`bars store: reusing ${BARS_DIR} (${total.toLocaleString('en-US')} bars)`);
      return;
    }
    fs.rmSync(BARS_DIR, { recursive: true, force: true });
  }
  const t0 = performance.now();
  const store = openStore(paths, { logger: silentLogger() });
  const market = createMarketData({ market: store.market, journal: store.journal, config: loadConfig({ dataDir: BARS_DIR }, {}) });
  for (const [k, root] of INSTRUMENTS.entries()) {
    let price = 1000 + k * 1000;
    const chunk = 250_000;
    for (let from = 0; from < BARS_PER_INSTRUMENT; from += chunk) {
      const bars = [];
      for (let i = from; i < from + chunk; i++) {
        const open = price;
        price = Math.max(10, price + Math.round((Math.sin(i * 0.37 + k) + Math.cos(i * 0.011)) * 4) / 4);
        const high = Math.max(open, price) + 0.25;
        const low = Math.min(open, price) - 0.25;
        bars.push({ time: START + i * 60, open, high, low, close: price, volume: 100 + (i % 400) });
      }
      market.bars.upsert(root, '1m', bars, 'csv');
    }
  }
  store.close();
  console.log(
    `bars store: built ${(INSTRUMENTS.length * BARS_PER_INSTRUMENT).toLocaleString('en-US')} bars in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

async function buildPositionsJournal(dir: string, positions: number): Promise<void> {
  const paths = dataPaths(dir);
  const store = openStore(paths, { logger: silentLogger() });
  const trades = createTradesService({ journal: store.journal, importTimezone: 'America/Los_Angeles' });
  const lines = ['Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation'];
  let t = DateTime.fromISO('2024-01-02T06:35:00', { zone: 'America/Los_Angeles' });
  let n = 0;
  for (let i = 0; i < positions; i++) {
    const long = i % 3 !== 0;
    const entry = 18000 + (i % 500);
    const exit = entry + ((i * 7) % 41) - 18;
    const qty = 1 + (i % 3);
    const account = i % 2 === 0 ? 'BENCH-A' : 'BENCH-B';
    const instrument = i % 4 === 0 ? 'ES 03-24' : 'MNQ 03-24';
    const fmt = (d: DateTime) => d.toFormat('M/d/yyyy h:mm:ss a');
    lines.push(`${instrument},${long ? 'Buy' : 'Sell'},${qty},${entry}.25,${fmt(t)},b${++n},Entry,-,o${n},Entry,$0.52,1,${account},Sim,`);
    t = t.plus({ minutes: 4 });
    lines.push(`${instrument},${long ? 'Sell' : 'Buy'},${qty},${exit}.50,${fmt(t)},b${++n},Exit,-,o${n},Exit,$0.52,1,${account},Sim,`);
    t = t.plus({ minutes: 3 });
    if (t.hour >= 13) t = t.plus({ days: 1 }).set({ hour: 6, minute: 35 });
    if (t.weekday > 5) t = t.plus({ days: 8 - t.weekday });
  }
  const r = await trades.importFile({ name: 'bench.csv', content: `${lines.join('\n')}\n` });
  if (r.status !== 'imported') throw new Error(`bench import ${r.status}: ${JSON.stringify(r.rejected.slice(0, 3))}`);
  console.log(
    `journal: ${trades.countPositions({}).toLocaleString('en-US')} positions from ${r.executionsAdded.toLocaleString('en-US')} executions`,
  );
  store.close();
}

async function startServer(dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--serve', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /"address":"([^"]+)"/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  const stop = () =>
    new Promise<void>((r) => {
      child.on('exit', () => r());
      child.kill('SIGTERM');
    });
  return { url, stop };
}

interface LoadResult {
  requests: number;
  seconds: number;
  statuses: Record<number, number>;
  clientMs: number[];
  serverMs: number[];
  bytes: number;
}

/** `connections` keep-alive loops for `seconds`, each asking `next()` again as soon as an answer is complete. */
async function load(
  base: string,
  next: () => { path: string; headers?: Record<string, string> },
  seconds: number,
  connections = 10,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const res: LoadResult = { requests: 0, seconds, statuses: {}, clientMs: [], serverMs: [], bytes: 0 };
  const end = performance.now() + seconds * 1000;
  const u = new URL(base);
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const { path: p, headers } = next();
      const t0 = performance.now();
      const req = http.get({ host: u.hostname, port: u.port, path: p, agent, headers }, (r) => {
        r.on('data', (d: Buffer) => {
          res.bytes += d.length;
        });
        r.on('end', () => {
          res.clientMs.push(performance.now() - t0);
          const st = /dur=([\d.]+)/.exec(String(r.headers['server-timing'] ?? ''));
          if (st) res.serverMs.push(Number(st[1]));
          res.statuses[r.statusCode ?? 0] = (res.statuses[r.statusCode ?? 0] ?? 0) + 1;
          res.requests++;
          resolve();
        });
      });
      req.on('error', reject);
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  agent.destroy();
  return res;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

function report(name: string, r: LoadResult): void {
  console.log(
    `${name.padEnd(44)} ${(r.requests / r.seconds).toFixed(0).padStart(6)} req/s  server p50 ${pct(r.serverMs, 50).toFixed(2)} ms  p99 ${pct(r.serverMs, 99).toFixed(2)} ms  client p50 ${pct(r.clientMs, 50).toFixed(2)} ms  ${(r.bytes / r.requests / 1024).toFixed(1)} KB/answer  ${JSON.stringify(r.statuses)}`,
  );
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'})`);
  buildBarStore();
  const server = await startServer(BARS_DIR);
  try {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    // Warm the page cache and the JIT.
    await load(server.url, () => ({ path: '/api/bars/MNQ?timeframe=1m&limit=2000' }), 1);
    const cold = await load(
      server.url,
      () => {
        const inst = INSTRUMENTS[Math.floor(rnd() * INSTRUMENTS.length)] as string;
        const to = START + Math.floor((2000 + rnd() * (BARS_PER_INSTRUMENT - 2000)) * 60);
        return { path: `/api/bars/${inst}?timeframe=1m&limit=2000&to=${to}` };
      },
      5,
    );
    report('2,000 bars, a new window every request', cold);
    const warm = await load(
      server.url,
      () => ({ path: '/api/bars/ES?timeframe=1m&limit=2000', headers: { 'accept-encoding': 'gzip' } }),
      5,
    );
    report('2,000 bars, same chart again (cache, gzip)', warm);
    const etag = await new Promise<string>((resolve) =>
      http.get(`${server.url}/api/bars/ES?timeframe=1m&limit=2000`, (r) => {
        r.resume();
        resolve(String(r.headers.etag));
      }),
    );
    const revalidate = await load(
      server.url,
      () => ({ path: '/api/bars/ES?timeframe=1m&limit=2000', headers: { 'if-none-match': etag } }),
      3,
    );
    report('2,000 bars, If-None-Match (304)', revalidate);
    const verdict = (r: LoadResult) =>
      `server p50 ${pct(r.serverMs, 50).toFixed(2)} ms (${pct(r.serverMs, 50) < 5 ? 'met' : 'NOT met'}), ${(r.requests / r.seconds).toFixed(0)} req/s (${r.requests / r.seconds >= 1000 ? 'met' : 'NOT met'})`;
    console.log(`chart data goal (< 5 ms, ≥ 1,000 req/s): uncached windows ${verdict(cold)}; repeated chart ${verdict(warm)}`);
  } finally {
    await server.stop();
  }

  const journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-bench-web-'));
  try {
    await buildPositionsJournal(journalDir, 10_000);
    const s2 = await startServer(journalDir);
    // Another connection writes a setting before each request: the journal changed, so nothing computed
    // before may be reused (the first view after an import); then the same pages again, unchanged.
    const toucher = openStore(dataPaths(journalDir), { logger: silentLogger() });
    const settings = createSettingsRepo(toucher.journal);
    let touches = 0;
    try {
      for (const [name, p] of [
        ['GET / (dashboard)', '/'],
        ['GET /positions (page 1 of 200)', '/positions'],
        ['GET /positions sorted by net P&L', '/positions?sort=netPnl'],
        ['GET /statistics (by month)', '/statistics'],
        ['GET /api/stats', '/api/stats'],
      ] as const) {
        const changed = await load(
          s2.url,
          () => {
            settings.set('bench.touch', z.number(), ++touches);
            return { path: p, headers: { accept: 'text/html' } };
          },
          3,
          1,
        );
        report(`${name}, 10,000 positions, after a change`, changed);
        const same = await load(s2.url, () => ({ path: p, headers: { accept: 'text/html' } }), 2, 1);
        report(`${name}, 10,000 positions, unchanged`, same);
        if (p === '/') console.log(`dashboard goal (< 100 ms after a change): ${pct(changed.serverMs, 50) < 100 ? 'met' : 'NOT met'}`);
      }
    } finally {
      toucher.close();
      await s2.stop();
    }
  } finally {
    fs.rmSync(journalDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') await serve(process.argv[3] as string);
else await main();
