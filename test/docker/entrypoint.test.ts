import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, type TestContext, test } from 'node:test';
import { cleanEnv } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { type StagedImage, stageImage, walk } from './image.js';

// docker/entrypoint.sh run as root against a temp dir standing in for the data volume, with the image's /app laid
// out from the Dockerfile (test/docker/image.ts) so `tradelog` on PATH is the built app, as in the container.
// PUID/PGID 65534 (nobody) stand in for the host user a bind mount belongs to.

const PUID = 65534;
const PGID = 65534;
const root = process.getuid?.() === 0;

// Built once for this file, on first use, and removed when the file's tests end.
let staged: StagedImage | undefined;
const cleanups: (() => void)[] = [];
after(() => {
  for (const fn of cleanups) fn();
});
function image(): StagedImage {
  staged ??= stageImage({ after: (fn: () => void) => cleanups.push(fn) });
  return staged;
}

function needsRoot(t: TestContext): boolean {
  if (root) return true;
  if (process.env.CI === 'true') throw new Error('the entrypoint tests run as root (chown, setpriv); CI runs as root');
  t.skip('needs root: the entrypoint changes owners and drops privileges');
  return false;
}

function entrypoint(img: StagedImage): string {
  return img.entrypoint[img.entrypoint.indexOf('--') + 1] as string;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runEntrypoint(
  img: StagedImage,
  data: string,
  command: string[],
  env: Record<string, string>,
  as: { uid?: number; gid?: number } = {},
): Run {
  const r = spawnSync(entrypoint(img), command, {
    env: cleanEnv({ ...img.env, TRADELOG_DATA_DIR: data, ...env }),
    encoding: 'utf8',
    timeout: 120_000,
    ...as,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `tradelog …` as the app user, outside the entrypoint. */
function tradelog(img: StagedImage, data: string, args: string[], as: { uid?: number; gid?: number } = { uid: PUID, gid: PGID }): Run {
  const r = spawnSync(path.join(img.appDir, 'bin', 'tradelog'), args, {
    env: cleanEnv({ ...img.env, TRADELOG_DATA_DIR: data }),
    encoding: 'utf8',
    timeout: 120_000,
    ...as,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertDoctorAvailable(img: StagedImage): void {
  const r = tradelog(img, '/nonexistent', ['--help'], {});
  assert.match(
    r.stdout,
    /^\s+doctor\b/m,
    `tradelog doctor is not a command of this build (it comes with the storage work), so the entrypoint cannot run its repairs:\n${r.stdout}`,
  );
}

/**
 * The state the old image left in its volume: the database and logs created by root (a command run as root in the
 * container), the old app's stray sidecars (root, mode 777), beside files that already belong to the app's user,
 * and a symlink pointing out of the volume (its target must never change owner).
 */
function seedVolume(t: TestContext, img: StagedImage): { dir: string; data: string; outside: string } {
  const dir = tempDir(t);
  const data = path.join(dir, 'data');
  fs.mkdirSync(data, { mode: 0o755 });
  const migrated = tradelog(img, data, ['migrate'], {});
  assert.equal(migrated.status, 0, `tradelog migrate as root: ${migrated.stderr}`);
  const db = path.join(data, 'db');
  fs.writeFileSync(path.join(db, 'futures_trades.db-shm'), Buffer.alloc(32768));
  fs.writeFileSync(path.join(db, 'futures_trades.db-wal'), '');
  for (const f of ['futures_trades.db-shm', 'futures_trades.db-wal']) fs.chmodSync(path.join(db, f), 0o777);
  fs.mkdirSync(path.join(data, 'logs'), { mode: 0o755 });
  fs.writeFileSync(path.join(data, 'logs', 'app.log'), 'INFO old app started\n', { mode: 0o644 });
  const imp = path.join(data, 'import');
  fs.mkdirSync(imp, { mode: 0o750 });
  fs.writeFileSync(path.join(imp, 'mine.csv'), 'Instrument,Action\n', { mode: 0o640 });
  fs.chownSync(imp, PUID, PGID);
  fs.chownSync(path.join(imp, 'mine.csv'), PUID, PGID);
  fs.writeFileSync(path.join(imp, 'roots.csv'), 'Instrument,Action\n', { mode: 0o644 });
  const outside = path.join(dir, 'outside.txt');
  fs.writeFileSync(outside, 'not part of the volume\n', { mode: 0o644 });
  fs.symlinkSync(outside, path.join(data, 'link-out'));
  return { dir, data, outside };
}

const WHOAMI = ['sh', '-c', 'echo "uid=$(id -u) gid=$(id -g) groups=$(id -G) umask=$(umask)"; : > "$TRADELOG_DATA_DIR/written-by-command"'];

test('entrypoint as root hands the volume to PUID:PGID, repairs with doctor and runs the command as that user', (t) => {
  if (!needsRoot(t)) return;
  const img = image();
  assertDoctorAvailable(img);
  const { data, outside } = seedVolume(t, img);
  const before = walk(data);
  const foreign = [...before].filter(([, st]) => st.uid !== PUID || st.gid !== PGID).map(([rel]) => rel);
  assert.ok(foreign.length >= 8, `root-owned entries to fix: ${foreign.join(', ')}`);

  const r = runEntrypoint(img, data, WHOAMI, { PUID: String(PUID), PGID: String(PGID) });
  assert.equal(r.status, 0, r.stderr);
  // stdout is the command's alone (the doctor reports on stderr), so `run … --json > file` stays valid JSON.
  assert.equal(r.stdout, `uid=${PUID} gid=${PGID} groups=${PGID} umask=0027\n`);
  assert.match(r.stderr, new RegExp(`changed the owner of ${foreign.length} entries under .* to ${PUID}:${PGID}`));
  assert.match(r.stderr, /removed world-write permission from 2 entries/);
  assert.match(r.stderr, new RegExp(`running tradelog doctor --repair as ${PUID}:${PGID}`));

  const after = walk(data);
  for (const [rel, st] of after) {
    assert.deepEqual([st.uid, st.gid], [PUID, PGID], `owner of data/${rel}`);
    if (!st.isSymbolicLink()) assert.equal(st.mode & 0o002, 0, `data/${rel} is not world-writable`);
  }
  // Only entries whose owner differed were touched: the user's own file kept its inode change time.
  assert.equal(after.get('import/mine.csv')?.ctimeMs, before.get('import/mine.csv')?.ctimeMs);
  // The symlink itself changed owner, never its target outside the volume.
  assert.equal(fs.statSync(outside).uid, 0);
  // The command ran as the user with the image's umask: its file is 0640.
  assert.equal((after.get('written-by-command')?.mode ?? 0) & 0o777, 0o640);

  // The doctor (as the user) moved the old app's stray sidecars into quarantine/, deleting nothing.
  assert.ok(!fs.existsSync(path.join(data, 'db', 'futures_trades.db-shm')), 'stray -shm left db/');
  assert.ok(!fs.existsSync(path.join(data, 'db', 'futures_trades.db-wal')), 'stray -wal left db/');
  const quarantined = [...after.keys()].filter((rel) => rel.startsWith('quarantine/')).map((rel) => path.basename(rel));
  for (const f of ['futures_trades.db-shm', 'futures_trades.db-wal']) {
    assert.ok(
      quarantined.some((q) => q.includes(f)),
      `${f} in quarantine/: ${quarantined.join(', ')}`,
    );
  }
  // And the data directory now passes the doctor as the app's user.
  const doctor = tradelog(img, data, ['doctor', '--json']);
  const report = JSON.parse(doctor.stdout) as { status: string; findings: { code: string; message: string }[] };
  assert.equal(report.status, 'ok', JSON.stringify(report.findings, null, 2));
  assert.equal(doctor.status, 0);
});

test('entrypoint as root changes nothing when run a second time', (t) => {
  if (!needsRoot(t)) return;
  const img = image();
  assertDoctorAvailable(img);
  const { data } = seedVolume(t, img);
  const first = runEntrypoint(img, data, ['true'], { PUID: String(PUID), PGID: String(PGID) });
  assert.equal(first.status, 0, first.stderr);
  const before = walk(data);

  const second = runEntrypoint(img, data, ['true'], { PUID: String(PUID), PGID: String(PGID) });
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stderr, new RegExp(`everything under .* already belongs to ${PUID}:${PGID}; nothing to change`));
  assert.doesNotMatch(second.stderr, /changed the owner|removed world-write/);
  const after = walk(data);
  // The doctor may write inside db/ (its probes, a checkpoint); nothing else may change at all.
  const outsideDb = (m: Map<string, fs.Stats>) => [...m.keys()].filter((rel) => rel !== 'db' && !rel.startsWith('db/'));
  assert.deepEqual(outsideDb(after), outsideDb(before));
  for (const [rel, st] of after) {
    const was = before.get(rel);
    if (!was) continue;
    assert.deepEqual([st.uid, st.gid, st.mode], [was.uid, was.gid, was.mode], `owner and mode of data/${rel}`);
    if (rel === '' || rel === 'db' || rel.startsWith('db/')) continue;
    assert.deepEqual([st.mtimeMs, st.ctimeMs], [was.mtimeMs, was.ctimeMs], `data/${rel} untouched`);
  }
});

/**
 * Makes chown under `data` fail: a read-only bind mount of it (preferred), else an immutable file. `undo` must run
 * before the directory is removed.
 */
function refuseChown(dir: string, data: string): { path: string; how: string; undo: () => void } | undefined {
  const ro = path.join(dir, 'ro');
  fs.mkdirSync(ro);
  if (spawnSync('mount', ['--bind', data, ro]).status === 0) {
    const undo = () => spawnSync('umount', [ro]);
    if (spawnSync('mount', ['-o', 'remount,bind,ro', ro]).status === 0) return { path: ro, how: 'read-only', undo };
    undo();
  }
  const victim = path.join(data, 'logs', 'app.log');
  if (spawnSync('chattr', ['+i', victim]).status === 0)
    return { path: data, how: 'immutable', undo: () => spawnSync('chattr', ['-i', victim]) };
  return undefined;
}

test('entrypoint as root stops with TL_DOCKER_CHOWN_FAILED and exit 78 when the volume is a read-only mount', (t) => {
  if (!needsRoot(t)) return;
  const img = image();
  // Not tempDir(): the mount must be undone before the directory is removed, in this order.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-test-'));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  fs.mkdirSync(path.join(data, 'logs'), { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(data, 'logs', 'app.log'), 'x\n');
  const refused = refuseChown(dir, data);
  t.after(() => {
    refused?.undo();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  if (!refused) {
    if (process.env.CI === 'true') throw new Error('neither mount --bind -o ro nor chattr +i works here');
    t.skip('cannot make chown fail here (mount and chattr refused)');
    return;
  }
  const marker = path.join(dir, 'command-ran');
  const r = runEntrypoint(img, refused.path, ['sh', '-c', `: > ${marker}`], { PUID: String(PUID), PGID: String(PGID) });
  assert.equal(r.status, 78, r.stderr);
  assert.match(r.stderr, /entrypoint: error TL_DOCKER_CHOWN_FAILED: Cannot change the owner of \d+ of \d+ entries under .* to 65534:65534/);
  assert.match(r.stderr, refused.how === 'read-only' ? /Read-only file system/ : /Operation not permitted/);
  if (refused.how === 'read-only') assert.match(r.stderr, /fix: The data directory is on a read-only mount: mount it read-write/);
  else assert.match(r.stderr, /fix: On the host, give the directory to the app's user: sudo chown -R 65534:65534/);
  assert.match(r.stderr, /Never chmod 777/);
  // It stopped there: no doctor, no command, no retry.
  assert.doesNotMatch(r.stderr, /running tradelog doctor/);
  assert.ok(!fs.existsSync(marker), 'the command did not run');
  assert.equal(r.stderr.match(/TL_DOCKER_CHOWN_FAILED/g)?.length, 1);
});

test('entrypoint as root refuses PUID/PGID 0 or non-numbers with TL_DOCKER_BAD_ID and exit 78', (t) => {
  if (!needsRoot(t)) return;
  const img = image();
  const data = path.join(tempDir(t), 'data');
  for (const ids of [
    { PUID: '0', PGID: '1000' },
    { PUID: '1000', PGID: 'staff' },
    { PUID: '-1', PGID: '1000' },
  ]) {
    const r = runEntrypoint(img, data, ['true'], ids);
    assert.equal(r.status, 78, JSON.stringify(ids));
    assert.match(r.stderr, /error TL_DOCKER_BAD_ID: .*must be numbers above 0/);
    assert.ok(!fs.existsSync(data), 'nothing was created');
  }
});

test('entrypoint as a non-root user runs doctor and the command as itself and ignores PUID/PGID with a warning', (t) => {
  if (!needsRoot(t)) return; // to start it as another user
  const img = image();
  assertDoctorAvailable(img);
  const dir = tempDir(t);
  const data = path.join(dir, 'data');
  fs.mkdirSync(data, { mode: 0o750 });
  fs.chownSync(data, PUID, PGID);
  fs.writeFileSync(path.join(data, 'root-file'), 'x\n');
  const r = runEntrypoint(img, data, WHOAMI, { PUID: '1234', PGID: '1234' }, { uid: PUID, gid: PGID });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`uid=${PUID} gid=${PGID}`));
  assert.match(
    r.stderr,
    /warning TL_DOCKER_PUID_IGNORED: PUID\/PGID \(1234:1234\) apply only when the container starts as root; running as 65534:65534/,
  );
  assert.match(r.stderr, /running tradelog doctor --repair as 65534:65534/);
  assert.doesNotMatch(r.stderr, /changed the owner/);
  assert.equal(fs.statSync(path.join(data, 'root-file')).uid, 0, 'a non-root entrypoint changes no owner');
  assert.match(r.stderr, /checks judged for uid 65534/, 'the doctor ran as the user');
});
