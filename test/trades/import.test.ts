import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { fixture, snapshot, tradesFixture } from './helpers.js';

test('import stores the reversal fixture as two positions with the split fill (CRLF add-on file)', async (t) => {
  const { service } = tradesFixture(t);
  const r = await service.importFile({ path: fixture('reversal.csv') });
  assert.equal(r.status, 'imported');
  assert.equal(r.rowsRead, 3);
  assert.equal(r.executionsAdded, 3);
  assert.deepEqual(r.rejected, []);
  assert.equal(r.positionsRebuilt, 2);
  const [long, short] = service.listPositions();
  assert.ok(long && short);
  // long 2: 9:30 → 9:45 PDT; (21010.25 − 21000) × 2 = 20.5 pts, $41.00, commission 1.04 + 1.04, net 38.92
  assert.deepEqual(
    {
      instrument: long.instrument,
      side: long.side,
      openedAt: long.openedAt,
      closedAt: long.closedAt,
      pointsPnl: long.pointsPnl,
      grossPnl: long.grossPnl,
      commission: long.commission,
      netPnl: long.netPnl,
      avgEntryPrice: long.avgEntryPrice,
      avgExitPrice: long.avgExitPrice,
      maxQuantity: long.maxQuantity,
      executionCount: long.executionCount,
      validity: long.validity,
    },
    {
      instrument: 'MNQ 12-25',
      side: 'long',
      openedAt: '2025-10-01T16:30:00.000Z',
      closedAt: '2025-10-01T16:45:00.000Z',
      pointsPnl: 20.5,
      grossPnl: 41,
      commission: 2.08,
      netPnl: 38.92,
      avgEntryPrice: 21000,
      avgExitPrice: 21010.25,
      maxQuantity: 2,
      executionCount: 2,
      validity: 'valid',
    },
  );
  // short 3 from the reversal: 14.25 pts, $28.50, commission 1.56 + 1.56 = 3.12, net 25.38
  assert.deepEqual(
    [short.side, short.pointsPnl, short.grossPnl, short.commission, short.netPnl, short.maxQuantity],
    ['short', 14.25, 28.5, 3.12, 25.38, 3],
  );
  const detail = service.getPosition(short.id);
  assert.deepEqual(
    detail.executions.map((e) => [e.executionId, e.role, e.quantity, e.fillQuantity, e.commission, e.fillCommission]),
    [
      ['r2', 'entry', 3, 5, 1.56, 2.6],
      ['r3', 'exit', 3, 3, 1.56, 1.56],
    ],
  );
  assert.deepEqual(
    detail.pairs.map((p) => [p.entryExecutionId, p.exitExecutionId, p.quantity, p.entryPrice, p.exitPrice, p.pointsPnl, p.grossPnl]),
    [['r2', 'r3', 3, 21010.25, 21005.5, 14.25, 28.5]],
  );
  const stats = service.stats();
  assert.equal(stats.commission, 5.2); // 1.04 + 2.60 + 1.56: the reversal fill's commission counted once
  assert.equal(stats.netPnl, 64.3);
});

test('import reads the grid export with its trailing comma: scale-in partial fills and scale-out, ES', async (t) => {
  const { service } = tradesFixture(t);
  const r = await service.importFile({ path: fixture('scale-grid.csv') });
  assert.equal(r.executionsAdded, 6);
  const [p, ...rest] = service.listPositions();
  assert.equal(rest.length, 0);
  assert.ok(p);
  // FIFO: +4.00, +4.00, −1.25 = 6.75 pts × $50 = $337.50; 6 × $2.50 = $15.00; net $322.50
  assert.deepEqual(
    [p.account, p.instrument, p.root, p.pointsPnl, p.grossPnl, p.commission, p.netPnl, p.maxQuantity, p.executionCount],
    ['APEX1279810000057', 'ES 12-25', 'ES', 6.75, 337.5, 15, 322.5, 3, 6],
  );
  assert.equal(p.avgEntryPrice, 6001.4166667); // (6000 + 6002 + 6002.25) / 3
  assert.equal(p.avgExitPrice, 6003.6666667); // (6004 + 6006 + 6001) / 3
  assert.deepEqual(
    service.getPosition(p.id).pairs.map((x) => [x.entryExecutionId, x.exitExecutionId, x.pointsPnl, x.grossPnl]),
    [
      ['s1', 's4', 4, 200],
      ['s2', 's5', 4, 200],
      ['s3', 's6', -1.25, -62.5],
    ],
  );
});

