import { grossCents, splitCents } from './money.js';

/**
 * The position builder: a pure function from the executions of one book (account + canonical contract) to its
 * positions. No I/O.
 *
 * Quantity flow: the running quantity goes 0 → ±n → 0; a position is one such trip. Fills in the position's
 * direction add lots; fills against it close lots first-in-first-out. A fill that takes the quantity through
 * zero (a reversal, +3 → −2) is split: the part that closes (3) belongs to the closing position, the rest (2)
 * opens the next one, and its commission is divided between them in the same proportion (cents, rounded half
 * away from zero, remainder to the opening part, so nothing is counted twice or lost; reference-app.md §8.12).
 *
 * P&L (interface.md): pointsPnl = Σ over FIFO pairs of (exit − entry) × contracts for a long, (entry − exit) ×
 * contracts for a short; gross = points × point value, rounded to the cent once per position; net = gross −
 * commission. An open position carries the P&L of what it has closed so far and its real average entry price.
 *
 * Positions of a book are contiguous runs of its sorted executions (sharing the reversal fill at a boundary),
 * so a stored position needs only its first and last execution and the share of the first one to be rebuilt
 * exactly (see `firstShare`).
 */
export type Action = 'Buy' | 'Sell' | 'BuyToCover' | 'SellShort';
export type Validity = 'valid' | 'invalid';

export interface BookExecution {
  /** Row id (any number that orders executions with equal times, and names them). */
  id: number;
  /** Execution id from the source, or the content key of a row without one. */
  key: string;
  action: Action;
  quantity: number;
  /** Price in units of 1e-7 (money.ts). */
  priceUnits: number;
  /** UTC epoch ms. */
  time: number;
  commissionCents: number;
  validation?: Validity | null;
  /** The source stated no costs (commissionCents is then what a fee schedule fills in, or 0). */
  costsMissing?: boolean;
  /** The source's own open/close flag, when it has one: an exit with nothing open is an orphan (see BookBuilder). */
  openClose?: 'open' | 'close' | null;
}

export interface Book {
  account: string;
  /** Canonical contract, e.g. `MNQ 12-25`. */
  contract: string;
  root: string;
  /** Dollars per 1.00 of price. */
  pointValue: number;
}

export interface ExecutionShare {
  execution: BookExecution;
  role: 'entry' | 'exit';
  /** The part of the fill that belongs to this position (less than the fill for a reversal). */
  quantity: number;
  commissionCents: number;
}

export interface FifoPair {
  entryId: number;
  exitId: number;
  entryKey: string;
  exitKey: string;
  quantity: number;
  entryPriceUnits: number;
  exitPriceUnits: number;
  entryTime: number;
  exitTime: number;
  /** (exit − entry) × quantity for a long, reversed for a short, in price units. */
  pointsUnits: number;
}

export interface BuiltPosition {
  /** Stable identity: account, contract and the execution that opened it (positions.repo.ts maps it to an id). */
  key: string;
  account: string;
  contract: string;
  root: string;
  side: 'long' | 'short';
  status: 'open' | 'closed';
  openedAt: number;
  closedAt: number | null;
  maxQuantity: number;
  /** Contracts still held (0 when closed). */
  openQuantity: number;
  entryQuantity: number;
  exitQuantity: number;
  avgEntryUnits: number;
  avgExitUnits: number | null;
  pointsUnits: number;
  grossCents: number;
  commissionCents: number;
  netCents: number;
  pointValue: number;
  executionCount: number;
  firstExecId: number;
  lastExecId: number;
  /** The quantity and commission of the first execution that belong to this position (the opening share). */
  firstShare: { quantity: number; commissionCents: number };
  /** Aggregate of the executions' TradeValidation values: mixed when they disagree, null when none. */
  validity: Validity | 'mixed' | null;
  shares: ExecutionShare[];
  pairs: FifoPair[];
}

export function actionSign(action: Action): 1 | -1 {
  return action === 'Buy' || action === 'BuyToCover' ? 1 : -1;
}

export function positionKey(account: string, contract: string, openingKey: string): string {
  return `${account}\u001f${contract}\u001f${openingKey}`;
}

interface Lot {
  exec: BookExecution;
  remaining: number;
}

class Open {
  readonly shares: ExecutionShare[] = [];
  readonly pairs: FifoPair[] = [];
  readonly lots: Lot[] = [];
  lotHead = 0;
  quantity = 0;
  maxQuantity = 0;

  constructor(
    readonly side: 1 | -1,
    readonly first: BookExecution,
    readonly firstShare: { quantity: number; commissionCents: number },
  ) {
    this.addEntry(first, firstShare.quantity, firstShare.commissionCents);
  }

  addEntry(exec: BookExecution, qty: number, commissionCents: number): void {
    this.shares.push({ execution: exec, role: 'entry', quantity: qty, commissionCents });
    this.lots.push({ exec, remaining: qty });
    this.quantity += qty;
    if (this.quantity > this.maxQuantity) this.maxQuantity = this.quantity;
  }

  /** Close `qty` contracts FIFO with `exec` (qty ≤ this.quantity). */
  close(exec: BookExecution, qty: number, commissionCents: number): void {
    this.shares.push({ execution: exec, role: 'exit', quantity: qty, commissionCents });
    let left = qty;
    while (left > 0) {
      const lot = this.lots[this.lotHead] as Lot;
      const q = Math.min(left, lot.remaining);
      this.pairs.push({
        entryId: lot.exec.id,
        exitId: exec.id,
        entryKey: lot.exec.key,
        exitKey: exec.key,
        quantity: q,
        entryPriceUnits: lot.exec.priceUnits,
        exitPriceUnits: exec.priceUnits,
        entryTime: lot.exec.time,
        exitTime: exec.time,
        pointsUnits: (exec.priceUnits - lot.exec.priceUnits) * q * this.side,
      });
      lot.remaining -= q;
      left -= q;
      if (lot.remaining === 0) this.lotHead++;
    }
    this.quantity -= qty;
  }

