import path from 'node:path';
import { zoneOffsets } from '../calendar/zone.js';
import { systemClock } from '../clock.js';
import { AppError, isAppError } from '../errors.js';
import { type AccountsRepo, createAccountsRepo } from './accounts.repo.js';
import {
  type Book,
  createExecutionsRepo,
  type ExecutionsRepo,
  INSERT_BATCH,
  type StoredExecution,
  type StoredFill,
} from './executions.repo.js';
import { costFiller, type FeeSchedule, schedulesFor } from './fees.js';
import { createFeesRepo } from './fees.repo.js';
import { type CsvSource, chunks, hashSource, readSource } from './fill-keys.js';
import { readWithAdapter, type SourceInfo } from './import-rows.js';
import { ADAPTERS, adapterFor, detectFormat } from './importers/formats.js';
import { SAMPLE_BYTES, Sample } from './importers/sample.js';
import type { Delimiter, FormatName } from './importers/types.js';
import { unitsToPrice } from './money.js';
import { type DuplicateRow, type ParsedExecution, type ReadResult, type RowProblem, readNinjaTraderCsv, sameFill } from './ninjatrader.js';
import { removeOrdersOfImport, storeOrders } from './orders.service.js';
import { actionSign, type BookBuilder, type BookExecution } from './positions.js';
import { type BookWriter, createPositionsRepo } from './positions.repo.js';
import { bookId, builderFor, rebuildBooks, rootOfContract, type TradesContext } from './rebuild.js';
import type { ImportSettings } from './settings.js';
import type { DstResolution } from './time.js';

/**
 * Importing files of every supported format (src/trades/importers: a source adapter per format). A file is one transaction: its executions and the rebuilt positions of the books it
 * touches commit together, or nothing of it is stored. A file with an invalid row is rejected whole, with every
 * bad line and reason, unless `skipInvalid` stores the valid rows (the others are still listed). Duplicates —
 * (account, execution id) already stored, or repeated within the file — are skipped and counted; a reused id with
 * a different fill is an invalid row, never merged or dropped silently. Every run that is not a preview is
 * recorded in `imports` (also when rejected) and a successful one can be undone.
 */
export interface ImportOptions {
  /** Store the valid rows of a file that has invalid ones. */
  skipInvalid?: boolean;
  /** How to read a local time skipped or doubled by a DST change; default reject the row. */
  dst?: DstResolution;
  /** Preview: run everything, report what would happen, store nothing. */
  dryRun?: boolean;
  /** Refuse the commit unless the file still has this content (the one previewed). */
  expectedSha256?: string;
  /** Return at once (status `unchanged`) when a file with the same content was imported before. */
  skipKnownContent?: boolean;
  /** Rows listed in a preview's `added`/`duplicates` (default 1000). */
  previewLimit?: number;
  /** Refuse a file with more rows than this (TL_IMPORT_TOO_MANY_ROWS), counted as the CSV reader splits them. */
  maxRows?: number;
  /** Now, epoch ms (the caller's clock): execution times more than a day after it are refused. */
  now?: number;
  /** Read the file as this format (`--format NAME`) instead of detecting it. */
  format?: string;
  /** How dates that cannot tell day-first from month-first are read (`--date-order`; else `import.dateOrder`). */
  dateOrder?: 'mdy' | 'dmy';
  /** A saved generic column mapping by name (`--mapping NAME`). */
  mapping?: string;
  /** The account of a file that names none (Tradovate Performance, TopstepX Trades). */
  account?: string;
}

/** An exit with nothing open in its book: kept, paired with nothing (issue 10 §9). */
export interface OrphanExit {
  line: number | null;
  account: string;
  contract: string;
  action: string;
  quantity: number;
  price: number;
  time: string;
  executionId: string;
}

export interface PreviewRow {
  line: number;
  account: string;
  instrument: string;
  contract: string;
  action: string;
  quantity: number;
  price: number;
  time: string;
  commission: number;
  executionId: string;
  /** For a derived fill: made from a round-trip row or an order's total. */
  derived?: 'round-trip' | 'order';
}