test('import accepts every spelling the reference lists: $$, bare commission, padded hour, E/X letters, 24-hour and ISO times', async (t) => {
  const { service } = tradesFixture(t);
  const r = await service.importFile({ path: fixture('variants.csv') });
  assert.deepEqual(r.rejected, []);
  assert.equal(r.executionsAdded, 6);
  const list = service.listPositions();
  assert.deepEqual(
    list.map((p) => [p.account, p.instrument, p.side, p.openedAt, p.closedAt, p.pointsPnl, p.grossPnl, p.commission, p.netPnl, p.validity]),
    [
      // 10/31 09:30 PDT: (21510 − 21500) × 2 = 20 pts, $40; 4.04 + 4.04; net 31.92
      ['APEX123', 'MNQ 12-25', 'long', '2025-10-31T16:30:00.000Z', '2025-10-31T16:35:00.000Z', 20, 40, 8.08, 31.92, 'valid'],
      // MNQZ5 and "MNQ DEC25" are one contract; 11/3 9:30 PST and ISO 09:35: 20 pts, $40; 4.20 + 4.20; net 31.60
      ['APEX1279810000057', 'MNQ 12-25', 'long', '2025-11-03T17:30:00.000Z', '2025-11-03T17:35:00.000Z', 20, 40, 8.4, 31.6, null],
      // SellShort 25019.50, BuyToCover 25015.25 at 13:25:30 (24-hour): 4.25 pts, $8.50; $$0.52 × 2; net 7.46; Valid + Invalid
      ['Sim101', 'MNQ 03-26', 'short', '2026-02-04T21:22:00.000Z', '2026-02-04T21:25:30.000Z', 4.25, 8.5, 1.04, 7.46, 'mixed'],
    ],
  );
});

test('import rejects a file with invalid rows whole, naming every bad line and its reason', async (t) => {
  const { store, service } = tradesFixture(t);
  const r = await service.importFile({ path: fixture('malformed.csv') });
  assert.equal(r.status, 'rejected');
  assert.equal(r.executionsAdded, 0);
  assert.equal(r.rowsRead, 10);
  const byLine = new Map(r.rejected.map((p) => [p.line, p.reason]));
  assert.deepEqual([...byLine.keys()], [3, 4, 5, 6, 7, 8, 9, 10]);
  assert.match(byLine.get(3) ?? '', /missing column Time/);
  assert.match(byLine.get(4) ?? '', /bad number "21O00.00" in Price/);
  assert.match(byLine.get(5) ?? '', /bad number "two" in Quantity/);
  assert.match(byLine.get(6) ?? '', /bad time "31\/10\/2025 9:33:00 AM"/);
  assert.match(byLine.get(7) ?? '', /unknown instrument: Unknown instrument root "XYZ"/);
  assert.match(byLine.get(8) ?? '', /bad action "Hold"/);
  assert.match(byLine.get(9) ?? '', /bad number "\$0\.5x" in Commission/);
  assert.match(byLine.get(10) ?? '', /bad E\/X "Maybe"/);
  assert.equal(store.journal.conn.prepare('SELECT count(*) FROM executions').pluck().get(), 0);
  assert.deepEqual(service.listPositions(), []);
  const [rec] = service.listImports();
  assert.deepEqual([rec?.status, rec?.rowsRejected, rec?.executionsAdded], ['rejected', 8, 0]);
});

test('import --skip-invalid stores the valid rows and still lists the bad ones', async (t) => {
  const { service } = tradesFixture(t);
  const r = await service.importFile({ path: fixture('malformed.csv') }, { skipInvalid: true });
  assert.equal(r.status, 'imported');
  assert.equal(r.executionsAdded, 2);
  assert.equal(r.rejected.length, 8);
  const [p] = service.listPositions();
  // line 2 Buy 21000, line 11 Sell 21004: 4 pts, $8, commission 1.04, net 6.96
  assert.deepEqual([p?.pointsPnl, p?.grossPnl, p?.commission, p?.netPnl], [4, 8, 1.04, 6.96]);
});

test('import rejects a header without a required column, and a file without a header', async (t) => {
  const { service } = tradesFixture(t);
  const noCommission = await service.importFile({
    name: 'x.csv',
    content: 'Instrument,Action,Quantity,Price,Time,ID,Account\nMNQ 12-25,Buy,1,1,10/1/2025 9:30:00 AM,a,SIM\n',
  });
  assert.equal(noCommission.status, 'rejected');
  assert.deepEqual(noCommission.rejected, [{ line: 1, reason: 'missing column Commission in the header' }]);
  const noHeader = await service.importFile({
    name: 'y.csv',
    content: 'MNQ 12-25,Buy,1,21000,10/1/2025 9:30:00 AM,a,Entry,1 L,o,E,$0.52,1,SIM,Sim,\n',
  });
  assert.equal(noHeader.status, 'rejected');
  assert.match(noHeader.rejected[0]?.reason ?? '', /no header row/);
  const empty = await service.importFile({ name: 'z.csv', content: '' });
  assert.equal(empty.status, 'rejected');
  const badQuote = await service.importFile({
    name: 'q.csv',
    content: 'Instrument,Action,Quantity,Price,Time,Commission,Account\nMNQ 12-25,Buy,1,"21000"x,10/1/2025 9:30:00 AM,$0.52,SIM\n',
  });
  assert.equal(badQuote.status, 'rejected');
  assert.equal(badQuote.rejected[0]?.line, 2);
  assert.match(badQuote.rejected[0]?.reason ?? '', /unreadable CSV/);
});

