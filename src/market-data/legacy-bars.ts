import type { Snapshot } from '../db/snapshot.js';
import { errorMessage } from '../errors.js';
import type { InstrumentRegistry } from '../instruments/instruments.js';
import type { Bar, BarsRepo } from './bars.repo.js';
import { createLegacyBarsRepo } from './legacy-bars.repo.js';
import type { TimeframeId } from './timeframes.js';

/**
 * The bars of a Futures Trading Log database (`ohlc_data`, reference-app.md §2.2) into market.db, under the root
 * symbol (the old app stored them under `MNQ`, `MNQ SEP25` or `NQ=F`), source `legacy`, idempotently (a rerun stores
 * 0). Timeframes tradelog does not keep, unknown instruments and bars with inconsistent prices are skipped with the
 * reason, as {table: 'ohlc_data', id, reason}. Runs after the journal's part of the import (src/legacy/).
 */
export interface LegacyBarsResult {
  /** Bars stored (new or changed). */
  stored: number;
  skipped: { table: 'ohlc_data'; id: number | string | null; reason: string }[];
}

const BAR_TIMEFRAMES = new Map<string, TimeframeId>([
  ['1m', '1m'],
  ['5m', '5m'],
  ['15m', '15m'],
  ['30m', '30m'],
  ['1h', '1h'],
  ['60m', '1h'],
  ['1d', '1d'],
]);
const BAR_BATCH = 10_000;
const MAX_SKIPPED = 1000;

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v).trim());
const num = (v: unknown): number | undefined => {
  if (v === null || v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
};

function timeframeRefusal(tfText: string): string {
  if (tfText === '3m') return 'timeframe 3m: the old app stored 5-minute data under this label';
  if (tfText === '4h' || /^\d+h$/.test(tfText))
    return `timeframe ${tfText}: Yahoo has no such interval, so the old app's bars are not trustworthy (4h is built from 1h bars)`;
  return `timeframe "${tfText}" is not one tradelog stores`;
}

export function importLegacyBars(source: Snapshot, deps: { bars: BarsRepo; registry: InstrumentRegistry }): LegacyBarsResult {
  const repo = createLegacyBarsRepo(source);
  const skipped: LegacyBarsResult['skipped'] = [];
  let skippedCount = 0;
  const skip = (id: number | string | null, reason: string) => {
    skippedCount++;
    if (skippedCount <= MAX_SKIPPED) skipped.push({ table: 'ohlc_data', id, reason });
  };
  let stored = 0;
  if (repo.count() > 0) {
    const batches = createBatcher(deps.bars, skip);
    const rootOf = rootResolver(deps.registry);
    for (const b of repo.iterate()) {
      const id = Number(b.id);
      const tfText = str(b.timeframe);
      const timeframe = BAR_TIMEFRAMES.get(tfText);
      if (!timeframe) {
        skip(id, timeframeRefusal(tfText));
        continue;
      }
      const root = rootOf(str(b.instrument));
      if (!root) {
        skip(id, `unknown instrument "${str(b.instrument)}"`);
        continue;
      }
      const bar = barOf(b);
      if (typeof bar === 'string') {
        skip(id, bar);
        continue;
      }
      batches.push(root, timeframe, bar, id);
    }
    stored = batches.finish();
  }
  if (skippedCount > MAX_SKIPPED)
    skipped.push({ table: 'ohlc_data', id: null, reason: `and ${skippedCount - MAX_SKIPPED} more rows skipped (reasons as above)` });
  return { stored, skipped };
}

/** The root a legacy instrument name stands for, when it is a known instrument (cached per name). */
function rootResolver(registry: InstrumentRegistry): (instrument: string) => string | undefined {
  const roots = new Map<string, string | undefined>();
  return (instrument) => {
    if (!roots.has(instrument)) {
      try {
        const ref = registry.parse(instrument);
        roots.set(instrument, registry.has(ref.root) ? ref.root : undefined);
      } catch {
        roots.set(instrument, undefined);
      }
    }
    return roots.get(instrument);
  };
}

/** One row as a bar, or why it can't be one. A missing volume is stored as 0. */
function barOf(b: {
  timestamp: unknown;
  open_price: unknown;
  high_price: unknown;
  low_price: unknown;
  close_price: unknown;
  volume: unknown;
}): Bar | string {
  const [open, high, low, close] = [num(b.open_price), num(b.high_price), num(b.low_price), num(b.close_price)];
  const time = num(b.timestamp);
  if (time === undefined || !Number.isInteger(time) || time <= 0) return `bad timestamp ${JSON.stringify(b.timestamp)}`;
  if (
    open === undefined ||
    high === undefined ||
    low === undefined ||
    close === undefined ||
    low > Math.min(open, close, high) ||
    high < Math.max(open, close)
  ) {
    return 'prices missing or inconsistent (high below open/close or low above them)';
  }
  return { time, open, high, low, close, volume: num(b.volume) ?? 0 };
}

/** Bars of one instrument and timeframe, stored in batches through the bars repo (one transaction each). */
function createBatcher(bars: BarsRepo, skip: (id: number | string | null, reason: string) => void) {
  let stored = 0;
  let key: { root: string; timeframe: TimeframeId } | undefined;
  let batch: Bar[] = [];
  let ids: number[] = [];
  const flush = () => {
    if (!key || batch.length === 0) return;
    try {
      const r = bars.upsert(key.root, key.timeframe, batch, 'legacy');
      stored += r.stored;
      for (const x of r.rejections) skip(ids[x.index] ?? null, x.reason);
      if (r.rejected > r.rejections.length)
        skip(null, `and ${r.rejected - r.rejections.length} more bars of ${key.root} ${key.timeframe} refused`);
    } catch (err) {
      skip(null, `${batch.length} bars (${key.root} ${key.timeframe}) could not be stored: ${errorMessage(err)}`);
    }
    batch = [];
    ids = [];
  };
  return {
    push(root: string, timeframe: TimeframeId, bar: Bar, id: number) {
      if (key && (key.root !== root || key.timeframe !== timeframe)) flush();
      key = { root, timeframe };
      batch.push(bar);
      ids.push(id);
      if (batch.length >= BAR_BATCH) flush();
    },
    finish(): number {
      flush();
      return stored;
    },
  };
}
