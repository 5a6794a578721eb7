import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { CME_ZONE, isOpen, sessionFor } from '../../src/calendar/sessions.js';
import { type Clock, systemClock } from '../../src/clock.js';

/**
 * A local HTTP server that speaks the Yahoo Finance chart API (docs/interface.md), for tests and the browser test
 * of "Update from API". Point the app at it with `TRADELOG_YAHOO_BASE_URL=<stub.url>` (or `baseUrl` of the Yahoo
 * provider).
 *
 * - `GET /v8/finance/chart/{symbol}?interval&period1&period2` answers the recorded shape of
 *   test/fixtures/yahoo/chart-mnq-1h.json, with one bar per interval slot in [period1, min(period2, now)) while the
 *   CME market is open. Bars are generated deterministically from the symbol and the bar time; every
 *   `nullEvery`-th slot has `null` prices (no trade), and the bar holding `now` is still forming (its close and volume
 *   depend on `now`).
 * - Like Yahoo: an unknown symbol → 404 "No data found, symbol may be delisted"; a range the interval does not allow
 *   (1m: more than 8 days per request or older than 30 days; 2m–90m: older than 60 days; 1h: older than 730 days)
 *   → 422; an interval Yahoo does not have (4h) → 400.
 * - Faults for the next matching requests: `stub.fault({ interval: '5m' }, { kind: 'rate-limit' }, 1)`.
 * - `stub.requests` lists every request it saw.
 *
 * ```ts
 * const stub = await startYahooStub({ latencyMs: 50 });
 * t.after(() => stub.close());
 * // ... run tradelog with TRADELOG_YAHOO_BASE_URL = stub.url
 * ```
 */
export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'yahoo');

export function readFixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, name), 'utf8');
}

export type FaultKind =
  /** HTTP 429 with Yahoo's plain-text body (and `Retry-After` when `retryAfterSec` is set). */
  | 'rate-limit'
  /** Yahoo's HTML outage page, with `status` (default 200). */
  | 'html'
  /** A JSON answer cut off in the middle. */
  | 'truncated'
  /** HTTP `status` (default 500) with a short text body. */
  | 'server-error'
  /** Waits `delayMs` (default 10 s) before answering normally: a client timeout. */
  | 'hang'
  /** Closes the connection without an answer. */
  | 'reset'
  /** A normal answer in which the first bar with prices has its high below its low. */
  | 'inconsistent-bar'
  /** A normal answer in which every bar with prices has its high below its low. */
  | 'all-inconsistent'
  /** A normal answer whose timestamps are all moved by `shiftSec` (default 30 days back): outside the range asked. */
  | 'shifted'
  /** A normal answer that says it is for `symbol` (default ES=F) instead of the symbol asked. */
  | 'wrong-symbol'
  /** HTTP `status` (default 302) redirecting to `location`. */
  | 'redirect'
  /**
   * An answer of `bytes` bytes (default 300 MiB) that starts like chart data, streamed in 64 KiB chunks as the
   * client reads them (never held in memory); with `declareLength` it states its length in Content-Length.
   */
  | 'huge';

export interface Fault {
  kind: FaultKind;
  status?: number;
  delayMs?: number;
  retryAfterSec?: number;
  location?: string;
  symbol?: string;
  shiftSec?: number;
  bytes?: number;
  declareLength?: boolean;
}

export interface FaultMatch {
  interval?: string;
  symbol?: string;
}

export interface StubRequest {
  symbol: string;
  interval: string;
  period1: number;
  period2: number;
  status: number;
  fault?: FaultKind;
  /** Body bytes written (for 'huge': how much of it went out before the client stopped reading). */
  bytesSent?: number;
}

