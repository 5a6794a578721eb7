import { CME_ZONE, isoWeekOfDay, tradingDayNumber } from '../calendar/sessions.js';
import { dayString, hourOfDay } from '../calendar/zone.js';
import { centsToDollars, roundHalfAway } from './money.js';

/**
 * Performance statistics: pure functions over positions.
 *
 * Definitions (net P&L is the basis everywhere; gross is reported and labelled as such):
 * - only closed positions count; they are taken in closedAt order (then openedAt);
 * - win: net > 0, loss: net < 0, breakeven: net = 0 (to the cent); winRate = wins ÷ positions (breakeven
 *   positions count in the denominator), a fraction 0…1;
 * - profitFactor = Σ net of wins ÷ |Σ net of losses| (null when there are no losses: it would be infinite);
 * - expectancy = net P&L ÷ positions (the average net result per position), to the cent;
 * - avgWin / avgLoss = mean net of wins / of losses (avgLoss is negative); largestWin / largestLoss likewise;
 * - maxDrawdown = the largest fall of the cumulative net P&L from a previous peak (the curve starts at 0), ≥ 0;
 * - longest win / loss streak: consecutive wins / losses; a breakeven position ends both.
 * Groups: trading day (CME session, rolls at 17:00 America/Chicago; src/calendar/sessions.ts) of closedAt, its ISO week and
 * month; instrument (root), contract, account, side; hour of day of openedAt in `hourZone` (default
 * America/Chicago, exchange time). Money is returned in dollars, exact to the cent.
 */
export interface StatsPosition {
  account: string;
  root: string;
  contract: string;
  side: 'long' | 'short';
  openedAt: number;
  closedAt: number | null;
  grossCents: number;
  commissionCents: number;
  netCents: number;
}

export const GROUP_BYS = ['day', 'week', 'month', 'instrument', 'contract', 'account', 'side', 'hour'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export interface Stats {
  positions: number;
  wins: number;
  losses: number;
  breakeven: number;
  winRate: number | null;
  /** Labelled gross: before commission. */
  grossPnl: number;
  /** Every cost (source costs and fee schedules'); `costs` is the same figure under its newer name. */
  commission: number;
  costs: number;
  netPnl: number;
  profitFactor: number | null;
  expectancy: number | null;
  avgWin: number | null;
  avgLoss: number | null;
  largestWin: number | null;
  largestLoss: number | null;
  maxDrawdown: number;
  longestWinStreak: number;
  longestLossStreak: number;
  basis: 'net';
}

export interface GroupStats extends Stats {
  key: string;
}

export interface StatsOptions {
  by?: GroupBy;
  hourZone?: string;
}

class Acc {
  n = 0;
  wins = 0;
  losses = 0;
  gross = 0;
  commission = 0;
  net = 0;
  winSum = 0;
  lossSum = 0;
  maxWin = 0;
  maxLoss = 0;
  equity = 0;
  peak = 0;
  drawdown = 0;
  winRun = 0;
  lossRun = 0;
  bestWinRun = 0;
  bestLossRun = 0;

  add(p: StatsPosition): void {
    const net = p.netCents;
    this.n++;
    this.gross += p.grossCents;
    this.commission += p.commissionCents;
    this.net += net;
    if (net > 0) {
      this.wins++;
      this.winSum += net;
      if (net > this.maxWin) this.maxWin = net;
      this.winRun++;
      this.lossRun = 0;
      if (this.winRun > this.bestWinRun) this.bestWinRun = this.winRun;
    } else if (net < 0) {
      this.losses++;
      this.lossSum += net;
      if (net < this.maxLoss) this.maxLoss = net;
      this.lossRun++;
      this.winRun = 0;
      if (this.lossRun > this.bestLossRun) this.bestLossRun = this.lossRun;
    } else {
      this.winRun = 0;
      this.lossRun = 0;
    }
    this.equity += net;
    if (this.equity > this.peak) this.peak = this.equity;
    else if (this.peak - this.equity > this.drawdown) this.drawdown = this.peak - this.equity;
  }

  result(): Stats {
    const d = centsToDollars;
    const mean = (sum: number, count: number) => (count === 0 ? null : d(roundHalfAway(sum / count)));
    return {
      positions: this.n,
      wins: this.wins,
      losses: this.losses,
      breakeven: this.n - this.wins - this.losses,
      winRate: this.n === 0 ? null : Math.round((this.wins / this.n) * 1e6) / 1e6,
      grossPnl: d(this.gross),
      commission: d(this.commission),
      costs: d(this.commission),
      netPnl: d(this.net),
      profitFactor: this.lossSum === 0 ? null : Math.round((this.winSum / -this.lossSum) * 1e4) / 1e4,
      expectancy: mean(this.net, this.n),
      avgWin: mean(this.winSum, this.wins),
      avgLoss: mean(this.lossSum, this.losses),
      largestWin: this.wins === 0 ? null : d(this.maxWin),
      largestLoss: this.losses === 0 ? null : d(this.maxLoss),
      maxDrawdown: d(this.drawdown),
      longestWinStreak: this.bestWinRun,
      longestLossStreak: this.bestLossRun,
      basis: 'net',
    };
  }
}

function keyFunction(by: GroupBy, hourZone: string): (p: StatsPosition) => string {
  const closeDay = (p: StatsPosition) => tradingDayNumber(p.closedAt as number);
  // many positions share a day: label each day number once
  const labels = new Map<number, string>();
  const label = (day: number, of: (day: number) => string) => {
    let s = labels.get(day);
    if (s === undefined) {
      s = of(day);
      labels.set(day, s);
    }
    return s;
  };
  const month = (day: number) => dayString(day).slice(0, 7);
  switch (by) {
    case 'day':
      return (p) => label(closeDay(p), dayString);
    case 'week':
      return (p) => label(closeDay(p), isoWeekOfDay);
    case 'month':
      return (p) => label(closeDay(p), month);
    case 'instrument':
      return (p) => p.root;
    case 'contract':
      return (p) => p.contract;
    case 'account':
      return (p) => p.account;
    case 'side':
      return (p) => p.side;
    case 'hour':
      return (p) => String(hourOfDay(p.openedAt, hourZone)).padStart(2, '0');
  }
}

function closedInOrder(positions: readonly StatsPosition[]): StatsPosition[] {
  const closed = positions.filter((p) => p.closedAt !== null);
  let sorted = true;
  for (let i = 1; i < closed.length && sorted; i++) {
    const a = closed[i - 1] as StatsPosition;
    const b = closed[i] as StatsPosition;
    if ((a.closedAt as number) > (b.closedAt as number) || (a.closedAt === b.closedAt && a.openedAt > b.openedAt)) sorted = false;
  }
  if (!sorted) closed.sort((a, b) => (a.closedAt as number) - (b.closedAt as number) || a.openedAt - b.openedAt);
  return closed;
}

/** Statistics over closed positions, optionally grouped (groups sorted by key). */
export function computeStats(positions: readonly StatsPosition[], options: StatsOptions = {}): Stats & { groups?: GroupStats[] } {
  const closed = closedInOrder(positions);
  const all = new Acc();
  if (!options.by) {
    for (const p of closed) all.add(p);
    return all.result();
  }
  const keyOf = keyFunction(options.by, options.hourZone ?? CME_ZONE);
  const groups = new Map<string, Acc>();
  for (const p of closed) {
    all.add(p);
    const k = keyOf(p);
    let g = groups.get(k);
    if (!g) {
      g = new Acc();
      groups.set(k, g);
    }
    g.add(p);
  }
  const list = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, acc]) => ({ key, ...acc.result() }));
  return { ...all.result(), groups: list };
}
