import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, errorMessage, sqliteCode } from '../errors.js';
import { type BackupResult, backupDatabase } from './backup.js';
import type { Db, DbName } from './open.js';

/**
 * Forward-only schema migrations (storage-reliability.md §(c) "Schema migrations").
 *
 * - Files: src/db/migrations/<journal|market>/NNNN_<verb>_<noun>.sql, frozen once released: never edited, never
 *   importing application code. The version is the number; `PRAGMA user_version` records the applied one.
 * - Before migrating a database that holds data: the caller has checked that no other process holds it
 *   (doctor's exclusivity probe), and a verified pre-migration backup is taken here with exact row counts.
 * - All pending steps and the user_version bump run in one BEGIN IMMEDIATE transaction: a failure leaves tables,
 *   rows and user_version exactly as they were (E14). A file whose first line is `-- foreign_keys: off` (table
 *   rebuilds) runs with foreign keys off — set before BEGIN because the pragma is a no-op inside a transaction —
 *   and foreign_key_check must come back empty before COMMIT.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  foreignKeysOff: boolean;
}

export const MIGRATIONS_ROOT = fileURLToPath(new URL('./migrations/', import.meta.url));

export function loadMigrations(db: DbName, root = MIGRATIONS_ROOT): Migration[] {
  const dir = path.join(root, db);
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.sql'));
  } catch {
    return [];
  }
  const out: Migration[] = [];
  for (const f of files.sort()) {
    const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(f);
    if (!m) throw new Error(`Migration file name ${db}/${f} does not match NNNN_name.sql`);
    const sql = fs.readFileSync(path.join(dir, f), 'utf8');
    out.push({ version: Number(m[1]), name: m[2] as string, sql, foreignKeysOff: /^--\s*foreign_keys:\s*off/i.test(sql) });
  }
  out.forEach((mig, i) => {
    if (mig.version !== i + 1)
      throw new Error(`Migrations of ${db} must be numbered 0001, 0002, … without gaps; found ${mig.version} at position ${i + 1}`);
  });
  return out;
}

export function currentVersion(db: Db): number {
  return db.read(() => db.conn.pragma('user_version', { simple: true }) as number);
}

export function pendingMigrations(db: Db, migrations = loadMigrations(db.name)): Migration[] {
  const v = currentVersion(db);
  return migrations.filter((m) => m.version > v);
}

export interface MigrateResult {
  db: DbName;
  from: number;
  to: number;
  applied: string[];
  backup: BackupResult | null;
}

/** Whether the database has any table of its own (a new, empty file needs no pre-migration backup). */
function hasTables(db: Db): boolean {
  return (
    db.read(() => db.conn.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' LIMIT 1").get()) !==
    undefined
  );
}

export interface MigrateOptions {
  backupsDir: string;
  migrations?: Migration[];
}

export function migrate(db: Db, options: MigrateOptions): MigrateResult {
  const all = options.migrations ?? loadMigrations(db.name);
  const from = currentVersion(db);
  const latest = all.at(-1)?.version ?? 0;
  if (from > latest) {
    throw new AppError('TL_DB_TOO_NEW', `${db.file} has schema version ${from}, newer than this tradelog knows (${latest}).`, {
      remedy: 'Run the newer tradelog version that wrote this database, or restore a backup made before the upgrade ("tradelog backups").',
      details: { path: db.file, version: from, known: latest },
    });
  }
  const pending = all.filter((m) => m.version > from);
  if (pending.length === 0) return { db: db.name, from, to: from, applied: [], backup: null };

  const backup = hasTables(db) ? backupDatabase(db, { backupsDir: options.backupsDir, kind: 'pre-migration', exactCounts: true }) : null;

  const fkOff = pending.some((m) => m.foreignKeysOff);
  const conn = db.conn;
  if (fkOff) conn.pragma('foreign_keys = OFF');
  let current = pending[0] as Migration;
  try {
    db.write(() => {
      for (const m of pending) {
        current = m;
        conn.exec(m.sql);
        conn.pragma(`user_version = ${m.version}`);
      }
      const fk = conn.pragma('foreign_key_check') as unknown[];
      if (fk.length > 0) throw new Error(`foreign_key_check found ${fk.length} violation(s)`);
    });
  } catch (err) {
    throw new AppError(
      'TL_DB_MIGRATION_FAILED',
      `Migration ${String(current.version).padStart(4, '0')}_${current.name} of ${db.file} failed (${sqliteCode(err) ?? 'error'}: ${errorMessage(err)}); nothing was changed, the schema is still version ${from}.`,
      {
        remedy: backup
          ? `The database is unchanged. A verified backup was taken first: ${backup.file}. Report the message above; "tradelog doctor" checks the database.`
          : 'The database is unchanged. Report the message above; "tradelog doctor" checks the database.',
        details: { migration: current.name, version: current.version, sqliteCode: sqliteCode(err), backup: backup?.file },
        cause: err,
      },
    );
  } finally {
    if (fkOff) conn.pragma('foreign_keys = ON');
  }
  return { db: db.name, from, to: pending.at(-1)?.version ?? from, applied: pending.map((m) => m.name), backup };
}
