import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PRICE_SCALE } from '../../src/trades/money.js';
import { type Action, type BookExecution, buildPositions } from '../../src/trades/positions.js';

const MNQ = { account: 'A', contract: 'MNQ 12-25', root: 'MNQ', pointValue: 2 };
const ES = { account: 'A', contract: 'ES 12-25', root: 'ES', pointValue: 50 };
const T0 = Date.UTC(2025, 9, 1, 13, 30);
let nextId = 1;
function ex(action: Action, quantity: number, price: number, minute: number, commission: number, key?: string): BookExecution {
  const id = nextId++;
  return {
    id,
    key: key ?? `k${id}`,
    action,
    quantity,
    priceUnits: Math.round(price * PRICE_SCALE),
    time: T0 + minute * 60_000,
    commissionCents: Math.round(commission * 100),
  };
}
const pts = (units: number) => units / PRICE_SCALE;

test('buildPositions splits a reversal fill: quantity and commission go pro rata to the closing and the opening position', () => {
  // Buy 2 @ 21000.00 ($1.04); Sell 5 @ 21010.25 ($2.60) closes 2 and opens short 3; Buy 3 @ 21005.50 ($1.56).
  const [long, short, ...rest] = buildPositions(MNQ, [
    ex('Buy', 2, 21000, 0, 1.04, 'r1'),
    ex('Sell', 5, 21010.25, 15, 2.6, 'r2'),
    ex('Buy', 3, 21005.5, 30, 1.56, 'r3'),
  ]);
  assert.equal(rest.length, 0);
  assert.ok(long && short);
  // long: (21010.25 − 21000) × 2 = 20.5 points × $2 = $41.00; commission 1.04 + 2.60 × 2/5 = 2.08; net 38.92
  assert.equal(long.side, 'long');
  assert.equal(long.status, 'closed');
  assert.equal(pts(long.pointsUnits), 20.5);
  assert.equal(long.grossCents, 4100);
  assert.equal(long.commissionCents, 208);
  assert.equal(long.netCents, 3892);
  assert.equal(long.exitQuantity, 2);
  assert.deepEqual(
    long.shares.map((s) => [s.execution.key, s.role, s.quantity, s.commissionCents]),
    [
      ['r1', 'entry', 2, 104],
      ['r2', 'exit', 2, 104],
    ],
  );
  // short: opened by the remaining 3 of r2 at 21010.25 ($1.56), covered at 21005.50:
  // (21010.25 − 21005.50) × 3 = 14.25 points × $2 = $28.50; commission 1.56 + 1.56 = 3.12; net 25.38
  assert.equal(short.side, 'short');
  assert.equal(short.key, 'A\u001fMNQ 12-25\u001fr2');
  assert.deepEqual(short.firstShare, { quantity: 3, commissionCents: 156 });
  assert.equal(pts(short.pointsUnits), 14.25);
  assert.equal(short.grossCents, 2850);
  assert.equal(short.commissionCents, 312);
  assert.equal(short.netCents, 2538);
  assert.equal(pts(short.avgEntryUnits), 21010.25);
  assert.equal(short.maxQuantity, 3);
  // nothing counted twice: 1.04 + 2.60 + 1.56 = 5.20
  assert.equal(long.commissionCents + short.commissionCents, 520);
});

test('buildPositions matches scale-in partial fills and scale-out exits first-in-first-out', () => {
  // Buy 1 @ 6000.00, Buy 1 @ 6002.00 and Buy 1 @ 6002.25 (two partial fills), Sell 1 @ 6004, 6006, 6001; $2.50 each.
  const [p, ...rest] = buildPositions(ES, [
    ex('Buy', 1, 6000, 0, 2.5, 's1'),
    ex('Buy', 1, 6002, 1, 2.5, 's2'),
    ex('Buy', 1, 6002.25, 1, 2.5, 's3'),
    ex('Sell', 1, 6004, 9, 2.5, 's4'),
    ex('Sell', 1, 6006, 14, 2.5, 's5'),
    ex('Sell', 1, 6001, 19, 2.5, 's6'),
  ]);
  assert.equal(rest.length, 0);
  assert.ok(p);
  // pairs: s1→s4 +4.00, s2→s5 +4.00, s3→s6 −1.25 = 6.75 points × $50 = $337.50; commission 6 × 2.50; net 322.50
  assert.deepEqual(
    p.pairs.map((x) => [x.entryKey, x.exitKey, x.quantity, pts(x.pointsUnits)]),
    [
      ['s1', 's4', 1, 4],
      ['s2', 's5', 1, 4],
      ['s3', 's6', 1, -1.25],
    ],
  );
  assert.equal(pts(p.pointsUnits), 6.75);
  assert.equal(p.grossCents, 33750);
  assert.equal(p.commissionCents, 1500);
  assert.equal(p.netCents, 32250);
  assert.equal(p.maxQuantity, 3);
  // averages: (6000 + 6002 + 6002.25) / 3 = 6001.41666…, (6004 + 6006 + 6001) / 3 = 6003.66666… (to 1e-7)
  assert.equal(pts(p.avgEntryUnits), 6001.4166667);
  assert.equal(pts(p.avgExitUnits as number), 6003.6666667);
  assert.equal(p.executionCount, 6);
});

