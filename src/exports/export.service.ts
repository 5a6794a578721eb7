import fs from 'node:fs';
import { DateTime } from 'luxon';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/open.js';
import { openReadSnapshot } from '../db/read-snapshot.js';
import { AppError, errorMessage, systemCode } from '../errors.js';
import { loadInstrumentRegistry } from '../instruments/instruments.js';
import { createSettingsRepo } from '../settings/settings.repo.js';
import { createSettingsTransferRepo } from '../settings/transfer.repo.js';
import { centsToDollars } from '../trades/money.js';
import {
  accountItems,
  feeScheduleItems,
  notEmptyRegistry,
  orderItem,
  orderPages,
  restoreOrdersAndStops,
  restoreRegistry,
  stopsItem,
  stopsPages,
} from '../trades/registry-transfer.js';
import { displayTimezone, importTimezone } from '../trades/settings.js';
import { createTradesService, type TradesService } from '../trades/trades.service.js';
import { executionItem, importItem, journalItem, pagesOf, positionIdItem, restoreTrades } from '../trades/transfer.js';
import { createTransferRepo, type TradesCounts } from '../trades/transfer.repo.js';
import { EXPORT_VERSION, FILE_END, headerText, type JournalFile, parseJournalFile, sectionText } from './journal-file.js';
import { type TableFilter, type TableName, type TableOptions, tableCsv } from './tables.js';

/**
 * Exports (docs/export.md): CSV tables of positions, executions, daily results and statistics, the whole journal as
 * one versioned JSON file, and `import-export`, which puts such a file into an empty journal.
 *
 * An export is a document whose text comes in pieces (`chunks()`), read from a consistent snapshot of journal.db
 * (src/db/read-snapshot.ts) a page at a time: the CLI writes the pieces one after another, the web app sends them
 * with the event loop free between pieces, so a large journal never holds a page or /health. The snapshot is opened
 * when the first piece is asked for and closed when the last one is (or when the reader stops early).
 *
 * Local times in the CSV tables, and the hours of a statistics table grouped by hour, are given in one zone, `zone()`:
 * the display zone (src/trades/settings.ts), the zone every page and the CLI's text show.
 */
export interface ExportServiceDeps {
  journal: Db;
  /** TRADELOG_IMPORT_TIMEZONE (the `import.timezone` setting overrides it). */
  importTimezone: string;
  clock: Clock;
  logger?: Logger;
  /** TRADELOG_DISPLAY_TIMEZONE or `--tz`: when given it overrides the `display.timezone` setting. */
  displayTimezone?: string | undefined;
  /** Zone of the `…_local` columns and of hour groups; default: the display zone in force. */
  zone?: () => string;
  /** Name and version in the journal file's `generator`. */
  generator?: string;
}

export interface ExportDocument {
  /** A file name to save it under: `tradelog-<what>-<YYYY-MM-DD>.<ext>`. */
  fileName: string;
  contentType: string;
  /** The text, in pieces, read as they are asked for. */
  chunks(): Generator<string, void, undefined>;
}

export interface ImportExportResult {
  file: string;
  version: number;
  exportedAt: string;
  settings: number;
  imports: number;
  executions: number;
  positions: number;
  openPositions: number;
  netPnl: number;
  journalEntries: number;
}

/** Items per page of the journal file (one piece each: a few milliseconds of work). */
const JOURNAL_PAGE = 250;

export function createExportService(deps: ExportServiceDeps) {
  const generator = deps.generator ?? 'tradelog';
  const today = (zone: string) => DateTime.fromMillis(deps.clock.now(), { zone }).toFormat('yyyy-MM-dd');
  const zone = (): string => {
    if (deps.zone) return deps.zone();
    const settings = createSettingsRepo(deps.journal);
    return displayTimezone(settings, deps.displayTimezone, () => importTimezone(settings, deps.importTimezone)).zone;
  };

  /** Run `body` over a snapshot of the journal, checking between pieces that it is still whole; closed at the end. */
  function* overSnapshot(body: (db: Db, trades: TradesService) => Generator<string>): Generator<string, void, undefined> {
    const snap = openReadSnapshot(deps.journal, deps.logger);
    try {
      const trades = createTradesService({ journal: snap.db, importTimezone: deps.importTimezone });
      for (const piece of body(snap.db, trades)) {
        snap.check();
        yield piece;
      }
      snap.check();
    } finally {
      snap.close();
    }
  }

  function* journalPieces(db: Db): Generator<string> {
    const repo = createTransferRepo(db);
    const counts: TradesCounts = repo.counts();
    yield headerText({
      exportedAt: new Date(deps.clock.now()).toISOString(),
      generator,
      expect: {
        executions: counts.executions,
        positions: counts.positions,
        openPositions: counts.openPositions,
        netPnl: centsToDollars(counts.netCents),
      },
    });
    const settings = createSettingsTransferRepo(db).rows();
    yield* sectionText('settings', [settings.map((s) => ({ key: s.key, value: s.value, updatedAt: new Date(s.updatedAt).toISOString() }))]);
    yield* sectionText('imports', map(pagesOf(repo.importsPage, JOURNAL_PAGE), importItem));
    yield* sectionText('executions', map(pagesOf(repo.executionsPage, JOURNAL_PAGE), executionItem));
    yield* sectionText('positionIds', map(pagesOf(repo.positionIdsPage, JOURNAL_PAGE), positionIdItem));
    yield* sectionText('journal', map(pagesOf(repo.journalPage, JOURNAL_PAGE), journalItem));
    yield* sectionText('accounts', [accountItems(db)]);
    yield* sectionText('feeSchedules', [feeScheduleItems(db)]);
    yield* sectionText('orders', map(pagesOf(orderPages(db), JOURNAL_PAGE), orderItem));
    yield* sectionText('stops', map(pagesOf(stopsPages(db), JOURNAL_PAGE), stopsItem));
    yield FILE_END;
  }

  return {
    /** The zone the `…_local` columns are in. */
    zone,

    /** One CSV table (header first) of the positions matching `filter`. Bad filters throw on the first piece. */
    table(name: TableName, filter: TableFilter = {}, options: Omit<TableOptions, 'zone'> = {}): ExportDocument {
      const fileName = `tradelog-${name === 'stats' && options.by ? `stats-by-${options.by}` : name}-${today(zone())}.csv`;
      return {
        fileName,
        contentType: 'text/csv; charset=utf-8',
        chunks: () => overSnapshot((_db, trades) => tableCsv(name, trades, filter, { hourZone: zone(), ...options, zone: zone() })),
      };
    },

    /** The whole journal as one JSON file (journal-file.ts). Bars are not in it: they are downloaded again. */
    journal(): ExportDocument {
      return {
        fileName: `tradelog-journal-${today(zone())}.json`,
        contentType: 'application/json; charset=utf-8',
        chunks: () => overSnapshot((db) => journalPieces(db)),
      };
    },

    /** Read an export file and put it into this (empty) journal in one transaction; positions are rebuilt. */
    importExport(file: string): ImportExportResult {
      const data = parseJournalFile(file, readExportFile(file));
      return restore(deps, file, data);
    },

    version: EXPORT_VERSION,
  };
}

