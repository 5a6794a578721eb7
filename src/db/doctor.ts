import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { DataPaths } from '../config.js';
import { AppError, type ErrorCode, errorMessage, sqliteCode } from '../errors.js';
import { type LogFileStatus, preflightLogFile } from '../log.js';
import {
  canAccess,
  currentUser,
  describeStat,
  formatBytes,
  freeBytes,
  isRiskyFilesystem,
  modeString,
  mountFor,
  nearestExisting,
  type Who,
} from './fs-info.js';
import { findHolders, type HolderReport } from './holders.js';
import { loadMigrations } from './migrate.js';
import { type DbName, headerJournalMode, probeWal, type WalProbeResult } from './open.js';
import { translateSqliteError } from './sqlite-errors.js';

/**
 * The start-up self-check of storage-reliability.md §(c) ("doctor"), run by `tradelog doctor`, before `serve`
 * opens the databases, and behind /health.
 *
 * Order matters: everything that only looks (identity, filesystem, file owners and modes, stray sidecars, free
 * space) runs first and reports what it saw; then the WAL probe on a scratch file, the exclusivity probe, and only
 * then a real connection (quick_check, a real write probe, foreign_key_check). It never deletes a file and never
 * changes a mode; `--repair` (repair.ts) does the safe fixes.
 *
 * Severity → status: any `fatal` finding → fatal (nothing can be served); any `degraded` → degraded (reads work,
 * writes are refused); `warn`/`info` leave the status ok.
 */
export type Severity = 'info' | 'warn' | 'degraded' | 'fatal';
export type DoctorStatus = 'ok' | 'degraded' | 'fatal';

export interface Finding {
  code: ErrorCode;
  severity: Severity;
  message: string;
  remedy: string;
  path?: string;
}

export interface RepairAction {
  code: ErrorCode;
  description: string;
  path?: string;
  /** False when the step was attempted and failed (the description says why). */
  ok: boolean;
}

export interface FileState {
  path: string;
  uid: number;
  gid: number;
  mode: string;
  bytes: number;
}

export interface DatabaseState {
  name: DbName;
  file: string;
  exists: boolean;
  /** Journal mode recorded in the file (header), or what the connection reported. */
  journalMode: 'wal' | 'delete' | null;
  bytes: number;
  walBytes: number;
  userVersion: number | null;
  latestVersion: number;
  files: FileState[];
  integrity: string | null;
  writable: boolean | null;
  holders: string[];
}

export interface CheckRecord {
  name: string;
  ok: boolean;
  ms: number;
  detail?: string;
}

export interface DoctorReport {
  status: DoctorStatus;
  /** journal.db's journal mode (null when it does not exist or can't be read). */
  journalMode: 'wal' | 'delete' | null;
  findings: Finding[];
  actions: RepairAction[];
  checkedAt: string;
  durationMs: number;
  identity: {
    uid: number;
    gid: number;
    /** Whose access the checks judged: this process, or (running as root) the app's user. */
    appUser: Who & { source: OwnerSource };
    dataDir: string;
    dataDirOwner: string;
  };
  filesystem: { type: string; mountPoint: string; source: string; risky: boolean } | null;
  disk: { free: number; total: number; needed: number } | null;
  walProbe: WalProbeResult | null;
  databases: DatabaseState[];
  checks: CheckRecord[];
  repair?: { before: DoctorStatus; refused?: string[] };
}

export type OwnerSource = 'process' | '--owner' | 'PUID/PGID' | 'data dir owner' | 'default';

export interface DoctorOptions {
  /** TRADELOG_LOG_FILE, when file logging is on. */
  logFile?: string | undefined;
  /** The running logger's state (serve): a file that failed after start is reported too. */
  logStatus?: LogFileStatus | undefined;
  /** Full integrity_check instead of quick_check (slower: about 3.5× on a 100 MB file). */
  fullIntegrity?: boolean;
  /**
   * Databases whose quick_check the caller runs later (serve: market.db, which holds re-downloadable bars and can be
   * hundreds of MB, is checked right after the server answers; see startup.ts). Every other check still runs.
   */
  deferIntegrity?: DbName[];
  /** --owner UID:GID (only meaningful as root). */
  owner?: Who | undefined;
  /** Where PUID/PGID are read from; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Skip the exclusivity probe and /proc scan (the caller already holds the database open). */
  skipHolders?: boolean;
  /** Latest known schema version per database (default: the migrations shipped with this build). */
  latestVersions?: Partial<Record<DbName, number>>;
}

