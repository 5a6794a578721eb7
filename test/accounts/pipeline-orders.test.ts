import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { ntFile, servicesFixture, tradovateOrdersFile } from './helpers.js';

const FORMATS = path.join(ROOT, 'test', 'fixtures', 'formats');
const TRADOVATE_ORDERS = path.join(FORMATS, 'tradovate-orders', 'session.csv');
const PROJECTX_ORDERS = path.join(FORMATS, 'projectx-orders', 'orders.csv');
const SIERRA = path.join(FORMATS, 'sierra-activity', 'trade-activity.txt');

const stopsOf = (s: ReturnType<typeof servicesFixture>) =>
  s.trades.listPositions({}).map((p) => {
    const d = s.trades.getPosition(p.id);
    return [p.account, p.side, d.initialStop, d.initialStopSource];
  });

test('a Tradovate Orders report through the import stores its fills without costs, its orders and initial stops; undo removes them', async (t) => {
  const s = servicesFixture(t);
  const r = await s.trades.importFile({ path: TRADOVATE_ORDERS });
  assert.deepEqual([r.status, r.format, r.ordersRead, r.ordersStored], ['imported', 'tradovate-orders', 7, 7]);
  // long 3 MNQ at 9:31:02 with its bracket's stop 9003 (21036.25); short 2 at 10:02:15 with stop 9007 (21060)
  assert.deepEqual(stopsOf(s), [
    ['DEMO4471200', 'long', 21036.25, 'order'],
    ['DEMO4471200', 'short', 21060, 'order'],
  ]);
  const [long] = s.trades.listPositions({});
  const detail = s.trades.getPosition(long?.id as number);
  assert.deepEqual([detail.costs, detail.executions.every((e) => e.costsFromSchedule)], [0, true]);

  // the account's firm schedule fills in the costs the report did not state: 6 contract-sides × $0.27
  s.accounts.set('DEMO4471200', { firm: 'Tradeify' });
  s.fees.apply({ set: { firm: 'Tradeify', root: 'MNQ', from: '2026-01-02', amounts: { commission: 0.25, nfa: 0.02 } } });
  assert.equal(s.trades.getPosition(long?.id as number).costs, 1.62);

  const again = await s.trades.importFile({ path: TRADOVATE_ORDERS });
  assert.deepEqual([again.executionsAdded, again.ordersStored], [0, 0], 'a second import stores no fill or order twice');
  s.trades.undoImport(r.importId as number);
  assert.deepEqual(s.trades.listPositions({}), [], 'the second import added nothing: undoing the first leaves no fills');
  const back = await s.trades.importFile({ path: TRADOVATE_ORDERS });
  assert.equal(back.ordersStored, 7, 'the undo removed the first import’s orders');
});

test('a preview counts the orders it would store and stores none', async (t) => {
  const s = servicesFixture(t);
  const p = await s.trades.importFile({ path: TRADOVATE_ORDERS }, { dryRun: true });
  assert.deepEqual([p.status, p.ordersStored], ['preview', 7]);
  const r = await s.trades.importFile({ path: TRADOVATE_ORDERS });
  assert.equal(r.ordersStored, 7);
});

test('ProjectX Orders and Sierra Chart activity through the import give their positions’ initial stops', async (t) => {
  const s = servicesFixture(t);
  const px = await s.trades.importFile({ path: PROJECTX_ORDERS });
  assert.deepEqual([px.format, px.ordersStored], ['projectx-orders', 4]);
  const sc = await s.trades.importFile({ path: SIERRA });
  assert.equal(sc.format, 'sierra-activity');
  assert.ok((sc.ordersStored ?? 0) > 0);
  const stops = stopsOf(s);
  assert.deepEqual(
    stops.find((x) => x[0] === 'PXT40512'),
    ['PXT40512', 'long', 7155, 'order'],
  );
  assert.deepEqual(stops.find((x) => x[0] === 'Sim1')?.slice(2), [7112, 'order']);
});

test('orders stored under one spelling give the stops of another spelling’s fills once the two are one account', async (t) => {
  const s = servicesFixture(t);
  // the session's long trade as NinjaTrader writes the account through its connection; its orders alone
  await s.trades.importFile({
    path: ntFile(t, [
      'MNQ 06-26,Buy,3,21040.00,5/14/2026 9:31:02 AM,f1,Entry,3 L,9001,Entry,$0.00,1,DEMO4471200!Tradovate!Tradovate,Tradovate,',
      'MNQ 06-26,Sell,1,21046.50,5/14/2026 9:35:10 AM,f2,Exit,2 L,9002,Target1,$0.00,1,DEMO4471200!Tradovate!Tradovate,Tradovate,',
      'MNQ 06-26,Sell,2,21036.25,5/14/2026 9:38:44 AM,f3,Exit,-,9003,Stop1,$0.00,1,DEMO4471200!Tradovate!Tradovate,Tradovate,',
    ]),
  });
  s.orders.importFile(TRADOVATE_ORDERS);
  assert.deepEqual(stopsOf(s), [['DEMO4471200!Tradovate!Tradovate', 'long', null, null]]);
  s.accounts.alias('DEMO4471200!Tradovate!Tradovate', 'DEMO4471200');
  assert.deepEqual(stopsOf(s), [['DEMO4471200', 'long', 21036.25, 'order']]);
});

test('a book an import starts takes its account’s fee schedule as it is built', async (t) => {
  const s = servicesFixture(t);
  const order = { account: 'ORD1', contract: 'MESM6', product: 'MES', quantity: 1 };
  await s.trades.importFile({
    path: tradovateOrdersFile(t, [
      { ...order, id: 'o1', side: 'Buy', price: '6000.00', time: '03/02/2026 09:30:00' },
      { ...order, id: 'o2', side: 'Sell', price: '6004.00', time: '03/02/2026 09:45:00' },
    ]),
  });
  s.accounts.set('ORD1', { firm: 'Topstep' });
  s.fees.apply({ set: { firm: 'Topstep', root: '*', from: '2026-01-02', amounts: { commission: 0.5 } } });
  // a contract of ORD1 not seen before: its book is built while the file is read, with the firm's $0.50 a side
  const mnq = { account: 'ORD1', contract: 'MNQM6', product: 'MNQ', quantity: 2 };
  await s.trades.importFile({
    path: tradovateOrdersFile(t, [
      { ...mnq, id: 'o3', side: 'Buy', price: '21000.00', time: '03/03/2026 09:30:00' },
      { ...mnq, id: 'o4', side: 'Sell', price: '21010.00', time: '03/03/2026 09:45:00' },
    ]),
  });
  assert.deepEqual(
    s.trades.listPositions({}).map((p) => [p.root, p.grossPnl, p.costs]),
    [
      ['MES', 20, 1],
      ['MNQ', 40, 2],
    ],
  );
});
