import fs from 'node:fs';
import path from 'node:path';
import { type LogFileStatus, preflightLogFile } from '../../log.js';
import { canAccess, describeStat, formatBytes, freeBytes, isRiskyFilesystem, modeString, mountFor, nearestExisting } from '../fs-info.js';
import type { DbName } from '../open.js';
import { type Ctx, chownHint, fixOwnerRemedy, userLabel } from './context.js';
import type { DoctorReport, FileState } from './types.js';

/** The file checks: filesystem type, the database files and their sidecars, stray sidecars, free space, the log. */
export const SIDECARS = ['-wal', '-shm', '-journal'] as const;
/** A -wal this long or shorter holds no frames: 0 bytes or only its 32-byte header. */
export const WAL_HEADER_BYTES = 32;
const FREE_SPACE_MARGIN = 32 * 1024 * 1024;

export function statFile(p: string): FileState | undefined {
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

// 2. Filesystem type: warn on network/FUSE/VM-shared filesystems even when the WAL probe passes.
export function checkFilesystem(ctx: Ctx): DoctorReport['filesystem'] {
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

// 2b. The directories holding the journal: world-writable lets any local user delete, swap or plant files in them.
export function checkDirModes(ctx: Ctx): string[] {
  const { paths } = ctx;
  const open: string[] = [];
  for (const dir of [paths.dataDir, paths.dbDir, paths.backupsDir]) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(dir);
    } catch {
      continue;
    }
    if (!st.isDirectory() || (st.mode & 0o002) === 0) continue;
    open.push(dir);
    const sticky = (st.mode & 0o1000) !== 0;
    ctx.findings.add({
      code: 'TL_DB_MODE_TOO_OPEN',
      severity: 'warn',
      message: `The directory ${dir} is world-writable (${describeStat(dir)}): any local user can ${sticky ? 'add files to it (its sticky bit stops them removing yours): a planted journal.db-wal or backup' : 'delete, rename or replace the files in it (journal.db, its -wal, the backups) and plant their own'}.`,
      remedy: sticky
        ? `Give tradelog a data directory of its own (--data-dir / TRADELOG_DATA_DIR) instead of a shared one like ${dir}.`
        : `Run: chmod o-w ${dir}  (or "tradelog doctor --repair"; tradelog never needs 777).`,
      path: dir,
    });
  }
  return open;
}

// 3. The database files and their sidecars: owner, mode, access for the app's user; pending recovery.
export function checkFiles(ctx: Ctx, name: DbName, file: string): FileState[] {
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
    const writable = checkAccess(ctx, name, file, suffix, st);
    if (writable && (lst.mode & 0o002) !== 0) {
      ctx.findings.add({
        code: 'TL_DB_MODE_TOO_OPEN',
        severity: 'warn',
        message: `${p} is world-writable (mode ${st.mode}): any local user can change or destroy the journal.`,
        remedy: `After fixing the owner, run: chmod o-w ${p}  (or "tradelog doctor --repair"; tradelog never needs 777).`,
        path: p,
      });
    }
    checkPendingRecovery(ctx, name, suffix, st);
  }
  return states;
}

/** Owner and access of one database file or sidecar for the app's user; whether that user may write it. */
function checkAccess(ctx: Ctx, name: DbName, file: string, suffix: string, st: FileState): boolean {
  const p = st.path;
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
  return writable;
}

/** A -wal with frames or a non-empty -journal: committed (or interrupted) work SQLite replays at the next open. */
function checkPendingRecovery(ctx: Ctx, name: DbName, suffix: string, st: FileState): void {
  if (!((suffix === '-wal' && st.bytes > WAL_HEADER_BYTES) || (suffix === '-journal' && st.bytes > 0))) return;
  const p = st.path;
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
export function checkStrays(ctx: Ctx): string[] {
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
export function checkFreeSpace(ctx: Ctx, dbBytes: number): DoctorReport['disk'] {
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

// 8. Log destination.
export function checkLog(ctx: Ctx, logFile: string | undefined, logStatus: LogFileStatus | undefined): void {
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
