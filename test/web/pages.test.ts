import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import { manualClock } from '../../src/clock.js';
import { loadDemo } from '../../src/demo/demo.js';
import { NAV } from '../../src/web/render.js';
import { buildTestApp, cookieHeader, cookiesFrom, type TestApp } from '../helpers/web.js';

// The pages and the JSON API on a journal filled by the demo (real import, real positions, real bars), through
// the app built as `serve` builds it. One app for the file: the demo takes a few seconds. The demo's clock is
// pinned: its trades are seeded from the date, and the tests below need its shorts, covers and bar counts.
const clock = manualClock(Date.parse('2026-11-20T22:30:00Z'));

let t0: TestApp;
const hooks: (() => unknown)[] = [];
after(async () => {
  for (const h of hooks.reverse()) await h();
});

before(async () => {
  t0 = await buildTestApp({ after: (fn: () => unknown) => hooks.push(fn) }, { clock });
  const services = t0.app.tradelog.services;
  assert.ok(services);
  await loadDemo({ trades: services.trades, market: services.market, clock });
});

async function csrf(app = t0.app): Promise<{ token: string; cookie: string }> {
  const res = await app.inject({ method: 'GET', url: '/import' });
  const token = cookiesFrom(res).tl_csrf as string;
  return { token, cookie: cookieHeader({ tl_csrf: token }) };
}