export interface YahooStubOptions {
  /** Delay before every answer (benchmarks use 50 ms). */
  latencyMs?: number;
  /** The stub's clock (data ends at its now; windows are measured from it). Default: the system clock. */
  clock?: Clock;
  /** Known symbols and the price level their bars move around. */
  symbols?: Record<string, number>;
  /** Every n-th slot (by time) has null prices. Default 37; 0 = never. */
  nullEvery?: number;
}

export interface YahooStub {
  url: string;
  requests: StubRequest[];
  /** Apply `fault` to the next `times` requests that match. */
  fault(match: FaultMatch, fault: Fault, times?: number): void;
  /** Requests seen for one interval (and symbol). */
  count(match?: FaultMatch): number;
  close(): Promise<void>;
}

const INTERVAL_SECONDS: Record<string, number> = {
  '1m': 60,
  '2m': 120,
  '5m': 300,
  '15m': 900,
  '30m': 1800,
  '60m': 3600,
  '90m': 5400,
  '1h': 3600,
  '1d': 86400,
};
/** Days back each interval's data reaches (Yahoo's limits). */
const WINDOW_DAYS: Record<string, number> = { '1m': 30, '2m': 60, '5m': 60, '15m': 60, '30m': 60, '90m': 60, '60m': 730, '1h': 730 };

