import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage, sqliteCode } from '../../errors.js';
import { canAccess, currentUser, formatBytes } from '../fs-info.js';
import { findHolders, type HolderReport } from '../holders.js';
import { type DbName, headerJournalMode, probeWal, type WalProbeResult } from '../open.js';
import { translateSqliteError } from '../sqlite-errors.js';
import type { Ctx } from './context.js';
import { SIDECARS } from './files.js';
import type { DatabaseState, DoctorReport, Severity } from './types.js';

/**
 * The database checks: the WAL probe on a scratch file, the exclusivity probe, and a real connection
 * (quick_check, schema version, a real write probe, foreign_key_check).
 */

// 5. WAL probe on a scratch database in the same directory.
export function checkWalProbe(ctx: Ctx, dbStates: { file: string; exists: boolean }[], fsType: string | undefined): WalProbeResult | null {
  const dir = ctx.paths.dbDir;
  if (!fs.existsSync(dir) || !canAccess(dir, currentUser(), fs.constants.W_OK | fs.constants.X_OK)) return null;
  const probe = probeWal(dir, true);
  if (!probe.ok && probe.walUnusable) {
    const walDbs = dbStates.filter((d) => d.exists && headerJournalMode(d.file) === 'wal').map((d) => path.basename(d.file));
    ctx.findings.add({
      code: 'TL_DB_NO_SHARED_MEMORY',
      severity: 'warn',
      message: `The filesystem under ${dir}${fsType ? ` (${fsType})` : ''} cannot share memory between processes: the WAL probe failed with ${probe.code}. ${
        walDbs.length > 0
          ? `${walDbs.join(' and ')} ${walDbs.length > 1 ? 'are' : 'is'} still in WAL mode; tradelog converts ${walDbs.length > 1 ? 'them' : 'it'} to rollback-journal mode when it starts, keeping every row.`
          : 'tradelog runs in rollback-journal mode here (slower, and a writer blocks readers).'
      }`,
      remedy:
        walDbs.length > 0
          ? 'Run "tradelog doctor --repair" to convert now, or just start tradelog. Better: move the data directory to a local disk or a Docker named volume.'
          : 'Move the data directory to a local disk or a Docker named volume to get WAL mode back.',
      path: dir,
    });
  }
  return probe;
}

/**
 * A database that is not there: nothing to check, unless sidecars of it are (those are reported as strays). No data
 * directory at all is said once, as a warning: a command run in the wrong folder (or without --data-dir) looks here.
 */
export function checkMissing(ctx: Ctx, d: DatabaseState): void {
  const dataDir = ctx.paths.dataDir;
  if (!fs.existsSync(dataDir)) {
    ctx.findings.add({
      code: 'TL_DB_MISSING',
      severity: 'warn',
      message: `The data directory ${dataDir} does not exist: there is no journal here.`,
      remedy:
        'If your journal is elsewhere, point --data-dir or TRADELOG_DATA_DIR at its data directory (the default is ./data in the current folder). For a new one, nothing to do: "tradelog serve", "import", "demo" or "migrate" create it.',
      path: dataDir,
    });
    return;
  }
  if (SIDECARS.some((s) => fs.existsSync(`${d.file}${s}`))) return;
  ctx.findings.add({
    code: 'TL_DB_MISSING',
    severity: 'info',
    message: `${d.file} does not exist yet.`,
    remedy: 'Nothing to do: "tradelog serve" or "tradelog migrate" creates it.',
    path: d.file,
  });
}

// 6. Exclusivity probe and /proc scan.
export function checkHolders(ctx: Ctx, name: DbName, file: string): HolderReport {
  const report = findHolders(file);
  if (report.held) {
    ctx.findings.add({
      code: 'TL_DB_IN_USE',
      severity: 'warn',
      message: `Another process is using ${name}.db: ${report.evidence.join('; ')}.`,
      remedy:
        'Fine if it is the running tradelog server. Before "doctor --repair", "migrate" or "restore", stop it and every other process using the data directory (docker stop, exec shells, scripts).',
      path: file,
    });
  }
  return report;
}

/** A -wal in use by a live process is normal: say so instead of "recovery pending". */
export function relabelWalInUse(ctx: Ctx, d: DatabaseState): void {
  const pending = ctx.findings.list.find((f) => f.code === 'TL_DB_RECOVERY_PENDING' && f.path === `${d.file}-wal`);
  if (!pending) return;
  pending.severity = 'info';
  pending.message = `${d.file}-wal holds ${formatBytes(d.walBytes)} of changes of the process using the database (normal while it runs).`;
  pending.remedy = 'Nothing to do while it runs; tradelog checkpoints on its own and when it stops. Never delete the file.';
}

type Step = 'open' | 'read' | 'write';

