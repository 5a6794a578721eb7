import path from 'node:path';
import type { DataPaths } from '../../config.js';
import type { AppError } from '../../errors.js';
import type { Who } from '../fs-info.js';
import { type CheckRecord, type Finding, type OwnerSource, SEVERITY_RANK, type Severity } from './types.js';

/** Collects findings, merging repeats of the same code and path (keeping the worse severity). */
export class Findings {
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

/** What every check gets: the paths, whose access is judged, who runs, and where findings and timings go. */
export interface Ctx {
  paths: DataPaths;
  who: Who & { source: OwnerSource };
  me: Who;
  findings: Findings;
  checks: CheckRecord[];
}

/** Run one check, recording its time, whether it added anything worse than info, and an optional detail. */
export function timed<T>(ctx: Ctx, name: string, fn: () => T, detail?: (r: T) => string | undefined): T {
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

export function chownHint(who: Who, target: string, recursive = false): string {
  return `chown ${recursive ? '-R ' : ''}${who.uid}:${who.gid} ${target}`;
}

export function userLabel(ctx: Ctx): string {
  const { who } = ctx;
  return who.source === 'process' ? `uid ${who.uid}` : `uid ${who.uid} (the app's user, from ${who.source})`;
}

export function fixOwnerRemedy(ctx: Ctx, target: string, recursive = false): string {
  const owner = `${ctx.who.uid}:${ctx.who.gid}`;
  return `Stop every process using the data directory, then as root run: ${chownHint(ctx.who, target, recursive)}  (or "tradelog doctor --repair --owner ${owner}" as root). Never chmod 777.`;
}
