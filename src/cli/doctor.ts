import type { Command } from 'commander';
import { exitCodeFor, formatReport, parseOwner, runDoctor } from '../db/doctor.js';
import { repairDataDir } from '../db/repair.js';
import { type GlobalOptions, runCommand, usageError, withGlobalOptions } from './context.js';

export function register(program: Command): void {
  withGlobalOptions(program.command('doctor'))
    .description('start-up self-check of the data directory; --repair does only safe fixes')
    .option(
      '--repair',
      'checkpoint a pending WAL, move stray sidecars to quarantine/, fix ownership (as root), convert the journal mode where WAL cannot work',
    )
    .option('--owner <uid:gid>', 'owner for --repair as root (default: PUID/PGID, else the data directory owner)')
    .option('--full', 'full integrity_check instead of quick_check (slower)')
    .action((opts: GlobalOptions & { repair?: boolean; owner?: string; full?: boolean }) =>
      runCommand(opts, (ctx) => {
        const owner = opts.owner === undefined ? undefined : parseOwner(opts.owner);
        if (opts.owner !== undefined && !owner) {
          throw usageError(`--owner ${opts.owner} is not UID:GID.`, 'Give numeric ids, e.g. --owner 1000:1000.');
        }
        const options = {
          logFile: ctx.config.logFile,
          logStatus: ctx.appLogger.status(),
          fullIntegrity: Boolean(opts.full),
          owner,
        };
        const report = opts.repair ? repairDataDir(ctx.paths, options) : runDoctor(ctx.paths, options);
        const refused = Boolean(report.repair?.refused);
        return {
          json: report,
          text: formatReport(report),
          exitCode: Math.max(exitCodeFor(report.status), refused ? 1 : 0) as 0 | 1 | 2,
        };
      }),
    );
}
