import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { dataPaths } from '../../src/config.js';
import { openStore } from '../../src/db/store.js';
import {
  ACTOR,
  APP,
  actor,
  appDataDir,
  chownR,
  codes,
  doctor,
  needRoot,
  rootFile,
  rowCount,
  spawnUntil,
  startServer,
  tradelog,
} from '../helpers/faults.js';
import { tempDir } from '../helpers/tmp.js';

// storage-reliability.md §(d) T1–T4: files owned by root beside a database the app (uid 65534) owns. Each test
// shows the raw SQLite behaviour (a child as uid 65534), the doctor's status and code, what the server answers,
// that the safe repair fixes it, and that no row was lost.

/** Table `t` with `n` rows in journal.db, written by the app user. */
function seedRows(file: string, n: number): void {
  const r = actor(file, ['open', 'create', ...Array.from({ length: n }, () => 'write'), 'close']);
  assert.equal(r.close, 'ok', JSON.stringify(r));
}

test('T1 doctor, serve and repair when -shm and -wal of a WAL database are root-owned 0644', async (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t);
  const db = paths.journalDb;
  seedRows(db, 3);
  rootFile(`${db}-shm`, 32768, 0o644);
  rootFile(`${db}-wal`, 0, 0o644);

  // Raw SQLite as the app user: reads work, the first write fails.
  const raw = actor(db, ['open', 'jm', 'read', 'write']);
  assert.deepEqual([raw.jm, raw.read, raw.write], ['wal', 3, 'SQLITE_READONLY']);

  const { status, report } = doctor(paths);
  assert.equal(status, 1);
  assert.equal(report.status, 'degraded');
  const f = report.findings.find((x) => x.code === 'TL_DB_READONLY' && x.path === `${db}-shm`);
  assert.ok(f, JSON.stringify(report.findings));
  assert.equal(f.severity, 'degraded');
  assert.match(f.message, /owned by uid 0 \(gid 0\) with mode 0644, and the app runs as uid 65534/);
  assert.match(f.remedy, /chown 65534:65534 .*journal\.db\*/);
  assert.match(f.remedy, /Never delete the -wal/);

  // The server starts degraded: reads served, writes refused with the finding's message, /health 503.
  const server = await startServer(t, paths, { kind: 'actor' });
  const health = await server.get('/health');
  assert.equal(health.status, 503);
  assert.equal((health.json() as { status: string }).status, 'degraded');
  assert.equal((await server.get('/test/settings')).status, 200);
  const write = await server.post('/test/settings/x');
  assert.equal(write.status, 503);
  const err = (write.json() as { error: { code: string; message: string } }).error;
  assert.equal(err.code, 'TL_DB_READONLY');
  assert.ok(
    report.findings.some((x) => x.message === err.message),
    'refused with the doctor finding message',
  );
  assert.equal((await server.stop()).code, 0);

  // Repair as root gives the files to the data directory's owner; nothing is deleted; writes work again.
  const repair = doctor(paths, ['--repair'], { uid: 0 });
  assert.equal(repair.status, 0, JSON.stringify(repair.report));
  const chowned = repair.report.actions.filter((a) => a.code === 'TL_REPAIR_CHOWN').map((a) => a.path);
  assert.ok(chowned.includes(`${db}-shm`) || !fs.existsSync(`${db}-shm`), JSON.stringify(repair.report.actions));
  assert.equal(doctor(paths).report.status, 'ok');
  const after = actor(db, ['open', 'read', 'write', 'read', 'close']);
  assert.deepEqual([after.write, after.read], ['ok', 4]);
});

