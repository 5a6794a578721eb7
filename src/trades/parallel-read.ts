import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { CsvWorkerData, CsvWorkerMessage } from './csv.worker.js';
import type { CsvSource, ParsedExecution, ParseOptions, ReadResult, RowProblem } from './ninjatrader.js';
import { unpackRow } from './row-batch.js';

/**
 * `readNinjaTraderCsv` with the reading and checking on a worker thread: the caller (inside its import
 * transaction) receives the rows batch by batch and stores them while the worker parses the rest, so a large
 * file uses both cores. The caller stays synchronous — it waits on a shared counter with Atomics.wait — so the
 * single-transaction design of the import is unchanged. Problems arrive all at once at the end.
 *
 * Not used unless asked for (ImportOptions.parallel): since parsing got cheap (csv-records.ts) it is a fifth of
 * an import, and starting the worker (tens of milliseconds, more from the TypeScript sources, where the worker
 * registers tsx first), packing and unpacking the rows cost about as much; the second core is better left to
 * the rest of the machine.
 */
const BATCH = 2000;
/** A worker that posts nothing for this long is taken as dead (it posts a batch every few milliseconds). */
const STALL_MS = 60_000;

function bootstrap(): string {
  const self = import.meta.url;
  const fromSources = self.endsWith('.ts');
  const entry = new URL(`./csv.worker.${fromSources ? 'ts' : 'js'}`, self).href;
  // From the sources the worker needs the TypeScript loader the main thread was started with.
  const register = fromSources ? `(await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})).register();` : '';
  return `const { workerData } = require('node:worker_threads');
(async () => { ${register} await import(${JSON.stringify(entry)}); })().catch((e) => {
  const s = new Int32Array(workerData.signal);
  workerData.port.postMessage({ fatal: String((e && e.stack) || e) });
  Atomics.add(s, 0, 1);
  Atomics.notify(s, 0);
});`;
}

export function readNinjaTraderCsvParallel(
  source: CsvSource,
  options: ParseOptions,
  problems: RowProblem[],
  onRow: (row: ParsedExecution) => void,
): ReadResult {
  const signal = new SharedArrayBuffer(4);
  const counter = new Int32Array(signal);
  const { port1, port2 } = new MessageChannel();
  const specs = Object.fromEntries(
    options.registry
      .all()
      .map((s) => [
        s.root,
        { name: s.name, exchange: s.exchange, pointValue: s.pointValue, tickSize: s.tickSize, yahooSymbol: s.yahooSymbol },
      ]),
  );
  const workerData: CsvWorkerData = {
    source,
    zone: options.zone.name,
    dst: options.dst ?? 'reject',
    specs,
    port: port1,
    signal,
    batchSize: BATCH,
  };
  const worker = new Worker(bootstrap(), { eval: true, workerData, transferList: [port1] });
  let consumed = 0;
  try {
    for (;;) {
      const received = receiveMessageOnPort(port2);
      if (!received) {
        if (Atomics.wait(counter, 0, consumed, STALL_MS) === 'timed-out' && Atomics.load(counter, 0) === consumed) {
          throw new Error(`the CSV reader thread sent nothing for ${STALL_MS / 1000} s`);
        }
        continue;
      }
      consumed++;
      const msg = received.message as CsvWorkerMessage;
      if ('fatal' in msg) {
        const err = new Error(msg.fatal) as Error & { code?: string };
        if (msg.code) err.code = msg.code;
        throw err;
      }
      for (let i = 0; i < msg.rows.count; i++) onRow(unpackRow(msg.rows, i));
      if ('done' in msg) {
        problems.push(...msg.problems);
        return msg.done;
      }
    }
  } finally {
    port2.close();
    void worker.terminate();
  }
}
