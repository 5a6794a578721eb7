import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { buildTestApp, cookieHeader, cookiesFrom } from '../helpers/web.js';
import { ntFile } from './helpers.js';

const ORDERS = path.join(ROOT, 'test', 'fixtures', 'formats', 'tradovate-orders', 'session.csv');
// A day after the Tradovate Orders fixture's session, a trade of the same account as NinjaTrader writes it through
// its connection, with the costs it states.
const FILLS = [
  'MNQ 06-26,Buy,1,21100.00,5/15/2026 9:31:02 AM,n1,Entry,1 L,9101,Entry,$0.52,1,DEMO4471200!Tradovate!Tradovate,Tradovate,',
  'MNQ 06-26,Sell,1,21104.00,5/15/2026 9:40:00 AM,n2,Exit,-,9102,Exit,$0.52,1,DEMO4471200!Tradovate!Tradovate,Tradovate,',
];

test('settings → accounts, the fees page and the position page’s stop, through the app', async (t) => {
  const { app, store } = await buildTestApp(t, { env: { TRADELOG_IMPORT_TIMEZONE: 'America/Los_Angeles' } });
  assert.ok(store && app.tradelog.services);
  const services = app.tradelog.services;
  // the orders report through the import: its fills (without costs) and its orders
  await services.trades.importFile({ path: ORDERS });
  await services.trades.importFile({ path: ntFile(t, FILLS) });
  const first = await app.inject({ method: 'GET', url: '/settings' });
  const token = cookiesFrom(first).tl_csrf as string;
  const post = (url: string, payload: Record<string, string>) =>
    app.inject({ method: 'POST', url, headers: { cookie: cookieHeader({ tl_csrf: token }) }, payload: { _csrf: token, ...payload } });
  const position = async () => {
    // the session's long position, opened at 9:31:02 Los Angeles
    const items = (await app.inject({ method: 'GET', url: '/api/positions' })).json().items as { id: number; openedAt: string }[];
    const p = items.find((x) => x.openedAt === '2026-05-14T16:31:02.000Z');
    return (await app.inject({ method: 'GET', url: `/api/positions/${p?.id}` })).json();
  };

  // two spellings: the orders' DEMO4471200, NinjaTrader's DEMO4471200!Tradovate!Tradovate (suggested)
  assert.match(first.body, /DEMO4471200!Tradovate!Tradovate<\/code> looks like <code>DEMO4471200/);
  const badCurrency = await post('/settings/accounts', { account: 'DEMO4471200', currency: 'dollars' });
  assert.equal(badCurrency.statusCode, 400);
  assert.match(badCurrency.body, /id="account-currency-error">&quot;dollars&quot; is not a currency/);
  assert.equal((await post('/settings/accounts', { account: 'DEMO4471200', firm: 'Tradeify', platform: 'Tradovate' })).statusCode, 303);
  const merged = await post('/settings/accounts/alias', { alias: 'DEMO4471200!Tradovate!Tradovate', account: 'DEMO4471200' });
  assert.equal(merged.statusCode, 303);
  assert.match(merged.headers.location as string, /saved=accounts&rebuilt=3/);
  const accounts = (await app.inject({ method: 'GET', url: '/api/positions' })).json().items.map((x: { account: string }) => x.account);
  assert.deepEqual(accounts, ['DEMO4471200', 'DEMO4471200', 'DEMO4471200'], 'the spelling’s trade is the account’s');

  let p = await position();
  assert.deepEqual([p.account, p.initialStop, p.initialStopSource], ['DEMO4471200', 21036.25, 'order']);
  assert.deepEqual([p.grossPnl, p.costs, p.netPnl], [-2, 0, -2]);

  // the page types a stop over the orders' one, and records a move in the display zone (Los Angeles)
  assert.equal((await post(`/positions/${p.id}/stops`, { initialStop: '21,035.00' })).statusCode, 303);
  assert.equal((await post(`/positions/${p.id}/stop-moves`, { at: '2026-05-14 09:35:10', stopPrice: '21040' })).statusCode, 303);
  const badMove = await post(`/positions/${p.id}/stop-moves`, { at: 'soon', stopPrice: '21040' });
  assert.equal(badMove.statusCode, 400);
  p = await position();
  assert.deepEqual([p.initialStop, p.initialStopSource, p.orderInitialStop], [21035, 'typed', 21036.25]);
  assert.deepEqual(p.stops.at(-1), { at: '2026-05-14T16:35:10.000Z', stopPrice: 21040, source: 'typed', moveId: 1 });
  const page = await app.inject({ method: 'GET', url: `/positions/${p.id}` });
  assert.match(page.body, /Initial stop: <strong>21035<\/strong>/);

  // fees: the orders report stated no costs for its fills; the firm's schedule is previewed, then applied
  const form = { scope: 'firm', scopeName: 'Tradeify', root: 'MNQ', side: 'both', from: '2026-01-02', commission: '0.25', nfa: '0.02' };
  const preview = await post('/settings/fees', { ...form, action: 'preview' });
  assert.equal(preview.statusCode, 200);
  // the session's two positions change, the NinjaTrader trade keeps its $1.04: 10 contract-sides × $0.27 = $2.70.
  // The first: 6 contract-sides × $0.27 = $1.62; (+6.5 − 7.5 pts) × $2 = −$2.00 gross; net −$2.00 → −$3.62
  assert.match(preview.body, /<strong>2<\/strong> of 3 positions change: costs \$1\.04 → \$3\.74/);
  assert.equal((await position()).costs, 0, 'a preview stores nothing');
  const applied = await post('/settings/fees', { ...form, action: 'apply' });
  assert.equal(applied.statusCode, 303);
  p = await position();
  assert.deepEqual([p.grossPnl, p.costs, p.commission, p.netPnl], [-2, 1.62, 1.62, -3.62]);
  const fees = await app.inject({ method: 'GET', url: '/settings/fees' });
  assert.match(fees.body, /firm Tradeify<\/td><td>MNQ<\/td><td>both<\/td><td>2026-01-02/);
  const badRoot = await post('/settings/fees', { ...form, root: 'ZZZ', action: 'preview' });
  assert.equal(badRoot.statusCode, 400);
  assert.match(badRoot.body, /id="fee-root-error"/);
  const stats = (await app.inject({ method: 'GET', url: '/api/stats' })).json();
  // −$2.00 + the short's 4.625 pts × 2 × $2 = $18.50 + the NinjaTrader trade's 4 pts × $2 = $8.00; costs $1.62 +
  // the short's 4 contract-sides × $0.27 = $1.08 + the $1.04 NinjaTrader stated
  assert.deepEqual([stats.grossPnl, stats.costs, stats.netPnl], [24.5, 3.74, 20.76]);
});
