import { type MessagePort, workerData } from 'node:worker_threads';
import { type InstrumentOverrides, InstrumentRegistry } from '../instruments/instruments.js';
import { type CsvSource, type ParsedExecution, type RowProblem, readNinjaTraderCsv } from './ninjatrader.js';
import { packRows, type RowBatch } from './row-batch.js';
import type { DstResolution } from './time.js';
import { zoneOffsets } from './zone.js';

/**
 * Worker thread of a large import (parallel-read.ts): reads and checks the CSV and posts the valid rows in
 * batches while the main thread stores them, so the two cores share the work. Every message is followed by a
 * bump of the shared counter, which the main thread waits on synchronously (it is inside a transaction).
 */
export interface CsvWorkerData {
  source: CsvSource;
  zone: string;
  dst: DstResolution;
  /** The main thread's registry, every root as an override (so user overrides come along). */
  specs: InstrumentOverrides;
  port: MessagePort;
  signal: SharedArrayBuffer;
  batchSize: number;
}

export type CsvWorkerMessage =
  | { rows: RowBatch; problemCount: number }
  | { done: { rowsRead: number; sha256: string; bytes: number }; rows: RowBatch; problems: RowProblem[] }
  | { fatal: string; code?: string };

const data = workerData as CsvWorkerData;
const signal = new Int32Array(data.signal);
const post = (msg: CsvWorkerMessage) => {
  data.port.postMessage(msg);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
};

try {
  const registry = new InstrumentRegistry(data.specs);
  const problems: RowProblem[] = [];
  let batch: ParsedExecution[] = [];
  const done = readNinjaTraderCsv(data.source, { registry, zone: zoneOffsets(data.zone), dst: data.dst }, problems, (row) => {
    batch.push(row);
    if (batch.length >= data.batchSize) {
      post({ rows: packRows(batch), problemCount: problems.length });
      batch = [];
    }
  });
  post({ done, rows: packRows(batch), problems });
} catch (err) {
  const code = (err as { code?: unknown }).code;
  post({ fatal: err instanceof Error ? err.message : String(err), ...(typeof code === 'string' ? { code } : {}) });
} finally {
  data.port.close();
}
