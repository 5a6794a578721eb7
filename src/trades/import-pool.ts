import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { DbRef } from '../db/open.js';
import { WriteTurns } from '../db/write-turns.js';
import { AppError, type ErrorCode } from '../errors.js';
import type { ImportFileResult, ImportOptions, ImportSource, UndoResult } from './import.service.js';

/**
 * Imports off the event loop. A file's import is CPU work from its first byte to its commit: decoding, CSV
 * parsing, checking every row, content keys, the inserts and the position rebuild (about 3 s for 200,000 rows
 * on this 2-core machine). On the server's thread that held every page and /health for the whole time, so the
 * server runs imports (web preview and confirm, the watched folder, undo) on a worker thread with its own
 * connection to journal.db, opened through src/db the way the server's was. The job is the same code the CLI
 * runs in its own thread (import.service.ts): one transaction per file, nothing half-stored, SQLite's lock
 * deciding between the worker and the server's own writes, and WriteTurns keeping the server's writes from
 * waiting synchronously behind an import.
 *
 * Why the transaction runs here too, not only the parsing: storing a 200,000-row file (inserts, duplicate checks,
 * positions) is most of its time, seconds on this machine, and it cannot be cut into slices on the server's
 * connection without other requests' writes landing inside the file's open transaction. On a connection of its own
 * it stays one transaction per file, nothing half-stored.
 *
 * The multi-format pipeline (src/trades/importers/: detect → adapter → normalised fills → shared validate, dedupe,
 * transaction, rebuild) runs here the same way: its entry point becomes what `run` in import.worker.ts calls for an
 * import job; decoding and parsing stay in the worker with the transaction on the worker's connection.
 *
 * One worker: SQLite has one writer at a time, so a second worker would mostly wait for the lock, and on two
 * cores the other one stays with the event loop. Jobs queue in order. The worker starts on the first job (not at
 * server start) and stays; if it exits while a job runs, that job fails with TL_IMPORT_INTERRUPTED (its
 * transaction never committed) and the next job starts a new one.
 */
export type ImportJob = { kind: 'import'; source: ImportSource; options: ImportOptions } | { kind: 'undo'; importId: number };

export interface JobRequest {
  id: number;
  journal: DbRef;
  /** TRADELOG_IMPORT_TIMEZONE: the zone when the `import.timezone` setting is unset. */
  importTimezone: string;
  job: ImportJob;
}

export type SerializedError =
  | { app: true; code: ErrorCode; message: string; remedy: string; status: number; details?: Record<string, unknown> }
  | { app: false; message: string; stack?: string; code?: string };

export type JobReply = { id: number; ok: true; result: ImportFileResult | UndoResult } | { id: number; ok: false; error: SerializedError };

export interface ImportPool {
  importFile(journal: DbRef, importTimezone: string, source: ImportSource, options: ImportOptions): Promise<ImportFileResult>;
  undoImport(journal: DbRef, importTimezone: string, importId: number): Promise<UndoResult>;
  /** Write turns shared with the worker (the server takes one before a request that may write). */
  readonly turns: WriteTurns;
  /** Jobs waiting or running. */
  readonly pending: number;
  /** Finish the running job, refuse the queued ones, stop the worker. */
  close(): Promise<void>;
}

interface Queued {
  request: JobRequest;
  resolve(value: ImportFileResult | UndoResult): void;
  reject(err: unknown): void;
}

export function reviveError(e: SerializedError): Error {
  if (e.app) {
    return new AppError(e.code, e.message, { remedy: e.remedy, status: e.status, ...(e.details ? { details: e.details } : {}) });
  }
  const err = new Error(e.message);
  if (e.stack) err.stack = e.stack;
  if (e.code) Object.assign(err, { code: e.code });
  return err;
}

function interrupted(reason: string): AppError {
  return new AppError('TL_IMPORT_INTERRUPTED', `The import did not run to its end: ${reason}. Nothing of the file was stored.`, {
    remedy: 'Import the file again. If the worker keeps exiting on this file, split it into smaller files.',
  });
}

/**
 * The worker, started from TypeScript through tsx in a checkout, or from the compiled file in dist/. No
 * `resourceLimits`: V8 does not always stop at them gracefully (a large allocation past the limit aborts the whole
 * process instead of ending the worker), and the web's uploads are bounded before they reach the worker.
 */
function startWorker(shared: SharedArrayBuffer): Worker {
  const options = { workerData: { turns: shared } };
  if (fileURLToPath(import.meta.url).endsWith('.ts')) {
    const entry = new URL('./import.worker.ts', import.meta.url).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(boot, { ...options, eval: true });
  }
  return new Worker(new URL('./import.worker.js', import.meta.url), options);
}

export function createImportPool(options: { logger?: Logger } = {}): ImportPool {
  const turns = new WriteTurns();
  const queue: Queued[] = [];
  let worker: Worker | undefined;
  let running: Queued | undefined;
  let closing = false;
  let nextId = 1;
  let idle: (() => void) | undefined;

  const fail = (job: Queued | undefined, err: unknown) => {
    if (job) job.reject(err);
  };

  const spawn = (): Worker => {
    const w = startWorker(turns.shared);
    w.on('message', (reply: JobReply) => {
      const job = running;
      if (!job || job.request.id !== reply.id) return;
      running = undefined;
      if (reply.ok) job.resolve(reply.result);
      else job.reject(reviveError(reply.error));
      next();
    });
    w.on('error', (err) => {
      options.logger?.error({ err }, `import worker failed: ${err.message}`);
      turns.workerGone();
      const job = running;
      running = undefined;
      worker = undefined;
      fail(job, interrupted(`the import worker failed (${err.message})`));
      next();
    });
    w.on('exit', (code) => {
      turns.workerGone();
      if (worker !== w) return;
      worker = undefined;
      const job = running;
      running = undefined;
      if (job) {
        options.logger?.error({ code }, 'import worker exited during an import');
        fail(job, interrupted(`the import worker exited with code ${code}`));
      }
      next();
    });
    return w;
  };

  const next = () => {
    if (running) return;
    const job = queue.shift();
    if (!job) {
      worker?.unref();
      idle?.();
      return;
    }
    running = job;
    try {
      worker ??= spawn();
      worker.ref();
      worker.postMessage(job.request);
    } catch (err) {
      running = undefined;
      job.reject(err);
      next();
    }
  };

  const submit = <T extends ImportFileResult | UndoResult>(journal: DbRef, importTimezone: string, job: ImportJob): Promise<T> => {
    if (closing) return Promise.reject(interrupted('the server is stopping'));
    return new Promise<T>((resolve, reject) => {
      queue.push({
        request: { id: nextId++, journal, importTimezone, job },
        resolve: resolve as (v: ImportFileResult | UndoResult) => void,
        reject,
      });
      next();
    });
  };

  return {
    turns,
    get pending() {
      return queue.length + (running ? 1 : 0);
    },
    importFile: (journal, importTimezone, source, importOptions) =>
      submit<ImportFileResult>(journal, importTimezone, { kind: 'import', source, options: importOptions }),
    undoImport: (journal, importTimezone, importId) => submit<UndoResult>(journal, importTimezone, { kind: 'undo', importId }),
    async close() {
      closing = true;
      for (const job of queue.splice(0)) job.reject(interrupted('the server is stopping'));
      if (running) await new Promise<void>((r) => (idle = r));
      const w = worker;
      worker = undefined;
      if (w) {
        const exited = new Promise<void>((r) => w.once('exit', () => r()));
        w.postMessage({ close: true });
        const timer = setTimeout(() => void w.terminate(), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
