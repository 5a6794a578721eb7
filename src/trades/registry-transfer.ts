import * as z from 'zod';
import type { Db } from '../db/open.js';
import { createAccountsRepo } from './accounts.repo.js';
import { COST_KINDS, type FeeSchedule } from './fees.js';
import { createFeesRepo } from './fees.repo.js';
import type { CostKind } from './importers/types.js';
import { centsToDollars } from './money.js';
import { createOrdersRepo, type OrderRow } from './orders.repo.js';
import { positionKey } from './positions.js';
import { createStopsRepo, type StopsRow } from './stops.repo.js';
import { isoTime, splitPositionKey } from './transfer.js';
import { createTransferRepo } from './transfer.repo.js';

/**
 * The journal export's sections of issue 10 (export version 2): the account registry (accounts with their
 * spellings), fee schedules (naming their account by name), orders as stored, and the stops typed on positions
 * (named by position key, like the journal entries). Accounts and schedules are restored before the positions are
 * rebuilt (they decide the books and the costs); orders and stops after.
 */
const iso = (ms: number) => new Date(ms).toISOString();
const text = (max: number) => z.string().min(1).max(max);
const cents = z
  .number()
  .refine((n) => Number.isFinite(n) && Math.abs(n * 100 - Math.round(n * 100)) < 1e-6 && Math.abs(n) <= 10_000, {
    message: 'not an amount in dollars exact to the cent',
  })
  .transform((n) => Math.round(n * 100));
const id = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const price = z.number().refine(Number.isFinite, 'not a finite number');
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'not a trading day (YYYY-MM-DD)');

export const accountItemSchema = z.strictObject({
  name: text(200),
  platform: text(200).nullable(),
  firm: text(200).nullable(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'not a currency code'),
  aliases: z.array(text(1000)).max(1000),
});

export const feeScheduleItemSchema = z.strictObject({
  id,
  account: text(200).nullable(),
  firm: text(200).nullable(),
  root: z.string().regex(/^(\*|[A-Z0-9]{1,8})$/, 'not a root or *'),
  side: z.enum(['buy', 'sell', 'both']),
  effectiveFrom: day,
  amounts: z.strictObject(Object.fromEntries(COST_KINDS.map((k) => [k, cents])) as Record<CostKind, typeof cents>),
});

export const orderItemSchema = z.strictObject({
  id,
  account: text(1000),
  orderId: text(1000),
  contract: text(100),
  root: z.string().regex(/^[A-Z0-9]{1,8}$/),
  side: z.enum(['buy', 'sell']),
  type: z.enum(['market', 'limit', 'stop', 'stop-limit', 'other']),
  typeText: z.string().max(200),
  limitPrice: price.nullable(),
  stopPrice: price.nullable(),
  status: z.enum(['filled', 'partial', 'working', 'cancelled', 'rejected']),
  statusText: z.string().max(200),
  quantity: z.number().int().min(0).max(1_000_000),
  filledQuantity: z.number().int().min(0).max(1_000_000),
  avgFillPrice: price.nullable(),
  placedAt: isoTime.nullable(),
  filledAt: isoTime.nullable(),
  cancelledAt: isoTime.nullable(),
  parentId: z.string().max(1000).nullable(),
  bracket: z.boolean(),
  protectiveStop: z.boolean(),
  tag: z.string().max(1000).nullable(),
  format: text(40),
  importId: id,
  line: z.number().int().min(0).nullable(),
  stopMoves: z.array(z.strictObject({ at: isoTime, stopPrice: price })).max(10_000),
});

export const stopsItemSchema = z.strictObject({
  position: z.strictObject({ account: z.string().max(1000), contract: z.string().max(100), openingExecution: text(1000) }),
  initialStop: z.strictObject({ stopPrice: price, updatedAt: isoTime }).nullable(),
  moves: z.array(z.strictObject({ at: isoTime, stopPrice: price })).max(10_000),
});

export type AccountItem = z.output<typeof accountItemSchema>;
export type FeeScheduleItem = z.output<typeof feeScheduleItemSchema>;
export type OrderItem = z.output<typeof orderItemSchema>;
export type StopsItem = z.output<typeof stopsItemSchema>;

export interface RegistrySections {
  accounts: AccountItem[];
  feeSchedules: FeeScheduleItem[];
  orders: OrderItem[];
  stops: StopsItem[];
}

// ---- rows → items

export function accountItems(db: Db) {
  return createAccountsRepo(db)
    .list()
    .map((a) => ({ name: a.name, platform: a.platform, firm: a.firm, currency: a.currency, aliases: a.aliases }));
}

export function feeScheduleItems(db: Db) {
  const accounts = createAccountsRepo(db);
  return createFeesRepo(db)
    .list()
    .sort((a, b) => a.id - b.id)
    .map((s) => ({
      id: s.id,
      account: s.accountId === null ? null : (accounts.getById(s.accountId)?.name ?? null),
      firm: s.firm,
      root: s.root,
      side: s.side,
      effectiveFrom: s.effectiveFrom,
      amounts: Object.fromEntries(COST_KINDS.map((k) => [k, centsToDollars(s.amounts[k])])),
    }));
}

