import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { type Clock, manualClock } from '../../src/clock.js';
import { listBackups } from '../../src/db/backup.js';
import { startStorage } from '../../src/db/startup.js';
import { openStore } from '../../src/db/store.js';
import { silentLogger } from '../../src/log.js';
import { buildApp } from '../../src/web/app.js';
import { ACTOR, spawnUntil } from '../helpers/faults.js';
import { tempDataPaths } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

// serve's start-up (src/db/startup.ts) with the real app and inject(): ok, fatal from the doctor, fatal from
// opening the store, and the daily backup timer.

async function started(
  t: { after: (fn: () => void) => void },
  paths: ReturnType<typeof tempDataPaths>,
  backup: false | { firstCheckMs: number } = false,
  clock: Clock = manualClock('2026-11-20T22:30:00Z'),
) {
  const storage = startStorage(paths, { logger: silentLogger(), backup, clock });
  t.after(() => storage.close());
  const app = await buildApp({ store: storage.store, logger: silentLogger(), health: storage.health, clock });
  t.after(() => app.close());
  return { storage, app };
}

test('startStorage opens a new data directory and /health answers 200 ok', async (t) => {
  const paths = tempDataPaths(t);
  const { storage, app } = await started(t, paths);
  assert.ok(storage.store);
  const res = await app.inject({ url: '/health' });
  assert.equal(res.statusCode, 200);
  const body = res.json() as { status: string; journalMode: string; findings: { severity: string }[] };
  assert.equal(body.status, 'ok');
  assert.equal(body.journalMode, 'wal');
  assert.ok(body.findings.every((f) => f.severity === 'info'));
});

test('startStorage serves 503 with the finding on every route when the database is newer than this build', async (t) => {
  const paths = tempDataPaths(t);
  openStore(paths).close();
  const conn = new Database(paths.journalDb);
  conn.pragma('user_version = 99');
  conn.close();
  const { storage, app } = await started(t, paths);
  assert.equal(storage.store, undefined);
  assert.equal(storage.report.status, 'fatal');
  for (const url of ['/', '/positions', '/api/positions', '/no/such/page']) {
    const res = await app.inject({ url });
    assert.equal(res.statusCode, 503, url);
    assert.equal((res.json() as { error: { code: string } }).error.code, 'TL_DB_TOO_NEW');
  }
  const page = await app.inject({ url: '/', headers: { accept: 'text/html' } });
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.match(page.body, /schema version 99/);
  const health = await app.inject({ url: '/health' });
  assert.equal(health.statusCode, 503);
  assert.equal((health.json() as { status: string }).status, 'fatal');
});

test('startStorage is fatal with TL_DB_CORRUPT when journal.db is not a database, and keeps the file', async (t) => {
  const paths = tempDataPaths(t);
  fs.mkdirSync(paths.dbDir, { recursive: true });
  fs.writeFileSync(paths.journalDb, 'this is not a database, but it is the user’s file\n'.repeat(200));
  const { storage, app } = await started(t, paths);
  assert.equal(storage.report.findings.find((f) => f.severity === 'fatal')?.code, 'TL_DB_CORRUPT');
  assert.equal((await app.inject({ url: '/' })).statusCode, 503);
  assert.match(fs.readFileSync(paths.journalDb, 'utf8'), /not a database/);
});

test('startStorage turns a store that cannot open (migration pending while another process holds it) into a fatal 503', async (t) => {
  const paths = tempDataPaths(t);
  openStore(paths).close();
  const conn = new Database(paths.journalDb);
  conn.pragma('foreign_keys = OFF');
  for (const name of conn
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[])
    conn.exec(`DROP TABLE "${name}"`);
  conn.exec('CREATE TABLE t (v); INSERT INTO t VALUES (1);');
  conn.pragma('user_version = 0');
  conn.close();
  const holder = spawnUntil([ACTOR, paths.journalDb, 'open', 'hold'], 'ready');
  t.after(() => holder.child.kill('SIGKILL'));
  await holder.ready;
  const { storage, app } = await started(t, paths);
  assert.equal(storage.report.status, 'ok', 'the doctor only warns about the other process');
  assert.equal(storage.store, undefined);
  const health = (await app.inject({ url: '/health' })).json() as { status: string; findings: { code: string; severity: string }[] };
  assert.equal(health.status, 'fatal');
  assert.ok(health.findings.some((f) => f.code === 'TL_DB_IN_USE' && f.severity === 'fatal'));
  assert.equal((await app.inject({ url: '/api/stats' })).statusCode, 503);
});

test('startStorage takes the daily verified backup of journal.db on its timer', async (t) => {
  const paths = tempDataPaths(t);
  const clock = manualClock('2026-11-20T22:30:00Z');
  const { storage } = await started(t, paths, { firstCheckMs: 1 }, clock);
  const daily = await waitFor('the first daily backup', () => {
    const list = listBackups(paths.backupsDir).filter((b) => b.kind === 'daily');
    return list.length > 0 ? list : undefined;
  });
  assert.equal(daily.length, 1);
  assert.equal(daily[0]?.db, 'journal');
  assert.equal(daily[0]?.createdAt, '2026-11-20T22:30:00.000Z', 'stamped by the clock');
  assert.equal(storage.backups?.status().lastBackup?.verified, true);
  clock.advance(23 * 3_600_000);
  assert.equal(storage.backups?.runNow(), undefined, 'not due again for a day');
  clock.advance(3_600_000);
  assert.equal(storage.backups?.runNow()?.verified, true, 'due a day later');
});

test('startStorage checks market.db right after start and turns degraded when a page is damaged', async (t) => {
  const paths = tempDataPaths(t);
  openStore(paths).close();
  const conn = new Database(paths.marketDb);
  conn.pragma('journal_mode = DELETE');
  conn.exec('CREATE TABLE bars_test (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX bars_test_v ON bars_test (v);');
  const ins = conn.prepare('INSERT INTO bars_test (v) VALUES (?)');
  conn.transaction(() => {
    for (let i = 0; i < 5000; i++) ins.run(`bar ${i} ${'y'.repeat(50)}`);
  })();
  conn.close();
  // Scribble over a page in the middle of the file (a bad sector, a torn copy): page 1 (the header) stays intact.
  const fd = fs.openSync(paths.marketDb, 'r+');
  fs.writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 4096 * 20);
  fs.closeSync(fd);
  const { storage, app } = await started(t, paths);
  assert.ok(storage.store, 'the store opened: the check of market.db comes after start');
  assert.equal(storage.report.status, 'ok', 'the doctor left market.db integrity to after start');
  const health = await waitFor('the market.db check to turn health degraded', async () => {
    const h = (await app.inject({ url: '/health' })).json() as { status: string; findings: { code: string; path?: string }[] };
    return h.status === 'ok' ? undefined : h;
  });
  assert.equal(health.status, 'degraded');
  assert.ok(health.findings.some((f) => f.code === 'TL_DB_CORRUPT' && f.path === paths.marketDb));
  assert.throws(() => storage.store?.market.write(() => 1), { code: 'TL_DB_CORRUPT' });
  assert.equal(
    storage.store?.journal.write(() => 1),
    1,
    'journal.db is unaffected',
  );
});
