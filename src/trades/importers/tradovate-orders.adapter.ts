import { defineAdapter } from './adapter.js';
import { parseCount } from './amounts.js';
import type { ColumnSpec, Row } from './columns.js';
import type { ParseContext } from './context.js';
import { idText, orderStatusOf, orderTypeOf, parseSide } from './fields.js';
import { checkOrder, type OrderFacts, orderFill, toOrder } from './orders.js';

/**
 * Tradovate "Orders" CSV (broker-formats.md §1.1): one row = one order, with its filled total and average price;
 * cancelled and rejected orders included. Header (32 columns; shorter variants end at `Stop Price` or at
 * `decimalFillAvg`, so columns are read by name):
 *
 *   orderId,Account,Order ID,B/S,Contract,Product,Product Description,avgPrice,filledQty,Fill Time,lastCommandId,
 *   Status,_priceFormat,_priceFormatType,_tickSize,spreadDefinitionId,Version ID,Timestamp,Date,Quantity,Text,
 *   Type,Limit Price,Stop Price,decimalLimit,decimalStop,Filled Qty,Avg Fill Price,decimalFillAvg,Venue,
 *   Notional Value,Currency
 *
 * Read: `orderId`, `Account`, `B/S`, `Contract`/`Product`, `avgPrice` and `filledQty` (the short variants have
 * only these; else `Avg Fill Price`, `Filled Qty`), `Fill Time` (the fill; `Timestamp` is when the order was
 * placed, and `Date` follows it, not the fill), `Status` (`Canceled` with one L), `Quantity`, `Type`,
 * `Limit Price`, `Stop Price`, `Text` (`multibracket` marks bracket legs; there is no parent column). Values
 * carry a leading space: every cell is trimmed. No fees in this export. Times are local wall time with no
 * offset: the source's zone.
 */
type F =
  | 'orderId'
  | 'account'
  | 'side'
  | 'contract'
  | 'product'
  | 'avgPrice'
  | 'filled'
  | 'fillTime'
  | 'status'
  | 'placed'
  | 'quantity'
  | 'text'
  | 'type'
  | 'limit'
  | 'stop';

const SPEC: ColumnSpec<F> = {
  orderId: ['orderid'],
  account: ['account'],
  side: ['b/s'],
  contract: ['contract'],
  product: ['product'],
  avgPrice: ['avgprice', 'avgfillprice'],
  filled: ['filledqty'],
  fillTime: ['filltime'],
  status: ['status'],
  placed: ['timestamp'],
  quantity: ['quantity'],
  text: ['text'],
  type: ['type'],
  limit: ['limitprice'],
  stop: ['stopprice'],
};

function row(ctx: ParseContext, r: Row<F>): void {
  const placedAt = ctx.time(r, 'placed', true);
  const filledAt = ctx.time(r, 'fillTime', true);
  const at = filledAt ?? placedAt;
  if (at === undefined && !r.failed) r.fail('placed', 'the order has no time (Timestamp and Fill Time are empty)');
  const contract = ctx.contract(r, 'contract', at, 'product');
  const side = r.need('side', parseSide);
  const status = r.need('status', orderStatusOf);
  const orderId = r.need('orderId', idText);
  const quantity = r.may('quantity', parseCount);
  const filledQuantity = r.may('filled', parseCount) ?? 0;
  const avgFillPriceUnits = ctx.price(r, 'avgPrice', true);
  const limit = ctx.price(r, 'limit', true);
  const stop = ctx.price(r, 'stop', true);
  if (r.failed || !contract || !side || !status || !orderId) return;
  const facts: OrderFacts = {
    account: r.text('account') || null,
    contract,
    orderId,
    side: side.side,
    status,
    statusText: r.text('status'),
    quantity,
    filledQuantity,
    avgFillPriceUnits,
    filledAt,
  };
  if (!checkOrder(r, facts, { filled: 'filled', status: 'status', price: 'avgPrice', time: 'fillTime' })) return;
  const tag = r.text('text') || null;
  ctx.orders.push(
    toOrder(r.line, facts, {
      type: orderTypeOf(r.text('type')),
      typeText: r.text('type'),
      limitPriceUnits: limit ?? null,
      stopPriceUnits: stop ?? null,
      placedAt: placedAt ?? null,
      cancelledAt: null,
      parentId: null,
      bracket: tag?.toLowerCase() === 'multibracket',
      protectiveStop: false,
      tag,
    }),
  );
  orderFill(ctx, r.line, facts);
}

export const tradovateOrders = defineAdapter<F>({
  format: 'tradovate-orders',
  label: 'Tradovate Orders',
  lookedFor: 'Tradovate Orders: a header with orderId, B/S, Contract, Status, avgPrice, filledQty, Fill Time',
  rule: {
    format: 'tradovate-orders',
    spec: SPEC,
    required: ['orderId', 'side', 'contract', 'status', 'avgPrice', 'filled', 'fillTime'],
    delimiters: [','],
  },
  row,
});
