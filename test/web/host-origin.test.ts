import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { launchBrowser, spawnServer } from '../helpers/browser.js';
import { cleanEnv, ROOT, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { buildTestApp } from '../helpers/web.js';

// DNS rebinding: a page on attacker.example whose name is re-pointed at 127.0.0.1 talks to this server with
// `Host: attacker.example:<port>` and its own Origin. Only names of this server are answered (421 otherwise, before
// anything else runs), and an Origin must be this server's, scheme included.

const CSV = [
  'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation',
  'MNQ 12-25,Buy,1,21000.00,10/1/2025 9:30:00 AM,r1,Entry,1 L,o1,Entry,$0.52,1,SIM1,Sim101,',
  'MNQ 12-25,Sell,1,21010.00,10/1/2025 9:45:00 AM,r2,Exit,-,o2,Exit,$0.52,1,SIM1,Sim101,',
].join('\n');

test('a Host that does not name this server is refused with 421 before routing, sign-in or body parsing', async (t) => {
  const open = await buildTestApp(t);
  const locked = await buildTestApp(t, { env: { TRADELOG_HOST: '0.0.0.0', TRADELOG_AUTH_TOKEN: 'correct-horse-battery' } });
  for (const { app } of [open, locked]) {
    for (const [method, url] of [
      ['GET', '/api/positions'],
      ['GET', '/'],
      ['GET', '/health'],
      ['GET', '/static/app.css'],
      ['GET', '/login'],
      ['GET', '/no/such/page'],
      ['POST', '/positions/1/journal'],
    ] as const) {
      for (const host of ['attacker.example:5000', 'attacker.example', 'localhost.attacker.example:5000', '127.0.0.1.nip.io:5000']) {
        const res = await app.inject({
          method,
          url,
          headers: { host, ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
          ...(method === 'POST' ? { payload: 'note=pwned' } : {}),
        });
        assert.equal(res.statusCode, 421, `${method} ${url} Host ${host}`);
        assert.equal(res.json().error.code, 'TL_WEB_HOST_REFUSED');
        assert.match(res.json().error.remedy, /TRADELOG_ALLOWED_HOSTS/);
        assert.equal(res.headers['set-cookie'], undefined, 'no cookie for a stranger');
        assert.equal(res.headers['x-content-type-options'], 'nosniff');
      }
    }
  }
  for (const host of ['localhost:5000', '127.0.0.1:5000', '[::1]:5000', 'LOCALHOST:8080', '127.0.0.1']) {
    const res = await open.app.inject({ method: 'GET', url: '/api/positions', headers: { host } });
    assert.equal(res.statusCode, 200, `Host ${host}`);
  }

  // The bound address and TRADELOG_ALLOWED_HOSTS (a name on any port, or name:port on that port only).
  const named = await buildTestApp(t, {
    env: {
      TRADELOG_HOST: '192.168.7.7',
      TRADELOG_AUTH_TOKEN: 'correct-horse-battery',
      TRADELOG_ALLOWED_HOSTS: 'journal.example.com, nas.lan:8443',
    },
  });
  const status = async (host: string) => (await named.app.inject({ method: 'GET', url: '/health', headers: { host } })).statusCode;
  assert.equal(await status('192.168.7.7:5000'), 200);
  assert.equal(await status('journal.example.com'), 200);
  assert.equal(await status('journal.example.com:443'), 200);
  assert.equal(await status('nas.lan:8443'), 200);
  assert.equal(await status('nas.lan:8444'), 421);
  assert.equal(await status('nas.lan'), 421);
  assert.equal(await status('192.168.7.8:5000'), 421);
});

test('an Origin must be this server, scheme included, on any request that carries one', async (t) => {
  const { app } = await buildTestApp(t);
  const get = (origin: string, host = 'localhost:5000') =>
    app.inject({ method: 'GET', url: '/api/positions', headers: { host, origin } }).then((r) => r.statusCode);
  assert.equal(await get('http://localhost:5000'), 200);
  assert.equal(await get('http://attacker.example:5000'), 403, 'a rebinding page');
  assert.equal(await get('https://localhost:5000'), 403, 'another scheme is another origin');
  assert.equal(await get('http://localhost:3000'), 403, 'another local app');
  assert.equal(await get('http://127.0.0.1:5000'), 403, 'another name of the same server is another origin');
  assert.equal(await get('null'), 403);
  assert.equal(await get('http://localhost:5000/path'), 403, 'not an origin');
  assert.equal(await get('http://localhost', 'localhost'), 200, 'default port on both sides');

  const page = await app.inject({ method: 'GET', url: '/status', headers: { host: 'localhost:5000' } });
  const csrf = /tl_csrf=([^;]+)/.exec(String(page.headers['set-cookie']))?.[1] as string;
  const post = (origin: string) =>
    app
      .inject({
        method: 'POST',
        url: '/status/backup',
        headers: { host: 'localhost:5000', origin, cookie: `tl_csrf=${csrf}` },
        payload: { _csrf: csrf },
      })
      .then((r) => r.statusCode);
  assert.equal(await post('http://attacker.example:5000'), 403);
  assert.equal(await post('null'), 403);
  assert.equal(await post('http://localhost:5000'), 303);

  // Behind a reverse proxy that rewrites Host, the public name comes from TRADELOG_ALLOWED_HOSTS.
  const proxied = await buildTestApp(t, { env: { TRADELOG_ALLOWED_HOSTS: 'journal.example.com' } });
  const viaProxy = await proxied.app.inject({
    method: 'GET',
    url: '/api/positions',
    headers: { host: '127.0.0.1:5000', origin: 'http://journal.example.com' },
  });
  assert.equal(viaProxy.statusCode, 200);
});

/** GET `url` with a chosen Host header (fetch cannot set one). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the real server refuses a rebound Host, and the Docker health check (Host 127.0.0.1:<port>) still passes', async (t) => {
  const dir = tempDir(t);
  const server = await spawnServer(t, { dataDir: dir, args: ['--allowed-hosts', 'nas.lan'] });
  const port = new URL(server.url).port;
  const refused = await getWithHost(`${server.url}/api/positions`, `attacker.example:${port}`);
  assert.equal(refused.status, 421);
  assert.equal(JSON.parse(refused.body).error.code, 'TL_WEB_HOST_REFUSED');
  assert.equal((await getWithHost(`${server.url}/api/positions`, `localhost:${port}`)).status, 200);
  assert.equal((await getWithHost(`${server.url}/api/positions`, `nas.lan:${port}`)).status, 200, '--allowed-hosts');

  const health = spawnSync(process.execPath, [path.join(ROOT, 'docker', 'healthcheck.mjs')], {
    env: cleanEnv({ TRADELOG_PORT: port }),
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(health.status, 0, health.stdout + health.stderr);
  assert.match(health.stdout, new RegExp(`healthy: http://127\\.0\\.0\\.1:${port}/health answered 200`));
});

test('in Chromium, a page on a name rebound to 127.0.0.1 can neither read positions nor change a note', async (t) => {
  const dir = tempDir(t);
  const dataDir = path.join(dir, 'data');
  const csv = path.join(dir, 'fills.csv');
  fs.writeFileSync(csv, CSV);
  const imported = runCli(['import', csv, '--data-dir', dataDir]);
  assert.equal(imported.status, 0, imported.stderr);
  const server = await spawnServer(t, { dataDir });
  const port = new URL(server.url).port;

  // attacker.example resolves to 127.0.0.1, as it does after the rebind. The script below runs in the origin
  // http://attacker.example:<port>, as the attacker's page does once its name points here: same origin for the
  // browser, so only the server can tell the request is not meant for it.
  const context = await launchBrowser(t, ['--host-resolver-rules=MAP attacker.example 127.0.0.1']);
  if (!context) return;
  const page = await context.newPage();
  const attackerOrigin = `http://attacker.example:${port}`;
  await page.goto(`${attackerOrigin}/health`);
  assert.equal(await page.evaluate('location.origin'), attackerOrigin);
  const result = await page.evaluate(async () => {
    const out: Record<string, unknown> = {};
    try {
      const r = await fetch('/api/positions');
      out.readStatus = r.status;
      out.readBody = await r.text();
    } catch (e) {
      out.readError = String(e);
    }
    try {
      const p = await fetch('/positions/1');
      const html = await p.text();
      const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
      const w = await fetch('/positions/1/journal', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `_csrf=${encodeURIComponent(token)}&note=rebound-note-overwrite`,
      });
      out.writeStatus = w.status;
    } catch (e) {
      out.writeError = String(e);
    }
    return out;
  });
  assert.equal(result.readStatus, 421, JSON.stringify(result));
  assert.doesNotMatch(String(result.readBody), /SIM1|MNQ/, 'no journal data reached the page');
  assert.equal(result.writeStatus, 421, JSON.stringify(result));

  // The trader, at the server's own name, still sees the position and no overwritten note.
  const own = await context.newPage();
  await own.goto(`${server.url}/positions/1`);
  assert.match(await own.content(), /MNQ/);
  assert.doesNotMatch(await own.content(), /rebound-note-overwrite/);
});
