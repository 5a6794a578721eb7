import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openLots, unrealizedPnl } from '../../src/trades/unrealized.js';

// The pure mark-to-market of an open position: FIFO open lots, exact cents.

const entry = (id: string, quantity: number, price: number) => ({ executionId: id, role: 'entry' as const, quantity, price });
const exit = (id: string, quantity: number, price: number) => ({ executionId: id, role: 'exit' as const, quantity, price });

test('openLots leaves the lots FIFO pairs have not closed, oldest first, a partly closed lot with its rest', () => {
  const lots = openLots({
    side: 'long',
    pointValue: 2,
    executions: [entry('a', 2, 100), entry('b', 3, 101), exit('x', 3, 102)],
    pairs: [
      { entryExecutionId: 'a', quantity: 2 },
      { entryExecutionId: 'b', quantity: 1 },
    ],
  });
  assert.deepEqual(lots, [{ price: 101, quantity: 2 }]);
});

test('unrealizedPnl of a short gains when the mark is below its entries', () => {
  const p = { side: 'short' as const, pointValue: 50, executions: [entry('s1', 1, 6000.25), entry('s2', 2, 6001)], pairs: [] };
  // (6000.25 − 5998.5) × 1 + (6001 − 5998.5) × 2 = 1.75 + 5 = 6.75 points × $50
  assert.equal(unrealizedPnl(p, 5998.5), 337.5);
  // (6000.25 − 6003) × 1 + (6001 − 6003) × 2 = −6.75 points
  assert.equal(unrealizedPnl(p, 6003), -337.5);
});

test('unrealizedPnl is exact to the cent for a 1/64 tick and rounds once, half away from zero', () => {
  // ZN: tick 1/64 = 0.015625, $1,000 a point; one tick is $15.625 → $15.63, minus one tick → −$15.63.
  const p = { side: 'long' as const, pointValue: 1000, executions: [entry('z', 1, 110.5)], pairs: [] };
  assert.equal(unrealizedPnl(p, 110.515625), 15.63);
  assert.equal(unrealizedPnl(p, 110.484375), -15.63);
  // Prices whose binary doubles are inexact still give exact cents (MNQ, $2 a point).
  const q = { side: 'long' as const, pointValue: 2, executions: [entry('m', 3, 21004.1)], pairs: [] };
  assert.equal(unrealizedPnl(q, 21004.3), 1.2);
});