function multipart(
  fields: Record<string, string>,
  files: { name: string; content: string }[],
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = '----tradelogtest7MA4YWxkTrZu0gW';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  for (const f of files) {
    parts.push(
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${f.name}"\r\nContent-Type: text/csv\r\n\r\n${f.content}\r\n`,
    );
  }
  parts.push(`--${boundary}--\r\n`);
  return { payload: Buffer.from(parts.join('')), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

test('every page answers 200 with its navigation entry marked when the journal holds the demo', async () => {
  for (const item of NAV) {
    const res = await t0.app.inject({ method: 'GET', url: item.href });
    assert.equal(res.statusCode, 200, `${item.href}: ${res.body.slice(0, 300)}`);
    assert.match(res.body, new RegExp(`<a href="${item.href}" aria-current="page">${item.label}</a>`));
  }
  const dash = await t0.app.inject({ method: 'GET', url: '/' });
  assert.match(dash.body, /id="kpi-net"/);
  assert.match(dash.body, /<svg class="line" id="equity-curve"/);
  assert.match(dash.body, /id="calendar"/);
  assert.doesNotMatch(dash.body, /id="empty-state"/);
});

test('every position page answers 200, the open one included', async () => {
  const all = (await t0.app.inject({ method: 'GET', url: '/api/positions?pageSize=500' })).json();
  assert.ok(
    all.items.some((p: { status: string }) => p.status === 'open'),
    'the demo leaves one position open',
  );
  for (const p of all.items as { id: number; status: string }[]) {
    const res = await t0.app.inject({ method: 'GET', url: `/positions/${p.id}` });
    assert.equal(res.statusCode, 200, `position ${p.id}: ${res.body.slice(0, 200)}`);
    if (p.status === 'open') assert.match(res.body, /still open/);
  }
});

test('dashboard offers the demo next to the import when the journal is empty', async (t) => {
  const { app } = await buildTestApp(t, { clock });
  const res = await app.inject({ method: 'GET', url: '/' });
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /id="empty-state"/);
  assert.match(res.body, /Import your executions/);
  assert.match(res.body, /Load demo data/);
  const charts = await app.inject({ method: 'GET', url: '/charts' });
  assert.match(charts.body, /No market data yet/);
  assert.match(charts.body, /tradelog ohlc import FILE/);

  // "Load demo data" fills the journal and the bars, then the dashboard shows them.
  const { token, cookie } = await csrf(app);
  const demo = await app.inject({ method: 'POST', url: '/demo', headers: { cookie }, payload: { _csrf: token } });
  assert.equal(demo.statusCode, 303, demo.body);
  const after = await app.inject({ method: 'GET', url: '/' });
  assert.doesNotMatch(after.body, /id="empty-state"/);
  assert.match(after.body, /id="equity-curve"/);
  const chartsAfter = await app.inject({ method: 'GET', url: '/charts' });
  assert.match(chartsAfter.body, /id="charts-data"/);
});

test('dashboard numbers match the statistics API when the journal holds the demo', async () => {
  const stats = (await t0.app.inject({ method: 'GET', url: '/api/stats' })).json();
  assert.ok(stats.positions > 20);
  const dash = await t0.app.inject({ method: 'GET', url: '/' });
  const net = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(stats.netPnl);
  assert.ok(dash.body.includes(net), `dashboard shows net ${net}`);
  assert.ok(dash.body.includes(`${(stats.winRate * 100).toFixed(1)}%`));
});

test('api positions filters by side and reviewed, sorts and pages', async () => {
  const all = (await t0.app.inject({ method: 'GET', url: '/api/positions?pageSize=500' })).json();
  assert.ok(all.total > 20);
  const longs = (await t0.app.inject({ method: 'GET', url: '/api/positions?side=long&pageSize=500' })).json();
  const shorts = (await t0.app.inject({ method: 'GET', url: '/api/positions?side=short&pageSize=500' })).json();
  assert.equal(longs.total + shorts.total, all.total);
  assert.ok(longs.items.every((p: { side: string }) => p.side === 'long'));

  const byNet = (await t0.app.inject({ method: 'GET', url: '/api/positions?sort=netPnl&order=asc&pageSize=500' })).json();
  const nets = byNet.items.map((p: { netPnl: number }) => p.netPnl);
  assert.deepEqual(
    nets,
    [...nets].sort((a: number, b: number) => a - b),
  );

  const page2 = (await t0.app.inject({ method: 'GET', url: '/api/positions?pageSize=10&page=2' })).json();
  assert.equal(page2.items.length, 10);
  assert.equal(page2.page, 2);
  assert.deepEqual(
    page2.items.map((p: { id: number }) => p.id),
    all.items.slice(10, 20).map((p: { id: number }) => p.id),
    'default order is newest first, pages follow it',
  );

  const id = all.items[0].id as number;
  const { token, cookie } = await csrf();
  const saved = await t0.app.inject({
    method: 'POST',
    url: `/positions/${id}/journal`,
    headers: { cookie },
    payload: { _csrf: token, note: 'waited for the pullback', tags: 'breakout, A+ setup', reviewed: 'on', validity: 'valid' },
  });
  assert.equal(saved.statusCode, 303, saved.body);
  const reviewed = (await t0.app.inject({ method: 'GET', url: '/api/positions?reviewed=yes' })).json();
  assert.deepEqual(
    reviewed.items.map((p: { id: number }) => p.id),
    [id],
  );
  assert.deepEqual(reviewed.items[0].tags, ['A+ setup', 'breakout']);
  const page = await t0.app.inject({ method: 'GET', url: `/positions/${id}?saved=1` });
  assert.match(page.body, /waited for the pullback/);
  assert.match(page.body, /id="saved"/);
  const filtered = await t0.app.inject({ method: 'GET', url: '/positions?reviewed=yes&tag=breakout' });
  assert.match(filtered.body, new RegExp(`data-id="${id}"`));
  assert.match(filtered.body, /1 positions/);
});

test('api positions rejects a bad parameter with the error shape', async () => {
  const res = await t0.app.inject({ method: 'GET', url: '/api/positions?side=sideways' });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.code, 'TL_WEB_BAD_REQUEST');
  assert.match(res.json().error.message, /side/);
  const missing = await t0.app.inject({ method: 'GET', url: '/api/positions/999999' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error.code, 'TL_POSITION_NOT_FOUND');
  const page = await t0.app.inject({ method: 'GET', url: '/positions/999999', headers: { accept: 'text/html' } });
  assert.equal(page.statusCode, 404);
  assert.match(page.body, /There is no position 999999/);
});

test('api position detail has executions, FIFO pairs and a BuyToCover counted as a buy', async () => {
  const list = (await t0.app.inject({ method: 'GET', url: '/api/positions?side=short&status=closed&pageSize=50' })).json();
  const short = list.items[0];
  const detail = (await t0.app.inject({ method: 'GET', url: `/api/positions/${short.id}` })).json();
  assert.ok(detail.executions.length >= 2);
  assert.ok(detail.pairs.length >= 1);
  const cover = detail.executions.find((e: { action: string }) => e.action === 'BuyToCover');
  assert.ok(cover, 'a short is closed by BuyToCover');
  const from = Math.floor(Date.parse(detail.openedAt) / 1000) - 60;
  const markers = (
    await t0.app.inject({ method: 'GET', url: `/api/executions?instrument=${short.root}&from=${from}&to=${from + 86400}` })
  ).json();
  const m = markers.find((x: { id: number }) => x.id === cover.id);
  assert.ok(m);
  assert.equal(m.side, 'buy');
  const page = await t0.app.inject({ method: 'GET', url: `/positions/${short.id}` });
  const data = JSON.parse(/<script type="application\/json" id="position-data">(.*?)<\/script>/s.exec(page.body)?.[1] ?? 'null');
  assert.equal(data.executions.find((e: { id: number }) => e.id === cover.id).side, 'buy');
  assert.equal(data.avgEntryPrice, detail.avgEntryPrice);
});

test('api bars answers the newest bars of the range oldest first as columns, with ETag and gzip', async () => {
  const res = await t0.app.inject({ method: 'GET', url: '/api/bars/MNQ?timeframe=1h&limit=100' });
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.instrument, 'MNQ');
  assert.equal(body.timeframe, '1h');
  for (const k of ['t', 'o', 'h', 'l', 'c', 'v']) assert.equal(body[k].length, 100, k);
  for (let i = 1; i < body.t.length; i++) assert.ok(body.t[i] > body.t[i - 1], 'oldest first');
  const coverage = (await t0.app.inject({ method: 'GET', url: '/api/market-data/coverage?instrument=MNQ' })).json();
  const hour = coverage.find((c: { timeframe: string }) => c.timeframe === '1h');
  assert.equal(body.t[99], Date.parse(hour.last) / 1000, 'the newest bar is included');

  const etag = String(res.headers.etag);
  assert.ok(etag);
  const again = await t0.app.inject({ method: 'GET', url: '/api/bars/MNQ?timeframe=1h&limit=100', headers: { 'if-none-match': etag } });
  assert.equal(again.statusCode, 304);

  const gz = await t0.app.inject({ method: 'GET', url: '/api/bars/MNQ?timeframe=1h&limit=2000', headers: { 'accept-encoding': 'gzip' } });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  const unzipped = JSON.parse(zlib.gunzipSync(gz.rawPayload).toString('utf8'));
  assert.equal(unzipped.t.length, 2000);

  const range = (await t0.app.inject({ method: 'GET', url: `/api/bars/MNQ?timeframe=1h&from=${body.t[10]}&to=${body.t[20]}` })).json();
  assert.deepEqual(range.t, body.t.slice(10, 21));
  const iso = (
    await t0.app.inject({ method: 'GET', url: `/api/bars/MNQ?timeframe=1h&from=${new Date(body.t[10] * 1000).toISOString()}&limit=5` })
  ).json();
  assert.deepEqual(iso.t, body.t.slice(95, 100), 'newest 5 of the range');

  const bad = await t0.app.inject({ method: 'GET', url: '/api/bars/MNQ?timeframe=2h' });
  assert.equal(bad.statusCode, 400);
  const badTime = await t0.app.inject({ method: 'GET', url: '/api/bars/MNQ?timeframe=1h&from=yesterday' });
  assert.equal(badTime.statusCode, 400);
  assert.match(badTime.json().error.remedy, /Unix seconds/);
  const traversal = await t0.app.inject({ method: 'GET', url: '/api/bars/..%2F..%2Fetc%2Fpasswd?timeframe=1h' });
  assert.equal(traversal.statusCode, 400);
});

