import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { AppError, errorMessage, isAppError } from '../errors.js';
import type { ErrorSummary, UpdateEvent, UpdateOptions, UpdateReport } from './downloader.js';
import { DEFAULT_UPDATE_TIMEFRAMES, TIMEFRAME_IDS, type TimeframeId } from './timeframes.js';

/**
 * In-process registry of market-data update jobs, for the web app ("Update from API", `POST
 * /api/market-data/update`, `GET /api/jobs/:id`) and the scheduler. No Redis, no second process.
 *
 * - `start(instrument)` begins an update in the background and answers its id at once. While a job for the same
 *   instrument root runs, a second start joins it (same id, `joined: true`) instead of starting another.
 * - `get(id)` is a snapshot: state, per-timeframe progress, overall `progress` 0…1, and when finished the report
 *   and `outcome` ('ok' | 'partial' | 'failed').
 * - `subscribe(listener)` delivers every progress event with the job's fresh snapshot (for a live page).
 * - `list()` gives running and recent jobs, newest first (the last `keep` finished ones are kept).
 */
export type JobState = 'running' | 'done' | 'failed';
export type JobOutcome = 'ok' | 'partial' | 'failed';

export interface JobTimeframe {
  timeframe: TimeframeId;
  status: 'pending' | 'running' | 'ok' | 'error' | 'skipped';
  /** Requests planned and finished. */
  requests: number;
  done: number;
  fetched: number;
  stored: number;
  error?: ErrorSummary;
}

export interface JobSnapshot {
  id: string;
  /** Root the job updates (e.g. MNQ). */
  instrument: string;
  /** Who started it: 'user', 'scheduler', … */
  origin: string;
  state: JobState;
  /** 0…1. */
  progress: number;
  startedAt: string;
  finishedAt?: string;
  timeframes: JobTimeframe[];
  /** Set when finished. */
  outcome?: JobOutcome;
  report?: UpdateReport;
  /** Set when the whole job could not run (e.g. the instrument is unknown). */
  error?: ErrorSummary;
}

export interface StartOptions {
  timeframes?: readonly TimeframeId[];
  days?: number;
  origin?: string;
}

export interface StartResult {
  id: string;
  /** True when a job for the same instrument was already running and this request joined it. */
  joined: boolean;
  job: JobSnapshot;
}

export type JobListener = (job: JobSnapshot, event: UpdateEvent | { type: 'finished' }) => void;

export interface JobRegistry {
  /** The root an instrument name updates; throws (TL_INSTRUMENT_…) for a name that cannot be updated. */
  resolve(instrument: string): string;
  start(instrument: string, options?: StartOptions): StartResult;
  get(id: string): JobSnapshot | undefined;
  /** Like `get`, but an unknown id is TL_MARKET_JOB_NOT_FOUND (404). */
  require(id: string): JobSnapshot;
  list(): JobSnapshot[];
  /** The running job of an instrument root, if any. */
  runningFor(root: string): JobSnapshot | undefined;
  subscribe(listener: JobListener): () => void;
  /** Resolves when the job has finished (at once if it has). */
  wait(id: string): Promise<JobSnapshot>;
  /** Ask a running job to stop; its unfinished timeframes are reported as skipped. */
  cancel(id: string): void;
  /** Cancel all running jobs and wait for them to end. */
  close(): Promise<void>;
}

export interface JobRegistryOptions {
  /** Runs one update (bound to the downloader). */
  run: (instrument: string, timeframes: readonly TimeframeId[], options: UpdateOptions) => Promise<UpdateReport>;
  /** Instrument name → root; throws for a name that cannot be updated. */
  resolve: (instrument: string) => string;
  /** Finished jobs kept for `list()`. Default 50. */
  keep?: number;
  /** Stamps startedAt/finishedAt. Default the system clock. */
  clock?: Clock;
  logger?: Logger;
}

interface Entry {
  snapshot: JobSnapshot;
  controller: AbortController;
  done: Promise<JobSnapshot>;
}

function clone(s: JobSnapshot): JobSnapshot {
  return structuredClone(s);
}

function progressOf(tfs: JobTimeframe[]): number {
  if (tfs.length === 0) return 1;
  let sum = 0;
  for (const t of tfs) {
    if (t.status === 'ok' || t.status === 'error' || t.status === 'skipped') sum += 1;
    else if (t.status === 'running' && t.requests > 0) sum += t.done / t.requests;
  }
  return Math.round((sum / tfs.length) * 1000) / 1000;
}

