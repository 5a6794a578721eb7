import { defineAdapter } from './adapter.js';
import { parseCents, parseCount } from './amounts.js';
import { bad, type ColumnSpec, ok, type Row } from './columns.js';
import type { ParseContext } from './context.js';
import { idText, orderStatusOf, orderTypeOf, parseOpenClose, parseSide } from './fields.js';
import type { Order } from './types.js';

/**
 * Sierra Chart Trade Activity Log, exported as text (broker-formats.md §6): tab-separated, 29 columns,
 *
 *   ActivityType DateTime TransDateTime Symbol OrderActionSource InternalOrderID ServiceOrderID OrderType
 *   Quantity BuySell Price Price2 OrderStatus FillPrice FilledQuantity TradeAccount OpenClose
 *   ParentInternalOrderID PositionQuantity FillExecutionServiceID HighDuringPosition LowDuringPosition Note
 *   AccountBalance ExchangeOrderID ClientOrderID TimeInForce Username IsAutomated
 *
 * Rows by `ActivityType`:
 * - `Fills`: one fill. `Quantity` (this fill; `FilledQuantity` is the order's running total), `FillPrice`,
 *   `BuySell`, `Symbol` (`MESM26_FUT_CME`, `MESU6.CME`), `TradeAccount`, `OpenClose`, `InternalOrderID` (order),
 *   `FillExecutionServiceID` (fill id), `PositionQuantity` (signed position after; empty when flat).
 * - `Orders`: one event of an order; the events of one `InternalOrderID` make one order (first seen = placed,
 *   a `Filled` event = filled, `Canceled` = cancelled, a stop whose `Price` changes records the move). `Price` is
 *   the limit or stop price, `Price2` a stop-limit's limit. `ParentInternalOrderID` links a bracket's children:
 *   a child stop that closes is a protective stop (SCT's rule for initial risk).
 * - `Account Balance`: `Trade Fee: 0.52 USD` and `Closed Trade Profit/Loss: …` in `OrderActionSource` become
 *   cash entries (the fee is Sierra's own, reported slightly above some brokers' rate).
 * - `Positions` and anything else: ignored, listed.
 * `DateTime` (two spaces before the time, microseconds) has no zone: the source's zone. The ×100 price scaling
 * some parsers apply is not confirmed on a named source and is not applied.
 */
type F =
  | 'activity'
  | 'time'
  | 'symbol'
  | 'source'
  | 'orderId'
  | 'orderType'
  | 'quantity'
  | 'side'
  | 'price'
  | 'price2'
  | 'status'
  | 'fillPrice'
  | 'filled'
  | 'account'
  | 'openClose'
  | 'parent'
  | 'position'
  | 'fillId';

const SPEC: ColumnSpec<F> = {
  activity: ['activitytype'],
  time: ['datetime'],
  symbol: ['symbol'],
  source: ['orderactionsource'],
  orderId: ['internalorderid'],
  orderType: ['ordertype'],
  quantity: ['quantity'],
  side: ['buysell'],
  price: ['price'],
  price2: ['price2'],
  status: ['orderstatus'],
  fillPrice: ['fillprice'],
  filled: ['filledquantity'],
  account: ['tradeaccount'],
  openClose: ['openclose'],
  parent: ['parentinternalorderid'],
  position: ['positionquantity'],
  fillId: ['fillexecutionserviceid'],
};

const signedInt = (t: string) => (/^[+-]?\d+$/.test(t.trim()) ? ok(Number(t)) : bad(`bad position "${t}"`));

function fill(ctx: ParseContext, r: Row<F>): void {
  const time = ctx.time(r, 'time');
  const contract = ctx.contract(r, 'symbol', time);
  const side = r.need('side', parseSide);
  const quantity = ctx.quantity(r, 'quantity');
  const priceUnits = ctx.price(r, 'fillPrice');
  const openClose = r.may('openClose', parseOpenClose) ?? null;
  const position = r.may('position', signedInt);
  if (r.failed || time === undefined || !contract || !side || quantity === undefined || priceUnits === undefined) return;
  ctx.fills.push({
    line: r.line,
    account: r.text('account') || null,
    contract,
    side: side.side,
    quantity,
    priceUnits,
    time,
    costs: {},
    fillId: r.may('fillId', idText) ?? null,
    orderId: r.may('orderId', idText) ?? null,
    openClose,
    derived: null,
    positionAfter: position ?? null,
  });
}

const ordersOf = new WeakMap<ParseContext, Map<string, Order>>();

