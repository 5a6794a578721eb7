import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ntFile, servicesFixture } from './helpers.js';

// One account seen from two platforms: NinjaTrader (through its Rithmic connection) writes it
// TEST-ACCT-001!Rithmic!Rithmic, R|Trader TEST-ACCT-001.
//   NinjaTrader file: long 2 MNQ 21000 → 21010 (+10 pts × 2 × $2 = +$40 gross, $1.04 + $1.04 costs → +$37.92)
//   Second file:      short 1 MNQ 21020 → 21015 (+5 pts × $2 = +$10 gross, $0.52 + $0.52 → +$8.96)
const NT = [
  'MNQ 12-25,Buy,2,21000.00,10/7/2025 9:30:00 AM,n1,Entry,2 L,o1,Entry,$1.04,1,TEST-ACCT-001!Rithmic!Rithmic,Rithmic,',
  'MNQ 12-25,Sell,2,21010.00,10/7/2025 9:40:00 AM,n2,Exit,-,o2,Exit,$1.04,1,TEST-ACCT-001!Rithmic!Rithmic,Rithmic,',
];
const OTHER = [
  'MNQ 12-25,Sell,1,21020.00,10/7/2025 10:00:00 AM,r1,Entry,1 S,o3,Entry,$0.52,1,TEST-ACCT-001,Rithmic,',
  'MNQ 12-25,Buy,1,21015.00,10/7/2025 10:05:00 AM,r2,Exit,-,o4,Exit,$0.52,1,TEST-ACCT-001,Rithmic,',
];

test('accounts appear from executions, and a spelling that looks like another account is suggested for merging', async (t) => {
  const s = servicesFixture(t);
  await s.trades.importFile({ path: ntFile(t, NT, 'nt.csv') });
  await s.trades.importFile({ path: ntFile(t, OTHER, 'rithmic.csv') });
  const { accounts, suggestions } = s.accounts.list();
  assert.deepEqual(
    accounts.map((a) => [a.name, a.aliases]),
    [
      ['TEST-ACCT-001', ['TEST-ACCT-001']],
      ['TEST-ACCT-001!Rithmic!Rithmic', ['TEST-ACCT-001!Rithmic!Rithmic']],
    ],
  );
  assert.deepEqual(suggestions, [{ alias: 'TEST-ACCT-001!Rithmic!Rithmic', account: 'TEST-ACCT-001' }]);
  assert.deepEqual(Object.keys(groupedByAccount(s)), ['TEST-ACCT-001', 'TEST-ACCT-001!Rithmic!Rithmic']);
});

function groupedByAccount(s: ReturnType<typeof servicesFixture>) {
  return Object.fromEntries((s.trades.stats({}, { by: 'account' }).groups ?? []).map((g) => [g.key, g.netPnl]));
}

test('an alias merges two spellings into one account: positions and statistics group by it, notes keep their position', async (t) => {
  const s = servicesFixture(t);
  await s.trades.importFile({ path: ntFile(t, NT, 'nt.csv') });
  await s.trades.importFile({ path: ntFile(t, OTHER, 'rithmic.csv') });
  const [ntPosition] = s.trades.listPositions({ account: 'TEST-ACCT-001!Rithmic!Rithmic' });
  assert.ok(ntPosition);
  s.trades.setNote(ntPosition.id, 'first trade of the day');
  s.trades.addTag(ntPosition.id, 'breakout');

  const r = s.accounts.alias('TEST-ACCT-001!Rithmic!Rithmic', 'TEST-ACCT-001');
  assert.deepEqual(r.account.aliases, ['TEST-ACCT-001', 'TEST-ACCT-001!Rithmic!Rithmic']);
  assert.equal(r.positionsRebuilt, 2);
  assert.deepEqual(
    s.accounts.list().accounts.map((a) => a.name),
    ['TEST-ACCT-001'],
    'the account left without a spelling is gone',
  );

  const positions = s.trades.listPositions({});
  assert.deepEqual(
    positions.map((p) => [p.account, p.side, p.netPnl]),
    [
      ['TEST-ACCT-001', 'long', 37.92],
      ['TEST-ACCT-001', 'short', 8.96],
    ],
  );
  assert.equal(positions[0]?.id, ntPosition.id, 'the position keeps its id');
  assert.equal(s.trades.getJournal(ntPosition.id).note, 'first trade of the day');
  assert.deepEqual(s.trades.getJournal(ntPosition.id).tags, ['breakout']);
  assert.deepEqual(groupedByAccount(s), { 'TEST-ACCT-001': 46.88 });
  // either spelling finds the account's positions
  assert.equal(s.trades.listPositions({ account: 'TEST-ACCT-001!Rithmic!Rithmic' }).length, 2);
  const detail = s.trades.getPosition(ntPosition.id);
  assert.deepEqual(
    detail.executions.map((e) => e.executionId),
    ['n1', 'n2'],
  );
});

