import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { zoneOffsets } from '../calendar/zone.js';
import { openSnapshot, type Snapshot } from '../db/snapshot.js';
import { AppError, errorMessage, isAppError, sqliteCode } from '../errors.js';
import { createExecutionsRepo, type NewExecution } from './executions.repo.js';
import { ContentKeys } from './fill-keys.js';
import { createJournalRepo } from './journal.repo.js';
import { createLegacyTradesRepo, type LegacyRow, type LegacyTradesRepo } from './legacy.repo.js';
import { parseCommissionCents, priceToUnits, roundHalfAway } from './money.js';
import { sameFill } from './ninjatrader.js';
import type { Action, Validity } from './positions.js';
import { createPositionsRepo } from './positions.repo.js';
import { rebuildBooks, type TradesContext, uniqueBooks } from './rebuild.js';
import { type DstResolution, parseWallTime, toUtc, wallText } from './time.js';
/**
 * The trades part of importing a Futures Trading Log (the Python app this project replaces) database:
 * reference-app.md §2.2. Its bars are the market-data area's (src/market-data/legacy-bars.ts); src/legacy/ runs both.
 *
 * - The file is never modified: `openLegacyDatabase` reads a private copy (src/db/snapshot.ts).
 * - `trades` rows come in two forms, told apart per row:
 *   - round trips (until Oct 2025): side Long/Short, entry and exit time/price, P&L per row; each becomes its
 *     entry and its exit execution. `entry_execution_id` `A_to_B_n` names them: A the entry fill, B the exit fill.
 *     One fill split over several round trips (an entry of 6 closed by four exits) appears in several rows and is
 *     merged back into one execution (quantities and commission summed; time and price must agree). Commission is
 *     split half to the entry, half to the exit.
 *   - executions (since Oct 2025): side Buy/Sell/BuyToCover/SellShort, price in entry_price (opening) or
 *     exit_price (closing); the older raw importer's Long/Short rows with one time are executions too.
 *   Times are the naive wall-clock strings the old app stored, read in the import zone (NinjaTrader's PC time).
 *   Execution ids are kept, so importing the original NinjaTrader CSVs later finds them as duplicates.
 * - `positions` are rebuilt from the executions, not copied (the old ones were gross-only and renumbered); a
 *   legacy position none of whose executions could be imported is reported.
 * - notes, chart URL, reviewed, validated and link group go to the position holding the row's (exit) execution:
 *   note text, "Chart: <url>", the reviewed flag, tags `validated` and `link-group-<n>`; custom field values
 *   (later versions) become note lines "Label: value".
 * Every row left out is reported as {table, id, reason}. Importing the same database again adds nothing.
 */
export interface LegacyImportOptions {
  dst?: DstResolution;
}

export interface SkippedRow {
  table: string;
  id: number | string | null;
  reason: string;
}

/** The old database, opened for import: a private read-only copy, its hash, and what it holds. */
export interface LegacyDatabase {
  /** The original file, resolved. */
  file: string;
  sha256: string;
  bytes: number;
  source: Snapshot;
  tables: Set<string>;
  tradeColumns: Set<string>;
  close(): void;
}

export interface LegacyTradesResult {
  file: string;
  importId: number;
  sha256: string;
  /** Executions added (a second import of the same file adds 0). */
  executions: number;
  duplicatesSkipped: number;
  /** Positions in the books the file's executions belong to, after the rebuild. */
  positions: number;
  positionsRebuilt: number;
  skipped: SkippedRow[];
  /** The old app's own total (Σ dollars_gain_loss of the imported round trips, net of commission) beside ours. */
  check: { legacyNetPnl: number | null; netPnl: number };
}

export const MAX_SKIPPED_PER_TABLE = 1000;

/** Skipped rows, at most MAX_SKIPPED_PER_TABLE listed per table; `list()` adds one line per table for the rest. */
export class SkipList {
  private readonly rows: SkippedRow[] = [];
  private readonly counts = new Map<string, number>();

  add(table: string, id: number | string | null, reason: string): void {
    const n = (this.counts.get(table) ?? 0) + 1;
    this.counts.set(table, n);
    if (n <= MAX_SKIPPED_PER_TABLE) this.rows.push({ table, id, reason });
  }

