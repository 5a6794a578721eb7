import path from 'node:path';
import type { TestContext } from 'node:test';
import type { Store } from '../../src/db/store.js';
import { createTradesService, type TradesService } from '../../src/trades/trades.service.js';
import { ROOT } from '../helpers/cli.js';
import { tempStore } from '../helpers/tmp.js';

export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'ninjatrader');
export const fixture = (name: string) => path.join(FIXTURES, name);
export const LEGACY_FIXTURE = '/work/shared/fixtures/legacy/futures_trades_clean.2025-08.db';

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
