import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ResolvedPeriod } from '../../calendar/periods.js';
import { tradingDay } from '../../calendar/sessions.js';
import { BARS_BINARY_TYPE, type ChartWindow } from '../../market-data/chart-cache.js';
import { DEFAULT_UPDATE_TIMEFRAMES, TIMEFRAME_IDS, type TimeframeId } from '../../market-data/timeframes.js';
import { parseTimeRange } from '../../time-param.js';
import { GROUP_BYS, type GroupBy } from '../../trades/stats.js';
import { positionFilterOf } from '../../trades/trades.service.js';
import { BarsAnswers, chooseEncoding, etagMatches } from '../bars-cache.js';
import { requireServices, requireStore, type WebContext } from '../context.js';
import { ID_PARAMS, idParam } from '../ids.js';
import { apiPeriod, PERIOD_PARAM } from '../period-filter.js';
import { assertFilterDates, listPositionsPage, type PositionListQuery, SORT_KEYS } from '../positions-view.js';
import { type Services, sideOfAction } from '../services.js';
import { markOf, withMarks } from '../unrealized.js';

/**
 * The JSON API (docs/interface.md "HTTP"). Errors are `{error:{code, message, remedy}}` with a 4xx/5xx status.
 *
 * `GET /api/bars/:instrument?timeframe=1h&limit=2000[&from=&to=]` answers the newest `limit` bars (default 2,000,
 * at most 100,000) of [from, to] (Unix seconds or ISO 8601, inclusive), oldest first, as columns:
 * `{"instrument":"MNQ","timeframe":"1h","t":[…],"o":[…],"h":[…],"l":[…],"c":[…],"v":[…]}` where `t[i]` is the bar's
 * open in Unix seconds (UTC). Answers carry an ETag (If-None-Match → 304) and are gzip-compressed when accepted.
 * `from`/`to` are read strictly (src/time-param.ts). Every other API answer is `Cache-Control: no-store`.
 */
export const INSTRUMENT_PATTERN = '^[A-Za-z0-9][A-Za-z0-9 =._^-]{0,39}$';
/** The same, or empty (a form's "all" option). */
export const OPTIONAL_INSTRUMENT_PATTERN = `^$|${INSTRUMENT_PATTERN}`;

/** The filter fields a position list, its statistics and its downloads share. */
export const positionFilterProps = {
  account: { type: 'string', maxLength: 100 },
  instrument: { type: 'string', pattern: OPTIONAL_INSTRUMENT_PATTERN },
  period: PERIOD_PARAM,
  from: { type: 'string', maxLength: 40 },
  to: { type: 'string', maxLength: 40 },
  tag: { type: 'string', maxLength: 64 },
} as const;

export const positionListQuerySchema = {
  type: 'object',
  properties: {
    ...positionFilterProps,
    side: { type: 'string', enum: ['long', 'short', ''] },
    status: { type: 'string', enum: ['open', 'closed', ''] },
    reviewed: { type: 'string', enum: ['yes', 'no', ''] },
    sort: { type: 'string', enum: [...SORT_KEYS, ''] },
    order: { type: 'string', enum: ['asc', 'desc', ''] },
    page: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1 },
    pageSize: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  },
} as const;

/**
 * The positions list's query as it travels with the trader (a position page's previous/next and back links, the
 * bulk form): every parameter of the list's schema that was given, except the page number (a position page works
 * out its own) and values equal to their defaults. Whatever filter the list gains, the links carry.
 */
export function listQueryString(query: object): string {
  const props = positionListQuerySchema.properties as Record<string, { default?: unknown }>;
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (key === 'page' || !(key in props) || value === undefined || value === '' || value === props[key]?.default) continue;
    out.append(key, String(value));
  }
  return out.toString();
}

/** `?qs` or nothing. */
export function withQuery(path: string, qs: string): string {
  return qs ? `${path}?${qs}` : path;
}

/** Empty strings from a form's "any" option mean "not given". */
export function cleanQuery<T extends object>(q: T): T {
  return Object.fromEntries(Object.entries(q).filter(([, v]) => v !== '' && v !== undefined)) as T;
}

export interface ExecutionMarker {
  id: number;
  positionId: number;
  time: string;
  /** CME trading day of `time`: where the fill sits on a daily chart (a daily bar's time is that day, 00:00 UTC). */
  tradingDay: string;
  action: string;
  side: 'buy' | 'sell';
  role: 'entry' | 'exit';
  quantity: number;
  price: number;
}

