import type { Db } from '../db/open.js';
import { priceToUnits, unitsToPrice } from './money.js';
import type { ParsedExecution, RowProblem } from './ninjatrader.js';
import type { Action, BookExecution, Validity } from './positions.js';

/**
 * The `imports` and `executions` tables. Write methods expect to run inside the caller's `db.write()`
 * transaction (an import, its executions and the rebuilt positions commit together).
 */
export type ImportKind = 'ninjatrader' | 'legacy';
export type ImportStatus = 'imported' | 'rejected' | 'undone';

export interface ImportRecord {
  id: number;
  kind: ImportKind;
  fileName: string;
  filePath: string | null;
  sha256: string;
  bytes: number;
  status: ImportStatus;
  rowsRead: number;
  executionsAdded: number;
  duplicatesSkipped: number;
  rowsRejected: number;
  problems: RowProblem[];
  importedAt: number;
  undoneAt: number | null;
  /** The source format the file was read as (null for a legacy import). */
  format: string | null;
  /** The zone naive times were read in, as the preview showed it (`America/New_York (setting)`). */
  zone: string | null;
}

/** A stored execution: what was parsed, plus its row id, the price as stored and where it came from. */
export interface StoredExecution extends Omit<ParsedExecution, 'line'> {
  id: number;
  price: number;
  importId: number;
  /** Line in the CSV (for a legacy import: the old `trades` row id). */
  sourceLine: number | null;
  /** The source stated no costs for this fill (a fee schedule may fill them in). */
  costsMissing: boolean;
  /** An exit with nothing open in its book (paired with nothing). */
  orphan: boolean;
}

/** What an import writes for one execution (a parsed CSV row, or one made from a legacy row). */
export type NewExecution = Omit<ParsedExecution, 'line'> & { line: number | null };

/** What tells a repeated row from a different fill reusing its id, and where the stored one came from. */
export interface StoredFill {
  importId: number;
  sourceLine: number | null;
  action: Action;
  quantity: number;
  priceUnits: number;
  time: number;
}

export interface Book {
  account: string;
  contract: string;
}

const MAX_PROBLEMS_STORED = 1000;

/** Columns under their domain names, so rows need no mapping beyond the JSON and boolean fields. */
const IMPORT_COLUMNS = `id, kind, file_name AS fileName, file_path AS filePath, sha256, bytes, status, rows_read AS rowsRead,
  executions_added AS executionsAdded, duplicates_skipped AS duplicatesSkipped, rows_rejected AS rowsRejected, problems,
  imported_at AS importedAt, undone_at AS undoneAt, format, zone`;
const EXECUTION_COLUMNS = `id, account, exec_key AS key, native_id AS nativeId, instrument, contract, root, action, quantity, price,
  time, commission_cents AS commissionCents, validation, order_id AS orderId, import_id AS importId, source_line AS sourceLine,
  open_close AS openClose, format, fill_id AS fillId, derived, costs_missing AS costsMissing, orphan`;

function toImport(r: Omit<ImportRecord, 'problems'> & { problems: string }): ImportRecord {
  return { ...r, problems: JSON.parse(r.problems) as RowProblem[] };
}

function toExecution(
  r: Omit<StoredExecution, 'nativeId' | 'priceUnits' | 'costsMissing' | 'orphan'> & {
    nativeId: number;
    costsMissing: number;
    orphan: number;
  },
): StoredExecution {
  return {
    ...r,
    nativeId: r.nativeId === 1,
    priceUnits: priceToUnits(r.price),
    costsMissing: r.costsMissing === 1,
    orphan: r.orphan === 1,
  };
}

const INSERT_COLUMNS = `account, exec_key, native_id, instrument, contract, root, action, quantity, price, time, commission_cents,
  validation, order_id, import_id, source_line, format, fill_id, open_close, derived, cost_commission, cost_exchange, cost_clearing,
  cost_nfa, cost_platform, cost_other, costs_missing`;
