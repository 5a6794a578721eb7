import { type ZoneOffsets, zoneOffsets } from '../../calendar/zone.js';
import { type DstResolution, toUtc, type WallTime } from '../time.js';
import { bad, ok, type Parsed } from './columns.js';
import type { DateOrder, ZoneUsed } from './types.js';

/**
 * Date-times as the exports write them, and the one rule for placing them in time (issue 10 §4): an offset in
 * the data wins; a zone named in the header comes next; else the per-source zone option.
 *
 * Spellings read (broker-formats.md §9.2):
 *   `9/8/2026 9:31:05 AM`, `27/04/2026 6:05:02`, `01-04-2026 00:27:56`, `27.04.2026 06:05` (NinjaTrader, locale);
 *   `03/13/2026 19:40:45` (Tradovate); `2026-03-13 14:10:45.244Z` (Tradovate `_timestamp`);
 *   `07/02/2026 10:10:08 -04:00` (TopstepX); `2024-04-24 09:52:19` (Rithmic);
 *   `20260323;122919`, `2026-03-23;12:29:19`, `2026-03-23,12:29:19` (IBKR Flex);
 *   `2026-04-09  10:12:51.123456` (Sierra Chart, two spaces).
 * A date written day and month as two small numbers (`04/05/2026`) needs the file's date order.
 */
export interface Stamp {
  /** Year-first dates are never ambiguous; otherwise `first`/`second` are the two numbers before the year. */
  yearFirst: boolean;
  year: number;
  first: number;
  second: number;
  hour: number;
  minute: number;
  second_: number;
  ms: number;
  offsetMinutes?: number;
}

const STAMP =
  /^(?:(\d{4})-(\d{1,2})-(\d{1,2})|(\d{4})(\d{2})(\d{2})|(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}))(?:[T\s;,]+(\d{1,2}):?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9}))?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** Earliest and latest years taken as real trading dates (a year 0000 or 2099 is a bad cell, not a date). */
export const YEAR_WINDOW = [1990, 2090] as const;

export function parseStamp(text: string): Parsed<Stamp> {
  const m = STAMP.exec(text.trim());
  if (!m) return bad(`bad time "${text}": not a date and time`);
  // groups 1–3: y-m-d; 4–6: yyyymmdd; 7–9: a/b/yyyy
  const at = m[1] !== undefined ? 1 : m[4] !== undefined ? 4 : 7;
  const yearFirst = at !== 7;
  const year = Number(m[yearFirst ? at : 9]);
  const first = Number(m[yearFirst ? at + 1 : 7]);
  const second = Number(m[yearFirst ? at + 2 : 8]);
  let hour = Number(m[10] ?? 0);
  const ampm = m[14];
  if (ampm !== undefined) {
    const pm = ampm === 'P' || ampm === 'p';
    if (hour < 1 || hour > 12) return bad(`bad time "${text}": hour ${hour} with ${pm ? 'P' : 'A'}M`);
    hour = (hour % 12) + (pm ? 12 : 0);
  }
  const frac = m[13];
  const ms = frac === undefined ? 0 : Number(frac.length >= 3 ? frac.slice(0, 3) : frac.padEnd(3, '0'));
  const stamp: Stamp = { yearFirst, year, first, second, hour, minute: Number(m[11] ?? 0), second_: Number(m[12] ?? 0), ms };
  const off = m[15];
  if (off !== undefined) stamp.offsetMinutes = off === 'Z' || off === 'z' ? 0 : offsetOf(off);
  if (year < YEAR_WINDOW[0] || year > YEAR_WINDOW[1])
    return bad(`bad time "${text}": year ${year} is outside ${YEAR_WINDOW[0]}–${YEAR_WINDOW[1]}`);
  if (hour > 23 || stamp.minute > 59 || stamp.second_ > 59) return bad(`bad time "${text}": no such time of day`);
  return ok(stamp);
}

function offsetOf(text: string): number {
  const d = text.replace(':', '');
  return (d[0] === '-' ? -1 : 1) * (Number(d.slice(1, 3)) * 60 + Number(d.slice(3, 5)));
}

/** What a stamp says about the date order: `dmy` when the first number cannot be a month, `mdy` for the second. */
export function orderEvidence(s: Stamp): DateOrder | undefined {
  if (s.yearFirst) return undefined;
  if (s.first > 12 && s.second <= 12) return 'dmy';
  if (s.second > 12 && s.first <= 12) return 'mdy';
  return undefined;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  if (month !== 2) return MONTH_DAYS[month - 1] as number;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/** The wall time of a stamp read in a date order (year-first stamps ignore it). */
export function wallOf(s: Stamp, order: DateOrder, text: string): Parsed<WallTime> {
  const [month, day] = s.yearFirst || order === 'mdy' ? [s.first, s.second] : [s.second, s.first];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(s.year, month)) return bad(`bad time "${text}": no such date`);
  const w: WallTime = { year: s.year, month, day, hour: s.hour, minute: s.minute, second: s.second_, ms: s.ms };
  if (s.offsetMinutes !== undefined) w.offsetMinutes = s.offsetMinutes;
  return ok(w);
}

