import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { APP, appDataDir, doctor, holdOpen, needRoot } from '../helpers/faults.js';

// World-writable data directories (issue 9 §2.5): any local user could delete or swap journal.db, or plant a -wal
// that SQLite replays into it. The doctor flags them; --repair takes the world-write bit off.

const mode = (p: string) => fs.statSync(p).mode & 0o7777;

test('doctor flags a world-writable data dir, db/, backups/ and database file; --repair removes the world-write bits', async (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t);
  fs.mkdirSync(paths.backupsDir);
  fs.chownSync(paths.backupsDir, APP.uid, APP.gid);
  for (const dir of [paths.dataDir, paths.dbDir, paths.backupsDir]) fs.chmodSync(dir, 0o777);
  fs.chmodSync(paths.journalDb, 0o666);
  // Another process has the database open: SQLite gives its -wal and -shm the database file's mode.
  await holdOpen(t, paths.journalDb);
  const sidecars = [`${paths.journalDb}-shm`, `${paths.journalDb}-wal`];

  const before = doctor(paths);
  assert.equal(before.status, 0, 'a warning: the app works, the status stays ok');
  assert.equal(before.report.status, 'ok');
  const open = before.report.findings.filter((f) => f.code === 'TL_DB_MODE_TOO_OPEN');
  assert.deepEqual(open.map((f) => [f.path, f.severity]).sort(), [
    [paths.dataDir, 'warn'],
    [paths.backupsDir, 'warn'],
    [paths.dbDir, 'warn'],
    [paths.journalDb, 'warn'],
    ...sidecars.map((p) => [p, 'warn']),
  ]);
  for (const f of open) assert.ok(f.remedy.includes(`chmod o-w ${f.path}`), f.remedy);
  assert.match(open.find((f) => f.path === paths.dbDir)?.message ?? '', /world-writable \(owner uid 65534, gid 65534, mode 0777\)/);

  // Safe while the other process has the database open: other repairs would be refused, this one is done.
  const repair = doctor(paths, ['--repair']);
  const chmods = repair.report.actions.filter((a) => a.code === 'TL_REPAIR_CHMOD');
  assert.deepEqual(chmods.map((a) => [a.path, a.ok]).sort(), [
    [paths.dataDir, true],
    [paths.backupsDir, true],
    [paths.dbDir, true],
    [paths.journalDb, true],
    ...sidecars.map((p) => [p, true]),
  ]);
  assert.match(chmods.find((a) => a.path === paths.dbDir)?.description ?? '', /mode 0777 → 0775/);
  assert.deepEqual(
    [paths.dataDir, paths.dbDir, paths.backupsDir, paths.journalDb, ...sidecars].map(mode),
    [0o775, 0o775, 0o775, 0o664, 0o664, 0o664],
    'only the world-write bit went',
  );
  assert.deepEqual(
    repair.report.findings.filter((f) => f.code === 'TL_DB_MODE_TOO_OPEN'),
    [],
  );
  assert.deepEqual(
    doctor(paths).report.findings.filter((f) => f.code === 'TL_DB_MODE_TOO_OPEN'),
    [],
  );
});

test('a world-writable data dir with the sticky bit (a shared directory) is flagged but left as it is by --repair', (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t);
  fs.chmodSync(paths.dataDir, 0o1777);
  const before = doctor(paths);
  const f = before.report.findings.find((x) => x.code === 'TL_DB_MODE_TOO_OPEN');
  assert.equal(f?.path, paths.dataDir);
  assert.match(f?.remedy ?? '', /a data directory of its own/);
  const repair = doctor(paths, ['--repair']);
  assert.deepEqual(
    repair.report.actions.map((a) => [a.code, a.path, a.ok]),
    [['TL_REPAIR_CHMOD', paths.dataDir, false]],
  );
  assert.equal(mode(paths.dataDir), 0o1777);
  assert.ok(fs.existsSync(path.join(paths.dbDir, 'journal.db')));
});