export function orderItem(o: OrderRow) {
  const t = (ms: number | null) => (ms === null ? null : iso(ms));
  return {
    id: o.id,
    account: o.account,
    orderId: o.orderKey,
    contract: o.contract,
    root: o.root,
    side: o.side,
    type: o.type,
    typeText: o.typeText,
    limitPrice: o.limitPrice,
    stopPrice: o.stopPrice,
    status: o.status,
    statusText: o.statusText,
    quantity: o.quantity,
    filledQuantity: o.filledQuantity,
    avgFillPrice: o.avgFillPrice,
    placedAt: t(o.placedAt),
    filledAt: t(o.filledAt),
    cancelledAt: t(o.cancelledAt),
    parentId: o.parentKey,
    bracket: o.bracket,
    protectiveStop: o.protective,
    tag: o.tag,
    format: o.format,
    importId: o.importId,
    line: o.sourceLine,
    stopMoves: o.stopMoves.map((m) => ({ at: iso(m.at), stopPrice: m.stopPrice })),
  };
}

export function stopsItem(r: StopsRow) {
  return {
    position: splitPositionKey(r.key),
    initialStop: r.initial ? { stopPrice: r.initial.stopPrice, updatedAt: iso(r.initial.updatedAt) } : null,
    moves: r.moves.map((m) => ({ at: iso(m.at), stopPrice: m.stopPrice })),
  };
}

export const orderPages = (db: Db) => createOrdersRepo(db).page;
export const stopsPages = (db: Db) => createStopsRepo(db).page;

// ---- items → rows

export interface SectionProblem {
  path: readonly PropertyKey[];
  message: string;
}

/** What spans items of these sections: unique names and spellings, schedules naming a known account. */
export function checkRegistry(s: RegistrySections, importIds: ReadonlySet<number>): SectionProblem | undefined {
  const names = new Set<string>();
  const spellings = new Set<string>();
  for (const [i, a] of s.accounts.entries()) {
    if (names.has(a.name)) return { path: ['accounts', i, 'name'], message: `account ${a.name} appears twice` };
    names.add(a.name);
    for (const [j, alias] of a.aliases.entries()) {
      if (spellings.has(alias)) return { path: ['accounts', i, 'aliases', j], message: `spelling ${alias} belongs to two accounts` };
      spellings.add(alias);
    }
  }
  for (const [i, f] of s.feeSchedules.entries()) {
    if ((f.account === null) === (f.firm === null))
      return { path: ['feeSchedules', i], message: 'a schedule has exactly one of account and firm' };
    if (f.account !== null && !names.has(f.account))
      return { path: ['feeSchedules', i, 'account'], message: `there is no account ${f.account} in "accounts"` };
  }
  for (const [i, o] of s.orders.entries()) {
    if (!importIds.has(o.importId)) return { path: ['orders', i, 'importId'], message: `there is no import ${o.importId} in "imports"` };
  }
  return undefined;
}

/** Accounts and fee schedules, before the positions are rebuilt (inside the caller's `db.write()`). */
export function restoreRegistry(db: Db, s: RegistrySections): void {
  const accounts = createAccountsRepo(db);
  const fees = createFeesRepo(db);
  for (const a of s.accounts) {
    const aid = accounts.create(a.name);
    accounts.update(aid, { platform: a.platform, firm: a.firm, currency: a.currency });
    for (const alias of a.aliases) accounts.setAlias(alias, aid);
  }
  for (const f of s.feeSchedules) {
    const schedule: FeeSchedule = {
      id: f.id,
      accountId: f.account === null ? null : (accounts.get(f.account)?.id ?? null),
      firm: f.firm,
      root: f.root,
      side: f.side,
      effectiveFrom: f.effectiveFrom,
      amounts: f.amounts,
    };
    fees.insertWithId(schedule);
  }
}

/** Orders and typed stops, after the positions are rebuilt (inside the caller's `db.write()`). */
export function restoreOrdersAndStops(db: Db, s: RegistrySections): void {
  const orders = createOrdersRepo(db);
  const stops = createStopsRepo(db);
  const transfer = createTransferRepo(db);
  for (const o of s.orders) {
    orders.insertWithId({
      id: o.id,
      account: o.account,
      orderKey: o.orderId,
      contract: o.contract,
      root: o.root,
      side: o.side,
      type: o.type,
      typeText: o.typeText,
      limitPrice: o.limitPrice,
      stopPrice: o.stopPrice,
      status: o.status,
      statusText: o.statusText,
      quantity: o.quantity,
      filledQuantity: o.filledQuantity,
      avgFillPrice: o.avgFillPrice,
      placedAt: o.placedAt,
      filledAt: o.filledAt,
      cancelledAt: o.cancelledAt,
      parentKey: o.parentId,
      bracket: o.bracket,
      protective: o.protectiveStop,
      tag: o.tag,
      format: o.format,
      importId: o.importId,
      sourceLine: o.line,
      stopMoves: o.stopMoves,
    });
  }
  for (const st of s.stops) {
    const pid = transfer.positionIdOf(positionKey(st.position.account, st.position.contract, st.position.openingExecution));
    if (st.initialStop) stops.setInitial(pid, st.initialStop.stopPrice, st.initialStop.updatedAt);
    for (const m of st.moves) stops.addMove(pid, m.at, m.stopPrice);
  }
}

export function notEmptyRegistry(db: Db): string | undefined {
  const n = createFeesRepo(db).list().length + createOrdersRepo(db).count() + createStopsRepo(db).count();
  return n > 0 ? `${n} fee schedules, orders or stops` : undefined;
}
