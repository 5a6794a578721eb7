import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BIN, cleanEnv } from '../helpers/cli.js';
import { APP, appDataDir, needRoot, spawnUntil, startServer, tradelog } from '../helpers/faults.js';

// `serve` on a data directory: the first start on a new one reports ok once it created the databases (issue 9
// §3.4), and one server per data directory: a second is refused naming the first, a killed one never blocks the
// next start (§3.10). Real server processes as the app user (uid 65534).

test('the first start on a new data directory creates the databases and then /health and /status say ok, not "does not exist yet"', async (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t, { create: false });
  const server = await startServer(t, paths);
  const health = await server.get('/health');
  assert.equal(health.status, 200);
  const body = health.json() as { status: string; findings: { code: string }[] };
  assert.equal(body.status, 'ok');
  assert.deepEqual(
    body.findings.map((f) => f.code),
    [],
  );
  assert.doesNotMatch(health.body, /does not exist/);
  const status = await server.get('/status');
  assert.equal(status.status, 200);
  assert.doesNotMatch(status.body, /does not exist yet|TL_DB_MISSING/);
  assert.match(status.body, /No findings/);
  assert.ok(fs.existsSync(paths.journalDb) && fs.existsSync(paths.marketDb));
  assert.equal((await server.stop()).code, 0);
});

test('a second serve on the same data directory exits 2 naming the first; read-only commands keep working beside it', async (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t);
  const first = await startServer(t, paths);

  const second = tradelog(['serve', '--port', '0', '--data-dir', paths.dataDir]);
  assert.equal(second.status, 2, second.stderr);
  assert.match(
    second.stderr,
    new RegExp(
      `^error TL_WEB_ALREADY_RUNNING: Another tradelog server is already running on ${paths.dataDir}: pid ${first.pid} \\(\\S*node \\S*bin/tradelog serve --port 0 --data-dir ${paths.dataDir}\\), started \\d{4}-`,
      'm',
    ),
  );
  assert.match(second.stderr, /^fix: .*stop it first/m);
  assert.doesNotMatch(second.stdout, /listening/, 'it never listened');
  assert.equal((await first.get('/health')).status, 200, 'the first server is untouched');

  for (const args of [['positions'], ['stats'], ['ohlc', 'coverage'], ['backups'], ['doctor']]) {
    const r = tradelog([...args, '--json', '--data-dir', paths.dataDir]);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    JSON.parse(r.stdout);
  }
  assert.equal((await first.stop()).code, 0);
  // Stopped cleanly: the next start takes the directory.
  const again = await startServer(t, paths);
  assert.equal((await again.get('/health')).status, 200);
  assert.equal((await again.stop()).code, 0);
});

test('a server killed with SIGKILL leaves nothing that blocks the next start; a stale serve.pid naming a live process does not either', async (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t);
  const first = await startServer(t, paths);
  const pidFile = path.join(paths.dbDir, 'serve.pid');
  assert.equal((JSON.parse(fs.readFileSync(pidFile, 'utf8')) as { pid: number }).pid, first.pid);
  assert.equal((await first.stop('SIGKILL')).signal, 'SIGKILL');
  assert.ok(fs.existsSync(path.join(paths.dbDir, 'serve.lock')) && fs.existsSync(pidFile), 'left behind by the kill');

  const next = await startServer(t, paths);
  assert.equal((await next.get('/health')).status, 200, 'started without any repair');
  assert.equal((JSON.parse(fs.readFileSync(pidFile, 'utf8')) as { pid: number }).pid, next.pid);
  assert.equal((await next.stop()).code, 0);
  assert.ok(!fs.existsSync(pidFile), 'a clean stop removes serve.pid');

  // The pid of a dead server reused by another, live process (here: this test) means nothing.
  fs.writeFileSync(
    pidFile,
    JSON.stringify({ pid: process.pid, hostname: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', command: 'node x' }),
  );
  const third = await startServer(t, paths);
  assert.equal((await third.get('/health')).status, 200);
  assert.equal((await third.stop()).code, 0);
});

test('two servers started at the same instant on one data directory: exactly one runs', async (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t);
  const start = () =>
    spawnUntil([BIN, 'serve', '--port', '0', '--data-dir', paths.dataDir], '"address"', { uid: APP.uid, env: cleanEnv() });
  const both = [start(), start()];
  t.after(() => {
    for (const s of both) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  });
  const outcomes = await Promise.all(
    both.map((s) =>
      s.ready.then(
        () => 'running',
        async () => `exited ${(await s.exited).code}`,
      ),
    ),
  );
  assert.deepEqual([...outcomes].sort(), ['exited 2', 'running'].sort());
  const loser = both[outcomes.indexOf('exited 2')];
  assert.match(loser?.output().stderr ?? '', /TL_WEB_ALREADY_RUNNING/);
  const winner = both[outcomes.indexOf('running')];
  winner?.child.kill('SIGTERM');
  assert.equal((await winner?.exited)?.code, 0);
});
