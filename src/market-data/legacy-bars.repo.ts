import type { Snapshot } from '../db/snapshot.js';

/** Reads of the old app's `ohlc_data` table from a private snapshot of its database (reference-app.md §2.2). */
export interface LegacyBarRow {
  id: unknown;
  instrument: unknown;
  timeframe: unknown;
  timestamp: unknown;
  open_price: unknown;
  high_price: unknown;
  low_price: unknown;
  close_price: unknown;
  volume: unknown;
}

export interface LegacyBarsRepo {
  /** Bars in the file (0 when it has no `ohlc_data` table). */
  count(): number;
  /** Every bar, by instrument, timeframe and time. */
  iterate(): Iterable<LegacyBarRow>;
}

export function createLegacyBarsRepo(source: Snapshot): LegacyBarsRepo {
  const conn = source.conn;
  const present = source.tables().has('ohlc_data');
  return {
    count: () => (present ? (conn.prepare('SELECT count(*) FROM ohlc_data').pluck().get() as number) : 0),
    iterate: () =>
      present
        ? (conn
            .prepare(
              'SELECT id, instrument, timeframe, timestamp, open_price, high_price, low_price, close_price, volume FROM ohlc_data ORDER BY instrument, timeframe, timestamp',
            )
            .iterate() as Iterable<LegacyBarRow>)
        : [],
  };
}