const SIDECARS = ['-wal', '-shm', '-journal'] as const;
/** A -wal this long or shorter holds no frames: 0 bytes or only its 32-byte header. */
export const WAL_HEADER_BYTES = 32;
const FREE_SPACE_MARGIN = 32 * 1024 * 1024;
const SEVERITY_RANK: Record<Severity, number> = { info: 0, warn: 1, degraded: 2, fatal: 3 };

export function statusOf(findings: readonly Finding[]): DoctorStatus {
  const worst = Math.max(0, ...findings.map((f) => SEVERITY_RANK[f.severity]));
  return worst >= 3 ? 'fatal' : worst === 2 ? 'degraded' : 'ok';
}

export function exitCodeFor(status: DoctorStatus): 0 | 1 | 2 {
  return status === 'ok' ? 0 : status === 'degraded' ? 1 : 2;
}

/** Parse `UID:GID` (or `UID`, gid = uid). */
export function parseOwner(text: string): Who | undefined {
  const m = /^(\d+)(?::(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const uid = Number(m[1]);
  return { uid, gid: m[2] === undefined ? uid : Number(m[2]) };
}

/**
 * Whose access the checks judge, and whom `--repair` gives the files to. Not root: this process. Root: `--owner`,
 * else PUID/PGID, else the data directory's owner (storage-reliability.md §(c) "Ownership").
 */
export function resolveAppUser(dataDir: string, owner?: Who, env: NodeJS.ProcessEnv = process.env): Who & { source: OwnerSource } {
  const me = currentUser();
  if (me.uid !== 0) return { ...me, source: 'process' };
  if (owner) return { ...owner, source: '--owner' };
  const puid = env.PUID?.trim();
  if (puid && /^\d+$/.test(puid)) {
    const pgid = env.PGID?.trim();
    return { uid: Number(puid), gid: pgid && /^\d+$/.test(pgid) ? Number(pgid) : Number(puid), source: 'PUID/PGID' };
  }
  try {
    const st = fs.statSync(dataDir);
    return { uid: st.uid, gid: st.gid, source: 'data dir owner' };
  } catch {
    return { ...me, source: 'default' };
  }
}

function statFile(p: string): FileState | undefined {
  try {
    const st = fs.lstatSync(p);
    return { path: p, uid: st.uid, gid: st.gid, mode: modeString(st.mode), bytes: st.size };
  } catch {
    return undefined;
  }
}

/** Size of `p`, 0 when it does not exist. */
export function fileSize(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0;
  }
}

/** Collects findings, merging repeats of the same code and path (keeping the worse severity). */
class Findings {
  readonly list: Finding[] = [];

  add(f: Finding): void {
    const same = this.list.find((x) => x.code === f.code && x.path === f.path);
    if (!same) {
      this.list.push(f);
      return;
    }
    if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[same.severity]) {
      same.severity = f.severity;
      same.message = f.message;
      same.remedy = f.remedy;
    }
  }

  fromError(err: AppError, severity: Severity, file: string): void {
    // Directory-level faults are reported once per directory, however many files tripped on them; a read-only
    // database already reported file by file (owner, mode) is not reported again by the failed write.
    const dirLevel = err.code === 'TL_DB_DIR_NOT_WRITABLE' || err.code === 'TL_DB_DISK_FULL';
    const p = dirLevel ? path.dirname(file) : file;
    const related = this.list.filter((f) => f.code === err.code && (f.path === p || f.path?.startsWith(`${file}-`)));
    if (related.length > 0) {
      for (const f of related) if (SEVERITY_RANK[severity] > SEVERITY_RANK[f.severity]) f.severity = severity;
      return;
    }
    this.add({ code: err.code, severity, message: err.message, remedy: err.remedy, path: p });
  }
}

function chownHint(who: Who, target: string, recursive = false): string {
  return `chown ${recursive ? '-R ' : ''}${who.uid}:${who.gid} ${target}`;
}

