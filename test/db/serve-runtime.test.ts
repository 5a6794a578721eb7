import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { appDataDir, doctor, needRoot, rootFile, rowCount, startServer } from '../helpers/faults.js';

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