/** Deterministic pseudo-random number in [0, 1) from integers. */
function noise(a: number, b: number): number {
  let h = (Math.imul(a | 0, 0x9e3779b1) ^ Math.imul((a / 4294967296) | 0, 0x85ebca6b) ^ Math.imul(b, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

const tick = (v: number) => Math.round(v * 4) / 4;

export interface StubBar {
  time: number;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  volume: number | null;
}

/** The bar the stub serves for one slot (exported so tests can compute expected values). */
export function stubBar(base: number, time: number, seconds: number, nowSec: number, nullEvery = 37): StubBar {
  const slot = Math.floor(time / seconds);
  if (nullEvery > 0 && slot % nullEvery === 0) return { time, open: null, high: null, low: null, close: null, volume: null };
  const mid = base * (1 + 0.02 * Math.sin(time / 86400 / 5) + 0.004 * Math.sin(time / 3600 / 3));
  const span = Math.max(1, base * 0.0004 * Math.sqrt(seconds / 60));
  const forming = time + seconds > nowSec;
  const open = tick(mid + (noise(slot, 1) - 0.5) * span);
  const close = tick(mid + (noise(slot, forming ? 2 + Math.floor(nowSec / 60) : 2) - 0.5) * span);
  const high = tick(Math.max(open, close) + noise(slot, 3) * span * 0.5);
  const low = tick(Math.min(open, close) - noise(slot, 4) * span * 0.5);
  const full = 50 + Math.floor(noise(slot, 5) * 2000 * Math.sqrt(seconds / 60));
  const volume = forming ? Math.floor(full * Math.min(1, (nowSec - time) / seconds)) : full;
  return { time, open, high, low, close, volume };
}

function slots(period1: number, period2: number, seconds: number, nowSec: number): number[] {
  const out: number[] = [];
  const end = Math.min(period2, nowSec);
  if (seconds >= 86400) {
    // Daily bars: one per trading day with a session, stamped at 00:00 America/Chicago of that day.
    for (let d = DateTime.fromSeconds(period1 - 86400, { zone: CME_ZONE }).startOf('day'); d.toSeconds() < end; d = d.plus({ days: 1 })) {
      const stamp = d.toSeconds();
      if (stamp >= period1 && sessionFor(d.toISODate() as string)) out.push(stamp);
    }
    return out;
  }
  for (let t = Math.ceil(period1 / seconds) * seconds; t < end; t += seconds) {
    if (isOpen(t * 1000) || isOpen((t + seconds) * 1000 - 1)) out.push(t);
  }
  return out;
}

/** Every bar (null slots included) the stub serves for a request, as the answer's arrays hold them. */
export function stubSeries(base: number, interval: string, period1: number, period2: number, nowSec: number, nullEvery = 37): StubBar[] {
  const seconds = INTERVAL_SECONDS[interval];
  if (seconds === undefined) throw new Error(`no interval ${interval}`);
  return slots(period1, period2, seconds, nowSec).map((t) => stubBar(base, t, seconds, nowSec, nullEvery));
}

const HUGE_CHUNK = Buffer.alloc(64 * 1024, '1,');

/** Stream a 'huge' answer: a chart-shaped start, then `1,1,1,…` inside the timestamp array, while the client reads. */
function streamHuge(res: http.ServerResponse, entry: StubRequest, fault: Fault, symbol: string): void {
  const total = fault.bytes ?? 300 * 1024 * 1024;
  res.writeHead(200, {
    'content-type': 'application/json;charset=utf-8',
    ...(fault.declareLength ? { 'content-length': String(total) } : {}),
  });
  const head = Buffer.from(`{"chart":{"result":[{"meta":{"symbol":${JSON.stringify(symbol)}},"timestamp":[`);
  let sent = 0;
  const write = (chunk: Buffer): boolean => {
    const part = chunk.subarray(0, Math.max(0, total - sent));
    sent += part.length;
    entry.bytesSent = sent;
    return res.write(part);
  };
  const pump = () => {
    if (sent === 0 && !write(head)) return;
    while (sent < total && !res.destroyed) {
      if (!write(HUGE_CHUNK)) return;
    }
    if (sent >= total) res.end();
  };
  res.on('drain', pump);
  pump();
}

export async function startYahooStub(options: YahooStubOptions = {}): Promise<YahooStub> {
  const template = JSON.parse(readFixture('chart-mnq-1h.json')) as {
    chart: { result: { meta: Record<string, unknown> }[] };
  };
  const meta = template.chart.result[0]?.meta ?? {};
  const symbols = options.symbols ?? { 'MNQ=F': 21800, 'NQ=F': 21800, 'ES=F': 6000, 'MES=F': 6000 };
  const clock = options.clock ?? systemClock;
  const nullEvery = options.nullEvery ?? 37;
  const faults: { match: FaultMatch; fault: Fault; remaining: number }[] = [];
  const requests: StubRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  /** Pending delayed answers (latency, hangs): cleared on close so a hang never outlives the test. */
  const timers = new Set<NodeJS.Timeout>();
  const later = (fn: () => void, ms: number) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    const m = /^\/v8\/finance\/chart\/([^/]+)$/.exec(url.pathname);
    if (!m) {
      res.writeHead(404, { 'content-type': 'text/html' }).end(readFixture('error-page.html'));
      return;
    }
    const symbol = decodeURIComponent(m[1] as string);
    const interval = url.searchParams.get('interval') ?? '';
    const period1 = Number(url.searchParams.get('period1'));
    const period2 = Number(url.searchParams.get('period2'));
    const entry: StubRequest = { symbol, interval, period1, period2, status: 0 };
    requests.push(entry);
    const f = faults.find(
      (x) => x.remaining > 0 && (!x.match.interval || x.match.interval === interval) && (!x.match.symbol || x.match.symbol === symbol),
    );
    if (f) {
      f.remaining--;
      entry.fault = f.fault.kind;
    }
    const send = (status: number, body: string, headers: Record<string, string>) => {
      entry.status = status;
      later(() => {
        if (!res.destroyed) res.writeHead(status, headers).end(body);
      }, options.latencyMs ?? 0);
    };
    const json = (status: number, body: string) => send(status, body, { 'content-type': 'application/json;charset=utf-8' });

    switch (f?.fault.kind) {
      case 'rate-limit':
        return send(429, readFixture('rate-limit-429.txt'), {
          'content-type': 'text/plain;charset=utf-8',
          ...(f.fault.retryAfterSec === undefined ? {} : { 'retry-after': String(f.fault.retryAfterSec) }),
        });
      case 'html':
        return send(f.fault.status ?? 200, readFixture('error-page.html'), { 'content-type': 'text/html;charset=utf-8' });
      case 'server-error':
        return send(f.fault.status ?? 500, 'Internal Server Error', { 'content-type': 'text/plain' });
      case 'reset':
        entry.status = -1;
        req.socket.destroy();
        return;
      case 'redirect':
        return send(f.fault.status ?? 302, '', { location: f.fault.location ?? '/' });
      case 'huge':
        entry.status = 200;
        streamHuge(res, entry, f.fault, symbol);
        return;
      default:
        break;
    }

    const answer = () => {
      const nowSec = Math.floor(clock.now() / 1000);
      const seconds = INTERVAL_SECONDS[interval];
      if (seconds === undefined) return json(400, readFixture('error-400-interval.json').replace('interval=4h', `interval=${interval}`));
      const base = symbols[symbol];
      if (base === undefined) return json(404, readFixture('error-404.json'));
      const chartError = (status: number, code: string, description: string) =>
        json(status, JSON.stringify({ chart: { result: null, error: { code, description } } }));
      if (!Number.isFinite(period1) || !Number.isFinite(period2) || period2 <= period1) {
        return chartError(400, 'Bad Request', 'Invalid input - period1/period2');
      }
      const notAvailable = `${interval} data not available for startTime=${period1} and endTime=${period2}.`;
      if (interval === '1m' && period2 - period1 > 8 * 86400) {
        return chartError(
          422,
          'Unprocessable Entity',
          `${notAvailable} Only 8 days worth of 1m granularity data are allowed to be fetched per request.`,
        );
      }
      const windowDays = WINDOW_DAYS[interval];
      if (windowDays !== undefined && period1 < nowSec - windowDays * 86400) {
        return chartError(422, 'Unprocessable Entity', `${notAvailable} The requested range must be within the last ${windowDays} days.`);
      }
      const bars = stubSeries(base, interval, period1, period2, nowSec, nullEvery);
      const broken = f?.fault.kind === 'inconsistent-bar' ? bars.find((b) => b.open !== null) : undefined;
      if (broken && broken.low !== null) broken.high = broken.low - 1;
      if (f?.fault.kind === 'all-inconsistent') for (const b of bars) if (b.low !== null) b.high = b.low - 1;
      if (f?.fault.kind === 'shifted') for (const b of bars) b.time -= f.fault.shiftSec ?? 30 * 86400;
      const quote = {
        volume: bars.map((b) => b.volume),
        low: bars.map((b) => b.low),
        high: bars.map((b) => b.high),
        open: bars.map((b) => b.open),
        close: bars.map((b) => b.close),
      };
      const result: Record<string, unknown> = {
        meta: {
          ...meta,
          symbol: f?.fault.kind === 'wrong-symbol' ? (f.fault.symbol ?? 'ES=F') : symbol,
          dataGranularity: interval,
          regularMarketTime: nowSec,
          range: '',
        },
        ...(bars.length > 0 ? { timestamp: bars.map((b) => b.time) } : {}),
        indicators: {
          quote: [bars.length > 0 ? quote : {}],
          ...(interval === '1d' ? { adjclose: [{ adjclose: quote.close }] } : {}),
        },
      };
      const body = JSON.stringify({ chart: { result: [result], error: null } });
      if (f?.fault.kind === 'truncated') return json(200, body.slice(0, Math.floor(body.length / 2)));
      return json(200, body);
    };
    if (f?.fault.kind === 'hang') {
      later(() => {
        if (!res.destroyed) answer();
      }, f.fault.delayMs ?? 10_000);
    } else {
      answer();
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fault(match, fault, times = 1) {
      faults.push({ match, fault, remaining: times });
    },
    count(match = {}) {
      return requests.filter((r) => (!match.interval || r.interval === match.interval) && (!match.symbol || r.symbol === match.symbol))
        .length;
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
