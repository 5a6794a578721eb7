import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeStats, type StatsPosition } from '../../src/trades/stats.js';

function pos(net: number, closedAt: string, extra: Partial<StatsPosition> = {}): StatsPosition {
  const commission = extra.commissionCents ?? 104;
  return {
    account: 'A',
    root: 'MNQ',
    contract: 'MNQ 12-25',
    side: 'long',
    openedAt: Date.parse(closedAt) - 60_000,
    closedAt: Date.parse(closedAt),
    grossCents: Math.round(net * 100) + commission,
    commissionCents: commission,
    netCents: Math.round(net * 100),
    ...extra,
  };
}

test('computeStats classifies by net P&L and computes every figure exactly', () => {
  // net results in close order: +100, −50, +30.50, 0 (gross 1.04 − 1.04), −20, −10, +200.
  // A position with gross +$0.50 and commission $1.04 is a loss (net −0.54): classification is by net.
  const list = [
    pos(100, '2025-10-01T14:00:00Z'),
    pos(-50, '2025-10-01T15:00:00Z'),
    pos(30.5, '2025-10-02T14:00:00Z'),
    pos(0, '2025-10-02T15:00:00Z'),
    pos(-20, '2025-10-03T14:00:00Z'),
    pos(-10, '2025-10-03T15:00:00Z'),
    pos(200, '2025-10-06T14:00:00Z'),
    { ...pos(-0.54, '2025-10-06T15:00:00Z'), grossCents: 50 },
    // open positions do not count
    { ...pos(999, '2025-10-06T15:30:00Z'), closedAt: null },
  ];
  const s = computeStats(list);
  assert.equal(s.positions, 8);
  assert.equal(s.wins, 3);
  assert.equal(s.losses, 4);
  assert.equal(s.breakeven, 1);
  assert.equal(s.winRate, 0.375); // 3 / 8
  // net: 100 − 50 + 30.50 + 0 − 20 − 10 + 200 − 0.54 = 249.96; commission 8 × 1.04 = 8.32
  assert.equal(s.netPnl, 249.96);
  assert.equal(s.commission, 8.32);
  // gross: net + commission for the first 7 positions, +0.50 for the last: 250.50 + 7 × 1.04 + 0.50 = 258.28
  assert.equal(s.grossPnl, 258.28);
  // wins 330.50 / losses 80.54 = 4.10355… → 4.1036
  assert.equal(s.profitFactor, 4.1036);
  assert.equal(s.expectancy, 31.25); // 249.96 / 8 = 31.245 → 31.25 (half away from zero)
  assert.equal(s.avgWin, 110.17); // 330.50 / 3 = 110.1666…
  assert.equal(s.avgLoss, -20.14); // −80.54 / 4 = −20.135 → −20.14
  assert.equal(s.largestWin, 200);
  assert.equal(s.largestLoss, -50);
  // equity: 100, 50, 80.50, 80.50, 60.50, 50.50, 250.50, 249.96 → peak 100, trough 50 → drawdown 50
  assert.equal(s.maxDrawdown, 50);
  // streaks: W L W B L L W L → longest win 1, longest loss 2
  assert.equal(s.longestWinStreak, 1);
  assert.equal(s.longestLossStreak, 2);
  assert.equal(s.basis, 'net');
});

test('computeStats orders by close time whatever order it is given', () => {
  const a = [pos(-30, '2025-10-01T16:00:00Z'), pos(10, '2025-10-01T14:00:00Z'), pos(-5, '2025-10-01T15:00:00Z')];
  // in close order: +10, −5, −30 → peak 10, trough −25 → drawdown 35; loss streak 2
  const s = computeStats(a);
  assert.equal(s.maxDrawdown, 35);
  assert.equal(s.longestLossStreak, 2);
  assert.equal(s.profitFactor, 0.2857); // 10 / 35
});

test('computeStats groups by CME trading day, week, month, instrument, account, side and hour', () => {
  const list = [
    // Tuesday 16:55 CT close → Tuesday; Tuesday 17:05 CT close → Wednesday's trading day
    pos(10, '2025-10-28T21:55:00Z', { openedAt: Date.parse('2025-10-28T14:30:00Z') }),
    pos(-4, '2025-10-28T22:05:00Z', { account: 'B', side: 'short', openedAt: Date.parse('2025-10-28T21:50:00Z') }),
    pos(7, '2025-11-03T15:00:00Z', { root: 'ES', contract: 'ES 12-25', openedAt: Date.parse('2025-10-31T19:00:00Z') }),
  ];
  const byDay = computeStats(list, { by: 'day' });
  assert.deepEqual(
    byDay.groups?.map((g) => [g.key, g.positions, g.netPnl]),
    [
      ['2025-10-28', 1, 10],
      ['2025-10-29', 1, -4],
      ['2025-11-03', 1, 7],
    ],
  );
  assert.equal(byDay.netPnl, 13);
  assert.deepEqual(
    computeStats(list, { by: 'week' }).groups?.map((g) => [g.key, g.netPnl]),
    [
      ['2025-W44', 6],
      ['2025-W45', 7],
    ],
  );
  assert.deepEqual(
    computeStats(list, { by: 'month' }).groups?.map((g) => [g.key, g.netPnl]),
    [
      ['2025-10', 6],
      ['2025-11', 7],
    ],
  );
  assert.deepEqual(
    computeStats(list, { by: 'instrument' }).groups?.map((g) => [g.key, g.netPnl]),
    [
      ['ES', 7],
      ['MNQ', 6],
    ],
  );
  assert.deepEqual(
    computeStats(list, { by: 'account' }).groups?.map((g) => [g.key, g.positions]),
    [
      ['A', 2],
      ['B', 1],
    ],
  );
  assert.deepEqual(
    computeStats(list, { by: 'side' }).groups?.map((g) => [g.key, g.netPnl]),
    [
      ['long', 17],
      ['short', -4],
    ],
  );
  // hour of entry, Chicago: 09 (14:30Z CDT), 16 (21:50Z CDT), 14 (19:00Z CDT on 10/31)
  assert.deepEqual(
    computeStats(list, { by: 'hour' }).groups?.map((g) => g.key),
    ['09', '14', '16'],
  );
});

test('computeStats reports null ratios when there is nothing to divide', () => {
  const s = computeStats([]);
  assert.equal(s.positions, 0);
  assert.equal(s.winRate, null);
  assert.equal(s.profitFactor, null);
  assert.equal(s.expectancy, null);
  assert.equal(s.netPnl, 0);
  const onlyWins = computeStats([pos(5, '2025-10-01T14:00:00Z')]);
  assert.equal(onlyWins.profitFactor, null);
  assert.equal(onlyWins.avgLoss, null);
  assert.equal(onlyWins.largestLoss, null);
});
