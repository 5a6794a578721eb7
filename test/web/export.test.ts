import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { journalFixture, text } from '../exports/helpers.js';
import { addJournalData, writeLargeCsv } from '../helpers/large-journal.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { buildTestApp } from '../helpers/web.js';
import { fixture } from '../trades/helpers.js';

// The downloads: attachment, no-store, the page's filters, errors before the first byte, sign-in, and /health
// answering while a large journal streams out.

const withoutStamp = (json: string) => {
  const data = JSON.parse(json);
  delete data.exportedAt;
  delete data.generator;
  return data;
};

test('downloads are attachments with no-store, follow the page filters and match the CLI export', async (t) => {
  const { app, store } = await buildTestApp(t);
  const j = journalFixture(t, store);
  for (const f of ['reversal.csv', 'scale-grid.csv', 'two-accounts.csv']) await j.trades.importFile({ path: fixture(f) });

  const res = await app.inject({ method: 'GET', url: '/export/positions.csv?account=SIM1&sort=netPnl&page=1' });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
  assert.match(String(res.headers['content-disposition']), /^attachment; filename="tradelog-positions-\d{4}-\d{2}-\d{2}\.csv"$/);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.ok(res.body.startsWith('\ufeff"id","account"'), 'a BOM for spreadsheets, then the header');
  const rows: Record<string, string>[] = parse(res.body, { columns: true, bom: true });
  assert.deepEqual(
    rows.map((r) => r.account),
    ['SIM1', 'SIM1'],
  );
  assert.equal(res.body.slice(1), text(j.exports.table('positions', { account: 'SIM1' })));

  const execs = await app.inject({ method: 'GET', url: '/export/executions.csv?account=SIM1&side=short' });
  const execRows: Record<string, string>[] = parse(execs.body, { columns: true, bom: true });
  assert.deepEqual(
    execRows.map((e) => [e.execution_id, e.role, Number(e.quantity), Number(e.fill_quantity)]),
    [
      ['r2', 'entry', 3, 5],
      ['r3', 'exit', 3, 3],
    ],
    'the reversal fill shows its share in the short it opened',
  );

  const daily = await app.inject({ method: 'GET', url: '/export/daily.csv?account=APEX1279810000057' });
  assert.match(String(daily.headers['content-disposition']), /tradelog-daily-/);
  assert.equal(parse(daily.body, { columns: true, bom: true }).length, 1);
  const stats = await app.inject({ method: 'GET', url: '/export/statistics.csv?by=account' });
  assert.match(String(stats.headers['content-disposition']), /tradelog-stats-by-account-/);
  assert.deepEqual(
    (parse(stats.body, { columns: true, bom: true }) as Record<string, string>[]).map((r) => r.account),
    ['APEX1', 'APEX1279810000057', 'APEX2', 'SIM1'].filter((a) => j.trades.stats({ account: a }).positions > 0),
  );

  const journal = await app.inject({ method: 'GET', url: '/export/journal.json' });
  assert.equal(journal.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(journal.headers['cache-control'], 'no-store');
  assert.deepEqual(withoutStamp(journal.body), withoutStamp(text(j.exports.journal())));
});

test('a download with a bad filter is a 400 before any byte of the file; pages link their downloads', async (t) => {
  const { app, store } = await buildTestApp(t);
  const j = journalFixture(t, store);
  await j.trades.importFile({ path: fixture('reversal.csv') });
  const bad = await app.inject({ method: 'GET', url: '/export/positions.csv?from=2025-02-30', headers: { accept: 'application/json' } });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().error.code, 'TL_TRADES_BAD_FILTER');
  assert.equal(bad.headers['content-disposition'], undefined);

  const positions = await app.inject({ method: 'GET', url: '/positions?account=SIM1&status=closed', headers: { accept: 'text/html' } });
  assert.match(positions.body, /href="\/export\/positions\.csv\?account=SIM1&amp;status=closed"/);
  assert.match(positions.body, /href="\/export\/executions\.csv\?account=SIM1&amp;status=closed"/);
  const statistics = await app.inject({ method: 'GET', url: '/statistics?by=week&account=SIM1', headers: { accept: 'text/html' } });
  assert.match(statistics.body, /href="\/export\/statistics\.csv\?by=week&amp;account=SIM1"/);
  const dashboard = await app.inject({ method: 'GET', url: '/?account=SIM1', headers: { accept: 'text/html' } });
  assert.match(dashboard.body, /href="\/export\/daily\.csv\?account=SIM1"/);
  // A page that refuses its date filter lists nothing, so it offers nothing to download either.
  const refused = await app.inject({ method: 'GET', url: '/positions?from=2025-02-30', headers: { accept: 'text/html' } });
  assert.doesNotMatch(refused.body, /export-positions/);
  const settings = await app.inject({ method: 'GET', url: '/settings', headers: { accept: 'text/html' } });
  assert.match(settings.body, /href="\/export\/journal\.json"/);
});

