// Asks a server for pages again and again, one request at a time, and records how long each answer took: the
// measuring side of "pages answer within 1 s during an import" (test/helpers/import-load.ts). A process of its own,
// so the test's own work (building 240 MB of uploads, collecting their garbage) never counts as the server's.
// Usage: node latency-probe.mjs ADDRESS PAUSE_MS URL...; prints "ready", then, when stdin closes, one JSON line:
// {count, worstMs, worstUrl, worstAtMs, worstServerMs, p50Ms, p99Ms, failures}. A request still waiting then counts
// with the time so far. worstAtMs: when the worst request was sent, from the start; worstServerMs: the time the
// server says it spent on it (its Server-Timing header), which tells a slow handler from a server that was not
// reading requests at all.
//
// A control runs beside it: a trivial HTTP server in a process of its own, asked every few milliseconds by a loop of
// this probe. When the machine itself stalls (other processes on a small CI machine, the probe not scheduled), the
// control's answers stall too; each answer's `ownMs` is its time less the slowest control answer that overlapped it,
// the part of the wait the server is responsible for. worstOwnMs is the largest; worstMs the largest as measured.
import { spawn } from 'node:child_process';
import http from 'node:http';

const [address, pause, ...urls] = process.argv.slice(2);
const times = [];
const start = performance.now();
const failures = [];
const CONTROL_PAUSE_MS = 5;
const control = [];
let current;
let stopped = false;

/** A trivial server in its own process; resolves with its address. */
function startControl() {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "const s = require('node:http').createServer((q, r) => r.end('ok')); s.listen(0, '127.0.0.1', () => console.log(s.address().port)); process.stdin.on('end', () => process.exit(0)); process.stdin.resume();",
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  return new Promise((resolve) => {
    child.stdout.once('data', (d) => resolve({ child, address: `http://127.0.0.1:${String(d).trim()}` }));
  });
}

function get(url) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.get(
      new URL(url, address),
      { agent: false, headers: { accept: url === '/health' ? 'application/json' : 'text/html' } },
      (res) => {
        res.resume();
        const server = /dur=([\d.]+)/.exec(String(res.headers['server-timing'] ?? ''))?.[1];
        res.on('end', () =>
          resolve({ status: res.statusCode, ms: performance.now() - t0, server: server === undefined ? null : Number(server) }),
        );
      },
    );
    req.on('error', (err) => resolve({ status: err.code ?? 'error', ms: performance.now() - t0, server: null }));
  });
}

/** The control's loop: its answer times, with when each was asked and answered. */
async function controlLoop(address) {
  // Each round covers the time since the previous one ended (pause included), so a stall of this process while it
  // sleeps counts as much as one while it waits for an answer.
  let from = performance.now();
  while (!stopped) {
    await get(new URL('/', address).href);
    await new Promise((r) => setTimeout(r, CONTROL_PAUSE_MS));
    const to = performance.now();
    control.push({ from, to, stall: Math.max(0, to - from - CONTROL_PAUSE_MS) });
    from = to;
  }
}

/** Longest stall of the control overlapping [from, to]. */
function controlStall(from, to) {
  let worst = 0;
  for (const c of control) if (c.to >= from && c.from <= to) worst = Math.max(worst, c.stall);
  return worst;
}

async function loop() {
  for (let i = 0; !stopped; i++) {
    const url = urls[i % urls.length];
    current = { url, since: performance.now() };
    const a = await get(url);
    times.push({ ms: a.ms, url, at: current.since - start, server: a.server, from: current.since, to: performance.now() });
    current = undefined;
    if (a.status !== 200) failures.push(`${url}: ${a.status}`);
    await new Promise((r) => setTimeout(r, Number(pause)));
  }
}

process.stdin.on('end', () => {
  stopped = true;
  const now = performance.now();
  if (current)
    times.push({ ms: now - current.since, url: current.url, at: current.since - start, server: null, from: current.since, to: now });
  for (const x of times) x.ownMs = Math.max(0, x.ms - controlStall(x.from, x.to));
  const sorted = times.map((x) => x.ms).sort((a, b) => a - b);
  const worst = times.reduce((w, x) => (x.ms > w.ms ? x : w), { ms: 0, url: '', at: 0, server: null });
  const worstOwn = times.reduce((w, x) => (x.ownMs > w.ownMs ? x : w), { ownMs: 0, url: '' });
  const controlWorst = control.reduce((w, c) => Math.max(w, c.stall), 0);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const result = {
    count: times.length,
    worstMs: worst.ms,
    worstUrl: worst.url,
    worstAtMs: worst.at,
    worstServerMs: worst.server,
    worstOwnMs: worstOwn.ownMs,
    worstOwnUrl: worstOwn.url,
    controlWorstMs: controlWorst,
    controlCount: control.length,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    failures,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  ctl.child.stdin.end();
  process.exit(0);
});
const ctl = await startControl();
process.stdin.resume();
process.stdout.write('ready\n');
void controlLoop(ctl.address);
void loop();