  /** Rows of `table` listed so far. */
  of(table: string): SkippedRow[] {
    return this.rows.filter((s) => s.table === table);
  }

  list(): SkippedRow[] {
    const out = [...this.rows];
    for (const [table, n] of this.counts) {
      if (n > MAX_SKIPPED_PER_TABLE)
        out.push({ table, id: null, reason: `and ${n - MAX_SKIPPED_PER_TABLE} more rows skipped (reasons as above)` });
    }
    return out;
  }
}

interface Leg {
  kind: 'entry' | 'exit' | 'execution';
  rowIds: number[];
  exec: NewExecution;
  /** Round-trip exits sort before entries at the same second (one trade ends before the next begins). */
  rank: number;
}

function sha256File(file: string): { sha256: string; bytes: number } {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  let bytes = 0;
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      bytes += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { sha256: hash.digest('hex'), bytes };
}

function notRecognised(file: string, why: string): AppError {
  return new AppError('TL_LEGACY_NOT_RECOGNIZED', `${file} is not a Futures Trading Log database: ${why}.`, {
    remedy:
      "Pass the old app's database file (data/db/futures_trades_clean.db or futures_trades.db), not a backup archive or another file.",
    details: { file },
  });
}

/**
 * A permission fault reading the old files (the old app's image ran as root, so they are often root-owned:
 * reference-app.md §8.2) as TL_LEGACY_UNREADABLE; anything else as it is.
 */
function readFault(err: unknown, file: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e?.code !== 'EACCES' && e?.code !== 'EPERM') return err;
  const p = e.path ?? file;
  return new AppError('TL_LEGACY_UNREADABLE', `Cannot read ${p}: permission denied for the user tradelog runs as (${e.code}).`, {
    remedy: `As root, copy the old database (with its -wal file if there is one) and give the copy to this user, e.g. "sudo cp ${file}* /tmp/ && sudo chown $(id -u) /tmp/${path.basename(file)}*", then import the copy. tradelog only reads it.`,
    details: { file: p },
  });
}

/** Check, hash and snapshot the old database; refuse a file that is not one (nothing is changed). */
export function openLegacyDatabase(file: string): LegacyDatabase {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    throw new AppError('TL_LEGACY_NOT_FOUND', `${file} does not exist or is not a file.`, {
      remedy: "Give the path of the old app's database, e.g. ~/FuturesTradingLog/data/db/futures_trades_clean.db.",
      details: { file },
    });
  }
  let hashed: { sha256: string; bytes: number };
  let source: Snapshot;
  try {
    hashed = sha256File(file);
    source = openSnapshot(file);
  } catch (err) {
    const code = sqliteCode(err);
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw notRecognised(file, errorMessage(err));
    throw readFault(err, file);
  }
  try {
    const tradeColumns = recognise(source, file);
    return { file: path.resolve(file), ...hashed, source, tables: source.tables(), tradeColumns, close: () => source.close() };
  } catch (err) {
    source.close();
    throw err;
  }
}

