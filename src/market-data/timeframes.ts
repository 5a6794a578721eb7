import { type Range, sessionFor, tradingDayNumber } from '../calendar/sessions.js';
import { AppError } from '../errors.js';

/**
 * The bar timeframes tradelog stores, as data: length, the Yahoo chart API interval that fetches them and that
 * interval's limits, how far back `ohlc update` looks by default, and how stale the newest bar may get before a
 * rerun asks the provider again.
 *
 * Yahoo chart API limits (docs/interface.md "Market-data provider"): 1m requests of at most 8 days, and 1m data
 * only for the last 30 days; 2m/5m/15m/30m/90m only within the last 60 days; 60m/1h within the last 730 days;
 * 1d without limit. There is no 4h interval: 4h bars are built from stored 1h bars on CME session boundaries
 * (src/market-data/derive.ts), never requested.
 */
export const TIMEFRAME_IDS = ['1m', '5m', '15m', '30m', '1h', '4h', '1d'] as const;
export type TimeframeId = (typeof TIMEFRAME_IDS)[number];

/** The timeframes `ohlc update` fetches when none are named (the charts page offers the same six). */
export const DEFAULT_UPDATE_TIMEFRAMES: readonly TimeframeId[] = ['1m', '5m', '15m', '1h', '4h', '1d'];

export interface YahooLimits {
  /** The `interval` query parameter. */
  interval: string;
  /** Data exists only this many days back from now; null = no limit. */
  windowDays: number | null;
  /** One request may span at most this many days (the provider's own limit, or a size we keep responses under). */
  maxRequestDays: number;
}

export interface Timeframe {
  id: TimeframeId;
  /** Nominal bar length. A 4h bar can be shorter (the last one of a session ends at the 16:00 CT close). */
  seconds: number;
  /** Fetched from Yahoo with these limits; absent for derived timeframes. */
  yahoo?: YahooLimits;
  /** Built from stored bars of this timeframe instead of being requested. */
  derivedFrom?: TimeframeId;
  /** Bars open on UTC multiples of `seconds` (true up to 1h: CME sessions open on the hour). */
  gridAligned: boolean;
  /** Days `ohlc update` covers when --days is not given (clamped to the provider window). */
  defaultDays: number;
  /** A rerun asks again for the newest, possibly still-forming bars only once the last fetch is this old. */
  refreshAfterSec: number;
}

const MIN = 60;
const HOUR = 3600;
const DAY = 86400;

export const TIMEFRAMES: Readonly<Record<TimeframeId, Timeframe>> = {
  '1m': {
    id: '1m',
    seconds: MIN,
    yahoo: { interval: '1m', windowDays: 30, maxRequestDays: 8 },
    gridAligned: true,
    defaultDays: 7,
    refreshAfterSec: MIN,
  },
  '5m': {
    id: '5m',
    seconds: 5 * MIN,
    yahoo: { interval: '5m', windowDays: 60, maxRequestDays: 60 },
    gridAligned: true,
    defaultDays: 30,
    refreshAfterSec: 5 * MIN,
  },
  '15m': {
    id: '15m',
    seconds: 15 * MIN,
    yahoo: { interval: '15m', windowDays: 60, maxRequestDays: 60 },
    gridAligned: true,
    defaultDays: 60,
    refreshAfterSec: 15 * MIN,
  },
  '30m': {
    id: '30m',
    seconds: 30 * MIN,
    yahoo: { interval: '30m', windowDays: 60, maxRequestDays: 60 },
    gridAligned: true,
    defaultDays: 60,
    refreshAfterSec: 15 * MIN,
  },
  '1h': {
    id: '1h',
    seconds: HOUR,
    // 730 days are allowed in one request; 200-day requests keep each answer under 5,000 bars.
    yahoo: { interval: '1h', windowDays: 730, maxRequestDays: 200 },
    gridAligned: true,
    defaultDays: 180,
    refreshAfterSec: 15 * MIN,
  },
  '4h': {
    id: '4h',
    seconds: 4 * HOUR,
    derivedFrom: '1h',
    gridAligned: false,
    defaultDays: 180,
    refreshAfterSec: 15 * MIN,
  },
  '1d': {
    id: '1d',
    seconds: DAY,
    yahoo: { interval: '1d', windowDays: null, maxRequestDays: 3650 },
    gridAligned: false,
    defaultDays: 1825,
    refreshAfterSec: HOUR,
  },
};

const DAY_SEC = 86400;

/**
 * The stored time (bar key, Unix seconds) of a bar that a source stamped `sec`:
 * - 1m … 1h: the bar's open on the interval's grid (a live bar stamped with its last trade moves to its open);
 * - 1d: 00:00 UTC of the bar's CME trading day. A daily bar is labelled and placed on its trading day whatever
 *   its source stamped it with (Yahoo and the demo: the 17:00 CT session open the evening before; other feeds:
 *   midnight in Chicago, New York or UTC, or the close), so the chart, `ohlc bars`, the calendar and the
 *   statistics all name the same day: read as a UTC date, the key is the trading day;
 * - 4h: unchanged (built on session boundaries by derive.ts).
 * Idempotent: a stored key maps to itself.
 */
export function barTime(timeframe: TimeframeId, sec: number): number {
  const tf = TIMEFRAMES[timeframe];
  if (tf.gridAligned) return Math.floor(sec / tf.seconds) * tf.seconds;
  if (timeframe === '1d') return tradingDayNumber(sec * 1000) * DAY_SEC;
  return sec;
}

/**
 * The market time a stored bar stands for, in Unix seconds: [time, time + length) for intraday bars; for a daily
 * bar, its trading day's session (17:00 CT the evening before to the close), since its key is that day's date.
 */
export function barSpan(timeframe: TimeframeId, time: number): Range {
  if (timeframe === '1d') {
    const session = sessionFor(new Date(time * 1000).toISOString().slice(0, 10));
    if (session) return { start: session.open / 1000, end: session.close / 1000 };
  }
  return { start: time, end: time + TIMEFRAMES[timeframe].seconds };
}

export function isTimeframeId(value: string): value is TimeframeId {
  return (TIMEFRAME_IDS as readonly string[]).includes(value);
}

/** TL_MARKET_BAD_TIMEFRAME for `value`, naming the accepted timeframes. */
export function badTimeframe(value: string): AppError {
  return new AppError('TL_MARKET_BAD_TIMEFRAME', `"${value}" is not a timeframe tradelog stores.`, {
    remedy: `Use one of ${TIMEFRAME_IDS.join(', ')}.`,
    details: { timeframe: value },
  });
}

/** The timeframe named `value`; TL_MARKET_BAD_TIMEFRAME (naming the accepted ones) otherwise. */
export function parseTimeframe(value: string): Timeframe {
  const v = value.trim();
  if (isTimeframeId(v)) return TIMEFRAMES[v];
  throw badTimeframe(value);
}

/** `1m,5m,1h` → ['1m','5m','1h'] without duplicates, in the order given. */
export function parseTimeframeList(value: string | readonly string[]): TimeframeId[] {
  const parts = typeof value === 'string' ? value.split(',') : [...value];
  const out: TimeframeId[] = [];
  for (const p of parts) {
    if (p.trim() === '') continue;
    const tf = parseTimeframe(p).id;
    if (!out.includes(tf)) out.push(tf);
  }
  if (out.length === 0) {
    throw new AppError('TL_MARKET_BAD_TIMEFRAME', 'No timeframe given.', {
      remedy: `Name at least one of ${TIMEFRAME_IDS.join(', ')}, separated by commas.`,
    });
  }
  return out;
}