export interface ImportFileResult {
  file: string;
  importId: number | null;
  status: 'imported' | 'rejected' | 'preview' | 'unchanged';
  sha256: string;
  bytes: number;
  /** The source format the file was read as (contract: `"format"` in --json and the preview). */
  format: string;
  /** The zone naive times were read in and where it came from (`America/New_York (import zone)`). */
  zone: string | null;
  /** For formats whose dates can be day-first: the order used. */
  dateOrder?: 'mdy' | 'dmy';
  /** Orders the file holds (Tradovate Orders, TopstepX Orders, Rithmic, Sierra Chart). */
  ordersRead?: number;
  /** Of those, the orders stored under this import (the others were stored before, or name no account). */
  ordersStored?: number;
  rowsRead: number;
  executionsAdded: number;
  duplicatesSkipped: number;
  /** Derived fills (from round-trip rows or order totals) that this file's fills replaced. */
  derivedReplaced: number;
  /** Exits of this file with nothing open in their book. */
  orphans: OrphanExit[];
  rejected: RowProblem[];
  /** Positions written in the books this file touched (in a preview: that would be written). */
  positionsRebuilt: number;
  books: Book[];
  /**
   * Preview only: the rows that would be added and skipped. `wouldReject` when the file would be rejected whole
   * (it has invalid rows and they are not skipped): then nothing would be added (`executionsAdded` 0, `added`
   * empty) and `ifSkipInvalid` says what skipping the invalid rows would add instead.
   */
  preview?: {
    added: PreviewRow[];
    duplicates: DuplicateRow[];
    truncated: boolean;
    wouldReject: boolean;
    ifSkipInvalid?: { executionsAdded: number; duplicatesSkipped: number; positionsRebuilt: number };
  };
}

export type ImportSource = ({ path: string } | { name: string; content: Buffer | string }) & { name?: string };

/** Rows read ahead of storing them (two statements of executions.repo insertMany). */
const QUEUE = 2 * INSERT_BATCH;
/** How near in time a stored fill must be to a derived fill of the same book and side to cover it. */
const COVER_SLACK_MS = 1000;

class Abort extends Error {
  constructor(readonly outcome: 'rejected' | 'preview') {
    super(outcome);
  }
}

function previewRow(r: ParsedExecution): PreviewRow {
  const row: PreviewRow = {
    line: r.line,
    account: r.account,
    instrument: r.instrument,
    contract: r.contract,
    action: r.action,
    quantity: r.quantity,
    price: unitsToPrice(r.priceUnits),
    time: new Date(r.time).toISOString(),
    commission: r.commissionCents / 100,
    executionId: r.key,
  };
  if (r.derived) row.derived = r.derived;
  return row;
}

/** What a file is read by: the rows it gives in file order, its hash and size, and what the source said. */
interface FileReader {
  read(problems: RowProblem[], onRow: (row: ParsedExecution) => void): ReadResult & { info: SourceInfo };
}

function zoneText(z: SourceInfo['zone']): string {
  if (z.source === 'data') return `${z.zone} (offsets in the data)`;
  if (z.source === 'header') return `${z.zone} (column ${z.from ?? ''})`;
  return `${z.zone} (${z.setting ?? 'import zone'})`;
}

interface Detected {
  format: FormatName;
  delimiter: Delimiter | undefined;
}

/** The format a file is in: the forced one, else detected from its head; undefined when none fits. */
function formatOf(csv: CsvSource, options: ImportOptions, mappings: ImportSettings['mappings']): Detected | undefined {
  if (options.format) return { format: adapterFor(options.format).format, delimiter: undefined };
  let head: Buffer | undefined;
  for (const c of chunks(csv)) {
    head = c.subarray(0, SAMPLE_BYTES);
    break;
  }
  try {
    const { detection } = detectFormat(Sample.fromBytes(head ?? Buffer.alloc(0)), { mappings });
    return { format: detection.format, delimiter: detection.delimiter };
  } catch (err) {
    if (isAppError(err) && err.code === 'TL_IMPORT_UNKNOWN_FORMAT') return undefined;
    throw err;
  }
}

/** Comma-separated NinjaTrader execution files: the add-on export and the US-locale grid (the old app's reader). */
function streamsAsNinjaTrader(d: Detected | undefined): boolean {
  return d?.format === 'ninjatrader-addon' || (d?.format === 'nt8-executions' && d.delimiter === ',');
}