test('api bars reads from/to without an offset as UTC whatever the server zone, and a date alone as to includes that day', async (t) => {
  const all = (await t0.app.inject({ method: 'GET', url: '/api/bars/MNQ?timeframe=1h&limit=200' })).json();
  const i = all.t.findIndex((s: number) => s % 86400 >= 12 * 3600);
  assert.ok(i >= 0);
  const sec = all.t[i] as number;
  const day = new Date(sec * 1000).toISOString().slice(0, 10);
  const dayEnd = Date.parse(`${day}T00:00:00Z`) / 1000 + 86399;
  const through = (await t0.app.inject({ method: 'GET', url: `/api/bars/MNQ?timeframe=1h&to=${day}&limit=100000` })).json();
  assert.equal(through.t[through.t.length - 1], Math.max(...all.t.filter((s: number) => s <= dayEnd)), `to=${day} includes ${day}`);
  assert.ok(through.t.includes(sec));

  const zone = process.env.TZ;
  process.env.TZ = 'America/New_York';
  t.after(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });
  const local = new Date(sec * 1000).toISOString().slice(0, 19);
  const naive = (await t0.app.inject({ method: 'GET', url: `/api/bars/MNQ?timeframe=1h&from=${local}&to=${local}` })).json();
  assert.deepEqual(naive.t, [sec], `${local} is read as UTC`);
});