interface Ctx {
  paths: DataPaths;
  who: Who & { source: OwnerSource };
  me: Who;
  findings: Findings;
  checks: CheckRecord[];
}

function timed<T>(ctx: Ctx, name: string, fn: () => T, detail?: (r: T) => string | undefined): T {
  const t0 = performance.now();
  const before = ctx.findings.list.length;
  const r = fn();
  const added = ctx.findings.list.slice(before);
  const d = detail?.(r);
  ctx.checks.push({
    name,
    ok: added.every((f) => f.severity === 'info'),
    ms: Math.round((performance.now() - t0) * 10) / 10,
    ...(d ? { detail: d } : {}),
  });
  return r;
}

function userLabel(ctx: Ctx): string {
  const { who } = ctx;
  return who.source === 'process' ? `uid ${who.uid}` : `uid ${who.uid} (the app's user, from ${who.source})`;
}

function fixOwnerRemedy(ctx: Ctx, target: string, recursive = false): string {
  const owner = `${ctx.who.uid}:${ctx.who.gid}`;
  return `Stop every process using the data directory, then as root run: ${chownHint(ctx.who, target, recursive)}  (or "tradelog doctor --repair --owner ${owner}" as root). Never chmod 777.`;
}

// 1. Identity: who runs, who owns the data directory, may this user create files in it.
function checkIdentity(ctx: Ctx): void {
  const { paths, who } = ctx;
  for (const dir of [paths.dataDir, paths.dbDir]) {
    if (!fs.existsSync(dir)) continue;
    if (!fs.statSync(dir).isDirectory()) {
      ctx.findings.add({
        code: 'TL_DB_CANTOPEN',
        severity: 'fatal',
        message: `${dir} is not a directory (${describeStat(dir)}).`,
        remedy: `Move ${dir} aside and let tradelog create the directory, or point --data-dir/TRADELOG_DATA_DIR elsewhere.`,
        path: dir,
      });
      return;
    }
  }
  // The directory that must be writable: db/ when it exists, else the nearest existing ancestor that tradelog
  // would create it in.
  const dir = fs.existsSync(paths.dbDir) ? paths.dbDir : nearestExisting(paths.dbDir);
  if (canAccess(dir, who, fs.constants.W_OK | fs.constants.X_OK)) {
    if (ctx.me.uid === 0 && who.uid !== 0) {
      // Root can write anywhere; say so only when root is not whom the files should belong to.
      const st = fs.statSync(dir);
      if (st.uid !== who.uid) {
        ctx.findings.add({
          code: 'TL_DB_FOREIGN_OWNER',
          severity: 'warn',
          message: `${dir} is owned by uid ${st.uid} (mode ${modeString(st.mode)}), not by ${userLabel(ctx)}.`,
          remedy: fixOwnerRemedy(ctx, paths.dataDir, true),
          path: dir,
        });
      }
    }
    return;
  }
  // Not writable: how bad depends on each database's state (storage-reliability.md rows 4–6, 8).
  let severity: Severity = 'warn';
  const effects: string[] = [];
  for (const [name, file] of [
    ['journal', paths.journalDb],
    ['market', paths.marketDb],
  ] as const) {
    if (!fs.existsSync(file)) {
      severity = 'fatal';
      effects.push(`${name}.db can't be created`);
      continue;
    }
    const mode = headerJournalMode(file);
    if (mode === 'wal') {
      const sidecarsUsable = ['-wal', '-shm'].every(
        (s) => fs.existsSync(`${file}${s}`) && canAccess(`${file}${s}`, who, fs.constants.R_OK | fs.constants.W_OK),
      );
      if (!sidecarsUsable) {
        severity = 'fatal';
        effects.push(`${name}.db is in WAL mode: not even reads work`);
      } else effects.push(`${name}.db works only through its existing -wal/-shm files, which can never be removed`);
    } else {
      if (severity !== 'fatal') severity = 'degraded';
      effects.push(`${name}.db can be read but not changed`);
    }
  }
  ctx.findings.add({
    code: 'TL_DB_DIR_NOT_WRITABLE',
    severity,
    message: `The data directory ${dir} (${describeStat(dir)}) is not writable by ${userLabel(ctx)}. SQLite must create -wal/-shm/-journal files there: ${effects.join('; ')}.`,
    remedy: fixOwnerRemedy(ctx, paths.dataDir, true),
    path: dir,
  });
}

