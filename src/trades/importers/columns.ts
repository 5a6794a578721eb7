import type { Sample } from './sample.js';
import type { CsvRecord, Delimiter, Detection, FormatName, Problem } from './types.js';

/**
 * Columns are found by their header name, never by position: exports add, drop and reorder columns (Tradovate's
 * Orders header comes in three lengths; IBKR Flex writes the fields the user chose). A name is compared
 * case-insensitively without spaces (`Order ID` = `orderid`), keeping punctuation so that Tradovate's `_orderId`
 * and `Order ID` stay two columns. A spec name ending in `*` matches as a prefix (`updatetime*` finds
 * `Update Time (EDT)`).
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const bad = (reason: string): Parsed<never> => ({ ok: false, reason });

export function normName(cell: string): string {
  return cell
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '');
}

export type ColumnSpec<F extends string> = Record<F, readonly string[]>;

export interface Header<F extends string> {
  line: number;
  cells: string[];
  index: Partial<Record<F, number>>;
  /** The column's name as the file writes it (for problems). */
  names: Partial<Record<F, string>>;
}

export function mapHeader<F extends string>(cells: string[], line: number, spec: ColumnSpec<F>): Header<F> {
  const norm = cells.map(normName);
  const index: Partial<Record<F, number>> = {};
  const names: Partial<Record<F, string>> = {};
  for (const field of Object.keys(spec) as F[]) {
    for (const want of spec[field]) {
      const i = want.endsWith('*') ? norm.findIndex((n) => n.startsWith(want.slice(0, -1))) : norm.indexOf(want);
      if (i >= 0) {
        index[field] = i;
        names[field] = (cells[i] as string).replace(/^\uFEFF/, '').trim();
        break;
      }
    }
  }
  return { line, cells, index, names };
}

/**
 * How well a header fits: undefined unless every `required` field is there and no `forbidden` name is; else the
 * share of the spec's fields found.
 */
export function headerScore<F extends string>(
  cells: string[],
  spec: ColumnSpec<F>,
  required: readonly F[],
  forbidden: readonly string[] = [],
): number | undefined {
  const h = mapHeader(cells, 0, spec);
  if (required.some((f) => h.index[f] === undefined)) return undefined;
  const norm = cells.map(normName);
  if (forbidden.some((name) => norm.includes(name))) return undefined;
  const fields = Object.keys(spec).length;
  return Math.round((Object.keys(h.index).length / fields) * 100) / 100;
}

export interface HeaderRule<F extends string> {
  format: FormatName;
  spec: ColumnSpec<F>;
  required: readonly F[];
  forbidden?: readonly string[];
  delimiters: readonly Delimiter[];
  /** Lines from the top where the header may be (a title or section line can come first). */
  within?: number;
}

/** Detection by header: the first line, for the first delimiter, whose cells fit the rule. */
export function detectHeader<F extends string>(sample: Sample, rule: HeaderRule<F>): Detection | undefined {
  const within = Math.min(rule.within ?? 1, sample.lines.length);
  for (let i = 0; i < within; i++) {
    for (const delimiter of rule.delimiters) {
      const cells = sample.cells(i, delimiter);
      if (cells.length < 2) continue;
      const confidence = headerScore(cells, rule.spec, rule.required, rule.forbidden);
      if (confidence !== undefined) return { format: rule.format, confidence, delimiter, headerLine: i + 1 };
    }
  }
  return undefined;
}

/** The header record among the first records (as detectHeader finds it), or a problem saying what was looked for. */
export function findHeader<F extends string>(
  records: readonly CsvRecord[],
  rule: HeaderRule<F>,
  lookedFor: string,
): { header: Header<F>; at: number } | { problem: Problem } {
  const within = Math.min(rule.within ?? 1, records.length);
  for (let i = 0; i < within; i++) {
    const r = records[i] as CsvRecord;
    if (headerScore(r.cells, rule.spec, rule.required, rule.forbidden) !== undefined) {
      return { header: mapHeader(r.cells, r.line, rule.spec), at: i };
    }
  }
  return { problem: { line: records[0]?.line ?? 1, reason: `no header row: expected ${lookedFor}` } };
}

/** True for a record with nothing in it (a blank line, or a trailing `,,,,,` row). */
export function isBlank(cells: readonly string[]): boolean {
  for (const c of cells) if (c.trim() !== '') return false;
  return true;
}

/** True for a record that repeats the header (files appended to each other). */
export function isHeaderAgain(cells: readonly string[], header: Header<string>): boolean {
  if (cells.length !== header.cells.length) return false;
  for (let i = 0; i < cells.length; i++) if (normName(cells[i] as string) !== normName(header.cells[i] as string)) return false;
  return true;
}

/**
 * One data row under a header. Reading a field either gives its value or records a problem naming the line and
 * the column as the file names it; `failed` says whether any field of the row was bad.
 */
export class Row<F extends string> {
  failed = false;

  constructor(
    readonly cells: readonly string[],
    readonly line: number,
    private readonly header: Header<F>,
    private readonly problems: Problem[],
  ) {}

  has(field: F): boolean {
    return this.header.index[field] !== undefined;
  }

  /** The trimmed cell, '' when empty or when the file has no such column. */
  text(field: F): string {
    const i = this.header.index[field];
    return i === undefined ? '' : (this.cells[i] ?? '').trim();
  }

  label(field: F): string {
    return this.header.names[field] ?? field;
  }

  fail(field: F | undefined, reason: string): void {
    this.failed = true;
    this.problems.push(field === undefined ? { line: this.line, reason } : { line: this.line, field: this.label(field), reason });
  }

  /** A required field: empty or missing is a problem. */
  need<T>(field: F, parse: (text: string) => Parsed<T>): T | undefined {
    const i = this.header.index[field];
    if (i !== undefined && i >= this.cells.length) {
      this.fail(field, `missing column ${this.label(field)} (the line has ${this.cells.length} fields)`);
      return undefined;
    }
    const t = this.text(field);
    if (t === '') {
      this.fail(field, `${this.label(field)} is empty`);
      return undefined;
    }
    return this.parsed(field, t, parse);
  }

  /** An optional field: empty gives undefined, a bad value is a problem. */
  may<T>(field: F, parse: (text: string) => Parsed<T>): T | undefined {
    const t = this.text(field);
    return t === '' ? undefined : this.parsed(field, t, parse);
  }

  private parsed<T>(field: F, text: string, parse: (text: string) => Parsed<T>): T | undefined {
    const r = parse(text);
    if (r.ok) return r.value;
    this.fail(field, r.reason);
    return undefined;
  }
}

/**
 * The data rows after the header: blank lines, repeated headers and (when given) rows `skip` says are not data
 * are passed over; each other record is handed to `each` as a Row.
 */
export function eachRow<F extends string>(
  records: readonly CsvRecord[],
  from: number,
  header: Header<F>,
  problems: Problem[],
  each: (row: Row<F>) => void,
): number {
  let rows = 0;
  for (let i = from; i < records.length; i++) {
    const r = records[i] as CsvRecord;
    if (isBlank(r.cells) || isHeaderAgain(r.cells, header)) continue;
    rows++;
    each(new Row(r.cells, r.line, header, problems));
  }
  return rows;
}