/** The trader's executions of an instrument in a time range (for chart markers), newest positions first. */
export function executionsInRange(
  services: Services,
  instrument: string,
  fromSec?: number,
  toSec?: number,
  maxPositions = 300,
): ExecutionMarker[] {
  const filter = {
    instrument,
    ...(fromSec !== undefined ? { from: new Date(fromSec * 1000).toISOString() } : {}),
    ...(toSec !== undefined ? { to: new Date(toSec * 1000).toISOString() } : {}),
  };
  const total = services.trades.countPositions(filter);
  const positions = services.trades.listPositions({ ...filter, limit: maxPositions, offset: Math.max(0, total - maxPositions) });
  const out: ExecutionMarker[] = [];
  const seen = new Set<number>();
  for (const p of positions) {
    const detail = services.trades.getPosition(p.id);
    for (const e of detail.executions) {
      // A reversal fill belongs to two positions; one marker is enough.
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      const sec = Date.parse(e.time) / 1000;
      if ((fromSec !== undefined && sec < fromSec) || (toSec !== undefined && sec > toSec)) continue;
      out.push({
        id: e.id,
        positionId: p.id,
        time: e.time,
        tradingDay: tradingDay(Date.parse(e.time)),
        action: e.action,
        side: sideOfAction(e.action),
        role: e.role,
        quantity: e.fillQuantity,
        price: e.price,
      });
    }
  }
  return out.sort((a, b) => a.time.localeCompare(b.time));
}

/** A resolved period in an API answer: its name and its first and last trading day (null when open). */
function periodJson(p: ResolvedPeriod): { name: string; from: string | null; to: string | null } {
  return { name: p.name, from: p.from ?? null, to: p.to ?? null };
}

/** The answer forms of `GET /api/bars/:instrument`. */
export const BAR_FORMATS = ['json', 'binary'] as const;
type BarFormat = (typeof BAR_FORMATS)[number];

/** `format=` when given, else the binary form when the Accept header names its type, else JSON. */
function barFormat(req: FastifyRequest, asked: BarFormat | undefined): BarFormat {
  if (asked) return asked;
  return String(req.headers.accept ?? '').includes(BARS_BINARY_TYPE) ? 'binary' : 'json';
}

async function sendBars(
  req: FastifyRequest,
  reply: FastifyReply,
  answers: BarsAnswers,
  window: ChartWindow,
  key: string,
  format: BarFormat,
): Promise<FastifyReply> {
  const etag = answers.etag(window.version, key, format);
  reply.header('etag', etag).header('cache-control', 'private, no-cache').header('vary', 'accept, accept-encoding');
  if (etagMatches(req.headers['if-none-match'], etag)) return reply.code(304).send();
  if (format === 'binary') return reply.type(BARS_BINARY_TYPE).send(window.binary());
  reply.type('application/json; charset=utf-8');
  // Anything but a tiny answer is compressed when the client takes brotli or gzip (its JSON shrinks to a fifth).
  const encoding = window.count > 16 ? chooseEncoding(req.headers['accept-encoding']) : undefined;
  if (encoding) return reply.header('content-encoding', encoding).send(await answers.compress(etag, encoding, () => window.json()));
  return reply.send(window.json());
}

