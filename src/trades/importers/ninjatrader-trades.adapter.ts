import { defineAdapter } from './adapter.js';
import { decideDecimalMark, parseQuantity } from './amounts.js';
import { bad, type ColumnSpec, type Header, isBlank, ok, type Row } from './columns.js';
import type { ParseContext } from './context.js';
import { exitBeforeEntry, pairGrossCents, pnlMismatch, roundTripFills, totalCents } from './round-trips.js';
import { decideDateOrder } from './times.js';
import type { Costs, CsvRecord } from './types.js';

/**
 * NinjaTrader 8 Trade Performance "Trades" grid export (broker-formats.md §4.2): one row = one NinjaTrader trade,
 * a round trip. Current header (trailing comma), and an older one without the fee-split columns:
 *
 *   Trade number,Instrument,Account,Strategy,Market pos.,Qty,Entry price,Exit price,Entry time,Exit time,
 *   Entry name,Exit name,Profit,Cum. net profit,Commission,Clearing Fee,Exchange Fee,IP Fee,NFA Fee,MAE,MFE,ETD,
 *   Bars,
 *
 * Read: `Trade number` (the round trip's id), `Instrument`, `Account`, `Market pos.` (`Long`/`Short`), `Qty`,
 * `Entry price`/`Exit price`, `Entry time`/`Exit time` (locale format, no zone: the source's zone; day-first
 * recognised as in the Executions grid, or the `dateOrder` option), `Entry name`/`Exit name`, `Profit` (net of
 * the row's costs: checked against prices − costs), `Commission` (→ commission), `Clearing Fee` (→ clearing),
 * `Exchange Fee` (→ exchange), `IP Fee` (→ other), `NFA Fee` (→ nfa), `MAE`/`MFE`/`ETD` (kept on the exit fill).
 * Money as `$20.00`, `($75.90)`, `90.00 $`, `0,62 $`. A trimmed export with only some of these columns is read
 * as far as it goes; trailing all-comma rows are skipped. Each row gives an entry and an exit fill derived from
 * the round trip, the costs split evenly between them.
 */
type F =
  | 'number'
  | 'instrument'
  | 'account'
  | 'position'
  | 'qty'
  | 'entryPrice'
  | 'exitPrice'
  | 'entryTime'
  | 'exitTime'
  | 'entryName'
  | 'exitName'
  | 'profit'
  | 'commission'
  | 'clearing'
  | 'exchange'
  | 'ip'
  | 'nfa'
  | 'mae'
  | 'mfe'
  | 'etd';

const SPEC: ColumnSpec<F> = {
  number: ['tradenumber', 'trade#'],
  instrument: ['instrument'],
  account: ['account', 'accountdisplayname'],
  position: ['marketpos.', 'marketpos', 'marketposition'],
  qty: ['qty', 'quantity'],
  entryPrice: ['entryprice'],
  exitPrice: ['exitprice'],
  entryTime: ['entrytime'],
  exitTime: ['exittime'],
  entryName: ['entryname'],
  exitName: ['exitname'],
  profit: ['profit'],
  commission: ['commission'],
  clearing: ['clearingfee'],
  exchange: ['exchangefee'],
  ip: ['ipfee'],
  nfa: ['nfafee'],
  mae: ['mae'],
  mfe: ['mfe'],
  etd: ['etd'],
};

const COSTS: [F, keyof Costs][] = [
  ['commission', 'commission'],
  ['clearing', 'clearing'],
  ['exchange', 'exchange'],
  ['ip', 'other'],
  ['nfa', 'nfa'],
];

function cells(data: readonly CsvRecord[], ...indexes: (number | undefined)[]): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  for (const r of data) {
    if (isBlank(r.cells)) continue;
    for (const i of indexes) if (i !== undefined) out.push({ text: (r.cells[i] ?? '').trim(), line: r.line });
  }
  return out;
}