export function createJobRegistry(options: JobRegistryOptions): JobRegistry {
  const keep = options.keep ?? 50;
  const clock = options.clock ?? systemClock;
  const stamp = () => new Date(clock.now()).toISOString();
  const jobs = new Map<string, Entry>();
  const order: string[] = [];
  const listeners = new Set<JobListener>();

  const notify = (s: JobSnapshot, event: UpdateEvent | { type: 'finished' }) => {
    for (const l of listeners) {
      try {
        l(clone(s), event);
      } catch (err) {
        options.logger?.warn({ err }, `job listener failed: ${errorMessage(err)}`);
      }
    }
  };

  const prune = () => {
    const finished = order.filter((id) => jobs.get(id)?.snapshot.state !== 'running');
    for (const id of finished.slice(0, Math.max(0, finished.length - keep))) {
      jobs.delete(id);
      order.splice(order.indexOf(id), 1);
    }
  };

  function apply(s: JobSnapshot, e: UpdateEvent): void {
    const tf = 'timeframe' in e ? s.timeframes.find((x) => x.timeframe === e.timeframe) : undefined;
    switch (e.type) {
      case 'timeframe-start':
        if (tf) Object.assign(tf, { status: 'running', requests: e.requests, done: 0 });
        break;
      case 'progress':
        if (tf) Object.assign(tf, { done: e.done, requests: e.total, fetched: e.fetched, stored: e.stored });
        break;
      case 'timeframe-done':
      case 'timeframe-error':
        if (tf) {
          Object.assign(tf, { status: e.report.status, fetched: e.report.fetched, stored: e.report.stored, done: tf.requests });
          if (e.report.error) tf.error = e.report.error;
        }
        break;
      default:
        break;
    }
    s.progress = progressOf(s.timeframes);
  }

  const registry: JobRegistry = {
    resolve: (instrument) => options.resolve(instrument),

    start(instrument, startOptions = {}) {
      const root = options.resolve(instrument);
      const running = registry.runningFor(root);
      if (running) return { id: running.id, joined: true, job: running };
      const timeframes = TIMEFRAME_IDS.filter((id) => (startOptions.timeframes ?? DEFAULT_UPDATE_TIMEFRAMES).includes(id));
      const snapshot: JobSnapshot = {
        id: randomUUID(),
        instrument: root,
        origin: startOptions.origin ?? 'user',
        state: 'running',
        progress: 0,
        startedAt: stamp(),
        timeframes: timeframes.map((timeframe) => ({ timeframe, status: 'pending', requests: 0, done: 0, fetched: 0, stored: 0 })),
      };
      const controller = new AbortController();
      const done = (async () => {
        try {
          const report = await options.run(instrument, timeframes, {
            ...(startOptions.days === undefined ? {} : { days: startOptions.days }),
            signal: controller.signal,
            onEvent: (e) => {
              apply(snapshot, e);
              notify(snapshot, e);
            },
          });
          snapshot.report = report;
          const failed = report.timeframes.filter((t) => t.status !== 'ok').length;
          snapshot.outcome = failed === 0 ? 'ok' : failed === report.timeframes.length ? 'failed' : 'partial';
          snapshot.state = 'done';
        } catch (err) {
          const app = isAppError(err)
            ? err
            : new AppError('TL_INTERNAL', `Unexpected error during the update: ${errorMessage(err)}`, {
                remedy: 'This is a bug in tradelog; the server log has the details.',
              });
          if (!isAppError(err)) options.logger?.error({ err, instrument: root }, 'update job failed');
          snapshot.error = { code: app.code, message: app.message, remedy: app.remedy };
          snapshot.outcome = 'failed';
          snapshot.state = 'failed';
        }
        snapshot.finishedAt = stamp();
        snapshot.progress = 1;
        notify(snapshot, { type: 'finished' });
        prune();
        return clone(snapshot);
      })();
      jobs.set(snapshot.id, { snapshot, controller, done });
      order.push(snapshot.id);
      return { id: snapshot.id, joined: false, job: clone(snapshot) };
    },

    get(id) {
      const e = jobs.get(id);
      return e ? clone(e.snapshot) : undefined;
    },

    require(id) {
      const s = registry.get(id);
      if (s) return s;
      throw new AppError('TL_MARKET_JOB_NOT_FOUND', `There is no update job ${id}.`, {
        remedy: 'Jobs are kept in memory until the server restarts (the last 50 finished ones); start a new update.',
        details: { id },
      });
    },

    list() {
      return [...order]
        .reverse()
        .map((id) => jobs.get(id)?.snapshot)
        .filter((s): s is JobSnapshot => s !== undefined)
        .map(clone);
    },

    runningFor(root) {
      for (const e of jobs.values()) if (e.snapshot.state === 'running' && e.snapshot.instrument === root) return clone(e.snapshot);
      return undefined;
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async wait(id) {
      const e = jobs.get(id);
      return e ? e.done : registry.require(id);
    },

    cancel(id) {
      jobs.get(id)?.controller.abort();
    },

    async close() {
      const running = [...jobs.values()].filter((e) => e.snapshot.state === 'running');
      for (const e of running) e.controller.abort();
      await Promise.allSettled(running.map((e) => e.done));
    },
  };
  return registry;
}
