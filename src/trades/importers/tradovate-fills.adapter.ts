import { defineAdapter } from './adapter.js';
import type { ColumnSpec, Row } from './columns.js';
import type { ParseContext } from './context.js';
import { idText, parseSide } from './fields.js';

/**
 * Tradovate "Fills" CSV (broker-formats.md §1.2): one row = one fill, the preferred Tradovate export.
 *
 *   _id,_orderId,_contractId,_timestamp,_tradeDate,_action,_qty,_price,_active,_accountId,Fill ID,Order ID,
 *   Timestamp,Date,Account,B/S,Quantity,Price,_priceFormat,_priceFormatType,_tickSize,Contract,Product,
 *   Product Description,commission
 *
 * Read: `Fill ID`, `Order ID` (the Orders CSV's orderId), `Account`, `B/S` (leading space) or `_action` (0 buy,
 * 1 sell), `Quantity`, `Price`, `Contract` (`NQH6`) checked against `Product` (`NQ`), `commission` (one total
 * per fill, not split → commission). Time: `_timestamp` is UTC with a `Z` (an offset in the data wins); a file
 * without it falls back to `Timestamp`, local wall time in the source's zone.
 */
type F =
  | 'fillId'
  | 'orderId'
  | 'utc'
  | 'local'
  | 'account'
  | 'side'
  | 'action'
  | 'quantity'
  | 'price'
  | 'contract'
  | 'product'
  | 'commission';

const SPEC: ColumnSpec<F> = {
  fillId: ['fillid'],
  orderId: ['orderid'],
  utc: ['_timestamp'],
  local: ['timestamp'],
  account: ['account'],
  side: ['b/s'],
  action: ['_action'],
  quantity: ['quantity'],
  price: ['price'],
  contract: ['contract'],
  product: ['product'],
  commission: ['commission'],
};

function row(ctx: ParseContext, r: Row<F>): void {
  const time = r.text('utc') !== '' ? ctx.time(r, 'utc') : ctx.time(r, 'local');
  const contract = ctx.contract(r, 'contract', time, 'product');
  const side = r.text('side') !== '' || !r.has('action') ? r.need('side', parseSide) : r.need('action', parseSide);
  const quantity = ctx.quantity(r, 'quantity');
  const priceUnits = ctx.price(r, 'price');
  const commission = ctx.cents(r, 'commission');
  const fillId = r.need('fillId', idText);
  if (r.failed || time === undefined || !contract || !side || quantity === undefined || priceUnits === undefined || !fillId) return;
  ctx.fills.push({
    line: r.line,
    account: r.text('account') || null,
    contract,
    side: side.side,
    quantity,
    priceUnits,
    time,
    costs: commission === 0 ? {} : { commission },
    fillId,
    orderId: r.text('orderId') || null,
    openClose: null,
    derived: null,
  });
}

export const tradovateFills = defineAdapter<F>({
  format: 'tradovate-fills',
  label: 'Tradovate Fills',
  lookedFor: 'Tradovate Fills: a header with Fill ID, Order ID, B/S, Contract, Quantity, Price',
  rule: {
    format: 'tradovate-fills',
    spec: SPEC,
    required: ['fillId', 'orderId', 'side', 'quantity', 'price', 'contract'],
    delimiters: [','],
  },
  row,
});
