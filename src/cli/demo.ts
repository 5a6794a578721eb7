import type { Command } from 'commander';
import { openStore } from '../db/store.js';
import { loadDemo } from '../demo/demo.js';
import { createMarketData } from '../market-data/service.js';
import { createTradesService } from '../trades/trades.service.js';
import { type CliDeps, commandRunner, type GlobalOptions, withGlobalOptions } from './context.js';

/** `tradelog demo`: fill an empty data dir with demo executions and bars, offline. */
export function register(program: Command, deps: CliDeps): void {
  const runCommand = commandRunner(deps);
  withGlobalOptions(program.command('demo'))
    .description('fill an empty data directory with demo executions and bars (offline), so every page has something to show')
    .action(async (opts: GlobalOptions) => {
      await runCommand(opts, async (ctx) => {
        const store = openStore(ctx.paths, { logger: ctx.logger });
        try {
          const trades = createTradesService({ journal: store.journal, importTimezone: ctx.config.importTimezone });
          const market = createMarketData({ market: store.market, journal: store.journal, config: ctx.config, logger: ctx.logger });
          ctx.note('generating demo bars and executions…');
          const result = await loadDemo({ trades, market, clock: ctx.clock });
          await market.close();
          return {
            json: { executions: result.executions, positions: result.positions, bars: result.bars },
            text: `Demo data added to ${ctx.paths.dataDir}: ${result.executions} executions in ${result.positions} positions, ${result.bars} bars.\nStart the web app with: tradelog serve --data-dir ${ctx.paths.dataDir}`,
          };
        } finally {
          store.close();
        }
      });
    });
}
