import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { DataPaths } from '../config.js';
import { type ErrorCode, errorMessage, sqliteCode } from '../errors.js';
import { tableCounts } from './backup.js';
import {
  type DoctorOptions,
  type DoctorReport,
  type Finding,
  fileSize,
  findStraySidecars,
  type RepairAction,
  resolveAppUser,
  runDoctor,
  WAL_HEADER_BYTES,
} from './doctor.js';
import { currentUser, formatBytes, freeBytes, modeString, type Who } from './fs-info.js';
import { findHolders, processesHolding } from './holders.js';
import { BUSY_TIMEOUT_MS, convertWalToDelete, headerJournalMode, probeWal } from './open.js';

/**
 * `tradelog doctor --repair`: only the safe fixes of storage-reliability.md §(b) "Safe procedure", each reported.
 * - Nothing is deleted and nothing is chmod-ed wider: a -wal that holds data is checkpointed by SQLite itself,
 *   stray sidecars are moved into quarantine/, and ownership is fixed with chown (root only) where it differs.
 * - Nothing is touched while another process has a database open (exclusivity probe + /proc scan): with a live
 *   process attached, moving or rewriting files splits the database and loses committed rows (E5D).
 * - Before a checkpoint or a journal-mode conversion rewrites a database file, the db, -wal and -shm are copied
 *   together into quarantine/before-repair-<time>/ (the undo point), when the disk has room for it.
 * The checks run again afterwards; the report carries the new status and the actions.
 */
export interface RepairOptions extends DoctorOptions {
  now?: Date;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z');
}

function action(code: ErrorCode, description: string, p?: string, ok = true): RepairAction {
  return { code, description, ok, ...(p ? { path: p } : {}) };
}

function mkdirOwned(dir: string, owner: Who | undefined): void {
  // Create one level at a time so every directory made here (as root) can be given to the app's user.
  const missing: string[] = [];
  for (let cur = path.resolve(dir); !fs.existsSync(cur); cur = path.dirname(cur)) missing.unshift(cur);
  for (const d of missing) {
    fs.mkdirSync(d, { mode: 0o750 });
    if (owner && currentUser().uid === 0) fs.chownSync(d, owner.uid, owner.gid);
  }
}

/** Move a file, never losing it: rename, or copy + fsync + unlink across filesystems. */
function moveFile(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EXDEV') throw err;
    fs.copyFileSync(from, to);
    const fd = fs.openSync(to, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    if (fs.statSync(to).size !== fs.statSync(from).size) throw new Error(`copy of ${from} is incomplete`);
    fs.unlinkSync(from);
  }
}

/** Walk the data directory (no symlinks followed) and give everything that differs to `owner`. */
function fixOwnership(paths: DataPaths, owner: Who, actions: RepairAction[]): void {
  const changed: string[] = [];
  const failed: string[] = [];
  const visit = (p: string, depth: number) => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return;
    }
    if (st.isSymbolicLink()) return;
    if (st.uid !== owner.uid || st.gid !== owner.gid) {
      try {
        fs.lchownSync(p, owner.uid, owner.gid);
        changed.push(`${p} (was ${st.uid}:${st.gid})`);
      } catch (err) {
        failed.push(`${p}: ${errorMessage(err)}`);
      }
    }
    // The owner must be able to use what it owns: add the owner's bits only (never group/other, never 777).
    const need = st.isDirectory() ? 0o700 : /\.db(-wal|-shm|-journal)?$/.test(p) ? 0o600 : 0;
    if (need && (st.mode & need) !== need) {
      try {
        fs.chmodSync(p, (st.mode & 0o7777) | need);
        actions.push(
          action('TL_REPAIR_CHMOD', `gave the owner read/write on ${p}: mode ${modeString(st.mode)} → ${modeString(st.mode | need)}`, p),
        );
      } catch (err) {
        failed.push(`${p}: ${errorMessage(err)}`);
      }
    }
    if (st.isDirectory() && depth < 8) {
      for (const name of fs.readdirSync(p)) visit(path.join(p, name), depth + 1);
    }
  };
  visit(paths.dataDir, 0);
  for (const c of changed) {
    const p = c.replace(/ \(was .*\)$/, '');
    actions.push(action('TL_REPAIR_CHOWN', `chown ${owner.uid}:${owner.gid} ${c}`, p));
  }
  for (const f of failed) actions.push(action('TL_REPAIR_CHOWN', `could not change ${f}`, f.split(':')[0], false));
}

/**
 * Take the world-write bit off what the doctor found world-writable (the data dir, db/, backups/, database files).
 * Safe while tradelog runs: nobody loses access it needs. A directory with the sticky bit is a shared one (like
 * /tmp), left as it is.
 */
