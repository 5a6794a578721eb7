import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manualClock } from '../../src/clock.js';
import { describeConfig, loadConfig } from '../../src/config.js';
import { buildTestApp, cookieHeader, cookiesFrom, type TestApp } from '../helpers/web.js';

// The web app's lower findings of the hardening review, each through the app built as `serve` builds it.

const TOKEN = 'correct-horse-battery';
const BOUNDARY = '----tradelog-hardening-boundary';

function multipart(parts: { name: string; value: string; filename?: string }[], end = true): Buffer {
  const out = parts.map(
    (p) =>
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"\r\nContent-Type: text/csv` : ''}\r\n\r\n${p.value}\r\n`,
  );
  if (end) out.push(`--${BOUNDARY}--\r\n`);
  return Buffer.from(out.join(''));
}
const MULTIPART = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };

const CSV = [
  'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation',
  'MNQ 12-25,Buy,1,21000.00,10/1/2025 9:30:00 AM,h1,Entry,1 L,o1,Entry,$0.52,1,SIM1,Sim101,',
  'MNQ 12-25,Sell,1,21010.00,10/1/2025 9:45:00 AM,h2,Exit,-,o2,Exit,$0.52,1,SIM1,Sim101,',
].join('\n');

async function browser(app: TestApp['app']): Promise<{ csrf: string; cookie: string }> {
  const res = await app.inject({ method: 'GET', url: '/login' });
  const csrf = cookiesFrom(res).tl_csrf as string;
  assert.ok(csrf, 'a CSRF cookie');
  return { csrf, cookie: cookieHeader({ tl_csrf: csrf }) };
}

async function signIn(app: TestApp['app'], token = TOKEN, remoteAddress = '127.0.0.1', headers: Record<string, string> = {}) {
  const { csrf } = await browser(app);
  return app.inject({
    method: 'POST',
    url: '/login',
    remoteAddress,
    headers: { cookie: cookieHeader({ tl_csrf: csrf }), ...headers },
    payload: { token, next: '/status', _csrf: csrf },
  });
}

test('a body where none is taken is refused before it is read, and /login takes a small one', async (t) => {
  const { app } = await buildTestApp(t);
  const { csrf, cookie } = await browser(app);

  const get = await app.inject({ method: 'GET', url: '/health', headers: { 'content-type': 'text/plain' }, payload: 'x'.repeat(1000) });
  assert.equal(get.statusCode, 400, 'a GET with a body');
  assert.equal(get.json().error.code, 'TL_WEB_BAD_REQUEST');

  const unknown = await app.inject({
    method: 'POST',
    url: '/no/such/page',
    headers: { 'content-type': 'application/json' },
    payload: '{}',
  });
  assert.equal(unknown.statusCode, 404);

  const login = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { cookie },
    payload: { token: 'x'.repeat(900), next: `/${'a'.repeat(1900)}`, _csrf: csrf, filler: 'y'.repeat(20_000) },
  });
  assert.equal(login.statusCode, 413, '/login takes at most 16 KB');
  assert.equal(login.json().error.code, 'TL_WEB_BODY_TOO_LARGE');

  // A button that sends only its CSRF field: 4 KB.
  for (const url of ['/logout', '/demo', '/import/1/undo']) {
    const res = await app.inject({ method: 'POST', url, headers: { cookie }, payload: { _csrf: csrf, filler: 'y'.repeat(8000) } });
    assert.equal(res.statusCode, 413, url);
  }

  // Multipart anywhere but the upload itself: 415, nothing parsed.
  for (const url of ['/status/backup', '/import/commit', '/login', '/positions/1/journal']) {
    const res = await app.inject({
      method: 'POST',
      url,
      headers: { ...MULTIPART, cookie },
      payload: multipart([
        { name: '_csrf', value: csrf },
        { name: 'files', value: 'x'.repeat(100_000), filename: 'a.csv' },
      ]),
    });
    assert.equal(res.statusCode, 415, url);
  }
});

test('an upload is read only after its CSRF field: a file before it is refused unread', async (t) => {
  const { app } = await buildTestApp(t);
  const { csrf, cookie } = await browser(app);
  const fileFirst = await app.inject({
    method: 'POST',
    url: '/import/preview',
    headers: { ...MULTIPART, cookie },
    payload: multipart([
      { name: 'files', value: CSV, filename: 'a.csv' },
      { name: '_csrf', value: csrf },
    ]),
  });
  assert.equal(fileFirst.statusCode, 403);
  assert.equal(fileFirst.json().error.code, 'TL_WEB_CSRF');

  const ok = await app.inject({
    method: 'POST',
    url: '/import/preview',
    headers: { ...MULTIPART, cookie },
    payload: multipart([
      { name: '_csrf', value: csrf },
      { name: 'files', value: CSV, filename: 'a.csv' },
    ]),
  });
  assert.equal(ok.statusCode, 200, ok.body);
  assert.match(ok.body, /executions will be added/);
});

