import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { manualClock } from '../../src/clock.js';
import type { Store } from '../../src/db/store.js';
import { createAccountsService } from '../../src/trades/accounts.service.js';
import { createFeesService } from '../../src/trades/fees.service.js';
import { createOrdersService } from '../../src/trades/orders.service.js';
import { createTradesService } from '../../src/trades/trades.service.js';
import { tempDir, tempStore } from '../helpers/tmp.js';

export const ZONE = 'America/Los_Angeles';
export const NOW = Date.parse('2026-11-27T15:00:00.000Z');
export const NT_HEADER =
  'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation';

/** A migrated store in a temp dir with every service the accounts, fees and orders tests use. */
export function servicesFixture(t: TestContext, store: Store = tempStore(t)) {
  const deps = { journal: store.journal, importTimezone: ZONE };
  return {
    store,
    trades: createTradesService({ ...deps, clock: manualClock(NOW) }),
    accounts: createAccountsService(deps),
    fees: createFeesService(deps),
    orders: createOrdersService({ ...deps, clock: manualClock(NOW) }),
  };
}

/** A NinjaTrader executions CSV of `rows` (after the header) in a temp dir; its path. */
export function ntFile(t: TestContext, rows: string[], name = 'executions.csv'): string {
  const file = path.join(tempDir(t), name);
  fs.writeFileSync(file, [NT_HEADER, ...rows].join('\n'));
  return file;
}

/**
 * Make the fills of `account` say their source stated no costs (as an orders or round-trip report's do), the way
 * the import of such a report stores them (journal migration 0004: costs_missing = 1, no cost of any kind).
 */
export function withoutSourceCosts(store: Store, account: string, where = '1 = 1'): void {
  store.journal.write(() =>
    store.journal.conn
      .prepare(`UPDATE executions SET costs_missing = 1, commission_cents = 0, cost_commission = NULL WHERE account = ? AND ${where}`)
      .run(account),
  );
}
