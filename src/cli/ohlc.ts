import type { Command } from 'commander';
import { wallClockText } from '../calendar/zone.js';
import { openStore, type Store } from '../db/store.js';
import type { TimeframeReport, UpdateEvent } from '../market-data/downloader.js';
import { parseBarsQuery } from '../market-data/query.js';
import { createMarketData } from '../market-data/service.js';
import { DEFAULT_UPDATE_TIMEFRAMES, parseTimeframe, parseTimeframeList } from '../market-data/timeframes.js';
import { createTradesService } from '../trades/trades.service.js';
import { type CliDeps, type CommandContext, commandRunner, type GlobalOptions, usageError, withGlobalOptions } from './context.js';
import { displayFlags, withTzOption, zoneNote } from './trades-shared.js';

/**
 * `tradelog ohlc update|import|bars|coverage` (docs/interface.md). Bars are stored per instrument root (MNQ), with
 * times in Unix seconds; JSON dates elsewhere are ISO 8601 UTC.
 */

function parseDays(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw usageError(`--days "${value}" is not a positive number.`, 'Give --days a number of days, e.g. --days 7.');
  return n;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** A progress bar on stderr (redrawn in place on a terminal, one line per timeframe otherwise). */
function progressPrinter(ctx: CommandContext, total: number): (e: UpdateEvent) => void {
  const tty = process.stderr.isTTY === true;
  let finished = 0;
  let line = '';
  const draw = (text: string) => {
    if (!tty) return;
    const width = 20;
    const filled = Math.round((finished / Math.max(1, total)) * width);
    line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${finished}/${total} ${text}`;
    process.stderr.write(`\r${line.padEnd(100).slice(0, 100)}`);
  };
  const done = (r: TimeframeReport) => {
    finished++;
    const what =
      r.status === 'ok'
        ? `fetched ${fmt(r.fetched)}, stored ${fmt(r.stored)}`
        : `${r.status}: ${r.error?.code ?? ''} ${r.error?.message ?? ''}`;
    if (tty) {
      process.stderr.write(`\r${' '.repeat(100)}\r`);
      ctx.note(`${r.timeframe.padEnd(4)} ${what}`);
      draw('');
    } else {
      ctx.note(`[${finished}/${total}] ${r.timeframe} ${what}`);
    }
  };
  return (e) => {
    switch (e.type) {
      case 'start':
        ctx.note(`updating ${e.instrument} (${e.symbol}): ${e.timeframes.join(', ')}`);
        draw('');
        break;
      case 'timeframe-start':
        draw(`${e.timeframe}: ${e.requests} request(s)`);
        break;
      case 'progress':
        draw(`${e.timeframe}: ${e.done}/${e.total} requests, ${fmt(e.fetched)} bars`);
        break;
      case 'retry':
        if (tty) process.stderr.write(`\r${' '.repeat(100)}\r`);
        ctx.note(`${e.timeframe}: ${e.error.code}, retrying in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt + 1})`);
        break;
      case 'timeframe-done':
      case 'timeframe-error':
        done(e.report);
        break;
      case 'done':
        if (tty) process.stderr.write(`\r${' '.repeat(100)}\r`);
        break;
    }
  };
}

/** The display zone in force (--tz, TRADELOG_DISPLAY_TIMEZONE, the journal's setting, the import zone). */
function displayZoneOf(ctx: CommandContext, store: Store): string {
  const trades = createTradesService({
    journal: store.journal,
    importTimezone: ctx.config.importTimezone,
    displayTimezone: ctx.config.displayTimezone,
  });
  return trades.displayTimezone().zone;
}

export function register(program: Command, deps: CliDeps): void {
  const runCommand = commandRunner(deps);
  const ohlc = program.command('ohlc').description('market data: download, import and list bars');

  withGlobalOptions(ohlc.command('update'))
    .description('download recent bars for each timeframe; one failing timeframe never stops the others')
    .argument('<instrument>', 'contract or root, e.g. "MNQ SEP25" or MNQ (bars are kept per root)')
    .option('--timeframes <list>', `comma-separated (default ${DEFAULT_UPDATE_TIMEFRAMES.join(',')})`)
    .option('--days <n>', 'days back from now (default per timeframe; clamped to what the provider keeps)')
    .action((instrument: string, opts: GlobalOptions & { timeframes?: string; days?: string }) =>
      runCommand(opts, async (ctx) => {
        const timeframes = opts.timeframes === undefined ? [...DEFAULT_UPDATE_TIMEFRAMES] : parseTimeframeList(opts.timeframes);
        const days = parseDays(opts.days);
        const store = openStore(ctx.paths, { logger: ctx.logger });
        try {
          const market = createMarketData({
            market: store.market,
            journal: store.journal,
            config: ctx.config,
            logger: ctx.logger,
            clock: ctx.clock,
          });
          const controller = new AbortController();
          const onSignal = () => controller.abort();
          process.once('SIGINT', onSignal);
          let report: Awaited<ReturnType<typeof market.updateRecentData>>;
          try {
            report = await market.updateRecentData(instrument, timeframes, {
              ...(days === undefined ? {} : { days }),
              signal: controller.signal,
              onEvent: progressPrinter(ctx, timeframes.length),
            });
          } finally {
            process.off('SIGINT', onSignal);
          }
          // Failed timeframes and bars the provider sent that failed validation (counted, not stored) both count as problems.
          const problems = report.timeframes.filter((t) => t.status !== 'ok' || t.rejected > 0);
          return {
            json: {
              instrument: report.instrument,
              symbol: report.symbol,
              timeframes: report.timeframes.map((t) => ({
                timeframe: t.timeframe,
                status: t.status,
                fetched: t.fetched,
                stored: t.stored,
                rejected: t.rejected,
                nullsSkipped: t.nullsSkipped,
                requests: t.requests,
                ...(t.error ? { error: t.error } : {}),
              })),
            },
            text: [
              `${report.instrument} (${report.symbol})`,
              ...report.timeframes.map(
                (t) =>
                  `  ${t.timeframe.padEnd(4)} ${t.status.padEnd(7)} ` +
                  (t.error
                    ? `${t.error.code}: ${t.error.message}`
                    : `fetched ${fmt(t.fetched)}, stored ${fmt(t.stored)}${t.rejected ? `, rejected ${fmt(t.rejected)}` : ''}`),
              ),
            ].join('\n'),
            exitCode: problems.length > 0 ? 1 : 0,
          };
        } finally {
          store.close();
        }
      }),
    );

  withGlobalOptions(ohlc.command('import'))
    .description('import bars from a CSV (time,open,high,low,close,volume) or a NinjaTrader bar export')
    .argument('<file>', 'the exported file')
    .requiredOption('--instrument <instrument>', 'contract or root the bars belong to (stored under the root)')
    .requiredOption('--timeframe <timeframe>', '1m, 5m, 15m, 30m, 1h or 1d (4h is built from 1h)')
    .option('--timezone <zone>', 'IANA zone of times without an offset (default TRADELOG_IMPORT_TIMEZONE)')
    .option('--bar-time <open|close>', 'whether file times are bar opens or closes (default: open for CSV, close for NinjaTrader)')
    .option('--skip-invalid', 'store the valid lines and list the others, instead of rejecting the file')
    .action(
      (
        file: string,
        opts: GlobalOptions & { instrument: string; timeframe: string; timezone?: string; barTime?: string; skipInvalid?: boolean },
      ) =>
        runCommand(opts, (ctx) => {
          const timeframe = parseTimeframe(opts.timeframe).id;
          if (opts.barTime !== undefined && opts.barTime !== 'open' && opts.barTime !== 'close') {
            throw usageError(`--bar-time "${opts.barTime}" is neither open nor close.`, 'Use --bar-time open or --bar-time close.');
          }
          const store = openStore(ctx.paths, { logger: ctx.logger });
          try {
            const market = createMarketData({ market: store.market, journal: store.journal, config: ctx.config, logger: ctx.logger });
            const r = market.importBarFile(file, {
              instrument: opts.instrument,
              timeframe,
              ...(opts.timezone ? { timezone: opts.timezone } : {}),
              ...(opts.barTime ? { barTime: opts.barTime as 'open' | 'close' } : {}),
              skipInvalid: Boolean(opts.skipInvalid),
            });
            const rejectedWhole = r.rejected.length > 0 && !opts.skipInvalid;
            const shown = r.rejected.slice(0, 20).map((x) => `  line ${x.line}: ${x.reason}`);
            if (r.rejected.length > 20) shown.push(`  … and ${r.rejected.length - 20} more`);
            return {
              json: {
                file: r.file,
                instrument: r.instrument,
                timeframe: r.timeframe,
                format: r.format,
                read: r.read,
                stored: r.stored,
                unchanged: r.unchanged,
                rejected: r.rejected,
                ...(r.derived ? { derived: r.derived } : {}),
              },
              text: [
                rejectedWhole
                  ? `${file}: rejected, nothing stored (${r.rejected.length} bad line(s) of ${fmt(r.read)}; --skip-invalid stores the others)`
                  : `${file}: ${r.format}, read ${fmt(r.read)}, stored ${fmt(r.stored)}, unchanged ${fmt(r.unchanged)} ${r.instrument} ${r.timeframe} bars` +
                    (r.derived ? `; rebuilt ${fmt(r.derived.stored)} 4h bars` : ''),
                ...shown,
              ].join('\n'),
              exitCode: r.rejected.length > 0 ? 1 : 0,
            };
          } finally {
            store.close();
          }
        }),
    );

  withTzOption(withGlobalOptions(ohlc.command('bars')))
    .description('stored bars, oldest first (time in Unix seconds)')
    .argument('<instrument>', 'contract or root')
    .requiredOption('--timeframe <timeframe>', '1m, 5m, 15m, 30m, 1h, 4h or 1d')
    .option('--from <date>', 'ISO 8601 date/time or Unix seconds (inclusive)')
    .option('--to <date>', 'ISO 8601 date/time or Unix seconds (inclusive; a date alone means the whole day)')
    .option('--limit <n>', 'only the newest n bars of the range')
    .action((instrument: string, opts: GlobalOptions & { timeframe: string; from?: string; to?: string; limit?: string; tz?: string }) =>
      runCommand(
        opts,
        (ctx) => {
          const { timeframe, query } = parseBarsQuery({ timeframe: opts.timeframe, limit: opts.limit, from: opts.from, to: opts.to }, null);
          const store = openStore(ctx.paths, { logger: ctx.logger, create: false });
          try {
            const market = createMarketData({ market: store.market, journal: store.journal, config: ctx.config, logger: ctx.logger });
            const rows = market.readBars(instrument, timeframe, query);
            const zone = displayZoneOf(ctx, store);
            // A daily bar is named by its CME trading day (its time is 00:00 UTC of that day), not by a zone's clock.
            const label = (sec: number) =>
              timeframe === '1d' ? new Date(sec * 1000).toISOString().slice(0, 10) : wallClockText(sec * 1000, zone);
            return {
              json: rows.map((b) => ({ time: b.time, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume })),
              text:
                rows.length === 0
                  ? `no ${timeframe} bars stored for ${market.symbols().barInstrument(instrument)} in that range`
                  : `${rows.map((b) => `${label(b.time)}  ${b.open}  ${b.high}  ${b.low}  ${b.close}  ${b.volume}`).join('\n')}\n(${
                      timeframe === '1d' ? 'daily bars by CME trading day' : `bar open, ${zoneNote(zone, ctx.clock.now())}`
                    })`,
            };
          } finally {
            store.close();
          }
        },
        displayFlags(opts),
      ),
    );

  withGlobalOptions(ohlc.command('coverage'))
    .description('what is stored: bar count, oldest and newest bar per instrument and timeframe')
    .argument('[instrument]', 'contract or root (default: all)')
    .action((instrument: string | undefined, opts: GlobalOptions) =>
      runCommand(opts, (ctx) => {
        const store = openStore(ctx.paths, { logger: ctx.logger, create: false });
        try {
          const market = createMarketData({ market: store.market, journal: store.journal, config: ctx.config, logger: ctx.logger });
          const rows = market.coverage(instrument);
          return {
            json: rows,
            text:
              rows.length === 0
                ? 'no bars stored'
                : rows
                    .map((r) => `${r.instrument.padEnd(6)} ${r.timeframe.padEnd(4)} ${fmt(r.count).padStart(10)}  ${r.first} → ${r.last}`)
                    .join('\n'),
          };
        } finally {
          store.close();
        }
      }),
    );
}