test('a malformed multipart body and a non-ASCII next= are the client’s fault: no 500, no recent error', async (t) => {
  const { app } = await buildTestApp(t);
  const { csrf, cookie } = await browser(app);
  const truncated = Buffer.concat([
    multipart([{ name: '_csrf', value: csrf }], false),
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="a.csv"\r\n\r\nInstrument,Act`),
  ]);
  const bodies: [string, Record<string, string>, Buffer][] = [
    ['truncated', MULTIPART, truncated],
    ['no boundary', { 'content-type': 'multipart/form-data' }, multipart([{ name: '_csrf', value: csrf }])],
    ['garbage header', MULTIPART, Buffer.from(`--${BOUNDARY}\r\nContent-Disposition\r\n\r\nx\r\n--${BOUNDARY}--\r\n`)],
  ];
  for (const [what, headers, payload] of bodies) {
    const res = await app.inject({
      method: 'POST',
      url: '/import/preview',
      headers: { ...headers, cookie, 'x-csrf-token': csrf },
      payload,
    });
    assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${what}: ${res.statusCode} ${res.body}`);
    assert.notEqual(res.json().error.code, 'TL_INTERNAL', what);
  }

  for (const next of ['/%C3%BC', '/caf%C3%A9?x=%E2%82%AC', '/%0d%0aSet-Cookie:%20x=1']) {
    const res = await app.inject({ method: 'GET', url: `/login?next=${next}` });
    assert.equal(res.statusCode, 303, `next=${next}: ${res.body}`);
    assert.equal(res.headers.location, '/');
  }
  assert.deepEqual(
    app.tradelog.recentErrors.list().map((e) => e.code),
    [],
  );
});

test('wrong tokens at /login are throttled per client with Retry-After, on the injected clock', async (t) => {
  const clock = manualClock('2026-03-08T12:00:00Z');
  const { app } = await buildTestApp(t, { env: { TRADELOG_AUTH_TOKEN: TOKEN }, clock });
  for (let i = 0; i < 10; i++) assert.equal((await signIn(app, 'wrong-token-guess', '10.0.0.1')).statusCode, 401, `guess ${i + 1}`);
  const blocked = await signIn(app, 'wrong-token-guess', '10.0.0.1');
  assert.equal(blocked.statusCode, 429);
  assert.equal(blocked.headers['retry-after'], '6');
  assert.match(blocked.body, /TL_WEB_THROTTLED/);
  assert.equal((await signIn(app, TOKEN, '10.0.0.1')).statusCode, 429, 'even the right token waits: a guess learns nothing');
  assert.equal((await signIn(app, TOKEN, '10.0.0.2')).statusCode, 303, 'another client is not held up');

  clock.advance(6000);
  assert.equal((await signIn(app, 'wrong-token-guess', '10.0.0.1')).statusCode, 401, 'one more try after 6 s');
  assert.equal((await signIn(app, 'wrong-token-guess', '10.0.0.1')).statusCode, 429);
  clock.advance(60_000);
  assert.equal((await signIn(app, TOKEN, '10.0.0.1')).statusCode, 303);

  // An IPv6 client is one /64: rotating the host part does not buy more guesses.
  for (let i = 0; i < 10; i++) await signIn(app, 'wrong-token-guess', `2001:db8:1:2::${i + 1}`);
  assert.equal((await signIn(app, 'wrong-token-guess', '2001:db8:1:2:ffff::1')).statusCode, 429);
});

test('a token is trimmed the same way in the setting and at sign-in', async (t) => {
  const { app, config } = await buildTestApp(t, { env: { TRADELOG_AUTH_TOKEN: `  ${TOKEN} ` } });
  assert.equal(config.authToken, TOKEN);
  assert.equal((await signIn(app, ` ${TOKEN}  `)).statusCode, 303);
  const api = await app.inject({ method: 'GET', url: '/api/positions', headers: { authorization: `Bearer  ${TOKEN} ` } });
  assert.equal(api.statusCode, 200);
});

test('Authorization takes the bearer scheme in any case', async (t) => {
  const { app } = await buildTestApp(t, { env: { TRADELOG_AUTH_TOKEN: TOKEN } });
  for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
    const res = await app.inject({ method: 'GET', url: '/api/positions', headers: { authorization: `${scheme} ${TOKEN}` } });
    assert.equal(res.statusCode, 200, scheme);
  }
  for (const header of [`Basic ${TOKEN}`, `Bearer${TOKEN}`, `Bearer ${TOKEN}x`, 'Bearer ']) {
    const res = await app.inject({ method: 'GET', url: '/api/positions', headers: { authorization: header } });
    assert.equal(res.statusCode, 401, header);
  }
});

