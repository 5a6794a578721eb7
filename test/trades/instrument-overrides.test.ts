import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTradesService } from '../../src/trades/trades.service.js';
import { tempStore } from '../helpers/tmp.js';

// An instrument override and the positions it prices change in one transaction: when the rebuild fails half way,
// the override is not saved either.

const HEADER = 'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation';
const CSV = [
  HEADER,
  'MNQ 12-25,Buy,1,21000.00,10/1/2025 9:30:00 AM,a1,Entry,1 L,o1,Entry,$0.52,1,SIM1,Sim101,',
  'MNQ 12-25,Sell,1,21010.00,10/1/2025 9:45:00 AM,a2,Exit,-,o2,Exit,$0.52,1,SIM1,Sim101,',
  '',
].join('\n');

test('instrument override and the rebuild of its positions commit together or not at all', async (t) => {
  const store = tempStore(t);
  const trades = createTradesService({ journal: store.journal, importTimezone: 'America/New_York' });
  await trades.importFile({ name: 'one.csv', content: CSV });
  assert.equal(trades.listPositions()[0]?.grossPnl, 20);

  // A fault in the middle of the rebuild (after the override row was written): SQLite aborts the statement.
  store.journal.conn.exec("CREATE TEMP TRIGGER fail_rebuild BEFORE INSERT ON positions BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
  assert.throws(() => trades.saveInstrumentOverride('MNQ', { pointValue: 3 }), /injected fault/);
  assert.equal(trades.registry().get('MNQ').pointValue, 2, 'the override was rolled back with the rebuild');
  assert.equal(trades.listPositions()[0]?.grossPnl, 20, 'the positions are as they were');

  store.journal.conn.exec('DROP TRIGGER fail_rebuild');
  assert.deepEqual(trades.saveInstrumentOverride('MNQ', { pointValue: 3 }), { root: 'MNQ', positionsRecalculated: 1 });
  assert.equal(trades.listPositions()[0]?.grossPnl, 30);

  store.journal.conn.exec("CREATE TEMP TRIGGER fail_rebuild BEFORE INSERT ON positions BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
  assert.throws(() => trades.removeInstrumentOverride('MNQ'), /injected fault/);
  assert.equal(trades.registry().get('MNQ').pointValue, 3, 'the override is still there');
  assert.equal(trades.listPositions()[0]?.grossPnl, 30);
});
