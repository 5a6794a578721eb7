import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import type { DataPaths } from '../config.js';
import { AppError, errorMessage, isAppError, sqliteCode } from '../errors.js';
import type { LogFileStatus } from '../log.js';
import { type BackupSchedule, type BackupScheduleOptions, startBackupSchedule } from './backup-schedule.js';
import { type DoctorReport, type Finding, findingError, findStraySidecars, type RepairAction, runDoctor, statusOf } from './doctor.js';
import { processesHolding } from './holders.js';
import type { Db, JournalMode } from './open.js';
import { quickCheckInWorker } from './quick-check.js';
import { quarantineStrays } from './repair.js';
import { acquireServeLock } from './serve-lock.js';
import { openStore, type Store } from './store.js';

/**
 * What `serve` does with its storage before it answers a request (storage-reliability.md §(c) "Outcomes"):
 * 1. run the doctor;
 * 2. stray -wal/-shm/-journal files named like journal.db/market.db while that database does not exist are moved
 *    to quarantine/ first (creating the database beside them would discard them, or fail every write when they are
 *    root-owned: row 12), unless a process has them open;
 * 3. fatal → no store at all: every page answers 503 with the finding and its fix, /health too, and the process
 *    stays up (a crash would only restart into the same state);
 *    degraded → open the store and refuse writes with the finding's message; reads are served;
 *    ok → open the store (pending migrations run after a verified backup);
 * 4. health() is live: a write refused at run time (SQLITE_READONLY*, a corrupt page) or a log file that failed
 *    later turns it from ok to degraded without a restart;
 * 5. the daily verified backup of journal.db runs on a timer in this process.
 * Before all of it, the server's lock on the data directory (serve-lock.ts): a second server on the same directory
 * is refused with TL_WEB_ALREADY_RUNNING, the one error startStorage throws; the lock is held until close().
 */
export interface HealthReport {
  status: 'ok' | 'degraded' | 'fatal';
  journalMode?: string;
  findings: Finding[];
  actions?: RepairAction[];
  checkedAt?: string;
}

export interface StorageRuntime {
  store: Store | undefined;
  /** The doctor's report at start. */
  report: DoctorReport;
  /** Actions taken at start (quarantined strays). */
  actions: RepairAction[];
  health(): HealthReport;
  backups: BackupSchedule | undefined;
  /** Starts the checks left for after start (market.db's quick_check) now, if they have not started. */
  runDeferredChecks(): void;
  /** Stop the backup timer, checkpoint and close the databases. Never throws. */
  close(): void;
}

export interface StartStorageOptions {
  logger: Logger;
  logFile?: string | undefined;
  logStatus?: () => LogFileStatus;
  /** Daily backup timer settings; false turns it off (tests, read-only tools). */
  backup?: Omit<BackupScheduleOptions, 'backupsDir' | 'logger' | 'clock'> | false;
  /** Stamps quarantined files and daily backups. Default the system clock. */
  clock?: Clock;
  /** Force a journal mode instead of probing (tests of rollback-mode behaviour). */
  journalMode?: JournalMode;
  /**
   * Run market.db's quick_check just after start instead of before it (default true): bars are re-downloadable and
   * the file can be large; a damaged market.db then refuses writes and turns health degraded.
   */
  deferMarketCheck?: boolean;
  /**
   * When the deferred check starts: this many ms after start (default 50), or at `runDeferredChecks()` if that
   * comes first; null = only then (`serve` runs it once it has answered its first request).
   */
  marketCheckAfterMs?: number | null;
  /** Take the one-server lock on the data directory (default true). */
  lock?: boolean;
}

