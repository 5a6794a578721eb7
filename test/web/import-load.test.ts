import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cleanEnv, runCliAsync } from '../helpers/cli.js';
import { APP_SERVER, spawnUntil } from '../helpers/faults.js';
import { type Answer, commit, executionsCsv, latencyProbe, preview, request, startServe } from '../helpers/import-load.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

// "/health answers within 1 s during any import" (issue 9 §2 item 3) against a real `tradelog serve` child process
// over loopback. This is a stated requirement, not a speed goal: the import itself may take as long as the machine
// needs (bench/import.bench.ts prints the figures). Before imports ran on a worker thread, 20 uploads of 200,000
// rows held /health silent for 45 s.
const LIMIT_MS = 1000;
const ROWS = 200_000;
const PAGES = ['/health', '/import'];

/**
 * Each page asked once before the probe starts: a page's first answer compiles its template and schemas (start-up
 * work, the same with or without an import), which on a loaded machine can itself take a second.
 */
async function warm(address: string): Promise<void> {
  for (const page of PAGES) await request(address, 'GET', page, { headers: { accept: 'text/html' } });
}

test('/health and the import page answer within 1 s while 20 uploads of 200,000 rows are previewed in parallel and two are imported', {
  timeout: 30 * 60_000,
}, async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const server = await startServe(dataDir);
  t.after(() => server.stop());
  // the files are made before the probe starts: this process's own work must not count as the server's latency
  const files = Array.from({ length: 20 }, (_, k) => ({ name: `f${k}.csv`, content: executionsCsv(ROWS, `ACC${k}`) }));
  await warm(server.address);
  const probe = await latencyProbe(server.address, PAGES);
  const previews = await Promise.all(files.map((f) => preview(server.address, [f])));
  const duringPreviews = await probe.stop();
  t.diagnostic(`previews: ${JSON.stringify(duringPreviews)}`);
  for (const p of previews) {
    assert.equal(p.status, 200, p.body.slice(0, 500));
    assert.match(p.body, new RegExp(`<strong class="gain added-count">${ROWS}</strong> executions will be added`));
  }
  assert.deepEqual(duringPreviews.failures, []);
  assert.ok(duringPreviews.count > 20, `the probe got answers throughout (${duringPreviews.count})`);
  assert.ok(
    duringPreviews.worstOwnMs < LIMIT_MS,
    `worst answer ${duringPreviews.worstOwnMs.toFixed(0)} ms (${duringPreviews.worstOwnUrl}; ${duringPreviews.worstMs.toFixed(0)} ms as measured, control ${duringPreviews.controlWorstMs.toFixed(0)} ms) while previewing 20 × ${ROWS} rows`,
  );

  const probe2 = await latencyProbe(server.address, PAGES);
  const commits = await Promise.all([commit(server.address, previews[0]?.token ?? ''), commit(server.address, previews[1]?.token ?? '')]);
  const duringImports = await probe2.stop();
  t.diagnostic(`imports: ${JSON.stringify(duringImports)}`);
  for (const c of commits) assert.match(c.body, /data-status="imported"/, c.body.slice(0, 500));
  assert.deepEqual(duringImports.failures, []);
  assert.ok(
    duringImports.worstOwnMs < LIMIT_MS,
    `worst answer ${duringImports.worstOwnMs.toFixed(0)} ms (${duringImports.worstOwnUrl}; ${duringImports.worstMs.toFixed(0)} ms as measured, control ${duringImports.controlWorstMs.toFixed(0)} ms) while importing 2 × ${ROWS} rows`,
  );
  const positions = JSON.parse((await request(server.address, 'GET', '/api/positions?limit=1')).body) as { total: number };
  assert.equal(positions.total, 2 * (ROWS / 2), 'each file is 100,000 round trips');
});

