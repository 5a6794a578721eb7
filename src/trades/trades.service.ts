import { tradingDay } from '../calendar/sessions.js';
import { type Clock, systemClock } from '../clock.js';
import type { Db } from '../db/open.js';
import { AppError, isAppError } from '../errors.js';
import { type InstrumentOverride, type InstrumentRegistry, loadInstrumentRegistry } from '../instruments/instruments.js';
import { createSettingsRepo } from '../settings/settings.repo.js';
import { createAccountsRepo } from './accounts.repo.js';
import { createExecutionsRepo, type ImportRecord, type StoredExecution } from './executions.repo.js';
import { costFiller, schedulesFor } from './fees.js';
import { createFeesRepo } from './fees.repo.js';
import { type ImportFileResult, type ImportOptions, type ImportSource, importFile, type UndoResult, undoImport } from './import.service.js';
import type { ImportPool } from './import-pool.js';
import { type OverrideChange, removeInstrumentOverride, saveInstrumentOverride } from './instrument-overrides.js';
import { createJournalRepo, type JournalEntry, type JournalUpdate } from './journal.repo.js';

export { parseTagList } from './journal.repo.js';

import { type ColumnMapping, parseColumnMapping } from './importers/mapping.js';
import { importLegacyTrades, type LegacyDatabase, type LegacyImportOptions, type LegacyTradesResult } from './legacy-import.js';
import { centsToDollars, grossCents, unitsToPrice } from './money.js';
import { createOrdersService, type PositionStopsJson } from './orders.service.js';
import { buildPositions, type Validity } from './positions.js';
import { createPositionsRepo, type PositionQuery, type PositionRecord } from './positions.repo.js';
import { rebuildBooks, type TradesContext } from './rebuild.js';
import {
  DISPLAY_TIMEZONE_KEY,
  type DisplayZone,
  dateOrderSchema,
  displayTimezone,
  displayTimezoneSchema,
  IMPORT_DATE_ORDER_KEY,
  IMPORT_TIMEZONE_KEY,
  type ImportSettings,
  importSettings,
  importTimezone,
  importTimezoneSchema,
  saveMapping,
} from './settings.js';
import { computeStats, type GroupBy, type GroupStats, type Stats } from './stats.js';

/**
 * The trades service: what the CLI and the web app call. It reads the instrument overrides and the import zone
 * from settings on every call (the settings page may change them), and returns JSON-ready objects: dates as ISO
 * 8601 UTC strings, money in dollars exact to the cent, prices as reported.
 */
export interface PositionFilter {
  account?: string;
  /** A root (`MNQ`) or a contract in any spelling (`MNQ 12-25`, `MNQZ5`, `MNQ DEC25`). */
  instrument?: string;
  /** Trading day `YYYY-MM-DD` (CME session, rolls at 17:00 Chicago) or an ISO instant; inclusive. */
  from?: string;
  to?: string;
  status?: 'open' | 'closed';
  tag?: string;
  /** Only positions after this one, oldest first (paging without OFFSET). */
  after?: { openedAt: number; id: number };
  /** Only positions before this one (with `descending`, nearest first: a position's neighbour). */
  before?: { openedAt: number; id: number };
  descending?: boolean;
  limit?: number;
  offset?: number;
}

/**
 * The position filter among the fields of a wider query (CLI options, web query string): only the filter's own
 * fields, and only those given (an empty string means not given).
 */
export function positionFilterOf(q: Partial<Record<'account' | 'instrument' | 'from' | 'to' | 'status' | 'tag', string>>): PositionFilter {
  const f: PositionFilter = {};
  if (q.account) f.account = q.account;
  if (q.instrument) f.instrument = q.instrument;
  if (q.from) f.from = q.from;
  if (q.to) f.to = q.to;
  if (q.status === 'open' || q.status === 'closed') f.status = q.status;
  if (q.tag) f.tag = q.tag;
  return f;
}

