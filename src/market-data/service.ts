import fs from 'node:fs';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import type { Config } from '../config.js';
import type { Db } from '../db/open.js';
import type { Snapshot } from '../db/snapshot.js';
import { AppError, errorMessage, systemCode } from '../errors.js';
import { loadInstrumentRegistry } from '../instruments/instruments.js';
import { createSettingsRepo, type SettingsRepo } from '../settings/settings.repo.js';
import { parseBarFile } from './bar-file.js';
import { type Bar, type BarsRepo, createBarsRepo, type RangeQuery } from './bars.repo.js';
import { ChartCache, type ChartCacheStats, type ChartWindow } from './chart-cache.js';
import { createCoverageRepo } from './coverage.repo.js';
import {
  createDownloader,
  type Downloader,
  type RetryOptions,
  rebuildFourHour,
  type UpdateOptions,
  type UpdateReport,
} from './downloader.js';
import { createJobRegistry, type JobRegistry } from './jobs.js';
import { importLegacyBars, type LegacyBarsResult } from './legacy-bars.js';
import type { BarsProvider } from './provider.js';
import { createYahooProvider } from './providers/yahoo.provider.js';
import {
  createScheduler,
  SCHEDULER_KEY,
  type Scheduler,
  type SchedulerOptions,
  type SchedulerSettings,
  schedulerSettingsSchema,
} from './scheduler.js';
import { loadSymbolMapper, MARKET_SYMBOLS_KEY, marketSymbolsSchema, type SymbolMapper } from './symbols.js';
import { TIMEFRAME_IDS, TIMEFRAMES, type TimeframeId } from './timeframes.js';

/**
 * Market data for the CLI and the web app: one object per process, built from the two databases.
 *
 * ```ts
 * const market = createMarketData({ market: store.market, journal: store.journal, config, logger });
 * // GET /api/bars/:instrument?timeframe=1h&limit=2000[&from=&to=]
 * reply.type('application/json').send(market.chartWindow(req.params.instrument, '1h', { limit: 2000 }).json());
 * // POST /api/market-data/update {instrument, timeframes?} → {id, joined}
 * const { id, joined } = market.jobs.start('MNQ SEP25', { timeframes: ['1h', '4h'] });
 * // GET /api/jobs/:id → snapshot with progress, per-timeframe status, report
 * market.jobs.require(id);
 * // live progress: market.jobs.subscribe((job, event) => …)
 * // serve: const scheduler = market.createScheduler(() => instrumentsWithPositions()); scheduler.start();
 * //        on close: await scheduler.stop(); await market.close();
 * ```
 */
export interface MarketDataOptions {
  market: Db;
  /** journal.db, for the settings (market.symbols, instruments.overrides, scheduler). */
  journal: Db;
  config: Pick<Config, 'yahooBaseUrl' | 'importTimezone' | 'schedulerIntervalMinutes'>;
  logger?: Logger;
  /** Default: the Yahoo chart API at config.yahooBaseUrl. */
  provider?: BarsProvider;
  retry?: Partial<RetryOptions>;
  /** The one clock of updates, jobs and the scheduler (tests pin it). Default the system clock. */
  clock?: Clock;
  /** Memory bound of the chart cache (default DEFAULT_CHART_CACHE_BYTES, 64 MiB; 0 keeps nothing). */
  chartCacheBytes?: number;
}

export interface ImportBarsOptions {
  /** Contract or root; bars are stored under the root. */
  instrument: string;
  timeframe: TimeframeId;
  /** Zone of wall-clock times in the file (default config.importTimezone). */
  timezone?: string;
  /** Store the valid lines and list the others, instead of rejecting the whole file. */
  skipInvalid?: boolean;
  barTime?: 'open' | 'close';
}

export interface ImportBarsResult {
  file?: string;
  instrument: string;
  timeframe: TimeframeId;
  format: 'csv' | 'ninjatrader';
  /** Data lines read. */
  read: number;
  /** Bars inserted or changed. */
  stored: number;
  /** Bars already stored with the same values. */
  unchanged: number;
  /** Lines not stored, with their line number and why. With a rejection and no skipInvalid, nothing was stored. */
  rejected: { line: number; reason: string }[];
  /** 4h bars rebuilt from imported 1h bars. */
  derived?: { timeframe: '4h'; stored: number };
}

export interface CoverageEntry {
  instrument: string;
  timeframe: string;
  count: number;
  /** ISO 8601 UTC open of the oldest and newest bar. */
  first: string;
  last: string;
}

