import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { launchBrowser, openPage, screenshot, spawnServer } from '../helpers/browser.js';
import { runCliAsync } from '../helpers/cli.js';
import { APP, chownR, needRoot } from '../helpers/faults.js';
import { tempDir } from '../helpers/tmp.js';
import { TEST_NOW } from '../helpers/web.js';

// The database becomes unwritable while the server runs (its directory and files chowned to root behind the
// back of the server, which runs as uid 65534): a write from the browser gets a clear message with the fix,
// /health turns 503, reads keep being served, and fixing the owner brings writes back without a restart.

test('a database made unwritable while the server runs refuses writes with the fix, turns /health 503 and keeps serving reads', async (t) => {
  if (!needRoot(t)) return;
  const browser = await launchBrowser(t);
  if (!browser) return;
  const dataDir = path.join(tempDir(t), 'data');
  // The demo is seeded from the date: pinned, so the positions the test opens never depend on the day it runs.
  const demo = await runCliAsync(['demo', '--data-dir', dataDir, '--json'], {}, TEST_NOW);
  assert.equal(demo.status, 0, demo.stderr);
  chownR(dataDir, APP.uid, APP.gid);
  const server = await spawnServer(t, { dataDir, uid: APP.uid, gid: APP.gid });
  const { page } = await openPage(browser);
  const list = await (await page.request.get(`${server.url}/api/positions?pageSize=1`)).json();
  const id = list.items[0].id as number;

  await page.goto(`${server.url}/positions/${id}`);
  await page.fill('#note', 'first note, saved while the database was writable');
  await page.click('#save-journal');
  await page.waitForSelector('#saved');
  assert.equal((await page.request.get(`${server.url}/health`)).status(), 200);

  // Someone with root rights takes the data away from the app user (a `docker exec` shell, a careless chown).
  const dbDir = path.join(dataDir, 'db');
  chownR(dbDir, 0, 0);
  fs.chmodSync(dbDir, 0o755);
  for (const f of fs.readdirSync(dbDir)) fs.chmodSync(path.join(dbDir, f), 0o644);

  await page.fill('#note', 'second note, must not be lost silently');
  const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('#save-journal')]);
  assert.equal(res.status(), 503);
  const message = (await page.textContent('.error-message')) ?? '';
  const fix = (await page.textContent('.error-fix')) ?? '';
  assert.match(message, /not writable by uid 65534|read-only/);
  assert.match(message, new RegExp(dbDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.match(fix, /chown/);
  assert.ok(await page.isVisible('#write-banner'), 'the read-only banner is shown');
  await screenshot(page, 'readonly-write-refused');

  const health = await page.request.get(`${server.url}/health`);
  assert.equal(health.status(), 503);
  const report = await health.json();
  assert.equal(report.status, 'degraded');
  assert.ok(
    report.findings.some(
      (f: { code: string; remedy: string }) => /TL_DB_(DIR_NOT_WRITABLE|READONLY)/.test(f.code) && /chown/.test(f.remedy),
    ),
    JSON.stringify(report.findings),
  );

  // Reads are still served: the list, the position with the note saved before, the charts.
  const positions = await page.goto(`${server.url}/positions`);
  assert.equal(positions?.status(), 200);
  assert.ok((await page.locator('#positions tbody tr').count()) > 0);
  assert.ok(await page.isVisible('#write-banner'));
  await page.goto(`${server.url}/positions/${id}`);
  assert.equal(await page.inputValue('#note'), 'first note, saved while the database was writable');
  const bars = await page.request.get(`${server.url}/api/bars/MNQ?timeframe=1h&limit=10`);
  assert.equal(bars.status(), 200);

  // The API says the same in its error shape.
  const api = await page.evaluate(`fetch('/api/market-data/update', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': document.querySelector('meta[name="csrf-token"]').content },
    body: JSON.stringify({ instrument: 'MNQ' }),
  }).then(async (r) => ({ status: r.status, body: await r.json() }))`);
  const { status, body } = api as { status: number; body: { error: { code: string; remedy: string } } };
  assert.equal(status, 503);
  assert.match(body.error.code, /TL_DB_(DIR_NOT_WRITABLE|READONLY)/);

  // The owner fixed: writes come back without a restart, and health is ok again.
  chownR(dbDir, APP.uid, APP.gid);
  await page.goto(`${server.url}/positions/${id}`);
  await page.fill('#note', 'third note, after the fix');
  await page.click('#save-journal');
  await page.waitForSelector('#saved');
  assert.equal(await page.inputValue('#note'), 'third note, after the fix');
  assert.equal((await page.request.get(`${server.url}/health`)).status(), 200);
  assert.equal(await server.stop(), 0, server.output());
});
