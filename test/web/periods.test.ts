import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { manualClock } from '../../src/clock.js';
import { runCli } from '../helpers/cli.js';
import { buildTestApp } from '../helpers/web.js';

const HEADER = 'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation';

/** One long round trip of MNQ (tick 0.25, $2 a point) between two UTC wall-clock times ("M/D/YYYY h:mm:ss AM"). */
function trip(id: string, contract: string, open: string, close: string, entry: number, exit: number): string[] {
  return [
    `${contract},Buy,1,${entry.toFixed(2)},${open},${id}a,Entry,1 L,${id}o1,Entry,$0.50,1,SIM1,Sim101,`,
    `${contract},Sell,1,${exit.toFixed(2)},${close},${id}b,Exit,-,${id}o2,Exit,$0.50,1,SIM1,Sim101,`,
  ];
}

/**
 * Six positions, one per period boundary, for a clock at Sunday 2026-11-22 17:30 CST (23:30Z), half an hour into the
 * Sunday evening session, which is Monday 2026-11-23's trading day. Times are read in UTC (TRADELOG_IMPORT_TIMEZONE).
 */
const CSV = [
  HEADER,
  ...trip('sun', 'MNQ 12-26', '11/22/2026 11:05:00 PM', '11/22/2026 11:20:00 PM', 21000, 21001), // Monday 11-23: today
  ...trip('fri', 'MNQ 12-26', '11/20/2026 3:00:00 PM', '11/20/2026 3:30:00 PM', 21000, 21002), // last week, this month
  ...trip('nov', 'MNQ 12-26', '11/2/2026 3:00:00 PM', '11/2/2026 3:30:00 PM', 21000, 21003), // this month
  ...trip('oct', 'MNQ 12-26', '10/30/2026 2:00:00 PM', '10/30/2026 2:30:00 PM', 21000, 21004), // last 30 days
  ...trip('mar', 'MNQ 06-26', '3/10/2026 2:00:00 PM', '3/10/2026 2:30:00 PM', 21000, 21005), // year to date
  ...trip('old', 'MNQ 03-26', '12/31/2025 3:00:00 PM', '12/31/2025 3:30:00 PM', 21000, 21006), // all only
].join('\n');

const SUNDAY_EVENING = Date.parse('2026-11-22T23:30:00Z');

async function journal(t: TestContext, now = SUNDAY_EVENING) {
  const built = await buildTestApp(t, { env: { TRADELOG_IMPORT_TIMEZONE: 'UTC' }, clock: manualClock(now) });
  const services = built.app.tradelog.services;
  assert.ok(services);
  const r = await services.trades.importFile({ name: 'periods.csv', content: CSV });
  assert.equal(r.status, 'imported', JSON.stringify(r.rejected));
  return built;
}

/** Execution ids of the entries of the positions an API answer lists (which trips are in the period). */
async function tripsOf(
  app: Awaited<ReturnType<typeof journal>>['app'],
  query: string,
): Promise<{ trips: string[]; body: Record<string, unknown> }> {
  const res = await app.inject({ method: 'GET', url: `/api/positions?${query}` });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json() as { items: { avgExitPrice: number }[]; total: number };
  // Each trip exits at its own price: 21001 = sun … 21006 = old.
  const names = ['sun', 'fri', 'nov', 'oct', 'mar', 'old'];
  const trips = body.items.map((p) => names[Math.round(p.avgExitPrice - 21001)] ?? '?').sort();
  return { trips, body: body as unknown as Record<string, unknown> };
}

test('API positions period selects CME trading days when the clock stands in the Sunday evening session', async (t) => {
  const { app } = await journal(t);
  const expect: Record<string, string[]> = {
    today: ['sun'],
    'this-week': ['sun'],
    'this-month': ['fri', 'nov', 'sun'],
    'last-30-days': ['fri', 'nov', 'oct', 'sun'],
    'year-to-date': ['fri', 'mar', 'nov', 'oct', 'sun'],
    all: ['fri', 'mar', 'nov', 'old', 'oct', 'sun'],
  };
  for (const [period, trips] of Object.entries(expect)) {
    const got = await tripsOf(app, `period=${period}`);
    assert.deepEqual(got.trips, trips.sort(), period);
  }
  const week = await tripsOf(app, 'period=this-week');
  assert.deepEqual(week.body.period, { name: 'this-week', from: '2026-11-23', to: '2026-11-23' });
});

