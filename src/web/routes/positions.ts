import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import { tradingDay } from '../../calendar/sessions.js';
import { AppError } from '../../errors.js';
import type { InstrumentRegistry } from '../../instruments/instruments.js';
import type { MarketData } from '../../market-data/service.js';
import { DEFAULT_UPDATE_TIMEFRAMES, TIMEFRAMES, type TimeframeId } from '../../market-data/timeframes.js';
import { type PositionDetailJson, parseTagList } from '../../trades/trades.service.js';
import { requireServices, type WebContext } from '../context.js';
import { ID_PARAMS, idParam } from '../ids.js';
import { pagePeriod, periodLinks, periodParams, periodSummary } from '../period-filter.js';
import { emptyPage, filterDateErrors, listNeighbours, listPositionsPage, type PositionListQuery, SORT_KEYS } from '../positions-view.js';
import { jsonForScript, tickDecimals } from '../render.js';
import { displayZone, type Services, sideOfAction } from '../services.js';
import { markOf, withMarks } from '../unrealized.js';
import { cleanQuery, listQueryString, positionListQuerySchema, withQuery } from './api.js';

/** Tick size per root, for writing prices to the tick (a root without a spec is written with 2 decimals). */
export function tickSizes(registry: InstrumentRegistry): Record<string, number> {
  return Object.fromEntries(registry.all().map((s) => [s.root, s.tickSize]));
}

/** The finest timeframe that shows a position of this length readably (about 20–200 candles). */
export function idealTimeframe(durationSec: number): TimeframeId {
  if (durationSec <= 3 * 3600) return '1m';
  if (durationSec <= 24 * 3600) return '5m';
  if (durationSec <= 4 * 86400) return '15m';
  if (durationSec <= 20 * 86400) return '1h';
  if (durationSec <= 90 * 86400) return '4h';
  return '1d';
}

/**
 * The position page's chart: the finest timeframe whose stored bars cover the position (else the ideal one, for
 * "Update from API"), a window around it, and its fills as markers.
 */
function positionChart(p: PositionDetailJson, market: MarketData, tickSize: number | undefined, zone: string) {
  const openedSec = Math.floor(Date.parse(p.openedAt) / 1000);
  const closedSec = Math.floor(Date.parse(p.closedAt ?? p.executions[p.executions.length - 1]?.time ?? p.openedAt) / 1000);
  const duration = Math.max(60, closedSec - openedSec);
  // Prefer the finest timeframe whose stored bars cover the position; else the ideal one (Update from API).
  const ideal = idealTimeframe(duration);
  // Two index lookups per timeframe: a bar at or before the opening, and one at or after the closing candle.
  const covers = (tf: TimeframeId) =>
    market.readBars(p.root, tf, { to: openedSec, limit: 1 }).length > 0 &&
    market.readBars(p.root, tf, { from: closedSec - TIMEFRAMES[tf].seconds, limit: 1 }).length > 0;
  const from = DEFAULT_UPDATE_TIMEFRAMES.indexOf(ideal);
  const timeframe = DEFAULT_UPDATE_TIMEFRAMES.slice(from).find(covers) ?? ideal;
  const padSec = Math.max(duration / 2, 30 * TIMEFRAMES[timeframe].seconds);
  return {
    instrument: p.root,
    timeframe,
    from: Math.floor(openedSec - padSec * 3),
    to: Math.ceil(closedSec + padSec * 3),
    openedSec,
    closedSec,
    padSec: Math.round(padSec),
    avgEntryPrice: p.avgEntryPrice,
    avgExitPrice: p.avgExitPrice,
    zone,
    tickSize: tickSize ?? 0.01,
    precision: tickDecimals(tickSize),
    executions: p.executions.map((e) => ({
      id: e.id,
      time: e.time,
      tradingDay: tradingDay(Date.parse(e.time)),
      action: e.action,
      side: sideOfAction(e.action),
      quantity: e.quantity,
      price: e.price,
      label: `${e.action} ${e.quantity}@${e.price}`,
    })),
  };
}

/**
 * The verdict the imported file gave (NinjaTrader's TradeValidation column), over the position's executions: the
 * form shows it as the verdict in force until the trader gives their own.
 */
