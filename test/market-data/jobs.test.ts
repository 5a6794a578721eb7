import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manualClock } from '../../src/clock.js';
import { BUILT_IN_SPECS } from '../../src/instruments/specs.js';
import { type JobSnapshot, MAX_RUNNING_JOBS } from '../../src/market-data/jobs.js';
import { createYahooProvider } from '../../src/market-data/providers/yahoo.provider.js';
import { SCHEDULER_KEY, schedulerSettingsSchema } from '../../src/market-data/scheduler.js';
import { createMarketData } from '../../src/market-data/service.js';
import { createSettingsRepo } from '../../src/settings/settings.repo.js';
import { tempStore } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { startYahooStub } from '../helpers/yahoo-stub.js';

/** Wednesday 18 June 2025, 10:30 CDT: the market is open. */
const WED = Date.parse('2025-06-18T15:30:00Z');

async function setup(t: { after: (fn: () => void | Promise<void>) => void }, latencyMs = 0, symbols?: Record<string, number>) {
  const clock = manualClock(WED);
  const stub = await startYahooStub({ clock, latencyMs, ...(symbols ? { symbols } : {}) });
  t.after(() => stub.close());
  const store = tempStore(t);
  const market = createMarketData({
    market: store.market,
    journal: store.journal,
    config: { yahooBaseUrl: stub.url, importTimezone: 'UTC', schedulerIntervalMinutes: 0 },
    provider: createYahooProvider({ baseUrl: stub.url, requestSpacingMs: 0, timeoutMs: 15_000 }),
    retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
    clock,
  });
  t.after(() => market.close());
  const settings = createSettingsRepo(store.journal);
  return { stub, store, market, settings };
}

test('jobs.start answers an id at once, a second start for the same instrument joins, and the job reports its outcome', async (t) => {
  const { market } = await setup(t, 20);
  const first = market.jobs.start('MNQ SEP25', { timeframes: ['1h', '4h', '1d'] });
  assert.equal(first.joined, false);
  assert.equal(first.job.state, 'running');
  assert.equal(first.job.instrument, 'MNQ');
  assert.deepEqual(
    first.job.timeframes.map((x) => [x.timeframe, x.status]),
    [
      ['1h', 'running'],
      ['4h', 'pending'],
      ['1d', 'pending'],
    ],
    'the update starts before start() returns',
  );
  const second = market.jobs.start('MNQ', { timeframes: ['1m'] });
  assert.equal(second.joined, true);
  assert.equal(second.id, first.id);
  assert.equal(market.jobs.runningFor('MNQ')?.id, first.id);

  const done = await market.jobs.wait(first.id);
  assert.equal(done.state, 'done');
  assert.equal(done.outcome, 'ok');
  assert.equal(done.progress, 1);
  assert.ok(done.timeframes.every((x) => x.status === 'ok' && x.stored > 0));
  assert.deepEqual(
    done.report?.timeframes.map((x) => x.timeframe),
    ['1h', '4h', '1d'],
  );
  assert.deepEqual(market.jobs.require(first.id), done);
  assert.equal(done.startedAt, new Date(WED).toISOString(), 'stamped by the clock');
  assert.equal(done.finishedAt, new Date(WED).toISOString());
  // Finished: the next start is a new job.
  const third = market.jobs.start('MNQ', { timeframes: ['1h'] });
  assert.notEqual(third.id, first.id);
  await market.jobs.wait(third.id);
  assert.deepEqual(
    market.jobs.list().map((j) => j.id),
    [third.id, first.id],
    'newest first',
  );
});

test('jobs.subscribe delivers live progress that only grows, ending at 1', async (t) => {
  const { market } = await setup(t, 10);
  const seen: { progress: number; type: string }[] = [];
  const off = market.jobs.subscribe((job, event) => seen.push({ progress: job.progress, type: event.type }));
  const { id } = market.jobs.start('MNQ', { timeframes: ['5m', '15m', '1h'] });
  await market.jobs.wait(id);
  off();
  assert.ok(seen.length >= 8);
  for (let i = 1; i < seen.length; i++) assert.ok((seen[i]?.progress ?? 0) >= (seen[i - 1]?.progress ?? 0), 'progress never goes back');
  assert.ok(
    seen.some((s) => s.progress > 0 && s.progress < 1),
    'partial progress reported',
  );
  assert.deepEqual(seen.at(-1), { progress: 1, type: 'finished' });
});