test('api bars cache follows new bars when the market data changes', async () => {
  const services = t0.app.tradelog.services;
  assert.ok(services);
  const before = (await t0.app.inject({ method: 'GET', url: '/api/bars/MNQ?timeframe=1d&limit=3' })).json();
  const last = before.t[2] as number;
  const next = last + 7 * 86400;
  services.market.bars.upsert('MNQ', '1d', [{ time: next, open: 100, high: 101, low: 99, close: 100.5, volume: 7 }], 'csv');
  const after = (await t0.app.inject({ method: 'GET', url: '/api/bars/MNQ?timeframe=1d&limit=3' })).json();
  assert.equal(after.t[2], next);
  assert.equal(after.c[2], 100.5);
});

test('statistics page groups by every grouping of the trades service with a chart', async () => {
  for (const by of ['day', 'week', 'month', 'instrument', 'contract', 'account', 'side', 'hour']) {
    const res = await t0.app.inject({ method: 'GET', url: `/statistics?by=${by}` });
    assert.equal(res.statusCode, 200, by);
    assert.match(res.body, /<svg class="bars" id="group-chart"/, by);
    assert.match(res.body, /<table id="groups"[ >]/, by);
  }
  const api = (await t0.app.inject({ method: 'GET', url: '/api/stats?by=instrument' })).json();
  assert.deepEqual(api.groups.map((g: { key: string }) => g.key).sort(), ['ES', 'MNQ']);
});