function orderEvent(ctx: ParseContext, r: Row<F>): void {
  const time = ctx.time(r, 'time');
  const contract = ctx.contract(r, 'symbol', time);
  const side = r.need('side', parseSide);
  const orderId = r.need('orderId', idText);
  const status = r.need('status', orderStatusOf);
  const quantity = r.may('quantity', parseCount) ?? 0;
  const filled = r.may('filled', parseCount) ?? 0;
  const price = ctx.price(r, 'price', true);
  const price2 = ctx.price(r, 'price2', true);
  const avg = ctx.price(r, 'fillPrice', true);
  if (filled > quantity && quantity > 0) r.fail('filled', `${filled} filled is more than the order's quantity of ${quantity}`);
  if (r.failed || time === undefined || !contract || !side || !orderId || !status) return;
  const type = orderTypeOf(r.text('orderType'));
  const stop = type === 'stop' || type === 'stop-limit' ? (price ?? null) : null;
  const limit = type === 'limit' ? (price ?? null) : type === 'stop-limit' ? (price2 ?? null) : null;
  let orders = ordersOf.get(ctx);
  if (!orders) {
    orders = new Map();
    ordersOf.set(ctx, orders);
  }
  const seen = orders.get(orderId);
  if (!seen) {
    const parentId = r.text('parent') || null;
    const closes = r.may('openClose', parseOpenClose) === 'close';
    const order: Order = {
      line: r.line,
      account: r.text('account') || null,
      contract,
      orderId,
      side: side.side,
      type,
      typeText: r.text('orderType'),
      limitPriceUnits: limit,
      stopPriceUnits: stop,
      status,
      statusText: r.text('status'),
      placedAt: time,
      filledAt: status === 'filled' ? time : null,
      cancelledAt: status === 'cancelled' ? time : null,
      quantity,
      filledQuantity: filled,
      avgFillPriceUnits: avg ?? null,
      parentId,
      bracket: parentId !== null,
      protectiveStop: stop !== null && closes && parentId !== null,
      tag: r.text('source') || null,
    };
    orders.set(orderId, order);
    ctx.orders.push(order);
    return;
  }
  seen.status = status;
  seen.statusText = r.text('status');
  seen.filledQuantity = Math.max(seen.filledQuantity, filled);
  if (avg !== undefined) seen.avgFillPriceUnits = avg;
  if (quantity > 0) seen.quantity = quantity;
  if (status === 'filled' && seen.filledAt === null) seen.filledAt = time;
  if (status === 'cancelled' && seen.cancelledAt === null) seen.cancelledAt = time;
  const lastStop = seen.stopMoves?.at(-1)?.stopPriceUnits ?? seen.stopPriceUnits;
  if (stop !== null && lastStop !== null && stop !== lastStop) {
    seen.stopMoves = [...(seen.stopMoves ?? []), { at: time, stopPriceUnits: stop }];
  }
}

function balance(ctx: ParseContext, r: Row<F>): void {
  const m = /^(.*?):\s*(-?[\d.,]+)\s*([A-Z]{3})?\s*$/.exec(r.text('source'));
  const label = m?.[1]?.trim().toLowerCase();
  if (!m || (label !== 'trade fee' && label !== 'closed trade profit/loss')) {
    return void ctx.ignored.push({ line: r.line, reason: 'an account balance row without a trade fee or closed P&L' });
  }
  const time = ctx.time(r, 'time');
  const amount = parseCents(m[2] as string);
  if (!amount.ok) r.fail('source', amount.reason);
  if ((m[3] ?? 'USD') !== 'USD') r.fail('source', `currency ${m[3]}: tradelog keeps accounts in USD`);
  if (r.failed || time === undefined || !amount.ok) return;
  const fee = label === 'trade fee';
  const contract = r.text('symbol') === '' ? null : (ctx.contract(r, 'symbol', time) ?? null);
  ctx.cashEntries.push({
    line: r.line,
    account: r.text('account') || null,
    time,
    kind: fee ? 'commission' : 'pnl',
    kindText: m[1]?.trim() as string,
    amountCents: fee ? -Math.abs(amount.value) : amount.value,
    contract,
    entryId: null,
  });
}

function row(ctx: ParseContext, r: Row<F>): void {
  const kind = r.text('activity').toLowerCase();
  if (kind === 'fills') fill(ctx, r);
  else if (kind === 'orders') orderEvent(ctx, r);
  else if (kind === 'account balance') balance(ctx, r);
  else ctx.ignored.push({ line: r.line, reason: `a ${r.text('activity') || 'blank'} row` });
}

export const sierraActivity = defineAdapter<F>({
  format: 'sierra-activity',
  label: 'Sierra Chart Trade Activity Log',
  lookedFor: 'Sierra Chart Trade Activity Log: a tab-separated header with ActivityType, DateTime, Symbol, BuySell, FillPrice',
  rule: {
    format: 'sierra-activity',
    spec: SPEC,
    required: ['activity', 'time', 'symbol', 'side', 'quantity', 'fillPrice'],
    delimiters: ['\t'],
  },
  row,
});
