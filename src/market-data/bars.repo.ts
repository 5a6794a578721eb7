import type { Db } from '../db/open.js';
import { AppError } from '../errors.js';
import { badTimeframe, barTime, isTimeframeId, TIMEFRAMES, type TimeframeId } from './timeframes.js';

/**
 * The bars store in market.db (table `bars`, migration market/0001).
 *
 * Conventions:
 * - **Instrument key = contract root** (`MNQ`, `ES`, `6E`). Yahoo's `MNQ=F` is the continuous front-month series,
 *   so bars are kept per root, not per contract month; `MNQ 12-25`, `MNQZ5` and `MNQ=F` all read and write the
 *   bars of `MNQ` (src/market-data/symbols.ts `barInstrument`). Bars a user imports for one contract month are
 *   stored under its root too.
 * - **time = Unix seconds (UTC) of the bar's open.** Seconds because that is what the chart library and the
 *   `ohlc bars` output use, and it keeps the key compact; everything else in the program speaks epoch ms, so
 *   names carry the unit (`fromSec`, `time`).
 * - **A daily bar's time is 00:00 UTC of its CME trading day** (timeframes.ts `barTime`): the session that opens
 *   at 17:00 CT on Tuesday evening is Wednesday's bar, stored at Wednesday 00:00 UTC, so read as a UTC date the
 *   key names the day the calendar and the statistics name. `upsert` applies this to every daily bar it is given,
 *   whatever its source stamped it with, so no writer (download, file import, demo, legacy import) can store it
 *   otherwise; two bars of one trading day in one call are one bar (the later wins). Migration market/0003 moved
 *   the bars stored before.
 * - Prices as received (the Yahoo provider rounds to the instrument's tick); volume a whole number of contracts.
 * - `source`: 'yahoo' | 'csv' | 'legacy' | 'demo' | 'derived' (4h built from 1h). The last write wins.
 * - Every bar is validated before it is written (see `validateBar`); rejected bars are counted and reported, never
 *   written. An upsert that changes nothing (same values, same source) does not count as stored, so a rerun
 *   reports `stored: 0`.
 */
export const BAR_SOURCES = ['yahoo', 'csv', 'legacy', 'demo', 'derived'] as const;
export type BarSource = (typeof BAR_SOURCES)[number];

