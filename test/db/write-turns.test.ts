import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WriteTurns } from '../../src/db/write-turns.js';

test('the main thread gets its write turn only once the worker is out of its transaction, or gone', async () => {
  const turns = new WriteTurns();
  const gate = turns.workerGate();
  gate.enter();
  assert.equal(turns.workerWriting, true);
  let got = false;
  const turn = turns.mainTurn().then((release) => {
    got = true;
    return release;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(got, false, 'no turn while the worker writes');
  gate.leave();
  const release = await turn;
  assert.equal(got, true);
  release();

  // a worker that ended inside its transaction holds no turn
  gate.enter();
  const next = turns.mainTurn();
  turns.workerGone();
  (await next)();
  assert.equal(turns.workerWriting, false);
});
