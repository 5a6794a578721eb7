import { DateTime } from 'luxon';
import { type Session, sessionsBetween } from '../calendar/sessions.js';
import { type Clock, systemClock } from '../clock.js';
import { AppError } from '../errors.js';
import type { Bar } from '../market-data/bars.repo.js';
import type { MarketData } from '../market-data/service.js';
import type { TimeframeId } from '../market-data/timeframes.js';
import type { TradesService } from '../trades/trades.service.js';

/**
 * Demo data for a new user, offline and deterministic: a few weeks of NinjaTrader executions on two accounts
 * (imported through the real CSV import, so they are priced, deduplicated and turned into positions exactly like
 * the trader's own files) and bars for every chart timeframe around them (1m for the last sessions, 5m/15m for
 * two months, 1h/4h/1d for a year; 4h built from 1h on CME session boundaries like downloaded bars).
 *
 * Prices follow one seeded random walk per instrument; every fill is taken from the 1-minute path at its time, so
 * the markers sit on the candles. The same day gives the same data.
 */
export interface DemoResult {
  executions: number;
  positions: number;
  bars: number;
  /** What was imported, for the message. */
  file: string;
}

interface InstrumentPlan {
  root: string;
  contract: string;
  start: number;
  tick: number;
  /** Typical 1-minute move, in price units. */
  vol: number;
  account: string;
  commission: number;
  maxQty: number;
}

const PLANS: InstrumentPlan[] = [
  { root: 'MNQ', contract: 'MNQ', start: 21000, tick: 0.25, vol: 2.6, account: 'DEMO-APEX-01', commission: 0.52, maxQty: 3 },
  { root: 'ES', contract: 'ES', start: 6000, tick: 0.25, vol: 0.7, account: 'DEMO-SIM101', commission: 2.1, maxQty: 2 },
];

/** Deterministic PRNG (mulberry32): the same sequence for the same seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(r: () => number): number {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

const roundTick = (v: number, tick: number) => Math.round(v / tick) * tick;
const fix = (v: number) => Math.round(v * 1e6) / 1e6;

/** 1-minute bars of every session in [fromMs, toMs), by a random walk with a slow drift and daily rhythm. */
function minuteBars(plan: InstrumentPlan, sessions: readonly Session[], seed: number): Bar[] {
  const r = rng(seed);
  const out: Bar[] = [];
  let price = plan.start;
  let drift = 0;
  for (const s of sessions) {
    // Sessions never span a DST change (those happen on Sunday at 02:00, while the market is closed).
    const offsetMs = DateTime.fromMillis(s.open, { zone: 'America/Chicago' }).offset * 60_000;
    for (let t = s.open; t + 60_000 <= s.close; t += 60_000) {
      // U.S. cash hours (08:30–15:00 Chicago) move more than the overnight session.
      const hourCt = Math.floor(((((t + offsetMs) % 86_400_000) + 86_400_000) % 86_400_000) / 3_600_000);
      const active = hourCt >= 8 && hourCt < 15 ? 1.6 : 0.6;
      if (r() < 0.002) drift = (r() - 0.5) * plan.vol * 0.04;
      // A pull back towards the starting level keeps a year of random walk at a believable price.
      const pull = (plan.start - price) * 2e-5;
      const open = price;
      const steps = [open];
      let p = open;
      for (let k = 0; k < 3; k++) {
        p += (drift + pull) / 3 + (normal(r) * plan.vol * active) / Math.sqrt(3);
        steps.push(p);
      }
      const close = roundTick(p, plan.tick);
      const hi = roundTick(Math.max(...steps) + r() * plan.vol * 0.3 * active, plan.tick);
      const lo = roundTick(Math.min(...steps) - r() * plan.vol * 0.3 * active, plan.tick);
      const o = roundTick(open, plan.tick);
      out.push({
        time: t / 1000,
        open: fix(o),
        high: fix(Math.max(hi, o, close)),
        low: fix(Math.min(lo, o, close)),
        close: fix(close),
        volume: Math.round((40 + r() * 260) * active * (plan.root === 'ES' ? 3 : 1)),
      });
      price = close;
    }
  }
  return out;
}

/** Aggregate bars into buckets whose open is given by `bucketOf(time)`. */
function aggregate(bars: readonly Bar[], bucketOf: (sec: number) => number): Bar[] {
  const out: Bar[] = [];
  let cur: Bar | undefined;
  for (const b of bars) {
    const t = bucketOf(b.time);
    if (!cur || cur.time !== t) {
      if (cur) out.push(cur);
      cur = { time: t, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume };
    } else {
      cur.high = Math.max(cur.high, b.high);
      cur.low = Math.min(cur.low, b.low);
      cur.close = b.close;
      cur.volume += b.volume;
    }
  }
  if (cur) out.push(cur);
  return out;
}

interface Fill {
  time: number;
  action: 'Buy' | 'Sell';
  ex: 'Entry' | 'Exit';
  quantity: number;
  price: number;
  id: string;
  validation: '' | 'Valid' | 'Invalid';
}

