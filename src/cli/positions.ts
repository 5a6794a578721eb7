import type { Command } from 'commander';
import { formatPrice } from '../instruments/prices.js';
import type { PositionJson } from '../trades/trades.service.js';
import { type CliDeps, commandRunner, type GlobalOptions, usageError, withGlobalOptions } from './context.js';
import {
  displayFlags,
  type FilterOptions,
  filterOf,
  localTime,
  money,
  table,
  withExistingJournal,
  withFilterOptions,
  zoneNote,
} from './trades-shared.js';

const HEADERS = [
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
  'points (total)',
  'gross',
  'comm.',
  'net',
];

/**
 * The positions as a text table: times on the display zone's wall clock, prices to the instrument's tick
 * (src/instruments/prices.ts), points over all contracts of the position.
 */
function positionsText(list: PositionJson[], zone: string, ticks: (root: string) => number | undefined, nowMs: number): string {
  const rows = list.map((p) => {
    const tick = ticks(p.root);
    return [
      p.id,
      p.account,
      p.instrument,
      p.side,
      p.status,
      localTime(p.openedAt, zone),
      localTime(p.closedAt, zone),
      p.maxQuantity,
      formatPrice(p.avgEntryPrice, tick),
      formatPrice(p.avgExitPrice, tick),
      p.status === 'open' ? '' : formatPrice(p.pointsPnl, tick),
      money(p.grossPnl),
      money(p.commission),
      money(p.netPnl),
    ];
  });
  return `${table(HEADERS, rows)}\n(${zoneNote(zone, nowMs)}; prices to the tick, ≈ where an average falls between ticks; gross before commission, net after)`;
}

export function register(program: Command, deps: CliDeps): void {
  const runCommand = commandRunner(deps);
  withFilterOptions(withGlobalOptions(program.command('positions')))
    .description('positions, oldest first')
    .option('--status <open|closed>', 'only open or only closed positions')
    .option('--rebuild', 'rebuild every position from the executions first (after changing instrument settings)')
    .action((opts: GlobalOptions & FilterOptions & { status?: string; rebuild?: boolean }) =>
      runCommand(
        opts,
        (ctx) => {
          const filter = filterOf(opts, ctx.clock.now());
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
            const registry = service.registry();
            const ticks = (root: string) => (registry.has(root) ? registry.get(root).tickSize : undefined);
            const zone = service.displayTimezone().zone;
            return { json: list, text: list.length === 0 ? 'no positions' : positionsText(list, zone, ticks, ctx.clock.now()) };
          });
        },
        displayFlags(opts),
      ),
    );
}