test('import skips duplicates within a file and across imports, and keeps identical fills without an id', async (t) => {
  const { store, service } = tradesFixture(t);
  const first = await service.importFile({ path: fixture('duplicates.csv') });
  // line 4 repeats line 2 (same id d1); lines 5 and 6 have no id and are two fills (occurrence 0 and 1)
  assert.deepEqual([first.rowsRead, first.executionsAdded, first.duplicatesSkipped], [5, 4, 1]);
  const keys = store.journal.conn.prepare('SELECT exec_key FROM executions ORDER BY id').pluck().all() as string[];
  assert.equal(keys.length, 4);
  assert.deepEqual(keys.slice(0, 2), ['d1', 'd2']);
  assert.match(keys[2] ?? '', /^h:[0-9a-f]{20}:0$/);
  assert.equal(keys[3], (keys[2] ?? '').replace(/:0$/, ':1'));
  const [p] = service.listPositions();
  // Buy 21000, Buy 21001, Sell 21003 × 2: (3 + 2) pts = $10; 4 × 0.52 = 2.08; net 7.92
  assert.deepEqual([p?.pointsPnl, p?.grossPnl, p?.commission, p?.netPnl, p?.status], [5, 10, 2.08, 7.92, 'closed']);

  const before = snapshot(store);
  const again = await service.importFile({ path: fixture('duplicates.csv') });
  assert.deepEqual([again.status, again.executionsAdded, again.duplicatesSkipped, again.positionsRebuilt], ['imported', 0, 5, 0]);
  assert.deepEqual(snapshot(store), before, 'the same CSV imported twice changes nothing');

  const more = await service.importFile({ path: fixture('duplicates-more.csv') });
  assert.deepEqual([more.executionsAdded, more.duplicatesSkipped], [1, 1]);
  const open = service.listPositions({ status: 'open' });
  assert.deepEqual(
    open.map((x) => [x.avgEntryPrice, x.openedAt]),
    [[21002, '2025-10-06T17:00:00.000Z']],
  );

  const conflict = await service.importFile({ path: fixture('duplicates-conflict.csv') });
  assert.equal(conflict.status, 'rejected');
  assert.equal(conflict.rejected[0]?.line, 2);
  assert.match(conflict.rejected[0]?.reason ?? '', /execution id d1 of account SIM1 is already stored with a different fill/);
});

test('import tells repeats from different fills reusing an id, within a file and against stored rows, after new rows and after duplicates', async (t) => {
  const { service } = tradesFixture(t);
  const head = 'Instrument,Action,Quantity,Price,Time,ID,Commission,Account';
  const row = (id: string, price: number) => `MNQ 12-25,Buy,1,${price},10/1/2025 9:30:00 AM,${id},$0.52,SIM1`;
  await service.importFile({ name: 'a.csv', content: [head, row('s1', 21000), row('s2', 21000)].join('\n') });
  const r = await service.importFile(
    {
      name: 'b.csv',
      content: [
        head,
        row('n1', 21000), // 2 new
        row('s1', 21000), // 3 stored: duplicate (after a new row)
        row('s2', 21001), // 4 stored, other price (after a duplicate)
        row('n1', 21000), // 5 repeats line 2 (after a conflict)
        row('n1', 21002), // 6 repeats line 2 with another price (after a duplicate)
        row('n2', 21000), // 7 new (after a conflict)
        row('n2', 21003), // 8 repeats line 7 with another price (after a new row)
        row('s1', 21004), // 9 stored, other price (after a conflict)
      ].join('\n'),
    },
    { skipInvalid: true },
  );
  assert.deepEqual([r.executionsAdded, r.duplicatesSkipped], [2, 2]);
  assert.deepEqual(
    r.rejected.map((p) => [p.line, p.reason.replace(/^execution id \S+ of account SIM1 /, '')]),
    [
      [4, 'is already stored with a different fill (import #1)'],
      [6, 'repeats line 2 with a different fill'],
      [8, 'repeats line 7 with a different fill'],
      [9, 'is already stored with a different fill (import #1)'],
    ],
  );
});