/** A day's trades for one instrument: entries and exits at the 1m path's closes, now and then a scale-in or a reversal. */
function tradesOfDay(
  plan: InstrumentPlan,
  session: Session,
  closeAt: ReadonlyMap<number, number>,
  r: () => number,
  seq: { n: number },
): Fill[] {
  const price = (ms: number): number | undefined => closeAt.get(Math.floor(ms / 60_000) * 60);
  const fills: Fill[] = [];
  const day = DateTime.fromISO(session.tradingDay, { zone: 'America/Chicago' });
  const count = 1 + Math.floor(r() * 3);
  let cursor = day.set({ hour: 8, minute: 31 }).toMillis();
  const endOfDay = day.set({ hour: 14, minute: 50 }).toMillis();
  for (let i = 0; i < count; i++) {
    const start = cursor + Math.floor(r() * 60) * 60_000 + Math.floor(r() * 50) * 1000;
    const hold = (3 + Math.floor(r() * 70)) * 60_000 + Math.floor(r() * 50) * 1000;
    const end = start + hold;
    if (end > endOfDay) break;
    const entryPrice = price(start);
    const exitPrice = price(end);
    if (entryPrice === undefined || exitPrice === undefined) break;
    const long = r() < 0.55;
    const qty = 1 + Math.floor(r() * plan.maxQty);
    const open: 'Buy' | 'Sell' = long ? 'Buy' : 'Sell';
    const close: 'Buy' | 'Sell' = long ? 'Sell' : 'Buy';
    const verdict = r() < 0.3 ? (r() < 0.75 ? 'Valid' : 'Invalid') : '';
    const id = () => `demo${String(++seq.n).padStart(6, '0')}_1`;
    fills.push({ time: start, action: open, ex: 'Entry', quantity: qty, price: entryPrice, id: id(), validation: '' });
    const scale = r();
    if (scale < 0.2 && hold > 10 * 60_000) {
      // Scale in once, then out in two parts.
      const midT = start + Math.floor(hold / 3);
      const partT = start + Math.floor((2 * hold) / 3);
      const p2 = price(midT);
      const p3 = price(partT);
      if (p2 !== undefined && p3 !== undefined) {
        fills.push({ time: midT, action: open, ex: 'Entry', quantity: 1, price: p2, id: id(), validation: '' });
        fills.push({ time: partT, action: close, ex: 'Exit', quantity: 1, price: p3, id: id(), validation: '' });
      }
      fills.push({ time: end, action: close, ex: 'Exit', quantity: qty, price: exitPrice, id: id(), validation: verdict });
    } else if (scale < 0.28) {
      // A reversal: one fill closes the position and opens the other side; closed two minutes later.
      fills.push({ time: end, action: close, ex: 'Exit', quantity: qty * 2, price: exitPrice, id: id(), validation: verdict });
      const back = end + 2 * 60_000 + 7_000;
      const p4 = price(back);
      if (p4 !== undefined) fills.push({ time: back, action: open, ex: 'Exit', quantity: qty, price: p4, id: id(), validation: '' });
      else fills.push({ time: end + 1000, action: open, ex: 'Exit', quantity: qty, price: exitPrice, id: id(), validation: '' });
    } else {
      fills.push({ time: end, action: close, ex: 'Exit', quantity: qty, price: exitPrice, id: id(), validation: verdict });
    }
    cursor = end + 5 * 60_000;
  }
  return fills;
}

function csvTime(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat('M/d/yyyy h:mm:ss a');
}

const NT_HEADER = 'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation';

