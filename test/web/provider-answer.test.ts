import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { MAX_ANSWER_BYTES } from '../../src/market-data/providers/yahoo.provider.js';
import { BIN, cleanEnv } from '../helpers/cli.js';
import { spawnUntil } from '../helpers/faults.js';
import { tempDataPaths } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { startYahooStub } from '../helpers/yahoo-stub.js';

const MiB = 1024 * 1024;

/** Peak and current resident memory of a process, from /proc (bytes). */
function memoryOf(pid: number): { peak: number; now: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { peak: kb('VmHWM'), now: kb('VmRSS') };
}

interface Job {
  id: string;
  state: string;
  outcome?: string;
  timeframes: { timeframe: string; status: string; error?: { code: string; message: string; remedy: string } }[];
}

test('serve stays small and fails fast when the provider answers 300 MB; credentials of the provider URL are never shown', async (t) => {
  const stub = await startYahooStub();
  t.after(() => stub.close());
  const paths = tempDataPaths(t);
  const secret = 'hunter2-provider-secret';
  const baseUrl = stub.url.replace('http://', `http://tl-user:${secret}@`);
  const server = spawnUntil([BIN, 'serve', '--port', '0', '--data-dir', paths.dataDir], '"address"', {
    env: cleanEnv({ TRADELOG_YAHOO_BASE_URL: baseUrl, TRADELOG_LOG_LEVEL: 'info' }),
  });
  t.after(() => {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  });
  const address = (JSON.parse(await server.ready) as { address: string }).address;
  const pid = server.child.pid as number;
  const api = async <T>(path: string, body?: unknown): Promise<{ status: number; json: T; text: string }> => {
    const res = await fetch(`${address}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, text, json: (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined) as T };
  };
  const finished = (id: string) =>
    waitFor(
      `job ${id} to finish`,
      async () => {
        const job = (await api<Job>(`/api/jobs/${id}`)).json;
        return job.state === 'done' || job.state === 'failed' ? job : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );

  // A normal update first, so the baseline holds everything an update loads.
  const warm = await api<{ id: string }>('/api/market-data/update', { instrument: 'ES', timeframes: ['1h'] });
  assert.equal(warm.status, 202, warm.text);
  assert.equal((await finished(warm.json.id)).outcome, 'ok');
  const before = memoryOf(pid);

  stub.fault({ interval: '1h', symbol: 'MNQ=F' }, { kind: 'huge', bytes: 300 * MiB });
  const started = await api<{ id: string }>('/api/market-data/update', { instrument: 'MNQ', timeframes: ['1h'] });
  assert.equal(started.status, 202, started.text);
  const job = await finished(started.json.id);
  const after = memoryOf(pid);

  const tf = job.timeframes[0];
  assert.equal(job.outcome, 'failed');
  assert.equal(tf?.error?.code, 'TL_MARKET_BAD_RESPONSE');
  assert.match(tf?.error?.message ?? '', new RegExp(`larger than the ${MAX_ANSWER_BYTES / MiB} MiB cap`));
  assert.equal(stub.count({ interval: '1h', symbol: 'MNQ=F' }), 1, 'not retried');
  const sent = stub.requests.find((r) => r.fault === 'huge')?.bytesSent ?? 0;
  assert.ok(sent < 64 * MiB, `the server stopped reading after ${(sent / MiB).toFixed(1)} MiB of 300 MiB`);
  const grew = after.peak - before.peak;
  t.diagnostic(
    `peak RSS ${(before.peak / MiB).toFixed(0)} MiB before, ${(after.peak / MiB).toFixed(0)} MiB after a 300 MiB answer (+${(grew / MiB).toFixed(1)} MiB); ${(sent / MiB).toFixed(1)} MiB sent before the cap stopped it`,
  );
  assert.ok(grew < 96 * MiB, `peak RSS grew by ${(grew / MiB).toFixed(1)} MiB`);
  assert.equal((await api('/health')).status, 200);

  // The provider URL's credentials: masked in the job, the status page and the log; sent only as Basic auth.
  const status = await api('/status');
  const shown = [JSON.stringify(await api('/api/jobs')), status.text];
  assert.ok(
    shown.every((text) => !text.includes(secret)),
    'no page or answer shows the password',
  );
  assert.match(status.text, /http:\/\/\*\*\*\*@127\.0\.0\.1/);
  const stopped = server.exited;
  server.child.kill('SIGTERM');
  await stopped;
  const { stdout, stderr } = server.output();
  assert.ok(!`${stdout}${stderr}`.includes(secret), 'the log never shows the password');
});
