import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { APP, appDataDir, chownR, doctor, needRoot, rootFile, rowCount, startServer } from '../helpers/faults.js';
import { waitFor } from '../helpers/wait.js';

// What a running server does when storage breaks under it, and with an unwritable log file (T13).

test('serve flips to degraded when a write fails with SQLITE_READONLY_DIRECTORY at run time, and keeps serving reads', async (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t);
  const server = await startServer(t, paths, { kind: 'actor', env: { JOURNAL_MODE: 'delete' } });
  assert.equal((await server.get('/health')).status, 200);
  assert.equal((await server.post('/test/settings/a')).status, 200);

  // Someone chowns the database directory to root while the app runs (rollback mode creates a -journal per write).
  fs.chownSync(paths.dbDir, 0, 0);
  fs.chmodSync(paths.dbDir, 0o755);
  const refused = await server.post('/test/settings/b');
  assert.equal(refused.status, 503);
  const err = (refused.json() as { error: { code: string; message: string; remedy: string } }).error;
  assert.equal(err.code, 'TL_DB_DIR_NOT_WRITABLE');
  assert.match(err.message, /not writable by uid 65534/);
  const health = await server.get('/health');
  assert.equal(health.status, 503);
  const body = health.json() as { status: string; findings: { code: string; severity: string }[] };
  assert.equal(body.status, 'degraded');
  assert.ok(body.findings.some((f) => f.code === 'TL_DB_DIR_NOT_WRITABLE' && f.severity === 'degraded'));
  const read = await server.get('/test/settings');
  assert.equal(read.status, 200);
  assert.deepEqual(Object.keys(read.json() as object), ['a']);
  assert.equal((await server.stop()).code, 0);
  assert.equal(rowCount(paths.journalDb, 'settings'), 1);
});

for (const variant of ['root-owned app.log 0644', 'root-owned log directory 0755'] as const) {
  test(`T13 serve stays up on stdout with a warning when the log file is unwritable (${variant}), exit 0 on SIGTERM`, async (t) => {
    if (!needRoot(t)) return;
    const paths = appDataDir(t);
    const logDir = path.join(paths.dataDir, 'logs');
    fs.mkdirSync(logDir, { mode: 0o755 });
    const logFile = path.join(logDir, 'app.log');
    if (variant === 'root-owned app.log 0644') rootFile(logFile, 0, 0o644);
    const env = { TRADELOG_LOG_FILE: logFile };

    const server = await startServer(t, paths, { env });
    const health = await server.get('/health');
    assert.equal(health.status, 200, health.body);
    const warn = (health.json() as { findings: { code: string; severity: string; message: string }[] }).findings.find(
      (f) => f.code === 'TL_LOG_FILE_UNWRITABLE',
    );
    assert.equal(warn?.severity, 'warn');
    assert.match(warn?.message ?? '', /EACCES/);
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
    const { stdout, stderr } = server.output();
    assert.match(stdout, /"msg":"tradelog listening on/, 'logs went to stdout');
    assert.match(stdout, /"msg":"shutting down"/);
    assert.doesNotMatch(stderr, /Unhandled|uncaught|EACCES: permission denied, open/i);
    assert.equal(fs.existsSync(logFile) ? fs.statSync(logFile).size : 0, 0);

    const checked = doctor(paths, [], { env });
    assert.equal(checked.status, 0);
    assert.equal(checked.report.findings.find((f) => f.code === 'TL_LOG_FILE_UNWRITABLE')?.severity, 'warn');
  });
}

test('serve checks market.db after its first answer, not before: a damaged market.db turns /health degraded then', async (t) => {
  if (!needRoot(t)) return;
  const paths = appDataDir(t);
  const conn = new Database(paths.marketDb);
  conn.pragma('journal_mode = DELETE');
  conn.exec('CREATE TABLE bars_test (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX bars_test_v ON bars_test (v);');
  const ins = conn.prepare('INSERT INTO bars_test (v) VALUES (?)');
  conn.transaction(() => {
    for (let i = 0; i < 5000; i++) ins.run(`bar ${i} ${'y'.repeat(50)}`);
  })();
  conn.close();
  // A page in the middle of the file scribbled over (page 1, the header, stays intact).
  const fd = fs.openSync(paths.marketDb, 'r+');
  fs.writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 4096 * 20);
  fs.closeSync(fd);
  chownR(paths.dataDir, APP.uid, APP.gid);

  const server = await startServer(t, paths);
  const first = await server.get('/health');
  assert.equal(first.status, 200, `the start did not wait for market.db's check: ${first.body}`);
  const later = await waitFor('/health to report the damaged market.db', async () => {
    const h = await server.get('/health');
    return h.status === 503 ? h : undefined;
  });
  const body = later.json() as { status: string; findings: { code: string; path?: string }[] };
  assert.equal(body.status, 'degraded');
  assert.ok(
    body.findings.some((f) => f.code === 'TL_DB_CORRUPT' && f.path === paths.marketDb),
    later.body,
  );
  assert.equal((await server.stop()).code, 0);
});
