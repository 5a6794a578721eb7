import type { ErrorCode } from '../../errors.js';
import type { LogFileStatus } from '../../log.js';
import type { Who } from '../fs-info.js';
import type { DbName, WalProbeResult } from '../open.js';

/**
 * The doctor's vocabulary: findings, repair actions, the report and its options (see ../doctor.ts).
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

export type OwnerSource = 'process' | '--owner' | 'PUID/PGID' | 'data dir owner' | 'default';

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

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warn: 1, degraded: 2, fatal: 3 };

export function statusOf(findings: readonly Finding[]): DoctorStatus {
  const worst = Math.max(0, ...findings.map((f) => SEVERITY_RANK[f.severity]));
  return worst >= 3 ? 'fatal' : worst === 2 ? 'degraded' : 'ok';
}

export function exitCodeFor(status: DoctorStatus): 0 | 1 | 2 {
  return status === 'ok' ? 0 : status === 'degraded' ? 1 : 2;
}
