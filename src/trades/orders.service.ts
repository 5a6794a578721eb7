import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type Clock, systemClock } from '../clock.js';
import type { Db } from '../db/open.js';
import { AppError, errorMessage } from '../errors.js';
import { canonicalContract, loadInstrumentRegistry } from '../instruments/instruments.js';
import { createSettingsRepo } from '../settings/settings.repo.js';
import { createAccountsRepo } from './accounts.repo.js';
import { createExecutionsRepo } from './executions.repo.js';
import { parseFile } from './importers/formats.js';
import type { FormatName, Order } from './importers/types.js';
import { unitsToPrice } from './money.js';
import { createOrdersRepo, type NewOrder } from './orders.repo.js';
import { createPositionsRepo, type PositionRecord } from './positions.repo.js';
import { importTimezone } from './settings.js';
import { initialStopOrder, type StopPoint, type StopPosition, stopHistory } from './stops.js';
import { createStopsRepo } from './stops.repo.js';

/**
 * Orders and stops (issue 10 §8, docs/orders.md).
 *
 * `storeOrders` is what the import pipeline calls with an adapter's normalised orders, inside the file's
 * transaction, after the import row exists: the orders are stored under that import (an undo removes them), and
 * the accounts they name are recorded in the registry. `importFile` is the path for a file read for its orders
 * alone (Tradovate Orders, TopstepX Orders, Rithmic Completed Orders, Sierra Chart): the same call in a
 * transaction of its own.
 */
export interface StoreOrdersResult {
  added: number;
  duplicates: number;
  /** Orders without an account (none of the orders reports lacks one; counted, not stored). */
  withoutAccount: number;
}

/** An adapter's order as stored: contract in the journal's spelling, prices from price units. */
export function newOrder(o: Order & { account: string }, format: FormatName): NewOrder {
  const price = (u: number | null) => (u === null ? null : unitsToPrice(u));
  return {
    account: o.account,
    orderKey: o.orderId,
    contract: canonicalContract(o.contract),
    root: o.contract.root,
    side: o.side,
    type: o.type,
    typeText: o.typeText,
    limitPrice: price(o.limitPriceUnits),
    stopPrice: price(o.stopPriceUnits),
    status: o.status,
    statusText: o.statusText,
    quantity: o.quantity,
    filledQuantity: o.filledQuantity,
    avgFillPrice: price(o.avgFillPriceUnits),
    placedAt: o.placedAt,
    filledAt: o.filledAt,
    cancelledAt: o.cancelledAt,
    parentKey: o.parentId,
    bracket: o.bracket,
    protective: o.protectiveStop,
    tag: o.tag,
    format,
    sourceLine: o.line,
    stopMoves: (o.stopMoves ?? []).map((m) => ({ at: m.at, stopPrice: unitsToPrice(m.stopPriceUnits) })),
  };
}

/** Store an import's orders inside the caller's `db.write()` (the seam the import pipeline calls). */
export function storeOrders(db: Db, importId: number, format: FormatName, orders: readonly Order[]): StoreOrdersResult {
  const withAccount = orders.filter((o): o is Order & { account: string } => o.account !== null && o.account !== '');
  createAccountsRepo(db).ensure(new Set(withAccount.map((o) => o.account)));
  const r = createOrdersRepo(db).insertMany(
    withAccount.map((o) => newOrder(o, format)),
    importId,
  );
  return { ...r, withoutAccount: orders.length - withAccount.length };
}

/** Remove an import's orders inside the caller's `db.write()` (its undo). */
export function removeOrdersOfImport(db: Db, importId: number): number {
  return createOrdersRepo(db).deleteOfImport(importId);
}

export interface OrdersImportResult extends StoreOrdersResult {
  importId: number;
  file: string;
  format: FormatName;
  rowsRead: number;
}

