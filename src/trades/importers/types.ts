import type { InstrumentRegistry } from '../../instruments/instruments.js';
import type { Validity } from '../positions.js';
import type { DstResolution } from '../time.js';
import type { ColumnMapping } from './mapping.js';
import type { Sample } from './sample.js';

/**
 * The normalised shapes every source adapter produces (issue 10 §1). An adapter is a pure function from a file's
 * records to fills, orders and cash entries, with every row it could not read listed as a problem naming its
 * line. Nothing here touches a database: the shared pipeline (validation, dedupe, the transaction, positions)
 * takes these.
 *
 * Exactness is the project's (money.ts): prices are integer price units of 1e-7 (`priceUnits`), money is integer
 * cents, times are UTC epoch milliseconds.
 */

export type FormatName =
  | 'nt8-executions'
  | 'nt8-trades'
  | 'ninjatrader-addon'
  | 'tradovate-fills'
  | 'tradovate-orders'
  | 'tradovate-performance'
  | 'tradovate-position-history'
  | 'tradovate-cash-history'
  | 'rithmic-orders'
  | 'projectx-trades'
  | 'projectx-orders'
  | 'ibkr-flex'
  | 'sierra-activity'
  | 'generic';

export type Side = 'buy' | 'sell';

/** The kinds of cost a source can state; each is integer cents, positive a cost, negative a rebate. */
export type CostKind = 'commission' | 'exchange' | 'clearing' | 'nfa' | 'platform' | 'other';
export type Costs = Partial<Record<CostKind, number>>;

/** A futures contract: root and expiry, resolved from any spelling of broker-formats.md §9.1. */
export interface Contract {
  root: string;
  /** 1–12. */
  month: number;
  /** Four digits. */
  year: number;
  /** As the file spells it (`MNQM6`, `MNQ 09-26`, `MESM26_FUT_CME`). */
  raw: string;
}

/** Where a derived fill came from, and its part in that round trip. */
export interface RoundTripRef {
  /** The source's id of the round trip or paired lot, else `line:<n>`. */
  id: string;
  role: 'entry' | 'exit';
  quantity: number;
}

/** Excursions a round-trip row carries (NinjaTrader Trades grid), in cents for the whole row. */
export interface Excursions {
  maeCents: number;
  mfeCents: number;
  etdCents: number;
}

export interface Fill {
  /** Line of the row in the file (the first row, for a fill merged from several paired lots). */
  line: number;
  /** As the file spells it; null when the file has no account (Tradovate Performance, TopstepX Trades). */
  account: string | null;
  contract: Contract;
  side: Side;
  /** Whole contracts, above 0. */
  quantity: number;
  priceUnits: number;
  /** UTC epoch ms. */
  time: number;
  costs: Costs;
  /** The source's own fill id (execution id, Fill ID, TradeID, FillExecutionServiceID). */
  fillId: string | null;
  orderId: string | null;
  /** The file's own open/close flag (NinjaTrader E/X, IBKR Code, ProjectX PositionDisposition, Sierra OpenClose). */
  openClose: 'open' | 'close' | null;
  /**
   * Not a fill the source listed: `round-trip` = one side of a round-trip row (replaced when the fills of the same
   * trades arrive); `order` = an order's filled total at its average price (replaced by the fills of that order).
   */
  derived: 'round-trip' | 'order' | null;
  /** For `round-trip` fills: the rows it was made from. */
  roundTrips?: RoundTripRef[];
  /** On the exit fill of a round-trip row that carries them. */
  excursions?: Excursions;
  /** Signed position after the fill as the file states it (NinjaTrader `2 L`/`1 S`/`-`, Sierra PositionQuantity). */
  positionAfter?: number | null;
  /** The source's order or signal name (NinjaTrader `Stop1`, `Target1`, `Entry`). */
  name?: string | null;
  /** The trader's verdict written by the add-on (TradeValidation). */
  validation?: Validity | null;
}

export type OrderType = 'market' | 'limit' | 'stop' | 'stop-limit' | 'other';
export type OrderStatus = 'filled' | 'partial' | 'working' | 'cancelled' | 'rejected';

