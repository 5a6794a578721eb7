import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { type Db, openDb } from './open.js';

/**
 * A consistent read of a database that may be written meanwhile, for a long read done in pieces (an export streamed
 * to a browser a page at a time, with the event loop free between pages).
 *
 * It is a second, read-only connection to the same file. In WAL mode it holds one read transaction from the first
 * page to the last, so every page sees the database as it was when the read began, while the app's own connection
 * keeps writing. In rollback-journal mode a read transaction held across pages would block every writer (and a
 * writer on the event loop's thread would wait for a reader that cannot go on until it gives up); there each page is
 * its own read, and `check()` refuses to go on once another connection has committed since the read began
 * (TL_EXPORT_CHANGED), so a torn result is never passed off as whole.
 */
export interface ReadSnapshot {
  /** The read-only connection, for repositories (`*.repo.ts`). */
  readonly db: Db;
  /** True when the whole read sees one state of the database (WAL mode). */
  readonly consistent: boolean;
  /** Between pages: throws TL_EXPORT_CHANGED when the database changed under a read that is not one transaction. */
  check(): void;
  close(): void;
}

export function openReadSnapshot(source: Db, logger?: Logger): ReadSnapshot {
  const db = openDb(source.file, { name: source.name, readonly: true, ...(logger ? { logger } : {}) });
  const conn = db.conn;
  const consistent = db.journalMode === 'wal';
  let version: unknown;
  try {
    if (consistent) {
      conn.exec('BEGIN');
      // a deferred transaction takes its snapshot at its first read
      conn.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
    }
    version = conn.pragma('data_version', { simple: true });
  } catch (err) {
    db.close();
    throw err;
  }
  return {
    db,
    consistent,
    check() {
      if (consistent) return;
      if (conn.pragma('data_version', { simple: true }) !== version) {
        throw new AppError('TL_EXPORT_CHANGED', 'The journal changed while it was being read, so this export would not be whole.', {
          remedy: 'Export again when no import or edit is running (in rollback-journal mode an export cannot read around writes).',
        });
      }
    },
    close() {
      try {
        if (conn.inTransaction) conn.exec('COMMIT');
      } finally {
        db.close();
      }
    },
  };
}
