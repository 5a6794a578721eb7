import type { Db } from '../db/open.js';
import { unitsToPrice } from './money.js';
import type { BuiltPosition, Validity } from './positions.js';
import { tradingDay } from './session.js';
import type { StatsPosition } from './stats.js';

/**
 * The `positions` table and the stable id map `position_ids`.
 *
 * A position's identity is its key (account, contract, opening execution). `replaceBook` gives every built
 * position the id its key had before; a position whose key is new but which contains the opening execution of a
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

export interface PositionQuery {
  account?: string;
  root?: string;
  contract?: string;
  /** Trading days, inclusive (`YYYY-MM-DD`). */
  fromDay?: string;
  toDay?: string;
  status?: 'open' | 'closed';
  tag?: string;
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
  return { sql: parts.length ? ` WHERE ${parts.join(' AND ')}` : '', params };
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
  const insert = c.prepare(
    `INSERT INTO positions (id, account, contract, root, side, status, opened_at, closed_at, trading_day, max_quantity,
       open_quantity, entry_quantity, exit_quantity, avg_entry_price, avg_exit_price, points_pnl, gross_cents,
       commission_cents, net_cents, point_value, execution_count, first_exec_id, last_exec_id, first_exec_quantity,
       first_exec_commission_cents, exec_validity)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const byId = c.prepare(`${SELECT} WHERE p.id = ?`);
  const exists = c.prepare('SELECT 1 FROM position_ids WHERE id = ?').pluck();
  const containing = c.prepare(
    `SELECT p.id FROM positions p JOIN executions f ON f.id = p.first_exec_id JOIN executions l ON l.id = p.last_exec_id
     JOIN executions e ON e.id = ?
     WHERE p.account = e.account AND p.contract = e.contract AND (f.time, f.id) <= (e.time, e.id) AND (e.time, e.id) <= (l.time, l.id)
     ORDER BY p.opened_at, p.id`,
  );
  const countAll = c.prepare('SELECT count(*) FROM positions').pluck();

  return {
    /** Replace a book's positions with `built` (all of that book), keeping ids stable. Returns the count written. */
    replaceBook(account: string, contract: string, built: readonly BuiltPosition[]): number {
      const old = oldOfBook.all(account, contract) as { id: number; firstExecId: number; lastExecId: number; key: string }[];
      const newKeys = new Set(built.map((b) => b.key));
      // Positions that vanish in this rebuild, by their first and by their last execution: a new position holding
      // one of those executions is the same trade with a moved boundary and inherits the id (first wins).
      const byFirst = new Map<number, number>();
      const byLast = new Map<number, number>();
      for (const o of old) {
        if (newKeys.has(o.key)) continue;
        byFirst.set(o.firstExecId, o.id);
        if (!byLast.has(o.lastExecId)) byLast.set(o.lastExecId, o.id);
      }
      const taken = new Set<number>();
      const inherit = (b: BuiltPosition): number | undefined => {
        for (const map of [byFirst, byLast]) {
          for (const s of b.shares) {
            const id = map.get(s.execution.id);
            if (id !== undefined && !taken.has(id)) return id;
          }
        }
        return undefined;
      };
      deleteBook.run(account, contract);
      // every key of this book starts with account␟contract␟ (positionKey)
      const prefix = `${account}\u001f${contract}\u001f`;
      const known = new Map(idsOfBook.all(prefix, `${account}\u001f${contract}\u0020`) as [string, number][]);
      for (const b of built) {
        let id = known.get(b.key);
        if (id === undefined && byFirst.size > 0) {
          id = inherit(b);
          if (id !== undefined) {
            taken.add(id);
            rekey.run(b.key, id);
          }
        }
        if (id === undefined) id = Number(newId.run(b.key).lastInsertRowid);
        insert.run(
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
          b.avgExitUnits === null ? null : unitsToPrice(b.avgExitUnits),
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
        );
      }
      return built.length;
    },

    get(id: number): PositionRecord | undefined {
      const r = byId.get(id) as Row | undefined;
      return r && toRecord(r);
    },

    /** True when the id was ever given to a position (journal data may be attached even while it is absent). */
    idExists(id: number): boolean {
      return exists.get(id) === 1;
    },

    list(q: PositionQuery = {}): PositionRecord[] {
      const w = where(q);
      const page = q.limit !== undefined ? ` LIMIT ${Math.trunc(q.limit)} OFFSET ${Math.trunc(q.offset ?? 0)}` : '';
      return (c.prepare(`${SELECT}${w.sql} ORDER BY p.opened_at, p.id${page}`).all(...w.params) as Row[]).map(toRecord);
    },

    count(q: PositionQuery = {}): number {
      const w = where(q);
      return c
        .prepare(`SELECT count(*) FROM positions p${w.sql}`)
        .pluck()
        .get(...w.params) as number;
    },

    countAll(): number {
      return countAll.get() as number;
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
}

export type PositionsRepo = ReturnType<typeof createPositionsRepo>;
