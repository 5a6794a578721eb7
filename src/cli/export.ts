import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { openStore } from '../db/store.js';
import { AppError, errorMessage, systemCode } from '../errors.js';
import { BOM } from '../exports/csv.js';
import { createExportService, type ExportDocument } from '../exports/export.service.js';
import type { TableFilter, TableName } from '../exports/tables.js';
import {
  type CliDeps,
  type CommandContext,
  type CommandResult,
  commandRunner,
  type GlobalOptions,
  usageError,
  withGlobalOptions,
} from './context.js';
import { displayFlags, type FilterOptions, filterOf, groupByOf, withFilterOptions } from './trades-shared.js';

/**
 * `tradelog export positions|executions|daily|stats [filters]` (CSV) and `tradelog export journal` (the whole
 * journal as JSON, for `tradelog import-export`). The document goes to `--out FILE` (written beside it and renamed
 * into place when whole) or to stdout.
 */
interface ExportOptions extends GlobalOptions {
  out?: string;
  bom?: boolean;
}

interface TableOptions extends ExportOptions, FilterOptions {
  status?: string;
  side?: string;
  reviewed?: string;
  by?: string;
}

export interface WrittenExport {
  what: string;
  file: string | null;
  bytes: number;
}

function writeFailed(file: string, err: unknown): AppError {
  if (err instanceof AppError) return err;
  const code = systemCode(err);
  return new AppError('TL_EXPORT_WRITE_FAILED', `Cannot write ${file}: ${code ? `${code} ` : ''}${errorMessage(err)}`, {
    remedy: 'Choose a path in a directory the user running tradelog can write, on a disk with room for the export.',
    details: { file, code },
  });
}

/** Write the document to `out` (a temp file renamed into place when whole; nothing left on failure). */
function writeFile(doc: ExportDocument, out: string, prefix: string): number {
  const target = path.resolve(out);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  let fd: number | undefined;
  let bytes = 0;
  try {
    fd = fs.openSync(temp, 'w', 0o640);
    for (const piece of prefix ? [prefix] : []) bytes += fs.writeSync(fd, piece);
    for (const piece of doc.chunks()) bytes += fs.writeSync(fd, piece);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, target);
    return bytes;
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw writeFailed(target, err);
  }
}

/**
 * Write the document to stdout, waiting for the reader. When the reader goes away (`| head`: EPIPE) the export
 * stops there; `closed` says so.
 */
async function writeStdout(doc: ExportDocument, prefix: string): Promise<{ bytes: number; closed: boolean }> {
  let bytes = 0;
  let closed = false;
  const onError = (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    closed = true;
  };
  process.stdout.on('error', onError);
  const put = async (piece: string) => {
    const flushed = process.stdout.write(piece);
    bytes += Buffer.byteLength(piece);
    if (!flushed && !closed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          process.stdout.off('drain', done);
          process.stdout.off('close', done);
          process.stdout.off('error', done);
          resolve();
        };
        process.stdout.on('drain', done).on('close', done).on('error', done);
      });
    }
  };
  try {
    if (prefix) await put(prefix);
    for (const piece of doc.chunks()) {
      if (closed) break;
      await put(piece);
    }
  } finally {
    process.stdout.off('error', onError);
    // later writes to a closed pipe must not crash the process either
    if (closed) process.stdout.on('error', () => {});
  }
  return { bytes, closed };
}

