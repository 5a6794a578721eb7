import type { FastifyInstance } from 'fastify';
import { calendarMonths } from '../calendar.js';
import { requireServices, type WebContext } from '../context.js';
import { recentPositions } from '../positions-view.js';
import { barChart, cumulative, lineChart } from '../svg.js';

/** The dashboard: net P&L, win rate, profit factor, equity curve, daily calendar, recent positions. */
export function registerDashboardRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get(
    '/',
    { schema: { querystring: { type: 'object', properties: { account: { type: 'string', maxLength: 100 } } } } },
    async (req, reply) => {
      const { trades } = requireServices(ctx);
      const account = (req.query as { account?: string }).account || undefined;
      const filter = account ? { account } : {};
      if (trades.countPositions({}) === 0) {
        return ctx.render(reply, req, 'dashboard', { title: 'Dashboard', empty: true });
      }
      // One pass gives the totals and the trading days.
      const stats = trades.stats(filter, { by: 'day' });
      const daily = stats.groups ?? [];
      const accounts = (trades.stats({}, { by: 'account' }).groups ?? []).map((g) => g.key);
      const points = daily.map((g) => ({ label: g.key, value: g.netPnl }));
      const equity = lineChart(cumulative(points), {
        title: 'Equity curve (cumulative net P&L by trading day)',
        id: 'equity-curve',
        height: 240,
      });
      const lastDays = barChart(points.slice(-30), {
        title: 'Net P&L of the last 30 trading days',
        id: 'daily-bars',
        width: 520,
        height: 200,
      });
      const calendar = calendarMonths(new Map(daily.map((g) => [g.key, { net: g.netPnl, positions: g.positions }])), 3);
      return ctx.render(reply, req, 'dashboard', {
        title: 'Dashboard',
        empty: false,
        account,
        accounts,
        stats,
        open: trades.countPositions({ ...filter, status: 'open' }),
        equity,
        lastDays,
        calendar,
        recent: recentPositions(trades, filter, 10),
      });
    },
  );
}