export interface MarketData {
  bars: BarsRepo;
  /** The symbol mapper with the current settings. */
  symbols(): SymbolMapper;
  updateRecentData(instrument: string, timeframes?: readonly TimeframeId[], options?: UpdateOptions): Promise<UpdateReport>;
  /** The requests the next update of a timeframe would make. */
  plan: Downloader['plan'];
  importBarFile(file: string, options: ImportBarsOptions): ImportBarsResult;
  importBarText(text: string, options: ImportBarsOptions): ImportBarsResult;
  /** The bars of a Futures Trading Log database (its `ohlc_data`), for `import-legacy` (src/legacy/). */
  importLegacyBars(source: Snapshot): LegacyBarsResult;
  /** Stored bars of any contract spelling, oldest first (newest `limit` of the range). */
  readBars(instrument: string, timeframe: TimeframeId, query?: RangeQuery): Bar[];
  /**
   * The newest stored bar of an instrument that opened at or before `atSec` (Unix seconds), over every timeframe:
   * the latest opening wins, the finer timeframe on a tie. Undefined when none is stored.
   */
  latestBar(instrument: string, atSec: number): { bar: Bar; timeframe: TimeframeId } | undefined;
  /**
   * `GET /api/bars/:instrument`: the newest `limit` bars (default 2,000) of [from, to] (Unix seconds, inclusive) of
   * any contract spelling, oldest first, from the chart cache (chart-cache.ts), ready to send as JSON
   * (`{"instrument":"MNQ","timeframe":"1h","t":[…],"o":[…],"h":[…],"l":[…],"c":[…],"v":[…]}`, `t` = bar open in
   * Unix seconds) or in the binary form.
   */
  chartWindow(instrument: string, timeframe: TimeframeId, query?: RangeQuery): ChartWindow;
  /** How full the chart cache is and how often it answered from memory. */
  chartCacheStats(): ChartCacheStats;
  coverage(instrument?: string): CoverageEntry[];
  /** Rebuild 4h bars from stored 1h bars for [fromSec, toSec]; returns how many changed. */
  rebuildFourHour(instrument: string, fromSec: number, toSec: number): number;
  jobs: JobRegistry;
  /** Set the provider symbol of a root (settings `market.symbols`); an empty symbol goes back to the default. */
  setProviderSymbol(root: string, symbol: string): void;
  /** Replace the scheduler settings (settings `scheduler`); the scheduler reads them before its next cycle. */
  setSchedulerSettings(value: SchedulerSettings): void;
  createScheduler(
    instruments: SchedulerOptions['instruments'],
    options?: Partial<Omit<SchedulerOptions, 'jobs' | 'instruments'>>,
  ): Scheduler;
  /** Cancel running jobs and wait for them. */
  close(): Promise<void>;
}