export interface PositionStopsJson {
  /** The initial stop in force: typed on the position page, else from the orders; null when neither. */
  initialStop: number | null;
  initialStopSource: 'typed' | 'order' | null;
  /** The initial stop the orders give (also when a typed one wins). */
  orderInitialStop: number | null;
  /** The stop's history: the initial stop, then each move (from orders, and typed), by time. */
  stops: (Omit<StopPoint, 'at'> & { at: string; moveId?: number })[];
}

export interface OrdersServiceDeps {
  journal: Db;
  importTimezone: string;
  clock?: Clock;
}

const MAX_BYTES = 64 * 1024 * 1024;

function positionNotFound(id: number): AppError {
  return new AppError('TL_POSITION_NOT_FOUND', `There is no position ${id}.`, {
    remedy: 'List positions with "tradelog positions" (or open /positions) and use one of their ids.',
    details: { positionId: id },
  });
}

function stopInput(field: string, value: number): number {
  if (!Number.isFinite(value) || Math.abs(value) > 1e9) {
    throw new AppError('TL_JOURNAL_BAD_INPUT', `${value} is not a stop price.`, {
      remedy: 'Give the stop as a price, e.g. 21030.25.',
      details: { field },
    });
  }
  return value;
}

export function createOrdersService(deps: OrdersServiceDeps) {
  const db = deps.journal;
  const clock = deps.clock ?? systemClock;
  const orders = createOrdersRepo(db);
  const stops = createStopsRepo(db);
  const positions = createPositionsRepo(db);
  const accounts = createAccountsRepo(db);
  const executions = createExecutionsRepo(db);

  const mustGet = (id: number): PositionRecord => {
    const p = Number.isSafeInteger(id) ? positions.get(id) : undefined;
    if (!p) throw positionNotFound(id);
    return p;
  };

  const service = {
    /** Read a file for its orders alone and store them in one transaction (fills in it are left to `tradelog import`). */
    importFile(file: string, options: { format?: FormatName } = {}): OrdersImportResult {
      const bytes = readOrdersFile(file);
      const settings = createSettingsRepo(db);
      const parsed = parseFile(bytes, {
        registry: loadInstrumentRegistry(settings),
        zone: importTimezone(settings, deps.importTimezone),
        ...(options.format ? { format: options.format } : {}),
      });
      const problem = parsed.problems[0];
      if (problem) {
        throw new AppError(
          'TL_ORDERS_BAD_ROW',
          `${path.basename(file)} line ${problem.line}${problem.field ? `, ${problem.field}` : ''}: ${problem.reason}. Nothing was imported.`,
          {
            remedy: 'Export the report again from the platform; add an unknown root in Settings → Instruments first.',
            details: { file, line: problem.line, field: problem.field, problems: parsed.problems.length },
          },
        );
      }
      if (parsed.orders.length === 0) {
        throw new AppError('TL_ORDERS_NONE', `${path.basename(file)} (${parsed.format}) holds no orders. Nothing was imported.`, {
          remedy:
            'Import fills with "tradelog import"; give this command an orders report (Tradovate Orders, TopstepX Orders, Rithmic, Sierra Chart).',
          details: { file, format: parsed.format },
        });
      }
      return db.write(() => {
        const importId = executions.insertImport({
          kind: 'ninjatrader',
          fileName: path.basename(file),
          filePath: path.resolve(file),
          sha256: createHash('sha256').update(bytes).digest('hex'),
          bytes: bytes.length,
          status: 'imported',
          rowsRead: parsed.rowsRead,
        });
        orders.setImportFormat(importId, parsed.format);
        const stored = storeOrders(db, importId, parsed.format, parsed.orders);
        return { importId, file, format: parsed.format, rowsRead: parsed.rowsRead, ...stored };
      });
    },

    /** The initial stop of a position and the stop's history (typed stops and orders). */
    positionStops(id: number): PositionStopsJson {
      const p = mustGet(id);
      return stopsOf(p);
    },

    /** Type the initial stop on a position (null clears it: the orders' one shows again). */
    setInitialStop(id: number, stopPrice: number | null): PositionStopsJson {
      const value = stopPrice === null ? null : stopInput('initialStop', stopPrice);
      return db.write(() => {
        const p = mustGet(id);
        stops.setInitial(id, value, clock.now());
        return stopsOf(p);
      });
    },

    /** Record a move of the stop at `at` (epoch ms) to `stopPrice`. */
    addStopMove(id: number, at: number, stopPrice: number): PositionStopsJson {
      const value = stopInput('stopPrice', stopPrice);
      return db.write(() => {
        const p = mustGet(id);
        if (!Number.isSafeInteger(at) || at < p.openedAt || (p.closedAt !== null && at > p.closedAt)) {
          throw new AppError(
            'TL_JOURNAL_BAD_INPUT',
            `A stop move at ${new Date(at).toISOString()} is outside position ${id}, which was open from ${new Date(p.openedAt).toISOString()}${p.closedAt === null ? '' : ` to ${new Date(p.closedAt).toISOString()}`}.`,
            {
              remedy: 'Give the time the stop was moved, while the position was open.',
              details: { field: 'at', positionId: id },
            },
          );
        }
        stops.addMove(id, at, value);
        return stopsOf(p);
      });
    },

    removeStopMove(id: number, moveId: number): PositionStopsJson {
      return db.write(() => {
        const p = mustGet(id);
        stops.removeMove(id, moveId);
        return stopsOf(p);
      });
    },
  };

  function stopsOf(p: PositionRecord): PositionStopsJson {
    const spellings = accounts.spellingsOf(p.account);
    const first = executions.byId(p.firstExecId);
    const last = executions.byId(p.lastExecId);
    const range = first && last ? executions.range(spellings, p.contract, first, last) : [];
    const opening = p.side === 'long' ? /^Buy/ : /^Sell/;
    const sp: StopPosition = {
      side: p.side,
      openedAt: p.openedAt,
      closedAt: p.closedAt,
      openingOrderIds: range.filter((e) => opening.test(e.action) && e.orderId !== null).map((e) => e.orderId as string),
    };
    const until = p.closedAt ?? Number.MAX_SAFE_INTEGER;
    const stopOrders = orders.stops(spellings, p.contract, Math.min(until, Number.MAX_SAFE_INTEGER));
    const initial = initialStopOrder(sp, stopOrders);
    const fromOrders = initial ? stopHistory(sp, stopOrders, initial) : [];
    const typed = stops.get(p.id);
    const history = [
      ...(typed.initialStop === null
        ? []
        : [{ at: new Date(p.openedAt).toISOString(), stopPrice: typed.initialStop, source: 'typed' as const }]),
      ...fromOrders.map((s) => ({ ...s, at: new Date(s.at).toISOString() })),
      ...typed.moves.map((m) => ({ at: new Date(m.at).toISOString(), stopPrice: m.stopPrice, source: 'typed' as const, moveId: m.id })),
    ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    const initialStop = typed.initialStop ?? initial?.stopPrice ?? null;
    return {
      initialStop,
      initialStopSource: typed.initialStop !== null ? 'typed' : initial ? 'order' : null,
      orderInitialStop: initial?.stopPrice ?? null,
      stops: history,
    };
  }

  return service;
}

function readOrdersFile(file: string): Buffer {
  try {
    const st = fs.statSync(file);
    if (st.size > MAX_BYTES) throw new Error(`${st.size} bytes, more than ${MAX_BYTES}`);
    return fs.readFileSync(file);
  } catch (err) {
    throw new AppError('TL_IMPORT_UNREADABLE', `Cannot read ${file}: ${errorMessage(err)}. Nothing was imported.`, {
      remedy: 'Check the path and that the file is readable by the user tradelog runs as.',
      details: { file },
    });
  }
}

export type OrdersService = ReturnType<typeof createOrdersService>;
