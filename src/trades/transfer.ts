import * as z from 'zod';
import { AppError } from '../errors.js';
import { createExecutionsRepo } from './executions.repo.js';
import { MAX_NOTE_LENGTH, MAX_TAG_LENGTH } from './journal.repo.js';
import { centsToDollars } from './money.js';
import { positionKey } from './positions.js';
import { rebuildBooks, type TradesContext } from './rebuild.js';
import {
  COST_KINDS,
  type CostKind,
  createTransferRepo,
  type ExecutionRow,
  type ImportRow,
  type JournalRow,
  type PositionIdRow,
  type TransferRepo,
} from './transfer.repo.js';

/**
 * The trades part of the journal export (src/exports/journal-export.ts holds the file format): the import history,
 * every execution as stored, the id of every position key, and the trader's notes, tags and flags. Positions
 * themselves are not exported: they are rebuilt from the executions on import, exactly as after any import.
 *
 * A position is named by its stable key: account, contract and the source id of the execution that opened it (the
 * key positions.repo.ts maps to an id across rebuilds). The journal entries carry that key, not an id, so they
 * attach to the right position whatever ids the importing journal gives. `positionIds` keeps the ids the
 * exporting journal used, so links such as /positions/123 stay valid after a round trip; a file without it (or
 * without some of its keys) still imports, with new ids.
 *
 * In the file: times are ISO 8601 UTC with milliseconds, money is dollars exact to the cent, prices as stored.
 */
export interface PositionRef {
  account: string;
  contract: string;
  /** Source id (or content key) of the execution that opened the position. */
  openingExecution: string;
}

export function splitPositionKey(key: string): PositionRef {
  const a = key.indexOf('\u001f');
  const b = a < 0 ? -1 : key.indexOf('\u001f', a + 1);
  if (b < 0) {
    throw new AppError('TL_INTERNAL', `The stored position key ${JSON.stringify(key)} is not account, contract and execution.`, {
      remedy: 'This is a bug in tradelog: report it with the output of "tradelog doctor".',
    });
  }
  return { account: key.slice(0, a), contract: key.slice(a + 1, b), openingExecution: key.slice(b + 1) };
}

const keyOf = (p: PositionRef) => positionKey(p.account, p.contract, p.openingExecution);
const iso = (ms: number) => new Date(ms).toISOString();

// ---- rows → items of the file

export function importItem(r: ImportRow) {
  return {
    id: r.id,
    kind: r.kind,
    fileName: r.fileName,
    filePath: r.filePath,
    sha256: r.sha256,
    bytes: r.bytes,
    status: r.status,
    rowsRead: r.rowsRead,
    executionsAdded: r.executionsAdded,
    duplicatesSkipped: r.duplicatesSkipped,
    rowsRejected: r.rowsRejected,
    problems: r.problems,
    importedAt: iso(r.importedAt),
    undoneAt: r.undoneAt === null ? null : iso(r.undoneAt),
    format: r.format,
    zone: r.zone,
  };
}

export function executionItem(r: ExecutionRow) {
  return {
    id: r.id,
    account: r.account,
    executionId: r.key,
    nativeId: r.nativeId,
    instrument: r.instrument,
    contract: r.contract,
    root: r.root,
    action: r.action,
    quantity: r.quantity,
    price: r.price,
    time: iso(r.time),
    commission: centsToDollars(r.commissionCents),
    validation: r.validation,
    orderId: r.orderId,
    importId: r.importId,
    line: r.sourceLine,
    format: r.format,
    fillId: r.fillId,
    openClose: r.openClose,
    derived: r.derived,
    replacedBy: r.replacedBy,
    costs: Object.fromEntries(
      COST_KINDS.filter((k) => r.costs[k] !== null).map((k) => [k, centsToDollars(r.costs[k] as number)]),
    ) as Partial<Record<CostKind, number>>,
    costsMissing: r.costsMissing,
  };
}

export function positionIdItem(r: PositionIdRow) {
  return { id: r.id, ...splitPositionKey(r.key) };
}

export function journalItem(r: JournalRow) {
  return {
    position: splitPositionKey(r.key),
    ...(r.note ? { note: { text: r.note.text, updatedAt: iso(r.note.updatedAt) } } : {}),
    tags: r.tags.map((t) => ({ tag: t.tag, createdAt: iso(t.createdAt) })),
    ...(r.flags ? { flags: { reviewed: r.flags.reviewed, verdict: r.flags.validity, updatedAt: iso(r.flags.updatedAt) } } : {}),
  };
}

