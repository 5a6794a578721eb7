import type { Db } from '../db/open.js';
import type { InstrumentRegistry } from '../instruments/instruments.js';
import { type Book, createExecutionsRepo } from './executions.repo.js';
import { BookBuilder } from './positions.js';
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
 * Rebuild the positions of the given books from their executions, streaming: each book is read a page at a time
 * through the builder and its positions written as they close. Run inside the caller's `db.write()`. Returns
 * the number of positions written. An unknown root (an override was removed) throws TL_INSTRUMENT_UNKNOWN and
 * the caller's transaction rolls back.
 */
export function rebuildBooks(ctx: TradesContext, books: Iterable<Book>): number {
  const executions = createExecutionsRepo(ctx.db);
  const positions = createPositionsRepo(ctx.db);
  let written = 0;
  for (const b of uniqueBooks(books)) {
    let builder: BookBuilder | undefined;
    const writer = positions.beginBook(b.account, b.contract);
    for (const e of executions.book(b.account, b.contract)) {
      builder ??= builderFor(ctx, b);
      const closed = builder.push(e);
      if (closed) writer.write(closed);
    }
    const open = builder?.finish();
    if (open) writer.write(open);
    written += writer.end();
    executions.setOrphans(b, builder ? builder.orphans.map((e) => e.id) : []);
  }
  return written;
}

/** Point value of a contract's root from the registry (TL_INSTRUMENT_UNKNOWN when the root is not known). */
export function builderFor(ctx: TradesContext, b: Book): BookBuilder {
  const root = rootOfContract(b.contract);
  return new BookBuilder({ account: b.account, contract: b.contract, root, pointValue: ctx.registry.get(root, b.contract).pointValue });
}
