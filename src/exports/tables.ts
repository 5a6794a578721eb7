import { zoneOffsets } from '../calendar/zone.js';
import type { GroupBy, GroupStats, Stats } from '../trades/stats.js';
import type { ExecutionJson, PositionFilter, PositionJson, TradesService } from '../trades/trades.service.js';
import { type CsvColumn, headerLine, rowLine } from './csv.js';

/**
 * The CSV tables: their columns and how their rows are read, a page at a time. Every time is given twice: ISO 8601
 * UTC (`…_at`, as in the JSON output) and the wall-clock time in the zone the export is made for (`…_local`, with
 * that zone in `time_zone`), which the caller passes in once (ExportOptions.zone).
 */
export const TABLES = ['positions', 'executions', 'daily', 'stats'] as const;
export type TableName = (typeof TABLES)[number];

/** The positions page's filter: the trades service's, plus side and reviewed (filtered here, as the page does). */
export interface TableFilter extends Omit<PositionFilter, 'limit' | 'offset'> {
  side?: 'long' | 'short';
  reviewed?: 'yes' | 'no';
}

export interface TableOptions {
  /** IANA zone of the `…_local` columns. */
  zone: string;
  /** Grouping of the `stats` table (none: one row of totals). */
  by?: GroupBy;
  /** Zone of the `hour` grouping (the export service passes the display zone; the statistics' default when absent). */
  hourZone?: string;
  /** Positions read per page (each page is one piece of the file: a few milliseconds of work). */
  pageSize?: number;
}

const num = <T>(header: string, value: (r: T) => number | null): CsvColumn<T> => ({ header, type: 'number', value });
const text = <T>(header: string, value: (r: T) => string | boolean | null): CsvColumn<T> => ({ header, type: 'text', value });

/** ISO 8601 UTC → `YYYY-MM-DD HH:mm:ss` on the zone's wall clock (offsets cached per day: 100,000 rows are cheap). */
function localTime(zone: string): (iso: string | null) => string | null {
  const offsets = zoneOffsets(zone);
  return (iso) => {
    if (iso === null) return null;
    const ms = Date.parse(iso);
    return new Date(ms + offsets.offsetAt(ms) * 60_000).toISOString().slice(0, 19).replace('T', ' ');
  };
}

type PositionRow = PositionJson & { note: string | null };

function positionColumns(zone: string): CsvColumn<PositionRow>[] {
  const local = localTime(zone);
  return [
    num('id', (p) => p.id),
    text('account', (p) => p.account),
    text('instrument', (p) => p.instrument),
    text('root', (p) => p.root),
    text('side', (p) => p.side),
    text('status', (p) => p.status),
    text('opened_at', (p) => p.openedAt),
    text('closed_at', (p) => p.closedAt),
    text('opened_local', (p) => local(p.openedAt)),
    text('closed_local', (p) => local(p.closedAt)),
    text('time_zone', () => zone),
    text('trading_day', (p) => p.tradingDay),
    num('max_quantity', (p) => p.maxQuantity),
    num('open_quantity', (p) => p.openQuantity),
    num('avg_entry_price', (p) => p.avgEntryPrice),
    num('avg_exit_price', (p) => p.avgExitPrice),
    num('points_pnl', (p) => p.pointsPnl),
    num('gross_pnl', (p) => p.grossPnl),
    num('commission', (p) => p.commission),
    num('net_pnl', (p) => p.netPnl),
    num('point_value', (p) => p.pointValue),
    num('execution_count', (p) => p.executionCount),
    text('reviewed', (p) => p.reviewed),
    text('validity', (p) => p.validity),
    text('tags', (p) => p.tags.join(', ')),
    text('note', (p) => p.note),
  ];
}

type ExecutionRow = ExecutionJson & { positionId: number; account: string; contract: string };

function executionColumns(zone: string): CsvColumn<ExecutionRow>[] {
  const local = localTime(zone);
  return [
    num('position_id', (e) => e.positionId),
    num('id', (e) => e.id),
    text('execution_id', (e) => e.executionId),
    text('account', (e) => e.account),
    text('instrument', (e) => e.contract),
    text('source_instrument', (e) => e.instrument),
    text('time', (e) => e.time),
    text('time_local', (e) => local(e.time)),
    text('time_zone', () => zone),
    text('action', (e) => e.action),
    text('role', (e) => e.role),
    num('quantity', (e) => e.quantity),
    num('fill_quantity', (e) => e.fillQuantity),
    num('price', (e) => e.price),
    num('commission', (e) => e.commission),
    num('fill_commission', (e) => e.fillCommission),
    text('validation', (e) => e.validation),
    num('import_id', (e) => e.importId),
    num('line', (e) => e.line),
  ];
}

type DailyRow = GroupStats & { cumulativeNetPnl: number };

const DAILY_COLUMNS: CsvColumn<DailyRow>[] = [
  text('trading_day', (g) => g.key),
  num('positions', (g) => g.positions),
  num('wins', (g) => g.wins),
  num('losses', (g) => g.losses),
  num('breakeven', (g) => g.breakeven),
  num('win_rate', (g) => g.winRate),
  num('gross_pnl', (g) => g.grossPnl),
  num('commission', (g) => g.commission),
  num('net_pnl', (g) => g.netPnl),
  num('cumulative_net_pnl', (g) => g.cumulativeNetPnl),
  num('largest_win', (g) => g.largestWin),
  num('largest_loss', (g) => g.largestLoss),
];

