import { tradingDay } from '../calendar/sessions.js';
import type { Db } from '../db/open.js';
import { placeRow } from './executions.repo.js';
import { unitsToPrice } from './money.js';
import type { BuiltPosition, Validity } from './positions.js';
import type { StatsPosition } from './stats.js';

/**
 * The `positions` table and the stable id map `position_ids`.
 *
 * A position's identity is its key (account, contract, opening execution). A book's writer (`beginBook`) gives every
 * built position the id its key had before; a position whose key is new but which contains the opening execution of a
 * position that vanished in this rebuild (an earlier fill arrived later and moved the boundary) inherits that
 * id (or, failing that, one holding its last execution), so the trader's notes, tags and flags follow the trade. Ids are never reused for anything else.
 * Write methods run inside the caller's `db.write()`.
 */
export interface PositionRecord
  extends Pick<
    BuiltPosition,
    | 'account'
    | 'contract'
    | 'root'
    | 'side'
    | 'status'
    | 'openedAt'
    | 'closedAt'
    | 'maxQuantity'
    | 'openQuantity'
    | 'entryQuantity'
    | 'exitQuantity'
    | 'grossCents'
    | 'commissionCents'
    | 'netCents'
    | 'pointValue'
    | 'executionCount'
    | 'firstExecId'
    | 'lastExecId'
  > {
  id: number;
  tradingDay: string;
  avgEntryPrice: number;
  avgExitPrice: number | null;
  pointsPnl: number;
  firstExecQuantity: number;
  firstExecCommissionCents: number;
  execValidity: BuiltPosition['validity'];
  /** Journal data joined in. */
  reviewed: boolean;
  /** The trader's verdict when set, else the executions' TradeValidation aggregate. */
  validity: Validity | 'mixed' | null;
  tags: string[];
  hasNote: boolean;
}

export interface BookWriter {
  write(position: BuiltPosition): void;
  /** Finish the book; returns the number of positions written. */
  end(): number;
}

export interface PositionQuery {
  account?: string;
  root?: string;
  contract?: string;
  /** Trading days, inclusive (`YYYY-MM-DD`). */
  fromDay?: string;
  toDay?: string;
  status?: 'open' | 'closed';
  tag?: string;
  /** Only positions after this one in list order (opened_at, id): the next page without an OFFSET to skip. */
  after?: { openedAt: number; id: number };
  /** Only positions before this one in list order (opened_at, id): a position's neighbour on the other side. */
  before?: { openedAt: number; id: number };
  /** Newest first (opened_at, id descending); with `before` and `limit: 1`, the position just before. */
  descending?: boolean;
  limit?: number;
  offset?: number;
}

/** The columns statistics need, as read for 100,000 positions. */
export type PositionStatsRow = StatsPosition;

type Row = Omit<PositionRecord, 'reviewed' | 'validity' | 'tags' | 'hasNote'> & {
  reviewed: number | null;
  userValidity: Validity | null;
  tags: string | null;
  hasNote: number;
};

function toRecord(r: Row): PositionRecord {
  const { userValidity, ...rest } = r;
  return {
    ...rest,
    reviewed: r.reviewed === 1,
    validity: userValidity ?? r.execValidity,
    tags: r.tags ? r.tags.split('\u001f').sort() : [],
    hasNote: r.hasNote === 1,
  };
}

/** Columns under their domain names, with the journal data joined in. */
const SELECT = `SELECT p.id, p.account, p.contract, p.root, p.side, p.status, p.opened_at AS openedAt, p.closed_at AS closedAt,
  p.trading_day AS tradingDay, p.max_quantity AS maxQuantity, p.open_quantity AS openQuantity, p.entry_quantity AS entryQuantity,
  p.exit_quantity AS exitQuantity, p.avg_entry_price AS avgEntryPrice, p.avg_exit_price AS avgExitPrice, p.points_pnl AS pointsPnl,
  p.gross_cents AS grossCents, p.commission_cents AS commissionCents, p.net_cents AS netCents, p.point_value AS pointValue,
  p.execution_count AS executionCount, p.first_exec_id AS firstExecId, p.last_exec_id AS lastExecId,
  p.first_exec_quantity AS firstExecQuantity, p.first_exec_commission_cents AS firstExecCommissionCents,
  p.exec_validity AS execValidity, f.reviewed AS reviewed, f.validity AS userValidity,
  (SELECT group_concat(tag, char(31)) FROM position_tags t WHERE t.position_id = p.id) AS tags,
  EXISTS (SELECT 1 FROM position_notes n WHERE n.position_id = p.id) AS hasNote
  FROM positions p LEFT JOIN position_flags f ON f.position_id = p.id`;

