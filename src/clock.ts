/**
 * The one source of "now" for the whole program. Everything that reads the time (jobs, the scheduler, the
 * downloader's "is this bar final" rule, the session calendar's "now", the demo, daily backups, sessions and
 * throttles of the web app) takes a Clock, so tests pin it to a fixed instant instead of depending on the day
 * they run.
 */
export interface Clock {
  /** Epoch milliseconds, UTC. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that stays where it is set until moved: for tests and for replaying a fixed instant. */
export interface ManualClock extends Clock {
  set(ms: number): void;
  advance(ms: number): void;
}

export function manualClock(start: number | string | Date): ManualClock {
  let t = typeof start === 'number' ? start : new Date(start).getTime();
  if (!Number.isFinite(t)) throw new RangeError(`manualClock: not a time: ${String(start)}`);
  return {
    now: () => t,
    set(ms) {
      t = ms;
    },
    advance(ms) {
      t += ms;
    },
  };
}
