/**
 * Web benchmark (`npm run bench -- web`). Prints:
 * 1. chart data over HTTP: GET /api/bars/:instrument?timeframe=1m&limit=2000, 10 connections, keep-alive, a few
 *    seconds each, out of a store of 5 instruments × 1,000,000 1m bars (each about 1.9 years of minutes):
 *    - any window: a different random window of one instrument's history on every request (scrolling back through
 *      two years), in the binary form the chart page reads, in JSON, and in JSON with gzip;
 *    - any window across all five instruments (5,000,000 bars, more than the chart cache holds: mostly read from
 *      market.db);
 *    - the same window again (binary; JSON with gzip), and revalidation with If-None-Match (304).
 *    Goal: any window ≥ 1,500 req/s with 10 connections and < 1 ms server time, on 2 cores.
 * 2. dashboard HTML with 10,000 positions: median server time of GET / (goal < 100 ms), and of /positions and
 *    /statistics for comparison.
 *
 * The server runs in a child process (this file with `--serve DIR`) and reports, per run, the server time of each
 * answer (Fastify's elapsed time, as in Server-Timing) and the CPU time it spent per answer (process.cpuUsage): on
 * a machine shared with other work, req/s drops with the CPU left over, CPU time per answer does not. The load comes
 * from wrk when it is installed (it costs the machine far less than a Node client), else from the Node client here.
 * The 5M-bar store is built once and kept in the system temp dir for later runs.
 */
import { spawn, spawnSync } from 'node:child_process';
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
  // Only the chart cache's bound is taken from the environment (TRADELOG_CHART_CACHE_MB=256 npm run bench -- web).
  const config = loadConfig(
    { dataDir: dir, port: 0, logLevel: 'silent' },
    { TRADELOG_CHART_CACHE_MB: process.env.TRADELOG_CHART_CACHE_MB },
  );
  const store = openStore(dataPaths(dir), { logger: silentLogger() });
  const app = await buildApp({ config, store, logger: silentLogger(), health: () => ({ status: 'ok', findings: [] }) });
  // Server time of every answer and CPU time since the last reset, asked for by the parent over IPC.
  let times: number[] = [];
  let cpu = process.cpuUsage();
  app.addHook('onResponse', async (_req, reply) => {
    times.push(reply.elapsedTime);
  });
  process.on('message', (m: string) => {
    if (m === 'reset') {
      times = [];
      cpu = process.cpuUsage();
      process.send?.({ reset: true });
    } else if (m === 'report') {
      const used = process.cpuUsage(cpu);
      const cache = app.tradelog.services?.market.chartCacheStats();
      process.send?.({ times, cpuMs: (used.user + used.system) / 1000, cache });
    }
  });
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

interface ServerProcess {
  url: string;
  /** Forget the server's figures so far (call before a run). */
  reset(): Promise<void>;
  /** The server's figures since the last reset. */
  report(): Promise<ServerReport>;
  stop(): Promise<void>;
}

interface ServerReport {
  times: number[];
  cpuMs: number;
  cache?: { entries: number; bytes: number; maxBytes: number; hits: number; misses: number };
}

