import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { openRanges, sessionAnchor } from '../calendar/sessions.js';
import { type Clock, systemClock } from '../clock.js';
import { AppError, errorMessage, isAppError } from '../errors.js';
import type { BarsRepo, UpsertResult } from './bars.repo.js';
import type { CoverageRepo } from './coverage.repo.js';
import { deriveFourHourBars } from './derive.js';
import { type BarsProvider, cancelledError, isRetryable, type ProviderBars, providerError, retryAfterMs } from './provider.js';
import { alignRanges, intersectRanges, mergeRanges, type Range, rangeMeasure, splitRanges, subtractRanges } from './ranges.js';
import type { SymbolMapper } from './symbols.js';
import { barSpan, DEFAULT_UPDATE_TIMEFRAMES, TIMEFRAME_IDS, TIMEFRAMES, type TimeframeId } from './timeframes.js';

/**
 * Downloads recent bars for one instrument, timeframe by timeframe (`tradelog ohlc update`, the web app's
 * "Update from API", the scheduler).
 *
 * What is fetched: for each timeframe, the open-market time inside its window (the last `days` days, clamped to
 * what the provider keeps, a margin inside its edge) that is neither covered by stored bars nor by an earlier
 * successful request (fetch_coverage), widened to whole bars, joined across closed periods and short covered
 * stretches, and split into requests the provider allows. Weekends, the daily break and holidays are never asked for.
 *
 * The newest bars: a bar fetched while still forming is not final. After each fetch that reaches the present,
 * `finalUntil` = fetch time − (one bar + the feed's delay), unless the market has been closed for longer than the
 * delay (then everything fetched is final). A later run asks again from `finalUntil`, but only once the last fetch
 * is `refreshAfterSec` old (timeframes.ts: one bar, at most 15 min; 1 h for daily bars). So a rerun right after a
 * success asks for nothing, and a rerun later refreshes the forming bar and adds the new ones.
 *
 * Failures: each timeframe is independent; a failing one is reported with its error code and the others go on.
 * Rate-limit and transient errors are retried with exponential backoff and jitter (capped per wait, a few attempts);
 * other errors are not retried. Requests to one provider start at least `requestSpacingMs` apart, across all
 * concurrent updates in the process. An answer whose every bar is refused (invalid, or outside the requested
 * range) is TL_MARKET_BAD_RESPONSE and its range is not recorded as fetched, so it never passes for downloaded.
 *
 * 4h is not requested: the 1h bars of the 4h window are fetched (what is missing of them) and the 4h bars are
 * rebuilt from the stored 1h bars on CME session boundaries (derive.ts).
 */

/** CME data on Yahoo is delayed about 10 minutes; bars younger than this may still change. */
export const FEED_DELAY_SEC = 15 * 60;
/** Keep requests this far inside the provider's window edge, so clock skew never makes a request fall outside. */
export const WINDOW_MARGIN_SEC = 3600;
/** Requests are kept this much shorter than the provider's maximum request span. */
const REQUEST_MARGIN_SEC = 3600;
/** Missing ranges separated by less than this many bars of covered open time are fetched in one request. */
const BRIDGE_BARS = 60;

export interface RetryOptions {
  /** Attempts per request, the first included. Default 4. */
  maxAttempts: number;
  /** First backoff; doubles each attempt. Default 1,000 ms. */
  baseDelayMs: number;
  /** Cap of one wait, also applied to a provider's Retry-After. Default 30,000 ms. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 30_000 };

export type TimeframeStatus = 'ok' | 'error' | 'skipped';

export interface TimeframeReport {
  timeframe: TimeframeId;
  status: TimeframeStatus;
  /** Bars received from the provider (for 4h: 1h bars fetched for it). */
  fetched: number;
  /** Bars inserted or changed in the store (for 4h: 4h bars). */
  stored: number;
  /** Bars not stored: they failed validation or lay outside the requested range. */
  rejected: number;
  /** Bars the feed listed without prices (no trade), skipped. */
  nullsSkipped: number;
  /** Requests made (retries not counted). */
  requests: number;
  error?: ErrorSummary;
}

