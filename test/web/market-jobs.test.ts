import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_RUNNING_JOBS } from '../../src/market-data/jobs.js';
import { buildTestApp } from '../helpers/web.js';
import { startYahooStub } from '../helpers/yahoo-stub.js';

test('update jobs beyond the running limit answer 202 as queued, and the Status page lists them as queued', async (t) => {
  const stub = await startYahooStub();
  t.after(() => stub.close());
  // The running jobs wait on their answers until the app closes (which cancels them).
  stub.fault({}, { kind: 'hang', delayMs: 30_000 }, MAX_RUNNING_JOBS);
  const { app } = await buildTestApp(t, { env: { TRADELOG_YAHOO_BASE_URL: stub.url } });
  const start = (instrument: string) =>
    app.inject({ method: 'POST', url: '/api/market-data/update', payload: { instrument, timeframes: ['1h'] } });
  const answers = await Promise.all(['MNQ', 'ES', 'NQ', 'MES'].map(start));
  assert.deepEqual(
    answers.map((a) => a.statusCode),
    [202, 202, 202, 202],
  );
  const jobs = answers.map((a) => a.json() as { id: string; job: { state: string; queuePosition?: number } });
  assert.deepEqual(
    jobs.map((j) => j.job.state),
    ['running', 'running', 'queued', 'queued'],
  );
  const third = (await app.inject({ method: 'GET', url: `/api/jobs/${jobs[2]?.id}` })).json();
  assert.equal(third.state, 'queued');
  assert.equal(third.queuePosition, 1);
  assert.equal(third.startedAt, undefined);
  const status = await app.inject({ method: 'GET', url: '/status' });
  assert.equal(status.statusCode, 200);
  const rows = [...status.body.matchAll(/<td class="[^"]*\bstatus-(\w+)"[^>]*>(\w+)<\/td><td[^>]*>([^<]*)<\/td>/g)].map((m) => [
    m[1],
    m[3],
  ]);
  assert.deepEqual(rows, [
    ['queued', 'waiting for a free slot (2 in line)'],
    ['queued', 'waiting for a free slot (1 in line)'],
    ['running', '0%'],
    ['running', '0%'],
  ]);
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(metrics, /tradelog_market_jobs_running 2\n/);
  assert.match(metrics, /tradelog_market_jobs_queued 2\n/);
});
