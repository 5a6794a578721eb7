import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { AppError, errorMessage, sqliteCode } from '../errors.js';
import { translateSqliteError } from './sqlite-errors.js';

/**
 * Opening a database the way storage-reliability.md §(c) prescribes:
 * - WAL when a probe in the same directory shows shared-memory WAL works, checking the pragma's answer;
 *   rollback-journal (DELETE) mode otherwise, converting an existing WAL file with locking_mode=EXCLUSIVE first
 *   so no committed row in its -wal is lost (E11b);
 * - synchronous=FULL, busy_timeout=5000, foreign_keys=ON, journal_size_limit=64 MiB, set explicitly every time;
 * - every write transaction is BEGIN IMMEDIATE (a deferred upgrade fails at once with SQLITE_BUSY_SNAPSHOT, E7d);
 * - close = wal_checkpoint(TRUNCATE) + close, so a stopped app leaves no -wal behind (E5t).
 */
export type DbName = 'journal' | 'market';
export type JournalMode = 'wal' | 'delete';

export const BUSY_TIMEOUT_MS = 5000;
export const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;

/** SQLite codes that mean "shared-memory WAL cannot work on this filesystem" (§(c) 5, S8–S12). */
const WAL_UNUSABLE_CODES = new Set([
  'SQLITE_IOERR_SHMMAP',
  'SQLITE_IOERR_SHMOPEN',
  'SQLITE_IOERR_SHMLOCK',
  'SQLITE_IOERR_LOCK',
  'SQLITE_PROTOCOL',
  'SQLITE_BUSY',
]);

export interface WalProbeResult {
  ok: boolean;
  /** SQLite or system code when the probe failed. */
  code?: string;
  message?: string;
  /** True when the failure means the filesystem can't do WAL (as opposed to full disk, permissions). */
  walUnusable: boolean;
}

const probeCache = new Map<string, WalProbeResult>();

/**
 * Probe WAL in `dir` on a scratch database: turn WAL on, write with one connection, read with a second, then
 * remove the scratch files. Cached per directory for the life of the process unless `fresh`.
 */
export function probeWal(dir: string, fresh = false): WalProbeResult {
  const cached = probeCache.get(dir);
  if (cached && !fresh) return cached;
  const file = path.join(dir, `.doctor-probe-${process.pid}.db`);
  const files = [file, `${file}-wal`, `${file}-shm`, `${file}-journal`];
  const removeScratch = () => {
    for (const f of files) fs.rmSync(f, { force: true });
  };
  let a: Database.Database | undefined;
  let b: Database.Database | undefined;
  let result: WalProbeResult;
  try {
    removeScratch();
    a = new Database(file, { timeout: 1000 });
    // The probe tests shared memory, not durability: no fsync (it cost tens of ms of every start on a busy disk).
    a.pragma('synchronous = OFF');
    const mode = a.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') {
      result = { ok: false, code: 'WAL_REFUSED', message: `journal_mode=WAL answered "${String(mode)}"`, walUnusable: true };
    } else {
      a.exec('CREATE TABLE probe(x); INSERT INTO probe VALUES (1);');
      b = new Database(file, { timeout: 1000 });
      b.pragma('synchronous = OFF');
      const n = b.prepare('SELECT count(*) FROM probe').pluck().get();
      result =
        n === 1
          ? { ok: true, walUnusable: false }
          : { ok: false, code: 'WAL_MISMATCH', message: 'a second connection did not see the write', walUnusable: true };
    }
  } catch (err) {
    const code = sqliteCode(err) ?? (err as { code?: string }).code ?? 'UNKNOWN';
    result = { ok: false, code, message: errorMessage(err), walUnusable: WAL_UNUSABLE_CODES.has(code) };
  } finally {
    try {
      b?.close();
    } catch {
      // scratch connection
    }
    try {
      a?.close();
    } catch {
      // scratch connection
    }
    try {
      removeScratch();
    } catch {
      // an unwritable dir already failed the probe
    }
  }
  probeCache.set(dir, result);
  return result;
}

/** Reads the journal mode recorded in a database file's header (bytes 18–19 are 2 for WAL). */
export function headerJournalMode(file: string): JournalMode | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(20);
    const n = fs.readSync(fd, buf, 0, 20, 0);
    if (n < 20 || buf.toString('latin1', 0, 15) !== 'SQLite format 3') return undefined;
    return buf[18] === 2 ? 'wal' : 'delete';
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Convert a WAL database to rollback mode on a filesystem without shared mmap. locking_mode=EXCLUSIVE before
 * the first access makes SQLite use heap memory for the WAL index, so the -wal is replayed and checkpointed,
 * not discarded (E11b).
 */
