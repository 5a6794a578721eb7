import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brief, fixture, parse, positionsOf } from './helpers.js';

/**
 * Tradovate: one session (DEMO4471200, MNQM6, 14 May 2026, America/New_York) exported five ways. Hand-worked
 * positions and P&L: test/fixtures/formats/README.md (tradovate-*): long 3 → −$2.00 gross, $3.12 commission,
 * −$5.12 net; short 2 → $18.50 gross, $2.08 commission, $16.42 net.
 */

const seconds = (t: number) => Math.floor(t / 1000);

test('Tradovate Fills: one fill a row, the UTC _timestamp used (an offset in the data wins), commission per fill', () => {
  const r = parse(fixture('tradovate-fills', 'session.csv'), { zone: 'Asia/Kolkata' });
  assert.equal(r.format, 'tradovate-fills');
  assert.deepEqual(r.zoneUsed, { zone: 'UTC', source: 'data' });
  const base = { account: 'DEMO4471200', contract: 'MNQ 06-26', openClose: null, derived: null };
  assert.deepEqual(r.fills.map(brief), [
    {
      ...base,
      line: 2,
      side: 'buy',
      quantity: 3,
      price: 21040,
      time: '2026-05-14T13:31:02.120Z',
      costs: { commission: 156 },
      fillId: '7001',
      orderId: '9001',
    },
    {
      ...base,
      line: 3,
      side: 'sell',
      quantity: 1,
      price: 21046.5,
      time: '2026-05-14T13:35:10.481Z',
      costs: { commission: 52 },
      fillId: '7002',
      orderId: '9002',
    },
    {
      ...base,
      line: 4,
      side: 'sell',
      quantity: 2,
      price: 21036.25,
      time: '2026-05-14T13:38:44.002Z',
      costs: { commission: 104 },
      fillId: '7003',
      orderId: '9003',
    },
    {
      ...base,
      line: 5,
      side: 'sell',
      quantity: 2,
      price: 21052.75,
      time: '2026-05-14T14:02:15.630Z',
      costs: { commission: 104 },
      fillId: '7004',
      orderId: '9004',
    },
    {
      ...base,
      line: 6,
      side: 'buy',
      quantity: 1,
      price: 21049,
      time: '2026-05-14T14:04:30.918Z',
      costs: { commission: 52 },
      fillId: '7005',
      orderId: '9005',
    },
    {
      ...base,
      line: 7,
      side: 'buy',
      quantity: 1,
      price: 21047.25,
      time: '2026-05-14T14:04:31.077Z',
      costs: { commission: 52 },
      fillId: '7006',
      orderId: '9005',
    },
  ]);
  assert.deepEqual(
    positionsOf(r.fills).map((p) => [p.side, p.grossCents, p.costCents, p.netCents]),
    [
      ['long', -200, 312, -512],
      ['short', 1850, 208, 1642],
    ],
  );
});

