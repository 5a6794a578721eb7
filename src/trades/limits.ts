/**
 * The plausibility limits of every import (NinjaTrader CSVs, every source adapter, the old app's database): one
 * quantity bound, one time window, read against the one clock the caller injects (`now`).
 *
 * - A fill's quantity is a whole number of contracts from 1 to MAX_QUANTITY (100,000: far above any single
 *   futures fill a journal sees, far below where arithmetic on it stops being exact);
 * - its time lies from EARLIEST_TIME (1990-01-01 UTC: before electronic futures trading of the contracts read
 *   here) to LATEST_AHEAD_MS after now (a day covers every zone's "today").
 */
export const MAX_QUANTITY = 100_000;
/** The earliest plausible execution time: 1990-01-01T00:00:00Z. */
export const EARLIEST_TIME = Date.UTC(1990, 0, 1);
/** How far after now an execution time may lie (a day: "today" in every zone). */
export const LATEST_AHEAD_MS = 86_400_000;

/** The reason a time is refused as implausible (before 1990, or more than a day after now), or undefined. */
export function implausibleTime(time: number, text: string, now: number): string | undefined {
  if (time >= EARLIEST_TIME && time <= now + LATEST_AHEAD_MS) return undefined;
  const latest = new Date(now + LATEST_AHEAD_MS).toISOString().slice(0, 10);
  return `time "${text.trim()}" is outside the plausible range 1990-01-01 to ${latest} (a day after today): check the Time column and its year`;
}
