import { controlName, firstControl } from '../control-chars.js';
import { AppError } from '../errors.js';
import type { InstrumentRegistry } from '../instruments/instruments.js';
import { ContentKeys, orderKey, roundTripKey } from './fill-keys.js';
import { contractKey } from './importers/contracts.js';
import { type ParseFileOptions, parseFile } from './importers/formats.js';
import type { ColumnMapping } from './importers/mapping.js';
import type { DateOrder, Detection, Fill, FormatName, Order, ParseResult, ZoneUsed } from './importers/types.js';
import { implausibleTime, MAX_QUANTITY } from './limits.js';
import type { ParsedExecution, RowProblem } from './ninjatrader.js';
import type { Action } from './positions.js';
import type { DstResolution } from './time.js';

/**
 * A file through its source adapter (src/trades/importers), into the rows the shared import stores: every
 * format meets the same checks as a NinjaTrader CSV row (limits.ts: one quantity bound, one time window against
 * the caller's clock; no control characters in the text that names a fill), and the file's own contradictions
 * are refused naming the line: a fill above its order's quantity, an exit larger than the position the file
 * opened (where the format says open/close).
 *
 * Keys: the source's fill id; a fill derived from an order's total `o:<order id>`; one derived from round-trip
 * rows that name fill ids `rt:<fill id>`; otherwise a content key (fill-keys.ts).
 */
export interface AdapterReadOptions {
  registry: InstrumentRegistry;
  /** The zone of naive times when neither the data nor the header says: the per-source setting, else the import zone. */
  zone: string;
  /** Where `zone` came from, for the preview. */
  zoneSource: 'source setting' | 'import zone';
  dst: DstResolution;
  now: number;
  maxRows?: number;
  format?: string;
  dateOrder?: DateOrder;
  mapping?: ColumnMapping;
  mappings?: readonly ColumnMapping[];
  /** The account of a file that names none (Tradovate Performance, TopstepX Trades). */
  account?: string;
  /** The one account holding a stored fill with this fill id, if exactly one does (a no-account file joins it). */
  accountOfFill?: (fillId: string) => string | undefined;
}

export interface SourceInfo {
  format: FormatName;
  zone: ZoneUsed & { setting?: 'source setting' | 'import zone' };
  dateOrder?: ParseResult['dateOrder'];
  detection?: Detection;
  /** The orders the file holds (the seam where stored orders plug in). */
  orders: Order[];
  cashEntries: number;
  ignored: number;
}

/** Formats whose fills come without any cost: a fee schedule may fill them in (`costs_missing`). */
const WITHOUT_COSTS = new Set<FormatName>([
  'tradovate-orders',
  'tradovate-performance',
  'tradovate-position-history',
  'projectx-orders',
  'sierra-activity',
]);

function actionOf(f: Fill): Action {
  if (f.side === 'buy') return f.openClose === 'close' ? 'BuyToCover' : 'Buy';
  return f.openClose === 'open' ? 'SellShort' : 'Sell';
}

function controlIn(label: string, text: string | null): string | undefined {
  const c = text ? firstControl(text) : undefined;
  if (!c) return undefined;
  return `${label} holds a control character (${controlName(c.code)} at position ${c.index + 1}); such text is refused: fix the cell`;
}

/** The file's own contradictions: fills above their order's quantity; exits larger than what the file opened. */
class Contradictions {
  private readonly orderQty = new Map<string, number>();
  private readonly filled = new Map<string, number>();
  /** Signed position per book as the file's open/close flags build it; absent until the file opens one. */
  private readonly position = new Map<string, number>();

  constructor(orders: readonly Order[]) {
    for (const o of orders) this.orderQty.set(`${o.account ?? ''}\u001f${o.orderId}`, o.quantity);
  }

  check(f: Fill, account: string, book: string): string | undefined {
    if (f.derived) return undefined;
    if (f.orderId) {
      const k = `${account}\u001f${f.orderId}`;
      const total = (this.filled.get(k) ?? 0) + f.quantity;
      this.filled.set(k, total);
      const limit = this.orderQty.get(`${f.account ?? ''}\u001f${f.orderId}`);
      if (limit !== undefined && total > limit)
        return `fills of order ${f.orderId} add up to ${total}, above the order's quantity ${limit}`;
    }
    const signed = f.side === 'buy' ? f.quantity : -f.quantity;
    const before = this.position.get(book);
    if (f.openClose === 'open') this.position.set(book, (before ?? 0) + signed);
    else if (before !== undefined) {
      const after = before + signed;
      this.position.set(book, after);
      const reversal = f.positionAfter != null && f.positionAfter === after;
      if (f.openClose === 'close' && !reversal && (Math.sign(signed) === Math.sign(before) || Math.abs(signed) > Math.abs(before))) {
        return `an exit of ${f.quantity} is larger than the position of ${Math.abs(before)} open in this file (${f.side} to close ${before > 0 ? 'a long' : before < 0 ? 'a short' : 'nothing'})`;
      }
    }
    return undefined;
  }
}

/** Refuse a file with more rows than the limit, as the NinjaTrader reader does. */
export function tooManyRows(maxRows: number): AppError {
  return new AppError(
    'TL_IMPORT_TOO_MANY_ROWS',
    `The file has more than ${maxRows.toLocaleString('en-US')} rows; nothing of it was stored.`,
    {
      remedy: 'Split the export into smaller files (for example one per week) and import them one by one.',
      details: { maxRows },
    },
  );
}