export function convertWalToDelete(file: string): void {
  const conn = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    conn.pragma('locking_mode = EXCLUSIVE');
    const mode = conn.pragma('journal_mode = DELETE', { simple: true });
    if (mode !== 'delete') throw new Error(`journal_mode=DELETE answered "${String(mode)}"`);
  } finally {
    conn.close();
  }
}

export interface OpenOptions {
  name: DbName;
  logger?: Logger;
  /** Force a mode instead of probing (tests, repair). */
  journalMode?: JournalMode;
  /** Open read-only (doctor checks, backups verification). */
  readonly?: boolean;
  /** Do not create the file if it is missing. */
  mustExist?: boolean;
}

/** What another thread needs to open the same database file the same way (a worker's own connection). */
export interface DbRef {
  file: string;
  name: DbName;
  journalMode: JournalMode;
}

/**
 * Turn-taking between connections of one process (the server's and an import worker's): `enter` runs before a
 * write transaction begins, `leave` after it ends, committed or not. See src/db/write-turns.ts.
 */
export interface WriteGate {
  enter(): void;
  leave(): void;
}

/** The write refusals that don't heal by retrying (read-only files, damaged pages). */
const LASTING_REFUSALS = new Set(['TL_DB_READONLY', 'TL_DB_DIR_NOT_WRITABLE', 'TL_DB_CORRUPT']);

/**
 * A database handle: the better-sqlite3 connection for reads, `write()` for every change. Repositories take a
 * `Db` as an argument; nothing opens a database at import time.
 */
export class Db {
  /** When set, writes are refused with this error (the doctor found the database degraded). */
  private writeRefusal: AppError | undefined;
  private closed = false;
  private gate: WriteGate | undefined;

  constructor(
    readonly conn: Database.Database,
    readonly file: string,
    readonly name: DbName,
    readonly journalMode: JournalMode,
    readonly fallback: WalProbeResult | undefined,
    private readonly logger: Logger | undefined,
  ) {}

  /** Run `fn` in one BEGIN IMMEDIATE transaction. Storage faults come back as AppErrors that name the fix. */
  write<T>(fn: () => T): T {
    if (this.writeRefusal) throw this.writeRefusal;
    // a nested write joins the transaction already open (better-sqlite3 makes it a savepoint): no second turn
    const gate = this.conn.inTransaction ? undefined : this.gate;
    gate?.enter();
    try {
      return this.conn.transaction(fn).immediate();
    } catch (err) {
      throw this.translate(err);
    } finally {
      gate?.leave();
    }
  }

  /** Take turns with the process's other connection to this file before each write transaction. */
  setWriteGate(gate: WriteGate | undefined): void {
    this.gate = gate;
  }

  /** What a worker thread needs to open this database file with its own connection. */
  ref(): DbRef {
    return { file: this.file, name: this.name, journalMode: this.journalMode };
  }

  /**
   * A storage fault seen by another connection to this file (an import worker's): writes are refused from now on
   * when it is one that does not heal by retrying, as if this connection had met it.
   */
  noteFault(err: AppError): void {
    if (LASTING_REFUSALS.has(err.code) && !this.writeRefusal) this.writeRefusal = err;
  }

  /** Run a read; storage faults come back as AppErrors. */
  read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw this.translate(err);
    }
  }

  /** Refuse writes from now on (degraded start, or a read-only fault seen at run time). */
  refuseWrites(reason: AppError | undefined): void {
    this.writeRefusal = reason;
  }

  get writeRefused(): AppError | undefined {
    return this.writeRefusal;
  }

  private translate(err: unknown): unknown {
    const app = translateSqliteError(err, this.file);
    if (!app) return err;
    this.logger?.error({ sqliteCode: sqliteCode(err), db: this.name, file: this.file }, app.message);
    // Read-only files and damaged pages don't heal by retrying: refuse further writes (health turns degraded) and
    // keep serving reads. A full disk or a busy lock does heal, so those are left to the next attempt.
    if (LASTING_REFUSALS.has(app.code) && !this.writeRefusal) this.writeRefusal = app;
    return app;
  }

  /** PRAGMA wal_checkpoint(TRUNCATE); returns SQLite's [busy, log, checkpointed] row or undefined in DELETE mode. */
  checkpoint(): { busy: number; log: number; checkpointed: number } | undefined {
    if (this.journalMode !== 'wal' || this.closed) return undefined;
    const row = this.conn.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
    return row[0];
  }

  /** Checkpoint and close. Never throws: shutdown must finish. */
  close(): void {
    if (this.closed) return;
    try {
      if (!this.conn.readonly) this.checkpoint();
    } catch (err) {
      this.logger?.warn({ sqliteCode: sqliteCode(err), file: this.file }, `checkpoint on close failed: ${errorMessage(err)}`);
    }
    try {
      this.conn.close();
    } catch (err) {
      this.logger?.warn({ sqliteCode: sqliteCode(err), file: this.file }, `close failed: ${errorMessage(err)}`);
    }
    this.closed = true;
  }

  get isOpen(): boolean {
    return !this.closed && this.conn.open;
  }
}

