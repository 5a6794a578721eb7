import type { PositionFilter, PositionJson, TradesService } from '../trades/trades.service.js';
import { positionFilterOf } from '../trades/trades.service.js';

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

/** The newest `n` positions (by opening time), newest first, without reading all of them. */
export function recentPositions(trades: TradesService, filter: PositionFilter, n: number): PositionJson[] {
  const total = trades.countPositions(filter);
  // A reversed copy: the list may be the remembered one every later view gets (VersionMemo).
  return trades.listPositions({ ...filter, limit: n, offset: Math.max(0, total - n) }).toReversed();
}
