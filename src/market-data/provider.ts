import { AppError, type AppErrorOptions } from '../errors.js';
import type { Bar, BarSource } from './bars.repo.js';
import type { TimeframeId, YahooLimits } from './timeframes.js';

/**
 * A source of bars that the downloader asks for time ranges. A provider answers with bars or throws one of the
 * typed errors below; it never returns an empty result to mean failure (an empty result means the range holds no
 * bars).
 */
export interface BarRequest {
  /** The provider's symbol (src/market-data/symbols.ts made it). */
  symbol: string;
  timeframe: TimeframeId;
  /** Unix seconds, inclusive. */
  fromSec: number;
  /** Unix seconds, exclusive. */
  toSec: number;
  /** Round prices to this step (the instrument's tick size), removing float artefacts of the feed. */
  tickSize?: number;
  signal?: AbortSignal;
}

export interface ProviderBars {
  /** The symbol the provider says it answered for. */
  symbol: string;
  /** Ascending by time, at most one bar per time. */
  bars: Bar[];
  /** Bars the feed listed with no prices (no trade in that bar), left out. */
  nullsSkipped: number;
  /** Bars outside the requested range (more than one bar before or after it), dropped. */
  outOfRange: number;
}

export interface BarsProvider {
  readonly name: string;
  /** `source` recorded on the bars it delivers. */
  readonly source: BarSource;
  /** Minimum time between the starts of two requests to this provider. */
  readonly requestSpacingMs: number;
  /** The provider's interval and limits for a timeframe, or undefined when the timeframe cannot be requested. */
  limits(timeframe: TimeframeId): YahooLimits | undefined;
  fetchBars(request: BarRequest): Promise<ProviderBars>;
}

/** Error codes a provider throws. Retried (with backoff): rate limited and transient only. */
export const PROVIDER_ERRORS = {
  rateLimited: 'TL_MARKET_RATE_LIMITED',
  symbolNotFound: 'TL_MARKET_SYMBOL_NOT_FOUND',
  rangeNotAllowed: 'TL_MARKET_RANGE_NOT_ALLOWED',
  badResponse: 'TL_MARKET_BAD_RESPONSE',
  transient: 'TL_MARKET_TRANSIENT',
} as const;

export const RETRYABLE_CODES: ReadonlySet<string> = new Set([PROVIDER_ERRORS.rateLimited, PROVIDER_ERRORS.transient]);

export function isRetryable(err: unknown): boolean {
  return err instanceof AppError && RETRYABLE_CODES.has(err.code);
}

/** Milliseconds the provider asked us to wait (HTTP Retry-After), when it did. */
export function retryAfterMs(err: unknown): number | undefined {
  if (!(err instanceof AppError)) return undefined;
  const v = err.details?.retryAfterMs;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

type Kind = keyof typeof PROVIDER_ERRORS;
const STATUS: Record<Kind, number> = { rateLimited: 429, symbolNotFound: 404, rangeNotAllowed: 422, badResponse: 502, transient: 503 };

export function providerError(kind: Kind, message: string, options: Omit<AppErrorOptions, 'status'>): AppError {
  return new AppError(PROVIDER_ERRORS[kind], message, { ...options, status: STATUS[kind] });
}

/** Thrown (and reported per timeframe) when an update was cancelled: server shutdown, scheduler stop. */
export function cancelledError(): AppError {
  return new AppError('TL_MARKET_CANCELLED', 'The update was cancelled before this timeframe finished.', {
    remedy: 'Run the update again; what was stored before the cancel is kept and will not be fetched again.',
  });
}

/**
 * A function rounding to multiples of `step`, written with no more decimals than `step` has (21850.25, 1.0835,
 * 0.015625): removes float artefacts such as 21779.000000001 or 1.0834999799728394 from a feed.
 */
export function stepRounder(step: number): (value: number) => number {
  if (!(step > 0) || !Number.isFinite(step)) return (v) => v;
  let decimals = 0;
  while (decimals < 12 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-9) decimals++;
  const scale = 10 ** decimals;
  return (value) => (Number.isFinite(value) ? Math.round(Math.round(value / step) * step * scale) / scale : value);
}

/** `stepRounder(step)(value)`. */
export function roundToStep(value: number, step: number): number {
  return stepRounder(step)(value);
}
