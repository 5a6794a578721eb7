import type { FastifyInstance } from 'fastify';
import { tradingDay } from '../../calendar/sessions.js';
import { DEFAULT_UPDATE_TIMEFRAMES, TIMEFRAMES, type TimeframeId } from '../../market-data/timeframes.js';
import { requireServices, requireStore, type WebContext } from '../context.js';
import { ID_PARAMS, idParam } from '../ids.js';
import { listPositionsPage, type PositionListQuery, SORT_KEYS } from '../positions-view.js';
import { jsonForScript, tickDecimals } from '../render.js';
import { displayZone, sideOfAction } from '../services.js';
import { cleanQuery, positionListQuerySchema } from './api.js';

/** The finest timeframe that shows a position of this length readably (about 20–200 candles). */
export function idealTimeframe(durationSec: number): TimeframeId {
  if (durationSec <= 3 * 3600) return '1m';
  if (durationSec <= 24 * 3600) return '5m';
  if (durationSec <= 4 * 86400) return '15m';
  if (durationSec <= 20 * 86400) return '1h';
  if (durationSec <= 90 * 86400) return '4h';
  return '1d';
}

/** Positions list (filters, sort, pages) and one position (summary, executions, FIFO pairs, journal, chart). */
export function registerPositionRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get('/positions', { schema: { querystring: positionListQuerySchema } }, async (req, reply) => {
    const { trades } = requireServices(ctx);
    const q = cleanQuery(req.query as PositionListQuery);
    const page = listPositionsPage(trades, q);
    const accounts = (trades.stats({}, { by: 'account' }).groups ?? []).map((g) => g.key);
    const instruments = (trades.stats({}, { by: 'instrument' }).groups ?? []).map((g) => g.key);
    for (const p of trades.listPositions({ status: 'open' })) {
      if (!accounts.includes(p.account)) accounts.push(p.account);
      if (!instruments.includes(p.root)) instruments.push(p.root);
    }
    return ctx.render(reply, req, 'positions', {
      title: 'Positions',
      q,
      page,
      accounts: accounts.sort(),
      instruments: instruments.sort(),
      tags: trades.allTags(),
      sortKeys: SORT_KEYS,
    });
  });

  app.get(
    '/positions/:id',
    { schema: { params: ID_PARAMS, querystring: { type: 'object', properties: { saved: { type: 'string', maxLength: 10 } } } } },
    async (req, reply) => {
      const { trades, market } = requireServices(ctx);
      const id = idParam(req);
      const p = trades.getPosition(id);
      const journal = trades.getJournal(id);
      const spec = trades.registry().has(p.root) ? trades.registry().get(p.root) : undefined;
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
      const chart = {
        instrument: p.root,
        timeframe,
        from: Math.floor(openedSec - padSec * 3),
        to: Math.ceil(closedSec + padSec * 3),
        openedSec,
        closedSec,
        padSec: Math.round(padSec),
        avgEntryPrice: p.avgEntryPrice,
        avgExitPrice: p.avgExitPrice,
        zone: displayZone(ctx.services, ctx.config),
        tickSize: spec?.tickSize ?? 0.01,
        precision: tickDecimals(spec?.tickSize),
        executions: p.executions.map((e) => ({
          id: e.id,
          time: e.time,
          tradingDay: tradingDay(Date.parse(e.time)),
          side: sideOfAction(e.action),
          quantity: e.quantity,
          price: e.price,
          label: `${e.action} ${e.quantity}@${e.price}`,
        })),
      };
      return ctx.render(reply, req, 'position', {
        title: `Position ${p.id}`,
        p,
        journal,
        spec,
        chart,
        chartJson: jsonForScript(chart),
        timeframes: DEFAULT_UPDATE_TIMEFRAMES,
        saved: (req.query as { saved?: string }).saved,
        scripts: [
          '/vendor/lightweight-charts.js',
          '/static/js/common.js',
          '/static/js/candles.js',
          '/static/js/update.js',
          '/static/js/position.js',
        ],
      });
    },
  );

  app.post(
    '/positions/:id/journal',
    {
      schema: {
        params: ID_PARAMS,
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
      const store = requireStore(ctx);
      const id = idParam(req);
      const body = req.body as { note?: string; tags?: string; reviewed?: string; validity?: '' | 'valid' | 'invalid' };
      const wanted = [
        ...new Set(
          (body.tags ?? '')
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        ),
      ];
      // One transaction: the note, the tags and the flags are saved together or not at all.
      store.journal.write(() => {
        const current = trades.getJournal(id);
        trades.setNote(id, body.note ?? '');
        for (const t of current.tags) if (!wanted.includes(t)) trades.removeTag(id, t);
        for (const t of wanted) if (!current.tags.includes(t)) trades.addTag(id, t);
        trades.setReviewed(id, Boolean(body.reviewed));
        trades.setValidity(id, body.validity ? body.validity : null);
      });
      return reply.redirect(`/positions/${id}?saved=1#journal`, 303);
    },
  );
}