test('Tradovate Orders: every order kept with type, prices, status and times; filled ones give a fill derived from the order', () => {
  const r = parse(fixture('tradovate-orders', 'session.csv'));
  assert.deepEqual(
    r.orders.map((o) => [
      o.orderId,
      o.side,
      o.type,
      o.status,
      o.quantity,
      o.filledQuantity,
      o.avgFillPriceUnits,
      o.limitPriceUnits,
      o.stopPriceUnits,
      o.bracket,
    ]),
    [
      ['9001', 'buy', 'market', 'filled', 3, 3, 210_400_000_000, null, null, false],
      ['9002', 'sell', 'limit', 'filled', 1, 1, 210_465_000_000, 210_465_000_000, null, true],
      ['9003', 'sell', 'stop', 'filled', 2, 2, 210_362_500_000, null, 210_362_500_000, true],
      ['9004', 'sell', 'market', 'filled', 2, 2, 210_527_500_000, null, null, false],
      ['9007', 'buy', 'stop', 'cancelled', 2, 0, null, null, 210_600_000_000, true],
      ['9005', 'buy', 'limit', 'filled', 2, 2, 210_481_250_000, 210_490_000_000, null, false],
      ['9006', 'sell', 'market', 'rejected', 1, 0, null, null, null, false],
    ],
  );
  const stop = r.orders.find((o) => o.orderId === '9003');
  assert.equal(new Date(stop?.placedAt as number).toISOString(), '2026-05-14T13:31:02.000Z'); // Timestamp: the bracket was placed
  assert.equal(new Date(stop?.filledAt as number).toISOString(), '2026-05-14T13:38:44.000Z'); // Fill Time
  assert.deepEqual(
    r.fills.map((f) => [f.orderId, f.side, f.quantity, f.priceUnits / 1e7, f.derived, f.fillId]),
    [
      ['9001', 'buy', 3, 21040, 'order', null],
      ['9002', 'sell', 1, 21046.5, 'order', null],
      ['9003', 'sell', 2, 21036.25, 'order', null],
      ['9004', 'sell', 2, 21052.75, 'order', null],
      ['9005', 'buy', 2, 21048.125, 'order', null],
    ],
  );
  assert.deepEqual(
    positionsOf(r.fills).map((p) => [p.grossCents, p.costCents]),
    [
      [-200, 0],
      [1850, 0],
    ],
  );
});

test('Tradovate Fills and Orders of one session agree: each order’s derived fill is the sum of its fills', () => {
  const fills = parse(fixture('tradovate-fills', 'session.csv')).fills;
  const fromOrders = parse(fixture('tradovate-orders', 'session.csv')).fills;
  for (const o of fromOrders) {
    const mine = fills.filter((f) => f.orderId === o.orderId);
    assert.equal(
      mine.reduce((s, f) => s + f.quantity, 0),
      o.quantity,
      `order ${o.orderId}`,
    );
    const avg = mine.reduce((s, f) => s + f.priceUnits * f.quantity, 0) / o.quantity;
    assert.equal(avg, o.priceUnits, `order ${o.orderId} average`);
  }
});

test('Tradovate Performance: paired lots merged back into the fills they came from, with the Fills file’s ids, prices and times', () => {
  const perf = parse(fixture('tradovate-performance', 'session.csv'));
  const fills = parse(fixture('tradovate-fills', 'session.csv')).fills;
  assert.ok(perf.fills.every((f) => f.derived === 'round-trip' && f.account === null && Object.keys(f.costs).length === 0));
  const key = (f: (typeof fills)[number]) => [f.fillId, f.side, f.quantity, f.priceUnits, seconds(f.time)];
  const sorted = <T extends { fillId: string | null }>(xs: T[]) => [...xs].sort((a, b) => String(a.fillId).localeCompare(String(b.fillId)));
  assert.deepEqual(sorted(perf.fills).map(key), sorted(fills).map(key));
  const f7001 = perf.fills.find((f) => f.fillId === '7001');
  assert.deepEqual(f7001?.roundTrips, [
    { id: '7001/7003', role: 'entry', quantity: 2 },
    { id: '7001/7002', role: 'entry', quantity: 1 },
  ]);
  assert.equal(f7001?.openClose, 'open');
  const f7004 = perf.fills.find((f) => f.fillId === '7004');
  assert.deepEqual([f7004?.quantity, f7004?.openClose], [2, 'open']); // the short's entry: sold before bought
  assert.deepEqual(
    positionsOf(perf.fills).map((p) => [p.side, p.grossCents]),
    [
      ['long', -200],
      ['short', 1850],
    ],
  );
});

test('Tradovate Position History: same pairs with the account and pair ids', () => {
  const r = parse(fixture('tradovate-position-history', 'session.csv'));
  assert.equal(r.fills.length, 6);
  assert.ok(r.fills.every((f) => f.account === 'DEMO4471200'));
  assert.deepEqual(
    r.fills.find((f) => f.fillId === '7004')?.roundTrips?.map((p) => p.id),
    ['8103', '8104'],
  );
  assert.deepEqual(
    positionsOf(r.fills).map((p) => [p.book, p.grossCents]),
    [
      ['DEMO4471200|MNQ 06-26', -200],
      ['DEMO4471200|MNQ 06-26', 1850],
    ],
  );
});

