import type { FastifyInstance } from 'fastify';
import { computeStats, GROUP_BYS, type GroupBy } from '../../trades/stats.js';
import { positionFilterOf } from '../../trades/trades.service.js';
import { requireServices, type WebContext } from '../context.js';
import { PERIOD_PARAM, pagePeriod, periodLinks, periodParams, periodSummary } from '../period-filter.js';
import { filterDateErrors, type PositionListQuery } from '../positions-view.js';
import { displayZone } from '../services.js';
import { barChart, cumulative, lineChart } from '../svg.js';
import { cleanQuery, OPTIONAL_INSTRUMENT_PATTERN } from './api.js';

const TIME_GROUPS = new Set<GroupBy>(['day', 'week', 'month']);
const LABELS: Record<Exclude<GroupBy, 'hour'>, string> & { hour: (zone: string) => string } = {
  day: 'Trading day',
  week: 'Week',
  month: 'Month',
  instrument: 'Instrument',
  contract: 'Contract',
  account: 'Account',
  side: 'Side',
  hour: (zone) => `Hour opened (${zone})`,
};

const lower = (label: string) => label.charAt(0).toLowerCase() + label.slice(1);

/** Statistics with the groupings of the trades service, each with a chart. */
export function registerStatisticsRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get(
    '/statistics',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            account: { type: 'string', maxLength: 100 },
            instrument: { type: 'string', pattern: OPTIONAL_INSTRUMENT_PATTERN },
            from: { type: 'string', maxLength: 40 },
            period: PERIOD_PARAM,
            to: { type: 'string', maxLength: 40 },
            by: { type: 'string', enum: [...GROUP_BYS] },
          },
        },
      },
    },
    async (req, reply) => {
      const { trades } = requireServices(ctx);
      const q = cleanQuery(req.query as PositionListQuery & { by?: GroupBy });
      const by: GroupBy = q.by ?? 'month';
      const { query, period } = pagePeriod(q, ctx.clock.now());
      const dateErrors = filterDateErrors(q);
      const refused = Object.keys(dateErrors).length > 0;
      const filter = positionFilterOf(refused ? { ...q, from: undefined, to: undefined } : query);
      // Hours are the display zone's, the zone every time on the page is written in.
      const zone = displayZone(ctx.services, ctx.config);
      const label = by === 'hour' ? LABELS.hour(zone) : LABELS[by];
      // A date that is not one comes back next to its field; no statistics are shown for a period that was not given.
      const result = refused ? computeStats([], {}) : trades.stats(filter, by === 'hour' ? { by, hourZone: zone } : { by });
      const groups = result.groups ?? [];
      const points = groups.map((g) => ({ label: g.key, value: g.netPnl }));
      const chart = barChart(points, { title: `Net P&L by ${lower(label)}`, id: 'group-chart' });
      const curve = TIME_GROUPS.has(by)
        ? lineChart(cumulative(points), { title: 'Cumulative net P&L', id: 'cumulative-chart', height: 200 })
        : '';
      const winRates = barChart(
        groups.map((g) => ({ label: g.key, value: g.winRate === null ? 0 : Math.round(g.winRate * 1000) / 10 })),
        { title: `Win rate by ${lower(label)}`, id: 'winrate-chart', height: 160, unit: 'percent' },
      );
      const accounts = (trades.stats({}, { by: 'account' }).groups ?? []).map((g) => g.key);
      const instruments = (trades.stats({}, { by: 'instrument' }).groups ?? []).map((g) => g.key);
      return ctx.render(
        reply,
        req,
        'statistics',
        {
          title: 'Statistics',
          q,
          by,
          byLabel: label,
          byLower: lower(label),
          groupBys: GROUP_BYS.map((g) => ({ id: g, label: g === 'hour' ? LABELS.hour(zone) : LABELS[g] })),
          period,
          periodLinks: periodLinks('/statistics', q, period),
          periodSummary: periodSummary(period),
          periodParams: periodParams(q, period),
          stats: result,
          groups,
          chart,
          curve,
          winRates: by === 'day' ? '' : winRates,
          accounts,
          instruments,
          dateErrors,
        },
        refused ? 400 : 200,
      );
    },
  );
}
