import type { Db } from '../db/open.js';
import { AppError } from '../errors.js';
import { loadInstrumentRegistry } from '../instruments/instruments.js';
import { createSettingsRepo } from '../settings/settings.repo.js';
import { type AccountsRepo, createAccountsRepo } from './accounts.repo.js';
import { accountText } from './accounts.service.js';
import { type Book, createExecutionsRepo } from './executions.repo.js';
import { ANY_ROOT, COST_KINDS, type FeeSchedule, type FeeSide, perContract } from './fees.js';
import { createFeesRepo, type NewFeeSchedule } from './fees.repo.js';
import type { CostKind } from './importers/types.js';
import { centsToDollars } from './money.js';
import { buildBook, rebuildBooks, rootOfContract, type TradesContext, uniqueBooks } from './rebuild.js';
import { importTimezone } from './settings.js';

/**
 * Fee schedules as the Fees page and `tradelog fees` use them (docs/fees.md). A change (a schedule set, replaced or
 * removed) is previewed first: the positions of the books it touches (those holding fills whose source stated no
 * costs, of the schedule's account or firm and root) are built in memory with the schedules as they are and as
 * they would be, and compared. Applying it writes the schedule and rebuilds those books in one transaction.
 */
export interface FeeScheduleInput {
  /** Exactly one of account (a name or spelling) and firm. */
  account?: string;
  firm?: string;
  /** A root, or `*` for every root. */
  root: string;
  side?: FeeSide;
  /** First CME trading day, `YYYY-MM-DD`. */
  from: string;
  /** Dollars per contract, by kind (a kind left out is 0). */
  amounts: Partial<Record<CostKind, number>>;
}

export interface FeeScheduleJson {
  id: number;
  account: string | null;
  firm: string | null;
  root: string;
  side: FeeSide;
  effectiveFrom: string;
  /** Dollars per contract, by kind, and their sum. */
  amounts: Record<CostKind, number>;
  perContract: number;
}

export interface FeePreview {
  /** Books (account, contract) whose positions were compared. */
  books: number;
  positions: number;
  /** Positions whose costs (and so net P&L) change. */
  positionsChanged: number;
  costsBefore: number;
  costsAfter: number;
  netBefore: number;
  netAfter: number;
}

export type FeeChange = { set: FeeScheduleInput } | { remove: number };

export interface FeesServiceDeps {
  journal: Db;
  importTimezone: string;
}

function bad(field: string, message: string, remedy: string): AppError {
  return new AppError('TL_FEES_BAD_INPUT', message, { remedy, details: { field } });
}

/** Dollars exact to the cent → cents; at most $10,000 a contract either way. */
function cents(kind: string, dollars: number): number {
  const c = Math.round(dollars * 100);
  if (!Number.isFinite(dollars) || Math.abs(dollars * 100 - c) > 1e-6 || Math.abs(c) > 1_000_000) {
    throw bad(kind, `${dollars} is not a ${kind} amount: give dollars per contract exact to the cent.`, `e.g. --${kind} 0.35`);
  }
  return c;
}

function validDay(text: string): string {
  const t = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(t) && new Date(Date.parse(`${t}T00:00:00Z`) || 0).toISOString().slice(0, 10) === t) return t;
  throw bad(
    'from',
    `"${text}" is not a first day: give a trading day as YYYY-MM-DD.`,
    'e.g. --from 2026-01-02 (a schedule applies from that CME trading day on).',
  );
}

