import type { Db } from '../db/open.js';

/**
 * The trader's own stops on a position (`position_stops`, `position_stop_moves`; journal migration 0005), keyed by
 * the stable position id like notes and tags. Write methods run inside the caller's `db.write()`.
 */
export interface TypedStops {
  initialStop: number | null;
  updatedAt: number | null;
  moves: { id: number; at: number; stopPrice: number }[];
}

export interface StopsRow {
  positionId: number;
  key: string;
  initial: { stopPrice: number; updatedAt: number } | null;
  moves: { at: number; stopPrice: number }[];
}

export function createStopsRepo(db: Db) {
  const c = db.conn;
  const getInitial = c.prepare('SELECT initial_stop AS stopPrice, updated_at AS updatedAt FROM position_stops WHERE position_id = ?');
  const putInitial = c.prepare(
    `INSERT INTO position_stops (position_id, initial_stop, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (position_id) DO UPDATE SET initial_stop = excluded.initial_stop, updated_at = excluded.updated_at`,
  );
  const delInitial = c.prepare('DELETE FROM position_stops WHERE position_id = ?');
  const moves = c.prepare('SELECT id, at, stop_price AS stopPrice FROM position_stop_moves WHERE position_id = ? ORDER BY at, id');
  const addMove = c.prepare('INSERT INTO position_stop_moves (position_id, at, stop_price) VALUES (?, ?, ?)');
  const delMove = c.prepare('DELETE FROM position_stop_moves WHERE id = ? AND position_id = ?');
  const page = c.prepare(
    `SELECT i.id AS positionId, i.key, s.initial_stop AS stopPrice, s.updated_at AS updatedAt,
       (SELECT json_group_array(json_array(at, stop_price)) FROM (SELECT at, stop_price FROM position_stop_moves m WHERE m.position_id = i.id ORDER BY at, id)) AS moves
     FROM position_ids i LEFT JOIN position_stops s ON s.position_id = i.id
     WHERE i.id > ? AND (s.position_id IS NOT NULL OR EXISTS (SELECT 1 FROM position_stop_moves m WHERE m.position_id = i.id))
     ORDER BY i.id LIMIT ?`,
  );
  const counts = c.prepare('SELECT (SELECT count(*) FROM position_stops) + (SELECT count(*) FROM position_stop_moves)').pluck();

  return {
    get(positionId: number): TypedStops {
      const i = getInitial.get(positionId) as { stopPrice: number; updatedAt: number } | undefined;
      return { initialStop: i?.stopPrice ?? null, updatedAt: i?.updatedAt ?? null, moves: moves.all(positionId) as TypedStops['moves'] };
    },
    setInitial(positionId: number, stopPrice: number | null, at: number): void {
      if (stopPrice === null) delInitial.run(positionId);
      else putInitial.run(positionId, stopPrice, at);
    },
    addMove(positionId: number, at: number, stopPrice: number): number {
      return Number(addMove.run(positionId, at, stopPrice).lastInsertRowid);
    },
    removeMove(positionId: number, moveId: number): boolean {
      return delMove.run(moveId, positionId).changes === 1;
    },
    /** Positions with typed stops, in id order, a page at a time (the journal export). */
    page(afterId: number, limit: number): StopsRow[] {
      const rows = page.all(afterId, limit) as {
        positionId: number;
        key: string;
        stopPrice: number | null;
        updatedAt: number | null;
        moves: string;
      }[];
      return rows.map((r) => ({
        positionId: r.positionId,
        key: r.key,
        initial: r.stopPrice === null ? null : { stopPrice: r.stopPrice, updatedAt: r.updatedAt as number },
        moves: (JSON.parse(r.moves) as [number, number][]).map(([at, stopPrice]) => ({ at, stopPrice })),
      }));
    },
    count(): number {
      return counts.get() as number;
    },
  };
}

export type StopsRepo = ReturnType<typeof createStopsRepo>;