test('T2 doctor is fatal and serve answers 503 with the fix when the data dir of a WAL database is not writable', async (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t);
  seedRows(paths.journalDb, 2);
  fs.chownSync(paths.dbDir, 0, 0);
  fs.chmodSync(paths.dbDir, 0o755);

  const raw = actor(paths.journalDb, ['open', 'jm', 'read']);
  assert.deepEqual([raw.jm, raw.read], ['SQLITE_READONLY_DIRECTORY', 'SQLITE_READONLY_DIRECTORY']);

  const { status, report } = doctor(paths);
  assert.equal(status, 2);
  assert.equal(report.status, 'fatal');
  const f = report.findings.find((x) => x.code === 'TL_DB_DIR_NOT_WRITABLE');
  assert.equal(f?.severity, 'fatal');
  assert.match(f?.message ?? '', /owner uid 0, gid 0, mode 0755\) is not writable by uid 65534/);

  // The real `tradelog serve`: stays up, every page 503 with the finding and its fix (HTML for a browser).
  const server = await startServer(t, paths);
  const page = await server.get('/', { accept: 'text/html' });
  assert.equal(page.status, 503);
  assert.match(page.body, /TL_DB_DIR_NOT_WRITABLE/);
  assert.match(page.body, /chown -R 65534:65534/);
  const api = await server.get('/api/positions');
  assert.equal(api.status, 503);
  assert.equal((api.json() as { error: { code: string } }).error.code, 'TL_DB_DIR_NOT_WRITABLE');
  assert.equal((await server.get('/health')).status, 503);
  assert.equal((await server.get('/health')).status, 503, 'still up after answering');
  assert.equal((await server.stop()).code, 0);

  const repair = doctor(paths, ['--repair'], { uid: 0 });
  assert.equal(repair.report.status, 'ok', JSON.stringify(repair.report.findings));
  assert.ok(repair.report.actions.some((a) => a.code === 'TL_REPAIR_CHOWN' && a.path === paths.dbDir));
  assert.equal(actor(paths.journalDb, ['open', 'read']).read, 2);
});

