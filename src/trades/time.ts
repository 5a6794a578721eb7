import type { ZoneOffsets } from '../calendar/zone.js';

/**
 * Execution times as NinjaTrader writes them, read as wall-clock time in the import zone
 * (TRADELOG_IMPORT_TIMEZONE, or the `import.timezone` setting). Accepted (reference-app.md §3.1):
 * - `M/d/yyyy h:mm:ss tt`: `10/31/2025 9:30:15 AM`, also with a zero-padded hour `10/31/2025 09:30:00 AM`;
 * - `M/d/yyyy H:mm:ss` (24-hour);
 * - ISO `yyyy-MM-dd HH:mm:ss` or with `T`, optional fraction; with `Z` or `±hh:mm` the stated offset is used.
 * Seconds may be omitted. Anything else is a bad time, reported with the text seen.
 */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  /** Set when the text carried its own offset (ISO `Z` / `+02:00`): no zone needed. */
  offsetMinutes?: number;
}

/** What to do with a local time that a DST change makes skipped or doubled. */
export type DstResolution = 'reject' | 'earlier' | 'later';

const US = /^(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return MONTH_DAYS[month - 1] as number;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/** Digits of `t` from `at` to `end` (exclusive) as a number, or -1 when one is not a digit. */
function digits(t: string, at: number, end: number): number {
  let n = 0;
  for (let i = at; i < end; i++) {
    const c = t.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * The spelling NinjaTrader writes, `M/d/yyyy h:mm:ss AM` (or 24-hour `H:mm:ss`), valid, read from its
 * characters; undefined for anything else, left to the regular expressions (which say what is wrong).
 */
function usTime(t: string): WallTime | undefined {
  const s1 = t.indexOf('/');
  const s2 = t.indexOf('/', s1 + 1);
  const sp = s2 + 5;
  if (s1 < 1 || s1 > 2 || s2 - s1 < 2 || s2 - s1 > 3 || t.charCodeAt(sp) !== 32) return undefined;
  const c1 = t.indexOf(':', sp + 1);
  if (c1 - sp < 2 || c1 - sp > 3 || t.charCodeAt(c1 + 3) !== 58) return undefined;
  const end = c1 + 6;
  let hour = digits(t, sp + 1, c1);
  if (end !== t.length) {
    // ` AM` / ` PM`
    if (end + 3 !== t.length || t.charCodeAt(end) !== 32 || t.charCodeAt(end + 2) !== 77 || hour < 1 || hour > 12) return undefined;
    const ap = t.charCodeAt(end + 1);
    if (ap !== 65 && ap !== 80) return undefined;
    hour = (hour % 12) + (ap === 80 ? 12 : 0);
  }
  const month = digits(t, 0, s1);
  const day = digits(t, s1 + 1, s2);
  const year = digits(t, s2 + 1, sp);
  const minute = digits(t, c1 + 1, c1 + 3);
  const second = digits(t, c1 + 4, end);
  if (month < 1 || month > 12 || day < 1 || year < 0 || day > daysInMonth(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  return { year, month, day, hour, minute, second, ms: 0 };
}

/** Parse the text of a Time cell. Returns a reason string when it is not a valid time. */
export function parseWallTime(text: string): WallTime | string {
  const fast = usTime(text);
  if (fast) return fast;
  const t = text.trim();
  let w: WallTime;
  const us = US.exec(t);
  const iso = us ? null : ISO.exec(t);
  if (us) {
    const m = us;
    let hour = Number(m[4]);
    const ampm = m[7]?.toUpperCase();
    if (ampm) {
      if (hour < 1 || hour > 12) return `bad time "${text}": hour ${hour} with ${ampm}M`;
      hour = (hour % 12) + (ampm === 'P' ? 12 : 0);
    }
    w = { year: Number(m[3]), month: Number(m[1]), day: Number(m[2]), hour, minute: Number(m[5]), second: Number(m[6] ?? 0), ms: 0 };
  } else if (iso) {
    const m = iso;
    w = {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6] ?? 0),
      ms: Number((m[7] ?? '').padEnd(3, '0') || 0),
    };
    const off = m[8];
    if (off) {
      if (off.toUpperCase() === 'Z') w.offsetMinutes = 0;
      else {
        const digits = off.replace(':', '');
        const sign = digits[0] === '-' ? -1 : 1;
        w.offsetMinutes = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
      }
    }
  } else {
    return `bad time "${text}": expected M/d/yyyy h:mm:ss AM/PM, M/d/yyyy HH:mm:ss or yyyy-MM-dd HH:mm:ss`;
  }
  if (w.month < 1 || w.month > 12 || w.day < 1 || w.day > daysInMonth(w.year, w.month)) return `bad time "${text}": no such date`;
  if (w.hour > 23 || w.minute > 59 || w.second > 59) return `bad time "${text}": no such time of day`;
  return w;
}

/** The wall time as if it were UTC (milliseconds): the input of ZoneOffsets.resolve. */
export function wallMs(w: WallTime): number {
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.ms);
}

/** `yyyy-MM-dd HH:mm:ss` of a wall time: the zone-independent spelling used in content keys. */
export function wallText(w: WallTime): string {
  const p = (n: number, l = 2) => String(n).padStart(l, '0');
  const base = `${p(w.year, 4)}-${p(w.month)}-${p(w.day)} ${p(w.hour)}:${p(w.minute)}:${p(w.second)}`;
  return (w.ms ? `${base}.${p(w.ms, 3)}` : base) + (w.offsetMinutes === undefined ? '' : ` ${w.offsetMinutes}`);
}

/**
 * UTC epoch milliseconds of a wall time read in `zone`. A time skipped or doubled by a DST change is rejected
 * with a reason unless `dst` says which of the two possible instants to take ('earlier' or 'later').
 */
export function toUtc(w: WallTime, zone: ZoneOffsets, dst: DstResolution, original: string): number | string {
  const local = wallMs(w);
  if (w.offsetMinutes !== undefined) return local - w.offsetMinutes * 60_000;
  const one = zone.unique(local);
  if (one !== undefined) return one;
  const r = zone.resolve(local);
  if (r.instants.length === 1) return r.instants[0] as number;
  if (r.gap) {
    if (dst === 'earlier') return r.gap[0];
    if (dst === 'later') return r.gap[1];
    return `time "${original}" does not exist in ${zone.name}: the clocks skipped that hour at the DST change. Check the import time zone, or import with --dst earlier|later to choose the instant`;
  }
  if (dst === 'earlier') return r.instants[0] as number;
  if (dst === 'later') return r.instants[1] as number;
  return `time "${original}" happens twice in ${zone.name} (the clocks went back at the DST change) and the file cannot say which is meant; import with --dst earlier (first occurrence) or --dst later (second)`;
}