// 1b. backups/ must take the daily and pre-migration backups.
function checkBackupsDir(ctx: Ctx): void {
  const dir = ctx.paths.backupsDir;
  if (!fs.existsSync(dir) || canAccess(dir, ctx.who, fs.constants.W_OK | fs.constants.X_OK)) return;
  ctx.findings.add({
    code: 'TL_BACKUP_DIR_NOT_WRITABLE',
    severity: 'warn',
    message: `${dir} (${describeStat(dir)}) is not writable by ${userLabel(ctx)}: daily and pre-migration backups will fail.`,
    remedy: fixOwnerRemedy(ctx, dir, true),
    path: dir,
  });
}

// 2. Filesystem type: warn on network/FUSE/VM-shared filesystems even when the WAL probe passes.
function checkFilesystem(ctx: Ctx): DoctorReport['filesystem'] {
  const m = mountFor(ctx.paths.dbDir);
  if (!m) return null;
  const risky = isRiskyFilesystem(m.fsType);
  if (risky) {
    ctx.findings.add({
      code: 'TL_DB_RISKY_FILESYSTEM',
      severity: 'warn',
      message: `The data directory is on a ${m.fsType} filesystem (${m.source} mounted at ${m.mountPoint}). SQLite's WAL mode needs shared memory and working locks, which network, FUSE and VM file-sharing filesystems break: databases on such mounts have been corrupted over days of use.`,
      remedy:
        'Put the data directory on a local disk or a Docker named volume (docker volume create tradelog-data; -v tradelog-data:/app/data).',
      path: m.mountPoint,
    });
  }
  return { type: m.fsType, mountPoint: m.mountPoint, source: m.source, risky };
}

// 3. The database files and their sidecars: owner, mode, access for the app's user; pending recovery.
function checkFiles(ctx: Ctx, name: DbName, file: string): FileState[] {
  const states: FileState[] = [];
  for (const suffix of ['', ...SIDECARS]) {
    const p = `${file}${suffix}`;
    const st = statFile(p);
    if (!st) continue;
    states.push(st);
    const lst = fs.lstatSync(p);
    if (!lst.isFile()) {
      ctx.findings.add({
        code: 'TL_DB_CANTOPEN',
        severity: 'fatal',
        message: `${p} is not a regular file (${lst.isSymbolicLink() ? 'a symbolic link' : lst.isDirectory() ? 'a directory' : 'a special file'}).`,
        remedy: `Move ${p} aside (keep it) and put the real database file there.`,
        path: p,
      });
      continue;
    }
    const seen = `owned by uid ${st.uid} (gid ${st.gid}) with mode ${st.mode}`;
    const readable = canAccess(p, ctx.who, fs.constants.R_OK);
    const writable = canAccess(p, ctx.who, fs.constants.W_OK);
    if (suffix === '' && !readable) {
      ctx.findings.add({
        code: 'TL_DB_CANTOPEN',
        severity: 'fatal',
        message: `Cannot open ${p}: it is ${seen}, and the app runs as ${userLabel(ctx)}.`,
        remedy: fixOwnerRemedy(ctx, `${file}*`),
        path: p,
      });
    } else if (!writable || !readable) {
      ctx.findings.add({
        code: 'TL_DB_READONLY',
        severity: 'degraded',
        message: `Database ${name}.db is read-only: ${p} is ${seen}, and the app runs as ${userLabel(ctx)}. Reads work; changes are refused.`,
        remedy: `${fixOwnerRemedy(ctx, `${file}*`)} Never delete the -wal file: it may hold committed trades.`,
        path: p,
      });
    } else if (st.uid !== ctx.who.uid) {
      ctx.findings.add({
        code: 'TL_DB_FOREIGN_OWNER',
        severity: 'warn',
        message: `${p} is ${seen}, not owned by ${userLabel(ctx)}. It works only because its mode lets everyone write.`,
        remedy: fixOwnerRemedy(ctx, `${file}*`),
        path: p,
      });
    }
    if (writable && (lst.mode & 0o002) !== 0) {
      ctx.findings.add({
        code: 'TL_DB_MODE_TOO_OPEN',
        severity: 'warn',
        message: `${p} is world-writable (mode ${st.mode}): any local user can change or destroy the journal.`,
        remedy: `After fixing the owner, run: chmod 640 ${p}  (tradelog never needs 777).`,
        path: p,
      });
    }
    if ((suffix === '-wal' && st.bytes > WAL_HEADER_BYTES) || (suffix === '-journal' && st.bytes > 0)) {
      ctx.findings.add({
        code: 'TL_DB_RECOVERY_PENDING',
        severity: 'warn',
        message:
          suffix === '-wal'
            ? `${p} holds ${formatBytes(st.bytes)} of committed transactions that are not yet in ${name}.db (the last process did not close it cleanly). Recovery is pending: never delete this file.`
            : `${p} is a hot rollback journal (${formatBytes(st.bytes)}): an interrupted transaction that SQLite rolls back at the next open. Never delete it.`,
        remedy: `Run "tradelog doctor --repair" (or just start tradelog) as uid ${ctx.who.uid}: SQLite replays it into the database. Never delete it: that silently loses the transactions.`,
        path: p,
      });
    }
  }
  return states;
}