export function createFeesService(deps: FeesServiceDeps) {
  const db = deps.journal;
  const repo = createFeesRepo(db);
  const accounts: AccountsRepo = createAccountsRepo(db);
  const executions = createExecutionsRepo(db);
  const context = (): TradesContext => {
    const settings = createSettingsRepo(db);
    return { db, registry: loadInstrumentRegistry(settings), zone: importTimezone(settings, deps.importTimezone) };
  };

  const json = (s: FeeSchedule): FeeScheduleJson => {
    const amounts = {} as Record<CostKind, number>;
    for (const k of COST_KINDS) amounts[k] = centsToDollars(s.amounts[k]);
    return {
      id: s.id,
      account: s.accountId === null ? null : (accounts.getById(s.accountId)?.name ?? null),
      firm: s.firm,
      root: s.root,
      side: s.side,
      effectiveFrom: s.effectiveFrom,
      amounts,
      perContract: centsToDollars(perContract(s)),
    };
  };

  /** The schedule an input states (its id: the stored one with the same key, else 0). */
  const scheduleOf = (input: FeeScheduleInput, ctx: TradesContext): NewFeeSchedule => {
    if ((input.account === undefined) === (input.firm === undefined)) {
      throw bad(
        'account',
        'A fee schedule is for one account or for one firm: give exactly one of them.',
        'Use --account NAME or --firm NAME.',
      );
    }
    let accountId: number | null = null;
    if (input.account !== undefined) {
      const name = accountText('the account', input.account);
      const a = accounts.get(name) ?? accounts.ofSpelling(name);
      if (!a) {
        throw new AppError('TL_ACCOUNT_NOT_FOUND', `There is no account "${name}".`, {
          remedy:
            'List the accounts with "tradelog accounts list" and use a name from it (or create it with "tradelog accounts set NAME").',
          details: { field: 'account', account: name },
        });
      }
      accountId = a.id;
    }
    const root = input.root.trim().toUpperCase();
    if (root !== ANY_ROOT && !ctx.registry.has(root)) {
      throw bad(
        'root',
        `"${input.root}" is not an instrument tradelog knows.`,
        `Give a root such as MNQ (or * for every root); add ${root} in Settings → Instruments first.`,
      );
    }
    const side = input.side ?? 'both';
    if (side !== 'buy' && side !== 'sell' && side !== 'both')
      throw bad('side', `"${String(side)}" is not a side.`, 'Use buy, sell or both.');
    const amounts = {} as Record<CostKind, number>;
    for (const k of COST_KINDS) amounts[k] = cents(k, input.amounts[k] ?? 0);
    return {
      accountId,
      firm: input.firm === undefined ? null : accountText('the firm', input.firm),
      root,
      side,
      effectiveFrom: validDay(input.from),
      amounts,
    };
  };

  /** The schedules as they would be after a change, and the scope it touches. */
  const proposed = (change: FeeChange, ctx: TradesContext) => {
    const current = repo.list();
    if ('remove' in change) {
      const gone = repo.get(change.remove);
      if (!gone) {
        throw new AppError('TL_FEES_NOT_FOUND', `There is no fee schedule ${change.remove}.`, {
          remedy: 'List the schedules with "tradelog fees list" (or the Fees page) and use one of their ids.',
          details: { id: change.remove },
        });
      }
      return { schedules: current.filter((s) => s.id !== gone.id), scope: gone as NewFeeSchedule, apply: () => repo.remove(gone.id) };
    }
    const s = scheduleOf(change.set, ctx);
    const id = repo.find(s);
    const next = id === undefined ? [...current, { ...s, id: 0 }] : current.map((c) => (c.id === id ? { ...s, id } : c));
    return { schedules: next, scope: s, apply: () => repo.upsert(s) };
  };

  /** The executions' books a schedule's scope may change: fills without source costs, of its account(s) and root. */
  const booksOf = (scope: NewFeeSchedule): Book[] => {
    const ids = scope.accountId !== null ? [scope.accountId] : accounts.idsOfFirm(scope.firm as string);
    const spellings = ids.flatMap((id) => {
      const a = accounts.getById(id);
      return a ? accounts.spellingsOf(a.name) : [];
    });
    return executions.booksWithoutCosts(spellings).filter((b) => scope.root === ANY_ROOT || rootOfContract(b.contract) === scope.root);
  };

  const compare = (
    ctx: TradesContext,
    books: readonly Book[],
    before: readonly FeeSchedule[],
    after: readonly FeeSchedule[],
  ): FeePreview => {
    const registryBooks = uniqueBooks(books.map((b) => ({ account: accounts.nameOf(b.account), contract: b.contract })));
    const out = {
      books: registryBooks.length,
      positions: 0,
      positionsChanged: 0,
      costsBefore: 0,
      costsAfter: 0,
      netBefore: 0,
      netAfter: 0,
    };
    for (const b of registryBooks) {
      const old: number[] = [];
      buildBook(ctx, b, before, (p) => {
        old.push(p.commissionCents);
        out.costsBefore += p.commissionCents;
        out.netBefore += p.netCents;
      });
      let i = 0;
      buildBook(ctx, b, after, (p) => {
        if (old[i++] !== p.commissionCents) out.positionsChanged++;
        out.costsAfter += p.commissionCents;
        out.netAfter += p.netCents;
        out.positions++;
      });
    }
    return {
      ...out,
      costsBefore: centsToDollars(out.costsBefore),
      costsAfter: centsToDollars(out.costsAfter),
      netBefore: centsToDollars(out.netBefore),
      netAfter: centsToDollars(out.netAfter),
    };
  };

  const service = {
    list(): FeeScheduleJson[] {
      return repo.list().map(json);
    },

    /** What a change would do to positions; nothing is written. */
    preview(change: FeeChange): FeePreview {
      const ctx = context();
      return db.read(() => {
        const p = proposed(change, ctx);
        return compare(ctx, booksOf(p.scope), repo.list(), p.schedules);
      });
    },

    /** Make a change and recompute the positions it touches, in one transaction; returns what it did. */
    apply(change: FeeChange): FeePreview & { schedule: FeeScheduleJson | null } {
      const ctx = context();
      return db.write(() => {
        accounts.ensureAll();
        const p = proposed(change, ctx);
        const books = booksOf(p.scope);
        const preview = compare(ctx, books, repo.list(), p.schedules);
        const id = p.apply();
        rebuildBooks(ctx, books);
        const stored = typeof id === 'number' ? repo.get(id) : undefined;
        return { ...preview, schedule: stored ? json(stored) : null };
      });
    },
  };
  return service;
}

export type FeesService = ReturnType<typeof createFeesService>;