/** Open the store, make the document and write it where the options say. */
async function runExport(
  ctx: CommandContext,
  opts: ExportOptions,
  what: string,
  make: (service: ReturnType<typeof createExportService>) => ExportDocument,
): Promise<CommandResult<WrittenExport>> {
  if (ctx.json && !opts.out) {
    throw usageError(
      '--json needs --out FILE: without it stdout carries the export itself.',
      `Add --out ${what}.csv, or leave out --json.`,
    );
  }
  // reading only: a missing data directory is TL_DB_MISSING, not a new empty one
  const store = openStore(ctx.paths, { logger: ctx.logger, create: false });
  try {
    const service = createExportService({
      journal: store.journal,
      importTimezone: ctx.config.importTimezone,
      displayTimezone: ctx.config.displayTimezone,
      clock: ctx.clock,
      logger: ctx.logger,
      generator: 'tradelog 0.1.0',
    });
    const doc = make(service);
    const prefix = opts.bom ? BOM : '';
    if (!opts.out) {
      const { bytes, closed } = await writeStdout(doc, prefix);
      if (closed) {
        ctx.note(`stdout was closed after ${bytes} bytes: the ${what} export stopped there`);
        return { json: { what, file: null, bytes }, exitCode: 1 };
      }
      ctx.note(`exported ${what} (${bytes} bytes)`);
      return { json: { what, file: null, bytes } };
    }
    const bytes = writeFile(doc, opts.out, prefix);
    const file = path.resolve(opts.out);
    return { json: { what, file, bytes }, text: `Exported ${what} to ${file} (${bytes.toLocaleString('en-US')} bytes).` };
  } finally {
    store.close();
  }
}

function tableFilter(opts: TableOptions, nowMs: number): TableFilter {
  const filter: TableFilter = filterOf(opts, nowMs);
  if (opts.status !== undefined) {
    if (opts.status !== 'open' && opts.status !== 'closed')
      throw usageError(`--status ${opts.status} is not open or closed.`, 'Use --status open or --status closed.');
    filter.status = opts.status;
  }
  if (opts.side !== undefined) {
    if (opts.side !== 'long' && opts.side !== 'short')
      throw usageError(`--side ${opts.side} is not long or short.`, 'Use --side long or --side short.');
    filter.side = opts.side;
  }
  if (opts.reviewed !== undefined) {
    if (opts.reviewed !== 'yes' && opts.reviewed !== 'no')
      throw usageError(`--reviewed ${opts.reviewed} is not yes or no.`, 'Use --reviewed yes or --reviewed no.');
    filter.reviewed = opts.reviewed;
  }
  return filter;
}

const TABLE_HELP: Record<TableName, string> = {
  positions: 'positions as CSV, oldest first (the positions page with its filters)',
  executions: "the executions of the filter's positions as CSV: one row per position and fill (a reversal fill is in both)",
  daily: 'net P&L per CME trading day as CSV, with the running total',
  stats: 'statistics as CSV: one row of totals, or one per group with --by',
};

function withOutput(cmd: Command): Command {
  return cmd.option('--out <file>', 'write to this file (replaced when whole) instead of stdout');
}

export function register(program: Command, deps: CliDeps): void {
  const runCommand = commandRunner(deps);
  const exp = program
    .command('export')
    .description('export positions, executions, daily results or statistics as CSV, or the whole journal as JSON');
  for (const name of ['positions', 'executions', 'daily', 'stats'] as const) {
    let cmd = withOutput(withFilterOptions(withGlobalOptions(exp.command(name))))
      .description(TABLE_HELP[name])
      .option('--bom', 'start with a UTF-8 byte order mark (for Excel)');
    if (name === 'positions' || name === 'executions') {
      cmd = cmd
        .option('--status <open|closed>', 'only open or only closed positions')
        .option('--side <long|short>', 'only long or only short positions')
        .option('--reviewed <yes|no>', 'only reviewed or only unreviewed positions');
    }
    if (name === 'stats') cmd = cmd.option('--by <grouping>', 'group by day|week|month|instrument|contract|account|side|hour');
    cmd.action((opts: TableOptions) =>
      runCommand(
        opts,
        (ctx) => {
          const filter = tableFilter(opts, ctx.clock.now());
          const by = groupByOf(opts.by);
          return runExport(ctx, opts, name, (service) => service.table(name, filter, by ? { by } : {}));
        },
        displayFlags(opts),
      ),
    );
  }
  withOutput(withGlobalOptions(exp.command('journal')))
    .description('the whole journal as one JSON file (executions, journal data, settings) for "tradelog import-export"; bars are not in it')
    .action((opts: ExportOptions) => runCommand(opts, (ctx) => runExport(ctx, opts, 'journal', (service) => service.journal())));
}
