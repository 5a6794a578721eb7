import * as z from 'zod';
import { maskUrlCredentials } from '../../config.js';
import { AppError, errorMessage, isAppError } from '../../errors.js';
import type { Bar } from '../bars.repo.js';
import { type BarRequest, type BarsProvider, cancelledError, type ProviderBars, providerError, stepRounder } from '../provider.js';
import { badTimeframe, barTime, TIMEFRAMES, type YahooLimits } from '../timeframes.js';

/**
 * Yahoo Finance chart API (docs/interface.md "Market-data provider"):
 * `GET {base}/v8/finance/chart/{symbol}?interval=1h&period1={s}&period2={s}&includePrePost=false`.
 *
 * - An answer is read as a stream and at most `MAX_ANSWER_BYTES` of it: a longer one is TL_MARKET_BAD_RESPONSE
 *   (not retried) the moment the cap is passed, so a huge or endless answer costs neither memory nor time.
 * - Redirects are followed only to the base URL's own origin; one to another host is TL_MARKET_BAD_RESPONSE.
 * - Credentials in the base URL (`https://user:pass@host`) are sent as HTTP Basic auth and shown masked
 *   (config.ts `maskUrlCredentials`) in every message, detail and log.
 * - Answers are validated with zod; quote arrays may hold `null` (no trade in that bar): such bars are skipped and
 *   counted. A missing volume with prices present is stored as 0. The answer must be for the symbol asked
 *   (`meta.symbol`) and the interval asked (`meta.dataGranularity`); bars more than one bar outside the requested
 *   range are dropped and counted (`outOfRange`).
 * - Errors are typed: HTTP 429 → TL_MARKET_RATE_LIMITED (with Retry-After when sent); 404 / "No data found,
 *   symbol may be delisted" → TL_MARKET_SYMBOL_NOT_FOUND; 422 (range beyond what the interval allows) →
 *   TL_MARKET_RANGE_NOT_ALLOWED; an HTML page, truncated JSON, a shape that does not match, another symbol or
 *   interval, an answer over the cap or a redirect elsewhere → TL_MARKET_BAD_RESPONSE; 5xx, network failures and
 *   timeouts → TL_MARKET_TRANSIENT.
 * - Intraday bar times not on the interval's grid (the live, still-forming bar is sometimes stamped with the time
 *   of its last trade) are moved to the bar's open and merged with a bar already there; daily bars are labelled
 *   with their CME trading day (timeframes.ts `barTime`).
 */
export interface YahooProviderOptions {
  /** `TRADELOG_YAHOO_BASE_URL`; a user name and password in it are sent as HTTP Basic auth, never shown. */
  baseUrl: string;
  /** Per request, covering the whole answer. Default 15 s. */
  timeoutMs?: number;
  /** Minimum time between request starts. Default 100 ms: at most 10 requests a second; an update makes about 5. */
  requestSpacingMs?: number;
  /** Largest answer read, in bytes. Default MAX_ANSWER_BYTES. */
  maxAnswerBytes?: number;
  fetch?: typeof fetch;
}

/**
 * The largest answer read (8 MiB). The largest legitimate answers are a 1m request of 8 days (Yahoo's own limit:
 * at most 7 sessions × 1,380 bars ≈ 9,700 bars) and a 5m request of 60 days (≈ 43 sessions × 276 ≈ 11,900 bars).
 * A bar costs at most about 100 bytes of JSON (a 10-digit timestamp, four prices with the feed's float artefacts
 * such as 1.0834999799728394, a volume), so about 1.2 MB; the `meta` block adds a few kB. 8 MiB leaves more than
 * six times that, and keeps a hostile or broken answer from costing more than a few times 8 MiB of memory.
 */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;
/** Same-origin redirects followed per request (a redirect to another host is never followed). */
const MAX_REDIRECTS = 3;
/** Bytes of an error answer (429, 5xx) read for the report. */
const ERROR_SNIPPET_BYTES = 4096;

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

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** What came back for one request: status, headers that matter, and the body (at most the cap). */
interface Answer {
  status: number;
  contentType: string;
  retryAfter: number | undefined;
  text: string;
  /** Bytes read (for an answer over the cap: at least that many were sent). */
  bytes: number;
}

