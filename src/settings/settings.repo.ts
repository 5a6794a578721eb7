import type * as z from 'zod';
import { type Clock, systemClock } from '../clock.js';
import type { Db } from '../db/open.js';
import { AppError } from '../errors.js';

/**
 * Key/value settings in journal.db (`settings` table, JSON values). Each area owns its keys and validates them
 * with its own zod schema when reading:
 * - `instruments.overrides`  (src/instruments)    per-root spec overrides and new roots
 * - `market.symbols`         (src/market-data)    per-root provider symbol overrides
 * - `import.timezone`        (src/trades)         wall-clock zone of NinjaTrader times
 * - `display.timezone`       (src/trades)         zone times are shown in (pages, CLI text, hour statistics)
 * - `scheduler`              (src/market-data)    refresh interval and instruments
 */
export interface SettingsRepo {
  get<T>(key: string, schema: z.ZodType<T>, fallback: T): T;
  set<T>(key: string, schema: z.ZodType<T>, value: T): void;
  delete(key: string): void;
  all(): Record<string, unknown>;
}

/** `clock` stamps each change. */
export function createSettingsRepo(db: Db, clock: Clock = systemClock): SettingsRepo {
  const getStmt = db.conn.prepare('SELECT value FROM settings WHERE key = ?').pluck();
  const setStmt = db.conn.prepare(
    'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
  );
  const delStmt = db.conn.prepare('DELETE FROM settings WHERE key = ?');
  return {
    get(key, schema, fallback) {
      const text = db.read(() => getStmt.get(key)) as string | undefined;
      if (text === undefined) return fallback;
      const parsed = schema.safeParse(JSON.parse(text));
      if (!parsed.success) {
        throw new AppError('TL_SETTINGS_INVALID', `The stored setting ${key} is invalid: ${parsed.error.issues[0]?.message ?? ''}`, {
          status: 500,
          remedy: `Open Settings and save ${key} again, or reset it there.`,
          details: { key },
        });
      }
      return parsed.data;
    },
    set(key, schema, value) {
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new AppError(
          'TL_SETTINGS_INVALID',
          `Setting ${key}${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`,
          {
            remedy: 'Correct the field named in the message and save again.',
            details: { key, path: issue?.path },
          },
        );
      }
      db.write(() => setStmt.run(key, JSON.stringify(parsed.data), clock.now()));
    },
    delete(key) {
      db.write(() => delStmt.run(key));
    },
    all() {
      const rows = db.read(() => db.conn.prepare('SELECT key, value FROM settings ORDER BY key').all()) as { key: string; value: string }[];
      return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value)]));
    },
  };
}
