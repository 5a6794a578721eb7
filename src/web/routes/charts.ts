import type { FastifyInstance } from 'fastify';
import { DEFAULT_UPDATE_TIMEFRAMES, type TimeframeId } from '../../market-data/timeframes.js';
import { requireServices, type WebContext } from '../context.js';
import { jsonForScript, tickDecimals } from '../render.js';
import { displayZone } from '../services.js';
import { INSTRUMENT_PATTERN } from './api.js';

/** Range choices of the charts page, in seconds back from the newest stored bar (`all` = no limit). */
export const RANGES: Record<string, number | null> = {
  '1d': 86400,
  '3d': 3 * 86400,
  '7d': 7 * 86400,
  '30d': 30 * 86400,
  '90d': 90 * 86400,
  '1y': 365 * 86400,
  all: null,
};

/** Instruments worth charting: every root with stored bars or with positions. */
export function chartInstruments(ctx: WebContext): { root: string; name: string; bars: number; positions: number }[] {
  const { trades, market } = requireServices(ctx);
  const registry = trades.registry();
  const map = new Map<string, { root: string; name: string; bars: number; positions: number }>();
  const entry = (root: string) => {
    let e = map.get(root);
    if (!e) {
      e = { root, name: registry.has(root) ? registry.get(root).name : root, bars: 0, positions: 0 };
      map.set(root, e);
    }
    return e;
  };
  for (const c of market.coverage()) entry(c.instrument).bars += c.count;
  for (const g of trades.stats({}, { by: 'instrument' }).groups ?? []) entry(g.key).positions += g.positions;
  for (const p of trades.listPositions({ status: 'open' })) entry(p.root).positions += 1;
  return [...map.values()].sort((a, b) => b.positions - a.positions || b.bars - a.bars || a.root.localeCompare(b.root));
}

export function registerChartRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get(
    '/charts',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            instrument: { type: 'string', pattern: INSTRUMENT_PATTERN },
            timeframe: { type: 'string', enum: [...DEFAULT_UPDATE_TIMEFRAMES] },
            range: { type: 'string', enum: Object.keys(RANGES) },
            volume: { type: 'string', enum: ['0', '1'] },
          },
        },
      },
    },
    async (req, reply) => {
      const { market, trades } = requireServices(ctx);
      const q = req.query as { instrument?: string; timeframe?: TimeframeId; range?: string; volume?: string };
      const instruments = chartInstruments(ctx);
      const scripts = [
        '/vendor/lightweight-charts.js',
        '/static/js/common.js',
        '/static/js/candles.js',
        '/static/js/update.js',
        '/static/js/charts-page.js',
      ];
      if (instruments.length === 0 && !q.instrument) {
        return ctx.render(reply, req, 'charts', { title: 'Charts', empty: true, instruments, scripts: [] });
      }
      const instrument = q.instrument ? market.symbols().barInstrument(q.instrument) : (instruments[0]?.root as string);
      if (!instruments.some((i) => i.root === instrument))
        instruments.unshift({ root: instrument, name: instrument, bars: 0, positions: 0 });
      const coverage = Object.fromEntries(market.coverage(instrument).map((c) => [c.timeframe, c]));
      const timeframe = q.timeframe ?? (coverage['1h'] ? '1h' : (DEFAULT_UPDATE_TIMEFRAMES.find((tf) => coverage[tf]) ?? '1h'));
      const range = q.range ?? (timeframe === '1m' ? '1d' : timeframe === '1d' ? '1y' : timeframe === '4h' ? '90d' : '7d');
      const registry = trades.registry();
      const tickSize = registry.has(instrument) ? registry.get(instrument).tickSize : 0.01;
      const data = {
        instrument,
        timeframe,
        range,
        volume: q.volume !== '0',
        zone: displayZone(ctx.services, ctx.config),
        tickSize,
        precision: tickDecimals(tickSize),
        coverage,
        ranges: RANGES,
      };
      return ctx.render(reply, req, 'charts', {
        title: `Charts · ${instrument}`,
        empty: false,
        instruments,
        data,
        dataJson: jsonForScript(data),
        timeframes: DEFAULT_UPDATE_TIMEFRAMES,
        ranges: Object.keys(RANGES),
        scripts,
      });
    },
  );
}
