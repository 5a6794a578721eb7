import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ntFile, servicesFixture, tradovateOrdersFile } from './helpers.js';

// Account ORD1's fills come from a Tradovate Orders report (no costs); SRC1's carry their own commission.
// Trading days (CME, roll at 17:00 Chicago = 15:00 Los Angeles): the 9:30 LA fills of 3/2 are on 2026-03-02, those of
// 3/9 on 2026-03-09.
//   ORD1 3/2: long 2 MES 6000 → 6004 = 4 pts × 2 × $5 = +$40 gross
//   ORD1 3/9: long 1 MES 6010 → 6008 = −2 pts × $5 = −$10 gross
//   SRC1 3/2: long 1 MES 6000 → 6001 = +$5 gross, $0.62 + $0.62 source commission → +$3.76 net
const mes = { account: 'ORD1', contract: 'MESM6', product: 'MES' };
const ORDERS = [
  { ...mes, id: 'o1', side: 'Buy' as const, quantity: 2, price: '6000.00', time: '03/02/2026 09:30:00' },
  { ...mes, id: 'o2', side: 'Sell' as const, quantity: 2, price: '6004.00', time: '03/02/2026 09:45:00' },
  { ...mes, id: 'o3', side: 'Buy' as const, quantity: 1, price: '6010.00', time: '03/09/2026 09:30:00' },
  { ...mes, id: 'o4', side: 'Sell' as const, quantity: 1, price: '6008.00', time: '03/09/2026 09:45:00' },
];
const ROWS = [
  'MES 06-26,Buy,1,6000.00,3/2/2026 9:30:00 AM,b1,Entry,1 L,p1,Entry,$0.62,1,SRC1,Tradovate,',
  'MES 06-26,Sell,1,6001.00,3/2/2026 9:45:00 AM,b2,Exit,-,p2,Exit,$0.62,1,SRC1,Tradovate,',
];

async function journal(t: Parameters<typeof servicesFixture>[0]) {
  const s = servicesFixture(t);
  // ORD1 from a Tradovate Orders report (its fills state no costs), SRC1 from NinjaTrader with its commission
  await s.trades.importFile({ path: tradovateOrdersFile(t, ORDERS) });
  await s.trades.importFile({ path: ntFile(t, ROWS) });
  s.accounts.set('ORD1', { firm: 'Topstep' });
  s.accounts.set('SRC1', { firm: 'Topstep' });
  return s;
}

const nets = (s: Awaited<ReturnType<typeof journal>>) =>
  s.trades.listPositions({}).map((p) => [p.account, p.openedAt.slice(0, 10), p.grossPnl, p.costs, p.netPnl]);

test('a firm schedule fills in only the costs a source did not state, previewed first', async (t) => {
  const s = await journal(t);
  assert.deepEqual(nets(s), [
    ['ORD1', '2026-03-02', 40, 0, 40],
    ['SRC1', '2026-03-02', 5, 1.24, 3.76],
    ['ORD1', '2026-03-09', -10, 0, -10],
  ]);
  // $0.37 commission + $0.35 exchange + $0.02 NFA = $0.74 a contract a side
  const change = { set: { firm: 'Topstep', root: 'MES', from: '2026-01-02', amounts: { commission: 0.37, exchange: 0.35, nfa: 0.02 } } };
  const preview = s.fees.preview(change);
  // ORD1: 3/2 four contract-sides × 0.74 = 2.96; 3/9 two × 0.74 = 1.48. SRC1 has source costs: not touched.
  assert.deepEqual(preview, {
    books: 1,
    positions: 2,
    positionsChanged: 2,
    costsBefore: 0,
    costsAfter: 4.44,
    netBefore: 30,
    netAfter: 25.56,
  });
  assert.deepEqual(nets(s)[0], ['ORD1', '2026-03-02', 40, 0, 40], 'a preview changes nothing');
  const applied = s.fees.apply(change);
  assert.equal(applied.positionsChanged, 2);
  assert.equal(applied.schedule?.perContract, 0.74);
  assert.deepEqual(nets(s), [
    ['ORD1', '2026-03-02', 40, 2.96, 37.04],
    ['SRC1', '2026-03-02', 5, 1.24, 3.76],
    ['ORD1', '2026-03-09', -10, 1.48, -11.48],
  ]);
  const stats = s.trades.stats({});
  assert.deepEqual([stats.grossPnl, stats.commission, stats.netPnl], [35, 5.68, 29.32]);
  const detail = s.trades.getPosition(s.trades.listPositions({ account: 'ORD1' })[0]?.id as number);
  assert.deepEqual(
    detail.executions.map((e) => [e.fillCommission, e.costsFromSchedule]),
    [
      [1.48, true],
      [1.48, true],
    ],
  );
  assert.equal(s.fees.preview(change).positionsChanged, 0, 'nothing left to change');
});