function where(q: PositionQuery): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    if (value === undefined) return;
    parts.push(sql);
    params.push(value);
  };
  add('p.account = ?', q.account);
  add('p.root = ?', q.root);
  add('p.contract = ?', q.contract);
  add('p.trading_day >= ?', q.fromDay);
  add('p.trading_day <= ?', q.toDay);
  add('p.status = ?', q.status);
  add('EXISTS (SELECT 1 FROM position_tags t WHERE t.position_id = p.id AND t.tag = ?)', q.tag);
  if (q.after) {
    parts.push('(p.opened_at, p.id) > (?, ?)');
    params.push(q.after.openedAt, q.after.id);
  }
  if (q.before) {
    parts.push('(p.opened_at, p.id) < (?, ?)');
    params.push(q.before.openedAt, q.before.id);
  }
  return { sql: parts.length ? ` WHERE ${parts.join(' AND ')}` : '', params };
}

const POSITION_COLUMNS = `id, account, contract, root, side, status, opened_at, closed_at, trading_day, max_quantity,
  open_quantity, entry_quantity, exit_quantity, avg_entry_price, avg_exit_price, points_pnl, gross_cents,
  commission_cents, net_cents, point_value, execution_count, first_exec_id, last_exec_id, first_exec_quantity,
  first_exec_commission_cents, exec_validity`;
const COLUMN_COUNT = 26;
const ROW = `(${new Array(COLUMN_COUNT).fill('?').join(', ')})`;
/** Positions stored per statement (26 × 50 parameters, well under SQLite's limit). */
const BATCH = 50;

/** The values of POSITION_COLUMNS for one position. */
function positionRow(id: number, b: BuiltPosition): unknown[] {
  const avgExit = b.avgExitUnits === null ? null : unitsToPrice(b.avgExitUnits);
  return [
    id,
    b.account,
    b.contract,
    b.root,
    b.side,
    b.status,
    b.openedAt,
    b.closedAt,
    tradingDay(b.closedAt ?? b.openedAt),
    b.maxQuantity,
    b.openQuantity,
    b.entryQuantity,
    b.exitQuantity,
    unitsToPrice(b.avgEntryUnits),
    avgExit,
    unitsToPrice(b.pointsUnits),
    b.grossCents,
    b.commissionCents,
    b.netCents,
    b.pointValue,
    b.executionCount,
    b.firstExecId,
    b.lastExecId,
    b.firstShare.quantity,
    b.firstShare.commissionCents,
    b.validity,
  ];
}

