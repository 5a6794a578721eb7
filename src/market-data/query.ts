import { AppError } from '../errors.js';
import { parseTimeParam } from '../time-param.js';
import { DEFAULT_CHART_LIMIT, MAX_CHART_LIMIT, type RangeQuery } from './bars.repo.js';
import { parseTimeframe, type TimeframeId } from './timeframes.js';

/**
 * Reading `timeframe`, `limit`, `from` and `to` the same way everywhere (`ohlc bars` flags, the query string of
 * `GET /api/bars/:instrument`). Bad values are TL_MARKET_BAD_TIMEFRAME / TL_MARKET_BAD_RANGE with status 400.
 */

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
