import path from 'node:path';
import { zoneOffsets } from '../calendar/zone.js';
import { systemClock } from '../clock.js';
import { AppError } from '../errors.js';
import { type Book, createExecutionsRepo, INSERT_BATCH, type StoredFill } from './executions.repo.js';
import { unitsToPrice } from './money.js';
import {
  type CsvSource,
  type DuplicateRow,
  hashSource,
  type ParsedExecution,
  type ReadResult,
  type RowProblem,
  readNinjaTraderCsv,
  sameFill,
} from './ninjatrader.js';
import type { BookBuilder, BookExecution } from './positions.js';
import { type BookWriter, createPositionsRepo } from './positions.repo.js';
import { bookId, builderFor, rebuildBooks, type TradesContext } from './rebuild.js';
import type { DstResolution } from './time.js';

/**
 * Importing NinjaTrader CSVs. A file is one transaction: its executions and the rebuilt positions of the books it
 * touches commit together, or nothing of it is stored. A file with an invalid row is rejected whole, with every
 * bad line and reason, unless `skipInvalid` stores the valid rows (the others are still listed). Duplicates —
 * (account, execution id) already stored, or repeated within the file — are skipped and counted; a reused id with
 * a different fill is an invalid row, never merged or dropped silently. Every run that is not a preview is
 * recorded in `imports` (also when rejected) and a successful one can be undone.
 */
export interface ImportOptions {
  /** Store the valid rows of a file that has invalid ones. */
  skipInvalid?: boolean;
  /** How to read a local time skipped or doubled by a DST change; default reject the row. */
  dst?: DstResolution;
  /** Preview: run everything, report what would happen, store nothing. */
  dryRun?: boolean;
  /** Refuse the commit unless the file still has this content (the one previewed). */
  expectedSha256?: string;
  /** Return at once (status `unchanged`) when a file with the same content was imported before. */
  skipKnownContent?: boolean;
  /** Rows listed in a preview's `added`/`duplicates` (default 1000). */
  previewLimit?: number;
  /** Refuse a file with more rows than this (TL_IMPORT_TOO_MANY_ROWS), counted as the CSV reader splits them. */
  maxRows?: number;
  /** Now, epoch ms (the caller's clock): execution times more than a day after it are refused. */
  now?: number;
}

export interface PreviewRow {
  line: number;
  account: string;
  instrument: string;
  contract: string;
  action: string;
  quantity: number;
  price: number;
  time: string;
  commission: number;
  executionId: string;
}

export interface ImportFileResult {
  file: string;
  importId: number | null;
  status: 'imported' | 'rejected' | 'preview' | 'unchanged';
  sha256: string;
  bytes: number;
  rowsRead: number;
  executionsAdded: number;
  duplicatesSkipped: number;
  rejected: RowProblem[];
  /** Positions written in the books this file touched (in a preview: that would be written). */
  positionsRebuilt: number;
  books: Book[];
  /**
   * Preview only: the rows that would be added and skipped. `wouldReject` when the file would be rejected whole
   * (it has invalid rows and they are not skipped): then nothing would be added (`executionsAdded` 0, `added`
   * empty) and `ifSkipInvalid` says what skipping the invalid rows would add instead.
   */
  preview?: {
    added: PreviewRow[];
    duplicates: DuplicateRow[];
    truncated: boolean;
    wouldReject: boolean;
    ifSkipInvalid?: { executionsAdded: number; duplicatesSkipped: number; positionsRebuilt: number };
  };
}

export type ImportSource = ({ path: string } | { name: string; content: Buffer | string }) & { name?: string };

/** Rows read ahead of storing them (two statements of executions.repo insertMany). */
const QUEUE = 2 * INSERT_BATCH;

class Abort extends Error {
  constructor(readonly outcome: 'rejected' | 'preview') {
    super(outcome);
  }
}

function previewRow(r: ParsedExecution): PreviewRow {
  return {
    line: r.line,
    account: r.account,
    instrument: r.instrument,
    contract: r.contract,
    action: r.action,
    quantity: r.quantity,
    price: unitsToPrice(r.priceUnits),
    time: new Date(r.time).toISOString(),
    commission: r.commissionCents / 100,
    executionId: r.key,
  };
}

