import { createHash } from 'node:crypto';
import type { ZoneOffsets } from '../calendar/zone.js';
import { controlName, firstControl } from '../control-chars.js';
import { AppError, isAppError } from '../errors.js';
import type { InstrumentRegistry } from '../instruments/instruments.js';
import { CsvRecords } from './csv-records.js';
import { TextChunks } from './csv-text.js';
import { ContentKeys, type CsvSource, chunks } from './fill-keys.js';
import { implausibleTime, MAX_QUANTITY } from './limits.js';
import { parseCommissionCents, parsePriceUnits } from './money.js';
import { type Action, actionSign, type Validity } from './positions.js';
import { type DstResolution, parseWallTime, toUtc, wallText } from './time.js';

/**
 * NinjaTrader execution CSVs (reference-app.md §3.1): the add-on's 15-column file
 * (`Instrument,Action,Quantity,Price,Time,ID,E/X,Position,Order ID,Name,Commission,Rate,Account,Connection,TradeValidation`)
 * and the Executions-grid export (same first 14 columns and a trailing comma). Columns are found by their header
 * name, in any order and case. Required: Instrument, Action, Quantity, Price, Time, Account, Commission.
 * Optional: ID (a row without one gets a content key), E/X, TradeValidation, Order ID; the rest is ignored.
 *
 * Parsing streams (csv-text.ts decodes UTF-8 or UTF-16; csv-records.ts splits plain lines by hand, csv-parse
 * reads from the first quoted one); every row is checked and each bad one is reported with its line number and
 * every reason (missing column, bad number, bad time, unknown instrument, bad action…). Nothing is stored here.
 *
 * Plausibility (a typo or a hostile file must not become a stored fill):
 * - Quantity is a whole number of contracts from 1 to MAX_QUANTITY (100,000: far above any single futures fill
 *   a journal sees, far below where arithmetic on it stops being exact);
 * - Time lies from EARLIEST_TIME (1990-01-01 UTC: before electronic futures trading of the contracts read here)
 *   to one day after now (the import's clock; a day covers every zone's "today");
 * - Account, Instrument, ID and Order ID hold no control characters (control-chars.ts: terminal escape
 *   sequences, NUL, bidirectional overrides): such a row is refused, not cleaned, because that text is the fill's
 *   identity (account + ID is the duplicate key) and a cleaned copy would be a different account.
 */
export interface ParsedExecution {
  line: number;
  account: string;
  /** NinjaTrader execution id, or `h:<hash>:<n>` for a row without one. */
  key: string;
  nativeId: boolean;
  instrument: string;
  contract: string;
  root: string;
  action: Action;
  quantity: number;
  priceUnits: number;
  time: number;
  commissionCents: number;
  validation: Validity | null;
  orderId: string | null;
  /** The source's own open/close flag (E/X), when it has one. */
  openClose?: 'open' | 'close' | null;
  /** The position after the fill as the source states it (`2 L` → 2, `1 S` → −1, `-` → 0). */
  positionAfter?: number | null;
  /** The source format (`ninjatrader-addon`, `tradovate-fills`, …). */
  format?: string | null;
  /** The source's own fill id (for a NinjaTrader row: its ID). */
  fillId?: string | null;
  /** Not a fill the source listed (import-rows.ts). */
  derived?: 'round-trip' | 'order' | null;
  /** Costs by kind in cents; `commissionCents` is their total. */
  costs?: Partial<Record<'commission' | 'exchange' | 'clearing' | 'nfa' | 'platform' | 'other', number>>;
  /** The source states no costs for this fill. */
  costsMissing?: boolean;
}

export interface RowProblem {
  line: number;
  reason: string;
}

export interface DuplicateRow {
  line: number;
  key: string;
  reason: string;
}

export interface ParseOptions {
  registry: InstrumentRegistry;
  zone: ZoneOffsets;
  dst?: DstResolution;
  /** Now (epoch ms, from the caller's clock): the latest plausible execution time is a day after it. */
  now: number;
  /**
   * For one-digit years in contract names (`MNQZ5`) when a row's date cannot be read (default: the year of `now`);
   * otherwise the year of the row's own date decides the decade (a file from 2019 with `MNQZ9` means 2019, whatever
   * year it is imported in).
   */
  referenceYear?: number;
  /** Refuse the file (TL_IMPORT_TOO_MANY_ROWS) once it has more records than this after the header. */
  maxRows?: number;
}

export { type CsvSource, hashSource } from './fill-keys.js';
export { EARLIEST_TIME, LATEST_AHEAD_MS, MAX_QUANTITY } from './limits.js';

type Field = 'instrument' | 'action' | 'quantity' | 'price' | 'time' | 'id' | 'ex' | 'commission' | 'account' | 'orderId' | 'validation';