test('import page previews an upload, stores nothing until committed, then undoes it', async () => {
  const { app } = await buildTestApp({ after: (fn: () => unknown) => hooks.push(fn) });
  const csvText = [
    'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation',
    'MNQ 12-25,Buy,2,21000.00,10/1/2025 9:30:00 AM,r1,Entry,2 L,o1,Entry,$1.04,1,SIM1,Sim101,',
    'MNQ 12-25,Sell,5,21010.25,10/1/2025 9:45:00 AM,r2,Exit,3 S,o2,Exit,$2.60,1,SIM1,Sim101,Valid',
    'MNQ 12-25,Buy,3,21005.50,10/1/2025 10:00:00 AM,r3,Exit,-,o3,Exit,$1.56,1,SIM1,Sim101,Valid',
    '',
  ].join('\n');
  const bad = csvText.replace('21005.50', 'twenty');
  const { token, cookie } = await csrf(app);
  const mp = multipart({ _csrf: token }, [
    { name: 'reversal.csv', content: csvText },
    { name: '../../etc/bad.csv', content: bad },
  ]);
  const preview = await app.inject({ method: 'POST', url: '/import/preview', headers: { ...mp.headers, cookie }, payload: mp.payload });
  assert.equal(preview.statusCode, 200, preview.body);
  assert.match(preview.body, /<strong class="gain added-count">3<\/strong> executions will be added/);
  assert.match(preview.body, /data-file="bad.csv"/, 'the browser-given path is reduced to a name');
  assert.match(
    preview.body,
    /data-file="bad.csv">.*?<strong class="gain added-count">0<\/strong> executions will be added: this file has <strong class="loss rejected-count">1<\/strong> invalid row, so it will be rejected whole/s,
  );
  assert.doesNotMatch(
    /data-file="bad.csv">.*?<\/section>/s.exec(preview.body)?.[0] ?? '',
    /<table class="added">|3<\/strong> executions will be added/,
    'the file that will be rejected lists no row as added',
  );
  assert.match(
    preview.body,
    /upload it with "store the valid rows" ticked: then its 2 valid executions will be added and these lines skipped/,
  );
  assert.match(preview.body, /<table class="rejected">.*?<td class="num">4<\/td><td>[^<]*twenty/s, 'the bad line is named with its reason');
  assert.equal((await app.inject({ method: 'GET', url: '/api/positions' })).json().total, 0, 'a preview stores nothing');

  const commitToken = /name="token" value="([^"]+)"/.exec(preview.body)?.[1];
  assert.ok(commitToken);
  const commit = await app.inject({
    method: 'POST',
    url: '/import/commit',
    headers: { cookie },
    payload: { _csrf: token, token: commitToken },
  });
  assert.equal(commit.statusCode, 200, commit.body);
  assert.match(commit.body, /data-status="imported"/);
  assert.match(commit.body, /data-status="rejected"/);
  const positions = (await app.inject({ method: 'GET', url: '/api/positions' })).json();
  assert.equal(positions.total, 2, 'the reversal makes two positions');

  const again = await app.inject({
    method: 'POST',
    url: '/import/commit',
    headers: { cookie },
    payload: { _csrf: token, token: commitToken },
  });
  assert.equal(again.statusCode, 410, 'a preview commits once');

  const history = await app.inject({ method: 'GET', url: '/import' });
  const importId = /<tr data-import="(\d+)">(?:(?!<\/tr>).)*reversal\.csv/s.exec(history.body)?.[1];
  assert.ok(importId, history.body);
  const undo = await app.inject({
    method: 'POST',
    url: `/import/${importId}/undo`,
    headers: { cookie },
    payload: { _csrf: token, confirm: 'yes' },
  });
  assert.equal(undo.statusCode, 303);
  assert.equal((await app.inject({ method: 'GET', url: '/api/positions' })).json().total, 0);
});

