import { centsToDollars, grossCents, priceToUnits } from './money.js';

/**
 * Unrealized P&L of an open position at a mark price: what its open contracts would make if closed there. The
 * open contracts are the entry lots the FIFO pairs have not consumed, each at its own entry price (not the
 * position's average entry, which includes the lots already closed). Gross, before commission: the commission
 * paid so far is in the position's own figures, the exit's is not known yet. Pure: the caller brings the mark.
 */
export interface UnrealizedInput {
  side: 'long' | 'short';
  pointValue: number;
  executions: readonly { executionId: string; role: 'entry' | 'exit'; quantity: number; price: number }[];
  pairs: readonly { entryExecutionId: string; quantity: number }[];
}

/** The open lots (entry price and contracts still open), oldest first. */
export function openLots(p: UnrealizedInput): { price: number; quantity: number }[] {
  const closed = new Map<string, number>();
  for (const pair of p.pairs) closed.set(pair.entryExecutionId, (closed.get(pair.entryExecutionId) ?? 0) + pair.quantity);
  const lots: { price: number; quantity: number }[] = [];
  for (const e of p.executions) {
    if (e.role !== 'entry') continue;
    const used = Math.min(e.quantity, closed.get(e.executionId) ?? 0);
    closed.set(e.executionId, (closed.get(e.executionId) ?? 0) - used);
    if (e.quantity > used) lots.push({ price: e.price, quantity: e.quantity - used });
  }
  return lots;
}

/** Dollars, exact to the cent (points in price units, rounded once, half away from zero). */
export function unrealizedPnl(p: UnrealizedInput, markPrice: number): number {
  const mark = priceToUnits(markPrice);
  const sign = p.side === 'long' ? 1 : -1;
  let points = 0;
  for (const lot of openLots(p)) points += sign * (mark - priceToUnits(lot.price)) * lot.quantity;
  return centsToDollars(grossCents(points, p.pointValue));
}
