import fs from 'node:fs';
import { canAccess, currentUser, describeStat, modeString, nearestExisting, type Who } from '../fs-info.js';
import { headerJournalMode } from '../open.js';
import { type Ctx, fixOwnerRemedy, userLabel } from './context.js';
import type { OwnerSource, Severity } from './types.js';

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

// 1. Identity: who runs, who owns the data directory, may this user create files in it.
export function checkIdentity(ctx: Ctx): void {
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
    if (ctx.me.uid === 0 && who.uid !== 0) checkRootWritesForOther(ctx, dir);
    return;
  }
  const { severity, effects } = unwritableDirEffects(ctx);
  ctx.findings.add({
    code: 'TL_DB_DIR_NOT_WRITABLE',
    severity,
    message: `The data directory ${dir} (${describeStat(dir)}) is not writable by ${userLabel(ctx)}. SQLite must create -wal/-shm/-journal files there: ${effects.join('; ')}.`,
    remedy: fixOwnerRemedy(ctx, paths.dataDir, true),
    path: dir,
  });
}

/** Root can write anywhere; say so only when root is not whom the files should belong to. */
function checkRootWritesForOther(ctx: Ctx, dir: string): void {
  const st = fs.statSync(dir);
  if (st.uid === ctx.who.uid) return;
  ctx.findings.add({
    code: 'TL_DB_FOREIGN_OWNER',
    severity: 'warn',
    message: `${dir} is owned by uid ${st.uid} (mode ${modeString(st.mode)}), not by ${userLabel(ctx)}.`,
    remedy: fixOwnerRemedy(ctx, ctx.paths.dataDir, true),
    path: dir,
  });
}

/** Not writable: how bad depends on each database's state (storage-reliability.md rows 4–6, 8). */
function unwritableDirEffects(ctx: Ctx): { severity: Severity; effects: string[] } {
  const { paths, who } = ctx;
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
  return { severity, effects };
}

// 1b. backups/ must take the daily and pre-migration backups.
export function checkBackupsDir(ctx: Ctx): void {
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
