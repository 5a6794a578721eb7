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

/** Whether the list is in opening order without a filter the database does not apply (read page by page). */
function inOpeningOrder(q: PositionListQuery): boolean {
  return !q.side && !q.reviewed && (q.sort ?? 'openedAt') === 'openedAt';
}

/** Every position of the list's filter, in the list's order (sort key, then id, both in the list's direction). */
function sortedPositions(trades: TradesService, q: PositionListQuery): PositionJson[] {
  let items = trades.listPositions(positionFilterOf(q));
  if (q.side) items = items.filter((p) => p.side === q.side);
  if (q.reviewed) items = items.filter((p) => p.reviewed === (q.reviewed === 'yes'));
  const cmp = listOrder(q);
  // A copy: the service's list may be shared (memoized).
  return [...items].sort(cmp);
}

function listOrder(q: PositionListQuery): (a: PositionJson, b: PositionJson) => number {
  const cmp = compare(q.sort ?? 'openedAt');
  const dir = (q.order ?? 'desc') === 'desc' ? -1 : 1;
  return (a, b) => dir * cmp(a, b) || dir * (a.id - b.id);
}

export function listPositionsPage(trades: TradesService, q: PositionListQuery): PositionPage {
  const filter = positionFilterOf(q);
  const pageSize = Math.min(Math.max(q.pageSize ?? 50, 1), 500);
  const order = q.order ?? 'desc';
  // The usual view (newest first, no side/reviewed filter) reads only its page; totals come from the statistics.
  if (inOpeningOrder(q)) {
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
  const items = sortedPositions(trades, q);
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

/**
 * Where a position stands in a list (the positions page with this query): the rows just above and below it, the
 * page it is on, and its row number when it matches the filter. A position that does not match (marked reviewed
 * in a list of unreviewed ones) still has neighbours: those it would sit between.
 */
export interface ListNeighbours {
  previous: PositionJson | undefined;
  next: PositionJson | undefined;
  /** Row number (1-based) in the list, when the position is in it. */
  row: number | undefined;
  total: number;
  /** The list page the position is on (or would be). */
  page: number;
}

export function listNeighbours(trades: TradesService, q: PositionListQuery, p: PositionJson): ListNeighbours {
  const pageSize = Math.min(Math.max(q.pageSize ?? 50, 1), 500);
  const pageOf = (above: number) => Math.floor(above / pageSize) + 1;
  if (inOpeningOrder(q)) {
    // Two index reads: the nearest position on each side of (opened_at, id), and the count of the rows above.
    const filter = positionFilterOf(q);
    const key = { openedAt: Date.parse(p.openedAt), id: p.id };
    const older = trades.listPositions({ ...filter, before: key, descending: true, limit: 1 })[0];
    const newer = trades.listPositions({ ...filter, after: key, limit: 1 })[0];
    const newestFirst = (q.order ?? 'desc') === 'desc';
    const above = trades.countPositions(newestFirst ? { ...filter, after: key } : { ...filter, before: key });
    const inList = trades.listPositions({ ...filter, after: { openedAt: key.openedAt, id: key.id - 1 }, limit: 1 })[0]?.id === p.id;
    return {
      previous: newestFirst ? newer : older,
      next: newestFirst ? older : newer,
      row: inList ? above + 1 : undefined,
      total: trades.countPositions(filter),
      page: pageOf(above),
    };
  }
  const items = sortedPositions(trades, q);
  const at = items.findIndex((x) => x.id === p.id);
  if (at >= 0) {
    return { previous: items[at - 1], next: items[at + 1], row: at + 1, total: items.length, page: pageOf(at) };
  }
  const cmp = listOrder(q);
  const above = items.findIndex((x) => cmp(x, p) > 0);
  const slot = above < 0 ? items.length : above;
  return { previous: items[slot - 1], next: items[slot], row: undefined, total: items.length, page: pageOf(slot) };
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