test('import keeps two accounts trading the same contract in the same second apart, even with equal ids', async (t) => {
  const { service } = tradesFixture(t);
  const r = await service.importFile({ path: fixture('two-accounts.csv') });
  assert.deepEqual([r.executionsAdded, r.duplicatesSkipped], [4, 0]);
  const list = service.listPositions();
  assert.deepEqual(
    list.map((p) => [p.account, p.side, p.maxQuantity, p.pointsPnl, p.grossPnl, p.commission, p.netPnl]),
    [
      // APEX1 long 1: +4 pts, $8, 1.04, net 6.96
      ['APEX1', 'long', 1, 4, 8, 1.04, 6.96],
      // APEX2 short 2: (21000 − 21004) × 2 = −8 pts, −$16, 2.08, net −18.08
      ['APEX2', 'short', 2, -8, -16, 2.08, -18.08],
    ],
  );
  assert.deepEqual(
    service.stats({}, { by: 'account' }).groups?.map((g) => [g.key, g.netPnl]),
    [
      ['APEX1', 6.96],
      ['APEX2', -18.08],
    ],
  );
});

test('positions across the 17:00 Chicago roll and the DST change get exact instants and the right trading day', async (t) => {
  const { service } = tradesFixture(t);
  await service.importFile({ path: fixture('sessions.csv') });
  const list = service.listPositions();
  assert.deepEqual(
    list.map((p) => [p.openedAt, p.closedAt, p.tradingDay, p.status, p.netPnl]),
    [
      // 2:55 PM and 3:05 PM PDT = 16:55 and 17:05 CDT: closes in Wednesday's session
      ['2025-10-28T21:55:00.000Z', '2025-10-28T22:05:00.000Z', '2025-10-29', 'closed', 2.96],
      // Friday noon PDT (UTC−7) to Monday 7:00 PST (UTC−8), held over the DST change: 9.5 pts lost, −$19 − 1.04
      ['2025-10-31T19:00:00.000Z', '2025-11-03T15:00:00.000Z', '2025-11-03', 'closed', -20.04],
      // still open: Buy 2 @ 21000, Buy 1 @ 21003, Sell 1 @ 21010; trading day of its opening
      ['2025-11-04T14:30:00.000Z', null, '2025-11-04', 'open', 17.92],
    ],
  );
  const open = list[2];
  assert.deepEqual([open?.avgEntryPrice, open?.openQuantity, open?.maxQuantity], [21001, 2, 3]);
  // statistics count the two closed positions: +2.96 and −20.04
  const s = service.stats();
  assert.deepEqual(
    [s.positions, s.wins, s.losses, s.winRate, s.grossPnl, s.commission, s.netPnl, s.profitFactor, s.expectancy, s.maxDrawdown],
    [2, 1, 1, 0.5, -15, 2.08, -17.08, 0.1477, -8.54, 20.04],
  );
  assert.deepEqual(
    service.stats({}, { by: 'day' }).groups?.map((g) => [g.key, g.netPnl]),
    [
      ['2025-10-29', 2.96],
      ['2025-11-03', -20.04],
    ],
  );
  // filters by trading day
  assert.deepEqual(
    service.listPositions({ from: '2025-10-29', to: '2025-10-29' }).map((p) => p.tradingDay),
    ['2025-10-29'],
  );
  assert.equal(service.listPositions({ from: '2025-11-01' }).length, 2);
  for (const bad of ['2025-02-30', '2025-13-01', 'yesterday']) {
    assert.throws(() => service.listPositions({ to: bad }), { code: 'TL_TRADES_BAD_FILTER' }, bad);
  }
  assert.equal(service.listPositions({ instrument: 'MNQZ5' }).length, 3);
  assert.equal(service.listPositions({ instrument: 'MNQ' }).length, 3);
  assert.equal(service.listPositions({ instrument: 'ES' }).length, 0);
});

test('import flags the times a DST change skips or repeats, and reads them as told with --dst', async (t) => {
  const { service } = tradesFixture(t);
  const r = await service.importFile({ path: fixture('dst.csv') });
  assert.equal(r.status, 'rejected');
  assert.deepEqual(
    r.rejected.map((p) => p.line),
    [2, 4],
  );
  assert.match(r.rejected[0]?.reason ?? '', /"3\/9\/2025 2:30:00 AM" does not exist in America\/Los_Angeles/);
  assert.match(r.rejected[1]?.reason ?? '', /"11\/2\/2025 1:30:00 AM" happens twice in America\/Los_Angeles/);
  const earlier = await service.importFile({ path: fixture('dst.csv') }, { dst: 'earlier' });
  assert.equal(earlier.executionsAdded, 4);
  assert.deepEqual(
    service.listPositions().map((p) => p.openedAt),
    ['2025-03-09T09:30:00.000Z', '2025-11-02T08:30:00.000Z'],
  );
});

test('import reads times in the import.timezone setting when it is set', async (t) => {
  const { store, service } = tradesFixture(t);
  store.journal.conn.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('import.timezone', '\"America/Chicago\"', 0)").run();
  await service.importFile({ path: fixture('reversal.csv') });
  // 9:30 CDT = 14:30Z
  assert.equal(service.listPositions()[0]?.openedAt, '2025-10-01T14:30:00.000Z');
});

