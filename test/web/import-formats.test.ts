import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { buildTestApp, cookieHeader, cookiesFrom, type TestApp } from '../helpers/web.js';

// The import page with files of other platforms: the preview names the detected format and the zone used per
// file, says when derived fills will be replaced, and carries the page's account field to the commit.
const fixture = (p: string) => fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'formats', p), 'utf8');

async function csrf(app: TestApp['app']): Promise<{ token: string; cookie: string }> {
  const res = await app.inject({ method: 'GET', url: '/import' });
  const token = cookiesFrom(res).tl_csrf as string;
  return { token, cookie: cookieHeader({ tl_csrf: token }) };
}

function multipart(fields: Record<string, string>, files: { name: string; content: string }[]) {
  const boundary = '----tradelogformats1x2y3z';
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

async function preview(app: TestApp['app'], fields: Record<string, string>, files: { name: string; content: string }[]) {
  const { token, cookie } = await csrf(app);
  const mp = multipart({ _csrf: token, ...fields }, files);
  const res = await app.inject({ method: 'POST', url: '/import/preview', headers: { ...mp.headers, cookie }, payload: mp.payload });
  return { res, token, cookie, commitToken: /name="token" value="([^"]+)"/.exec(res.body)?.[1] };
}

test('the import preview names the detected format of each file and the zone its times were read in', async (t) => {
  const { app } = await buildTestApp(t);
  const page = await app.inject({ method: 'GET', url: '/import' });
  assert.match(page.body, /<option value="tradovate-fills">Tradovate Fills<\/option>/);
  const { res } = await preview(app, {}, [
    { name: 'Fills.csv', content: fixture('tradovate-fills/session.csv') },
    { name: 'Completed.csv', content: fixture('rithmic-orders/completed-orders.csv') },
  ]);
  assert.equal(res.statusCode, 200, res.body);
  assert.match(
    res.body,
    /data-file="Fills.csv">.*?data-format="tradovate-fills">Tradovate Fills<\/strong> · times in <span class="zone">UTC \(offsets in the data\)<\/span>/s,
  );
  assert.match(res.body, /data-file="Completed.csv">.*?data-format="rithmic-orders">.*?America\/Chicago \(column Update Time \(CDT\)\)/s);
  assert.match(res.body, /<strong class="gain added-count">6<\/strong> executions will be added/);
});

test('the import page reads a file without an account with the account field, and the Fills preview says derived fills will be replaced', async (t) => {
  const { app } = await buildTestApp(t);
  const first = await preview(app, { account: 'DEMO4471200' }, [
    { name: 'Performance.csv', content: fixture('tradovate-performance/session.csv') },
  ]);
  assert.match(first.res.body, /data-format="tradovate-performance"/);
  const commit = await app.inject({
    method: 'POST',
    url: '/import/commit',
    headers: { cookie: first.cookie },
    payload: { _csrf: first.token, token: first.commitToken },
  });
  assert.match(commit.body, /data-status="imported"/);
  assert.equal((await app.inject({ method: 'GET', url: '/api/positions' })).json().total, 2);
  const fills = await preview(app, {}, [{ name: 'Fills.csv', content: fixture('tradovate-fills/session.csv') }]);
  assert.match(fills.res.body, /6 derived fills \(made from round trips or order totals of an earlier import\) will be replaced/);
});

test('the import page refuses a format name it does not know', async (t) => {
  const { app } = await buildTestApp(t);
  const { res } = await preview(app, { format: 'quicken' }, [{ name: 'x.csv', content: 'a,b\n1,2\n' }]);
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /TL_IMPORT_BAD_FORMAT_NAME/);
});

test('the positions page lists an orphan exit until the earlier file is imported', async (t) => {
  const { app } = await buildTestApp(t);
  const header = 'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation';
  const later = `${header}\nMNQ 12-25,Sell,1,21010.00,10/6/2025 10:00:00 AM,b1,Exit,-,o1,Exit,$0.52,1,SIM9,Sim101,\n`;
  const p = await preview(app, {}, [{ name: 'later.csv', content: later }]);
  assert.match(p.res.body, /1 exit with nothing open before it/);
  await app.inject({
    method: 'POST',
    url: '/import/commit',
    headers: { cookie: p.cookie },
    payload: { _csrf: p.token, token: p.commitToken },
  });
  const page = await app.inject({ method: 'GET', url: '/positions' });
  assert.match(page.body, /id="orphan-exits".*?<td>SIM9<\/td><td>MNQ 12-25<\/td><td>Sell<\/td>/s);
  const earlier = `${header}\nMNQ 12-25,Buy,1,20990.00,10/6/2025 9:50:00 AM,a1,Entry,1 L,o0,Entry,$0.52,1,SIM9,Sim101,\n`;
  const e = await preview(app, {}, [{ name: 'earlier.csv', content: earlier }]);
  await app.inject({
    method: 'POST',
    url: '/import/commit',
    headers: { cookie: e.cookie },
    payload: { _csrf: e.token, token: e.commitToken },
  });
  assert.doesNotMatch((await app.inject({ method: 'GET', url: '/positions' })).body, /id="orphan-exits"/);
});

test('Settings → Import saves import.dateOrder, and an undecidable day-first file is then read by it', async (t) => {
  const { app } = await buildTestApp(t);
  const file = [{ name: 'ambiguous.txt', content: fixture('nt8-executions/tab-ambiguous.csv') }];
  const refused = await preview(app, {}, file);
  assert.match(refused.res.body, /import\.dateOrder/);
  const { token, cookie } = await csrf(app);
  const saved = await app.inject({
    method: 'POST',
    url: '/settings/date-order',
    headers: { cookie },
    payload: { _csrf: token, order: 'dmy' },
  });
  assert.equal(saved.statusCode, 303, saved.body);
  assert.match((await app.inject({ method: 'GET', url: '/settings' })).body, /<option value="dmy" selected>/);
  const read = await preview(app, {}, file);
  assert.match(read.res.body, /dates day first/);
  assert.match(read.res.body, /<strong class="gain added-count">2<\/strong> executions will be added/);
});
