import { dayString, MS_PER_DAY, type ZoneOffsets, zoneOffsets } from './zone.js';

/**
 * The one CME Globex session calendar (trading day, sessions, holidays, early closes) for equity index futures
 * (ES, NQ, MNQ, MES, YM, RTY and their micros). Every domain uses it: market data (what to download, 4h buckets,
 * daily bar labels), trades (a position's trading day), statistics and the web calendar. It imports no domain.
 * Pure: every function takes times and returns data; wall-clock times exist only inside, always in
 * America/Chicago through the time-zone database (zone.ts over luxon), so daylight-saving changes come from
 * tzdata, never from fixed UTC offsets.
 *
 * Market facts, with sources:
 * - Trading week: Sunday 17:00 to Friday 16:00 Central Time, with a daily 60-minute break 16:00–17:00 CT; the
 *   session that opens at 17:00 belongs to the next trading day. (CME Group, "Trading Hours",
 *   https://www.cmegroup.com/trading-hours.html, Equity Index: "Sunday – Friday 5:00 p.m. – 4:00 p.m. CT with a
 *   daily maintenance period from 4:00 p.m. – 5:00 p.m. CT".)
 * - Holidays follow the US exchange holidays (CME Group Holiday Calendar,
 *   https://www.cmegroup.com/tools-information/holiday-calendar.html), observed by NYSE Rule 7.2: a holiday on a
 *   Saturday is observed the Friday before, on a Sunday the Monday after — except New Year's Day on a Saturday,
 *   which is not observed on the Friday (December 31 stays a trading day). Juneteenth (5 U.S.C. 6103, 2021) has
 *   been an exchange holiday since 2022.
 *   - Closed all day (no session for that trading day): New Year's Day, Good Friday, Christmas Day.
 *   - Equity index halts at 12:00 CT and reopens at 17:00 CT for the next trading day: Martin Luther King Jr. Day,
 *     Presidents Day, Memorial Day, Juneteenth, Independence Day, Labor Day, Thanksgiving Day (e.g. CME's
 *     Thanksgiving 2024 schedule: "Thursday, November 28: trading halted at 12:00 PM CT").
 *   - Early close at 12:15 CT: the day after Thanksgiving, Christmas Eve and July 3 when they fall on a weekday
 *     that is not itself the observed holiday (CME Globex equity "early close 12:15 pm" notices, e.g. July 3 2013,
 *     December 24 2013).
 *   CME occasionally changes a single year's schedule (an abbreviated Good Friday session when the jobs report
 *   falls on it); such one-off changes are not modelled.
 * - CME clears trades made during a holiday's shortened session under the next business day's trade date; a
 *   journal groups them under the day they happened, so `tradingDay` does not move them.
 *
 * A position's trading day is that of its closedAt (the day its P&L is realized); an open position's is that of
 * its openedAt. A daily bar is labelled with its trading day (see `dailyBarTime`).
 */
export const CME_ZONE = 'America/Chicago';

/** A range of times, `start` inclusive, `end` exclusive (the unit is the caller's). */
export interface Range {
  start: number;
  end: number;
}

/** `YYYY-MM-DD`. */
export type IsoDate = string;

export interface Session {
  /** The trading day the session belongs to. */
  tradingDay: IsoDate;
  /** Epoch milliseconds, inclusive. */
  open: number;
  /** Epoch milliseconds, exclusive. */
  close: number;
  /** Set when the close differs from 16:00 CT. */
  note?: string;
}

export type HolidayKind = 'closed' | 'halt' | 'early-close';

export interface Holiday {
  date: IsoDate;
  name: string;
  kind: HolidayKind;
  /** Close in CT (`HH:mm`) for 'halt' and 'early-close'. */
  closeCt?: string;
}

const SESSION_OPEN_HOUR = 17;
const SESSION_CLOSE_HOUR = 16;