/** One position, as `tradelog positions --json` prints it (interface.md), plus journal fields. */
export interface PositionJson {
  id: number;
  account: string;
  instrument: string;
  root: string;
  side: 'long' | 'short';
  status: 'open' | 'closed';
  openedAt: string;
  closedAt: string | null;
  tradingDay: string;
  maxQuantity: number;
  openQuantity: number;
  avgEntryPrice: number;
  avgExitPrice: number | null;
  pointsPnl: number;
  grossPnl: number;
  /** Every cost of the position (the source's, or a fee schedule's where the source gave none); the same as `costs`. */
  commission: number;
  costs: number;
  netPnl: number;
  pointValue: number;
  executionCount: number;
  reviewed: boolean;
  validity: Validity | 'mixed' | null;
  tags: string[];
  hasNote: boolean;
}

export interface ExecutionJson {
  id: number;
  executionId: string;
  /** False when the source had no execution id and a content key stands in. */
  nativeId: boolean;
  time: string;
  action: string;
  role: 'entry' | 'exit';
  /** The part of the fill in this position (a reversal fill is split between two positions). */
  quantity: number;
  fillQuantity: number;
  price: number;
  commission: number;
  fillCommission: number;
  /** The source stated no costs: `fillCommission` is what a fee schedule gives (0 without one). */
  costsFromSchedule: boolean;
  instrument: string;
  validation: Validity | null;
  importId: number;
  line: number | null;
}

export interface PairJson {
  entryExecutionId: string;
  exitExecutionId: string;
  quantity: number;
  entryPrice: number;
  exitPrice: number;
  entryTime: string;
  exitTime: string;
  pointsPnl: number;
  grossPnl: number;
}

export interface PositionDetailJson extends PositionJson, PositionStopsJson {
  executions: ExecutionJson[];
  pairs: PairJson[];
  note: string | null;
}

/** `hourZone`: the zone of the hour groups (`by: 'hour'` only). */
export type StatsJson = Stats & { groups?: GroupStats[]; hourZone?: string };

const iso = (ms: number) => new Date(ms).toISOString();

export function positionJson(p: PositionRecord): PositionJson {
  return {
    id: p.id,
    account: p.account,
    instrument: p.contract,
    root: p.root,
    side: p.side,
    status: p.status,
    openedAt: iso(p.openedAt),
    closedAt: p.closedAt === null ? null : iso(p.closedAt),
    tradingDay: p.tradingDay,
    maxQuantity: p.maxQuantity,
    openQuantity: p.openQuantity,
    avgEntryPrice: p.avgEntryPrice,
    avgExitPrice: p.avgExitPrice,
    pointsPnl: p.pointsPnl,
    grossPnl: centsToDollars(p.grossCents),
    commission: centsToDollars(p.commissionCents),
    costs: centsToDollars(p.commissionCents),
    netPnl: centsToDollars(p.netCents),
    pointValue: p.pointValue,
    executionCount: p.executionCount,
    reviewed: p.reviewed,
    validity: p.validity,
    tags: p.tags,
    hasNote: p.hasNote,
  };
}

/**
 * A `from`/`to` bound of the position filter: a trading day `YYYY-MM-DD` that exists, or an ISO instant (read as
 * its CME trading day). Callers check their input with this and word the refusal in their own terms (a CLI flag,
 * a form field, a query parameter); the service's own refusal names the bound only.
 */
export function parseDayBound(text: string): { ok: true; value: string } | { ok: false } {
  const t = text.trim();
  // a day that exists (Date.parse alone takes 2025-02-30 as March 2nd)
  if (/^\d{4}-\d{2}-\d{2}$/.test(t) && new Date(Date.parse(`${t}T00:00:00Z`) || 0).toISOString().slice(0, 10) === t)
    return { ok: true, value: t };
  const ms = Date.parse(t);
  if (/^\d{4}-\d{2}-\d{2}T/.test(t) && !Number.isNaN(ms)) return { ok: true, value: tradingDay(ms) };
  return { ok: false };
}

function dayBound(text: string, which: 'from' | 'to'): string {
  const parsed = parseDayBound(text);
  if (parsed.ok) return parsed.value;
  throw new AppError('TL_TRADES_BAD_FILTER', `The ${which} bound "${text}" of the position filter is not a date.`, {
    remedy: 'Give a trading day as YYYY-MM-DD (e.g. 2025-06-20) or an ISO instant.',
    details: { field: which, value: text },
  });
}

