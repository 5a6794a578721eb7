import type { TimeframeId } from '../market-data/timeframes.js';
import { TIMEFRAMES } from '../market-data/timeframes.js';
import type { PositionDetailJson, PositionJson } from '../trades/trades.service.js';
import { unrealizedPnl } from '../trades/unrealized.js';
import type { Services } from './services.js';

/**
 * An open position marked to the newest stored bar: the trades service has the position's open lots, the
 * market-data service the bar; this composes them (src/trades never reads bars).
 */
export interface Mark {
  /** Dollars the open contracts would make closed at the bar's close; null without a usable bar. */
  unrealizedPnl: number | null;
  /** ISO 8601 UTC open of that bar (null without one). */
  unrealizedAt: string | null;
  /** The bar's close and timeframe. */
  markPrice: number | null;
  markTimeframe: TimeframeId | null;
}

const NO_MARK: Mark = { unrealizedPnl: null, unrealizedAt: null, markPrice: null, markTimeframe: null };

/**
 * The mark of one open position at `nowMs` (the app's clock: a bar stored for a later time is not used). A bar
 * that ended before the position opened says nothing about it: no mark then (the page offers an update).
 */
export function markOf(services: Services, p: PositionJson | PositionDetailJson, nowMs: number): Mark {
  const latest = services.market.latestBar(p.root, Math.floor(nowMs / 1000));
  if (!latest) return NO_MARK;
  const endMs = (latest.bar.time + TIMEFRAMES[latest.timeframe].seconds) * 1000;
  if (endMs <= Date.parse(p.openedAt)) return NO_MARK;
  const detail = 'executions' in p ? p : services.trades.getPosition(p.id);
  return {
    unrealizedPnl: unrealizedPnl(detail, latest.bar.close),
    unrealizedAt: new Date(latest.bar.time * 1000).toISOString(),
    markPrice: latest.bar.close,
    markTimeframe: latest.timeframe,
  };
}

/** The positions with the mark fields added to the open ones (closed ones are returned as they are). */
export function withMarks<T extends PositionJson>(services: Services, items: readonly T[], nowMs: number): (T | (T & Mark))[] {
  return items.map((p) => (p.status === 'open' ? { ...p, ...markOf(services, p, nowMs) } : p));
}