test('import preview with "store the valid rows" says what it adds and which lines it skips, and nothing of rejecting', async (t) => {
  const { app } = await buildTestApp(t);
  const { token, cookie } = await csrf(app);
  const content = [
    'Instrument,Action,Quantity,Price,Time,ID,Commission,Account',
    'MNQ 12-25,Buy,1,21000,10/1/2025 9:30:00 AM,s1,$0.52,SIM1',
    'MNQ 12-25,Sell,1,twenty,10/1/2025 9:31:00 AM,s2,$0.52,SIM1',
    'MNQ 12-25,Sell,1,21004,10/1/2025 9:32:00 AM,s3,$0.52,SIM1',
  ].join('\n');
  const mp = multipart({ _csrf: token, skipInvalid: 'on' }, [{ name: 'skip.csv', content }]);
  const preview = await app.inject({ method: 'POST', url: '/import/preview', headers: { ...mp.headers, cookie }, payload: mp.payload });
  assert.equal(preview.statusCode, 200, preview.body);
  assert.match(
    preview.body,
    /<strong class="gain added-count">2<\/strong> executions will be added · <strong class="dup-count">0<\/strong> are already stored \(skipped\) · <strong class="loss rejected-count">1<\/strong> invalid rows will be skipped/,
  );
  assert.match(preview.body, /<h3>Lines that will be skipped<\/h3>.*?<td class="num">3<\/td><td>[^<]*twenty/s);
  assert.doesNotMatch(preview.body, /rejected whole|0<\/strong> executions will be added/);
  const commitToken = /name="token" value="([^"]+)"/.exec(preview.body)?.[1];
  const commit = await app.inject({
    method: 'POST',
    url: '/import/commit',
    headers: { cookie },
    payload: { _csrf: token, token: commitToken },
  });
  assert.match(commit.body, /data-status="imported"/);
  assert.equal((await app.inject({ method: 'GET', url: '/api/positions' })).json().total, 1);
});

test('import refuses a file with more rows than the limit and stores nothing', async (t) => {
  const { app } = await buildTestApp(t);
  const { token, cookie } = await csrf(app);
  const header = 'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation\n';
  const row = 'MNQ 12-25,Buy,1,21000.00,10/1/2025 9:30:00 AM,x,Entry,1 L,o1,Entry,$0.52,1,SIM1,Sim101,\n';
  const mp = multipart({ _csrf: token }, [{ name: 'huge.csv', content: header + row.repeat(200_001) }]);
  const res = await app.inject({ method: 'POST', url: '/import/preview', headers: { ...mp.headers, cookie }, payload: mp.payload });
  assert.equal(res.statusCode, 413);
  assert.match(res.body, /TL_IMPORT_TOO_MANY_ROWS/);
  assert.match(res.body, /more than 200,000 rows/);
  assert.match(res.body, /Split the export/);
});

test('import refuses a file larger than 20 MB with the limit in the message', async (t) => {
  const { app } = await buildTestApp(t);
  const { token, cookie } = await csrf(app);
  const mp = multipart({ _csrf: token }, [{ name: 'big.csv', content: 'x'.repeat(21 * 1024 * 1024) }]);
  const res = await app.inject({
    method: 'POST',
    url: '/import/preview',
    headers: { ...mp.headers, cookie, accept: 'text/html' },
    payload: mp.payload,
  });
  assert.equal(res.statusCode, 413);
  assert.match(res.body, /TL_WEB_UPLOAD_TOO_LARGE/);
  assert.match(res.body, /20 MB/);
});

