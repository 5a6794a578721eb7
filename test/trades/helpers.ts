import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { Store } from '../../src/db/store.js';
import { createTradesService, type TradesService } from '../../src/trades/trades.service.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir, tempStore } from '../helpers/tmp.js';

export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'ninjatrader');
export const fixture = (name: string) => path.join(FIXTURES, name);
/** A database the old app wrote (test/fixtures/legacy/README.md). Open it only through `legacyFixture`. */
export const LEGACY_FIXTURE = path.join(ROOT, 'test', 'fixtures', 'legacy', 'futures_trades_clean.2025-08.db');

/** A private copy of the legacy fixture in a fresh temp dir (removed after the test): the repo's file is never opened. */
export function legacyFixture(t: Pick<TestContext, 'after'>): string {
  const file = path.join(tempDir(t), path.basename(LEGACY_FIXTURE));
  fs.copyFileSync(LEGACY_FIXTURE, file);
  return file;
}

/** A migrated store in a temp dir and the trades service on it, NinjaTrader times read in Los Angeles. */
export function tradesFixture(t: TestContext, zone = 'America/Los_Angeles'): { store: Store; service: TradesService } {
  const store = tempStore(t);
  return { store, service: createTradesService({ journal: store.journal, importTimezone: zone }) };
}

/** Everything the trades area stores, for "nothing changed" comparisons. */
export function snapshot(store: Store): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const table of ['executions', 'positions', 'position_ids', 'position_notes', 'position_tags', 'position_flags']) {
    out[table] = store.journal.conn.prepare(`SELECT * FROM ${table} ORDER BY 1`).all();
  }
  return out;
}