function prepare(ctx: ParseContext, header: Header<F>, data: readonly CsvRecord[]): boolean {
  const ix = header.index;
  const money = cells(data, ix.entryPrice, ix.exitPrice, ix.profit, ix.commission, ix.mae, ix.mfe).map((c) => c.text);
  const mark = decideDecimalMark(money, '.');
  if (!mark.ok) return ctx.refuse({ line: header.line, reason: mark.reason });
  ctx.decimal = mark.value;
  const order = decideDateOrder(cells(data, ix.entryTime, ix.exitTime), ctx.options.dateOrder);
  if (!order.ok) return ctx.refuse({ line: order.line ?? header.line, field: header.names.entryTime, reason: order.reason });
  ctx.dateOrder = order.value;
  ctx.times.setOrder(order.value.order);
  return true;
}

const direction = (t: string) => {
  const k = t.trim().toLowerCase();
  return k === 'long' || k === 'short' ? ok(k as 'long' | 'short') : bad(`bad market position "${t}": expected Long or Short`);
};

function row(ctx: ParseContext, r: Row<F>): void {
  const entryTime = ctx.time(r, 'entryTime');
  const exitTime = ctx.time(r, 'exitTime');
  const contract = ctx.contract(r, 'instrument', entryTime);
  const dir = r.need('position', direction);
  const quantity = r.need('qty', (t) => parseQuantity(t));
  const entry = ctx.price(r, 'entryPrice');
  const exit = ctx.price(r, 'exitPrice');
  const profit = r.has('profit') ? ctx.cents(r, 'profit') : undefined;
  const costs: Costs = {};
  for (const [field, kind] of COSTS) {
    const c = ctx.cents(r, field);
    if (c !== 0) costs[kind] = (costs[kind] ?? 0) + c;
  }
  const excursions =
    r.has('mae') || r.has('mfe')
      ? { maeCents: ctx.cents(r, 'mae'), mfeCents: ctx.cents(r, 'mfe'), etdCents: ctx.cents(r, 'etd') }
      : undefined;
  if (r.failed || entryTime === undefined || exitTime === undefined || !contract || !dir) return;
  if (quantity === undefined || entry === undefined || exit === undefined) return;
  const order = exitBeforeEntry(entryTime, exitTime);
  if (order) {
    r.fail('exitTime', order);
    return;
  }
  const pv = ctx.contracts.pointValue(contract.root);
  const [buy, sell] = dir === 'long' ? [entry, exit] : [exit, entry];
  const gross = pairGrossCents(buy, sell, quantity, pv);
  // Net of every cost; a Profit net of the Commission column alone is also accepted (whether NinjaTrader's
  // Commission includes the fee columns is not confirmed on a named file).
  const mismatch = profit === undefined ? undefined : pnlMismatch(profit, gross - totalCents(costs), contract.root, pv);
  if (mismatch && pnlMismatch(profit as number, gross - (costs.commission ?? 0), contract.root, pv)) {
    r.fail('profit', mismatch);
    return;
  }
  ctx.fills.push(
    ...roundTripFills({
      line: r.line,
      id: r.text('number') || `line:${r.line}`,
      account: r.text('account') || null,
      contract,
      direction: dir,
      quantity,
      entryPriceUnits: entry,
      exitPriceUnits: exit,
      entryTime,
      exitTime,
      costs,
      ...(excursions ? { excursions } : {}),
      name: { entry: r.text('entryName') || null, exit: r.text('exitName') || null },
    }),
  );
}

export const nt8Trades = defineAdapter<F>({
  format: 'nt8-trades',
  label: 'NinjaTrader 8 Trades',
  lookedFor: 'NinjaTrader Trades: a header with Instrument, Market pos., Qty, Entry price, Exit price, Entry time, Exit time',
  rule: {
    format: 'nt8-trades',
    spec: SPEC,
    required: ['instrument', 'position', 'qty', 'entryPrice', 'exitPrice', 'entryTime', 'exitTime'],
    delimiters: [',', ';', '\t'],
  },
  prepare,
  row,
});
