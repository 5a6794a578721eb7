import { tradingDay } from '../calendar/sessions.js';
import type { CostKind } from './importers/types.js';
import type { BookExecution } from './positions.js';
import { actionSign } from './positions.js';

/**
 * Fee schedules (issue 10 §7): pure functions. A schedule states per-contract amounts in cents by cost kind for
 * one account or every account of a firm, one root (`*` = every root) and one side (`both` = buys and sells), in
 * force from a CME trading day until the next schedule of the same scope, root and side.
 *
 * A schedule fills in the costs of a fill whose source stated none (`costsMissing`); a fill whose source gave
 * costs keeps them, whatever the schedules say. For such a fill the schedule used is, among those in force on the
 * fill's trading day, the most specific: an account's before its firm's, a root's before `*`, a side's before
 * `both`; among equals, the latest `effectiveFrom`. No schedule: the costs stay 0 and the fill is counted as
 * without costs.
 */
export const COST_KINDS: readonly CostKind[] = ['commission', 'exchange', 'clearing', 'nfa', 'platform', 'other'];
export type FeeSide = 'buy' | 'sell' | 'both';
export const ANY_ROOT = '*';

export interface FeeSchedule {
  id: number;
  /** Exactly one of accountId and firm. */
  accountId: number | null;
  firm: string | null;
  root: string;
  side: FeeSide;
  /** CME trading day `YYYY-MM-DD`. */
  effectiveFrom: string;
  /** Cents per contract, by kind. */
  amounts: Record<CostKind, number>;
}

/** What a schedule is looked up for: a book's account (and its firm) and root. */
export interface FeeScope {
  accountId: number | null;
  firm: string | null;
  root: string;
}

/** The schedules that may apply to a book, most specific first (the side and the day are chosen per fill). */
export function schedulesFor(all: readonly FeeSchedule[], scope: FeeScope): FeeSchedule[] {
  const rank = (s: FeeSchedule) => (s.accountId !== null ? 0 : 4) + (s.root === ANY_ROOT ? 2 : 0);
  return all
    .filter(
      (s) =>
        (s.root === scope.root || s.root === ANY_ROOT) &&
        ((s.accountId !== null && s.accountId === scope.accountId) || (s.firm !== null && s.firm === scope.firm)),
    )
    .sort((a, b) => rank(a) - rank(b));
}

/** The schedule for one fill: side and trading day among a book's candidates (schedulesFor). */
export function pickSchedule(candidates: readonly FeeSchedule[], side: 'buy' | 'sell', day: string): FeeSchedule | undefined {
  let best: FeeSchedule | undefined;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const s of candidates) {
    if (s.effectiveFrom > day || (s.side !== side && s.side !== 'both')) continue;
    const rank = (s.accountId !== null ? 0 : 4) + (s.root === ANY_ROOT ? 2 : 0) + (s.side === 'both' ? 1 : 0);
    if (rank < bestRank || (rank === bestRank && best !== undefined && s.effectiveFrom > best.effectiveFrom)) {
      best = s;
      bestRank = rank;
    }
  }
  return best;
}

/** Per-contract total of a schedule, in cents. */
export function perContract(s: FeeSchedule): number {
  let total = 0;
  for (const k of COST_KINDS) total += s.amounts[k];
  return total;
}

/** The costs a schedule gives a fill of `quantity` contracts, by kind (cents). */
export function costsOf(s: FeeSchedule, quantity: number): Record<CostKind, number> {
  const out = {} as Record<CostKind, number>;
  for (const k of COST_KINDS) out[k] = s.amounts[k] * quantity;
  return out;
}

/**
 * A book's fill-in of missing costs: returns the execution with `commissionCents` set from the schedule in force
 * (the same object when its source stated costs or no schedule applies).
 */
export function costFiller(candidates: readonly FeeSchedule[]): <T extends BookExecution>(e: T) => T {
  if (candidates.length === 0) return (e) => e;
  return <T extends BookExecution>(e: T): T => {
    if (!e.costsMissing) return e;
    const s = pickSchedule(candidates, actionSign(e.action) === 1 ? 'buy' : 'sell', tradingDay(e.time));
    return s ? { ...e, commissionCents: perContract(s) * e.quantity } : e;
  };
}
