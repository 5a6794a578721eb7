import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { cleanEnv, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { requireTool, stageImage, walk } from './image.js';

// The image's start command and HEALTHCHECK, run outside Docker: /app is laid out from the Dockerfile (built dist/,
// production dependencies only), then ENTRYPOINT + CMD run as the image's unprivileged user from an empty data
// volume, exactly as `docker run` would, except that the server binds loopback (the healthcheck keeps the image's
// TRADELOG_HOST=0.0.0.0 and so also proves it reaches a wildcard bind through 127.0.0.1).

const root = process.getuid?.() === 0;
/** The unprivileged user the test drops to when it runs as root (stands in for the image's uid 1000). */
const APP = root ? { uid: 65534, gid: 65534 } : {};
const TOKEN = 'test-token-0123456789abcdef';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

function runHealthcheck(cmd: string[], env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync(cmd[0] as string, cmd.slice(1), { env, encoding: 'utf8', timeout: 30_000, ...APP });
}

test('image start command serves the built app, passes its HEALTHCHECK and exits 0 on SIGTERM leaving no -wal', async (t) => {
  if (!requireTool(t, 'tini', "the image's PID 1")) return;
  const image = stageImage(t);
  assert.ok(!fs.existsSync(path.join(image.appDir, 'src')), 'the image ships no sources');
  assert.ok(
    fs.existsSync(path.join(image.appDir, 'dist', 'db', 'migrations', 'journal', '0001_create_settings.sql')),
    'migrations are built',
  );
  assert.ok(!fs.existsSync(path.join(image.appDir, 'node_modules', 'typescript')), 'no dev dependency in the image');

  const data = path.join(tempDir(t), 'data');
  fs.mkdirSync(data, { mode: 0o750 });
  if (root) fs.chownSync(data, 65534, 65534); // a fresh named volume takes the owner of the image's /app/data
  const port = await freePort();
  const env = cleanEnv({
    ...image.env,
    TRADELOG_DATA_DIR: data,
    TRADELOG_PORT: String(port),
    TRADELOG_AUTH_TOKEN: TOKEN,
    TINI_SUBREAPER: '1',
  });

  const before = runHealthcheck(image.healthcheck, env);
  assert.equal(before.status, 1, 'unhealthy while nothing listens');
  assert.match(before.stdout, /unhealthy: .* did not answer/);

  const [cmd, ...args] = [...image.entrypoint, ...image.cmd];
  const child = spawn(cmd as string, args, { env: { ...env, TRADELOG_HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'], ...APP });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  // Docker runs the healthcheck every interval until it passes; here every 250 ms, for at most 60 s (or until the
  // server exits).
  const health = await waitFor(
    'the healthcheck to pass',
    () => {
      const h = runHealthcheck(image.healthcheck, env);
      return h.status === 0 || child.exitCode !== null ? h : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  assert.equal(health.status, 0, `healthcheck: ${health.stdout}${health.stderr}\nserver output:\n${output}`);
  assert.match(health.stdout, /healthy: http:\/\/127\.0\.0\.1:\d+\/health answered 200/);

  const journal = path.join(data, 'db', 'journal.db');
  assert.ok(fs.existsSync(`${journal}-wal`), 'the running app has its journal open in WAL mode');

  child.kill('SIGTERM');
  const code = await exited;
  assert.equal(code, 0, output);
  for (const f of [`${journal}-wal`, `${journal}-shm`, path.join(data, 'db', 'market.db-wal')]) {
    assert.ok(!fs.existsSync(f), `${path.basename(f)} is gone after SIGTERM:\n${output}`);
  }

  // The migrations shipped in dist/ ran: the settings table of journal 0001 exists.
  const db = new Database(journal, { readonly: true });
  try {
    assert.ok((db.pragma('user_version', { simple: true }) as number) >= 1);
    assert.ok(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'settings'").get());
  } finally {
    db.close();
  }

  // Everything the app created belongs to its user and is closed to others (the entrypoint's umask 027).
  for (const [rel, st] of walk(data)) {
    if (root) assert.deepEqual([st.uid, st.gid], [65534, 65534], `owner of data/${rel}`);
    assert.equal(st.mode & 0o007, 0, `data/${rel} mode ${(st.mode & 0o777).toString(8)} gives others no access`);
  }
});

test('image healthcheck reports the finding and exits 1 when /health answers 503', async (t) => {
  const tokenFile = path.join(tempDir(t), 'token');
  fs.writeFileSync(tokenFile, `${TOKEN}\n`);
  let authorization: string | undefined;
  const server = http.createServer((req, res) => {
    authorization = req.headers.authorization;
    res.writeHead(req.url === '/health' ? 503 : 404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        status: 'degraded',
        findings: [{ code: 'TL_DB_READONLY', severity: 'degraded', message: 'db is owned by uid 0', remedy: 'chown 1000:1000 db' }],
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const script = path.join(ROOT, 'docker', 'healthcheck.mjs');
  const r = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [script], {
      env: cleanEnv({ TRADELOG_HOST: '0.0.0.0', TRADELOG_PORT: String(port), TRADELOG_AUTH_TOKEN_FILE: tokenFile }),
    });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.on('close', (status) => resolve({ status, stdout }));
  });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /answered 503: degraded TL_DB_READONLY: db is owned by uid 0 Fix: chown 1000:1000 db/);
  assert.equal(authorization, `Bearer ${TOKEN}`);
});
