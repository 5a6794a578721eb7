import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { forUser } from '../helpers/code-root.js';
import { ACTOR, APP, actor, appDataDir, CRASH_WRITER, doctor, needRoot, rowCount, spawnUntil, startServer } from '../helpers/faults.js';
import { tempDir } from '../helpers/tmp.js';

// storage-reliability.md §(d) T5, T8, T15: committed transactions left in a -wal by a killed process survive every
// tool of this project; deleting the -wal (what the old app's maintainers planned) would lose them.

/** journal.db with table t: 3 checkpointed rows, then 100 transactions left in the -wal by a SIGKILL. */
function killedWithWal(dbFile: string): void {
  const seed = actor(dbFile, ['open', 'create', 'write', 'write', 'write', 'close']);
  assert.equal(seed.close, 'ok');
  const run = forUser(APP.uid, [ACTOR, dbFile, 'open', 'fill:100', 'kill']);
  const r = spawnSync(process.execPath, run.args, {
    cwd: run.cwd,
    uid: APP.uid,
    gid: APP.gid,
    encoding: 'utf8',
  });
  assert.equal(r.signal, 'SIGKILL');
  assert.ok(fs.statSync(`${dbFile}-wal`).size > 32, 'the -wal holds the 100 transactions');
}

test('T5 negative control: deleting the -wal of a killed process loses committed rows and integrity_check still says ok', (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t);
  killedWithWal(paths.journalDb);
  // What "rm *.db-wal *.db-shm" does, on a copy.
  const copy = path.join(tempDir(t), 'copy.db');
  fs.copyFileSync(paths.journalDb, copy);
  const conn = new Database(copy);
  assert.equal(conn.prepare('SELECT count(*) FROM t').pluck().get(), 3, '100 committed rows are gone');
  assert.equal(conn.pragma('integrity_check', { simple: true }), 'ok', 'and nothing warns');
  conn.close();
});

test('T5 doctor reports pending recovery, --repair keeps an undo copy and every committed row', (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t);
  killedWithWal(paths.journalDb);
  const walBytes = fs.statSync(`${paths.journalDb}-wal`).size;

  const repair = doctor(paths, ['--repair']);
  assert.equal(repair.status, 0, JSON.stringify(repair.report));
  const snapshot = repair.report.actions.find((a) => a.code === 'TL_REPAIR_SNAPSHOT');
  assert.ok(snapshot?.ok, JSON.stringify(repair.report.actions));
  const undoDir = fs.readdirSync(paths.quarantineDir).find((d) => d.startsWith('before-repair-')) ?? '';
  assert.equal(fs.statSync(path.join(paths.quarantineDir, undoDir, 'journal.db-wal')).size, walBytes, 'the -wal itself was kept as it was');
  const replayed = repair.report.actions.find((a) => a.code === 'TL_REPAIR_CHECKPOINT');
  assert.match(replayed?.description ?? '', /103 rows/);
  assert.equal(actor(paths.journalDb, ['open', 'read']).read, 103);
});

test('T5 the doctor alone reports the pending -wal without losing it, and serve starts with every row', async (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t);
  killedWithWal(paths.journalDb);
  const { report } = doctor(paths);
  const pending = report.findings.find((f) => f.code === 'TL_DB_RECOVERY_PENDING');
  assert.equal(pending?.severity, 'warn');
  assert.match(pending?.message ?? '', /never delete this file/);
  assert.equal(report.status, 'ok');

  killedWithWal(path.join(paths.dbDir, 'market.db'));
  const server = await startServer(t, paths);
  assert.equal((await server.get('/health')).status, 200);
  assert.equal((await server.stop()).code, 0);
  assert.equal(rowCount(paths.journalDb, 't'), 103);
  assert.equal(rowCount(paths.marketDb, 't'), 103);
  assert.ok(!fs.existsSync(`${paths.marketDb}-wal`), 'checkpointed and removed by SQLite on the clean stop');
});

test('T8 SIGKILL during writes, 20 times: no committed transaction lost, integrity ok, no partial transaction', async (t) => {
  if (!needRoot(t)) return;
  const dir = tempDir(t);
  fs.chownSync(dir, APP.uid, APP.gid);
  const db = path.join(dir, 'crash.db');
  const log = path.join(dir, 'committed.log');
  let kills = 0;
  for (let i = 0; i < 20; i++) {
    const w = spawnUntil(['--import', 'tsx', CRASH_WRITER, db, log], 'ready', { uid: APP.uid });
    await w.ready;
    await sleep(150 + Math.floor(Math.random() * 250));
    w.child.kill('SIGKILL');
    const exit = await w.exited;
    if (exit.signal === 'SIGKILL') kills++;
  }
  assert.equal(kills, 20);
  const logged = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number);
  assert.ok(logged.length > 20, `only ${logged.length} transactions were logged`);
  const conn = new Database(db, { readonly: true });
  t.after(() => conn.close());
  assert.equal(conn.pragma('integrity_check', { simple: true }), 'ok');
  const ids = new Set(conn.prepare('SELECT id FROM parent').pluck().all() as number[]);
  const missing = logged.filter((id) => !ids.has(id));
  assert.deepEqual(missing, [], 'every transaction reported committed is there');
  const partial = conn
    .prepare('SELECT p.id FROM parent p LEFT JOIN child c ON c.parent_id = p.id GROUP BY p.id HAVING count(c.id) <> 19')
    .all();
  assert.deepEqual(partial, [], 'every parent has all 19 children');
  assert.deepEqual(conn.pragma('foreign_key_check'), []);
});

test('T15 SIGTERM stops serve with exit 0, checkpoints, and leaves no -wal behind', async (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t);
  const server = await startServer(t, paths);
  // Another connection commits while the server holds the database: the frames stay in the -wal.
  const w = actor(paths.journalDb, ['open', 'create', 'write', 'write', 'close']);
  assert.equal(w.close, 'ok');
  assert.ok(fs.statSync(`${paths.journalDb}-wal`).size > 32, 'the rows are in the -wal while the server runs');
  const exit = await server.stop('SIGTERM');
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.ok(!fs.existsSync(`${paths.journalDb}-wal`), 'no -wal left');
  assert.equal(rowCount(paths.journalDb, 't'), 2);
  assert.match(server.output().stdout, /shutting down/);
});
