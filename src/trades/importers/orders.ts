import type { Row } from './columns.js';
import type { ParseContext } from './context.js';
import type { Contract, Fill, Order, OrderStatus, Side } from './types.js';

/**
 * Order rows (Tradovate Orders, Rithmic Completed Orders, TopstepX Orders) carry an order's filled total and
 * average price, not its fills. A row with a filled quantity gives one fill marked `derived: 'order'` (the fills
 * of the same order, from a fill-level file, replace it). Rows that contradict themselves are problems on their
 * line: more filled than ordered, a rejected order with fills, a filled order with nothing filled. A cancelled or
 * rejected order with nothing filled is an order only, never a fill (TradeNote imports them as fills of 0).
 */
export interface OrderFacts {
  account: string | null;
  contract: Contract;
  orderId: string;
  side: Side;
  status: OrderStatus;
  statusText: string;
  quantity: number | undefined;
  filledQuantity: number;
  avgFillPriceUnits: number | undefined;
  filledAt: number | undefined;
  openClose?: 'open' | 'close' | null;
  costs?: Fill['costs'];
}

/** The contradictions of an order row, recorded on the row; true when it is consistent. */
export function checkOrder<F extends string>(r: Row<F>, o: OrderFacts, fields: { filled: F; status: F; price: F; time: F }): boolean {
  if (o.quantity !== undefined && o.filledQuantity > o.quantity) {
    r.fail(fields.filled, `${o.filledQuantity} filled is more than the order's quantity of ${o.quantity}`);
  }
  if (o.status === 'rejected' && o.filledQuantity > 0)
    r.fail(fields.status, `a ${o.statusText} order cannot have ${o.filledQuantity} filled`);
  if (o.status === 'filled' && o.filledQuantity === 0) r.fail(fields.filled, `a ${o.statusText} order with nothing filled`);
  if (o.filledQuantity > 0 && o.avgFillPriceUnits === undefined) r.fail(fields.price, `${o.filledQuantity} filled but no fill price`);
  if (o.filledQuantity > 0 && o.filledAt === undefined) r.fail(fields.time, `${o.filledQuantity} filled but no fill time`);
  return !r.failed;
}

/** The fill an order row stands for, when it has a filled quantity. */
export function orderFill(ctx: ParseContext, line: number, o: OrderFacts): void {
  if (o.filledQuantity === 0 || o.avgFillPriceUnits === undefined || o.filledAt === undefined) return;
  ctx.fills.push({
    line,
    account: o.account,
    contract: o.contract,
    side: o.side,
    quantity: o.filledQuantity,
    priceUnits: o.avgFillPriceUnits,
    time: o.filledAt,
    costs: o.costs ?? {},
    fillId: null,
    orderId: o.orderId,
    openClose: o.openClose ?? null,
    derived: 'order',
  });
}

/** What an order row says beyond its facts. */
export type OrderExtras = Pick<
  Order,
  | 'type'
  | 'typeText'
  | 'limitPriceUnits'
  | 'stopPriceUnits'
  | 'placedAt'
  | 'cancelledAt'
  | 'parentId'
  | 'bracket'
  | 'protectiveStop'
  | 'tag'
>;

/** The normalised order of a row. */
export function toOrder(line: number, o: OrderFacts, extras: OrderExtras): Order {
  return {
    line,
    account: o.account,
    contract: o.contract,
    orderId: o.orderId,
    side: o.side,
    status: o.status,
    statusText: o.statusText,
    quantity: o.quantity ?? o.filledQuantity,
    filledQuantity: o.filledQuantity,
    avgFillPriceUnits: o.avgFillPriceUnits ?? null,
    filledAt: o.filledAt ?? null,
    ...extras,
  };
}
