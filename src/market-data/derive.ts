import { fourHourBucket } from '../calendar/sessions.js';
import type { Bar } from './bars.repo.js';

/**
 * 4h bars from 1h bars, on CME session boundaries: each session (17:00 CT to 16:00 CT) is cut into buckets that
 * open at 17:00, 21:00, 01:00, 05:00, 09:00 and 13:00 CT; the last is truncated by the 16:00 close (three 1h bars,
 * fewer on an early-close day). Bucket opens come from the time-zone database, so a bucket opens at 23:00 UTC in
 * winter and 22:00 UTC in summer. Pure: `hourly` ascending by time, at most one bar per time.
 *
 * open = first bar's open, close = last bar's close, high/low = extremes, volume = sum; time = bucket open.
 */
export function deriveFourHourBars(hourly: readonly Bar[]): Bar[] {
  const out: Bar[] = [];
  let current: Bar | undefined;
  for (const b of hourly) {
    const bucket = fourHourBucket(b.time * 1000) / 1000;
    if (current && current.time === bucket) {
      if (b.high > current.high) current.high = b.high;
      if (b.low < current.low) current.low = b.low;
      current.close = b.close;
      current.volume += b.volume;
    } else {
      current = { time: bucket, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume };
      out.push(current);
    }
  }
  return out;
}
