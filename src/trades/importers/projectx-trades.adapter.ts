import { defineAdapter } from './adapter.js';
import { parseCents, parseQuantity } from './amounts.js';
import { bad, type ColumnSpec, ok, type Row } from './columns.js';
import type { ParseContext } from './context.js';
import { exitBeforeEntry, pairGrossCents, pnlMismatch, roundTripFills } from './round-trips.js';
import type { Costs } from './types.js';

/**
 * TopstepX / ProjectX "Trades" export (broker-formats.md §3.1): one row = one closed round-trip piece (a scale-out
 * is several rows). Two header forms, with a UTF-8 BOM in some files:
 *
 *   Id,ContractName,EnteredAt,ExitedAt,EntryPrice,ExitPrice,Fees,PnL,Size,Type,TradeDay,TradeDuration,Commissions
 *   Id,ContractName,EnteredAt,ExitedAt,EntryPrice,ExitPrice,Fees,PnL,Size,Type,TradeDay
 *
 * Read: `Id`, `ContractName` (`MNQU6`), `EnteredAt`/`ExitedAt` (`07/02/2026 10:10:08 -04:00`: the offset is
 * used), `EntryPrice`/`ExitPrice` (9 decimals), `Size`, `Type` (`Long`/`Short`), `PnL` (gross; checked against
 * the prices), `Fees` (exchange, clearing and NFA as one figure, not split by the source → other) and
 * `Commissions` (→ commission). Each row becomes an entry and an exit fill derived from the round trip, the row's
 * costs split evenly between them. No account column (null) and no stop price. `TradeDay` and `TradeDuration`
 * are not read.
 */
type F = 'id' | 'contract' | 'entered' | 'exited' | 'entryPrice' | 'exitPrice' | 'fees' | 'pnl' | 'size' | 'type' | 'commissions';

const SPEC: ColumnSpec<F> = {
  id: ['id'],
  contract: ['contractname'],
  entered: ['enteredat'],
  exited: ['exitedat'],
  entryPrice: ['entryprice'],
  exitPrice: ['exitprice'],
  fees: ['fees'],
  pnl: ['pnl'],
  size: ['size'],
  type: ['type'],
  commissions: ['commissions'],
};

const direction = (t: string) => {
  const k = t.trim().toLowerCase();
  return k === 'long' || k === 'short' ? ok(k as 'long' | 'short') : bad(`bad trade type "${t}": expected Long or Short`);
};

function row(ctx: ParseContext, r: Row<F>): void {
  const entryTime = ctx.time(r, 'entered');
  const exitTime = ctx.time(r, 'exited');
  const contract = ctx.contract(r, 'contract', entryTime);
  const dir = r.need('type', direction);
  const quantity = r.need('size', (t) => parseQuantity(t));
  const entry = ctx.price(r, 'entryPrice');
  const exit = ctx.price(r, 'exitPrice');
  const pnl = r.need('pnl', (t) => parseCents(t));
  const costs: Costs = {};
  const fees = ctx.cents(r, 'fees');
  const commission = ctx.cents(r, 'commissions');
  if (fees !== 0) costs.other = fees;
  if (commission !== 0) costs.commission = commission;
  if (r.failed || entryTime === undefined || exitTime === undefined || !contract || !dir) return;
  if (quantity === undefined || entry === undefined || exit === undefined || pnl === undefined) return;
  const order = exitBeforeEntry(entryTime, exitTime);
  if (order) {
    r.fail('exited', order);
    return;
  }
  const pv = ctx.contracts.pointValue(contract.root);
  const [buy, sell] = dir === 'long' ? [entry, exit] : [exit, entry];
  const mismatch = pnlMismatch(pnl, pairGrossCents(buy, sell, quantity, pv), contract.root, pv);
  if (mismatch) {
    r.fail('pnl', mismatch);
    return;
  }
  const id = r.text('id') || `line:${r.line}`;
  ctx.fills.push(
    ...roundTripFills({
      line: r.line,
      id,
      account: null,
      contract,
      direction: dir,
      quantity,
      entryPriceUnits: entry,
      exitPriceUnits: exit,
      entryTime,
      exitTime,
      costs,
    }),
  );
}

export const projectxTrades = defineAdapter<F>({
  format: 'projectx-trades',
  label: 'TopstepX / ProjectX Trades',
  lookedFor: 'TopstepX Trades: a header with Id, ContractName, EnteredAt, ExitedAt, EntryPrice, ExitPrice, PnL, Size, Type',
  rule: {
    format: 'projectx-trades',
    spec: SPEC,
    required: ['contract', 'entered', 'exited', 'entryPrice', 'exitPrice', 'pnl', 'size', 'type'],
    delimiters: [',', ';', '\t'],
  },
  row,
});