/**
 * The body of `res`, read as a stream and never more than `cap` bytes of it: `over` when the answer is longer
 * (its declared length says so, or more bytes arrive), and then the rest is not read (the stream is cancelled).
 */
async function readCapped(res: Response, cap: number): Promise<{ text: string; bytes: number; over: boolean }> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > cap) {
    await res.body?.cancel().catch(() => {});
    return { text: '', bytes: declared, over: true };
  }
  if (!res.body) return { text: '', bytes: 0, over: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > cap) {
      await reader.cancel().catch(() => {});
      // Kept for an error answer's snippet only; a chart answer over the cap is refused unread.
      return { text: cap <= ERROR_SNIPPET_BYTES ? Buffer.concat(chunks).toString('utf8') : '', bytes, over: true };
    }
    chunks.push(value);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), bytes, over: false };
}

/** The base URL without credentials, how it may be shown, and the credentials as an Authorization header. */
function parseBase(baseUrl: string): { base: string; origin: string; shown: string; authorization?: string } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new AppError('TL_CONFIG_INVALID', `TRADELOG_YAHOO_BASE_URL ${JSON.stringify(maskUrlCredentials(baseUrl))} is not a URL.`, {
      remedy: 'Set TRADELOG_YAHOO_BASE_URL to the chart API, e.g. https://query1.finance.yahoo.com, or unset it.',
    });
  }
  // fetch() refuses URLs with credentials (and would print them in its error): they go in a header instead.
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  const strip = (u: string) => u.replace(/\/+$/, '');
  return {
    base: strip(url.href),
    origin: url.origin,
    shown: strip(maskUrlCredentials(baseUrl)),
    ...(user || password ? { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } : {}),
  };
}