function fileVerdict(executions: { validation: 'valid' | 'invalid' | null }[]): 'valid' | 'invalid' | 'mixed' | null {
  const valid = executions.some((e) => e.validation === 'valid');
  const invalid = executions.some((e) => e.validation === 'invalid');
  return valid && invalid ? 'mixed' : valid ? 'valid' : invalid ? 'invalid' : null;
}

/** Positions list (filters, sort, pages) and one position (summary, executions, FIFO pairs, journal, chart). */
export function registerPositionRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get('/positions', { schema: { querystring: LIST_PAGE_QUERY } }, async (req, reply) => {
    const services = requireServices(ctx);
    const { trades } = services;
    const { marked, ...query } = req.query as PositionListQuery & { marked?: string };
    const q = cleanQuery(query as PositionListQuery);
    const { query: periodQuery, period } = pagePeriod(q, ctx.clock.now());
    // A date that is not one comes back next to its field (the list is not shown: it would not be what was asked).
    const dateErrors = filterDateErrors(q);
    const refused = Object.keys(dateErrors).length > 0;
    const page = refused ? emptyPage(q) : listPositionsPage(trades, periodQuery);
    const accounts = (trades.stats({}, { by: 'account' }).groups ?? []).map((g) => g.key);
    const instruments = (trades.stats({}, { by: 'instrument' }).groups ?? []).map((g) => g.key);
    for (const p of trades.listPositions({ status: 'open' })) {
      if (!accounts.includes(p.account)) accounts.push(p.account);
      if (!instruments.includes(p.root)) instruments.push(p.root);
    }
    return ctx.render(
      reply,
      req,
      'positions',
      {
        title: 'Positions',
        q,
        page,
        accounts: accounts.sort(),
        instruments: instruments.sort(),
        tags: trades.allTags(),
        sortKeys: SORT_KEYS,
        dateErrors,
        period,
        periodLinks: periodLinks('/positions', q, period),
        periodSummary: periodSummary(period),
        periodParams: periodParams(q, period),
        ticks: tickSizes(trades.registry()),
        orphans: trades.orphanExits(50).map((e) => ({
          account: e.account,
          contract: e.contract,
          action: e.action,
          quantity: e.quantity,
          price: e.price,
          time: new Date(e.time).toISOString(),
          importId: e.importId,
          line: e.sourceLine,
        })),
        items: withMarks(services, page.items, ctx.clock.now()),
        listQs: listQueryString(q),
        marked: markedNotice(marked),
        scripts: ['/static/js/common.js', '/static/js/review-keys.js'],
      },
      refused ? 400 : 200,
    );
  });

  app.get('/positions/:id', { schema: { params: ID_PARAMS, querystring: POSITION_PAGE_QUERY } }, async (req, reply) => {
    const services = requireServices(ctx);
    const { trades, market } = services;
    const id = idParam(req);
    const p = trades.getPosition(id);
    const { saved, ...query } = req.query as PositionListQuery & { saved?: string };
    const list = cleanQuery(query as PositionListQuery);
    const journal = trades.getJournal(id);
    const spec = trades.registry().has(p.root) ? trades.registry().get(p.root) : undefined;
    const chart = positionChart(p, market, spec?.tickSize, displayZone(ctx.services, ctx.config));
    return ctx.render(reply, req, 'position', {
      title: `Position ${p.id}`,
      p,
      journal,
      fileVerdict: fileVerdict(p.executions),
      // Points per contract: over the contracts closed (a scaled position closes more than its largest size).
      exitedContracts: p.pairs.reduce((n, pair) => n + pair.quantity, 0),
      spec,
      chart,
      chartJson: jsonForScript(chart),
      timeframes: DEFAULT_UPDATE_TIMEFRAMES,
      saved,
      review: reviewLinks(services, list, p, ctx.clock.now()),
      mark: p.status === 'open' ? markOf(services, p, ctx.clock.now()) : undefined,
      scripts: [
        '/vendor/lightweight-charts.js',
        '/static/js/common.js',
        '/static/js/candles.js',
        '/static/js/update.js',
        '/static/js/position.js',
        '/static/js/review-keys.js',
      ],
    });
  });

  registerStopRoutes(app, ctx);

  app.post(
    '/positions/:id/journal',
    {
      schema: {
        params: ID_PARAMS,
        querystring: positionListQuerySchema,
        body: {
          type: 'object',
          properties: {
            note: { type: 'string', maxLength: 100_000 },
            tags: { type: 'string', maxLength: 2000 },
            reviewed: { type: 'string', enum: ['on', '1', 'true'] },
            validity: { type: 'string', enum: ['', 'valid', 'invalid'] },
          },
        },
      },
    },
    async (req, reply) => {
      const { trades } = requireServices(ctx);
      const id = idParam(req);
      const body = req.body as { note?: string; tags?: string; reviewed?: string; validity?: '' | 'valid' | 'invalid' };
      // One service call, one transaction: the note, the tags and the flags are saved together or not at all.
      trades.saveJournal(id, {
        note: body.note ?? '',
        tags: parseTagList(body.tags ?? ''),
        reviewed: Boolean(body.reviewed),
        validity: body.validity ? body.validity : null,
      });
      const qs = listQueryString(cleanQuery(req.query as PositionListQuery));
      return reply.redirect(`/positions/${id}?saved=1${qs ? `&${qs}` : ''}#journal`, 303);
    },
  );

  // Several positions marked reviewed (or not) at once, from the list's checkboxes: one transaction, all or none.
  app.post(
    '/positions/reviewed',
    {
      // 500 ids of up to 16 digits, URL-encoded, and the CSRF field: about 12 KB.
      bodyLimit: 32 * 1024,
      schema: {
        querystring: positionListQuerySchema,
        body: {
          type: 'object',
          required: ['id', 'reviewed'],
          properties: {
            id: { type: 'array', minItems: 1, maxItems: 500, items: { type: 'string', pattern: ID_PARAMS.properties.id.pattern } },
            reviewed: { type: 'string', enum: ['yes', 'no'] },
          },
        },
      },
    },
    async (req, reply) => {
      const body = req.body as { id: string[]; reviewed: 'yes' | 'no' };
      const count = requireServices(ctx).trades.setReviewedMany(body.id.map(Number), body.reviewed === 'yes');
      if ((req.headers.accept ?? '').includes('application/json')) return { updated: count, reviewed: body.reviewed === 'yes' };
      const qs = listQueryString(cleanQuery(req.query as PositionListQuery));
      const marked = `marked=${body.reviewed === 'yes' ? 'reviewed' : 'unreviewed'}-${count}`;
      return reply.redirect(`/positions?${qs ? `${qs}&` : ''}${marked}`, 303);
    },
  );
}