test('T2 rollback-mode database in an unwritable data dir reads but refuses writes; a new database cannot be created', async (t) => {
  if (!needRoot(t)) return;
  const paths = dataPaths(path.join(tempDir(t), 'data'));
  fs.mkdirSync(paths.dataDir, { recursive: true });
  openStore(paths, { journalMode: 'delete' }).close();
  chownR(paths.dataDir, APP.uid, APP.gid);
  seedRows(paths.journalDb, 2);
  fs.chownSync(paths.dbDir, 0, 0);
  fs.chmodSync(paths.dbDir, 0o755);

  const raw = actor(paths.journalDb, ['open', 'jm', 'read', 'write']);
  assert.deepEqual([raw.jm, raw.read, raw.write], ['delete', 2, 'SQLITE_READONLY_DIRECTORY']);

  const { status, report } = doctor(paths);
  assert.equal(status, 1);
  assert.equal(report.status, 'degraded');
  assert.equal(report.findings.find((f) => f.code === 'TL_DB_DIR_NOT_WRITABLE')?.severity, 'degraded');

  const server = await startServer(t, paths, { kind: 'actor' });
  assert.equal((await server.get('/health')).status, 503);
  assert.equal((await server.get('/test/settings')).status, 200);
  const write = await server.post('/test/settings/x');
  assert.equal(write.status, 503);
  assert.equal((write.json() as { error: { code: string } }).error.code, 'TL_DB_DIR_NOT_WRITABLE');
  assert.equal((await server.stop()).code, 0);
  assert.equal(rowCount(paths.journalDb, 't'), 2);

  // A database that does not exist yet can't be created there.
  assert.equal(actor(path.join(paths.dbDir, 'new.db'), ['open']).open, 'SQLITE_CANTOPEN');
  fs.rmSync(paths.marketDb);
  const missing = doctor(paths);
  assert.equal(missing.status, 2);
  assert.match(missing.report.findings.find((f) => f.code === 'TL_DB_DIR_NOT_WRITABLE')?.message ?? '', /market\.db can't be created/);
});

for (const variant of ['root-owned 0644', 'mode 0444'] as const) {
  test(`T3 the write probe catches a read-only database file (${variant}) and repair as root fixes it`, (t) => {
    if (!needRoot(t)) return;
    const paths = appDataDir(t);
    seedRows(paths.journalDb, 2);
    if (variant === 'root-owned 0644') fs.chownSync(paths.journalDb, 0, 0);
    else fs.chmodSync(paths.journalDb, 0o444);

    const raw = actor(paths.journalDb, ['open', 'read', 'uv', 'write']);
    assert.deepEqual([raw.read, raw.uv, raw.write], [2, 'SQLITE_READONLY', 'SQLITE_READONLY']);

    const { status, report } = doctor(paths);
    assert.equal(status, 1);
    const f = report.findings.find((x) => x.code === 'TL_DB_READONLY' && x.path === paths.journalDb);
    assert.equal(f?.severity, 'degraded', JSON.stringify(report.findings));
    assert.match(f?.message ?? '', variant === 'mode 0444' ? /mode 0444/ : /owned by uid 0/);

    const repair = doctor(paths, ['--repair'], { uid: 0 });
    assert.equal(repair.report.status, 'ok', JSON.stringify(repair.report));
    assert.ok(repair.report.actions.some((a) => a.code === (variant === 'mode 0444' ? 'TL_REPAIR_CHMOD' : 'TL_REPAIR_CHOWN')));
    assert.ok(!repair.report.actions.some((a) => /777|666/.test(a.description)), 'never widens group/other');
    assert.equal((fs.statSync(paths.journalDb).mode & 0o077).toString(8), (0o044).toString(8), 'group/other bits unchanged');
    const after = actor(paths.journalDb, ['open', 'write', 'read']);
    assert.deepEqual([after.write, after.read], ['ok', 3]);
  });
}

test('T4 stray sidecars of a database that does not exist are listed and moved to quarantine, never deleted', (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t);
  // The old app's leftovers: in the data dir root (mode 777) and in db/ (mode 644).
  const strays = [
    [path.join(paths.dataDir, 'futures_trades.db-shm'), 32768, 0o777],
    [path.join(paths.dataDir, 'futures_trades.db-wal'), 0, 0o777],
    [path.join(paths.dbDir, 'futures_trades.db-shm'), 32768, 0o644],
    [path.join(paths.dbDir, 'futures_trades.db-wal'), 0, 0o644],
  ] as const;
  for (const [p, bytes, mode] of strays) rootFile(p, bytes, mode);

  const { status, report } = doctor(paths);
  assert.equal(status, 0, 'strays alone leave the status ok');
  const listed = report.findings.filter((f) => f.code === 'TL_DB_STRAY_SIDECAR');
  assert.deepEqual(listed.map((f) => f.path).sort(), strays.map(([p]) => p).sort());
  assert.match(listed.find((f) => f.path === strays[2][0])?.message ?? '', /owner uid 0, gid 0, mode 0644, 32768 bytes/);

  // Why they matter: a WAL database created beside root-owned 0644 orphans can't even create a table.
  const other = appDataDir(t, { create: false });
  fs.mkdirSync(other.dbDir);
  fs.chownSync(other.dbDir, APP.uid, APP.gid);
  const x = path.join(other.dbDir, 'x.db');
  rootFile(`${x}-shm`, 32768, 0o644);
  rootFile(`${x}-wal`, 0, 0o644);
  assert.equal(actor(x, ['open', 'wal', 'create']).create, 'SQLITE_READONLY');

  // Repair as the app user: the directory is its own, so the root-owned files can be moved, not deleted.
  const repair = doctor(paths, ['--repair']);
  assert.equal(repair.status, 0);
  const moved = repair.report.actions.filter((a) => a.code === 'TL_REPAIR_QUARANTINE');
  assert.equal(moved.length, 4);
  assert.ok(moved.every((a) => a.ok));
  for (const [p] of strays) assert.ok(!fs.existsSync(p), `${p} moved`);
  const quarantined = fs
    .readdirSync(paths.quarantineDir)
    .flatMap((d) => fs.readdirSync(path.join(paths.quarantineDir, d)).map((f) => path.join(paths.quarantineDir, d, f)));
  assert.equal(quarantined.length, 4);
  assert.deepEqual(
    quarantined.map((q) => fs.statSync(q).size).sort((a, b) => a - b),
    [0, 0, 32768, 32768],
  );
  assert.ok(!codes(repair.report).includes('TL_DB_STRAY_SIDECAR'));
});

