import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brief, fixture, parse, positionsOf } from './helpers.js';

/**
 * NinjaTrader: the Executions grid in every locale, the old add-on export, the Trades grid.
 * Hand-worked positions and P&L of each fixture: test/fixtures/formats/README.md (nt8-executions,
 * ninjatrader-addon, nt8-trades); the figures below repeat them in cents.
 */

const HEADER = 'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,';

test('NT8 Executions, US locale: each row one fill, month-first from the data, $ commission, Sell short / Buy to cover', () => {
  const r = parse(fixture('nt8-executions', 'us-comma.csv'));
  assert.equal(r.format, 'nt8-executions');
  assert.deepEqual(r.dateOrder, { order: 'mdy', source: 'data' });
  assert.deepEqual(r.zoneUsed, { zone: 'America/New_York', source: 'option' });
  const base = { account: 'Sim101', derived: null };
  assert.deepEqual(r.fills.map(brief), [
    {
      ...base,
      line: 2,
      contract: 'MNQ 09-26',
      side: 'buy',
      quantity: 2,
      price: 23410.25,
      time: '2026-09-14T13:31:05.000Z',
      costs: { commission: 104 },
      fillId: 'e01',
      orderId: 'o01',
      openClose: 'open',
    },
    {
      ...base,
      line: 3,
      contract: 'MNQ 09-26',
      side: 'sell',
      quantity: 1,
      price: 23418.75,
      time: '2026-09-14T13:36:40.000Z',
      costs: { commission: 52 },
      fillId: 'e02',
      orderId: 'o02',
      openClose: 'close',
    },
    {
      ...base,
      line: 4,
      contract: 'MNQ 09-26',
      side: 'sell',
      quantity: 1,
      price: 23404,
      time: '2026-09-14T13:39:02.000Z',
      costs: { commission: 52 },
      fillId: 'e03',
      orderId: 'o03',
      openClose: 'close',
    },
    {
      ...base,
      line: 5,
      contract: 'ES 12-26',
      side: 'sell',
      quantity: 1,
      price: 6680.5,
      time: '2026-09-14T17:05:10.000Z',
      costs: { commission: 225 },
      fillId: 'e04',
      orderId: 'o04',
      openClose: 'open',
    },
    {
      ...base,
      line: 6,
      contract: 'ES 12-26',
      side: 'buy',
      quantity: 1,
      price: 6676.25,
      time: '2026-09-14T17:20:00.000Z',
      costs: { commission: 225 },
      fillId: 'e05',
      orderId: 'o05',
      openClose: 'close',
    },
  ]);
  assert.deepEqual(
    r.fills.map((f) => [f.positionAfter, f.name]),
    [
      [2, 'Entry'],
      [1, 'Target1'],
      [0, 'Stop1'],
      [-1, 'Entry'],
      [0, 'Exit'],
    ],
  );
  assert.deepEqual(positionsOf(r.fills), [
    { book: 'Sim101|MNQ 09-26', side: 'long', status: 'closed', grossCents: 450, costCents: 208, netCents: 242 },
    { book: 'Sim101|ES 12-26', side: 'short', status: 'closed', grossCents: 21250, costCents: 450, netCents: 20800 },
  ]);
});

