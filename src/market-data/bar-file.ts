import { IANAZone } from 'luxon';
import { AppError } from '../errors.js';
import { type Bar, validateBar } from './bars.repo.js';
import { barTime, TIMEFRAMES, type TimeframeId } from './timeframes.js';

/**
 * Bar files a user exported from their platform (`tradelog ohlc import`). Two formats, told apart by the first
 * line:
 *
 * 1. CSV with the header `time,open,high,low,close,volume` (any case). `time` is Unix seconds, or ISO 8601: with
 *    `Z` or an offset it is exact; without one (`2025-06-18 09:30:00`, `2025-06-18`) it is wall-clock time in the
 *    stated zone. Times are bar opens unless `barTime: 'close'` is given.
 * 2. NinjaTrader's bar export (Tools → Historical Data → Export): no header, `;`-separated,
 *    `yyyyMMdd HHmmss;open;high;low;close;volume` for minute bars and `yyyyMMdd;open;high;low;close;volume` for daily
 *    bars, wall-clock time in the zone NinjaTrader runs in. NinjaTrader stamps an intraday bar with the time it
 *    closes, so one bar length is subtracted to get the open (override with `barTime: 'open'`).
 *
 * Daily bars (`1d`) are labelled with their CME trading day (timeframes.ts `barTime`): a date alone
 * (`2025-06-18`, NinjaTrader's `20250618`) is that trading day whatever the zone; a moment (Unix seconds, a time
 * of day) is the trading day it falls in (a bar stamped at the 17:00 CT session open is the next day's). Two lines
 * of one trading day are a duplicate (a Sunday-dated bar belongs to Monday).
 *
 * Every line is checked (format, numbers, the bar's own consistency via validateBar, duplicate times); problems are
 * reported with their line number. A wall-clock time that does not exist in the zone (the hour skipped when clocks
 * go forward) or that exists twice (when they go back) is such a problem: the file alone cannot say which instant
 * was meant.
 */
export type BarFileFormat = 'csv' | 'ninjatrader';

export interface BarFileOptions {
  timeframe: TimeframeId;
  /** IANA zone of wall-clock times in the file. */
  timezone: string;
  /** Whether the file's times are bar opens or closes; default: 'open' for CSV, 'close' for NinjaTrader. */
  barTime?: 'open' | 'close';
}

export interface LineProblem {
  line: number;
  reason: string;
}

export interface ParsedBarFile {
  format: BarFileFormat;
  /** Data lines read (blank lines and the header not counted). */
  read: number;
  /** Valid bars, ascending by time. */
  bars: Bar[];
  /** Lines that could not be read or failed validation, in file order. */
  rejected: LineProblem[];
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NINJA_INTRADAY = /^(\d{4})(\d{2})(\d{2}) (\d{2})(\d{2})(\d{2})$/;
const NINJA_DAILY = /^(\d{4})(\d{2})(\d{2})$/;
const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?$/;
const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}:?\d{2})$/i;

class LineError extends Error {}

/** Local wall-clock → UTC for one zone, refusing skipped and repeated times. Offsets cached per 15 minutes. */
function zoneConverter(zoneName: string): (y: number, mo: number, d: number, h: number, mi: number, s: number) => number {
  const zone = IANAZone.create(zoneName);
  if (!zone.isValid) {
    throw new AppError('TL_MARKET_FILE_FORMAT', `"${zoneName}" is not a time zone.`, {
      remedy: 'Give --timezone an IANA zone such as America/New_York or Europe/Berlin.',
      details: { timezone: zoneName },
    });
  }
  const cache = new Map<number, number>();
  const offset = (t: number): number => {
    const key = Math.floor(t / 900_000);
    let o = cache.get(key);
    if (o === undefined) {
      o = zone.offset(key * 900_000) * 60_000;
      cache.set(key, o);
    }
    return o;
  };
  return (y, mo, d, h, mi, s) => {
    const wall = Date.UTC(y, mo - 1, d, h, mi, s);
    const instants = new Set<number>();
    for (const o of [offset(wall - 86_400_000), offset(wall + 86_400_000)]) {
      const t = wall - o;
      if (offset(t) === o) instants.add(t);
    }
    const label = `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')} ${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}`;
    if (instants.size === 0) throw new LineError(`${label} does not exist in ${zoneName} (clocks went forward)`);
    if (instants.size > 1)
      throw new LineError(`${label} happens twice in ${zoneName} (clocks went back); the file cannot say which is meant`);
    return [...instants][0] as number;
  };
}

function checkDate(y: number, mo: number, d: number, h: number, mi: number, s: number, raw: string): void {
  const probe = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new LineError(`"${raw}" is not a valid date and time`);
  }
}

function num(raw: string | undefined, name: string): number {
  const v = (raw ?? '').trim();
  if (!NUMBER.test(v)) throw new LineError(`${name} "${v}" is not a number`);
  return Number(v);
}

function unquote(v: string): string {
  const t = v.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t;
}

