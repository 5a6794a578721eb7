import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError, errorMessage, sqliteCode, systemCode } from '../errors.js';
import { findHolders } from './holders.js';
import type { Db, DbName } from './open.js';
import { type BackupEntry, type BackupKind, backupsToDelete, DEFAULT_RETENTION, type RetentionRule } from './retention.js';

/**
 * Online, verified backups (storage-reliability.md §(c) "Online backups"):
 * 1. row counts of every table are read just before the snapshot;
 * 2. `VACUUM INTO` a hidden temp file in backups/ (one consistent read transaction; never the 100-pages-per-step
 *    backup() default, which restarted 3,182 times against a live writer, E6b);
 * 3. the copy is opened read-only and must pass integrity_check, have the same user_version, and have at least
 *    the counted rows in every table (exactly as many when writes are paused, e.g. before a migration);
 * 4. fsync, then an atomic rename to `<db>-<UTC timestamp>-<kind>.db`, then fsync of the directory.
 * A file in backups/ with that name is therefore always a verified backup.
 */
export interface BackupResult {
  file: string;
  bytes: number;
  verified: boolean;
  createdAt: string;
  schemaVersion: number;
  db: DbName;
  kind: BackupKind;
}

const NAME_RE = /^(journal|market)-(\d{8}T\d{6}(?:\d{3})?Z)-(daily|manual|pre-migration)\.db$/;

function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d{3})Z$/, '$1Z');
}

function parseStamp(s: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})?Z$/.exec(s);
  if (!m) return new Date(Number.NaN);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7] ?? '000'}Z`);
}

export function tableCounts(conn: Database.Database): Record<string, number> {
  const tables = conn
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  const counts: Record<string, number> = {};
  for (const t of tables) {
    counts[t] = conn
      .prepare(`SELECT count(*) FROM "${t.replace(/"/g, '""')}"`)
      .pluck()
      .get() as number;
  }
  return counts;
}

/** Reads user_version from the file header (offset 60, big-endian) without opening a connection. */
export function headerUserVersion(file: string): number | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(64);
    if (fs.readSync(fd, buf, 0, 64, 0) < 64) return undefined;
    return buf.readUInt32BE(60);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export interface VerifyOutcome {
  ok: boolean;
  problems: string[];
  counts: Record<string, number>;
  userVersion: number;
}

/** Open `file` read-only and check integrity, user_version and row counts against `expect`. */
export function verifyCopy(
  file: string,
  expect: { userVersion?: number; counts?: Record<string, number>; exactCounts?: boolean },
): VerifyOutcome {
  const problems: string[] = [];
  let conn: Database.Database | undefined;
  try {
    conn = new Database(file, { readonly: true, fileMustExist: true });
    const integrity = conn.pragma('integrity_check', { simple: false }) as { integrity_check: string }[];
    const lines = integrity.map((r) => r.integrity_check);
    if (lines.length !== 1 || lines[0] !== 'ok') problems.push(`integrity_check: ${lines.slice(0, 5).join('; ')}`);
    const fk = conn.pragma('foreign_key_check') as unknown[];
    if (fk.length > 0) problems.push(`foreign_key_check: ${fk.length} violation(s)`);
    const userVersion = conn.pragma('user_version', { simple: true }) as number;
    if (expect.userVersion !== undefined && userVersion !== expect.userVersion) {
      problems.push(`user_version ${userVersion}, expected ${expect.userVersion}`);
    }
    const counts = tableCounts(conn);
    for (const [table, n] of Object.entries(expect.counts ?? {})) {
      const got = counts[table];
      if (got === undefined) problems.push(`table ${table} missing`);
      else if (expect.exactCounts ? got !== n : got < n) {
        problems.push(`table ${table} has ${got} rows, expected ${expect.exactCounts ? '' : 'at least '}${n}`);
      }
    }
    return { ok: problems.length === 0, problems, counts, userVersion };
  } catch (err) {
    problems.push(`cannot open: ${sqliteCode(err) ?? ''} ${errorMessage(err)}`.trim());
    return { ok: false, problems, counts: {}, userVersion: -1 };
  } finally {
    conn?.close();
  }
}