function applyPragmas(conn: Database.Database, readonly: boolean): void {
  conn.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  conn.pragma('foreign_keys = ON');
  if (!readonly) {
    conn.pragma('synchronous = FULL');
    conn.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    conn.pragma('wal_autocheckpoint = 1000');
  }
}

/**
 * Open (creating if needed) a database file with the project's pragmas. Throws an AppError naming the cause and
 * the fix when the file can't be opened.
 */
export function openDb(file: string, options: OpenOptions): Db {
  const dir = path.dirname(file);
  const log = options.logger;
  if (!options.mustExist && !options.readonly) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
    } catch (err) {
      throw new AppError('TL_DB_CANTOPEN', `Cannot create the directory ${dir}: ${errorMessage(err)}`, {
        remedy: `Create ${dir} as the user that runs tradelog (uid ${process.getuid?.()}), or fix the parent directory's owner.`,
        details: { path: dir },
        cause: err,
      });
    }
  }
  if ((options.mustExist || options.readonly) && !fs.existsSync(file)) {
    throw new AppError('TL_DB_MISSING', `Database ${file} does not exist.`, {
      remedy: 'Check --data-dir / TRADELOG_DATA_DIR; run "tradelog migrate" to create a new, empty database.',
      details: { path: file },
    });
  }

  let wanted: JournalMode;
  let probe: WalProbeResult | undefined;
  if (options.journalMode) {
    wanted = options.journalMode;
  } else if (options.readonly) {
    wanted = headerJournalMode(file) ?? 'delete';
  } else {
    probe = probeWal(dir);
    wanted = probe.ok || !probe.walUnusable ? 'wal' : 'delete';
  }

  try {
    if (wanted === 'delete' && !options.readonly && headerJournalMode(file) === 'wal') {
      log?.warn({ file, probe }, 'WAL cannot work on this filesystem: converting the database to rollback-journal mode');
      convertWalToDelete(file);
    }
    const conn = new Database(file, {
      timeout: BUSY_TIMEOUT_MS,
      readonly: options.readonly ?? false,
      fileMustExist: options.mustExist ?? options.readonly ?? false,
    });
    try {
      applyPragmas(conn, options.readonly ?? false);
      let mode: JournalMode = wanted;
      let refusal: AppError | undefined;
      if (!options.readonly) {
        let got: string;
        try {
          got = String(conn.pragma(`journal_mode = ${wanted.toUpperCase()}`, { simple: true }));
        } catch (err) {
          // A rollback-mode file in an unwritable directory, or a read-only file, refuses the switch with
          // SQLITE_READONLY* although reads work (storage-reliability.md rows 5, 7): open it in the mode it has and
          // refuse writes. If even the plain query fails (a WAL file in an unwritable directory), nothing is readable.
          if (!sqliteCode(err)?.startsWith('SQLITE_READONLY')) throw err;
          got = String(conn.pragma('journal_mode', { simple: true }));
          refusal = translateSqliteError(err, file);
          log?.warn({ file, sqliteCode: sqliteCode(err) }, `database opened read-only: ${refusal?.message ?? errorMessage(err)}`);
        }
        mode = got === 'wal' ? 'wal' : 'delete';
        if (got !== wanted && !refusal) log?.warn({ file, wanted, got }, 'journal_mode was not what was asked for');
      } else {
        mode = String(conn.pragma('journal_mode', { simple: true })) === 'wal' ? 'wal' : 'delete';
      }
      const db = new Db(conn, file, options.name, mode, probe && !probe.ok ? probe : undefined, log);
      if (refusal) db.refuseWrites(refusal);
      return db;
    } catch (err) {
      conn.close();
      throw err;
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    const app = translateSqliteError(err, file);
    if (app) {
      log?.error({ sqliteCode: sqliteCode(err), file }, app.message);
      throw app;
    }
    if (err instanceof TypeError || (err as { code?: string }).code === undefined) {
      throw new AppError('TL_DB_CANTOPEN', `Cannot open ${file}: ${errorMessage(err)}`, {
        remedy: `Check that ${dir} exists and belongs to uid ${process.getuid?.()}.`,
        details: { path: file },
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * Open a database another thread of this process already opened (`Db.ref()`), with its own connection: same file,
 * same pragmas, the journal mode the first connection settled on (no second WAL probe). The file must exist.
 */
export function openDbRef(ref: DbRef, logger?: Logger): Db {
  return openDb(ref.file, { name: ref.name, journalMode: ref.journalMode, mustExist: true, ...(logger ? { logger } : {}) });
}
