import type { Command } from 'commander';
import { type GlobalOptions, runCommand, usageError, withGlobalOptions } from './context.js';
import { type FilterOptions, filterOf, money, table, withExistingJournal, withFilterOptions } from './trades-shared.js';

export function register(program: Command): void {
  withFilterOptions(withGlobalOptions(program.command('positions')))
    .description('positions, oldest first')
    .option('--status <open|closed>', 'only open or only closed positions')
    .option('--rebuild', 'rebuild every position from the executions first (after changing instrument settings)')
    .action((opts: GlobalOptions & FilterOptions & { status?: string; rebuild?: boolean }) =>
      runCommand(opts, (ctx) => {
        const filter = filterOf(opts);
        if (opts.status !== undefined) {
          if (opts.status !== 'open' && opts.status !== 'closed')
            throw usageError(`--status ${opts.status} is not open or closed.`, 'Use --status open or --status closed.');
          filter.status = opts.status;
        }
        return withExistingJournal(ctx, (service) => {
          if (opts.rebuild) {
            const r = service.rebuildAll();
            ctx.note(`rebuilt ${r.positions} positions in ${r.books} books`);
          }
          const list = service.listPositions(filter);
          return {
            json: list,
            text:
              list.length === 0
                ? 'no positions'
                : `${table(
                    [
                      'id',
                      'account',
                      'instrument',
                      'side',
                      'status',
                      'opened',
                      'closed',
                      'max',
                      'avg entry',
                      'avg exit',
                      'points',
                      'gross',
                      'comm.',
                      'net',
                    ],
                    list.map((p) => [
                      p.id,
                      p.account,
                      p.instrument,
                      p.side,
                      p.status,
                      p.openedAt.slice(0, 19).replace('T', ' '),
                      p.closedAt ? p.closedAt.slice(0, 19).replace('T', ' ') : '',
                      p.maxQuantity,
                      p.avgEntryPrice,
                      p.avgExitPrice,
                      p.pointsPnl,
                      money(p.grossPnl),
                      money(p.commission),
                      money(p.netPnl),
                    ]),
                  )}\n(times UTC; gross before commission, net after)`,
          };
        });
      }),
    );
}