test('API positions period is last week’s when the clock stands on Sunday before the evening session opens', async (t) => {
  const { app } = await journal(t, Date.parse('2026-11-22T22:30:00Z'));
  assert.deepEqual((await tripsOf(app, 'period=today')).trips, ['fri']);
  assert.deepEqual((await tripsOf(app, 'period=this-week')).trips, ['fri']);
});

test('API stats period gives the totals of its trading days and refuses a period together with from/to', async (t) => {
  const { app } = await journal(t);
  const res = await app.inject({ method: 'GET', url: '/api/stats?period=this-month' });
  assert.equal(res.statusCode, 200);
  const s = res.json() as { positions: number; netPnl: number; period: unknown };
  assert.equal(s.positions, 3);
  // (1 + 2 + 3) points × $2 − 3 × $1.00 commission
  assert.equal(s.netPnl, 9);
  assert.deepEqual(s.period, { name: 'this-month', from: '2026-11-01', to: '2026-11-23' });
  const both = await app.inject({ method: 'GET', url: '/api/stats?period=today&from=2026-11-01' });
  assert.equal(both.statusCode, 400);
  assert.equal((both.json() as { error: { code: string } }).error.code, 'TL_TRADES_BAD_FILTER');
  const unknown = await app.inject({ method: 'GET', url: '/api/positions?period=fortnight' });
  assert.equal(unknown.statusCode, 400);
  // A custom range is from/to, as before.
  assert.deepEqual((await tripsOf(app, 'from=2026-10-30&to=2026-11-02')).trips, ['nov', 'oct']);
});

test('pages take the period from the address and keep it in their links when one is chosen', async (t) => {
  const { app } = await journal(t);
  const positions = await app.inject({ method: 'GET', url: '/positions?period=this-month' });
  assert.equal(positions.statusCode, 200);
  assert.match(positions.body, /id="position-count">3 positions/);
  assert.match(positions.body, /This month: trading days 2026-11-01 to 2026-11-23/);
  assert.match(positions.body, /<a href="\/positions\?[^"]*period=this-month" data-period="this-month" aria-current="true">/);
  assert.match(positions.body, /<a href="\/positions\?[^"]*period=today" data-period="today">/);
  // The downloads carry the period, and give the same positions.
  assert.match(positions.body, /href="\/export\/positions\.csv\?period=this-month"/);
  const csv = await app.inject({ method: 'GET', url: '/export/positions.csv?period=this-month' });
  assert.equal(csv.statusCode, 200);
  assert.equal(csv.body.trim().split('\r\n').length, 1 + 3);

  const stats = await app.inject({ method: 'GET', url: '/statistics?period=today&by=day' });
  assert.equal(stats.statusCode, 200);
  assert.match(stats.body, /Today: trading day 2026-11-23/);
  assert.match(stats.body, /href="\/statistics\?by=day&amp;period=this-week"|href="\/statistics\?by=day&period=this-week"/);
  assert.match(
    stats.body,
    /href="\/export\/statistics\.csv\?by=day&amp;period=today"|href="\/export\/statistics\.csv\?by=day&period=today"/,
  );

  const dash = await app.inject({ method: 'GET', url: '/?period=year-to-date' });
  assert.equal(dash.statusCode, 200);
  assert.match(dash.body, /Year to date: trading days 2026-01-01 to 2026-11-23/);
  // 1+2+3+4+5 points × $2 − 5 × $1.00
  assert.match(dash.body, /id="kpi-net">\+\$25\.00</);
  const all = await app.inject({ method: 'GET', url: '/' });
  assert.match(all.body, /id="kpi-net">\+\$36\.00</);
  // A custom range typed into the form wins over the named period its hidden field keeps.
  const custom = await app.inject({ method: 'GET', url: '/?period=today&from=2026-11-20&to=2026-11-20' });
  assert.match(custom.body, /Custom range: trading day 2026-11-20/);
  assert.match(custom.body, /id="kpi-net">\+\$3\.00</);
});