export function createYahooProvider(options: YahooProviderOptions): BarsProvider {
  const { base, origin, shown, authorization } = parseBase(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxBytes = options.maxAnswerBytes ?? MAX_ANSWER_BYTES;
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': 'Mozilla/5.0 (compatible; tradelog)',
    ...(authorization ? { authorization } : {}),
  };

  /**
   * GET `path` below the base URL. Redirects are followed only within the base URL's origin (scheme, host and
   * port); one to another host is refused, so the answer (and the credentials) never come from or go to a host
   * the user did not configure. The body is read with the byte cap.
   */
  async function get(path: string, signal: AbortSignal, what: string, shownUrl: string): Promise<Answer> {
    let url = new URL(`${base}${path}`);
    for (let hop = 0; ; hop++) {
      const res = await doFetch(url.href, { signal, headers, redirect: 'manual' });
      if (REDIRECT_STATUSES.has(res.status)) {
        await res.body?.cancel().catch(() => {});
        url = redirectTarget(res, url, hop, what, shownUrl);
        continue;
      }
      const status = res.status;
      const errorAnswer = status === 429 || status >= 500;
      const body = await readCapped(res, errorAnswer ? ERROR_SNIPPET_BYTES : maxBytes);
      if (body.over && !errorAnswer) {
        throw providerError(
          'badResponse',
          `Yahoo's answer for ${what} is larger than the ${maxBytes / 1048576} MiB cap (${body.bytes} bytes read); it was not read further.`,
          {
            remedy: `No chart answer comes near ${maxBytes / 1048576} MiB: check that TRADELOG_YAHOO_BASE_URL points at the Yahoo chart API. Retrying would not help, so tradelog does not.`,
            details: { url: shownUrl, status, capBytes: maxBytes, bytesRead: body.bytes },
          },
        );
      }
      return {
        status,
        contentType: res.headers.get('content-type') ?? '',
        retryAfter: parseRetryAfter(res.headers.get('retry-after')),
        text: body.text,
        bytes: body.bytes,
      };
    }
  }

  /** Where a redirect may go: the same origin, at most MAX_REDIRECTS times; anything else is a bad response. */
  function redirectTarget(res: Response, from: URL, hop: number, what: string, shownUrl: string): URL {
    const location = res.headers.get('location');
    let target: URL | undefined;
    try {
      target = location ? new URL(location, from) : undefined;
    } catch {
      target = undefined;
    }
    const shownTarget = target ? maskUrlCredentials(target.href) : (location ?? '(no Location header)');
    if (!target || target.origin !== origin) {
      throw providerError(
        'badResponse',
        `Yahoo redirected the request for ${what} to ${target ? `another host (${target.host})` : 'an unusable address'}; tradelog follows redirects only within ${origin}.`,
        {
          remedy:
            'Yahoo may be sending a consent or error page; retry later. If TRADELOG_YAHOO_BASE_URL is set, point it at the chart API itself.',
          details: { url: shownUrl, status: res.status, location: shownTarget },
        },
      );
    }
    if (hop >= MAX_REDIRECTS) {
      throw providerError('badResponse', `Yahoo redirected the request for ${what} more than ${MAX_REDIRECTS} times.`, {
        remedy: 'Retry later; if it persists check TRADELOG_YAHOO_BASE_URL.',
        details: { url: shownUrl, status: res.status, location: shownTarget },
      });
    }
    target.username = '';
    target.password = '';
    return target;
  }

  return {
    name: 'yahoo',
    source: 'yahoo',
    requestSpacingMs: options.requestSpacingMs ?? 100,
    limits: (timeframe) => TIMEFRAMES[timeframe].yahoo,

    async fetchBars(req: BarRequest): Promise<ProviderBars> {
      const limits = TIMEFRAMES[req.timeframe].yahoo;
      if (!limits) throw badTimeframe(req.timeframe);
      const params = new URLSearchParams({
        interval: limits.interval,
        period1: String(Math.floor(req.fromSec)),
        period2: String(Math.ceil(req.toSec)),
        includePrePost: 'false',
      });
      const path = `/v8/finance/chart/${encodeURIComponent(req.symbol)}?${params}`;
      const url = `${shown}${path}`;
      const what = `${req.symbol} ${req.timeframe}`;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
      let answer: Answer;
      try {
        answer = await get(path, signal, what, url);
      } catch (err) {
        if (req.signal?.aborted) throw cancelledError();
        if (isAppError(err)) throw err;
        if (timeout.aborted) {
          throw providerError('transient', `Yahoo did not answer within ${timeoutMs / 1000} s (${what}).`, {
            remedy: 'Check the network connection; the update retries by itself and can simply be run again.',
            details: { url, reason: 'timeout', timeoutMs },
          });
        }
        throw providerError('transient', `Could not reach Yahoo (${what}): ${errorMessage(err)}`, {
          remedy: `Check the network connection and that ${shown} is reachable; run the update again.`,
          details: { url, reason: 'network', cause: errorMessage((err as { cause?: unknown }).cause ?? err) },
        });
      }
      const result = chartResult(answer, req, limits, url);
      return toBars(result, req, url);
    },
  };
}