/** Sidecar files (`x-wal`, `x-shm`, `x-journal`) in `dirs` whose database `x` does not exist. */
export function findStraySidecars(dirs: readonly string[]): string[] {
  const out: string[] = [];
  for (const dir of new Set(dirs)) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const m = /^(.+)-(wal|shm|journal)$/.exec(e.name);
      if (!m || !(e.isFile() || e.isSymbolicLink())) continue;
      // A WAL probe of a running tradelog (its scratch database comes and goes within milliseconds).
      const probe = /^\.doctor-probe-(\d+)\.db$/.exec(m[1] as string);
      if (probe && isAlive(Number(probe[1]))) continue;
      if (!fs.existsSync(path.join(dir, m[1] as string))) out.push(path.join(dir, e.name));
    }
  }
  return out.sort();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

// 3b. Stray sidecars: the old app's futures_trades.db-wal/-shm, or the leftovers of a deleted database.
function checkStrays(ctx: Ctx): string[] {
  const strays = findStraySidecars([ctx.paths.dbDir, ctx.paths.dataDir]);
  const ours = new Set([ctx.paths.journalDb, ctx.paths.marketDb]);
  for (const p of strays) {
    const st = statFile(p);
    if (!st) continue;
    const base = p.replace(/-(wal|shm|journal)$/, '');
    const walData = p.endsWith('-wal') && st.bytes > WAL_HEADER_BYTES;
    const extra = ours.has(base)
      ? ` Creating ${path.basename(base)} beside it would ${canAccess(p, ctx.who, fs.constants.W_OK) ? 'make SQLite discard it' : 'make every write fail with SQLITE_READONLY'}; tradelog moves it to quarantine/ before it creates the database.`
      : '';
    ctx.findings.add({
      code: 'TL_DB_STRAY_SIDECAR',
      severity: 'warn',
      message: `Stray file ${p} (owner uid ${st.uid}, gid ${st.gid}, mode ${st.mode}, ${st.bytes} bytes) belongs to no database: ${path.basename(base)} does not exist.${walData ? ' It may hold the only copy of recent commits of a renamed database: keep it.' : ''}${extra}`,
      remedy: `Run "tradelog doctor --repair" to move it into ${ctx.paths.quarantineDir}/ (nothing is deleted). Never pair it with another database file.`,
      path: p,
    });
  }
  return strays;
}

