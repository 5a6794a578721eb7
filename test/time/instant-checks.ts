import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { DateTime } from 'luxon';
import { isOpen, openRanges, sessionFor, tradingDay } from '../../src/calendar/sessions.js';
import { manualClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { FEED_DELAY_SEC } from '../../src/market-data/downloader.js';
import type { JobSnapshot } from '../../src/market-data/jobs.js';
import { SCHEDULER_KEY, schedulerSettingsSchema } from '../../src/market-data/scheduler.js';
import { startBackground } from '../../src/web/background.js';
import { NAV } from '../../src/web/render.js';
import { waitFor } from '../helpers/wait.js';
import { buildTestApp, cookieHeader, cookiesFrom } from '../helpers/web.js';
import { startYahooStub } from '../helpers/yahoo-stub.js';

/**
 * The date-sensitive parts of tradelog, run at one fixed instant on a pinned clock (never the day the suite runs):
 * the demo, the pages, the dashboard calendar, the scheduler and "Update from API" against the local Yahoo stub,
 * and the final-bar rule 20 minutes later. One app, one stub and one demo per instant: the demo is the costly part.
 *
 * What each instant expects is written down by hand (`lastSession`, `open`), from the CME calendar, not computed
 * by the code under test.
 */
export interface Instant {
  label: string;
  /** ISO 8601 UTC. */
  at: string;
  /** The trading day of the last session finished at `at`: the demo is built around it. */
  lastSession: string;
  /** Whether a session is open at `at`. */
  open: boolean;
  /** When open: the instant (ISO 8601 UTC) the running session opened. */
  openedAt?: string;
}

const INTRADAY_TIMEFRAMES = ['1m', '5m', '15m', '1h'] as const;
const INTRADAY = new Set<string>(INTRADAY_TIMEFRAMES);
const SIX = ['15m', '1d', '1h', '1m', '4h', '5m'];
const MINUTE = 60_000;

interface PositionJson {
  id: number;
  root: string;
  status: 'open' | 'closed';
  openedAt: string;
  closedAt: string | null;
}

export function testInstant(test: (name: string, fn: (t: TestContext) => Promise<void>) => unknown, instant: Instant): void {
  test(`${instant.label} (${instant.at}): demo, pages, calendar, scheduler and Update from API decide by the pinned clock`, async (t) => {
    const at = Date.parse(instant.at);
    const clock = manualClock(at);
    const stub = await startYahooStub({ clock });
    t.after(() => stub.close());
    const { app, config, paths } = await buildTestApp(t, { clock, env: { TRADELOG_YAHOO_BASE_URL: stub.url } });
    const services = app.tradelog.services;
    assert.ok(services);

    // The calendar facts this instant stands for.
    assert.equal(isOpen(at), instant.open, `the market is ${instant.open ? 'open' : 'closed'} at ${instant.at}`);
    if (instant.openedAt) assert.equal(sessionFor(tradingDay(at))?.open, Date.parse(instant.openedAt), 'the running session opened then');
    const last = sessionFor(instant.lastSession);
    assert.ok(last && last.close <= at, `${instant.lastSession} has a session that closed before ${instant.at}`);

    // "Load demo data", as the dashboard's button sends it.
    const form = await app.inject({ method: 'GET', url: '/' });
    const token = cookiesFrom(form).tl_csrf as string;
    const demo = await app.inject({
      method: 'POST',
      url: '/demo',
      headers: { cookie: cookieHeader({ tl_csrf: token }) },
      payload: { _csrf: token },
    });
    assert.equal(demo.statusCode, 303, demo.body);

    await t.test('the demo holds positions on trading days up to the last finished session, one of them open there', async () => {
      const positions = (await app.inject({ url: '/api/positions?pageSize=500' })).json().items as PositionJson[];
      const open = positions.filter((p) => p.status === 'open');
      assert.equal(open.length, 1, 'exactly one open position');
      assert.equal(tradingDay(Date.parse(open[0]?.openedAt ?? '')), instant.lastSession, 'opened in the last finished session');
      assert.ok(positions.filter((p) => p.status === 'closed').length > 20);
      for (const p of positions) {
        const day = tradingDay(Date.parse(p.closedAt ?? p.openedAt));
        assert.ok(sessionFor(day), `position ${p.id} on ${day}, a day without a session`);
        assert.ok(day <= instant.lastSession, `position ${p.id} on ${day}, after ${instant.lastSession}`);
      }
    });

    await t.test('the demo stored every timeframe, its minute bars only while the market was open, up to the last close', () => {
      for (const root of ['MNQ', 'ES']) {
        assert.deepEqual(
          services.market
            .coverage(root)
            .map((c) => c.timeframe)
            .sort(),
          SIX,
          root,
        );
      }
      const minutes = services.market.readBars('MNQ', '1m', { limit: 100_000 });
      assert.ok(minutes.length > 1000);
      const closed = minutes.filter((b) => !isOpen(b.time * 1000));
      assert.deepEqual(closed.slice(0, 3), [], `${closed.length} 1m bars while the market was closed`);
      assert.equal(((minutes.at(-1)?.time ?? 0) + 60) * 1000, last.close, 'the newest 1m bar ends at the last close');
    });

    await t.test('every page answers 200, the open position and a chart included', async () => {
      const open = ((await app.inject({ url: '/api/positions?status=open' })).json().items as PositionJson[])[0];
      const urls = [...NAV.map((n) => n.href), `/positions/${open?.id}`, '/charts?instrument=MNQ&timeframe=1h', '/health'];
      for (const url of urls) {
        const res = await app.inject({ url });
        assert.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 300)}`);
      }
    });

    await t.test(
      'the dashboard calendar opens on the newest month with trades and shows each trading day of the newest three',
      async () => {
        const positions = (await app.inject({ url: '/api/positions?status=closed&pageSize=500' })).json().items as PositionJson[];
        const perDay = new Map<string, number>();
        for (const p of positions) {
          const day = tradingDay(Date.parse(p.closedAt ?? ''));
          perDay.set(day, (perDay.get(day) ?? 0) + 1);
        }
        const months = [...new Set([...perDay.keys()].map((d) => d.slice(0, 7)))].sort().reverse().slice(0, 3);
        const title = (month: string) => DateTime.fromISO(`${month}-01`).toFormat('LLLL yyyy');
        const dashboard = (await app.inject({ url: '/' })).body;
        assert.equal(/id="cal-title">([^<]+)</.exec(dashboard)?.[1], title(months[0] as string));
        // The month before is a link away, whether or not it had trades.
        const before = DateTime.fromISO(`${months[0]}-01`).minus({ months: 1 }).toFormat('yyyy-LL');
        assert.match(dashboard, new RegExp(`href="/\\?cal=${before}" rel="prev"`));
        for (const month of months) {
          const page = (await app.inject({ url: `/?cal=${month}` })).body;
          assert.equal(/id="cal-title">([^<]+)</.exec(page)?.[1], title(month));
          const block = page.split('<div class="month">')[1] ?? '';
          assert.equal(
            block.split('<div class="d">').length - 1,
            DateTime.fromISO(`${month}-01`).daysInMonth,
            `${month}: every day of the month`,
          );
          const shown = [...block.matchAll(/title="(\d{4}-\d{2}-\d{2}): [^"]*, (\d+) positions"/g)].map((m) => [m[1], Number(m[2])]);
          const expected = [...perDay].filter(([d]) => d.startsWith(month)).sort();
          assert.deepEqual(shown, expected, `${month}: the trading days with closed positions`);
        }
      },
    );

    await t.test('a scheduler cycle fetches for the traded roots only what the market made since the demo', async () => {
      // The intraday timeframes the demo fills completely (its daily bars reach back one year, an update five).
      services.settings.set(SCHEDULER_KEY, schedulerSettingsSchema, { timeframes: [...INTRADAY_TIMEFRAMES] });
      startBackground(services, config, paths, silentLogger());
      const scheduler = services.scheduler;
      assert.ok(scheduler);
      const run = await scheduler.runNow();
      assert.equal(run.startedAt, instant.at.replace('Z', '.000Z'), 'stamped by the clock');
      assert.deepEqual(run.items.map((i) => [i.instrument, i.outcome]).sort(), [
        ['ES', 'ok'],
        ['MNQ', 'ok'],
      ]);
      const intraday = stub.requests.filter((r) => INTRADAY.has(r.interval));
      // The demo's bars reach the last close: only a session open now has anything new, from its open on.
      assert.equal(intraday.length > 0, instant.open, `intraday requests: ${JSON.stringify(intraday)}`);
      for (const r of intraday) assert.ok(r.period1 * 1000 >= Date.parse(instant.openedAt ?? ''), `${r.interval} from ${r.period1}`);
      for (const r of stub.requests) assert.ok(r.period2 * 1000 <= at, `${r.interval} asks past now: ${r.period2}`);
    });

    await t.test('Update from API stores bars in every timeframe, asking only for open-market time up to now', async () => {
      const before = stub.requests.length;
      const job = await updateJob(app, 'NQ');
      assert.equal(job.startedAt, instant.at.replace('Z', '.000Z'), 'stamped by the clock');
      assert.equal(job.outcome, 'ok', JSON.stringify(job.timeframes));
      for (const tf of job.timeframes) assert.ok(tf.stored > 0, `${tf.timeframe}: ${JSON.stringify(tf)}`);
      const asked = stub.requests.slice(before);
      assert.ok(asked.length > 0);
      for (const r of asked) {
        assert.ok(r.period2 * 1000 <= at, `${r.interval} asks past now`);
        assert.ok(openRanges(r.period1 * 1000, r.period2 * 1000).length > 0, `${r.interval} asks for closed time only`);
      }
      const newest = services.market.readBars('NQ', '1m', { limit: 1 })[0];
      assert.ok(newest && isOpen(newest.time * 1000) && newest.time * 1000 < at, `newest 1m bar ${JSON.stringify(newest)}`);
    });

    await t.test('20 minutes later an update asks again only if the market was open in between', async () => {
      const later = at + 20 * MINUTE;
      clock.set(later);
      const before = stub.requests.length;
      const job = await updateJob(app, 'NQ');
      assert.equal(job.outcome, 'ok', JSON.stringify(job.timeframes));
      const asked = stub.requests.slice(before).filter((r) => INTRADAY.has(r.interval));
      if (openRanges(at - FEED_DELAY_SEC * 1000, later).length === 0) {
        assert.deepEqual(asked, [], 'closed since before the feed delay: everything fetched was final');
      } else if (isOpen(later)) {
        assert.ok(asked.length > 0, 'open: the newest bars are asked for again');
        for (const r of asked) assert.ok(r.period2 * 1000 <= later);
      }
    });
  });
}

/** POST /api/market-data/update and follow the job until it has finished. */
async function updateJob(app: Awaited<ReturnType<typeof buildTestApp>>['app'], instrument: string): Promise<JobSnapshot> {
  const started = await app.inject({ method: 'POST', url: '/api/market-data/update', payload: { instrument } });
  assert.equal(started.statusCode, 202, started.body);
  const id = started.json().id as string;
  return waitFor(
    `update job ${id} to finish`,
    async () => {
      const job = (await app.inject({ url: `/api/jobs/${id}` })).json() as JobSnapshot;
      return job.state === 'running' ? undefined : job;
    },
    { timeoutMs: 60_000, intervalMs: 20 },
  );
}
