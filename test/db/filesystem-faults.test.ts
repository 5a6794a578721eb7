import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { dataPaths } from '../../src/config.js';
import { headerJournalMode } from '../../src/db/open.js';
import { openStore } from '../../src/db/store.js';
import { ROOT } from '../helpers/cli.js';
import { forUser } from '../helpers/code-root.js';
import { ACTOR, APP, actor, chownR, codes, doctor, need, needRoot, startServer } from '../helpers/faults.js';
import { tempDir } from '../helpers/tmp.js';

// storage-reliability.md §(d) T9–T11: a file-size limit, a full disk, a filesystem without shared mmap.

const DB_WRITE = path.join(ROOT, 'test/helpers/actors/db-write.ts');

/** A 0755 temp dir for a mount: unmounted (lazily, in case a child still has a file open) before it is removed. */
function mountDir(t: { after: (fn: () => void) => void }, mounted: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-mount-'));
  fs.chmodSync(dir, 0o755);
  t.after(() => {
    for (const m of mounted) spawnSync('umount', ['-l', m]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function dbWrite(file: string, bytes: number, prefix: string[] = []): Record<string, unknown> {
  const { args: argv, cwd } = forUser(APP.uid, [...prefix, process.execPath, '--import', 'tsx', DB_WRITE, file, String(bytes)]);
  const r = spawnSync(argv[0] as string, argv.slice(1), { cwd, uid: APP.uid, gid: APP.gid, encoding: 'utf8', timeout: 60_000 });
  try {
    return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
  } catch {
    throw new Error(`db-write failed (${r.status}, ${r.signal}): ${r.stderr}${r.stdout}`);
  }
}

/** A data dir with both databases, owned by the app user, under `root`. */
function dataDirIn(root: string) {
  const paths = dataPaths(path.join(root, 'data'));
  fs.mkdirSync(paths.dataDir, { recursive: true });
  openStore(paths).close();
  chownR(root, APP.uid, APP.gid);
  return paths;
}

test('T9 a write past the file-size limit fails with SQLITE_IOERR_WRITE, surfaced as TL_DB_IO_ERROR; the database stays intact', (t) => {
  if (!needRoot(t) || !need(t, has('prlimit'), 'prlimit (util-linux) is not installed')) return;
  const paths = dataDirIn(tempDir(t));
  assert.deepEqual(dbWrite(paths.journalDb, 1000), { ok: true, rows: 1 });
  const limited = dbWrite(paths.journalDb, 2_000_000, ['prlimit', '--fsize=1048576']);
  assert.equal(limited.code, 'TL_DB_IO_ERROR', JSON.stringify(limited));
  assert.equal(limited.sqliteCode, 'SQLITE_IOERR_WRITE');
  assert.equal(limited.rows, 1, 'the failed transaction left nothing behind');
  assert.deepEqual(dbWrite(paths.journalDb, 1000), { ok: true, rows: 2 }, 'a fresh process writes again');
  assert.equal(actor(paths.journalDb, ['open', 'close']).close, 'ok');
  assert.equal(doctor(paths).report.status, 'ok');
});

test('T10 disk full: SQLITE_FULL on write, then 100 % full makes even reads fail; doctor and serve say so; nothing lost', async (t) => {
  if (!needRoot(t)) return;
  const mounts: string[] = [];
  const dir = mountDir(t, mounts);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]).status === 0;
  if (!need(t, mounted, 'mount -t tmpfs was refused (no CAP_SYS_ADMIN)')) return;
  mounts.push(dir);
  fs.chmodSync(dir, 0o755);
  const paths = dataDirIn(dir);
  assert.deepEqual(dbWrite(paths.journalDb, 1000), { ok: true, rows: 1 });

  // Fill the filesystem, then give back 256 KiB: small writes fit, a 1 MB one does not.
  const pad = path.join(dir, 'pad');
  const fd = fs.openSync(pad, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'ENOSPC');
  }
  fs.closeSync(fd);
  fs.truncateSync(pad, fs.statSync(pad).size - 256 * 1024);
  const full = dbWrite(paths.journalDb, 1_000_000);
  assert.equal(full.code, 'TL_DB_DISK_FULL', JSON.stringify(full));
  assert.equal(full.sqliteCode, 'SQLITE_FULL');
  assert.equal(full.rows, 1);
  assert.ok(codes(doctor(paths).report).includes('TL_DB_DISK_LOW'));

  // 100 % full, no -shm on disk (clean close): a WAL database can't even be read.
  const fd2 = fs.openSync(pad, 'a');
  try {
    for (;;) fs.writeSync(fd2, Buffer.alloc(4096, 1));
  } catch {
    // full
  }
  fs.closeSync(fd2);
  assert.ok(!fs.existsSync(`${paths.journalDb}-shm`));
  assert.equal(actor(paths.journalDb, ['open', 'read']).read, 'SQLITE_IOERR_SHMSIZE');
  const { status, report } = doctor(paths);
  assert.equal(status, 2);
  const f = report.findings.find((x) => x.code === 'TL_DB_DISK_FULL');
  assert.equal(f?.severity, 'fatal', JSON.stringify(report.findings));
  assert.match(f?.message ?? '', /Disk full: 0 bytes left/);
  const server = await startServer(t, paths);
  const page = await server.get('/');
  assert.equal(page.status, 503);
  assert.equal((page.json() as { error: { code: string } }).error.code, 'TL_DB_DISK_FULL');
  assert.equal((await server.stop()).code, 0);

  // Space back: everything works and nothing was lost.
  fs.rmSync(pad);
  assert.equal(doctor(paths).report.status, 'ok');
  assert.deepEqual(dbWrite(paths.journalDb, 1_000_000), { ok: true, rows: 2 });
});

test('T11 no shared mmap (bindfs direct_io): WAL fails with SHMMAP; repair and start convert to rollback mode keeping every row', async (t) => {
  if (!needRoot(t)) return;
  if (!need(t, has('bindfs') && fs.existsSync('/dev/fuse'), 'bindfs or /dev/fuse is not available (apt-get install bindfs)')) return;
  const mounts: string[] = [];
  const root = mountDir(t, mounts);
  const src = path.join(root, 'src');
  const mnt = path.join(root, 'mnt');
  fs.mkdirSync(src, { mode: 0o755 });
  fs.mkdirSync(mnt, { mode: 0o755 });
  // Two data dirs (one for --repair, one for start-up), each with 100 transactions left in journal.db's -wal.
  const a = dataDirIn(path.join(src, 'a'));
  const b = dataDirIn(path.join(src, 'b'));
  for (const p of [a, b]) {
    assert.equal(actor(p.journalDb, ['open', 'create', 'write', 'write', 'write', 'close']).close, 'ok');
    const run = forUser(APP.uid, [ACTOR, p.journalDb, 'open', 'fill:100', 'kill']);
    const r = spawnSync(process.execPath, run.args, { cwd: run.cwd, uid: APP.uid, gid: APP.gid });
    assert.equal(r.signal, 'SIGKILL');
  }
  chownR(src, APP.uid, APP.gid);
  const mount = spawnSync('bindfs', ['-o', 'direct_io', src, mnt], { encoding: 'utf8' });
  if (!need(t, mount.status === 0, `bindfs mount failed: ${mount.stderr}`)) return;
  mounts.push(mnt);
  const ma = dataPaths(path.join(mnt, 'a', 'data'));
  const mb = dataPaths(path.join(mnt, 'b', 'data'));

  assert.equal(actor(ma.journalDb, ['open', 'read']).read, 'SQLITE_IOERR_SHMMAP');

  const checked = doctor(ma);
  assert.equal(checked.status, 0, JSON.stringify(checked.report.findings));
  assert.ok(codes(checked.report, 'warn').includes('TL_DB_NO_SHARED_MEMORY'));
  assert.ok(codes(checked.report, 'warn').includes('TL_DB_RISKY_FILESYSTEM'));

  const repair = doctor(ma, ['--repair']);
  assert.equal(repair.status, 0, JSON.stringify(repair.report));
  const converted = repair.report.actions.filter((x) => x.code === 'TL_REPAIR_CONVERT_JOURNAL');
  assert.equal(converted.length, 2, JSON.stringify(repair.report.actions));
  assert.ok(converted.every((x) => x.ok));
  assert.equal(headerJournalMode(ma.journalDb), 'delete');
  const after = actor(ma.journalDb, ['open', 'jm', 'read', 'write', 'read']);
  assert.deepEqual([after.jm, after.read, after.write], ['delete', 104, 'ok'], 'rollback mode reads and writes; all 103 rows kept');

  // Start-up does the same conversion by itself.
  const server = await startServer(t, mb, { kind: 'actor' });
  const health = await server.get('/health');
  assert.equal(health.status, 200, health.body);
  assert.equal((health.json() as { journalMode: string }).journalMode, 'delete');
  assert.equal((await server.post('/test/settings/x')).status, 200);
  assert.equal((await server.stop()).code, 0);
  assert.equal(actor(mb.journalDb, ['open', 'read']).read, 103);
});
