import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, cookieHeader, cookiesFrom } from '../helpers/web.js';

// Reviewing through the real app (inject): previous/next within the list's filter and order, the way back to the
// list keeping the filter, bulk "mark reviewed", the verdict in the list, and an open position marked to the
// newest stored bar at the app's pinned clock (TEST_NOW, Friday 20 November 2026 22:30 UTC).

const HEADER = 'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation';
// Wall-clock times in the import zone (America/Los_Angeles by default).
const FILLS = [
  ['MNQ 12-26', 'Buy', 1, '21000.00', '11/16/2026 9:00:00 AM', 'a1', 'SIM1', ''],
  ['MNQ 12-26', 'Sell', 1, '21010.00', '11/16/2026 9:10:00 AM', 'a2', 'SIM1', ''],
  ['MNQ 12-26', 'Buy', 1, '21000.00', '11/17/2026 9:00:00 AM', 'b1', 'SIM1', 'Valid'],
  ['MNQ 12-26', 'Sell', 1, '20990.00', '11/17/2026 9:10:00 AM', 'b2', 'SIM1', 'Valid'],
  ['ES 12-26', 'Buy', 1, '6000.00', '11/17/2026 9:20:00 AM', 'c1', 'SIM1', ''],
  ['ES 12-26', 'Sell', 1, '6001.00', '11/17/2026 9:25:00 AM', 'c2', 'SIM1', ''],
  ['MNQ 12-26', 'Buy', 1, '21000.00', '11/17/2026 9:30:00 AM', 'd1', 'SIM2', ''],
  ['MNQ 12-26', 'Sell', 1, '21020.00', '11/17/2026 9:40:00 AM', 'd2', 'SIM2', ''],
  ['MNQ 12-26', 'SellShort', 1, '21100.00', '11/18/2026 9:00:00 AM', 'e1', 'SIM1', 'Invalid'],
  ['MNQ 12-26', 'BuyToCover', 1, '21090.00', '11/18/2026 9:10:00 AM', 'e2', 'SIM1', 'Invalid'],
  ['MNQ 12-26', 'Buy', 1, '21000.00', '11/18/2026 9:30:00 AM', 'f1', 'SIM1', ''],
  ['MNQ 12-26', 'Sell', 1, '21005.00', '11/18/2026 9:40:00 AM', 'f2', 'SIM1', ''],
  // Open: two lots bought, the first one sold (FIFO), one contract bought at 21004.25 still open.
  ['MNQ 12-26', 'Buy', 1, '21000.00', '11/20/2026 10:00:00 AM', 'g1', 'SIM1', ''],
  ['MNQ 12-26', 'Buy', 1, '21004.25', '11/20/2026 10:30:00 AM', 'g2', 'SIM1', ''],
  ['MNQ 12-26', 'Sell', 1, '21010.00', '11/20/2026 11:00:00 AM', 'g3', 'SIM1', ''],
] as const;

function csv(): string {
  const lines = FILLS.map(([instrument, action, qty, price, time, id, account, validation]) => {
    const entry = action === 'Buy' || action === 'SellShort' ? 'Entry' : 'Exit';
    return `${instrument},${action},${qty},${price},${time},${id},${entry},-,o${id},${entry},$0.52,1,${account},Sim101,${validation}`;
  });
  return `${HEADER}\n${lines.join('\n')}\n`;
}

interface Row {
  id: number;
  account: string;
  instrument: string;
  status: string;
  openedAt: string;
  netPnl: number;
  reviewed: boolean;
  validity: string | null;
  unrealizedPnl?: number | null;
  unrealizedAt?: string | null;
}

let app: FastifyInstance;
/** SIM1's MNQ positions, newest first: open (11/20), 11/18 long, 11/18 short, 11/17, 11/16. */
let mnq: Row[];

const hooks: (() => unknown)[] = [];
after(async () => {
  for (const h of hooks.reverse()) await h();
});