/**
 * Import (or preview) one NinjaTrader CSV. The file is read, checked and stored in one synchronous pass inside
 * one transaction, and positions stream through the builder, so memory does not grow with the file; a preview is the same pass rolled back.
 * Duplicates within the file are found through the unique (account, execution id) key too: a row whose stored
 * twin came from this same import repeats an earlier line.
 */
export async function importNinjaTraderFile(
  ctx: TradesContext,
  source: ImportSource,
  options: ImportOptions = {},
): Promise<ImportFileResult> {
  const name = source.name ?? ('path' in source ? path.basename(source.path) : 'upload.csv');
  const filePath = 'path' in source ? path.resolve(source.path) : null;
  const csv: CsvSource = 'path' in source ? { path: source.path } : { content: source.content };
  const repo = createExecutionsRepo(ctx.db);
  const positions = createPositionsRepo(ctx.db);
  const dryRun = options.dryRun === true;
  // A preview runs as if invalid rows were skipped, so it can show all three: added, duplicate, rejected.
  const skipInvalid = options.skipInvalid === true || dryRun;
  const limit = options.previewLimit ?? 1000;

  if (options.skipKnownContent && !dryRun) {
    const { sha256, bytes } = hashSource(csv);
    const known = repo.findImportBySha(sha256);
    if (known) {
      const file = filePath ?? name;
      return {
        file,
        importId: known.id,
        status: 'unchanged',
        sha256,
        bytes,
        rowsRead: 0,
        executionsAdded: 0,
        duplicatesSkipped: 0,
        rejected: [],
        positionsRebuilt: 0,
        books: [],
      };
    }
  }

  const problems: RowProblem[] = [];
  const added: PreviewRow[] = [];
  const duplicates: DuplicateRow[] = [];
  let addedCount = 0;
  let duplicateCount = 0;
  let read: ReadResult = { rowsRead: 0, sha256: '', bytes: 0 };
  const books = new Map<string, Book>();
  let positionsRebuilt = 0;
  let importId: number | null = null;
  const record = (status: 'imported' | 'rejected') =>
    repo.insertImport({
      kind: 'ninjatrader',
      fileName: name,
      filePath,
      sha256: read.sha256,
      bytes: read.bytes,
      status,
      rowsRead: read.rowsRead,
      executionsAdded: status === 'rejected' ? 0 : addedCount,
      duplicatesSkipped: status === 'rejected' ? 0 : duplicateCount,
      problems,
    });
  const duplicate = (d: DuplicateRow) => {
    duplicateCount++;
    if (duplicates.length < limit) duplicates.push(d);
  };

  let outcome: 'imported' | 'rejected' | 'preview' = 'imported';
  try {
    ctx.db.write(() => {
      const id = record('imported');
      // Books this file starts are built as their rows arrive (file order is normally time order): no read-back,
      // and memory holds only each book's open position. A book whose rows go back in time is rebuilt at the end.
      const live = new Map<string, { builder: BookBuilder; writer: BookWriter; ordered: boolean } | null>();
      // Rows are stored a batch at a time (executions.repo insertMany), then taken in file order: added ones go to
      // their book's builder, the others are told apart as repeats or different fills. After a duplicate the next
      // rows are looked up before they are queued (a re-imported file is duplicates throughout, and a lookup costs
      // less than half as much as a refused insert); after a new row they are queued for insertion straight away.
      let lookFirst = false;
      const queue: ParsedExecution[] = [];
      const found: (StoredFill | undefined)[] = [];
      const queueBooks: string[] = [];
      // A row after a problem is not stored (the file is rejected unless invalid rows are skipped): as when rows
      // were taken one by one, only problems of earlier lines count, also those found in this batch.
      let firstProblem = Number.POSITIVE_INFINITY;
      let problemsSeen = 0;
      const afterProblem = (line: number) => {
        if (skipInvalid) return false;
        for (; problemsSeen < problems.length; problemsSeen++)
          firstProblem = Math.min(firstProblem, (problems[problemsSeen] as RowProblem).line);
        return firstProblem < line;
      };
      const take = (row: ParsedExecution, book: string, rowId: number, known: StoredFill | undefined) => {
        if (rowId) {
          addedCount++;
          if (!books.has(book)) books.set(book, { account: row.account, contract: row.contract });
          const l = live.get(book);
          if (l?.ordered) {
            const e: BookExecution = {
              id: rowId,
              key: row.key,
              action: row.action,
              quantity: row.quantity,
              priceUnits: row.priceUnits,
              time: row.time,
              commissionCents: row.commissionCents,
              validation: row.validation,
            };
            if (l.builder.outOfOrder(e)) l.ordered = false;
            else {
              const closed = l.builder.push(e);
              if (closed) l.writer.write(closed);
            }
          }
          if (dryRun && added.length < limit) added.push(previewRow(row));
          return;
        }
        const stored = known ?? (repo.storedFill(row.account, row.key) as StoredFill);
        const same = sameFill(stored, row);
        if (stored.importId === id) {
          if (same) duplicate({ line: row.line, key: row.key, reason: `repeats line ${stored.sourceLine}` });
          else
            problems.push({
              line: row.line,
              reason: `execution id ${row.key} of account ${row.account} repeats line ${stored.sourceLine} with a different fill`,
            });
        } else if (same) {
          duplicate({
            line: row.line,
            key: row.key,
            reason: `already stored (import #${stored.importId}${stored.sourceLine ? `, line ${stored.sourceLine}` : ''})`,
          });
        } else {
          problems.push({
            line: row.line,
            reason: `execution id ${row.key} of account ${row.account} is already stored with a different fill (import #${stored.importId})`,
          });
        }
      };
      const flush = () => {
        const fresh: ParsedExecution[] = [];
        for (let i = 0; i < queue.length; i++) if (found[i] === undefined) fresh.push(queue[i] as ParsedExecution);
        const ids = repo.insertMany(fresh, id);
        let k = 0;
        for (let i = 0; i < queue.length; i++) {
          const row = queue[i] as ParsedExecution;
          const known = found[i];
          const rowId = known ? 0 : (ids[k++] as number);
          if (!rowId) lookFirst = true;
          if (!afterProblem(row.line)) take(row, queueBooks[i] as string, rowId, known);
        }
        queue.length = 0;
        found.length = 0;
        queueBooks.length = 0;
      };
      read = readNinjaTraderCsv(
        csv,
        {
          registry: ctx.registry,
          zone: zoneOffsets(ctx.zone),
          dst: options.dst ?? 'reject',
          now: options.now ?? systemClock.now(),
          ...(options.maxRows === undefined ? {} : { maxRows: options.maxRows }),
        },
        problems,
        (row) => {
          if (problems.length > 0 && !skipInvalid) return; // rejected anyway: only collect the other problems
          const book = bookId(row);
          if (!live.has(book)) {
            live.set(
              book,
              repo.hasBook(row.account, row.contract)
                ? null
                : { builder: builderFor(ctx, row), writer: positions.beginBook(row.account, row.contract), ordered: true },
            );
          }
          const stored = lookFirst ? repo.storedFill(row.account, row.key) : undefined;
          lookFirst = stored !== undefined;
          queue.push(row);
          found.push(stored);
          queueBooks.push(book);
          if (queue.length >= QUEUE) flush();
        },
      );
      flush();
      problems.sort((x, y) => x.line - y.line);
      if (options.expectedSha256 && options.expectedSha256 !== read.sha256) {
        throw new AppError('TL_IMPORT_CHANGED', `${name} changed since it was previewed (sha256 ${read.sha256.slice(0, 12)}…).`, {
          remedy: 'Preview the file again, then import it.',
          details: { file: name, sha256: read.sha256, expected: options.expectedSha256 },
        });
      }
      if (problems.length > 0 && !skipInvalid) throw new Abort('rejected');
      const rest: Book[] = [];
      for (const [book, b] of books) {
        const l = live.get(book);
        if (l?.ordered) {
          const open = l.builder.finish();
          if (open) l.writer.write(open);
          positionsRebuilt += l.writer.end();
        } else {
          // what a book built until its rows went back in time is stored (and ids given) before it is rebuilt
          l?.writer.end();
          rest.push(b);
        }
      }
      positionsRebuilt += rebuildBooks(ctx, rest);
      repo.finishImport(id, {
        sha256: read.sha256,
        bytes: read.bytes,
        rowsRead: read.rowsRead,
        executionsAdded: addedCount,
        duplicatesSkipped: duplicateCount,
        problems,
      });
      importId = id;
      if (dryRun) throw new Abort('preview');
    });
  } catch (err) {
    if (!(err instanceof Abort)) throw err;
    outcome = err.outcome;
  }
  const base = { file: filePath ?? name, sha256: read.sha256, bytes: read.bytes, rowsRead: read.rowsRead, rejected: problems };
  if (outcome === 'rejected') {
    // Rolled back; the attempt itself is recorded.
    const rejectedId = ctx.db.write(() => record('rejected'));
    return { ...base, importId: rejectedId, status: 'rejected', executionsAdded: 0, duplicatesSkipped: 0, positionsRebuilt: 0, books: [] };
  }
  const result: ImportFileResult = {
    ...base,
    importId: outcome === 'preview' ? null : importId,
    status: outcome,
    executionsAdded: addedCount,
    duplicatesSkipped: duplicateCount,
    positionsRebuilt,
    books: [...books.values()],
  };
  return outcome === 'preview' ? previewResult(result, added, duplicates, options.skipInvalid === true) : result;
}