/** A cheap upper bound on the records of a file (its line breaks), checked before the file is parsed. */
function lineCount(bytes: Uint8Array): number {
  let n = 0;
  let at = -1;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (;;) {
    at = b.indexOf(10, at + 1);
    if (at < 0) return n + 1;
    n++;
  }
}

/**
 * Parse a file through its adapter and hand each valid fill, as an execution row, to `onRow` in file order; every
 * bad row is added to `problems` with its line. Throws TL_IMPORT_UNKNOWN_FORMAT / _AMBIGUOUS_FORMAT /
 * _BAD_FORMAT_NAME when no single format fits.
 */
export function readWithAdapter(
  bytes: Uint8Array,
  options: AdapterReadOptions,
  problems: RowProblem[],
  onRow: (row: ParsedExecution) => void,
): { rowsRead: number; info: SourceInfo } {
  const maxRows = options.maxRows ?? Number.POSITIVE_INFINITY;
  // every record ends a line: a file with twice the limit in line breaks is refused before it is parsed
  if (Number.isFinite(maxRows) && lineCount(bytes) > 2 * maxRows + 2) throw tooManyRows(maxRows);
  const parseOptions: ParseFileOptions = { registry: options.registry, zone: options.zone, dst: options.dst };
  if (options.format) parseOptions.format = options.format;
  if (options.dateOrder) parseOptions.dateOrder = options.dateOrder;
  if (options.mapping) parseOptions.mapping = options.mapping;
  if (options.mappings) parseOptions.mappings = options.mappings;
  const result = parseFile(bytes, parseOptions);
  if (result.rowsRead > maxRows) throw tooManyRows(maxRows);
  for (const p of result.problems) problems.push({ line: p.line, reason: p.reason });
  const info: SourceInfo = {
    format: result.format,
    zone: result.zoneUsed.source === 'option' ? { ...result.zoneUsed, setting: options.zoneSource } : result.zoneUsed,
    orders: result.orders,
    cashEntries: result.cashEntries.length,
    ignored: result.ignored.length,
  };
  if (result.dateOrder) info.dateOrder = result.dateOrder;
  if (result.detection) info.detection = result.detection;
  const keys = new ContentKeys();
  const contradictions = new Contradictions(result.orders);
  const costsMissing = WITHOUT_COSTS.has(result.format);
  for (const f of result.fills) {
    const row = toRow(f, result.format, options, keys, costsMissing);
    if (typeof row === 'string') problems.push({ line: f.line, reason: row });
    else {
      const contradiction = contradictions.check(f, row.account, `${row.account}\u001f${row.contract}`);
      if (contradiction) problems.push({ line: f.line, reason: contradiction });
      else onRow(row);
    }
  }
  return { rowsRead: result.rowsRead, info };
}

function accountFor(f: Fill, options: AdapterReadOptions): string | undefined {
  if (f.account) return f.account;
  if (options.account) return options.account;
  const ids = f.fillId ? [f.fillId] : [];
  for (const id of ids) {
    const a = options.accountOfFill?.(id);
    if (a) return a;
  }
  return undefined;
}

/** One adapter fill → an execution row, or every reason it is refused. */
function toRow(
  f: Fill,
  format: FormatName,
  options: AdapterReadOptions,
  keys: ContentKeys,
  costsMissing: boolean,
): ParsedExecution | string {
  const reasons: string[] = [];
  const account = accountFor(f, options);
  if (!account)
    reasons.push('the file names no account for this fill: give one with --account NAME (or the account field on the import page)');
  if (!Number.isInteger(f.quantity) || f.quantity < 1 || f.quantity > MAX_QUANTITY) {
    reasons.push(`quantity ${f.quantity} is not a whole number of contracts from 1 to ${MAX_QUANTITY.toLocaleString('en-US')}`);
  }
  const late = implausibleTime(f.time, new Date(f.time).toISOString(), options.now);
  if (late) reasons.push(late);
  for (const [label, text] of [
    ['Account', account ?? null],
    ['Contract', f.contract.raw],
    ['Fill ID', f.fillId],
    ['Order ID', f.orderId],
  ] as const) {
    const c = controlIn(label, text);
    if (c) reasons.push(c);
  }
  if (f.derived === 'order' && !f.orderId) reasons.push('a fill derived from an order has no order id');
  if (reasons.length > 0 || !account) return reasons.join('; ');
  const contract = contractKey(f.contract);
  const action = actionOf(f);
  let commissionCents = 0;
  for (const v of Object.values(f.costs)) commissionCents += v ?? 0;
  let key: string;
  let nativeId = false;
  if (f.derived === 'order') key = orderKey(f.orderId as string);
  else if (f.derived === 'round-trip')
    key = f.fillId
      ? roundTripKey(f.fillId)
      : keys.key(new Date(f.time).toISOString(), account, contract, `rt:${action}`, f.quantity, f.priceUnits);
  else if (f.fillId) {
    key = f.fillId;
    nativeId = true;
  } else key = keys.key(new Date(f.time).toISOString(), account, contract, action, f.quantity, f.priceUnits);
  return {
    line: f.line,
    account,
    key,
    nativeId,
    instrument: f.contract.raw,
    contract,
    root: f.contract.root,
    action,
    quantity: f.quantity,
    priceUnits: f.priceUnits,
    time: f.time,
    commissionCents,
    validation: f.validation ?? null,
    orderId: f.orderId,
    openClose: f.openClose,
    positionAfter: f.positionAfter ?? null,
    format,
    fillId: f.fillId,
    derived: f.derived,
    costs: f.costs,
    costsMissing: costsMissing && Object.keys(f.costs).length === 0,
  };
}