const INSERT_COLUMN_COUNT = 26;
const INSERT_ROW = `(${new Array(INSERT_COLUMN_COUNT).fill('?').join(', ')})`;
/** Executions stored per statement by `insertMany` (about a fifth cheaper than a row at a time). */
export const INSERT_BATCH = 100;

/** Put one row's values into the parameters of a multi-row statement, as row `index` (rows of equal length). */
export function placeRow(args: unknown[], index: number, values: readonly unknown[]): void {
  const at = index * values.length;
  for (let k = 0; k < values.length; k++) args[at + k] = values[k];
}

/** The values of INSERT_COLUMNS for one execution. */
function executionRow(e: NewExecution, importId: number): unknown[] {
  const nativeId = e.nativeId ? 1 : 0;
  // without costs by kind, the commission is the one kind stated
  const costs = e.costs;
  return [
    e.account,
    e.key,
    nativeId,
    e.instrument,
    e.contract,
    e.root,
    e.action,
    e.quantity,
    unitsToPrice(e.priceUnits),
    e.time,
    e.commissionCents,
    e.validation,
    e.orderId,
    importId,
    e.line,
    e.format ?? null,
    e.fillId ?? null,
    e.openClose ?? null,
    e.derived ?? null,
    costs ? (costs.commission ?? null) : e.commissionCents,
    costs?.exchange ?? null,
    costs?.clearing ?? null,
    costs?.nfa ?? null,
    costs?.platform ?? null,
    costs?.other ?? null,
    e.costsMissing ? 1 : 0,
  ];
}

