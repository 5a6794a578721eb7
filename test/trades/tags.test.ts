import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { manualClock } from '../../src/clock.js';
import { loadMigrations, migrate } from '../../src/db/migrate.js';
import { openDb } from '../../src/db/open.js';
import { createTradesService } from '../../src/trades/trades.service.js';
import { tempDir, tempStore } from '../helpers/tmp.js';

// Tags that differ only in case are one tag: matched without case, spelled as first used; journal migration 0003
// merges the duplicates stored before.

const HEADER = 'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation';
const TWO_TRADES = [
  HEADER,
  'MNQ 12-25,Buy,1,21000.00,10/1/2025 9:30:00 AM,a1,Entry,1 L,o1,Entry,$0.52,1,SIM1,Sim101,',
  'MNQ 12-25,Sell,1,21010.00,10/1/2025 9:45:00 AM,a2,Exit,-,o2,Exit,$0.52,1,SIM1,Sim101,',
  'MNQ 12-25,Buy,1,21100.00,10/2/2025 9:30:00 AM,b1,Entry,1 L,o3,Entry,$0.52,1,SIM1,Sim101,',
  'MNQ 12-25,Sell,1,21090.00,10/2/2025 9:45:00 AM,b2,Exit,-,o4,Exit,$0.52,1,SIM1,Sim101,',
  '',
].join('\n');

test('journal tags that differ only in case are one tag, keeping the spelling first used', async (t) => {
  const store = tempStore(t);
  const trades = createTradesService({ journal: store.journal, importTimezone: 'America/New_York' });
  await trades.importFile({ name: 'two.csv', content: TWO_TRADES });
  const [a, b] = trades.listPositions();
  assert.ok(a && b);
  trades.saveJournal(a.id, { note: '', tags: ['Breakout', 'breakout', 'A+ setup'], reviewed: false, validity: null });
  assert.deepEqual(trades.getJournal(a.id).tags, ['A+ setup', 'Breakout']);
  trades.addTag(b.id, 'BREAKOUT');
  assert.deepEqual(trades.getJournal(b.id).tags, ['Breakout'], 'the spelling the tag already has');
  assert.deepEqual(trades.allTags(), [
    { tag: 'A+ setup', count: 1 },
    { tag: 'Breakout', count: 2 },
  ]);
  assert.deepEqual(
    trades.listPositions({ tag: 'breakout' }).map((p) => p.id),
    [a.id, b.id],
  );
  // Saving the form with another case of a tag it has keeps it; removing works in any case.
  trades.saveJournal(a.id, { note: '', tags: ['breakout'], reviewed: false, validity: null });
  assert.deepEqual(trades.getJournal(a.id).tags, ['Breakout']);
  trades.removeTag(b.id, 'breakout');
  assert.deepEqual(trades.getJournal(b.id).tags, []);
});

test('journal migration 0003 merges tags stored in several cases into the spelling first used', (t) => {
  const dir = tempDir(t);
  const db = openDb(path.join(dir, 'journal.db'), { name: 'journal' });
  t.after(() => db.close());
  const all = loadMigrations('journal');
  const step = all.findIndex((m) => m.name === 'merge_tag_case');
  assert.ok(step > 0, 'migration merge_tag_case exists');
  migrate(db, { backupsDir: path.join(dir, 'backups'), migrations: all.slice(0, step) });
  db.write(() => {
    const id = db.conn.prepare('INSERT INTO position_ids (key) VALUES (?)');
    for (const k of ['p1', 'p2', 'p3']) id.run(k);
    const tag = db.conn.prepare('INSERT INTO position_tags (position_id, tag, created_at) VALUES (?, ?, ?)');
    tag.run(1, 'breakout', 200);
    tag.run(2, 'Breakout', 100); // the first use
    tag.run(2, 'BREAKOUT', 300); // the same position twice, in two cases
    tag.run(3, 'fade', 50);
    tag.run(3, 'Fade', 50); // a tie: the first in binary order
    tag.run(1, 'news', 10);
  });
  const result = migrate(db, { backupsDir: path.join(dir, 'backups'), migrations: all });
  assert.ok(result.applied.includes('merge_tag_case'));
  assert.ok(result.backup, 'a database with rows is backed up before it is migrated');
  const rows = db.conn.prepare('SELECT position_id AS id, tag, created_at AS at FROM position_tags ORDER BY position_id, tag').all();
  assert.deepEqual(rows, [
    { id: 1, tag: 'Breakout', at: 200 },
    { id: 1, tag: 'news', at: 10 },
    { id: 2, tag: 'Breakout', at: 100 },
    { id: 3, tag: 'Fade', at: 50 },
  ]);
  assert.throws(
    () => db.write(() => db.conn.prepare('INSERT INTO position_tags (position_id, tag, created_at) VALUES (1, ?, 1)').run('NEWS')),
    /UNIQUE|constraint/i,
    'the key compares without case from now on',
  );
  assert.deepEqual(db.conn.pragma('foreign_key_check'), []);
  assert.equal(db.conn.pragma('integrity_check', { simple: true }), 'ok');
});

test('a note is stamped with the service clock, not the machine clock', async (t) => {
  const store = tempStore(t);
  const clock = manualClock('2026-03-08T08:00:00Z');
  const trades = createTradesService({ journal: store.journal, importTimezone: 'America/New_York', clock });
  await trades.importFile({ name: 'two.csv', content: TWO_TRADES });
  const [a] = trades.listPositions();
  assert.ok(a);
  trades.saveJournal(a.id, { note: 'waited for the retest', tags: [], reviewed: true, validity: null });
  assert.equal(trades.getJournal(a.id).noteUpdatedAt, Date.parse('2026-03-08T08:00:00Z'));
});