export function createMarketData(options: MarketDataOptions): MarketData {
  const bars = createBarsRepo(options.market);
  const chartCache = new ChartCache(bars, options.chartCacheBytes);
  const coverageRepo = createCoverageRepo(options.market);
  const settings: SettingsRepo = createSettingsRepo(options.journal);
  const provider = options.provider ?? createYahooProvider({ baseUrl: options.config.yahooBaseUrl });
  const symbols = () => loadSymbolMapper(settings);
  const clock = options.clock ?? systemClock;

  const downloaderFor = () => {
    const registry = loadInstrumentRegistry(settings);
    return createDownloader({
      bars,
      coverage: coverageRepo,
      provider,
      symbols: loadSymbolMapper(settings, registry),
      transaction: (fn) => options.market.write(fn),
      tickSize: (root) => (registry.has(root) ? registry.get(root).tickSize : undefined),
      clock,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  };

  const updateRecentData: MarketData['updateRecentData'] = (instrument, timeframes, updateOptions = {}) =>
    downloaderFor().updateRecentData(instrument, timeframes, {
      ...(options.retry ? { retry: options.retry } : {}),
      ...updateOptions,
    });

  function importBarText(text: string, o: ImportBarsOptions, file?: string): ImportBarsResult {
    if (TIMEFRAMES[o.timeframe].derivedFrom) {
      throw new AppError(
        'TL_MARKET_DERIVED_TIMEFRAME',
        `${o.timeframe} bars are built from ${TIMEFRAMES[o.timeframe].derivedFrom} bars, not imported.`,
        {
          remedy: `Import ${TIMEFRAMES[o.timeframe].derivedFrom} bars instead; tradelog builds the ${o.timeframe} bars from them on CME session boundaries.`,
        },
      );
    }
    const root = symbols().barInstrument(o.instrument);
    const parsed = parseBarFile(text, {
      timeframe: o.timeframe,
      timezone: o.timezone ?? options.config.importTimezone,
      ...(o.barTime ? { barTime: o.barTime } : {}),
    });
    const base = {
      ...(file ? { file } : {}),
      instrument: root,
      timeframe: o.timeframe,
      format: parsed.format,
      read: parsed.read,
      rejected: parsed.rejected,
    };
    if (parsed.rejected.length > 0 && !o.skipInvalid) return { ...base, stored: 0, unchanged: 0 };
    const result = bars.upsert(root, o.timeframe, parsed.bars, 'csv');
    const out: ImportBarsResult = { ...base, stored: result.stored, unchanged: result.unchanged };
    const first = parsed.bars[0];
    const last = parsed.bars[parsed.bars.length - 1];
    if (o.timeframe === '1h' && first && last)
      out.derived = { timeframe: '4h', stored: rebuildFourHour(bars, root, first.time, last.time + 4 * 3600) };
    return out;
  }

  const jobs = createJobRegistry({
    run: (instrument, timeframes, o) => updateRecentData(instrument, timeframes, o),
    resolve: (instrument) => symbols().resolve(instrument).root,
    clock,
    ...(options.logger ? { logger: options.logger } : {}),
  });

  return {
    bars,
    symbols,
    updateRecentData,
    plan: (instrument, timeframe, o = {}) => downloaderFor().plan(instrument, timeframe, o),
    importBarText: (text, o) => importBarText(text, o),
    importBarFile(file, o) {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new AppError('TL_MARKET_FILE_UNREADABLE', `Cannot read ${file}: ${errorMessage(err)}`, {
          remedy:
            systemCode(err) === 'ENOENT'
              ? 'Check the path of the file.'
              : `Make ${file} readable by this user (uid ${process.getuid?.()}).`,
          details: { path: file, code: systemCode(err) },
        });
      }
      return importBarText(text, o, file);
    },
    importLegacyBars: (source) => importLegacyBars(source, { bars, registry: loadInstrumentRegistry(settings) }),
    readBars: (instrument, timeframe, query) => bars.read(symbols().barInstrument(instrument), timeframe, query),
    latestBar(instrument, atSec) {
      const root = symbols().barInstrument(instrument);
      let best: { bar: Bar; timeframe: TimeframeId } | undefined;
      // One index read per timeframe, finest first (a tie keeps the finer bar).
      for (const timeframe of TIMEFRAME_IDS) {
        const [bar] = bars.read(root, timeframe, { to: atSec, limit: 1 });
        if (bar && (!best || bar.time > best.bar.time)) best = { bar, timeframe };
      }
      return best;
    },
    chartWindow: (instrument, timeframe, query) => chartCache.window(symbols().barInstrument(instrument), timeframe, query),
    chartCacheStats: () => chartCache.stats(),
    coverage(instrument) {
      const rows = bars.coverage(instrument === undefined ? undefined : symbols().barInstrument(instrument));
      return rows.map((r) => ({
        instrument: r.instrument,
        timeframe: r.timeframe,
        count: r.count,
        first: new Date(r.first * 1000).toISOString(),
        last: new Date(r.last * 1000).toISOString(),
      }));
    },
    rebuildFourHour: (instrument, fromSec, toSec) => rebuildFourHour(bars, symbols().barInstrument(instrument), fromSec, toSec),
    jobs,
    setProviderSymbol(root, symbol) {
      const key = root.trim().toUpperCase();
      options.journal.write(() => {
        const next = { ...settings.get(MARKET_SYMBOLS_KEY, marketSymbolsSchema, {}) };
        if (symbol.trim() === '') delete next[key];
        else next[key] = symbol.trim();
        settings.set(MARKET_SYMBOLS_KEY, marketSymbolsSchema, next);
      });
    },
    setSchedulerSettings: (value) => settings.set(SCHEDULER_KEY, schedulerSettingsSchema, value),
    createScheduler(instruments, o = {}) {
      return createScheduler({
        jobs,
        instruments,
        intervalMinutes: options.config.schedulerIntervalMinutes,
        settings: () => settings.get(SCHEDULER_KEY, schedulerSettingsSchema, {}),
        clock,
        ...(options.logger ? { logger: options.logger } : {}),
        ...o,
      });
    },
    close: () => jobs.close(),
  };
}