function asFinding(err: unknown): Finding {
  if (isAppError(err)) {
    const p = err.details?.path;
    return { code: err.code, severity: 'fatal', message: err.message, remedy: err.remedy, ...(typeof p === 'string' ? { path: p } : {}) };
  }
  return {
    code: 'TL_INTERNAL',
    severity: 'fatal',
    message: `Opening the databases failed unexpectedly: ${sqliteCode(err) ? `${sqliteCode(err)} ` : ''}${errorMessage(err)}`,
    remedy: 'Run "tradelog doctor" for the details; report this with the server log.',
  };
}

/**
 * The report once the store has opened: the databases it just created exist now, so the doctor's "does not exist
 * yet" (seen before they were created) no longer holds and is dropped (issue 9 §3.4).
 */
function afterOpen(report: DoctorReport): DoctorReport {
  const created = report.findings.filter((f) => f.code === 'TL_DB_MISSING' && f.path !== undefined && fs.existsSync(f.path));
  if (created.length === 0) return report;
  const findings = report.findings.filter((f) => !created.includes(f));
  const databases = report.databases.map((d) => (d.exists || !fs.existsSync(d.file) ? d : { ...d, exists: true }));
  return { ...report, findings, databases, status: statusOf(findings) };
}

/** Which databases a degraded finding concerns: the one its path names, both for directory-level findings. */
function dbsFor(f: Finding, store: Store): Db[] {
  const p = f.path ?? '';
  if (p === store.journal.file || p.startsWith(`${store.journal.file}-`)) return [store.journal];
  if (p === store.market.file || p.startsWith(`${store.market.file}-`)) return [store.market];
  return [store.journal, store.market];
}

