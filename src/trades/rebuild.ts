import type { Db } from '../db/open.js';
import type { InstrumentRegistry } from '../instruments/instruments.js';
import { type Book, createExecutionsRepo } from './executions.repo.js';
import { type BookExecution, buildPositions, byTimeThenId } from './positions.js';
import { createPositionsRepo } from './positions.repo.js';

/** What the trades services need: the journal database, the instrument registry and the import zone. */
export interface TradesContext {
  db: Db;
  registry: InstrumentRegistry;
  /** IANA zone of NinjaTrader's wall-clock times. */
  zone: string;
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
 * Rebuild the positions of the given books from their executions. Run inside the caller's `db.write()`.
 * Returns the number of positions written. An unknown root (an override was removed) throws
 * TL_INSTRUMENT_UNKNOWN and the caller's transaction rolls back.
 */
export function rebuildBooks(ctx: TradesContext, books: Iterable<Book>, known?: ReadonlyMap<string, BookExecution[]>): number {
  const executions = createExecutionsRepo(ctx.db);
  const positions = createPositionsRepo(ctx.db);
  let written = 0;
  for (const b of uniqueBooks(books)) {
    // `known`: every execution of a book the caller has just written whole (no need to read it back)
    const given = known?.get(bookId(b));
    const execs = given ? [...given].sort(byTimeThenId) : executions.book(b.account, b.contract);
    const root = rootOfContract(b.contract);
    const pointValue = execs.length > 0 ? ctx.registry.get(root, b.contract).pointValue : 0;
    const built = buildPositions({ account: b.account, contract: b.contract, root, pointValue }, execs);
    written += positions.replaceBook(b.account, b.contract, built);
  }
  return written;
}