  finish(book: Book): BuiltPosition {
    let entryQty = 0;
    let entrySum = 0;
    let exitQty = 0;
    let exitSum = 0;
    let commission = 0;
    let valid = false;
    let invalid = false;
    for (const s of this.shares) {
      commission += s.commissionCents;
      if (s.role === 'entry') {
        entryQty += s.quantity;
        entrySum += s.execution.priceUnits * s.quantity;
      } else {
        exitQty += s.quantity;
        exitSum += s.execution.priceUnits * s.quantity;
      }
      if (s.execution.validation === 'valid') valid = true;
      else if (s.execution.validation === 'invalid') invalid = true;
    }
    let points = 0;
    for (const p of this.pairs) points += p.pointsUnits;
    const gross = grossCents(points, book.pointValue);
    const last = (this.shares.at(-1) as ExecutionShare).execution;
    const closed = this.quantity === 0;
    return {
      key: positionKey(book.account, book.contract, this.first.key),
      account: book.account,
      contract: book.contract,
      root: book.root,
      side: this.side === 1 ? 'long' : 'short',
      status: closed ? 'closed' : 'open',
      openedAt: this.first.time,
      closedAt: closed ? last.time : null,
      maxQuantity: this.maxQuantity,
      openQuantity: this.quantity,
      entryQuantity: entryQty,
      exitQuantity: exitQty,
      avgEntryUnits: Math.round(entrySum / entryQty),
      avgExitUnits: exitQty > 0 ? Math.round(exitSum / exitQty) : null,
      pointsUnits: points,
      grossCents: gross,
      commissionCents: commission,
      netCents: gross - commission,
      pointValue: book.pointValue,
      executionCount: this.shares.length,
      firstExecId: this.first.id,
      lastExecId: last.id,
      firstShare: this.firstShare,
      validity: valid && invalid ? 'mixed' : valid ? 'valid' : invalid ? 'invalid' : null,
      shares: this.shares,
      pairs: this.pairs,
    };
  }
}

export interface BuildOptions {
  /**
   * Rebuilding one stored position: the share of the first execution that belongs to it (the opening part of
   * a reversal), and stop after the first position.
   */
  firstShare?: { quantity: number; commissionCents: number };
  onlyFirst?: boolean;
}

/**
 * The builder fed one execution at a time, in (time, id) order: memory holds only the open position, so a book
 * of any size streams through it.
 */
export class BookBuilder {
  private open: Open | undefined;
  private last: BookExecution | undefined;
  /**
   * Orphan exits (issue 10 §9): fills the source marks as exits (`openClose` close) that arrive with nothing
   * open in the book, as when an export starts mid-position. They are paired with nothing (never the start of a
   * phantom opposite position); importing the earlier fills later puts something open before them.
   */
  readonly orphans: BookExecution[] = [];

  constructor(
    private readonly book: Book,
    private readonly firstShare?: { quantity: number; commissionCents: number },
  ) {}

  /** True when `e` would come before the previous execution (the caller must then sort and start again). */
  outOfOrder(e: BookExecution): boolean {
    return this.last !== undefined && byTimeThenId(e, this.last) < 0;
  }

  /** Feed the next execution; returns the position it closed, if any. */
  push(e: BookExecution): BuiltPosition | undefined {
    const first = this.last === undefined;
    this.last = e;
    const sign = actionSign(e.action);
    const open = this.open;
    // (a stored position rebuilt from its first execution opens with it: a reversal's opening share)
    if (!open && e.openClose === 'close' && !(first && this.firstShare)) {
      this.orphans.push(e);
      return undefined;
    }
    if (!open) {
      const share = first && this.firstShare ? this.firstShare : { quantity: e.quantity, commissionCents: e.commissionCents };
      this.open = new Open(sign, e, share);
      return undefined;
    }
    if (sign === open.side) {
      open.addEntry(e, e.quantity, e.commissionCents);
      return undefined;
    }
    const closing = Math.min(e.quantity, open.quantity);
    const [closeCommission, openCommission] = splitCents(e.commissionCents, closing, e.quantity);
    open.close(e, closing, closeCommission);
    if (open.quantity > 0) return undefined;
    const rest = e.quantity - closing;
    this.open = rest > 0 ? new Open(sign, e, { quantity: rest, commissionCents: openCommission }) : undefined;
    return open.finish(this.book);
  }

  /** The position still open after the last execution, if any. */
  finish(): BuiltPosition | undefined {
    const open = this.open;
    this.open = undefined;
    return open?.finish(this.book);
  }
}

/**
 * Build the positions of one book. `executions` must be sorted by (time, id); all belong to `book`.
 */
export function buildPositions(book: Book, executions: Iterable<BookExecution>, options: BuildOptions = {}): BuiltPosition[] {
  const out: BuiltPosition[] = [];
  const builder = new BookBuilder(book, options.firstShare);
  for (const e of executions) {
    const closed = builder.push(e);
    if (!closed) continue;
    out.push(closed);
    if (options.onlyFirst) return out;
  }
  const open = builder.finish();
  if (open) out.push(open);
  return out;
}

/** Sort executions the way the builder expects: time, then id. */
export function byTimeThenId(a: BookExecution, b: BookExecution): number {
  return a.time - b.time || a.id - b.id;
}