test('import preview shows what would be added, skipped and rejected, and stores nothing', async (t) => {
  const { store, service } = tradesFixture(t);
  await service.importFile({ path: fixture('duplicates-more.csv') });
  const before = snapshot(store);
  const importsBefore = service.listImports().length;
  const p = await service.previewFile({ path: fixture('duplicates.csv') });
  assert.equal(p.status, 'preview');
  assert.equal(p.importId, null);
  // d1 and the two id-less sells are new; d2 is stored; line 4 repeats line 2
  assert.deepEqual(
    p.preview?.added.map((a) => [a.line, a.executionId.startsWith('h:') ? 'h' : a.executionId, a.time]),
    [
      [2, 'd1', '2025-10-06T16:30:00.000Z'],
      [5, 'h', '2025-10-06T16:40:00.000Z'],
      [6, 'h', '2025-10-06T16:40:00.000Z'],
    ],
  );
  assert.deepEqual(
    p.preview?.duplicates.map((d) => [d.line, d.reason]),
    [
      [3, 'already stored (import #1, line 2)'],
      [4, 'repeats line 2'],
    ],
  );
  assert.equal(p.preview?.wouldReject, false);
  assert.equal(p.executionsAdded, 3);
  assert.ok(p.positionsRebuilt > 0);
  assert.deepEqual(snapshot(store), before);
  assert.equal(service.listImports().length, importsBefore);
  // a file with invalid rows: without skipping them it adds nothing (said once, no row listed as added)…
  const bad = await service.previewFile({ path: fixture('malformed.csv') });
  assert.deepEqual(
    [bad.status, bad.executionsAdded, bad.duplicatesSkipped, bad.positionsRebuilt, bad.rejected.length, bad.preview?.wouldReject],
    ['preview', 0, 0, 0, 8, true],
  );
  assert.deepEqual([bad.preview?.added, bad.preview?.ifSkipInvalid?.executionsAdded], [[], 2]);
  // …and skipping them adds the 2 valid rows and lists the 8 skipped lines
  const skipping = await service.previewFile({ path: fixture('malformed.csv') }, { skipInvalid: true });
  assert.deepEqual(
    [skipping.executionsAdded, skipping.preview?.added.length, skipping.rejected.length, skipping.preview?.wouldReject],
    [2, 2, 8, false],
  );
  assert.equal(skipping.preview?.ifSkipInvalid, undefined);
  // commit exactly what was previewed
  await assert.rejects(service.importFile({ path: fixture('duplicates.csv') }, { expectedSha256: bad.sha256 }), {
    code: 'TL_IMPORT_CHANGED',
  });
  const done = await service.importFile({ path: fixture('duplicates.csv') }, { expectedSha256: p.sha256 });
  assert.equal(done.executionsAdded, 3);
});

test('undo removes exactly the executions of one import and positions keep their ids, notes and tags', async (t) => {
  const { store, service } = tradesFixture(t);
  const a = await service.importFile({ path: fixture('reversal.csv') });
  const [long, short] = service.listPositions();
  assert.ok(long && short);
  service.setNote(short.id, 'faded the spike');
  service.addTag(short.id, 'reversal');
  service.setReviewed(short.id, true);
  service.setValidity(long.id, 'invalid');
  const b = await service.importFile({ path: fixture('two-accounts.csv') });
  const idsBefore = service.listPositions().map((p) => p.id);
  // rebuild everything: ids stay
  service.rebuildAll();
  assert.deepEqual(
    service.listPositions().map((p) => p.id),
    idsBefore,
  );
  const u = await service.undoImport(b.importId as number);
  assert.equal(u.executionsRemoved, 4);
  assert.deepEqual(
    service.listPositions().map((p) => p.id),
    [long.id, short.id],
  );
  const again = service.listPositions()[1];
  assert.deepEqual([again?.tags, again?.reviewed, again?.hasNote], [['reversal'], true, true]);
  assert.equal(service.getPosition(short.id).note, 'faded the spike');
  assert.equal(service.listPositions()[0]?.validity, 'invalid'); // the trader's verdict overrides TradeValidation
  await assert.rejects(service.undoImport(b.importId as number), { code: 'TL_IMPORT_NOT_UNDOABLE' });
  // undo the first import too, then import it again: same ids, the journal data is back on them
  await service.undoImport(a.importId as number);
  assert.deepEqual(service.listPositions(), []);
  assert.equal(store.journal.conn.prepare('SELECT count(*) FROM executions').pluck().get(), 0);
  await service.importFile({ path: fixture('reversal.csv') });
  const back = service.listPositions();
  assert.deepEqual(
    back.map((p) => p.id),
    [long.id, short.id],
  );
  assert.equal(service.getPosition(short.id).note, 'faded the spike');
  await assert.rejects(service.undoImport(999), { code: 'TL_IMPORT_NOT_FOUND' });
});

