import { AppError } from '../errors.js';
import { DEFAULT_CHART_LIMIT, MAX_CHART_LIMIT, type RangeQuery } from './bars.repo.js';
import { parseTimeframe, type TimeframeId } from './timeframes.js';

/**
 * Reading `timeframe`, `limit`, `from` and `to` the same way everywhere (`ohlc bars` flags, the query string of
 * `GET /api/bars/:instrument`). Bad values are TL_MARKET_BAD_TIMEFRAME / TL_MARKET_BAD_RANGE with status 400.
 */

/**
 * A time given as Unix seconds (`1750256400`) or ISO 8601 (`2025-06-18T14:30:00Z`; without an offset it is UTC;
 * a date alone is that UTC day's start, or with `endOfDay` its last second, so `to=2025-06-18` includes the day).
 */
export function parseTimeParam(value: string, name: string, endOfDay = false): number {
  const v = value.trim();
  if (/^-?\d{1,11}$/.test(v)) return Number(v);
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(v);
  const ms = Date.parse(dateOnly ? `${v}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(v) ? v : `${v}Z`);
  if (Number.isNaN(ms)) {
    throw new AppError('TL_MARKET_BAD_RANGE', `${name} "${value}" is neither Unix seconds nor an ISO 8601 date.`, {
      remedy: `Write ${name} as Unix seconds (1750256400) or ISO 8601 (2025-06-18 or 2025-06-18T14:30:00Z).`,
      details: { [name]: value },
    });
  }
  return Math.floor(ms / 1000) + (dateOnly && endOfDay ? 86399 : 0);
}

export interface BarsQueryInput {
  timeframe?: string | undefined;
  limit?: string | number | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/**
 * `{timeframe, limit, from, to}` as strings (a query string) → a timeframe and a RangeQuery. `limit` defaults to
 * `defaultLimit` (2,000 for charts; null for "all bars of the range") and is capped at 100,000.
 */
export function parseBarsQuery(
  input: BarsQueryInput,
  defaultLimit: number | null = DEFAULT_CHART_LIMIT,
): { timeframe: TimeframeId; query: RangeQuery } {
  if (input.timeframe === undefined || input.timeframe === '') {
    throw new AppError('TL_MARKET_BAD_TIMEFRAME', 'No timeframe given.', {
      remedy: 'Add timeframe=1m, 5m, 15m, 30m, 1h, 4h or 1d.',
    });
  }
  const timeframe = parseTimeframe(input.timeframe).id;
  const query: RangeQuery = {};
  if (input.limit !== undefined && input.limit !== '') {
    const n = Number(input.limit);
    if (!Number.isInteger(n) || n < 1) {
      throw new AppError('TL_MARKET_BAD_RANGE', `limit "${String(input.limit)}" is not a whole number ≥ 1.`, {
        remedy: `Ask for between 1 and ${MAX_CHART_LIMIT} bars.`,
        details: { limit: input.limit },
      });
    }
    query.limit = Math.min(n, MAX_CHART_LIMIT);
  } else if (defaultLimit !== null) {
    query.limit = defaultLimit;
  }
  if (input.from !== undefined && input.from !== '') query.from = parseTimeParam(input.from, 'from');
  if (input.to !== undefined && input.to !== '') query.to = parseTimeParam(input.to, 'to', true);
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
    throw new AppError('TL_MARKET_BAD_RANGE', `from (${input.from}) is after to (${input.to}).`, {
      remedy: 'Give from before to.',
      details: { from: input.from, to: input.to },
    });
  }
  return { timeframe, query };
}