/**
 * The date order of a file from all its date cells: the data decides when one date has a day above 12 (and is
 * refused when dates say both); only when nothing in the file can tell does the `import.dateOrder` setting
 * (`--date-order`) decide, and without it the file is refused, never guessed.
 */
export function decideDateOrder(
  stamps: Iterable<{ text: string; line: number }>,
  option: DateOrder | undefined,
): Parsed<{ order: DateOrder; source: 'data' | 'option' }> & { line?: number } {
  let seen: { order: DateOrder; line: number; text: string } | undefined;
  let ambiguous = false;
  for (const { text, line } of stamps) {
    const s = parseStamp(text);
    if (!s.ok || s.value.yearFirst) continue;
    const e = orderEvidence(s.value);
    if (e === undefined) {
      ambiguous ||= s.value.first !== s.value.second;
      continue;
    }
    if (seen && seen.order !== e) {
      return { ...bad(`dates disagree: "${seen.text}" (line ${seen.line}) is ${name(seen.order)}, "${text}" is ${name(e)}`), line };
    }
    seen ??= { order: e, line, text };
  }
  if (seen) return ok({ order: seen.order, source: 'data' });
  if (option) return ok({ order: option, source: 'option' });
  if (!ambiguous) return ok({ order: 'mdy', source: 'data' }); // every date has day = month (or is year-first): either order reads it the same
  return bad(
    'the dates in this file can be read day-first or month-first (no day above 12): set the date order in Settings → Import (import.dateOrder) or pass --date-order dmy|mdy',
  );
}

const name = (o: DateOrder) => (o === 'dmy' ? 'day-first' : 'month-first');

/** Time-zone abbreviations seen in column names (`Update Time (EDT)`), as the IANA zone whose wall clock they name. */
const HEADER_ZONES: Record<string, string> = {
  EST: 'America/New_York',
  EDT: 'America/New_York',
  ET: 'America/New_York',
  CST: 'America/Chicago',
  CDT: 'America/Chicago',
  CT: 'America/Chicago',
  MST: 'America/Denver',
  MDT: 'America/Denver',
  PST: 'America/Los_Angeles',
  PDT: 'America/Los_Angeles',
  PT: 'America/Los_Angeles',
  UTC: 'UTC',
  GMT: 'UTC',
  CET: 'Europe/Berlin',
  CEST: 'Europe/Berlin',
  BST: 'Europe/London',
};

/** The zone a column name states (`Update Time (EDT)` → America/New_York), undefined when it names none, or a reason. */
export function zoneInHeader(column: string): Parsed<string> | undefined {
  const m = /\(([A-Za-z]{2,5})\)\s*$/.exec(column);
  if (!m) return undefined;
  const zone = HEADER_ZONES[(m[1] as string).toUpperCase()];
  return zone ? ok(zone) : bad(`the column "${column}" names a time zone tradelog does not know (${m[1]}): set the zone for this source`);
}

/**
 * Reads the time cells of one file: a stamp with its own offset is placed by it; a naive one in `zone` (from the
 * header or the option), with DST-skipped or doubled times refused unless `dst` says which instant.
 */
export class TimeReader {
  private readonly zone: ZoneOffsets;
  private offsets = new Set<number>();
  private naive = false;
  private lastOffset: number | undefined;

  constructor(
    private readonly used: { zone: string; source: 'header' | 'option'; from?: string },
    private readonly dst: DstResolution = 'reject',
    private order: DateOrder = 'mdy',
  ) {
    this.zone = zoneOffsets(used.zone);
  }

  setOrder(order: DateOrder): void {
    this.order = order;
  }

  read(text: string): Parsed<number> {
    const s = parseStamp(text);
    if (!s.ok) return s;
    const w = wallOf(s.value, this.order, text);
    if (!w.ok) return w;
    const off = w.value.offsetMinutes;
    if (off === undefined) this.naive = true;
    else if (off !== this.lastOffset) {
      this.offsets.add(off);
      this.lastOffset = off;
    }
    const t = toUtc(w.value, this.zone, this.dst, text.trim());
    return typeof t === 'string' ? bad(t) : ok(t);
  }

  /** The zone the file's times were read in: the data's offsets when every stamp had one. */
  zoneUsed(): ZoneUsed {
    if (!this.naive && this.offsets.size > 0) {
      const zone = [...this.offsets]
        .sort((a, b) => a - b)
        .map(offsetText)
        .join(', ');
      return { zone, source: 'data' };
    }
    return this.used.from === undefined ? { zone: this.used.zone, source: this.used.source } : { ...this.used };
  }
}

function offsetText(minutes: number): string {
  if (minutes === 0) return 'UTC';
  const a = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}