const STATS_COLUMNS: CsvColumn<Stats>[] = [
  num('positions', (s) => s.positions),
  num('wins', (s) => s.wins),
  num('losses', (s) => s.losses),
  num('breakeven', (s) => s.breakeven),
  num('win_rate', (s) => s.winRate),
  num('gross_pnl', (s) => s.grossPnl),
  num('commission', (s) => s.commission),
  num('net_pnl', (s) => s.netPnl),
  num('profit_factor', (s) => s.profitFactor),
  num('expectancy', (s) => s.expectancy),
  num('avg_win', (s) => s.avgWin),
  num('avg_loss', (s) => s.avgLoss),
  num('largest_win', (s) => s.largestWin),
  num('largest_loss', (s) => s.largestLoss),
  num('max_drawdown', (s) => s.maxDrawdown),
  num('longest_win_streak', (s) => s.longestWinStreak),
  num('longest_loss_streak', (s) => s.longestLossStreak),
];

/** The positions of the filter, oldest first, a page at a time (side and reviewed filtered here). */
function* positionPages(trades: TradesService, filter: TableFilter, pageSize: number): Generator<PositionJson[]> {
  const { side, reviewed, ...base } = filter;
  let after: PositionFilter['after'];
  for (;;) {
    const page = trades.listPositions({ ...base, ...(after ? { after } : {}), limit: pageSize });
    const kept = page.filter((p) => (!side || p.side === side) && (!reviewed || p.reviewed === (reviewed === 'yes')));
    yield kept;
    const last = page[page.length - 1];
    if (page.length < pageSize || !last) return;
    after = { openedAt: Date.parse(last.openedAt), id: last.id };
  }
}

function* positionsCsv(trades: TradesService, filter: TableFilter, o: TableOptions): Generator<string> {
  const columns = positionColumns(o.zone);
  // the header goes out with the first page, so a bad filter fails before anything is sent
  let out = headerLine(columns);
  for (const page of positionPages(trades, filter, o.pageSize ?? 100)) {
    for (const p of page) out += rowLine(columns, { ...p, note: p.hasNote ? trades.getJournal(p.id).note : null });
    yield out;
    out = '';
  }
}

/** The executions of the filter's positions: one row per position and execution (a reversal fill is in two). */
function* executionsCsv(trades: TradesService, filter: TableFilter, o: TableOptions): Generator<string> {
  const columns = executionColumns(o.zone);
  let out = headerLine(columns);
  // a position is rebuilt with its executions, so pages are smaller than for the positions table
  for (const page of positionPages(trades, filter, Math.max(1, Math.floor((o.pageSize ?? 100) / 10)))) {
    for (const p of page) {
      const detail = trades.getPosition(p.id);
      for (const e of detail.executions) out += rowLine(columns, { ...e, positionId: p.id, account: p.account, contract: p.instrument });
    }
    yield out;
    out = '';
  }
}

function* dailyCsv(trades: TradesService, filter: TableFilter, _o: TableOptions): Generator<string> {
  const { side: _side, reviewed: _reviewed, status: _status, ...base } = filter;
  const groups = trades.stats(base, { by: 'day' }).groups ?? [];
  let cumulative = 0;
  let out = headerLine(DAILY_COLUMNS);
  for (const g of groups) {
    cumulative += Math.round(g.netPnl * 100);
    out += rowLine(DAILY_COLUMNS, { ...g, cumulativeNetPnl: cumulative / 100 });
  }
  yield out;
}

function* statsCsv(trades: TradesService, filter: TableFilter, o: TableOptions): Generator<string> {
  const { side: _side, reviewed: _reviewed, status: _status, ...base } = filter;
  const s = trades.stats(base, o.by ? { by: o.by, ...(o.hourZone ? { hourZone: o.hourZone } : {}) } : {});
  if (!o.by) {
    yield headerLine(STATS_COLUMNS) + rowLine(STATS_COLUMNS, s);
    return;
  }
  // An hour is an hour of one zone's wall clock: the zone is named in each row, as the positions table does.
  const zoneColumn: CsvColumn<GroupStats>[] = o.by === 'hour' ? [text('time_zone', () => o.hourZone ?? o.zone)] : [];
  const columns: CsvColumn<GroupStats>[] = [text(o.by, (g) => g.key), ...zoneColumn, ...STATS_COLUMNS];
  let out = headerLine(columns);
  for (const g of s.groups ?? []) out += rowLine(columns, g);
  yield out;
}

/** The chunks of one table's CSV (header first), read from `trades` as the generator is driven. */
export function tableCsv(name: TableName, trades: TradesService, filter: TableFilter, options: TableOptions): Generator<string> {
  switch (name) {
    case 'positions':
      return positionsCsv(trades, filter, options);
    case 'executions':
      return executionsCsv(trades, filter, options);
    case 'daily':
      return dailyCsv(trades, filter, options);
    case 'stats':
      return statsCsv(trades, filter, options);
  }
}