test('jobs report a partial outcome, refuse an unknown instrument and name an unknown job id', async (t) => {
  const { stub, market } = await setup(t);
  stub.fault({ interval: '5m' }, { kind: 'truncated' }, 1);
  const { id } = market.jobs.start('MNQ', { timeframes: ['5m', '1h'] });
  const done = await market.jobs.wait(id);
  assert.equal(done.outcome, 'partial');
  assert.equal(done.timeframes[0]?.status, 'error');
  assert.equal(done.timeframes[0]?.error?.code, 'TL_MARKET_BAD_RESPONSE');
  assert.throws(() => market.jobs.start('XYZ 12-25'), { code: 'TL_INSTRUMENT_UNKNOWN' });
  assert.throws(
    () => market.jobs.require('no-such-job'),
    (err: { code: string; status: number }) => {
      assert.equal(err.code, 'TL_MARKET_JOB_NOT_FOUND');
      assert.equal(err.status, 404);
      return true;
    },
  );
  await assert.rejects(market.jobs.wait('no-such-job'), { code: 'TL_MARKET_JOB_NOT_FOUND' });
});

test('jobs.close cancels a running job; its unfinished timeframes are skipped', async (t) => {
  const { stub, market } = await setup(t);
  // The stub would answer after 5 s; a close that waited for the request would see it answered.
  stub.fault({ interval: '1m' }, { kind: 'hang', delayMs: 5000 }, 1);
  const { id } = market.jobs.start('MNQ', { timeframes: ['1m', '1h'] });
  const hanging = await waitFor('the 1m request to reach the stub', () => stub.requests.find((r) => r.interval === '1m'));
  await market.close();
  assert.equal(hanging.status, 0, 'close did not wait for the hanging request to be answered');
  const job = market.jobs.require(id);
  assert.equal(job.state, 'done');
  assert.equal(job.outcome, 'failed');
  assert.deepEqual(
    job.timeframes.map((x) => [x.timeframe, x.status, x.error?.code]),
    [
      ['1m', 'skipped', 'TL_MARKET_CANCELLED'],
      ['1h', 'skipped', 'TL_MARKET_CANCELLED'],
    ],
  );
});

test('scheduler updates each instrument root once per cycle, one job at a time, and shows its state', async (t) => {
  const { market, settings } = await setup(t, 5);
  settings.set(SCHEDULER_KEY, schedulerSettingsSchema, { timeframes: ['1h', '1d'] });
  let maxRunning = 0;
  market.jobs.subscribe(() => {
    maxRunning = Math.max(maxRunning, market.jobs.list().filter((j) => j.state === 'running').length);
  });
  const scheduler = market.createScheduler(() => ['MNQ 09-25', 'MNQ 12-25', 'ES 12-25', 'BAD NAME!'], {
    intervalMinutes: 1,
    minuteMs: 60_000,
    initialDelayMs: 0,
  });
  t.after(() => scheduler.stop());
  scheduler.start();
  const status = await waitFor('the first cycle to finish and the next to be scheduled', () => {
    const s = scheduler.status();
    return s.lastRun?.finishedAt && s.state === 'idle' && s.nextRunAt ? s : undefined;
  });
  assert.equal(status.intervalMinutes, 1);
  assert.deepEqual(status.timeframes, ['1h', '1d']);
  assert.equal(status.lastRun?.startedAt, new Date(WED).toISOString(), 'runs are stamped by the clock');
  const next = Date.parse(status.nextRunAt ?? '');
  assert.ok(next > WED && next <= WED + 60_000, `next cycle within the interval after the clock's now: ${status.nextRunAt}`);
  const items = status.lastRun?.items ?? [];
  assert.deepEqual(
    items.map((i) => [i.instrument, i.outcome, i.error?.code]),
    [
      ['BAD NAME!', 'failed', 'TL_INSTRUMENT_BAD_NAME'],
      ['MNQ', 'ok', undefined],
      ['ES', 'ok', undefined],
    ],
  );
  assert.equal(maxRunning, 1, 'one job at a time');
  const jobs = market.jobs.list();
  assert.deepEqual(
    jobs.map((j) => [j.instrument, j.origin]),
    [
      ['ES', 'scheduler'],
      ['MNQ', 'scheduler'],
    ],
  );
  await scheduler.stop();
  assert.equal(scheduler.status().state, 'stopped');
  assert.equal(scheduler.status().nextRunAt, undefined);
});

test('scheduler is off at interval 0 and follows the interval in settings without a restart', async (t) => {
  const { market, settings } = await setup(t);
  let cycles = 0;
  let looks = 0;
  const scheduler = market.createScheduler(
    () => {
      cycles++;
      return ['MNQ'];
    },
    {
      intervalMinutes: 0,
      minuteMs: 30,
      initialDelayMs: 0,
      // The settings as the service reads them, counting how often the scheduler looked.
      settings: () => {
        looks++;
        return settings.get(SCHEDULER_KEY, schedulerSettingsSchema, {});
      },
    },
  );
  t.after(() => scheduler.stop());
  scheduler.start();
  // Off: it keeps looking at the settings every (shortened) minute and never runs a cycle.
  await waitFor('the off scheduler to look at its settings a few times', () => looks >= 5);
  assert.equal(scheduler.status().state, 'off');
  assert.equal(cycles, 0, 'no cycle while off');
  settings.set(SCHEDULER_KEY, schedulerSettingsSchema, { intervalMinutes: 1, timeframes: ['1d'] });
  await waitFor('cycles every (shortened) minute once settings turn it on', () => cycles >= 2);
  await scheduler.stop();
  const finished: JobSnapshot[] = market.jobs.list();
  assert.ok(finished.length >= 1 && finished.every((j) => j.state !== 'running'), 'stop waits for the cycle');
});

