import { MAX_QUANTITY } from '../limits.js';
import { PRICE_SCALE, parseCommissionCents, parsePriceUnits, roundHalfAway } from '../money.js';
import { bad, ok, type Parsed } from './columns.js';

/**
 * Numbers as exports in every locale write them, brought to the plain spelling money.ts reads exactly
 * (`1234.56`, `-0.62`): prices become price units (1e-7), money becomes cents.
 *
 * The decimal mark is decided once per file (`decideDecimalMark`), never per cell: in a decimal-comma file
 * `2,345` is NG at 2.345, in a decimal-point file it is two thousand three hundred and forty-five. The other mark
 * may then only group thousands in threes (`21,482.50`, `1.234,56`); anything else is a bad number, not a guess.
 *
 * Money adds currency marks and signs: `$1.04`, `0,62 $`, `90.00 $`, `USD 4.04`, `($75.90)`, `$(10.00)`,
 * `-$0.10`, `"$1,200.00"`, `-1.24`.
 */
export type DecimalMark = '.' | ',';

const SPACES = /[\s\u00a0\u202f']/g;

const GROUPED: Record<DecimalMark, RegExp> = { '.': /^\d{1,3}(,\d{3})+$/, ',': /^\d{1,3}(\.\d{3})+$/ };

/** True for the spelling money.ts reads as it is: digits, then at most one `.` and digits. */
function isPlain(t: string): boolean {
  let dot = false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 46 && !dot && i > 0 && i < t.length - 1) dot = true;
    else if (c < 48 || c > 57) return false;
  }
  return t.length > 0;
}

/** Number text → the plain spelling (digits, one optional `.`, optional leading `-`), or undefined. */
export function plainNumber(text: string, mark: DecimalMark): string | undefined {
  if (mark === '.' && isPlain(text)) return text;
  let t = text.replace(SPACES, '');
  let sign = '';
  if (t.startsWith('-') || t.startsWith('+')) {
    sign = t[0] === '-' ? '-' : '';
    t = t.slice(1);
  }
  const group = mark === '.' ? ',' : '.';
  const [whole, frac, extra] = t.split(mark);
  if (extra !== undefined || whole === undefined) return undefined;
  if (whole.includes(group)) {
    if (!GROUPED[mark].test(whole)) return undefined;
  } else if (!/^\d*$/.test(whole)) return undefined;
  if (frac !== undefined && !/^\d+$/.test(frac)) return undefined;
  const digits = whole.split(group).join('');
  if (digits === '' && frac === undefined) return undefined;
  return `${sign}${digits || '0'}${frac === undefined ? '' : `.${frac}`}`;
}

export function parsePrice(text: string, mark: DecimalMark = '.'): Parsed<number> {
  const plain = plainNumber(text, mark);
  const units = plain === undefined ? undefined : parsePriceUnits(plain);
  return typeof units === 'number' ? ok(units) : bad(`bad price "${text}"`);
}

/** Money text → its sign and plain number, currency marks and parentheses taken off. */
function moneyParts(text: string, mark: DecimalMark): { negative: boolean; plain: string } | undefined {
  let t = text.replace(SPACES, '').replace(/^(USD|EUR|US\$)|(USD|EUR)$/i, '');
  let negative = false;
  for (let pass = 0; pass < 3; pass++) {
    const before = t;
    if (t.startsWith('-')) {
      negative = !negative;
      t = t.slice(1);
    }
    if (t.startsWith('(') && t.endsWith(')')) {
      negative = !negative;
      t = t.slice(1, -1);
    }
    t = t.replace(/^[$€£]|[$€£]$/g, '');
    if (t === before) break;
  }
  const plain = plainNumber(t, mark);
  return plain === undefined || plain.startsWith('-') ? undefined : { negative, plain };
}

/** Money text → cents; fractions of a cent are refused (money.ts). An empty cell is the caller's business. */
export function parseCents(text: string, mark: DecimalMark = '.'): Parsed<number> {
  if (mark === '.' && isPlain(text)) {
    const cents = parseCommissionCents(text);
    if (typeof cents === 'number') return ok(cents);
  }
  const parts = moneyParts(text, mark);
  if (!parts) return bad(`bad amount "${text}"`);
  const cents = parseCommissionCents(parts.plain);
  if (typeof cents === 'string')
    return bad(/fractions of a cent/.test(cents) ? `amount "${text}" has fractions of a cent` : `bad amount "${text}"`);
  return ok(parts.negative ? -cents : cents);
}

/** Money text → 1e-7 dollars, exact (for per-contract rates and commissions given to a fraction of a cent). */
export function parseMoneyUnits(text: string, mark: DecimalMark = '.'): Parsed<number> {
  const parts = moneyParts(text, mark);
  const units = parts === undefined ? undefined : parsePriceUnits(parts.plain);
  if (typeof units !== 'number') return bad(`bad amount "${text}"`);
  return ok(parts?.negative ? -units : units);
}

/** 1e-7 dollars → cents, half away from zero. */
export function unitsToCents(units: number): number {
  return roundHalfAway(units / (PRICE_SCALE / 100));
}

/** Largest quantity accepted in one fill: the imports' one plausibility bound (limits.ts), not an exchange limit. */
export { MAX_QUANTITY };

/** Whole contracts above 0 (thousands separators allowed); `signed` accepts and returns a leading minus. */
export function parseQuantity(text: string, signed = false): Parsed<number> {
  const plain = plainNumber(text, '.');
  const n = plain === undefined ? Number.NaN : Number(plain);
  if (!Number.isInteger(n) || n === 0 || (!signed && n < 0)) {
    return bad(`bad quantity "${text}": expected a whole number of contracts${signed ? ' other than 0' : ' above 0'}`);
  }
  if (Math.abs(n) > MAX_QUANTITY) return bad(`quantity "${text}" is not plausible (more than ${MAX_QUANTITY} contracts in one fill)`);
  return ok(n);
}

/** A count that may be 0 (an order's filled quantity). */
export function parseCount(text: string): Parsed<number> {
  if (/^0+(\.0+)?$/.test(text.trim())) return ok(0);
  return parseQuantity(text);
}

/** What one number says about the decimal mark, if anything. */
function markOf(t: string): DecimalMark | undefined {
  const p = t.lastIndexOf('.');
  const c = t.lastIndexOf(',');
  if (p >= 0 && c >= 0) return p > c ? '.' : ',';
  const [mark, at] = p >= 0 ? (['.', p] as const) : c >= 0 ? ([',', c] as const) : [undefined, -1];
  if (mark === undefined) return undefined;
  if (t.indexOf(mark) !== at) return mark === '.' ? ',' : '.'; // repeated: it groups thousands
  return t.length - at - 1 === 3 ? undefined : mark;
}

/**
 * The decimal mark of a file from its number cells: a mark followed by other than exactly three digits, or the
 * later of two marks, is the decimal mark. Cells that cannot tell (`7200`, `21,482`) say nothing; a file with
 * evidence both ways is refused; with none, `fallback` (the delimiter's locale) holds.
 */
export function decideDecimalMark(cells: Iterable<string>, fallback: DecimalMark): Parsed<DecimalMark> {
  let point = 0;
  let comma = 0;
  for (const raw of cells) {
    const says = markOf(raw.replace(/[^\d.,]/g, ''));
    if (says === '.') point++;
    else if (says === ',') comma++;
    if (point > 0 && comma > 0) return bad(`numbers are written both with a decimal point and with a decimal comma (e.g. "${raw}")`);
  }
  return ok(point > 0 ? '.' : comma > 0 ? ',' : fallback);
}
