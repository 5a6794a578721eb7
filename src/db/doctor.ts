import fs from 'node:fs';
import path from 'node:path';
import type { DataPaths } from '../config.js';
import { type Ctx, Findings, timed } from './doctor/context.js';
import { checkDatabase, checkHolders, checkMissing, checkWalProbe, relabelWalInUse } from './doctor/database.js';
import { checkDirModes, checkFiles, checkFilesystem, checkFreeSpace, checkLog, checkStrays, fileSize } from './doctor/files.js';
import { checkBackupsDir, checkIdentity, resolveAppUser } from './doctor/identity.js';
import { type DatabaseState, type DoctorOptions, type DoctorReport, SEVERITY_RANK, statusOf } from './doctor/types.js';
import { currentUser, describeStat } from './fs-info.js';
import type { HolderReport } from './holders.js';
import { loadMigrations } from './migrate.js';
import { type DbName, headerJournalMode, type WalProbeResult } from './open.js';

/**
 * The start-up self-check of storage-reliability.md §(c) ("doctor"), run by `tradelog doctor`, before `serve`
 * opens the databases, and behind /health.
 *
 * Order matters: everything that only looks (identity, filesystem, file owners and modes, stray sidecars, free
 * space) runs first and reports what it saw; then the WAL probe on a scratch file, the exclusivity probe, and only
 * then a real connection (quick_check, a real write probe, foreign_key_check). It never deletes a file and never
 * changes a mode; `--repair` (repair.ts) does the safe fixes.
 *
 * The checks live in doctor/: identity.ts (who runs, who owns, may it write), files.ts (filesystem, database files
 * and sidecars, strays, free space, log), database.ts (WAL probe, holders, the real connection), report.ts (text
 * and errors); types.ts holds the report's shape and the severity → status rule.
 */
export { checkFiles, fileSize, findStraySidecars, WAL_HEADER_BYTES } from './doctor/files.js';
export { parseOwner, resolveAppUser } from './doctor/identity.js';
export { findingError, formatReport } from './doctor/report.js';
export {
  type CheckRecord,
  type DatabaseState,
  type DoctorOptions,
  type DoctorReport,
  type DoctorStatus,
  exitCodeFor,
  type FileState,
  type Finding,
  type OwnerSource,
  type RepairAction,
  type Severity,
  statusOf,
} from './doctor/types.js';

function dbFilesFor(paths: DataPaths): [DbName, string][] {
  return [
    ['journal', paths.journalDb],
    ['market', paths.marketDb],
  ];
}

/** Each database as seen before any check: exists, header journal mode, sizes, the schema version it should have. */
function initialStates(paths: DataPaths, options: DoctorOptions): DatabaseState[] {
  const latest = (name: DbName) => options.latestVersions?.[name] ?? loadMigrations(name).length;
  return dbFilesFor(paths).map(([name, file]) => {
    const exists = fs.existsSync(file);
    return {
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
    };
  });
}

/** Holders first (they decide whether a -wal is "pending recovery" or just in use), then the real connection. */
function checkEachDatabase(
  ctx: Ctx,
  databases: DatabaseState[],
  walProbe: WalProbeResult | null,
  filesystem: DoctorReport['filesystem'],
  options: DoctorOptions,
): void {
  for (const d of databases) {
    if (!d.exists) {
      checkMissing(ctx, d);
      continue;
    }
    if (!options.skipHolders) {
      const h: HolderReport = timed(
        ctx,
        `exclusivity ${d.name}`,
        () => checkHolders(ctx, d.name, d.file),
        (r) => (r.held ? r.evidence.join('; ') : undefined),
      );
      d.holders = h.evidence;
      if (h.held) relabelWalInUse(ctx, d);
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
  timed(
    ctx,
    'directory modes',
    () => checkDirModes(ctx),
    (r) => (r.length ? `world-writable: ${r.join(', ')}` : undefined),
  );
  const filesystem = timed(
    ctx,
    'filesystem',
    () => checkFilesystem(ctx),
    (r) => r?.type,
  );
  const databases = initialStates(paths, options);
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
  checkEachDatabase(ctx, databases, walProbe, filesystem, options);
  timed(ctx, 'log destination', () => checkLog(ctx, options.logFile, options.logStatus));

  const findings = ctx.findings.list.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  return {
    status: statusOf(findings),
    journalMode: databases[0]?.journalMode ?? null,
    findings,
    actions: [],
    checkedAt: new Date().toISOString(),
    durationMs: Math.round(performance.now() - t0),
    identity: { uid: me.uid, gid: me.gid, appUser: ctx.who, dataDir: paths.dataDir, dataDirOwner: describeStat(paths.dataDir) },
    filesystem,
    disk,
    walProbe,
    databases,
    checks: ctx.checks,
  };
}
