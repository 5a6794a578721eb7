import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { cleanEnv, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { requireTool } from './image.js';

// docker-compose.yml checked by Compose itself: `docker-compose config` (Debian's docker-compose, which validates
// and interpolates without a container engine) in a temp project directory with a given .env.

const composeText = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
const envExample = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
const TOKEN = 'c0ffee-token-0123456789abcdef';

interface Service {
  user?: string;
  restart?: string;
  stop_grace_period?: string;
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  build?: { context: string };
}
interface Config {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

function composeConfig(
  t: TestContext,
  env: string | undefined,
  compose = composeText,
): { status: number | null; stderr: string; config?: Config } {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'docker-compose.yml'), compose);
  if (env !== undefined) fs.writeFileSync(path.join(dir, '.env'), env);
  // No variable of this process may leak into the interpolation: only .env counts.
  const base = cleanEnv();
  for (const k of ['PUID', 'PGID', 'COMPOSE_FILE', 'COMPOSE_PROJECT_NAME']) delete base[k];
  const r = spawnSync('docker-compose', ['config'], { cwd: dir, env: base, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return { status: r.status, stderr: r.stderr };
  // docker-compose prints YAML; its own Python (with PyYAML, which it depends on) turns it into JSON.
  const bin = spawnSync('sh', ['-c', 'command -v docker-compose'], { encoding: 'utf8' }).stdout.trim();
  const python = /^#!\s*(\S+)/.exec(fs.readFileSync(bin, 'utf8').split('\n')[0] ?? '')?.[1] ?? 'python3';
  const json = spawnSync(python, ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], {
    input: r.stdout,
    encoding: 'utf8',
  });
  assert.equal(json.status, 0, json.stderr);
  return { status: 0, stderr: r.stderr, config: JSON.parse(json.stdout) as Config };
}

function withToken(example: string, token: string): string {
  return example.replace(/^TRADELOG_AUTH_TOKEN=.*$/m, `TRADELOG_AUTH_TOKEN=${token}`);
}

test('docker-compose.yml refuses to start without TRADELOG_AUTH_TOKEN when .env is missing or copied unchanged', (t) => {
  if (!requireTool(t, 'docker-compose', 'validates docker-compose.yml')) return;
  for (const env of [undefined, envExample]) {
    const r = composeConfig(t, env);
    assert.notEqual(r.status, 0, `compose started with .env ${env === undefined ? 'missing' : 'from .env.example'}`);
    assert.match(r.stderr, /set TRADELOG_AUTH_TOKEN in \.env \(cp \.env\.example \.env/);
  }
});

test('docker-compose.yml publishes on loopback only, keeps data in a named volume and gives tradelog 30 s to stop', (t) => {
  if (!requireTool(t, 'docker-compose', 'validates docker-compose.yml')) return;
  const r = composeConfig(t, withToken(envExample, TOKEN));
  assert.equal(r.status, 0, r.stderr);
  const svc = r.config?.services.tradelog;
  assert.ok(svc, 'service tradelog');
  assert.equal(svc.user, undefined, 'runs as the image user (uid 1000) by default');
  assert.equal(svc.environment?.TRADELOG_AUTH_TOKEN, TOKEN);
  assert.deepEqual(svc.ports, ['127.0.0.1:5000:5000/tcp']);
  assert.equal(svc.restart, 'unless-stopped');
  // More than the server's own 10 s shutdown limit (src/web/server.ts), so SIGKILL never cuts a checkpoint short.
  const grace = /^(\d+)s$/.exec(svc.stop_grace_period ?? '');
  assert.ok(grace && Number(grace[1]) >= 30, `stop_grace_period ${svc.stop_grace_period}`);
  assert.deepEqual(svc.volumes, ['tradelog-data:/app/data:rw']);
  assert.ok(r.config?.volumes && 'tradelog-data' in r.config.volumes, 'a named volume');
  assert.equal(svc.environment?.PUID, '');
});

test('docker-compose.yml bind-mount alternative starts as root with PUID/PGID when its lines are uncommented', (t) => {
  if (!requireTool(t, 'docker-compose', 'validates docker-compose.yml')) return;
  const alternative = composeText
    .replace(/^ {6}- tradelog-data:\/app\/data$/m, '      - ./data:/app/data')
    .replace(/^ {4}# user: "0:0"$/m, '    user: "0:0"');
  assert.notEqual(alternative, composeText);
  const r = composeConfig(
    t,
    withToken(envExample, TOKEN)
      .replace(/^PUID=$/m, 'PUID=1001')
      .replace(/^PGID=$/m, 'PGID=1002'),
    alternative,
  );
  assert.equal(r.status, 0, r.stderr);
  const svc = r.config?.services.tradelog;
  assert.equal(svc?.user, '0:0');
  assert.equal(svc?.environment?.PUID, '1001');
  assert.equal(svc?.environment?.PGID, '1002');
  assert.match(svc?.volumes?.[0] ?? '', /\/data:\/app\/data:rw$/);
});

test('.env is ignored by git and .env.example names every variable docker-compose.yml reads', () => {
  const ignored = spawnSync('git', ['check-ignore', '-q', '.env'], { cwd: ROOT });
  assert.equal(ignored.status, 0, '.env is in .gitignore');
  const used = new Set([...composeText.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1] as string));
  const listed = new Set([...envExample.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1] as string));
  assert.deepEqual(
    [...used].filter((v) => !listed.has(v)),
    [],
  );
  assert.match(envExample, /^TRADELOG_AUTH_TOKEN=$/m, 'the example ships no token');
});
