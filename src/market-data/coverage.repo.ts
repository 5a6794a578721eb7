import type { Db } from '../db/open.js';
import { mergeRanges, type Range } from './ranges.js';
import type { TimeframeId } from './timeframes.js';

/**
 * What the downloader has asked the provider for (tables fetch_coverage and fetch_state, market/0002), in Unix
 * seconds. A covered range is one the provider answered successfully and whose bars were final when fetched; it is
 * not asked again even when it holds no bars. `lastFetchAt`/`finalUntil` describe the newest fetch that reached
 * the present: bars after `finalUntil` may still have been forming.
 */
export interface FetchState {
  lastFetchAt: number;
  finalUntil: number;
}

export interface CoverageRepo {
  covered(instrument: string, timeframe: TimeframeId, fromSec: number, toSec: number): Range[];
  /** Record a covered range, merged with what touches or overlaps it. */
  addCovered(instrument: string, timeframe: TimeframeId, range: Range): void;
  state(instrument: string, timeframe: TimeframeId): FetchState | undefined;
  setState(instrument: string, timeframe: TimeframeId, state: FetchState): void;
  /** Forget everything recorded for an instrument (and timeframe), so the next update asks for all of it. */
  reset(instrument: string, timeframe?: TimeframeId): void;
}

export function createCoverageRepo(db: Db): CoverageRepo {
  const c = db.conn;
  const overlapping = c.prepare(
    'SELECT start, end FROM fetch_coverage WHERE instrument = ? AND timeframe = ? AND end >= ? AND start <= ? ORDER BY start',
  );
  const del = c.prepare('DELETE FROM fetch_coverage WHERE instrument = ? AND timeframe = ? AND start = ?');
  const ins = c.prepare('INSERT INTO fetch_coverage (instrument, timeframe, start, end) VALUES (?, ?, ?, ?)');
  const getState = c.prepare(
    'SELECT last_fetch_at AS lastFetchAt, final_until AS finalUntil FROM fetch_state WHERE instrument = ? AND timeframe = ?',
  );
  const putState = c.prepare(
    'INSERT INTO fetch_state (instrument, timeframe, last_fetch_at, final_until) VALUES (?, ?, ?, ?) ON CONFLICT (instrument, timeframe) DO UPDATE SET last_fetch_at = excluded.last_fetch_at, final_until = excluded.final_until',
  );
  const resetCov = c.prepare('DELETE FROM fetch_coverage WHERE instrument = ? AND (? IS NULL OR timeframe = ?)');
  const resetState = c.prepare('DELETE FROM fetch_state WHERE instrument = ? AND (? IS NULL OR timeframe = ?)');

  return {
    covered(instrument, timeframe, fromSec, toSec) {
      const rows = db.read(() => overlapping.all(instrument, timeframe, fromSec, toSec)) as Range[];
      return rows.map((r) => ({ start: Math.max(r.start, fromSec), end: Math.min(r.end, toSec) })).filter((r) => r.end > r.start);
    },
    addCovered(instrument, timeframe, range) {
      if (range.end <= range.start) return;
      db.write(() => {
        const touching = overlapping.all(instrument, timeframe, range.start, range.end) as Range[];
        const merged = mergeRanges([...touching, range]);
        for (const r of touching) del.run(instrument, timeframe, r.start);
        for (const r of merged) ins.run(instrument, timeframe, r.start, r.end);
      });
    },
    state(instrument, timeframe) {
      return db.read(() => getState.get(instrument, timeframe)) as FetchState | undefined;
    },
    setState(instrument, timeframe, state) {
      db.write(() => putState.run(instrument, timeframe, state.lastFetchAt, state.finalUntil));
    },
    reset(instrument, timeframe) {
      const tf = timeframe ?? null;
      db.write(() => {
        resetCov.run(instrument, tf, tf);
        resetState.run(instrument, tf, tf);
      });
    },
  };
}
