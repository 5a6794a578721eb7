import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage, sqliteCode } from '../errors.js';

/**
 * "Is another process using this database?" (storage-reliability.md §(b) step 1, §(c) 6).
 *
 * Two independent checks, because neither is complete alone:
 * - the SQLite exclusivity probe (`locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT` with no busy timeout):
 *   in WAL mode any attached connection, even an idle one, makes it fail with SQLITE_BUSY (E13); in rollback
 *   mode an idle connection holds no lock and goes unseen;
 * - a scan of /proc/<pid>/fd for the database and its sidecars (what fuser does): sees idle connections in either
 *   mode, but only for processes this user may inspect (all of them as root).
 */
export interface HolderReport {
  /** True when some check says another process has the database open. */
  held: boolean;
  /** Which check said so, with what it saw, for the message to the user. */
  evidence: string[];
  /** Process ids found holding one of the files. */
  pids: number[];
}

export function probeExclusive(file: string): { held: boolean; code?: string; message?: string } {
  if (!fs.existsSync(file)) return { held: false };
  let conn: Database.Database | undefined;
  try {
    conn = new Database(file, { timeout: 0, fileMustExist: true });
    conn.pragma('locking_mode = EXCLUSIVE');
    conn.exec('BEGIN EXCLUSIVE; COMMIT;');
    return { held: false };
  } catch (err) {
    const code = sqliteCode(err);
    if (code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_LOCKED')) {
      return { held: true, code, message: errorMessage(err) };
    }
    // Read-only files or a broken filesystem: the probe can't tell; other doctor checks report those.
    return { held: false, code: code ?? 'UNKNOWN', message: errorMessage(err) };
  } finally {
    try {
      conn?.close();
    } catch {
      // probe connection
    }
  }
}

export function processesHolding(files: string[]): Map<number, string[]> {
  const wanted = new Set<string>();
  for (const f of files) {
    wanted.add(path.resolve(f));
    try {
      wanted.add(fs.realpathSync(f));
    } catch {
      // not there
    }
  }
  const found = new Map<number, string[]>();
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return found;
  }
  for (const pidText of pids) {
    const pid = Number(pidText);
    if (pid === process.pid) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (wanted.has(target)) {
        const list = found.get(pid) ?? [];
        list.push(target);
        found.set(pid, list);
      }
    }
  }
  return found;
}

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 120);
  } catch {
    return '?';
  }
}

/** Both checks for a database file and its sidecars. */
export function findHolders(file: string): HolderReport {
  const evidence: string[] = [];
  const probe = probeExclusive(file);
  if (probe.held) {
    evidence.push(`exclusivity probe: ${probe.code} (${probe.message}) — another connection has ${file} open`);
  }
  const byPid = processesHolding([file, `${file}-wal`, `${file}-shm`, `${file}-journal`]);
  for (const [pid, targets] of byPid) {
    evidence.push(`process ${pid} (${commandOf(pid)}) has ${targets.join(', ')} open`);
  }
  return { held: evidence.length > 0, evidence, pids: [...byPid.keys()] };
}
