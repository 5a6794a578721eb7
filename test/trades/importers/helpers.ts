import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { InstrumentRegistry } from '../../../src/instruments/instruments.js';
import { contractKey } from '../../../src/trades/importers/contracts.js';
import { type ParseFileOptions, parseFile } from '../../../src/trades/importers/formats.js';
import { totalCents } from '../../../src/trades/importers/round-trips.js';
import type { Fill, ParseResult } from '../../../src/trades/importers/types.js';
import { priceToUnits } from '../../../src/trades/money.js';
import { type BookExecution, buildPositions, byTimeThenId } from '../../../src/trades/positions.js';
import { ROOT } from '../../helpers/cli.js';

export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'formats');
export const registry = new InstrumentRegistry();

export function fixture(format: string, file: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, format, file));
}

/** Parse a fixture (or text) with the registry and a zone; the problems must be none unless `allowProblems`. */
export function parse(input: Buffer | string, options: Partial<ParseFileOptions> = {}, allowProblems = false): ParseResult {
  const r = parseFile(typeof input === 'string' ? input : new Uint8Array(input), { registry, zone: 'America/New_York', ...options });
  if (!allowProblems) assert.deepEqual(r.problems, [], 'no problems');
  return r;
}

export const px = (price: number) => priceToUnits(price);
export const utc = (iso: string) => Date.parse(iso);

/** The fields a test compares: a fill with its contract spelled `MNQ 09-26` and times as ISO. */
export function brief(f: Fill) {
  return {
    line: f.line,
    account: f.account,
    contract: contractKey(f.contract),
    side: f.side,
    quantity: f.quantity,
    price: f.priceUnits / 1e7,
    time: new Date(f.time).toISOString(),
    costs: f.costs,
    fillId: f.fillId,
    orderId: f.orderId,
    openClose: f.openClose,
    derived: f.derived,
  };
}

export interface PositionFigures {
  book: string;
  side: 'long' | 'short';
  status: 'open' | 'closed';
  grossCents: number;
  costCents: number;
  netCents: number;
}

/**
 * The positions the fills make, through the project's own position builder (FIFO, flat to flat): what the
 * fixtures' hand-worked P&L is checked against. Costs of every kind count as the builder's commission.
 */
export function positionsOf(fills: readonly Fill[]): PositionFigures[] {
  const books = new Map<string, { account: string; contract: string; root: string; execs: BookExecution[] }>();
  fills.forEach((f, i) => {
    const contract = contractKey(f.contract);
    const key = `${f.account ?? ''}|${contract}`;
    let b = books.get(key);
    if (!b) {
      b = { account: f.account ?? '', contract, root: f.contract.root, execs: [] };
      books.set(key, b);
    }
    b.execs.push({
      id: i + 1,
      key: f.fillId ?? `line:${f.line}:${i}`,
      action: f.side === 'buy' ? 'Buy' : 'Sell',
      quantity: f.quantity,
      priceUnits: f.priceUnits,
      time: f.time,
      commissionCents: totalCents(f.costs),
    });
  });
  const out: PositionFigures[] = [];
  for (const b of books.values()) {
    const book = { account: b.account, contract: b.contract, root: b.root, pointValue: registry.get(b.root).pointValue };
    for (const p of buildPositions(book, b.execs.sort(byTimeThenId))) {
      out.push({
        book: `${b.account}|${b.contract}`,
        side: p.side,
        status: p.status,
        grossCents: p.grossCents,
        costCents: p.commissionCents,
        netCents: p.netCents,
      });
    }
  }
  return out;
}
