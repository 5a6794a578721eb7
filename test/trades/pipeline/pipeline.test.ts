import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { headerSignature } from '../../../src/trades/importers/mapping.js';
import type { TradesService } from '../../../src/trades/trades.service.js';
import { ROOT } from '../../helpers/cli.js';
import { tradesFixture } from '../helpers.js';

/**
 * Every format through the one import pipeline (the real service on SQLite in a temp dir): the positions and P&L
 * worked by hand in test/fixtures/formats/README.md, the same session's files in any order never doubled,
 * derived fills replaced by fill-level data, orphan exits, and the date order of day-first files.
 */
const F = (p: string) => path.join(ROOT, 'test', 'fixtures', 'formats', p);
/** The pinned clock of these imports: 1 December 2026. */
const NOW = Date.UTC(2026, 11, 1);

type Figures = [account: string, contract: string, side: string, gross: number, costs: number, net: number];

function figures(service: TradesService): Figures[] {
  return service
    .listPositions()
    .map((p) => [p.account, p.instrument, p.side, p.grossPnl, p.commission, p.netPnl] as Figures)
    .sort((a, b) => (a.join() < b.join() ? -1 : 1));
}

const TRADOVATE_FILLS: Figures[] = [
  ['DEMO4471200', 'MNQ 06-26', 'long', -2, 3.12, -5.12],
  ['DEMO4471200', 'MNQ 06-26', 'short', 18.5, 2.08, 16.42],
];
const TRADOVATE_NO_COSTS: Figures[] = [
  ['DEMO4471200', 'MNQ 06-26', 'long', -2, 0, -2],
  ['DEMO4471200', 'MNQ 06-26', 'short', 18.5, 0, 18.5],
];