test('/health answers within 1 s while the watched folder imports a file of 200,000 rows', { timeout: 15 * 60_000 }, async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const server = await startServe(dataDir, { TRADELOG_WATCH_IMPORT: 'true' });
  t.after(() => server.stop());
  const content = executionsCsv(ROWS, 'WATCHED');
  await warm(server.address);
  const probe = await latencyProbe(server.address, PAGES);
  fs.mkdirSync(server.importDir, { recursive: true });
  fs.writeFileSync(path.join(server.importDir, 'watched.csv'), content);
  await waitFor(
    'the watched file to be imported',
    async () => /<tr data-import="\d+">(?:(?!<\/tr>).)*watched\.csv/s.test((await request(server.address, 'GET', '/import')).body),
    { timeoutMs: 14 * 60_000, intervalMs: 500 },
  );
  const r = await probe.stop();
  t.diagnostic(`watcher: ${JSON.stringify(r)}`);
  assert.deepEqual(r.failures, []);
  assert.ok(
    r.worstOwnMs < LIMIT_MS,
    `worst answer ${r.worstOwnMs.toFixed(0)} ms (${r.worstOwnUrl}; ${r.worstMs.toFixed(0)} ms as measured, control ${r.controlWorstMs.toFixed(0)} ms) while the watcher imported ${ROWS} rows`,
  );
});

test('/health answers within 1 s while `tradelog import` in another process imports 200,000 rows into the same journal', {
  timeout: 15 * 60_000,
}, async (t) => {
  const dir = tempDir(t);
  const dataDir = path.join(dir, 'data');
  const server = await startServe(dataDir);
  t.after(() => server.stop());
  const file = path.join(dir, 'cli.csv');
  fs.writeFileSync(file, executionsCsv(ROWS, 'CLI'));
  await warm(server.address);
  const probe = await latencyProbe(server.address, PAGES);
  const cli = await runCliAsync(['import', file, '--json', '--data-dir', dataDir]);
  const r = await probe.stop();
  t.diagnostic(`cli: ${JSON.stringify(r)}`);
  assert.equal(cli.status, 0, cli.stderr);
  assert.equal((JSON.parse(cli.stdout) as { files: { executionsAdded: number }[] }).files[0]?.executionsAdded, ROWS);
  assert.deepEqual(r.failures, []);
  assert.ok(
    r.worstOwnMs < LIMIT_MS,
    `worst answer ${r.worstOwnMs.toFixed(0)} ms (${r.worstOwnUrl}; ${r.worstMs.toFixed(0)} ms as measured, control ${r.controlWorstMs.toFixed(0)} ms) while the CLI imported ${ROWS} rows`,
  );
});

test('a journal write sent during an import waits for its turn without holding the event loop', { timeout: 15 * 60_000 }, async (t) => {
  // The actor server (the real stack plus POST /test/settings/:key, a write on the server's own connection).
  // Without write turns that write would wait for the import worker's transaction inside SQLite's busy handler,
  // on the event loop, for as long as the transaction lasts.
  const dataDir = path.join(tempDir(t), 'data');
  const s = spawnUntil(['--import', 'tsx', APP_SERVER], '"address"', { env: cleanEnv({ DATA_DIR: dataDir }) });
  t.after(() => {
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
  });
  const address = (JSON.parse(await s.ready) as { address: string }).address;
  const content = executionsCsv(ROWS, 'TURNS');
  const probe = await latencyProbe(address, ['/health']);
  let previewing = true;
  const previewed = preview(address, [{ name: 'turns.csv', content }]).finally(() => {
    previewing = false;
  });
  const writes: Answer[] = [];
  while (previewing) {
    writes.push(await request(address, 'POST', `/test/settings/turn${writes.length}`));
    await new Promise((r) => setTimeout(r, 100));
  }
  const r = await probe.stop();
  t.diagnostic(`turns: ${JSON.stringify(r)}; writes: ${writes.map((w) => w.ms.toFixed(0)).join(', ')} ms`);
  assert.equal((await previewed).status, 200);
  assert.ok(writes.length > 0);
  for (const w of writes) assert.equal(w.status, 200, w.body);
  assert.deepEqual(r.failures, []);
  assert.ok(
    r.worstOwnMs < LIMIT_MS,
    `worst /health ${r.worstOwnMs.toFixed(0)} ms (${r.worstMs.toFixed(0)} ms as measured, control ${r.controlWorstMs.toFixed(0)} ms) while writes waited for an import of ${ROWS} rows`,
  );
});
