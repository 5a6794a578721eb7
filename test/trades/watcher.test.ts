import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startImportWatcher } from '../../src/trades/watcher.js';
import { tempDir } from '../helpers/tmp.js';
import { fixture, tradesFixture } from './helpers.js';

test('startImportWatcher imports new and appended files once they stop changing, and each change once', async (t) => {
  const { service } = tradesFixture(t);
  const dir = path.join(tempDir(t), 'import');
  const seen: string[] = [];
  const start = () =>
    startImportWatcher({
      dir,
      intervalMs: 3_600_000, // driven by scanNow() here
      importFile: (file, options) => service.importFile({ path: file }, options),
      onImport: (r) => seen.push(`${path.basename(r.file)} ${r.status} +${r.executionsAdded}`),
    });
  const watcher = start();
  t.after(() => watcher.stop());
  assert.ok(fs.existsSync(dir), 'the folder is created');

  const lines = fs.readFileSync(fixture('duplicates.csv'), 'utf8').trimEnd().split('\n');
  const file = path.join(dir, 'NinjaTrader_Executions_20251006.csv');
  fs.writeFileSync(file, `${lines.slice(0, 3).join('\n')}\n`);
  assert.deepEqual(await watcher.scanNow(), [], 'a file is read only when it looked the same at the previous poll');
  const first = await watcher.scanNow();
  assert.deepEqual(
    first.map((r) => [r.status, r.executionsAdded]),
    [['imported', 2]],
  );
  assert.deepEqual(await watcher.scanNow(), [], 'an unchanged file is not read again');

  // NinjaTrader appends to the day's file
  fs.appendFileSync(file, `${lines.slice(3).join('\n')}\n`);
  assert.deepEqual(await watcher.scanNow(), []);
  const second = await watcher.scanNow();
  // appended: line 4 repeats line 2 (within the file), lines 5–6 are new; lines 2–3 are already stored
  assert.deepEqual(
    second.map((r) => [r.executionsAdded, r.duplicatesSkipped]),
    [[2, 3]],
  );
  assert.equal(service.listPositions().length, 1);

  // a bad file is reported once and not retried until it changes; other files go on
  fs.writeFileSync(path.join(dir, 'broken.csv'), 'Instrument,Action\nMNQ 12-25,Buy\n');
  fs.copyFileSync(fixture('two-accounts.csv'), path.join(dir, 'other.csv'));
  fs.writeFileSync(path.join(dir, 'ignored.txt'), 'not a csv');
  await watcher.scanNow();
  const third = await watcher.scanNow();
  assert.deepEqual(
    third.map((r) => [path.basename(r.file), r.status]),
    [
      ['broken.csv', 'rejected'],
      ['other.csv', 'imported'],
    ],
  );
  assert.deepEqual(await watcher.scanNow(), []);
  await watcher.stop();

  // a restarted watcher recognises files it imported before by their content; the rejected one is tried again
  // (its first poll, at start, records the sizes; the next one reads)
  const again = start();
  t.after(() => again.stop());
  const afterRestart = await again.scanNow();
  assert.deepEqual(
    afterRestart.map((r) => path.basename(r.file)),
    ['broken.csv'],
  );
  assert.deepEqual(seen.slice(0, 4), [
    'NinjaTrader_Executions_20251006.csv imported +2',
    'NinjaTrader_Executions_20251006.csv imported +2',
    'broken.csv rejected +0',
    'other.csv imported +4',
  ]);
});