/** A price as typed ("21,036.25", "21036.25"); undefined when empty, null when not a price. */
function typedPrice(text: string | undefined): number | undefined | null {
  const t = (text ?? '').trim().replace(/,(?=\d{3}\b)/g, '');
  if (t === '') return undefined;
  return /^-?\d*\.?\d+$/.test(t) ? Number(t) : null;
}

/** A wall-clock time typed in the display zone (`2026-05-14 09:35:10`, seconds optional) or an ISO instant. */
function typedTime(text: string | undefined, zone: string): number | null {
  const t = (text ?? '').trim();
  const iso = DateTime.fromISO(t.includes('T') ? t : t.replace(' ', 'T'), { zone, setZone: false });
  return iso.isValid ? iso.toMillis() : null;
}

/** The stop form of the position page: the initial stop typed, a move of the stop recorded, a move removed. */
function registerStopRoutes(app: FastifyInstance, ctx: WebContext): void {
  const back = (id: number) => `/positions/${id}?saved=stops#stops`;
  const bad = (field: string, message: string) =>
    new AppError('TL_JOURNAL_BAD_INPUT', message, { remedy: 'Correct the value and save again.', details: { field } });
  app.post(
    '/positions/:id/stops',
    { schema: { params: ID_PARAMS, body: { type: 'object', properties: { initialStop: { type: 'string', maxLength: 40 } } } } },
    async (req, reply) => {
      const { orders } = requireServices(ctx);
      const id = idParam(req);
      const price = typedPrice((req.body as { initialStop?: string }).initialStop);
      if (price === null) throw bad('initialStop', `"${(req.body as { initialStop?: string }).initialStop}" is not a price.`);
      orders.setInitialStop(id, price ?? null);
      return reply.redirect(back(id), 303);
    },
  );
  app.post(
    '/positions/:id/stop-moves',
    {
      schema: {
        params: ID_PARAMS,
        body: { type: 'object', properties: { at: { type: 'string', maxLength: 40 }, stopPrice: { type: 'string', maxLength: 40 } } },
      },
    },
    async (req, reply) => {
      const { orders } = requireServices(ctx);
      const id = idParam(req);
      const b = req.body as { at?: string; stopPrice?: string };
      const price = typedPrice(b.stopPrice);
      if (price === null || price === undefined) throw bad('stopPrice', `"${b.stopPrice ?? ''}" is not a price.`);
      const at = typedTime(b.at, displayZone(ctx.services, ctx.config));
      if (at === null) throw bad('at', `"${b.at ?? ''}" is not a time: give it as YYYY-MM-DD HH:MM:SS.`);
      orders.addStopMove(id, at, price);
      return reply.redirect(back(id), 303);
    },
  );
  app.post(
    '/positions/:id/stop-moves/:moveId/delete',
    {
      schema: {
        params: {
          type: 'object',
          required: ['id', 'moveId'],
          properties: { id: ID_PARAMS.properties.id, moveId: ID_PARAMS.properties.id },
        },
      },
    },
    async (req, reply) => {
      const { orders } = requireServices(ctx);
      const id = idParam(req);
      orders.removeStopMove(id, Number((req.params as { moveId: string }).moveId));
      return reply.redirect(back(id), 303);
    },
  );
}

