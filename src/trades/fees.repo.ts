import type { Db } from '../db/open.js';
import { COST_KINDS, type FeeSchedule, type FeeSide } from './fees.js';

/** The `fee_schedules` table (journal migration 0005). Write methods run inside the caller's `db.write()`. */
type Row = Omit<FeeSchedule, 'amounts'> & Record<(typeof COST_KINDS)[number], number>;

function toSchedule(r: Row): FeeSchedule {
  return {
    id: r.id,
    accountId: r.accountId,
    firm: r.firm,
    root: r.root,
    side: r.side,
    effectiveFrom: r.effectiveFrom,
    amounts: {
      commission: r.commission,
      exchange: r.exchange,
      clearing: r.clearing,
      nfa: r.nfa,
      platform: r.platform,
      other: r.other,
    },
  };
}

export type NewFeeSchedule = Omit<FeeSchedule, 'id'>;

const COLUMNS = `id, account_id AS accountId, firm, root, side, effective_from AS effectiveFrom, ${COST_KINDS.join(', ')}`;

export function createFeesRepo(db: Db) {
  const c = db.conn;
  const all = c.prepare(`SELECT ${COLUMNS} FROM fee_schedules ORDER BY coalesce(firm, ''), account_id, root, side, effective_from`);
  const byId = c.prepare(`SELECT ${COLUMNS} FROM fee_schedules WHERE id = ?`);
  const byKey = c
    .prepare(
      `SELECT id FROM fee_schedules WHERE coalesce(account_id, 0) = coalesce(?, 0) AND coalesce(firm, '') = coalesce(?, '')
       AND root = ? AND side = ? AND effective_from = ?`,
    )
    .pluck();
  const insert = c.prepare(
    `INSERT INTO fee_schedules (account_id, firm, root, side, effective_from, ${COST_KINDS.join(', ')})
     VALUES (?, ?, ?, ?, ?, ${COST_KINDS.map(() => '?').join(', ')})`,
  );
  const insertWithId = c.prepare(
    `INSERT INTO fee_schedules (id, account_id, firm, root, side, effective_from, ${COST_KINDS.join(', ')})
     VALUES (?, ?, ?, ?, ?, ?, ${COST_KINDS.map(() => '?').join(', ')})`,
  );
  const updateAmounts = c.prepare(`UPDATE fee_schedules SET ${COST_KINDS.map((k) => `${k} = ?`).join(', ')} WHERE id = ?`);
  const remove = c.prepare('DELETE FROM fee_schedules WHERE id = ?');
  const moveAccount = c.prepare('UPDATE fee_schedules SET account_id = ? WHERE account_id = ?');
  const ofAccount = c.prepare('SELECT count(*) FROM fee_schedules WHERE account_id = ?').pluck();

  return {
    list(): FeeSchedule[] {
      return (all.all() as Row[]).map(toSchedule);
    },
    get(id: number): FeeSchedule | undefined {
      const r = byId.get(id) as Row | undefined;
      return r && toSchedule(r);
    },
    /** The id of the schedule with the same scope, root, side and first day, if any. */
    find(s: Pick<FeeSchedule, 'accountId' | 'firm' | 'root' | 'side' | 'effectiveFrom'>): number | undefined {
      return byKey.get(s.accountId, s.firm, s.root, s.side, s.effectiveFrom) as number | undefined;
    },
    /** Insert, or replace the amounts of the schedule with the same key; its id. */
    upsert(s: NewFeeSchedule): number {
      const amounts = COST_KINDS.map((k) => s.amounts[k]);
      const id = this.find(s);
      if (id !== undefined) {
        updateAmounts.run(...amounts, id);
        return id;
      }
      return Number(insert.run(s.accountId, s.firm, s.root, s.side, s.effectiveFrom, ...amounts).lastInsertRowid);
    },
    /** A schedule with its own id (import-export). */
    insertWithId(s: FeeSchedule): void {
      insertWithId.run(s.id, s.accountId, s.firm, s.root, s.side, s.effectiveFrom, ...COST_KINDS.map((k) => s.amounts[k]));
    },
    remove(id: number): boolean {
      return remove.run(id).changes === 1;
    },
    /** Schedules of account `from` become account `to`'s (when two accounts merge). */
    moveAccount(from: number, to: number): void {
      moveAccount.run(to, from);
    },
    countOfAccount(accountId: number): number {
      return ofAccount.get(accountId) as number;
    },
  };
}

export type FeesRepo = ReturnType<typeof createFeesRepo>;
export type { FeeSide };
