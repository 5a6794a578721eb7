import type { Db } from '../db/open.js';
import type { ImportRecord } from './executions.repo.js';
import type { RowProblem } from './ninjatrader.js';
import type { Action, Validity } from './positions.js';

/**
 * The trades tables read whole and written back whole, for the journal export and `import-export`
 * (src/trades/transfer.ts). Rows come out as stored (ids, keys, cents, epoch ms), a page at a time in id order so a
 * large journal is never one array; the write methods put rows back with their own ids and run inside the caller's
 * `db.write()`.
 */
/** An `imports` row as stored: an import record whose kind and status are read back as text. */
export type ImportRow = Omit<ImportRecord, 'kind' | 'status'> & { kind: string; status: string };

export interface ExecutionRow {
  id: number;
  account: string;
  key: string;
  nativeId: boolean;
  instrument: string;
  contract: string;
  root: string;
  action: Action;
  quantity: number;
  price: number;
  time: number;
  commissionCents: number;
  validation: Validity | null;
  orderId: string | null;
  importId: number;
  sourceLine: number | null;
  format: string | null;
  fillId: string | null;
  openClose: 'open' | 'close' | null;
  derived: 'round-trip' | 'order' | null;
  replacedBy: number | null;
  /** Costs by kind in cents (null: the source did not state that kind). */
  costs: Record<CostKind, number | null>;
  costsMissing: boolean;
}

export const COST_KINDS = ['commission', 'exchange', 'clearing', 'nfa', 'platform', 'other'] as const;
export type CostKind = (typeof COST_KINDS)[number];

export interface PositionIdRow {
  id: number;
  /** account ␟ contract ␟ opening execution key (positions.ts `positionKey`). */
  key: string;
}

/** The trader's data on one position id: whichever of note, tags and flags it has. */
export interface JournalRow {
  positionId: number;
  key: string;
  note: { text: string; updatedAt: number } | null;
  tags: { tag: string; createdAt: number }[];
  flags: { reviewed: boolean; validity: Validity | null; updatedAt: number } | null;
}

export interface TradesCounts {
  imports: number;
  executions: number;
  positionIds: number;
  positions: number;
  openPositions: number;
  netCents: number;
  notes: number;
  tags: number;
  flags: number;
}

const EXECUTION_COLUMNS = `id, account, exec_key, native_id, instrument, contract, root, action, quantity, price, time, commission_cents,
  validation, order_id, import_id, source_line, format, fill_id, open_close, derived, replaced_by, cost_commission, cost_exchange,
  cost_clearing, cost_nfa, cost_platform, cost_other, costs_missing`;
const EXECUTION_COLUMN_COUNT = 28;
/** Executions per insert statement (28 × 200 parameters, under SQLite's limit of 32,766). */
const EXECUTION_BATCH = 200;
const EXECUTION_ROW = `(${new Array(EXECUTION_COLUMN_COUNT).fill('?').join(', ')})`;

type RawExecution = [
  number,
  string,
  string,
  number,
  string,
  string,
  string,
  Action,
  number,
  number,
  number,
  number,
  Validity | null,
  string | null,
  number,
  number | null,
  string | null,
  string | null,
  'open' | 'close' | null,
  'round-trip' | 'order' | null,
  number | null,
  number | null,
  number | null,
  number | null,
  number | null,
  number | null,
  number | null,
  number,
];

function executionValues(e: ExecutionRow): unknown[] {
  return [
    e.id,
    e.account,
    e.key,
    e.nativeId ? 1 : 0,
    e.instrument,
    e.contract,
    e.root,
    e.action,
    e.quantity,
    e.price,
    e.time,
    e.commissionCents,
    e.validation,
    e.orderId,
    e.importId,
    e.sourceLine,
    e.format,
    e.fillId,
    e.openClose,
    e.derived,
    e.replacedBy,
    ...COST_KINDS.map((k) => e.costs[k]),
    e.costsMissing ? 1 : 0,
  ];
}

