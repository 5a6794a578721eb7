import { type IsoDate, sessionFor, tradingDay } from './sessions.js';

/**
 * Named periods of the journal ("today", "this week", …) as ranges of CME trading days.
 *
 * The rule, the same on every page, in the API and in the CLI: a day is a CME trading day (src/calendar/
 * sessions.ts: it rolls at 17:00 America/Chicago, so the session that opens Sunday 17:00 CT belongs to Monday),
 * never the calendar day of a time zone. A position belongs to the trading day it closed on (an open one to the
 * day it opened), which is also how statistics group by day, week and month. The display time zone changes how
 * times are written, not which day a trade belongs to: a session is one day whether it is read in Chicago, Tokyo or
 * London, and prop-firm daily limits and broker statements count the same day.
 *
 * "Today" is the trading day whose session opened most recently: during a session its own day, in the daily break
 * (16:00–17:00 CT) still the day that just closed, and from Friday's close (or a holiday's) until the next session
 * opens, the last trading day that had a session, so on a Saturday "today" is Friday and "this week" is the week
 * that just ended. Periods resolve against the injected clock (src/clock.ts), never the process's own time.
 */
export const PERIOD_IDS = ['today', 'this-week', 'this-month', 'last-30-days', 'year-to-date', 'all'] as const;
export type PeriodId = (typeof PERIOD_IDS)[number];

export const PERIOD_LABELS: Record<PeriodId | 'custom', string> = {
  today: 'Today',
  'this-week': 'This week',
  'this-month': 'This month',
  'last-30-days': 'Last 30 days',
  'year-to-date': 'Year to date',
  all: 'All',
  custom: 'Custom range',
};

/** A period resolved to trading days: `from`/`to` inclusive, each absent when the period is open on that side. */
export interface ResolvedPeriod {
  /** A named period, or `custom` for a from/to range. */
  name: PeriodId | 'custom';
  label: string;
  from?: IsoDate;
  to?: IsoDate;
}

const DAY_MS = 86_400_000;

function isoToDays(day: IsoDate): number {
  return Math.floor(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
}

function daysToIso(days: number): IsoDate {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(day: IsoDate, n: number): IsoDate {
  return daysToIso(isoToDays(day) + n);
}

/** Monday of the ISO week of a day. */
export function mondayOf(day: IsoDate): IsoDate {
  const days = isoToDays(day);
  const weekday = (days + 3) % 7; // 1970-01-01 was a Thursday; Monday = 0
  return daysToIso(days - weekday);
}

/**
 * The trading day whose session opened most recently at `nowMs` (see the module comment): weekends and full
 * holidays give the last trading day that had a session.
 */
export function currentTradingDay(nowMs: number): IsoDate {
  const nominal = tradingDay(nowMs);
  let day = nominal;
  // Back over a weekend and at most a holiday or two: ten days is more than any exchange closure.
  for (let i = 0; i < 10; i++) {
    const session = sessionFor(day);
    if (session && session.open <= nowMs) return day;
    day = addDays(day, -1);
  }
  return nominal;
}

export function isPeriodId(text: string): text is PeriodId {
  return (PERIOD_IDS as readonly string[]).includes(text);
}

/** A named period as a range of trading days, at the instant `nowMs`. */
export function resolvePeriod(period: PeriodId, nowMs: number): ResolvedPeriod {
  const label = PERIOD_LABELS[period];
  if (period === 'all') return { name: period, label };
  const today = currentTradingDay(nowMs);
  switch (period) {
    case 'today':
      return { name: period, label, from: today, to: today };
    case 'this-week':
      return { name: period, label, from: mondayOf(today), to: today };
    case 'this-month':
      return { name: period, label, from: `${today.slice(0, 7)}-01`, to: today };
    case 'last-30-days':
      return { name: period, label, from: addDays(today, -29), to: today };
    case 'year-to-date':
      return { name: period, label, from: `${today.slice(0, 4)}-01-01`, to: today };
  }
}

/** A month `YYYY-MM` moved by `n` months. */
export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) + n;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}