test('every sign-in gets its own session, and signing out revokes it', async (t) => {
  const { app } = await buildTestApp(t, { env: { TRADELOG_AUTH_TOKEN: TOKEN } });
  const a = cookiesFrom(await signIn(app)).tl_session as string;
  const b = cookiesFrom(await signIn(app)).tl_session as string;
  assert.ok(a && b);
  assert.notEqual(a, b, 'a new random id per sign-in');
  assert.ok(a.length >= 40, 'at least 240 bits');
  const as = async (session: string) =>
    (await app.inject({ method: 'GET', url: '/api/positions', headers: { cookie: cookieHeader({ tl_session: session }) } })).statusCode;
  assert.equal(await as(a), 200);
  assert.equal(await as(b), 200);

  const { csrf } = await browser(app);
  const out = await app.inject({
    method: 'POST',
    url: '/logout',
    headers: { cookie: cookieHeader({ tl_csrf: csrf, tl_session: a }) },
    payload: { _csrf: csrf },
  });
  assert.equal(out.statusCode, 303);
  assert.match(String(out.headers['set-cookie']), /tl_session=;.*Max-Age=0/);
  assert.equal(await as(a), 401, 'a copy of the signed-out cookie no longer works');
  assert.equal(await as(b), 200, 'the other sign-in stays');
  assert.equal(await as('forged-session-value-forged-session-value'), 401);
});

test('behind a TLS proxy named in TRADELOG_TRUST_PROXY the cookies are Secure; X-Forwarded-Proto from anyone else is ignored', async (t) => {
  const env = { TRADELOG_AUTH_TOKEN: TOKEN, TRADELOG_ALLOWED_HOSTS: 'journal.example.com' };
  const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'journal.example.com', origin: 'https://journal.example.com' };
  const trusted = await buildTestApp(t, { env: { ...env, TRADELOG_TRUST_PROXY: '127.0.0.1' } });
  const ok = await signIn(trusted.app, TOKEN, '127.0.0.1', proxied);
  assert.equal(ok.statusCode, 303, ok.body);
  const cookie = String(([] as string[]).concat(ok.headers['set-cookie'] as string[]).find((c) => c.startsWith('tl_session=')));
  assert.match(cookie, /; Secure/);

  const plain = await buildTestApp(t, { env });
  const insecure = await signIn(plain.app, TOKEN, '127.0.0.1', { 'x-forwarded-proto': 'https' });
  assert.equal(insecure.statusCode, 303);
  assert.doesNotMatch(String(insecure.headers['set-cookie']), /Secure/);
  // The proxy's https Origin does not match a server that does not know it is behind TLS: say what to set.
  const refused = await signIn(plain.app, TOKEN, '127.0.0.1', proxied);
  assert.equal(refused.statusCode, 403);
  assert.match(refused.body, /TRADELOG_TRUST_PROXY/);

  const stranger = await signIn(trusted.app, TOKEN, '10.9.9.9', { 'x-forwarded-proto': 'https' });
  assert.doesNotMatch(String(stranger.headers['set-cookie']), /Secure/, 'only the named proxy is believed');

  assert.throws(() => loadConfig({}, { TRADELOG_TRUST_PROXY: 'the proxy' }), /TRADELOG_TRUST_PROXY/);
  assert.deepEqual(loadConfig({}, { TRADELOG_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,loopback' }).trustProxy, [
    '127.0.0.1',
    '10.0.0.0/8',
    'loopback',
  ]);
  assert.equal(loadConfig({}, { TRADELOG_TRUST_PROXY: 'true' }).trustProxy, true);
  assert.equal(loadConfig({}, {}).trustProxy, false);
});

test('JSON API answers are not stored by browsers or proxies', async (t) => {
  const { app } = await buildTestApp(t);
  const services = app.tradelog.services;
  assert.ok(services);
  await services.trades.importFile({ name: 'h.csv', content: Buffer.from(CSV) });
  for (const url of [
    '/api/positions',
    '/api/positions/1',
    '/api/stats',
    '/api/executions?instrument=MNQ',
    '/api/market-data/coverage',
    '/api/jobs',
    '/api/positions/999',
    '/api/nothing-here',
  ]) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.headers['cache-control'], 'no-store', `${url} (${res.statusCode})`);
  }
  const bars = await app.inject({ method: 'GET', url: '/api/bars/MNQ?timeframe=1h' });
  assert.equal(bars.headers['cache-control'], 'private, no-cache', 'bars are revalidated by their ETag');
});

