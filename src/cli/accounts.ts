import type { Command } from 'commander';
import { openStore } from '../db/store.js';
import { type AccountsService, createAccountsService } from '../trades/accounts.service.js';
import { type CliDeps, type CommandContext, commandRunner, type GlobalOptions, withGlobalOptions } from './context.js';
import { table } from './trades-shared.js';

/** `tradelog accounts list|alias|set`: the account registry (docs/accounts.md). */
function withAccounts<T>(ctx: CommandContext, body: (service: AccountsService) => T): T {
  const store = openStore(ctx.paths, { logger: ctx.logger, create: false });
  try {
    return body(createAccountsService({ journal: store.journal, importTimezone: ctx.config.importTimezone }));
  } finally {
    store.close();
  }
}

export function register(program: Command, deps: CliDeps): void {
  const runCommand = commandRunner(deps);
  const accounts = program.command('accounts').description('the account registry: names, spellings (aliases), platform, firm, currency');

  withGlobalOptions(accounts.command('list'))
    .description('every account with the spellings its files use, and spellings that look like another account')
    .action((opts: GlobalOptions) =>
      runCommand(opts, (ctx) =>
        withAccounts(ctx, (service) => {
          const r = service.list();
          const rows = table(
            ['account', 'platform', 'firm', 'currency', 'spellings'],
            r.accounts.map((a) => [a.name, a.platform, a.firm, a.currency, a.aliases.join(', ')]),
          );
          const hints = r.suggestions.map(
            (s) => `"${s.alias}" looks like "${s.account}": tradelog accounts alias "${s.alias}" "${s.account}"`,
          );
          return { json: r, text: r.accounts.length === 0 ? 'no accounts' : [rows, ...hints].join('\n') };
        }),
      ),
    );

  withGlobalOptions(accounts.command('alias'))
    .description("make SPELLING one of ACCOUNT's spellings: its fills count for ACCOUNT (positions are rebuilt)")
    .argument('<spelling>', 'an account as a file spells it, e.g. TEST-ACCT-001!Rithmic!Rithmic')
    .argument('<account>', 'the account it belongs to, e.g. TEST-ACCT-001')
    .action((spelling: string, account: string, opts: GlobalOptions) =>
      runCommand(opts, (ctx) =>
        withAccounts(ctx, (service) => {
          const r = service.alias(spelling, account);
          return {
            json: r,
            text: `"${spelling}" is a spelling of ${r.account.name} (${r.account.aliases.length} spellings); ${r.positionsRebuilt} positions rebuilt.`,
          };
        }),
      ),
    );

  withGlobalOptions(accounts.command('set'))
    .description('set an account’s name, platform, firm or currency (an account not yet seen is created)')
    .argument('<account>', 'the account (its name or any of its spellings)')
    .option('--name <name>', 'rename it')
    .option('--platform <platform>', 'where it trades (Tradovate, Rithmic, NinjaTrader, …); "" clears it')
    .option('--firm <firm>', 'the prop firm or broker (fee schedules can be per firm); "" clears it')
    .option('--currency <code>', 'three-letter currency code (default USD)')
    .action((account: string, opts: GlobalOptions & { name?: string; platform?: string; firm?: string; currency?: string }) =>
      runCommand(opts, (ctx) =>
        withAccounts(ctx, (service) => {
          const r = service.set(account, {
            ...(opts.name === undefined ? {} : { name: opts.name }),
            ...(opts.platform === undefined ? {} : { platform: opts.platform }),
            ...(opts.firm === undefined ? {} : { firm: opts.firm }),
            ...(opts.currency === undefined ? {} : { currency: opts.currency }),
          });
          const a = r.account;
          return {
            json: r,
            text: `${a.name}: platform ${a.platform ?? '-'}, firm ${a.firm ?? '-'}, currency ${a.currency}; ${r.positionsRebuilt} positions rebuilt.`,
          };
        }),
      ),
    );
}
