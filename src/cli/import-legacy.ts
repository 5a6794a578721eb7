import type { Command } from 'commander';
import { importLegacy } from '../legacy/legacy-import.js';
import { createMarketData } from '../market-data/service.js';
import { type GlobalOptions, runCommand, withGlobalOptions } from './context.js';
import { dstOf, withTradesService } from './trades-shared.js';

export function register(program: Command): void {
  withGlobalOptions(program.command('import-legacy'))
    .description('import a Futures Trading Log (Python) database: trades, positions, notes, bars; the file is never modified')
    .argument('<dbfile>', "the old app's SQLite file (futures_trades_clean.db)")
    .option(
      '--dst <earlier|later>',
      'read a time that a DST change skips or repeats as the earlier or later instant (default: skip the row)',
    )
    .action((dbfile: string, opts: GlobalOptions & { dst?: string }) =>
      runCommand(opts, (ctx) => {
        const dst = dstOf(opts.dst);
        return withTradesService(ctx, (trades, store) => {
          const market = createMarketData({ market: store.market, journal: store.journal, config: ctx.config, logger: ctx.logger });
          const r = importLegacy({ trades, market }, dbfile, { dst });
          const lines = [
            `${r.file}: ${r.executions} executions added, ${r.duplicatesSkipped} already stored; ${r.positions} positions; ${r.bars} bars (import #${r.importId})`,
            `old app's total net P&L of its round trips: ${r.check.legacyNetPnl ?? '-'}; tradelog's net P&L of these books: ${r.check.netPnl}`,
            ...r.skipped.map((s) => `  skipped ${s.table}${s.id === null ? '' : ` ${s.id}`}: ${s.reason}`),
          ];
          return {
            json: {
              executions: r.executions,
              positions: r.positions,
              bars: r.bars,
              skipped: r.skipped,
              importId: r.importId,
              duplicatesSkipped: r.duplicatesSkipped,
              positionsRebuilt: r.positionsRebuilt,
              check: r.check,
            },
            text: lines.join('\n'),
            exitCode: r.skipped.length > 0 ? 1 : 0,
          };
        });
      }),
    );
}