const CASES: { file: string; options?: Record<string, unknown>; format: string; zone: RegExp; added: number; positions: Figures[] }[] = [
  {
    file: 'tradovate-fills/session.csv',
    format: 'tradovate-fills',
    zone: /^UTC \(offsets in the data\)$/,
    added: 6,
    positions: TRADOVATE_FILLS,
  },
  { file: 'tradovate-orders/session.csv', format: 'tradovate-orders', zone: /import zone/, added: 5, positions: TRADOVATE_NO_COSTS },
  {
    file: 'tradovate-performance/session.csv',
    options: { account: 'DEMO4471200' },
    format: 'tradovate-performance',
    zone: /import zone/,
    added: 6,
    positions: TRADOVATE_NO_COSTS,
  },
  {
    file: 'tradovate-position-history/session.csv',
    format: 'tradovate-position-history',
    zone: /import zone/,
    added: 6,
    positions: TRADOVATE_NO_COSTS,
  },
  { file: 'tradovate-cash-history/session.csv', format: 'tradovate-cash-history', zone: /import zone/, added: 0, positions: [] },
  {
    file: 'nt8-executions/us-comma.csv',
    format: 'nt8-executions',
    zone: /import zone/,
    added: 5,
    positions: [
      ['Sim101', 'ES 12-26', 'short', 212.5, 4.5, 208],
      ['Sim101', 'MNQ 09-26', 'long', 4.5, 2.08, 2.42],
    ],
  },
  {
    file: 'nt8-executions/eu-semicolon.csv',
    format: 'nt8-executions',
    zone: /import zone/,
    added: 4,
    positions: [
      ['Playback101', 'MES 06-26', 'long', -52.5, 2.48, -54.98],
      ['Playback101', 'MNQ 09-26', 'short', 24.5, 1.24, 23.26],
    ],
  },
  {
    file: 'nt8-executions/tab-ambiguous.csv',
    options: { dateOrder: 'mdy' },
    format: 'nt8-executions',
    zone: /import zone/,
    added: 2,
    positions: [['Sim102', 'MNQ 06-26', 'long', 21, 1.04, 19.96]],
  },
  {
    file: 'ninjatrader-addon/addon.csv',
    format: 'ninjatrader-addon',
    zone: /import zone/,
    added: 4,
    positions: [
      ['APEX4471200000012', 'MNQ 12-25', 'long', 51, 2.08, 48.92],
      ['APEX4471200000012', 'MNQ 12-25', 'short', 24.5, 1.04, 23.46],
    ],
  },
  {
    file: 'nt8-trades/fee-split.csv',
    format: 'nt8-trades',
    zone: /import zone/,
    added: 4,
    positions: [
      ['Sim101', 'ES 12-26', 'short', -262.5, 4.5, -267],
      ['Sim101', 'MNQ 09-26', 'long', 17, 2.02, 14.98],
    ],
  },
  {
    file: 'nt8-trades/apex-day-first.csv',
    format: 'nt8-trades',
    zone: /import zone/,
    added: 4,
    positions: [
      ['PA-APEX-40021-7!Apex!Apex', 'NQ 06-26', 'long', -90, 0, -90],
      ['PA-APEX-40021-7!Apex!Apex', 'NQ 06-26', 'short', 90, 0, 90],
    ],
  },
  {
    file: 'rithmic-orders/completed-orders.csv',
    format: 'rithmic-orders',
    zone: /^America\/Chicago \(column Update Time \(CDT\)\)$/,
    added: 2,
    positions: [['LT-88120-04', 'MES 06-26', 'long', 62.5, 1.4, 61.1]],
  },
  {
    file: 'projectx-trades/trades-13-columns.csv',
    options: { account: 'PX1' },
    format: 'projectx-trades',
    zone: /^-04:00 \(offsets in the data\)$/,
    added: 6,
    positions: [
      ['PX1', 'MES 09-26', 'short', 42.5, 2.48, 40.02],
      // 502/503: one entry of 3 scaled out: +250.00 and −170.00, fees 2.80 + 5.60
      ['PX1', 'NQ 09-26', 'long', 80, 8.4, 71.6],
    ],
  },
  {
    file: 'projectx-trades/trades-11-columns.csv',
    options: { account: 'PX1' },
    format: 'projectx-trades',
    zone: /^\+02:00/,
    added: 2,
    positions: [['PX1', 'MNQ 09-26', 'long', 13.5, 0.74, 12.76]],
  },
  {
    file: 'projectx-orders/orders.csv',
    format: 'projectx-orders',
    zone: /^-04:00/,
    added: 2,
    positions: [['PXT40512', 'MES 09-26', 'long', 32.5, 0, 32.5]],
  },
  {
    file: 'ibkr-flex/trade-confirm.csv',
    format: 'ibkr-flex',
    zone: /import zone/,
    added: 2,
    positions: [['U7712345', 'MES 06-26', 'long', 112.5, 2.48, 110.02]],
  },
  {
    file: 'sierra-activity/trade-activity.txt',
    format: 'sierra-activity',
    zone: /import zone/,
    added: 2,
    // the Trade Fee rows are cash entries, not costs of the fills (costs missing: a fee schedule fills them)
    positions: [['Sim1', 'MES 06-26', 'long', 55, 0, 55]],
  },
];

for (const c of CASES) {
  test(`import reads ${c.file} as ${c.format} end to end: positions and P&L as worked by hand`, async (t) => {
    const { service } = tradesFixture(t, 'America/New_York');
    const r = await service.importFile({ path: F(c.file) }, { now: NOW, ...c.options });
    assert.deepEqual(r.rejected, []);
    assert.equal(r.status, 'imported');
    assert.equal(r.format, c.format);
    assert.match(r.zone ?? '', c.zone);
    assert.equal(r.executionsAdded, c.added);
    assert.deepEqual(
      figures(service),
      [...c.positions].sort((a, b) => (a.join() < b.join() ? -1 : 1)),
    );
    assert.equal(service.getImport(r.importId as number)?.format, c.format);
  });
}

test('Tradovate Fills then Orders of the same session: the orders add nothing (joined on order ids), costs stay', async (t) => {
  const { service } = tradesFixture(t, 'America/New_York');
  await service.importFile({ path: F('tradovate-fills/session.csv') }, { now: NOW });
  const r = await service.importFile({ path: F('tradovate-orders/session.csv') }, { now: NOW });
  assert.equal(r.status, 'imported');
  assert.equal(r.executionsAdded, 0);
  assert.equal(r.duplicatesSkipped, 5);
  assert.deepEqual(figures(service), TRADOVATE_FILLS);
});