// 4. Free space: at least twice the databases plus a margin; a full disk breaks even reads in WAL mode.
function checkFreeSpace(ctx: Ctx, dbBytes: number): DoctorReport['disk'] {
  const dir = nearestExisting(ctx.paths.dbDir);
  const space = freeBytes(dir);
  if (!space) return null;
  const needed = 2 * dbBytes + FREE_SPACE_MARGIN;
  if (space.free === 0) {
    ctx.findings.add({
      code: 'TL_DB_DISK_FULL',
      severity: 'degraded',
      message: `Disk full: 0 bytes left on ${dir} (${formatBytes(space.total)} filesystem); nothing can be saved.`,
      remedy: `Free space on the filesystem holding ${dir}: at least ${formatBytes(needed)} (twice the databases plus a margin).`,
      path: dir,
    });
  } else if (space.free < needed) {
    ctx.findings.add({
      code: 'TL_DB_DISK_LOW',
      severity: 'warn',
      message: `Only ${formatBytes(space.free)} free on ${dir}; the databases take ${formatBytes(dbBytes)} and checkpoints, backups and migrations need about ${formatBytes(needed)}.`,
      remedy: `Free space on the filesystem holding ${dir}, or move the data directory to a larger disk.`,
      path: dir,
    });
  }
  return { ...space, needed };
}