/** The demo's executions as a NinjaTrader add-on CSV, times written in `zone` as NinjaTrader would. */
function executionsCsv(rows: { plan: InstrumentPlan; contract: string; fill: Fill }[], zone: string): string {
  const lines = [NT_HEADER];
  rows.sort((a, b) => a.fill.time - b.fill.time || a.fill.id.localeCompare(b.fill.id));
  for (const { plan, contract, fill } of rows) {
    const commission = (plan.commission * fill.quantity).toFixed(2);
    lines.push(
      [
        contract,
        fill.action,
        fill.quantity,
        fill.price.toFixed(2),
        csvTime(fill.time, zone),
        fill.id,
        fill.ex,
        '-',
        `o${fill.id}`,
        fill.ex,
        `$${commission}`,
        1,
        plan.account,
        'Demo',
        fill.validation,
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The front-month contract (quarterly H/M/U/Z) on a date, as NinjaTrader names it: `MNQ 12-25`. */
function frontContract(root: string, ms: number): string {
  const d = DateTime.fromMillis(ms, { zone: 'America/Chicago' });
  // Roll about a week before the third Friday of the expiry month.
  let month = Math.ceil(d.month / 3) * 3;
  let year = d.year;
  if (d.month === month && d.day >= 12) month += 3;
  if (month > 12) {
    month -= 12;
    year += 1;
  }
  return `${root} ${String(month).padStart(2, '0')}-${String(year % 100).padStart(2, '0')}`;
}

export interface DemoDeps {
  trades: TradesService;
  market: MarketData;
  /** The demo is built around the last CME session finished at this clock's now. Default the system clock. */
  clock?: Clock;
}

/** Fill an empty journal with demo executions and bars. Refuses a journal that holds anything. */
export async function loadDemo(deps: DemoDeps): Promise<DemoResult> {
  const { trades, market } = deps;
  if (trades.countPositions({}) > 0 || trades.listImports(1).length > 0) {
    throw new AppError('TL_DEMO_NOT_EMPTY', 'The journal already holds executions; demo data is only added to an empty journal.', {
      remedy: 'Use a new data directory for the demo: tradelog demo --data-dir ./demo-data, then tradelog serve --data-dir ./demo-data.',
    });
  }
  const now = (deps.clock ?? systemClock).now();
  const dayMs = 86_400_000;
  // Anchor on the last finished session so every timeframe has complete bars; seed from its date.
  const recent = sessionsBetween(now - 10 * dayMs, now).filter((s) => s.close <= now);
  const last = recent[recent.length - 1];
  if (!last) throw new Error('no finished CME session in the last ten days');
  const end = last.close;
  const seedBase = Number(last.tradingDay.replaceAll('-', ''));
  const yearSessions = sessionsBetween(end - 365 * dayMs, end);
  const tradeSessions = yearSessions.slice(-22);
  const zone = trades.importTimezone();

  let barsStored = 0;
  const csvRows: { plan: InstrumentPlan; contract: string; fill: Fill }[] = [];
  const seq = { n: 0 };
  for (const [i, plan] of PLANS.entries()) {
    const minutes = minuteBars(plan, yearSessions, seedBase * 7 + i);
    const hasBars = market.coverage(plan.root).length > 0;
    if (!hasBars) {
      const store = (tf: TimeframeId, bars: readonly Bar[]) => {
        barsStored += market.bars.upsert(plan.root, tf, bars, 'demo').stored;
      };
      const since = (days: number) => {
        const cut = (end - days * dayMs) / 1000;
        return minutes.filter((b) => b.time >= cut);
      };
      store('1m', since(10));
      const two = since(62);
      store(
        '5m',
        aggregate(two, (t) => t - (t % 300)),
      );
      store(
        '15m',
        aggregate(two, (t) => t - (t % 900)),
      );
      const hourly = aggregate(minutes, (t) => t - (t % 3600));
      store('1h', hourly);
      barsStored += market.rebuildFourHour(plan.root, minutes[0]?.time ?? 0, end / 1000);
      let k = 0;
      store(
        '1d',
        aggregate(minutes, (t) => {
          while (k + 1 < yearSessions.length && (yearSessions[k + 1] as Session).open / 1000 <= t) k++;
          return (yearSessions[k] as Session).open / 1000;
        }),
      );
    }
    const r = rng(seedBase * 13 + i);
    const firstTradeSec = (tradeSessions[0]?.open ?? end) / 1000;
    const closeAt = new Map(minutes.filter((b) => b.time >= firstTradeSec).map((b) => [b.time, b.close]));
    for (const s of tradeSessions) {
      if (r() < 0.15) continue; // a day off now and then
      for (const fill of tradesOfDay(plan, s, closeAt, r, seq)) {
        csvRows.push({ plan, contract: frontContract(plan.root, fill.time), fill });
      }
    }
    const lastSession = tradeSessions[tradeSessions.length - 1];
    if (i === 0 && lastSession) {
      // One position still open at the end, entered after the day's other trades.
      // 14:58 CT, or two minutes before an early close (e.g. 12:00 CT on Thanksgiving), which has no 14:58 bar.
      const at1458 = DateTime.fromISO(lastSession.tradingDay, { zone: 'America/Chicago' })
        .set({ hour: 14, minute: 58, second: 12 })
        .toMillis();
      const t = Math.min(at1458, lastSession.close - 120_000 + 12_000);
      const price = closeAt.get(Math.floor(t / 60_000) * 60);
      if (price !== undefined) {
        const fill: Fill = {
          time: t,
          action: 'Buy',
          ex: 'Entry',
          quantity: 1,
          price,
          id: `demo${String(++seq.n).padStart(6, '0')}_1`,
          validation: '',
        };
        csvRows.push({ plan, contract: frontContract(plan.root, t), fill });
      }
    }
  }
  const file = 'demo-executions.csv';
  // the demo's own "now" bounds the plausible execution times (a demo at a fixed instant imports as of then)
  const result = await trades.importFile({ name: file, content: executionsCsv(csvRows, zone) }, { now });
  if (result.status !== 'imported') {
    throw new AppError(
      'TL_DEMO_FAILED',
      `The demo executions were not imported (${result.status}): ${result.rejected[0]?.reason ?? 'unknown reason'}`,
      {
        remedy: 'This is a bug in tradelog; report it with the output of "tradelog demo --log-level debug".',
      },
    );
  }
  return { executions: result.executionsAdded, positions: trades.countPositions({}), bars: barsStored, file };
}