test('settings override a point value and every position is recalculated', async (t) => {
  const { app } = await buildTestApp(t);
  const services = app.tradelog.services;
  assert.ok(services);
  const csvText = [
    'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation',
    'MNQ 12-25,Buy,1,21000.00,10/1/2025 9:30:00 AM,a1,Entry,1 L,o1,Entry,$0.52,1,SIM1,Sim101,',
    'MNQ 12-25,Sell,1,21010.00,10/1/2025 9:45:00 AM,a2,Exit,-,o2,Exit,$0.52,1,SIM1,Sim101,',
    '',
  ].join('\n');
  await services.trades.importFile({ name: 'one.csv', content: csvText });
  assert.equal(services.trades.listPositions()[0]?.grossPnl, 20);
  const { token, cookie } = await csrf(app);
  const res = await app.inject({
    method: 'POST',
    url: '/settings/instruments',
    headers: { cookie },
    payload: { _csrf: token, root: 'MNQ', pointValue: '3' },
  });
  assert.equal(res.statusCode, 303, res.body);
  assert.match(String(res.headers.location), /rebuilt=1/);
  assert.equal(services.trades.listPositions()[0]?.grossPnl, 30);
  const bad = await app.inject({
    method: 'POST',
    url: '/settings/instruments',
    headers: { cookie, accept: 'text/html' },
    payload: { _csrf: token, root: 'XYZ', pointValue: '5' },
  });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /XYZ/);
  const zone = await app.inject({
    method: 'POST',
    url: '/settings/timezone',
    headers: { cookie },
    payload: { _csrf: token, zone: 'Mars/Olympus' },
  });
  assert.equal(zone.statusCode, 400);
  const okZone = await app.inject({
    method: 'POST',
    url: '/settings/timezone',
    headers: { cookie },
    payload: { _csrf: token, zone: 'America/Chicago' },
  });
  assert.equal(okZone.statusCode, 303);
  assert.equal(services.trades.importTimezone(), 'America/Chicago');
  const sched = await app.inject({
    method: 'POST',
    url: '/settings/scheduler',
    headers: { cookie },
    payload: { _csrf: token, intervalMinutes: '30', timeframes: ['1h', '1d'], instruments: 'ES' },
  });
  assert.equal(sched.statusCode, 303);
  const page = await app.inject({ method: 'GET', url: '/settings' });
  assert.match(page.body, /Every <strong>30<\/strong> minutes/);
  assert.match(page.body, /and ES/);
});

test('api market-data update refuses a browser call without the CSRF header and an unknown instrument', async () => {
  const { cookie } = await csrf();
  const noHeader = await t0.app.inject({
    method: 'POST',
    url: '/api/market-data/update',
    headers: { cookie, 'content-type': 'application/json', origin: 'http://localhost:80' },
    payload: JSON.stringify({ instrument: 'MNQ' }),
  });
  assert.equal(noHeader.statusCode, 403);
  assert.equal(noHeader.json().error.code, 'TL_WEB_CSRF');
  const unknown = await t0.app.inject({ method: 'POST', url: '/api/market-data/update', payload: { instrument: 'QQQQ' } });
  assert.equal(unknown.statusCode, 422);
  assert.equal(unknown.json().error.code, 'TL_INSTRUMENT_UNKNOWN');
  const job = await t0.app.inject({ method: 'GET', url: '/api/jobs/00000000-0000-0000-0000-000000000000' });
  assert.equal(job.statusCode, 404);
  assert.equal(job.json().error.code, 'TL_MARKET_JOB_NOT_FOUND');
});

test('demo refuses a journal that already holds executions', async () => {
  const services = t0.app.tradelog.services;
  assert.ok(services);
  await assert.rejects(
    loadDemo({ trades: services.trades, market: services.market, clock }),
    /TL_DEMO_NOT_EMPTY|only added to an empty journal/,
  );
  const { token, cookie } = await csrf();
  const res = await t0.app.inject({ method: 'POST', url: '/demo', headers: { cookie, accept: 'text/html' }, payload: { _csrf: token } });
  assert.equal(res.statusCode, 409);
  assert.match(res.body, /new data directory for the demo/);
});

test('metrics count bars per timeframe, positions and finished update jobs', async () => {
  const text = (await t0.app.inject({ method: 'GET', url: '/metrics' })).body;
  const coverage = (await t0.app.inject({ method: 'GET', url: '/api/market-data/coverage?instrument=ES' })).json();
  const es1m = coverage.find((c: { timeframe: string }) => c.timeframe === '1m');
  assert.ok(text.includes(`tradelog_bars{instrument="ES",timeframe="1m"} ${es1m.count}\n`), 'bar counts');
  const stats = (await t0.app.inject({ method: 'GET', url: '/api/stats' })).json();
  assert.ok(text.includes(`tradelog_positions{status="closed"} ${stats.positions}\n`));
  assert.match(text, /tradelog_market_jobs_running 0\n/);
});
