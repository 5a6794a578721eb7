import assert from 'node:assert/strict';
import { test } from 'node:test';
import { schemaCompilersLoaded } from '../../src/web/lazy-schemas.js';
import { waitFor } from '../helpers/wait.js';
import { buildTestApp } from '../helpers/web.js';

// Start-up leaves the schema compilers (ajv, fast-json-stringify) until the server has answered its first request:
// /health does not need them. They are loaded then, so a page's first request does not wait for them.
test('/health answers without the schema compilers', async (t) => {
  const { app } = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/health' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal((res.json() as { status: string }).status, 'ok');
  assert.equal(schemaCompilersLoaded(), false);
});

test('schema compilers load after the first answer of a listening server, not during start-up', async (t) => {
  const { app } = await buildTestApp(t);
  await app.listen({ host: '127.0.0.1', port: 0 });
  assert.equal(schemaCompilersLoaded(), false, 'not loaded by building and listening');
  const address = app.listeningOrigin;
  const health = await fetch(`${address}/health`);
  assert.equal(health.status, 200);
  await waitFor('the compilers to load after the first answer', () => schemaCompilersLoaded());
  // Validation works as before: a bad query string is refused with the field named.
  const bad = await fetch(`${address}/api/bars/MNQ?timeframe=7x`);
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: { message: string } }).error.message, /timeframe/);
});