const HEADER_NAMES: Record<string, Field> = {
  instrument: 'instrument',
  action: 'action',
  quantity: 'quantity',
  qty: 'quantity',
  price: 'price',
  time: 'time',
  id: 'id',
  executionid: 'id',
  ex: 'ex',
  entryexit: 'ex',
  commission: 'commission',
  account: 'account',
  orderid: 'orderId',
  tradevalidation: 'validation',
};

const REQUIRED: readonly Field[] = ['instrument', 'action', 'quantity', 'price', 'time', 'account', 'commission'];
const COMMISSION = REQUIRED.indexOf('commission');
const LABEL: Record<Field, string> = {
  instrument: 'Instrument',
  action: 'Action',
  quantity: 'Quantity',
  price: 'Price',
  time: 'Time',
  id: 'ID',
  ex: 'E/X',
  commission: 'Commission',
  account: 'Account',
  orderId: 'Order ID',
  validation: 'TradeValidation',
};

function normHeader(cell: string): string {
  return cell
    .trim()
    .toLowerCase()
    .replace(/[\s/_.-]/g, '');
}

type ColumnMap = Partial<Record<Field, number>>;

function mapHeader(cells: string[]): ColumnMap | undefined {
  const map: ColumnMap = {};
  cells.forEach((c, i) => {
    const f = HEADER_NAMES[normHeader(c)];
    if (f && map[f] === undefined) map[f] = i;
  });
  return map.instrument === undefined && map.action === undefined ? undefined : map;
}

/**
 * Action + E/X → the four NinjaTrader order actions (reference-app.md §3.2). Only Buy and Sell depend on E/X;
 * without E/X they stay Buy and Sell. The builder needs only the direction; the label is kept for display.
 */
function mapAction(actionText: string, exText: string | undefined): Action | string {
  // the spellings NinjaTrader writes, without the normalising below
  if (exText === undefined || exText === '' || exText === 'Entry' || exText === 'Exit') {
    if (actionText === 'Buy') return exText === 'Exit' ? 'BuyToCover' : 'Buy';
    if (actionText === 'Sell') return exText === 'Entry' ? 'SellShort' : 'Sell';
  }
  const a = actionText.trim().toLowerCase().replace(/\s/g, '');
  const ex = (exText ?? '').trim().toLowerCase();
  const entry = ex === 'entry' || ex === 'e';
  const exit = ex === 'exit' || ex === 'x';
  if (ex !== '' && !entry && !exit) return `bad E/X "${exText}": expected Entry, Exit, E or X`;
  switch (a) {
    case 'buy':
      return exit ? 'BuyToCover' : 'Buy';
    case 'sell':
      return entry ? 'SellShort' : 'Sell';
    case 'buytocover':
      return 'BuyToCover';
    case 'sellshort':
      return 'SellShort';
    default:
      return `bad action "${actionText}": expected Buy, Sell, BuyToCover or SellShort`;
  }
}

function parseQuantity(raw: string): number | string {
  if (raw.length <= 6) {
    let n = 0;
    for (let i = 0; i < raw.length; i++) {
      const c = raw.charCodeAt(i) - 48;
      n = c >= 0 && c <= 9 ? n * 10 + c : -1;
      if (n < 0) break;
    }
    if (n > 0 && n <= MAX_QUANTITY) return n;
  }
  const t = raw.trim().replace(/,/g, '');
  // compared as digits, before any conversion: 2^53 + 1 or 1e20 never becomes a rounded number
  const digits = t.replace(/^0+/, '');
  if (!/^\d+$/.test(t) || digits === '' || digits.length > 6 || Number(digits) > MAX_QUANTITY) {
    return `bad number "${raw}" in Quantity: expected a whole number of contracts from 1 to ${MAX_QUANTITY.toLocaleString('en-US')}`;
  }
  return Number(digits);
}

/** The reason a text field is refused, when it holds a control character (control-chars.ts), named by its code. */
function controlIn(field: Field, text: string): string | undefined {
  const c = firstControl(text);
  if (!c) return undefined;
  return `${LABEL[field]} holds a control character (${controlName(c.code)} at position ${c.index + 1}); such text is refused: fix the cell`;
}

/** E/X → the fill's open/close flag (checked by mapAction before). */
function openCloseOf(raw: string | undefined): 'open' | 'close' | null {
  const t = (raw ?? '').trim().toLowerCase();
  return t === 'entry' || t === 'e' ? 'open' : t === 'exit' || t === 'x' ? 'close' : null;
}

function parseValidation(raw: string | undefined): Validity | null {
  const t = (raw ?? '').trim().toLowerCase();
  return t === 'valid' ? 'valid' : t === 'invalid' ? 'invalid' : null;
}

type Resolved = { contract: string; root: string } | { error: string };