export interface Bar {
  /** Unix seconds (UTC) of the bar's open. */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/**
 * Columnar bars for the chart endpoint, oldest first: `t[i]` is the open time (Unix seconds) of the bar whose
 * prices are `o[i]`, `h[i]`, `l[i]`, `c[i]` and volume `v[i]`. All arrays have the same length.
 */
export interface ColumnarBars {
  t: number[];
  o: number[];
  h: number[];
  l: number[];
  c: number[];
  v: number[];
}

export interface RangeQuery {
  /** Unix seconds, inclusive. */
  from?: number;
  /** Unix seconds, inclusive. */
  to?: number;
  /** Keep the newest `limit` bars of the range (still returned oldest first). */
  limit?: number;
}

export interface Rejection {
  /** Index of the bar in the input. */
  index: number;
  time: number;
  reason: string;
}

export interface UpsertResult {
  received: number;
  /** Bars inserted or changed. */
  stored: number;
  /** Bars already stored with the same values and source. */
  unchanged: number;
  /** How many bars failed validation (none of them was written). */
  rejected: number;
  /** The first rejections, for reports (at most 20). */
  rejections: Rejection[];
}

export interface CoverageRow {
  instrument: string;
  timeframe: string;
  count: number;
  /** Unix seconds of the oldest and newest bar. */
  first: number;
  last: number;
}

export interface BarsRepo {
  /** Validate and upsert bars in one transaction. Idempotent. */
  upsert(instrument: string, timeframe: TimeframeId, bars: readonly Bar[], source: BarSource): UpsertResult;
  /** Bars of a range, oldest first; with `limit` the newest `limit` of them. */
  read(instrument: string, timeframe: TimeframeId, query?: RangeQuery): Bar[];
  /**
   * Fast path for `GET /api/bars/:instrument`: the newest `limit` bars of the range (default 2,000, at most
   * 100,000) as columnar arrays, oldest first. Rows are read with `.raw(true)` (no per-row objects).
   */
  readColumnar(instrument: string, timeframe: TimeframeId, query?: RangeQuery): ColumnarBars;
  /** Open times (Unix seconds) stored in [fromSec, toSec), ascending. */
  times(instrument: string, timeframe: TimeframeId, fromSec: number, toSec: number): number[];
  /** The open time of the newest bar in [fromSec, toSec] (inclusive), or undefined when there is none. One index seek. */
  newestTime(instrument: string, timeframe: TimeframeId, fromSec: number, toSec: number): number | undefined;
  /**
   * Every bar of [fromSec, toSec] (inclusive), oldest first, as one Float64Array of six columns one after another
   * (`n` times, then `n` opens, highs, lows, closes and volumes): what the chart cache keeps of a chunk.
   */
  readColumns(instrument: string, timeframe: TimeframeId, fromSec: number, toSec: number): { n: number; cols: Float64Array };
  /**
   * Where bars changed after `gen` (table `bar_changes`, migration market/0004): one row per instrument, timeframe
   * and chunk [start, end) with the generation of its latest change, oldest change first.
   */
  changesSince(gen: number): BarChange[];
  /**
   * The generation of the latest change of any bar (0 when none was recorded): one index seek, and it grows with
   * every write that changes a bar, from any connection or process.
   */
  lastChangeGen(): number;
  /** Run `fn` in one read transaction, so all its reads see the same state of the database. */
  snapshot<T>(fn: () => T): T;
  /**
   * Count, oldest and newest bar per instrument and timeframe (all instruments when none is given), by instrument
   * and then by bar length (1m, 5m, 15m, 30m, 1h, 4h, 1d).
   */
  coverage(instrument?: string): CoverageRow[];
}

/** A stretch of time in which bars of an instrument and timeframe changed (`bar_changes`). */
export interface BarChange {
  instrument: string;
  timeframe: string;
  /** Unix seconds, [start, end). */
  start: number;
  end: number;
  gen: number;
}

export const DEFAULT_CHART_LIMIT = 2000;
/**
 * Bars are tracked (changes in `bar_changes`, the chart cache's chunks) in stretches of 1,024 bar lengths: 17 h 4 min
 * of 1m bars, 42 days 16 h of 1h bars, 1,024 days of daily bars; each holds at most 1,024 bars, fewer where the
 * market is closed. A 2,000-bar chart window spans two to four of them.
 */
export const CHUNK_BARS = 1024;

/** Length in seconds of a chunk of `timeframe` (see CHUNK_BARS). */
export function chunkSeconds(timeframe: TimeframeId): number {
  return TIMEFRAMES[timeframe].seconds * CHUNK_BARS;
}

/** Start (Unix seconds) of the chunk holding a bar that opens at `time`; chunks start on multiples of their length. */
export function chunkStart(timeframe: TimeframeId, time: number): number {
  const span = chunkSeconds(timeframe);
  return Math.floor(time / span) * span;
}
export const MAX_CHART_LIMIT = 100_000;
const MAX_REJECTIONS_KEPT = 20;
/** Rows per multi-row upsert statement (900 parameters, well under SQLite's 32,766). */
const UPSERT_BATCH = 100;
const MIN_TIME = -8_640_000_000_000; // ±10^8 days, Date's own range, in seconds
const MAX_TIME = 8_640_000_000_000;

/** Why a bar cannot be stored, or undefined when it is fine. */
export function validateBar(bar: Bar): string | undefined {
  const { time, open, high, low, close, volume } = bar;
  // Fast path without allocations (the bulk upsert calls this per bar): low > 0 and low ≤ open, close ≤ high < ∞
  // make every price positive and finite; NaN fails every comparison and falls through to the detailed checks.
  if (
    typeof open === 'number' &&
    typeof high === 'number' &&
    typeof low === 'number' &&
    typeof close === 'number' &&
    low > 0 &&
    low <= open &&
    low <= close &&
    open <= high &&
    close <= high &&
    high < Number.POSITIVE_INFINITY &&
    Number.isInteger(volume) &&
    volume >= 0 &&
    Number.isInteger(time) &&
    time >= MIN_TIME &&
    time <= MAX_TIME
  ) {
    return undefined;
  }
  if (!Number.isInteger(time) || time < MIN_TIME || time > MAX_TIME) return `time ${String(time)} is not a whole number of Unix seconds`;
  for (const [name, v] of [
    ['open', open],
    ['high', high],
    ['low', low],
    ['close', close],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return `${name} ${String(v)} is not a finite number`;
    if (v <= 0) return `${name} ${v} is not positive`;
  }
  if (low > high) return `low ${low} is above high ${high}`;
  if (open < low || open > high) return `open ${open} is outside low–high ${low}–${high}`;
  if (close < low || close > high) return `close ${close} is outside low–high ${low}–${high}`;
  if (typeof volume !== 'number' || !Number.isInteger(volume) || volume < 0) return `volume ${String(volume)} is not a whole number ≥ 0`;
  return undefined;
}

const INSTRUMENT_KEY = /^[A-Z0-9]{1,8}$/;

/** TL_MARKET_BAD_INSTRUMENT / TL_MARKET_BAD_TIMEFRAME unless `instrument` is a root and `timeframe` one tradelog stores. */
export function checkKey(instrument: string, timeframe: string): void {
  if (!INSTRUMENT_KEY.test(instrument)) {
    throw new AppError('TL_MARKET_BAD_INSTRUMENT', `"${instrument}" is not an instrument root (bars are stored per root, e.g. MNQ).`, {
      remedy: 'Name the instrument by its root (MNQ) or a contract (MNQ 12-25); tradelog stores bars per root.',
      details: { instrument },
    });
  }
  if (!isTimeframeId(timeframe)) throw badTimeframe(timeframe);
}

function clampLimit(limit: number | undefined, fallback: number | undefined): number | undefined {
  const l = limit ?? fallback;
  if (l === undefined) return undefined;
  if (!Number.isInteger(l) || l < 1) {
    throw new AppError('TL_MARKET_BAD_RANGE', `limit ${String(l)} is not a whole number ≥ 1.`, {
      remedy: `Ask for between 1 and ${MAX_CHART_LIMIT} bars.`,
      details: { limit: l },
    });
  }
  return Math.min(l, MAX_CHART_LIMIT);
}

/**
 * `[from, to, limit]` of a chart query: the range in whole Unix seconds (open ends → the widest times stored) and
 * the limit (default 2,000, at most 100,000). TL_MARKET_BAD_RANGE when the range is empty or the limit not ≥ 1.
 */
export function chartQueryBounds(query: RangeQuery): [number, number, number] {
  const [from, to] = bounds(query);
  return [from, to, clampLimit(query.limit, DEFAULT_CHART_LIMIT) as number];
}

function bounds(query: RangeQuery): [number, number] {
  const from = query.from ?? MIN_TIME;
  const to = query.to ?? MAX_TIME;
  if (!Number.isFinite(from) || !Number.isFinite(to) || from > to) {
    throw new AppError(
      'TL_MARKET_BAD_RANGE',
      `The range from ${String(query.from)} to ${String(query.to)} is empty or not a range of times.`,
      {
        remedy: 'Give "from" before "to" (ISO 8601 dates or Unix seconds).',
        details: { from: query.from, to: query.to },
      },
    );
  }
  return [Math.floor(from), Math.floor(to)];
}

type RawRow = [number, number, number, number, number, number];

/** Order of timeframes by bar length; a name that is not a timeframe sorts last. */
function byLength(a: string, b: string): number {
  const rank = (tf: string) => (isTimeframeId(tf) ? TIMEFRAMES[tf].seconds : Number.POSITIVE_INFINITY);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

export function createBarsRepo(db: Db): BarsRepo {
  const conn = db.conn;
  // Upsert that only rewrites a row whose values or source differ, so `changes` counts real changes. Bars go in
  // 100 per statement (fewer crossings between JavaScript and SQLite; faster than a one-row plain INSERT).
  const conflict = `ON CONFLICT (instrument, timeframe, time) DO UPDATE SET
       open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
       volume = excluded.volume, source = excluded.source
     WHERE open IS NOT excluded.open OR high IS NOT excluded.high OR low IS NOT excluded.low OR close IS NOT excluded.close
        OR volume IS NOT excluded.volume OR source IS NOT excluded.source`;
  const insertHead = 'INSERT INTO bars (instrument, timeframe, time, open, high, low, close, volume, source) VALUES';
  const tuple = '(?, ?, ?, ?, ?, ?, ?, ?, ?)';
  const upsertOne = conn.prepare(`${insertHead} ${tuple} ${conflict}`);
  const upsertBatch = conn.prepare(`${insertHead} ${Array(UPSERT_BATCH).fill(tuple).join(', ')} ${conflict}`);
  const batchArgs: unknown[] = new Array(UPSERT_BATCH * 9);
  const cols = 'time, open, high, low, close, volume';
  const rangeAsc = conn.prepare(
    `SELECT ${cols} FROM bars WHERE instrument = ? AND timeframe = ? AND time >= ? AND time <= ? ORDER BY time`,
  );
  const newestSql = `SELECT ${cols} FROM bars WHERE instrument = ? AND timeframe = ? AND time >= ? AND time <= ? ORDER BY time DESC LIMIT ?`;
  const newestDesc = conn.prepare(newestSql);
  // The same query for readColumnar, rows as arrays (a statement is either raw or not).
  const newestDescRaw = conn.prepare(newestSql).raw(true);
  const timesStmt = conn
    .prepare('SELECT time FROM bars WHERE instrument = ? AND timeframe = ? AND time >= ? AND time < ? ORDER BY time')
    .pluck();
  const coverageAll = conn.prepare(
    'SELECT instrument, timeframe, count(*) AS count, min(time) AS first, max(time) AS last FROM bars GROUP BY instrument, timeframe ORDER BY instrument, timeframe',
  );
  const coverageOne = conn.prepare(
    'SELECT instrument, timeframe, count(*) AS count, min(time) AS first, max(time) AS last FROM bars WHERE instrument = ? GROUP BY instrument, timeframe ORDER BY timeframe',
  );
  const newestTimeStmt = conn
    .prepare('SELECT time FROM bars WHERE instrument = ? AND timeframe = ? AND time >= ? AND time <= ? ORDER BY time DESC LIMIT 1')
    .pluck();
  const rangeAscRaw = conn
    .prepare(`SELECT ${cols} FROM bars WHERE instrument = ? AND timeframe = ? AND time >= ? AND time <= ? ORDER BY time`)
    .raw(true);
  const nextGen = conn.prepare('SELECT coalesce(max(gen), 0) + 1 FROM bar_changes').pluck();
  const lastGen = conn.prepare('SELECT coalesce(max(gen), 0) FROM bar_changes').pluck();
  const recordChange = conn.prepare(
    `INSERT INTO bar_changes (instrument, timeframe, start, end, gen) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (instrument, timeframe, start) DO UPDATE SET end = excluded.end, gen = excluded.gen`,
  );
  const changesAfter = conn.prepare('SELECT instrument, timeframe, start, end, gen FROM bar_changes WHERE gen > ? ORDER BY gen');
  const inSnapshot = conn.transaction((fn: () => unknown) => fn());

  function readColumnar(instrument: string, timeframe: TimeframeId, query: RangeQuery = {}): ColumnarBars {
    checkKey(instrument, timeframe);
    const [from, to] = bounds(query);
    const limit = clampLimit(query.limit, DEFAULT_CHART_LIMIT) as number;
    const rows = db.read(() => newestDescRaw.all(instrument, timeframe, from, to, limit)) as RawRow[];
    const n = rows.length;
    const out: ColumnarBars = { t: new Array(n), o: new Array(n), h: new Array(n), l: new Array(n), c: new Array(n), v: new Array(n) };
    for (let i = 0; i < n; i++) {
      const r = rows[n - 1 - i] as RawRow;
      out.t[i] = r[0];
      out.o[i] = r[1];
      out.h[i] = r[2];
      out.l[i] = r[3];
      out.c[i] = r[4];
      out.v[i] = r[5];
    }
    return out;
  }

  return {
    upsert(instrument, timeframe, bars, source) {
      checkKey(instrument, timeframe);
      const result: UpsertResult = { received: bars.length, stored: 0, unchanged: 0, rejected: 0, rejections: [] };
      const daily = timeframe === '1d';
      const span = chunkSeconds(timeframe);
      db.write(() => {
        // Chunks of the batch being built, and of the batches that changed something (recorded in bar_changes).
        const batchChunks = new Set<number>();
        const changedChunks = new Set<number>();
        let lastChunk = Number.NaN;
        const flush = (changes: number) => {
          result.stored += changes;
          if (changes > 0) for (const c of batchChunks) changedChunks.add(c);
          batchChunks.clear();
          lastChunk = Number.NaN;
        };
        let pending = 0;
        let valid = 0;
        for (let i = 0; i < bars.length; i++) {
          const b = bars[i] as Bar;
          const reason = validateBar(b);
          if (reason !== undefined) {
            result.rejected++;
            if (result.rejections.length < MAX_REJECTIONS_KEPT) result.rejections.push({ index: i, time: b.time, reason });
            continue;
          }
          valid++;
          const time = daily ? barTime('1d', b.time) : b.time;
          const chunk = Math.floor(time / span) * span;
          if (chunk !== lastChunk) {
            batchChunks.add(chunk);
            lastChunk = chunk;
          }
          const o = pending * 9;
          batchArgs[o] = instrument;
          batchArgs[o + 1] = timeframe;
          batchArgs[o + 2] = time;
          batchArgs[o + 3] = b.open;
          batchArgs[o + 4] = b.high;
          batchArgs[o + 5] = b.low;
          batchArgs[o + 6] = b.close;
          batchArgs[o + 7] = b.volume;
          batchArgs[o + 8] = source;
          if (++pending === UPSERT_BATCH) {
            flush(upsertBatch.run(batchArgs).changes);
            pending = 0;
          }
        }
        let rest = 0;
        for (let j = 0; j < pending; j++) rest += upsertOne.run(batchArgs.slice(j * 9, j * 9 + 9)).changes;
        flush(rest);
        result.unchanged = valid - result.stored;
        if (changedChunks.size > 0) {
          const gen = nextGen.get() as number;
          for (const start of changedChunks) recordChange.run(instrument, timeframe, start, start + span, gen);
        }
      });
      return result;
    },

    read(instrument, timeframe, query = {}) {
      checkKey(instrument, timeframe);
      const [from, to] = bounds(query);
      const limit = clampLimit(query.limit, undefined);
      if (limit === undefined) return db.read(() => rangeAsc.all(instrument, timeframe, from, to)) as Bar[];
      const rows = db.read(() => newestDesc.all(instrument, timeframe, from, to, limit)) as Bar[];
      return rows.reverse();
    },

    readColumnar,

    times(instrument, timeframe, fromSec, toSec) {
      checkKey(instrument, timeframe);
      return db.read(() => timesStmt.all(instrument, timeframe, fromSec, toSec)) as number[];
    },

    newestTime(instrument, timeframe, fromSec, toSec) {
      return db.read(() => newestTimeStmt.get(instrument, timeframe, fromSec, toSec)) as number | undefined;
    },

    readColumns(instrument, timeframe, fromSec, toSec) {
      const rows = db.read(() => rangeAscRaw.all(instrument, timeframe, fromSec, toSec)) as RawRow[];
      const n = rows.length;
      const cols = new Float64Array(6 * n);
      for (let i = 0; i < n; i++) {
        const r = rows[i] as RawRow;
        cols[i] = r[0];
        cols[n + i] = r[1];
        cols[2 * n + i] = r[2];
        cols[3 * n + i] = r[3];
        cols[4 * n + i] = r[4];
        cols[5 * n + i] = r[5];
      }
      return { n, cols };
    },

    changesSince(gen) {
      return db.read(() => changesAfter.all(gen)) as BarChange[];
    },

    lastChangeGen() {
      return db.read(() => lastGen.get()) as number;
    },

    snapshot(fn) {
      return db.read(() => inSnapshot.deferred(fn)) as ReturnType<typeof fn>;
    },

    coverage(instrument) {
      if (instrument !== undefined) checkKey(instrument, '1h');
      const rows = db.read(() => (instrument === undefined ? coverageAll.all() : coverageOne.all(instrument))) as CoverageRow[];
      // Timeframes by length (1m … 1h, 4h, 1d), not as text (which puts 1d before 1h).
      return rows.sort((a, b) => (a.instrument < b.instrument ? -1 : a.instrument > b.instrument ? 1 : byLength(a.timeframe, b.timeframe)));
    },
  };
}