test('Tradovate Orders then Fills: the fills replace the derived order fills (the preview says so), nothing counted twice; undo brings them back', async (t) => {
  const { service, store } = tradesFixture(t, 'America/New_York');
  await service.importFile({ path: F('tradovate-orders/session.csv') }, { now: NOW });
  const preview = await service.previewFile({ path: F('tradovate-fills/session.csv') }, { now: NOW });
  assert.equal(preview.derivedReplaced, 5);
  assert.equal(preview.preview?.added.length, 6);
  assert.deepEqual(figures(service), TRADOVATE_NO_COSTS, 'a preview stores nothing');
  const r = await service.importFile({ path: F('tradovate-fills/session.csv') }, { now: NOW });
  assert.equal(r.executionsAdded, 6);
  assert.equal(r.derivedReplaced, 5);
  assert.deepEqual(figures(service), TRADOVATE_FILLS);
  await service.undoImport(r.importId as number);
  assert.deepEqual(figures(service), TRADOVATE_NO_COSTS);
  const live = store.journal.conn.prepare('SELECT count(*) FROM executions WHERE replaced_by IS NULL').pluck().get();
  assert.equal(live, 5);
});

test('Tradovate Performance (no account) joins the stored Fills by fill id and adds nothing; the other order replaces it', async (t) => {
  const a = tradesFixture(t, 'America/New_York');
  await a.service.importFile({ path: F('tradovate-fills/session.csv') }, { now: NOW });
  const r = await a.service.importFile({ path: F('tradovate-performance/session.csv') }, { now: NOW });
  assert.deepEqual(r.rejected, []);
  assert.equal(r.executionsAdded, 0);
  assert.equal(r.duplicatesSkipped, 6);
  assert.deepEqual(figures(a.service), TRADOVATE_FILLS);

  const b = tradesFixture(t, 'America/New_York');
  await b.service.importFile({ path: F('tradovate-position-history/session.csv') }, { now: NOW });
  const fills = await b.service.importFile({ path: F('tradovate-fills/session.csv') }, { now: NOW });
  assert.equal(fills.derivedReplaced, 6);
  assert.deepEqual(figures(b.service), TRADOVATE_FILLS);
});

test('a file that names no account and matches nothing stored is refused naming --account', async (t) => {
  const { service } = tradesFixture(t, 'America/New_York');
  const r = await service.importFile({ path: F('projectx-trades/trades-11-columns.csv') }, { now: NOW });
  assert.equal(r.status, 'rejected');
  assert.match(r.rejected[0]?.reason ?? '', /--account NAME/);
});

const ADDON_HEADER =
  'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation';

test('an export that starts mid-position: the first exit is an orphan, paired with nothing; the earlier file resolves it', async (t) => {
  const { service } = tradesFixture(t, 'America/New_York');
  const later = [
    ADDON_HEADER,
    // sells 1 to close a long opened before this export: nothing open in the journal
    'MNQ 12-25,Sell,1,21010.00,10/6/2025 10:00:00 AM,b1,Exit,-,o1,Exit,$0.52,1,SIM9,Sim101,',
    'MNQ 12-25,Buy,1,21000.00,10/6/2025 10:05:00 AM,b2,Entry,1 L,o2,Entry,$0.52,1,SIM9,Sim101,',
    'MNQ 12-25,Sell,1,21004.00,10/6/2025 10:10:00 AM,b3,Exit,-,o3,Exit,$0.52,1,SIM9,Sim101,',
  ].join('\n');
  const r = await service.importFile({ name: 'later.csv', content: later }, { now: NOW });
  assert.equal(r.status, 'imported');
  assert.deepEqual(
    r.orphans.map((o) => [o.line, o.action, o.quantity, o.executionId]),
    [[2, 'Sell', 1, 'b1']],
  );
  // one position only, +4.00 × $2 = $8.00 gross: not a phantom short from the orphan paired against the next buy
  assert.deepEqual(figures(service), [['SIM9', 'MNQ 12-25', 'long', 8, 1.04, 6.96]]);
  assert.equal(service.orphanExits().length, 1);

  const earlier = [ADDON_HEADER, 'MNQ 12-25,Buy,1,20990.00,10/6/2025 9:50:00 AM,a1,Entry,1 L,o0,Entry,$0.52,1,SIM9,Sim101,'].join('\n');
  const e = await service.importFile({ name: 'earlier.csv', content: earlier }, { now: NOW });
  assert.deepEqual(e.orphans, []);
  assert.equal(service.orphanExits().length, 0);
  assert.deepEqual(figures(service), [
    ['SIM9', 'MNQ 12-25', 'long', 40, 1.04, 38.96],
    ['SIM9', 'MNQ 12-25', 'long', 8, 1.04, 6.96],
  ]);
});

