import type { OrderRow } from './orders.repo.js';

/**
 * A position's initial stop and the stop's history (issue 10 §8), pure.
 *
 * The initial stop from orders is the first protective stop working when the position opened: a stop (or
 * stop-limit) order of the position's account and contract on the closing side (a sell stop for a long), with a
 * stop price, not rejected, not cancelled or filled before the opening fill, and placed before the position closed
 * and no later than STOP_GRACE_MS after it opened (a bracket's stop is placed as its entry fills; the times of two
 * reports of one platform can differ by a second). Among those: a child of the opening order first (Sierra Chart's
 * ParentInternalOrderID), then one the source marks as a protective stop (TopstepX StopLoss), then the earliest
 * placed. A stop typed on the position page wins over it.
 *
 * The history: the initial stop, each later price of that order (Sierra Chart order events), and each later stop
 * order on the closing side placed while the position was open, at a price different from the one before; then
 * the moves typed on the position page. Ordered by time.
 */
export const STOP_GRACE_MS = 60_000;

export interface StopPosition {
  side: 'long' | 'short';
  openedAt: number;
  closedAt: number | null;
  /** Order ids of the fills that opened and added to it. */
  openingOrderIds: readonly string[];
}

export interface StopPoint {
  at: number;
  stopPrice: number;
  source: 'order' | 'typed';
  /** The source's order id, for a stop from orders. */
  orderId?: string;
}

const closingSide = (p: StopPosition) => (p.side === 'long' ? 'sell' : 'buy');

function usable(p: StopPosition, o: OrderRow): o is OrderRow & { placedAt: number; stopPrice: number } {
  return (
    (o.type === 'stop' || o.type === 'stop-limit') &&
    o.side === closingSide(p) &&
    o.stopPrice !== null &&
    o.placedAt !== null &&
    o.status !== 'rejected' &&
    (p.closedAt === null || o.placedAt <= p.closedAt)
  );
}

/** The order of the initial stop, if the orders hold one. */
export function initialStopOrder(p: StopPosition, orders: readonly OrderRow[]): (OrderRow & { stopPrice: number }) | undefined {
  const latest = p.openedAt + STOP_GRACE_MS;
  const working = orders.filter(
    (o): o is OrderRow & { placedAt: number; stopPrice: number } =>
      usable(p, o) &&
      o.placedAt <= latest &&
      (o.cancelledAt === null || o.cancelledAt > p.openedAt) &&
      (o.filledAt === null || o.filledAt >= p.openedAt),
  );
  const rank = (o: OrderRow) => (o.parentKey !== null && p.openingOrderIds.includes(o.parentKey) ? 0 : o.protective ? 1 : 2);
  return working.sort((a, b) => rank(a) - rank(b) || a.placedAt - b.placedAt || a.id - b.id)[0];
}

/** The stop's history from orders, starting with the initial stop order (empty without one). */
export function stopHistory(p: StopPosition, orders: readonly OrderRow[], initial: OrderRow & { stopPrice: number }): StopPoint[] {
  const out: StopPoint[] = [
    { at: initial.placedAt ?? p.openedAt, stopPrice: initial.stopPrice, source: 'order', orderId: initial.orderKey },
  ];
  for (const m of initial.stopMoves) out.push({ at: m.at, stopPrice: m.stopPrice, source: 'order', orderId: initial.orderKey });
  for (const o of orders) {
    if (o.id === initial.id || !usable(p, o) || o.placedAt <= (initial.placedAt ?? p.openedAt)) continue;
    out.push({ at: o.placedAt, stopPrice: o.stopPrice, source: 'order', orderId: o.orderKey });
    for (const m of o.stopMoves) out.push({ at: m.at, stopPrice: m.stopPrice, source: 'order', orderId: o.orderKey });
  }
  out.sort((a, b) => a.at - b.at);
  return out.filter((s, i) => i === 0 || s.stopPrice !== (out[i - 1] as StopPoint).stopPrice);
}
