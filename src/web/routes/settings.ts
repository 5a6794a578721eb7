import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import {
  INSTRUMENT_OVERRIDES_KEY,
  type InstrumentOverrides,
  InstrumentRegistry,
  instrumentOverridesSchema,
} from '../../instruments/instruments.js';
import { BUILT_IN_SPECS } from '../../instruments/specs.js';
import { SCHEDULER_KEY, type SchedulerSettings, schedulerSettingsSchema } from '../../market-data/scheduler.js';
import { MARKET_SYMBOLS_KEY, marketSymbolsSchema } from '../../market-data/symbols.js';
import { TIMEFRAME_IDS, type TimeframeId } from '../../market-data/timeframes.js';
import { IMPORT_TIMEZONE_KEY, importTimezoneSchema } from '../../trades/settings.js';
import { requireServices, type WebContext } from '../context.js';

const ROOT = { type: 'string', pattern: '^[A-Za-z0-9]{1,5}$' } as const;
const num = (v: string | undefined): number | undefined => (v === undefined || v.trim() === '' ? undefined : Number(v));

/** Settings: instrument specs and overrides, import time zone, provider symbols, scheduler. */
export function registerSettingsRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get(
    '/settings',
    {
      schema: {
        querystring: { type: 'object', properties: { saved: { type: 'string', maxLength: 40 }, rebuilt: { type: 'integer', minimum: 0 } } },
      },
    },
    async (req, reply) => {
      const { trades, settings, market, scheduler } = requireServices(ctx);
      const overrides = settings.get(INSTRUMENT_OVERRIDES_KEY, instrumentOverridesSchema, {});
      const builtIn = new Set(BUILT_IN_SPECS.map((s) => s.root));
      const symbols = settings.get(MARKET_SYMBOLS_KEY, marketSymbolsSchema, {});
      const sched = settings.get<SchedulerSettings>(SCHEDULER_KEY, schedulerSettingsSchema, {});
      const q = req.query as { saved?: string; rebuilt?: number };
      return ctx.render(reply, req, 'settings', {
        title: 'Settings',
        saved: q.saved,
        rebuilt: q.rebuilt,
        specs: trades
          .registry()
          .all()
          .map((s) => ({
            ...s,
            overridden: s.root in overrides,
            builtIn: builtIn.has(s.root),
            provider: market.symbols().resolve(s.root).symbol,
          })),
        overrides,
        zone: trades.importTimezone(),
        zoneSetting: settings.get<string | null>(IMPORT_TIMEZONE_KEY, importTimezoneSchema.nullable(), null),
        envZone: ctx.config.importTimezone,
        symbols,
        scheduler: {
          intervalMinutes: sched.intervalMinutes ?? ctx.config.schedulerIntervalMinutes,
          fromSetting: sched.intervalMinutes !== undefined,
          timeframes: sched.timeframes ?? ['1m', '5m', '15m', '1h', '4h', '1d'],
          instruments: sched.instruments ?? [],
          status: scheduler?.status(),
        },
        allTimeframes: TIMEFRAME_IDS,
      });
    },
  );

  app.post(
    '/settings/instruments',
    {
      schema: {
        body: {
          type: 'object',
          required: ['root'],
          properties: {
            root: ROOT,
            name: { type: 'string', maxLength: 80 },
            exchange: { type: 'string', enum: ['', 'CME', 'CBOT', 'NYMEX', 'COMEX'] },
            pointValue: { type: 'string', maxLength: 20 },
            tickSize: { type: 'string', maxLength: 20 },
            yahooSymbol: { type: 'string', maxLength: 32 },
          },
        },
      },
    },
    async (req, reply) => {
      const { trades, settings } = requireServices(ctx);
      const b = req.body as {
        root: string;
        name?: string;
        exchange?: string;
        pointValue?: string;
        tickSize?: string;
        yahooSymbol?: string;
      };
      const root = b.root.toUpperCase();
      const override: Record<string, unknown> = {};
      if (b.name?.trim()) override.name = b.name.trim();
      if (b.exchange) override.exchange = b.exchange;
      if (num(b.pointValue) !== undefined) override.pointValue = num(b.pointValue);
      if (num(b.tickSize) !== undefined) override.tickSize = num(b.tickSize);
      if (b.yahooSymbol?.trim()) override.yahooSymbol = b.yahooSymbol.trim();
      const next = { ...settings.get(INSTRUMENT_OVERRIDES_KEY, instrumentOverridesSchema, {}), [root]: override } as InstrumentOverrides;
      const parsed = instrumentOverridesSchema.safeParse(next);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new AppError(
          'TL_SETTINGS_INVALID',
          `Instrument ${root}: ${issue?.path.slice(1).join('.') || 'value'} ${issue?.message ?? 'is invalid'}.`,
          {
            remedy: 'Point value and tick size must be positive numbers (e.g. 2 and 0.25 for MNQ).',
          },
        );
      }
      new InstrumentRegistry(parsed.data); // a new root without point value or tick size is refused here
      settings.set(INSTRUMENT_OVERRIDES_KEY, instrumentOverridesSchema, parsed.data);
      // Point values price every position: rebuild so P&L follows the new spec.
      const rebuilt = trades.rebuildAll();
      return reply.redirect(`/settings?saved=instruments&rebuilt=${rebuilt.positions}#instruments`, 303);
    },
  );

  app.post(
    '/settings/instruments/:root/delete',
    { schema: { params: { type: 'object', required: ['root'], properties: { root: ROOT } } } },
    async (req, reply) => {
      const { trades, settings } = requireServices(ctx);
      const root = (req.params as { root: string }).root.toUpperCase();
      const current = { ...settings.get(INSTRUMENT_OVERRIDES_KEY, instrumentOverridesSchema, {}) };
      delete current[root];
      settings.set(INSTRUMENT_OVERRIDES_KEY, instrumentOverridesSchema, current);
      const rebuilt = trades.rebuildAll();
      return reply.redirect(`/settings?saved=instruments&rebuilt=${rebuilt.positions}#instruments`, 303);
    },
  );

  app.post(
    '/settings/timezone',
    { schema: { body: { type: 'object', properties: { zone: { type: 'string', maxLength: 64 } } } } },
    async (req, reply) => {
      const { settings } = requireServices(ctx);
      const zone = ((req.body as { zone?: string }).zone ?? '').trim();
      settings.set<string | null>(IMPORT_TIMEZONE_KEY, importTimezoneSchema.nullable(), zone === '' ? null : zone);
      return reply.redirect('/settings?saved=timezone#timezone', 303);
    },
  );

  app.post(
    '/settings/symbols',
    { schema: { body: { type: 'object', required: ['root'], properties: { root: ROOT, symbol: { type: 'string', maxLength: 32 } } } } },
    async (req, reply) => {
      const { settings } = requireServices(ctx);
      const b = req.body as { root: string; symbol?: string };
      const current = { ...settings.get(MARKET_SYMBOLS_KEY, marketSymbolsSchema, {}) };
      const symbol = (b.symbol ?? '').trim();
      if (symbol === '') delete current[b.root.toUpperCase()];
      else current[b.root.toUpperCase()] = symbol;
      settings.set(MARKET_SYMBOLS_KEY, marketSymbolsSchema, current);
      return reply.redirect('/settings?saved=symbols#symbols', 303);
    },
  );

  app.post(
    '/settings/scheduler',
    {
      schema: {
        body: {
          type: 'object',
          properties: {
            intervalMinutes: { type: 'string', pattern: '^\\s*\\d{1,4}\\s*$' },
            timeframes: {
              anyOf: [
                { type: 'string', enum: [...TIMEFRAME_IDS] },
                { type: 'array', items: { type: 'string', enum: [...TIMEFRAME_IDS] } },
              ],
            },
            instruments: { type: 'string', maxLength: 500 },
          },
        },
      },
    },
    async (req, reply) => {
      const { settings } = requireServices(ctx);
      const b = req.body as { intervalMinutes?: string; timeframes?: TimeframeId | TimeframeId[]; instruments?: string };
      const value: SchedulerSettings = {};
      if (b.intervalMinutes !== undefined && b.intervalMinutes.trim() !== '') value.intervalMinutes = Number(b.intervalMinutes);
      const tfs = b.timeframes === undefined ? [] : Array.isArray(b.timeframes) ? b.timeframes : [b.timeframes];
      if (tfs.length > 0) value.timeframes = tfs;
      const extra = (b.instruments ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (extra.length > 0) value.instruments = extra;
      settings.set(SCHEDULER_KEY, schedulerSettingsSchema, value);
      return reply.redirect('/settings?saved=scheduler#scheduler', 303);
    },
  );
}
