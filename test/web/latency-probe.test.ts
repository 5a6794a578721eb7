import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanEnv } from '../helpers/cli.js';
import { spawnUntil } from '../helpers/faults.js';
import { latencyProbe } from '../helpers/import-load.js';
import { waitFor } from '../helpers/wait.js';

// The measuring side of "/health answers within 1 s during any import" (test/web/import-load.test.ts) must tell a
// server that stops answering from a machine that stalls every process: the first fails the requirement, the
// second is the machine's, not the server's (a small CI machine running two test files at once).

/**
 * A server in its own process; `blockAt`: the request whose answer first holds the event loop for `blockMs`;
 * `answerAfterMs`: each answer waits this long (without holding the event loop).
 */
function trivialServer(blockAt: number, blockMs: number, answerAfterMs = 0) {
  const script = `
    let n = 0;
    const s = require('node:http').createServer((q, r) => {
      if (++n === ${blockAt}) { const end = performance.now() + ${blockMs}; while (performance.now() < end); console.log('blocked'); }
      console.log('answered ' + n);
      setTimeout(() => r.end('ok'), ${answerAfterMs});
    });
    s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ address: 'http://127.0.0.1:' + s.address().port })));`;
  return spawnUntil(['-e', script], '"address"', { env: cleanEnv() });
}

test('the latency probe counts an event loop held for 1.5 s against the server', async (t) => {
  const server = trivialServer(10, 1500);
  t.after(() => server.child.kill('SIGKILL'));
  const { address } = JSON.parse(await server.ready) as { address: string };
  const probe = await latencyProbe(address, ['/health'], 5);
  await waitFor('the server to have blocked and answered again', () => server.output().stdout.includes('blocked'), { timeoutMs: 60_000 });
  const r = await probe.stop();
  t.diagnostic(JSON.stringify(r));
  assert.ok(r.worstMs >= 1400, `measured ${r.worstMs.toFixed(0)} ms`);
  assert.ok(r.worstOwnMs >= 1000, `the server's part: ${r.worstOwnMs.toFixed(0)} ms (control ${r.controlWorstMs.toFixed(0)} ms)`);
});

test('the latency probe does not count a stall of the whole machine (the probe stopped for 1.5 s) against the server', async (t) => {
  // answers take 100 ms and the probe asks again at once, so the stall falls inside a request it is timing
  const server = trivialServer(0, 0, 100);
  t.after(() => server.child.kill('SIGKILL'));
  const { address } = JSON.parse(await server.ready) as { address: string };
  const probe = await latencyProbe(address, ['/health'], 0);
  const answered = () =>
    server
      .output()
      .stdout.split('\n')
      .filter((l) => l.startsWith('answered')).length;
  await waitFor('the probe to be asking', () => answered() >= 5, { timeoutMs: 60_000 });
  probe.child.kill('SIGSTOP');
  const stoppedAt = performance.now();
  await waitFor('1.5 s to pass', () => performance.now() - stoppedAt >= 1500, { timeoutMs: 10_000, intervalMs: 50 });
  probe.child.kill('SIGCONT');
  const before = answered();
  await waitFor('the probe to ask again', () => answered() >= before + 5, { timeoutMs: 60_000 });
  const r = await probe.stop();
  t.diagnostic(JSON.stringify(r));
  assert.ok(r.worstMs >= 1400, `the stall was measured: ${r.worstMs.toFixed(0)} ms`);
  assert.ok(r.controlWorstMs >= 1400, `the control saw it: ${r.controlWorstMs.toFixed(0)} ms`);
  assert.ok(r.worstOwnMs < 1000, `none of it is the server's: ${r.worstOwnMs.toFixed(0)} ms`);
});
