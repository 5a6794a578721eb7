import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isValidZone } from '../../calendar/zone.js';
import { isAppError } from '../../errors.js';
import { INSTRUMENT_OVERRIDES_KEY, type InstrumentOverride, instrumentOverridesSchema } from '../../instruments/instruments.js';
import { BUILT_IN_SPECS } from '../../instruments/specs.js';
import { SCHEDULER_KEY, type SchedulerSettings, schedulerSettingsSchema } from '../../market-data/scheduler.js';
import { MARKET_SYMBOLS_KEY, marketSymbolsSchema } from '../../market-data/symbols.js';
import { TIMEFRAME_IDS, type TimeframeId } from '../../market-data/timeframes.js';
import { DISPLAY_TIMEZONE_KEY, displayTimezoneSchema, IMPORT_TIMEZONE_KEY, importTimezoneSchema } from '../../trades/settings.js';
import { requireServices, type WebContext } from '../context.js';

/**
 * Settings: instrument specs and overrides, import time zone, provider symbols, scheduler. Each form is parsed
 * here (in the words of the form), saved by one service call (one transaction, with the rebuild it needs), and a
 * value that can't be used comes back on the same page next to its field, with what was typed kept.
 */
type FormName = 'instrument' | 'timezone' | 'display' | 'dateOrder' | 'symbols' | 'scheduler' | 'account' | 'alias';

/** What a form sent, and what is wrong with it: field → message; `form` for what concerns no single field. */
export interface FormState {
  values: Record<string, string | string[]>;
  errors: Record<string, string>;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; errors: Record<string, string> };

const ROOT_RE = /^[A-Za-z0-9]{1,5}$/;
const ROOT_HELP = 'The root is 1–5 letters or digits, as in MNQ or ZN.';

/** A positive decimal as people type it ("2", "0.25", ".5", "$50", "1,000"); undefined when empty. */
function positiveNumber(text: string | undefined): { ok: true; value: number | undefined } | { ok: false } {
  const t = (text ?? '')
    .trim()
    .replace(/^\$\s*/, '')
    .replace(/,(?=\d{3}\b)/g, '');
  if (t === '') return { ok: true, value: undefined };
  if (!/^\d*\.?\d+$/.test(t)) return { ok: false };
  const n = Number(t);
  return Number.isFinite(n) && n > 0 ? { ok: true, value: n } : { ok: false };
}

interface InstrumentBody {
  root?: string;
  name?: string;
  exchange?: string;
  pointValue?: string;
  tickSize?: string;
  yahooSymbol?: string;
}

function parseInstrumentForm(b: InstrumentBody): Parsed<{ root: string; override: InstrumentOverride }> {
  const errors: Record<string, string> = {};
  const root = (b.root ?? '').trim().toUpperCase();
  if (!ROOT_RE.test(root))
    errors.root = root === '' ? `Enter the instrument's root. ${ROOT_HELP}` : `"${b.root}" is not a root. ${ROOT_HELP}`;
  const pointValue = positiveNumber(b.pointValue);
  if (!pointValue.ok) {
    errors.pointValue = `"${b.pointValue}" is not a point value: enter the dollars one contract gains per 1.00 move of the price, as a positive number (2 for MNQ, 50 for ES).`;
  }
  const tickSize = positiveNumber(b.tickSize);
  if (!tickSize.ok)
    errors.tickSize = `"${b.tickSize}" is not a tick size: enter the smallest price step as a positive number (0.25 for MNQ).`;
  const symbol = (b.yahooSymbol ?? '').trim();
  if (symbol !== '' && !/^[A-Za-z0-9=^._-]{1,32}$/.test(symbol)) {
    errors.yahooSymbol = `"${symbol}" is not a Yahoo symbol: letters, digits and = ^ . _ - only (MNQ=F).`;
  }
  if (Object.keys(errors).length > 0 || !pointValue.ok || !tickSize.ok) return { ok: false, errors };
  const override: InstrumentOverride = {};
  if (b.name?.trim()) override.name = b.name.trim();
  if (b.exchange === 'CME' || b.exchange === 'CBOT' || b.exchange === 'NYMEX' || b.exchange === 'COMEX') override.exchange = b.exchange;
  if (pointValue.value !== undefined) override.pointValue = pointValue.value;
  if (tickSize.value !== undefined) override.tickSize = tickSize.value;
  if (symbol) override.yahooSymbol = symbol;
  return { ok: true, value: { root, override } };
}

