import crypto from 'node:crypto';
import os from 'node:os';
import { LRUCache } from 'lru-cache';
import { type BarChange, type BarsRepo, chartQueryBounds, checkKey, chunkSeconds, chunkStart, type RangeQuery } from './bars.repo.js';
import type { TimeframeId } from './timeframes.js';

/**
 * Chart windows served from memory. Bars are kept in chunks of CHUNK_BARS bar lengths (bars.repo.ts `chunkStart`)
 * per instrument and timeframe, each as six Float64 columns and, once asked for in JSON, as the JSON text of those
 * columns. A window (`GET /api/bars/:instrument`: the newest `limit` bars of [from, to]) is a few slices of
 * chunks, copied into one answer; no bar is read from the database or formatted again while its chunk is held.
 *
 * Why it stays right: every write that changes bars records, in the same transaction, which chunks it changed and
 * a generation number that grows (`bar_changes`, bars.repo.ts). Before each window the cache reads the newest
 * generation (one index seek) and, when it moved, drops exactly the chunks changed since, whoever wrote them (this
 * connection, a CLI import in another process, a download job). History that nobody rewrites stays cached.
 *
 * Memory is bounded: columns and JSON texts are dropped least recently used first once their bytes pass `maxBytes`
 * (48 bytes a bar for the columns, about 50 more for the JSON text); 64 MiB by default holds about 1.3 million bars
 * in the binary form alone, about 650,000 in both. `maxBytes` 0 keeps nothing: every window is read from the
 * database.
 */
export const DEFAULT_CHART_CACHE_BYTES = 64 * 1024 * 1024;

/** A chunk's bars. Shared with answers being built: never changed once stored (but for the link to the previous). */
interface Chunk {
  readonly kind: 'columns';
  readonly key: string;
  readonly start: number;
  readonly n: number;
  /** t, o, h, l, c, v: `n` values each, one column after another; t ascending. */
  readonly cols: Float64Array;
  /** Every price is exactly a float32; every volume fits a uint32 (volumes are whole numbers ≥ 0). */
  readonly pricesF32: boolean;
  readonly volumesU32: boolean;
  /** Start of the newest chunk before this one that holds bars (null: none), while `linkGen` is its series' gen. */
  prev?: number | null;
  linkGen?: number;
}

/**
 * The JSON text of a chunk's six columns (`1750000000,1750003600,…` each), one after another: its own cache entry
 * (key: the chunk's + JSON_SUFFIX), so that under memory pressure the text of chunks asked for in JSON can go while
 * the columns the chart page reads stay, or the other way round, by what was used last.
 */
interface JsonColumns {
  readonly kind: 'json';
  readonly text: Buffer;
  /** Per column, the byte offset of every MARK_EVERY-th value, then the column's end: `marksPerColumn` each. */
  readonly marks: Uint32Array;
  readonly marksPerColumn: number;
}

/** Per instrument and timeframe: the generation of the latest change seen (0: none since this cache started). */
interface Series {
  gen: number;
}

/** A slice [lo, hi) of a chunk's bars. */
interface Piece {
  chunk: Chunk;
  lo: number;
  hi: number;
}

/** A window of bars, ready to be sent in either form. */
export interface ChartWindow {
  /** The instrument root the bars are stored under. */
  readonly instrument: string;
  readonly timeframe: TimeframeId;
  readonly count: number;
  /**
   * Differs from every earlier value whenever a bar of this instrument and timeframe changed (and from those of
   * another cache or process): with the query it names the answer, for an ETag.
   */
  readonly version: string;
  /** `{"instrument":"MNQ","timeframe":"1h","t":[…],"o":[…],"h":[…],"l":[…],"c":[…],"v":[…]}` as UTF-8. */
  json(): Buffer;
  /** The binary form (BARS_BINARY_*): a 24-byte header, then the six columns, each in the narrowest exact type. */
  binary(): Buffer;
}

/**
 * The binary form (docs/web.md "Bars in binary"), all numbers little-endian:
 * - bytes 0–3 `TLB1`; 4–7 the number of bars n (uint32);
 * - bytes 8–13 how each column is stored, in the order t, o, h, l, c, v: 1 = float64, 2 = float32, 3 = uint32;
 *   bytes 14–15 zero;
 * - bytes 16–23 a float64 base: when t is stored as uint32, t[i] = base + the stored value (else 0);
 * - from byte 24 the six columns, n values each, every one padded with zero bytes to a multiple of 8 bytes (so each
 *   starts where a Float64Array view of it can).
 * Every stored value is exact: a column is float32 or uint32 only when all its values are.
 */
export const BARS_BINARY_MAGIC = 'TLB1';
export const BARS_BINARY_HEADER = 24;
export const BARS_BINARY_TYPE = 'application/vnd.tradelog.bars';

