import { defineAdapter } from './adapter.js';
import { parseCents } from './amounts.js';
import type { ColumnSpec, Row } from './columns.js';
import type { ParseContext } from './context.js';
import type { CashKind, Contract } from './types.js';

/**
 * Tradovate "Cash History" CSV (broker-formats.md §1.5), the only Tradovate export with fees split by kind:
 *
 *   Account,Transaction ID,Timestamp,Date,Delta,Amount,Cash Change Type,Currency,Contract
 *
 * One row = one change of the account's cash: `Delta` (signed, a fee is negative) of the `Cash Change Type`
 * (`Commission`, `Exchange Fee`, `Clearing Fee`, `Nfa Fee`, `Trade Paired` = realised P&L, `Fund Transaction`).
 * `Amount` (the balance after) is not read. The header is known only from unattributed code (not confirmed on a
 * named file), so columns are read by name and an unknown change type is kept as `other` under its own name.
 * Times are local wall time with no offset: the source's zone.
 */
type F = 'account' | 'id' | 'time' | 'delta' | 'type' | 'currency' | 'contract';

const SPEC: ColumnSpec<F> = {
  account: ['account'],
  id: ['transactionid'],
  time: ['timestamp'],
  delta: ['delta'],
  type: ['cashchangetype'],
  currency: ['currency'],
  contract: ['contract'],
};

const KINDS: Record<string, CashKind> = {
  commission: 'commission',
  brokeragefee: 'commission',
  exchangefee: 'exchange',
  clearingfee: 'clearing',
  nfafee: 'nfa',
  orderroutingfee: 'platform',
  platformfee: 'platform',
  tradepaired: 'pnl',
  fundtransaction: 'transfer',
};

function row(ctx: ParseContext, r: Row<F>): void {
  const time = ctx.time(r, 'time');
  const amountCents = r.need('delta', (t) => parseCents(t));
  const kindText = r.text('type');
  if (kindText === '') r.fail('type', `${r.label('type')} is empty`);
  const currency = r.text('currency');
  if (currency !== '' && currency.toUpperCase() !== 'USD') r.fail('currency', `currency ${currency}: tradelog keeps accounts in USD`);
  let contract: Contract | null = null;
  if (r.text('contract') !== '') contract = ctx.contract(r, 'contract', time) ?? null;
  if (r.failed || time === undefined || amountCents === undefined) return;
  ctx.cashEntries.push({
    line: r.line,
    account: r.text('account') || null,
    time,
    kind: KINDS[kindText.toLowerCase().replace(/\s+/g, '')] ?? 'other',
    kindText,
    amountCents,
    contract,
    entryId: r.text('id') || null,
  });
}

export const tradovateCashHistory = defineAdapter<F>({
  format: 'tradovate-cash-history',
  label: 'Tradovate Cash History',
  lookedFor: 'Tradovate Cash History: a header with Account, Transaction ID, Timestamp, Delta, Cash Change Type',
  rule: { format: 'tradovate-cash-history', spec: SPEC, required: ['account', 'time', 'delta', 'type'], delimiters: [','] },
  row,
});
