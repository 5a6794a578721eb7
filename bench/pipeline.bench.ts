/**
 * Import pipeline benchmark (`npm run bench -- pipeline`; issue 10: 100,000 Tradovate fills imported in < 2 s):
 * a generated Tradovate Fills file of 100,000 rows imported end to end through the import service into a fresh
 * journal in a temp directory (detection, the adapter, the shared checks, dedupe, the transaction, positions),
 * then the same file again (every row a duplicate). Prints the figures; asserts nothing about time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { dataPaths } from '../src/config.js';
import { openStore } from '../src/db/store.js';
import { createTradesService } from '../src/trades/trades.service.js';
import { tradovateFillsCsv } from './tradovate-data.js';

const FILLS = Number(process.env.BENCH_PIPELINE_FILLS ?? 100_000);
const NOW = Date.UTC(2026, 11, 1);
const text = tradovateFillsCsv(FILLS);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function once(label: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-bench-pipeline-'));
  const store = openStore(dataPaths(dir));
  try {
    const service = createTradesService({ journal: store.journal, importTimezone: 'America/New_York' });
    const file = path.join(dir, 'Fills.csv');
    fs.writeFileSync(file, text);
    let [c0, t0] = [cpu(), performance.now()];
    const r = await service.importFile({ path: file }, { now: NOW });
    let [c1, t1] = [cpu(), performance.now()];
    if (r.status !== 'imported' || r.executionsAdded !== FILLS)
      throw new Error(`${r.status}: ${r.executionsAdded} added, ${r.rejected.length} rejected`);
    console.log(
      `${label}: ${FILLS.toLocaleString('en-US')} Tradovate fills (${(text.length / 1024 / 1024).toFixed(1)} MB) imported in ${((t1 - t0) / 1000).toFixed(2)} s wall, ${((c1 - c0) / 1000).toFixed(2)} s CPU, ${r.positionsRebuilt.toLocaleString('en-US')} positions (goal < 2 s)`,
    );
    [c0, t0] = [cpu(), performance.now()];
    const again = await service.importFile({ path: file }, { now: NOW });
    [c1, t1] = [cpu(), performance.now()];
    console.log(
      `  the same file again: ${again.duplicatesSkipped.toLocaleString('en-US')} duplicates in ${((t1 - t0) / 1000).toFixed(2)} s wall, ${((c1 - c0) / 1000).toFixed(2)} s CPU`,
    );
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`load average ${os.loadavg()[0]?.toFixed(1)} on ${os.availableParallelism()} cores`);
await once('warm-up');
await once('measured');