function parseSchedulerForm(b: {
  intervalMinutes?: string;
  timeframes?: TimeframeId | TimeframeId[];
  instruments?: string;
}): Parsed<SchedulerSettings> {
  const errors: Record<string, string> = {};
  const value: SchedulerSettings = {};
  const interval = (b.intervalMinutes ?? '').trim();
  if (interval !== '') {
    const n = Number(interval);
    if (!/^\d{1,4}$/.test(interval) || n > 1440)
      errors.intervalMinutes = `"${interval}" is not an interval: enter whole minutes from 0 (off) to 1440.`;
    else value.intervalMinutes = n;
  }
  const tfs = b.timeframes === undefined ? [] : Array.isArray(b.timeframes) ? b.timeframes : [b.timeframes];
  if (tfs.length > 0) value.timeframes = tfs;
  const extra = (b.instruments ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = extra.find((r) => r.length > 20);
  if (bad) errors.instruments = `"${bad}" is not an instrument: give roots such as ES, NQ, separated by commas.`;
  if (extra.length > 0) value.instruments = extra;
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, value };
}

/** The field an AppError from a service concerns (`details.field`), so the page can show it there. */
function fieldOf(err: unknown): string | undefined {
  if (!isAppError(err)) return undefined;
  const field = err.details?.field;
  return typeof field === 'string' ? field : undefined;
}

function settingsPage(
  ctx: WebContext,
  query: { saved?: string; rebuilt?: number; root?: string },
  forms: Partial<Record<FormName, FormState>>,
) {
  const { trades, settings, market, scheduler, accounts } = requireServices(ctx);
  const overrides = settings.get(INSTRUMENT_OVERRIDES_KEY, instrumentOverridesSchema, {});
  const builtIn = new Set(BUILT_IN_SPECS.map((s) => s.root));
  const sched = settings.get<SchedulerSettings>(SCHEDULER_KEY, schedulerSettingsSchema, {});
  const empty: FormState = { values: {}, errors: {} };
  return {
    title: 'Settings',
    saved: query.saved,
    rebuilt: query.rebuilt,
    savedRoot: query.root,
    forms: {
      instrument: empty,
      timezone: empty,
      display: empty,
      dateOrder: empty,
      symbols: empty,
      scheduler: empty,
      account: empty,
      alias: empty,
      ...forms,
    },
    registry: accounts.list(),
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
    display: trades.displayTimezone(),
    displaySetting: settings.get<string | null>(DISPLAY_TIMEZONE_KEY, displayTimezoneSchema.nullable(), null),
    envDisplay: ctx.config.displayTimezone,
    dateOrder: trades.importSettings().dateOrder,
    symbols: settings.get(MARKET_SYMBOLS_KEY, marketSymbolsSchema, {}),
    scheduler: {
      intervalMinutes: sched.intervalMinutes ?? ctx.config.schedulerIntervalMinutes,
      fromSetting: sched.intervalMinutes !== undefined,
      timeframes: sched.timeframes ?? ['1m', '5m', '15m', '1h', '4h', '1d'],
      instruments: sched.instruments ?? [],
      status: scheduler?.status(),
    },
    allTimeframes: TIMEFRAME_IDS,
  };
}

/** The settings page again, with the form that failed showing its errors next to its fields (4xx). */
function refuse(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, form: FormName, state: FormState, status = 400) {
  return ctx.render(reply, req, 'settings', settingsPage(ctx, {}, { [form]: state }), status);
}

/**
 * Run one service call for a form and redirect where it says: an AppError naming a field goes next to that
 * field, one about the whole change (an instrument still in use) above the form. Anything else is the app's
 * error page.
 */
function attempt(
  ctx: WebContext,
  req: FastifyRequest,
  reply: FastifyReply,
  form: { name: FormName; values: FormState['values']; field: string },
  fn: () => string,
) {
  try {
    return reply.redirect(fn(), 303);
  } catch (err) {
    if (!isAppError(err) || err.status >= 500) throw err;
    const field = fieldOf(err) ?? form.field;
    return refuse(ctx, req, reply, form.name, { values: form.values, errors: { [field]: `${err.message} ${err.remedy}` } }, err.status);
  }
}

const text = (max: number) => ({ type: 'string', maxLength: max }) as const;

export function registerSettingsRoutes(app: FastifyInstance, ctx: WebContext): void {
  registerInstrumentSettings(app, ctx);
  registerOtherSettings(app, ctx);
  registerAccountSettings(app, ctx);
}

