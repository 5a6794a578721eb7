import { type DecimalMark, parseCents, parsePrice, parseQuantity } from './amounts.js';
import type { Row } from './columns.js';
import { ContractResolver } from './contracts.js';
import { TimeReader, zoneInHeader } from './times.js';
import type { AdapterOptions, CashEntry, Contract, DateOrder, Fill, FormatName, Ignored, Order, ParseResult, Problem } from './types.js';

const readQuantity = (t: string) => parseQuantity(t);

/**
 * What one adapter run collects, and the field readers every adapter shares: a time cell through the file's
 * TimeReader, a contract through the one resolver, prices, money and quantities through amounts.ts. Each reader
 * records a problem on the row (its line, the column's name) and gives undefined when the cell is bad.
 */
export class ParseContext {
  readonly problems: Problem[] = [];
  readonly ignored: Ignored[] = [];
  readonly fills: Fill[] = [];
  readonly orders: Order[] = [];
  readonly cashEntries: CashEntry[] = [];
  readonly contracts: ContractResolver;
  times: TimeReader;
  dateOrder: ParseResult['dateOrder'];
  decimal: DecimalMark = '.';

  constructor(
    readonly format: FormatName,
    readonly options: AdapterOptions,
  ) {
    this.contracts = new ContractResolver(options.registry);
    this.times = new TimeReader({ zone: options.zone, source: 'option' }, options.dst);
  }

  /** Read naive times in the zone a column name states (`Update Time (EDT)`), else the option's; a zone it can't name is a problem. */
  zoneFromColumn(column: string | undefined, line: number, order?: DateOrder): void {
    const z = column === undefined ? undefined : zoneInHeader(column);
    if (z && !z.ok) this.problems.push({ line, field: column, reason: z.reason });
    const used = z?.ok
      ? { zone: z.value, source: 'header' as const, from: column }
      : { zone: this.options.zone, source: 'option' as const };
    this.times = new TimeReader(used, this.options.dst, order);
  }

  private readonly readTime = (t: string) => this.times.read(t);
  private readonly readPrice = (t: string) => parsePrice(t, this.decimal);
  private readonly readCents = (t: string) => parseCents(t, this.decimal);

  time<F extends string>(row: Row<F>, field: F, optional = false): number | undefined {
    return optional ? row.may(field, this.readTime) : row.need(field, this.readTime);
  }

  contract<F extends string>(row: Row<F>, field: F, at: number | undefined, rootField?: F): Contract | undefined {
    const raw = row.text(field);
    if (raw === '') {
      row.fail(field, `${row.label(field)} is empty`);
      return undefined;
    }
    if (at === undefined) return undefined; // the time is bad: the year of a one-digit contract can't be placed
    const stated = rootField === undefined ? undefined : row.text(rootField) || undefined;
    const r = this.contracts.resolve(raw, at, stated);
    if (r.ok) return r.value;
    row.fail(field, r.reason);
    return undefined;
  }

  price<F extends string>(row: Row<F>, field: F, optional = false): number | undefined {
    return optional ? row.may(field, this.readPrice) : row.need(field, this.readPrice);
  }

  /** Money in cents; an empty cell is 0. */
  cents<F extends string>(row: Row<F>, field: F): number {
    return row.may(field, this.readCents) ?? 0;
  }

  quantity<F extends string>(row: Row<F>, field: F): number | undefined {
    return row.need(field, readQuantity);
  }

  /** The result, or a result with only a file-level problem. */
  result(rowsRead: number): ParseResult {
    const problems = this.problems.sort((a, b) => a.line - b.line);
    const r: ParseResult = {
      format: this.format,
      fills: this.fills,
      orders: this.orders,
      cashEntries: this.cashEntries,
      problems,
      ignored: this.ignored,
      zoneUsed: this.times.zoneUsed(),
      rowsRead,
    };
    if (this.dateOrder) r.dateOrder = this.dateOrder;
    return r;
  }

  /** Record a problem that stops the parse (for `prepare`): always false. */
  refuse(problem: Problem): false {
    this.problems.push(problem);
    return false;
  }

  fail(problem: Problem): ParseResult {
    this.problems.push(problem);
    return this.result(0);
  }
}
