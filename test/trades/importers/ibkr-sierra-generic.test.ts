import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../../../src/errors.js';
import { allocateCents } from '../../../src/trades/importers/ibkr.adapter.js';
import { parseColumnMapping } from '../../../src/trades/importers/mapping.js';
import { brief, fixture, parse, positionsOf } from './helpers.js';

/**
 * IBKR Flex Trade Confirmation, Sierra Chart Trade Activity Log, and a generic CSV through a column mapping.
 * Hand-worked positions and P&L: test/fixtures/formats/README.md (ibkr-flex, sierra-activity, generic).
 */

test('IBKR Flex: futures rows only, signed quantity, commission parts by kind summing to the total, O/C codes', () => {
  const r = parse(fixture('ibkr-flex', 'trade-confirm.csv'));
  assert.equal(r.format, 'ibkr-flex');
  assert.deepEqual(r.ignored, [{ line: 3, reason: 'not a futures row (AssetClass STK)' }]);
  const base = { account: 'U7712345', contract: 'MES 06-26', quantity: 2, derived: null };
  assert.deepEqual(r.fills.map(brief), [
    {
      ...base,
      line: 2,
      side: 'buy',
      price: 7081.25,
      time: '2026-05-07T14:15:22.000Z',
      costs: { commission: 50, clearing: 10, exchange: 60, nfa: 4 },
      fillId: '4410001',
      orderId: '5510001',
      openClose: 'open',
    },
    {
      ...base,
      line: 4,
      side: 'sell',
      price: 7092.5,
      time: '2026-05-07T15:20:45.000Z',
      costs: { commission: 50, clearing: 11, exchange: 59, nfa: 4 },
      fillId: '4410003',
      orderId: '5510003',
      openClose: 'close',
    },
  ]);
  assert.deepEqual(
    positionsOf(r.fills).map((p) => [p.grossCents, p.costCents, p.netCents]),
    [[11250, 248, 11002]],
  );
});

test('allocateCents rounds each part and puts the remainder on the largest, so the parts add up to the rounded total', () => {
  assert.deepEqual(
    allocateCents([
      ['commission', -4_950_000],
      ['clearing', -450_000],
      ['exchange', -6_000_000],
    ]),
    { commission: 50, clearing: 5, exchange: 59 },
  ); // 49.5→50, 4.5→5, 60: 115 against a total of 114
  assert.deepEqual(allocateCents([['commission', -34_550_000]]), { commission: 346 }); // -3.455 → 3.46
  assert.deepEqual(allocateCents([['commission', 1_000_000]]), { commission: -10 }); // a rebate
});

test('IBKR Flex: a multiplier that is not the contract table’s, a quantity against its side, parts off the total are problems', () => {
  const lines = fixture('ibkr-flex', 'trade-confirm.csv').toString('utf8').split('\n');
  const wrongMultiplier = (lines[1] as string).replace('"MES","5"', '"MES","50"');
  const wrongSign = (lines[3] as string).replace('"SELL","-2"', '"SELL","2"').replace('"-1.24","-0.495"', '"-1.30","-0.495"');
  const r = parse(`${lines[0]}\n${wrongMultiplier}\n${wrongSign}\n`, {}, true);
  assert.deepEqual(
    r.problems.map((p) => [p.line, p.field, p.reason.slice(0, 45)]),
    [
      [2, 'Multiplier', "multiplier 50 is not MES's point value of 5: "],
      [3, 'Commission', 'the commission parts add up to 1.24, not 1.30'],
      [3, 'Quantity', 'quantity 2 disagrees with SELL'],
    ],
  );
});

test('IBKR Flex: the user’s other date/time settings are read (dashes, colons, comma separator)', () => {
  const lines = fixture('ibkr-flex', 'trade-confirm.csv').toString('utf8').split('\n');
  const dashed = (lines[1] as string).replace('"20260507;101522"', '"2026-05-07,10:15:22"');
  const r = parse(`${lines[0]}\n${dashed}\n`);
  assert.equal(new Date(r.fills[0]?.time as number).toISOString(), '2026-05-07T14:15:22.000Z');
});

test('Sierra Chart: Fills rows are fills, Orders events make orders (stop moves, protective child stop), fees from balance rows', () => {
  const r = parse(fixture('sierra-activity', 'trade-activity.txt'));
  assert.equal(r.format, 'sierra-activity');
  assert.deepEqual(r.ignored, [{ line: 12, reason: 'a Positions row' }]);
  assert.deepEqual(
    r.fills.map((f) => [
      f.account,
      f.fillId,
      f.orderId,
      f.side,
      f.quantity,
      f.priceUnits / 1e7,
      new Date(f.time).toISOString(),
      f.openClose,
      f.positionAfter,
    ]),
    [
      ['Sim1', '101_1', '101', 'buy', 1, 7120, '2026-05-21T13:50:12.250Z', 'open', 1],
      ['Sim1', '103_1', '103', 'sell', 1, 7131, '2026-05-21T14:21:40.500Z', 'close', null],
    ],
  );
  assert.deepEqual(
    r.orders.map((o) => [o.orderId, o.type, o.status, o.limitPriceUnits, o.stopPriceUnits, o.parentId, o.protectiveStop, o.filledQuantity]),
    [
      ['101', 'limit', 'filled', 71_200_000_000, null, null, false, 1],
      ['102', 'stop', 'cancelled', null, 71_120_000_000, '101', true, 0],
      ['103', 'limit', 'filled', 71_310_000_000, null, '101', false, 1],
    ],
  );
  const stop = r.orders[1];
  assert.deepEqual(stop?.stopMoves, [{ at: Date.parse('2026-05-21T14:05:00.000Z'), stopPriceUnits: 71_160_000_000 }]);
  assert.equal(new Date(stop?.cancelledAt as number).toISOString(), '2026-05-21T14:21:40.600Z');
  assert.deepEqual(
    r.cashEntries.map((c) => [c.kind, c.kindText, c.amountCents]),
    [
      ['commission', 'Trade Fee', -52],
      ['commission', 'Trade Fee', -52],
      ['pnl', 'Closed Trade Profit/Loss', 5500],
    ],
  );
  assert.deepEqual(
    positionsOf(r.fills).map((p) => [p.book, p.side, p.grossCents]),
    [['Sim1|MES 06-26', 'long', 5500]],
  );
});

