import http from 'node:http';
import path from 'node:path';
import { BIN, cleanEnv, ROOT } from './cli.js';
import { spawnUntil } from './faults.js';

/**
 * Load for the "pages answer during an import" checks (test/web/import-load.test.ts and bench/import.bench.ts):
 * large NinjaTrader files, uploads over loopback to a real `tradelog serve` child process, and a probe that asks
 * /health (and a page) again and again and records how long each answer took.
 */

const HEADER = 'Instrument,Action,Quantity,Price,Time,ID,Commission,Account';
const bases = new Map<number, string>();

/**
 * A file of `rows` executions of one account (round trips of one MNQ contract, one a second from 2025-01-02
 * 14:30 UTC on, times written as M/d/yyyy H:mm:ss), about 60 bytes a row. The text of each row count is built once.
 */
export function executionsCsv(rows: number, account: string): Buffer {
  let base = bases.get(rows);
  if (!base) {
    const lines = [HEADER];
    let t = Date.UTC(2025, 0, 2, 14, 30);
    for (let i = 0; i < rows; i++) {
      t += 1000;
      const d = new Date(t);
      const time = `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${d.getUTCHours()}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')}`;
      lines.push(`MNQ 03-25,${i % 2 ? 'Sell' : 'Buy'},1,${21000 + (i % 8)}.25,${time},x${i},0.52,@ACCOUNT@`);
    }
    base = `${lines.join('\n')}\n`;
    bases.set(rows, base);
  }
  return Buffer.from(base.replaceAll('@ACCOUNT@', account));
}

export interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** One HTTP request over loopback with its own connection; the time from sending to the whole answer. */
export function request(
  address: string,
  method: string,
  urlPath: string,
  options: { headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<Answer> {
  const url = new URL(urlPath, address);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, { method, headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A multipart body as the import form sends it: the files under `files`, then the fields. */
export function multipartBody(files: { name: string; content: Buffer }[], fields: Record<string, string> = {}) {
  const boundary = '----tradelogload7MA4YWxkTrZu0gW';
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  for (const f of files) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${f.name}"\r\nContent-Type: text/csv\r\n\r\n`),
      f.content,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** POST /import/preview; the commit token of the preview page when it answered 200. */
export async function preview(address: string, files: { name: string; content: Buffer }[], fields: Record<string, string> = {}) {
  const mp = multipartBody(files, fields);
  const answer = await request(address, 'POST', '/import/preview', { headers: { ...mp.headers, accept: 'text/html' }, body: mp.body });
  return { ...answer, token: /name="token" value="([^"]+)"/.exec(answer.body)?.[1] };
}

/** POST /import/commit of a preview's token. */
export function commit(address: string, token: string): Promise<Answer> {
  return request(address, 'POST', '/import/commit', {
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: `token=${encodeURIComponent(token)}`,
  });
}

export interface ProbeResult {
  /** Answers received. */
  count: number;
  worstMs: number;
  worstUrl: string;
  /** When the worst request was sent, from the probe's start. */
  worstAtMs: number;
  /** What the server's Server-Timing header said it spent on the worst request (null: no answer yet). */
  worstServerMs: number | null;
  /**
   * The worst answer less the slowest answer of a trivial control server (its own process) asked meanwhile: the wait
   * the server is responsible for, with stalls of the whole machine taken out (latency-probe.mjs).
   */
  worstOwnMs: number;
  worstOwnUrl: string;
  /** The control's slowest answer, and how many it gave. */
  controlWorstMs: number;
  controlCount: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers that were not 200. */
  failures: string[];
}

const PROBE = path.join(ROOT, 'test', 'helpers', 'actors', 'latency-probe.mjs');

/**
 * Ask each of `urls` in turn, one request at a time with `pauseMs` between them, from a process of its own
 * (actors/latency-probe.mjs), until `stop`; every answer's time is kept. Resolves once the probe runs.
 */
export async function latencyProbe(address: string, urls: string[], pauseMs = 50) {
  const p = spawnUntil([PROBE, address, String(pauseMs), ...urls], 'ready');
  await p.ready;
  return {
    /** The probe's process (a test stops it with SIGSTOP to stand for a machine that stalls). */
    child: p.child,
    async stop(): Promise<ProbeResult> {
      p.child.stdin.end();
      await p.exited;
      const line = p
        .output()
        .stdout.split('\n')
        .find((l) => l.startsWith('{'));
      if (!line) throw new Error(`the latency probe printed no result: ${p.output().stderr}`);
      return JSON.parse(line) as ProbeResult;
    },
  };
}

/**
 * `bin/tradelog serve --port 0` on `dataDir` as this user (`bin`: another checkout's, to compare); its address, and a
 * stop that sends SIGTERM.
 */
export async function startServe(dataDir: string, env: Record<string, string> = {}, bin = BIN) {
  const s = spawnUntil([bin, 'serve', '--port', '0', '--data-dir', dataDir], '"address"', {
    env: cleanEnv({ TRADELOG_LOG_LEVEL: 'info', ...env }),
  });
  const line = await s.ready;
  const address = (JSON.parse(line) as { address: string }).address;
  return {
    address,
    importDir: path.join(dataDir, 'import'),
    child: s.child,
    output: s.output,
    async stop() {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
      return s.exited;
    },
  };
}
