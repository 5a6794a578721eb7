import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { table } from '../../src/cli/trades-shared.js';
import { runCli } from '../helpers/cli.js';
import { appDataDir, needRoot, rootFile, tradelog } from '../helpers/faults.js';
import { tempDir } from '../helpers/tmp.js';
import { fixture, legacyFixture } from './helpers.js';

const POSITION_FIELDS = [
  'id',
  'account',
  'instrument',
  'root',
  'side',
  'status',
  'openedAt',
  'closedAt',
  'maxQuantity',
  'avgEntryPrice',
  'avgExitPrice',
  'pointsPnl',
  'grossPnl',
  'commission',
  'netPnl',
  'executionCount',
];
const STATS_FIELDS = [
  'positions',
  'wins',
  'losses',
  'winRate',
  'grossPnl',
  'commission',
  'netPnl',
  'profitFactor',
  'expectancy',
  'avgWin',
  'avgLoss',
  'largestWin',
  'largestLoss',
  'maxDrawdown',
];

test('tradelog import prints the interface JSON, rejects the bad file whole and exits 1', (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const r = runCli(['import', fixture('reversal.csv'), fixture('malformed.csv'), '--json', '--data-dir', dataDir]);
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out), ['files', 'positionsRebuilt']);
  assert.equal(out.positionsRebuilt, 2);
  const [good, bad] = out.files;
  assert.deepEqual(
    [good.file, good.rowsRead, good.executionsAdded, good.duplicatesSkipped, good.rejected],
    [fixture('reversal.csv'), 3, 3, 0, []],
  );
  assert.equal(bad.executionsAdded, 0);
  assert.deepEqual(
    bad.rejected.map((p: { line: number }) => p.line),
    [3, 4, 5, 6, 7, 8, 9, 10],
  );
  assert.match(r.stderr, /malformed\.csv: REJECTED, nothing stored/);

  const again = runCli(['import', fixture('reversal.csv'), '--json', '--data-dir', dataDir]);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).files[0].duplicatesSkipped, 3);

  const positions = runCli(['positions', '--json', '--data-dir', dataDir]);
  assert.equal(positions.status, 0, positions.stderr);
  const list = JSON.parse(positions.stdout);
  assert.equal(list.length, 2);
  for (const f of POSITION_FIELDS) assert.ok(f in list[0], `positions JSON has ${f}`);
  assert.deepEqual(
    list.map((p: { side: string; netPnl: number; openedAt: string }) => [p.side, p.netPnl, p.openedAt]),
    [
      ['long', 38.92, '2025-10-01T16:30:00.000Z'],
      ['short', 25.38, '2025-10-01T16:45:00.000Z'],
    ],
  );

  const stats = runCli(['stats', '--by', 'day', '--json', '--data-dir', dataDir]);
  assert.equal(stats.status, 0, stats.stderr);
  const s = JSON.parse(stats.stdout);
  for (const f of STATS_FIELDS) assert.ok(f in s, `stats JSON has ${f}`);
  assert.equal(s.netPnl, 64.3);
  assert.deepEqual(
    s.groups.map((g: { key: string; netPnl: number }) => [g.key, g.netPnl]),
    [['2025-10-01', 64.3]],
  );
  const text = runCli(['stats', '--data-dir', dataDir]);
  assert.match(text.stdout, /net P&L \$64\.30 = gross \$69\.50 − commission \$5\.20/);

  const history = JSON.parse(runCli(['import', '--history', '--json', '--data-dir', dataDir]).stdout);
  assert.deepEqual(
    history.map((h: { status: string }) => h.status),
    ['imported', 'rejected', 'imported'],
  );
  const undo = runCli(['import', '--undo', String(history[2].id), '--json', '--data-dir', dataDir]);
  assert.equal(undo.status, 0, undo.stderr);
  assert.equal(JSON.parse(undo.stdout).executionsRemoved, 3);
  assert.equal(JSON.parse(runCli(['positions', '--json', '--data-dir', dataDir]).stdout).length, 0);
});

test('tradelog import exits 2 on an unreadable file and on bad arguments, storing nothing', (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const r = runCli(['import', path.join(dataDir, 'nope.csv'), fixture('reversal.csv'), '--data-dir', dataDir]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error TL_IMPORT_UNREADABLE: Cannot read .*nope\.csv/);
  const by = runCli(['stats', '--by', 'fortnight', '--data-dir', dataDir]);
  assert.equal(by.status, 2);
  assert.match(by.stderr, /TL_CLI_USAGE/);
  const dry = runCli(['import', fixture('reversal.csv'), '--dry-run', '--json', '--data-dir', dataDir]);
  assert.equal(dry.status, 0, dry.stderr);
  const out = JSON.parse(dry.stdout);
  assert.equal(out.files[0].preview.added.length, 3);
  // (before anything created the data directory, positions would have said TL_DB_MISSING first)
  const from = runCli(['positions', '--from', 'last tuesday', '--json', '--data-dir', dataDir]);
  assert.equal(from.status, 2);
  assert.equal(JSON.parse(from.stdout).error.code, 'TL_TRADES_BAD_FILTER');
  const statsTo = runCli(['stats', '--to', '2025-02-30', '--data-dir', dataDir]);
  assert.equal(statsTo.status, 2);
  assert.match(statsTo.stderr, /^error TL_TRADES_BAD_FILTER: --to "2025-02-30" is not a date\.$/m, 'the CLI names its flag');
  assert.equal(JSON.parse(runCli(['positions', '--json', '--data-dir', dataDir]).stdout).length, 0);
});