/**
 * The reader of a file. The add-on export (month-first by construction, the one format of the old app) streams
 * through the NinjaTrader reader (ninjatrader.ts) so memory stays bounded whatever its size; every other format
 * goes through its source adapter (import-rows.ts). A file in no known format is read by the NinjaTrader reader
 * too, which names what is wrong with its header, and the rejection adds what was looked for.
 */
function readerFor(ctx: TradesContext, csv: CsvSource, options: ImportOptions): FileReader {
  const settings = ctx.importSettings ?? { dateOrder: null, zones: {}, mappings: [] };
  const mapping = options.mapping === undefined ? undefined : mappingNamed(settings.mappings, options.mapping);
  const detected = mapping ? { format: 'generic' as const, delimiter: undefined } : formatOf(csv, options, settings.mappings);
  const format = detected?.format;
  const perSource = format ? settings.zones[format] : undefined;
  const zone = perSource ?? ctx.zone;
  const zoneSetting = perSource ? ('source setting' as const) : ('import zone' as const);
  const now = options.now ?? systemClock.now();
  if (format === undefined || streamsAsNinjaTrader(detected)) {
    return {
      read(problems, onRow) {
        const parse = { registry: ctx.registry, zone: zoneOffsets(zone), dst: options.dst ?? 'reject', now };
        const r = readNinjaTraderCsv(csv, options.maxRows === undefined ? parse : { ...parse, maxRows: options.maxRows }, problems, onRow);
        if (format === undefined && problems.some((p) => p.line === 1 && p.reason.startsWith('no header row'))) {
          problems.push({ line: 1, reason: `the file is in no format tradelog knows: ${ADAPTERS.map((a) => a.lookedFor).join('; ')}` });
        }
        const info: SourceInfo = {
          format: format ?? 'ninjatrader-addon',
          zone: { zone, source: 'option', setting: zoneSetting },
          dateOrder: { order: 'mdy', source: 'format' },
          orders: [],
          cashEntries: 0,
          ignored: 0,
        };
        return { ...r, info };
      },
    };
  }
  return {
    read(problems, onRow) {
      const { bytes, sha256 } = readSource(csv);
      const repo = createExecutionsRepo(ctx.db);
      const dateOrder = options.dateOrder ?? settings.dateOrder ?? undefined;
      const { rowsRead, info } = readWithAdapter(
        bytes,
        {
          registry: ctx.registry,
          zone,
          zoneSource: zoneSetting,
          dst: options.dst ?? 'reject',
          now,
          format,
          mappings: settings.mappings,
          ...(options.maxRows === undefined ? {} : { maxRows: options.maxRows }),
          ...(dateOrder ? { dateOrder } : {}),
          ...(mapping ? { mapping } : {}),
          ...(options.account ? { account: options.account } : {}),
          accountOfFill: (fillId) => {
            const accounts = repo.accountsOfFill(fillId);
            return accounts.length === 1 ? accounts[0] : undefined;
          },
        },
        problems,
        onRow,
      );
      return { rowsRead, sha256, bytes: bytes.length, info };
    },
  };
}

function mappingNamed(mappings: ImportSettings['mappings'], name: string) {
  const m = mappings.find((x) => x.name === name);
  if (m) return m;
  throw new AppError('TL_IMPORT_BAD_MAPPING', `There is no saved column mapping named "${name}".`, {
    remedy: `Make the mapping once on the import page (it is saved under its name), or use one of: ${mappings.map((x) => x.name).join(', ') || 'none saved yet'}.`,
    details: { field: 'mapping', mapping: name },
  });
}

/**
 * Import (or preview) one file in any supported format. The file is read, checked and stored in one
 * synchronous pass inside one transaction (FileStore), and positions stream through the builder; a preview is
 * the same pass rolled back.
 */
export async function importFile(ctx: TradesContext, source: ImportSource, options: ImportOptions = {}): Promise<ImportFileResult> {
  const name = source.name ?? ('path' in source ? path.basename(source.path) : 'upload.csv');
  const filePath = 'path' in source ? path.resolve(source.path) : null;
  const csv: CsvSource = 'path' in source ? { path: source.path } : { content: source.content };
  const dryRun = options.dryRun === true;
  if (options.skipKnownContent && !dryRun) {
    const { sha256, bytes } = hashSource(csv);
    const known = createExecutionsRepo(ctx.db).findImportBySha(sha256);
    if (known) {
      return {
        file: filePath ?? name,
        importId: known.id,
        status: 'unchanged',
        sha256,
        bytes,
        format: known.format ?? 'legacy',
        zone: known.zone,
        rowsRead: 0,
        executionsAdded: 0,
        duplicatesSkipped: 0,
        derivedReplaced: 0,
        orphans: [],
        rejected: [],
        positionsRebuilt: 0,
        books: [],
      };
    }
  }
  const store = new FileStore(ctx, name, filePath, options);
  const outcome = store.run(readerFor(ctx, csv, options));
  return store.result(outcome);
}

