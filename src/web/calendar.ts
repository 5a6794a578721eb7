import { DateTime } from 'luxon';

/** A month grid of daily net P&L (weeks start on Monday), for the dashboard's calendar. */
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
  weeks: CalendarDay[][];
}

/** The last `count` months that hold trading days, newest first. `days` maps trading day → result. */
export function calendarMonths(days: ReadonlyMap<string, { net: number; positions: number }>, count = 3): CalendarMonth[] {
  const months = [...new Set([...days.keys()].map((d) => d.slice(0, 7)))].sort().reverse().slice(0, count);
  return months.map((key) => {
    const start = DateTime.fromISO(`${key}-01`, { zone: 'UTC' });
    const gridStart = start.minus({ days: start.weekday - 1 });
    const end = start.endOf('month');
    const weeks: CalendarDay[][] = [];
    let netCents = 0;
    for (let d = gridStart; d <= end || d.weekday !== 1; d = d.plus({ days: 1 })) {
      if (d.weekday === 1) weeks.push([]);
      const iso = d.toISODate() as string;
      const r = days.get(iso);
      const inMonth = d.month === start.month;
      if (inMonth && r) netCents += Math.round(r.net * 100);
      (weeks[weeks.length - 1] as CalendarDay[]).push({
        day: d.day,
        iso,
        inMonth,
        ...(r && inMonth ? { net: r.net, positions: r.positions } : {}),
      });
    }
    return { title: start.toFormat('LLLL yyyy'), key, net: netCents / 100, weeks };
  });
}
