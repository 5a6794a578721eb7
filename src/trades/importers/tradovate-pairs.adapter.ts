import { defineAdapter } from './adapter.js';
import { parseCents, parseQuantity } from './amounts.js';
import type { ColumnSpec, Row } from './columns.js';
import type { ParseContext } from './context.js';
import { contractKey } from './contracts.js';
import { idText } from './fields.js';
import { pairGrossCents, pnlMismatch } from './round-trips.js';
import type { Fill, Side } from './types.js';

/**
 * Tradovate "Performance" and "Position History" CSVs (broker-formats.md §1.3, §1.4): one row = one paired lot,
 * a buy fill matched with a sell fill for `qty` contracts. Not a flat-to-flat trade, and not a fill either: a
 * 4-lot buy that closed four 1-lot sells is four rows.
 *
 *   Performance:      symbol,_priceFormat,_priceFormatType,_tickSize,buyFillId,sellFillId,qty,buyPrice,sellPrice,
 *                     pnl,boughtTimestamp,soldTimestamp,duration
 *   Position History: Position ID,Timestamp,Trade Date,Net Pos,Net Price,Bought,Avg. Buy,Sold,Avg. Sell,Account,
 *                     Contract,Product,Product Description,_priceFormat,_priceFormatType,_tickSize,Pair ID,
 *                     Buy Fill ID,Sell Fill ID,Paired Qty,Buy Price,Sell Price,P/L,Currency,Bought Timestamp,
 *                     Sold Timestamp
 *
 * Each row gives two fills derived from a round trip, carrying the real fill ids (`buyFillId` = the Fills CSV's
 * `Fill ID`), so the parts of one fill over several rows are merged back into that fill (quantity summed), and
 * fill-level data of the same session later joins on the ids. The earlier side of a pair opened it (a short has
 * `soldTimestamp` < `boughtTimestamp`); on equal times the lower fill id is the earlier, as Tradovate numbers them
 * in sequence. `pnl`/`P/L` is gross and is checked against the prices. Neither file has fees; Performance has no
 * account (null). Times are local wall time with no offset: the source's zone.
 */
type F = 'contract' | 'product' | 'account' | 'pairId' | 'buyId' | 'sellId' | 'qty' | 'buyPrice' | 'sellPrice' | 'pnl' | 'bought' | 'sold';

const SPEC: ColumnSpec<F> = {
  contract: ['symbol', 'contract'],
  product: ['product'],
  account: ['account'],
  pairId: ['pairid'],
  buyId: ['buyfillid'],
  sellId: ['sellfillid'],
  qty: ['pairedqty', 'qty'],
  buyPrice: ['buyprice'],
  sellPrice: ['sellprice'],
  pnl: ['pnl', 'p/l'],
  bought: ['boughttimestamp'],
  sold: ['soldtimestamp'],
};

const REQUIRED: F[] = ['contract', 'buyId', 'sellId', 'qty', 'buyPrice', 'sellPrice', 'pnl', 'bought', 'sold'];

function row(ctx: ParseContext, r: Row<F>): void {
  const bought = ctx.time(r, 'bought');
  const sold = ctx.time(r, 'sold');
  const contract = ctx.contract(r, 'contract', bought ?? sold, 'product');
  const buyId = r.need('buyId', idText);
  const sellId = r.need('sellId', idText);
  const quantity = r.need('qty', (t) => parseQuantity(t));
  const buyPrice = ctx.price(r, 'buyPrice');
  const sellPrice = ctx.price(r, 'sellPrice');
  const pnl = r.need('pnl', (t) => parseCents(t));
  if (r.failed || bought === undefined || sold === undefined || !contract || !buyId || !sellId) return;
  if (quantity === undefined || buyPrice === undefined || sellPrice === undefined || pnl === undefined) return;
  const pv = ctx.contracts.pointValue(contract.root);
  const mismatch = pnlMismatch(pnl, pairGrossCents(buyPrice, sellPrice, quantity, pv), contract.root, pv);
  if (mismatch) {
    r.fail('pnl', mismatch);
    return;
  }
  const buyFirst = bought < sold || (bought === sold && compareIds(buyId, sellId) <= 0);
  const id = r.text('pairId') || `${buyId}/${sellId}`;
  const account = r.text('account') || null;
  const fill = (side: Side, fillId: string, priceUnits: number, time: number, role: 'entry' | 'exit'): Fill => ({
    line: r.line,
    account,
    contract,
    side,
    quantity,
    priceUnits,
    time,
    costs: {},
    fillId,
    orderId: null,
    openClose: role === 'entry' ? 'open' : 'close',
    derived: 'round-trip',
    roundTrips: [{ id, role, quantity }],
  });
  ctx.fills.push(fill('buy', buyId, buyPrice, bought, buyFirst ? 'entry' : 'exit'));
  ctx.fills.push(fill('sell', sellId, sellPrice, sold, buyFirst ? 'exit' : 'entry'));
}

function compareIds(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/** One fill per fill id: the paired parts of a fill summed; parts that disagree on what the fill was are problems. */
function mergeByFillId(ctx: ParseContext): void {
  const byId = new Map<string, Fill>();
  const merged: Fill[] = [];
  for (const f of ctx.fills) {
    const key = `${f.account ?? ''}|${f.fillId}`;
    const seen = byId.get(key);
    if (!seen) {
      byId.set(key, f);
      merged.push(f);
      continue;
    }
    if (
      seen.side !== f.side ||
      seen.priceUnits !== f.priceUnits ||
      seen.time !== f.time ||
      contractKey(seen.contract) !== contractKey(f.contract)
    ) {
      ctx.problems.push({
        line: f.line,
        reason: `fill ${f.fillId} is paired here with another side, price, time or contract than on line ${seen.line}`,
      });
      continue;
    }
    seen.quantity += f.quantity;
    seen.roundTrips = [...(seen.roundTrips ?? []), ...(f.roundTrips ?? [])];
    const roles = new Set(seen.roundTrips.map((p) => p.role));
    seen.openClose = roles.size === 2 ? null : roles.has('entry') ? 'open' : 'close';
  }
  ctx.fills.splice(0, ctx.fills.length, ...merged);
}

export const tradovatePerformance = defineAdapter<F>({
  format: 'tradovate-performance',
  label: 'Tradovate Performance',
  lookedFor: 'Tradovate Performance: a header with symbol, buyFillId, sellFillId, qty, buyPrice, sellPrice, pnl, boughtTimestamp',
  rule: { format: 'tradovate-performance', spec: SPEC, required: REQUIRED, forbidden: ['pairedqty', 'account'], delimiters: [','] },
  row,
  finish: mergeByFillId,
});

export const tradovatePositionHistory = defineAdapter<F>({
  format: 'tradovate-position-history',
  label: 'Tradovate Position History',
  lookedFor: 'Tradovate Position History: a header with Position ID, Pair ID, Buy Fill ID, Sell Fill ID, Paired Qty, P/L',
  rule: { format: 'tradovate-position-history', spec: SPEC, required: [...REQUIRED, 'pairId', 'account'], delimiters: [','] },
  row,
  finish: mergeByFillId,
});
