import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { type Db, openDbRef } from '../db/open.js';
import { WriteTurns } from '../db/write-turns.js';
import { isAppError } from '../errors.js';
import { loadInstrumentRegistry } from '../instruments/instruments.js';
import { createSettingsRepo } from '../settings/settings.repo.js';
import { importFile, undoImport } from './import.service.js';
import type { JobReply, JobRequest, SerializedError } from './import-pool.js';
import type { TradesContext } from './rebuild.js';
import { importSettings, importTimezone } from './settings.js';

/**
 * The import worker (import-pool.ts): runs import and undo jobs one at a time on its own connection to the
 * journal, which it keeps open between jobs. Each job reads the settings it depends on (instrument overrides,
 * the import zone) from that connection, as the service does on the main thread.
 */
const port = parentPort;
if (!port) throw new Error('import.worker.ts runs only as a worker thread');
// Imports are background work: on Linux the nice value is per thread (setpriority(2), "Bugs"), so this lowers the
// worker alone and the event loop wins the CPU when both want it (elsewhere it would lower the whole process).
if (process.platform === 'linux') {
  try {
    os.setPriority(10);
  } catch {
    // not allowed: imports then run at the server's priority
  }
}
const gate = new WriteTurns((workerData as { turns: SharedArrayBuffer }).turns).workerGate();
const dbs = new Map<string, Db>();

function journalOf(request: JobRequest): Db {
  let db = dbs.get(request.journal.file);
  if (!db?.isOpen) {
    db = openDbRef(request.journal);
    db.setWriteGate(gate);
    dbs.set(request.journal.file, db);
  }
  return db;
}

function serialize(err: unknown): SerializedError {
  if (isAppError(err)) {
    return {
      app: true,
      code: err.code,
      message: err.message,
      remedy: err.remedy,
      status: err.status,
      ...(err.details ? { details: JSON.parse(JSON.stringify(err.details)) as Record<string, unknown> } : {}),
    };
  }
  const e = err as { message?: unknown; stack?: unknown; code?: unknown };
  return {
    app: false,
    message: String(e?.message ?? err),
    ...(typeof e?.stack === 'string' ? { stack: e.stack } : {}),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
  };
}

async function run(request: JobRequest): Promise<JobReply> {
  try {
    const db = journalOf(request);
    const settings = createSettingsRepo(db);
    const ctx: TradesContext = {
      db,
      registry: loadInstrumentRegistry(settings),
      zone: importTimezone(settings, request.importTimezone),
      importSettings: importSettings(settings),
    };
    const { job } = request;
    if (job.kind === 'undo') return { id: request.id, ok: true, result: undoImport(ctx, job.importId) };
    // an upload's bytes arrive as a Uint8Array (structured clone does not keep Buffer)
    const source =
      'content' in job.source && typeof job.source.content !== 'string'
        ? { ...job.source, content: Buffer.from(job.source.content.buffer, job.source.content.byteOffset, job.source.content.byteLength) }
        : job.source;
    return { id: request.id, ok: true, result: await importFile(ctx, source, job.options) };
  } catch (err) {
    return { id: request.id, ok: false, error: serialize(err) };
  }
}

port.on('message', (message: JobRequest | { close: true }) => {
  if ('close' in message) {
    for (const db of dbs.values()) db.close();
    dbs.clear();
    port.close();
    return;
  }
  void run(message).then((reply) => port.postMessage(reply));
});
