import type { FastifyInstance } from 'fastify';
import { currentTradingDay } from '../../calendar/periods.js';
import { computeStats } from '../../trades/stats.js';
import { positionFilterOf } from '../../trades/trades.service.js';
import { calendarView } from '../calendar.js';
import { requireServices, type WebContext } from '../context.js';
import { PERIOD_PARAM, type PeriodQuery, pagePeriod, periodLinks, periodParams, periodSummary } from '../period-filter.js';
import { filterDateErrors, recentPositions } from '../positions-view.js';
import { pnlText } from '../render.js';
import { barChart, cumulative, lineChart, yearHeatmap } from '../svg.js';
import { cleanQuery } from './api.js';

type DashboardQuery = PeriodQuery & { account?: string; cal?: string };

/**
 * The dashboard: net P&L, win rate, profit factor, equity curve and recent positions of a period (the address's
 * `period` or `from`/`to`), and the calendar of daily results (`cal`: a month `YYYY-MM` or a year `YYYY`).
 */
export function registerDashboardRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get(
    '/',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            account: { type: 'string', maxLength: 100 },
            period: PERIOD_PARAM,
            from: { type: 'string', maxLength: 40 },
            to: { type: 'string', maxLength: 40 },
            cal: { type: 'string', pattern: '^$|^\\d{4}(-(0[1-9]|1[0-2]))?$' },
          },
        },
      },
    },
    async (req, reply) => {
      const { trades } = requireServices(ctx);
      const q = cleanQuery(req.query as DashboardQuery);
      if (trades.countPositions({}) === 0) {
        return ctx.render(reply, req, 'dashboard', { title: 'Dashboard', empty: true });
      }
      const now = ctx.clock.now();
      const { query, period } = pagePeriod(q, now);
      // A date that is not one comes back next to its field; nothing is shown for a period that was not given.
      const dateErrors = filterDateErrors(q);
      const refused = Object.keys(dateErrors).length > 0;
      const filter = positionFilterOf(refused ? { account: q.account } : query);
      const accountOnly = positionFilterOf({ account: q.account });
      // One pass gives the period's totals and its trading days.
      const stats = refused ? computeStats([], { by: 'day' }) : trades.stats(filter, { by: 'day' });
      const daily = stats.groups ?? [];
      const accounts = (trades.stats({}, { by: 'account' }).groups ?? []).map((g) => g.key);
      const points = daily.map((g) => ({ label: g.key, value: g.netPnl }));
      const equity = lineChart(cumulative(points), {
        title: 'Equity curve (cumulative net P&L by trading day)',
        id: 'equity-curve',
        height: 240,
      });
      const lastDays = barChart(points.slice(-30), {
        title: 'Net P&L of the last 30 trading days of the period',
        id: 'daily-bars',
        width: 520,
        height: 200,
      });
      // The calendar is a calendar: whole months and years of the account, moved through with its own links.
      const allDays = trades.stats(accountOnly, { by: 'day' }).groups ?? [];
      const results = new Map(allDays.map((g) => [g.key, { net: g.netPnl, positions: g.positions }]));
      const fallback = daily[daily.length - 1]?.key ?? currentTradingDay(now);
      const calendar = calendarView(results, q.cal, fallback);
      const keep = { account: q.account, period: q.period, from: q.from, to: q.to };
      const dayHref = (iso: string) => `/positions${qs({ from: iso, to: iso, account: q.account })}`;
      const heatmap =
        calendar.kind === 'year'
          ? yearHeatmap(calendar.year.days, {
              title: `Net P&L by trading day, ${calendar.year.year}`,
              id: 'year-heatmap',
              months: calendar.year.months,
              maxAbs: calendar.year.maxAbs,
              href: dayHref,
              amount: pnlText,
            })
          : '';
      return ctx.render(
        reply,
        req,
        'dashboard',
        {
          title: 'Dashboard',
          empty: false,
          q,
          account: q.account,
          accounts,
          stats,
          period,
          periodLinks: periodLinks('/', { account: q.account, cal: q.cal }, period),
          periodSummary: periodSummary(period),
          periodParams: periodParams(q, period),
          dateErrors,
          open: refused ? 0 : trades.countPositions({ ...filter, status: 'open' }),
          equity,
          lastDays,
          calendar,
          heatmap,
          calendarHref: (cal: string) => `/${qs({ ...keep, cal })}`,
          dayHref,
          recent: refused ? [] : recentPositions(trades, filter, 10),
        },
        refused ? 400 : 200,
      );
    },
  );
}

function qs(params: Record<string, string | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) u.set(k, v);
  const s = u.toString();
  return s ? `?${s}` : '';
}