function iso(y: number, m: number, d: number): IsoDate {
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Day of week of a civil date, 0 = Sunday … 6 = Saturday (proleptic Gregorian; no time zone involved). */
function weekday(y: number, m: number, d: number): number {
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

function addDaysIso(date: IsoDate, days: number): IsoDate {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return iso(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

function weekdayIso(date: IsoDate): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return weekday(y, m, d);
}

/** The n-th (1-based) given weekday of a month; n = -1 for the last one. */
function nthWeekday(y: number, m: number, dow: number, n: number): IsoDate {
  if (n > 0) {
    const first = weekday(y, m, 1);
    return iso(y, m, 1 + ((dow - first + 7) % 7) + (n - 1) * 7);
  }
  const lastDay = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const last = weekday(y, m, lastDay);
  return iso(y, m, lastDay - ((last - dow + 7) % 7));
}

/** Western Easter Sunday (anonymous Gregorian algorithm, "Meeus/Jones/Butcher"). */
export function easterSunday(y: number): IsoDate {
  const a = y % 19;
  const b = Math.floor(y / 100);
  const c = y % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return iso(y, month, day);
}

/** Saturday → Friday before, Sunday → Monday after (NYSE Rule 7.2). */
function observed(y: number, m: number, d: number): IsoDate {
  const dow = weekday(y, m, d);
  if (dow === 6) return addDaysIso(iso(y, m, d), -1);
  if (dow === 0) return addDaysIso(iso(y, m, d), 1);
  return iso(y, m, d);
}

const holidayCache = new Map<number, Holiday[]>();

/** The exchange holidays and early closes of a calendar year, by date. */
export function holidays(year: number): Holiday[] {
  const cached = holidayCache.get(year);
  if (cached) return cached;
  const out: Holiday[] = [];
  const halt = (date: IsoDate, name: string) => out.push({ date, name, kind: 'halt', closeCt: '12:00' });
  const early = (date: IsoDate, name: string) => out.push({ date, name, kind: 'early-close', closeCt: '12:15' });

  // New Year's Day: a Saturday 1 January is not observed on Friday 31 December (NYSE Rule 7.2).
  if (weekday(year, 1, 1) !== 6) out.push({ date: observed(year, 1, 1), name: "New Year's Day", kind: 'closed' });
  halt(nthWeekday(year, 1, 1, 3), 'Martin Luther King Jr. Day');
  halt(nthWeekday(year, 2, 1, 3), 'Presidents Day');
  out.push({ date: addDaysIso(easterSunday(year), -2), name: 'Good Friday', kind: 'closed' });
  halt(nthWeekday(year, 5, 1, -1), 'Memorial Day');
  if (year >= 2022) halt(observed(year, 6, 19), 'Juneteenth');
  const july4 = observed(year, 7, 4);
  halt(july4, 'Independence Day');
  const july3dow = weekday(year, 7, 3);
  if (july3dow >= 1 && july3dow <= 4) early(iso(year, 7, 3), 'Independence Day eve');
  halt(nthWeekday(year, 9, 1, 1), 'Labor Day');
  const thanksgiving = nthWeekday(year, 11, 4, 4);
  halt(thanksgiving, 'Thanksgiving Day');
  early(addDaysIso(thanksgiving, 1), 'Day after Thanksgiving');
  const dec24dow = weekday(year, 12, 24);
  if (dec24dow >= 1 && dec24dow <= 4) early(iso(year, 12, 24), 'Christmas Eve');
  out.push({ date: observed(year, 12, 25), name: 'Christmas Day', kind: 'closed' });
  out.sort((a, b) => a.date.localeCompare(b.date));
  holidayCache.set(year, out);
  return out;
}

/** The holiday or early close on a date, if any. */
export function holidayOn(date: IsoDate): Holiday | undefined {
  return holidays(Number(date.slice(0, 4))).find((h) => h.date === date);
}

const HOUR_MS = 3_600_000;
const DAY_MS = MS_PER_DAY;
// Made on first use, not when the module loads: checking the zone formats a first date through Intl, which loads
// the time-zone data (about 20 ms of a server's start on two cores, before its first /health, which needs none).
let chicago: ZoneOffsets | undefined;

/** UTC offset of Chicago in ms at `ms`, from the time-zone database (cached per UTC day by zone.ts). */
export function chicagoOffsetMs(ms: number): number {
  chicago ??= zoneOffsets(CME_ZONE);
  return chicago.offsetAt(ms) * 60_000;
}

function ctMillis(date: IsoDate, hour: number, minute = 0): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  // Wall-clock time read as UTC, then shifted by Chicago's offset at that moment. 12:00, 12:15, 16:00 and 17:00
  // are never inside a DST change (02:00 local on a Sunday), so the offset one step away is the right one.
  const wall = Date.UTC(y, m - 1, d, hour, minute);
  return wall - chicagoOffsetMs(wall - chicagoOffsetMs(wall));
}

const sessionCache = new Map<IsoDate, Session | null>();

/**
 * The session of a trading day: it opens at 17:00 CT on the calendar day before (Sunday for Monday) and closes
 * at 16:00 CT, or earlier on a holiday; null on weekends and full holidays.
 */
export function sessionFor(tradingDay: IsoDate): Session | null {
  const cached = sessionCache.get(tradingDay);
  if (cached !== undefined) return cached;
  let result: Session | null;
  const dow = weekdayIso(tradingDay);
  const holiday = holidayOn(tradingDay);
  if (dow === 0 || dow === 6 || holiday?.kind === 'closed') {
    result = null;
  } else {
    const open = ctMillis(addDaysIso(tradingDay, -1), SESSION_OPEN_HOUR);
    if (holiday?.closeCt) {
      const [h, m] = holiday.closeCt.split(':').map(Number) as [number, number];
      result = { tradingDay, open, close: ctMillis(tradingDay, h, m), note: `${holiday.name}: closes ${holiday.closeCt} CT` };
    } else {
      result = { tradingDay, open, close: ctMillis(tradingDay, SESSION_CLOSE_HOUR) };
    }
  }
  if (sessionCache.size > 20000) sessionCache.clear();
  sessionCache.set(tradingDay, result);
  return result;
}

const dayNames = new Map<number, IsoDate>();

function named(day: number): IsoDate {
  let s = dayNames.get(day);
  if (s === undefined) {
    s = dayString(day);
    dayNames.set(day, s);
  }
  return s;
}

/**
 * Trading day number (days since 1970-01-01) of a moment: the day rolls at 17:00 CT, and Friday-evening to
 * Sunday-afternoon times belong to Monday. Holidays are not skipped (no trade happens in a closed session).
 * `utcMs` is epoch milliseconds. Offsets are cached per day, which statistics over 100,000 positions need.
 */
export function tradingDayNumber(utcMs: number): number {
  const local = utcMs + chicagoOffsetMs(utcMs);
  const day = Math.floor(local / DAY_MS);
  const rolled = local - day * DAY_MS >= SESSION_OPEN_HOUR * HOUR_MS ? day + 1 : day;
  // 1970-01-01 was a Thursday (Sunday = 0): Saturday → Monday, Sunday → Monday.
  const weekday = (rolled + 4) % 7;
  return weekday === 6 ? rolled + 2 : weekday === 0 ? rolled + 1 : rolled;
}

/** The trading day of a moment (`tradingDayNumber`) as `YYYY-MM-DD`. */
export function tradingDay(utcMs: number): IsoDate {
  return named(tradingDayNumber(utcMs));
}

/** ISO 8601 week (`2025-W44`) of a trading day number; weeks start on Monday. */
export function isoWeekOfDay(day: number): string {
  const weekday = (day + 3) % 7; // 1970-01-01 was a Thursday; Monday = 0
  const thursday = day - weekday + 3;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const jan1 = Math.floor(Date.UTC(year, 0, 1) / DAY_MS);
  const week = Math.floor((thursday - jan1) / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Whether the market is open at `ms` (epoch milliseconds). */
export function isOpen(ms: number): boolean {
  const s = sessionFor(tradingDay(ms));
  return s !== null && ms >= s.open && ms < s.close;
}

/** Sessions that overlap [fromMs, toMs), oldest first. */
export function sessionsBetween(fromMs: number, toMs: number): Session[] {
  if (toMs <= fromMs) return [];
  const out: Session[] = [];
  let day = tradingDay(fromMs);
  const last = addDaysIso(tradingDay(toMs), 1);
  while (day <= last) {
    const s = sessionFor(day);
    if (s && s.close > fromMs && s.open < toMs) out.push(s);
    day = addDaysIso(day, 1);
  }
  return out;
}

/** The open parts of [fromMs, toMs) as ranges in epoch milliseconds. */
export function openRanges(fromMs: number, toMs: number): Range[] {
  return sessionsBetween(fromMs, toMs).map((s) => ({ start: Math.max(s.open, fromMs), end: Math.min(s.close, toMs) }));
}

/** The closed parts of [fromMs, toMs) (weekends, daily breaks, holidays) as ranges in epoch milliseconds. */
export function closedRanges(fromMs: number, toMs: number): Range[] {
  const out: Range[] = [];
  let t = fromMs;
  for (const r of openRanges(fromMs, toMs)) {
    if (r.start > t) out.push({ start: t, end: r.start });
    t = Math.max(t, r.end);
  }
  if (t < toMs) out.push({ start: t, end: toMs });
  return out;
}

/**
 * Open times (Unix seconds) of the bars a complete feed has in [fromSec, toSec) for a grid-aligned bar length
 * (1m … 1h): every multiple of `barSeconds` whose bar overlaps an open session.
 */
export function expectedBarTimes(fromSec: number, toSec: number, barSeconds: number): number[] {
  const out: number[] = [];
  const first = Math.ceil(fromSec / barSeconds) * barSeconds;
  for (const r of openRanges(fromSec * 1000, toSec * 1000)) {
    const end = Math.min(r.end / 1000, toSec);
    let t = Math.max(first, Math.floor(r.start / 1000 / barSeconds) * barSeconds);
    const last = out[out.length - 1];
    if (last !== undefined && t <= last) t = last + barSeconds;
    for (; t < end; t += barSeconds) out.push(t);
  }
  return out;
}

export interface Gap {
  /** Unix seconds: open of the first missing bar. */
  from: number;
  /** Unix seconds: end of the last missing bar. */
  to: number;
  /** How many expected bars are missing. */
  missing: number;
}

/**
 * Gap detection: runs of expected bar times (see `expectedBarTimes`) that have no stored bar. Weekends, the daily
 * break and holidays are not gaps. `stored` must be sorted ascending.
 */
export function findGaps(stored: readonly number[], expected: readonly number[], barSeconds: number): Gap[] {
  const gaps: Gap[] = [];
  let i = 0;
  let current: Gap | undefined;
  for (const t of expected) {
    while (i < stored.length && (stored[i] as number) < t) i++;
    const present = i < stored.length && stored[i] === t;
    if (present) {
      current = undefined;
      continue;
    }
    if (current && current.to === t) {
      current.to = t + barSeconds;
      current.missing++;
    } else {
      current = { from: t, to: t + barSeconds, missing: 1 };
      gaps.push(current);
    }
  }
  return gaps;
}

/**
 * The most recent 17:00 CT at or before `ms`: the open of the session `ms` lies in (or, during the daily break,
 * of the one that just closed). 4h bars are aligned to it.
 */
export function sessionAnchor(ms: number): number {
  const offset = chicagoOffsetMs(ms);
  const wall = ms + offset;
  const wallAnchor = Math.floor((wall - SESSION_OPEN_HOUR * HOUR_MS) / DAY_MS) * DAY_MS + SESSION_OPEN_HOUR * HOUR_MS;
  // 17:00 is never inside a DST change (02:00 local), so the anchor's own offset converts it back to UTC.
  const guess = wallAnchor - offset;
  return wallAnchor - chicagoOffsetMs(guess);
}

export const FOUR_HOURS_MS = 4 * 3_600_000;
/** Six 4h buckets per session: 17:00, 21:00, 01:00, 05:00, 09:00 and 13:00 CT; the last ends at the 16:00 close. */
export const BUCKETS_PER_SESSION = 6;

/** Open (epoch ms) of the 4h bucket holding `ms`, aligned to the session open. */
export function fourHourBucket(ms: number): number {
  const anchor = sessionAnchor(ms);
  const index = Math.min(BUCKETS_PER_SESSION - 1, Math.floor((ms - anchor) / FOUR_HOURS_MS));
  return anchor + index * FOUR_HOURS_MS;
}