test('dashboard calendar pages to the previous and next month and shows a year as a heatmap', async (t) => {
  const { app } = await journal(t);
  const month = await app.inject({ method: 'GET', url: '/?period=this-week' });
  // The month of the newest day of the period; its neighbours are a link away, the period kept.
  assert.match(month.body, /id="calendar" data-month="2026-11"/);
  assert.match(month.body, /href="\/\?period=this-week&amp;cal=2026-10" rel="prev"|href="\/\?period=this-week&cal=2026-10" rel="prev"/);
  assert.match(month.body, /cal=2026-12" rel="next"/);
  const october = await app.inject({ method: 'GET', url: '/?cal=2026-10' });
  assert.match(october.body, /id="calendar" data-month="2026-10"/);
  assert.match(october.body, /href="\/positions\?from=2026-10-30&amp;to=2026-10-30"|href="\/positions\?from=2026-10-30&to=2026-10-30"/);
  const year = await app.inject({ method: 'GET', url: '/?cal=2026' });
  assert.match(year.body, /id="calendar" data-year="2026"/);
  // Five trading days of 2026 have results (the Sunday evening trip is Monday the 23rd's).
  assert.match(year.body, /<svg class="heatmap" id="year-heatmap"[^>]*data-days="5"/);
  assert.match(year.body, /data-day="2026-11-23" data-net="1"/);
  assert.doesNotMatch(year.body, /data-day="2026-11-22"/);
  const bad = await app.inject({ method: 'GET', url: '/?cal=2026-13' });
  assert.equal(bad.statusCode, 400);
});

test('CLI --period resolves on the command’s clock when it stands in the Sunday evening session', async (t) => {
  const { paths } = await journal(t);
  const run = (args: string[]) =>
    runCli([...args, '--data-dir', paths.dataDir], { TRADELOG_IMPORT_TIMEZONE: 'UTC' }, undefined, SUNDAY_EVENING);
  const week = run(['positions', '--period', 'this-week', '--json']);
  assert.equal(week.status, 0, week.stderr);
  assert.deepEqual(
    (JSON.parse(week.stdout) as { avgExitPrice: number }[]).map((p) => p.avgExitPrice),
    [21001],
  );
  const month = JSON.parse(run(['stats', '--period', 'this-month', '--json']).stdout) as { positions: number; netPnl: number };
  assert.deepEqual([month.positions, month.netPnl], [3, 9]);
  const csv = run(['export', 'positions', '--period', 'last-30-days']);
  assert.equal(csv.stdout.trim().split('\r\n').length, 1 + 4);
  const both = run(['positions', '--period', 'today', '--from', '2026-11-01']);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /error TL_CLI_USAGE: --period cannot be combined with --from\/--to/);
  const unknown = run(['stats', '--period', 'fortnight']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /--period fortnight is not a period/);
});

test('a position opened from a list of a named period moves within that period and links back to it', async (t) => {
  const { app } = await journal(t);
  const list = (await app.inject({ method: 'GET', url: '/api/positions?period=this-month' })).json() as {
    items: { id: number; avgExitPrice: number }[];
  };
  const fri = list.items.find((p) => p.avgExitPrice === 21002);
  assert.ok(fri);
  const page = await app.inject({ method: 'GET', url: `/positions/${fri.id}?period=this-month` });
  assert.equal(page.statusCode, 200);
  // Newest first: sun (11-23), fri (11-20), nov (11-02); the trips outside the month are not neighbours.
  assert.match(page.body, /id="list-row">2 of 3</);
  assert.match(page.body, /id="back-to-list" href="[^"]*period=this-month|href="[^"]*period=this-month[^"]*" id="back-to-list"/);
  assert.match(page.body, /href="\/positions\/\d+\?period=this-month" rel="prev"/);
});