/** Parse a bar file; throws TL_MARKET_FILE_FORMAT when the first line is neither format. */
export function parseBarFile(text: string, options: BarFileOptions): ParsedBarFile {
  const tf = TIMEFRAMES[options.timeframe];
  const toUtc = zoneConverter(options.timezone);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const firstIndex = lines.findIndex((l) => l.trim() !== '');
  if (firstIndex < 0) {
    throw new AppError('TL_MARKET_FILE_FORMAT', 'The bar file is empty.', {
      remedy: 'Export the bars again, with the header time,open,high,low,close,volume or in NinjaTrader’s format.',
    });
  }
  const first = (lines[firstIndex] as string).trim();
  let format: BarFileFormat;
  let dataStart: number;
  if (/^\d{8}( \d{6})?;/.test(first)) {
    format = 'ninjatrader';
    dataStart = firstIndex;
  } else {
    const header = first.split(',').map((h) => unquote(h).toLowerCase());
    if (header.join(',') !== 'time,open,high,low,close,volume') {
      throw new AppError(
        'TL_MARKET_FILE_FORMAT',
        `Line ${firstIndex + 1} is "${first.slice(0, 80)}": neither the header time,open,high,low,close,volume nor a NinjaTrader bar line (yyyyMMdd HHmmss;open;high;low;close;volume).`,
        {
          remedy: 'Use a CSV with the header time,open,high,low,close,volume, or NinjaTrader’s Historical Data export.',
          details: { line: firstIndex + 1 },
        },
      );
    }
    format = 'csv';
    dataStart = firstIndex + 1;
  }
  const stamped = options.barTime ?? (format === 'ninjatrader' ? 'close' : 'open');
  const daily = tf.id === '1d';
  const shift = stamped === 'close' && !daily ? tf.seconds : 0;

  const bars: (Bar & { line: number })[] = [];
  const rejected: LineProblem[] = [];
  let read = 0;
  for (let i = dataStart; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === '') continue;
    read++;
    const line = i + 1;
    try {
      const cells = format === 'csv' ? raw.split(',').map(unquote) : raw.split(';').map((c) => c.trim());
      if (cells.length !== 6) throw new LineError(`has ${cells.length} fields, expected 6 (time, open, high, low, close, volume)`);
      const t = cells[0] as string;
      let ms: number;
      if (format === 'ninjatrader') {
        const m = NINJA_INTRADAY.exec(t) ?? NINJA_DAILY.exec(t);
        if (!m) throw new LineError(`time "${t}" is not yyyyMMdd HHmmss`);
        const f = m.slice(1).map((x) => Number(x ?? 0)) as number[];
        const [y, mo, d, h = 0, mi = 0, s = 0] = f as [number, number, number, number?, number?, number?];
        checkDate(y, mo, d, h, mi, s, t);
        ms = daily && m[4] === undefined ? Date.UTC(y, mo - 1, d) : toUtc(y, mo, d, h, mi, s);
      } else if (/^\d+$/.test(t)) {
        if (t.length > 11) throw new LineError(`time ${t} looks like milliseconds; give Unix seconds or ISO 8601`);
        ms = Number(t) * 1000;
      } else {
        const z = ISO_WITH_ZONE.exec(t);
        const m = z ?? ISO_LOCAL.exec(t);
        if (!m) throw new LineError(`time "${t}" is neither Unix seconds nor ISO 8601`);
        const [y, mo, d, h, mi, s, frac] = m.slice(1, 8).map((x) => Number(x ?? 0)) as number[] as [
          number,
          number,
          number,
          number,
          number,
          number,
          number,
        ];
        checkDate(y, mo, d, h, mi, s, t);
        if (z) {
          const zone = (z[8] as string).toUpperCase();
          const offsetMin = zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
          ms = Date.UTC(y, mo - 1, d, h, mi, s) + frac - offsetMin * 60_000;
        } else if (daily && m[4] === undefined) {
          ms = Date.UTC(y, mo - 1, d);
        } else {
          ms = toUtc(y, mo, d, h, mi, s) + frac;
        }
      }
      if (ms % 1000 !== 0) throw new LineError(`time "${t}" has a fraction of a second`);
      const bar: Bar & { line: number } = {
        time: daily ? barTime('1d', ms / 1000) : ms / 1000 - shift,
        open: num(cells[1], 'open'),
        high: num(cells[2], 'high'),
        low: num(cells[3], 'low'),
        close: num(cells[4], 'close'),
        volume: num(cells[5], 'volume'),
        line,
      };
      const invalid = validateBar(bar);
      if (invalid) throw new LineError(invalid);
      bars.push(bar);
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      rejected.push({ line, reason: err.message });
    }
  }
  bars.sort((a, b) => a.time - b.time || a.line - b.line);
  const unique: Bar[] = [];
  for (let i = 0; i < bars.length; i++) {
    const b = bars[i] as Bar & { line: number };
    const prev = bars[i - 1];
    if (prev && prev.time === b.time) {
      const what = daily ? `same trading day (${new Date(b.time * 1000).toISOString().slice(0, 10)})` : 'same bar time';
      rejected.push({ line: b.line, reason: `${what} as line ${prev.line}` });
      continue;
    }
    unique.push({ time: b.time, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume });
  }
  rejected.sort((a, b) => a.line - b.line);
  return { format, read, bars: unique, rejected };
}