/** @deprecated the name of `importFile` when it read NinjaTrader files only. */
export const importNinjaTraderFile = importFile;

interface LiveBook {
  builder: BookBuilder;
  writer: BookWriter;
  ordered: boolean;
  /** Fills in the costs of fills whose source stated none, from the account's fee schedules. */
  fill: (e: BookExecution) => BookExecution;
}

/**
 * One file's transaction. Rows are stored a batch at a time (executions.repo insertMany), then taken in file
 * order: added ones go to their book's builder, the others are told apart as repeats or different fills. After a
 * duplicate the next rows are looked up before they are queued (a re-imported file is duplicates throughout, and
 * a lookup costs less than half as much as a refused insert). Books this file starts are built as their rows
 * arrive; a book with earlier fills, derived fills to replace, or rows going back in time is rebuilt at the end.
 * A derived fill the stored fill-level data already covers is a duplicate; fill-level rows replace the derived
 * fills of their books they cover (replaced, not deleted: undo brings them back).
 */
class FileStore {
  private readonly repo: ExecutionsRepo;
  private readonly positions: ReturnType<typeof createPositionsRepo>;
  private readonly accounts: AccountsRepo;
  private schedules: readonly FeeSchedule[] | undefined;
  private readonly dryRun: boolean;
  private readonly skipInvalid: boolean;
  private readonly limit: number;
  readonly problems: RowProblem[] = [];
  private readonly added: PreviewRow[] = [];
  private readonly duplicates: DuplicateRow[] = [];
  private addedCount = 0;
  private duplicateCount = 0;
  private derivedReplaced = 0;
  private ordersStored = 0;
  private read: ReadResult & { info?: SourceInfo } = { rowsRead: 0, sha256: '', bytes: 0 };
  private readonly books = new Map<string, Book>();
  private readonly live = new Map<string, LiveBook | null>();
  /** Books holding derived fills when the file began, with the span and ids of this file's fill-level rows in them. */
  private readonly toReplace = new Map<string, { from: number; to: number; fillIds: string[]; orderIds: string[] } | null>();
  private positionsRebuilt = 0;
  private importId: number | null = null;
  private orphans: OrphanExit[] = [];
  private lookFirst = false;
  private readonly queue: ParsedExecution[] = [];
  private readonly found: (StoredFill | undefined)[] = [];
  private readonly queueBooks: string[] = [];
  private firstProblem = Number.POSITIVE_INFINITY;
  private problemsSeen = 0;

  constructor(
    private readonly ctx: TradesContext,
    private readonly name: string,
    private readonly filePath: string | null,
    private readonly options: ImportOptions,
  ) {
    this.repo = createExecutionsRepo(ctx.db);
    this.positions = createPositionsRepo(ctx.db);
    this.accounts = createAccountsRepo(ctx.db);
    this.dryRun = options.dryRun === true;
    // A preview runs as if invalid rows were skipped, so it can show all three: added, duplicate, rejected.
    this.skipInvalid = options.skipInvalid === true || this.dryRun;
    this.limit = options.previewLimit ?? 1000;
  }

  private record(status: 'imported' | 'rejected'): number {
    return this.repo.insertImport({
      kind: 'ninjatrader',
      fileName: this.name,
      filePath: this.filePath,
      sha256: this.read.sha256,
      bytes: this.read.bytes,
      status,
      rowsRead: this.read.rowsRead,
      executionsAdded: status === 'rejected' ? 0 : this.addedCount,
      duplicatesSkipped: status === 'rejected' ? 0 : this.duplicateCount,
      problems: this.problems,
      format: this.read.info?.format ?? null,
      zone: this.read.info ? zoneText(this.read.info.zone) : null,
    });
  }

  private duplicate(d: DuplicateRow): void {
    this.duplicateCount++;
    if (this.duplicates.length < this.limit) this.duplicates.push(d);
  }

