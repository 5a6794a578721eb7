/**
 * Exact arithmetic for prices and money.
 *
 * - Prices are carried as integer "price units" of 1e-7 (PRICE_SCALE): every built-in tick size (down to 6J's
 *   0.0000005 and ZF's 1/128 = 0.0078125) is a whole number of units, and sums of price × quantity stay far
 *   below 2^53 for any real position. Points P&L is an integer number of units, exact.
 * - Money is integer cents. Gross P&L = points × point value, rounded once per position to the cent (half away
 *   from zero: ZN's tick is $15.625). Commission is cents as reported; net = gross − commission, exact.
 */
export const PRICE_SCALE = 10_000_000;
const PRICE_DECIMALS = 7;

export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** A decimal string (digits, optional '.' fraction, optional '-') → integer units of 10^-decimals, or undefined. */
function decimalToUnits(text: string, decimals: number): number | undefined {
  const m = /^(-)?(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > decimals) return undefined;
  const units = Number(m[2] || '0') * 10 ** decimals + Number(frac.padEnd(decimals, '0') || '0');
  if (!Number.isSafeInteger(units)) return undefined;
  return m[1] ? -units : units;
}

/**
 * The common spelling, a plain decimal (`21482.50`, `4`), read straight from its characters: the integer in
 * units of 10^-decimals, or undefined for anything else (left to the general path, as are numbers of more than
 * 15 digits and results beyond the exact integer range).
 */
function plainUnits(text: string, decimals: number): number | undefined {
  const n = text.length;
  if (n === 0 || n > 16) return undefined;
  let units = 0;
  let i = 0;
  for (; i < n; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    units = units * 10 + c;
  }
  if (i === 0) return undefined;
  let scale = 10 ** decimals;
  if (i < n) {
    if (text.charCodeAt(i) !== 46 || i + 1 === n) return undefined; // '.' and at least one digit
    for (i++; i < n; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return undefined;
      if (scale === 1) {
        if (c !== 0) return undefined; // finer than the unit (the general path says why)
        continue;
      }
      units = units * 10 + c;
      scale /= 10;
    }
  }
  const out = units * scale;
  return Number.isSafeInteger(out) ? out : undefined;
}

/**
 * Normalise number text the way exports in different locales write it: `21482.50`, `21,482.50` (thousands),
 * `21482,50` (decimal comma; NinjaTrader formats with the PC's culture, reference-app.md §8 item 21).
 * `21,482` is read as thousands (three digits after the comma).
 */
function normaliseNumber(raw: string): string {
  let t = raw.trim().replace(/\s/g, '');
  if (t.includes(',') && t.includes('.')) {
    // both marks: the last one is the decimal mark (`1,234.56`, `1.234,56`), the other groups thousands in threes
    const comma = t.lastIndexOf(',') > t.lastIndexOf('.');
    const at = comma ? t.lastIndexOf(',') : t.lastIndexOf('.');
    const whole = t.slice(0, at);
    const grouped = comma ? /^-?\d{1,3}(\.\d{3})+$/ : /^-?\d{1,3}(,\d{3})+$/;
    if (!grouped.test(whole)) return t; // not a number: refused by the caller
    t = `${whole.replace(/[.,]/g, '')}.${t.slice(at + 1)}`;
  } else if (/^-?\d{1,3}(,\d{3})+$/.test(t)) t = t.replace(/,/g, '');
  else if (/^-?\d+,\d+$/.test(t)) t = t.replace(',', '.');
  return t;
}

/** Price text → price units, or a reason. Negative prices are allowed (CL settled below zero in April 2020). */
export function parsePriceUnits(raw: string): number | string {
  const plain = plainUnits(raw, PRICE_DECIMALS);
  if (plain !== undefined) return plain;
  if (raw.trim() === '') return 'price is empty';
  const units = decimalToUnits(normaliseNumber(raw), PRICE_DECIMALS);
  if (units === undefined) return `bad number "${raw}" in Price`;
  return units;
}

export function unitsToPrice(units: number): number {
  return units / PRICE_SCALE;
}

export function priceToUnits(price: number): number {
  return roundHalfAway(price * PRICE_SCALE);
}

/**
 * Commission text → cents, or a reason. Accepts `$0.52`, `$$0.52` (seen in the wild), `4.04`, `USD 4.04`,
 * `-$0.10` / `($0.10)` (a rebate). An empty cell is no commission. Fractions of a cent are refused rather than
 * rounded away silently.
 */
export function parseCommissionCents(raw: string): number | string {
  const plain = plainUnits(raw.charCodeAt(0) === 36 ? raw.slice(raw.charCodeAt(1) === 36 ? 2 : 1) : raw, 2); // `$0.52`, `$$0.52`, `4.04`
  if (plain !== undefined) return plain;
  let t = raw.trim();
  if (t === '') return 0;
  let negative = false;
  if (/^\(.*\)$/.test(t)) {
    negative = true;
    t = t.slice(1, -1);
  }
  t = t.replace(/\$/g, '').replace(/^USD/i, '').trim();
  if (t.startsWith('-')) {
    negative = !negative;
    t = t.slice(1).replace(/^\$+/, '');
  }
  const cents = decimalToUnits(normaliseNumber(t), 2);
  if (cents === undefined || t.startsWith('-')) {
    return /^\d*\.\d{3,}$/.test(normaliseNumber(t)) ? `commission "${raw}" has fractions of a cent` : `bad number "${raw}" in Commission`;
  }
  return negative ? -cents : cents;
}

/** Cents → dollars as a number (the nearest double prints as the exact decimal: 52 → 0.52). */
export function centsToDollars(cents: number): number {
  return cents / 100;
}

/** Gross cents of a points result (in price units) for a point value (dollars per 1.00 of price). */
export function grossCents(pointsUnits: number, pointValue: number): number {
  // pointsUnits × pointValue is in 1e-7 dollars; 1e5 of those make a cent.
  return roundHalfAway((pointsUnits * pointValue) / (PRICE_SCALE / 100));
}

/** Split `cents` in proportion part/whole, rounding the part half away from zero; the rest keeps the remainder. */
export function splitCents(cents: number, part: number, whole: number): [number, number] {
  if (part >= whole) return [cents, 0];
  const first = roundHalfAway((cents * part) / whole);
  return [first, cents - first];
}