function classify(err: unknown, step: Step): Severity {
  const code = sqliteCode(err) ?? '';
  if (step === 'write') {
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'warn';
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'fatal';
    return 'degraded';
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'warn';
  return 'fatal';
}

// 7. The real database: quick_check, journal mode, schema version, a real write probe, foreign_key_check.
export function checkDatabase(
  ctx: Ctx,
  state: DatabaseState,
  probe: WalProbeResult | null,
  fs0: DoctorReport['filesystem'],
  fullIntegrity: boolean,
  deferIntegrity: boolean,
): void {
  const file = state.file;
  let conn: Database.Database | undefined;
  let step: Step = 'open';
  try {
    conn = new Database(file, { fileMustExist: true, timeout: 1000 });
    step = 'read';
    // No shared memory: a WAL file can still be read and written through a private (heap) WAL index when the
    // connection takes the exclusive lock before its first access (E11b).
    if (probe?.walUnusable && headerJournalMode(file) === 'wal') conn.pragma('locking_mode = EXCLUSIVE');
    // Memory-mapped reads make quick_check about 30 % faster; skipped where mmap itself is the problem.
    if (!fs0?.risky) conn.pragma('mmap_size = 268435456');
    const mode = String(conn.pragma('journal_mode', { simple: true }));
    state.journalMode = mode === 'wal' ? 'wal' : 'delete';
    if (!checkIntegrity(ctx, conn, state, fullIntegrity, deferIntegrity)) return;
    const version = checkSchemaVersion(ctx, conn, state);
    // A real write: the same value back into the header. Root-owned -shm/-wal/db files let every read through and
    // fail only here (E1, E15).
    step = 'write';
    const c = conn;
    c.transaction(() => c.pragma(`user_version = ${version}`)).immediate();
    state.writable = true;
    step = 'read';
    checkForeignKeys(ctx, conn, file);
  } catch (err) {
    if (step === 'write') state.writable = false;
    reportFailure(ctx, err, step, file);
  } finally {
    try {
      conn?.close();
    } catch {
      // doctor connection
    }
  }
}

function reportFailure(ctx: Ctx, err: unknown, step: Step, file: string): void {
  const app = translateSqliteError(err, file);
  const severity = classify(err, step);
  if (app) {
    ctx.findings.fromError(app, severity, file);
    return;
  }
  ctx.findings.add({
    code: 'TL_DB_CANTOPEN',
    severity,
    message: `Cannot ${step} ${file}: ${errorMessage(err)}`,
    remedy: `Check that ${path.dirname(file)} exists and belongs to uid ${ctx.who.uid}.`,
    path: file,
  });
}

/** quick_check (or integrity_check); false when the database is damaged and nothing more should be tried. */
function checkIntegrity(ctx: Ctx, conn: Database.Database, state: DatabaseState, fullIntegrity: boolean, deferred: boolean): boolean {
  const rows = deferred
    ? [{ quick_check: 'deferred' }]
    : (conn.pragma(fullIntegrity ? 'integrity_check(20)' : 'quick_check(20)') as Record<string, string>[]);
  const lines = rows.map((r) => String(Object.values(r)[0]));
  state.integrity = lines.join('; ');
  if (deferred || (lines.length === 1 && lines[0] === 'ok')) return true;
  ctx.findings.add({
    code: 'TL_DB_CORRUPT',
    severity: 'fatal',
    message: `The database ${state.file} is damaged: ${fullIntegrity ? 'integrity_check' : 'quick_check'} reported ${lines.slice(0, 3).join('; ')}${lines.length > 3 ? ` and ${lines.length - 3} more` : ''}.`,
    remedy:
      'Keep the files as they are. Stop the app, list backups with "tradelog backups" and restore the newest with "tradelog restore FILE --yes" (the damaged files are moved to quarantine/, not deleted).',
    path: state.file,
  });
  return false;
}

/** The schema version against what this build knows; returns it. */
function checkSchemaVersion(ctx: Ctx, conn: Database.Database, state: DatabaseState): number {
  const file = state.file;
  const version = conn.pragma('user_version', { simple: true }) as number;
  state.userVersion = version;
  if (version > state.latestVersion) {
    ctx.findings.add({
      code: 'TL_DB_TOO_NEW',
      severity: 'fatal',
      message: `${file} has schema version ${version}, newer than this tradelog knows (${state.latestVersion}).`,
      remedy: 'Run the newer tradelog version that wrote this database, or restore a backup made before the upgrade ("tradelog backups").',
      path: file,
    });
  } else if (version < state.latestVersion) {
    ctx.findings.add({
      code: 'TL_DB_MIGRATIONS_PENDING',
      severity: 'info',
      message: `${state.name}.db has schema version ${version}; this tradelog brings it to ${state.latestVersion}.`,
      remedy: 'Nothing to do: "tradelog serve" or "tradelog migrate" applies the migrations after a verified backup.',
      path: file,
    });
  }
  return version;
}

function checkForeignKeys(ctx: Ctx, conn: Database.Database, file: string): void {
  const fk = conn.pragma('foreign_key_check') as { table: string; parent: string }[];
  if (fk.length === 0) return;
  const tables = [...new Set(fk.map((r) => `${r.table} → ${r.parent}`))].slice(0, 5);
  ctx.findings.add({
    code: 'TL_DB_FOREIGN_KEY_VIOLATION',
    severity: 'warn',
    message: `${file} has ${fk.length} row(s) pointing at missing parents (${tables.join(', ')}).`,
    remedy: 'Rows were changed outside tradelog. Restore a backup ("tradelog backups") or re-import the affected files.',
    path: file,
  });
}