export interface Order {
  line: number;
  account: string | null;
  contract: Contract;
  orderId: string;
  side: Side;
  type: OrderType;
  /** The type as the file writes it (`Stop`, `STP`, `TrailingStop`). */
  typeText: string;
  limitPriceUnits: number | null;
  stopPriceUnits: number | null;
  status: OrderStatus;
  statusText: string;
  placedAt: number | null;
  filledAt: number | null;
  cancelledAt: number | null;
  quantity: number;
  filledQuantity: number;
  avgFillPriceUnits: number | null;
  /** Later prices of a stop that was moved (Sierra Chart order events), in time order. */
  stopMoves?: { at: number; stopPriceUnits: number }[];
  /** The order this one belongs to (Sierra ParentInternalOrderID). */
  parentId: string | null;
  /** True where the source marks a bracket leg (Tradovate `multibracket`). */
  bracket: boolean;
  /** True where the source says this is a protective stop (ProjectX `StopLoss`, Sierra child stop that closes). */
  protectiveStop: boolean;
  /** The source's own label of where the order came from (Tradovate Text, ProjectX CreationDisposition). */
  tag: string | null;
}

export type CashKind = CostKind | 'pnl' | 'transfer';

/** A row of a cash ledger (Tradovate Cash History, Sierra Account Balance rows). */
export interface CashEntry {
  line: number;
  account: string | null;
  time: number;
  kind: CashKind;
  /** The ledger's own name for it (`Exchange Fee`, `Trade Fee`). */
  kindText: string;
  /** Signed cents as the ledger states the change (a fee is negative). */
  amountCents: number;
  contract: Contract | null;
  entryId: string | null;
}

export interface Problem {
  line: number;
  /** The column as the file names it, when the problem is one cell. */
  field?: string;
  reason: string;
}

/** A row read and deliberately not turned into anything (not a futures row, a position snapshot). */
export interface Ignored {
  line: number;
  reason: string;
}

/** How naive wall-clock times were placed in time. */
export interface ZoneUsed {
  /** An IANA zone, or `UTC`/`±HH:MM` when the data carried offsets. */
  zone: string;
  source: 'data' | 'header' | 'option';
  /** For `header`: the column name it came from. */
  from?: string;
}

export interface ParseResult {
  format: FormatName;
  fills: Fill[];
  orders: Order[];
  cashEntries: CashEntry[];
  problems: Problem[];
  ignored: Ignored[];
  zoneUsed: ZoneUsed;
  /** Data rows seen (not the header, blank lines or repeated headers). */
  rowsRead: number;
  /** For formats whose dates can be day-first: the order used and why. */
  dateOrder?: { order: DateOrder; source: 'data' | 'option' | 'format' };
}

export type DateOrder = 'mdy' | 'dmy';

export interface AdapterOptions {
  registry: InstrumentRegistry;
  /** The zone naive times are read in when neither the data nor the header says (per source; default the import zone). */
  zone: string;
  /** For NinjaTrader files whose dates cannot tell day-first from month-first (`import.dateOrder`, `--date-order`). */
  dateOrder?: DateOrder;
  dst?: DstResolution;
  /** The generic CSV's column mapping. */
  mapping?: ColumnMapping;
}

export type Delimiter = ',' | ';' | '\t';

/** One CSV record with the line it starts on. */
export interface CsvRecord {
  cells: string[];
  line: number;
}

export interface Detection {
  format: FormatName;
  /** 0–1: the share of the columns the adapter knows that the header has. */
  confidence: number;
  delimiter: Delimiter;
  /** Line of the header row. */
  headerLine: number;
  /** For `generic`: the name of the saved mapping whose header signature matched. */
  mapping?: string;
}

export interface DetectContext {
  /** Saved generic mappings, matched by header signature. */
  mappings?: readonly ColumnMapping[];
}

export interface Adapter {
  readonly format: FormatName;
  /** What users call it: `Tradovate Fills`. */
  readonly label: string;
  /** What detection looks for, said to the user when no format matched. */
  readonly lookedFor: string;
  detect(sample: Sample, context: DetectContext): Detection | undefined;
  parse(records: readonly CsvRecord[], options: AdapterOptions): ParseResult;
}
