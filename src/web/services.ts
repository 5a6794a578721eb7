import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Store } from '../db/store.js';
import type { Scheduler } from '../market-data/scheduler.js';
import { createMarketData, type MarketData } from '../market-data/service.js';
import { createSettingsRepo, type SettingsRepo } from '../settings/settings.repo.js';
import { type AccountsService, createAccountsService } from '../trades/accounts.service.js';
import { createFeesService, type FeesService } from '../trades/fees.service.js';
import type { ImportFileResult } from '../trades/import.service.js';
import { createImportPool, type ImportPool } from '../trades/import-pool.js';
import { createOrdersService, type OrdersService } from '../trades/orders.service.js';
import { createTradesService, type TradesService } from '../trades/trades.service.js';
import type { ImportWatcher } from '../trades/watcher.js';
import { VersionMemo } from './memo.js';

/**
 * The services the pages call, built once per app from the open store. The market-data object owns the job
 * registry (one per process), so it lives here; the scheduler and the import watcher are started by `serve`
 * (src/web/background.ts) and attached so the status page can show them.
 */
export interface Services {
  trades: TradesService;
  /** The account registry, fee schedules, orders and stops (issue 10 §6–8). */
  accounts: AccountsService;
  fees: FeesService;
  orders: OrdersService;
  market: MarketData;
  settings: SettingsRepo;
  /** The import worker: imports and undos run there, off the event loop. */
  imports: ImportPool;
  scheduler?: Scheduler;
  watcher?: ImportWatcher;
  /** Results computed from journal.db, kept until it changes (see VersionMemo). */
  journalMemo: VersionMemo;
  /** Imports made by the watched folder since start, newest first (for the import page). */
  watcherImports: ImportFileResult[];
  close(): Promise<void>;
}

/**
 * The trades service with its read methods remembered until journal.db changes (see VersionMemo): the
 * dashboard, positions and statistics pages of a large journal then cost one computation per import.
 */
export function memoizedTrades(trades: TradesService, memo: VersionMemo): TradesService {
  const key = (name: string, args: unknown[]) => `${name}\u001f${JSON.stringify(args)}`;
  return {
    ...trades,
    listPositions: (...args) => memo.get(key('listPositions', args), () => trades.listPositions(...args)),
    countPositions: (...args) => memo.get(key('countPositions', args), () => trades.countPositions(...args)),
    stats: (...args) => memo.get(key('stats', args), () => trades.stats(...args)),
    allTags: () => memo.get('allTags', () => trades.allTags()),
  };
}

/**
 * Market data with `coverage()` remembered until market.db changes: it counts every stored bar (a full scan,
 * about a second for 5,000,000 bars), and the charts page, the API and /metrics ask for it on every view.
 */
export function memoizedMarket(market: MarketData, memo: VersionMemo): MarketData {
  return { ...market, coverage: (instrument?: string) => memo.get(`coverage\u001f${instrument ?? ''}`, () => market.coverage(instrument)) };
}

export function createServices(store: Store, config: Config, logger: Logger, clock: Clock): Services {
  const journalMemo = new VersionMemo(store.journal, 200);
  const imports = createImportPool({ logger });
  const trades = memoizedTrades(
    createTradesService({
      journal: store.journal,
      importTimezone: config.importTimezone,
      displayTimezone: config.displayTimezone,
      imports,
      clock,
    }),
    journalMemo,
  );
  const market = memoizedMarket(
    createMarketData({
      market: store.market,
      journal: store.journal,
      config,
      logger,
      clock,
      chartCacheBytes: config.chartCacheMb * 1024 * 1024,
    }),
    new VersionMemo(store.market, 20),
  );
  const deps = { journal: store.journal, importTimezone: config.importTimezone };
  const services: Services = {
    trades,
    accounts: createAccountsService(deps),
    fees: createFeesService(deps),
    orders: createOrdersService({ ...deps, clock }),
    market,
    settings: createSettingsRepo(store.journal, clock),
    imports,
    journalMemo,
    watcherImports: [],
    async close() {
      await services.scheduler?.stop();
      await services.watcher?.stop();
      await imports.close();
      await market.close();
    },
  };
  return services;
}

/** `BuyToCover` is a buy, `SellShort` a sell (the replaced app drew BuyToCover as a sell). */
export function sideOfAction(action: string): 'buy' | 'sell' {
  return /^buy/i.test(action) ? 'buy' : 'sell';
}

/**
 * The zone times are shown in: TRADELOG_DISPLAY_TIMEZONE, else the display zone setting, else the import zone in
 * force (its setting, else TRADELOG_IMPORT_TIMEZONE). Never throws: a page must render even when a stored
 * setting cannot be read (the settings page says what is wrong with it).
 */
export function displayZone(services: Services | undefined, config: Config): string {
  try {
    return services?.trades.displayTimezone().zone ?? config.displayTimezone ?? config.importTimezone;
  } catch {
    return config.displayTimezone ?? config.importTimezone;
  }
}