test('the journal download needs sign-in when a token is set', async (t) => {
  const { app } = await buildTestApp(t, { env: { TRADELOG_HOST: '0.0.0.0', TRADELOG_AUTH_TOKEN: 'correct-horse-battery' } });
  for (const url of ['/export/journal.json', '/export/positions.csv']) {
    const res = await app.inject({ method: 'GET', url, headers: { accept: 'application/json' } });
    assert.ok(res.statusCode === 401 || res.statusCode === 303, `${url}: ${res.statusCode}`);
    assert.doesNotMatch(res.body, /tradelog-export|"account"/);
  }
});

test("/health answers within 1 s while the journal and an account's executions of a 20,000-execution journal download", async (t) => {
  const { app, store } = await buildTestApp(t);
  const j = journalFixture(t, store);
  const csv = path.join(tempDir(t), 'large.csv');
  writeLargeCsv(csv, 20_000);
  await j.trades.importFile({ path: csv });
  store?.journal.write(() => addJournalData(j.trades));
  const base = await app.listen({ host: '127.0.0.1', port: 0 });

  let downloading = true;
  const latencies: number[] = [];
  const probe = (async () => {
    while (downloading) {
      const started = performance.now();
      const res = await fetch(`${base}/health`);
      await res.arrayBuffer();
      assert.equal(res.status, 200);
      if (downloading) latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const started = performance.now();
  const [journal, executions] = await Promise.all(
    ['/export/journal.json', '/export/executions.csv?account=Sim101'].map(async (url) => (await fetch(`${base}${url}`)).text()),
  );
  const took = performance.now() - started;
  h.disable();
  t.diagnostic(
    `loop delay max ${Math.round(h.max / 1e6)} ms p99 ${Math.round(h.percentile(99) / 1e6)} ms; latencies ${latencies.map(Math.round).join(' ')}`,
  );
  downloading = false;
  await probe;

  assert.deepEqual(withoutStamp(journal as string), withoutStamp(text(j.exports.journal())));
  const sim = j.trades.listPositions({ account: 'Sim101' }).reduce((n, p) => n + p.executionCount, 0);
  assert.equal((executions as string).split('\r\n').length, sim + 2, 'every execution of every Sim101 position, the header, the last CRLF');
  assert.ok(latencies.length >= 3, `/health was asked ${latencies.length} times during ${Math.round(took)} ms of downloads`);
  const worst = Math.max(...latencies);
  assert.ok(worst < 1000, `/health took ${Math.round(worst)} ms during the downloads`);
  t.diagnostic(`downloads ${Math.round(took)} ms, /health ×${latencies.length}, worst ${Math.round(worst)} ms`);
});

test('a download the browser gives up on, or a HEAD request, leaves no reader holding the journal', async (t) => {
  const { app, store } = await buildTestApp(t);
  const j = journalFixture(t, store);
  const csv = path.join(tempDir(t), 'large.csv');
  writeLargeCsv(csv, 5_000);
  await j.trades.importFile({ path: csv });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  // A reader still in its snapshot keeps a checkpoint from copying the newest write back (PASSIVE: never waits).
  const checkpointBlocked = () => {
    j.trades.setNote(j.trades.listPositions({ limit: 1 })[0]?.id as number, `note ${performance.now()}`);
    const [r] = (store?.journal.conn.pragma('wal_checkpoint(PASSIVE)') ?? []) as { log: number; checkpointed: number }[];
    return (r?.checkpointed ?? 0) < (r?.log ?? 0);
  };
  assert.equal(checkpointBlocked(), false, 'no reader before the download');

  const controller = new AbortController();
  const res = await fetch(`${base}/export/executions.csv`, { signal: controller.signal });
  const reader = res.body?.getReader();
  await reader?.read();
  assert.equal(checkpointBlocked(), true, 'the download reads a snapshot');
  controller.abort();
  await waitFor('the snapshot to close after the browser went away', () => !checkpointBlocked());

  const head = await fetch(`${base}/export/journal.json`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.match(String(head.headers.get('content-disposition')), /attachment/);
  await waitFor('the snapshot of a HEAD request to close', () => !checkpointBlocked());
});
