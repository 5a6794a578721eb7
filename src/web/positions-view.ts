import type { PeriodId } from '../calendar/periods.js';
import { AppError } from '../errors.js';
import type { PositionFilter, PositionJson, TradesService } from '../trades/trades.service.js';
import { parseDayBound, positionFilterOf } from '../trades/trades.service.js';

/**
 * The positions list: the trades service filters by account, instrument, trading days, status and tag; side and
 * the reviewed flag are filtered here, then the list is sorted and cut into pages.
 */
export const SORT_KEYS = [
  'openedAt',
  'closedAt',
  'netPnl',
  'grossPnl',
  'instrument',
  'account',
  'side',
  'maxQuantity',
  'executionCount',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface PositionListQuery {
  account?: string;
  instrument?: string;
  /** A named period (src/calendar/periods.ts); `from`/`to` are set from it by pagePeriod/apiPeriod. */
  period?: PeriodId | 'custom';
  from?: string;
  to?: string;
  side?: 'long' | 'short';
  status?: 'open' | 'closed';
  reviewed?: 'yes' | 'no';
  tag?: string;
  sort?: SortKey;
  order?: 'asc' | 'desc';
  page?: number;
  pageSize?: number;
}

export interface PositionPage {
  total: number;
  page: number;
  pageSize: number;
  pages: number;
  items: PositionJson[];
  /** Sums over the closed positions that matched (not only this page). */
  totals: { netPnl: number; grossPnl: number; commission: number };
}

const cents = (n: number) => Math.round(n * 100);

function compare(key: SortKey): (a: PositionJson, b: PositionJson) => number {
  switch (key) {
    case 'closedAt':
      return (a, b) => (a.closedAt ?? '9999').localeCompare(b.closedAt ?? '9999');
    case 'netPnl':
    case 'grossPnl':
    case 'maxQuantity':
    case 'executionCount':
      return (a, b) => a[key] - b[key];
    case 'instrument':
    case 'account':
    case 'side':
      return (a, b) => a[key].localeCompare(b[key]);
    default:
      return (a, b) => a.openedAt.localeCompare(b.openedAt);
  }
}

export function listPositionsPage(trades: TradesService, q: PositionListQuery): PositionPage {
  const filter = positionFilterOf(q);
  const pageSize = Math.min(Math.max(q.pageSize ?? 50, 1), 500);
  const sort = q.sort ?? 'openedAt';
  const order = q.order ?? 'desc';
  // The usual view (newest first, no side/reviewed filter) reads only its page; totals come from the statistics.
  if (!q.side && !q.reviewed && sort === 'openedAt') {
    const total = trades.countPositions(filter);
    const pages = Math.max(1, Math.ceil(total / pageSize));
    const page = Math.min(Math.max(q.page ?? 1, 1), pages);
    const start = order === 'desc' ? Math.max(0, total - page * pageSize) : (page - 1) * pageSize;
    const count = order === 'desc' ? Math.min(pageSize, total - (page - 1) * pageSize) : pageSize;
    const items = trades.listPositions({ ...filter, limit: Math.max(0, count), offset: start });
    const { status, ...statsFilter } = filter;
    const s = status === 'open' ? { netPnl: 0, grossPnl: 0, commission: 0 } : trades.stats(statsFilter);
    return {
      total,
      page,
      pageSize,
      pages,
      items: order === 'desc' ? [...items].reverse() : items,
      totals: { netPnl: s.netPnl, grossPnl: s.grossPnl, commission: s.commission },
    };
  }
  let items = trades.listPositions(filter);
  if (q.side) items = items.filter((p) => p.side === q.side);
  if (q.reviewed) items = items.filter((p) => p.reviewed === (q.reviewed === 'yes'));
  const cmp = compare(sort);
  const dir = order === 'desc' ? -1 : 1;
  // A copy: the service's list may be shared (memoized).
  items = [...items].sort((a, b) => dir * cmp(a, b) || dir * (a.id - b.id));
  const pages = Math.max(1, Math.ceil(items.length / pageSize));
  const page = Math.min(Math.max(q.page ?? 1, 1), pages);
  let net = 0;
  let gross = 0;
  let commission = 0;
  for (const p of items) {
    if (p.status !== 'closed') continue;
    net += cents(p.netPnl);
    gross += cents(p.grossPnl);
    commission += cents(p.commission);
  }
  return {
    total: items.length,
    page,
    pageSize,
    pages,
    items: items.slice((page - 1) * pageSize, page * pageSize),
    totals: { netPnl: net / 100, grossPnl: gross / 100, commission: commission / 100 },
  };
}

/** A page of nothing (for a query that was refused). */
export function emptyPage(q: PositionListQuery): PositionPage {
  return { total: 0, page: 1, pageSize: q.pageSize ?? 50, pages: 1, items: [], totals: { netPnl: 0, grossPnl: 0, commission: 0 } };
}

/** The newest `n` positions (by opening time), newest first, without reading all of them. */
export function recentPositions(trades: TradesService, filter: PositionFilter, n: number): PositionJson[] {
  const total = trades.countPositions(filter);
  // A reversed copy: the list may be the remembered one every later view gets (VersionMemo).
  return trades.listPositions({ ...filter, limit: n, offset: Math.max(0, total - n) }).toReversed();
}

export type DateField = 'from' | 'to';

/** The `from`/`to` values of a filter that are not dates (empty means "not given"), field → what was given. */
export function badFilterDates(q: { from?: string; to?: string }): Partial<Record<DateField, string>> {
  const bad: Partial<Record<DateField, string>> = {};
  for (const field of ['from', 'to'] as const) {
    const value = q[field];
    if (value && !parseDayBound(value).ok) bad[field] = value;
  }
  return bad;
}

/** For a page's filter form: the message shown next to each date field that is not a date. */
export function filterDateErrors(q: { from?: string; to?: string }): Partial<Record<DateField, string>> {
  const errors: Partial<Record<DateField, string>> = {};
  for (const [field, value] of Object.entries(badFilterDates(q)) as [DateField, string][]) {
    errors[field] = `"${value}" is not a date: choose a trading day (YYYY-MM-DD, e.g. 2025-06-20).`;
  }
  return errors;
}

/** For the JSON API: the first `from`/`to` query parameter that is not a date, as the API's error. */
export function assertFilterDates(q: { from?: string; to?: string }): void {
  const [field, value] = Object.entries(badFilterDates(q))[0] ?? [];
  if (field === undefined) return;
  throw new AppError('TL_TRADES_BAD_FILTER', `Query parameter ${field}="${value}" is not a date.`, {
    remedy: `Give ${field} as a trading day YYYY-MM-DD (e.g. 2025-06-20) or an ISO 8601 instant.`,
    details: { parameter: field, value },
  });
}