/** True when two fills are the same (direction, quantity, price, time): a repeated row, not a different fill reusing an id. */
export function sameFill(
  a: { action: Action; quantity: number; priceUnits: number; time: number },
  b: { action: Action; quantity: number; priceUnits: number; time: number },
): boolean {
  return actionSign(a.action) === actionSign(b.action) && a.quantity === b.quantity && a.priceUnits === b.priceUnits && a.time === b.time;
}

const also = (reasons: string, reason: string) => (reasons ? `${reasons}; ${reason}` : reason);

function missingOrEmpty(cells: string[], cols: ColumnMap, required: readonly number[]): string | undefined {
  // every required cell there, and starting with a visible ASCII character (the commission may be empty)
  let fine = true;
  for (let i = 0; i < required.length && fine; i++) {
    const v = cells[required[i] as number];
    const c = v === undefined ? -1 : v.charCodeAt(0);
    fine = v !== undefined && (i === COMMISSION || (c > 32 && c < 127));
  }
  if (fine) return undefined;
  let reasons: string | undefined;
  for (const f of REQUIRED) {
    const v = cells[cols[f] as number];
    let r: string | undefined;
    if (v === undefined) r = `missing column ${LABEL[f]} (the line has ${cells.length} fields)`;
    else if (f !== 'commission' && v.trim() === '') r = `${LABEL[f]} is empty`;
    if (r) reasons = also(reasons ?? '', r);
  }
  return reasons;
}

/** One data row → a parsed execution (its key is the id cell, '' when absent), or every reason it is invalid. */
function checkRow(
  cells: string[],
  line: number,
  cols: ColumnMap,
  required: readonly number[],
  options: ParseOptions,
  dst: DstResolution,
  resolve: (text: string, year: number | undefined) => Resolved,
): (ParsedExecution & { wall?: string }) | string {
  const missing = missingOrEmpty(cells, cols, required);
  if (missing) return missing;
  const instrument = (cells[cols.instrument as number] as string).trim();
  const account = (cells[cols.account as number] as string).trim();
  const timeText = cells[cols.time as number] as string;
  let reasons = '';
  const wall = parseWallTime(timeText);
  const inst = resolve(instrument, typeof wall === 'string' ? undefined : wall.year);
  if ('error' in inst) reasons = also(reasons, inst.error);
  const action = mapAction(cells[cols.action as number] as string, cols.ex === undefined ? undefined : cells[cols.ex]);
  if (!isAction(action)) reasons = also(reasons, action);
  const quantity = parseQuantity(cells[cols.quantity as number] as string);
  if (typeof quantity === 'string') reasons = also(reasons, quantity);
  const priceUnits = parsePriceUnits(cells[cols.price as number] as string);
  if (typeof priceUnits === 'string') reasons = also(reasons, priceUnits);
  const commissionCents = parseCommissionCents(cells[cols.commission as number] as string);
  if (typeof commissionCents === 'string') reasons = also(reasons, commissionCents);
  const time = typeof wall === 'string' ? wall : toUtc(wall, options.zone, dst, timeText.trim());
  if (typeof time === 'string') reasons = also(reasons, time);
  else {
    const implausible = implausibleTime(time, timeText, options.now);
    if (implausible) reasons = also(reasons, implausible);
  }
  const id = cols.id === undefined ? '' : (cells[cols.id] ?? '').trim();
  const orderId = cols.orderId === undefined ? '' : (cells[cols.orderId] ?? '').trim();
  for (const [field, text] of [
    ['account', account],
    ['instrument', instrument],
    ['id', id],
    ['orderId', orderId],
  ] as const) {
    const control = controlIn(field, text);
    if (control) reasons = also(reasons, control);
  }
  if (reasons || 'error' in inst || typeof wall === 'string') return reasons;
  return {
    line,
    account,
    key: id,
    nativeId: true,
    instrument,
    contract: inst.contract,
    root: inst.root,
    action: action as Action,
    quantity: quantity as number,
    priceUnits: priceUnits as number,
    time: time as number,
    commissionCents: commissionCents as number,
    validation: parseValidation(cols.validation === undefined ? undefined : cells[cols.validation]),
    orderId: orderId || null,
    openClose: openCloseOf(cols.ex === undefined ? undefined : cells[cols.ex]),
    fillId: id || null,
    wall: id ? undefined : wallText(wall),
  };
}

export interface ReadResult {
  /** Data rows seen (not counting the header, blank lines or repeated headers). */
  rowsRead: number;
  sha256: string;
  bytes: number;
}