function fsyncPath(p: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(p, 'r');
    fs.fsyncSync(fd);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export interface BackupOptions {
  backupsDir: string;
  kind: BackupKind;
  /** Writes are paused (pre-migration): counts must match exactly. */
  exactCounts?: boolean;
  now?: Date;
}

export function backupDatabase(db: Db, options: BackupOptions): BackupResult {
  const now = options.now ?? new Date();
  fs.mkdirSync(options.backupsDir, { recursive: true, mode: 0o750 });
  const finalName = `${db.name}-${stamp(now)}-${options.kind}.db`;
  const finalPath = path.join(options.backupsDir, finalName);
  const tmp = path.join(options.backupsDir, `.tmp-${finalName}`);
  fs.rmSync(tmp, { force: true });
  const before = db.read(() => ({
    counts: tableCounts(db.conn),
    userVersion: db.conn.pragma('user_version', { simple: true }) as number,
  }));
  try {
    db.read(() => db.conn.prepare('VACUUM INTO ?').run(tmp));
    const check = verifyCopy(tmp, { userVersion: before.userVersion, counts: before.counts, exactCounts: options.exactCounts ?? false });
    if (!check.ok) {
      throw new AppError('TL_BACKUP_VERIFY_FAILED', `The backup copy of ${db.file} failed verification: ${check.problems.join('; ')}`, {
        remedy: 'Run "tradelog doctor" to check the live database; the unverified copy was removed and no older backup was touched.',
        details: { problems: check.problems },
      });
    }
    fsyncPath(tmp);
    fs.renameSync(tmp, finalPath);
    fsyncPath(options.backupsDir);
    return {
      file: finalPath,
      bytes: fs.statSync(finalPath).size,
      verified: true,
      createdAt: now.toISOString(),
      schemaVersion: before.userVersion,
      db: db.name,
      kind: options.kind,
    };
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    if (err instanceof AppError) throw err;
    throw new AppError('TL_BACKUP_FAILED', `Backup of ${db.file} failed: ${sqliteCode(err) ?? ''} ${errorMessage(err)}`, {
      remedy: `Check free space and that ${options.backupsDir} is writable by uid ${process.getuid?.()}; "tradelog doctor" names the cause.`,
      details: { sqliteCode: sqliteCode(err), backupsDir: options.backupsDir },
      cause: err,
    });
  }
}

export interface ListedBackup {
  file: string;
  createdAt: string;
  bytes: number;
  schemaVersion: number;
  db: DbName;
  kind: BackupKind;
}

/** Backups in `dir`, newest first. */
export function listBackups(dir: string): ListedBackup[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: ListedBackup[] = [];
  for (const name of names) {
    const m = NAME_RE.exec(name);
    if (!m) continue;
    const file = path.join(dir, name);
    let bytes = 0;
    try {
      bytes = fs.statSync(file).size;
    } catch {
      continue;
    }
    out.push({
      file,
      createdAt: parseStamp(m[2] as string).toISOString(),
      bytes,
      schemaVersion: headerUserVersion(file) ?? 0,
      db: m[1] as DbName,
      kind: m[3] as BackupKind,
    });
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.file.localeCompare(a.file));
}

/** Delete what the retention rule lets go. Returns the deleted paths. */
export function pruneBackups(dir: string, rule: RetentionRule = DEFAULT_RETENTION): string[] {
  const entries: BackupEntry[] = listBackups(dir).map((b) => ({
    file: b.file,
    db: b.db,
    kind: b.kind,
    createdAt: new Date(b.createdAt),
    schemaVersion: b.schemaVersion,
  }));
  const doomed = backupsToDelete(entries, rule);
  for (const f of doomed) fs.rmSync(f, { force: true });
  return doomed;
}

export interface RestoreResult {
  restored: string;
  into: string;
  quarantined: string[];
}

/**
 * Restore a backup over `target`: refuse while any process holds the database, verify the backup, move the
 * current db, -wal, -shm and -journal together into quarantine/ (never delete them, never leave a -wal to be
 * replayed over the restored copy, E4d), then move it in place with an atomic rename. The backup is copied to a temp
 * file beside the target before anything is moved, so a copy that fails leaves the current files untouched.
 */
export function restoreBackup(backupFile: string, target: string, quarantineDir: string, now = new Date()): RestoreResult {
  if (!fs.existsSync(backupFile)) {
    throw new AppError('TL_BACKUP_NOT_FOUND', `Backup ${backupFile} does not exist.`, {
      remedy: 'List backups with "tradelog backups" and pass one of the files it shows.',
      details: { path: backupFile },
    });
  }
  const holders = findHolders(target);
  if (holders.held) {
    throw new AppError('TL_DB_IN_USE', `Another process is using ${target}; restoring now would split the database.`, {
      status: 409,
      remedy:
        'Stop the app and every other process using the data directory (docker stop, exec shells, scripts), then run the restore again.',
      details: { evidence: holders.evidence },
    });
  }
  const check = verifyCopy(backupFile, {});
  if (!check.ok) {
    throw new AppError('TL_BACKUP_VERIFY_FAILED', `Backup ${backupFile} failed verification: ${check.problems.join('; ')}`, {
      status: 422,
      remedy: 'Choose another backup from "tradelog backups"; nothing was changed.',
      details: { problems: check.problems },
    });
  }
  // The copy comes first: a full disk or an unwritable db/ fails it while the current files are still in place.
  const tmp = `${target}.restore-tmp`;
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o750 });
    fs.copyFileSync(backupFile, tmp);
    fsyncPath(tmp);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new AppError(
      'TL_BACKUP_RESTORE_FAILED',
      `Could not copy ${backupFile} beside ${target} (${systemCode(err) ?? 'error'}: ${errorMessage(err)}).`,
      {
        remedy: `Nothing was changed. Free space on the filesystem holding ${path.dirname(target)} and check that it is writable by uid ${process.getuid?.()}, then run the restore again.`,
        details: { path: target, backup: backupFile },
        cause: err,
      },
    );
  }
  const qdir = path.join(quarantineDir, `restore-${stamp(now)}`);
  const quarantined: string[] = [];
  const sidecars = [target, `${target}-wal`, `${target}-shm`, `${target}-journal`].filter((f) => fs.existsSync(f));
  if (sidecars.length > 0) fs.mkdirSync(qdir, { recursive: true, mode: 0o750 });
  for (const f of sidecars) {
    const dest = path.join(qdir, path.basename(f));
    fs.renameSync(f, dest);
    quarantined.push(dest);
  }
  fs.renameSync(tmp, target);
  fsyncPath(path.dirname(target));
  return { restored: backupFile, into: target, quarantined };
}