export interface TradesServiceDeps {
  journal: Db;
  /** TRADELOG_IMPORT_TIMEZONE; the `import.timezone` setting overrides it when set. */
  importTimezone: string;
  /** TRADELOG_DISPLAY_TIMEZONE or `--tz`: when given it overrides the `display.timezone` setting. */
  displayTimezone?: string | undefined;
  /** Now, for the latest plausible execution time of an import (default the system clock). */
  clock?: Clock;
  /**
   * Where imports and undos run: the server's worker thread (import-pool.ts), so its event loop stays free; without
   * one (the CLI, scripts) they run on the calling thread. The result is the same either way.
   */
  imports?: ImportPool;
}

export function createTradesService(deps: TradesServiceDeps) {
  const db = deps.journal;
  const clock = deps.clock ?? systemClock;
  const settings = createSettingsRepo(db, clock);
  const positions = createPositionsRepo(db);
  const executions = createExecutionsRepo(db);
  const journal = createJournalRepo(db, clock);
  const accounts = createAccountsRepo(db);
  const fees = createFeesRepo(db);
  const orders = createOrdersService({ journal: db, importTimezone: deps.importTimezone, clock });

  const context = (): TradesContext => ({
    db,
    registry: loadInstrumentRegistry(settings),
    zone: importTimezone(settings, deps.importTimezone),
    importSettings: importSettings(settings),
  });

  const toQuery = (f: PositionFilter, registry: InstrumentRegistry): PositionQuery => {
    const q: PositionQuery = {};
    if (f.account) q.account = accounts.nameOf(f.account);
    if (f.instrument) {
      try {
        const ref = registry.parse(f.instrument);
        if (ref.month !== undefined) q.contract = registry.resolve(f.instrument).canonical;
        else q.root = ref.root;
      } catch (err) {
        if (isAppError(err) && err.code === 'TL_INSTRUMENT_UNKNOWN') q.root = f.instrument.trim().toUpperCase();
        else throw err;
      }
    }
    if (f.from) q.fromDay = dayBound(f.from, 'from');
    if (f.to) q.toDay = dayBound(f.to, 'to');
    if (f.status) q.status = f.status;
    if (f.tag) q.tag = f.tag;
    if (f.after) q.after = f.after;
    if (f.before) q.before = f.before;
    if (f.descending) q.descending = true;
    if (f.limit !== undefined) q.limit = f.limit;
    if (f.offset !== undefined) q.offset = f.offset;
    return q;
  };

  const refuseWhenDegraded = () => {
    if (db.writeRefused) throw db.writeRefused;
  };
  /** A storage fault the worker's connection met is this connection's too (writes are refused from then on). */
  const afterWorker = async <T>(job: Promise<T>): Promise<T> => {
    try {
      return await job;
    } catch (err) {
      if (isAppError(err)) db.noteFault(err);
      throw err;
    }
  };
  const runImport = async (source: ImportSource, options: ImportOptions): Promise<ImportFileResult> => {
    const withNow = { ...options, now: options.now ?? clock.now() };
    if (!deps.imports) return importFile(context(), source, withNow);
    refuseWhenDegraded();
    return await afterWorker(deps.imports.importFile(db.ref(), deps.importTimezone, source, withNow));
  };

  const mustGet = (id: number): PositionRecord => {
    const p = positions.get(id);
    if (!p) {
      throw new AppError('TL_POSITION_NOT_FOUND', `There is no position ${id}.`, {
        remedy: 'List positions with "tradelog positions" (or open /positions) and use one of their ids.',
        details: { positionId: id },
      });
    }
    return p;
  };

  const service = {
    /** The registry in force (built-in specs + the user's overrides). */
    registry: (): InstrumentRegistry => loadInstrumentRegistry(settings),
    importTimezone: (): string => importTimezone(settings, deps.importTimezone),
    /** The zone times are shown in, and where it comes from (environment or flag, setting, or the import zone). */
    displayTimezone: (): DisplayZone =>
      displayTimezone(settings, deps.displayTimezone, () => importTimezone(settings, deps.importTimezone)),

    /** Import one NinjaTrader CSV (a path, or an upload's bytes with its name). */
    importFile: (source: ImportSource, options: ImportOptions = {}): Promise<ImportFileResult> => runImport(source, options),
    /** Dry run: what `importFile` would add, skip as duplicate and reject; stores nothing. */
    previewFile: (source: ImportSource, options: Omit<ImportOptions, 'dryRun'> = {}): Promise<ImportFileResult> =>
      runImport(source, { ...options, dryRun: true }),
    /** Remove exactly the executions an import added (on the import worker when there is one). */
    undoImport: async (importId: number): Promise<UndoResult> => {
      if (!deps.imports) return undoImport(context(), importId);
      refuseWhenDegraded();
      return await afterWorker(deps.imports.undoImport(db.ref(), deps.importTimezone, importId));
    },
    listImports: (limit?: number): ImportRecord[] => executions.listImports(limit),
    getImport: (importId: number): ImportRecord | undefined => executions.getImport(importId),

    /** The trades, positions and journal data of an old database (its bars: src/legacy/ hands them to market data). */
    importLegacy: (legacy: LegacyDatabase, options: LegacyImportOptions = {}): LegacyTradesResult =>
      importLegacyTrades(context(), legacy, options),

    listPositions(filter: PositionFilter = {}): PositionJson[] {
      return positions.list(toQuery(filter, service.registry())).map(positionJson);
    },
    countPositions(filter: PositionFilter = {}): number {
      const q = toQuery(filter, service.registry());
      delete q.limit;
      delete q.offset;
      return positions.count(q);
    },

    /** One position with its executions (each with its share of a split reversal fill) and FIFO pairs. */
    getPosition(id: number): PositionDetailJson {
      const p = mustGet(id);
      const first = executions.byId(p.firstExecId);
      const last = executions.byId(p.lastExecId);
      if (!first || !last) throw new Error(`position ${id} points at missing executions`);
      const account = accounts.get(p.account);
      const fill = costFiller(schedulesFor(fees.list(), { accountId: account?.id ?? null, firm: account?.firm ?? null, root: p.root }));
      const stored = executions.range(accounts.spellingsOf(p.account), p.contract, first, last).map((e) => fill(e));
      const byId = new Map(stored.map((e) => [e.id, e]));
      const [built] = buildPositions({ account: p.account, contract: p.contract, root: p.root, pointValue: p.pointValue }, stored, {
        firstShare: { quantity: p.firstExecQuantity, commissionCents: p.firstExecCommissionCents },
        onlyFirst: true,
      });
      if (!built) throw new Error(`position ${id} rebuilt to nothing`);
      const j = journal.get(id);
      return {
        ...positionJson(p),
        ...orders.positionStops(id),
        note: j.note,
        executions: built.shares.map((s) => {
          const e = byId.get(s.execution.id);
          if (!e) throw new Error(`execution ${s.execution.id} vanished`);
          return {
            id: e.id,
            executionId: e.key,
            nativeId: e.nativeId,
            time: iso(e.time),
            action: e.action,
            role: s.role,
            quantity: s.quantity,
            fillQuantity: e.quantity,
            price: e.price,
            commission: centsToDollars(s.commissionCents),
            fillCommission: centsToDollars(e.commissionCents),
            costsFromSchedule: e.costsMissing === true,
            instrument: e.instrument,
            validation: e.validation,
            importId: e.importId,
            line: e.sourceLine,
          };
        }),
        pairs: built.pairs.map((pair) => ({
          entryExecutionId: pair.entryKey,
          exitExecutionId: pair.exitKey,
          quantity: pair.quantity,
          entryPrice: unitsToPrice(pair.entryPriceUnits),
          exitPrice: unitsToPrice(pair.exitPriceUnits),
          entryTime: iso(pair.entryTime),
          exitTime: iso(pair.exitTime),
          pointsPnl: unitsToPrice(pair.pointsUnits),
          grossPnl: centsToDollars(grossCents(pair.pointsUnits, p.pointValue)),
        })),
      };
    },

    /**
     * Statistics over the closed positions matching the filter, optionally grouped. Days, weeks and months are CME
     * trading days (src/calendar/periods.ts); hours are those of the display zone unless `hourZone` says otherwise,
     * and a grouping by hour names its zone (`hourZone`).
     */
    stats(filter: Omit<PositionFilter, 'status' | 'limit' | 'offset'> = {}, options: { by?: GroupBy; hourZone?: string } = {}): StatsJson {
      const rows = positions.statsRows(toQuery(filter, service.registry()));
      if (options.by !== 'hour') return computeStats(rows, options.by ? { by: options.by } : {});
      const hourZone = options.hourZone ?? service.displayTimezone().zone;
      return { ...computeStats(rows, { by: 'hour', hourZone }), hourZone };
    },

    /**
     * Add or replace the user's override of an instrument root; the positions of that root are recalculated in the
     * same transaction when its point value changed.
     */
    saveInstrumentOverride: (root: string, override: InstrumentOverride): OverrideChange =>
      saveInstrumentOverride({ db, settings, context }, root, override),
    /** Remove an override (back to the built-in spec); refused with TL_INSTRUMENT_IN_USE when positions need it. */
    removeInstrumentOverride: (root: string): OverrideChange => removeInstrumentOverride({ db, settings, context }, root),
    /** Set the `import.timezone` setting (an IANA zone), or clear it with null to use TRADELOG_IMPORT_TIMEZONE. */
    setImportTimezone(zone: string | null): void {
      settings.set<string | null>(IMPORT_TIMEZONE_KEY, importTimezoneSchema.nullable(), zone);
    },
    /** `import.dateOrder`: how files whose dates cannot tell day-first from month-first are read (null: refused). */
    setDateOrder(order: 'mdy' | 'dmy' | null): void {
      settings.set(IMPORT_DATE_ORDER_KEY, dateOrderSchema.nullable(), order);
    },
    /** Save a generic CSV column mapping (made on the import page) under its name and header signature. */
    saveMapping(input: unknown): ColumnMapping {
      const mapping = parseColumnMapping(input);
      saveMapping(settings, mapping);
      return mapping;
    },
    importSettings: (): ImportSettings => importSettings(settings),
    /** Exits with nothing open in their book, paired with nothing (an export that started mid-position). */
    orphanExits: (limit?: number): StoredExecution[] => executions.orphans(limit),

    /** Set the `display.timezone` setting (an IANA zone), or clear it with null to show times in the import zone. */
    setDisplayTimezone(zone: string | null): void {
      settings.set<string | null>(DISPLAY_TIMEZONE_KEY, displayTimezoneSchema.nullable(), zone);
    },

    /** Rebuild every book (after instrument overrides changed). */
    rebuildAll(): { books: number; positions: number } {
      const ctx = context();
      return db.write(() => {
        const books = executions.allBooks();
        return { books: books.length, positions: rebuildBooks(ctx, books) };
      });
    },

    // Journal data on positions (stable ids).
    getJournal: (id: number): JournalEntry => journal.get(id),
    setNote: (id: number, text: string): JournalEntry => journal.setNote(id, text),
    /** Save the journal form of a position (note, tags, reviewed, verdict) in one transaction. */
    saveJournal: (id: number, update: JournalUpdate): JournalEntry => journal.save(id, update),
    addTag: (id: number, tag: string): JournalEntry => journal.addTag(id, tag),
    removeTag: (id: number, tag: string): JournalEntry => journal.removeTag(id, tag),
    setReviewed: (id: number, reviewed: boolean): JournalEntry => journal.setReviewed(id, reviewed),
    /** Mark several positions reviewed (or not) in one transaction: all of them, or none when one is unknown. */
    setReviewedMany: (ids: readonly number[], reviewed: boolean): number => journal.setReviewedMany(ids, reviewed),
    setValidity: (id: number, validity: Validity | null): JournalEntry => journal.setValidity(id, validity),
    allTags: () => journal.allTags(),
  };
  return service;
}

export type TradesService = ReturnType<typeof createTradesService>;
