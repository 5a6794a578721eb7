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
  const table = /<table id="recent"[^>]*>([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
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

test('settings adding an instrument nobody traded recalculates no position, and a point value change only its own root', async (t) => {
  const { app, services } = await appWithTrades(t);
  const es = [HEADER, 'ES 12-25,Buy,1,6000.00,10/6/2025 9:30:00 AM,e1,Entry,1 L,o7,Entry,$2.00,1,SIM1,Sim101,'];
  es.push('ES 12-25,Sell,1,6001.00,10/6/2025 9:45:00 AM,e2,Exit,-,o8,Exit,$2.00,1,SIM1,Sim101,', '');
  await services.trades.importFile({ name: 'es.csv', content: es.join('\n') });
  const { token, cookie } = await csrf(app);
  const post = (payload: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/settings/instruments', headers: { cookie }, payload: { _csrf: token, ...payload } });

  const added = await post({ root: 'abc', pointValue: '10', tickSize: '0.1' });
  assert.equal(added.statusCode, 303, added.body);
  assert.match(String(added.headers.location), /root=ABC&rebuilt=0/);
  const page = await app.inject({ method: 'GET', url: String(added.headers.location) });
  assert.match(page.body, /id="saved">Saved ABC\. No position needed recalculating\./);

  const mnq = await post({ root: 'MNQ', pointValue: '3' });
  assert.match(String(mnq.headers.location), /root=MNQ&rebuilt=3\b/, 'the three MNQ positions, not the ES one');
  const after = await app.inject({ method: 'GET', url: String(mnq.headers.location) });
  assert.match(after.body, /3 positions of MNQ recalculated with the new point value/);
  assert.deepEqual(
    services.trades.listPositions().map((p) => [p.root, p.pointValue]),
    [
      ['MNQ', 3],
      ['MNQ', 3],
      ['MNQ', 3],
      ['ES', 50],
    ],
  );
  const renamed = await post({ root: 'MNQ', pointValue: '3', name: 'Micro Nasdaq' });
  assert.match(String(renamed.headers.location), /rebuilt=0/, 'the point value did not change: nothing to recalculate');
});

test('settings show a bad point value next to its field in words, keeping what was typed', async (t) => {
  const { app, services } = await appWithTrades(t);
  const { token, cookie } = await csrf(app);
  const res = await app.inject({
    method: 'POST',
    url: '/settings/instruments',
    headers: { cookie, accept: 'text/html' },
    payload: { _csrf: token, root: 'MNQ', name: 'My Nasdaq', pointValue: 'two dollars', tickSize: '0.25' },
  });
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /<h1>Settings<\/h1>/, 'the settings page itself, not an error page');
  const field = /<input type="text" name="pointValue"[^>]*>/.exec(res.body)?.[0] ?? '';
  assert.match(field, /value="two dollars"/);
  assert.match(field, /aria-invalid="true" aria-describedby="instrument-pointValue-error"/);
  assert.match(
    res.body,
    /<span class="field-error" id="instrument-pointValue-error">&quot;two dollars&quot; is not a point value: enter the dollars one contract gains per 1\.00 move/,
  );
  assert.match(res.body, /name="name"[^>]*value="My Nasdaq"/);
  assert.match(res.body, /name="root"[^>]*value="MNQ"/);
  assert.doesNotMatch(res.body, /expected number|NaN|Your change was not saved/);
  assert.equal(services.trades.listPositions()[0]?.pointValue, 2, 'nothing was saved');

  // A new root without a tick size: the service's refusal also lands next to the field it concerns.
  const noTick = await app.inject({
    method: 'POST',
    url: '/settings/instruments',
    headers: { cookie, accept: 'text/html' },
    payload: { _csrf: token, root: 'QQQ', pointValue: '5' },
  });
  assert.equal(noTick.statusCode, 400);
  assert.match(noTick.body, /id="instrument-tickSize-error">QQQ is not a built-in instrument, so it needs a tick size\./);
  assert.match(noTick.body, /name="pointValue"[^>]*value="5"/);

  const zone = await app.inject({
    method: 'POST',
    url: '/settings/timezone',
    headers: { cookie, accept: 'text/html' },
    payload: { _csrf: token, zone: 'Mars/Olympus' },
  });
  assert.equal(zone.statusCode, 400);
  assert.match(zone.body, /id="timezone-zone-error">&quot;Mars\/Olympus&quot; is not a time zone: enter an IANA name/);
  assert.match(zone.body, /name="zone" value="Mars\/Olympus"/);
});

test('settings refuse to remove an instrument positions still use, changing nothing; a reset recalculates in the same step', async (t) => {
  const { app, services } = await buildTestApp(t).then((b) => ({ ...b, services: b.app.tradelog.services }));
  assert.ok(services);
  const { token, cookie } = await csrf(app);
  const post = (url: string, payload: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, headers: { cookie, accept: 'text/html' }, payload: { _csrf: token, ...payload } });
  assert.equal((await post('/settings/instruments', { root: 'XYZ', pointValue: '10', tickSize: '0.25' })).statusCode, 303);
  const xyz = [HEADER, 'XYZ 12-25,Buy,1,100.00,10/6/2025 9:30:00 AM,x1,Entry,1 L,o1,Entry,$1.00,1,SIM1,Sim101,'];
  xyz.push('XYZ 12-25,Sell,1,101.00,10/6/2025 9:45:00 AM,x2,Exit,-,o2,Exit,$1.00,1,SIM1,Sim101,', '');
  assert.equal((await services.trades.importFile({ name: 'xyz.csv', content: xyz.join('\n') })).status, 'imported');

  const refused = await post('/settings/instruments/XYZ/delete');
  assert.equal(refused.statusCode, 409, refused.body);
  assert.match(refused.body, /<h1>Settings<\/h1>/);
  assert.match(refused.body, /id="instrument-form-error">XYZ cannot be removed: executions of XYZ are stored/);
  assert.doesNotMatch(refused.body, /Your change was not saved/);
  assert.ok(services.trades.registry().has('XYZ'), 'the override is still there');
  assert.equal(services.trades.listPositions()[0]?.grossPnl, 10);

  // Resetting a built-in root's override: the override goes and its positions follow, together.
  const csvText = [HEADER, 'MNQ 12-25,Buy,1,21000.00,10/1/2025 9:30:00 AM,a1,Entry,1 L,o1,Entry,$0.52,1,SIM1,Sim101,'];
  csvText.push('MNQ 12-25,Sell,1,21010.00,10/1/2025 9:45:00 AM,a2,Exit,-,o2,Exit,$0.52,1,SIM1,Sim101,', '');
  await services.trades.importFile({ name: 'mnq.csv', content: csvText.join('\n') });
  assert.match(String((await post('/settings/instruments', { root: 'MNQ', pointValue: '3' })).headers.location), /rebuilt=1/);
  const mnqGross = () => services.trades.listPositions({ instrument: 'MNQ' })[0]?.grossPnl;
  assert.equal(mnqGross(), 30);
  const reset = await post('/settings/instruments/MNQ/delete');
  assert.equal(reset.statusCode, 303);
  assert.match(String(reset.headers.location), /saved=instrument-reset&root=MNQ&rebuilt=1/);
  assert.equal(mnqGross(), 20);
});

test('a bad date on a web page is explained next to its field, in the words of the form, never with CLI flags', async (t) => {
  const { app } = await appWithTrades(t);
  for (const page of ['/positions', '/statistics']) {
    const res = await app.inject({ method: 'GET', url: `${page}?from=2025-13-45&to=2025-10-03`, headers: { accept: 'text/html' } });
    assert.equal(res.statusCode, 400, page);
    assert.match(res.body, /<input type="date" name="from" value="2025-13-45" aria-invalid="true" aria-describedby="from-error">/, page);
    assert.match(
      res.body,
      /<span class="field-error" id="from-error">&quot;2025-13-45&quot; is not a date: choose a trading day \(YYYY-MM-DD/,
    );
    assert.match(res.body, /<input type="date" name="to" value="2025-10-03">/, `${page}: the good date is kept as it was`);
    assert.match(res.body, /id="filter-error"/);
    assert.doesNotMatch(res.body, /--from|--to/, page);
  }
  const api = await app.inject({ method: 'GET', url: '/api/positions?to=last%20tuesday' });
  assert.equal(api.statusCode, 400);
  assert.equal(api.json().error.code, 'TL_TRADES_BAD_FILTER');
  assert.equal(api.json().error.message, 'Query parameter to="last tuesday" is not a date.');
  const stats = await app.inject({ method: 'GET', url: '/api/stats?from=2025-02-30' });
  assert.equal(stats.statusCode, 400);
  assert.doesNotMatch(stats.json().error.message, /--from/);
  assert.match(stats.json().error.message, /^Query parameter from=/);
});

test('the journal form keeps one tag for spellings that differ only in case', async (t) => {
  const { app, services } = await appWithTrades(t);
  const [a, b] = services.trades.listPositions();
  assert.ok(a && b);
  const { token, cookie } = await csrf(app);
  const save = (id: number, tags: string) =>
    app.inject({ method: 'POST', url: `/positions/${id}/journal`, headers: { cookie }, payload: { _csrf: token, note: '', tags } });
  assert.equal((await save(a.id, 'Breakout, breakout , BREAKOUT, news')).statusCode, 303);
  assert.equal((await save(b.id, 'breakout')).statusCode, 303);
  assert.deepEqual(services.trades.getJournal(a.id).tags, ['Breakout', 'news']);
  assert.deepEqual(services.trades.getJournal(b.id).tags, ['Breakout']);
  const list = await app.inject({ method: 'GET', url: '/positions' });
  assert.match(list.body, /<option value="Breakout">Breakout \(2\)<\/option>/);
  assert.doesNotMatch(list.body, /<option value="breakout">/);
});

/** The text of the option the verdict select shows (the selected one, else the first). */
function shownVerdict(html: string): string {
  const select = /<select name="validity" id="validity">([\s\S]*?)<\/select>/.exec(html)?.[1] ?? '';
  const options = [...select.matchAll(/<option value="([^"]*)"( selected)?>([^<]*)<\/option>/g)];
  return (options.find((o) => o[2]) ?? options[0])?.[3] ?? '';
}

test('position page shows the verdict imported from the file, until the trader gives their own', async (t) => {
  const { app, services } = await appWithTrades(t);
  const [plain, marked] = services.trades.listPositions();
  assert.ok(plain && marked);
  assert.equal(marked.validity, 'valid', 'the API has the TradeValidation of the file');
  const page = await app.inject({ method: 'GET', url: `/positions/${marked.id}` });
  assert.equal(shownVerdict(page.body), 'valid (from the imported file)');
  assert.equal(shownVerdict((await app.inject({ method: 'GET', url: `/positions/${plain.id}` })).body), '– (none)');

  const { token, cookie } = await csrf(app);
  await app.inject({
    method: 'POST',
    url: `/positions/${marked.id}/journal`,
    headers: { cookie },
    payload: { _csrf: token, note: '', tags: '', validity: 'invalid' },
  });
  const after = await app.inject({ method: 'GET', url: `/positions/${marked.id}` });
  assert.equal(shownVerdict(after.body), 'invalid (broke my rules)');
  assert.match(after.body, /<option value="">valid \(from the imported file\)<\/option>/, 'the file’s verdict is still offered');
});

test('undo import asks for confirmation with a plain form, and removes nothing until it is confirmed', async (t) => {
  const { app, services } = await appWithTrades(t);
  const [record] = services.trades.listImports(1);
  assert.ok(record);
  const history = await app.inject({ method: 'GET', url: '/import' });
  assert.match(
    history.body,
    new RegExp(`<a href="/import/${record.id}/undo" class="button secondary small" data-undo="${record.id}">Undo…</a>`),
  );
  assert.doesNotMatch(history.body, /action="\/import\/\d+\/undo"/, 'the history itself has no one-click undo');

  const ask = await app.inject({ method: 'GET', url: `/import/${record.id}/undo` });
  assert.equal(ask.statusCode, 200);
  assert.match(ask.body, /This removes the <strong>6<\/strong> executions that <code>three\.csv<\/code> added/);
  assert.match(ask.body, /<input type="hidden" name="confirm" value="yes">/);
  assert.match(ask.body, /<a href="\/import" class="button secondary" id="undo-cancel">Keep it<\/a>/);

  const { token, cookie } = await csrf(app);
  const unconfirmed = await app.inject({
    method: 'POST',
    url: `/import/${record.id}/undo`,
    headers: { cookie },
    payload: { _csrf: token },
  });
  assert.equal(unconfirmed.statusCode, 303);
  assert.equal(unconfirmed.headers.location, `/import/${record.id}/undo`, 'sent to the page that asks');
  assert.equal(services.trades.countPositions(), 3, 'nothing was removed');

  const confirmed = await app.inject({
    method: 'POST',
    url: `/import/${record.id}/undo`,
    headers: { cookie },
    payload: { _csrf: token, confirm: 'yes' },
  });
  assert.equal(confirmed.statusCode, 303);
  assert.equal(confirmed.headers.location, `/import?undone=${record.id}`);
  assert.equal(services.trades.countPositions(), 0);
  const again = await app.inject({ method: 'GET', url: `/import/${record.id}/undo` });
  assert.match(again.body, /was undone already: there is nothing to undo/);
  assert.doesNotMatch(again.body, /id="undo-form"/);
});

test('settings save an override and its rebuild in one transaction: a fault in the rebuild leaves the override unsaved', async (t) => {
  const { app, services, store } = await appWithTrades(t);
  assert.ok(store);
  const { token, cookie } = await csrf(app);
  store.journal.conn.exec("CREATE TEMP TRIGGER fail_rebuild BEFORE INSERT ON positions BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
  const res = await app.inject({
    method: 'POST',
    url: '/settings/instruments',
    headers: { cookie, accept: 'text/html' },
    payload: { _csrf: token, root: 'MNQ', pointValue: '3' },
  });
  assert.equal(res.statusCode, 500);
  assert.equal(services.trades.registry().get('MNQ').pointValue, 2, 'not saved: the page said so, and it is true');
  assert.deepEqual(
    services.trades.listPositions().map((p) => p.pointValue),
    [2, 2, 2],
  );
});