  /** A row after a problem is not stored (the file is rejected unless invalid rows are skipped). */
  private afterProblem(line: number): boolean {
    if (this.skipInvalid) return false;
    for (; this.problemsSeen < this.problems.length; this.problemsSeen++)
      this.firstProblem = Math.min(this.firstProblem, (this.problems[this.problemsSeen] as RowProblem).line);
    return this.firstProblem < line;
  }

  run(reader: FileReader): 'imported' | 'rejected' | 'preview' {
    try {
      this.ctx.db.write(() => this.transaction(reader));
      return 'imported';
    } catch (err) {
      if (!(err instanceof Abort)) throw err;
      return err.outcome;
    }
  }

  private transaction(reader: FileReader): void {
    const id = this.record('imported');
    this.read = reader.read(this.problems, (row) => this.onRow(row, id));
    this.flush(id);
    this.problems.sort((x, y) => x.line - y.line);
    if (this.options.expectedSha256 && this.options.expectedSha256 !== this.read.sha256) {
      throw new AppError('TL_IMPORT_CHANGED', `${this.name} changed since it was previewed (sha256 ${this.read.sha256.slice(0, 12)}…).`, {
        remedy: 'Preview the file again, then import it.',
        details: { file: this.name, sha256: this.read.sha256, expected: this.options.expectedSha256 },
      });
    }
    if (this.problems.length > 0 && !this.skipInvalid) throw new Abort('rejected');
    const info = this.read.info;
    // the orders the adapter read are stored under this import (its undo removes them), in its transaction
    if (info && info.orders.length > 0) this.ordersStored = storeOrders(this.ctx.db, id, info.format, info.orders).added;
    this.replaceDerived(id);
    this.finishBooks();
    this.repo.finishImport(id, {
      sha256: this.read.sha256,
      bytes: this.read.bytes,
      rowsRead: this.read.rowsRead,
      executionsAdded: this.addedCount,
      duplicatesSkipped: this.duplicateCount,
      problems: this.problems,
      format: this.read.info?.format ?? null,
      zone: this.read.info ? zoneText(this.read.info.zone) : null,
    });
    this.orphans = this.repo.orphansOfImport(id).map(orphanOf);
    this.importId = id;
    if (this.dryRun) throw new Abort('preview');
  }

  private onRow(row: ParsedExecution, id: number): void {
    if (this.problems.length > 0 && !this.skipInvalid) return; // rejected anyway: only collect the other problems
    const book = bookId(row);
    if (!this.live.has(book)) {
      this.accounts.ensure([row.account]);
      const stored = this.repo.hasBook(row.account, row.contract);
      // a spelling of an account with others (or stored under another name) is built with them, at the end
      this.live.set(book, stored || !this.accounts.standsAlone(row.account) ? null : this.liveBook(row));
      if (stored && this.repo.hasDerived(row.account, row.contract)) this.toReplace.set(book, null);
    }
    if (row.derived) {
      const cover = this.repo.coveringFill(
        {
          account: row.account,
          contract: row.contract,
          fillId: row.fillId ?? null,
          orderId: row.orderId,
          time: row.time,
          buy: actionSign(row.action) === 1,
        },
        COVER_SLACK_MS,
      );
      if (cover) {
        const where = `import #${cover.importId}${cover.sourceLine ? `, line ${cover.sourceLine}` : ''}`;
        this.duplicate({ line: row.line, key: row.key, reason: `covered by the fills already stored (${where})` });
        return;
      }
    } else if (this.toReplace.has(book)) this.noteFillLevel(book, row);
    const stored = this.lookFirst ? this.repo.storedFill(row.account, row.key) : undefined;
    this.lookFirst = stored !== undefined;
    this.queue.push(row);
    this.found.push(stored);
    this.queueBooks.push(book);
    if (this.queue.length >= QUEUE) this.flush(id);
  }

  private liveBook(b: Book): LiveBook {
    this.schedules ??= createFeesRepo(this.ctx.db).list();
    const account = this.accounts.get(b.account);
    const scope = { accountId: account?.id ?? null, firm: account?.firm ?? null, root: rootOfContract(b.contract) };
    return {
      builder: builderFor(this.ctx, b),
      writer: this.positions.beginBook(b.account, b.contract),
      ordered: true,
      fill: costFiller(schedulesFor(this.schedules, scope)),
    };
  }

