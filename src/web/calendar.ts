import { DateTime } from 'luxon';
import { addMonths } from '../calendar/periods.js';

/**
 * The dashboard's calendar of daily net P&L by CME trading day: one month (weeks start on Monday) with the months
 * before and after a link away, or one year as a heatmap. `cal` in the address says which (`2025-06` a month,
 * `2025` a year), so a calendar view can be shared and the back button returns to the previous one.
 */
export interface CalendarDay {
  day: number;
  iso: string;
  inMonth: boolean;
  net?: number;
  positions?: number;
}

export interface CalendarMonth {
  title: string;
  key: string;
  net: number;
  positions: number;
  weeks: CalendarDay[][];
}

export type DayResults = ReadonlyMap<string, { net: number; positions: number }>;

/** The month grid of `month` (`YYYY-MM`). `days` maps trading day → result. */
export function calendarMonth(days: DayResults, month: string): CalendarMonth {
  const start = DateTime.fromISO(`${month}-01`, { zone: 'UTC' });
  const gridStart = start.minus({ days: start.weekday - 1 });
  const end = start.endOf('month');
  const weeks: CalendarDay[][] = [];
  let netCents = 0;
  let positions = 0;
  for (let d = gridStart; d <= end || d.weekday !== 1; d = d.plus({ days: 1 })) {
    if (d.weekday === 1) weeks.push([]);
    const iso = d.toISODate() as string;
    const r = days.get(iso);
    const inMonth = d.month === start.month;
    if (inMonth && r) {
      netCents += Math.round(r.net * 100);
      positions += r.positions;
    }
    (weeks[weeks.length - 1] as CalendarDay[]).push({
      day: d.day,
      iso,
      inMonth,
      ...(r && inMonth ? { net: r.net, positions: r.positions } : {}),
    });
  }
  return { title: start.toFormat('LLLL yyyy'), key: month, net: netCents / 100, positions, weeks };
}

export interface HeatDay {
  iso: string;
  /** 0 = Monday … 4 = Friday (trading days are weekdays). */
  weekday: number;
  /** Column: the week of the year the day falls in, 0 = the week of January 1. */
  week: number;
  net?: number;
  positions?: number;
}

export interface CalendarYear {
  year: number;
  net: number;
  positions: number;
  tradingDays: number;
  days: HeatDay[];
  /** First column of each month, for the labels. */
  months: { label: string; week: number; key: string }[];
  /** The largest |net| of a day, the top of the colour scale. */
  maxAbs: number;
}

/** Every weekday of `year` with its result, laid out in week columns (Monday on top). */
export function calendarYear(days: DayResults, year: number): CalendarYear {
  const jan1 = DateTime.utc(year, 1, 1);
  const gridStart = jan1.minus({ days: jan1.weekday - 1 });
  const out: HeatDay[] = [];
  const months: CalendarYear['months'] = [];
  let netCents = 0;
  let positions = 0;
  let tradingDays = 0;
  let maxAbs = 0;
  for (let d = jan1; d.year === year; d = d.plus({ days: 1 })) {
    if (d.weekday > 5) continue;
    const week = Math.floor(d.diff(gridStart, 'days').days / 7);
    if (d.day === 1 || (d.day <= 3 && d.weekday === 1)) {
      const key = d.toFormat('yyyy-LL');
      if (!months.some((m) => m.key === key)) months.push({ label: d.toFormat('LLL'), week, key });
    }
    const iso = d.toISODate() as string;
    const r = days.get(iso);
    if (r) {
      netCents += Math.round(r.net * 100);
      positions += r.positions;
      tradingDays++;
      maxAbs = Math.max(maxAbs, Math.abs(r.net));
    }
    out.push({ iso, weekday: d.weekday - 1, week, ...(r ? { net: r.net, positions: r.positions } : {}) });
  }
  return { year, net: netCents / 100, positions, tradingDays, days: out, months, maxAbs };
}

export type CalendarView =
  | { kind: 'month'; month: CalendarMonth; prev: string; next: string; year: string }
  | { kind: 'year'; year: CalendarYear; prev: string; next: string };

/**
 * The view `cal` asks for (`YYYY-MM` or `YYYY`), else the month of `fallbackDay` (the newest trading day with
 * results in the period shown, or today's).
 */
export function calendarView(days: DayResults, cal: string | undefined, fallbackDay: string): CalendarView {
  if (cal && /^\d{4}$/.test(cal)) {
    const year = Number(cal);
    return { kind: 'year', year: calendarYear(days, year), prev: String(year - 1), next: String(year + 1) };
  }
  const month = cal && /^\d{4}-(0[1-9]|1[0-2])$/.test(cal) ? cal : fallbackDay.slice(0, 7);
  return {
    kind: 'month',
    month: calendarMonth(days, month),
    prev: addMonths(month, -1),
    next: addMonths(month, 1),
    year: month.slice(0, 4),
  };
}