// 5. WAL probe on a scratch database in the same directory.
function checkWalProbe(ctx: Ctx, dbStates: { file: string; exists: boolean }[], fsType: string | undefined): WalProbeResult | null {
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

// 6. Exclusivity probe and /proc scan.
function checkHolders(ctx: Ctx, name: DbName, file: string): HolderReport {
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

function classify(err: unknown, step: 'open' | 'read' | 'write'): Severity {
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
function checkDatabase(
  ctx: Ctx,
  state: DatabaseState,
  probe: WalProbeResult | null,
  fs0: DoctorReport['filesystem'],
  fullIntegrity: boolean,
  deferIntegrity: boolean,
): void {
  const file = state.file;
  let conn: Database.Database | undefined;
  let step: 'open' | 'read' | 'write' = 'open';
  const report = (err: unknown) => {
    const app = translateSqliteError(err, file);
    const severity = classify(err, step);
    if (app) ctx.findings.fromError(app, severity, file);
    else {
      ctx.findings.add({
        code: 'TL_DB_CANTOPEN',
        severity,
        message: `Cannot ${step} ${file}: ${errorMessage(err)}`,
        remedy: `Check that ${path.dirname(file)} exists and belongs to uid ${ctx.who.uid}.`,
        path: file,
      });
    }
  };
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
    const rows = deferIntegrity
      ? [{ quick_check: 'deferred' }]
      : (conn.pragma(fullIntegrity ? 'integrity_check(20)' : 'quick_check(20)') as Record<string, string>[]);
    const lines = rows.map((r) => String(Object.values(r)[0]));
    state.integrity = lines.join('; ');
    if (!deferIntegrity && (lines.length !== 1 || lines[0] !== 'ok')) {
      ctx.findings.add({
        code: 'TL_DB_CORRUPT',
        severity: 'fatal',
        message: `The database ${file} is damaged: ${fullIntegrity ? 'integrity_check' : 'quick_check'} reported ${lines.slice(0, 3).join('; ')}${lines.length > 3 ? ` and ${lines.length - 3} more` : ''}.`,
        remedy:
          'Keep the files as they are. Stop the app, list backups with "tradelog backups" and restore the newest with "tradelog restore FILE --yes" (the damaged files are moved to quarantine/, not deleted).',
        path: file,
      });
      return;
    }
    const version = conn.pragma('user_version', { simple: true }) as number;
    state.userVersion = version;
    if (version > state.latestVersion) {
      ctx.findings.add({
        code: 'TL_DB_TOO_NEW',
        severity: 'fatal',
        message: `${file} has schema version ${version}, newer than this tradelog knows (${state.latestVersion}).`,
        remedy:
          'Run the newer tradelog version that wrote this database, or restore a backup made before the upgrade ("tradelog backups").',
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
    // A real write: the same value back into the header. Root-owned -shm/-wal/db files let every read through and
    // fail only here (E1, E15).
    step = 'write';
    conn.transaction(() => conn?.pragma(`user_version = ${version}`)).immediate();
    state.writable = true;
    step = 'read';
    const fk = conn.pragma('foreign_key_check') as { table: string; parent: string }[];
    if (fk.length > 0) {
      const tables = [...new Set(fk.map((r) => `${r.table} → ${r.parent}`))].slice(0, 5);
      ctx.findings.add({
        code: 'TL_DB_FOREIGN_KEY_VIOLATION',
        severity: 'warn',
        message: `${file} has ${fk.length} row(s) pointing at missing parents (${tables.join(', ')}).`,
        remedy: 'Rows were changed outside tradelog. Restore a backup ("tradelog backups") or re-import the affected files.',
        path: file,
      });
    }
  } catch (err) {
    if (step === 'write') state.writable = false;
    report(err);
  } finally {
    try {
      conn?.close();
    } catch {
      // doctor connection
    }
  }
}

// 8. Log destination.
function checkLog(ctx: Ctx, logFile: string | undefined, logStatus: LogFileStatus | undefined): void {
  const problems: string[] = [];
  if (logFile) {
    if (ctx.me.uid === ctx.who.uid) {
      const p = preflightLogFile(logFile);
      if (p) problems.push(`${p.code}: ${p.message}`);
    } else {
      // Root judging for the app's user: look, create nothing (a root-created log is the old app's failure).
      const target = fs.existsSync(logFile) ? logFile : nearestExisting(path.dirname(logFile));
      const want = target === logFile ? fs.constants.W_OK : fs.constants.W_OK | fs.constants.X_OK;
      if (!canAccess(target, ctx.who, want)) problems.push(`EACCES: ${target} (${describeStat(target)}) is not writable`);
    }
  }
  if (logStatus?.problem && logStatus.requested) {
    problems.push(`${logStatus.problem.code} at ${logStatus.problem.at}: ${logStatus.problem.message}`);
  }
  const file = logFile ?? logStatus?.requested;
  if (problems.length > 0 && file) {
    ctx.findings.add({
      code: 'TL_LOG_FILE_UNWRITABLE',
      severity: 'warn',
      message: `Log file ${file} can't be written by ${userLabel(ctx)} (${[...new Set(problems)].join('; ')}); logs go to the console (docker logs) instead.`,
      remedy: `Make ${path.dirname(file)} and ${file} owned by the app's user (${chownHint(ctx.who, `${path.dirname(file)} ${file}`)}), free space if the disk is full, or unset TRADELOG_LOG_FILE to log to stdout only.`,
      path: file,
    });
  }
}

function dbFilesFor(paths: DataPaths): [DbName, string][] {
  return [
    ['journal', paths.journalDb],
    ['market', paths.marketDb],
  ];
}

/** Run every check. Never throws for a storage fault: each becomes a finding. */
export function runDoctor(paths: DataPaths, options: DoctorOptions = {}): DoctorReport {
  const t0 = performance.now();
  const me = currentUser();
  const ctx: Ctx = {
    paths,
    me,
    who: resolveAppUser(paths.dataDir, options.owner, options.env ?? process.env),
    findings: new Findings(),
    checks: [],
  };

  timed(ctx, 'identity', () => checkIdentity(ctx));
  timed(ctx, 'backups dir', () => checkBackupsDir(ctx));
  const filesystem = timed(
    ctx,
    'filesystem',
    () => checkFilesystem(ctx),
    (r) => r?.type,
  );

  // Holders first (they decide whether a -wal is "pending recovery" or just in use); the probe itself opens
  // nothing when the database does not exist.
  const holders = new Map<DbName, HolderReport>();
  const databases: DatabaseState[] = [];
  const latest = (name: DbName) => options.latestVersions?.[name] ?? loadMigrations(name).length;
  for (const [name, file] of dbFilesFor(paths)) {
    const exists = fs.existsSync(file);
    databases.push({
      name,
      file,
      exists,
      journalMode: exists ? (headerJournalMode(file) ?? null) : null,
      bytes: fileSize(file),
      walBytes: fileSize(`${file}-wal`),
      userVersion: null,
      latestVersion: latest(name),
      files: [],
      integrity: null,
      writable: null,
      holders: [],
    });
  }
  for (const d of databases) {
    d.files = timed(ctx, `files ${d.name}`, () => checkFiles(ctx, d.name, d.file));
  }
  timed(
    ctx,
    'stray sidecars',
    () => checkStrays(ctx),
    (r) => (r.length ? r.join(', ') : undefined),
  );
  const dbBytes = databases.reduce((n, d) => n + d.files.reduce((m, f) => m + f.bytes, 0), 0);
  const disk = timed(ctx, 'free space', () => checkFreeSpace(ctx, dbBytes));
  const walProbe = timed(
    ctx,
    'wal probe',
    () => checkWalProbe(ctx, databases, filesystem?.type),
    (r) => (r ? (r.ok ? 'wal' : r.code) : 'skipped'),
  );

  for (const d of databases) {
    if (!d.exists) {
      const strayOwn = SIDECARS.some((s) => fs.existsSync(`${d.file}${s}`));
      if (!strayOwn) {
        ctx.findings.add({
          code: 'TL_DB_MISSING',
          severity: 'info',
          message: `${d.file} does not exist yet.`,
          remedy: 'Nothing to do: "tradelog serve" or "tradelog migrate" creates it.',
          path: d.file,
        });
      }
      continue;
    }
    if (!options.skipHolders) {
      const h = timed(
        ctx,
        `exclusivity ${d.name}`,
        () => checkHolders(ctx, d.name, d.file),
        (r) => (r.held ? r.evidence.join('; ') : undefined),
      );
      holders.set(d.name, h);
      d.holders = h.evidence;
      if (h.held) {
        // A -wal in use by a live process is normal: say so instead of "recovery pending".
        const pending = ctx.findings.list.find((f) => f.code === 'TL_DB_RECOVERY_PENDING' && f.path === `${d.file}-wal`);
        if (pending) {
          pending.severity = 'info';
          pending.message = `${d.file}-wal holds ${formatBytes(d.walBytes)} of changes of the process using the database (normal while it runs).`;
          pending.remedy = 'Nothing to do while it runs; tradelog checkpoints on its own and when it stops. Never delete the file.';
        }
      }
    }
    const hasFatal = ctx.findings.list.some((f) => f.severity === 'fatal' && (f.path === d.file || f.path === path.dirname(d.file)));
    if (hasFatal) continue;
    timed(
      ctx,
      `database ${d.name}`,
      () => checkDatabase(ctx, d, walProbe, filesystem, options.fullIntegrity ?? false, options.deferIntegrity?.includes(d.name) ?? false),
      () =>
        `${d.journalMode ?? '?'}, v${d.userVersion ?? '?'}, ${d.integrity ?? 'not checked'}, write ${d.writable === null ? 'not tried' : d.writable ? 'ok' : 'refused'}`,
    );
  }

  timed(ctx, 'log destination', () => checkLog(ctx, options.logFile, options.logStatus));

  const findings = ctx.findings.list.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  const dataDirOwner = describeStat(paths.dataDir);
  return {
    status: statusOf(findings),
    journalMode: databases[0]?.journalMode ?? null,
    findings,
    actions: [],
    checkedAt: new Date().toISOString(),
    durationMs: Math.round(performance.now() - t0),
    identity: { uid: me.uid, gid: me.gid, appUser: ctx.who, dataDir: paths.dataDir, dataDirOwner },
    filesystem,
    disk,
    walProbe,
    databases,
    checks: ctx.checks,
  };
}

/** The finding as an AppError (for `db.refuseWrites`, and for pages answering 503). */
export function findingError(f: Finding): AppError {
  return new AppError(f.code, f.message, { status: 503, remedy: f.remedy, ...(f.path ? { details: { path: f.path } } : {}) });
}

/** One line per finding, for the CLI and the log. */
export function formatReport(report: DoctorReport): string {
  const lines: string[] = [];
  const mode = report.journalMode ? `, journal mode ${report.journalMode}` : '';
  lines.push(`status: ${report.status}${mode} (${report.durationMs} ms, checks judged for uid ${report.identity.appUser.uid})`);
  for (const f of report.findings) {
    lines.push(`${f.severity.toUpperCase().padEnd(8)} ${f.code}: ${f.message}`);
    lines.push(`         fix: ${f.remedy}`);
  }
  if (report.repair?.refused) lines.push(`repair refused: ${report.repair.refused.join('; ')}`);
  for (const a of report.actions) lines.push(`${a.ok ? 'done' : 'FAILED'}     ${a.code}: ${a.description}`);
  if (report.findings.length === 0) lines.push('no problems found');
  return lines.join('\n');
}