before(async () => {
  app = (await buildTestApp({ after: (fn: () => unknown) => hooks.push(fn) })).app;
  const services = app.tradelog.services;
  assert.ok(services);
  const result = await services.trades.importFile({ name: 'fills.csv', content: csv() });
  assert.equal(result.rejected.length, 0, JSON.stringify(result.rejected));
  // 1m bars: two before the pinned clock (the newest of them is the mark) and one after it (not there yet at
  // TEST_NOW: never used); a 1h bar that opened earlier than the newest 1m bar.
  const m1 = [
    'time,open,high,low,close,volume',
    '2026-11-20T21:58:00Z,21018,21021,21017,21020.50,10',
    '2026-11-20T21:59:00Z,21020.50,21021,21018,21019.00,12',
    '2026-11-20T23:00:00Z,30000,30000,30000,30000,1',
  ].join('\n');
  services.market.importBarText(m1, { instrument: 'MNQ', timeframe: '1m' });
  services.market.importBarText('time,open,high,low,close,volume\n2026-11-20T21:00:00Z,21000,21030,20990,21015,500', {
    instrument: 'MNQ',
    timeframe: '1h',
  });
  mnq = (await app.inject({ method: 'GET', url: '/api/positions?account=SIM1&instrument=MNQ' })).json().items;
  assert.equal(mnq.length, 5);
});

async function csrf(): Promise<{ token: string; cookie: string }> {
  const res = await app.inject({ method: 'GET', url: '/positions' });
  const token = cookiesFrom(res).tl_csrf as string;
  return { token, cookie: cookieHeader({ tl_csrf: token }) };
}

function links(body: string): { back?: string; prev?: string; next?: string; row?: string } {
  const attr = (id: string) =>
    /href="([^"]*)"/.exec(new RegExp(`<a [^>]*id="${id}"[^>]*>`).exec(body)?.[0] ?? '')?.[1]?.replaceAll('&amp;', '&');
  return {
    back: attr('back-to-list'),
    prev: attr('prev-position'),
    next: attr('next-position'),
    row: /id="list-row"[^>]*>([^<]*)</.exec(body)?.[1],
  };
}

const at = (i: number) => mnq[i] as Row;

test('position page links previous and next within the list filter and keeps the filter when opened from it', async () => {
  const qs = 'account=SIM1&instrument=MNQ';
  const list = await app.inject({ method: 'GET', url: `/positions?${qs}` });
  assert.equal(list.statusCode, 200);
  // Rows link to their positions with the list's query.
  assert.match(list.body, new RegExp(`href="/positions/${at(2).id}\\?account=SIM1&amp;instrument=MNQ"`));

  const page = await app.inject({ method: 'GET', url: `/positions/${at(2).id}?${qs}` });
  assert.equal(page.statusCode, 200);
  assert.deepEqual(links(page.body), {
    back: `/positions?${qs}#row-${at(2).id}`,
    prev: `/positions/${at(1).id}?${qs}`,
    next: `/positions/${at(3).id}?${qs}`,
    row: '3 of 5',
  });
  // The first row has no previous, the last no next: the other accounts and instruments are not in this list.
  const first = links((await app.inject({ method: 'GET', url: `/positions/${at(0).id}?${qs}` })).body);
  assert.equal(first.prev, undefined);
  assert.equal(first.next, `/positions/${at(1).id}?${qs}`);
  const last = links((await app.inject({ method: 'GET', url: `/positions/${at(4).id}?${qs}` })).body);
  assert.equal(last.next, undefined);
  assert.equal(last.prev, `/positions/${at(3).id}?${qs}`);
  // A position outside the filter (the ES trade of 11/17, 9:20) links to the rows it would sit between.
  const es = (await app.inject({ method: 'GET', url: '/api/positions?instrument=ES' })).json().items[0] as Row;
  const outside = links((await app.inject({ method: 'GET', url: `/positions/${es.id}?${qs}` })).body);
  assert.equal(outside.prev, `/positions/${at(2).id}?${qs}`);
  assert.equal(outside.next, `/positions/${at(3).id}?${qs}`);
  assert.equal(outside.row, 'not in this list (5)');
  assert.equal(outside.back, `/positions?${qs}#row-${es.id}`);
});

test('position page neighbours follow the list order when the list is sorted by net P&L ascending', async () => {
  const qs = 'account=SIM1&instrument=MNQ&sort=netPnl&order=asc';
  const closed = mnq.filter((p) => p.status === 'closed');
  const byNet = [...mnq].sort((a, b) => a.netPnl - b.netPnl || a.id - b.id);
  assert.equal(closed.length, 4);
  const i = byNet.findIndex((p) => p.id === at(1).id);
  const page = await app.inject({ method: 'GET', url: `/positions/${at(1).id}?${qs}` });
  const l = links(page.body);
  assert.equal(l.row, `${i + 1} of 5`);
  assert.equal(l.prev, i > 0 ? `/positions/${byNet[i - 1]?.id}?${qs}` : undefined);
  assert.equal(l.next, i < 4 ? `/positions/${byNet[i + 1]?.id}?${qs}` : undefined);
});

