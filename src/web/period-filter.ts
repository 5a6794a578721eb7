import { PERIOD_IDS, PERIOD_LABELS, type PeriodId, type ResolvedPeriod, resolvePeriod } from '../calendar/periods.js';
import { AppError } from '../errors.js';
import { parseDayBound } from '../trades/trades.service.js';

/**
 * The period of the dashboard, positions and statistics pages and of `/api/positions` and `/api/stats`, read from
 * the address: `?period=this-week` (a named period, resolved to CME trading days against the app's clock) or
 * `?from=2025-06-02&to=2025-06-06` (a custom range). Neither means all. The address is the state: a period can be
 * shared, bookmarked, and the back button returns to the one before.
 */
export const PERIOD_PARAM = { type: 'string', enum: [...PERIOD_IDS, 'custom', ''] } as const;

export interface PeriodQuery {
  period?: PeriodId | 'custom';
  from?: string;
  to?: string;
}

/**
 * What a page shows: `from`/`to`, when given, make a custom range and win over `period` (a page's filter form
 * keeps the period in a hidden field, so dates typed into it must count); else the named period; else all. The
 * query comes back with `from`/`to` set to the period's trading days.
 */
export function pagePeriod<T extends PeriodQuery>(q: T, nowMs: number): { query: T; period: ResolvedPeriod } {
  if (q.from || q.to) {
    // An ISO instant is shown as the trading day it falls in (what the filter uses); a bad date as typed.
    const day = (text: string | undefined) => {
      if (!text) return undefined;
      const parsed = parseDayBound(text);
      return parsed.ok ? parsed.value : text;
    };
    return { query: q, period: { name: 'custom', label: PERIOD_LABELS.custom, from: day(q.from), to: day(q.to) } };
  }
  const period = resolvePeriod(q.period && q.period !== 'custom' ? q.period : 'all', nowMs);
  const query = { ...q };
  delete query.from;
  delete query.to;
  if (period.from) query.from = period.from;
  if (period.to) query.to = period.to;
  return { query, period };
}

/** The same for the JSON API, where a named period next to `from`/`to` can only be a mistake: refused, naming both. */
export function apiPeriod<T extends PeriodQuery>(q: T, nowMs: number): { query: T; period: ResolvedPeriod } {
  if (q.period && q.period !== 'custom' && (q.from || q.to)) {
    throw new AppError('TL_TRADES_BAD_FILTER', `Query parameter period="${q.period}" cannot be combined with from/to.`, {
      remedy: 'Give either period (today, this-week, this-month, last-30-days, year-to-date, all) or from/to, not both.',
      details: { parameter: 'period', value: q.period },
    });
  }
  return pagePeriod(q, nowMs);
}

/**
 * The address parameters that say a page's period, for the links that carry it elsewhere (downloads, pages):
 * `period` for a named one, `from`/`to` as typed for a custom range, nothing for all.
 */
export function periodParams(q: PeriodQuery, period: ResolvedPeriod): { period?: string; from?: string; to?: string } {
  if (period.name === 'custom') return { ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}) };
  return period.name === 'all' ? {} : { period: period.name };
}

export interface PeriodLink {
  id: PeriodId;
  label: string;
  href: string;
  current: boolean;
}

/**
 * The period picker's links: each keeps the page's other parameters (account, instrument, grouping, calendar …)
 * and drops the custom range and the page number.
 */
export function periodLinks(path: string, q: object, current: ResolvedPeriod): PeriodLink[] {
  return PERIOD_IDS.map((id) => {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) {
      if (k === 'from' || k === 'to' || k === 'page' || k === 'period' || v === undefined || v === null || v === '') continue;
      u.set(k, String(v));
    }
    if (id !== 'all') u.set('period', id);
    const s = u.toString();
    return { id, label: PERIOD_LABELS[id], href: s ? `${path}?${s}` : path, current: current.name === id };
  });
}

/** What the page says it shows: "This week: trading days 2025-06-16 to 2025-06-18". */
export function periodSummary(p: ResolvedPeriod): string {
  if (!p.from && !p.to) return `${p.label}: every trading day`;
  if (p.from && p.from === p.to) return `${p.label}: trading day ${p.from}`;
  if (p.from && p.to) return `${p.label}: trading days ${p.from} to ${p.to}`;
  return p.from ? `${p.label}: trading days from ${p.from}` : `${p.label}: trading days up to ${p.to}`;
}
