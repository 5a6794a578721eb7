import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { test } from 'node:test';
import { spawnServer } from '../helpers/browser.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A stranger must not be able to make the server hold request bodies: multipart is parsed only on the upload route
 * (after sign-in and the CSRF check), routes that take no body refuse one before reading it, and /login takes a
 * small one. Measured on the real server process: its resident memory while seven strangers stream 48 MB
 * multipart body at public paths.
 */

const MB = 1024 * 1024;
const TOKEN = 'attack-test-token-4f9d2c';

/** Resident set size of a process in bytes (/proc/<pid>/status VmRSS). */
function rss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'VmRSS in /proc/<pid>/status');
  return Number(m[1]) * 1024;
}

interface Outcome {
  path: string;
  status: number | undefined;
  /** Body bytes written before the answer came (or the connection closed). */
  sentBeforeAnswer: number;
  total: number;
}

/**
 * Streams a multipart body of `parts` files of `partBytes` each to `url`, a 1 MB chunk at a time as the socket
 * drains (the test never holds the body), and stops sending once an answer arrives.
 */
function streamMultipart(url: string, method: string, parts: number, partBytes: number): Promise<Outcome> {
  const boundary = '----tradelog-attack-boundary';
  const chunk = Buffer.alloc(MB, 'a');
  const head = (i: number) =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="f${i}.csv"\r\nContent-Type: text/csv\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const sep = Buffer.from('\r\n');
  let total = tail.length;
  for (let i = 0; i < parts; i++) total += head(i).length + partBytes + (i > 0 ? sep.length : 0);
  const target = new URL(url);
  return new Promise((resolve) => {
    let sent = 0;
    let answered: number | undefined;
    let sentBeforeAnswer = -1;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve({ path: target.pathname, status: answered, sentBeforeAnswer: sentBeforeAnswer < 0 ? sent : sentBeforeAnswer, total });
    };
    const req = http.request(url, {
      method,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(total) },
    });
    req.on('response', (res) => {
      answered = res.statusCode;
      sentBeforeAnswer = sent;
      res.resume();
      res.on('end', () => {
        req.destroy();
        finish();
      });
      res.on('error', finish);
    });
    req.on('error', finish);
    req.on('close', finish);
    const pieces = function* (): Generator<Buffer> {
      for (let i = 0; i < parts; i++) {
        if (i > 0) yield sep;
        yield head(i);
        for (let left = partBytes; left > 0; left -= MB) yield left >= MB ? chunk : chunk.subarray(0, left);
      }
      yield tail;
    };
    const it = pieces();
    const pump = () => {
      while (!done && answered === undefined) {
        const next = it.next();
        if (next.done) {
          req.end();
          return;
        }
        sent += next.value.length;
        if (!req.write(next.value)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

test('multipart bodies sent by a stranger to public paths are refused without being read into memory', async (t) => {
  const dir = tempDir(t);
  const server = await spawnServer(t, { dataDir: dir, env: { TRADELOG_AUTH_TOKEN: TOKEN } });
  const pid = server.child.pid as number;
  const base = server.url;
  // Warm up (first requests compile routes and schemas), then take the baseline.
  for (const p of ['/health', '/login', '/favicon.ico', '/static/app.css', '/nope']) {
    await fetch(`${base}${p}`).then((r) => r.arrayBuffer());
  }
  const before = rss(pid);
  let peak = before;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, rss(pid));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  // Four files of 12 MB each: under the upload plugin's per-file cap, so the old app buffered all of it.
  const targets: [string, string][] = [
    ['POST', '/login'],
    ['POST', '/health'],
    ['POST', '/static/app.css'],
    ['POST', '/favicon.ico'],
    ['POST', '/no/such/page'],
    ['GET', '/health'],
    ['POST', '/import/preview'],
  ];
  const outcomes = await Promise.all(targets.map(([method, p]) => streamMultipart(`${base}${p}`, method, 4, 12 * MB)));
  peak = Math.max(peak, rss(pid));
  sampling = false;
  await sampler;

  const grewMb = (peak - before) / MB;
  console.log(
    `# server RSS ${Math.round(before / MB)} MB before, peak ${Math.round(peak / MB)} MB during seven 48 MB multipart bodies (+${grewMb.toFixed(1)} MB)`,
  );
  for (const o of outcomes) {
    console.log(`#   ${o.path}: ${o.status ?? 'closed'} after ${(o.sentBeforeAnswer / MB).toFixed(1)} of ${(o.total / MB).toFixed(1)} MB`);
  }
  assert.ok(grewMb < 100, `the server's memory grew by ${grewMb.toFixed(1)} MB`);
  for (const o of outcomes) {
    assert.ok(o.status !== undefined && o.status >= 400 && o.status < 500, `${o.path}: refused with a 4xx (got ${o.status})`);
    assert.ok(o.sentBeforeAnswer < o.total / 2, `${o.path}: answered before most of the body was sent`);
  }

  // The server is still there and well.
  const health = await waitFor('health after the attack', async () => {
    const r = await fetch(`${base}/health`);
    return r.status === 200 ? r : undefined;
  });
  assert.equal(health.status, 200);
});
