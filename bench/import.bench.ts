/**
 * Import benchmark (`npm run bench -- import`): how the server answers while it imports, issue 9 §2 item 3.
 * A real `tradelog serve` child process gets 20 uploads of 200,000 NinjaTrader rows (about 12 MB each) posted in
 * parallel, previews them all, then imports them all (20 confirmations in parallel: 4,000,000 executions), while a
 * probe process asks /health and /import again and again, one request at a time, 50 ms apart. Printed: the worst,
 * 99th-percentile and median answer during each phase, and how long each phase took.
 * Requirement (not a speed goal): every answer within 1 s. Before imports ran on a worker thread: /health was
 * silent for the whole of each phase.
 *
 * BENCH_IMPORT_ROWS (default 200000) and BENCH_IMPORT_FILES (default 20) scale it; BENCH_TRADELOG_BIN runs another
 * checkout's bin/tradelog (to measure the code before a change).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commit, executionsCsv, latencyProbe, type ProbeResult, preview, request, startServe } from '../test/helpers/import-load.js';

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 200_000);
const FILES = Number(process.env.BENCH_IMPORT_FILES ?? 20);
const BIN = process.env.BENCH_TRADELOG_BIN;

const line = (label: string, r: ProbeResult, ms: number) =>
  console.log(
    `${label}: ${(ms / 1000).toFixed(1)} s; /health and /import: worst ${r.worstMs.toFixed(0)} ms, the server's part ${r.worstOwnMs.toFixed(0)} ms with a control process's worst stall ${r.controlWorstMs.toFixed(0)} ms (${r.worstUrl} at ${(r.worstAtMs / 1000).toFixed(1)} s, server time ${r.worstServerMs === null ? '-' : `${r.worstServerMs.toFixed(0)} ms`}), p99 ${r.p99Ms.toFixed(0)} ms, median ${r.p50Ms.toFixed(0)} ms over ${r.count} answers${r.failures.length ? `, ${r.failures.length} not 200` : ''} (requirement: < 1000 ms)`,
  );

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-bench-import-'));
const server = await startServe(path.join(dir, 'data'), {}, BIN);
try {
  console.log(
    `cpus: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}${BIN ? `, server ${BIN}` : ''}`,
  );
  const files = Array.from({ length: FILES }, (_, k) => ({ name: `bench${k}.csv`, content: executionsCsv(ROWS, `BENCH${k}`) }));
  const mb = files.reduce((n, f) => n + f.content.length, 0) / 1e6;
  console.log(`${FILES} files × ${ROWS.toLocaleString('en-US')} rows (${mb.toFixed(0)} MB), posted in parallel:`);

  // each page once first: its first answer compiles its template (start-up work, not the import's)
  for (const page of ['/health', '/import']) await request(server.address, 'GET', page, { headers: { accept: 'text/html' } });
  let probe = await latencyProbe(server.address, ['/health', '/import']);
  let t0 = performance.now();
  const previews = await Promise.all(files.map((f) => preview(server.address, [f])));
  line('  preview', await probe.stop(), performance.now() - t0);
  const refused = previews.filter((p) => p.status !== 200 || !p.token);
  if (refused.length > 0) throw new Error(`preview failed: ${refused[0]?.status} ${refused[0]?.body.slice(0, 300)}`);

  probe = await latencyProbe(server.address, ['/health', '/import']);
  t0 = performance.now();
  const commits = await Promise.all(previews.map((p) => commit(server.address, p.token as string)));
  line('  import ', await probe.stop(), performance.now() - t0);
  const failed = commits.filter((c) => !/data-status="imported"/.test(c.body));
  if (failed.length > 0) throw new Error(`import failed: ${failed[0]?.status} ${failed[0]?.body.slice(0, 300)}`);
} finally {
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
