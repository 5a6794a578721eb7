import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { manualClock } from '../../src/clock.js';
import { dataPaths } from '../../src/config.js';
import { backupDatabase, listBackups, restoreBackup } from '../../src/db/backup.js';
import { startBackupSchedule } from '../../src/db/backup-schedule.js';
import { openDb } from '../../src/db/open.js';
import { runCli } from '../helpers/cli.js';
import { ACTOR, need, needRoot, spawnUntil } from '../helpers/faults.js';
import { tempDataPaths, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

function integrity(file: string): string {
  const c = new Database(file, { readonly: true });
  try {
    return String(c.pragma('integrity_check', { simple: true }));
  } finally {
    c.close();
  }
}

test('T6 VACUUM INTO and a one-step backup() copy a database another process writes to every 2 ms', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'journal.db');
  const db = openDb(file, { name: 'journal' });
  t.after(() => db.close());
  db.write(() => db.conn.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)'));
  db.write(() => {
    const ins = db.conn.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 20_000; i++) ins.run(`seed row ${i} ${'x'.repeat(80)}`);
  });
  const writer = spawnUntil([ACTOR, file, 'open', 'pace:2500'], 'writing');
  t.after(() => writer.child.kill('SIGKILL'));
  await writer.ready;
  const rows = () => db.conn.prepare('SELECT count(*) FROM t').pluck().get() as number;
  // Back up while the other process is committing: wait until its first rows are in.
  await waitFor('the writer to commit rows', () => rows() >= 20_050);

  const before = rows();
  const vacuumed = backupDatabase(db, { backupsDir: path.join(dir, 'backups'), kind: 'manual' });
  assert.equal(vacuumed.verified, true);
  assert.equal(integrity(vacuumed.file), 'ok');
  const inCopy = new Database(vacuumed.file, { readonly: true });
  assert.ok((inCopy.prepare('SELECT count(*) FROM t').pluck().get() as number) >= before);
  inCopy.close();

  // The backup API with every page in one step (the 100-page default restarts on every foreign commit).
  const before2 = db.conn.prepare('SELECT count(*) FROM t').pluck().get() as number;
  const copy = path.join(dir, 'one-step.db');
  let steps = 0;
  await db.conn.backup(copy, {
    progress: () => {
      steps++;
      return 2 ** 31 - 1;
    },
  });
  assert.ok(steps <= 2, `backup took ${steps} steps`);
  assert.equal(integrity(copy), 'ok');
  const c2 = new Database(copy, { readonly: true });
  assert.ok((c2.prepare('SELECT count(*) FROM t').pluck().get() as number) >= before2);
  c2.close();

  const done = await writer.exited;
  assert.equal(done.code, 0);
  const paced = JSON.parse(writer.output().stdout.trim().split('\n').at(-1) ?? '{}') as { pace: number };
  const after = db.conn.prepare('SELECT count(*) FROM t').pluck().get() as number;
  assert.ok(after > before, 'the writer kept committing during the backups');
  assert.equal(after, 20_000 + paced.pace);
});

test('restore moves the current db with its sidecars into quarantine together, keeping the rows of its -wal, and puts the backup in place', (t) => {
  const paths = tempDataPaths(t);
  fs.mkdirSync(paths.dbDir, { recursive: true });
  const db = openDb(paths.journalDb, { name: 'journal' });
  db.write(() => db.conn.exec('CREATE TABLE t (v); INSERT INTO t VALUES (1), (2);'));
  const backup = backupDatabase(db, { backupsDir: paths.backupsDir, kind: 'manual' });
  db.close();
  // A third row left in the -wal by a killed process: it must stay paired with its database in quarantine.
  const killed = spawnSync(process.execPath, [ACTOR, paths.journalDb, 'open', 'fill:1', 'kill']);
  assert.equal(killed.signal, 'SIGKILL');
  assert.ok(fs.statSync(`${paths.journalDb}-wal`).size > 32);

  const result = restoreBackup(backup.file, paths.journalDb, paths.quarantineDir);
  const names = result.quarantined.map((q) => path.basename(q));
  assert.ok(names.includes('journal.db'));
  assert.ok(names.every((n) => n.startsWith('journal.db')));
  assert.ok(!fs.existsSync(`${paths.journalDb}-wal`), 'no foreign -wal left beside the restored file');
  const c = new Database(paths.journalDb, { readonly: true });
  assert.equal(c.prepare('SELECT count(*) FROM t').pluck().get(), 2);
  c.close();
  const moved = new Database(result.quarantined.find((q) => q.endsWith('journal.db')) ?? '');
  assert.equal(moved.prepare('SELECT count(*) FROM t').pluck().get(), 3, 'the quarantined pair still holds every row');
  moved.close();
});

