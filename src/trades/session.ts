import { dayString, MS_PER_DAY, zoneOffsets } from './zone.js';

/**
 * The CME trading day. CME Globex equity, energy, metals and rates futures trade Sunday–Friday from 17:00 to
 * 16:00 America/Chicago the next day; the session that opens at 17:00 belongs to the next day's trade date
 * (CME Group "Trading Hours"). So a time at or after 17:00 Chicago belongs to the next calendar day, and
 * anything from Friday 17:00 to Sunday 17:00 (no session) belongs to Monday. Exchange holidays are not skipped.
 * This is the same bucketing as src/market-data/sessions.ts `tradingDay` (a test keeps the two in step); this
 * one caches UTC offsets per day, which statistics over 100,000 positions need.
 *
 * A position's trading day is that of its closedAt (the day its P&L is realized); an open position's is that
 * of its openedAt. Statistics, filters and the web app's calendar all use this one function.
 */
export const SESSION_ZONE = 'America/Chicago';
export const SESSION_ROLL_HOUR = 17;

const chicago = zoneOffsets(SESSION_ZONE);
const dayNames = new Map<number, string>();

function named(day: number): string {
  let s = dayNames.get(day);
  if (s === undefined) {
    s = dayString(day);
    dayNames.set(day, s);
  }
  return s;
}

/** Trading day number (days since 1970-01-01) of a UTC instant. */
export function tradingDayNumber(utcMs: number): number {
  const local = utcMs + chicago.offsetAt(utcMs) * 60_000;
  const day = Math.floor(local / MS_PER_DAY);
  const rolled = local - day * MS_PER_DAY >= SESSION_ROLL_HOUR * 3_600_000 ? day + 1 : day;
  // Friday evening to Sunday afternoon (no session) belongs to Monday; 1970-01-01 was a Thursday (Sunday = 0).
  const weekday = (rolled + 4) % 7;
  return weekday === 6 ? rolled + 2 : weekday === 0 ? rolled + 1 : rolled;
}

/** Trading day of a UTC instant as `YYYY-MM-DD`. */
export function tradingDay(utcMs: number): string {
  return named(tradingDayNumber(utcMs));
}

/** ISO 8601 week (`2025-W44`) of a trading day number; weeks start on Monday. */
export function isoWeekOfDay(day: number): string {
  const weekday = (day + 3) % 7; // 1970-01-01 was a Thursday; Monday = 0
  const thursday = day - weekday + 3;
  const year = new Date(thursday * MS_PER_DAY).getUTCFullYear();
  const jan1 = Math.floor(Date.UTC(year, 0, 1) / MS_PER_DAY);
  const week = Math.floor((thursday - jan1) / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Hour of day (0–23) of a UTC instant in `zone`. */
export function hourOfDay(utcMs: number, zone: string): number {
  const local = utcMs + zoneOffsets(zone).offsetAt(utcMs) * 60_000;
  return Math.floor((((local % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY) / 3_600_000);
}