test('tradelog import --dry-run of a file with invalid rows says it adds 0 and lists them; with --skip-invalid, what it adds and skips', (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const dry = runCli(['import', fixture('malformed.csv'), '--dry-run', '--data-dir', dataDir]);
  assert.equal(dry.status, 1, dry.stderr);
  const head = dry.stderr.split('\n')[0] ?? '';
  assert.match(head, /malformed\.csv: would be REJECTED, nothing would be stored: 0 executions would be added \(8 invalid rows of 10\)/);
  assert.match(head, /use --skip-invalid to add the 2 valid executions and skip them/);
  assert.doesNotMatch(dry.stderr, /2 executions would be added/, 'never both at once');
  assert.match(dry.stderr, /^ {2}line 3: /m);
  const json = JSON.parse(runCli(['import', fixture('malformed.csv'), '--dry-run', '--json', '--data-dir', dataDir]).stdout);
  assert.deepEqual(
    [json.files[0].executionsAdded, json.files[0].rejected.length, json.files[0].preview.wouldReject, json.files[0].preview.added.length],
    [0, 8, true, 0],
  );
  assert.equal(json.files[0].preview.ifSkipInvalid.executionsAdded, 2);

  const skip = runCli(['import', fixture('malformed.csv'), '--dry-run', '--skip-invalid', '--data-dir', dataDir]);
  assert.equal(skip.status, 1, skip.stderr);
  assert.match(
    skip.stderr.split('\n')[0] ?? '',
    /malformed\.csv: 10 rows, 2 executions would be added, 0 duplicates skipped, 8 invalid rows would be skipped$/,
  );
  assert.doesNotMatch(skip.stderr, /REJECTED/);
  assert.equal(JSON.parse(runCli(['positions', '--json', '--data-dir', dataDir]).stdout).length, 0, 'a dry run stores nothing');
});

test('tradelog import-legacy reports what it imported and skipped and exits 1 when rows were skipped', (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const r = runCli(['import-legacy', legacyFixture(t), '--json', '--data-dir', dataDir]);
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual([out.executions, out.positions], [20, 4]);
  assert.ok(Array.isArray(out.skipped) && out.skipped.length > 0);
  assert.ok('bars' in out);
  assert.deepEqual(out.check, { legacyNetPnl: 397.5, netPnl: 397.5 });
});

test('table pads columns and right-aligns numbers when there are more rows than a call can take as arguments', () => {
  const rows: (string | number | null)[][] = Array.from({ length: 200_000 }, (_, i) => [`r${i}`, i, null]);
  const lines = table(['name', 'n', 'note'], rows).split('\n');
  assert.equal(lines.length, 200_001);
  assert.equal(lines[0], 'name          n  note');
  assert.equal(lines[1], 'r0            0');
  assert.equal(lines[200_000], 'r199999  199999');
});

test('tradelog import-legacy exits 2 with TL_LEGACY_UNREADABLE when the old root-owned database or its -wal cannot be read', (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t);
  const file = path.join(tempDir(t), 'futures_trades_clean.db');
  const db = new Database(file);
  db.exec(
    'CREATE TABLE trades (id INTEGER PRIMARY KEY, instrument TEXT, side_of_market TEXT, quantity INTEGER, entry_price REAL, entry_time TEXT, account TEXT)',
  );
  db.close();
  // as the old app left it: root-owned, 0600
  fs.chownSync(file, 0, 0);
  fs.chmodSync(file, 0o600);
  const main = tradelog(['import-legacy', file, '--json', '--data-dir', paths.dataDir]);
  assert.equal(main.status, 2, main.stderr);
  assert.equal(JSON.parse(main.stdout).error.code, 'TL_LEGACY_UNREADABLE');
  assert.doesNotMatch(main.stderr, /\n\s+at /, 'no stack trace');
  // the database readable, its -wal not
  fs.chmodSync(file, 0o644);
  rootFile(`${file}-wal`, 32, 0o600);
  const wal = tradelog(['import-legacy', file, '--json', '--data-dir', paths.dataDir]);
  assert.equal(wal.status, 2, wal.stderr);
  const err = JSON.parse(wal.stdout).error;
  assert.equal(err.code, 'TL_LEGACY_UNREADABLE');
  assert.match(err.message, /futures_trades_clean\.db-wal/);
  // readable again: imported (an empty trades table)
  fs.chmodSync(`${file}-wal`, 0o644);
  fs.rmSync(`${file}-wal`);
  assert.equal(tradelog(['import-legacy', file, '--json', '--data-dir', paths.dataDir]).status, 0);
});