test('scheduler.stop cancels the job a cycle is waiting on', async (t) => {
  const { stub, market, settings } = await setup(t);
  settings.set(SCHEDULER_KEY, schedulerSettingsSchema, { timeframes: ['1m'] });
  // The stub would answer after 5 s; a stop that waited for the request would see it answered.
  stub.fault({ interval: '1m' }, { kind: 'hang', delayMs: 5000 }, 1);
  const scheduler = market.createScheduler(() => ['MNQ'], { intervalMinutes: 5 });
  const run = scheduler.runNow();
  const hanging = await waitFor('the 1m request to reach the stub', () => stub.requests.find((r) => r.interval === '1m'));
  assert.equal(scheduler.status().state, 'running');
  assert.equal(scheduler.status().currentInstrument, 'MNQ');
  await scheduler.stop();
  assert.equal(hanging.status, 0, 'stop did not wait for the hanging request to be answered');
  const summary = await run;
  assert.equal(summary.items[0]?.outcome, 'failed');
  const job = market.jobs.require(summary.items[0]?.jobId ?? '');
  assert.equal(job.timeframes[0]?.error?.code, 'TL_MARKET_CANCELLED');
});

test('jobs run at most MAX_RUNNING_JOBS at once: of 20 requested the others wait queued, in order, and all finish', async (t) => {
  const specs = BUILT_IN_SPECS.slice(0, 20);
  assert.equal(specs.length, 20);
  const { stub, market } = await setup(t, 15, Object.fromEntries(specs.map((s) => [s.yahooSymbol, 100])));
  let mostRunning = 0;
  const startOrder: string[] = [];
  market.jobs.subscribe((job, event) => {
    if (event.type === 'start') startOrder.push(job.id);
    const running = market.jobs.list().filter((j) => j.state === 'running').length;
    mostRunning = Math.max(mostRunning, running);
  });
  const started = specs.map((s) => market.jobs.start(s.root, { timeframes: ['1h'] }));
  assert.equal(new Set(started.map((s) => s.id)).size, 20);
  assert.ok(started.every((s) => !s.joined));
  assert.deepEqual(
    started.map((s) => s.job.state),
    [...Array(MAX_RUNNING_JOBS).fill('running'), ...Array(20 - MAX_RUNNING_JOBS).fill('queued')],
  );
  assert.deepEqual(
    started.slice(MAX_RUNNING_JOBS).map((s) => s.job.queuePosition),
    Array.from({ length: 20 - MAX_RUNNING_JOBS }, (_, i) => i + 1),
  );
  const queued = started[19] as (typeof started)[number];
  assert.equal(queued.job.startedAt, undefined, 'a queued job has not started');
  assert.equal(market.jobs.get(queued.id)?.state, 'queued');
  // Asking again for a queued instrument joins its job.
  const again = market.jobs.start(specs[19]?.root as string, { timeframes: ['1h'] });
  assert.deepEqual([again.joined, again.id, again.job.state], [true, queued.id, 'queued']);

  const done = await Promise.all(started.map((s) => market.jobs.wait(s.id)));
  assert.ok(done.every((j) => j.state === 'done' && j.outcome === 'ok'));
  assert.equal(mostRunning, MAX_RUNNING_JOBS, 'never more than that many at once, and that many did run together');
  assert.deepEqual(
    startOrder,
    started.map((s) => s.id),
    'started in the order they were asked for',
  );
  assert.ok(done.every((j) => j.startedAt !== undefined && j.requestedAt <= (j.startedAt as string)));
  assert.equal(stub.requests.length, 20);
});

test('jobs.cancel of a queued job ends it without ever running it', async (t) => {
  const { stub, market } = await setup(t, 10);
  const first = market.jobs.start('MNQ', { timeframes: ['1h'] });
  const second = market.jobs.start('ES', { timeframes: ['1h'] });
  const third = market.jobs.start('NQ', { timeframes: ['1h', '1d'] });
  assert.deepEqual([first.job.state, second.job.state, third.job.state], ['running', 'running', 'queued']);
  market.jobs.cancel(third.id);
  const cancelled = await market.jobs.wait(third.id);
  assert.equal(cancelled.state, 'failed');
  assert.equal(cancelled.error?.code, 'TL_MARKET_CANCELLED');
  assert.deepEqual(
    cancelled.timeframes.map((x) => x.status),
    ['skipped', 'skipped'],
  );
  await Promise.all([market.jobs.wait(first.id), market.jobs.wait(second.id)]);
  assert.equal(stub.count({ symbol: 'NQ=F' }), 0, 'the cancelled job never asked the provider');
});