const brokerX = {
  name: 'Broker X',
  columns: {
    time: 'Trade Date Time',
    account: 'Acct',
    contract: 'Symbol',
    side: 'Dir',
    quantity: 'Qty',
    price: 'Fill Px',
    commission: 'Comm',
    exchangeFee: 'Exch Fee',
    fillId: 'Exec ID',
  },
};

test('generic CSV through a column mapping: semicolons, decimal comma, fees by kind', () => {
  const r = parse(fixture('generic', 'broker-x.csv'), { format: 'generic', mapping: parseColumnMapping(brokerX) });
  assert.deepEqual(
    r.fills.map((f) => [f.account, f.side, f.priceUnits / 1e7, new Date(f.time).toISOString(), f.costs, f.fillId]),
    [
      ['X-1001', 'buy', 21500.25, '2026-05-28T13:45:00.000Z', { commission: 35, exchange: 17 }, 'g-1'],
      ['X-1001', 'sell', 21508.75, '2026-05-28T13:52:30.000Z', { commission: 35, exchange: 17 }, 'g-2'],
    ],
  );
  assert.deepEqual(
    positionsOf(r.fills).map((p) => [p.grossCents, p.costCents, p.netCents]),
    [[1700, 104, 1596]],
  );
});

test('generic CSV: a signed quantity gives the side, a fixed account and zone come from the mapping', () => {
  const csv = 'When,Contract,Qty,Px\n2026-05-28 09:45:00,MNQM6,2,21500.25\n2026-05-28 09:52:30,MNQM6,-2,21498.00\n';
  const mapping = parseColumnMapping({
    name: 'signed',
    columns: { time: 'When', contract: 'Contract', quantity: 'Qty', price: 'Px' },
    signedQuantity: true,
    account: 'Paper',
    zone: 'America/Chicago',
  });
  const r = parse(csv, { format: 'generic', mapping });
  assert.deepEqual(r.zoneUsed, { zone: 'America/Chicago', source: 'option' });
  assert.deepEqual(
    r.fills.map((f) => [f.account, f.side, f.quantity, new Date(f.time).toISOString()]),
    [
      ['Paper', 'buy', 2, '2026-05-28T14:45:00.000Z'],
      ['Paper', 'sell', 2, '2026-05-28T14:52:30.000Z'],
    ],
  );
});

test('a column mapping without a side column or signed quantity, or with a bad zone, is TL_IMPORT_BAD_MAPPING', () => {
  assert.throws(
    () => parseColumnMapping({ name: 'x', columns: { time: 'T', contract: 'C', quantity: 'Q', price: 'P' } }),
    (err: unknown) => isAppError(err) && err.code === 'TL_IMPORT_BAD_MAPPING' && /side column/.test(err.message),
  );
  assert.throws(
    () => parseColumnMapping({ ...brokerX, zone: 'Mars/Olympus' }),
    (err: unknown) => isAppError(err) && err.code === 'TL_IMPORT_BAD_MAPPING' && /zone/.test(err.message),
  );
  assert.throws(
    () => parseColumnMapping({ ...brokerX, columns: { ...brokerX.columns, sql: 'x' } }),
    (err: unknown) => isAppError(err) && err.code === 'TL_IMPORT_BAD_MAPPING',
  );
});

test('generic CSV: a file missing a mapped column is refused naming the mapping', () => {
  const r = parse('When,Contract\n2026-05-28 09:45:00,MNQM6\n', { format: 'generic', mapping: parseColumnMapping(brokerX) }, true);
  assert.match(r.problems[0]?.reason ?? '', /no header row: expected the columns of the mapping "Broker X"/);
});

test('IBKR Flex without the Multiplier field is still detected and read (nothing to check it against)', () => {
  const csv =
    'AssetClass,Symbol,UnderlyingSymbol,Buy/Sell,Date/Time,Quantity,Price,Commission\nFUT,MESM6,MES,BUY,20260323;122919,1,6622.00,-1.24\n';
  const r = parse(csv);
  assert.equal(r.format, 'ibkr-flex');
  assert.deepEqual(
    r.fills.map((f) => [f.contract.root, f.side, f.quantity, f.costs]),
    [['MES', 'buy', 1, { commission: 124 }]],
  );
});
