import { defineAdapter } from './adapter.js';
import { parseMoneyUnits, parseQuantity, unitsToCents } from './amounts.js';
import { bad, type ColumnSpec, ok, type Row } from './columns.js';
import type { ParseContext } from './context.js';
import { idText, parseSide } from './fields.js';
import type { CostKind, Costs } from './types.js';

/**
 * Interactive Brokers Trade Confirmation Flex query, CSV (broker-formats.md §5.1): one row = one execution. The
 * fields and their order are the user's choice, so everything is read by name; every field is quoted.
 *
 *   "ClientAccountID","CurrencyPrimary","AssetClass","Symbol","UnderlyingSymbol","Multiplier","Put/Call",
 *   "TradeID","OrderID","Date/Time","SettleDate","Buy/Sell","Quantity","Price","Proceeds","NetCash","Commission",
 *   "BrokerExecutionCommission","BrokerClearingCommission","ThirdPartyExecutionCommission",
 *   "ThirdPartyClearingCommission","OtherCommission","Code"
 *
 * Only futures rows are read (`AssetClass` = `FUT`; others are listed as ignored, as are rows whose
 * `LevelOfDetail` is not `EXECUTION`). `Symbol` (`MESM6`) must agree with `UnderlyingSymbol` (`MES`), and
 * `Multiplier`, when chosen, with the contract table's point value (a file that says 50 for MES is refused, not
 * priced).
 * `Quantity` is signed (negative sells) and must agree with `Buy/Sell`. Commissions are negative for a cost: the
 * sign is turned. When the six parts are there they give the costs by kind (broker execution → commission,
 * broker and third-party clearing → clearing, third-party execution → exchange, third-party regulatory → nfa,
 * other → other), each to the cent with the rounding remainder on the largest so that they add up to the total,
 * which must match `Commission`. `Date/Time` follows the user's Flex settings (`20260323;122919`,
 * `2026-03-23;12:29:19`, `2026-03-23,12:29:19`) and has no zone: the source's zone. `Code` `O`/`C` is the
 * open/close flag. Only USD is read.
 */
type F =
  | 'account'
  | 'currency'
  | 'assetClass'
  | 'symbol'
  | 'underlying'
  | 'multiplier'
  | 'tradeId'
  | 'orderId'
  | 'time'
  | 'side'
  | 'quantity'
  | 'price'
  | 'commission'
  | 'code'
  | 'level'
  | CostPart;

type CostPart = 'brokerExec' | 'brokerClear' | 'thirdExec' | 'thirdClear' | 'thirdReg' | 'otherComm';

const PARTS: Record<CostPart, CostKind> = {
  brokerExec: 'commission',
  brokerClear: 'clearing',
  thirdExec: 'exchange',
  thirdClear: 'clearing',
  thirdReg: 'nfa',
  otherComm: 'other',
};

const SPEC: ColumnSpec<F> = {
  account: ['clientaccountid', 'accountid'],
  currency: ['currencyprimary', 'currency'],
  assetClass: ['assetclass', 'assetcategory'],
  symbol: ['symbol'],
  underlying: ['underlyingsymbol'],
  multiplier: ['multiplier'],
  tradeId: ['tradeid', 'execid', 'ibexecid'],
  orderId: ['orderid', 'iborderid'],
  time: ['date/time', 'datetime'],
  side: ['buy/sell', 'buysell'],
  quantity: ['quantity'],
  price: ['price', 'tradeprice'],
  commission: ['commission', 'ibcommission'],
  code: ['code', 'notes/codes'],
  level: ['levelofdetail'],
  brokerExec: ['brokerexecutioncommission'],
  brokerClear: ['brokerclearingcommission'],
  thirdExec: ['thirdpartyexecutioncommission'],
  thirdClear: ['thirdpartyclearingcommission'],
  thirdReg: ['thirdpartyregulatorycommission'],
  otherComm: ['othercommission'],
};

/** Costs in cents from IBKR's signed amounts (1e-7 dollars, negative = cost), summing exactly to the rounded total. */
export function allocateCents(parts: [CostKind, number][]): Costs {
  const total = unitsToCents(-parts.reduce((s, [, u]) => s + u, 0));
  const costs: Costs = {};
  let sum = 0;
  let largest: CostKind | undefined;
  for (const [kind, units] of parts) {
    const c = unitsToCents(-units);
    costs[kind] = (costs[kind] ?? 0) + c;
    sum += c;
    if (largest === undefined || Math.abs(costs[kind] ?? 0) > Math.abs(costs[largest] ?? 0)) largest = kind;
  }
  if (largest !== undefined && sum !== total) costs[largest] = (costs[largest] ?? 0) + total - sum;
  for (const k of Object.keys(costs) as CostKind[]) if (costs[k] === 0) delete costs[k];
  return costs;
}

