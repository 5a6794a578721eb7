import * as z from 'zod';
import { errorMessage } from '../../errors.js';
import type { Bar } from '../bars.repo.js';
import { type BarRequest, type BarsProvider, cancelledError, type ProviderBars, providerError, stepRounder } from '../provider.js';
import { TIMEFRAMES, type TimeframeId } from '../timeframes.js';

/**
 * Yahoo Finance chart API (docs/interface.md "Market-data provider"):
 * `GET {base}/v8/finance/chart/{symbol}?interval=1h&period1={s}&period2={s}&includePrePost=false`.
 *
 * - Answers are validated with zod; quote arrays may hold `null` (no trade in that bar): such bars are skipped and
 *   counted. A missing volume with prices present is stored as 0.
 * - Errors are typed: HTTP 429 → TL_MARKET_RATE_LIMITED (with Retry-After when sent); 404 / "No data found,
 *   symbol may be delisted" → TL_MARKET_SYMBOL_NOT_FOUND; 422 (range beyond what the interval allows) →
 *   TL_MARKET_RANGE_NOT_ALLOWED; an HTML page, truncated JSON or a shape that does not match →
 *   TL_MARKET_BAD_RESPONSE; 5xx, network failures and timeouts → TL_MARKET_TRANSIENT.
 * - Intraday bar times not on the interval's grid (the live, still-forming bar is sometimes stamped with the time
 *   of its last trade) are moved to the bar's open and merged with a bar already there.
 */
export interface YahooProviderOptions {
  baseUrl: string;
  /** Per request, covering the whole answer. Default 15 s. */
  timeoutMs?: number;
  /** Minimum time between request starts. Default 100 ms: at most 10 requests a second; an update makes about 5. */
  requestSpacingMs?: number;
  fetch?: typeof fetch;
}

const numArray = z.array(z.number().nullable());
const quoteSchema = z.object({
  open: numArray.optional(),
  high: numArray.optional(),
  low: numArray.optional(),
  close: numArray.optional(),
  volume: numArray.optional(),
});
const resultSchema = z.object({
  meta: z.looseObject({
    symbol: z.string(),
    dataGranularity: z.string().optional(),
    exchangeTimezoneName: z.string().optional(),
  }),
  timestamp: z.array(z.number().int()).optional(),
  indicators: z.object({ quote: z.array(quoteSchema) }),
});
const chartSchema = z.object({
  chart: z.object({
    result: z.array(resultSchema).nullable(),
    error: z.object({ code: z.string(), description: z.string().nullable().optional() }).nullable(),
  }),
});

const INTERVAL_ALIASES: Record<string, string> = { '60m': '1h' };

function sameInterval(a: string, b: string): boolean {
  return (INTERVAL_ALIASES[a] ?? a) === (INTERVAL_ALIASES[b] ?? b);
}