test('a position keeps its id when an earlier fill arrives later and moves its opening, and after that is undone', async (t) => {
  const { service } = tradesFixture(t);
  const head = 'Instrument,Action,Quantity,Price,Time,ID,E/X,Commission,Account\n';
  await service.importFile({
    name: 'late.csv',
    content: `${head}MNQ 12-25,Buy,1,21000,10/8/2025 10:00:00 AM,b2,Entry,$0.52,SIM1\nMNQ 12-25,Sell,1,21010,10/8/2025 10:30:00 AM,s3,Exit,$0.52,SIM1\n`,
  });
  const [p] = service.listPositions();
  assert.ok(p);
  service.setNote(p.id, 'kept');
  // a back-filled file with an earlier buy: now one position opened by b1, still long 1
  const early = await service.importFile({
    name: 'early.csv',
    content: `${head}MNQ 12-25,Buy,1,20990,10/8/2025 9:00:00 AM,b1,Entry,$0.52,SIM1\n`,
  });
  const [merged, ...none] = service.listPositions();
  assert.equal(none.length, 0);
  assert.deepEqual([merged?.id, merged?.status, merged?.openQuantity, merged?.hasNote], [p.id, 'open', 1, true]);
  await service.undoImport(early.importId as number);
  const [restored] = service.listPositions();
  assert.deepEqual([restored?.id, restored?.status, restored?.netPnl], [p.id, 'closed', 18.96]);
  assert.equal(service.getJournal(p.id).note, 'kept');
});

test('positions of a book longer than one write batch keep their ids, in order, across a back-fill, a rebuild and an undo', async (t) => {
  const { service } = tradesFixture(t);
  const head = 'Instrument,Action,Quantity,Price,Time,ID,Commission,Account';
  const at = (minute: number) => `10/8/2025 ${9 + Math.floor(minute / 60)}:${String(minute % 60).padStart(2, '0')}:00`;
  const trips = Array.from({ length: 121 }, (_, i) => [
    `MNQ 12-25,Buy,1,${21000 + (i % 7)},${at(i * 2)},b${i},$0.52,SIM1`,
    `MNQ 12-25,Sell,1,${21003 + (i % 5)},${at(i * 2 + 1)},s${i},$0.52,SIM1`,
  ]).flat();
  // the last buy stays open
  await service.importFile({ name: 'day.csv', content: [head, ...trips.slice(0, -1)].join('\n') });
  const first = service.listPositions();
  assert.equal(first.length, 121);
  // ids are given in the order the positions were built, as one at a time would give them
  assert.deepEqual(
    first.map((p) => p.id),
    first.map((p) => p.id).sort((a, b) => a - b),
  );
  assert.equal(new Set(first.map((p) => p.id)).size, 121);
  for (const i of [0, 49, 50, 99, 120]) service.setNote((first[i] as { id: number }).id, `note ${i}`);
  // a back-filled round trip before all of them: a new position, every other one keeps its id
  const early = await service.importFile({
    name: 'early.csv',
    content: [
      head,
      'MNQ 12-25,Buy,1,20990,10/8/2025 8:00:00 AM,e1,$0.52,SIM1',
      'MNQ 12-25,Sell,1,20995,10/8/2025 8:30:00 AM,e2,$0.52,SIM1',
    ].join('\n'),
  });
  assert.equal(early.positionsRebuilt, 122);
  const [added, ...rest] = service.listPositions();
  assert.deepEqual(
    rest.map((p) => p.id),
    first.map((p) => p.id),
  );
  assert.ok(added && !first.some((p) => p.id === added.id));
  service.rebuildAll();
  assert.deepEqual(
    service.listPositions().map((p) => p.id),
    [added.id, ...first.map((p) => p.id)],
  );
  await service.undoImport(early.importId as number);
  const back = service.listPositions();
  assert.deepEqual(
    back.map((p) => [p.id, p.netPnl, p.status]),
    first.map((p) => [p.id, p.netPnl, p.status]),
  );
  for (const i of [0, 49, 50, 99, 120]) assert.equal(service.getJournal((first[i] as { id: number }).id).note, `note ${i}`);
});