function readCosts(r: Row<F>): Costs | undefined {
  const money = (t: string) => parseMoneyUnits(t);
  const parts: [CostKind, number][] = [];
  for (const p of Object.keys(PARTS) as CostPart[]) {
    const u = r.has(p) ? r.may(p, money) : undefined;
    if (u !== undefined) parts.push([PARTS[p], u]);
  }
  const total = r.may('commission', money);
  if (parts.length === 0) return total === undefined ? {} : allocateCents([['commission', total]]);
  const sum = parts.reduce((s, [, u]) => s + u, 0);
  if (total !== undefined && Math.abs(unitsToCents(sum) - unitsToCents(total)) > 1) {
    r.fail(
      'commission',
      `the commission parts add up to ${(-unitsToCents(sum) / 100).toFixed(2)}, not ${(-unitsToCents(total) / 100).toFixed(2)}`,
    );
    return undefined;
  }
  return allocateCents(parts);
}

/** `Code` holds many `;`-separated notes (`O;P`, `C`, `A;C`); only O (opening) and C (closing) matter here. */
function openCloseOfCode(text: string): 'open' | 'close' | null {
  const codes = text.toUpperCase().split(/[;,\s]+/);
  const open = codes.includes('O');
  const close = codes.includes('C');
  return open === close ? null : open ? 'open' : 'close';
}

function row(ctx: ParseContext, r: Row<F>): void {
  const asset = r.text('assetClass').toUpperCase();
  if (asset !== 'FUT')
    return void ctx.ignored.push({ line: r.line, reason: `not a futures row (${r.label('assetClass')} ${asset || 'empty'})` });
  const level = r.text('level').toUpperCase();
  if (level !== '' && level !== 'EXECUTION') return void ctx.ignored.push({ line: r.line, reason: `a ${level} row, not an execution` });
  const time = ctx.time(r, 'time');
  const contract = ctx.contract(r, 'symbol', time, 'underlying');
  const side = r.need('side', parseSide);
  const signed = r.need('quantity', (t) => parseQuantity(t, true));
  const priceUnits = ctx.price(r, 'price');
  const costs = readCosts(r);
  const currency = r.text('currency').toUpperCase();
  if (currency !== '' && currency !== 'USD') r.fail('currency', `currency ${currency}: tradelog reads USD futures only`);
  const multiplier = r.may('multiplier', (t) =>
    Number.isFinite(Number(t)) && Number(t) > 0 ? ok(Number(t)) : bad(`bad multiplier "${t}"`),
  );
  const pv = contract ? ctx.contracts.pointValue(contract.root) : undefined;
  if (contract && multiplier !== undefined && multiplier !== pv) {
    r.fail(
      'multiplier',
      `multiplier ${multiplier} is not ${contract.root}'s point value of ${pv}: check ${contract.root} in Settings → Instruments`,
    );
  }
  if (side && signed !== undefined && signed < 0 !== (side.side === 'sell'))
    r.fail('quantity', `quantity ${signed} disagrees with ${r.text('side')}`);
  const openClose = openCloseOfCode(r.text('code'));
  if (r.failed || time === undefined || !contract || !side || signed === undefined || priceUnits === undefined || !costs) return;
  ctx.fills.push({
    line: r.line,
    account: r.text('account') || null,
    contract,
    side: side.side,
    quantity: Math.abs(signed),
    priceUnits,
    time,
    costs,
    fillId: r.may('tradeId', idText) ?? null,
    orderId: r.may('orderId', idText) ?? null,
    openClose,
    derived: null,
  });
}

export const ibkrFlex = defineAdapter<F>({
  format: 'ibkr-flex',
  label: 'IBKR Flex Trade Confirmation',
  lookedFor: 'IBKR Flex: a header with AssetClass, Symbol, Buy/Sell, Quantity, Price, Date/Time',
  rule: {
    format: 'ibkr-flex',
    spec: SPEC,
    required: ['assetClass', 'symbol', 'side', 'quantity', 'price', 'time'],
    delimiters: [','],
  },
  row,
});
