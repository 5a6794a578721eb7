/**
 * Start-up benchmark (`npm run bench -- startup`; issue 9 §5, goal: the compiled start under 300 ms on 2 cores).
 * Spawns the real server N times (BENCH_STARTS, default 20) on a data directory holding the demo journal, and
 * reports the median and p90 time from spawn to the first 200 answer of GET /health, polled every 2 ms from the
 * spawn on. Two ways of starting are measured, one spawn of each in turn:
 * - `bin/tradelog serve` running the bundle in dist/ (what `npm start` and the Docker image run; built first
 *   when older than src/);
 * - the sources through tsx (what bin/tradelog runs while a source is newer than the bundle).
 * Also printed: the server's CPU time (user + system, all threads) at that answer, which a busy machine inflates
 * less than the wall time, and the load average during the run. Prints figures; asserts nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_STARTS ?? 20);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-bench-start-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const built = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), '--if-stale'], { cwd: ROOT, encoding: 'utf8' });
if (built.status !== 0) console.log(`build failed; bin/tradelog runs the sources:\n${built.stderr}`);

const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRADELOG_')));
const dataDir = path.join(tmp, 'data');
const demo = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tradelog'), 'demo', '--data-dir', dataDir, '--json'], {
  cwd: ROOT,
  env,
  encoding: 'utf8',
});
if (demo.status !== 0) throw new Error(`tradelog demo failed: ${demo.stderr}`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

function healthStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
}

/** CPU time (ms, user + system) the process has used so far. */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

async function oneStart(args: string[]): Promise<{ ms: number; cpu: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [...args, 'serve', '--port', String(port), '--data-dir', dataDir], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const deadline = t0 + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${stderr}`);
      if (performance.now() > deadline) throw new Error(`no 200 from /health within 60 s: ${stderr}`);
      if ((await healthStatus(port)) === 200) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    const ms = performance.now() - t0;
    return { ms, cpu: cpuMs(child.pid as number) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const at = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? Number.NaN;
const variants: [string, string[]][] = [
  ['bin/tradelog serve (dist/ bundle: npm start, the Docker image)', [path.join(ROOT, 'bin', 'tradelog')]],
  ['sources through tsx', ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts')]],
];
const results = variants.map(() => ({ ms: [] as number[], cpu: [] as number[] }));
const load: number[] = [];
await oneStart(variants[0]?.[1] ?? []); // warms the page cache
for (let i = 0; i < RUNS; i++) {
  for (const [k, [, args]] of variants.entries()) {
    const r = await oneStart(args);
    results[k]?.ms.push(r.ms);
    results[k]?.cpu.push(r.cpu);
  }
  load.push(os.loadavg()[0] ?? 0);
}
for (const [k, [label]] of variants.entries()) {
  const r = results[k] as { ms: number[]; cpu: number[] };
  console.log(
    `serve start to first 200 /health, ${label}: median ${at(r.ms, 0.5).toFixed(0)} ms, p90 ${at(r.ms, 0.9).toFixed(0)} ms, ` +
      `min ${Math.min(...r.ms).toFixed(0)} ms over ${RUNS} starts; server CPU median ${at(r.cpu, 0.5).toFixed(0)} ms` +
      `${k === 0 ? ' [goal < 300 ms]' : ''}`,
  );
}
console.log(`load average during the runs: median ${at(load, 0.5).toFixed(2)} on ${os.cpus().length} cores`);