test('NT8 Executions, European locale: semicolons, decimal comma, "0,62 $", Account display name, day-first from a day above 12', () => {
  const r = parse(fixture('nt8-executions', 'eu-semicolon.csv'), { zone: 'Europe/Berlin' });
  assert.deepEqual(r.dateOrder, { order: 'dmy', source: 'data' });
  assert.deepEqual(
    r.fills.map((f) => [
      f.account,
      f.contract.root,
      f.contract.month,
      f.contract.year,
      f.side,
      f.quantity,
      f.priceUnits / 1e7,
      new Date(f.time).toISOString(),
      f.costs.commission,
      f.openClose,
    ]),
    [
      ['Playback101', 'MES', 6, 2026, 'buy', 2, 7200.75, '2026-04-27T08:05:02.000Z', 124, 'open'],
      ['Playback101', 'MES', 6, 2026, 'sell', 2, 7195.5, '2026-04-27T08:12:40.000Z', 124, 'close'],
      ['Playback101', 'MNQ', 9, 2026, 'sell', 1, 23500.25, '2026-04-27T12:30:00.000Z', 62, 'open'],
      ['Playback101', 'MNQ', 9, 2026, 'buy', 1, 23488, '2026-04-27T12:41:15.000Z', 62, 'close'],
    ],
  );
  assert.deepEqual(
    positionsOf(r.fills).map((p) => [p.book, p.side, p.grossCents, p.costCents, p.netCents]),
    [
      ['Playback101|MES 06-26', 'long', -5250, 248, -5498],
      ['Playback101|MNQ 09-26', 'short', 2450, 124, 2326],
    ],
  );
});

test('NT8 Executions whose dates cannot tell day from month: refused naming the setting, read either way with it', () => {
  const bytes = fixture('nt8-executions', 'tab-ambiguous.csv');
  const refused = parse(bytes, {}, true);
  assert.deepEqual(refused.fills, []);
  assert.equal(refused.problems.length, 1);
  assert.match(refused.problems[0]?.reason ?? '', /day-first or month-first.*import\.dateOrder.*--date-order/);
  const mdy = parse(bytes, { dateOrder: 'mdy' });
  const dmy = parse(bytes, { dateOrder: 'dmy' });
  assert.deepEqual(mdy.dateOrder, { order: 'mdy', source: 'option' });
  assert.deepEqual(
    mdy.fills.map((f) => new Date(f.time).toISOString()),
    ['2026-05-06T18:02:00.000Z', '2026-05-06T18:20:30.000Z'],
  );
  assert.deepEqual(
    dmy.fills.map((f) => new Date(f.time).toISOString()),
    ['2026-06-05T18:02:00.000Z', '2026-06-05T18:20:30.000Z'],
  );
  // tab separated, MNQM6, E/X as E and X, plain 0.52 commission
  assert.deepEqual(
    dmy.fills.map((f) => [f.contract.root, f.contract.month, f.contract.year, f.side, f.openClose, f.costs.commission]),
    [
      ['MNQ', 6, 2026, 'buy', 'open', 52],
      ['MNQ', 6, 2026, 'sell', 'close', 52],
    ],
  );
  assert.deepEqual(
    positionsOf(dmy.fills).map((p) => [p.grossCents, p.costCents, p.netCents]),
    [[2100, 104, 1996]],
  );
});

test('the data decides the date order over the option; dates that disagree are refused with both lines', () => {
  const dayFirst = parse(fixture('nt8-executions', 'eu-semicolon.csv'), { zone: 'Europe/Berlin', dateOrder: 'mdy' });
  assert.deepEqual(dayFirst.dateOrder, { order: 'dmy', source: 'data' });
  const mixed = `${HEADER}\nMNQ 09-26,Buy,1,23410.25,27/04/2026 10:00:00,a,Entry,1 L,o,E,$0.52,1,Sim101,X,\nMNQ 09-26,Sell,1,23411.25,04/28/2026 10:00:00,b,Exit,-,o,E,$0.52,1,Sim101,X,\n`;
  const r = parse(mixed, {}, true);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0]?.line, 3);
  assert.match(r.problems[0]?.reason ?? '', /"27\/04\/2026 10:00:00" \(line 2\) is day-first, "04\/28\/2026 10:00:00" is month-first/);
});