const COLUMNS = ['t', 'o', 'h', 'l', 'c', 'v'] as const;
const MARK_EVERY = 16;
const COMMA = 0x2c;
/** Bytes of bookkeeping per cache entry besides its arrays (objects, key, list nodes), for the memory bound. */
const ENTRY_OVERHEAD = 400;
/** A change row spanning more chunks than this (not written by this version) drops the whole series instead. */
const MAX_CHUNKS_PER_CHANGE = 4096;
const BIG_ENDIAN = os.endianness() === 'BE';

export interface ChartCacheStats {
  /** Chunks' columns and JSON texts held. */
  entries: number;
  bytes: number;
  maxBytes: number;
  /** Chunks found in memory / read from the database, since start. */
  hits: number;
  misses: number;
}

export class ChartCache {
  private readonly chunks: LRUCache<string, Chunk | JsonColumns> | undefined;
  private readonly series = new Map<string, Series>();
  /** The highest bar_changes generation applied; undefined until the first window. */
  private seenGen: number | undefined;
  /** Names this cache's versions apart from those of another cache or an earlier process. */
  private readonly instance = crypto.randomBytes(6).toString('base64url');
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly repo: BarsRepo,
    readonly maxBytes = DEFAULT_CHART_CACHE_BYTES,
  ) {
    this.chunks = maxBytes > 0 ? new LRUCache<string, Chunk | JsonColumns>({ maxSize: maxBytes, sizeCalculation: entryBytes }) : undefined;
  }

  /** The newest `limit` bars (default 2,000) of [from, to] of a root and timeframe, oldest first. */
  window(instrument: string, timeframe: TimeframeId, query: RangeQuery = {}): ChartWindow {
    checkKey(instrument, timeframe);
    const [from, to, limit] = chartQueryBounds(query);
    const seriesKey = `${instrument}\u001f${timeframe}`;
    const { pieces, gen } = this.repo.snapshot(() => {
      this.sync();
      const s = this.seriesOf(seriesKey);
      return { pieces: this.walk(s, seriesKey, instrument, timeframe, from, to, limit), gen: s.gen };
    });
    const count = pieces.reduce((n, p) => n + p.hi - p.lo, 0);
    return {
      instrument,
      timeframe,
      count,
      version: `${this.instance}.${gen}`,
      json: () => this.json(instrument, timeframe, pieces),
      binary: () => binary(pieces, count),
    };
  }

  stats(): ChartCacheStats {
    return {
      entries: this.chunks?.size ?? 0,
      bytes: this.chunks?.calculatedSize ?? 0,
      maxBytes: this.maxBytes,
      hits: this.hits,
      misses: this.misses,
    };
  }

  /** Drop the chunks whose bars changed since the last window (bar_changes rows above `seenGen`). */
  private sync(): void {
    const latest = this.repo.lastChangeGen();
    if (this.seenGen === undefined) {
      // Nothing is cached yet: every chunk read from now on is read as it is now.
      this.seenGen = latest;
      return;
    }
    if (latest === this.seenGen) return;
    for (const change of this.repo.changesSince(this.seenGen)) this.invalidate(change);
    this.seenGen = latest;
  }

  private invalidate(change: BarChange): void {
    const seriesKey = `${change.instrument}\u001f${change.timeframe}`;
    this.seriesOf(seriesKey).gen = change.gen;
    if (!this.chunks) return;
    const timeframe = change.timeframe as TimeframeId;
    let span: number;
    try {
      span = chunkSeconds(timeframe);
    } catch {
      return; // not a timeframe of this version: nothing of it is cached
    }
    if ((change.end - change.start) / span > MAX_CHUNKS_PER_CHANGE) {
      for (const key of [...this.chunks.keys()]) if (key.startsWith(`${seriesKey}\u001f`)) this.chunks.delete(key);
      return;
    }
    for (let start = chunkStart(timeframe, change.start); start < change.end; start += span) {
      this.chunks.delete(`${seriesKey}\u001f${start}`);
      this.chunks.delete(`${seriesKey}\u001f${start}${JSON_SUFFIX}`);
    }
  }

  private seriesOf(key: string): Series {
    let s = this.series.get(key);
    if (!s) {
      s = { gen: 0 };
      this.series.set(key, s);
    }
    return s;
  }

  /**
   * The pieces of the window, oldest first: from the chunk holding `to` back through the chunks that hold bars
   * (found by their links, or one index seek each), until `limit` bars are taken or `from` is passed.
   */
  private walk(s: Series, seriesKey: string, instrument: string, timeframe: TimeframeId, from: number, to: number, limit: number): Piece[] {
    const span = chunkSeconds(timeframe);
    const pieces: Piece[] = [];
    let remaining = limit;
    let start: number | null = chunkStart(timeframe, to);
    while (start !== null && remaining > 0 && start + span > from) {
      const chunk = this.chunk(seriesKey, instrument, timeframe, start, span);
      const t = chunk.cols;
      const hi = upperBound(t, 0, chunk.n, to);
      const lo = Math.max(lowerBound(t, 0, hi, from), hi - remaining);
      if (hi > lo) {
        pieces.push({ chunk, lo, hi });
        remaining -= hi - lo;
      }
      if (chunk.start <= from) break;
      start = this.previous(s, chunk, instrument, timeframe);
    }
    return pieces.reverse();
  }

  /** Start of the newest chunk before `chunk` that holds bars, or null. */
  private previous(s: Series, chunk: Chunk, instrument: string, timeframe: TimeframeId): number | null {
    if (chunk.linkGen === s.gen && chunk.prev !== undefined) return chunk.prev;
    const t = this.repo.newestTime(instrument, timeframe, Number.MIN_SAFE_INTEGER, chunk.start - 1);
    const prev = t === undefined ? null : chunkStart(timeframe, t);
    chunk.prev = prev;
    chunk.linkGen = s.gen;
    return prev;
  }

  private chunk(seriesKey: string, instrument: string, timeframe: TimeframeId, start: number, span: number): Chunk {
    const key = `${seriesKey}\u001f${start}`;
    const held = this.chunks?.get(key);
    if (held?.kind === 'columns') {
      this.hits++;
      return held;
    }
    this.misses++;
    const { n, cols } = this.repo.readColumns(instrument, timeframe, start, start + span - 1);
    const chunk: Chunk = { kind: 'columns', key, start, n, cols, ...narrowTypes(n, cols) };
    this.chunks?.set(key, chunk);
    return chunk;
  }

  private json(instrument: string, timeframe: TimeframeId, pieces: readonly Piece[]): Buffer {
    const parts: Buffer[] = [Buffer.from(`{"instrument":${JSON.stringify(instrument)},"timeframe":${JSON.stringify(timeframe)}`)];
    let length = parts[0]?.length ?? 0;
    for (let k = 0; k < COLUMNS.length; k++) {
      const head = COLUMN_HEADS[k] as Buffer;
      parts.push(head);
      length += head.length;
      let first = true;
      for (const p of pieces) {
        if (p.hi <= p.lo) continue;
        if (!first) {
          parts.push(COMMA_BUFFER);
          length += 1;
        }
        first = false;
        const slice = jsonSlice(this.jsonOf(p.chunk), k, p.lo, p.hi, p.chunk.n);
        parts.push(slice);
        length += slice.length;
      }
      parts.push(CLOSE_ARRAY);
      length += 1;
    }
    parts.push(CLOSE_OBJECT);
    length += 1;
    return Buffer.concat(parts, length);
  }

  /** The JSON text of a chunk's columns, made on first demand and kept as an entry of its own. */
  private jsonOf(chunk: Chunk): JsonColumns {
    const key = `${chunk.key}${JSON_SUFFIX}`;
    const held = this.chunks?.get(key);
    if (held?.kind === 'json') return held;
    const json = jsonColumns(chunk);
    this.chunks?.set(key, json);
    return json;
  }
}