test('an id in an address is a canonical decimal integer: 0x1, 1e0, +1, " 1" and 01 are not position 1', async (t) => {
  const { app } = await buildTestApp(t);
  const services = app.tradelog.services;
  assert.ok(services);
  await services.trades.importFile({ name: 'h.csv', content: Buffer.from(CSV) });
  assert.equal((await app.inject({ method: 'GET', url: '/positions/1' })).statusCode, 200);
  assert.equal((await app.inject({ method: 'GET', url: '/api/positions/1' })).statusCode, 200);
  for (const id of ['0x1', '1e0', '%2B1', '%201', '01', '1.0', '0', '-1', '99999999999999999']) {
    for (const url of [`/positions/${id}`, `/api/positions/${id}`]) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 400, `${url} → ${res.statusCode}`);
    }
  }
  assert.equal((await app.inject({ method: 'GET', url: '/api/positions/9999999999999999' })).statusCode, 404, 'above 2^53 − 1');
  assert.equal((await app.inject({ method: 'GET', url: '/api/positions/2' })).statusCode, 404);
  assert.equal((await app.inject({ method: 'POST', url: '/import/0x1/undo', payload: {} })).statusCode, 400);
});

test('credentials in the provider URL are masked on the status page and in the configuration shown', async (t) => {
  const env = { TRADELOG_YAHOO_BASE_URL: 'https://trader:s3cret-pass@quotes.example.test/base' };
  const config = loadConfig({}, env);
  assert.equal(config.yahooBaseUrl, env.TRADELOG_YAHOO_BASE_URL, 'the real value is used');
  assert.equal(describeConfig(config).yahooBaseUrl, 'https://****@quotes.example.test/base');
  assert.doesNotMatch(JSON.stringify(describeConfig(config)), /s3cret/);

  const { app } = await buildTestApp(t, { env });
  app.tradelog.recentErrors.add({
    code: 'TL_MARKET_TRANSIENT',
    message: 'Could not reach https://trader:s3cret-pass@quotes.example.test/base/v8/finance/chart/MNQ=F',
    remedy: 'Check TRADELOG_YAHOO_BASE_URL (https://trader:s3cret-pass@quotes.example.test).',
    where: 'market-data job',
  });
  const status = await app.inject({ method: 'GET', url: '/status' });
  assert.equal(status.statusCode, 200);
  assert.match(status.body, /quotes\.example\.test/);
  assert.doesNotMatch(status.body, /s3cret/);
});

test('from and to on /api/bars and /api/executions are Unix seconds or ISO 8601 in 1970–2099, else 400 naming the parameter', async (t) => {
  const { app } = await buildTestApp(t);
  const bad = [
    'June 5',
    '2025-02-30',
    '2025-6-1',
    '0000-01-01',
    '1900-01-01',
    '2100-01-01',
    '2025-06-18T25:00',
    '2025-06-18T12:00+15:00',
    '2025-06-18junk',
    '99999999999',
    '-1',
    '1e9',
    '0x10',
    ' 1750256400',
  ];
  for (const value of bad) {
    for (const name of ['from', 'to']) {
      for (const base of ['/api/bars/MNQ?timeframe=1h', '/api/executions?instrument=MNQ']) {
        const res = await app.inject({ method: 'GET', url: `${base}&${name}=${encodeURIComponent(value)}` });
        assert.equal(res.statusCode, 400, `${base} ${name}=${value} → ${res.statusCode}`);
        assert.equal(res.json().error.code, 'TL_MARKET_BAD_RANGE');
        assert.match(res.json().error.message, new RegExp(`^${name} `), `${name}=${value}: ${res.json().error.message}`);
      }
    }
  }
  for (const value of ['1750256400', '2025-06-18', '2025-06-18T14:30', '2025-06-18T14:30:00.123+02:00', '2025-06-18T14:30:00Z']) {
    const res = await app.inject({ method: 'GET', url: `/api/bars/MNQ?timeframe=1h&from=${encodeURIComponent(value)}` });
    assert.equal(res.statusCode, 200, `from=${value}: ${res.body}`);
  }
  const reversed = await app.inject({ method: 'GET', url: '/api/executions?instrument=MNQ&from=2025-06-19&to=2025-06-18' });
  assert.equal(reversed.statusCode, 400);
});

test('a button post without any body still works (scripts, curl -X POST)', async (t) => {
  const { app } = await buildTestApp(t);
  assert.equal((await app.inject({ method: 'POST', url: '/logout' })).statusCode, 303);
  assert.equal((await app.inject({ method: 'GET', url: '/health', headers: { 'content-length': '0' } })).statusCode, 200);
  assert.equal((await app.inject({ method: 'HEAD', url: '/health' })).statusCode, 200);
});