test('NT8 Executions: contract spellings MNQ 09-26, MES JUN26 and MNQM6 resolve to root, month and year', () => {
  const csv = `${HEADER}
MNQ 09-26,Buy,1,23410.25,9/14/2026 9:31:05 AM,a,Entry,1 L,o,Entry,$0.52,1,Sim101,X,
MES JUN26,Buy,1,7100.00,9/14/2026 9:31:05 AM,b,Entry,1 L,o,Entry,$0.52,1,Sim101,X,
MNQM6,Buy,1,23410.25,9/14/2026 9:31:05 AM,c,Entry,1 L,o,Entry,$0.52,1,Sim101,X,
MNQZ9,Buy,1,23410.25,9/14/2026 9:31:05 AM,d,Entry,1 L,o,Entry,$0.52,1,Sim101,X,
`;
  assert.deepEqual(
    parse(csv).fills.map((f) => [f.contract.root, f.contract.month, f.contract.year, f.contract.raw]),
    [
      ['MNQ', 9, 2026, 'MNQ 09-26'],
      ['MES', 6, 2026, 'MES JUN26'],
      ['MNQ', 6, 2026, 'MNQM6'],
      ['MNQ', 12, 2029, 'MNQZ9'],
    ],
  );
});

test('NT8 Executions: bad rows are problems naming the line and column; an E/X against Sell short is refused', () => {
  const csv = `${HEADER}
MNQ 09-26,Sell short,1,23410.25,9/14/2026 9:31:05 AM,a,Exit,1 S,o,Entry,$0.52,1,Sim101,X,
XYZ 09-26,Buy,1,23410.25,9/14/2026 9:31:05 AM,b,Entry,1 L,o,Entry,$0.52,1,Sim101,X,
MNQ 09-26,Buy,0,23410.25,9/14/2026 9:31:05 AM,c,Entry,1 L,o,Entry,$0.52,1,Sim101,X,
MNQ 09-26,Buy,1,234I0.25,9/14/2026 9:31:05 AM,d,Entry,1 L,o,Entry,$0.525,1,Sim101,X,
MNQ 09-26,Hold,1,23410.25,9/14/2099 9:31:05 AM,e,Entry,1 L,o,Entry,$0.52,1,,X,
`;
  const r = parse(csv, {}, true);
  assert.deepEqual(r.fills, []);
  assert.deepEqual(
    r.problems.map((p) => [p.line, p.field, p.reason.slice(0, 40)]),
    [
      [2, 'E/X', 'Exit contradicts the action Sell short'],
      [3, 'Instrument', 'unknown instrument root "XYZ" in "XYZ 09'],
      [4, 'Quantity', 'bad quantity "0": expected a whole numbe'],
      [5, 'Price', 'bad price "234I0.25"'],
      [5, 'Commission', 'amount "$0.525" has fractions of a cent'],
      [6, 'Time', 'bad time "9/14/2099 9:31:05 AM": year 20'],
      [6, 'Action', 'bad side "Hold": expected Buy or Sell'],
      [6, 'Account', 'Account is empty'],
    ],
  );
  assert.match(r.problems[1]?.reason ?? '', /Settings → Instruments/);
});

test('the add-on export: TradeValidation, SellShort/BuyToCover, $$0.52, month-first by construction even when dates cannot tell', () => {
  const r = parse(fixture('ninjatrader-addon', 'addon.csv'), { zone: 'America/Los_Angeles' });
  assert.equal(r.format, 'ninjatrader-addon');
  assert.deepEqual(r.dateOrder, { order: 'mdy', source: 'format' });
  assert.deepEqual(
    r.fills.map((f) => [f.side, f.openClose, f.priceUnits / 1e7, new Date(f.time).toISOString(), f.costs.commission, f.validation]),
    [
      ['sell', 'open', 25561.5, '2025-11-12T15:31:05.000Z', 52, null],
      ['buy', 'close', 25549.25, '2025-11-12T15:44:51.000Z', 52, 'valid'],
      ['buy', 'open', 25540, '2025-11-12T16:02:00.000Z', 104, null],
      ['sell', 'close', 25552.75, '2025-11-12T16:15:30.000Z', 104, 'invalid'],
    ],
  );
  assert.deepEqual(
    positionsOf(r.fills).map((p) => [p.side, p.grossCents, p.costCents, p.netCents]),
    [
      ['short', 2450, 104, 2346],
      ['long', 5100, 208, 4892],
    ],
  );
});

