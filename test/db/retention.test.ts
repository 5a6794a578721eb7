import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BackupEntry, backupsToDelete, isoWeekKey } from '../../src/db/retention.js';

const day = 86_400_000;
const start = Date.parse('2026-11-26T03:00:00Z');

function daily(n: number, db = 'journal'): BackupEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    file: `${db}-d${i}`,
    db,
    kind: 'daily' as const,
    createdAt: new Date(start - i * day),
    schemaVersion: 3,
  }));
}

test('retention keeps 7 daily and 4 weekly backups when 60 daily backups exist', () => {
  const entries = daily(60);
  const doomed = new Set(backupsToDelete(entries));
  const kept = entries.filter((e) => !doomed.has(e.file));
  // 7 newest days, plus the newest of each of the 4 newest ISO weeks (some already among the 7 days).
  const days = entries.slice(0, 7).map((e) => e.file);
  for (const f of days) assert.ok(!doomed.has(f), `${f} kept`);
  const weeks = new Set(kept.map((e) => isoWeekKey(e.createdAt)));
  assert.equal(weeks.size, 4);
  assert.ok(kept.length >= 7 && kept.length <= 11, `kept ${kept.length}`);
  assert.ok(doomed.has('journal-d59'));
});

test('retention keeps the newest pre-migration backup of every schema version', () => {
  const entries: BackupEntry[] = [
    ...daily(30),
    { file: 'pm-v1-old', db: 'journal', kind: 'pre-migration', createdAt: new Date(start - 100 * day), schemaVersion: 1 },
    { file: 'pm-v1-new', db: 'journal', kind: 'pre-migration', createdAt: new Date(start - 90 * day), schemaVersion: 1 },
    { file: 'pm-v2', db: 'journal', kind: 'pre-migration', createdAt: new Date(start - 80 * day), schemaVersion: 2 },
  ];
  const doomed = new Set(backupsToDelete(entries));
  assert.ok(!doomed.has('pm-v1-new'));
  assert.ok(!doomed.has('pm-v2'));
  assert.ok(doomed.has('pm-v1-old'));
});

test('retention never deletes the only backup of a database, however old', () => {
  const entries: BackupEntry[] = [
    ...daily(20),
    { file: 'market-ancient', db: 'market', kind: 'daily', createdAt: new Date(start - 400 * day), schemaVersion: 1 },
  ];
  assert.ok(!backupsToDelete(entries).includes('market-ancient'));
});

test('retention keeps the newest manual backups up to the limit when many exist', () => {
  const manual: BackupEntry[] = Array.from({ length: 15 }, (_, i) => ({
    file: `m${i}`,
    db: 'journal',
    kind: 'manual' as const,
    createdAt: new Date(start - i * 60_000),
    schemaVersion: 1,
  }));
  const doomed = backupsToDelete(manual, { days: 1, weeks: 1, manual: 10 });
  assert.deepEqual(doomed.sort(), ['m10', 'm11', 'm12', 'm13', 'm14']);
});
