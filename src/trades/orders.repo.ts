import type { Db } from '../db/open.js';
import type { OrderStatus, OrderType, Side } from './importers/types.js';

/**
 * The `orders` and `order_stop_moves` tables (journal migration 0005): orders as their source states them, the
 * account as the file spells it. (account, order key) is the dedupe key: an order already stored is kept as it
 * was. Write methods run inside the caller's `db.write()` (the import's transaction).
 */
export interface OrderRow {
  id: number;
  account: string;
  orderKey: string;
  contract: string;
  root: string;
  side: Side;
  type: OrderType;
  typeText: string;
  limitPrice: number | null;
  stopPrice: number | null;
  status: OrderStatus;
  statusText: string;
  quantity: number;
  filledQuantity: number;
  avgFillPrice: number | null;
  placedAt: number | null;
  filledAt: number | null;
  cancelledAt: number | null;
  parentKey: string | null;
  bracket: boolean;
  protective: boolean;
  tag: string | null;
  format: string;
  importId: number;
  sourceLine: number | null;
  /** Later stop prices (a moved stop), in time order. */
  stopMoves: { at: number; stopPrice: number }[];
}

export type NewOrder = Omit<OrderRow, 'id' | 'importId'>;

const COLUMNS = `account, order_key, contract, root, side, type, type_text, limit_price, stop_price, status, status_text, quantity,
  filled_quantity, avg_fill_price, placed_at, filled_at, cancelled_at, parent_key, bracket, protective, tag, format, import_id, source_line`;
const SELECT = `SELECT id, account, order_key AS orderKey, contract, root, side, type, type_text AS typeText, limit_price AS limitPrice,
  stop_price AS stopPrice, status, status_text AS statusText, quantity, filled_quantity AS filledQuantity,
  avg_fill_price AS avgFillPrice, placed_at AS placedAt, filled_at AS filledAt, cancelled_at AS cancelledAt,
  parent_key AS parentKey, bracket, protective, tag, format, import_id AS importId, source_line AS sourceLine,
  (SELECT json_group_array(json_array(at, stop_price)) FROM (SELECT at, stop_price FROM order_stop_moves m WHERE m.order_id = o.id ORDER BY at)) AS moves
  FROM orders o`;

type Raw = Omit<OrderRow, 'bracket' | 'protective' | 'stopMoves'> & { bracket: number; protective: number; moves: string };

function toRow(r: Raw): OrderRow {
  const { moves, ...rest } = r;
  return {
    ...rest,
    bracket: r.bracket === 1,
    protective: r.protective === 1,
    stopMoves: (JSON.parse(moves) as [number, number][]).map(([at, stopPrice]) => ({ at, stopPrice })),
  };
}

function values(o: NewOrder, importId: number): unknown[] {
  return [
    o.account,
    o.orderKey,
    o.contract,
    o.root,
    o.side,
    o.type,
    o.typeText,
    o.limitPrice,
    o.stopPrice,
    o.status,
    o.statusText,
    o.quantity,
    o.filledQuantity,
    o.avgFillPrice,
    o.placedAt,
    o.filledAt,
    o.cancelledAt,
    o.parentKey,
    o.bracket ? 1 : 0,
    o.protective ? 1 : 0,
    o.tag,
    o.format,
    importId,
    o.sourceLine,
  ];
}

export function createOrdersRepo(db: Db) {
  const c = db.conn;
  const insert = c.prepare(
    `INSERT INTO orders (${COLUMNS}) VALUES (${COLUMNS.split(',')
      .map(() => '?')
      .join(', ')}) ON CONFLICT (account, order_key) DO NOTHING`,
  );
  const insertWithId = c.prepare(
    `INSERT INTO orders (id, ${COLUMNS}) VALUES (?, ${COLUMNS.split(',')
      .map(() => '?')
      .join(', ')})`,
  );
  const insertMove = c.prepare('INSERT OR IGNORE INTO order_stop_moves (order_id, at, stop_price) VALUES (?, ?, ?)');
  const deleteOfImport = c.prepare('DELETE FROM orders WHERE import_id = ?');
  const deleteMovesOfImport = c.prepare('DELETE FROM order_stop_moves WHERE order_id IN (SELECT id FROM orders WHERE import_id = ?)');
  const stopsOf = c.prepare(
    `${SELECT} WHERE o.account = ? AND o.contract = ? AND o.type IN ('stop', 'stop-limit') AND o.placed_at <= ? ORDER BY o.placed_at, o.id`,
  );
  const page = c.prepare(`${SELECT} WHERE o.id > ? ORDER BY o.id LIMIT ?`);
  const ofImport = c.prepare(`${SELECT} WHERE o.import_id = ? ORDER BY o.id`);
  const count = c.prepare('SELECT count(*) FROM orders').pluck();
  const setFormat = c.prepare('UPDATE imports SET format = ? WHERE id = ?');

  return {
    /** Store the orders of one import; returns how many were new and how many were already stored. */
    insertMany(orders: readonly NewOrder[], importId: number): { added: number; duplicates: number } {
      let added = 0;
      for (const o of orders) {
        const info = insert.run(values(o, importId));
        if (info.changes !== 1) continue;
        added++;
        const id = Number(info.lastInsertRowid);
        for (const m of o.stopMoves) insertMove.run(id, m.at, m.stopPrice);
      }
      return { added, duplicates: orders.length - added };
    },

    /** An order with its own id (import-export). */
    insertWithId(o: OrderRow): void {
      insertWithId.run(o.id, ...values(o, o.importId));
      for (const m of o.stopMoves) insertMove.run(o.id, m.at, m.stopPrice);
    },

    deleteOfImport(importId: number): number {
      deleteMovesOfImport.run(importId);
      return deleteOfImport.run(importId).changes;
    },

    /** Stop orders of a book (any of the account's spellings) placed up to `until`, oldest first. */
    stops(spellings: readonly string[], contract: string, until: number): OrderRow[] {
      const out: OrderRow[] = [];
      for (const s of spellings) out.push(...(stopsOf.all(s, contract, until) as Raw[]).map(toRow));
      return out.sort((a, b) => (a.placedAt ?? 0) - (b.placedAt ?? 0) || a.id - b.id);
    },

    page(afterId: number, limit: number): OrderRow[] {
      return (page.all(afterId, limit) as Raw[]).map(toRow);
    },

    ofImport(importId: number): OrderRow[] {
      return (ofImport.all(importId) as Raw[]).map(toRow);
    },

    count(): number {
      return count.get() as number;
    },

    /** The source format of an import (the `format` column of imports, journal migration 0004). */
    setImportFormat(importId: number, format: string): void {
      setFormat.run(format, importId);
    },
  };
}

export type OrdersRepo = ReturnType<typeof createOrdersRepo>;
