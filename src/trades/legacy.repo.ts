import type { Snapshot } from '../db/snapshot.js';

/**
 * Reads of the old app's tables (reference-app.md §2.2) from a private snapshot of its database: `trades`,
 * `positions` with `position_executions`, and custom field values. Its bars (`ohlc_data`) belong to the market-data
 * area (src/market-data/legacy-bars.repo.ts).
 */
export type LegacyRow = Record<string, unknown>;

export interface LegacyTradesRepo {
  /** Columns of the `trades` table (empty when there is none). */
  tradeColumns(): Set<string>;
  /** Every `trades` row, by id. */
  trades(): LegacyRow[];
  /** Which old position held which `trades` row. */
  positionExecutions(): { position_id: number; trade_id: number }[];
  /** Ids of the old positions, ascending. */
  positionIds(): number[];
  /** Custom field values of old positions with their field's label, by id. */
  customFieldValues(): { id: number; position_id: number; field_value: unknown; label: string }[];
}

export function createLegacyTradesRepo(source: Snapshot): LegacyTradesRepo {
  const conn = source.conn;
  return {
    tradeColumns: () => new Set((conn.prepare('PRAGMA table_info(trades)').all() as { name: string }[]).map((c) => c.name)),
    trades: () => conn.prepare('SELECT * FROM trades ORDER BY id').all() as LegacyRow[],
    positionExecutions: () =>
      conn.prepare('SELECT position_id, trade_id FROM position_executions').all() as { position_id: number; trade_id: number }[],
    positionIds: () => conn.prepare('SELECT id FROM positions ORDER BY id').pluck().all() as number[],
    customFieldValues: () =>
      conn
        .prepare(
          `SELECT v.id, v.position_id, v.field_value, coalesce(f.label, f.name) AS label FROM position_custom_field_values v
           JOIN custom_fields f ON f.id = v.custom_field_id ORDER BY v.id`,
        )
        .all() as { id: number; position_id: number; field_value: unknown; label: string }[],
  };
}
