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
  tz?: string;
}

function fileJson(r: ImportFileResult, preview: boolean) {
  return {
    file: r.file,
    rowsRead: r.rowsRead,
    executionsAdded: r.executionsAdded,
    duplicatesSkipped: r.duplicatesSkipped,
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
  const lines = r.rejected.slice(0, 200).map((p) => `  line ${p.line}: ${p.reason}`);
  if (bad > 200) lines.push(`  … and ${bad - 200} more (see --json)`);
  return [head, ...lines].join('\n');
}

export function register(program: Command): void {
  withTzOption(withGlobalOptions(program.command('import')))
    .description('import NinjaTrader execution CSVs (a file with an invalid row is rejected whole)')
    .argument('[files...]', 'NinjaTrader_Executions_*.csv files')
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
                          `#${i.id}  ${localTime(new Date(i.importedAt).toISOString(), zone)}  ${i.status.padEnd(8)}  ${i.kind.padEnd(11)}  +${i.executionsAdded} dup ${i.duplicatesSkipped} bad ${i.rowsRejected}  ${i.fileName}`,
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
                { skipInvalid: opts.skipInvalid === true, dryRun: opts.dryRun === true, dst },
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
