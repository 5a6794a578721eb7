import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brief, fixture, parse, positionsOf } from './helpers.js';

/**
 * Rithmic R|Trader Pro Completed Orders and TopstepX / ProjectX Trades and Orders. Hand-worked positions and
 * P&L: test/fixtures/formats/README.md (rithmic-orders, projectx-trades, projectx-orders).
 */

test('Rithmic Completed Orders: zone from the column name, commission = rate × filled, cancelled and failed orders are orders only', () => {
  const r = parse(fixture('rithmic-orders', 'completed-orders.csv'), { zone: 'Asia/Tokyo' });
  assert.equal(r.format, 'rithmic-orders');
  assert.deepEqual(r.zoneUsed, { zone: 'America/Chicago', source: 'header', from: 'Update Time (CDT)' });
  assert.deepEqual(
    r.orders.map((o) => [
      o.orderId,
      o.side,
      o.type,
      o.typeText,
      o.status,
      o.statusText,
      o.quantity,
      o.filledQuantity,
      o.cancelledAt !== null,
      o.tag,
    ]),
    [
      ['2210040011', 'buy', 'market', 'M', 'filled', 'Filled', 2, 2, false, null],
      ['2210040012', 'sell', 'stop', 'STP', 'cancelled', 'Cancelled', 2, 0, true, null],
      ['2210040013', 'sell', 'limit', 'L', 'filled', 'Filled', 2, 2, false, null],
      ['2210040014', 'buy', 'market', 'M', 'rejected', 'Failed', 1, 0, false, 'Order rejected by risk'],
    ],
  );
  const base = {
    account: 'LT-88120-04',
    contract: 'MES 06-26',
    quantity: 2,
    costs: { commission: 70 },
    fillId: null,
    openClose: null,
    derived: 'order',
  };
  assert.deepEqual(r.fills.map(brief), [
    { ...base, line: 3, side: 'buy', price: 7104.25, time: '2026-05-19T13:45:10.000Z', orderId: '2210040011' },
    { ...base, line: 5, side: 'sell', price: 7110.5, time: '2026-05-19T14:12:03.000Z', orderId: '2210040013' },
  ]);
  assert.deepEqual(
    positionsOf(r.fills).map((p) => [p.side, p.grossCents, p.costCents, p.netCents]),
    [['long', 6250, 140, 6110]],
  );
});

test('Rithmic: a Failed order that says it filled, and more filled than ordered, are problems on their lines', () => {
  const text = fixture('rithmic-orders', 'completed-orders.csv').toString('utf8');
  const bad = text
    .replace(
      '"Failed","Order rejected by risk","B","1","","MESM6","M","",',
      '"Failed","Order rejected by risk","B","1","","MESM6","M","7105.0000",',
    )
    .replace('"2026-05-19 09:30:00","0"', '"2026-05-19 09:30:00","1"')
    .replace('"2026-05-19 09:12:03","2","2026-05-19 08:45:11"', '"2026-05-19 09:12:03","3","2026-05-19 08:45:11"');
  const r = parse(bad, {}, true);
  assert.deepEqual(
    r.problems.map((p) => [p.line, p.field, p.reason]),
    [
      [5, 'Qty Filled', "3 filled is more than the order's quantity of 2"],
      [6, 'Status', 'a Failed order cannot have 1 filled'],
    ],
  );
  assert.equal(r.fills.length, 1);
});

test('Rithmic without a zone in the column names reads the source zone; an unknown abbreviation is a problem', () => {
  const text = fixture('rithmic-orders', 'completed-orders.csv').toString('utf8');
  const plain = parse(text.replaceAll(' (CDT)', ''), { zone: 'America/New_York' });
  assert.deepEqual(plain.zoneUsed, { zone: 'America/New_York', source: 'option' });
  assert.equal(new Date(plain.fills[0]?.time as number).toISOString(), '2026-05-19T12:45:10.000Z');
  const odd = parse(text.replaceAll('(CDT)', '(XYZ)'), {}, true);
  assert.match(odd.problems[0]?.reason ?? '', /names a time zone tradelog does not know \(XYZ\)/);
});

