import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { errorMessage, isAppError } from '../errors.js';
import { type BackupResult, backupDatabase, listBackups, pruneBackups } from './backup.js';
import type { Db } from './open.js';
import { DEFAULT_RETENTION, type RetentionRule } from './retention.js';

/**
 * The server's daily verified backup of journal.db (storage-reliability.md §(c) "Online backups"): a timer checks
 * every `checkEveryMs` whether the newest daily backup is older than `intervalMs` and, if so, takes one (VACUUM INTO
 * + verification + atomic rename, backup.ts) and then prunes with the retention rule. Prune runs only after a new
 * backup verified, so a failing backup never costs an older one. A failure is logged and shown in `status()`; it
 * never throws out of the timer.
 */
export interface BackupScheduleOptions {
  backupsDir: string;
  logger?: Logger | undefined;
  /** Age of the newest daily backup that triggers a new one. Default 24 h. */
  intervalMs?: number;
  /** How often to look. Default 1 h. */
  checkEveryMs?: number;
  /** First look after start (kept off the start-up path). Default 60 s. */
  firstCheckMs?: number;
  retention?: RetentionRule;
  /** Decides whether a backup is due and stamps it (the timers wait real time). Default the system clock. */
  clock?: Clock;
}

export interface BackupScheduleStatus {
  lastRunAt?: string;
  lastBackup?: BackupResult;
  lastError?: { code: string; message: string; at: string };
  pruned: string[];
}

export interface BackupSchedule {
  /** Take a daily backup now if one is due (or always, with force). Never throws. */
  runNow(force?: boolean): BackupResult | undefined;
  status(): BackupScheduleStatus;
  stop(): void;
}

const HOUR = 3_600_000;

export function startBackupSchedule(db: Db, options: BackupScheduleOptions): BackupSchedule {
  const intervalMs = options.intervalMs ?? 24 * HOUR;
  const clock = options.clock ?? systemClock;
  const now = () => new Date(clock.now());
  const state: BackupScheduleStatus = { pruned: [] };
  let stopped = false;

  const due = (): boolean => {
    const newest = listBackups(options.backupsDir).find((b) => b.db === db.name && b.kind === 'daily');
    // A minute of slack so a timer that fires a little early does not skip a whole day.
    return !newest || now().getTime() - Date.parse(newest.createdAt) >= intervalMs - 60_000;
  };

  const runNow = (force = false): BackupResult | undefined => {
    if (stopped || !db.isOpen) return undefined;
    try {
      if (!force && !due()) return undefined;
      state.lastRunAt = now().toISOString();
      const result = backupDatabase(db, { backupsDir: options.backupsDir, kind: 'daily', now: now() });
      state.lastBackup = result;
      delete state.lastError;
      state.pruned = pruneBackups(options.backupsDir, options.retention ?? DEFAULT_RETENTION);
      options.logger?.info({ file: result.file, bytes: result.bytes, pruned: state.pruned }, 'daily backup verified');
      return result;
    } catch (err) {
      const code = isAppError(err) ? err.code : 'TL_BACKUP_FAILED';
      state.lastError = { code, message: errorMessage(err), at: now().toISOString() };
      options.logger?.error({ code, err: errorMessage(err) }, `daily backup failed: ${errorMessage(err)}`);
      return undefined;
    }
  };

  const first = setTimeout(() => runNow(), options.firstCheckMs ?? 60_000);
  const every = setInterval(() => runNow(), options.checkEveryMs ?? HOUR);
  first.unref();
  every.unref();

  return {
    runNow,
    status: () => ({ ...state, pruned: [...state.pruned] }),
    stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(every);
    },
  };
}