/**
 * A preview's result says one thing: a file that would be rejected adds nothing (its counts are 0 and no row is
 * listed as added; what skipping the invalid rows would add is given apart, in `ifSkipInvalid`); otherwise the
 * rows to add and to skip.
 */
function previewResult(result: ImportFileResult, added: PreviewRow[], duplicates: DuplicateRow[], skipInvalid: boolean): ImportFileResult {
  const truncated = result.executionsAdded > added.length || result.duplicatesSkipped > duplicates.length;
  if (result.rejected.length === 0 || skipInvalid) {
    return { ...result, preview: { added, duplicates, truncated, wouldReject: false } };
  }
  return {
    ...result,
    executionsAdded: 0,
    duplicatesSkipped: 0,
    positionsRebuilt: 0,
    books: [],
    preview: {
      added: [],
      duplicates: [],
      truncated: false,
      wouldReject: true,
      ifSkipInvalid: {
        executionsAdded: result.executionsAdded,
        duplicatesSkipped: result.duplicatesSkipped,
        positionsRebuilt: result.positionsRebuilt,
      },
    },
  };
}

export interface UndoResult {
  importId: number;
  executionsRemoved: number;
  positionsRebuilt: number;
  books: Book[];
}

/** Remove exactly the executions an import added and rebuild the books they were in. */
export function undoImport(ctx: TradesContext, importId: number): UndoResult {
  const repo = createExecutionsRepo(ctx.db);
  return ctx.db.write(() => {
    const rec = repo.getImport(importId);
    if (!rec) {
      throw new AppError('TL_IMPORT_NOT_FOUND', `There is no import #${importId}.`, {
        remedy: 'List imports with "tradelog import --history" and use one of their ids.',
        details: { importId },
      });
    }
    if (rec.status !== 'imported') {
      throw new AppError('TL_IMPORT_NOT_UNDOABLE', `Import #${importId} (${rec.fileName}) was ${rec.status}; there is nothing to undo.`, {
        remedy: 'Only a successful import can be undone, once. Re-import the file to bring its executions back.',
        details: { importId, status: rec.status },
      });
    }
    const books = repo.booksOfImport(importId);
    const removed = repo.deleteOfImport(importId);
    const positionsRebuilt = rebuildBooks(ctx, books);
    repo.markUndone(importId);
    return { importId, executionsRemoved: removed, positionsRebuilt, books };
  });
}