const COLUMN_HEADS = COLUMNS.map((c) => Buffer.from(`,"${c}":[`));
const COMMA_BUFFER = Buffer.from(',');
const CLOSE_ARRAY = Buffer.from(']');
const CLOSE_OBJECT = Buffer.from('}');

const JSON_SUFFIX = '\u001fjson';

function entryBytes(e: Chunk | JsonColumns): number {
  return ENTRY_OVERHEAD + (e.kind === 'columns' ? e.cols.byteLength : e.text.length + e.marks.byteLength);
}

/** Index of the first of t[lo..hi) that is ≥ x (hi when none). */
function lowerBound(t: Float64Array, lo: number, hi: number, x: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const m = (a + b) >>> 1;
    if ((t[m] as number) < x) a = m + 1;
    else b = m;
  }
  return a;
}

/** Index of the first of t[lo..hi) that is > x (hi when none). */
function upperBound(t: Float64Array, lo: number, hi: number, x: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const m = (a + b) >>> 1;
    if ((t[m] as number) <= x) a = m + 1;
    else b = m;
  }
  return a;
}

/**
 * Numbers as JSON writes them (`String(x)` is JSON.stringify's form for every finite number: shortest text that
 * reads back as the same double), each column's values separated by commas.
 */
function jsonColumns(chunk: Chunk): JsonColumns {
  const { n, cols } = chunk;
  const marksPerColumn = Math.ceil(n / MARK_EVERY) + 1;
  const marks = new Uint32Array(COLUMNS.length * marksPerColumn);
  let text = '';
  for (let k = 0; k < COLUMNS.length; k++) {
    const base = k * n;
    for (let i = 0; i < n; i++) {
      if (i % MARK_EVERY === 0) marks[k * marksPerColumn + i / MARK_EVERY] = text.length;
      text += i === n - 1 ? String(cols[base + i]) : `${cols[base + i]},`;
    }
    marks[k * marksPerColumn + marksPerColumn - 1] = text.length;
  }
  return { kind: 'json', text: Buffer.from(text, 'latin1'), marks, marksPerColumn };
}

