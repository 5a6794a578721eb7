import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { AppError, errorMessage, isAppError } from '../errors.js';
import { type ErrorSummary, errorSummary, type UpdateEvent, type UpdateOptions, type UpdateReport } from './downloader.js';
import { cancelledError } from './provider.js';
import { DEFAULT_UPDATE_TIMEFRAMES, TIMEFRAME_IDS, type TimeframeId } from './timeframes.js';

/**
 * In-process registry of market-data update jobs, for the web app ("Update from API", `POST
 * /api/market-data/update`, `GET /api/jobs/:id`) and the scheduler. No Redis, no second process.
 *
 * - `start(instrument)` begins an update in the background and answers its id at once. While a job for the same
 *   instrument root runs or waits, a second start joins it (same id, `joined: true`) instead of starting another.
 * - At most `maxRunning` jobs (default MAX_RUNNING_JOBS) run at once; the others wait in order of request with
 *   state 'queued' (and their `queuePosition`) and start as running ones finish. Requests to the provider are
 *   spaced across all jobs anyway, so more jobs at once would not finish sooner; they would only hold more
 *   answers in memory and more sockets open.
 * - `get(id)` is a snapshot: state, per-timeframe progress, overall `progress` 0…1, and when finished the report
 *   and `outcome` ('ok' | 'partial' | 'failed').
 * - `subscribe(listener)` delivers every progress event with the job's fresh snapshot (for a live page).
 * - `list()` gives running and recent jobs, newest first (the last `keep` finished ones are kept).
 */
export type JobState = 'queued' | 'running' | 'done' | 'failed';

/** Jobs that run at once; the rest are queued. */
export const MAX_RUNNING_JOBS = 2;
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
  /** While queued: 1 for the next job to start. */
  queuePosition?: number;
  /** 0…1. */
  progress: number;
  /** When it was asked for. */
  requestedAt: string;
  /** When it began to run (absent while queued). */
  startedAt?: string;
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
  /** True when a job for the same instrument was already running or queued and this request joined it. */
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
  /** The unfinished (running or queued) job of an instrument root, if any. */
  runningFor(root: string): JobSnapshot | undefined;
  subscribe(listener: JobListener): () => void;
  /** Resolves when the job has finished (at once if it has). */
  wait(id: string): Promise<JobSnapshot>;
  /** Ask a running job to stop (its unfinished timeframes are reported as skipped); a queued one never starts. */
  cancel(id: string): void;
  /** Cancel all running and queued jobs and wait for them to end. */
  close(): Promise<void>;
}

export interface JobRegistryOptions {
  /** Runs one update (bound to the downloader). */
  run: (instrument: string, timeframes: readonly TimeframeId[], options: UpdateOptions) => Promise<UpdateReport>;
  /** Instrument name → root; throws for a name that cannot be updated. */
  resolve: (instrument: string) => string;
  /** Finished jobs kept for `list()`. Default 50. */
  keep?: number;
  /** Jobs that run at once. Default MAX_RUNNING_JOBS. */
  maxRunning?: number;
  clock?: Clock;
  logger?: Logger;
}

interface Entry {
  snapshot: JobSnapshot;
  controller: AbortController;
  /** Starts the job (called when a running slot is free). */
  launch: () => void;
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

/** A job snapshot after one progress event of its update. */
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

export function createJobRegistry(options: JobRegistryOptions): JobRegistry {
  const keep = options.keep ?? 50;
  const maxRunning = Math.max(1, options.maxRunning ?? MAX_RUNNING_JOBS);
  const clock = options.clock ?? systemClock;
  const iso = () => new Date(clock.now()).toISOString();
  const jobs = new Map<string, Entry>();
  const order: string[] = [];
  /** Ids of queued jobs, first to start first. */
  const queue: string[] = [];
  let running = 0;
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

  const unfinished = (s: JobSnapshot) => s.state === 'running' || s.state === 'queued';

  const prune = () => {
    const finished = order.filter((id) => {
      const s = jobs.get(id)?.snapshot;
      return s !== undefined && !unfinished(s);
    });
    for (const id of finished.slice(0, Math.max(0, finished.length - keep))) {
      jobs.delete(id);
      order.splice(order.indexOf(id), 1);
    }
  };

  /** Start queued jobs while there are free slots; keep the others' queue positions current. */
  const pump = () => {
    while (running < maxRunning && queue.length > 0) {
      const next = jobs.get(queue.shift() as string);
      if (next) next.launch();
    }
    queue.forEach((id, i) => {
      const s = jobs.get(id)?.snapshot;
      if (s) s.queuePosition = i + 1;
    });
  };

  function finish(snapshot: JobSnapshot, settle: (s: JobSnapshot) => void): void {
    snapshot.finishedAt = iso();
    snapshot.progress = 1;
    delete snapshot.queuePosition;
    notify(snapshot, { type: 'finished' });
    prune();
    settle(clone(snapshot));
  }

  /** Run one job's update to its end (called with a running slot taken). */
  async function runJob(instrument: string, root: string, entry: Entry, startOptions: StartOptions, timeframes: TimeframeId[]) {
    const { snapshot, controller } = entry;
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
  }

  const registry: JobRegistry = {
    resolve: (instrument) => options.resolve(instrument),

    start(instrument, startOptions = {}) {
      const root = options.resolve(instrument);
      const active = registry.runningFor(root);
      if (active) return { id: active.id, joined: true, job: active };
      const timeframes = TIMEFRAME_IDS.filter((id) => (startOptions.timeframes ?? DEFAULT_UPDATE_TIMEFRAMES).includes(id));
      const snapshot: JobSnapshot = {
        id: randomUUID(),
        instrument: root,
        origin: startOptions.origin ?? 'user',
        state: 'queued',
        progress: 0,
        requestedAt: iso(),
        timeframes: timeframes.map((timeframe) => ({ timeframe, status: 'pending', requests: 0, done: 0, fetched: 0, stored: 0 })),
      };
      let settle: (s: JobSnapshot) => void = () => {};
      const entry: Entry = {
        snapshot,
        controller: new AbortController(),
        done: new Promise<JobSnapshot>((resolve) => {
          settle = resolve;
        }),
        launch: () => {
          running++;
          snapshot.state = 'running';
          snapshot.startedAt = iso();
          delete snapshot.queuePosition;
          void runJob(instrument, root, entry, startOptions, timeframes).finally(() => {
            running--;
            finish(snapshot, settle);
            pump();
          });
        },
      };
      entry.controller.signal.addEventListener('abort', () => {
        if (snapshot.state !== 'queued') return;
        // Cancelled before it started: it never runs.
        queue.splice(queue.indexOf(snapshot.id), 1);
        snapshot.error = errorSummary(cancelledError());
        for (const tf of snapshot.timeframes) Object.assign(tf, { status: 'skipped', error: snapshot.error });
        snapshot.outcome = 'failed';
        snapshot.state = 'failed';
        finish(snapshot, settle);
        pump();
      });
      jobs.set(snapshot.id, entry);
      order.push(snapshot.id);
      queue.push(snapshot.id);
      pump();
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
      for (const e of jobs.values()) if (unfinished(e.snapshot) && e.snapshot.instrument === root) return clone(e.snapshot);
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
      const active = [...jobs.values()].filter((e) => unfinished(e.snapshot));
      // Queued ones first, so none of them takes a slot a cancelled running job frees.
      for (const e of active.filter((x) => x.snapshot.state === 'queued')) e.controller.abort();
      for (const e of active) e.controller.abort();
      await Promise.allSettled(active.map((e) => e.done));
    },
  };
  return registry;
}