test('back link returns to the list page the position is on when the list has pages', async () => {
  const qs = 'account=SIM1&instrument=MNQ&pageSize=2';
  const l = links((await app.inject({ method: 'GET', url: `/positions/${at(4).id}?${qs}&page=1` })).body);
  // Row 5 of 5 at two a page is on page 3; the page the link came from (1) is not carried.
  assert.equal(l.back, `/positions?${qs}&page=3#row-${at(4).id}`);
  assert.equal(l.prev, `/positions/${at(3).id}?${qs}`);
});

test('journal save returns to the position with the list filter kept', async () => {
  const { token, cookie } = await csrf();
  const qs = 'account=SIM1&instrument=MNQ';
  const res = await app.inject({
    method: 'POST',
    url: `/positions/${at(3).id}/journal?${qs}`,
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `_csrf=${token}&note=checked&tags=&validity=`,
  });
  assert.equal(res.statusCode, 303, res.body);
  assert.equal(res.headers.location, `/positions/${at(3).id}?saved=1&${qs}#journal`);
  const page = await app.inject({ method: 'GET', url: res.headers.location as string });
  assert.match(page.body, new RegExp(`action="/positions/${at(3).id}/journal\\?account=SIM1&amp;instrument=MNQ"`));
});

test('bulk mark reviewed changes every selected position in one request and returns to the filtered list', async () => {
  const { token, cookie } = await csrf();
  const ids = [at(1).id, at(2).id];
  const res = await app.inject({
    method: 'POST',
    url: '/positions/reviewed?account=SIM1&instrument=MNQ&reviewed=no',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `_csrf=${token}&${ids.map((id) => `id=${id}`).join('&')}&reviewed=yes`,
  });
  assert.equal(res.statusCode, 303, res.body);
  assert.equal(res.headers.location, '/positions?account=SIM1&instrument=MNQ&reviewed=no&marked=reviewed-2');
  const list = await app.inject({ method: 'GET', url: res.headers.location as string });
  assert.match(list.body, /id="marked">Marked 2 positions as reviewed\./);
  const reviewed = (await app.inject({ method: 'GET', url: '/api/positions?account=SIM1&instrument=MNQ&reviewed=yes' })).json();
  assert.deepEqual(reviewed.items.map((p: Row) => p.id).sort(), [...ids].sort());

  // A reviewed position is no longer in the "not reviewed" list, but its neighbours there are still the rows
  // around where it was: reviewing goes on with j.
  const page = await app.inject({ method: 'GET', url: `/positions/${at(2).id}?account=SIM1&instrument=MNQ&reviewed=no` });
  const l = links(page.body);
  assert.equal(l.prev, `/positions/${at(0).id}?account=SIM1&instrument=MNQ&reviewed=no`);
  assert.equal(l.next, `/positions/${at(3).id}?account=SIM1&instrument=MNQ&reviewed=no`);
  assert.match(page.body, /id="list-row" class="muted">not in this list \(3\)/);

  // Unmarking by the same form.
  const undo = await app.inject({
    method: 'POST',
    url: '/positions/reviewed',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    payload: `_csrf=${token}&id=${at(1).id}&reviewed=no`,
  });
  assert.equal(undo.statusCode, 200, undo.body);
  assert.deepEqual(undo.json(), { updated: 1, reviewed: false });
  const after = (await app.inject({ method: 'GET', url: '/api/positions?account=SIM1&instrument=MNQ&reviewed=yes' })).json();
  assert.deepEqual(
    after.items.map((p: Row) => p.id),
    [at(2).id],
  );
});