export function startStorage(paths: DataPaths, options: StartStorageOptions): StorageRuntime {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const lock = options.lock === false ? undefined : acquireServeLock(paths, new Date(clock.now()));
  if (lock && !lock.held)
    logger.warn({ file: lock.file }, `no lock on the data directory (${lock.problem}): a second server would not be refused`);
  const doctor = () =>
    runDoctor(paths, {
      logFile: options.logFile,
      logStatus: options.logStatus?.(),
      deferIntegrity: options.deferMarketCheck === false ? [] : ['market'],
    });
  let report = doctor();
  const actions: RepairAction[] = [];

  const ours = new Set([paths.journalDb, paths.marketDb]);
  const ownStrays = findStraySidecars([paths.dbDir]).filter((p) => ours.has(p.replace(/-(wal|shm|journal)$/, '')));
  if (ownStrays.length > 0 && processesHolding(ownStrays).size === 0) {
    actions.push(...quarantineStrays(ownStrays, paths.quarantineDir, new Date(clock.now())));
    for (const a of actions) logger.warn({ code: a.code, path: a.path }, a.description);
    report = doctor();
  }

  for (const f of report.findings) {
    if (f.severity === 'info') continue;
    const level = f.severity === 'warn' ? 'warn' : 'error';
    logger[level]({ code: f.code, severity: f.severity, path: f.path }, `${f.message} Fix: ${f.remedy}`);
  }

  const startFindings: Finding[] = [];
  let store: Store | undefined;
  if (report.status !== 'fatal') {
    try {
      store = openStore(paths, { logger, ...(options.journalMode ? { journalMode: options.journalMode } : {}) });
    } catch (err) {
      const f = asFinding(err);
      startFindings.push(f);
      logger.error({ code: f.code, sqliteCode: sqliteCode(err) }, `${f.message} Fix: ${f.remedy}`);
    }
  }
  if (store) {
    report = afterOpen(report);
    for (const f of report.findings.filter((x) => x.severity === 'degraded')) {
      for (const db of dbsFor(f, store)) if (!db.writeRefused) db.refuseWrites(findingError(f));
    }
  }

  let marketCheck: NodeJS.Timeout | undefined;
  let runDeferredChecks = () => {};
  if (store && options.deferMarketCheck !== false) {
    const market = store.market;
    let started = false;
    runDeferredChecks = () => {
      if (started || !market.isOpen) return;
      started = true;
      if (marketCheck) clearTimeout(marketCheck);
      void quickCheckInWorker(market.file).then((result) => {
        if ('error' in result) {
          logger.error({ sqliteCode: result.error.code, file: market.file }, `market.db quick_check failed: ${result.error.message}`);
          return;
        }
        if (result.ok || !market.isOpen) return;
        const lines = result.lines;
        market.refuseWrites(
          new AppError('TL_DB_CORRUPT', `The database ${market.file} is damaged: quick_check reported ${lines.slice(0, 3).join('; ')}.`, {
            remedy:
              'Keep the files. Stop the app and restore market.db from "tradelog backups", or move it aside and download the bars again.',
            details: { path: market.file },
          }),
        );
        logger.error({ code: 'TL_DB_CORRUPT', file: market.file }, `market.db quick_check: ${lines.join('; ')}`);
      });
    };
    const after = options.marketCheckAfterMs === undefined ? 50 : options.marketCheckAfterMs;
    if (after !== null) {
      marketCheck = setTimeout(runDeferredChecks, after);
      marketCheck.unref();
    }
  }

  const backups =
    store && options.backup !== false
      ? startBackupSchedule(store.journal, { ...(options.backup ?? {}), backupsDir: paths.backupsDir, logger, clock })
      : undefined;

  const health = (): HealthReport => {
    const findings = [...report.findings, ...startFindings];
    for (const db of store ? [store.journal, store.market] : []) {
      const refusal: AppError | undefined = db.writeRefused;
      if (!refusal) continue;
      const known = findings.some(
        (f) => f.code === refusal.code && f.severity !== 'info' && (f.path === undefined || dbsFor(f, store as Store).includes(db)),
      );
      if (!known) {
        findings.push({ code: refusal.code, severity: 'degraded', message: refusal.message, remedy: refusal.remedy, path: db.file });
      }
    }
    const log = options.logStatus?.();
    if (log?.problem && log.requested && !findings.some((f) => f.code === 'TL_LOG_FILE_UNWRITABLE')) {
      findings.push({
        code: 'TL_LOG_FILE_UNWRITABLE',
        severity: 'warn',
        message: `Log file ${log.requested} stopped working (${log.problem.code}: ${log.problem.message}); logs go to the console.`,
        remedy: `Make ${path.dirname(log.requested)} writable by the app's user and free space, or unset TRADELOG_LOG_FILE.`,
        path: log.requested,
      });
    }
    const last = backups?.status().lastError;
    if (last && !findings.some((f) => f.code === last.code)) {
      findings.push({
        code: last.code as Finding['code'],
        severity: 'warn',
        message: `The daily backup failed at ${last.at}: ${last.message}`,
        remedy: `Check free space and that ${paths.backupsDir} is writable by the app's user; "tradelog backup" retries by hand.`,
        path: paths.backupsDir,
      });
    }
    const journalMode = store?.journal.journalMode ?? report.journalMode ?? undefined;
    return {
      status: statusOf(findings),
      ...(journalMode ? { journalMode } : {}),
      findings,
      ...(actions.length > 0 ? { actions } : {}),
      checkedAt: report.checkedAt,
    };
  };

  let closed = false;
  return {
    store,
    report,
    actions,
    health,
    backups,
    runDeferredChecks: () => runDeferredChecks(),
    close() {
      if (closed) return;
      closed = true;
      if (marketCheck) clearTimeout(marketCheck);
      backups?.stop();
      store?.close();
      lock?.release();
    },
  };
}

/** An AppError for a page that cannot be served because storage is fatal. */
export function unavailableError(report: HealthReport): AppError {
  const worst = report.findings.find((f) => f.severity === 'fatal') ?? report.findings[0];
  return new AppError(worst?.code ?? 'TL_DB_CANTOPEN', worst?.message ?? 'The database cannot be used.', {
    status: 503,
    remedy: worst?.remedy ?? 'Run "tradelog doctor" for the details.',
  });
}