/**
 * Read and check a file in one synchronous streaming pass: the CSV reader (csv-records.ts) is fed chunk by chunk
 * and hands over each complete record, so the caller can store rows inside one database transaction while memory
 * stays bounded. Every valid row goes to `onRow` in file order (its `key` is the ID cell, or a content key
 * `h:<hash>:<n>` for a row without one: the wall-clock time, account, contract, action, quantity and price, and
 * the occurrence of that content in the file, so two identical fills in one file stay two). Every bad row is added
 * to `problems`.
 */
export function readNinjaTraderCsv(
  source: CsvSource,
  options: ParseOptions,
  problems: RowProblem[],
  onRow: (row: ParsedExecution) => void,
): ReadResult {
  const hash = createHash('sha256');
  let bytes = 0;
  const fallbackYear = options.referenceYear ?? new Date(options.now).getUTCFullYear();
  const maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
  const resolved = new Map<string, Resolved>();
  const resolve = (text: string, year: number | undefined): Resolved => {
    const referenceYear = year ?? fallbackYear;
    const key = `${text}\u0000${referenceYear}`;
    let r = resolved.get(key);
    if (!r) {
      try {
        const x = options.registry.resolve(text, referenceYear);
        r = { contract: x.canonical, root: x.contract.root };
      } catch (err) {
        if (!isAppError(err)) throw err;
        r = { error: err.code === 'TL_INSTRUMENT_UNKNOWN' ? `unknown instrument: ${err.message}` : `bad instrument: ${err.message}` };
      }
      resolved.set(key, r);
    }
    return r;
  };
  const contentKeys = new ContentKeys();
  const dst = options.dst ?? 'reject';
  let columns: ColumnMap | undefined;
  let headerText = '';
  let required: number[] = [];
  let instrumentIndex = 0;
  let headerInstrument: string | undefined;
  /** Set when the header is unusable: the rest is only read through (so the hash covers the file). */
  let stop = false;
  let rowsRead = 0;
  /** Records read, the header and blank ones included: what the row limit counts (as the reader splits them). */
  let records = 0;
  const text = new TextChunks();

  const take = (cells: string[], line: number) => {
    if (!columns) {
      columns = mapHeader(cells);
      if (!columns) {
        problems.push({
          line,
          reason: `no header row: the first line must name the columns (Instrument,Action,Quantity,Price,Time,ID,E/X,…,Commission,…,Account); the file was read as ${text.encoding}`,
        });
        stop = true;
        return;
      }
      const missing = REQUIRED.filter((f) => columns?.[f] === undefined);
      if (missing.length > 0) {
        problems.push({ line, reason: `missing column ${missing.map((f) => LABEL[f]).join(', ')} in the header` });
        stop = true;
        return;
      }
      headerText = cells.join(',');
      required = REQUIRED.map((f) => columns?.[f] as number);
      instrumentIndex = columns.instrument as number;
      headerInstrument = cells[instrumentIndex];
      return;
    }
    // a header repeated where files were appended
    if (cells[instrumentIndex] === headerInstrument && cells.join(',') === headerText) return;
    rowsRead++;
    const row = checkRow(cells, line, columns, required, options, dst, resolve);
    if (typeof row === 'string') {
      problems.push({ line, reason: row });
      return;
    }
    if (!row.key) {
      row.key = contentKeys.key(row.wall as string, row.account, row.contract, row.action, row.quantity, row.priceUnits);
      row.nativeId = false;
    }
    row.wall = undefined;
    onRow(row);
  };
  const csv = new CsvRecords(
    (cells, line) => {
      if (++records > maxRows + 1) throw tooManyRows(maxRows);
      // a blank line is one empty field
      if (stop || (cells.length === 1 && (cells[0] as string).trim() === '')) return;
      take(cells, line);
    },
    (line, reason) => problems.push({ line, reason }),
  );
  for (const chunk of chunks(source)) {
    hash.update(chunk);
    bytes += chunk.length;
    // after an unusable header or bytes that are not text, the rest is only hashed
    if (!text.failed && !stop) csv.write(text.write(chunk));
  }
  if (!text.failed && !stop) {
    csv.write(text.end());
    csv.end();
  }
  if (text.failed) problems.push({ line: 1, reason: text.failed });
  else if (!columns && problems.length === 0) problems.push({ line: 1, reason: 'the file is empty: no header row' });
  problems.sort((x, y) => x.line - y.line);
  return { rowsRead, sha256: hash.digest('hex'), bytes };
}

function tooManyRows(maxRows: number): AppError {
  return new AppError(
    'TL_IMPORT_TOO_MANY_ROWS',
    `The file has more than ${maxRows.toLocaleString('en-US')} rows; nothing of it was stored.`,
    {
      remedy: 'Split the export into smaller files (for example one per week) and import them one by one.',
      details: { maxRows },
    },
  );
}

function isAction(a: string): a is Action {
  return a === 'Buy' || a === 'Sell' || a === 'BuyToCover' || a === 'SellShort';
}
