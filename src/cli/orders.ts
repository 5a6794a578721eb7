import type { Command } from 'commander';
import { openStore } from '../db/store.js';
import type { FormatName } from '../trades/importers/types.js';
import { createOrdersService } from '../trades/orders.service.js';
import { type CliDeps, commandRunner, type GlobalOptions, withGlobalOptions } from './context.js';

/** `tradelog orders import FILE`: the orders of an orders report (docs/orders.md), for initial stops. */
export function register(program: Command, deps: CliDeps): void {
  const runCommand = commandRunner(deps);
  const orders = program.command('orders').description('orders and stops from the platforms’ orders reports');
  withGlobalOptions(orders.command('import'))
    .description('store the orders of a Tradovate Orders, TopstepX Orders, Rithmic or Sierra Chart report (fills: tradelog import)')
    .argument('<file>', 'the report')
    .option('--format <name>', 'read it as this format instead of detecting it')
    .action((file: string, opts: GlobalOptions & { format?: string }) =>
      runCommand(opts, (ctx) => {
        const store = openStore(ctx.paths, { logger: ctx.logger });
        try {
          const service = createOrdersService({ journal: store.journal, importTimezone: ctx.config.importTimezone, clock: ctx.clock });
          const r = service.importFile(file, opts.format ? { format: opts.format as FormatName } : {});
          return {
            json: r,
            text: `${r.file} (${r.format}): ${r.added} orders stored, ${r.duplicates} already stored (import #${r.importId}).`,
          };
        } finally {
          store.close();
        }
      }),
    );
}