export function createExecutionsRepo(db: Db) {
  const c = db.conn;
  const insertImportStmt = c.prepare(
    `INSERT INTO imports (kind, file_name, file_path, sha256, bytes, status, rows_read, executions_added, duplicates_skipped,
       rows_rejected, problems, imported_at, format, zone)
     VALUES (@kind, @fileName, @filePath, @sha256, @bytes, @status, @rowsRead, @executionsAdded, @duplicatesSkipped,
       @rowsRejected, @problems, @importedAt, @format, @zone)`,
  );
  const finishImportStmt = c.prepare(
    `UPDATE imports SET sha256 = coalesce(@sha256, sha256), bytes = coalesce(@bytes, bytes), rows_read = @rowsRead,
       executions_added = @executionsAdded, duplicates_skipped = @duplicatesSkipped, rows_rejected = @rowsRejected,
       problems = @problems, format = coalesce(@format, format), zone = coalesce(@zone, zone) WHERE id = @id`,
  );
  const insertExecStmt = c.prepare(
    `INSERT INTO executions (${INSERT_COLUMNS}) VALUES ${INSERT_ROW} ON CONFLICT (account, exec_key) DO NOTHING`,
  );
  const insertBatchStmt = c.prepare(
    `INSERT INTO executions (${INSERT_COLUMNS}) VALUES ${new Array(INSERT_BATCH).fill(INSERT_ROW).join(', ')}
     ON CONFLICT (account, exec_key) DO NOTHING`,
  );
  const batchArgs: unknown[] = new Array(INSERT_BATCH * INSERT_COLUMN_COUNT);
  const idOfStmt = c.prepare('SELECT id, source_line FROM executions WHERE account = ? AND exec_key = ?').raw();
  const hasBookStmt = c.prepare('SELECT 1 FROM executions WHERE account = ? AND contract = ? LIMIT 1').pluck();
  const findStmt = c.prepare(`SELECT ${EXECUTION_COLUMNS} FROM executions WHERE account = ? AND exec_key = ?`);
  const fillStmt = c
    .prepare('SELECT import_id, source_line, action, quantity, price, time FROM executions WHERE account = ? AND exec_key = ?')
    .raw();
  const BOOK_COLUMNS = 'id, exec_key, action, quantity, price, time, commission_cents, validation, open_close, costs_missing';
  const bookStmt = c
    .prepare(
      `SELECT ${BOOK_COLUMNS} FROM executions
       WHERE account = ? AND contract = ? AND (time, id) > (?, ?) AND replaced_by IS NULL ORDER BY time, id LIMIT ?`,
    )
    .raw();
  // a book whose account has several spellings (account_aliases): one statement per number of spellings
  const multiBookStmts = new Map<number, ReturnType<typeof c.prepare>>();
  const multiBookStmt = (n: number) => {
    let stmt = multiBookStmts.get(n);
    if (!stmt) {
      stmt = c
        .prepare(
          `SELECT ${BOOK_COLUMNS} FROM executions
           WHERE account IN (${new Array(n).fill('?').join(', ')}) AND contract = ? AND (time, id) > (?, ?) AND replaced_by IS NULL
           ORDER BY time, id LIMIT ?`,
        )
        .raw();
      multiBookStmts.set(n, stmt);
    }
    return stmt;
  };
  const rangeStmt = c.prepare(
    `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE account = ? AND contract = ? AND (time, id) >= (?, ?) AND (time, id) <= (?, ?)
       AND replaced_by IS NULL ORDER BY time, id`,
  );
  const byIdStmt = c.prepare(`SELECT ${EXECUTION_COLUMNS} FROM executions WHERE id = ?`);
  const booksWithoutCostsStmt = c.prepare(
    'SELECT DISTINCT account, contract FROM executions WHERE account = ? AND costs_missing = 1 AND replaced_by IS NULL',
  );
  const booksOfImportStmt = c.prepare(
    'SELECT DISTINCT account, contract FROM executions WHERE import_id = ? UNION SELECT DISTINCT account, contract FROM executions WHERE replaced_by = ?',
  );
  const unreplaceStmt = c.prepare('UPDATE executions SET replaced_by = NULL WHERE replaced_by = ?');
  const hasDerivedStmt = c
    .prepare('SELECT 1 FROM executions WHERE account = ? AND contract = ? AND derived IS NOT NULL AND replaced_by IS NULL LIMIT 1')
    .pluck();
  const replaceStmt = c.prepare(
    `UPDATE executions SET replaced_by = @importId
     WHERE account = @account AND contract = @contract AND derived IS NOT NULL AND replaced_by IS NULL AND import_id != @importId
       AND (time BETWEEN @from AND @to OR fill_id IN (SELECT value FROM json_each(@fillIds))
         OR order_id IN (SELECT value FROM json_each(@orderIds)))`,
  );
  const coveringStmt = c
    .prepare(
      `SELECT import_id, source_line FROM executions
       WHERE account = @account AND derived IS NULL AND replaced_by IS NULL
         AND (fill_id = @fillId OR order_id = @orderId OR (contract = @contract AND time BETWEEN @from AND @to AND action IN (@a1, @a2)))
       LIMIT 1`,
    )
    .raw();
  const accountsOfFillStmt = c.prepare('SELECT DISTINCT account FROM executions WHERE fill_id = ? LIMIT 2').pluck();
  const clearOrphansStmt = c.prepare('UPDATE executions SET orphan = 0 WHERE account = ? AND contract = ? AND orphan = 1');
  const markOrphanStmt = c.prepare('UPDATE executions SET orphan = 1 WHERE id = ?');
  const orphansStmt = c.prepare(
    `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE orphan = 1 AND replaced_by IS NULL ORDER BY time, id LIMIT ?`,
  );
  const orphansOfImportStmt = c.prepare(
    `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE orphan = 1 AND import_id = ? AND replaced_by IS NULL ORDER BY time, id`,
  );
  const deleteOfImportStmt = c.prepare('DELETE FROM executions WHERE import_id = ?');
  const importStmt = c.prepare(`SELECT ${IMPORT_COLUMNS} FROM imports WHERE id = ?`);
  const importsStmt = c.prepare(`SELECT ${IMPORT_COLUMNS} FROM imports ORDER BY id DESC LIMIT ?`);
  const undoneStmt = c.prepare("UPDATE imports SET status = 'undone', undone_at = ? WHERE id = ?");
  const bySha = c.prepare(`SELECT ${IMPORT_COLUMNS} FROM imports WHERE sha256 = ? AND status != 'rejected' ORDER BY id DESC LIMIT 1`);
  const allBooksStmt = c.prepare('SELECT DISTINCT account, contract FROM executions');

  return {
    /** Start an import record; counts are filled in by `finishImport`. */
    insertImport(
      rec: Pick<ImportRecord, 'kind' | 'fileName' | 'filePath' | 'sha256' | 'bytes' | 'status'> &
        Partial<Pick<ImportRecord, 'rowsRead' | 'executionsAdded' | 'duplicatesSkipped' | 'problems' | 'format' | 'zone'>>,
    ): number {
      const problems = rec.problems ?? [];
      const info = insertImportStmt.run({
        kind: rec.kind,
        fileName: rec.fileName,
        filePath: rec.filePath,
        sha256: rec.sha256,
        bytes: rec.bytes,
        status: rec.status,
        rowsRead: rec.rowsRead ?? 0,
        executionsAdded: rec.executionsAdded ?? 0,
        duplicatesSkipped: rec.duplicatesSkipped ?? 0,
        rowsRejected: problems.length,
        problems: JSON.stringify(problems.slice(0, MAX_PROBLEMS_STORED)),
        importedAt: Date.now(),
        format: rec.format ?? null,
        zone: rec.zone ?? null,
      });
      return Number(info.lastInsertRowid);
    },

    finishImport(
      id: number,
      counts: {
        sha256?: string;
        bytes?: number;
        rowsRead: number;
        executionsAdded: number;
        duplicatesSkipped: number;
        problems: RowProblem[];
        format?: string | null;
        zone?: string | null;
      },
    ): void {
      finishImportStmt.run({
        id,
        sha256: counts.sha256 ?? null,
        bytes: counts.bytes ?? null,
        rowsRead: counts.rowsRead,
        executionsAdded: counts.executionsAdded,
        duplicatesSkipped: counts.duplicatesSkipped,
        rowsRejected: counts.problems.length,
        problems: JSON.stringify(counts.problems.slice(0, MAX_PROBLEMS_STORED)),
        format: counts.format ?? null,
        zone: counts.zone ?? null,
      });
    },

    /** Insert one execution; its row id, or 0 when (account, key) is already stored. */
    insert(e: NewExecution, importId: number): number {
      const info = insertExecStmt.run(executionRow(e, importId));
      return info.changes === 1 ? Number(info.lastInsertRowid) : 0;
    },

    /**
     * Insert executions of one file (their lines differ), INSERT_BATCH to a statement: their row ids in order,
     * 0 for one whose (account, key) is already stored (also by an earlier row of the same call).
     */
    insertMany(rows: readonly NewExecution[], importId: number): number[] {
      const ids: number[] = new Array(rows.length);
      let i = 0;
      for (; i + INSERT_BATCH <= rows.length; i += INSERT_BATCH) {
        for (let j = 0; j < INSERT_BATCH; j++) placeRow(batchArgs, j, executionRow(rows[i + j] as NewExecution, importId));
        const info = insertBatchStmt.run(batchArgs);
        // The rows one statement inserts get consecutive ids in their order (each one above the largest id).
        const last = Number(info.lastInsertRowid);
        const first = last - info.changes + 1;
        const idOf = (e: NewExecution) => {
          const r = idOfStmt.get(e.account, e.key) as [number, number | null] | undefined;
          return r && r[0] >= first && r[0] <= last && r[1] === e.line ? r[0] : 0;
        };
        if (info.changes === INSERT_BATCH && idOf(rows[i] as NewExecution) === first) {
          for (let j = 0; j < INSERT_BATCH; j++) ids[i + j] = first + j;
        } else {
          for (let j = 0; j < INSERT_BATCH; j++) ids[i + j] = idOf(rows[i + j] as NewExecution);
        }
      }
      for (; i < rows.length; i++) ids[i] = this.insert(rows[i] as NewExecution, importId);
      return ids;
    },

    /** True when the book has at least one execution. */
    hasBook(account: string, contract: string): boolean {
      return hasBookStmt.get(account, contract) === 1;
    },

    find(account: string, key: string): StoredExecution | undefined {
      const r = findStmt.get(account, key) as Parameters<typeof toExecution>[0] | undefined;
      return r && toExecution(r);
    },

    /** The stored fill of (account, key), if any: one indexed lookup, no more columns than a duplicate check needs. */
    storedFill(account: string, key: string): StoredFill | undefined {
      const r = fillStmt.get(account, key) as [number, number | null, Action, number, number, number] | undefined;
      return r && { importId: r[0], sourceLine: r[1], action: r[2], quantity: r[3], priceUnits: priceToUnits(r[4]), time: r[5] };
    },

    byId(id: number): StoredExecution | undefined {
      const r = byIdStmt.get(id) as Parameters<typeof toExecution>[0] | undefined;
      return r && toExecution(r);
    },

    /** A book's executions in builder order (time, id), a page at a time: those after `after`, at most `limit`. */
    bookPage(
      account: string | readonly string[],
      contract: string,
      after: { time: number; id: number } | null,
      limit: number,
    ): BookExecution[] {
      const time = after?.time ?? Number.MIN_SAFE_INTEGER;
      const id = after?.id ?? 0;
      const spellings = typeof account === 'string' ? [account] : account;
      const raw =
        spellings.length === 1
          ? bookStmt.all(spellings[0], contract, time, id, limit)
          : multiBookStmt(spellings.length).all([...spellings, contract, time, id, limit]);
      const rows = raw as [number, string, Action, number, number, number, number, Validity | null, 'open' | 'close' | null, number][];
      const out: BookExecution[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as (typeof rows)[number];
        out[i] = {
          id: r[0],
          key: r[1],
          action: r[2],
          quantity: r[3],
          priceUnits: priceToUnits(r[4]),
          time: r[5],
          commissionCents: r[6],
          validation: r[7],
          openClose: r[8],
          costsMissing: r[9] === 1,
        };
      }
      return out;
    },

    /** Every execution of a book (one account spelling, or all of an account's), in builder order, a page at a time. */
    *book(account: string | readonly string[], contract: string, pageSize = 10_000): Generator<BookExecution> {
      let after: BookExecution | undefined;
      for (;;) {
        const page = this.bookPage(account, contract, after ?? null, pageSize);
        yield* page;
        if (page.length < pageSize) return;
        after = page[page.length - 1];
      }
    },

    /** The executions of a book from `first` to `last` inclusive, in builder order. */
    range(
      account: string | readonly string[],
      contract: string,
      first: { id: number; time: number },
      last: { id: number; time: number },
    ): StoredExecution[] {
      const spellings = typeof account === 'string' ? [account] : account;
      const out: StoredExecution[] = [];
      for (const s of spellings) {
        for (const r of rangeStmt.all(s, contract, first.time, first.id, last.time, last.id) as Parameters<typeof toExecution>[0][])
          out.push(toExecution(r));
      }
      return spellings.length === 1 ? out : out.sort((a, b) => a.time - b.time || a.id - b.id);
    },

    /** The books (account spelling, contract) holding fills whose source stated no costs, of these spellings. */
    booksWithoutCosts(spellings: readonly string[]): Book[] {
      const out: Book[] = [];
      for (const s of spellings) out.push(...(booksWithoutCostsStmt.all(s) as Book[]));
      return out;
    },

    /** The books an import added fills to or replaced derived fills in. */
    booksOfImport(importId: number): Book[] {
      return booksOfImportStmt.all(importId, importId) as Book[];
    },

    /** Bring back the derived fills an import replaced (its undo); their number. */
    unreplace(importId: number): number {
      return unreplaceStmt.run(importId).changes;
    },

    /** True when the book holds derived fills still in use. */
    hasDerived(account: string, contract: string): boolean {
      return hasDerivedStmt.get(account, contract) === 1;
    },

    /**
     * Mark as replaced by `importId` the derived fills of a book that fill-level data of that import covers: those
     * within its time span in the book, or naming one of its fill or order ids. Their number.
     */
    replaceDerived(
      importId: number,
      book: Book,
      span: { from: number; to: number },
      fillIds: readonly string[],
      orderIds: readonly string[],
    ): number {
      return replaceStmt.run({
        importId,
        account: book.account,
        contract: book.contract,
        from: span.from,
        to: span.to,
        fillIds: JSON.stringify(fillIds),
        orderIds: JSON.stringify(orderIds),
      }).changes;
    },

    /**
     * The stored fill-level data that covers a derived fill: a fill (not derived, not replaced) of the account with
     * its fill id or order id, or of its book on the same side within `slackMs` of its time.
     */
    coveringFill(
      e: { account: string; contract: string; fillId: string | null; orderId: string | null; time: number; buy: boolean },
      slackMs: number,
    ): { importId: number; sourceLine: number | null } | undefined {
      const r = coveringStmt.get({
        account: e.account,
        contract: e.contract,
        fillId: e.fillId,
        orderId: e.orderId,
        from: e.time - slackMs,
        to: e.time + slackMs,
        a1: e.buy ? 'Buy' : 'Sell',
        a2: e.buy ? 'BuyToCover' : 'SellShort',
      }) as [number, number | null] | undefined;
      return r && { importId: r[0], sourceLine: r[1] };
    },

    /** The accounts holding a fill with this source fill id (at most two: enough to tell one from several). */
    accountsOfFill(fillId: string): string[] {
      return accountsOfFillStmt.all(fillId) as string[];
    },

    /**
     * Record the orphan exits of a book as its builder found them (the book's earlier marks are cleared): the book
     * of one account spelling, or of all the spellings of a registry account.
     */
    setOrphans(book: { account: string | readonly string[]; contract: string }, ids: readonly number[]): void {
      for (const s of typeof book.account === 'string' ? [book.account] : book.account) clearOrphansStmt.run(s, book.contract);
      for (const id of ids) markOrphanStmt.run(id);
    },

    orphans(limit = 500): StoredExecution[] {
      return (orphansStmt.all(limit) as Parameters<typeof toExecution>[0][]).map(toExecution);
    },

    orphansOfImport(importId: number): StoredExecution[] {
      return (orphansOfImportStmt.all(importId) as Parameters<typeof toExecution>[0][]).map(toExecution);
    },

    allBooks(): Book[] {
      return allBooksStmt.all() as Book[];
    },

    deleteOfImport(importId: number): number {
      return deleteOfImportStmt.run(importId).changes;
    },

    markUndone(importId: number): void {
      undoneStmt.run(Date.now(), importId);
    },

    getImport(id: number): ImportRecord | undefined {
      const r = importStmt.get(id) as Parameters<typeof toImport>[0] | undefined;
      return r && toImport(r);
    },

    /** The latest import (not rejected) of a file with this content. */
    findImportBySha(sha256: string): ImportRecord | undefined {
      const r = bySha.get(sha256) as Parameters<typeof toImport>[0] | undefined;
      return r && toImport(r);
    },

    listImports(limit = 200): ImportRecord[] {
      return (importsStmt.all(limit) as Parameters<typeof toImport>[0][]).map(toImport);
    },
  };
}

export type ExecutionsRepo = ReturnType<typeof createExecutionsRepo>;