test('Tradovate Performance: a pnl its prices cannot give is refused; one fill paired at two prices is a problem', () => {
  const header =
    'symbol,_priceFormat,_priceFormatType,_tickSize,buyFillId,sellFillId,qty,buyPrice,sellPrice,pnl,boughtTimestamp,soldTimestamp,duration';
  const csv = `${header}
MNQM6,-2,0,0.25,1,2,1,21000.00,21010.00,$200.00,05/14/2026 10:00:00,05/14/2026 10:01:00,1min
MNQM6,-2,0,0.25,3,4,1,21000.00,21010.00,$20.00,05/14/2026 10:00:00,05/14/2026 10:01:00,1min
MNQM6,-2,0,0.25,3,5,1,21000.25,21010.00,$19.50,05/14/2026 10:00:00,05/14/2026 10:01:00,1min
`;
  const r = parse(csv, {}, true);
  assert.deepEqual(
    r.problems.map((p) => [p.line, p.field ?? null, p.reason.slice(0, 30)]),
    [
      [2, 'pnl', "the row's P&L 200.00 is not wh"],
      [4, null, 'fill 3 is paired here with ano'],
    ],
  );
});

test('Tradovate Orders: more filled than ordered, and a rejected order with fills, are problems on their lines', () => {
  const lines = fixture('tradovate-orders', 'session.csv').toString('utf8').split('\n');
  const header = lines[0];
  const overfilled = (lines[1] as string)
    .replace(',21040.00,3,05/14', ',21040.00,4,05/14')
    .replace(',3,21040.00,21040.0,', ',4,21040.00,21040.0,');
  const rejected = (lines[7] as string).replace(',,,,9006, Rejected', ',21040.00,1,05/14/2026 10:20:00,9006, Rejected');
  const r = parse(`${header}\n${overfilled}\n${rejected}\n`, {}, true);
  assert.deepEqual(
    r.problems.map((p) => [p.line, p.field, p.reason]),
    [
      [2, 'filledQty', '4 filled is more than the order’s quantity of 3'.replace('’', "'")],
      [3, 'Status', 'a Rejected order cannot have 1 filled'],
    ],
  );
  assert.deepEqual(r.fills, []);
});

test('Tradovate rows wrapped whole in quotes (inner quotes doubled) are split again', () => {
  const lines = fixture('tradovate-orders', 'session.csv').toString('utf8').split('\n');
  const wrapped = `"${(lines[1] as string).replace(/"/g, '""')}"`;
  const r = parse(`${lines[0]}\n${wrapped}\n`);
  assert.deepEqual(
    r.orders.map((o) => [o.orderId, o.filledQuantity]),
    [['9001', 3]],
  );
});

test('Tradovate Cash History: each change of cash with its kind, signed cents and contract', () => {
  const r = parse(fixture('tradovate-cash-history', 'session.csv'));
  assert.deepEqual(
    r.cashEntries.map((c) => [c.kind, c.kindText, c.amountCents, c.contract?.root ?? null, c.entryId]),
    [
      ['transfer', 'Fund Transaction', 250000, null, '6001'],
      ['commission', 'Commission', -75, 'MNQ', '6002'],
      ['exchange', 'Exchange Fee', -60, 'MNQ', '6003'],
      ['clearing', 'Clearing Fee', -15, 'MNQ', '6004'],
      ['nfa', 'Nfa Fee', -6, 'MNQ', '6005'],
      ['pnl', 'Trade Paired', -200, 'MNQ', '6006'],
    ],
  );
  assert.equal(new Date(r.cashEntries[1]?.time as number).toISOString(), '2026-05-14T13:31:02.000Z');
});
