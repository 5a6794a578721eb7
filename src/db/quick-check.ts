import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * `PRAGMA quick_check` on a read-only connection of its own, on a worker thread, so a large database (market.db
 * with millions of bars takes a second or more) is checked without holding the server's event loop.
 */
export type QuickCheckResult = { ok: boolean; lines: string[] } | { ok: false; error: { code?: string; message: string } };

const betterSqlite3 = createRequire(import.meta.url).resolve('better-sqlite3');

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.module);
let db;
try {
  db = new Database(workerData.file, { readonly: true, fileMustExist: true, timeout: 5000 });
  const lines = db.pragma('quick_check(' + workerData.maxErrors + ')').map((r) => String(Object.values(r)[0]));
  parentPort.postMessage({ ok: lines.length === 1 && lines[0] === 'ok', lines });
} catch (e) {
  parentPort.postMessage({ ok: false, error: { code: e && e.code, message: String((e && e.message) || e) } });
} finally {
  if (db) db.close();
}`;

export function quickCheckInWorker(file: string, maxErrors = 20): Promise<QuickCheckResult> {
  return new Promise((resolve) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { module: betterSqlite3, file, maxErrors } });
    let settled = false;
    const done = (r: QuickCheckResult) => {
      if (!settled) resolve(r);
      settled = true;
    };
    worker.once('message', done);
    worker.once('error', (err) => done({ ok: false, error: { message: err.message } }));
    worker.once('exit', (code) => done({ ok: false, error: { message: `the check's worker exited with code ${code}` } }));
    worker.unref();
  });
}
