import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { isAppError } from '../../src/errors.js';
import { tempDir, tempStore } from '../helpers/tmp.js';
import { fixture, snapshot } from '../trades/helpers.js';
import { exportToFile, type Journal, journalFixture, text } from './helpers.js';

// import-export refuses what it cannot reproduce, says where, and stores nothing of a refused file.

async function smallJournal(
  t: TestContext,
): Promise<{ a: Journal; data: Record<string, unknown> & { executions: Record<string, unknown>[] } }> {
  const a = journalFixture(t);
  await a.trades.importFile({ path: fixture('reversal.csv') });
  await a.trades.importFile({ path: fixture('scale-grid.csv') });
  const [p] = a.trades.listPositions({});
  a.trades.setNote(p?.id as number, 'a note');
  a.trades.addTag(p?.id as number, 'breakout');
  return { a, data: JSON.parse(fs.readFileSync(exportToFile(t, a), 'utf8')) };
}

function emptyJournal(j: Journal): void {
  const tables = snapshot(j.store);
  for (const [table, rows] of Object.entries(tables)) assert.deepEqual(rows, [], `${table} is empty`);
  assert.deepEqual(j.store.journal.conn.prepare('SELECT * FROM settings').all(), []);
  assert.deepEqual(j.store.journal.conn.prepare('SELECT * FROM imports').all(), []);
}

/** Import `content` (an object, or raw text) into a fresh journal; the error it throws. */
function refusal(t: TestContext, content: unknown): { code: string; message: string; b: Journal } {
  const file = path.join(tempDir(t), 'edited.json');
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  const b = journalFixture(t);
  try {
    b.exports.importExport(file);
  } catch (err) {
    assert.ok(isAppError(err), String(err));
    emptyJournal(b);
    return { code: err.code, message: err.message, b };
  }
  assert.fail('the file was imported');
}

test('import-export names the first bad field by its JSON path and stores nothing', async (t) => {
  const { data } = await smallJournal(t);
  const exec = (i: number, change: Record<string, unknown>) => ({
    ...data,
    executions: data.executions.map((e, n) => (n === i ? { ...e, ...change } : e)),
  });
  const cases: [string, unknown, RegExp][] = [
    ['a price given as text', exec(1, { price: '21000.00' }), /\$\.executions\[1\]\.price: .*number/],
    ['a day that does not exist', exec(0, { time: '2025-02-30T14:30:00.000Z' }), /\$\.executions\[0\]\.time: not a time/],
    ['a commission in fractions of a cent', exec(2, { commission: 0.525 }), /\$\.executions\[2\]\.commission: not an amount/],
    ['an unknown action', exec(0, { action: 'Cover' }), /\$\.executions\[0\]\.action/],
    ['a field tradelog does not know', exec(0, { leverage: 5 }), /\$\.executions\[0\]: .*leverage/],
    ['an execution id twice', exec(1, { id: data.executions[0]?.id }), /\$\.executions\[1\]\.id: execution id \d+ appears twice/],
    ['an import the file does not hold', exec(0, { importId: 99 }), /\$\.executions\[0\]\.importId: there is no import 99/],
    [
      'an invalid setting',
      { ...data, settings: [{ key: 'import.timezone', value: 'Mars/Olympus', updatedAt: '2025-06-20T16:06:48.000Z' }] },
      /\$\.settings\[0\]\.value: not an IANA time zone/,
    ],
    ['a missing section', { ...data, journal: undefined }, /\$\.journal: a version 2 export has a "journal" section/],
    [
      'a count that disagrees',
      { ...data, expect: { ...(data.expect as object), executions: 99 } },
      /\$\.expect\.executions: says 99 executions/,
    ],
  ];
  for (const [label, content, message] of cases) {
    const r = refusal(t, content);
    assert.equal(r.code, 'TL_EXPORT_INVALID', label);
    assert.match(r.message, message, label);
  }
});

