import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { zoneOffsets } from '../calendar/zone.js';
import { AppError, errorMessage, isAppError, sqliteCode } from '../errors.js';
import type { BarsRepo } from '../market-data/bars.repo.js';
import type { TimeframeId } from '../market-data/timeframes.js';
import { createExecutionsRepo, type NewExecution } from './executions.repo.js';
import { createJournalRepo } from './journal.repo.js';
import { parseCommissionCents, priceToUnits, roundHalfAway } from './money.js';
import { sameFill } from './ninjatrader.js';
import type { Action, Validity } from './positions.js';
import { createPositionsRepo } from './positions.repo.js';
import { rebuildBooks, type TradesContext, uniqueBooks } from './rebuild.js';
import { type DstResolution, parseWallTime, toUtc, wallText } from './time.js';

/**
 * Import a Futures Trading Log (the Python app this project replaces) database: reference-app.md §2.2.
 *
 * - The file is never modified: it is copied (with its -wal/-journal) into a private temp dir and the copy is
 *   opened `readonly`, because even a read-only open of a WAL database creates -shm/-wal files beside it.
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
 * - `ohlc_data` bars are handed to `storeBars` (market.db belongs to the market-data area) under the root symbol.
 * Every row left out is reported as {table, id, reason}. Importing the same database again adds nothing.
 */
export interface LegacyBar {
  /** Root symbol (`MNQ`); the old app stored bars under `MNQ`, `MNQ SEP25` or `NQ=F`. */
  instrument: string;
  timeframe: string;
  /** Bar open, Unix seconds UTC. */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number | null;
}

/**
 * Stores bars (all of one instrument and timeframe) idempotently in market.db: how many it stored (new or
 * changed; a rerun stores 0), and the ones it refused with the reason (`index` into `bars`).
 */
export type StoreBars = (bars: LegacyBar[]) => { stored: number; rejected: { index: number; reason: string }[] };

/** `StoreBars` over the market-data bars repo (source `legacy`; a missing volume is stored as 0). */
export function storeBarsIn(repo: BarsRepo): StoreBars {
  return (bars) => {
    const first = bars[0];
    if (!first) return { stored: 0, rejected: [] };
    const r = repo.upsert(
      first.instrument,
      first.timeframe as TimeframeId,
      bars.map((b) => ({ time: b.time, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume ?? 0 })),
      'legacy',
    );
    const rejected = r.rejections.map((x) => ({ index: x.index, reason: x.reason }));
    if (r.rejected > rejected.length) {
      rejected.push({
        index: -1,
        reason: `and ${r.rejected - rejected.length} more bars of ${first.instrument} ${first.timeframe} refused`,
      });
    }
    return { stored: r.stored, rejected };
  };
}

export interface LegacyImportOptions {
  storeBars?: StoreBars;
  dst?: DstResolution;
}

export interface SkippedRow {
  table: string;
  id: number | string | null;
  reason: string;
}

export interface LegacyImportResult {
  file: string;
  importId: number;
  sha256: string;
  /** Executions added (a second import of the same file adds 0). */
  executions: number;
  duplicatesSkipped: number;
  /** Positions in the books the file's executions belong to, after the rebuild. */
  positions: number;
  positionsRebuilt: number;
  bars: number;
  skipped: SkippedRow[];
  /** The old app's own total (Σ dollars_gain_loss of the imported round trips, net of commission) beside ours. */
  check: { legacyNetPnl: number | null; netPnl: number };
}

const BAR_TIMEFRAMES = new Map([
  ['1m', '1m'],
  ['5m', '5m'],
  ['15m', '15m'],
  ['30m', '30m'],
  ['1h', '1h'],
  ['60m', '1h'],
  ['1d', '1d'],
]);
const BAR_BATCH = 10_000;
const MAX_SKIPPED_PER_TABLE = 1000;

type Row = Record<string, unknown>;

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

/** Copy the database (and its -wal/-journal) into a private directory and open the copy read-only. */
function openSnapshot(file: string): { conn: Database.Database; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-legacy-'));
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const copy = path.join(dir, 'legacy.db');
    fs.copyFileSync(file, copy);
    for (const suffix of ['-wal', '-journal']) {
      if (fs.existsSync(file + suffix) && fs.statSync(file + suffix).size > 0) fs.copyFileSync(file + suffix, copy + suffix);
    }
    let conn: Database.Database;
    try {
      conn = new Database(copy, { readonly: true, fileMustExist: true });
      conn.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (err) {
      const code = sqliteCode(err);
      if (code !== 'SQLITE_READONLY_RECOVERY' && code !== 'SQLITE_READONLY_ROLLBACK' && code !== 'SQLITE_CANTOPEN') throw err;
      // A hot journal or an unrecovered WAL needs one write to replay; do it on the private copy only.
      conn = new Database(copy, { fileMustExist: true });
    }
    return { conn, cleanup };
  } catch (err) {
    cleanup();
    if (sqliteCode(err) === 'SQLITE_NOTADB' || sqliteCode(err) === 'SQLITE_CORRUPT') throw notRecognised(file, errorMessage(err));
    throw err;
  }
}