function snippet(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 120);
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function createYahooProvider(options: YahooProviderOptions): BarsProvider {
  const base = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 15_000;
  const doFetch = options.fetch ?? fetch;

  function toBars(result: z.infer<typeof resultSchema>, timeframe: TimeframeId, tickSize: number | undefined, url: string): ProviderBars {
    const ts = result.timestamp ?? [];
    const q = result.indicators.quote[0] ?? {};
    const cols = [q.open, q.high, q.low, q.close, q.volume];
    if (ts.length > 0 && cols.some((c) => c === undefined || c.length !== ts.length)) {
      throw providerError(
        'badResponse',
        `Yahoo answered ${ts.length} timestamps but quote arrays of other lengths for ${result.meta.symbol}.`,
        {
          remedy: 'Retry later; if it persists the chart API changed and tradelog needs an update.',
          details: { url, timestamps: ts.length, lengths: cols.map((c) => c?.length ?? null) },
        },
      );
    }
    const tf = TIMEFRAMES[timeframe];
    const round = tickSize ? stepRounder(tickSize) : (v: number) => v;
    const bars: Bar[] = [];
    let nullsSkipped = 0;
    for (let i = 0; i < ts.length; i++) {
      const o = q.open?.[i];
      const h = q.high?.[i];
      const l = q.low?.[i];
      const c = q.close?.[i];
      if (o == null || h == null || l == null || c == null) {
        nullsSkipped++;
        continue;
      }
      let time = ts[i] as number;
      if (tf.gridAligned) time = Math.floor(time / tf.seconds) * tf.seconds;
      const bar: Bar = { time, open: round(o), high: round(h), low: round(l), close: round(c), volume: Math.round(q.volume?.[i] ?? 0) };
      const prev = bars[bars.length - 1];
      if (prev && prev.time === time) {
        prev.high = Math.max(prev.high, bar.high);
        prev.low = Math.min(prev.low, bar.low);
        prev.close = bar.close;
        prev.volume = Math.max(prev.volume, bar.volume);
      } else if (prev && prev.time > time) {
        throw providerError('badResponse', `Yahoo's timestamps for ${result.meta.symbol} are not in ascending order.`, {
          remedy: 'Retry later; if it persists report it with the URL in the details.',
          details: { url, index: i },
        });
      } else {
        bars.push(bar);
      }
    }
    return { symbol: result.meta.symbol, bars, nullsSkipped };
  }

  return {
    name: 'yahoo',
    source: 'yahoo',
    requestSpacingMs: options.requestSpacingMs ?? 100,
    limits: (timeframe) => TIMEFRAMES[timeframe].yahoo,

    async fetchBars(req: BarRequest): Promise<ProviderBars> {
      const limits = TIMEFRAMES[req.timeframe].yahoo;
      if (!limits) throw new Error(`timeframe ${req.timeframe} cannot be requested from Yahoo`);
      const params = new URLSearchParams({
        interval: limits.interval,
        period1: String(Math.floor(req.fromSec)),
        period2: String(Math.ceil(req.toSec)),
        includePrePost: 'false',
      });
      const url = `${base}/v8/finance/chart/${encodeURIComponent(req.symbol)}?${params}`;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
      let status: number;
      let text: string;
      let contentType: string;
      let retryAfter: number | undefined;
      try {
        const res = await doFetch(url, {
          signal,
          headers: { accept: 'application/json', 'user-agent': 'Mozilla/5.0 (compatible; tradelog)' },
        });
        status = res.status;
        contentType = res.headers.get('content-type') ?? '';
        retryAfter = parseRetryAfter(res.headers.get('retry-after'));
        text = await res.text();
      } catch (err) {
        if (req.signal?.aborted) throw cancelledError();
        if (timeout.aborted) {
          throw providerError('transient', `Yahoo did not answer within ${timeoutMs / 1000} s (${req.symbol} ${req.timeframe}).`, {
            remedy: 'Check the network connection; the update retries by itself and can simply be run again.',
            details: { url, reason: 'timeout', timeoutMs },
          });
        }
        throw providerError('transient', `Could not reach Yahoo (${req.symbol} ${req.timeframe}): ${errorMessage(err)}`, {
          remedy: `Check the network connection and that ${base} is reachable; run the update again.`,
          details: { url, reason: 'network', cause: errorMessage((err as { cause?: unknown }).cause ?? err) },
        });
      }

      if (status === 429) {
        throw providerError('rateLimited', `Yahoo refused the request: too many requests (HTTP 429) for ${req.symbol} ${req.timeframe}.`, {
          remedy: 'Wait a few minutes before updating again; tradelog already spaces and retries its requests.',
          details: { url, status, ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }), body: snippet(text) },
        });
      }
      if (status >= 500) {
        throw providerError('transient', `Yahoo answered HTTP ${status} for ${req.symbol} ${req.timeframe}.`, {
          remedy: 'A fault on Yahoo’s side; the update retries by itself and can be run again later.',
          details: { url, status, body: snippet(text) },
        });
      }
      const looksHtml = /html/i.test(contentType) || /^\s*</.test(text);
      if (looksHtml) {
        throw providerError(
          'badResponse',
          `Yahoo answered an HTML page (HTTP ${status}) instead of chart data for ${req.symbol} ${req.timeframe}.`,
          {
            remedy: 'Yahoo may be showing a consent or error page; retry later, and check TRADELOG_YAHOO_BASE_URL if it is set.',
            details: { url, status, contentType, body: snippet(text) },
          },
        );
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw providerError(
          'badResponse',
          `Yahoo's answer for ${req.symbol} ${req.timeframe} is not valid JSON (HTTP ${status}, ${text.length} bytes): ${errorMessage(err)}`,
          {
            remedy: 'The answer was cut off or garbled; run the update again.',
            details: { url, status, bytes: text.length, body: snippet(text) },
          },
        );
      }
      const parsed = chartSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw providerError(
          'badResponse',
          `Yahoo's answer for ${req.symbol} ${req.timeframe} does not have the chart shape: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? ''}`.trim(),
          {
            remedy: 'Retry later; if it persists the chart API changed and tradelog needs an update.',
            details: { url, status, path: issue?.path },
          },
        );
      }
      const { result, error } = parsed.data.chart;
      if (error || status >= 400) {
        const description = error?.description ?? error?.code ?? snippet(text);
        if (status === 404 || error?.code === 'Not Found' || /no data found|delisted/i.test(description)) {
          throw providerError('symbolNotFound', `Yahoo has no data for symbol ${req.symbol}: ${description}`, {
            remedy: `Check the symbol; set the right one for this instrument in Settings → Market data (settings key market.symbols).`,
            details: { url, status, symbol: req.symbol },
          });
        }
        if (status === 422 || error?.code === 'Unprocessable Entity') {
          throw providerError(
            'rangeNotAllowed',
            `Yahoo does not allow this range for ${req.timeframe} bars of ${req.symbol}: ${description}`,
            {
              remedy: `Ask for fewer days (${req.timeframe}: ${limits.windowDays ? `the last ${limits.windowDays} days, ` : ''}at most ${limits.maxRequestDays} days per request).`,
              details: { url, status, fromSec: req.fromSec, toSec: req.toSec },
            },
          );
        }
        throw providerError(
          'badResponse',
          `Yahoo refused the request for ${req.symbol} ${req.timeframe} (HTTP ${status}): ${description}`,
          {
            remedy: 'Check the instrument and timeframe; retry later.',
            details: { url, status, code: error?.code },
          },
        );
      }
      const first = result?.[0];
      if (!first) {
        throw providerError('badResponse', `Yahoo answered neither data nor an error for ${req.symbol} ${req.timeframe}.`, {
          remedy: 'Retry later.',
          details: { url, status },
        });
      }
      if (first.meta.dataGranularity && !sameInterval(first.meta.dataGranularity, limits.interval)) {
        throw providerError(
          'badResponse',
          `Yahoo answered ${first.meta.dataGranularity} bars when ${limits.interval} bars were asked for (${req.symbol}).`,
          {
            remedy: 'Retry later; such bars are not stored under the wrong timeframe.',
            details: { url, asked: limits.interval, got: first.meta.dataGranularity },
          },
        );
      }
      return toBars(first, req.timeframe, req.tickSize, url);
    },
  };
}
