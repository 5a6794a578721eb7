import fs from 'node:fs';
import type { Logger } from 'pino';
import type { DataPaths } from '../config.js';
import { AppError } from '../errors.js';
import { findHolders } from './holders.js';
import { loadMigrations, type MigrateResult, migrate, pendingMigrations } from './migrate.js';
import { type Db, type DbName, type JournalMode, openDb } from './open.js';

/**
 * The two databases of a data directory, opened with the project's pragmas and migrated to the current schema.
 * `journal.db` holds what can't be re-created (executions, positions, notes, settings); `market.db` holds bars,
 * which can be downloaded again. Bar downloads write only market.db, so they never hold the journal's lock.
 */
export interface Store {
  journal: Db;
  market: Db;
  paths: DataPaths;
  migrations: MigrateResult[];
  close(): void;
}

export interface OpenStoreOptions {
  logger?: Logger;
  /** Apply pending migrations (after a verified backup). Default true. */
  migrate?: boolean;
  /** Force a journal mode instead of probing (tests of rollback-mode behaviour). */
  journalMode?: JournalMode;
  /**
   * Create the data directory and the databases when they are missing (default true: serve, import, demo, migrate,
   * ohlc update/import). Commands that only read pass false: without a journal they fail with TL_DB_MISSING and
   * create nothing (a command run in the wrong folder must not make an empty ./data and print zeros).
   */
  create?: boolean;
}

const WHERE =
  'Point --data-dir or TRADELOG_DATA_DIR at your data directory (the default is ./data in the current folder). "tradelog serve", "import", "demo" or "migrate" create a new one.';

/** TL_DB_MISSING unless the data directory exists (and, with `journal`, holds journal.db). Creates nothing. */
export function requireDataDir(paths: DataPaths, need: 'dir' | 'journal' = 'journal'): void {
  if (!fs.existsSync(paths.dataDir)) {
    throw new AppError('TL_DB_MISSING', `No tradelog data directory at ${paths.dataDir}: it does not exist.`, {
      remedy: WHERE,
      details: { path: paths.dataDir },
    });
  }
  if (need === 'journal' && !fs.existsSync(paths.journalDb)) {
    throw new AppError('TL_DB_MISSING', `No journal in the data directory ${paths.dataDir}: ${paths.journalDb} does not exist.`, {
      remedy: WHERE,
      details: { path: paths.journalDb },
    });
  }
}

function openAndMigrate(name: DbName, file: string, paths: DataPaths, options: OpenStoreOptions, results: MigrateResult[]): Db {
  const open = () =>
    openDb(file, {
      name,
      ...(options.create === false && name === 'journal' ? { mustExist: true } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.journalMode ? { journalMode: options.journalMode } : {}),
    });
  let db = open();
  try {
    if (options.migrate === false) return db;
    const migrations = loadMigrations(name);
    if (pendingMigrations(db, migrations).length === 0) return db;
    // Migrate only when no other process has the database open (§(c) "Schema migrations"). Our own connection
    // would trip the exclusivity probe, so it is closed for the check.
    db.close();
    const holders = findHolders(file);
    if (holders.held) {
      throw new AppError('TL_DB_IN_USE', `Schema migrations for ${file} are pending, but another process is using the database.`, {
        remedy:
          'Stop the other tradelog process (the server, a second container, a running command), then start again; migrations run automatically after a verified backup.',
        details: { evidence: holders.evidence },
      });
    }
    db = open();
    results.push(migrate(db, { backupsDir: paths.backupsDir, migrations }));
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export function openStore(paths: DataPaths, options: OpenStoreOptions = {}): Store {
  if (options.create === false) requireDataDir(paths);
  const migrations: MigrateResult[] = [];
  const journal = openAndMigrate('journal', paths.journalDb, paths, options, migrations);
  let market: Db;
  try {
    market = openAndMigrate('market', paths.marketDb, paths, options, migrations);
  } catch (err) {
    journal.close();
    throw err;
  }
  return {
    journal,
    market,
    paths,
    migrations,
    close() {
      market.close();
      journal.close();
    },
  };
}