/** Pages of a table in id order, `size` rows each, until one comes back short. */
export function* pagesOf<T extends { id: number } | { positionId: number }>(
  read: (afterId: number, limit: number) => T[],
  size: number,
): Generator<T[]> {
  let after = 0;
  for (;;) {
    const page = read(after, size);
    if (page.length > 0) yield page;
    if (page.length < size) return;
    const last = page[page.length - 1] as T;
    after = 'id' in last ? last.id : last.positionId;
  }
}

// ---- the file's items → rows (zod: shape and ranges; `checkTrades`: what spans items)

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** An ISO 8601 UTC time with milliseconds, as the export writes it → epoch ms. */
export const isoTime = z
  .string()
  .refine((s) => ISO_MS.test(s) && new Date(Date.parse(s)).toISOString() === s, {
    message: 'not a time as the export writes it (ISO 8601 UTC with milliseconds, e.g. 2025-06-20T16:06:48.000Z)',
  })
  .transform((s) => Date.parse(s));

const id = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Dollars exact to the cent → cents. */
const cents = z
  .number()
  .refine((n) => Number.isFinite(n) && Math.abs(n * 100 - Math.round(n * 100)) < 1e-6 && Math.abs(n) < 1e13, {
    message: 'not an amount in dollars exact to the cent',
  })
  .transform((n) => Math.round(n * 100));
/** Text as stored; an account or contract never holds U+001F, which separates the parts of a position key. */
const keyPart = (max: number) =>
  z
    .string()
    .max(max)
    .refine((t) => !t.includes('\u001f'), 'contains the control character U+001F');

const positionRef = z.strictObject({
  account: keyPart(1000),
  contract: keyPart(100),
  openingExecution: z.string().min(1).max(1000),
});

// The kinds and states the imports table allows (journal migration 0002).
export const importItemSchema = z.strictObject({
  id,
  kind: z.enum(['ninjatrader', 'legacy']),
  fileName: z.string().max(4096),
  filePath: z.string().max(4096).nullable(),
  sha256: z.string().max(128),
  bytes: count,
  status: z.enum(['imported', 'rejected', 'undone']),
  rowsRead: count,
  executionsAdded: count,
  duplicatesSkipped: count,
  rowsRejected: count,
  problems: z.array(z.strictObject({ line: count, reason: z.string().max(10_000) })).max(1000),
  importedAt: isoTime,
  undoneAt: isoTime.nullable(),
  // since journal migration 0004 (absent in older files)
  format: z.string().max(64).nullable().default(null),
  zone: z.string().max(200).nullable().default(null),
});

export const executionItemSchema = z.strictObject({
  id,
  account: keyPart(1000),
  executionId: z.string().min(1).max(1000),
  nativeId: z.boolean(),
  instrument: z.string().max(200),
  contract: keyPart(100),
  root: z.string().regex(/^[A-Z0-9]{1,8}$/, 'not an instrument root (e.g. MNQ)'),
  action: z.enum(['Buy', 'Sell', 'BuyToCover', 'SellShort']),
  quantity: z.number().int().min(1).max(1_000_000),
  price: z.number().refine(Number.isFinite, 'not a finite number'),
  time: isoTime,
  commission: cents,
  validation: z.enum(['valid', 'invalid']).nullable(),
  orderId: z.string().max(1000).nullable(),
  importId: id,
  line: count.nullable(),
  // since journal migration 0004 (absent in older files: the commission is then the one cost stated)
  format: z.string().max(64).nullable().default(null),
  fillId: z.string().max(1000).nullable().default(null),
  openClose: z.enum(['open', 'close']).nullable().default(null),
  derived: z.enum(['round-trip', 'order']).nullable().default(null),
  replacedBy: id.nullable().default(null),
  costs: z.partialRecord(z.enum(COST_KINDS), cents).optional(),
  costsMissing: z.boolean().default(false),
});

export const positionIdItemSchema = z.strictObject({ id, ...positionRef.shape });

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f]/;

const tagText = z
  .string()
  .min(1)
  .max(MAX_TAG_LENGTH)
  .refine(
    (t) => t === t.trim().replace(/\s+/g, ' ') && !CONTROL.test(t),
    'not a tag as tradelog stores it (trimmed, one space between words, no control characters)',
  );

export const journalItemSchema = z.strictObject({
  position: positionRef,
  note: z.strictObject({ text: z.string().min(1).max(MAX_NOTE_LENGTH), updatedAt: isoTime }).optional(),
  tags: z.array(z.strictObject({ tag: tagText, createdAt: isoTime })).max(1000),
  flags: z.strictObject({ reviewed: z.boolean(), verdict: z.enum(['valid', 'invalid']).nullable(), updatedAt: isoTime }).optional(),
});

