import { IANAZone } from 'luxon';

/**
 * UTC offsets of one IANA zone, fast enough for 100,000 rows. luxon's `IANAZone.offset` costs ~7 µs (an Intl
 * call), so offsets are cached per UTC day; on the rare day with a transition they are cached per 15 minutes
 * (every transition since 1970 in the tz database falls on a multiple of 15 minutes UTC).
 *
 * Wall-clock → UTC is explicit about DST (stack.md pitfall 8): a local time that does not exist (spring forward)
 * or happens twice (fall back) is reported as such, never resolved silently.
 */
const DAY = 86_400_000;
const QUARTER = 900_000;

export class ZoneOffsets {
  private readonly zone: IANAZone;
  private readonly days = new Map<number, number | null>();
  private readonly quarters = new Map<number, number>();
  /** Per day of wall-clock time: the offset when it is the same all that day and the days either side. */
  private readonly steady = new Map<number, number | null>();

  constructor(readonly name: string) {
    this.zone = IANAZone.create(name);
    if (!this.zone.isValid) throw new RangeError(`not an IANA time zone: ${name}`);
  }

  /** Offset from UTC in minutes at the UTC instant `utcMs` (e.g. -420 for PDT). */
  offsetAt(utcMs: number): number {
    const day = Math.floor(utcMs / DAY);
    let whole = this.days.get(day);
    if (whole === undefined) {
      const a = this.zone.offset(day * DAY);
      const b = this.zone.offset(day * DAY + DAY - 1);
      whole = a === b ? a : null;
      this.days.set(day, whole);
    }
    if (whole !== null) return whole;
    const q = Math.floor(utcMs / QUARTER);
    let o = this.quarters.get(q);
    if (o === undefined) {
      o = this.zone.offset(q * QUARTER);
      this.quarters.set(q, o);
    }
    return o;
  }

  /**
   * The one UTC instant of a wall-clock time (as `resolve` takes it) on a day far from any offset change, or
   * undefined (then ask `resolve`). Same answer as `resolve`, without its work: a day's wall-clock times lie
   * within a day of their instants, and there the offset is one.
   */
  unique(wallMs: number): number | undefined {
    const day = Math.floor(wallMs / DAY);
    let o = this.steady.get(day);
    if (o === undefined) {
      const a = this.offsetAt((day - 1) * DAY);
      const same = this.offsetAt(day * DAY) === a && this.offsetAt((day + 1) * DAY) === a;
      o = same && this.whole(day - 1) && this.whole(day) && this.whole(day + 1) ? a : null;
      this.steady.set(day, o);
    }
    return o === null ? undefined : wallMs - o * 60_000;
  }

  /** True when the UTC day has one offset throughout. */
  private whole(day: number): boolean {
    this.offsetAt(day * DAY);
    return this.days.get(day) !== null;
  }

  /**
   * The UTC instants a wall-clock time (given as if it were UTC, `wallMs`) can mean in this zone: one normally,
   * two when the clock is set back (the hour happens twice), none when it is set forward (the hour is skipped).
   * For a skipped time, `gap` holds the two instants the time would mean with the offsets before and after.
   */
  resolve(wallMs: number): { instants: number[]; gap?: [number, number] } {
    const before = this.offsetAt(wallMs - DAY);
    const after = this.offsetAt(wallMs + DAY);
    const offsets = before === after ? [before] : [before, after];
    const instants: number[] = [];
    for (const o of offsets) {
      const utc = wallMs - o * 60_000;
      if (this.offsetAt(utc) === o) instants.push(utc);
    }
    instants.sort((x, y) => x - y);
    if (instants.length > 0) return { instants };
    const a = wallMs - before * 60_000;
    const b = wallMs - after * 60_000;
    return { instants, gap: [Math.min(a, b), Math.max(a, b)] };
  }
}

const cache = new Map<string, ZoneOffsets>();

/** A shared ZoneOffsets per zone name (the caches only grow by a few entries per day of data). */
export function zoneOffsets(name: string): ZoneOffsets {
  let z = cache.get(name);
  if (!z) {
    z = new ZoneOffsets(name);
    cache.set(name, z);
  }
  return z;
}

export function isValidZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

/** Days since 1970-01-01 → `YYYY-MM-DD`. */
export function dayString(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

export const MS_PER_DAY = DAY;

/** Hour of day (0–23) of a UTC instant in `zone`. */
export function hourOfDay(utcMs: number, zone: string): number {
  const local = utcMs + zoneOffsets(zone).offsetAt(utcMs) * 60_000;
  return Math.floor((((local % DAY) + DAY) % DAY) / 3_600_000);
}

/** `YYYY-MM-DD HH:mm:ss` of a UTC instant on `zone`'s wall clock (offsets cached: cheap for 100,000 rows). */
export function wallClockText(utcMs: number, zone: string): string {
  const local = utcMs + zoneOffsets(zone).offsetAt(utcMs) * 60_000;
  return new Date(local).toISOString().slice(0, 19).replace('T', ' ');
}

/** The offset of `zone` at the instant `utcMs` as `UTC+09:00`, `UTC-04:00` or `UTC`. */
export function utcOffsetLabel(zone: string, utcMs: number): string {
  const minutes = zoneOffsets(zone).offsetAt(utcMs);
  if (minutes === 0) return 'UTC';
  const abs = Math.abs(minutes);
  return `UTC${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
