import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { ntFile, servicesFixture } from './helpers.js';

const TRADOVATE_ORDERS = path.join(ROOT, 'test', 'fixtures', 'formats', 'tradovate-orders', 'session.csv');
const PROJECTX_ORDERS = path.join(ROOT, 'test', 'fixtures', 'formats', 'projectx-orders', 'orders.csv');

// The fills of the Tradovate Orders fixture's session (account DEMO4471200, times in Los Angeles like the orders):
//   long 3 MNQ @ 21040 at 9:31:02; its bracket's stop 9003 (sell stop 21036.25) placed at 9:31:02 → initial stop
//   short 2 MNQ @ 21052.75 at 10:02:15; its bracket's stop 9007 (buy stop 21060.00) placed at 10:02:15, cancelled
const FILLS = [
  'MNQ 06-26,Buy,3,21040.00,5/14/2026 9:31:02 AM,f1,Entry,3 L,9001,Entry,$1.56,1,DEMO4471200,Tradovate,',
  'MNQ 06-26,Sell,1,21046.50,5/14/2026 9:35:10 AM,f2,Exit,2 L,9002,Target1,$0.52,1,DEMO4471200,Tradovate,',
  'MNQ 06-26,Sell,2,21036.25,5/14/2026 9:38:44 AM,f3,Exit,-,9003,Stop1,$1.04,1,DEMO4471200,Tradovate,',
  'MNQ 06-26,Sell,2,21052.75,5/14/2026 10:02:15 AM,f4,Entry,2 S,9004,Entry,$1.04,1,DEMO4471200,Tradovate,',
  'MNQ 06-26,Buy,2,21048.125,5/14/2026 10:04:31 AM,f5,Exit,-,9005,Exit,$1.04,1,DEMO4471200,Tradovate,',
];

test('orders are stored from an orders report, and a position’s initial stop is the stop working when it opened', async (t) => {
  const s = servicesFixture(t);
  await s.trades.importFile({ path: ntFile(t, FILLS) });
  const r = s.orders.importFile(TRADOVATE_ORDERS);
  assert.deepEqual([r.format, r.added, r.duplicates], ['tradovate-orders', 7, 0]);
  assert.equal(s.orders.importFile(TRADOVATE_ORDERS).duplicates, 7, 'the same orders again are not stored twice');

  const [long, short] = s.trades.listPositions({});
  const first = s.trades.getPosition(long?.id as number);
  assert.equal(first.initialStop, 21036.25);
  assert.equal(first.initialStopSource, 'order');
  assert.deepEqual(first.stops, [{ at: '2026-05-14T16:31:02.000Z', stopPrice: 21036.25, source: 'order', orderId: '9003' }]);
  const second = s.trades.getPosition(short?.id as number);
  assert.deepEqual([second.side, second.initialStop], ['short', 21060]);

  // typed on the position page: it wins, the orders' one is still shown
  const typed = s.orders.setInitialStop(long?.id as number, 21035);
  assert.deepEqual([typed.initialStop, typed.initialStopSource, typed.orderInitialStop], [21035, 'typed', 21036.25]);
  // a move of the stop, recorded with its time
  const moved = s.orders.addStopMove(long?.id as number, Date.parse('2026-05-14T16:35:10.000Z'), 21040);
  assert.deepEqual(
    moved.stops.map((x) => [x.at, x.stopPrice, x.source]),
    [
      ['2026-05-14T16:31:02.000Z', 21035, 'typed'],
      ['2026-05-14T16:31:02.000Z', 21036.25, 'order'],
      ['2026-05-14T16:35:10.000Z', 21040, 'typed'],
    ],
  );
  assert.deepEqual(s.trades.getPosition(long?.id as number).initialStop, 21035);
  assert.throws(
    () => s.orders.addStopMove(long?.id as number, Date.parse('2026-05-14T18:00:00.000Z'), 21040),
    (e: { code?: string; details?: { field?: string } }) => e.code === 'TL_JOURNAL_BAD_INPUT' && e.details?.field === 'at',
  );
  const cleared = s.orders.setInitialStop(long?.id as number, null);
  assert.deepEqual([cleared.initialStop, cleared.initialStopSource], [21036.25, 'order']);
});

test('undoing an orders import removes its orders; a stop cancelled before the position opened is not its stop', async (t) => {
  const s = servicesFixture(t);
  // ProjectX: long 1 MES at 9:30:05 New York (13:30:05Z); protective stop 12 (7155) placed then, cancelled at the exit;
  // stop 14 was rejected. The orders carry their own offsets.
  await s.trades.importFile({
    path: ntFile(t, [
      'MES 09-26,Buy,1,7160.00,6/4/2026 6:30:05 AM,g1,Entry,1 L,11,Entry,$0.37,1,PXT40512,ProjectX,',
      'MES 09-26,Sell,1,7166.50,6/4/2026 6:41:30 AM,g2,Exit,-,13,Exit,$0.37,1,PXT40512,ProjectX,',
      // a later trade: the stops above were over by then
      'MES 09-26,Buy,1,7168.00,6/4/2026 6:55:00 AM,g3,Entry,1 L,20,Entry,$0.37,1,PXT40512,ProjectX,',
      'MES 09-26,Sell,1,7169.00,6/4/2026 6:58:00 AM,g4,Exit,-,21,Exit,$0.37,1,PXT40512,ProjectX,',
    ]),
  });
  const r = s.orders.importFile(PROJECTX_ORDERS);
  assert.equal(r.added, 4);
  const [first, later] = s.trades.listPositions({});
  assert.equal(s.trades.getPosition(first?.id as number).initialStop, 7155);
  assert.equal(s.trades.getPosition(later?.id as number).initialStop, null, 'a cancelled or rejected stop is not a later position’s');
  s.trades.undoImport(r.importId);
  assert.equal(s.trades.getPosition(first?.id as number).initialStop, null);
  assert.equal(s.orders.importFile(PROJECTX_ORDERS).added, 4, 'after the undo the orders come back');
});

test('a file without orders is refused by the orders import, nothing stored', async (t) => {
  const s = servicesFixture(t);
  assert.throws(
    () => s.orders.importFile(ntFile(t, FILLS)),
    (e: { code?: string }) => e.code === 'TL_ORDERS_NONE',
  );
  assert.deepEqual(s.trades.listImports(), []);
});