test('day-first: a file whose dates cannot tell is refused naming import.dateOrder and --date-order; the setting or the option reads it', async (t) => {
  const { service } = tradesFixture(t, 'America/New_York');
  const file = { path: F('nt8-executions/tab-ambiguous.csv') };
  const refused = await service.importFile(file, { now: NOW });
  assert.equal(refused.status, 'rejected');
  assert.match(refused.rejected[0]?.reason ?? '', /import\.dateOrder.*--date-order dmy\|mdy/);
  assert.equal(service.listPositions().length, 0);

  service.setDateOrder('dmy');
  const dmy = await service.importFile(file, { now: NOW, dryRun: true });
  assert.equal(dmy.dateOrder, 'dmy');
  // 05/06/2026 14:02 day-first is 5 June 2026, EDT
  assert.equal(dmy.preview?.added[0]?.time, '2026-06-05T18:02:00.000Z');

  const mdy = await service.importFile(file, { now: NOW, dateOrder: 'mdy' });
  assert.equal(mdy.dateOrder, 'mdy');
  assert.equal(service.listPositions()[0]?.openedAt, '2026-05-06T18:02:00.000Z');
});

test('a row contradicting its own file (an exit larger than the position it opened) rejects the file naming the line, unless skipped', async (t) => {
  const { service } = tradesFixture(t, 'America/New_York');
  const text = [
    'Instrument\tAction\tQuantity\tPrice\tTime\tID\tE/X\tPosition\tOrder ID\tName\tCommission\tRate\tAccount\tConnection',
    'MNQM6\tBuy\t1\t21950.50\t05/14/2026 14:02:00\tc1\tE\t1 L\tq1\tEntry\t0.52\t1\tSim7\tSim',
    'MNQM6\tSell\t2\t21961.00\t05/14/2026 14:20:30\tc2\tX\t-\tq2\tExit\t1.04\t1\tSim7\tSim',
  ].join('\n');
  const r = await service.importFile({ name: 'bad.txt', content: text }, { now: NOW });
  assert.equal(r.status, 'rejected');
  assert.equal(r.rejected[0]?.line, 3);
  assert.match(r.rejected[0]?.reason ?? '', /exit of 2 is larger than the position of 1 open in this file/);
  const skipped = await service.importFile({ name: 'bad.txt', content: text }, { now: NOW, skipInvalid: true });
  assert.equal(skipped.executionsAdded, 1);
});

test('a generic CSV through a saved column mapping: by name (--mapping) and recognised by its header signature', async (t) => {
  const { service } = tradesFixture(t, 'America/New_York');
  const file = { path: F('generic/broker-x.csv') };
  const unknown = await service.importFile(file, { now: NOW });
  assert.equal(unknown.status, 'rejected');
  assert.match(unknown.rejected.at(-1)?.reason ?? '', /no format tradelog knows/);
  await assert.rejects(service.importFile(file, { now: NOW, mapping: 'Broker X' }), /no saved column mapping named "Broker X"/);
  service.saveMapping({
    name: 'Broker X',
    signature: headerSignature('Trade Date Time;Acct;Symbol;Dir;Qty;Fill Px;Comm;Exch Fee;Exec ID'.split(';')),
    delimiter: ';',
    decimal: ',',
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
  });
  const byName = await service.importFile(file, { now: NOW, mapping: 'Broker X', dryRun: true });
  assert.equal(byName.format, 'generic');
  assert.equal(byName.executionsAdded, 2);
  const detected = await service.importFile(file, { now: NOW });
  assert.equal(detected.format, 'generic');
  // MNQM6 bought 21500.25, sold 21508.75: 8.50 × $2 = $17.00; costs 2 × (0.35 + 0.17) = $1.04
  assert.deepEqual(figures(service), [['X-1001', 'MNQ 06-26', 'long', 17, 1.04, 15.96]]);
});
