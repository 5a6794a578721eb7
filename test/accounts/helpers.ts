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

const TRADOVATE_ORDERS_HEADER =
  'orderId,Account,Order ID,B/S,Contract,Product,Product Description,avgPrice,filledQty,Fill Time,lastCommandId,Status,_priceFormat,' +
  '_priceFormatType,_tickSize,spreadDefinitionId,Version ID,Timestamp,Date,Quantity,Text,Type,Limit Price,Stop Price,decimalLimit,' +
  'decimalStop,Filled Qty,Avg Fill Price,decimalFillAvg,Venue,Notional Value,Currency';

/** A filled market order as a Tradovate Orders report lists it: its fill states no costs. */
export interface FilledOrder {
  id: string;
  account: string;
  side: 'Buy' | 'Sell';
  /** Tradovate's contract code (`MESM6`) and product (`MES`). */
  contract: string;
  product: string;
  quantity: number;
  price: string;
  /** `MM/DD/YYYY HH:MM:SS`, read in the import zone. */
  time: string;
}

/** A Tradovate Orders report of filled market orders in a temp dir; its path. */
export function tradovateOrdersFile(t: TestContext, orders: FilledOrder[], name = 'Orders.csv'): string {
  const rows = orders.map((o) =>
    [
      o.id,
      o.account,
      o.id,
      ` ${o.side}`,
      o.contract,
      o.product,
      o.product,
      o.price,
      o.quantity,
      o.time,
      o.id,
      ' Filled',
      '-2',
      '0',
      '0.25',
      '',
      o.id,
      o.time,
      '',
      o.quantity,
      'Chart',
      ' Market',
      '',
      '',
      '',
      '',
      o.quantity,
      o.price,
      o.price,
      '',
      '',
      'USD',
    ].join(','),
  );
  const file = path.join(tempDir(t), name);
  fs.writeFileSync(file, [TRADOVATE_ORDERS_HEADER, ...rows].join('\n'));
  return file;
}
