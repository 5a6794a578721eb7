/**
 * Which backups to delete: a pure function, so the rule is tested without files.
 *
 * Per database (journal, market), among backups that exist (every file in backups/ was verified before it was
 * renamed into place):
 * - the newest backup overall is always kept;
 * - the newest backup of each of the last `days` calendar days (UTC) that have backups;
 * - the newest backup of each of the last `weeks` ISO weeks that have backups;
 * - the newest pre-migration backup for each schema version (the way back from every upgrade);
 * - manual backups (`tradelog backup`, "Back up now") are the user's: the newest `manual` of them are kept.
 * Everything else is returned for deletion. Nothing is deleted unless a newer backup exists, so a failed backup
 * never causes older ones to go.
 */
export type BackupKind = 'daily' | 'manual' | 'pre-migration';

export interface BackupEntry {
  file: string;
  db: string;
  kind: BackupKind;
  createdAt: Date;
  schemaVersion: number;
}

export interface RetentionRule {
  days: number;
  weeks: number;
  manual: number;
}

export const DEFAULT_RETENTION: RetentionRule = { days: 7, weeks: 4, manual: 10 };

function dayKey(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** ISO-8601 week key, e.g. 2026-W48. */
export function isoWeekKey(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const dow = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - dow);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function backupsToDelete(entries: readonly BackupEntry[], rule: RetentionRule = DEFAULT_RETENTION): string[] {
  const keep = new Set<string>();
  const byDb = new Map<string, BackupEntry[]>();
  for (const e of entries) {
    const list = byDb.get(e.db) ?? [];
    list.push(e);
    byDb.set(e.db, list);
  }
  for (const list of byDb.values()) {
    const newestFirst = [...list].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.file.localeCompare(a.file));
    const first = newestFirst[0];
    if (first) keep.add(first.file);

    const keepNewestPer = (items: BackupEntry[], key: (e: BackupEntry) => string, limit: number) => {
      const seen = new Set<string>();
      for (const e of items) {
        const k = key(e);
        if (seen.has(k)) continue;
        if (seen.size >= limit) break;
        seen.add(k);
        keep.add(e.file);
      }
    };
    keepNewestPer(newestFirst, (e) => dayKey(e.createdAt), rule.days);
    keepNewestPer(newestFirst, (e) => isoWeekKey(e.createdAt), rule.weeks);
    keepNewestPer(
      newestFirst.filter((e) => e.kind === 'pre-migration'),
      (e) => String(e.schemaVersion),
      Number.POSITIVE_INFINITY,
    );
    for (const e of newestFirst.filter((x) => x.kind === 'manual').slice(0, rule.manual)) keep.add(e.file);
  }
  return entries.filter((e) => !keep.has(e.file)).map((e) => e.file);
}