export function createTransferRepo(db: Db) {
  const c = db.conn;
  const importsPage = c.prepare(
    `SELECT id, kind, file_name AS fileName, file_path AS filePath, sha256, bytes, status, rows_read AS rowsRead,
       executions_added AS executionsAdded, duplicates_skipped AS duplicatesSkipped, rows_rejected AS rowsRejected, problems,
       imported_at AS importedAt, undone_at AS undoneAt, format, zone
     FROM imports WHERE id > ? ORDER BY id LIMIT ?`,
  );
  const executionsPage = c.prepare(`SELECT ${EXECUTION_COLUMNS} FROM executions WHERE id > ? ORDER BY id LIMIT ?`).raw();
  const positionIdsPage = c.prepare('SELECT id, key FROM position_ids WHERE id > ? ORDER BY id LIMIT ?');
  // every position id with a note, a tag or flags, with all three (tags as [[tag, created_at], …] in tag order)
  const journalPage = c
    .prepare(
      `SELECT i.id, i.key, n.note, n.updated_at, f.reviewed, f.validity, f.updated_at,
         (SELECT json_group_array(json_array(tag, created_at) ORDER BY tag) FROM position_tags t WHERE t.position_id = i.id)
       FROM position_ids i
       LEFT JOIN position_notes n ON n.position_id = i.id
       LEFT JOIN position_flags f ON f.position_id = i.id
       WHERE i.id > ? AND (n.position_id IS NOT NULL OR f.position_id IS NOT NULL
         OR EXISTS (SELECT 1 FROM position_tags t WHERE t.position_id = i.id))
       ORDER BY i.id LIMIT ?`,
    )
    .raw();
  const countsStmt = c.prepare(
    `SELECT (SELECT count(*) FROM imports) AS imports, (SELECT count(*) FROM executions) AS executions,
       (SELECT count(*) FROM position_ids) AS positionIds, (SELECT count(*) FROM positions) AS positions,
       (SELECT count(*) FROM positions WHERE status = 'open') AS openPositions,
       (SELECT coalesce(sum(net_cents), 0) FROM positions) AS netCents,
       (SELECT count(*) FROM position_notes) AS notes, (SELECT count(*) FROM position_tags) AS tags,
       (SELECT count(*) FROM position_flags) AS flags`,
  );
  const insertImport = c.prepare(
    `INSERT INTO imports (id, kind, file_name, file_path, sha256, bytes, status, rows_read, executions_added, duplicates_skipped,
       rows_rejected, problems, imported_at, undone_at, format, zone)
     VALUES (@id, @kind, @fileName, @filePath, @sha256, @bytes, @status, @rowsRead, @executionsAdded, @duplicatesSkipped,
       @rowsRejected, @problems, @importedAt, @undoneAt, @format, @zone)`,
  );
  const insertExecution = c.prepare(`INSERT INTO executions (${EXECUTION_COLUMNS}) VALUES ${EXECUTION_ROW}`);
  const insertExecutionBatch = c.prepare(
    `INSERT INTO executions (${EXECUTION_COLUMNS}) VALUES ${new Array(EXECUTION_BATCH).fill(EXECUTION_ROW).join(', ')}`,
  );
  const insertPositionId = c.prepare('INSERT INTO position_ids (id, key) VALUES (?, ?)');
  const newPositionId = c.prepare('INSERT INTO position_ids (key) VALUES (?)');
  const idOfKey = c.prepare('SELECT id FROM position_ids WHERE key = ?').pluck();
  const insertNote = c.prepare('INSERT INTO position_notes (position_id, note, updated_at) VALUES (?, ?, ?)');
  const insertTag = c.prepare('INSERT INTO position_tags (position_id, tag, created_at) VALUES (?, ?, ?)');
  const insertFlags = c.prepare('INSERT INTO position_flags (position_id, reviewed, validity, updated_at) VALUES (?, ?, ?, ?)');
  const batchArgs: unknown[] = new Array(EXECUTION_BATCH * EXECUTION_COLUMN_COUNT);

  return {
    counts(): TradesCounts {
      return countsStmt.get() as TradesCounts;
    },

    importsPage(afterId: number, limit: number): ImportRow[] {
      return (importsPage.all(afterId, limit) as (Omit<ImportRow, 'problems'> & { problems: string })[]).map((r) => ({
        ...r,
        problems: JSON.parse(r.problems) as RowProblem[],
      }));
    },

    executionsPage(afterId: number, limit: number): ExecutionRow[] {
      const rows = executionsPage.all(afterId, limit) as RawExecution[];
      const out: ExecutionRow[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as RawExecution;
        out[i] = {
          id: r[0],
          account: r[1],
          key: r[2],
          nativeId: r[3] === 1,
          instrument: r[4],
          contract: r[5],
          root: r[6],
          action: r[7],
          quantity: r[8],
          price: r[9],
          time: r[10],
          commissionCents: r[11],
          validation: r[12],
          orderId: r[13],
          importId: r[14],
          sourceLine: r[15],
          format: r[16],
          fillId: r[17],
          openClose: r[18],
          derived: r[19],
          replacedBy: r[20],
          costs: { commission: r[21], exchange: r[22], clearing: r[23], nfa: r[24], platform: r[25], other: r[26] },
          costsMissing: r[27] === 1,
        };
      }
      return out;
    },

    positionIdsPage(afterId: number, limit: number): PositionIdRow[] {
      return positionIdsPage.all(afterId, limit) as PositionIdRow[];
    },

    journalPage(afterId: number, limit: number): JournalRow[] {
      const rows = journalPage.all(afterId, limit) as [
        number,
        string,
        string | null,
        number | null,
        number | null,
        Validity | null,
        number | null,
        string,
      ][];
      return rows.map((r) => ({
        positionId: r[0],
        key: r[1],
        note: r[2] === null ? null : { text: r[2], updatedAt: r[3] as number },
        tags: (JSON.parse(r[7]) as [string, number][]).map(([tag, createdAt]) => ({ tag, createdAt })),
        flags: r[6] === null ? null : { reviewed: r[4] === 1, validity: r[5], updatedAt: r[6] },
      }));
    },

    insertImport(r: ImportRow): void {
      insertImport.run({ ...r, problems: JSON.stringify(r.problems) });
    },

    /** Executions with their own ids, EXECUTION_BATCH to a statement. */
    insertExecutions(rows: readonly ExecutionRow[]): void {
      let i = 0;
      for (; i + EXECUTION_BATCH <= rows.length; i += EXECUTION_BATCH) {
        for (let j = 0; j < EXECUTION_BATCH; j++) {
          const values = executionValues(rows[i + j] as ExecutionRow);
          for (let k = 0; k < EXECUTION_COLUMN_COUNT; k++) batchArgs[j * EXECUTION_COLUMN_COUNT + k] = values[k];
        }
        insertExecutionBatch.run(batchArgs);
      }
      for (; i < rows.length; i++) insertExecution.run(executionValues(rows[i] as ExecutionRow));
    },

    insertPositionId(id: number, key: string): void {
      insertPositionId.run(id, key);
    },

    /** The id of a position key, given a new one when the key has none yet. */
    positionIdOf(key: string): number {
      const id = idOfKey.get(key) as number | undefined;
      return id ?? Number(newPositionId.run(key).lastInsertRowid);
    },

    insertJournal(positionId: number, j: Pick<JournalRow, 'note' | 'tags' | 'flags'>): void {
      if (j.note) insertNote.run(positionId, j.note.text, j.note.updatedAt);
      for (const t of j.tags) insertTag.run(positionId, t.tag, t.createdAt);
      if (j.flags) insertFlags.run(positionId, j.flags.reviewed ? 1 : 0, j.flags.validity, j.flags.updatedAt);
    },
  };
}

export type TransferRepo = ReturnType<typeof createTransferRepo>;