test('restore leaves the current database in place and says so when the backup cannot be copied in (disk full)', (t) => {
  if (!needRoot(t)) return;
  // A backup of about 1.5 MB, outside the small filesystem.
  const source = tempDataPaths(t);
  const big = openDb(source.journalDb, { name: 'journal' });
  big.write(() =>
    big.conn.exec(
      'CREATE TABLE t (v); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) INSERT INTO t SELECT randomblob(1000) FROM n;',
    ),
  );
  const backup = backupDatabase(big, { backupsDir: source.backupsDir, kind: 'manual' });
  big.close();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-mount-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]).status === 0;
  t.after(() => {
    if (mounted) spawnSync('umount', ['-l', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  if (!need(t, mounted, 'mount -t tmpfs was refused')) return;
  const paths = dataPaths(path.join(dir, 'data'));
  const db = openDb(paths.journalDb, { name: 'journal' });
  db.write(() => db.conn.exec('CREATE TABLE t (v); INSERT INTO t VALUES (1), (2);'));
  db.close();

  assert.throws(
    () => restoreBackup(backup.file, paths.journalDb, paths.quarantineDir),
    (e: { code?: string; message?: string }) => e.code === 'TL_BACKUP_RESTORE_FAILED' && /ENOSPC/.test(e.message ?? ''),
  );
  assert.deepEqual(fs.readdirSync(paths.dbDir), ['journal.db'], 'no partial copy left beside it');
  const c = new Database(paths.journalDb, { readonly: true });
  assert.equal(c.prepare('SELECT count(*) FROM t').pluck().get(), 2, 'the current database is where it was');
  c.close();
  assert.ok(!fs.existsSync(paths.quarantineDir), 'nothing was moved aside');
});

test('the backup schedule prunes old daily backups with the retention rule after a new one verified', (t) => {
  const paths = tempDataPaths(t);
  fs.mkdirSync(paths.dbDir, { recursive: true });
  const db = openDb(paths.journalDb, { name: 'journal' });
  t.after(() => db.close());
  db.write(() => db.conn.exec('CREATE TABLE t (v); INSERT INTO t VALUES (1);'));
  const now = new Date('2026-11-26T03:00:00Z');
  const seed = backupDatabase(db, { backupsDir: paths.backupsDir, kind: 'daily', now: new Date(now.getTime() - 86_400_000 * 60) });
  for (let d = 59; d >= 2; d--) {
    const at = new Date(now.getTime() - d * 86_400_000)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.(\d{3})Z$/, '$1Z');
    fs.copyFileSync(seed.file, path.join(paths.backupsDir, `journal-${at}-daily.db`));
  }
  const schedule = startBackupSchedule(db, { backupsDir: paths.backupsDir, firstCheckMs: 3_600_000, clock: manualClock(now) });
  t.after(() => schedule.stop());
  const taken = schedule.runNow();
  assert.ok(taken?.verified, JSON.stringify(schedule.status()));
  const left = listBackups(paths.backupsDir);
  assert.ok(left.length <= 12, `${left.length} kept`);
  assert.equal(left[0]?.file, taken?.file);
  assert.ok(!left.some((b) => b.file === seed.file), 'the 60-day-old one went');
  assert.equal(schedule.status().pruned.length, 59 - left.length + 1);
});

test('backup refuses a data directory without a journal instead of creating and backing up an empty one', (t) => {
  const dataDir = path.join(tempDir(t), 'not-a-data-dir');
  const r = runCli(['backup', '--data-dir', dataDir]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error TL_DB_MISSING: There is no journal to back up/);
  assert.equal(fs.existsSync(dataDir), false, 'nothing was created');
  const made = runCli(['migrate', '--data-dir', dataDir]);
  assert.equal(made.status, 0, made.stderr);
  const ok = runCli(['backup', '--json', '--data-dir', dataDir]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal((JSON.parse(ok.stdout) as { files: { verified: boolean }[] }).files[0]?.verified, true);
});
