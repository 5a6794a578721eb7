import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import type { Db } from '../db/open.js';
import { translateSqliteError } from '../db/sqlite-errors.js';
import type { HealthReport } from '../db/startup.js';
import type { Store } from '../db/store.js';
import type { AppError } from '../errors.js';

export interface LiveHealth extends HealthReport {
  checkedAt: string;
  databases: { name: string; file: string; journalMode: string; writable: boolean }[];
}

/**
 * The server's view of its own health: the doctor's verdict at start-up plus what changed since.
 *
 * A database that became unwritable while the server runs (files chowned to root, a directory made read-only)
 * does not fail at once: SQLite keeps writing through the descriptors it already holds, and the next start would
 * then find a read-only database. So before every state-changing request, and on /health, the files are checked
 * with access(W_OK) (a few microseconds; page banners reuse a check up to a second old); if one is no longer writable, writes are refused with the same message
 * and fix SQLite's own SQLITE_READONLY would produce, and /health turns 503. When the files are writable again
 * the refusal is lifted. Refusals set by the start-up doctor or by SQLite itself are left alone.
 */
export class HealthMonitor {
  private lastCheck = 0;
  private readonly ownRefusals = new Map<Db, AppError>();

  constructor(
    private readonly store: Store | undefined,
    private readonly startup: () => HealthReport,
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
    private readonly cacheMs = 1000,
  ) {}

  private dbs(): Db[] {
    return this.store ? [this.store.journal, this.store.market] : [];
  }

  /** Re-check the database files' writability (at most once per `cacheMs` unless `force`). */
  checkWritable(force = false): void {
    const now = Date.now();
    // While a refusal of ours stands, look every time: the fix should take effect on the very next request.
    if (!force && this.ownRefusals.size === 0 && now - this.lastCheck < this.cacheMs) return;
    this.lastCheck = now;
    for (const db of this.dbs()) {
      if (!db.isOpen) continue;
      const problem = unwritable(db.file);
      const mine = this.ownRefusals.get(db);
      if (problem) {
        if (!db.writeRefused || (mine && mine.details?.sqliteCode !== problem.code)) {
          const err = translateSqliteError(
            Object.assign(new Error('attempt to write a readonly database'), { code: problem.code }),
            db.file,
          );
          if (err) {
            db.refuseWrites(err);
            this.ownRefusals.set(db, err);
            this.logger.error({ code: err.code, file: db.file }, `${err.message} Writes are refused until this is fixed.`);
          }
        }
      } else if (mine && db.writeRefused === mine) {
        db.refuseWrites(undefined);
        this.ownRefusals.delete(db);
        this.logger.info({ file: db.file }, 'the database is writable again; writes are accepted');
      }
    }
  }

  /** The first reason writes are refused, if they are. */
  writeRefusal(): AppError | undefined {
    this.checkWritable();
    for (const db of this.dbs()) if (db.writeRefused) return db.writeRefused;
    return undefined;
  }

  /** The storage verdict (live: it includes refusals made since start) plus each database's write state. */
  report(): LiveHealth {
    this.checkWritable(true);
    const base = this.startup();
    const findings = [...base.findings];
    let status = base.status;
    for (const db of this.dbs()) {
      const refused = db.writeRefused;
      if (!refused) continue;
      if (!findings.some((f) => f.code === refused.code)) {
        findings.push({ code: refused.code, severity: 'degraded', message: refused.message, remedy: refused.remedy, path: db.file });
      }
      if (status === 'ok') status = 'degraded';
    }
    const journalMode = base.journalMode ?? this.store?.journal.journalMode;
    return {
      ...base,
      status,
      ...(journalMode ? { journalMode } : {}),
      findings,
      checkedAt: new Date(this.clock.now()).toISOString(),
      databases: this.dbs().map((db) => ({ name: db.name, file: db.file, journalMode: db.journalMode, writable: !db.writeRefused })),
    };
  }
}

/** The first reason `file` (with its sidecars and directory) can't be written by this process, if any. */
function unwritable(file: string): { code: 'SQLITE_READONLY' | 'SQLITE_READONLY_DIRECTORY' } | undefined {
  try {
    fs.accessSync(path.dirname(file), fs.constants.W_OK);
  } catch {
    return { code: 'SQLITE_READONLY_DIRECTORY' };
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      fs.accessSync(f, fs.constants.W_OK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return { code: 'SQLITE_READONLY' };
    }
  }
  return undefined;
}
