import type { Command } from 'commander';
import { currentVersion } from '../db/migrate.js';
import { openStore } from '../db/store.js';
import { type GlobalOptions, runCommand, withGlobalOptions } from './context.js';

export function register(program: Command): void {
  withGlobalOptions(program.command('migrate'))
    .description('apply pending migrations after a verified backup')
    .action((opts: GlobalOptions) =>
      runCommand(opts, (ctx) => {
        const store = openStore(ctx.paths, { logger: ctx.logger, migrate: true });
        const version = currentVersion(store.journal);
        store.close();
        const journal = store.migrations.find((m) => m.db === 'journal');
        const all = store.migrations;
        const from = journal?.from ?? version;
        const to = journal?.to ?? version;
        return {
          json: {
            from,
            to,
            backup: journal?.backup?.file ?? null,
            databases: all.map((m) => ({ db: m.db, from: m.from, to: m.to, applied: m.applied, backup: m.backup?.file ?? null })),
          },
          text:
            all.length === 0
              ? 'schema is up to date'
              : all
                  .map((m) => `${m.db}: ${m.from} → ${m.to} (${m.applied.join(', ')})${m.backup ? `; backup ${m.backup.file}` : ''}`)
                  .join('\n'),
        };
      }),
    );
}
