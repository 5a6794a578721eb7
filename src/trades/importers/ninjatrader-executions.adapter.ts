import type { Validity } from '../positions.js';
import { defineAdapter } from './adapter.js';
import { decideDecimalMark } from './amounts.js';
import { bad, type ColumnSpec, type Header, isBlank, ok, type Row } from './columns.js';
import type { ParseContext } from './context.js';
import { idText, parseOpenClose, parseSide } from './fields.js';
import { decideDateOrder } from './times.js';
import type { CsvRecord } from './types.js';

/**
 * NinjaTrader 8 execution files, one row = one fill (broker-formats.md §4.1, §4.3; reference-app.md §3.1):
 *
 * - `nt8-executions`, the Executions grid export (Trade Performance → Executions → Export), in every locale:
 *     Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,
 *   comma, semicolon or tab separated, often with a trailing delimiter; `Account display name` for `Account`;
 *   decimal comma and `0,62 $` in European locales; `Sell short`/`Buy to cover`; times in the PC's format
 *   (`9/8/2026 9:31:05 AM`, `27/04/2026 6:05:02`). Day-first dates are recognised when a day above 12 appears;
 *   when no date in the file can tell, the `dateOrder` option decides, and without it the file is refused.
 * - `ninjatrader-addon`, the old app's add-on export (today's format): the same first 14 columns plus
 *   `TradeValidation`, comma separated, `M/d/yyyy h:mm:ss tt` (month first by construction), `SellShort`/
 *   `BuyToCover`, commission `$0.52` (also `$$0.52`, `4.04`).
 *
 * Read: `Instrument` (`MNQ 09-26`, `MES JUN26`, `MNQM6`), `Action`, `E/X` (`Entry`/`Exit`/`E`/`X` → open/close;
 * it must agree with `Sell short`/`Buy to cover`), `Quantity`, `Price`, `Time` (no zone: the source's zone), `ID`
 * (fill id), `Order ID`, `Position` (`2 L`, `1 S`, `-`: the position after), `Name` (order name: `Stop1`),
 * `Commission` (→ commission), `Account`, `TradeValidation`. `Rate` and `Connection` are not read.
 */
type F =
  | 'instrument'
  | 'action'
  | 'quantity'
  | 'price'
  | 'time'
  | 'id'
  | 'ex'
  | 'position'
  | 'orderId'
  | 'name'
  | 'commission'
  | 'account'
  | 'validation';

const SPEC: ColumnSpec<F> = {
  instrument: ['instrument'],
  action: ['action'],
  quantity: ['quantity', 'qty'],
  price: ['price'],
  time: ['time'],
  id: ['id', 'executionid'],
  ex: ['e/x', 'entry/exit', 'entryexit'],
  position: ['position'],
  orderId: ['orderid'],
  name: ['name'],
  commission: ['commission'],
  account: ['account', 'accountdisplayname'],
  validation: ['tradevalidation'],
};

const REQUIRED: F[] = ['instrument', 'action', 'quantity', 'price', 'time', 'commission', 'account'];

/** `2 L` → 2, `1 S` → −1, `-` → 0; a plain signed number as it is. */
export function parsePosition(text: string): number | null {
  const m = /^([+-]?\d+)\s*([LS])?$/i.exec(text.trim());
  if (text.trim() === '-') return 0;
  if (!m) return null;
  const n = Number(m[1]);
  return m[2]?.toUpperCase() === 'S' ? -Math.abs(n) : n;
}

const validity = (t: string) => {
  const k = t.trim().toLowerCase();
  return k === 'valid' || k === 'invalid' ? ok(k as Validity) : bad(`bad TradeValidation "${t}": expected Valid, Invalid or empty`);
};

/** The cells of one column over the data rows. */
function* column(data: readonly CsvRecord[], index: number | undefined): Generator<{ text: string; line: number }> {
  if (index === undefined) return;
  for (const r of data) if (!isBlank(r.cells)) yield { text: (r.cells[index] ?? '').trim(), line: r.line };
}

/** The file's decimal mark (from prices and commissions) and, for the grid, its date order (from every Time). */
function prepareFor(addon: boolean) {
  return (ctx: ParseContext, header: Header<F>, data: readonly CsvRecord[]): boolean => {
    const numbers = [...column(data, header.index.price), ...column(data, header.index.commission)].map((c) => c.text);
    const mark = decideDecimalMark(numbers, '.');
    if (!mark.ok) return ctx.refuse({ line: header.line, field: header.names.price, reason: mark.reason });
    ctx.decimal = mark.value;
    if (addon) {
      ctx.dateOrder = { order: 'mdy', source: 'format' };
      return true;
    }
    const order = decideDateOrder(column(data, header.index.time), ctx.options.dateOrder);
    if (!order.ok) return ctx.refuse({ line: order.line ?? header.line, field: header.names.time, reason: order.reason });
    ctx.dateOrder = order.value;
    ctx.times.setOrder(order.value.order);
    return true;
  };
}

function rowFor(addon: boolean) {
  return (ctx: ParseContext, r: Row<F>): void => {
    const time = ctx.time(r, 'time');
    const contract = ctx.contract(r, 'instrument', time);
    const action = r.need('action', parseSide);
    const ex = r.may('ex', parseOpenClose) ?? null;
    if (action?.openClose && ex && ex !== action.openClose) r.fail('ex', `${r.text('ex')} contradicts the action ${r.text('action')}`);
    const quantity = ctx.quantity(r, 'quantity');
    const priceUnits = ctx.price(r, 'price');
    const commission = ctx.cents(r, 'commission');
    const account = r.need('account', idText);
    const validation = addon ? (r.may('validation', validity) ?? null) : undefined;
    if (r.failed || time === undefined || !contract || !action || quantity === undefined || priceUnits === undefined || !account) return;
    ctx.fills.push({
      line: r.line,
      account,
      contract,
      side: action.side,
      quantity,
      priceUnits,
      time,
      costs: commission === 0 ? {} : { commission },
      fillId: r.text('id') || null,
      orderId: r.text('orderId') || null,
      openClose: ex ?? action.openClose ?? null,
      derived: null,
      positionAfter: r.text('position') === '' ? null : parsePosition(r.text('position')),
      name: r.text('name') || null,
      ...(validation === undefined ? {} : { validation }),
    });
  };
}

export const nt8Executions = defineAdapter<F>({
  format: 'nt8-executions',
  label: 'NinjaTrader 8 Executions',
  lookedFor: 'NinjaTrader Executions: a header with Instrument, Action, Quantity, Price, Time, E/X, Commission, Account',
  rule: { format: 'nt8-executions', spec: SPEC, required: REQUIRED, forbidden: ['tradevalidation'], delimiters: [',', ';', '\t'] },
  prepare: prepareFor(false),
  row: rowFor(false),
});

export const ninjatraderAddon = defineAdapter<F>({
  format: 'ninjatrader-addon',
  label: 'NinjaTrader add-on export',
  lookedFor: 'the add-on export: the NinjaTrader Executions header with TradeValidation at the end',
  rule: { format: 'ninjatrader-addon', spec: SPEC, required: [...REQUIRED, 'validation'], delimiters: [','] },
  prepare: prepareFor(true),
  row: rowFor(true),
});
