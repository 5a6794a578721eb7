import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { manualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { loadDemo } from '../../src/demo/demo.js';
import { INSTRUMENT_OVERRIDES_KEY, instrumentOverridesSchema } from '../../src/instruments/instruments.js';
import { importLegacy } from '../../src/legacy/legacy-import.js';
import { silentLogger } from '../../src/log.js';
import { createMarketData } from '../../src/market-data/service.js';
import { createSettingsRepo } from '../../src/settings/settings.repo.js';
import { IMPORT_TIMEZONE_KEY, importTimezoneSchema } from '../../src/trades/settings.js';
import { ntFile, servicesFixture } from '../accounts/helpers.js';
import { ROOT } from '../helpers/cli.js';
import { addJournalData, writeLargeCsv } from '../helpers/large-journal.js';
import { tempDir } from '../helpers/tmp.js';
import { fixture, LEGACY_FIXTURE } from '../trades/helpers.js';
import { exportToFile, journalFixture, observe, text } from './helpers.js';

// "Export round trip exact" (issue 11): export → import-export into a fresh data dir → the same positions, statistics
// and journal data, and an export of the imported journal byte-equal to the first.

const DEMO_NOW = Date.parse('2026-11-20T22:30:00Z');

test('import-export reproduces the demo journal exactly, with its settings, notes, tags and verdicts', async (t) => {
  const a = journalFixture(t);
  const config = loadConfig({ dataDir: a.store.paths.dataDir, logLevel: 'silent' }, {});
  const market = createMarketData({ market: a.store.market, journal: a.store.journal, config, logger: silentLogger() });
  t.after(() => market.close());
  await loadDemo({ trades: a.trades, market, clock: manualClock(DEMO_NOW) });
  // Settings travel, and come in before the positions are rebuilt: ES at $55 a point changes every ES position.
  const settings = createSettingsRepo(a.store.journal);
  settings.set(INSTRUMENT_OVERRIDES_KEY, instrumentOverridesSchema, { ES: { pointValue: 55 } });
  settings.set<string | null>(IMPORT_TIMEZONE_KEY, importTimezoneSchema.nullable(), 'America/New_York');
  a.trades.rebuildAll();
  const added = a.store.journal.write(() => addJournalData(a.trades));
  assert.ok(added.notes > 20 && added.tagged > 10 && added.verdicts > 10, JSON.stringify(added));
  const exported = text(a.exports.journal());

  const file = path.join(tempDir(t), 'demo.json');
  fs.writeFileSync(file, exported);
  const b = journalFixture(t);
  const r = b.exports.importExport(file);
  assert.equal(r.positions, a.trades.countPositions({}));
  assert.equal(r.journalEntries, JSON.parse(exported).journal.length);
  assert.ok(r.journalEntries >= added.notes);

  const seen = observe(a, { details: true });
  assert.ok(
    seen.positions.some((p) => p.root === 'ES' && p.pointValue === 55),
    'the override is in force',
  );
  assert.deepEqual(observe(b, { details: true }), seen);
  assert.equal(text(b.exports.journal()), exported, 'the export of the imported journal is byte-equal');
});

test('import-export reproduces a 20,000-execution journal with journal data on thousands of positions exactly', (t) => {
  const a = journalFixture(t);
  const csv = path.join(tempDir(t), 'large.csv');
  writeLargeCsv(csv, 20_000);
  return (async () => {
    const imported = await a.trades.importFile({ path: csv });
    assert.equal(imported.executionsAdded, 20_000);
    // one transaction: thousands of single edits would each wait for the disk
    const added = a.store.journal.write(() => addJournalData(a.trades));
    assert.ok(added.notes > 1000, JSON.stringify(added));
    const file = exportToFile(t, a);
    const b = journalFixture(t);
    b.exports.importExport(file);
    assert.deepEqual(observe(b), observe(a));
    assert.equal(text(b.exports.journal()), fs.readFileSync(file, 'utf8'));
  })();
});

test('journal data attaches to its position by key when the file gives other ids or none', async (t) => {
  const a = journalFixture(t);
  for (const f of ['reversal.csv', 'scale-grid.csv', 'two-accounts.csv']) await a.trades.importFile({ path: fixture(f) });
  // fills without an execution id: the position's key holds the content key of its opening fill
  const noIds = path.join(tempDir(t), 'no-ids.csv');
  fs.writeFileSync(
    noIds,
    [
      'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation',
      'ES 12-25,Buy,1,6000.00,10/8/2025 9:30:00 AM,,Entry,1 L,,Entry,$2.50,1,NOIDS,Sim,',
      'ES 12-25,Sell,1,6001.00,10/8/2025 9:31:00 AM,,Exit,-,,Exit,$2.50,1,NOIDS,Sim,',
    ].join('\n'),
  );
  await a.trades.importFile({ path: noIds });
  const identity = (p: { account: string; instrument: string; openedAt: string; side: string }) =>
    `${p.account} ${p.instrument} ${p.openedAt} ${p.side}`;
  const positions = a.trades.listPositions({});
  assert.ok(positions.length >= 4);
  for (const p of positions) {
    a.trades.setNote(p.id, `note of ${identity(p)}`);
    a.trades.addTag(p.id, `tag-${p.side}`);
  }
  const file = exportToFile(t, a);
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.ok(
    data.journal.some(
      (e: { position: { account: string; openingExecution: string } }) =>
        e.position.account === 'NOIDS' && e.position.openingExecution.startsWith('h:'),
    ),
    'a position named by a content key',
  );
  const journalOf = (j: typeof a) =>
    new Map(j.trades.listPositions({}).map((p) => [identity(p), { ...j.trades.getJournal(p.id), positionId: 0, noteUpdatedAt: 0 }]));

  for (const [label, positionIds] of [
    ['ids moved by 1000', data.positionIds.map((p: { id: number }) => ({ ...p, id: p.id + 1000 }))],
    ['no ids at all', []],
  ] as const) {
    const edited = path.join(tempDir(t), 'edited.json');
    fs.writeFileSync(edited, JSON.stringify({ ...data, positionIds }));
    const b = journalFixture(t);
    b.exports.importExport(edited);
    assert.deepEqual(journalOf(b), journalOf(a), label);
    const ids = b.trades.listPositions({}).map((p) => p.id);
    if (positionIds.length > 0)
      assert.deepEqual(
        ids,
        positions.map((p) => p.id + 1000),
        label,
      );
    for (const p of b.trades.listPositions({})) {
      assert.equal(b.trades.getJournal(p.id).note, `note of ${identity(p)}`, `${label}: the note is on its own position`);
    }
  }
});

test('a note on a position that an undo took away is exported and finds its position when the file is imported again', async (t) => {
  const a = journalFixture(t);
  await a.trades.importFile({ path: fixture('scale-grid.csv') });
  const second = await a.trades.importFile({ path: fixture('reversal.csv') });
  const reversed = a.trades.listPositions({ account: 'SIM1' });
  assert.equal(reversed.length, 2);
  const [first] = reversed;
  a.trades.setNote(first?.id as number, 'kept through the undo');
  a.trades.setReviewed(first?.id as number, true);
  a.trades.undoImport(second.importId as number);
  assert.equal(a.trades.countPositions({ account: 'SIM1' }), 0);

  const b = journalFixture(t);
  b.exports.importExport(exportToFile(t, a));
  assert.equal(b.trades.countPositions({ account: 'SIM1' }), 0);
  assert.deepEqual(observe(b), observe(a));
  await b.trades.importFile({ path: fixture('reversal.csv') });
  const back = b.trades.listPositions({ account: 'SIM1' });
  assert.equal(back[0]?.id, first?.id, 'the same id as before the undo');
  assert.equal(b.trades.getJournal(back[0]?.id as number).note, 'kept through the undo');
  assert.equal(back[0]?.reviewed, true);
});

test('import-export reproduces a journal imported from the old app (its legacy import history) exactly', async (t) => {
  if (!fs.existsSync(LEGACY_FIXTURE)) {
    if (process.env.CI === 'true') assert.fail(`the legacy fixture ${LEGACY_FIXTURE} is missing`);
    t.skip(`legacy fixture ${LEGACY_FIXTURE} not present`);
    return;
  }
  const a = journalFixture(t);
  const config = { yahooBaseUrl: 'http://127.0.0.1:9', importTimezone: 'America/Los_Angeles', schedulerIntervalMinutes: 0 };
  const market = createMarketData({ market: a.store.market, journal: a.store.journal, config });
  t.after(() => market.close());
  const r = importLegacy({ trades: a.trades, market }, LEGACY_FIXTURE, {});
  assert.ok(r.executions > 0 && r.positions > 0);
  const exported = text(a.exports.journal());
  assert.match(exported, /"kind":"legacy"/);
  const file = path.join(tempDir(t), 'legacy.json');
  fs.writeFileSync(file, exported);
  const b = journalFixture(t);
  b.exports.importExport(file);
  assert.deepEqual(observe(b, { details: true }), observe(a, { details: true }));
  assert.equal(text(b.exports.journal()), exported);
});

test('import-export reproduces accounts, spellings, fee schedules, orders and typed stops exactly', async (t) => {
  const a = journalFixture(t);
  const s = servicesFixture(t, a.store);
  // the Tradovate Orders report: its fills state no costs (the schedules fill them in), its orders give the stops
  await s.trades.importFile({ path: path.join(ROOT, 'test', 'fixtures', 'formats', 'tradovate-orders', 'session.csv') });
  // a day later, NinjaTrader's spelling of the same account, with the costs it states
  await s.trades.importFile({
    path: ntFile(t, [
      'MNQ 06-26,Buy,1,21100.00,5/15/2026 9:31:02 AM,n1,Entry,1 L,9101,Entry,$0.52,1,DEMO4471200!Tradovate!Tradovate,Tradovate,',
      'MNQ 06-26,Sell,1,21104.00,5/15/2026 9:40:00 AM,n2,Exit,-,9102,Exit,$0.52,1,DEMO4471200!Tradovate!Tradovate,Tradovate,',
    ]),
  });
  s.accounts.set('DEMO4471200', { firm: 'Tradeify', platform: 'Tradovate' });
  s.accounts.alias('DEMO4471200!Tradovate!Tradovate', 'DEMO4471200');
  s.fees.apply({ set: { firm: 'Tradeify', root: 'MNQ', from: '2026-01-02', amounts: { commission: 0.25, nfa: 0.02 } } });
  s.fees.apply({ set: { account: 'DEMO4471200', root: '*', side: 'sell', from: '2026-05-14', amounts: { commission: 0.3 } } });
  const [first] = s.trades.listPositions({});
  s.orders.setInitialStop(first?.id as number, 21035);
  s.orders.addStopMove(first?.id as number, Date.parse('2026-05-14T16:35:10.000Z'), 21040);
  // costs: 3 bought at the firm's $0.27 = $0.81, 3 sold at the account's sell rate $0.30 = $0.90
  const before = s.trades.getPosition(first?.id as number);
  assert.deepEqual([before.costs, before.initialStop, before.orderInitialStop], [1.71, 21035, 21036.25]);

  const file = exportToFile(t, a);
  const b = journalFixture(t);
  const r = b.exports.importExport(file);
  assert.equal(r.positions, 3);
  const sb = servicesFixture(t, b.store);
  assert.deepEqual(observe(b, { details: true }), observe(a, { details: true }));
  assert.deepEqual(sb.accounts.list(), s.accounts.list());
  assert.deepEqual(sb.fees.list(), s.fees.list());
  assert.equal(text(b.exports.journal()), fs.readFileSync(file, 'utf8'), 'the export of the imported journal is byte-equal');
});

test('import-export keeps what the source said of each fill: format, fill ids, costs by kind, derived fills and their replacement', async (t) => {
  const formats = (p: string) => path.join(path.dirname(fixture('x')), '..', 'formats', p);
  const now = Date.UTC(2026, 11, 1);
  const a = journalFixture(t);
  await a.trades.importFile({ path: formats('tradovate-orders/session.csv') }, { now });
  await a.trades.importFile({ path: formats('tradovate-fills/session.csv') }, { now });
  await a.trades.importFile({ path: formats('ibkr-flex/trade-confirm.csv') }, { now });
  const exported = text(a.exports.journal());
  assert.match(exported, /"format":"tradovate-fills"/);
  assert.match(exported, /"derived":"order","replacedBy":2/);
  assert.match(exported, /"costs":\{"commission":0.5,"exchange":0.6,"clearing":0.1,"nfa":0.04\}/);
  const file = path.join(tempDir(t), 'sources.json');
  fs.writeFileSync(file, exported);
  const b = journalFixture(t);
  b.exports.importExport(file);
  assert.deepEqual(observe(b, { details: true }), observe(a, { details: true }));
  assert.equal(text(b.exports.journal()), exported);
});
