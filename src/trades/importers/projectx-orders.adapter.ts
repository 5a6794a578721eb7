import { defineAdapter } from './adapter.js';
import { parseQuantity } from './amounts.js';
import type { ColumnSpec, Row } from './columns.js';
import type { ParseContext } from './context.js';
import { idText, orderStatusOf, orderTypeOf, parseOpenClose, parseSide } from './fields.js';
import { checkOrder, type OrderFacts, orderFill, toOrder } from './orders.js';

/**
 * TopstepX / ProjectX "Orders" export (broker-formats.md §3.2): one row = one order.
 *
 *   Id,AccountName,ContractName,Status,Type,Size,Side,CreatedAt,TradeDay,FilledAt,CancelledAt,TriggeredAt,
 *   StopPrice,LimitPrice,ExecutePrice,TriggeredPrice,PositionDisposition,CreationDisposition,RejectionReason,
 *   ExchangeOrderId,PlatformOrderId
 *
 * Read: `Id`, `AccountName`, `ContractName`, `Status` (`Filled`, `Rejected`, `Cancelled`), `Type`, `Size`,
 * `Side` (`Bid` buy, `Ask` sell), `CreatedAt`/`FilledAt`/`CancelledAt` (with offsets: used), `StopPrice`,
 * `LimitPrice`, `ExecutePrice` (the fill price), `PositionDisposition` (`Opening`/`Closing` → open/close),
 * `CreationDisposition` (`StopLoss` marks a protective stop). The export has no filled quantity: a Filled order
 * filled its `Size`. No fees.
 */
type F =
  | 'id'
  | 'account'
  | 'contract'
  | 'status'
  | 'type'
  | 'size'
  | 'side'
  | 'created'
  | 'filledAt'
  | 'cancelledAt'
  | 'stop'
  | 'limit'
  | 'execute'
  | 'position'
  | 'creation';

const SPEC: ColumnSpec<F> = {
  id: ['id'],
  account: ['accountname'],
  contract: ['contractname'],
  status: ['status'],
  type: ['type'],
  size: ['size'],
  side: ['side'],
  created: ['createdat'],
  filledAt: ['filledat'],
  cancelledAt: ['cancelledat'],
  stop: ['stopprice'],
  limit: ['limitprice'],
  execute: ['executeprice'],
  position: ['positiondisposition'],
  creation: ['creationdisposition'],
};

function row(ctx: ParseContext, r: Row<F>): void {
  const created = ctx.time(r, 'created', true);
  const filledAt = ctx.time(r, 'filledAt', true);
  const cancelledAt = ctx.time(r, 'cancelledAt', true);
  const at = filledAt ?? created ?? cancelledAt;
  if (at === undefined && !r.failed) r.fail('created', 'the order has no time (CreatedAt and FilledAt are empty)');
  const contract = ctx.contract(r, 'contract', at);
  const side = r.need('side', parseSide);
  const status = r.need('status', orderStatusOf);
  const orderId = r.need('id', idText);
  const quantity = r.need('size', (t) => parseQuantity(t));
  const execute = ctx.price(r, 'execute', true);
  const openClose = r.may('position', parseOpenClose) ?? null;
  const stop = ctx.price(r, 'stop', true);
  const limit = ctx.price(r, 'limit', true);
  if (r.failed || !contract || !side || !status || !orderId || quantity === undefined) return;
  const facts: OrderFacts = {
    account: r.text('account') || null,
    contract,
    orderId,
    side: side.side,
    status,
    statusText: r.text('status'),
    quantity,
    filledQuantity: status === 'filled' ? quantity : 0,
    avgFillPriceUnits: execute,
    filledAt,
    openClose,
  };
  if (!checkOrder(r, facts, { filled: 'size', status: 'status', price: 'execute', time: 'filledAt' })) return;
  const creation = r.text('creation');
  ctx.orders.push(
    toOrder(r.line, facts, {
      type: orderTypeOf(r.text('type')),
      typeText: r.text('type'),
      limitPriceUnits: limit ?? null,
      stopPriceUnits: stop ?? null,
      placedAt: created ?? null,
      cancelledAt: cancelledAt ?? null,
      parentId: null,
      bracket: false,
      protectiveStop: creation.toLowerCase() === 'stoploss',
      tag: creation || null,
    }),
  );
  orderFill(ctx, r.line, facts);
}

export const projectxOrders = defineAdapter<F>({
  format: 'projectx-orders',
  label: 'TopstepX / ProjectX Orders',
  lookedFor: 'TopstepX Orders: a header with Id, ContractName, Status, Size, Side, FilledAt, ExecutePrice, PositionDisposition',
  rule: {
    format: 'projectx-orders',
    spec: SPEC,
    required: ['id', 'contract', 'status', 'size', 'side', 'filledAt', 'execute', 'position'],
    delimiters: [',', ';', '\t'],
  },
  row,
});