/** Byte offset in `json.text` where value `i` of column `k` starts (i < n), or where the column ends (i = n). */
function valueOffset(json: JsonColumns, k: number, i: number, n: number): number {
  const row = k * json.marksPerColumn;
  if (i === n) return json.marks[row + json.marksPerColumn - 1] as number;
  let at = json.marks[row + Math.floor(i / MARK_EVERY)] as number;
  for (let skip = i % MARK_EVERY; skip > 0; skip--) at = json.text.indexOf(COMMA, at) + 1;
  return at;
}

/** Values [lo, hi) of column `k` as JSON text (without brackets). */
function jsonSlice(json: JsonColumns, k: number, lo: number, hi: number, n: number): Buffer {
  const start = valueOffset(json, k, lo, n);
  // Value hi starts after the comma that ends value hi - 1; the column's end has no comma after it.
  const end = hi === n ? valueOffset(json, k, n, n) : valueOffset(json, k, hi, n) - 1;
  return json.text.subarray(start, end);
}

/**
 * The binary form (BARS_BINARY_*). Each column is stored in the narrowest type that holds every value of the
 * answer exactly: times as uint32 seconds after the first bar, prices as float32 when each is a float32 (true of
 * prices on quarter-point or other power-of-two ticks, such as ES and MNQ), volumes as uint32. About half the bytes
 * of six float64 columns, for the socket and the browser alike.
 */
function binary(pieces: readonly Piece[], count: number): Buffer {
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  const base = first ? (first.chunk.cols[first.lo] as number) : 0;
  const end = last ? (last.chunk.cols[last.hi - 1] as number) : 0;
  const types: number[] = [
    end - base <= 0xffffffff ? TYPE_U32 : TYPE_F64,
    ...Array(4).fill(pieces.every((p) => p.chunk.pricesF32) ? TYPE_F32 : TYPE_F64),
    pieces.every((p) => p.chunk.volumesU32) ? TYPE_U32 : TYPE_F64,
  ];
  const sizes = types.map((type) => padded((type === TYPE_F64 ? 8 : 4) * count));
  // A fresh ArrayBuffer: offset 0, so every column (at a multiple of 8) can be viewed in its own type.
  const buffer = new ArrayBuffer(BARS_BINARY_HEADER + sizes.reduce((a, b) => a + b, 0));
  const out = Buffer.from(buffer);
  out.write(BARS_BINARY_MAGIC, 0, 'latin1');
  out.writeUInt32LE(count, 4);
  out.set(types, 8);
  out.writeDoubleLE(types[0] === TYPE_U32 ? base : 0, 16);
  let at = BARS_BINARY_HEADER;
  for (let k = 0; k < COLUMNS.length; k++) {
    const type = types[k] as number;
    const column =
      type === TYPE_F64
        ? new Float64Array(buffer, at, count)
        : type === TYPE_F32
          ? new Float32Array(buffer, at, count)
          : new Uint32Array(buffer, at, count);
    let i = 0;
    for (const p of pieces) {
      const from = k * p.chunk.n;
      const values = p.chunk.cols.subarray(from + p.lo, from + p.hi);
      if (k === 0 && type === TYPE_U32) for (let j = 0; j < values.length; j++) column[i + j] = (values[j] as number) - base;
      else column.set(values, i); // float64 → float32 or uint32: exact, as checked when the chunk was read
      i += values.length;
    }
    if (BIG_ENDIAN) {
      const bytes = out.subarray(at, at + (type === TYPE_F64 ? 8 : 4) * count);
      if (type === TYPE_F64) bytes.swap64();
      else bytes.swap32();
    }
    at += sizes[k] as number;
  }
  return out;
}

const TYPE_F64 = 1;
const TYPE_F32 = 2;
const TYPE_U32 = 3;

function padded(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}

/** Whether every price of a chunk is exactly a float32, and every volume a uint32. */
function narrowTypes(n: number, cols: Float64Array): { pricesF32: boolean; volumesU32: boolean } {
  let pricesF32 = true;
  for (let i = n; i < 5 * n && pricesF32; i++) pricesF32 = Math.fround(cols[i] as number) === cols[i];
  let volumesU32 = true;
  for (let i = 5 * n; i < 6 * n && volumesU32; i++) {
    const v = cols[i] as number;
    volumesU32 = Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
  }
  return { pricesF32, volumesU32 };
}