test('schedules take effect from their first trading day; an account schedule wins over its firm', async (t) => {
  const s = await journal(t);
  s.fees.apply({ set: { firm: 'Topstep', root: 'MES', from: '2026-01-02', amounts: { commission: 0.5 } } });
  // from 2026-03-09 on, ORD1's own rate (sells only: $1.00; buys fall back to the firm's $0.50)
  const preview = s.fees.preview({ set: { account: 'ORD1', root: '*', side: 'sell', from: '2026-03-09', amounts: { commission: 1 } } });
  assert.deepEqual([preview.positionsChanged, preview.netBefore, preview.netAfter], [1, 27, 26.5]);
  s.fees.apply({ set: { account: 'ORD1', root: '*', side: 'sell', from: '2026-03-09', amounts: { commission: 1 } } });
  assert.deepEqual(nets(s), [
    ['ORD1', '2026-03-02', 40, 2, 38],
    ['SRC1', '2026-03-02', 5, 1.24, 3.76],
    ['ORD1', '2026-03-09', -10, 1.5, -11.5],
  ]);
  // a schedule that starts after every fill changes nothing
  assert.equal(
    s.fees.preview({ set: { firm: 'Topstep', root: 'MES', from: '2026-04-01', amounts: { commission: 9 } } }).positionsChanged,
    0,
  );
  // removing the firm's schedule, previewed then applied
  const firm = s.fees.list().find((f) => f.firm === 'Topstep');
  assert.ok(firm);
  assert.deepEqual(s.fees.preview({ remove: firm.id }).positionsChanged, 2);
  s.fees.apply({ remove: firm.id });
  assert.deepEqual(nets(s), [
    ['ORD1', '2026-03-02', 40, 0, 40],
    ['SRC1', '2026-03-02', 5, 1.24, 3.76],
    ['ORD1', '2026-03-09', -10, 1, -11],
  ]);
});

test('a fee schedule that cannot be used is refused naming its field, and nothing changes', async (t) => {
  const s = await journal(t);
  const refused = (change: Parameters<typeof s.fees.apply>[0], code: string, field?: string) =>
    assert.throws(
      () => s.fees.apply(change),
      (e: { code?: string; details?: { field?: string } }) => e.code === code && (field === undefined || e.details?.field === field),
    );
  refused({ set: { root: 'MES', from: '2026-01-02', amounts: {} } }, 'TL_FEES_BAD_INPUT', 'account');
  refused({ set: { firm: 'Topstep', root: 'XYZ', from: '2026-01-02', amounts: {} } }, 'TL_FEES_BAD_INPUT', 'root');
  refused({ set: { firm: 'Topstep', root: 'MES', from: '2026-02-30', amounts: {} } }, 'TL_FEES_BAD_INPUT', 'from');
  refused({ set: { firm: 'Topstep', root: 'MES', from: '2026-01-02', amounts: { nfa: 0.005 } } }, 'TL_FEES_BAD_INPUT', 'nfa');
  refused({ set: { account: 'nobody', root: 'MES', from: '2026-01-02', amounts: {} } }, 'TL_ACCOUNT_NOT_FOUND');
  refused({ remove: 999 }, 'TL_FEES_NOT_FOUND');
  assert.deepEqual(s.fees.list(), []);
});
