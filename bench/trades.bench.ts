/**
 * Trades benchmark (goals from issue 3, measured on the machine that runs it):
 * - import of a 100,000-execution NinjaTrader CSV into positions (parse, dedupe, store, build): goal < 2 s on
 *   2 cores, memory bounded (peak RSS printed);
 * - statistics over 100,000 positions: goal < 200 ms.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dataPaths } from '../src/config.js';
import { openStore } from '../src/db/store.js';
import { computeStats, type StatsPosition } from '../src/trades/stats.js';
import { createTradesService } from '../src/trades/trades.service.js';

const EXECUTIONS = 100_000;
const POSITIONS = 100_000;

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const ms = (t: number) => `${t.toFixed(0)} ms`;

/** A NinjaTrader add-on file: 4 accounts × 3 contracts, round trips of 1–3 entries and 1–3 exits, some reversals. */
function writeCsv(file: string, n: number): void {
  const contracts = [
    { name: 'MNQ 12-25', price: 21000, tick: 0.25 },
    { name: 'ES 12-25', price: 6000, tick: 0.25 },
    { name: 'CL 01-26', price: 60, tick: 0.01 },
  ];
  const accounts = ['APEX1279810000057', 'APEX1279810000058', 'Sim101', 'TOPSTEP42'];
  const out = fs.createWriteStream(file);
  const lines: string[] = [
    'Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation',
  ];
  let t = Date.UTC(2025, 0, 2, 14, 30);
  let seq = 0;
  let rnd = 42;
  const rand = () => {
    rnd = (rnd * 1103515245 + 12345) % 2147483648;
    return rnd / 2147483648;
  };
  const state = new Map<string, number>();
  const fmt = (ms: number) => {
    const d = new Date(ms - 8 * 3_600_000); // written as a fixed UTC−8 wall clock; Los Angeles readings differ in summer only
    const h = d.getUTCHours();
    return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 || 12}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
  };
  while (seq < n) {
    const c = contracts[Math.floor(rand() * contracts.length)] as (typeof contracts)[number];
    const account = accounts[Math.floor(rand() * accounts.length)] as string;
    const key = `${account}|${c.name}`;
    const pos = state.get(key) ?? 0;
    let qty = 1 + Math.floor(rand() * 3);
    let buy: boolean;
    if (pos === 0) buy = rand() < 0.5;
    else if (rand() < 0.35)
      buy = pos > 0; // scale in
    else {
      buy = pos < 0;
      qty = rand() < 0.1 ? Math.abs(pos) + 1 : Math.min(qty, Math.abs(pos)); // sometimes reverse
    }
    const next = pos + (buy ? qty : -qty);
    state.set(key, next);
    const price = (c.price + Math.round((rand() - 0.5) * 200) * c.tick).toFixed(2);
    // 1–21 s apart: 100,000 fills span about two weeks of January 2025, far from any clock change
    t += 1000 + Math.floor(rand() * 20_000);
    const action = buy ? 'Buy' : 'Sell';
    const ex = Math.abs(next) > Math.abs(pos) && Math.sign(next) === Math.sign(pos || next) ? 'Entry' : 'Exit';
    lines.push(
      `${c.name},${action},${qty},${price},${fmt(t)},${900000000000 + seq}_1,${ex},${Math.abs(next)} ${next >= 0 ? 'L' : 'S'},${seq},${ex},$${(0.52 * qty).toFixed(2)},1,${account},Apex Trader Funding ,`,
    );
    seq++;
    if (lines.length >= 10_000) {
      out.write(`${lines.join('\n')}\n`);
      lines.length = 0;
    }
  }
  out.end(`${lines.join('\n')}\n`);
}

function syntheticPositions(n: number): StatsPosition[] {
  const out: StatsPosition[] = new Array(n);
  let t = Date.UTC(2022, 0, 3, 14, 30);
  let rnd = 7;
  for (let i = 0; i < n; i++) {
    rnd = (rnd * 1103515245 + 12345) % 2147483648;
    const net = Math.round((rnd / 2147483648 - 0.45) * 20_000);
    t += 600_000 + (rnd % 3_600_000);
    out[i] = {
      account: `ACC${i % 5}`,
      root: i % 3 === 0 ? 'ES' : 'MNQ',
      contract: i % 3 === 0 ? 'ES 12-25' : 'MNQ 12-25',
      side: i % 2 === 0 ? 'long' : 'short',
      openedAt: t - 300_000,
      closedAt: t,
      grossCents: net + 104,
      commissionCents: 104,
      netCents: net,
    };
  }
  return out;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-bench-'));
try {
  const csv = path.join(dir, 'NinjaTrader_Executions_bench.csv');
  writeCsv(csv, EXECUTIONS);
  await new Promise((r) => setTimeout(r, 200));
  const bytes = fs.statSync(csv).size;
  console.log(
    `cpus: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const store = openStore(dataPaths(path.join(dir, 'data')));
  const service = createTradesService({ journal: store.journal, importTimezone: 'America/Los_Angeles' });
  const rssBefore = process.resourceUsage().maxRSS;
  const runImport = async (label: string) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await service.importFile({ path: csv });
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (r.status !== 'imported' || (r.executionsAdded !== EXECUTIONS && r.duplicatesSkipped !== EXECUTIONS)) {
      throw new Error(`import failed: ${JSON.stringify(r.rejected.slice(0, 3))}`);
    }
    console.log(
      `${label}: ${ms(wall)} wall (goal < 2000 ms), ${ms((cpu.user + cpu.system) / 1000)} CPU on all threads, ${Math.round(EXECUTIONS / (wall / 1000))} executions/s → ${r.positionsRebuilt} positions in ${r.books.length} books`,
    );
    return r;
  };
  console.log(`import of ${EXECUTIONS} executions (${(bytes / 1e6).toFixed(1)} MB CSV):`);
  await runImport('  default (one thread)');
  const rssAfter = process.resourceUsage().maxRSS;
  console.log(`  peak RSS: ${mb(rssAfter)} (${mb(rssBefore)} before the import)`);
  await runImport('  the same file again (all duplicates)');

  const t2 = performance.now();
  const dbStats = service.stats();
  console.log(`stats from the database over ${dbStats.positions} closed positions (read + compute): ${ms(performance.now() - t2)}`);
  const t3 = performance.now();
  service.stats({}, { by: 'day' });
  console.log(`  … grouped by trading day: ${ms(performance.now() - t3)}`);
  store.close();

  const positions = syntheticPositions(POSITIONS);
  // first call of each grouping cold (JIT, zone-offset caches), then warm
  for (const by of [undefined, 'day', 'week', 'month', 'hour', 'instrument'] as const) {
    const times: number[] = [];
    let groups = 0;
    for (let i = 0; i < 3; i++) {
      const t4 = performance.now();
      groups = computeStats(positions, by ? { by } : {}).groups?.length ?? 0;
      times.push(performance.now() - t4);
    }
    console.log(
      `computeStats over ${POSITIONS} positions${by ? ` by ${by} (${groups} groups)` : ''}: ${ms(times[0] as number)} cold, ${ms(Math.min(...times.slice(1)))} warm (goal < 200 ms)`,
    );
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
