/**
 * Import adapters benchmark (goals from issue 10; the whole import of 100,000 Tradovate fills must take < 2 s,
 * so the adapter's part has to be a fraction of that; auto-detection of a 20 MB file < 50 ms):
 * - 100,000 Tradovate Fills rows: bytes → records (csv-records.ts) → fills (the adapter), in one process;
 * - auto-detect of a 20 MB file (median of 20 runs): reads only the head.
 * Prints figures; asserts nothing about time.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { InstrumentRegistry } from '../src/instruments/instruments.js';
import { detectFormat, parseFile } from '../src/trades/importers/formats.js';
import { readRecords } from '../src/trades/importers/records.js';
import { Sample } from '../src/trades/importers/sample.js';
import { tradovateFills } from '../src/trades/importers/tradovate-fills.adapter.js';
import { HEADER, tradovateFillsCsv } from './tradovate-data.js';

const FILLS = 100_000;

const ms = (t: number) => `${t.toFixed(1)} ms`;
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const registry = new InstrumentRegistry();
const options = { registry, zone: 'America/New_York' };

const text = tradovateFillsCsv(FILLS);
const bytes = new Uint8Array(Buffer.from(text));
console.log(`Tradovate Fills: ${FILLS.toLocaleString('en-US')} rows, ${mb(bytes.length)}`);

/** CPU milliseconds of this process (user + system): steadier than wall time on a shared machine. */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// warm-up run (JIT), then the measured ones
parseFile(bytes, options);
const runs: Record<'records' | 'adapter' | 'total' | 'recordsCpu' | 'adapterCpu' | 'totalCpu', number>[] = [];
for (let i = 0; i < 5; i++) {
  const [c0, t0] = [cpu(), performance.now()];
  const { records } = readRecords(bytes, ',');
  const [c1, t1] = [cpu(), performance.now()];
  const r = tradovateFills.parse(records, options);
  const [c2, t2] = [cpu(), performance.now()];
  if (r.fills.length !== FILLS || r.problems.length > 0)
    throw new Error(`expected ${FILLS} fills, got ${r.fills.length} and ${r.problems.length} problems`);
  const [c3, t3] = [cpu(), performance.now()];
  parseFile(bytes, options);
  const [c4, t4] = [cpu(), performance.now()];
  runs.push({ records: t1 - t0, adapter: t2 - t1, total: t4 - t3, recordsCpu: c1 - c0, adapterCpu: c2 - c1, totalCpu: c4 - c3 });
}
const m = (k: keyof (typeof runs)[number]) => median(runs.map((r) => r[k]));
console.log(`  (median of ${runs.length}; wall time, and CPU time of this process)`);
console.log(`  records (csv-records.ts):   ${ms(m('records'))} wall, ${ms(m('recordsCpu'))} CPU`);
console.log(`  adapter (rows → fills):     ${ms(m('adapter'))} wall, ${ms(m('adapterCpu'))} CPU`);
console.log(
  `  parseFile (detect + both):  ${ms(m('total'))} wall, ${ms(m('totalCpu'))} CPU → ${Math.round(FILLS / (m('total') / 1000)).toLocaleString('en-US')} fills/s (whole import goal < 2 s)`,
);
console.log(
  `  peak RSS: ${mb(process.resourceUsage().maxRSS * 1024)}; load average ${os.loadavg()[0]?.toFixed(1)} on ${os.availableParallelism()} cores`,
);

// a 20 MB file: the same rows repeated
const row = text.slice(text.indexOf('\n') + 1, text.indexOf('\n', text.indexOf('\n') + 1) + 1);
const big = Buffer.from(`${HEADER}\n${row.repeat(Math.ceil((20 * 1024 * 1024) / row.length))}`);
const times: number[] = [];
for (let i = 0; i < 21; i++) {
  const t0 = performance.now();
  const { detection } = detectFormat(Sample.fromBytes(big));
  times.push(performance.now() - t0);
  if (detection.format !== 'tradovate-fills') throw new Error(`detected ${detection.format}`);
}
console.log(
  `auto-detect of a ${mb(big.length)} file: median ${ms(median(times.slice(1)))}, worst ${ms(Math.max(...times.slice(1)))} (goal < 50 ms)`,
);
