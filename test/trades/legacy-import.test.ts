import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { importLegacy } from '../../src/legacy/legacy-import.js';
import { createMarketData } from '../../src/market-data/service.js';
import { tempDir } from '../helpers/tmp.js';
import { legacyFixture, snapshot, tradesFixture } from './helpers.js';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** The trades fixture with market data beside it, and `run(file)`: import-legacy into both databases. */
function legacySetup(t: Parameters<typeof tradesFixture>[0]) {
  const { store, service } = tradesFixture(t);
  const config = { yahooBaseUrl: 'http://127.0.0.1:9', importTimezone: 'America/Los_Angeles', schedulerIntervalMinutes: 0 };
  const market = createMarketData({ market: store.market, journal: store.journal, config });
  return { store, service, market, run: (file: string, options = {}) => importLegacy({ trades: service, market }, file, options) };
}

test('import-legacy brings the old database to the same total net P&L as its own dollars_gain_loss, without touching it', async (t) => {
  const { store, service, market, run } = legacySetup(t);
  const legacy = legacyFixture(t);
  const dir = path.dirname(legacy);
  const filesBefore = fs.readdirSync(dir).sort();
  const hashBefore = sha256(legacy);
  // The old app's own figure, read straight from a second private copy of the file.
  const copyDir = tempDir(t);
  fs.copyFileSync(legacy, path.join(copyDir, 'copy.db'));
  const copy = new Database(path.join(copyDir, 'copy.db'), { readonly: true });
  const legacyTotal = copy.prepare('SELECT sum(dollars_gain_loss) FROM trades').pluck().get() as number;
  const legacyCommission = copy.prepare('SELECT sum(commission) FROM trades').pluck().get() as number;
  // Bars whose high is below their open/close or low above them (the old app would have dropped these itself).
  const badBars = (
    copy
      .prepare(
        'SELECT id FROM ohlc_data WHERE high_price < max(open_price, close_price) OR low_price > min(open_price, close_price) ORDER BY id',
      )
      .pluck()
      .all() as number[]
  ).sort((a, b) => a - b);
  copy.close();
  // By hand: account …49: 80 + 144 + 15 + 15 − 8.5 − 8.5 − 17 − 17 = 203; account …50: 83 + 145 + 16 + 15 − 11.5 − 11 − 21 − 21 = 194.5
  assert.equal(legacyTotal, 397.5);

  const r = run(legacy);
  assert.equal(sha256(legacy), hashBefore, 'the legacy file is unchanged');
  assert.deepEqual(fs.readdirSync(dir).sort(), filesBefore, 'no -wal/-shm left beside it');
  assert.ok(badBars.length > 0);
  assert.deepEqual(
    r.skipped.map((x) => x.id).sort((a, b) => Number(a) - Number(b)),
    badBars,
  );
  assert.ok(r.skipped.every((x) => x.table === 'ohlc_data' && /inconsistent/.test(x.reason)));
  // 16 round trips: per account one entry fill of 6 at 09:06:48 split over 4 rows, one of 6 at 12:03:09 over 4 rows,
  // and 8 distinct exits → 2 + 8 = 10 executions per account
  assert.equal(r.executions, 20);
  assert.equal(r.positions, 4);
  assert.equal(r.bars, 168 - badBars.length);
  // in market.db under the root, as the market-data area stores them
  assert.deepEqual(
    market.bars.coverage('MNQ').map((c) => [c.timeframe, c.count]),
    [['1h', 168 - badBars.length]],
  );
  const s = service.stats();
  assert.equal(s.netPnl, legacyTotal);
  assert.equal(s.commission, legacyCommission);
  assert.deepEqual(r.check, { legacyNetPnl: 397.5, netPnl: 397.5 });
  // execution ids are kept: the entry fill A of "A_to_B_n" rows, merged back to its full size
  const entry = store.journal.conn
    .prepare("SELECT quantity, price, time FROM executions WHERE account = 'APEX1279810000049' AND exec_key = '240110641807_1'")
    .get() as { quantity: number; price: number; time: number };
  // 2025-06-20 09:06:48 Los Angeles (PDT) = 16:06:48Z
  assert.deepEqual(entry, { quantity: 6, price: 21850.25, time: Date.parse('2025-06-20T16:06:48Z') });
  const first = service.listPositions({ account: 'APEX1279810000049' })[0];
  // (20 × 2 + 36 × 2 + 7.5 + 7.5) = 127 points × $2 = $254 = 80 + 144 + 15 + 15
  assert.deepEqual([first?.maxQuantity, first?.pointsPnl, first?.netPnl, first?.openedAt], [6, 127, 254, '2025-06-20T16:06:48.000Z']);
  assert.deepEqual(market.bars.read('MNQ', '1h')[0], {
    time: 1749601251,
    open: 21754.958664093007,
    high: 21777.158022794236,
    low: 21735.55502598895,
    close: 21761.30564939391,
    volume: 3555,
  });

  const before = snapshot(store);
  const again = run(legacy);
  assert.equal(again.executions, 0);
  assert.equal(again.duplicatesSkipped, 20);
  assert.equal(again.bars, 0, 'the bars are stored already');
  assert.deepEqual(snapshot(store), before, 'importing the same database twice changes nothing');
  assert.deepEqual(again.skipped, r.skipped, 'the same bad bars are reported again');
  assert.deepEqual(
    market.bars.coverage('MNQ').map((c) => [c.timeframe, c.count]),
    [['1h', 168 - badBars.length]],
  );
});