export type ImportItem = z.output<typeof importItemSchema>;
export type ExecutionItem = z.output<typeof executionItemSchema>;
export type PositionIdItem = z.output<typeof positionIdItemSchema>;
export type JournalItem = z.output<typeof journalItemSchema>;

export interface TradesSections {
  imports: ImportItem[];
  executions: ExecutionItem[];
  positionIds: PositionIdItem[];
  journal: JournalItem[];
}

/** A problem in the file: the JSON path of the first bad field, and what is wrong with it. */
export interface FileProblem {
  path: readonly PropertyKey[];
  message: string;
}

/** What spans items: unique ids and keys, executions pointing at an import of the file. The first problem, if any. */
export function checkTrades(s: TradesSections): FileProblem | undefined {
  const imports = new Set<number>();
  for (const [i, r] of s.imports.entries()) {
    if (imports.has(r.id)) return { path: ['imports', i, 'id'], message: `import id ${r.id} appears twice` };
    imports.add(r.id);
  }
  const ids = new Set<number>();
  const keys = new Set<string>();
  for (const [i, e] of s.executions.entries()) {
    if (ids.has(e.id)) return { path: ['executions', i, 'id'], message: `execution id ${e.id} appears twice` };
    ids.add(e.id);
    const k = `${e.account}\u001f${e.executionId}`;
    if (keys.has(k))
      return { path: ['executions', i, 'executionId'], message: `account ${e.account} has execution ${e.executionId} twice` };
    keys.add(k);
    if (!imports.has(e.importId)) return { path: ['executions', i, 'importId'], message: `there is no import ${e.importId} in "imports"` };
  }
  const positionIds = new Set<number>();
  const positionKeys = new Set<string>();
  for (const [i, p] of s.positionIds.entries()) {
    if (positionIds.has(p.id)) return { path: ['positionIds', i, 'id'], message: `position id ${p.id} appears twice` };
    positionIds.add(p.id);
    const k = keyOf(p);
    if (positionKeys.has(k)) return { path: ['positionIds', i], message: 'this position appears twice' };
    positionKeys.add(k);
  }
  const journal = new Set<string>();
  for (const [i, j] of s.journal.entries()) {
    const k = keyOf(j.position);
    if (journal.has(k)) return { path: ['journal', i, 'position'], message: 'this position has a second journal entry' };
    journal.add(k);
    const tags = new Set<string>();
    for (const [n, t] of j.tags.entries()) {
      // one tag whatever its case
      const folded = t.tag.toLowerCase();
      if (tags.has(folded)) return { path: ['journal', i, 'tags', n, 'tag'], message: `tag "${t.tag}" appears twice` };
      tags.add(folded);
    }
  }
  return undefined;
}

/**
 * Write the trades sections into an empty journal and build the positions, inside the caller's `db.write()`
 * (settings, which decide the instruments' point values, are already written). Returns the positions built.
 */
export function restoreTrades(ctx: TradesContext, s: TradesSections, repo: TransferRepo = createTransferRepo(ctx.db)): number {
  for (const r of s.imports) repo.insertImport(r);
  repo.insertExecutions(
    s.executions.map((e) => ({
      id: e.id,
      account: e.account,
      key: e.executionId,
      nativeId: e.nativeId,
      instrument: e.instrument,
      contract: e.contract,
      root: e.root,
      action: e.action,
      quantity: e.quantity,
      price: e.price,
      time: e.time,
      commissionCents: e.commission,
      validation: e.validation,
      orderId: e.orderId,
      importId: e.importId,
      sourceLine: e.line,
      format: e.format,
      fillId: e.fillId,
      openClose: e.openClose,
      derived: e.derived,
      replacedBy: e.replacedBy,
      costs: Object.fromEntries(
        COST_KINDS.map((k) => [k, e.costs ? (e.costs[k] ?? null) : k === 'commission' ? e.commission : null]),
      ) as Record<CostKind, number | null>,
      costsMissing: e.costsMissing,
    })),
  );
  for (const p of s.positionIds) repo.insertPositionId(p.id, keyOf(p));
  for (const j of s.journal) {
    repo.insertJournal(repo.positionIdOf(keyOf(j.position)), {
      note: j.note ? { text: j.note.text, updatedAt: j.note.updatedAt } : null,
      tags: j.tags,
      flags: j.flags ? { reviewed: j.flags.reviewed, validity: j.flags.verdict, updatedAt: j.flags.updatedAt } : null,
    });
  }
  return rebuildBooks(ctx, createExecutionsRepo(ctx.db).allBooks());
}