test('buildPositions matches a partial exit against a lot that was filled in parts, for a short', () => {
  // SellShort 3 @ 100.50 CL; BuyToCover 1 @ 100.40, then 2 @ 100.60. FIFO on one lot:
  // (100.50 − 100.40) × 1 + (100.50 − 100.60) × 2 = 0.10 − 0.20 = −0.10 points × $1000 = −$100.00
  const CL = { account: 'A', contract: 'CL 01-26', root: 'CL', pointValue: 1000 };
  const [p] = buildPositions(CL, [
    ex('SellShort', 3, 100.5, 0, 0, 'c1'),
    ex('BuyToCover', 1, 100.4, 1, 0),
    ex('BuyToCover', 2, 100.6, 2, 0),
  ]);
  assert.ok(p);
  assert.equal(p.side, 'short');
  assert.equal(pts(p.pointsUnits), -0.1);
  assert.equal(p.grossCents, -10000);
  assert.deepEqual(
    p.pairs.map((x) => x.quantity),
    [1, 2],
  );
});

test('buildPositions gives an open position its real average entry and the P&L of what it closed', () => {
  // Buy 2 @ 21000 ($1.04), Buy 1 @ 21003 ($0.52), Sell 1 @ 21010 ($0.52): still long 2.
  const [p] = buildPositions(MNQ, [ex('Buy', 2, 21000, 0, 1.04), ex('Buy', 1, 21003, 1, 0.52), ex('Sell', 1, 21010, 10, 0.52)]);
  assert.ok(p);
  assert.equal(p.status, 'open');
  assert.equal(p.closedAt, null);
  assert.equal(p.openQuantity, 2);
  // (2 × 21000 + 21003) / 3 = 21001, never 0
  assert.equal(pts(p.avgEntryUnits), 21001);
  // realized: 21000 → 21010 × 1 = 10 points, $20; commission 2.08; net 17.92
  assert.equal(pts(p.pointsUnits), 10);
  assert.equal(p.grossCents, 2000);
  assert.equal(p.commissionCents, 208);
  assert.equal(p.netCents, 1792);
});

test('buildPositions keeps the remainder cent with the opening part when a reversal commission does not divide', () => {
  // Buy 1 @ 100, Sell 3 @ 101 with $1.00: closing 1/3 → 33 cents, opening short 2 → 67 cents.
  const [a, b] = buildPositions(MNQ, [ex('Buy', 1, 100, 0, 0), ex('Sell', 3, 101, 1, 1)]);
  assert.ok(a && b);
  assert.equal(a.commissionCents, 33);
  assert.equal(b.commissionCents, 67);
  assert.equal(b.openQuantity, 2);
  assert.equal(b.status, 'open');
});

test('buildPositions rebuilds one stored position alone from its first share', () => {
  const execs = [ex('Buy', 2, 21000, 0, 1.04, 'q1'), ex('Sell', 5, 21010.25, 15, 2.6, 'q2'), ex('Buy', 3, 21005.5, 30, 1.56, 'q3')];
  const all = buildPositions(MNQ, execs);
  const second = all[1];
  assert.ok(second);
  const [again, ...more] = buildPositions(MNQ, execs.slice(1), { firstShare: second.firstShare, onlyFirst: true });
  assert.equal(more.length, 0);
  assert.deepEqual({ ...again, shares: undefined }, { ...second, shares: undefined });
});