/** The old app's later schema (reference-app.md §2.2): `trades` holds raw executions, plus custom fields. */
function buildLaterForm(file: string): void {
  const db = new Database(file);
  db.exec(`
    CREATE TABLE trades (id INTEGER PRIMARY KEY, instrument TEXT, side_of_market TEXT, quantity INTEGER, entry_price REAL,
      entry_time TIMESTAMP, exit_time TIMESTAMP, exit_price REAL, points_gain_loss REAL, dollars_gain_loss REAL, commission REAL,
      account TEXT, chart_url TEXT, notes TEXT, validated BOOLEAN DEFAULT 0, reviewed BOOLEAN DEFAULT 0,
      created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, link_group_id INTEGER, entry_execution_id TEXT, deleted BOOLEAN DEFAULT 0,
      source_file TEXT, import_batch_id TEXT, import_row_log_id INTEGER,
      trade_validation TEXT CHECK (trade_validation IN ('Valid','Invalid')));
    CREATE TABLE positions (id INTEGER PRIMARY KEY, instrument TEXT NOT NULL, account TEXT NOT NULL, position_type TEXT NOT NULL,
      entry_time TIMESTAMP NOT NULL, exit_time TIMESTAMP, total_quantity INTEGER NOT NULL, average_entry_price REAL NOT NULL,
      average_exit_price REAL, total_points_pnl REAL, total_dollars_pnl REAL, total_commission REAL, position_status TEXT NOT NULL,
      execution_count INTEGER DEFAULT 0, risk_reward_ratio REAL, max_quantity INTEGER, validation_status TEXT);
    CREATE TABLE position_executions (id INTEGER PRIMARY KEY, position_id INTEGER NOT NULL, trade_id INTEGER NOT NULL,
      execution_order INTEGER NOT NULL, UNIQUE(position_id, trade_id));
    CREATE TABLE custom_fields (id INTEGER PRIMARY KEY, name TEXT UNIQUE, label TEXT, field_type TEXT);
    CREATE TABLE position_custom_field_values (id INTEGER PRIMARY KEY, position_id INTEGER, custom_field_id INTEGER, field_value TEXT);
    CREATE TABLE ohlc_data (id INTEGER PRIMARY KEY, instrument TEXT NOT NULL, timeframe TEXT NOT NULL, timestamp INTEGER NOT NULL,
      open_price REAL NOT NULL, high_price REAL NOT NULL, low_price REAL NOT NULL, close_price REAL NOT NULL, volume INTEGER,
      UNIQUE(instrument, timeframe, timestamp));
  `);
  const ins = db.prepare(`INSERT INTO trades (id, instrument, side_of_market, quantity, entry_price, entry_time, exit_time, exit_price,
    points_gain_loss, dollars_gain_loss, commission, account, chart_url, notes, validated, reviewed, link_group_id, entry_execution_id,
    deleted, trade_validation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const rows: unknown[][] = [
    // NinjaTrader importer: opening price in entry_price, closing price in exit_price
    [1, 'MNQ 12-25', 'Buy', 2, 21000, '2025-11-04 06:30:00', null, null, null, null, 1.04, 'ACC1', null, null, 0, 0, null, 'n1', 0, null],
    [2, 'MNQ 12-25', 'Sell', 1, null, '2025-11-04 06:35:00', null, 21010, null, null, 0.52, 'ACC1', null, null, 0, 0, null, 'n2', 0, null],
    [
      3,
      'MNQ 12-25',
      'Sell',
      1,
      null,
      '2025-11-04 06:40:00',
      null,
      21006,
      null,
      null,
      0.52,
      'ACC1',
      null,
      'good exit',
      0,
      1,
      4,
      'n3',
      0,
      'Valid',
    ],
    // unified importer: raw Sell with its price in entry_price
    [4, 'MNQ 12-25', 'Sell', 1, 21020, '2025-11-04 07:00:00', null, null, null, null, 0.52, 'ACC1', null, null, 0, 0, null, 'n4', 0, null],
    [
      5,
      'MNQ 12-25',
      'BuyToCover',
      1,
      null,
      '2025-11-04 07:05:00',
      null,
      21015,
      null,
      null,
      0.52,
      'ACC1',
      null,
      null,
      0,
      0,
      null,
      'n5',
      0,
      null,
    ],
    [6, 'MNQ 12-25', 'Buy', 1, 21000, '2025-11-04 08:00:00', null, null, null, null, 0.52, 'ACC1', null, null, 0, 0, null, 'n6', 1, null],
    [7, 'MNQ 12-25', 'Sell', 1, null, '2025-11-04 06:35:00', null, 21010, null, null, 0.52, 'ACC1', null, null, 0, 0, null, 'n2', 0, null],
    [8, 'XYZ 12-25', 'Buy', 1, 10, '2025-11-04 09:00:00', null, null, null, null, 0, 'ACC1', null, null, 0, 0, null, 'n8', 0, null],
    [9, 'MNQ 12-25', 'Buy', 1, 21000, 'not a time', null, null, null, null, 0, 'ACC1', null, null, 0, 0, null, 'n9', 0, null],
    [10, 'MNQ 12-25', 'Buy', 1, 21000, '2025-11-02 01:30:00', null, null, null, null, 0, 'ACC1', null, null, 0, 0, null, 'n10', 0, null],
    // an older round-trip row in the same file: short 1, 21100 → 21090, net of $1.04 commission: 10 × $2 − 1.04 = 18.96
    [
      11,
      'MNQ DEC25',
      'Short',
      1,
      21100,
      '2025-10-01 09:00:00',
      '2025-10-01 09:05:00',
      21090,
      10,
      18.96,
      1.04,
      'ACC2',
      'https://example.invalid/c/1',
      null,
      1,
      0,
      null,
      'e9_to_x9_1',
      0,
      null,
    ],
  ];
  for (const r of rows) ins.run(...r);
  db.exec(`
    INSERT INTO positions VALUES (1, 'MNQ 12-25', 'ACC1', 'Long', '2025-11-04 06:30:00', '2025-11-04 06:40:00', 1, 21000, 21008, 16, 32, 2.08, 'closed', 3, 0, 2, 'Valid');
    INSERT INTO positions VALUES (2, 'XYZ 12-25', 'ACC1', 'Long', '2025-11-04 09:00:00', NULL, 1, 10, NULL, 0, 0, 0, 'open', 1, 0, 1, NULL);
    INSERT INTO position_executions (position_id, trade_id, execution_order) VALUES (1, 1, 1), (1, 2, 2), (1, 3, 3), (2, 8, 1);
    INSERT INTO custom_fields VALUES (1, 'setup', 'Setup', 'select');
    INSERT INTO position_custom_field_values VALUES (1, 1, 1, 'ORB'), (2, 2, 1, 'none');
    INSERT INTO ohlc_data VALUES (1, 'MNQ', '1h', 1762264800, 21000, 21010, 20990, 21005, 100);
    INSERT INTO ohlc_data VALUES (2, 'NQ=F', '5m', 1762264800, 21000, 21001, 20999, 21000.5, 50);
    INSERT INTO ohlc_data VALUES (3, 'MNQ', '3m', 1762264800, 21000, 21010, 20990, 21005, 100);
    INSERT INTO ohlc_data VALUES (4, 'MNQ', '1h', 1762268400, 21000, 20990, 21010, 21005, 100);
  `);
  db.close();
}

test('import-legacy reads the later form where trades are executions, reporting every row it skips', async (t) => {
  const { store, service, market, run } = legacySetup(t);
  const file = path.join(tempDir(t), 'futures_trades_clean.db');
  buildLaterForm(file);
  const hash = sha256(file);
  const r = run(file);
  assert.equal(sha256(file), hash);
  assert.deepEqual(
    r.skipped.map((s) => [s.table, s.id]),
    [
      ['trades', 6],
      ['trades', 7],
      ['trades', 8],
      ['trades', 9],
      ['trades', 10],
      ['positions', 2],
      ['position_custom_field_values', 2],
      ['ohlc_data', 4],
      ['ohlc_data', 3],
    ],
  );
  const reason = new Map(r.skipped.map((s) => [`${s.table} ${s.id}`, s.reason]));
  assert.equal(reason.get('trades 6'), 'deleted in the old app');
  assert.equal(reason.get('trades 7'), 'duplicate of trades row 2 (execution id n2)');
  assert.match(reason.get('trades 8') ?? '', /unknown instrument/);
  assert.match(reason.get('trades 9') ?? '', /bad time "not a time"/);
  assert.match(reason.get('trades 10') ?? '', /happens twice/);
  assert.match(reason.get('ohlc_data 3') ?? '', /5-minute data/);
  assert.match(reason.get('ohlc_data 4') ?? '', /inconsistent/);
  assert.equal(r.executions, 7); // n1–n5 and the round trip's entry and exit
  assert.equal(r.bars, 2);
  assert.deepEqual(
    market.bars.coverage().map((c) => [c.instrument, c.timeframe, c.first]),
    [
      ['MNQ', '1h', 1762264800],
      ['NQ', '5m', 1762264800],
    ],
  );
  const list = service.listPositions();
  assert.deepEqual(
    list.map((p) => [p.account, p.side, p.openedAt, p.pointsPnl, p.grossPnl, p.commission, p.netPnl, p.validity]),
    [
      // round trip: short 21100 → 21090, 10 pts, $20, commission 0.52 + 0.52, net 18.96 (= its dollars_gain_loss)
      ['ACC2', 'short', '2025-10-01T16:00:00.000Z', 10, 20, 1.04, 18.96, null],
      // Buy 2 @ 21000, Sell 1 @ 21010, Sell 1 @ 21006: 16 pts, $32, 2.08, net 29.92 (06:30 PST = 14:30Z)
      ['ACC1', 'long', '2025-11-04T14:30:00.000Z', 16, 32, 2.08, 29.92, 'valid'],
      // Sell 1 @ 21020 (price in entry_price), BuyToCover @ 21015: 5 pts, $10, 1.04, net 8.96
      ['ACC1', 'short', '2025-11-04T15:00:00.000Z', 5, 10, 1.04, 8.96, null],
    ],
  );
  assert.deepEqual(r.check, { legacyNetPnl: 18.96, netPnl: 57.84 });
  const long = list[1];
  assert.ok(long);
  const j = service.getJournal(long.id);
  assert.deepEqual([j.note, j.reviewed, j.tags], ['good exit\n\nSetup: ORB', true, ['link-group-4']]);
  const rt = service.getJournal((list[0] as { id: number }).id);
  assert.deepEqual([rt.note, rt.tags], ['Chart: https://example.invalid/c/1', ['validated']]);

  // twice: nothing changes; a NinjaTrader CSV with the same fill finds the kept id
  const before = snapshot(store);
  const again = run(file);
  assert.equal(again.executions, 0);
  assert.equal(again.bars, 0);
  assert.deepEqual(snapshot(store), before);
  const csv = await service.importFile({
    name: 'NinjaTrader_Executions_20251104.csv',
    content:
      'Instrument,Action,Quantity,Price,Time,ID,E/X,Commission,Account\nMNQ 12-25,Buy,2,21000.00,11/4/2025 6:30:00 AM,n1,Entry,$1.04,ACC1\n',
  });
  assert.deepEqual([csv.executionsAdded, csv.duplicatesSkipped], [0, 1]);
});

test('import-legacy refuses a file that is not the old app database', async (t) => {
  const { run } = legacySetup(t);
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello');
  assert.throws(() => run(path.join(dir, 'notes.txt')), { code: 'TL_LEGACY_NOT_RECOGNIZED' });
  const other = new Database(path.join(dir, 'other.db'));
  other.exec('CREATE TABLE t (x)');
  other.close();
  assert.throws(() => run(path.join(dir, 'other.db')), { code: 'TL_LEGACY_NOT_RECOGNIZED' });
  assert.throws(() => run(path.join(dir, 'missing.db')), { code: 'TL_LEGACY_NOT_FOUND' });
});

test('import-legacy reads a commission stored as text with a dollar sign, and skips a row whose commission is not money', (t) => {
  const { service, run } = legacySetup(t);
  const file = path.join(tempDir(t), 'futures_trades.db');
  const db = new Database(file);
  db.exec(`CREATE TABLE trades (id INTEGER PRIMARY KEY, instrument TEXT, side_of_market TEXT, quantity INTEGER, entry_price REAL,
    exit_price REAL, entry_time TEXT, commission, account TEXT, entry_execution_id TEXT)`);
  const ins = db.prepare('INSERT INTO trades VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  ins.run(1, 'MNQ 12-25', 'Buy', 1, 21000, null, '2025-11-04 06:30:00', '$0.52', 'ACC1', 't1');
  ins.run(2, 'MNQ 12-25', 'Sell', 1, null, 21010, '2025-11-04 06:40:00', '$$0.52', 'ACC1', 't2');
  ins.run(3, 'MNQ 12-25', 'Buy', 1, 21000, null, '2025-11-04 07:00:00', 'n/a', 'ACC1', 't3');
  db.close();
  const r = run(file);
  assert.equal(r.executions, 2);
  assert.deepEqual(
    r.skipped.map((s) => [s.table, s.id]),
    [['trades', 3]],
  );
  assert.match(r.skipped[0]?.reason ?? '', /bad number "n\/a" in Commission/);
  // 10 points × $2 = $20.00, commission 0.52 + 0.52
  assert.deepEqual(
    service.listPositions().map((p) => [p.grossPnl, p.commission, p.netPnl]),
    [[20, 1.04, 18.96]],
  );
});