function columnsOf(conn: Database.Database, table: string): Set<string> {
  return new Set((conn.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v).trim());
const num = (v: unknown): number | undefined => {
  if (v === null || v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
};
const flag = (v: unknown): boolean => v === 1 || v === '1' || v === true || str(v).toLowerCase() === 'true';

export function importLegacyDatabase(ctx: TradesContext, file: string, options: LegacyImportOptions = {}): LegacyImportResult {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    throw new AppError('TL_LEGACY_NOT_FOUND', `${file} does not exist or is not a file.`, {
      remedy: "Give the path of the old app's database, e.g. ~/FuturesTradingLog/data/db/futures_trades_clean.db.",
      details: { file },
    });
  }
  let hashed: { sha256: string; bytes: number };
  let snapshot: { conn: Database.Database; cleanup: () => void };
  try {
    hashed = sha256File(file);
    snapshot = openSnapshot(file);
  } catch (err) {
    throw readFault(err, file);
  }
  const { sha256, bytes } = hashed;
  const { conn, cleanup } = snapshot;
  try {
    return importFrom(ctx, conn, file, sha256, bytes, options);
  } finally {
    conn.close();
    cleanup();
  }
}

function importFrom(
  ctx: TradesContext,
  conn: Database.Database,
  file: string,
  sha256: string,
  bytes: number,
  options: LegacyImportOptions,
): LegacyImportResult {
  let tradeCols: Set<string>;
  try {
    tradeCols = columnsOf(conn, 'trades');
  } catch (err) {
    throw notRecognised(file, errorMessage(err));
  }
  for (const c of ['instrument', 'side_of_market', 'quantity', 'entry_price', 'entry_time', 'account']) {
    if (!tradeCols.has(c))
      throw notRecognised(file, tradeCols.size === 0 ? 'it has no trades table' : `its trades table has no ${c} column`);
  }
  const tables = new Set(
    (conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name),
  );
  const zone = zoneOffsets(ctx.zone);
  const dst = options.dst ?? 'reject';
  const skipped: SkippedRow[] = [];
  const skippedCount = new Map<string, number>();
  const skip = (table: string, id: number | string | null, reason: string) => {
    const n = (skippedCount.get(table) ?? 0) + 1;
    skippedCount.set(table, n);
    if (n <= MAX_SKIPPED_PER_TABLE) skipped.push({ table, id, reason });
  };

  // ---- trades → executions
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

  const legs = new Map<string, Leg>();
  const legOfRow = new Map<number, Leg>();
  const contentCounts = new Map<string, number>();
  const rows = conn.prepare('SELECT * FROM trades ORDER BY id').all() as Row[];
  let legacyNetCents = 0;
  let roundTrips = 0;

  for (const r of rows) {
    const id = Number(r.id);
    if (flag(r.deleted) || flag(r.soft_deleted)) {
      skip('trades', id, 'deleted in the old app');
      continue;
    }
    const reasons: string[] = [];
    const account = str(r.account);
    if (!account) reasons.push('no account');
    const instrument = str(r.instrument);
    const inst = instrument ? resolve(instrument) : 'no instrument';
    if (typeof inst === 'string') reasons.push(inst);
    const quantity = num(r.quantity);
    if (quantity === undefined || !Number.isInteger(quantity) || quantity <= 0) reasons.push(`bad quantity ${JSON.stringify(r.quantity)}`);
    const commission = centsOf(r.commission);
    if (typeof commission === 'string') reasons.push(commission);
    const side = str(r.side_of_market).toLowerCase().replace(/\s/g, '');
    const entryPrice = num(r.entry_price);
    const exitPrice = num(r.exit_price);
    const exitTimeText = str(r.exit_time);
    const entryTimeText = str(r.entry_time);
    const hasPnl = num(r.points_gain_loss) !== undefined || num(r.dollars_gain_loss) !== undefined;
    const longShort = side === 'long' || side === 'short';
    const roundTrip = longShort && (hasPnl || (exitTimeText !== '' && exitTimeText !== entryTimeText));
    const entryTime = timeOf(r.entry_time);
    if (typeof entryTime === 'string') reasons.push(entryTime);
    const idText = str(r.entry_execution_id);

    let newLegs: Leg[] = [];
    if (roundTrip) {
      const exitTime = exitTimeText ? timeOf(r.exit_time) : undefined;
      if (typeof exitTime === 'string') reasons.push(`exit ${exitTime}`);
      if (entryPrice === undefined) reasons.push('no entry price');
      if (exitTime && exitPrice === undefined) reasons.push('no exit price');
      if (reasons.length === 0 && typeof inst !== 'string' && typeof entryTime !== 'string' && typeof commission === 'number') {
        const m = /^(.+?)_to_(.+)_(\d+)$/.exec(idText);
        const entryKey = m ? (m[1] as string) : `legacy:${id}:entry`;
        const exitKey = m ? (m[2] as string) : `legacy:${id}:exit`;
        const entryCommission = exitTime ? roundHalfAway(commission / 2) : commission;
        const long = side === 'long';
        const leg = (kind: 'entry' | 'exit', key: string, action: Action, price: number, time: number, commissionCents: number): Leg => ({
          kind,
          rowIds: [id],
          rank: kind === 'exit' ? 0 : 1,
          exec: {
            account,
            instrument,
            contract: inst.contract,
            root: inst.root,
            quantity: quantity as number,
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
        newLegs.push(leg('entry', entryKey, long ? 'Buy' : 'SellShort', entryPrice as number, entryTime.time, entryCommission));
        if (exitTime && typeof exitTime !== 'string') {
          newLegs.push(
            leg('exit', exitKey, long ? 'Sell' : 'BuyToCover', exitPrice as number, exitTime.time, commission - entryCommission),
          );
        }
      }
    } else {
      const actions: Record<string, Action> = {
        buy: 'Buy',
        sell: 'Sell',
        buytocover: 'BuyToCover',
        sellshort: 'SellShort',
        long: 'Buy',
        short: 'Sell',
      };
      const action = actions[side];
      if (!action) reasons.push(`unrecognised side_of_market "${str(r.side_of_market)}"`);
      const opening = action === 'Buy' || action === 'SellShort';
      const price = opening ? (entryPrice ?? exitPrice) : (exitPrice ?? entryPrice);
      if (price === undefined) reasons.push('no price');
      if (reasons.length === 0 && action && typeof inst !== 'string' && typeof entryTime !== 'string' && typeof commission === 'number') {
        const validationText = str(r.trade_validation).toLowerCase();
        const fill = { action, quantity: quantity as number, priceUnits: priceToUnits(price as number), time: entryTime.time };
        let key = idText;
        if (!key) {
          // Same content key as a CSV row without an id, so the two find each other.
          const content = `${entryTime.wall}|${account}|${inst.contract}|${action}|${fill.quantity}|${fill.priceUnits}`;
          const n = contentCounts.get(content) ?? 0;
          contentCounts.set(content, n + 1);
          key = `h:${createHash('sha1').update(content).digest('hex').slice(0, 20)}:${n}`;
        }
        newLegs.push({
          kind: 'execution',
          rowIds: [id],
          rank: 1,
          exec: {
            ...fill,
            line: id,
            account,
            key,
            nativeId: idText !== '',
            instrument,
            contract: inst.contract,
            root: inst.root,
            commissionCents: commission,
            validation: (validationText === 'valid' || validationText === 'invalid' ? validationText : null) as Validity | null,
            orderId: null,
          },
        });
      }
    }
    if (reasons.length > 0) {
      skip('trades', id, reasons.join('; '));
      continue;
    }
    // Check every leg against what is already collected before taking any of them.
    let conflict: string | undefined;
    for (const leg of newLegs) {
      const have = legs.get(`${leg.exec.account}\u001f${leg.exec.key}`);
      if (!have) continue;
      const same = have.exec.time === leg.exec.time && have.exec.priceUnits === leg.exec.priceUnits && have.exec.action === leg.exec.action;
      if (leg.kind === 'execution' || have.kind !== leg.kind || !same) {
        conflict =
          leg.kind === 'execution' && have.kind === 'execution' && sameFill(have.exec, leg.exec)
            ? `duplicate of trades row ${have.rowIds[0]} (execution id ${leg.exec.key})`
            : `execution id ${leg.exec.key} also appears in trades row ${have.rowIds[0]} with a different fill`;
        break;
      }
    }
    if (conflict) {
      skip('trades', id, conflict);
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
  const executions = createExecutionsRepo(ctx.db);
  const positions = createPositionsRepo(ctx.db);
  const journal = createJournalRepo(ctx.db);

  const outcome = ctx.db.write(() => {
    const importId = executions.insertImport({
      kind: 'legacy',
      fileName: path.basename(file),
      filePath: path.resolve(file),
      sha256,
      bytes,
      status: 'imported',
    });
    let added = 0;
    let duplicates = 0;
    const touched = new Map<string, { account: string; contract: string }>();
    const rebuild = new Map<string, { account: string; contract: string }>();
    for (const leg of ordered) {
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
        for (const rowId of leg.rowIds) legOfRow.delete(rowId);
        skip(
          'trades',
          leg.rowIds.join(','),
          `execution id ${e.key} of account ${e.account} is already stored with a different fill (import #${stored?.importId})`,
        );
      }
    }
    const positionsRebuilt = rebuildBooks(ctx, rebuild.values());

    // ---- journal data from trades rows
    const positionOf = (leg: Leg): number | undefined => {
      const stored = executions.find(leg.exec.account, leg.exec.key);
      return stored ? positions.containing(stored.id)[0] : undefined;
    };
    const carries = ['notes', 'chart_url', 'reviewed', 'validated', 'link_group_id'].filter((c) => tradeCols.has(c));
    for (const r of carries.length > 0 ? rows : []) {
      const id = Number(r.id);
      const leg = legOfRow.get(id);
      const note = str(r.notes);
      const chart = str(r.chart_url);
      const group = num(r.link_group_id);
      if (!leg || (!note && !chart && !flag(r.reviewed) && !flag(r.validated) && group === undefined)) continue;
      const pid = positionOf(leg);
      if (pid === undefined) {
        skip('trades', id, 'its notes and flags could not be attached: no position holds its execution');
        continue;
      }
      if (note) journal.appendNote(pid, note);
      if (chart) journal.appendNote(pid, `Chart: ${chart}`);
      if (flag(r.reviewed) && !journal.get(pid).reviewed) journal.setReviewed(pid, true);
      if (flag(r.validated)) journal.addTag(pid, 'validated');
      if (group !== undefined) journal.addTag(pid, `link-group-${group}`);
    }

    // ---- legacy positions: rebuilt, not copied; report those left with nothing
    const legsOfLegacyPosition = new Map<number, Leg[]>();
    if (tables.has('position_executions') && tables.has('positions')) {
      for (const m of conn.prepare('SELECT position_id, trade_id FROM position_executions').all() as {
        position_id: number;
        trade_id: number;
      }[]) {
        const list = legsOfLegacyPosition.get(m.position_id) ?? [];
        const leg = legOfRow.get(m.trade_id);
        if (leg) list.push(leg);
        legsOfLegacyPosition.set(m.position_id, list);
      }
      for (const p of conn.prepare('SELECT id FROM positions ORDER BY id').all() as { id: number }[]) {
        if ((legsOfLegacyPosition.get(p.id) ?? []).length === 0) skip('positions', p.id, 'none of its executions could be imported');
      }
    }

    // ---- custom field values (later versions) → note lines
    if (tables.has('position_custom_field_values') && tables.has('custom_fields')) {
      const values = conn
        .prepare(
          `SELECT v.id, v.position_id, v.field_value, coalesce(f.label, f.name) AS label FROM position_custom_field_values v
           JOIN custom_fields f ON f.id = v.custom_field_id ORDER BY v.id`,
        )
        .all() as { id: number; position_id: number; field_value: unknown; label: string }[];
      for (const v of values) {
        const value = str(v.field_value);
        if (!value) continue;
        const leg = legsOfLegacyPosition.get(v.position_id)?.[0];
        const pid = leg ? positionOf(leg) : undefined;
        if (pid === undefined) skip('position_custom_field_values', v.id, `no imported position for old position ${v.position_id}`);
        else journal.appendNote(pid, `${v.label}: ${value}`);
      }
    }

    const problems = skipped
      .filter((s) => s.table === 'trades')
      .map((s) => ({ line: Number(String(s.id).split(',')[0]), reason: s.reason }));
    executions.finishImport(importId, { rowsRead: rows.length, executionsAdded: added, duplicatesSkipped: duplicates, problems });
    const books = uniqueBooks(touched.values());
    let positionCount = 0;
    let netCents = 0;
    for (const b of books) {
      for (const p of positions.statsRows({ account: b.account, contract: b.contract })) netCents += p.netCents;
      positionCount += positions.count({ account: b.account, contract: b.contract });
    }
    return { importId, added, duplicates, positionsRebuilt, positionCount, netCents };
  });

  // ---- bars (market.db): after the journal commit, through the market-data area's store
  let bars = 0;
  if (tables.has('ohlc_data')) bars = importBars(conn, ctx, options.storeBars, skip);

  for (const [table, n] of skippedCount) {
    if (n > MAX_SKIPPED_PER_TABLE)
      skipped.push({ table, id: null, reason: `and ${n - MAX_SKIPPED_PER_TABLE} more rows skipped (reasons as above)` });
  }
  return {
    file: path.resolve(file),
    importId: outcome.importId,
    sha256,
    executions: outcome.added,
    duplicatesSkipped: outcome.duplicates,
    positions: outcome.positionCount,
    positionsRebuilt: outcome.positionsRebuilt,
    bars,
    skipped,
    check: { legacyNetPnl: roundTrips > 0 ? legacyNetCents / 100 : null, netPnl: outcome.netCents / 100 },
  };
}

function importBars(
  conn: Database.Database,
  ctx: TradesContext,
  storeBars: StoreBars | undefined,
  skip: (table: string, id: number | string | null, reason: string) => void,
): number {
  const total = conn.prepare('SELECT count(*) FROM ohlc_data').pluck().get() as number;
  if (total === 0) return 0;
  if (!storeBars) {
    skip('ohlc_data', null, `${total} bars not imported: no market-data store is connected to this import`);
    return 0;
  }
  const roots = new Map<string, string | undefined>();
  const rootOf = (instrument: string) => {
    if (!roots.has(instrument)) {
      try {
        const ref = ctx.registry.parse(instrument);
        roots.set(instrument, ctx.registry.has(ref.root) ? ref.root : undefined);
      } catch {
        roots.set(instrument, undefined);
      }
    }
    return roots.get(instrument);
  };
  let stored = 0;
  let batch: LegacyBar[] = [];
  let batchIds: number[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    try {
      const r = storeBars(batch);
      stored += r.stored;
      for (const x of r.rejected) skip('ohlc_data', batchIds[x.index] ?? null, x.reason);
    } catch (err) {
      skip(
        'ohlc_data',
        null,
        `${batch.length} bars (${batch[0]?.instrument} ${batch[0]?.timeframe}) could not be stored: ${errorMessage(err)}`,
      );
    }
    batch = [];
    batchIds = [];
  };
  const stmt = conn.prepare(
    'SELECT id, instrument, timeframe, timestamp, open_price, high_price, low_price, close_price, volume FROM ohlc_data ORDER BY instrument, timeframe, timestamp',
  );
  for (const b of stmt.iterate() as Iterable<Row>) {
    const id = Number(b.id);
    const tfText = str(b.timeframe);
    const timeframe = BAR_TIMEFRAMES.get(tfText);
    if (!timeframe) {
      skip(
        'ohlc_data',
        id,
        tfText === '3m'
          ? 'timeframe 3m: the old app stored 5-minute data under this label'
          : tfText === '4h' || /^\d+h$/.test(tfText)
            ? `timeframe ${tfText}: Yahoo has no such interval, so the old app's bars are not trustworthy (4h is built from 1h bars)`
            : `timeframe "${tfText}" is not one tradelog stores`,
      );
      continue;
    }
    const root = rootOf(str(b.instrument));
    if (!root) {
      skip('ohlc_data', id, `unknown instrument "${str(b.instrument)}"`);
      continue;
    }
    const [open, high, low, close] = [num(b.open_price), num(b.high_price), num(b.low_price), num(b.close_price)];
    const time = num(b.timestamp);
    if (time === undefined || !Number.isInteger(time) || time <= 0) {
      skip('ohlc_data', id, `bad timestamp ${JSON.stringify(b.timestamp)}`);
      continue;
    }
    if (
      open === undefined ||
      high === undefined ||
      low === undefined ||
      close === undefined ||
      low > Math.min(open, close, high) ||
      high < Math.max(open, close)
    ) {
      skip('ohlc_data', id, 'prices missing or inconsistent (high below open/close or low above them)');
      continue;
    }
    const volume = num(b.volume);
    if (batch.length > 0 && (batch[0]?.instrument !== root || batch[0]?.timeframe !== timeframe)) flush();
    batch.push({ instrument: root, timeframe, time, open, high, low, close, volume: volume === undefined ? null : volume });
    batchIds.push(id);
    if (batch.length >= BAR_BATCH) flush();
  }
  flush();
  return stored;
}
