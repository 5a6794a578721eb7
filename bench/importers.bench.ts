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

const FILLS = 100_000;
const HEADER =
  '_id,_orderId,_contractId,_timestamp,_tradeDate,_action,_qty,_price,_active,_accountId,Fill ID,Order ID,Timestamp,Date,Account,B/S,Quantity,Price,_priceFormat,_priceFormatType,_tickSize,Contract,Product,Product Description,commission';

const ms = (t: number) => `${t.toFixed(1)} ms`;
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

/** Round trips of 1–3 contracts on two accounts × two contracts, a fill every 7 s, in Tradovate's Fills shape. */
function tradovateFillsCsv(n: number): string {
  const contracts = [
    { code: 'MNQM6', product: 'MNQ', desc: 'Micro E-mini NASDAQ-100', price: 21000, fee: 0.52 },
    { code: 'ESM6', product: 'ES', desc: 'E-mini S&P 500', price: 6000, fee: 1.29 },
  ];
  const accounts = ['DEMO4471200', 'APEX4977960000002'];
  const pad = (x: number) => String(x).padStart(2, '0');
  const lines = [HEADER];
  let t = Date.UTC(2026, 0, 5, 14, 30);
  let rnd = 7;
  const rand = () => {
    rnd = (rnd * 1103515245 + 12345) % 2147483648;
    return rnd / 2147483648;
  };
  const open = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const c = contracts[i % 2] as (typeof contracts)[number];
    const account = accounts[Math.floor(i / 2) % 2] as string;
    const key = `${account}${c.code}`;
    const pos = open.get(key) ?? 0;
    const qty = pos === 0 ? 1 + Math.floor(rand() * 3) : Math.abs(pos);
    const buy = pos === 0 ? rand() < 0.5 : pos < 0;
    open.set(key, pos + (buy ? qty : -qty));
    c.price += (Math.floor(rand() * 9) - 4) * 0.25;
    t += 7000;
    const d = new Date(t);
    const local = new Date(t - 4 * 3_600_000);
    const stamp = `${pad(local.getUTCMonth() + 1)}/${pad(local.getUTCDate())}/${local.getUTCFullYear()} ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
    const id = 700000 + i;
    const price = c.price.toFixed(2);
    lines.push(
      `${id},${id + 1_000_000},3712345,${d.toISOString().replace('T', ' ')},${d.toISOString().slice(0, 10)},${buy ? 0 : 1},${qty},${price},true,55501,${id},${id + 1_000_000},${stamp},1/5/26,${account}, ${buy ? 'Buy' : 'Sell'},${qty},${price},-2,0,0.25,${c.code},${c.product},${c.desc},${(c.fee * qty).toFixed(2)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

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
