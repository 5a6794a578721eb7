import type { Command } from 'commander';
import { isPeriodId, PERIOD_IDS, resolvePeriod } from '../calendar/periods.js';
import { utcOffsetLabel, wallClockText } from '../calendar/zone.js';
import type { ConfigFlags } from '../config.js';
import { escapeControls } from '../control-chars.js';
import { type OpenStoreOptions, openStore, type Store } from '../db/store.js';
import { AppError } from '../errors.js';
import { GROUP_BYS, type GroupBy } from '../trades/stats.js';
import type { DstResolution } from '../trades/time.js';
import { createTradesService, type PositionFilter, parseDayBound, positionFilterOf, type TradesService } from '../trades/trades.service.js';
import { type CommandContext, usageError } from './context.js';

/** What the trades commands share: opening the store with the service, and the position filter options. */
export function withTradesService<T>(
  ctx: CommandContext,
  body: (service: TradesService, store: Store) => T,
  open: Pick<OpenStoreOptions, 'create'> = {},
): T {
  const store = openStore(ctx.paths, { logger: ctx.logger, ...open });
  try {
    return body(
      createTradesService({
        journal: store.journal,
        importTimezone: ctx.config.importTimezone,
        displayTimezone: ctx.config.displayTimezone,
      }),
      store,
    );
  } finally {
    store.close();
  }
}

/** The same for commands that need a journal to be there (reading it, undoing an import): TL_DB_MISSING otherwise, nothing created. */
export function withExistingJournal<T>(ctx: CommandContext, body: (service: TradesService, store: Store) => T): T {
  return withTradesService(ctx, body, { create: false });
}

export async function withTradesServiceAsync<T>(
  ctx: CommandContext,
  body: (service: TradesService, store: Store) => Promise<T>,
  open: Pick<OpenStoreOptions, 'create'> = {},
): Promise<T> {
  const store = openStore(ctx.paths, { logger: ctx.logger, ...open });
  try {
    return await body(
      createTradesService({
        journal: store.journal,
        importTimezone: ctx.config.importTimezone,
        displayTimezone: ctx.config.displayTimezone,
      }),
      store,
    );
  } finally {
    store.close();
  }
}

export interface FilterOptions {
  account?: string;
  instrument?: string;
  period?: string;
  from?: string;
  to?: string;
  tag?: string;
  tz?: string;
}

export function withFilterOptions(cmd: Command): Command {
  cmd
    .option('--account <account>', 'only this account')
    .option('--instrument <instrument>', 'a root (MNQ) or a contract (MNQ 12-25, MNQZ5)')
    .option('--from <date>', 'first trading day, YYYY-MM-DD (CME session: rolls at 17:00 Chicago; closing day of a position)')
    .option('--to <date>', 'last trading day, YYYY-MM-DD, inclusive')
    .option('--period <period>', `${PERIOD_IDS.join('|')} in CME trading days, at the clock's now (instead of --from/--to)`)
    .option('--tag <tag>', 'only positions with this tag');
  return withTzOption(cmd);
}

/** `--tz ZONE`: the display zone of one run (passed to the config as displayTimezone through displayFlags). */
export function withTzOption(cmd: Command): Command {
  return cmd.option('--tz <zone>', 'time zone of the times shown (env TRADELOG_DISPLAY_TIMEZONE, else the display zone setting)');
}

/** The config flags of the filter options: `--tz` is the display zone, checked like every setting (TL_CONFIG_INVALID). */
export function displayFlags(opts: { tz?: string }): ConfigFlags {
  return { displayTimezone: opts.tz };
}

/**
 * The position filter of the --account/--instrument/--period/--from/--to/--tag options at the instant `nowMs`
 * (the command's clock); a bad date or period names its flag.
 */
export function filterOf(opts: FilterOptions, nowMs: number): PositionFilter {
  if (opts.period !== undefined) {
    if (!isPeriodId(opts.period)) {
      throw usageError(
        `--period ${opts.period} is not a period.`,
        `Use one of: ${PERIOD_IDS.join(', ')}; or --from/--to for a custom range.`,
      );
    }
    if (opts.from || opts.to) {
      throw usageError('--period cannot be combined with --from/--to.', 'Give either --period or --from/--to (a custom range), not both.');
    }
    const period = resolvePeriod(opts.period, nowMs);
    return positionFilterOf({ ...opts, from: period.from, to: period.to });
  }
  for (const flag of ['from', 'to'] as const) {
    const value = opts[flag];
    if (value && !parseDayBound(value).ok) {
      throw new AppError('TL_TRADES_BAD_FILTER', `--${flag} "${value}" is not a date.`, {
        remedy: `Give --${flag} a trading day as YYYY-MM-DD (e.g. 2025-06-20) or an ISO instant (2025-06-20T14:30:00Z).`,
        details: { flag: `--${flag}`, value },
      });
    }
  }
  return positionFilterOf(opts);
}

/** The --dst option of the import commands: how to read a local time a DST change skips or repeats (default reject). */
export function dstOf(dst: string | undefined): DstResolution {
  if (dst === undefined) return 'reject';
  if (dst !== 'earlier' && dst !== 'later') throw usageError(`--dst ${dst} is not earlier or later.`, 'Use --dst earlier or --dst later.');
  return dst;
}

export function groupByOf(by: string | undefined): GroupBy | undefined {
  if (by === undefined) return undefined;
  if (!(GROUP_BYS as readonly string[]).includes(by)) {
    throw usageError(`--by ${by} is not a grouping.`, `Use one of: ${GROUP_BYS.join(', ')}.`);
  }
  return by as GroupBy;
}

/** Plain text table: columns padded, numbers right-aligned; control characters in a cell are escaped (one line a row). */
export function table(headers: string[], rows: (string | number | null)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null ? '' : escapeControls(String(c)))));
  // a loop, not Math.max(...column): spreading 100,000+ rows as arguments overflows the stack
  const widths = headers.map((h) => h.length);
  for (const r of cells) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  const numeric = headers.map((_, i) => rows.every((r) => r[i] === null || typeof r[i] === 'number'));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** An instant as `YYYY-MM-DD HH:mm:ss` on the display zone's wall clock ('' for null). */
export function localTime(iso: string | null, zone: string): string {
  return iso ? wallClockText(Date.parse(iso), zone) : '';
}

/** The line under a table that names its zone: `times in Asia/Tokyo (UTC+09:00 now)`. */
export function zoneNote(zone: string, nowMs: number): string {
  return `times in ${zone} (${utcOffsetLabel(zone, nowMs)} now)`;
}

export function money(n: number | null): string {
  if (n === null) return '-';
  return `${n < 0 ? '-' : ''}$${Math.abs(n).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