test('import-export refuses a newer version, a file that is not an export and a download cut short', async (t) => {
  const { a, data } = await smallJournal(t);
  const newer = refusal(t, { ...data, version: 3 });
  assert.equal(newer.code, 'TL_EXPORT_VERSION');
  assert.match(newer.message, /version 3 export; this tradelog reads versions 1 to 2/);
  assert.equal(refusal(t, { format: 'something-else', version: 1 }).code, 'TL_EXPORT_UNREADABLE');
  const whole = text(a.exports.journal());
  const cut = refusal(t, whole.slice(0, Math.floor(whole.length / 2)));
  assert.equal(cut.code, 'TL_EXPORT_UNREADABLE');
  assert.match(cut.message, /is not JSON/);
  const b = journalFixture(t);
  assert.throws(() => b.exports.importExport(path.join(tempDir(t), 'missing.json')), /TL_EXPORT_UNREADABLE|Cannot read/);
});

test('import-export rolls back when the rebuilt positions differ from the exporting journal', async (t) => {
  const { data } = await smallJournal(t);
  const expect = data.expect as { netPnl: number };
  const r = refusal(t, { ...data, expect: { ...expect, netPnl: expect.netPnl + 1 } });
  assert.equal(r.code, 'TL_EXPORT_MISMATCH');
  // The same file with ES at another point value in its settings: the executions rebuild into other P&L.
  const other = refusal(t, {
    ...data,
    settings: [{ key: 'instruments.overrides', value: { ES: { pointValue: 5 } }, updatedAt: '2025-06-20T16:06:48.000Z' }],
  });
  assert.equal(other.code, 'TL_EXPORT_MISMATCH');
  assert.match(other.message, /netting/);
});

test('import-export refuses a journal that is not empty and changes nothing in it', async (t) => {
  const { a } = await smallJournal(t);
  const file = exportToFile(t, a);
  const b = journalFixture(t);
  await b.trades.importFile({ path: fixture('two-accounts.csv') });
  const before = snapshot(b.store);
  assert.throws(
    () => b.exports.importExport(file),
    (err: unknown) => isAppError(err) && err.code === 'TL_EXPORT_NOT_EMPTY' && /executions/.test(err.message),
  );
  assert.deepEqual(snapshot(b.store), before);
  // Settings alone make a journal not empty too: the file's would replace them.
  const c = journalFixture(t);
  c.trades.registry();
  c.store.journal.conn.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('import.timezone', '\"Europe/Berlin\"', 1)").run();
  assert.throws(() => c.exports.importExport(file), /TL_EXPORT_NOT_EMPTY|not empty/);
});

test('an export reads one snapshot: a note saved while it is being written is not half in it', async (t) => {
  const { a } = await smallJournal(t);
  const [p] = a.trades.listPositions({});
  const pieces = a.exports.journal().chunks();
  let out = pieces.next().value as string;
  a.trades.setNote(p?.id as number, 'written during the export');
  for (const piece of pieces) out += piece;
  assert.doesNotMatch(out, /written during the export/);
  assert.match(text(a.exports.journal()), /written during the export/);
});

test('in rollback-journal mode an export stops with TL_EXPORT_CHANGED when the journal changes between pieces', async (t) => {
  const a = journalFixture(t, tempStore(t, { journalMode: 'delete' }));
  assert.equal(a.store.journal.journalMode, 'delete');
  await a.trades.importFile({ path: fixture('reversal.csv') });
  const [p] = a.trades.listPositions({});
  const pieces = a.exports.journal().chunks();
  pieces.next();
  a.trades.setNote(p?.id as number, 'written during the export');
  assert.throws(() => {
    for (const _ of pieces);
  }, /TL_EXPORT_CHANGED|changed while it was being read/);
  // Undisturbed, the same export is whole.
  assert.doesNotThrow(() => JSON.parse(text(a.exports.journal())));
});