function closeWorldWritable(findings: readonly Finding[]): RepairAction[] {
  const actions: RepairAction[] = [];
  for (const f of findings) {
    const p = f.path;
    if (f.code !== 'TL_DB_MODE_TOO_OPEN' || !p) continue;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.isSymbolicLink() || (st.mode & 0o002) === 0) continue;
    if (st.isDirectory() && (st.mode & 0o1000) !== 0) {
      actions.push(
        action(
          'TL_REPAIR_CHMOD',
          `left ${p} as it is: its sticky bit marks a shared directory; give tradelog a directory of its own`,
          p,
          false,
        ),
      );
      continue;
    }
    const mode = st.mode & 0o7777 & ~0o002;
    try {
      fs.chmodSync(p, mode);
      actions.push(action('TL_REPAIR_CHMOD', `removed the world-write bit of ${p}: mode ${modeString(st.mode)} → ${modeString(mode)}`, p));
    } catch (err) {
      actions.push(action('TL_REPAIR_CHMOD', `could not remove the world-write bit of ${p}: ${errorMessage(err)}`, p, false));
    }
  }
  return actions;
}

/** Move stray sidecars (database missing) into quarantine/strays-<time>/. */
export function quarantineStrays(strays: readonly string[], quarantineDir: string, now: Date, owner?: Who): RepairAction[] {
  const actions: RepairAction[] = [];
  if (strays.length === 0) return actions;
  const dir = path.join(quarantineDir, `strays-${stamp(now)}`);
  mkdirOwned(dir, owner);
  for (const p of strays) {
    // The same base name may be stray in db/ and in the data dir root: keep both.
    const dest = path.join(dir, `${path.basename(path.dirname(p))}__${path.basename(p)}`);
    try {
      const bytes = fs.statSync(p).size;
      moveFile(p, dest);
      actions.push(action('TL_REPAIR_QUARANTINE', `moved stray ${p} (${bytes} bytes) to ${dest}`, p));
    } catch (err) {
      actions.push(action('TL_REPAIR_QUARANTINE', `could not move stray ${p}: ${errorMessage(err)}`, p, false));
    }
  }
  return actions;
}