  private noteFillLevel(book: string, row: ParsedExecution): void {
    const r = this.toReplace.get(book) ?? { from: row.time, to: row.time, fillIds: [], orderIds: [] };
    r.from = Math.min(r.from, row.time);
    r.to = Math.max(r.to, row.time);
    if (row.fillId) r.fillIds.push(row.fillId);
    if (row.orderId) r.orderIds.push(row.orderId);
    this.toReplace.set(book, r);
  }

  private flush(id: number): void {
    const fresh: ParsedExecution[] = [];
    for (let i = 0; i < this.queue.length; i++) if (this.found[i] === undefined) fresh.push(this.queue[i] as ParsedExecution);
    const ids = this.repo.insertMany(fresh, id);
    let k = 0;
    for (let i = 0; i < this.queue.length; i++) {
      const row = this.queue[i] as ParsedExecution;
      const known = this.found[i];
      const rowId = known ? 0 : (ids[k++] as number);
      if (!rowId) this.lookFirst = true;
      if (!this.afterProblem(row.line)) this.take(row, this.queueBooks[i] as string, rowId, known, id);
    }
    this.queue.length = 0;
    this.found.length = 0;
    this.queueBooks.length = 0;
  }

  private take(row: ParsedExecution, book: string, rowId: number, known: StoredFill | undefined, id: number): void {
    if (rowId) {
      this.addedCount++;
      if (!this.books.has(book)) this.books.set(book, { account: row.account, contract: row.contract });
      const l = this.live.get(book);
      if (l?.ordered) {
        const e: BookExecution = {
          id: rowId,
          key: row.key,
          action: row.action,
          quantity: row.quantity,
          priceUnits: row.priceUnits,
          time: row.time,
          commissionCents: row.commissionCents,
          validation: row.validation,
          openClose: row.openClose ?? null,
          costsMissing: row.costsMissing === true,
        };
        if (l.builder.outOfOrder(e)) l.ordered = false;
        else {
          const closed = l.builder.push(l.fill(e));
          if (closed) l.writer.write(closed);
        }
      }
      if (this.dryRun && this.added.length < this.limit) this.added.push(previewRow(row));
      return;
    }
    const stored = known ?? (this.repo.storedFill(row.account, row.key) as StoredFill);
    const same = sameFill(stored, row);
    if (stored.importId === id) {
      if (same) this.duplicate({ line: row.line, key: row.key, reason: `repeats line ${stored.sourceLine}` });
      else
        this.problems.push({
          line: row.line,
          reason: `execution id ${row.key} of account ${row.account} repeats line ${stored.sourceLine} with a different fill`,
        });
    } else if (same) {
      this.duplicate({
        line: row.line,
        key: row.key,
        reason: `already stored (import #${stored.importId}${stored.sourceLine ? `, line ${stored.sourceLine}` : ''})`,
      });
    } else {
      this.problems.push({
        line: row.line,
        reason: `execution id ${row.key} of account ${row.account} is already stored with a different fill (import #${stored.importId})`,
      });
    }
  }

  /** The derived fills this file's fill-level rows cover are replaced; their books are rebuilt. */
  private replaceDerived(id: number): void {
    for (const [book, r] of this.toReplace) {
      if (!r) continue;
      const b = this.books.get(book);
      if (!b) continue;
      const span = { from: r.from - COVER_SLACK_MS, to: r.to + COVER_SLACK_MS };
      this.derivedReplaced += this.repo.replaceDerived(id, b, span, r.fillIds, r.orderIds);
    }
  }

  private finishBooks(): void {
    const rest: Book[] = [];
    for (const [book, b] of this.books) {
      const l = this.live.get(book);
      if (l?.ordered) {
        const open = l.builder.finish();
        if (open) l.writer.write(open);
        this.positionsRebuilt += l.writer.end();
        this.repo.setOrphans(
          b,
          l.builder.orphans.map((e) => e.id),
        );
      } else {
        // what a book built until its rows went back in time is stored (and ids given) before it is rebuilt
        l?.writer.end();
        rest.push(b);
      }
    }
    this.positionsRebuilt += rebuildBooks(this.ctx, rest);
  }

