/**
 * CSV as spreadsheets read it (RFC 4180: comma separated, CRLF line ends, a header row), safe to open.
 *
 * Formula injection (OWASP "CSV Injection"; ASVS 1.2.10): a spreadsheet runs a cell that begins with `=`, `+`, `-`
 * or `@` as a formula (`=HYPERLINK(…)`, `@SUM(…)`, `-2+3`), and tab, carriage return, line feed and NUL lead to the
 * same through its trimming and import rules; some versions also take the full-width forms `＝＋－＠`. Account
 * names, notes, tags and file names come from files and forms, so every text cell that begins with one of those
 * gets a single quote in front (a spreadsheet shows the text, the quote marks it as text) and every text cell is
 * quoted, so a `;` or tab inside it cannot split it into a new cell under a locale that separates by those.
 *
 * Numeric columns are never neutralised: their cells are written from numbers the program computed (a P&L of
 * -12.5 is the number -12.5, never text someone typed), unquoted and unformatted (no thousands separator, no
 * currency sign, a `.` decimal point), so a negative P&L stays a number that sums. Only text goes through the
 * quote rule, so neutralising can never turn a number into text.
 */
export type CsvType = 'text' | 'number';

export interface CsvColumn<T> {
  header: string;
  type: CsvType;
  value(row: T): string | number | boolean | null | undefined;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: tab, CR, LF and NUL are what is neutralised
const FORMULA_START = /^[=+\-@\t\r\n\u0000\uff1d\uff0b\uff0d\uff20]/;

/** A text cell: neutralised when it could start a formula, then quoted with its quotes doubled. */
export function textCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** A number as a spreadsheet reads it: plain decimal notation, never an exponent. */
export function numberCell(n: number): string {
  if (!Number.isFinite(n)) return '';
  const s = String(n);
  if (!s.includes('e')) return s;
  // 1e-7 → 0.0000001, 1e21 → 1000000000000000000000
  return Math.abs(n) < 1 ? n.toFixed(20).replace(/0+$/, '') : BigInt(Math.round(n)).toString();
}

export function cell(type: CsvType, v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (type === 'number' && typeof v === 'number') return numberCell(v);
  return textCell(String(v));
}

export const CRLF = '\r\n';

export function headerLine(columns: readonly { header: string }[]): string {
  return columns.map((c) => textCell(c.header)).join(',') + CRLF;
}

export function rowLine<T>(columns: readonly CsvColumn<T>[], row: T): string {
  let out = '';
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i] as CsvColumn<T>;
    if (i > 0) out += ',';
    out += cell(c.type, c.value(row));
  }
  return out + CRLF;
}

/** A UTF-8 byte order mark: spreadsheets (Excel above all) then read accents and symbols as UTF-8. */
export const BOM = '\ufeff';