/** The list page's query: the list's own, and the count a bulk change reports back (`marked=reviewed-3`). */
const LIST_PAGE_QUERY = {
  ...positionListQuerySchema,
  properties: { ...positionListQuerySchema.properties, marked: { type: 'string', pattern: '^(reviewed|unreviewed)-[0-9]{1,3}$' } },
} as const;

/** A position page's query: the list it was opened from (for previous/next and the way back), and `saved`. */
const POSITION_PAGE_QUERY = {
  ...positionListQuerySchema,
  properties: { ...positionListQuerySchema.properties, saved: { type: 'string', maxLength: 10 } },
} as const;

function markedNotice(marked: string | undefined): string | undefined {
  const m = /^(reviewed|unreviewed)-(\d+)$/.exec(marked ?? '');
  if (!m) return undefined;
  const n = Number(m[2]);
  return `Marked ${n} position${n === 1 ? '' : 's'} as ${m[1] === 'reviewed' ? 'reviewed' : 'not reviewed'}.`;
}

/**
 * The way through the list a position page was opened from: previous and next within its filter and order, the
 * row it is, and the list page to go back to, every link carrying the list's query.
 */
function reviewLinks(services: Services, list: PositionListQuery, p: PositionDetailJson, nowMs: number) {
  // The links carry the list's query as it was asked (a named period stays named); the neighbours are those of the
  // trading days it resolves to at `nowMs`, as on the list.
  const qs = listQueryString(list);
  // A filter with a date that is not one lists nothing: no neighbours, but the way back keeps it.
  const usable = Object.keys(filterDateErrors(list)).length === 0;
  const where = usable ? listNeighbours(services.trades, pagePeriod(list, nowMs).query, p) : undefined;
  const href = (other: { id: number } | undefined) => (other ? withQuery(`/positions/${other.id}`, qs) : undefined);
  const page = where && where.page > 1 ? `page=${where.page}` : '';
  return {
    qs,
    back: `/positions${qs || page ? `?${[qs, page].filter(Boolean).join('&')}` : ''}#row-${p.id}`,
    previous: href(where?.previous),
    next: href(where?.next),
    row: where?.row,
    total: where?.total,
    journalAction: withQuery(`/positions/${p.id}/journal`, qs),
  };
}