function recognise(source: Snapshot, file: string): Set<string> {
  let tradeCols: Set<string>;
  try {
    tradeCols = createLegacyTradesRepo(source).tradeColumns();
  } catch (err) {
    throw notRecognised(file, errorMessage(err));
  }
  for (const c of ['instrument', 'side_of_market', 'quantity', 'entry_price', 'entry_time', 'account']) {
    if (!tradeCols.has(c))
      throw notRecognised(file, tradeCols.size === 0 ? 'it has no trades table' : `its trades table has no ${c} column`);
  }
  return tradeCols;
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v).trim());
const num = (v: unknown): number | undefined => {
  if (v === null || v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
};
const flag = (v: unknown): boolean => v === 1 || v === '1' || v === true || str(v).toLowerCase() === 'true';

/** How one `trades` row's fields are read: instrument, wall-clock time, commission (each cached or pure). */
function rowReaders(ctx: TradesContext, dst: DstResolution) {
  const zone = zoneOffsets(ctx.zone);
  const resolved = new Map<string, { contract: string; root: string } | string>();
  const resolve = (text: string) => {
    let r = resolved.get(text);
    if (r === undefined) {
      try {
        const x = ctx.registry.resolve(text);
        r = { contract: x.canonical, root: x.contract.root };
      } catch (err) {
        if (!isAppError(err)) throw err;
        r = `${err.code === 'TL_INSTRUMENT_UNKNOWN' ? 'unknown instrument' : 'bad instrument'}: ${err.message}`;
      }
      resolved.set(text, r);
    }
    return r;
  };
  const timeOf = (v: unknown): { time: number; wall: string } | string => {
    if (typeof v !== 'string' || v.trim() === '') return `no time (${JSON.stringify(v)})`;
    const w = parseWallTime(v);
    if (typeof w === 'string') return w;
    const t = toUtc(w, zone, dst, v.trim());
    return typeof t === 'string' ? t : { time: t, wall: wallText(w) };
  };
  const centsOf = (v: unknown): number | string => {
    // text the column may hold as NinjaTrader wrote it (`$0.52`) is read as the CSV import reads it, never taken as 0
    if (typeof v === 'string' && v.trim() !== '' && num(v) === undefined) return parseCommissionCents(v);
    const c = num(v) ?? 0;
    const cents = roundHalfAway(c * 100);
    return Math.abs(c * 100 - cents) > 1e-6 ? `commission ${c} has fractions of a cent` : cents;
  };
  return { resolve, timeOf, centsOf };
}

type Readers = ReturnType<typeof rowReaders>;
type Resolved = { contract: string; root: string };

/** The fields every row form shares, with the reasons the row can't be taken. */
function commonFields(r: LegacyRow, read: Readers) {
  const reasons: string[] = [];
  const account = str(r.account);
  if (!account) reasons.push('no account');
  const instrument = str(r.instrument);
  const inst = instrument ? read.resolve(instrument) : 'no instrument';
  if (typeof inst === 'string') reasons.push(inst);
  const quantity = num(r.quantity);
  if (quantity === undefined || !Number.isInteger(quantity) || quantity <= 0) reasons.push(`bad quantity ${JSON.stringify(r.quantity)}`);
  const commission = read.centsOf(r.commission);
  if (typeof commission === 'string') reasons.push(commission);
  const entryTime = read.timeOf(r.entry_time);
  if (typeof entryTime === 'string') reasons.push(entryTime);
  return { reasons, account, instrument, inst, quantity: quantity as number, commission, entryTime, idText: str(r.entry_execution_id) };
}

type Common = ReturnType<typeof commonFields>;

/** A round-trip row: its entry and (when it has one) its exit execution. */
function roundTripLegs(id: number, r: LegacyRow, c: Common, read: Readers): Leg[] {
  const entryPrice = num(r.entry_price);
  const exitPrice = num(r.exit_price);
  const exitTimeText = str(r.exit_time);
  const exitTime = exitTimeText ? read.timeOf(r.exit_time) : undefined;
  if (typeof exitTime === 'string') c.reasons.push(`exit ${exitTime}`);
  if (entryPrice === undefined) c.reasons.push('no entry price');
  if (exitTime && exitPrice === undefined) c.reasons.push('no exit price');
  if (c.reasons.length > 0 || typeof c.inst === 'string' || typeof c.entryTime === 'string' || typeof c.commission !== 'number') return [];
  const inst: Resolved = c.inst;
  const m = /^(.+?)_to_(.+)_(\d+)$/.exec(c.idText);
  const entryKey = m ? (m[1] as string) : `legacy:${id}:entry`;
  const exitKey = m ? (m[2] as string) : `legacy:${id}:exit`;
  const entryCommission = exitTime ? roundHalfAway(c.commission / 2) : c.commission;
  const long = str(r.side_of_market).toLowerCase().replace(/\s/g, '') === 'long';
  const leg = (kind: 'entry' | 'exit', key: string, action: Action, price: number, time: number, commissionCents: number): Leg => ({
    kind,
    rowIds: [id],
    rank: kind === 'exit' ? 0 : 1,
    exec: {
      account: c.account,
      instrument: c.instrument,
      contract: inst.contract,
      root: inst.root,
      quantity: c.quantity,
      validation: null,
      orderId: null,
      line: id,
      key,
      nativeId: m !== null,
      action,
      priceUnits: priceToUnits(price),
      time,
      commissionCents,
    },
  });
  const legs = [leg('entry', entryKey, long ? 'Buy' : 'SellShort', entryPrice as number, c.entryTime.time, entryCommission)];
  if (exitTime && typeof exitTime !== 'string') {
    legs.push(leg('exit', exitKey, long ? 'Sell' : 'BuyToCover', exitPrice as number, exitTime.time, c.commission - entryCommission));
  }
  return legs;
}

const ACTIONS: Record<string, Action> = {
  buy: 'Buy',
  sell: 'Sell',
  buytocover: 'BuyToCover',
  sellshort: 'SellShort',
  long: 'Buy',
  short: 'Sell',
};

/** An execution row: one execution, its price in entry_price (opening) or exit_price (closing). */
function executionLeg(id: number, r: LegacyRow, c: Common, contentKeys: ContentKeys): Leg[] {
  const action = ACTIONS[str(r.side_of_market).toLowerCase().replace(/\s/g, '')];
  if (!action) c.reasons.push(`unrecognised side_of_market "${str(r.side_of_market)}"`);
  const opening = action === 'Buy' || action === 'SellShort';
  const entryPrice = num(r.entry_price);
  const exitPrice = num(r.exit_price);
  const price = opening ? (entryPrice ?? exitPrice) : (exitPrice ?? entryPrice);
  if (price === undefined) c.reasons.push('no price');
  if (c.reasons.length > 0 || !action || typeof c.inst === 'string' || typeof c.entryTime === 'string' || typeof c.commission !== 'number')
    return [];
  const inst: Resolved = c.inst;
  const validationText = str(r.trade_validation).toLowerCase();
  const fill = { action, quantity: c.quantity, priceUnits: priceToUnits(price as number), time: c.entryTime.time };
  let key = c.idText;
  if (!key) {
    // Same content key as a CSV row without an id, so the two find each other.
    key = contentKeys.key(c.entryTime.wall, c.account, inst.contract, action, fill.quantity, fill.priceUnits);
  }
  return [
    {
      kind: 'execution',
      rowIds: [id],
      rank: 1,
      exec: {
        ...fill,
        line: id,
        account: c.account,
        key,
        nativeId: c.idText !== '',
        instrument: c.instrument,
        contract: inst.contract,
        root: inst.root,
        commissionCents: c.commission,
        validation: (validationText === 'valid' || validationText === 'invalid' ? validationText : null) as Validity | null,
        orderId: null,
      },
    },
  ];
}

/** Why a row's legs can't join those already collected (a reused id with another fill, a duplicate row). */
function legConflict(legs: Map<string, Leg>, newLegs: Leg[]): string | undefined {
  for (const leg of newLegs) {
    const have = legs.get(`${leg.exec.account}\u001f${leg.exec.key}`);
    if (!have) continue;
    const same = have.exec.time === leg.exec.time && have.exec.priceUnits === leg.exec.priceUnits && have.exec.action === leg.exec.action;
    if (leg.kind === 'execution' || have.kind !== leg.kind || !same) {
      return leg.kind === 'execution' && have.kind === 'execution' && sameFill(have.exec, leg.exec)
        ? `duplicate of trades row ${have.rowIds[0]} (execution id ${leg.exec.key})`
        : `execution id ${leg.exec.key} also appears in trades row ${have.rowIds[0]} with a different fill`;
    }
  }
  return undefined;
}

interface CollectedLegs {
  /** Executions to store, in time order. */
  ordered: Leg[];
  /** The (exit) execution each imported `trades` row went into. */
  legOfRow: Map<number, Leg>;
  rowsRead: number;
  roundTrips: number;
  legacyNetCents: number;
}

/** Read every `trades` row into executions, merging the fills one entry split over several round-trip rows. */
function collectLegs(ctx: TradesContext, rows: LegacyRow[], dst: DstResolution, skip: SkipList): CollectedLegs {
  const read = rowReaders(ctx, dst);
  const legs = new Map<string, Leg>();
  const legOfRow = new Map<number, Leg>();
  const contentKeys = new ContentKeys();
  let legacyNetCents = 0;
  let roundTrips = 0;
  for (const r of rows) {
    const id = Number(r.id);
    if (flag(r.deleted) || flag(r.soft_deleted)) {
      skip.add('trades', id, 'deleted in the old app');
      continue;
    }
    const c = commonFields(r, read);
    const side = str(r.side_of_market).toLowerCase().replace(/\s/g, '');
    const exitTimeText = str(r.exit_time);
    const hasPnl = num(r.points_gain_loss) !== undefined || num(r.dollars_gain_loss) !== undefined;
    const roundTrip = (side === 'long' || side === 'short') && (hasPnl || (exitTimeText !== '' && exitTimeText !== str(r.entry_time)));
    let newLegs = roundTrip ? roundTripLegs(id, r, c, read) : executionLeg(id, r, c, contentKeys);
    if (c.reasons.length > 0) {
      skip.add('trades', id, c.reasons.join('; '));
      continue;
    }
    const conflict = legConflict(legs, newLegs);
    if (conflict) {
      skip.add('trades', id, conflict);
      continue;
    }
    newLegs = newLegs.map((leg) => {
      const k = `${leg.exec.account}\u001f${leg.exec.key}`;
      const have = legs.get(k);
      if (!have) {
        legs.set(k, leg);
        return leg;
      }
      have.exec.quantity += leg.exec.quantity;
      have.exec.commissionCents += leg.exec.commissionCents;
      have.rowIds.push(id);
      return have;
    });
    const main = newLegs.find((l) => l.kind === 'exit') ?? newLegs[0];
    if (main) legOfRow.set(id, main);
    if (roundTrip) {
      roundTrips++;
      legacyNetCents += roundHalfAway((num(r.dollars_gain_loss) ?? 0) * 100);
    }
  }
  const ordered = [...legs.values()].sort(
    (a, b) => a.exec.time - b.exec.time || a.rank - b.rank || (a.rowIds[0] as number) - (b.rowIds[0] as number),
  );
  return { ordered, legOfRow, rowsRead: rows.length, roundTrips, legacyNetCents };
}

type Book = { account: string; contract: string };

/** Store the executions (inside the caller's transaction); an id already stored with another fill is skipped. */
function storeLegs(ctx: TradesContext, importId: number, collected: CollectedLegs, skip: SkipList) {
  const executions = createExecutionsRepo(ctx.db);
  let added = 0;
  let duplicates = 0;
  const touched = new Map<string, Book>();
  const rebuild = new Map<string, Book>();
  for (const leg of collected.ordered) {
    const e = leg.exec;
    const book = { account: e.account, contract: e.contract };
    if (executions.insert(e, importId) > 0) {
      added++;
      rebuild.set(`${e.account}\u001f${e.contract}`, book);
      touched.set(`${e.account}\u001f${e.contract}`, book);
      continue;
    }
    const stored = executions.storedFill(e.account, e.key);
    if (stored && sameFill(stored, e)) {
      duplicates++;
      touched.set(`${e.account}\u001f${e.contract}`, book);
    } else {
      for (const rowId of leg.rowIds) collected.legOfRow.delete(rowId);
      skip.add(
        'trades',
        leg.rowIds.join(','),
        `execution id ${e.key} of account ${e.account} is already stored with a different fill (import #${stored?.importId})`,
      );
    }
  }
  return { added, duplicates, touched: [...touched.values()], rebuild: [...rebuild.values()] };
}

/** Notes, chart URLs, flags, old positions and custom fields onto the rebuilt positions (inside the transaction). */
function attachJournal(ctx: TradesContext, legacy: LegacyDatabase, rows: LegacyRow[], legOfRow: Map<number, Leg>, skip: SkipList): void {
  const executions = createExecutionsRepo(ctx.db);
  const positions = createPositionsRepo(ctx.db);
  const journal = createJournalRepo(ctx.db);
  const repo = createLegacyTradesRepo(legacy.source);
  const positionOf = (leg: Leg): number | undefined => {
    const stored = executions.find(leg.exec.account, leg.exec.key);
    return stored ? positions.containing(stored.id)[0] : undefined;
  };
  const carries = ['notes', 'chart_url', 'reviewed', 'validated', 'link_group_id'].filter((c) => legacy.tradeColumns.has(c));
  for (const r of carries.length > 0 ? rows : []) {
    const id = Number(r.id);
    const leg = legOfRow.get(id);
    const note = str(r.notes);
    const chart = str(r.chart_url);
    const group = num(r.link_group_id);
    if (!leg || (!note && !chart && !flag(r.reviewed) && !flag(r.validated) && group === undefined)) continue;
    const pid = positionOf(leg);
    if (pid === undefined) {
      skip.add('trades', id, 'its notes and flags could not be attached: no position holds its execution');
      continue;
    }
    if (note) journal.appendNote(pid, note);
    if (chart) journal.appendNote(pid, `Chart: ${chart}`);
    if (flag(r.reviewed) && !journal.get(pid).reviewed) journal.setReviewed(pid, true);
    if (flag(r.validated)) journal.addTag(pid, 'validated');
    if (group !== undefined) journal.addTag(pid, `link-group-${group}`);
  }
  const legsOfOldPosition = reportOldPositions(legacy, repo, legOfRow, skip);
  if (!legacy.tables.has('position_custom_field_values') || !legacy.tables.has('custom_fields')) return;
  for (const v of repo.customFieldValues()) {
    const value = str(v.field_value);
    if (!value) continue;
    const leg = legsOfOldPosition.get(v.position_id)?.[0];
    const pid = leg ? positionOf(leg) : undefined;
    if (pid === undefined) skip.add('position_custom_field_values', v.id, `no imported position for old position ${v.position_id}`);
    else journal.appendNote(pid, `${v.label}: ${value}`);
  }
}

/** Old positions are rebuilt, not copied: report those left with nothing; returns each one's imported legs. */
function reportOldPositions(legacy: LegacyDatabase, repo: LegacyTradesRepo, legOfRow: Map<number, Leg>, skip: SkipList) {
  const legsOf = new Map<number, Leg[]>();
  if (!legacy.tables.has('position_executions') || !legacy.tables.has('positions')) return legsOf;
  for (const m of repo.positionExecutions()) {
    const list = legsOf.get(m.position_id) ?? [];
    const leg = legOfRow.get(m.trade_id);
    if (leg) list.push(leg);
    legsOf.set(m.position_id, list);
  }
  for (const id of repo.positionIds()) {
    if ((legsOf.get(id) ?? []).length === 0) skip.add('positions', id, 'none of its executions could be imported');
  }
  return legsOf;
}

/** Import the old database's trades, positions and journal data into journal.db, in one transaction. */
export function importLegacyTrades(ctx: TradesContext, legacy: LegacyDatabase, options: LegacyImportOptions = {}): LegacyTradesResult {
  const skip = new SkipList();
  const rows = createLegacyTradesRepo(legacy.source).trades();
  const collected = collectLegs(ctx, rows, options.dst ?? 'reject', skip);
  const executions = createExecutionsRepo(ctx.db);
  const positions = createPositionsRepo(ctx.db);
  const outcome = ctx.db.write(() => {
    const importId = executions.insertImport({
      kind: 'legacy',
      fileName: path.basename(legacy.file),
      filePath: legacy.file,
      sha256: legacy.sha256,
      bytes: legacy.bytes,
      status: 'imported',
    });
    const stored = storeLegs(ctx, importId, collected, skip);
    const positionsRebuilt = rebuildBooks(ctx, stored.rebuild);
    attachJournal(ctx, legacy, rows, collected.legOfRow, skip);
    const problems = skip.of('trades').map((s) => ({ line: Number(String(s.id).split(',')[0]), reason: s.reason }));
    executions.finishImport(importId, {
      rowsRead: collected.rowsRead,
      executionsAdded: stored.added,
      duplicatesSkipped: stored.duplicates,
      problems,
    });
    let positionCount = 0;
    let netCents = 0;
    for (const b of uniqueBooks(stored.touched)) {
      for (const p of positions.statsRows({ account: b.account, contract: b.contract })) netCents += p.netCents;
      positionCount += positions.count({ account: b.account, contract: b.contract });
    }
    return { importId, added: stored.added, duplicates: stored.duplicates, positionsRebuilt, positionCount, netCents };
  });
  return {
    file: legacy.file,
    importId: outcome.importId,
    sha256: legacy.sha256,
    executions: outcome.added,
    duplicatesSkipped: outcome.duplicates,
    positions: outcome.positionCount,
    positionsRebuilt: outcome.positionsRebuilt,
    skipped: skip.list(),
    check: { legacyNetPnl: collected.roundTrips > 0 ? collected.legacyNetCents / 100 : null, netPnl: outcome.netCents / 100 },
  };
}