export type ExportService = ReturnType<typeof createExportService>;

function* map<T, U>(pages: Iterable<T[]>, f: (t: T) => U): Generator<U[]> {
  for (const page of pages) yield page.map(f);
}

function readExportFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = systemCode(err) ?? (err as { code?: string }).code;
    throw new AppError('TL_EXPORT_UNREADABLE', `Cannot read ${file}: ${code ?? ''} ${errorMessage(err)}`.trim(), {
      remedy:
        code === 'ERR_STRING_TOO_LONG'
          ? 'The file is larger than this tradelog can read at once (about 512 MB).'
          : 'Check the path and that the user running tradelog can read the file.',
      details: { file, code },
    });
  }
}

function notEmpty(what: string): AppError {
  return new AppError('TL_EXPORT_NOT_EMPTY', `This data directory's journal is not empty (it has ${what}); nothing was imported.`, {
    remedy:
      'Import the export into a new, empty data directory (tradelog import-export FILE --data-dir NEW_DIR). To start over here, move the data directory away first (keep it until the import has been checked).',
    details: { has: what },
  });
}

function restore(deps: ExportServiceDeps, file: string, data: JournalFile): ImportExportResult {
  const db = deps.journal;
  const settingsTransfer = createSettingsTransferRepo(db);
  const repo = createTransferRepo(db);
  return db.write(() => {
    const before = repo.counts();
    const held = Object.entries({ ...before, settings: settingsTransfer.count() }).filter(([k, n]) => k !== 'netCents' && n > 0);
    if (held.length > 0) throw notEmpty(held.map(([k, n]) => `${n} ${k}`).join(', '));
    const registryHeld = notEmptyRegistry(db);
    if (registryHeld) throw notEmpty(registryHeld);
    for (const s of data.settings) settingsTransfer.insert(s);
    const settings = createSettingsRepo(db);
    const ctx = { db, registry: loadInstrumentRegistry(settings), zone: importTimezone(settings, deps.importTimezone) };
    // accounts and fee schedules decide the books and the costs: in before the positions are rebuilt
    restoreRegistry(db, data);
    restoreTrades(ctx, data, repo);
    restoreOrdersAndStops(db, data);
    const after = repo.counts();
    const got = { positions: after.positions, openPositions: after.openPositions, netPnl: centsToDollars(after.netCents) };
    const want = data.expect;
    if (want && (want.positions !== got.positions || want.openPositions !== got.openPositions || want.netPnl !== got.netPnl)) {
      throw new AppError(
        'TL_EXPORT_MISMATCH',
        `${file}: the executions rebuild into ${got.positions} positions (${got.openPositions} open) netting ${got.netPnl}, but the exporting journal had ${want.positions} (${want.openPositions} open) netting ${want.netPnl}. Nothing was imported.`,
        {
          remedy:
            "The instrument specs differ from the exporting tradelog's (a point value or an override): check instruments.overrides in the file's settings against Settings → Instruments of the exporting app.",
          details: { file, expected: want, got },
        },
      );
    }
    return {
      file,
      version: data.version,
      exportedAt: new Date(data.exportedAt).toISOString(),
      settings: data.settings.length,
      imports: data.imports.length,
      executions: data.executions.length,
      positions: after.positions,
      openPositions: after.openPositions,
      netPnl: centsToDollars(after.netCents),
      journalEntries: data.journal.length,
    };
  });
}