/** The chart result of an answer, or the typed error it amounts to. */
function chartResult(answer: Answer, req: BarRequest, limits: YahooLimits, url: string): z.infer<typeof resultSchema> {
  const { status, text, contentType, retryAfter } = answer;
  const what = `${req.symbol} ${req.timeframe}`;
  if (status === 429) {
    throw providerError('rateLimited', `Yahoo refused the request: too many requests (HTTP 429) for ${what}.`, {
      remedy: 'Wait a few minutes before updating again; tradelog already spaces and retries its requests.',
      details: { url, status, ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }), body: snippet(text) },
    });
  }
  if (status >= 500) {
    throw providerError('transient', `Yahoo answered HTTP ${status} for ${what}.`, {
      remedy: 'A fault on Yahoo’s side; the update retries by itself and can be run again later.',
      details: { url, status, body: snippet(text) },
    });
  }
  if (/html/i.test(contentType) || /^\s*</.test(text)) {
    throw providerError('badResponse', `Yahoo answered an HTML page (HTTP ${status}) instead of chart data for ${what}.`, {
      remedy: 'Yahoo may be showing a consent or error page; retry later, and check TRADELOG_YAHOO_BASE_URL if it is set.',
      details: { url, status, contentType, body: snippet(text) },
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw providerError(
      'badResponse',
      `Yahoo's answer for ${what} is not valid JSON (HTTP ${status}, ${answer.bytes} bytes): ${errorMessage(err)}`,
      {
        remedy: 'The answer was cut off or garbled; run the update again.',
        details: { url, status, bytes: answer.bytes, body: snippet(text) },
      },
    );
  }
  const parsed = chartSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw providerError(
      'badResponse',
      `Yahoo's answer for ${what} does not have the chart shape: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? ''}`.trim(),
      {
        remedy: 'Retry later; if it persists the chart API changed and tradelog needs an update.',
        details: { url, status, path: issue?.path },
      },
    );
  }
  const { result, error } = parsed.data.chart;
  if (error || status >= 400) throw chartError(error, status, text, req, limits, url);
  const first = result?.[0];
  if (!first) {
    throw providerError('badResponse', `Yahoo answered neither data nor an error for ${what}.`, {
      remedy: 'Retry later.',
      details: { url, status },
    });
  }
  if (first.meta.symbol.toUpperCase() !== req.symbol.toUpperCase()) {
    throw providerError('badResponse', `Yahoo answered bars of ${first.meta.symbol} when ${req.symbol} was asked for (${req.timeframe}).`, {
      remedy:
        'Nothing of that answer was stored. Retry later; if it persists check TRADELOG_YAHOO_BASE_URL and the symbol in Settings → Market data.',
      details: { url, asked: req.symbol, got: first.meta.symbol },
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
  return first;
}

/** The typed error of a chart answer that carries an error or a 4xx status. */
function chartError(
  error: { code: string; description?: string | null | undefined } | null,
  status: number,
  text: string,
  req: BarRequest,
  limits: YahooLimits,
  url: string,
): AppError {
  const description = error?.description ?? error?.code ?? snippet(text);
  if (status === 404 || error?.code === 'Not Found' || /no data found|delisted/i.test(description)) {
    return providerError('symbolNotFound', `Yahoo has no data for symbol ${req.symbol}: ${description}`, {
      remedy: `Check the symbol; set the right one for this instrument in Settings → Market data (settings key market.symbols).`,
      details: { url, status, symbol: req.symbol },
    });
  }
  if (status === 422 || error?.code === 'Unprocessable Entity') {
    return providerError('rangeNotAllowed', `Yahoo does not allow this range for ${req.timeframe} bars of ${req.symbol}: ${description}`, {
      remedy: `Ask for fewer days (${req.timeframe}: ${limits.windowDays ? `the last ${limits.windowDays} days, ` : ''}at most ${limits.maxRequestDays} days per request).`,
      details: { url, status, fromSec: req.fromSec, toSec: req.toSec },
    });
  }
  return providerError('badResponse', `Yahoo refused the request for ${req.symbol} ${req.timeframe} (HTTP ${status}): ${description}`, {
    remedy: 'Check the instrument and timeframe; retry later.',
    details: { url, status, code: error?.code },
  });
}

/**
 * The bars of a chart result: null rows skipped (counted), prices rounded to the tick, intraday times not on the
 * interval's grid moved to their bar's open and merged, daily bars labelled with their trading day
 * (timeframes.ts `barTime`), and only bars inside the requested range, give or take one bar, kept: anything
 * else is counted in `outOfRange` and dropped, never stored.
 */
function toBars(result: z.infer<typeof resultSchema>, req: BarRequest, url: string): ProviderBars {
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
  const tf = TIMEFRAMES[req.timeframe];
  const lowest = req.fromSec - tf.seconds;
  const highest = req.toSec + tf.seconds;
  const round = req.tickSize ? stepRounder(req.tickSize) : (v: number) => v;
  const bars: Bar[] = [];
  let nullsSkipped = 0;
  let outOfRange = 0;
  for (let i = 0; i < ts.length; i++) {
    const o = q.open?.[i];
    const h = q.high?.[i];
    const l = q.low?.[i];
    const c = q.close?.[i];
    if (o == null || h == null || l == null || c == null) {
      nullsSkipped++;
      continue;
    }
    const raw = ts[i] as number;
    if (raw < lowest || raw >= highest) {
      outOfRange++;
      continue;
    }
    const time = barTime(req.timeframe, raw);
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
  return { symbol: result.meta.symbol, bars, nullsSkipped, outOfRange };
}
