import type { Db } from '../db/open.js';
import type { InstrumentRegistry } from '../instruments/instruments.js';
import { type AccountsRepo, createAccountsRepo } from './accounts.repo.js';
import { type Book, createExecutionsRepo, type ExecutionsRepo } from './executions.repo.js';
import { costFiller, type FeeSchedule, schedulesFor } from './fees.js';
import { createFeesRepo } from './fees.repo.js';
import { BookBuilder, type BookExecution, type BuiltPosition } from './positions.js';
import { createPositionsRepo } from './positions.repo.js';
import type { ImportSettings } from './settings.js';

/** What the trades services need: the journal database, the instrument registry and the import zone. */
export interface TradesContext {
  db: Db;
  registry: InstrumentRegistry;
  /** IANA zone of naive wall-clock times (the import zone). */
  zone: string;
  /** The import settings (date order, per-source zones, saved column mappings); none when absent. */
  importSettings?: ImportSettings;
}

/** Root of a canonical contract (`MNQ 12-25` → `MNQ`; a bare root is its own). */
export function rootOfContract(contract: string): string {
  const i = contract.indexOf(' ');
  return i < 0 ? contract : contract.slice(0, i);
}

export function bookId(b: Book): string {
  return `${b.account}\u001f${b.contract}`;
}

export function uniqueBooks(books: Iterable<Book>): Book[] {
  const m = new Map<string, Book>();
  for (const b of books) m.set(bookId(b), { account: b.account, contract: b.contract });
  return [...m.values()].sort((a, b) => (bookId(a) < bookId(b) ? -1 : 1));
}

/**
 * The books positions are built in: executions' books (account as the file spells it, contract) under their
 * account in the registry (accounts.repo.ts), so the spellings of one account make one book. Spellings not seen
 * before are recorded here (inside the caller's transaction).
 */
export function registryBooks(accounts: AccountsRepo, books: Iterable<Book>): Book[] {
  const list = [...books];
  accounts.ensure(new Set(list.map((b) => b.account)));
  return uniqueBooks(list.map((b) => ({ account: accounts.nameOf(b.account), contract: b.contract })));
}

/** The executions of a registry book in builder order, with missing costs filled in from `schedules`. */
export function* bookFeed(
  repos: { executions: ExecutionsRepo; accounts: AccountsRepo },
  b: Book,
  schedules: readonly FeeSchedule[],
): Generator<BookExecution> {
  const account = repos.accounts.get(b.account);
  const fill = costFiller(
    schedulesFor(schedules, { accountId: account?.id ?? null, firm: account?.firm ?? null, root: rootOfContract(b.contract) }),
  );
  for (const e of repos.executions.book(repos.accounts.spellingsOf(b.account), b.contract)) yield fill(e);
}

export interface RebuildOptions {
  /** Per registry book (bookId): account names its positions were stored under before (a merge, a rename). */
  formerAccounts?: ReadonlyMap<string, readonly string[]>;
  /** Build with these schedules instead of the stored ones. */
  schedules?: readonly FeeSchedule[];
}

/**
 * Rebuild the positions of the given books (executions' books: account spellings; or registry books) from their
 * executions, streaming: each book is read a page at a time through the builder and its positions written as they
 * close. Run inside the caller's `db.write()`. Returns the number of positions written. An unknown root (an
 * override was removed) throws TL_INSTRUMENT_UNKNOWN and the caller's transaction rolls back.
 */
export function rebuildBooks(ctx: TradesContext, books: Iterable<Book>, options: RebuildOptions = {}): number {
  const executions = createExecutionsRepo(ctx.db);
  const accounts = createAccountsRepo(ctx.db);
  const positions = createPositionsRepo(ctx.db);
  const schedules = options.schedules ?? createFeesRepo(ctx.db).list();
  let written = 0;
  for (const b of registryBooks(accounts, books)) {
    let builder: BookBuilder | undefined;
    const writer = positions.beginBook(b.account, b.contract, options.formerAccounts?.get(bookId(b)));
    for (const e of bookFeed({ executions, accounts }, b, schedules)) {
      builder ??= builderFor(ctx, b);
      const closed = builder.push(e);
      if (closed) writer.write(closed);
    }
    const open = builder?.finish();
    if (open) writer.write(open);
    written += writer.end();
    executions.setOrphans(
      { account: accounts.spellingsOf(b.account), contract: b.contract },
      builder ? builder.orphans.map((e) => e.id) : [],
    );
  }
  return written;
}

/** Build a registry book's positions in memory with the given schedules, one at a time (nothing is written). */
export function buildBook(ctx: TradesContext, b: Book, schedules: readonly FeeSchedule[], each: (p: BuiltPosition) => void): void {
  const repos = { executions: createExecutionsRepo(ctx.db), accounts: createAccountsRepo(ctx.db) };
  let builder: BookBuilder | undefined;
  for (const e of bookFeed(repos, b, schedules)) {
    builder ??= builderFor(ctx, b);
    const closed = builder.push(e);
    if (closed) each(closed);
  }
  const open = builder?.finish();
  if (open) each(open);
}

/** Point value of a contract's root from the registry (TL_INSTRUMENT_UNKNOWN when the root is not known). */
export function builderFor(ctx: TradesContext, b: Book): BookBuilder {
  const root = rootOfContract(b.contract);
  return new BookBuilder({ account: b.account, contract: b.contract, root, pointValue: ctx.registry.get(root, b.contract).pointValue });
}
