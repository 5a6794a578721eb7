import type { Command } from 'commander';
import type { Stats } from '../trades/stats.js';
import { type CliDeps, commandRunner, type GlobalOptions, withGlobalOptions } from './context.js';
import {
  displayFlags,
  type FilterOptions,
  filterOf,
  groupByOf,
  money,
  table,
  withExistingJournal,
  withFilterOptions,
  zoneNote,
} from './trades-shared.js';

function summary(s: Stats): string {
  const pct = s.winRate === null ? '-' : `${(s.winRate * 100).toFixed(1)}%`;
  return [
    `positions ${s.positions} (wins ${s.wins}, losses ${s.losses}, breakeven ${s.breakeven}), win rate ${pct} (by net P&L)`,
    `net P&L ${money(s.netPnl)} = gross ${money(s.grossPnl)} − commission ${money(s.commission)}`,
    `profit factor ${s.profitFactor ?? '-'}, expectancy ${money(s.expectancy)} per position`,
    `avg win ${money(s.avgWin)}, avg loss ${money(s.avgLoss)}, largest win ${money(s.largestWin)}, largest loss ${money(s.largestLoss)}`,
    `max drawdown ${money(s.maxDrawdown)}, longest streaks: ${s.longestWinStreak} wins, ${s.longestLossStreak} losses`,
  ].join('\n');
}

export function register(program: Command, deps: CliDeps): void {
  const runCommand = commandRunner(deps);
  withFilterOptions(withGlobalOptions(program.command('stats')))
    .description('performance statistics of closed positions (net of commission unless labelled gross)')
    .option(
      '--by <grouping>',
      'group by day|week|month|instrument|contract|account|side|hour (day = CME trading day, hour of the display zone)',
    )
    .action((opts: GlobalOptions & FilterOptions & { by?: string }) =>
      runCommand(
        opts,
        (ctx) => {
          const by = groupByOf(opts.by);
          const filter = filterOf(opts, ctx.clock.now());
          return withExistingJournal(ctx, (service) => {
            const s = service.stats(filter, by ? { by } : {});
            const groups = s.groups
              ? `\n\n${table(
                  [by ?? '', 'positions', 'win rate', 'gross', 'comm.', 'net', 'profit f.', 'max DD'],
                  s.groups.map((g) => [
                    g.key,
                    g.positions,
                    g.winRate === null ? null : `${(g.winRate * 100).toFixed(1)}%`,
                    money(g.grossPnl),
                    money(g.commission),
                    money(g.netPnl),
                    g.profitFactor,
                    money(g.maxDrawdown),
                  ]),
                )}`
              : '';
            // Hours are those of the display zone (the service's default), named under the table.
            const note = by === 'hour' && s.hourZone ? `\n(hour opened, ${zoneNote(s.hourZone, ctx.clock.now())})` : '';
            return { json: s, text: summary(s) + groups + note };
          });
        },
        displayFlags(opts),
      ),
    );
}