function totalRows(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Count rows with a connection that can read this file (exclusive locking where shared memory fails). */
function countRows(file: string, exclusive: boolean): Record<string, number> {
  const conn = new Database(file, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  try {
    if (exclusive) conn.pragma('locking_mode = EXCLUSIVE');
    return tableCounts(conn);
  } finally {
    conn.close();
  }
}

function snapshot(file: string, quarantineDir: string, now: Date, owner: Who | undefined): RepairAction {
  const files = [file, `${file}-wal`, `${file}-shm`].filter((f) => fs.existsSync(f));
  const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
  const space = freeBytes(path.dirname(file));
  if (space && space.free < 2 * bytes + 16 * 1024 * 1024) {
    return action(
      'TL_REPAIR_SNAPSHOT',
      `no undo copy of ${file}: only ${formatBytes(space.free)} free for ${formatBytes(bytes)} (the repair itself loses nothing)`,
      file,
      false,
    );
  }
  const dir = path.join(quarantineDir, `before-repair-${stamp(now)}`);
  mkdirOwned(dir, owner);
  for (const f of files) {
    const dest = path.join(dir, path.basename(f));
    fs.copyFileSync(f, dest);
    if (owner && currentUser().uid === 0) fs.chownSync(dest, owner.uid, owner.gid);
  }
  return action('TL_REPAIR_SNAPSHOT', `copied ${files.map((f) => path.basename(f)).join(', ')} as they were into ${dir}`, file);
}

/** Let SQLite replay a -wal that holds committed transactions into the database, then truncate it. */
function checkpoint(file: string): RepairAction {
  const before = countRows(file, false);
  const walBytes = fs.statSync(`${file}-wal`).size;
  const conn = new Database(file, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  try {
    const row = (conn.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[])[0];
    if (row?.busy !== 0) {
      return action('TL_REPAIR_CHECKPOINT', `checkpoint of ${file} could not finish (busy); the -wal was left as it is`, file, false);
    }
    conn.close();
    const after = countRows(file, false);
    return action(
      'TL_REPAIR_CHECKPOINT',
      `checkpointed ${formatBytes(walBytes)} of ${path.basename(file)}-wal (${row.log} frames) into ${path.basename(file)}: ${totalRows(after)} rows in ${Object.keys(after).length} tables, ${totalRows(before)} before`,
      file,
    );
  } catch (err) {
    return action(
      'TL_REPAIR_CHECKPOINT',
      `checkpoint of ${file} failed (${sqliteCode(err) ?? 'error'}: ${errorMessage(err)}); the -wal was left as it is`,
      file,
      false,
    );
  } finally {
    if (conn.open) conn.close();
  }
}

function convert(file: string): RepairAction {
  try {
    const before = countRows(file, true);
    convertWalToDelete(file);
    const after = countRows(file, true);
    const lost = totalRows(before) - totalRows(after);
    return action(
      'TL_REPAIR_CONVERT_JOURNAL',
      `switched ${path.basename(file)} from WAL to rollback-journal mode (this filesystem has no shared memory): ${totalRows(after)} rows, ${totalRows(before)} before${lost > 0 ? ` — ${lost} ROWS MISSING` : ''}`,
      file,
      lost <= 0,
    );
  } catch (err) {
    return action(
      'TL_REPAIR_CONVERT_JOURNAL',
      `conversion of ${file} failed (${sqliteCode(err) ?? 'error'}: ${errorMessage(err)})`,
      file,
      false,
    );
  }
}

/** Run the checks, do the safe fixes they call for, run the checks again. */
export function repairDataDir(paths: DataPaths, options: RepairOptions = {}): DoctorReport {
  const now = options.now ?? new Date();
  const me = currentUser();
  const owner = resolveAppUser(paths.dataDir, options.owner, options.env ?? process.env);
  const ownerForNew = me.uid === 0 ? owner : undefined;
  const actions: RepairAction[] = [];

  // The undo copy comes before anything opens the databases: the checks' own connections, like any clean
  // close, already let SQLite replay a pending -wal. Only files no process has open (/proc) are copied.
  const dbFiles = [paths.journalDb, paths.marketDb].filter((f) => fs.existsSync(f));
  const walBefore = new Map(dbFiles.map((f) => [f, fileSize(`${f}-wal`)]));
  const probe = fs.existsSync(paths.dbDir) ? probeWal(paths.dbDir, true) : undefined;
  const noShm = Boolean(probe && !probe.ok && probe.walUnusable);
  const rewritten = dbFiles.filter((f) => (walBefore.get(f) ?? 0) > WAL_HEADER_BYTES || (noShm && headerJournalMode(f) === 'wal'));
  const openBefore = processesHolding(rewritten.flatMap((f) => [f, `${f}-wal`, `${f}-shm`]));
  if (openBefore.size === 0) for (const f of rewritten) actions.push(snapshot(f, paths.quarantineDir, now, ownerForNew));

  const checked = runDoctor(paths, options);
  // Safe with the files in use, so done even when the rest is refused; the checks run again to show the result.
  const opened = closeWorldWritable(checked.findings);
  actions.push(...opened);
  const first = opened.length > 0 ? { ...runDoctor(paths, options), status: checked.status } : checked;
  const codes = new Set<string>(first.findings.map((f) => f.code));
  const wantChown =
    me.uid === 0 &&
    ['TL_DB_READONLY', 'TL_DB_DIR_NOT_WRITABLE', 'TL_DB_FOREIGN_OWNER', 'TL_DB_CANTOPEN', 'TL_LOG_FILE_UNWRITABLE'].some((c) =>
      codes.has(c),
    );
  const strays = findStraySidecars([paths.dbDir, paths.dataDir]);
  const toConvert = noShm ? dbFiles.filter((f) => headerJournalMode(f) === 'wal') : [];
  const toCheckpoint = dbFiles.filter((f) => !toConvert.includes(f) && fileSize(`${f}-wal`) > WAL_HEADER_BYTES);
  // The checks' connections replayed these already (SQLite does so on the last clean close): say so.
  for (const f of dbFiles) {
    const was = walBefore.get(f) ?? 0;
    if (was > WAL_HEADER_BYTES && fileSize(`${f}-wal`) <= WAL_HEADER_BYTES && !toConvert.includes(f)) {
      const rows = totalRows(countRows(f, false));
      actions.push(
        action(
          'TL_REPAIR_CHECKPOINT',
          `SQLite replayed ${formatBytes(was)} of ${path.basename(f)}-wal into ${path.basename(f)} when the checks closed it: ${rows} rows`,
          f,
        ),
      );
    }
  }

  if (!wantChown && strays.length === 0 && toCheckpoint.length === 0 && toConvert.length === 0) {
    if (actions.some((a) => a.code === 'TL_REPAIR_CHECKPOINT' || a.code === 'TL_REPAIR_CHMOD'))
      return { ...runDoctor(paths, options), actions, repair: { before: first.status } };
    return { ...first, actions, repair: { before: first.status } };
  }

  // Nothing is touched while anything has the files open.
  const refused: string[] = [];
  for (const f of dbFiles) {
    const h = findHolders(f);
    if (h.held) refused.push(...h.evidence);
  }
  for (const [pid, files] of processesHolding(strays)) refused.push(`process ${pid} has ${files.join(', ')} open (/proc scan)`);
  if (refused.length > 0) {
    return {
      ...first,
      actions,
      repair: { before: first.status, refused },
      findings: [
        {
          code: 'TL_DB_IN_USE',
          severity: first.status === 'ok' ? 'warn' : first.status,
          message: `Repair refused, nothing was changed: another process is using the data directory (${refused.join('; ')}).`,
          remedy:
            'Stop the app and every other process using the data directory (docker stop, exec shells, scripts), then run "tradelog doctor --repair" again.',
          path: paths.dbDir,
        },
        ...first.findings.filter((f) => f.code !== 'TL_DB_IN_USE'),
      ],
    };
  }

  if (wantChown) fixOwnership(paths, owner, actions);
  actions.push(...quarantineStrays(strays, paths.quarantineDir, now, ownerForNew));
  for (const f of toConvert) actions.push(convert(f));
  for (const f of toCheckpoint) actions.push(checkpoint(f));
  if (toConvert.length > 0) probeWal(paths.dbDir, true);

  const after = runDoctor(paths, options);
  return { ...after, actions, repair: { before: first.status } };
}
