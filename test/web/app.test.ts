import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import type { Finding } from '../../src/db/doctor.js';
import { AppError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { buildApp } from '../../src/web/app.js';
import { runCli } from '../helpers/cli.js';
import { tempDataPaths } from '../helpers/tmp.js';
import { buildTestApp, cookieHeader, cookiesFrom } from '../helpers/web.js';

test('app sets security headers when it serves a page', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/' });
  assert.equal(res.statusCode, 200);
  const csp = String(res.headers['content-security-policy']);
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['referrer-policy'], 'same-origin');
  assert.equal(res.headers['x-frame-options'], 'DENY');
  assert.match(res.body, /<nav aria-label="Main">/);
  for (const label of ['Dashboard', 'Positions', 'Charts', 'Statistics', 'Import', 'Settings', 'Status'])
    assert.match(res.body, new RegExp(`>${label}<`));
});

test('api answers the interface error shape when the route does not exist', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/api/nothing-here' });
  assert.equal(res.statusCode, 404);
  const body = res.json();
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, 'TL_WEB_NOT_FOUND');
  assert.equal(typeof body.error.message, 'string');
  assert.equal(typeof body.error.remedy, 'string');
});

test('page shows the message and the fix when the route does not exist', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/no-such-page', headers: { accept: 'text/html,*/*' } });
  assert.equal(res.statusCode, 404);
  assert.match(String(res.headers['content-type']), /text\/html/);
  assert.match(res.body, /Nothing here: GET \/no-such-page/);
  assert.match(res.body, /What to do:/);
});

test('app answers a logged 500 that says what to do when a handler fails unexpectedly', async (t) => {
  const { app } = await buildTestApp(t);
  app.get('/boom', async () => {
    throw new TypeError('undefined is not a function');
  });
  app.get('/api/boom', async () => {
    throw new TypeError('undefined is not a function');
  });
  const page = await app.inject({ method: 'GET', url: '/boom', headers: { accept: 'text/html' } });
  assert.equal(page.statusCode, 500);
  assert.match(page.body, /What to do:/);
  assert.match(page.body, /TL_INTERNAL/);
  assert.doesNotMatch(page.body, /undefined is not a function/, 'internal details stay in the log');
  const api = await app.inject({ method: 'GET', url: '/api/boom' });
  assert.equal(api.statusCode, 500);
  assert.equal(api.json().error.code, 'TL_INTERNAL');
  const status = await app.inject({ method: 'GET', url: '/status' });
  assert.match(status.body, /TL_INTERNAL/, 'the status page lists recent errors');
});

test('app answers an AppError with its catalogue status, or the status the thrower chose, and its remedy', async (t) => {
  const { app } = await buildTestApp(t);
  app.get('/api/missing', async () => {
    throw new AppError('TL_POSITION_NOT_FOUND', 'no such position', { remedy: 'pick one from the list' });
  });
  app.get('/api/teapot', async () => {
    throw new AppError('TL_WEB_BAD_REQUEST', 'short and stout', { status: 418, remedy: 'tip it over' });
  });
  const missing = await app.inject({ method: 'GET', url: '/api/missing' });
  assert.equal(missing.statusCode, 404);
  const res = await app.inject({ method: 'GET', url: '/api/teapot' });
  assert.equal(res.statusCode, 418);
  assert.deepEqual(res.json(), { error: { code: 'TL_WEB_BAD_REQUEST', message: 'short and stout', remedy: 'tip it over' } });
});

test('buildApp refuses to start when bound beyond loopback without a token', async (t) => {
  const paths = tempDataPaths(t);
  const config = loadConfig({ dataDir: paths.dataDir, host: '0.0.0.0', logLevel: 'silent' }, {});
  await assert.rejects(
    buildApp({ config, store: undefined, logger: silentLogger(), health: () => ({ status: 'ok', findings: [] }) }),
    (err: unknown) => err instanceof AppError && err.code === 'TL_WEB_TOKEN_REQUIRED' && /TRADELOG_AUTH_TOKEN/.test(err.remedy),
  );
});

test('serve exits 2 naming TRADELOG_AUTH_TOKEN when bound to 0.0.0.0 without a token', (t) => {
  const paths = tempDataPaths(t);
  const r = runCli(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', paths.dataDir]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /error TL_WEB_TOKEN_REQUIRED/);
  assert.match(r.stderr, /fix: .*TRADELOG_AUTH_TOKEN/);
});

test('app requires sign-in when a token is set', async (t) => {
  const token = 'correct-horse-battery';
  const { app } = await buildTestApp(t, { env: { TRADELOG_HOST: '0.0.0.0', TRADELOG_AUTH_TOKEN: token } });

  const page = await app.inject({ method: 'GET', url: '/status' });
  assert.equal(page.statusCode, 303);
  assert.equal(page.headers.location, '/login?next=%2Fstatus');

  const api = await app.inject({ method: 'GET', url: '/api/anything' });
  assert.equal(api.statusCode, 401);
  assert.equal(api.json().error.code, 'TL_WEB_UNAUTHORIZED');

  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(metrics.statusCode, 401);

  const bearer = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
  assert.equal(bearer.statusCode, 200);

  // The health verdict stays reachable (container health checks) but strangers get no details.
  const health = await app.inject({ method: 'GET', url: '/health', remoteAddress: '10.1.2.3' });
  assert.equal(health.statusCode, 200);
  assert.deepEqual(health.json().findings, []);
  assert.equal(health.json().databases, undefined);

  const loginPage = await app.inject({ method: 'GET', url: '/login?next=/status' });
  assert.equal(loginPage.statusCode, 200);
  const csrf = cookiesFrom(loginPage).tl_csrf as string;
  assert.ok(csrf);

  const wrong = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { cookie: cookieHeader({ tl_csrf: csrf }) },
    payload: { token: 'not-the-token', next: '/status', _csrf: csrf },
  });
  assert.equal(wrong.statusCode, 401);
  assert.match(wrong.body, /That token is not right/);

  const ok = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { cookie: cookieHeader({ tl_csrf: csrf }) },
    payload: { token, next: '/status', _csrf: csrf },
  });
  assert.equal(ok.statusCode, 303);
  assert.equal(ok.headers.location, '/status');
  const setCookie = ([] as string[]).concat(ok.headers['set-cookie'] as string | string[]).find((c) => c.startsWith('tl_session='));
  assert.ok(setCookie);
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  assert.doesNotMatch(setCookie, new RegExp(token), 'the cookie never carries the token itself');

  const session = cookiesFrom(ok).tl_session as string;
  const after = await app.inject({
    method: 'GET',
    url: '/status',
    headers: { cookie: cookieHeader({ tl_csrf: csrf, tl_session: session }) },
  });
  assert.equal(after.statusCode, 200);
  assert.match(after.body, /Sign out/);

  // An open redirect through ?next= is not possible.
  const evil = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { cookie: cookieHeader({ tl_csrf: csrf }) },
    payload: { token, next: '//evil.example/', _csrf: csrf },
  });
  assert.equal(evil.headers.location, '/');
});

test('browser form posts are refused without the CSRF token or from another site', async (t) => {
  const { app } = await buildTestApp(t);
  const page = await app.inject({ method: 'GET', url: '/status' });
  const csrf = cookiesFrom(page).tl_csrf as string;

  const none = await app.inject({
    method: 'POST',
    url: '/status/backup',
    headers: { cookie: cookieHeader({ tl_csrf: csrf }) },
    payload: { all: 'on' },
  });
  assert.equal(none.statusCode, 403);
  assert.match(none.body, /TL_WEB_CSRF/);

  const noCookie = await app.inject({ method: 'POST', url: '/status/backup', headers: { origin: 'http://localhost:80' }, payload: {} });
  assert.equal(noCookie.statusCode, 403, 'a browser post without the cookie');

  // A script (no Origin, no cookie) has nothing to forge: it needs no token.
  const script = await app.inject({ method: 'POST', url: '/status/backup', payload: {} });
  assert.equal(script.statusCode, 303);

  const mismatch = await app.inject({
    method: 'POST',
    url: '/status/backup',
    headers: { cookie: cookieHeader({ tl_csrf: csrf }) },
    payload: { _csrf: 'x'.repeat(32) },
  });
  assert.equal(mismatch.statusCode, 403);

  const crossSite = await app.inject({
    method: 'POST',
    url: '/status/backup',
    headers: { cookie: cookieHeader({ tl_csrf: csrf }), origin: 'http://evil.example' },
    payload: { _csrf: csrf },
  });
  assert.equal(crossSite.statusCode, 403);
  assert.match(crossSite.body, /another site/);

  const ok = await app.inject({
    method: 'POST',
    url: '/status/backup',
    headers: { cookie: cookieHeader({ tl_csrf: csrf }), origin: 'http://localhost:80' },
    payload: { _csrf: csrf },
  });
  assert.equal(ok.statusCode, 303, ok.body);
  assert.match(String(ok.headers.location), /^\/status\?backedUp=journal-.*-manual\.db/);
  const status = await app.inject({
    method: 'GET',
    url: String(ok.headers.location),
    headers: { cookie: cookieHeader({ tl_csrf: csrf }) },
  });
  assert.match(status.body, /Backup made and verified/);
  assert.match(status.body, /<table id="backups"[ >]/);
});

test('health answers 200 only when ok and 503 with the findings otherwise', async (t) => {
  const ok = await buildTestApp(t);
  const r1 = await ok.app.inject({ method: 'GET', url: '/health' });
  assert.equal(r1.statusCode, 200);
  assert.equal(r1.json().status, 'ok');

  const finding: Finding = { code: 'TL_DB_READONLY', severity: 'degraded', message: 'Database is read-only: x', remedy: 'chown it' };
  const degraded = await buildTestApp(t, { health: () => ({ status: 'degraded', findings: [finding] }) });
  const r2 = await degraded.app.inject({ method: 'GET', url: '/health' });
  assert.equal(r2.statusCode, 503);
  assert.equal(r2.json().status, 'degraded');
  assert.deepEqual(r2.json().findings[0], finding);
});

test('every page answers 503 with the finding and its fix when the database is unusable', async (t) => {
  const finding: Finding = {
    code: 'TL_DB_DIR_NOT_WRITABLE',
    severity: 'fatal',
    message: 'The data directory /data/db (owner uid 0) is not writable by uid 1000.',
    remedy: 'chown -R 1000:1000 /data',
  };
  const { app } = await buildTestApp(t, { noStore: true, health: () => ({ status: 'fatal', findings: [finding] }) });
  for (const url of ['/', '/positions', '/charts', '/statistics', '/import', '/settings', '/status']) {
    const res = await app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
    assert.equal(res.statusCode, 503, url);
    assert.match(res.body, /not writable by uid 1000/, url);
    assert.match(res.body, /chown -R 1000:1000 \/data/, url);
  }
  const api = await app.inject({ method: 'GET', url: '/api/positions' });
  assert.equal(api.statusCode, 503);
  assert.equal(api.json().error.code, 'TL_DB_DIR_NOT_WRITABLE');
  assert.equal(api.json().error.remedy, finding.remedy);
  const health = await app.inject({ method: 'GET', url: '/health' });
  assert.equal(health.statusCode, 503);
  assert.equal(health.json().findings[0].code, 'TL_DB_DIR_NOT_WRITABLE');
  const css = await app.inject({ method: 'GET', url: '/static/app.css' });
  assert.equal(css.statusCode, 200, 'the 503 page keeps its stylesheet');
});

test('metrics expose request latency, database status and health in Prometheus text', async (t) => {
  const { app } = await buildTestApp(t);
  await app.inject({ method: 'GET', url: '/' });
  await app.inject({ method: 'GET', url: '/status' });
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const text = res.body;
  assert.match(text, /# TYPE tradelog_http_request_duration_seconds histogram/);
  assert.match(text, /tradelog_http_request_duration_seconds_bucket\{method="GET",route="\/",status="200",le="\+Inf"\} 1\n/);
  assert.match(text, /tradelog_http_request_duration_seconds_count\{method="GET",route="\/status",status="200"\} 1\n/);
  assert.match(text, /tradelog_health_status\{status="ok"\} 1\n/);
  assert.match(text, /tradelog_db_writable\{db="journal",journal_mode="wal"\} 1\n/);
  // Every sample line is "name{labels} value" or "name value".
  for (const line of text.trim().split('\n')) {
    if (line.startsWith('#')) continue;
    assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eInfNa]+$/, line);
  }
});

test('lightweight-charts is served from node_modules as the standalone production build', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/vendor/lightweight-charts.js' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /javascript/);
  assert.ok(res.body.length > 100_000);
  assert.match(res.body, /LightweightCharts/);
});

test('static files cannot be reached outside public/', async (t) => {
  const { app } = await buildTestApp(t);
  for (const url of ['/static/../app.ts', '/static/..%2fapp.ts', '/static/%2e%2e/%2e%2e/package.json', '/static/.hidden']) {
    const res = await app.inject({ method: 'GET', url });
    assert.ok(res.statusCode === 404 || res.statusCode === 403 || res.statusCode === 400, `${url} → ${res.statusCode}`);
    assert.doesNotMatch(res.body, /buildApp|"name": "tradelog"/);
  }
});
