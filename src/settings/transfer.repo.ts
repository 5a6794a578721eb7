import type { Db } from '../db/open.js';

/**
 * The settings table read whole and written back whole (journal export and `import-export`): each row's JSON value
 * as stored and the time it was last saved. `insert` runs inside the caller's `db.write()`.
 */
export interface SettingRow {
  key: string;
  value: unknown;
  updatedAt: number;
}

export function createSettingsTransferRepo(db: Db) {
  const all = db.conn.prepare('SELECT key, value, updated_at AS updatedAt FROM settings ORDER BY key');
  const count = db.conn.prepare('SELECT count(*) FROM settings').pluck();
  const insert = db.conn.prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)');
  return {
    rows(): SettingRow[] {
      return (all.all() as { key: string; value: string; updatedAt: number }[]).map((r) => ({
        key: r.key,
        value: JSON.parse(r.value),
        updatedAt: r.updatedAt,
      }));
    },
    count(): number {
      return count.get() as number;
    },
    insert(row: SettingRow): void {
      insert.run(row.key, JSON.stringify(row.value), row.updatedAt);
    },
  };
}