async function startServer(dir: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--serve', dir], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
      const m = /"address":"([^"]+)"/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  const ask = <T>(m: string) =>
    new Promise<T>((resolve) => {
      child.once('message', (answer) => resolve(answer as T));
      child.send(m);
    });
  return {
    url,
    reset: async () => {
      await ask('reset');
    },
    report: () => ask<ServerReport>('report'),
    stop: () =>
      new Promise<void>((r) => {
        child.on('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
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

/** What a chart run asks for: a random window of a random instrument on every request, or one fixed window. */
interface ChartTarget {
  instruments: readonly string[];
  random: boolean;
  /** Appended to the query string (`&format=binary`). */
  extra: string;
  headers: Record<string, string>;
}

interface ChartRun {
  requests: number;
  seconds: number;
  bytes: number;
  /** Answers with a status other than 2xx/3xx. */
  failed: number;
}

const WINDOW = 2000;

function chartPath(target: ChartTarget, rnd: () => number): string {
  const inst = target.instruments[Math.floor(rnd() * target.instruments.length)] as string;
  const to = target.random ? `&to=${START + Math.floor(WINDOW + rnd() * (BARS_PER_INSTRUMENT - WINDOW)) * 60}` : '';
  return `/api/bars/${encodeURIComponent(inst)}?timeframe=1m&limit=${WINDOW}${to}${target.extra}`;
}

/** The same requests as chartPath, made by wrk's Lua (a seed per thread). */
function wrkScript(target: ChartTarget): string {
  const headers = Object.entries(target.headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`);
  return `${headers.join('\n')}
local instruments = { ${target.instruments.map((i) => JSON.stringify(i)).join(', ')} }
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end
function init(args)
  math.randomseed(7919 * seed)
end
function request()
  local inst = instruments[math.random(#instruments)]
  local to = ""
  if ${target.random} then
    to = string.format("&to=%d", ${START} + math.floor(${WINDOW} + math.random() * ${BARS_PER_INSTRUMENT - WINDOW}) * 60)
  end
  return wrk.format("GET", "/api/bars/" .. inst .. "?timeframe=1m&limit=${WINDOW}" .. to .. ${JSON.stringify(target.extra)})
end
`;
}

function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error === undefined;
}

/** Load from wrk: 2 threads, `connections` connections, `seconds` s. */
function runWrk(url: string, target: ChartTarget, seconds: number, connections: number): ChartRun {
  const script = path.join(os.tmpdir(), `tradelog-bench-${process.pid}.lua`);
  fs.writeFileSync(script, wrkScript(target));
  try {
    const r = spawnSync('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '-s', script, url], { encoding: 'utf8' });
    const out = r.stdout;
    if (process.env.WRK_DEBUG) console.log(out);
    const m = /(\d+) requests in ([\d.]+)(m?s), ([\d.]+)([KMG]?B) read/.exec(out);
    if (!m) throw new Error(`wrk: ${out}${r.stderr}`);
    const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[5] as string] ?? 1;
    const failed = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
    return { requests: Number(m[1]), seconds: Number(m[2]) / (m[3] === 'ms' ? 1000 : 1), bytes: Number(m[4]) * unit, failed };
  } finally {
    fs.rmSync(script, { force: true });
  }
}

/** Load from the Node client above. */
async function runNode(url: string, target: ChartTarget, seconds: number, connections: number, rnd: () => number): Promise<ChartRun> {
  const r = await load(url, () => ({ path: chartPath(target, rnd), headers: target.headers }), seconds, connections);
  const failed = Object.entries(r.statuses).reduce((n, [status, count]) => n + (Number(status) >= 400 ? count : 0), 0);
  return { requests: r.requests, seconds: r.seconds, bytes: r.bytes, failed };
}

interface ChartFigures {
  reqPerSec: number;
  serverP50: number;
  serverP99: number;
  cpuPerAnswer: number;
}

async function chartRun(server: ServerProcess, name: string, target: ChartTarget, rnd: () => number, seconds = 5): Promise<ChartFigures> {
  // Two unmeasured seconds first: the JIT and the garbage collector settle into the run's pattern.
  if (USE_WRK) runWrk(server.url, target, 2, 10);
  else await runNode(server.url, target, 2, 10, rnd);
  await server.reset();
  const r = USE_WRK ? runWrk(server.url, target, seconds, 10) : await runNode(server.url, target, seconds, 10, rnd);
  const s = await server.report();
  const f = {
    reqPerSec: r.requests / r.seconds,
    serverP50: pct(s.times, 50),
    serverP99: pct(s.times, 99),
    cpuPerAnswer: s.cpuMs / Math.max(1, s.times.length),
  };
  console.log(
    `${name.padEnd(52)} ${f.reqPerSec.toFixed(0).padStart(6)} req/s  server p50 ${f.serverP50.toFixed(2)} ms  p99 ${f.serverP99.toFixed(2)} ms  CPU ${f.cpuPerAnswer.toFixed(3)} ms/answer  ${(r.bytes / Math.max(1, r.requests) / 1024).toFixed(1)} KB/answer${r.failed ? `  ${r.failed} FAILED` : ''}`,
  );
  return f;
}

const USE_WRK = hasWrk();

async function chartBench(server: ServerProcess): Promise<void> {
  console.log(`load: ${USE_WRK ? 'wrk, 2 threads' : 'Node http client (install wrk for lighter load)'}, 10 connections, keep-alive`);
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const one = ['MNQ'];
  const binary = { extra: '&format=binary', headers: {} };
  const json = { extra: '', headers: {} };
  const gzip = { extra: '', headers: { 'accept-encoding': 'gzip' } };
  const brotli = { extra: '', headers: { 'accept-encoding': 'gzip, deflate, br' } };
  // Scroll through MNQ's whole history once, as the chart page does (binary): what the first look costs.
  const t0 = performance.now();
  await server.reset();
  for (let to = START + 100_000 * 60; to < START + (BARS_PER_INSTRUMENT + 100_000) * 60; to += 100_000 * 60) {
    await fetchOk(`${server.url}/api/bars/MNQ?timeframe=1m&limit=100000&to=${to}&format=binary`);
  }
  const first = await server.report();
  console.log(
    `first read of MNQ's 1,000,000 1m bars (1.9 years) in 100,000-bar windows, binary: ${((performance.now() - t0) / 1000).toFixed(1)} s; chart cache ${cacheText(first)}`,
  );
  const anyBinary = await chartRun(server, 'any window of 1.9 y of 1m bars, binary', { instruments: one, random: true, ...binary }, rnd);
  const anyJson = await chartRun(server, 'any window of 1.9 y of 1m bars, JSON', { instruments: one, random: true, ...json }, rnd);
  await chartRun(server, 'any window of 1.9 y of 1m bars, JSON + brotli', { instruments: one, random: true, ...brotli }, rnd);
  await chartRun(server, 'any window of 1.9 y of 1m bars, JSON + gzip', { instruments: one, random: true, ...gzip }, rnd);
  console.log(`chart cache after the JSON runs: ${cacheText(await server.report())}`);
  const sameBinary = await chartRun(server, 'same window again, binary', { instruments: one, random: false, ...binary }, rnd);
  const sameJson = await chartRun(server, 'same window again, JSON + brotli', { instruments: one, random: false, ...brotli }, rnd);
  const etag = await new Promise<string>((resolve) =>
    http.get(`${server.url}/api/bars/MNQ?timeframe=1m&limit=${WINDOW}`, (r) => {
      r.resume();
      resolve(String(r.headers.etag));
    }),
  );
  await chartRun(
    server,
    'same window, If-None-Match (304)',
    { instruments: one, random: false, extra: '', headers: { 'if-none-match': etag } },
    rnd,
  );
  await chartRun(server, 'any window of 5 instruments × 1M bars, binary', { instruments: INSTRUMENTS, random: true, ...binary }, rnd);
  const after = await server.report();
  console.log(`chart cache after the 5-instrument run (5,000,000 bars do not fit: most windows read market.db): ${cacheText(after)}`);
  const met = (f: ChartFigures) => f.reqPerSec >= 1500 && f.serverP50 < 1;
  console.log(
    `any-window goal (≥ 1,500 req/s with 10 connections, server time < 1 ms): binary ${anyBinary.reqPerSec.toFixed(0)} req/s, p50 ${anyBinary.serverP50.toFixed(2)} ms (${met(anyBinary) ? 'met' : 'NOT met'}); JSON ${anyJson.reqPerSec.toFixed(0)} req/s, p50 ${anyJson.serverP50.toFixed(2)} ms (${met(anyJson) ? 'met' : 'NOT met'})`,
  );
  console.log(`${loadText()} at the end of the chart runs`);
  console.log(
    `any window vs same window: binary ${anyBinary.reqPerSec.toFixed(0)} vs ${sameBinary.reqPerSec.toFixed(0)} req/s; JSON ${anyJson.reqPerSec.toFixed(0)} vs ${sameJson.reqPerSec.toFixed(0)} req/s (same window with brotli)`,
  );
}

/** The machine's load average: on a shared machine req/s follow the CPU left over (CPU time per answer does not). */
function loadText(): string {
  return `load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')}`;
}

function cacheText(r: ServerReport): string {
  const c = r.cache;
  if (!c) return '?';
  return `${c.entries} entries, ${(c.bytes / 1024 ** 2).toFixed(1)} of ${(c.maxBytes / 1024 ** 2).toFixed(0)} MiB, ${c.hits} hits, ${c.misses} misses since start`;
}

async function fetchOk(url: string): Promise<void> {
  const res = await fetch(url);
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${loadText()}`);
  buildBarStore();
  const server = await startServer(BARS_DIR);
  try {
    await chartBench(server);
  } finally {
    await server.stop();
  }
  if (process.argv.includes('--charts-only')) return;

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
