import { defineAdapter } from './adapter.js';
import { parseCount, parseMoneyUnits, unitsToCents } from './amounts.js';
import type { ColumnSpec, Header, Row } from './columns.js';
import type { ParseContext } from './context.js';
import { idText, orderStatusOf, orderTypeOf, parseSide } from './fields.js';
import { checkOrder, type OrderFacts, orderFill, toOrder } from './orders.js';

/**
 * Rithmic R|Trader Pro order history, "Completed Orders" section (broker-formats.md §2): a title line
 * `Completed Orders`, then the header, then one row = one order with its filled total and average price.
 *
 *   "Account","Status","Remarks","Buy/Sell","Qty To Fill","Max Show Qty","Symbol","Price Type","Avg Fill Price",
 *   "Limit Price","Order Number","Original Sequence Number","Current Sequence Number","User Id",
 *   "Update Time (EDT)","Qty Filled","Create Time (EDT)","Commission","Liquidity Indicator","Executing Venue",
 *   "Commission Fill Rate"
 *
 * The column set follows the user's grid layout: read by name. Read: `Account`, `Status` (`Filled`,
 * `Cancelled`, `Failed`), `Buy/Sell` (`B`/`S`), `Qty To Fill`, `Qty Filled`, `Symbol` (`MNQM4`), `Price Type`
 * (`M`, `L`, `STP`), `Avg Fill Price`, `Limit Price`, a `Stop Price`/`Trigger Price` column when the layout has
 * one, `Order Number`, `Create Time`, `Update Time`, `Remarks`. The zone is in the column name (`Update Time (EDT)` →
 * America/New_York); without one, the source's zone. Commission = `Commission Fill Rate` × `Qty Filled`
 * (rounded once to the cent); without a rate, the `Commission` cell. Cancelled and failed orders are orders
 * with nothing filled, never fills.
 */
type F =
  | 'account'
  | 'status'
  | 'side'
  | 'quantity'
  | 'filled'
  | 'symbol'
  | 'priceType'
  | 'avgPrice'
  | 'limit'
  | 'stop'
  | 'orderId'
  | 'updated'
  | 'created'
  | 'commission'
  | 'rate'
  | 'remarks';

const SPEC: ColumnSpec<F> = {
  account: ['account'],
  status: ['status'],
  side: ['buy/sell'],
  quantity: ['qtytofill'],
  filled: ['qtyfilled'],
  symbol: ['symbol'],
  priceType: ['pricetype'],
  avgPrice: ['avgfillprice'],
  limit: ['limitprice'],
  stop: ['stopprice', 'triggerprice'],
  orderId: ['ordernumber'],
  updated: ['updatetime*'],
  created: ['createtime*'],
  commission: ['commission'],
  rate: ['commissionfillrate'],
  remarks: ['remarks'],
};

function prepare(ctx: ParseContext, header: Header<F>): boolean {
  ctx.zoneFromColumn(header.names.updated, header.line);
  return true;
}

function commissionCents(r: Row<F>, filled: number): number {
  const rate = r.may('rate', (t) => parseMoneyUnits(t));
  if (rate !== undefined) return unitsToCents(rate * filled);
  const total = r.may('commission', (t) => parseMoneyUnits(t));
  return total === undefined ? 0 : unitsToCents(total);
}

function row(ctx: ParseContext, r: Row<F>): void {
  const updated = ctx.time(r, 'updated');
  const created = ctx.time(r, 'created', true);
  const contract = ctx.contract(r, 'symbol', updated ?? created);
  const side = r.need('side', parseSide);
  const status = r.need('status', orderStatusOf);
  const orderId = r.need('orderId', idText);
  const quantity = r.may('quantity', parseCount);
  const filledQuantity = r.may('filled', parseCount) ?? 0;
  const avg = ctx.price(r, 'avgPrice', true);
  const limit = ctx.price(r, 'limit', true);
  const stop = ctx.price(r, 'stop', true);
  const commission = commissionCents(r, filledQuantity);
  if (r.failed || updated === undefined || !contract || !side || !status || !orderId) return;
  const filledAt = filledQuantity > 0 ? updated : undefined;
  const facts: OrderFacts = {
    account: r.text('account') || null,
    contract,
    orderId,
    side: side.side,
    status,
    statusText: r.text('status'),
    quantity,
    filledQuantity,
    avgFillPriceUnits: avg,
    filledAt,
    costs: commission === 0 ? {} : { commission },
  };
  if (!checkOrder(r, facts, { filled: 'filled', status: 'status', price: 'avgPrice', time: 'updated' })) return;
  ctx.orders.push(
    toOrder(r.line, facts, {
      type: orderTypeOf(r.text('priceType')),
      typeText: r.text('priceType'),
      limitPriceUnits: limit ?? null,
      stopPriceUnits: stop ?? null,
      placedAt: created ?? null,
      cancelledAt: status === 'cancelled' ? updated : null,
      parentId: null,
      bracket: false,
      protectiveStop: false,
      tag: r.text('remarks') || null,
    }),
  );
  orderFill(ctx, r.line, facts);
}

export const rithmicOrders = defineAdapter<F>({
  format: 'rithmic-orders',
  label: 'Rithmic R|Trader Pro Completed Orders',
  lookedFor:
    'Rithmic Completed Orders: a header with Account, Status, Buy/Sell, Qty Filled, Symbol, Avg Fill Price, Order Number, Update Time',
  rule: {
    format: 'rithmic-orders',
    spec: SPEC,
    required: ['account', 'status', 'side', 'filled', 'symbol', 'avgPrice', 'orderId', 'updated'],
    forbidden: ['assetclass'],
    delimiters: [','],
    within: 8,
  },
  prepare,
  row,
});