export function createPositionsRepo(db: Db) {
  const c = db.conn;
  const oldOfBook = c.prepare(
    'SELECT p.id AS id, p.first_exec_id AS firstExecId, p.last_exec_id AS lastExecId, i.key AS key FROM positions p JOIN position_ids i ON i.id = p.id WHERE p.account = ? AND p.contract = ?',
  );
  const idsOfBook = c.prepare('SELECT key, id FROM position_ids WHERE key >= ? AND key < ?').raw();
  const newId = c.prepare('INSERT INTO position_ids (key) VALUES (?)');
  const rekey = c.prepare('UPDATE position_ids SET key = ? WHERE id = ?');
  const deleteBook = c.prepare('DELETE FROM positions WHERE account = ? AND contract = ?');
  const insert = c.prepare(`INSERT INTO positions (${POSITION_COLUMNS}) VALUES ${ROW}`);
  // a batch of positions in one statement
  const insertBatch = c.prepare(`INSERT INTO positions (${POSITION_COLUMNS}) VALUES ${new Array(BATCH).fill(ROW).join(', ')}`);
  const moveId = c.prepare('UPDATE positions SET id = ? WHERE id = ?');
  const dropId = c.prepare('DELETE FROM position_ids WHERE id = ?');
  const args: unknown[] = new Array(BATCH * COLUMN_COUNT);
  const byId = c.prepare(`${SELECT} WHERE p.id = ?`);
  const containing = c.prepare(
    `SELECT p.id FROM positions p JOIN executions f ON f.id = p.first_exec_id JOIN executions l ON l.id = p.last_exec_id
     JOIN executions e ON e.id = ?
     WHERE p.account = coalesce((SELECT a.name FROM account_aliases l JOIN accounts a ON a.id = l.account_id WHERE l.alias = e.account), e.account)
       AND p.contract = e.contract AND (f.time, f.id) <= (e.time, e.id) AND (e.time, e.id) <= (l.time, l.id)
     ORDER BY p.opened_at, p.id`,
  );

  const repo = {
    /**
     * Start replacing a book's positions: the old ones are removed, then `write` each built position in order
     * (streaming: nothing is kept but ids), then `end`. Ids stay stable as described above.
     */
    beginBook(account: string, contract: string, formerAccounts: readonly string[] = []): BookWriter {
      // positions stored under names the book's account had before (an alias merged, a rename): replaced too, and
      // their ids inherited like those of this book's own vanished positions
      const old: { id: number; firstExecId: number; lastExecId: number; key: string }[] = [];
      for (const a of [account, ...formerAccounts.filter((f) => f !== account)]) {
        old.push(...(oldOfBook.all(a, contract) as { id: number; firstExecId: number; lastExecId: number; key: string }[]));
        if (a !== account) deleteBook.run(a, contract);
      }
      const byFirst = new Map<number, number>();
      const byLast = new Map<number, number>();
      for (const o of old) {
        byFirst.set(o.firstExecId, o.id);
        if (!byLast.has(o.lastExecId)) byLast.set(o.lastExecId, o.id);
      }
      // every key of this book starts with account␟contract␟ (positionKey)
      const known = new Map(idsOfBook.all(`${account}\u001f${contract}\u001f`, `${account}\u001f${contract}\u0020`) as [string, number][]);
      deleteBook.run(account, contract);
      const taken = new Set<number>();
      const deferred: { id: number; key: string; candidates: number[] }[] = [];
      let count = 0;
      // positions written and not yet stored, with their ids (given at once, in the order positions are written)
      const pending: BuiltPosition[] = [];
      const pendingIds: number[] = [];
      const flush = () => {
        const n = pending.length;
        if (n === BATCH) {
          for (let i = 0; i < n; i++) placeRow(args, i, positionRow(pendingIds[i] as number, pending[i] as BuiltPosition));
          insertBatch.run(args);
        } else {
          for (let i = 0; i < n; i++) insert.run(positionRow(pendingIds[i] as number, pending[i] as BuiltPosition));
        }
        pending.length = 0;
        pendingIds.length = 0;
      };
      return {
        write(b: BuiltPosition): void {
          let id = known.get(b.key);
          if (id !== undefined) taken.add(id);
          else {
            // (a key comes once per rebuild, so a new one need not be remembered)
            id = Number(newId.run(b.key).lastInsertRowid);
            if (old.length > 0) {
              // old positions whose first (preferred) or last execution this new one holds: it may be the same trade
              const candidates: number[] = [];
              for (const map of [byFirst, byLast]) {
                for (const s of b.shares) {
                  const c = map.get(s.execution.id);
                  if (c !== undefined && !candidates.includes(c)) candidates.push(c);
                }
              }
              if (candidates.length > 0) deferred.push({ id, key: b.key, candidates });
            }
          }
          pending.push(b);
          pendingIds.push(id);
          count++;
          if (pending.length === BATCH) flush();
        },
        end(): number {
          flush();
          // An old position whose key did not come back has vanished: the first new position holding its
          // execution takes over its id (and so its notes, tags and flags).
          for (const d of deferred) {
            const heir = d.candidates.find((c) => !taken.has(c));
            if (heir === undefined) continue;
            taken.add(heir);
            moveId.run(heir, d.id);
            dropId.run(d.id);
            rekey.run(d.key, heir);
          }
          return count;
        },
      };
    },

    get(id: number): PositionRecord | undefined {
      const r = byId.get(id) as Row | undefined;
      return r && toRecord(r);
    },

    list(q: PositionQuery = {}): PositionRecord[] {
      const w = where(q);
      const page = q.limit !== undefined ? ` LIMIT ${Math.trunc(q.limit)} OFFSET ${Math.trunc(q.offset ?? 0)}` : '';
      const order = q.descending ? 'p.opened_at DESC, p.id DESC' : 'p.opened_at, p.id';
      return (c.prepare(`${SELECT}${w.sql} ORDER BY ${order}${page}`).all(...w.params) as Row[]).map(toRecord);
    },

    count(q: PositionQuery = {}): number {
      const w = where(q);
      return c
        .prepare(`SELECT count(*) FROM positions p${w.sql}`)
        .pluck()
        .get(...w.params) as number;
    },

    /** Closed positions for statistics, in closedAt order. */
    statsRows(q: PositionQuery = {}): PositionStatsRow[] {
      const w = where({ ...q, status: 'closed' });
      const rows = c
        .prepare(
          `SELECT p.account, p.root, p.contract, p.side, p.opened_at, p.closed_at, p.gross_cents, p.commission_cents, p.net_cents
           FROM positions p${w.sql} ORDER BY p.closed_at, p.opened_at`,
        )
        .raw()
        .all(...w.params) as [string, string, string, 'long' | 'short', number, number, number, number, number][];
      const out: PositionStatsRow[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as (typeof rows)[number];
        out[i] = {
          account: r[0],
          root: r[1],
          contract: r[2],
          side: r[3],
          openedAt: r[4],
          closedAt: r[5],
          grossCents: r[6],
          commissionCents: r[7],
          netCents: r[8],
        };
      }
      return out;
    },

    /** Ids of the positions an execution belongs to (two for a reversal fill), oldest first. */
    containing(executionId: number): number[] {
      return (containing.all(executionId) as { id: number }[]).map((r) => r.id);
    },
  };
  return repo;
}

export type PositionsRepo = ReturnType<typeof createPositionsRepo>;