export interface UpdateReport {
  /** Bar-store key (root). */
  instrument: string;
  /** Provider symbol. */
  symbol: string;
  timeframes: TimeframeReport[];
  startedAt: string;
  finishedAt: string;
}

export type UpdateEvent =
  | { type: 'start'; instrument: string; symbol: string; timeframes: TimeframeId[] }
  | { type: 'timeframe-start'; timeframe: TimeframeId; requests: number }
  | { type: 'progress'; timeframe: TimeframeId; done: number; total: number; fetched: number; stored: number }
  | { type: 'retry'; timeframe: TimeframeId; attempt: number; delayMs: number; error: ErrorSummary }
  | { type: 'timeframe-done'; timeframe: TimeframeId; report: TimeframeReport }
  | { type: 'timeframe-error'; timeframe: TimeframeId; report: TimeframeReport }
  | { type: 'done'; report: UpdateReport };

export interface UpdateOptions {
  /** Days back from now (default per timeframe: timeframes.ts `defaultDays`), clamped to the provider's window. */
  days?: number;
  signal?: AbortSignal;
  onEvent?: (event: UpdateEvent) => void;
  retry?: Partial<RetryOptions>;
}

export interface DownloaderDeps {
  bars: BarsRepo;
  coverage: CoverageRepo;
  provider: BarsProvider;
  symbols: SymbolMapper;
  /** Runs `fn` in one write transaction of market.db (a request's bars and its coverage are stored together). */
  transaction?: <T>(fn: () => T) => T;
  /** Tick size of a root, used to round provider prices; undefined leaves them as received. */
  tickSize?: (root: string) => number | undefined;
  /** Where "now" comes from: the window's end and the final-bar rule. Default the system clock. */
  clock?: Clock;
  logger?: Logger;
}

export interface Downloader {
  updateRecentData(instrument: string, timeframes?: readonly TimeframeId[], options?: UpdateOptions): Promise<UpdateReport>;
  /** The requests the next update of one timeframe would make (Unix-second ranges), without making them. */
  plan(instrument: string, timeframe: TimeframeId, options?: Pick<UpdateOptions, 'days'>): Range[];
}

/**
 * Rebuild the 4h bars of [fromSec, toSec] from the stored 1h bars (derive.ts), starting at the session open before
 * `fromSec` so the first bucket is built from all its 1h bars. Returns how many 4h bars changed.
 */
export function rebuildFourHour(bars: BarsRepo, root: string, fromSec: number, toSec: number): number {
  const from = sessionAnchor(fromSec * 1000) / 1000;
  const hourly = bars.read(root, '1h', { from, to: toSec });
  return bars.upsert(root, '4h', deriveFourHourBars(hourly), 'derived').stored;
}

/**
 * Spaces request starts per provider instance, shared by every update in the process. Measured on the monotonic
 * timer (performance.now), not the clock: it paces real requests, whatever instant the clock says it is.
 */
const nextSlot = new WeakMap<BarsProvider, number>();

async function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return;
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch {
    throw cancelledError();
  }
}

async function spaceRequest(provider: BarsProvider, signal: AbortSignal | undefined): Promise<void> {
  const now = performance.now();
  const at = Math.max(now, nextSlot.get(provider) ?? 0);
  nextSlot.set(provider, at + provider.requestSpacingMs);
  await sleep(at - now, signal);
}

/** What a failed request or timeframe reports: the code, what happened and how to fix it. */
export interface ErrorSummary {
  code: string;
  message: string;
  remedy: string;
}

export function errorSummary(err: unknown): ErrorSummary {
  if (isAppError(err)) return { code: err.code, message: err.message, remedy: err.remedy };
  return {
    code: 'TL_INTERNAL',
    message: errorMessage(err),
    remedy: 'This is a bug in tradelog; run "tradelog ohlc update" with --log-level debug and report the output.',
  };
}

function emptyReport(timeframe: TimeframeId): TimeframeReport {
  return { timeframe, status: 'ok', fetched: 0, stored: 0, rejected: 0, nullsSkipped: 0, requests: 0 };
}