test('new positions get ids in the order they close, across books, also past a write batch', async (t) => {
  const { service } = tradesFixture(t);
  const head = 'Instrument,Action,Quantity,Price,Time,ID,Commission,Account';
  const at = (second: number) => `10/8/2025 9:${String(Math.floor(second / 60)).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}`;
  // two accounts taking turns, 70 round trips each
  const rows = Array.from({ length: 140 }, (_, i) => [
    `MNQ 12-25,Buy,1,21000,${at(i * 2)},b${i},$0.52,SIM${i % 2}`,
    `MNQ 12-25,Sell,1,21001,${at(i * 2 + 1)},s${i},$0.52,SIM${i % 2}`,
  ]).flat();
  await service.importFile({ name: 'turns.csv', content: [head, ...rows].join('\n') });
  const list = service.listPositions();
  assert.equal(list.length, 140);
  const byClose = [...list].sort((a, b) => (a.closedAt as string).localeCompare(b.closedAt as string));
  assert.deepEqual(
    byClose.map((p) => p.id),
    [...list.map((p) => p.id)].sort((a, b) => a - b),
  );
});

test('import stores a file of several batches with a repeated row and a reused id among them, each execution under its own id', async (t) => {
  const { service } = tradesFixture(t);
  const head = 'Instrument,Action,Quantity,Price,Time,ID,Commission,Account';
  const at = (minute: number) => `10/8/2025 ${9 + Math.floor(minute / 60)}:${String(minute % 60).padStart(2, '0')}:00`;
  await service.importFile({ name: 'old.csv', content: [head, 'ES 12-25,Buy,1,6000,10/7/2025 9:00:00,x5,$0.52,SIM1'].join('\n') });
  const rows = Array.from({ length: 200 }, (_, i) => [
    `MNQ 12-25,Sell,1,${21003 + (i % 5)},${at(i * 2)},s${i},$0.52,SIM1`,
    `MNQ 12-25,Buy,1,${21000 + (i % 7)},${at(i * 2 + 1)},b${i},$0.52,SIM1`,
  ]).flat();
  // a repeat of row 100 among the rows stored with it, and an id stored by the other import with another fill
  rows.splice(140, 0, rows[100] as string);
  rows.splice(320, 0, 'MNQ 12-25,Sell,1,21111,10/8/2025 9:00:00,x5,$0.52,SIM1');
  const r = await service.importFile({ name: 'day.csv', content: [head, ...rows].join('\n') }, { skipInvalid: true });
  assert.deepEqual([r.rowsRead, r.executionsAdded, r.duplicatesSkipped], [402, 400, 1]);
  assert.deepEqual(
    r.rejected.map((p) => p.line),
    [322],
  );
  const day = service.listPositions({ instrument: 'MNQ 12-25' });
  assert.equal(day.length, 200);
  assert.deepEqual(
    day.map((p) => service.getPosition(p.id).executions.map((e) => e.executionId)),
    Array.from({ length: 200 }, (_, i) => [`s${i}`, `b${i}`]),
  );
});

test('import of an uploaded buffer computes the same sha256 as the file', async (t) => {
  const { service } = tradesFixture(t);
  const dir = tempDir(t);
  const content = fs.readFileSync(fixture('reversal.csv'));
  fs.writeFileSync(path.join(dir, 'copy.csv'), content);
  const a = await service.previewFile({ name: 'upload.csv', content });
  const b = await service.previewFile({ path: path.join(dir, 'copy.csv') });
  assert.equal(a.sha256, b.sha256);
  assert.equal(a.bytes, content.length);
});

test('import counts lines across blank lines, CRLF and line breaks inside quoted fields', async (t) => {
  const { service } = tradesFixture(t);
  const content = [
    'Instrument,Action,Quantity,Price,Time,ID,E/X,Name,Commission,Account',
    'MNQ 12-25,Buy,1,21000,10/1/2025 9:30:00 AM,q1,Entry,"two-line',
    'name",$0.52,SIM1',
    '',
    'MNQ 12-25,Sell,1,bad,10/1/2025 9:31:00 AM,q2,Exit,x,$0.52,SIM1',
    '   ',
    'MNQ 12-25,Sell,1,21001,10/1/2025 9:32:00 AM,q3,Exit,x,$0.52,SIM1',
    'MNQ 12-25,Sell,1,21001,10/1/2025 9:33:00 AM,q4,Exit,x,$0.5z,SIM1',
  ].join('\r\n');
  const r = await service.importFile({ name: 'lines.csv', content });
  assert.deepEqual(
    r.rejected.map((p) => p.line),
    [5, 8],
  );
  assert.equal(r.rowsRead, 4);
});

