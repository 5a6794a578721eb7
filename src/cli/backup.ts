import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { backupDatabase, listBackups, pruneBackups, restoreBackup } from '../db/backup.js';
import { formatBytes } from '../db/fs-info.js';
import { openStore, requireDataDir } from '../db/store.js';
import { AppError } from '../errors.js';
import { type CliDeps, commandRunner, type GlobalOptions, withGlobalOptions } from './context.js';

export function register(program: Command, deps: CliDeps): void {
  const runCommand = commandRunner(deps);
  withGlobalOptions(program.command('backup'))
    .description('online, verified backup of journal.db (and market.db with --all)')
    .option('--all', 'also back up market.db (bars can be downloaded again, so it is optional)')
    .action((opts: GlobalOptions & { all?: boolean }) =>
      runCommand(opts, (ctx) => {
        // A wrong --data-dir must not create empty databases and "back them up".
        if (!fs.existsSync(ctx.paths.journalDb)) {
          throw new AppError('TL_DB_MISSING', `There is no journal to back up: ${ctx.paths.journalDb} does not exist.`, {
            status: 404,
            remedy: 'Check --data-dir / TRADELOG_DATA_DIR: it must name the directory tradelog serve uses.',
            details: { path: ctx.paths.journalDb },
          });
        }
        const store = openStore(ctx.paths, { logger: ctx.logger, migrate: false });
        try {
          const dbs = opts.all ? [store.journal, store.market] : [store.journal];
          const files = dbs.map((db) =>
            backupDatabase(db, { backupsDir: ctx.paths.backupsDir, kind: 'manual', now: new Date(ctx.clock.now()) }),
          );
          const pruned = pruneBackups(ctx.paths.backupsDir);
          return {
            json: { files: files.map((f) => ({ file: f.file, bytes: f.bytes, verified: f.verified })), pruned },
            text: [
              ...files.map((f) => `backed up ${f.db} → ${f.file} (${formatBytes(f.bytes)}, verified)`),
              ...pruned.map((p) => `removed old backup ${p}`),
            ].join('\n'),
          };
        } finally {
          store.close();
        }
      }),
    );

  withGlobalOptions(program.command('backups'))
    .description('list backups, newest first')
    .action((opts: GlobalOptions) =>
      runCommand(opts, (ctx) => {
        requireDataDir(ctx.paths, 'dir');
        const list = listBackups(ctx.paths.backupsDir);
        return {
          json: list.map((b) => ({
            file: b.file,
            createdAt: b.createdAt,
            bytes: b.bytes,
            schemaVersion: b.schemaVersion,
            db: b.db,
            kind: b.kind,
          })),
          text:
            list.length === 0
              ? `no backups in ${ctx.paths.backupsDir}`
              : list
                  .map(
                    (b) =>
                      `${b.createdAt}  ${b.db.padEnd(7)} ${b.kind.padEnd(13)} v${b.schemaVersion}  ${formatBytes(b.bytes).padStart(9)}  ${b.file}`,
                  )
                  .join('\n'),
        };
      }),
    );

  withGlobalOptions(program.command('restore'))
    .description('restore a backup; the current files move to quarantine/ first')
    .argument('<file>', 'backup file (see "tradelog backups")')
    .option('--yes', 'confirm: replace the current database with the backup')
    .action((file: string, opts: GlobalOptions & { yes?: boolean }) =>
      runCommand(opts, (ctx) => {
        const base = path.basename(file);
        const which = base.startsWith('market-') ? 'market' : base.startsWith('journal-') ? 'journal' : undefined;
        if (!which) {
          throw new AppError('TL_BACKUP_UNKNOWN_FILE', `${file} is not a tradelog backup name (journal-… or market-…).`, {
            remedy: 'Pass a file listed by "tradelog backups".',
          });
        }
        const resolved = path.isAbsolute(file) || file.includes('/') ? path.resolve(file) : path.join(ctx.paths.backupsDir, file);
        const target = which === 'market' ? ctx.paths.marketDb : ctx.paths.journalDb;
        if (!opts.yes) {
          throw new AppError('TL_CLI_CONFIRM', `Restoring replaces ${target} with ${resolved}.`, {
            remedy: 'Stop the app, then run the same command with --yes. The current files are moved to quarantine/, not deleted.',
          });
        }
        const result = restoreBackup(resolved, target, ctx.paths.quarantineDir, new Date(ctx.clock.now()));
        // Open once as the app does: the doctor's checks run on the next start; this proves the file opens and migrates.
        const store = openStore(ctx.paths, { logger: ctx.logger });
        store.close();
        return {
          json: { restored: result.restored, quarantined: result.quarantined },
          text: [`restored ${result.restored} → ${result.into}`, ...result.quarantined.map((q) => `moved aside: ${q}`)].join('\n'),
        };
      }),
    );
}