/** The account registry: one spelling made another account's (alias), an account's name, platform, firm, currency. */
function registerAccountSettings(app: FastifyInstance, ctx: WebContext): void {
  app.post(
    '/settings/accounts/alias',
    { schema: { body: { type: 'object', properties: { alias: text(200), account: text(200) } } } },
    async (req, reply) => {
      const { accounts } = requireServices(ctx);
      const b = req.body as { alias?: string; account?: string };
      const values = { alias: b.alias ?? '', account: b.account ?? '' };
      return attempt(ctx, req, reply, { name: 'alias', values, field: 'alias' }, () => {
        const r = accounts.alias(values.alias, values.account);
        return `/settings?saved=accounts&rebuilt=${r.positionsRebuilt}#accounts`;
      });
    },
  );

  app.post(
    '/settings/accounts',
    {
      schema: {
        body: {
          type: 'object',
          properties: { account: text(200), name: text(200), platform: text(200), firm: text(200), currency: text(10) },
        },
      },
    },
    async (req, reply) => {
      const { accounts } = requireServices(ctx);
      const b = req.body as { account?: string; name?: string; platform?: string; firm?: string; currency?: string };
      const values = {
        account: b.account ?? '',
        name: b.name ?? '',
        platform: b.platform ?? '',
        firm: b.firm ?? '',
        currency: b.currency ?? '',
      };
      return attempt(ctx, req, reply, { name: 'account', values, field: 'account' }, () => {
        // an empty field leaves the value as it is; "-" clears it
        const field = (v: string) => (v.trim() === '' ? undefined : v.trim() === '-' ? null : v);
        const r = accounts.set(values.account, {
          ...(values.name.trim() === '' ? {} : { name: values.name }),
          platform: field(values.platform),
          firm: field(values.firm),
          ...(values.currency.trim() === '' ? {} : { currency: values.currency }),
        });
        return `/settings?saved=accounts&rebuilt=${r.positionsRebuilt}#accounts`;
      });
    },
  );
}

/** The settings page, and the instrument form (add, override, reset or remove a root). */
function registerInstrumentSettings(app: FastifyInstance, ctx: WebContext): void {
  app.get(
    '/settings',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            saved: { type: 'string', maxLength: 40 },
            rebuilt: { type: 'integer', minimum: 0 },
            root: { type: 'string', pattern: '^[A-Z0-9]{1,5}$' },
          },
        },
      },
    },
    async (req, reply) =>
      ctx.render(reply, req, 'settings', settingsPage(ctx, req.query as { saved?: string; rebuilt?: number; root?: string }, {})),
  );

  app.post(
    '/settings/instruments',
    {
      schema: {
        body: {
          type: 'object',
          properties: {
            root: text(20),
            name: text(80),
            exchange: { type: 'string', enum: ['', 'CME', 'CBOT', 'NYMEX', 'COMEX'] },
            pointValue: text(40),
            tickSize: text(40),
            yahooSymbol: text(40),
          },
        },
      },
    },
    async (req, reply) => {
      const { trades } = requireServices(ctx);
      const body = req.body as InstrumentBody;
      const values = { ...body } as Record<string, string>;
      const parsed = parseInstrumentForm(body);
      if (!parsed.ok) return refuse(ctx, req, reply, 'instrument', { values, errors: parsed.errors });
      const { root, override } = parsed.value;
      return attempt(ctx, req, reply, { name: 'instrument', values: values, field: 'form' }, () => {
        const r = trades.saveInstrumentOverride(root, override);
        return `/settings?saved=instrument&root=${r.root}&rebuilt=${r.positionsRecalculated}#instruments`;
      });
    },
  );

  app.post(
    '/settings/instruments/:root/delete',
    { schema: { params: { type: 'object', required: ['root'], properties: { root: { type: 'string', pattern: '^[A-Za-z0-9]{1,5}$' } } } } },
    async (req, reply) => {
      const { trades } = requireServices(ctx);
      const root = (req.params as { root: string }).root.toUpperCase();
      return attempt(ctx, req, reply, { name: 'instrument', values: {}, field: 'form' }, () => {
        const r = trades.removeInstrumentOverride(root);
        return `/settings?saved=instrument-reset&root=${r.root}&rebuilt=${r.positionsRecalculated}#instruments`;
      });
    },
  );
}

/** A zone form's field: empty (clear the setting) or an IANA zone; anything else comes back next to the field. */
function zoneField(req: FastifyRequest): { ok: true; zone: string } | { ok: false; zone: string; error: string } {
  const zone = ((req.body as { zone?: string }).zone ?? '').trim();
  if (zone !== '' && !isValidZone(zone)) {
    return {
      ok: false,
      zone,
      error: `"${zone}" is not a time zone: enter an IANA name such as America/Chicago, Europe/London or UTC, or leave it empty.`,
    };
  }
  return { ok: true, zone };
}

