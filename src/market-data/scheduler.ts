import type { Logger } from 'pino';
import * as z from 'zod';
import { type Clock, systemClock } from '../clock.js';
import { errorMessage, isAppError } from '../errors.js';
import { type ErrorSummary, errorSummary } from './downloader.js';
import type { JobOutcome, JobRegistry } from './jobs.js';
import { DEFAULT_UPDATE_TIMEFRAMES, TIMEFRAME_IDS, type TimeframeId } from './timeframes.js';

/**
 * Keeps the bars of the instruments that have positions fresh, inside the server process (no Redis, no second
 * process). Every `intervalMinutes` it updates each instrument in turn through the job registry, one job at a time
 * (a user's "Update from API" for the same instrument joins the running job). The serve command calls `start()`
 * and `stop()`; the list of instruments comes from a callback, so this module does not depend on the trades code.
 *
 * Interval: the settings key `scheduler` (`{"intervalMinutes": 30}`) overrides TRADELOG_SCHEDULER_INTERVAL_MINUTES;
 * 0 turns it off. Settings are read before every cycle, so a change in Settings applies without a restart (an off
 * scheduler looks again every minute).
 */
export const SCHEDULER_KEY = 'scheduler';

export const schedulerSettingsSchema = z
  .object({
    /** Minutes between cycles; 0 = off. */
    intervalMinutes: z
      .number()
      .int()
      .min(0)
      .max(24 * 60)
      .optional(),
    /** Timeframes each cycle updates (default 1m, 5m, 15m, 1h, 4h, 1d). */
    timeframes: z.array(z.enum(TIMEFRAME_IDS)).min(1).optional(),
    /** Instruments kept fresh in addition to those with positions. */
    instruments: z.array(z.string().min(1).max(20)).optional(),
  })
  .strict();
export type SchedulerSettings = z.infer<typeof schedulerSettingsSchema>;

export interface SchedulerRunItem {
  instrument: string;
  jobId?: string;
  outcome: JobOutcome;
  error?: ErrorSummary;
}

export interface SchedulerRun {
  startedAt: string;
  finishedAt?: string;
  items: SchedulerRunItem[];
}

export interface SchedulerStatus {
  /** 'off': interval 0; 'idle': waiting for the next cycle; 'running': a cycle is under way; 'stopped': stop() was called. */
  state: 'off' | 'idle' | 'running' | 'stopped';
  intervalMinutes: number;
  timeframes: TimeframeId[];
  nextRunAt?: string;
  currentJobId?: string;
  currentInstrument?: string;
  lastRun?: SchedulerRun;
}

export interface SchedulerOptions {
  jobs: JobRegistry;
  /** Instruments that have positions (any contract spelling; the registry groups them by root). */
  instruments: () => readonly string[] | Promise<readonly string[]>;
  /** TRADELOG_SCHEDULER_INTERVAL_MINUTES. */
  intervalMinutes: number;
  /** The `scheduler` settings (read before each cycle). */
  settings?: () => SchedulerSettings | undefined;
  /** First cycle this long after start(). Default 30 s. */
  initialDelayMs?: number;
  /** Length of a minute in ms (tests shorten it). Default 60,000. */
  minuteMs?: number;
  /** Stamps runs and the next run's time (the timers themselves wait real time). Default the system clock. */
  clock?: Clock;
  logger?: Logger;
}

export interface Scheduler {
  start(): void;
  /** Stop scheduling; cancels the running job of a cycle and waits for the cycle to end. */
  stop(): Promise<void>;
  status(): SchedulerStatus;
  /** Run one cycle now (outside the timer); resolves with its summary. Joins a cycle already under way. */
  runNow(): Promise<SchedulerRun>;
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const minute = options.minuteMs ?? 60_000;
  const clock = options.clock ?? systemClock;
  const stamp = () => new Date(clock.now()).toISOString();
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let cycle: Promise<SchedulerRun> | undefined;
  let nextRunAt: number | undefined;
  let lastRun: SchedulerRun | undefined;
  let current: { jobId: string; instrument: string } | undefined;
  /** Set by stop(): the running cycle ends after its current job. */
  let halt = false;