test('import reads a quoted field after plain lines and numbers the lines before and after an unreadable row', async (t) => {
  const { store, service } = tradesFixture(t);
  const head = 'Instrument,Action,Quantity,Price,Time,ID,Commission,Account';
  const row = (id: string, price: string) => `MNQ 12-25,Buy,1,${price},10/1/2025 9:3${id.length}:00 AM,${id},$0.52,SIM1`;
  // plain lines, then one with a quoted price (read by csv-parse from there on), a bad price after it
  const quoted = await service.importFile(
    { name: 'quoted.csv', content: [head, row('a', '21000'), row('b', '"21,000.25"'), row('c', 'bad'), row('d', '21001')].join('\r\n') },
    { skipInvalid: true },
  );
  assert.deepEqual(
    quoted.rejected.map((p) => p.line),
    [4],
  );
  assert.equal(quoted.executionsAdded, 3);
  const prices = store.journal.conn.prepare('SELECT exec_key, price, source_line FROM executions ORDER BY source_line').raw().all();
  assert.deepEqual(prices, [
    ['a', 21000, 2],
    ['b', 21000.25, 3],
    ['d', 21001, 5],
  ]);
  // rows read before an unreadable one keep their own lines
  const bad = await service.importFile({
    name: 'bad.csv',
    content: [head, row('e', '21000'), row('f', 'bad'), 'MNQ 12-25,Buy,1,"21000"x,10/1/2025 9:30:00 AM,g,$0.52,SIM1'].join('\n'),
  });
  assert.deepEqual([...new Set(bad.rejected.map((p) => p.line))], [3, 4]);
  assert.match(bad.rejected[0]?.reason ?? '', /bad number "bad" in Price/);
  assert.match(bad.rejected[1]?.reason ?? '', /unreadable CSV/);
});

test('import reads a UTF-8 BOM and old Mac line endings (CR only)', async (t) => {
  const { service } = tradesFixture(t);
  const content = `\uFEFF${[
    'Instrument,Action,Quantity,Price,Time,ID,Commission,Account',
    'MNQ 12-25,Buy,1,21000,10/1/2025 9:30:00 AM,m1,$0.52,SIM1',
    'MNQ 12-25,Sell,1,x,10/1/2025 9:31:00 AM,m2,$0.52,SIM1',
    'MNQ 12-25,Sell,1,21001,10/1/2025 9:32:00 AM,m3,$0.52,SIM1',
  ].join('\r')}\r`;
  const r = await service.importFile({ name: 'mac.csv', content }, { skipInvalid: true });
  assert.deepEqual(
    r.rejected.map((p) => p.line),
    [3],
  );
  assert.deepEqual([r.rowsRead, r.executionsAdded, r.positionsRebuilt], [3, 2, 1]);
});

test('import orders a new book by time when the file lists its rows out of order', async (t) => {
  const head = 'Instrument,Action,Quantity,Price,Time,ID,Commission,Account\n';
  const rows = [
    'MNQ 12-25,Buy,1,21000,10/9/2025 9:30:00 AM,o1,$0.52,SIM1',
    'MNQ 12-25,Sell,1,21004,10/9/2025 9:40:00 AM,o2,$0.52,SIM1',
    'MNQ 12-25,Sell,2,21010,10/9/2025 10:00:00 AM,o3,$1.04,SIM1',
    'MNQ 12-25,Buy,2,21006,10/9/2025 10:05:00 AM,o4,$1.04,SIM1',
  ];
  const inOrder = tradesFixture(t);
  await inOrder.service.importFile({ name: 'a.csv', content: head + rows.join('\n') });
  // a back-filled file: the afternoon rows first, then the morning ones
  const shuffled = tradesFixture(t);
  await shuffled.service.importFile({ name: 'b.csv', content: head + [rows[2], rows[3], rows[0], rows[1]].join('\n') });
  const strip = (list: { id: number }[]) => list.map(({ id: _id, ...rest }) => rest);
  const a = inOrder.service.listPositions();
  const b = shuffled.service.listPositions();
  // long 1: +4 pts ($8 − 1.04 = 6.96); short 2: (21010 − 21006) × 2 = 8 pts ($16 − 2.08 = 13.92)
  assert.deepEqual(
    a.map((p) => [p.side, p.netPnl]),
    [
      ['long', 6.96],
      ['short', 13.92],
    ],
  );
  assert.deepEqual(strip(b), strip(a));
});

test('import reads a one-digit contract year in the decade of the fill, not of the day the file is imported', async (t) => {
  const { service } = tradesFixture(t);
  // Fills of December 2019 in MNQZ9 (December 2019) and of December 2025 in MNQZ5: the same letters a decade apart.
  const content = [
    'Instrument,Action,Quantity,Price,Time,ID,Commission,Account',
    'MNQZ9,Buy,1,8400,12/2/2019 9:30:00 AM,y1,$0.52,SIM1',
    'MNQZ9,Sell,1,8404,12/2/2019 9:40:00 AM,y2,$0.52,SIM1',
    'MNQZ5,Buy,1,25000,12/2/2025 9:30:00 AM,y3,$0.52,SIM1',
    'MNQZ5,Sell,1,25004,12/2/2025 9:40:00 AM,y4,$0.52,SIM1',
  ].join('\n');
  const r = await service.importFile({ name: 'decades.csv', content });
  assert.deepEqual(r.rejected, []);
  assert.deepEqual(
    service.listPositions().map((p) => p.instrument),
    ['MNQ 12-19', 'MNQ 12-25'],
  );
});
