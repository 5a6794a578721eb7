import fs from 'node:fs';
import type { Command } from 'commander';
import { AppError } from '../errors.js';
import type { ImportFileResult } from '../trades/import.service.js';
import { type GlobalOptions, runCommand, usageError, withGlobalOptions } from './context.js';
import { displayFlags, dstOf, localTime, withExistingJournal, withTradesServiceAsync, withTzOption, zoneNote } from './trades-shared.js';

interface ImportOpts extends GlobalOptions {
  skipInvalid?: boolean;
  dryRun?: boolean;
  dst?: string;
  history?: boolean;
  undo?: string;
  format?: string;
  dateOrder?: string;
  mapping?: string;
  account?: string;
  tz?: string;
}

function dateOrderOf(text: string | undefined): 'mdy' | 'dmy' | undefined {
  if (text === undefined) return undefined;
  if (text === 'mdy' || text === 'dmy') return text;
  throw usageError(`--date-order ${text} is not a date order.`, 'Use --date-order dmy (day first) or --date-order mdy (month first).');
}

function fileJson(r: ImportFileResult, preview: boolean) {
  return {
    file: r.file,
    format: r.format,
    zone: r.zone,
    ...(r.dateOrder ? { dateOrder: r.dateOrder } : {}),
    rowsRead: r.rowsRead,
    executionsAdded: r.executionsAdded,
    duplicatesSkipped: r.duplicatesSkipped,
    derivedReplaced: r.derivedReplaced,
    orphans: r.orphans,
    ...(r.ordersRead ? { ordersRead: r.ordersRead, ordersStored: r.ordersStored ?? 0 } : {}),
    rejected: r.rejected,
    status: r.status,
    importId: r.importId,
    sha256: r.sha256,
    ...(preview && r.preview ? { preview: r.preview } : {}),
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One file's outcome, said once: rejected (nothing stored, the lines why) or what was (or would be) added and skipped. */
function fileText(r: ImportFileResult): string {
  const bad = r.rejected.length;
  const preview = r.status === 'preview';
  let head: string;
  if (r.status === 'rejected' || r.preview?.wouldReject) {
    const alt = r.preview?.ifSkipInvalid?.executionsAdded ?? 0;
    head = `${r.file}: ${preview ? 'would be REJECTED' : 'REJECTED'}, nothing ${preview ? 'would be ' : ''}stored: 0 executions ${preview ? 'would be ' : ''}added (${plural(bad, 'invalid row')} of ${r.rowsRead}); fix the lines below${preview && alt > 0 ? `, or use --skip-invalid to add the ${plural(alt, 'valid execution')} and skip them` : ' or use --skip-invalid'}`;
  } else {
    head = `${r.file}: ${r.rowsRead} rows, ${r.executionsAdded} executions ${preview ? 'would be added' : 'added'}, ${r.duplicatesSkipped} duplicates skipped${bad ? `, ${plural(bad, 'invalid row')} ${preview ? 'would be ' : ''}skipped` : ''}${r.importId ? ` (import #${r.importId})` : ''}`;
  }
  const lines = [
    `  format ${r.format}, times in ${r.zone ?? 'UTC'}${r.dateOrder ? `, dates ${r.dateOrder === 'dmy' ? 'day-first' : 'month-first'}` : ''}`,
  ];
  if (r.ordersRead)
    lines.push(
      `  ${plural(r.ordersRead, 'order')} read, ${r.ordersStored ?? 0} ${preview ? 'would be stored' : 'stored'} (initial stops: docs/orders.md)`,
    );
  if (r.derivedReplaced > 0)
    lines.push(
      `  ${plural(r.derivedReplaced, 'derived fill')} (from round trips or order totals) ${preview ? 'would be' : 'were'} replaced by these fills`,
    );
  for (const o of r.orphans.slice(0, 50))
    lines.push(
      `  orphan exit: line ${o.line ?? '?'} ${o.account} ${o.contract} ${o.action} ${o.quantity} @ ${o.price}: nothing open before it, paired with nothing (import the earlier file to resolve it)`,
    );
  lines.push(...r.rejected.slice(0, 200).map((p) => `  line ${p.line}: ${p.reason}`));
  if (bad > 200) lines.push(`  … and ${bad - 200} more (see --json)`);
  return [head, ...lines].join('\n');
}

export function register(program: Command): void {
  withTzOption(withGlobalOptions(program.command('import')))
    .description(
      'import execution, fill, order and trade exports of every supported platform (a file with an invalid row is rejected whole)',
    )
    .argument('[files...]', 'export files (NinjaTrader, Tradovate, Rithmic, TopstepX, IBKR, Sierra Chart, mapped CSV)')
    .option('--format <name>', 'read the files as this format instead of detecting it (see docs/import.md)')
    .option('--date-order <dmy|mdy>', 'how dates that cannot tell day-first from month-first are read (else the import.dateOrder setting)')
    .option('--mapping <name>', 'read the files through this saved column mapping (made on the import page)')
    .option('--account <name>', 'the account of a file that names none (Tradovate Performance, TopstepX Trades)')
    .option('--skip-invalid', 'store the valid rows of a file with invalid ones, and list the others')
    .option('--dry-run', 'preview: show what would be added, skipped and rejected; store nothing')
    .option(
      '--dst <earlier|later>',
      'read a time that a DST change skips or repeats as the earlier or later instant (default: reject the row)',
    )
    .option('--history', 'list past imports (times in the display zone; --tz for another)')
    .option('--undo <importId>', 'remove exactly the executions an import added')
    .action((files: string[], opts: ImportOpts) =>
      runCommand<unknown>(
        opts,
        async (ctx) => {
          if (opts.history) {
            return withExistingJournal(ctx, (service) => {
              const list = service.listImports();
              const zone = service.displayTimezone().zone;
              return {
                json: list,
                text: list.length
                  ? `${list
                      .map(
                        (i) =>
                          `#${i.id}  ${localTime(new Date(i.importedAt).toISOString(), zone)}  ${i.status.padEnd(8)}  ${(i.format ?? i.kind).padEnd(26)}  +${i.executionsAdded} dup ${i.duplicatesSkipped} bad ${i.rowsRejected}  ${i.fileName}`,
                      )
                      .join('\n')}\n(${zoneNote(zone, ctx.clock.now())})`
                  : 'no imports yet',
              };
            });
          }
          if (opts.undo !== undefined) {
            const id = Number(opts.undo);
            if (!Number.isSafeInteger(id) || id <= 0)
              throw usageError(`--undo ${opts.undo} is not an import id.`, 'See "tradelog import --history".');
            // undoing needs a journal to be there: TL_DB_MISSING otherwise, nothing created
            return withTradesServiceAsync(
              ctx,
              async (service) => {
                const r = await service.undoImport(id);
                return {
                  json: r,
                  text: `import #${r.importId} undone: ${r.executionsRemoved} executions removed, ${r.positionsRebuilt} positions rebuilt`,
                };
              },
              { create: false },
            );
          }
          if (files.length === 0) throw usageError('No file given.', 'Run "tradelog import FILE..." with one or more NinjaTrader CSVs.');
          const dst = dstOf(opts.dst);
          const dateOrder = dateOrderOf(opts.dateOrder);
          const sourceOptions = {
            ...(opts.format ? { format: opts.format } : {}),
            ...(dateOrder ? { dateOrder } : {}),
            ...(opts.mapping ? { mapping: opts.mapping } : {}),
            ...(opts.account ? { account: opts.account } : {}),
          };
          for (const f of files) {
            try {
              if (!fs.statSync(f).isFile()) throw new Error('not a file');
              fs.accessSync(f, fs.constants.R_OK);
            } catch (err) {
              throw new AppError('TL_IMPORT_UNREADABLE', `Cannot read ${f}: ${(err as Error).message}.`, {
                remedy: 'Check the path and that the file is readable by this user; nothing was imported.',
                details: { file: f },
              });
            }
          }
          return withTradesServiceAsync(ctx, async (service) => {
            const results: ImportFileResult[] = [];
            for (const f of files) {
              const r = await service.importFile(
                { path: f },
                { skipInvalid: opts.skipInvalid === true, dryRun: opts.dryRun === true, dst, ...sourceOptions },
              );
              results.push(r);
              ctx.note(fileText(r));
            }
            const positionsRebuilt = results.reduce((n, r) => n + r.positionsRebuilt, 0);
            const problems = results.some((r) => r.status === 'rejected' || r.rejected.length > 0);
            return {
              json: {
                files: results.map((r) => fileJson(r, opts.dryRun === true)),
                positionsRebuilt,
                ...(opts.dryRun ? { dryRun: true } : {}),
              },
              text: `positions ${opts.dryRun ? 'that would be rebuilt' : 'rebuilt'}: ${positionsRebuilt}`,
              exitCode: problems ? 1 : 0,
            };
          });
        },
        displayFlags(opts),
      ),
    );
}
