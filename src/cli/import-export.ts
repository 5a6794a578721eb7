import type { Command } from 'commander';
import { openStore } from '../db/store.js';
import { createExportService } from '../exports/export.service.js';
import { type CliDeps, commandRunner, type GlobalOptions, withGlobalOptions } from './context.js';
import { money } from './trades-shared.js';

/** `tradelog import-export FILE`: a journal export into an empty data directory, in one transaction. */
export function register(program: Command, deps: CliDeps): void {
  const runCommand = commandRunner(deps);
  withGlobalOptions(program.command('import-export'))
    .description('put a journal export ("tradelog export journal") into an empty data directory; positions are rebuilt')
    .argument('<file>', 'the JSON file "tradelog export journal" wrote')
    .action((file: string, opts: GlobalOptions) =>
      runCommand(opts, (ctx) => {
        const store = openStore(ctx.paths, { logger: ctx.logger });
        try {
          const service = createExportService({
            journal: store.journal,
            importTimezone: ctx.config.importTimezone,
            clock: ctx.clock,
            logger: ctx.logger,
          });
          const r = service.importExport(file);
          return {
            json: r,
            text: [
              `${r.file} (version ${r.version}, exported ${r.exportedAt}) imported into ${ctx.paths.dataDir}:`,
              `${r.executions} executions in ${r.positions} positions (${r.openPositions} open), net P&L ${money(r.netPnl)};`,
              `${r.journalEntries} positions with notes, tags or flags; ${r.imports} imports in the history; ${r.settings} settings.`,
              'Bars are not part of the export: download them again with "tradelog ohlc update INSTRUMENT".',
            ].join('\n'),
          };
        } finally {
          store.close();
        }
      }),
    );
}
