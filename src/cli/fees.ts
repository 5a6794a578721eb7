import type { Command } from 'commander';
import { openStore } from '../db/store.js';
import { COST_KINDS } from '../trades/fees.js';
import { createFeesService, type FeeChange, type FeePreview, type FeeScheduleInput, type FeesService } from '../trades/fees.service.js';
import { type CliDeps, type CommandContext, commandRunner, type GlobalOptions, usageError, withGlobalOptions } from './context.js';
import { money, table } from './trades-shared.js';

/** `tradelog fees list|set|preview|remove`: fee schedules (docs/fees.md). */
function withFees<T>(ctx: CommandContext, body: (service: FeesService) => T): T {
  const store = openStore(ctx.paths, { logger: ctx.logger, create: false });
  try {
    return body(createFeesService({ journal: store.journal, importTimezone: ctx.config.importTimezone }));
  } finally {
    store.close();
  }
}

type ScheduleOptions = GlobalOptions & {
  account?: string;
  firm?: string;
  root?: string;
  side?: string;
  from?: string;
} & Partial<Record<(typeof COST_KINDS)[number], string>>;

function withScheduleOptions(cmd: Command): Command {
  let c = cmd
    .option('--account <account>', 'for this account (a name or any of its spellings)')
    .option('--firm <firm>', 'for every account of this firm (tradelog accounts set ACCOUNT --firm FIRM)')
    .option('--root <root>', 'instrument root, or * for every root')
    .option('--side <side>', 'buy, sell or both (default both)')
    .option('--from <day>', 'first CME trading day it applies to, YYYY-MM-DD');
  for (const k of COST_KINDS) c = c.option(`--${k} <dollars>`, `${k} per contract, in dollars (default 0)`);
  return c;
}

function inputOf(o: ScheduleOptions): FeeScheduleInput {
  if (!o.root) throw usageError('--root is missing.', 'Give the instrument root (--root MNQ) or --root "*" for every root.');
  if (!o.from) throw usageError('--from is missing.', 'Give the first trading day the schedule applies to: --from 2026-01-02.');
  if (o.side !== undefined && o.side !== 'buy' && o.side !== 'sell' && o.side !== 'both')
    throw usageError(`--side ${o.side} is not buy, sell or both.`, 'Use --side buy, --side sell or --side both.');
  const amounts: FeeScheduleInput['amounts'] = {};
  for (const k of COST_KINDS) {
    const v = o[k];
    if (v === undefined) continue;
    if (!/^-?\d*\.?\d+$/.test(v.trim())) throw usageError(`--${k} ${v} is not an amount.`, `Give dollars per contract, e.g. --${k} 0.35.`);
    amounts[k] = Number(v);
  }
  return {
    ...(o.account === undefined ? {} : { account: o.account }),
    ...(o.firm === undefined ? {} : { firm: o.firm }),
    root: o.root,
    ...(o.side === undefined ? {} : { side: o.side as 'buy' | 'sell' | 'both' }),
    from: o.from,
    amounts,
  };
}

function previewText(p: FeePreview, done: boolean): string {
  return `${p.positionsChanged} of ${p.positions} positions in ${p.books} books ${done ? 'changed' : 'would change'}: costs ${money(p.costsBefore)} → ${money(p.costsAfter)}, net ${money(p.netBefore)} → ${money(p.netAfter)}.`;
}

function idOf(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw usageError(`${text} is not a schedule id.`, 'Give an id that "tradelog fees list" shows.');
  return Number(text);
}

export function register(program: Command, deps: CliDeps): void {
  const runCommand = commandRunner(deps);
  const fees = program.command('fees').description('fee schedules: costs for fills whose source states none');

  withGlobalOptions(fees.command('list'))
    .description('every fee schedule')
    .action((opts: GlobalOptions) =>
      runCommand(opts, (ctx) =>
        withFees(ctx, (service) => {
          const list = service.list();
          return {
            json: list,
            text:
              list.length === 0
                ? 'no fee schedules'
                : table(
                    ['id', 'account', 'firm', 'root', 'side', 'from', ...COST_KINDS, 'per contract'],
                    list.map((s) => [
                      s.id,
                      s.account,
                      s.firm,
                      s.root,
                      s.side,
                      s.effectiveFrom,
                      ...COST_KINDS.map((k) => money(s.amounts[k])),
                      money(s.perContract),
                    ]),
                  ),
          };
        }),
      ),
    );

  const change = (name: string, description: string, apply: boolean) =>
    withScheduleOptions(withGlobalOptions(fees.command(name)))
      .description(description)
      .action((opts: ScheduleOptions) =>
        runCommand(opts, (ctx) =>
          withFees(ctx, (service) => {
            const c: FeeChange = { set: inputOf(opts) };
            if (!apply) {
              const p = service.preview(c);
              return { json: p, text: previewText(p, false) };
            }
            const r = service.apply(c);
            return { json: r, text: `schedule ${r.schedule?.id} saved. ${previewText(r, true)}` };
          }),
        ),
      );
  change('preview', 'what setting this schedule would change (positions, costs, net P&L); nothing is saved', false);
  change('set', 'add a schedule, or replace the amounts of the one with the same account/firm, root, side and first day', true);

  withGlobalOptions(fees.command('remove'))
    .description('remove a schedule (its positions are recalculated)')
    .argument('<id>', 'the schedule id ("tradelog fees list")')
    .option('--preview', 'only say what would change')
    .action((id: string, opts: GlobalOptions & { preview?: boolean }) =>
      runCommand(opts, (ctx) =>
        withFees(ctx, (service) => {
          const c: FeeChange = { remove: idOf(id) };
          if (opts.preview) {
            const p = service.preview(c);
            return { json: p, text: previewText(p, false) };
          }
          const r = service.apply(c);
          return { json: r, text: `schedule ${id} removed. ${previewText(r, true)}` };
        }),
      ),
    );
}