test('T4 serve moves stray sidecars named like its own missing database to quarantine before creating it', async (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t, { create: false });
  fs.mkdirSync(paths.dbDir);
  fs.chownSync(paths.dbDir, APP.uid, APP.gid);
  rootFile(`${paths.journalDb}-shm`, 32768, 0o644);
  rootFile(`${paths.journalDb}-wal`, 0, 0o644);

  const server = await startServer(t, paths, { kind: 'actor' });
  const health = await server.get('/health');
  assert.equal(health.status, 200, health.body);
  const body = health.json() as { actions: { code: string; path: string }[] };
  assert.deepEqual(
    body.actions.map((a) => a.code),
    ['TL_REPAIR_QUARANTINE', 'TL_REPAIR_QUARANTINE'],
  );
  assert.equal((await server.post('/test/settings/x')).status, 200, 'writes work on the new database');
  assert.equal((await server.stop()).code, 0);
  assert.equal(rowCount(paths.journalDb, 'settings'), 1);
});

test('T12 a second process holding the database: doctor names the check, migrate, restore and repair refuse', async (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t);
  seedRows(paths.journalDb, 2);
  // A backup to restore, and a journal at schema version 0 so a migration is pending.
  const backup = tradelog(['backup', '--json', '--data-dir', paths.dataDir]);
  assert.equal(backup.status, 0, backup.stderr);
  const backupFile = (JSON.parse(backup.stdout) as { files: { file: string }[] }).files[0]?.file ?? '';
  const reset = actor(paths.journalDb, ['open', 'close']);
  assert.equal(reset.close, 'ok');
  const conn = new Database(paths.journalDb);
  conn.pragma('user_version = 0');
  conn.pragma('foreign_keys = OFF');
  for (const name of conn
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 't'")
    .pluck()
    .all() as string[])
    conn.exec(`DROP TABLE "${name}"`);
  conn.close();
  rootFile(path.join(paths.dataDir, 'old.db-wal'), 0, 0o666);

  const holder = spawnUntil([ACTOR, paths.journalDb, 'open', 'hold'], 'ready', { uid: APP.uid });
  t.after(() => holder.child.kill('SIGKILL'));
  await holder.ready;

  const asApp = doctor(paths);
  const inUse = asApp.report.findings.find((f) => f.code === 'TL_DB_IN_USE');
  assert.match(inUse?.message ?? '', /exclusivity probe: SQLITE_BUSY/);
  const asRoot = doctor(paths, [], { uid: 0 });
  assert.match(asRoot.report.findings.find((f) => f.code === 'TL_DB_IN_USE')?.message ?? '', new RegExp(`process ${holder.child.pid} `));

  const migrate = tradelog(['migrate', '--data-dir', paths.dataDir]);
  assert.equal(migrate.status, 2);
  assert.match(migrate.stderr, /error TL_DB_IN_USE/);
  const restore = tradelog(['restore', backupFile, '--yes', '--data-dir', paths.dataDir]);
  assert.equal(restore.status, 2);
  assert.match(restore.stderr, /error TL_DB_IN_USE/);
  const repair = doctor(paths, ['--repair']);
  assert.equal(repair.status, 1);
  assert.ok(repair.report.repair?.refused?.some((e) => e.startsWith('exclusivity probe: SQLITE_BUSY')));
  assert.deepEqual(repair.report.actions, []);
  assert.ok(fs.existsSync(path.join(paths.dataDir, 'old.db-wal')), 'nothing moved');

  holder.child.stdin?.end();
  await holder.exited;
  assert.equal(tradelog(['migrate', '--data-dir', paths.dataDir]).status, 0);
  assert.equal(rowCount(paths.journalDb, 't'), 2);
});