  function effective(): { intervalMinutes: number; timeframes: TimeframeId[]; extra: string[] } {
    let s: SchedulerSettings | undefined;
    try {
      s = options.settings?.();
    } catch (err) {
      options.logger?.warn(
        { code: isAppError(err) ? err.code : undefined },
        `scheduler settings unreadable, using the defaults: ${errorMessage(err)}`,
      );
    }
    return {
      intervalMinutes: s?.intervalMinutes ?? options.intervalMinutes,
      timeframes: s?.timeframes ?? [...DEFAULT_UPDATE_TIMEFRAMES],
      extra: s?.instruments ?? [],
    };
  }

  function schedule(ms: number): void {
    if (stopped) return;
    clearTimeout(timer);
    nextRunAt = clock.now() + ms;
    timer = setTimeout(tick, ms);
    timer.unref();
  }

  async function runCycle(): Promise<SchedulerRun> {
    const { timeframes, extra } = effective();
    const run: SchedulerRun = { startedAt: stamp(), items: [] };
    lastRun = run;
    let names: string[];
    try {
      names = [...(await options.instruments()), ...extra];
    } catch (err) {
      options.logger?.error({ err }, `scheduler could not list instruments: ${errorMessage(err)}`);
      names = [...extra];
    }
    // One job per root: MNQ 09-25 and MNQ 12-25 share the bars of MNQ.
    const roots = new Map<string, string>();
    for (const name of names) {
      try {
        const root = options.jobs.resolve(name);
        if (!roots.has(root)) roots.set(root, name);
      } catch (err) {
        run.items.push({
          instrument: name,
          outcome: 'failed',
          error: errorSummary(err),
        });
      }
    }
    for (const [root, name] of roots) {
      if (halt) break;
      try {
        const started = options.jobs.start(name, { timeframes, origin: 'scheduler' });
        current = { jobId: started.id, instrument: root };
        const done = await options.jobs.wait(started.id);
        run.items.push({
          instrument: root,
          jobId: started.id,
          outcome: done.outcome ?? 'failed',
          ...(done.error ? { error: done.error } : {}),
        });
      } catch (err) {
        run.items.push({
          instrument: root,
          outcome: 'failed',
          error: errorSummary(err),
        });
      } finally {
        current = undefined;
      }
    }
    run.finishedAt = stamp();
    options.logger?.info({ items: run.items }, `scheduled market-data update: ${run.items.length} instrument(s)`);
    return run;
  }

  function startCycle(): Promise<SchedulerRun> {
    cycle ??= runCycle().finally(() => {
      cycle = undefined;
    });
    return cycle;
  }

  async function tick(): Promise<void> {
    timer = undefined;
    if (stopped) return;
    const { intervalMinutes } = effective();
    if (intervalMinutes <= 0) {
      schedule(minute);
      return;
    }
    // The cycle's own length is measured on the monotonic timer: the wait is real time, whatever the clock says.
    const startedAt = performance.now();
    await startCycle().catch(() => undefined);
    schedule(Math.max(0, startedAt + intervalMinutes * minute - performance.now()));
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      halt = false;
      schedule(options.initialDelayMs ?? 30_000);
    },

    async stop() {
      stopped = true;
      halt = true;
      clearTimeout(timer);
      timer = undefined;
      nextRunAt = undefined;
      if (current) options.jobs.cancel(current.jobId);
      await cycle?.catch(() => undefined);
    },

    status() {
      const { intervalMinutes, timeframes } = effective();
      const state: SchedulerStatus['state'] = cycle ? 'running' : stopped ? 'stopped' : intervalMinutes <= 0 ? 'off' : 'idle';
      return {
        state,
        intervalMinutes,
        timeframes,
        ...(nextRunAt !== undefined && !stopped && intervalMinutes > 0 ? { nextRunAt: new Date(nextRunAt).toISOString() } : {}),
        ...(current ? { currentJobId: current.jobId, currentInstrument: current.instrument } : {}),
        ...(lastRun ? { lastRun: structuredClone(lastRun) } : {}),
      };
    },

    runNow() {
      if (!cycle) halt = false;
      return startCycle();
    },
  };
}
