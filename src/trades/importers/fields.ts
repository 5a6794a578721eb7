import { bad, ok, type Parsed } from './columns.js';
import type { OrderStatus, OrderType, Side } from './types.js';

/**
 * Spellings of sides, order types, statuses and open/close flags across the formats (broker-formats.md), read
 * case-insensitively without spaces, hyphens or underscores. An unknown spelling is a problem naming it.
 */
const key = (t: string) =>
  t
    .trim()
    .toLowerCase()
    .replace(/[\s_-]/g, '');

const SIDES: Record<string, { side: Side; openClose?: 'open' | 'close' }> = {
  buy: { side: 'buy' },
  b: { side: 'buy' },
  bot: { side: 'buy' },
  bought: { side: 'buy' },
  bid: { side: 'buy' },
  '0': { side: 'buy' },
  buytocover: { side: 'buy', openClose: 'close' },
  buytoopen: { side: 'buy', openClose: 'open' },
  buytoclose: { side: 'buy', openClose: 'close' },
  sell: { side: 'sell' },
  s: { side: 'sell' },
  sld: { side: 'sell' },
  sold: { side: 'sell' },
  ask: { side: 'sell' },
  '1': { side: 'sell' },
  sellshort: { side: 'sell', openClose: 'open' },
  selltoopen: { side: 'sell', openClose: 'open' },
  selltoclose: { side: 'sell', openClose: 'close' },
};

/** `Buy`, ` Sell`, `B`, `BUY`, `Sell short`, `SellShort`, `Buy to cover`, `Bid`/`Ask`, Tradovate `_action` 0/1. */
export function parseSide(text: string): Parsed<{ side: Side; openClose?: 'open' | 'close' }> {
  const s = SIDES[key(text)];
  return s ? ok(s) : bad(`bad side "${text}": expected Buy or Sell`);
}

/** `Entry`/`Exit`/`E`/`X` (NinjaTrader), `O`/`C` (IBKR Code), `Open`/`Close`, `Opening`/`Closing` (ProjectX). */
export function parseOpenClose(text: string): Parsed<'open' | 'close' | null> {
  const parts = text.split(/[;,]/).map(key);
  if (parts.some((p) => ['entry', 'e', 'open', 'opening', 'o'].includes(p))) {
    return parts.some((p) => ['exit', 'x', 'close', 'closing', 'c'].includes(p)) ? ok(null) : ok('open');
  }
  if (parts.some((p) => ['exit', 'x', 'close', 'closing', 'c'].includes(p))) return ok('close');
  if (parts.some((p) => ['undetermined', 'reverse', 'entry/exit', 'exit/entry', 'p', ''].includes(p))) return ok(null);
  return bad(`bad open/close flag "${text}": expected Entry, Exit, E or X`);
}

const TYPES: Record<string, OrderType> = {
  market: 'market',
  mkt: 'market',
  m: 'market',
  limit: 'limit',
  lmt: 'limit',
  l: 'limit',
  stop: 'stop',
  stp: 'stop',
  stopmarket: 'stop',
  trailingstop: 'stop',
  stoplimit: 'stop-limit',
  stplmt: 'stop-limit',
  sl: 'stop-limit',
  trailingstoplimit: 'stop-limit',
};

/** Market, limit, stop, stop-limit in every spelling; a type tradelog has no name for (MIT, OCO) is `other`. */
export function orderTypeOf(text: string): OrderType {
  return TYPES[key(text)] ?? 'other';
}

const STATUSES: Record<string, OrderStatus> = {
  filled: 'filled',
  fill: 'filled',
  complete: 'filled',
  completed: 'filled',
  partiallyfilled: 'partial',
  partial: 'partial',
  partfilled: 'partial',
  canceled: 'cancelled',
  cancelled: 'cancelled',
  expired: 'cancelled',
  rejected: 'rejected',
  failed: 'rejected',
  error: 'rejected',
  working: 'working',
  open: 'working',
  accepted: 'working',
  suspended: 'working',
  ordersent: 'working',
  new: 'working',
};

export function orderStatusOf(text: string): Parsed<OrderStatus> {
  const k = key(text);
  const s = STATUSES[k] ?? (k.startsWith('pending') ? 'working' : undefined);
  return s ? ok(s) : bad(`unknown order status "${text}"`);
}

/** A non-empty id cell, trimmed. */
export const idText = (text: string): Parsed<string> => ok(text.trim());