test('fills of both spellings make one book: a position opened under one spelling is closed by the other', async (t) => {
  const s = servicesFixture(t);
  // registered before any import: the account, then the spelling NinjaTrader will use
  s.accounts.set('TEST-ACCT-001', { platform: 'Rithmic', firm: 'Apex' });
  s.accounts.alias('TEST-ACCT-001!Rithmic!Rithmic', 'TEST-ACCT-001');
  // opened in NinjaTrader, closed from R|Trader: one round trip once the spellings are one account
  await s.trades.importFile({ path: ntFile(t, [NT[0] as string], 'open.csv') });
  await s.trades.importFile({
    path: ntFile(t, ['MNQ 12-25,Sell,2,21010.00,10/7/2025 9:40:00 AM,r9,Exit,-,o9,Exit,$1.04,1,TEST-ACCT-001,Rithmic,'], 'close.csv'),
  });
  const positions = s.trades.listPositions({});
  assert.deepEqual(
    positions.map((p) => [p.account, p.status, p.netPnl]),
    [['TEST-ACCT-001', 'closed', 37.92]],
  );
});

test('a rename keeps the positions, their ids and notes; a rename onto another account is refused', async (t) => {
  const s = servicesFixture(t);
  await s.trades.importFile({ path: ntFile(t, NT, 'nt.csv') });
  await s.trades.importFile({ path: ntFile(t, OTHER, 'rithmic.csv') });
  const [p] = s.trades.listPositions({ account: 'TEST-ACCT-001!Rithmic!Rithmic' });
  s.trades.setNote(p?.id as number, 'kept');
  assert.throws(
    () => s.accounts.set('TEST-ACCT-001!Rithmic!Rithmic', { name: 'TEST-ACCT-001' }),
    (e: { code?: string }) => e.code === 'TL_ACCOUNT_CONFLICT',
  );
  const r = s.accounts.set('TEST-ACCT-001!Rithmic!Rithmic', { name: 'Apex eval', platform: 'NinjaTrader', firm: 'Apex', currency: 'usd' });
  assert.deepEqual(r.account, {
    name: 'Apex eval',
    platform: 'NinjaTrader',
    firm: 'Apex',
    currency: 'USD',
    aliases: ['TEST-ACCT-001!Rithmic!Rithmic'],
  });
  const [renamed] = s.trades.listPositions({ account: 'Apex eval' });
  assert.equal(renamed?.id, p?.id);
  assert.equal(s.trades.getJournal(p?.id as number).note, 'kept');
  assert.throws(
    () => s.accounts.alias('x', 'no such account'),
    (e: { code?: string }) => e.code === 'TL_ACCOUNT_NOT_FOUND',
  );
  assert.throws(
    () => s.accounts.set('Apex eval', { currency: 'dollars' }),
    (e: { code?: string; details?: { field?: string } }) => e.code === 'TL_ACCOUNT_BAD_INPUT' && e.details?.field === 'currency',
  );
});