test('TopstepX Trades, 13 columns with a BOM: each row an entry and exit fill, offsets used, Fees and Commissions split', () => {
  const r = parse(fixture('projectx-trades', 'trades-13-columns.csv'), { zone: 'Asia/Tokyo' });
  assert.equal(r.format, 'projectx-trades');
  assert.deepEqual(r.zoneUsed, { zone: '-04:00', source: 'data' });
  assert.deepEqual(brief(r.fills[0] as never), {
    line: 2,
    account: null,
    contract: 'MES 09-26',
    side: 'sell',
    quantity: 2,
    price: 7150.25,
    time: '2026-06-03T13:40:12.000Z',
    costs: { other: 74, commission: 50 },
    fillId: null,
    orderId: null,
    openClose: 'open',
    derived: 'round-trip',
  });
  assert.deepEqual(r.fills[1]?.costs, { other: 74, commission: 50 });
  assert.deepEqual(r.fills[1]?.roundTrips, [{ id: '501', role: 'exit', quantity: 2 }]);
  assert.deepEqual(
    positionsOf(r.fills).map((p) => [p.book, p.side, p.grossCents, p.costCents, p.netCents]),
    [
      ['|MES 09-26', 'short', 4250, 248, 4002],
      ['|NQ 09-26', 'long', 8000, 840, 7160],
    ],
  );
  // the NQ scale-out: two rows, one position of 3 (250.00 − 170.00 = 80.00 gross; fees 2.80 + 5.60)
});

test('TopstepX Trades, 11 columns with a +02:00 offset', () => {
  const r = parse(fixture('projectx-trades', 'trades-11-columns.csv'));
  assert.deepEqual(
    r.fills.map((f) => [f.side, f.priceUnits / 1e7, new Date(f.time).toISOString(), f.costs]),
    [
      ['buy', 21300.25, '2026-06-08T13:31:20.000Z', { other: 37 }],
      ['sell', 21307, '2026-06-08T13:33:05.000Z', { other: 37 }],
    ],
  );
  assert.deepEqual(
    positionsOf(r.fills).map((p) => [p.grossCents, p.costCents, p.netCents]),
    [[1350, 74, 1276]],
  );
});

test('TopstepX Trades: a gross PnL its prices cannot give is refused', () => {
  const text = fixture('projectx-trades', 'trades-11-columns.csv').toString('utf8').replace(',13.500000000,', ',135.000000000,');
  const r = parse(text, {}, true);
  assert.equal(r.problems[0]?.field, 'PnL');
  assert.match(r.problems[0]?.reason ?? '', /135\.00 .* MNQ's point value of \$2 \(13\.50\)/);
});

test('TopstepX Orders: Bid/Ask, StopLoss marks the protective stop, filled orders give derived fills, Opening/Closing kept', () => {
  const r = parse(fixture('projectx-orders', 'orders.csv'));
  assert.deepEqual(
    r.orders.map((o) => [o.orderId, o.side, o.type, o.status, o.stopPriceUnits, o.limitPriceUnits, o.protectiveStop, o.tag]),
    [
      ['11', 'buy', 'market', 'filled', null, null, false, 'Trader'],
      ['12', 'sell', 'stop', 'cancelled', 71_550_000_000, null, true, 'StopLoss'],
      ['13', 'sell', 'limit', 'filled', null, 71_665_000_000, false, 'Trader'],
      ['14', 'sell', 'stop', 'rejected', 71_700_000_000, null, true, 'StopLoss'],
    ],
  );
  const stop = r.orders[1];
  assert.equal(new Date(stop?.cancelledAt as number).toISOString(), '2026-06-04T13:41:30.000Z');
  assert.deepEqual(
    r.fills.map((f) => [f.account, f.orderId, f.side, f.priceUnits / 1e7, f.openClose, f.derived]),
    [
      ['PXT40512', '11', 'buy', 7160, 'open', 'order'],
      ['PXT40512', '13', 'sell', 7166.5, 'close', 'order'],
    ],
  );
  assert.deepEqual(
    positionsOf(r.fills).map((p) => [p.side, p.grossCents, p.costCents]),
    [['long', 3250, 0]],
  );
});

test('TopstepX Trades: a row whose exit is before its entry is refused on its line', () => {
  const text = fixture('projectx-trades', 'trades-11-columns.csv')
    .toString('utf8')
    .replace('06/08/2026 15:33:05 +02:00', '06/08/2026 15:30:05 +02:00');
  const r = parse(text, {}, true);
  assert.deepEqual(
    r.problems.map((p) => [p.line, p.field, p.reason]),
    [[2, 'ExitedAt', 'the exit time is before the entry time']],
  );
  assert.deepEqual(r.fills, []);
});
