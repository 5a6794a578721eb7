import { grossCents, splitCents } from '../money.js';
import type { Contract, CostKind, Costs, Excursions, Fill, Side } from './types.js';

/**
 * Round-trip rows (NinjaTrader Trades grid, TopstepX Trades, Tradovate Performance / Position History) become an
 * entry and an exit fill marked `derived: 'round-trip'`, of the same account, contract and quantity. The row's
 * costs are for both sides: each kind is split in two (cents, the odd cent to the entry), so the two fills carry
 * exactly what the row stated.
 */
export interface RoundTripRow {
  line: number;
  id: string;
  account: string | null;
  contract: Contract;
  direction: 'long' | 'short';
  quantity: number;
  entryPriceUnits: number;
  exitPriceUnits: number;
  entryTime: number;
  exitTime: number;
  costs: Costs;
  excursions?: Excursions;
  name?: { entry: string | null; exit: string | null };
}

export function splitCosts(costs: Costs): [Costs, Costs] {
  const entry: Costs = {};
  const exit: Costs = {};
  for (const [kind, cents] of Object.entries(costs) as [CostKind, number][]) {
    const [a, b] = splitCents(cents, 1, 2);
    entry[kind] = a;
    exit[kind] = b;
  }
  return [entry, exit];
}

export function roundTripFills(r: RoundTripRow): [Fill, Fill] {
  const [entryCosts, exitCosts] = splitCosts(r.costs);
  const entrySide: Side = r.direction === 'long' ? 'buy' : 'sell';
  const base = { line: r.line, account: r.account, contract: r.contract, quantity: r.quantity, orderId: null, fillId: null };
  const entry: Fill = {
    ...base,
    side: entrySide,
    priceUnits: r.entryPriceUnits,
    time: r.entryTime,
    costs: entryCosts,
    openClose: 'open',
    derived: 'round-trip',
    roundTrips: [{ id: r.id, role: 'entry', quantity: r.quantity }],
  };
  const exit: Fill = {
    ...base,
    side: entrySide === 'buy' ? 'sell' : 'buy',
    priceUnits: r.exitPriceUnits,
    time: r.exitTime,
    costs: exitCosts,
    openClose: 'close',
    derived: 'round-trip',
    roundTrips: [{ id: r.id, role: 'exit', quantity: r.quantity }],
  };
  if (r.excursions) exit.excursions = r.excursions;
  if (r.name) {
    entry.name = r.name.entry;
    exit.name = r.name.exit;
  }
  return [entry, exit];
}

/** A round-trip row whose exit is before its entry contradicts itself. */
export function exitBeforeEntry(entryTime: number, exitTime: number): string | undefined {
  if (exitTime >= entryTime) return undefined;
  return 'the exit time is before the entry time';
}

export function totalCents(costs: Costs): number {
  let sum = 0;
  for (const c of Object.values(costs)) sum += c ?? 0;
  return sum;
}

/** Gross cents of a long buy-at-`buyUnits`, sell-at-`sellUnits` of `quantity` contracts. */
export function pairGrossCents(buyUnits: number, sellUnits: number, quantity: number, pointValue: number): number {
  return grossCents((sellUnits - buyUnits) * quantity, pointValue);
}

/**
 * The row's own P&L against its prices: a stated P&L that is not (sell − buy) × quantity × point value (less the
 * row's costs when the format's P&L is net) means the contract table does not match the file (a micro priced as
 * a mini), and the row is refused rather than stored with either figure. One cent of slack covers a source that
 * rounds half-cent ticks (ZN) the other way.
 */
export function pnlMismatch(stated: number, computed: number, root: string, pointValue: number): string | undefined {
  if (Math.abs(stated - computed) <= 1) return undefined;
  return (
    `the row's P&L ${(stated / 100).toFixed(2)} is not what its prices give with ${root}'s point value of $${pointValue} ` +
    `(${(computed / 100).toFixed(2)}): check ${root} in Settings → Instruments`
  );
}