/** Import and display time zones, provider symbols and the scheduler. */
function registerOtherSettings(app: FastifyInstance, ctx: WebContext): void {
  const zoneBody = { body: { type: 'object', properties: { zone: text(64) } } };
  app.post('/settings/timezone', { schema: zoneBody }, async (req, reply) => {
    const { trades } = requireServices(ctx);
    const f = zoneField(req);
    if (!f.ok) return refuse(ctx, req, reply, 'timezone', { values: { zone: f.zone }, errors: { zone: f.error } });
    return attempt(ctx, req, reply, { name: 'timezone', values: { zone: f.zone }, field: 'zone' }, () => {
      trades.setImportTimezone(f.zone === '' ? null : f.zone);
      return '/settings?saved=timezone#timezone';
    });
  });

  app.post('/settings/display-timezone', { schema: zoneBody }, async (req, reply) => {
    const { trades } = requireServices(ctx);
    const f = zoneField(req);
    if (!f.ok) return refuse(ctx, req, reply, 'display', { values: { zone: f.zone }, errors: { zone: f.error } });
    return attempt(ctx, req, reply, { name: 'display', values: { zone: f.zone }, field: 'zone' }, () => {
      trades.setDisplayTimezone(f.zone === '' ? null : f.zone);
      return '/settings?saved=display-timezone#display-timezone';
    });
  });

  app.post(
    '/settings/date-order',
    { schema: { body: { type: 'object', properties: { order: { type: 'string', enum: ['', 'dmy', 'mdy'] } } } } },
    async (req, reply) => {
      const { trades } = requireServices(ctx);
      const order = (req.body as { order?: '' | 'dmy' | 'mdy' }).order ?? '';
      return attempt(ctx, req, reply, { name: 'dateOrder', values: { order }, field: 'order' }, () => {
        trades.setDateOrder(order === '' ? null : order);
        return '/settings?saved=date-order#timezone';
      });
    },
  );

  app.post(
    '/settings/symbols',
    { schema: { body: { type: 'object', properties: { root: text(20), symbol: text(40) } } } },
    async (req, reply) => {
      const { market } = requireServices(ctx);
      const b = req.body as { root?: string; symbol?: string };
      const values = { root: b.root ?? '', symbol: b.symbol ?? '' };
      const root = values.root.trim().toUpperCase();
      const symbol = values.symbol.trim();
      const errors: Record<string, string> = {};
      if (!ROOT_RE.test(root)) errors.root = `"${values.root}" is not a root. ${ROOT_HELP}`;
      if (symbol !== '' && !/^[A-Za-z0-9=^._-]{1,32}$/.test(symbol)) {
        errors.symbol = `"${symbol}" is not a symbol: letters, digits and = ^ . _ - only (RTY=F).`;
      }
      if (Object.keys(errors).length > 0) return refuse(ctx, req, reply, 'symbols', { values, errors });
      return attempt(ctx, req, reply, { name: 'symbols', values: values, field: 'symbol' }, () => {
        market.setProviderSymbol(root, symbol);
        return '/settings?saved=symbols#symbols';
      });
    },
  );

  app.post(
    '/settings/scheduler',
    {
      schema: {
        body: {
          type: 'object',
          properties: {
            intervalMinutes: text(20),
            timeframes: {
              anyOf: [
                { type: 'string', enum: [...TIMEFRAME_IDS] },
                { type: 'array', items: { type: 'string', enum: [...TIMEFRAME_IDS] } },
              ],
            },
            instruments: text(500),
          },
        },
      },
    },
    async (req, reply) => {
      const { market } = requireServices(ctx);
      const b = req.body as { intervalMinutes?: string; timeframes?: TimeframeId | TimeframeId[]; instruments?: string };
      const tfs = b.timeframes === undefined ? [] : Array.isArray(b.timeframes) ? b.timeframes : [b.timeframes];
      const values = { intervalMinutes: b.intervalMinutes ?? '', instruments: b.instruments ?? '', timeframes: tfs };
      const parsed = parseSchedulerForm(b);
      if (!parsed.ok) return refuse(ctx, req, reply, 'scheduler', { values, errors: parsed.errors });
      return attempt(ctx, req, reply, { name: 'scheduler', values: values, field: 'form' }, () => {
        market.setSchedulerSettings(parsed.value);
        return '/settings?saved=scheduler#scheduler';
      });
    },
  );
}