  result(outcome: 'imported' | 'rejected' | 'preview'): ImportFileResult {
    const info = this.read.info;
    const base = {
      file: this.filePath ?? this.name,
      sha256: this.read.sha256,
      bytes: this.read.bytes,
      format: info?.format ?? 'ninjatrader-addon',
      zone: info ? zoneText(info.zone) : null,
      ...(info?.dateOrder ? { dateOrder: info.dateOrder.order } : {}),
      ...(info && info.orders.length > 0 ? { ordersRead: info.orders.length, ordersStored: this.ordersStored } : {}),
      rowsRead: this.read.rowsRead,
      rejected: this.problems,
    };
    if (outcome === 'rejected') {
      // Rolled back; the attempt itself is recorded.
      const rejectedId = this.ctx.db.write(() => this.record('rejected'));
      const none = { executionsAdded: 0, duplicatesSkipped: 0, derivedReplaced: 0, orphans: [], positionsRebuilt: 0, books: [] };
      return { ...base, importId: rejectedId, status: 'rejected', ...none };
    }
    const result: ImportFileResult = {
      ...base,
      importId: outcome === 'preview' ? null : this.importId,
      status: outcome,
      executionsAdded: this.addedCount,
      duplicatesSkipped: this.duplicateCount,
      derivedReplaced: this.derivedReplaced,
      orphans: this.orphans,
      positionsRebuilt: this.positionsRebuilt,
      books: [...this.books.values()],
    };
    return outcome === 'preview' ? previewResult(result, this.added, this.duplicates, this.options.skipInvalid === true) : result;
  }
}

function orphanOf(e: StoredExecution): OrphanExit {
  return {
    line: e.sourceLine,
    account: e.account,
    contract: e.contract,
    action: e.action,
    quantity: e.quantity,
    price: e.price,
    time: new Date(e.time).toISOString(),
    executionId: e.key,
  };
}

/**
 * A preview's result says one thing: a file that would be rejected adds nothing (its counts are 0 and no row is
 * listed as added; what skipping the invalid rows would add is given apart, in `ifSkipInvalid`); otherwise the
 * rows to add and to skip.
 */
function previewResult(result: ImportFileResult, added: PreviewRow[], duplicates: DuplicateRow[], skipInvalid: boolean): ImportFileResult {
  const truncated = result.executionsAdded > added.length || result.duplicatesSkipped > duplicates.length;
  if (result.rejected.length === 0 || skipInvalid) {
    return { ...result, preview: { added, duplicates, truncated, wouldReject: false } };
  }
  return {
    ...result,
    executionsAdded: 0,
    duplicatesSkipped: 0,
    positionsRebuilt: 0,
    books: [],
    preview: {
      added: [],
      duplicates: [],
      truncated: false,
      wouldReject: true,
      ifSkipInvalid: {
        executionsAdded: result.executionsAdded,
        duplicatesSkipped: result.duplicatesSkipped,
        positionsRebuilt: result.positionsRebuilt,
      },
    },
  };
}

export interface UndoResult {
  importId: number;
  executionsRemoved: number;
  positionsRebuilt: number;
  books: Book[];
}

/** Remove exactly the executions an import added and rebuild the books they were in. */
export function undoImport(ctx: TradesContext, importId: number): UndoResult {
  const repo = createExecutionsRepo(ctx.db);
  return ctx.db.write(() => {
    const rec = repo.getImport(importId);
    if (!rec) {
      throw new AppError('TL_IMPORT_NOT_FOUND', `There is no import #${importId}.`, {
        remedy: 'List imports with "tradelog import --history" and use one of their ids.',
        details: { importId },
      });
    }
    if (rec.status !== 'imported') {
      throw new AppError('TL_IMPORT_NOT_UNDOABLE', `Import #${importId} (${rec.fileName}) was ${rec.status}; there is nothing to undo.`, {
        remedy: 'Only a successful import can be undone, once. Re-import the file to bring its executions back.',
        details: { importId, status: rec.status },
      });
    }
    const books = repo.booksOfImport(importId);
    const removed = repo.deleteOfImport(importId);
    removeOrdersOfImport(ctx.db, importId);
    // the derived fills this import replaced take part again
    repo.unreplace(importId);
    const positionsRebuilt = rebuildBooks(ctx, books);
    repo.markUndone(importId);
    return { importId, executionsRemoved: removed, positionsRebuilt, books };
  });
}