test('bulk mark reviewed changes nothing when one id names no position, the CSRF token is missing or the body is too large', async () => {
  const { token, cookie } = await csrf();
  const before = (await app.inject({ method: 'GET', url: '/api/positions?reviewed=yes&pageSize=500' })).json().total;
  const unknown = await app.inject({
    method: 'POST',
    url: '/positions/reviewed',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `_csrf=${token}&id=${at(4).id}&id=999999&reviewed=yes`,
  });
  assert.equal(unknown.statusCode, 404);
  assert.match(unknown.body, /There is no position 999999/);
  const noToken = await app.inject({
    method: 'POST',
    url: '/positions/reviewed',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `id=${at(4).id}&reviewed=yes`,
  });
  assert.equal(noToken.statusCode, 403);
  const tooMany = await app.inject({
    method: 'POST',
    url: '/positions/reviewed',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `_csrf=${token}&${Array.from({ length: 501 }, () => `id=${at(4).id}`).join('&')}&reviewed=yes`,
  });
  assert.equal(tooMany.statusCode, 400, 'at most 500 ids a request');
  const tooLarge = await app.inject({
    method: 'POST',
    url: '/positions/reviewed',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: `_csrf=${token}&id=${at(4).id}&reviewed=yes&pad=${'x'.repeat(40_000)}`,
  });
  assert.equal(tooLarge.statusCode, 413);
  const afterCount = (await app.inject({ method: 'GET', url: '/api/positions?reviewed=yes&pageSize=500' })).json().total;
  assert.equal(afterCount, before);
  assert.equal(
    (await app.inject({ method: 'GET', url: `/api/positions/${at(4).id}` })).json().reviewed,
    false,
    'the known id of the refused request was not marked',
  );
});

test('positions list shows each position verdict, the trader’s or the imported file’s', async () => {
  const short = mnq.find((p) => p.validity === 'invalid');
  const valid = mnq.find((p) => p.validity === 'valid');
  assert.ok(short && valid, JSON.stringify(mnq.map((p) => p.validity)));
  const list = await app.inject({ method: 'GET', url: '/positions?account=SIM1&instrument=MNQ' });
  const row = (id: number) => new RegExp(`<tr data-id="${id}"[\\s\\S]*?</tr>`).exec(list.body)?.[0] ?? '';
  assert.match(row(short.id), /class="badge verdict invalid"[^>]*>invalid</);
  assert.match(row(valid.id), /class="badge verdict valid"[^>]*>valid</);
  assert.doesNotMatch(row(at(4).id), /badge verdict/);
});

test('open position is marked to the newest bar stored at or before the pinned clock, FIFO over its open lot', async () => {
  const open = at(0);
  assert.equal(open.status, 'open');
  // 1 contract open at 21004.25 (the 21000 lot was closed first); the newest bar at 22:30 is the 1m bar of 21:59
  // (close 21019.00), not the later 23:00 bar nor the 1h bar of 21:00: (21019 − 21004.25) × $2 = $29.50.
  assert.equal(open.unrealizedPnl, 29.5);
  assert.equal(open.unrealizedAt, '2026-11-20T21:59:00.000Z');
  const one = (await app.inject({ method: 'GET', url: `/api/positions/${open.id}` })).json();
  assert.equal(one.unrealizedPnl, 29.5);
  assert.equal(one.unrealizedAt, '2026-11-20T21:59:00.000Z');
  // Closed positions carry no mark.
  assert.equal('unrealizedPnl' in at(1), false);

  const page = await app.inject({ method: 'GET', url: `/positions/${open.id}` });
  assert.match(page.body, /id="unrealized-pnl">\+\$29\.50</);
  assert.match(page.body, /id="unrealized-at">1 open at 21019\.00, the close of the 1m bar of [^<]*13:59/);
  const list = await app.inject({ method: 'GET', url: '/positions?status=open' });
  assert.match(list.body, /\+\$29\.50<\/span><span class="muted small mark-note">unrealized<\/span>/);
});

test('open position has no mark when no stored bar reaches the time it opened', async (t) => {
  const { app: other } = await buildTestApp(t);
  const services = other.tradelog.services;
  assert.ok(services);
  await services.trades.importFile({ name: 'fills.csv', content: csv() });
  // Only a bar from before the open position's first fill.
  services.market.importBarText('time,open,high,low,close,volume\n2026-11-19T15:00:00Z,1,1,1,1,1', { instrument: 'MNQ', timeframe: '1m' });
  const open = (await other.inject({ method: 'GET', url: '/api/positions?status=open' })).json().items[0];
  assert.equal(open.unrealizedPnl, null);
  assert.equal(open.unrealizedAt, null);
  const page = await other.inject({ method: 'GET', url: `/positions/${open.id}` });
  assert.match(page.body, /No bar of MNQ stored since it opened/);
});