const toSecRanges = (ranges: Range[]): Range[] => ranges.map((r) => ({ start: Math.floor(r.start / 1000), end: Math.ceil(r.end / 1000) }));

/** TL_MARKET_BAD_RESPONSE for an answer none of whose bars could be stored. */
function allRefusedError(symbol: string, timeframe: TimeframeId, answer: ProviderBars, result: UpsertResult): AppError {
  const received = answer.bars.length + answer.outOfRange;
  const first = result.rejections[0];
  const why = first ? `first: ${first.reason}` : `${answer.outOfRange} outside the requested range`;
  return providerError('badResponse', `Every one of the ${received} ${timeframe} bars answered for ${symbol} was refused (${why}).`, {
    remedy:
      'Nothing of that answer was stored and the range will be asked for again. Retry later; if it persists check TRADELOG_YAHOO_BASE_URL.',
    details: { symbol, timeframe, received, invalid: result.rejected, outOfRange: answer.outOfRange },
  });
}

export function createDownloader(deps: DownloaderDeps): Downloader {
  const { bars, coverage, provider, symbols } = deps;
  const atomic = deps.transaction ?? (<T>(fn: () => T): T => fn());
  const clock = deps.clock ?? systemClock;

  /** Bars fetched at `fetchSec` are final up to the returned time (see the module comment). */
  function finalUntil(timeframe: TimeframeId, fetchSec: number): number {
    const tf = TIMEFRAMES[timeframe];
    let cut = fetchSec - tf.seconds - FEED_DELAY_SEC;
    if (tf.gridAligned) cut = Math.floor(cut / tf.seconds) * tf.seconds;
    const open = openRanges(cut * 1000, fetchSec * 1000);
    const lastOpenEnd = open.length > 0 ? (open[open.length - 1] as Range).end / 1000 : undefined;
    if (lastOpenEnd === undefined || lastOpenEnd + FEED_DELAY_SEC <= fetchSec) return fetchSec;
    return cut;
  }

  function windowOf(timeframe: TimeframeId, nowSec: number, days: number | undefined): Range {
    const tf = TIMEFRAMES[timeframe];
    const limits = provider.limits(timeframe);
    let start = nowSec - (days ?? tf.defaultDays) * 86400;
    if (limits?.windowDays) start = Math.max(start, nowSec - limits.windowDays * 86400 + WINDOW_MARGIN_SEC);
    return { start, end: nowSec };
  }

  /**
   * The ranges still to request for a fetchable timeframe, and whether a successful run may record its fetch state
   * (false while the newest bars are too fresh to ask for again: the tail was left out on purpose).
   */
  function planFetch(
    root: string,
    timeframe: TimeframeId,
    nowSec: number,
    days: number | undefined,
  ): { requests: Range[]; complete: boolean } {
    const tf = TIMEFRAMES[timeframe];
    const limits = provider.limits(timeframe);
    if (!limits) throw new Error(`${provider.name} cannot fetch ${timeframe}`);
    const window = windowOf(timeframe, nowSec, days);
    if (window.end <= window.start) return { requests: [], complete: true };
    const open = mergeRanges(toSecRanges(openRanges(window.start * 1000, window.end * 1000)));
    const stored = bars.times(root, timeframe, window.start - tf.seconds, window.end).map((t) => barSpan(timeframe, t));
    const covered = mergeRanges([...coverage.covered(root, timeframe, window.start, window.end), ...stored]);
    let missing = subtractRanges(open, covered);
    let fresh = false;
    const state = coverage.state(root, timeframe);
    if (state) {
      const tail = intersectRanges(open, [{ start: Math.max(state.finalUntil, window.start), end: window.end }]);
      if (nowSec - state.lastFetchAt < tf.refreshAfterSec) {
        // Fetched moments ago: the possibly-forming newest bars are not asked for again yet.
        missing = subtractRanges(missing, tail);
        fresh = true;
      } else {
        missing = mergeRanges([...missing, ...tail]);
      }
    }
    const complete = !fresh;
    if (missing.length === 0) return { requests: [], complete };
    // Whole bars; one request across closed periods and short covered stretches.
    const step = tf.gridAligned ? tf.seconds : 60;
    const aligned = alignRanges(missing, step).map((r) => ({ start: Math.max(r.start, window.start), end: Math.min(r.end, window.end) }));
    const openIn = rangeMeasure(open);
    const joined: Range[] = [];
    for (const r of mergeRanges(aligned)) {
      const last = joined[joined.length - 1];
      if (last) {
        if (openIn(last.end, r.start) < BRIDGE_BARS * tf.seconds) {
          last.end = r.end;
          continue;
        }
      }
      joined.push({ ...r });
    }
    const maxSpan = limits.maxRequestDays * 86400 - REQUEST_MARGIN_SEC;
    return { requests: splitRanges(joined, maxSpan), complete };
  }

  /**
   * Store one answer's bars and record its range as fetched, in one transaction. When the answer held bars and
   * every one of them was refused (failed validation or lay outside the range), nothing is stored and the range
   * is not recorded: it is asked for again next time instead of counting as downloaded.
   */
  function storeAnswer(root: string, timeframe: TimeframeId, answer: ProviderBars, covered: Range): UpsertResult & { allRefused: boolean } {
    return atomic(() => {
      const r = bars.upsert(root, timeframe, answer.bars, provider.source);
      const received = answer.bars.length + answer.outOfRange;
      const allRefused = received > 0 && r.stored + r.unchanged === 0;
      if (!allRefused) coverage.addCovered(root, timeframe, covered);
      return { ...r, allRefused };
    });
  }

  async function fetchTimeframe(
    root: string,
    symbol: string,
    timeframe: TimeframeId,
    reportAs: TimeframeId,
    report: TimeframeReport,
    nowSec: number,
    options: UpdateOptions,
  ): Promise<void> {
    const retry = { ...DEFAULT_RETRY, ...options.retry };
    const emit = options.onEvent ?? (() => {});
    const { requests, complete } = planFetch(root, timeframe, nowSec, options.days);
    emit({ type: 'timeframe-start', timeframe: reportAs, requests: requests.length });
    const final = finalUntil(timeframe, nowSec);
    const tick = deps.tickSize?.(root);
    let done = 0;
    for (const range of requests) {
      if (options.signal?.aborted) throw cancelledError();
      let attempt = 1;
      for (;;) {
        await spaceRequest(provider, options.signal);
        try {
          report.requests += attempt === 1 ? 1 : 0;
          const answer = await provider.fetchBars({
            symbol,
            timeframe,
            fromSec: range.start,
            toSec: range.end,
            ...(tick === undefined ? {} : { tickSize: tick }),
            ...(options.signal ? { signal: options.signal } : {}),
          });
          const result = storeAnswer(root, timeframe, answer, { start: range.start, end: Math.min(range.end, final) });
          report.fetched += answer.bars.length;
          report.nullsSkipped += answer.nullsSkipped;
          report.rejected += result.rejected + answer.outOfRange;
          if (reportAs === timeframe) report.stored += result.stored;
          if (result.rejected + answer.outOfRange > 0) {
            deps.logger?.warn(
              { instrument: root, timeframe, outOfRange: answer.outOfRange, rejections: result.rejections },
              `${result.rejected + answer.outOfRange} ${timeframe} bars refused (failed validation or outside the requested range)`,
            );
          }
          if (result.allRefused) throw allRefusedError(symbol, timeframe, answer, result);
          break;
        } catch (err) {
          if (options.signal?.aborted) throw cancelledError();
          if (!isRetryable(err) || attempt >= retry.maxAttempts) throw err;
          const exp = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
          let wait = exp / 2 + Math.random() * (exp / 2);
          const asked = retryAfterMs(err);
          if (asked !== undefined) wait = Math.max(wait, Math.min(asked, retry.maxDelayMs));
          emit({ type: 'retry', timeframe: reportAs, attempt, delayMs: Math.round(wait), error: errorSummary(err) });
          deps.logger?.info({ instrument: root, timeframe, attempt, delayMs: Math.round(wait), code: (err as AppError).code }, 'retrying');
          await sleep(wait, options.signal);
          attempt++;
        }
      }
      done++;
      emit({ type: 'progress', timeframe: reportAs, done, total: requests.length, fetched: report.fetched, stored: report.stored });
    }
    // Everything missing up to now was asked for and answered: remember where the final bars end.
    if (complete) coverage.setState(root, timeframe, { lastFetchAt: nowSec, finalUntil: final });
  }

  function rebuildForWindow(root: string, nowSec: number, days: number | undefined): number {
    const window = windowOf('4h', nowSec, days);
    return rebuildFourHour(bars, root, window.start, nowSec);
  }

  return {
    plan(instrument, timeframe, options = {}) {
      const root = symbols.barInstrument(instrument);
      const nowSec = Math.floor(clock.now() / 1000);
      const source = TIMEFRAMES[timeframe].derivedFrom ?? timeframe;
      return planFetch(root, source, nowSec, options.days).requests;
    },

    async updateRecentData(instrument, timeframes = DEFAULT_UPDATE_TIMEFRAMES, options = {}) {
      const { root, symbol } = symbols.resolve(instrument);
      if (options.days !== undefined && (!Number.isFinite(options.days) || options.days <= 0)) {
        throw new AppError('TL_MARKET_BAD_RANGE', `--days ${String(options.days)} is not a positive number of days.`, {
          remedy: 'Give --days a number above 0, e.g. --days 7.',
        });
      }
      const emit = options.onEvent ?? (() => {});
      const startedAt = new Date(clock.now()).toISOString();
      // 1h before 4h, so the 4h step finds the 1h bars already fetched.
      const order = TIMEFRAME_IDS.filter((id) => timeframes.includes(id));
      emit({ type: 'start', instrument: root, symbol, timeframes: order });
      const reports: TimeframeReport[] = [];
      for (const timeframe of order) {
        const report = emptyReport(timeframe);
        reports.push(report);
        if (options.signal?.aborted) {
          report.status = 'skipped';
          report.error = errorSummary(cancelledError());
          emit({ type: 'timeframe-error', timeframe, report });
          continue;
        }
        const nowSec = Math.floor(clock.now() / 1000);
        const tf = TIMEFRAMES[timeframe];
        try {
          if (tf.derivedFrom) {
            let sourceError: unknown;
            try {
              await fetchTimeframe(root, symbol, tf.derivedFrom, timeframe, report, nowSec, options);
            } catch (err) {
              if (options.signal?.aborted) throw err;
              sourceError = err;
            }
            // Built from whatever 1h bars are stored, even when fetching more of them failed.
            report.stored += rebuildForWindow(root, nowSec, options.days);
            if (sourceError) throw sourceError;
          } else if (!provider.limits(timeframe)) {
            report.status = 'skipped';
            report.error = {
              code: 'TL_MARKET_BAD_TIMEFRAME',
              message: `${provider.name} has no ${timeframe} interval.`,
              remedy: `Import ${timeframe} bars from a file with "tradelog ohlc import", or choose another timeframe.`,
            };
            emit({ type: 'timeframe-error', timeframe, report });
            continue;
          } else {
            await fetchTimeframe(root, symbol, timeframe, timeframe, report, nowSec, options);
          }
          emit({ type: 'timeframe-done', timeframe, report });
        } catch (err) {
          const cancelled = isAppError(err) && err.code === 'TL_MARKET_CANCELLED';
          report.status = cancelled ? 'skipped' : 'error';
          report.error = errorSummary(err);
          if (!isAppError(err)) deps.logger?.error({ err, instrument: root, timeframe }, 'unexpected error during update');
          else deps.logger?.warn({ instrument: root, timeframe, code: err.code }, err.message);
          emit({ type: 'timeframe-error', timeframe, report });
        }
      }
      const report: UpdateReport = {
        instrument: root,
        symbol,
        timeframes: reports,
        startedAt,
        finishedAt: new Date(clock.now()).toISOString(),
      };
      emit({ type: 'done', report });
      return report;
    },
  };
}
