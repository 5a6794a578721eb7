import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { DataPaths } from '../config.js';
import { AppError, errorMessage, sqliteCode } from '../errors.js';
import { processesHolding } from './holders.js';

/**
 * One server per data directory (issue 9 §3.10): `serve` holds an exclusive lock on `db/serve.lock` for its whole
 * life, and a second `serve` on the same directory is refused, naming the first.
 *
 * The lock is SQLite's own (a POSIX advisory lock taken by `BEGIN EXCLUSIVE` on a connection in exclusive locking
 * mode, kept until the connection closes): the kernel drops it when the process ends, however it ends, so a server
 * killed with SIGKILL or by the OOM killer leaves nothing to clean up, and a pid reused by another process means
 * nothing. It works across containers sharing a volume. `db/serve.pid` only says who holds it, for the message.
 * CLI commands never take it: reading, importing and backing up while the server runs stay possible.
 */
export interface ServeLock {
  /** False when the lock could not be taken for another reason than a running server (an unwritable db/). */
  held: boolean;
  file: string;
  /** Why it is not held. */
  problem?: string;
  release(): void;
}

export interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
  command: string;
}

const ATTEMPTS = 8;

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** One attempt: the connection holding the lock, or undefined when another connection holds it. */
function tryLock(file: string): Database.Database | undefined {
  const conn = new Database(file, { timeout: 0 });
  try {
    conn.pragma('locking_mode = EXCLUSIVE');
    // No -journal beside the lock file: it holds no data.
    conn.pragma('journal_mode = MEMORY');
    conn.exec('BEGIN EXCLUSIVE; COMMIT;');
    return conn;
  } catch (err) {
    conn.close();
    if (sqliteCode(err)?.startsWith('SQLITE_BUSY') || sqliteCode(err)?.startsWith('SQLITE_LOCKED')) return undefined;
    throw err;
  }
}

function commandOf(pid: number): string | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return text || undefined;
  } catch {
    return undefined;
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const o = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockOwner>;
    return typeof o.pid === 'number' && typeof o.hostname === 'string'
      ? { pid: o.pid, hostname: o.hostname, startedAt: String(o.startedAt ?? '?'), command: String(o.command ?? '?') }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Who holds the lock: the process /proc shows with the lock file open (when this user may look), else the one
 * db/serve.pid names; its command line from /proc when readable, else as recorded.
 */
export function describeHolder(lockFile: string, pidFile: string): string {
  const seen = [...processesHolding([lockFile]).keys()][0];
  const owner = readOwner(pidFile);
  const started = (pid: number) => (owner?.pid === pid ? `, started ${owner.startedAt}` : '');
  if (seen !== undefined) {
    const command = commandOf(seen) ?? (owner?.pid === seen ? owner.command : 'command line not readable');
    return `pid ${seen} (${command})${started(seen)}`;
  }
  if (owner && owner.hostname !== os.hostname()) {
    return `pid ${owner.pid} on host ${owner.hostname} (${owner.command})${started(owner.pid)}`;
  }
  if (owner && fs.existsSync(`/proc/${owner.pid}`))
    return `pid ${owner.pid} (${commandOf(owner.pid) ?? owner.command})${started(owner.pid)}`;
  return 'a process this user cannot see (another user, or another container)';
}

function alreadyRunning(paths: DataPaths, lockFile: string, pidFile: string): AppError {
  const holder = describeHolder(lockFile, pidFile);
  return new AppError('TL_WEB_ALREADY_RUNNING', `Another tradelog server is already running on ${paths.dataDir}: ${holder}.`, {
    remedy:
      'Use the server that runs (its address is in its log), or stop it first (Ctrl-C, kill <pid>, docker stop). A second server needs a data directory of its own (--data-dir / TRADELOG_DATA_DIR).',
    details: { dataDir: paths.dataDir, lock: lockFile },
  });
}

/**
 * Take the server's lock on the data directory (creating db/ when needed). Throws TL_WEB_ALREADY_RUNNING when another
 * server holds it; any other failure (db/ not writable, a full disk) is returned as `held: false` with the reason,
 * for the doctor's findings explain those and the server still starts to show them.
 */
export function acquireServeLock(paths: DataPaths, now: Date = new Date()): ServeLock {
  const file = path.join(paths.dbDir, 'serve.lock');
  const pidFile = path.join(paths.dbDir, 'serve.pid');
  const notHeld = (problem: string): ServeLock => ({ held: false, file, problem, release() {} });
  let conn: Database.Database | undefined;
  try {
    fs.mkdirSync(paths.dbDir, { recursive: true, mode: 0o750 });
    // Two servers starting at the same instant can each make the other's first attempt fail: try a few times.
    for (let i = 0; i < ATTEMPTS && !conn; i++) {
      conn = tryLock(file);
      if (!conn && i < ATTEMPTS - 1) pause(10 + Math.floor(Math.random() * 30));
    }
  } catch (err) {
    return notHeld(`${sqliteCode(err) ?? (err as { code?: string }).code ?? 'error'}: ${errorMessage(err)}`);
  }
  if (!conn) throw alreadyRunning(paths, file, pidFile);
  const owner: LockOwner = { pid: process.pid, hostname: os.hostname(), startedAt: now.toISOString(), command: process.argv.join(' ') };
  try {
    fs.writeFileSync(`${pidFile}.tmp`, `${JSON.stringify(owner)}\n`, { mode: 0o640 });
    fs.renameSync(`${pidFile}.tmp`, pidFile);
  } catch {
    // Only the message of a refused second server needs it; /proc names the holder too.
  }
  const held = conn;
  let released = false;
  return {
    held: true,
    file,
    /** Never throws: shutdown must finish (a db/ that became read-only keeps a stale serve.pid, which is harmless). */
    release() {
      if (released) return;
      released = true;
      try {
        if (readOwner(pidFile)?.pid === process.pid) fs.rmSync(pidFile, { force: true });
      } catch {
        // left behind: the next server overwrites it
      }
      try {
        held.close();
      } catch {
        // the process ends anyway, and the lock with it
      }
    },
  };
}