test('NT8 Trades grid: each row an entry and an exit fill derived from the round trip, the five fee columns split evenly', () => {
  const r = parse(fixture('nt8-trades', 'fee-split.csv'));
  assert.equal(r.format, 'nt8-trades');
  const [entry, exit, shortEntry, shortExit] = r.fills;
  assert.deepEqual(brief(entry as never), {
    line: 2,
    account: 'Sim101',
    contract: 'MNQ 09-26',
    side: 'buy',
    quantity: 2,
    price: 23410.25,
    time: '2026-09-14T13:31:05.000Z',
    costs: { commission: 52, clearing: 10, exchange: 35, nfa: 4 },
    fillId: null,
    orderId: null,
    openClose: 'open',
    derived: 'round-trip',
  });
  assert.deepEqual(exit?.costs, { commission: 52, clearing: 10, exchange: 35, nfa: 4 });
  assert.deepEqual(exit?.roundTrips, [{ id: '1', role: 'exit', quantity: 2 }]);
  assert.deepEqual(exit?.excursions, { maeCents: 1250, mfeCents: 3400, etdCents: 1902 });
  assert.deepEqual([exit?.name, shortExit?.name], ['Exit', 'Stop loss']);
  assert.deepEqual([shortEntry?.side, shortExit?.side, shortExit?.priceUnits], ['sell', 'buy', 66_857_500_000]);
  assert.deepEqual(shortEntry?.costs, { commission: 150, clearing: 20, exchange: 55 });
  assert.deepEqual(
    positionsOf(r.fills).map((p) => [p.book, p.side, p.grossCents, p.costCents, p.netCents]),
    [
      ['Sim101|MNQ 09-26', 'long', 1700, 202, 1498],
      ['Sim101|ES 12-26', 'short', -26250, 450, -26700],
    ],
  );
});

test('NT8 Trades grid, Apex export: day-first dates, "90.00 $", an all-comma trailing row skipped', () => {
  const r = parse(fixture('nt8-trades', 'apex-day-first.csv'), { zone: 'America/New_York' });
  assert.deepEqual(r.dateOrder, { order: 'dmy', source: 'data' });
  assert.equal(r.rowsRead, 2);
  assert.equal(r.fills[0]?.account, 'PA-APEX-40021-7!Apex!Apex');
  assert.equal(new Date(r.fills[0]?.time as number).toISOString(), '2026-04-13T04:27:56.000Z');
  assert.deepEqual(
    positionsOf(r.fills).map((p) => [p.side, p.grossCents, p.netCents]),
    [
      ['short', 9000, 9000],
      ['long', -9000, -9000],
    ],
  );
});

test('NT8 Trades grid: a Profit its prices cannot give (MES priced as ES) is refused naming the point value to check', () => {
  const csv = `Trade number,Instrument,Account,Market pos.,Qty,Entry price,Exit price,Entry time,Exit time,Profit,Commission
1,MES 09-26,Sim101,Long,1,7100.00,7104.00,9/14/2026 9:31:05 AM,9/14/2026 9:39:02 AM,$200.00,$0.00
2,MES 09-26,Sim101,Long,1,7100.00,7104.00,9/14/2026 9:41:05 AM,9/14/2026 9:49:02 AM,$19.48,$0.52
`;
  const r = parse(csv, {}, true);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0]?.line, 2);
  assert.match(r.problems[0]?.reason ?? '', /P&L 200\.00 is not what its prices give with MES's point value of \$5 \(20\.00\): check MES/);
  assert.equal(r.fills.length, 2); // row 2: 4 × $5 − 0.52 = 19.48
});