export function registerApiRoutes(app: FastifyInstance, ctx: WebContext): void {
  const answers = new BarsAnswers();

  app.get(
    '/api/bars/:instrument',
    {
      schema: {
        params: { type: 'object', required: ['instrument'], properties: { instrument: { type: 'string', pattern: INSTRUMENT_PATTERN } } },
        querystring: {
          type: 'object',
          properties: {
            timeframe: { type: 'string', enum: [...TIMEFRAME_IDS], default: '1h' },
            limit: { type: 'integer', minimum: 1, maximum: 100_000, default: 2000 },
            from: { type: 'string', maxLength: 40 },
            to: { type: 'string', maxLength: 40 },
            format: { type: 'string', enum: [...BAR_FORMATS] },
          },
        },
      },
    },
    async (req, reply) => {
      const { instrument } = req.params as { instrument: string };
      const q = req.query as { timeframe: TimeframeId; limit: number; from?: string; to?: string; format?: BarFormat };
      const { from, to } = parseTimeRange(q);
      const window = requireServices(ctx).market.chartWindow(instrument, q.timeframe, {
        limit: q.limit,
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
      });
      const key = `${instrument}\u001f${q.timeframe}\u001f${from ?? ''}\u001f${to ?? ''}\u001f${q.limit}`;
      return sendBars(req, reply, answers, window, key, barFormat(req, q.format));
    },
  );

  app.get('/api/positions', { schema: { querystring: positionListQuerySchema } }, async (req) => {
    const q = cleanQuery(req.query as PositionListQuery);
    assertFilterDates(q);
    const services = requireServices(ctx);
    const { query, period } = apiPeriod(q, ctx.clock.now());
    const page = listPositionsPage(services.trades, query);
    const answer = { ...page, items: withMarks(services, page.items, ctx.clock.now()) };
    // A named period says which trading days it was resolved to.
    return q.period ? { ...answer, period: periodJson(period) } : answer;
  });

  app.get('/api/positions/:id', { schema: { params: ID_PARAMS } }, async (req) => {
    const services = requireServices(ctx);
    const p = services.trades.getPosition(idParam(req));
    return p.status === 'open' ? { ...p, ...markOf(services, p, ctx.clock.now()) } : p;
  });

  app.get(
    '/api/stats',
    {
      schema: { querystring: { type: 'object', properties: { ...positionFilterProps, by: { type: 'string', enum: [...GROUP_BYS, ''] } } } },
    },
    async (req) => {
      const q = cleanQuery(req.query as PositionListQuery & { by?: GroupBy });
      assertFilterDates(q);
      const { query, period } = apiPeriod(q, ctx.clock.now());
      const stats = requireServices(ctx).trades.stats(positionFilterOf(query), q.by ? { by: q.by } : {});
      return q.period ? { ...stats, period: periodJson(period) } : stats;
    },
  );

  app.get(
    '/api/executions',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['instrument'],
          properties: {
            instrument: { type: 'string', pattern: INSTRUMENT_PATTERN },
            from: { type: 'string', maxLength: 40 },
            to: { type: 'string', maxLength: 40 },
          },
        },
      },
    },
    async (req) => {
      const q = req.query as { instrument: string; from?: string; to?: string };
      const services = requireServices(ctx);
      const { from, to } = parseTimeRange(q);
      return services.journalMemo.get(`executions\u001f${q.instrument}\u001f${from}\u001f${to}`, () =>
        executionsInRange(services, q.instrument, from, to),
      );
    },
  );

  app.post(
    '/api/market-data/update',
    {
      schema: {
        body: {
          type: 'object',
          required: ['instrument'],
          additionalProperties: false,
          properties: {
            instrument: { type: 'string', pattern: INSTRUMENT_PATTERN },
            timeframes: { type: 'array', minItems: 1, maxItems: TIMEFRAME_IDS.length, items: { type: 'string', enum: [...TIMEFRAME_IDS] } },
            days: { type: 'integer', minimum: 1, maximum: 3650 },
          },
        },
      },
    },
    async (req, reply) => {
      const body = req.body as { instrument: string; timeframes?: TimeframeId[]; days?: number };
      // Bars could not be stored: say so now rather than through six failed timeframes.
      const refusal = requireStore(ctx).market.writeRefused;
      if (refusal) throw refusal;
      // The download runs in the background; the request only starts it (or joins the running one).
      const started = requireServices(ctx).market.jobs.start(body.instrument, {
        timeframes: body.timeframes ?? DEFAULT_UPDATE_TIMEFRAMES,
        ...(body.days !== undefined ? { days: body.days } : {}),
        origin: 'web',
      });
      return reply.code(202).send({ id: started.id, joined: started.joined, job: started.job });
    },
  );

  app.get(
    '/api/jobs/:id',
    { schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f-]{36}$' } } } } },
    async (req, reply) =>
      reply.header('cache-control', 'no-store').send(requireServices(ctx).market.jobs.require((req.params as { id: string }).id)),
  );

  app.get('/api/jobs', async (_req, reply) => reply.header('cache-control', 'no-store').send(requireServices(ctx).market.jobs.list()));

  app.get(
    '/api/market-data/coverage',
    { schema: { querystring: { type: 'object', properties: { instrument: { type: 'string', pattern: INSTRUMENT_PATTERN } } } } },
    async (req) => requireServices(ctx).market.coverage((req.query as { instrument?: string }).instrument),
  );
}
