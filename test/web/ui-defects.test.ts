import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, cookieHeader, cookiesFrom } from '../helpers/web.js';

// Defects found trying the web app as a new user (issue 9, section 3), each through the app built as `serve`
// builds it, on a real journal in a temp data dir.

const HEADER = 'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation';

/** Three closed MNQ round trips on three days, the middle one marked Valid in the file's TradeValidation column. */
const THREE_TRADES = [
  HEADER,
  'MNQ 12-25,Buy,1,21000.00,10/1/2025 9:30:00 AM,a1,Entry,1 L,o1,Entry,$0.52,1,SIM1,Sim101,',
  'MNQ 12-25,Sell,1,21010.00,10/1/2025 9:45:00 AM,a2,Exit,-,o2,Exit,$0.52,1,SIM1,Sim101,',
  'MNQ 12-25,Buy,2,21100.00,10/2/2025 9:30:00 AM,b1,Entry,2 L,o3,Entry,$1.04,1,SIM1,Sim101,Valid',
  'MNQ 12-25,Sell,2,21090.00,10/2/2025 9:45:00 AM,b2,Exit,-,o4,Exit,$1.04,1,SIM1,Sim101,Valid',
  'MNQ 12-25,Sell,1,21200.00,10/3/2025 9:30:00 AM,c1,Entry,1 S,o5,Entry,$0.52,1,SIM1,Sim101,',
  'MNQ 12-25,BuyToCover,1,21190.00,10/3/2025 9:45:00 AM,c2,Exit,-,o6,Exit,$0.52,1,SIM1,Sim101,',
  '',
].join('\n');

async function appWithTrades(t: Parameters<typeof buildTestApp>[0], csv = THREE_TRADES) {
  const built = await buildTestApp(t);
  const services = built.app.tradelog.services;
  assert.ok(services);
  const r = await services.trades.importFile({ name: 'three.csv', content: csv });
  assert.equal(r.status, 'imported', JSON.stringify(r.rejected));
  return { ...built, services };
}

async function csrf(app: Awaited<ReturnType<typeof buildTestApp>>['app']): Promise<{ token: string; cookie: string }> {
  const res = await app.inject({ method: 'GET', url: '/import' });
  const token = cookiesFrom(res).tl_csrf as string;
  return { token, cookie: cookieHeader({ tl_csrf: token }) };
}

/** Ids of the position links in the dashboard's "Recent positions" table, top to bottom. */
function recentIds(html: string): number[] {
  const table = /<table id="recent">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  return [...table.matchAll(/href="\/positions\/(\d+)"/g)].map((m) => Number(m[1]));
}

test('dashboard recent positions stay newest first when the page is loaded again', async (t) => {
  const { app, services } = await appWithTrades(t);
  const newestFirst = services.trades
    .listPositions()
    .map((p) => p.id)
    .reverse();
  for (let view = 1; view <= 3; view++) {
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(recentIds(res.body), newestFirst, `view ${view}`);
  }
});

test('remembered trades results are frozen outside production, so a caller that mutates one fails loudly', async (t) => {
  const { services } = await appWithTrades(t);
  const list = services.trades.listPositions();
  assert.ok(Object.isFrozen(list) && Object.isFrozen(list[0]) && Object.isFrozen(list[0]?.tags));
  assert.throws(() => (list as unknown as number[]).reverse(), TypeError);
  assert.throws(() => {
    (list[0] as { netPnl: number }).netPnl = 0;
  }, TypeError);
  assert.ok(Object.isFrozen(services.trades.stats({}, { by: 'day' }).groups));
  assert.ok(Object.isFrozen(services.trades.allTags()));
});
