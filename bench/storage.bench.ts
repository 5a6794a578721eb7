/**
 * Storage figures (issue 2 goals): doctor time on a 100 MB database (< 300 ms without the full integrity_check),
 * a verified backup of 100 MB while another process writes (< 2 s), and serve's start-up to first response
 * (< 500 ms) from the sources through tsx and from the compiled build (node dist/cli/main.js); bin/tradelog runs the
 * build while it is newer than the sources, else the sources.
 * Prints figures; asserts nothing.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataPaths } from '../src/config.js';
import { backupDatabase } from '../src/db/backup.js';
import { runDoctor } from '../src/db/doctor.js';
import { formatBytes } from '../src/db/fs-info.js';
import { openStore } from '../src/db/store.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ACTOR = path.join(ROOT, 'test/helpers/actors/sqlite-actor.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-bench-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const ms = (n: number) => `${n.toFixed(0)} ms`;

/** Fill `db` of a fresh data dir with executions-like rows (indexed) until the file holds 100 MB. */
function build100MB(dir: string, which: 'journal' | 'market') {
  const paths = dataPaths(path.join(tmp, dir));
  const t0 = performance.now();
  const store = openStore(paths);
  const db = store[which];
  db.write(() =>
    db.conn.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
      CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, account TEXT NOT NULL, instrument TEXT NOT NULL, ts INTEGER NOT NULL,
        price_ticks INTEGER NOT NULL, qty INTEGER NOT NULL, note TEXT NOT NULL) STRICT;
      CREATE INDEX bench_rows_instrument_ts ON bench_rows (instrument, ts);`),
  );
  const ins = db.conn.prepare('INSERT INTO bench_rows (account, instrument, ts, price_ticks, qty, note) VALUES (?, ?, ?, ?, ?, ?)');
  const bytes = () =>
    (db.conn.pragma('page_count', { simple: true }) as number) * (db.conn.pragma('page_size', { simple: true }) as number);
  while (bytes() < 100e6) {
    db.write(() => {
      for (let i = 0; i < 50_000; i++)
        ins.run('Sim101', 'MNQ 12-25', 1_700_000_000_000 + i * 1000, 84_000 + (i % 400), 1 + (i % 3), 'x'.repeat(40));
    });
  }
  store.close();
  const file = which === 'journal' ? paths.journalDb : paths.marketDb;
  console.log(`built a ${formatBytes(fs.statSync(file).size)} ${which}.db in ${ms(performance.now() - t0)}`);
  return paths;
}

const big = build100MB('big', 'journal');

// 1. Doctor.
{
  const runs: number[] = [];
  let last = runDoctor(big);
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    last = runDoctor(big);
    runs.push(performance.now() - t0);
  }
  const slow = last.checks
    .filter((c) => c.ms >= 5)
    .map((c) => `${c.name} ${c.ms} ms`)
    .join(', ');
  console.log(
    `doctor on 100 MB (quick_check): median ${ms(median(runs))}, min ${ms(Math.min(...runs))} over ${runs.length} runs [goal < 300 ms]; status ${last.status}; slowest checks: ${slow}`,
  );
  const t0 = performance.now();
  runDoctor(big, { fullIntegrity: true });
  console.log(`doctor on 100 MB with the full integrity_check: ${ms(performance.now() - t0)}`);
}

// 2. Verified backup while another process commits every 2 ms.
{
  const writer = spawn(process.execPath, [ACTOR, big.journalDb, 'open', 'pace:8000'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => writer.stdout.on('data', (d: Buffer) => d.toString().includes('writing') && resolve()));
  await new Promise((r) => setTimeout(r, 300));
  const store = openStore(big, { migrate: false });
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = backupDatabase(store.journal, { backupsDir: big.backupsDir, kind: 'manual', now: new Date(Date.now() + i * 1000) });
    times.push(performance.now() - t0);
    bytes = r.bytes;
    fs.rmSync(r.file);
  }
  store.close();
  writer.kill('SIGTERM');
  const t = median(times);
  console.log(
    `verified backup (VACUUM INTO + integrity_check + counts + rename) of ${formatBytes(bytes)} under a 2 ms writer: median ${ms(t)} (${((bytes / 1e6 / t) * 1000).toFixed(0)} MB/s) [goal < 2000 ms]`,
  );
}

// 3. serve: spawn to first /health answer.
async function firstResponse(args: string[], dataDir: string): Promise<number> {
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...args, 'serve', '--port', '0', '--data-dir', dataDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, TRADELOG_LOG_LEVEL: 'info' },
  });
  const address = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"address":"(http:[^"]+)"/.exec(buf);
      if (m?.[1]) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  const res = await fetch(`${address}/health`);
  await res.text();
  const elapsed = performance.now() - t0;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  return elapsed;
}

if (!fs.existsSync(path.join(ROOT, 'dist/cli/main.js')) || process.env.BENCH_BUILD === '1') {
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  if (b.status !== 0) console.log('npm run build failed; the dist figure is skipped');
}
const small = dataPaths(path.join(tmp, 'small'));
openStore(small).close();
const bigMarket = build100MB('big-market', 'market');
for (const [label, args] of [
  // bin/tradelog runs the compiled build while it is fresh, else the sources through tsx: both are measured.
  ['sources through tsx', ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts')]],
  ['node dist/cli/main.js', [path.join(ROOT, 'dist/cli/main.js')]],
] as const) {
  if (!fs.existsSync(args[args.length - 1] as string)) continue;
  for (const [which, dir] of [
    ['small data dir', small.dataDir],
    ['100 MB market.db (its quick_check runs after start)', bigMarket.dataDir],
    ['100 MB journal.db', big.dataDir],
  ] as const) {
    const runs: number[] = [];
    for (let i = 0; i < 4; i++) runs.push(await firstResponse([...args], dir));
    console.log(
      `serve start-up to first response, ${label}, ${which}: median ${ms(median(runs))}, min ${ms(Math.min(...runs))} [goal < 500 ms]`,
    );
  }
}
