import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sqliteCode } from '../errors.js';

/**
 * A read-only view of a SQLite file tradelog does not own (the old app's database, for `import-legacy`).
 *
 * The file is never modified: it is copied (with its -wal/-journal) into a private temp dir and the copy is opened
 * `readonly`, because even a read-only open of a WAL database creates -shm/-wal files beside it. A hot journal or an
 * unrecovered WAL needs one write to replay; that happens on the private copy only. `close()` removes the copy.
 *
 * Errors come back as they are (EACCES reading the original, SQLITE_NOTADB for a file that is not a database): the
 * importer knows what they mean for its user.
 */
export interface Snapshot {
  /** The original file. */
  readonly file: string;
  /** Connection to the private copy, for the importers' repositories (`*.repo.ts`). */
  readonly conn: Database.Database;
  /** Names of the tables in the file. */
  tables(): Set<string>;
  close(): void;
}

export function openSnapshot(file: string): Snapshot {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-legacy-'));
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  let conn: Database.Database;
  try {
    const copy = path.join(dir, 'legacy.db');
    fs.copyFileSync(file, copy);
    for (const suffix of ['-wal', '-journal']) {
      if (fs.existsSync(file + suffix) && fs.statSync(file + suffix).size > 0) fs.copyFileSync(file + suffix, copy + suffix);
    }
    let readonly: Database.Database | undefined;
    try {
      readonly = new Database(copy, { readonly: true, fileMustExist: true });
      readonly.prepare('SELECT count(*) FROM sqlite_master').get();
      conn = readonly;
    } catch (err) {
      readonly?.close();
      const code = sqliteCode(err);
      if (code !== 'SQLITE_READONLY_RECOVERY' && code !== 'SQLITE_READONLY_ROLLBACK' && code !== 'SQLITE_CANTOPEN') throw err;
      conn = new Database(copy, { fileMustExist: true });
    }
  } catch (err) {
    cleanup();
    throw err;
  }
  const c = conn;
  return {
    file,
    conn: c,
    tables: () =>
      new Set((c.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name)),
    close() {
      try {
        c.close();
      } finally {
        cleanup();
      }
    },
  };
}
