import path from 'node:path';
import { AppError } from '../errors.js';
import { type Book, createExecutionsRepo } from './executions.repo.js';
import { unitsToPrice } from './money.js';
import {
  type CsvSource,
  type DuplicateRow,
  fillSignature,
  type ParsedExecution,
  parseNinjaTraderCsv,
  type RowProblem,
} from './ninjatrader.js';
import type { BookExecution } from './positions.js';
import { bookId, rebuildBooks, type TradesContext } from './rebuild.js';
import type { DstResolution } from './time.js';
import { zoneOffsets } from './zone.js';

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
  /** Preview only: the rows that would be added and skipped; `wouldReject` when the file would be rejected whole. */
  preview?: { added: PreviewRow[]; duplicates: DuplicateRow[]; truncated: boolean; wouldReject: boolean };
}

export type ImportSource = ({ path: string } | { name: string; content: Buffer | string }) & { name?: string };

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

/** Import (or preview) one NinjaTrader CSV. */
export async function importNinjaTraderFile(
  ctx: TradesContext,
  source: ImportSource,
  options: ImportOptions = {},
): Promise<ImportFileResult> {
  const name = source.name ?? ('path' in source ? path.basename(source.path) : 'upload.csv');
  const filePath = 'path' in source ? path.resolve(source.path) : null;
  const csv: CsvSource = 'path' in source ? { path: source.path } : { content: source.content };
  const repo = createExecutionsRepo(ctx.db);
  const dryRun = options.dryRun === true;

  const parsed = await parseNinjaTraderCsv(csv, { registry: ctx.registry, zone: zoneOffsets(ctx.zone), dst: options.dst ?? 'reject' });
  if (options.expectedSha256 && options.expectedSha256 !== parsed.sha256) {
    throw new AppError('TL_IMPORT_CHANGED', `${name} changed since it was previewed (sha256 ${parsed.sha256.slice(0, 12)}…).`, {
      status: 409,
      remedy: 'Preview the file again, then import it.',
      details: { file: name, sha256: parsed.sha256, expected: options.expectedSha256 },
    });
  }
  const result: ImportFileResult = {
    file: filePath ?? name,
    importId: null,
    status: dryRun ? 'preview' : 'imported',
    sha256: parsed.sha256,
    bytes: parsed.bytes,
    rowsRead: parsed.rowsRead,
    executionsAdded: 0,
    duplicatesSkipped: parsed.duplicates.length,
    rejected: parsed.problems,
    positionsRebuilt: 0,
    books: [],
  };
  if (options.skipKnownContent && !dryRun) {
    const known = repo.findImportBySha(parsed.sha256);
    if (known) return { ...result, status: 'unchanged', importId: known.id, duplicatesSkipped: 0, rejected: [] };
  }
  const record = (status: 'imported' | 'rejected', problems: RowProblem[]) =>
    repo.insertImport({
      kind: 'ninjatrader',
      fileName: name,
      filePath,
      sha256: parsed.sha256,
      bytes: parsed.bytes,
      status,
      rowsRead: parsed.rowsRead,
      duplicatesSkipped: status === 'rejected' ? 0 : result.duplicatesSkipped,
      problems,
    });

  // A preview always runs as if invalid rows were skipped, so it can show all three: added, duplicate, rejected.
  const skipInvalid = options.skipInvalid === true || dryRun;
  if (parsed.problems.length > 0 && !skipInvalid) {
    result.importId = ctx.db.write(() => record('rejected', parsed.problems));
    result.status = 'rejected';
    result.duplicatesSkipped = 0;
    return result;
  }

  const limit = options.previewLimit ?? 1000;
  const added: ParsedExecution[] = [];
  const duplicates: DuplicateRow[] = [...parsed.duplicates];
  let problems: RowProblem[] = parsed.problems;
  try {
    ctx.db.write(() => {
      const importId = record('imported', []);
      // Books this file starts: their executions are all in hand, the rebuild need not read them back.
      const fresh = new Map<string, BookExecution[]>();
      const checked = new Set<string>();
      for (const row of parsed.rows) {
        const id = bookId(row);
        if (checked.has(id)) continue;
        checked.add(id);
        if (!repo.hasBook(row.account, row.contract)) fresh.set(id, []);
      }
      const books = new Map<string, Book>();
      const conflicts: RowProblem[] = [];
      for (const row of parsed.rows) {
        const rowId = repo.insert(row, importId);
        if (rowId) {
          added.push(row);
          const id = bookId(row);
          books.set(id, { account: row.account, contract: row.contract });
          fresh.get(id)?.push({
            id: rowId,
            key: row.key,
            action: row.action,
            quantity: row.quantity,
            priceUnits: row.priceUnits,
            time: row.time,
            commissionCents: row.commissionCents,
            validation: row.validation,
          });
          continue;
        }
        const stored = repo.find(row.account, row.key);
        if (stored && fillSignature(stored) === fillSignature(row)) {
          duplicates.push({
            line: row.line,
            key: row.key,
            reason: `already stored (import #${stored.importId}${stored.sourceLine ? `, line ${stored.sourceLine}` : ''})`,
          });
        } else {
          conflicts.push({
            line: row.line,
            reason: `execution id ${row.key} of account ${row.account} is already stored with a different fill (import #${stored?.importId})`,
          });
        }
      }
      problems = [...parsed.problems, ...conflicts].sort((a, b) => a.line - b.line);
      if (conflicts.length > 0 && !skipInvalid) throw new Abort('rejected');
      result.books = [...books.values()];
      result.positionsRebuilt = rebuildBooks(ctx, result.books, fresh);
      result.executionsAdded = added.length;
      result.duplicatesSkipped = duplicates.length;
      result.rejected = problems;
      repo.finishImport(importId, {
        rowsRead: parsed.rowsRead,
        executionsAdded: added.length,
        duplicatesSkipped: duplicates.length,
        problems,
      });
      result.importId = importId;
      if (dryRun) throw new Abort('preview');
    });
  } catch (err) {
    if (!(err instanceof Abort)) throw err;
    if (err.outcome === 'rejected') {
      result.status = 'rejected';
      result.rejected = problems;
      result.executionsAdded = 0;
      result.duplicatesSkipped = 0;
      result.positionsRebuilt = 0;
      result.books = [];
      result.importId = ctx.db.write(() => record('rejected', problems));
      return result;
    }
    result.importId = null;
    result.preview = {
      added: added.slice(0, limit).map(previewRow),
      duplicates: duplicates.slice(0, limit),
      truncated: added.length > limit || duplicates.length > limit,
      wouldReject: problems.length > 0 && !options.skipInvalid,
    };
  }
  return result;
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
        status: 404,
        remedy: 'List imports with "tradelog import --history" and use one of their ids.',
        details: { importId },
      });
    }
    if (rec.status !== 'imported') {
      throw new AppError('TL_IMPORT_NOT_UNDOABLE', `Import #${importId} (${rec.fileName}) was ${rec.status}; there is nothing to undo.`, {
        status: 409,
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
