// Asks a server for pages again and again, one request at a time, and records how long each answer took: the
// measuring side of "pages answer within 1 s during an import" (test/helpers/import-load.ts). A process of its own,
// so the test's own work (building 240 MB of uploads, collecting their garbage) never counts as the server's.
// Usage: node latency-probe.mjs ADDRESS PAUSE_MS URL...; prints "ready", then, when stdin closes, one JSON line:
// {count, worstMs, worstUrl, worstAtMs, worstServerMs, p50Ms, p99Ms, failures}. A request still waiting then counts
// with the time so far. worstAtMs: when the worst request was sent, from the start; worstServerMs: the time the
// server says it spent on it (its Server-Timing header), which tells a slow handler from a server that was not
// reading requests at all.
import http from 'node:http';

const [address, pause, ...urls] = process.argv.slice(2);
const times = [];
const start = performance.now();
const failures = [];
let current;
let stopped = false;

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

async function loop() {
  for (let i = 0; !stopped; i++) {
    const url = urls[i % urls.length];
    current = { url, since: performance.now() };
    const a = await get(url);
    times.push({ ms: a.ms, url, at: current.since - start, server: a.server });
    current = undefined;
    if (a.status !== 200) failures.push(`${url}: ${a.status}`);
    await new Promise((r) => setTimeout(r, Number(pause)));
  }
}

process.stdin.on('end', () => {
  stopped = true;
  if (current) times.push({ ms: performance.now() - current.since, url: current.url, at: current.since - start, server: null });
  const sorted = times.map((x) => x.ms).sort((a, b) => a - b);
  const worst = times.reduce((w, x) => (x.ms > w.ms ? x : w), { ms: 0, url: '', at: 0, server: null });
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  process.stdout.write(
    `${JSON.stringify({ count: times.length, worstMs: worst.ms, worstUrl: worst.url, worstAtMs: worst.at, worstServerMs: worst.server, p50Ms: at(0.5), p99Ms: at(0.99), failures })}\n`,
  );
  process.exit(0);
});
process.stdin.resume();
process.stdout.write('ready\n');
void loop();
