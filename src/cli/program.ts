import { Command, CommanderError } from 'commander';
import { systemClock } from '../clock.js';
import type { CliDeps } from './context.js';

/**
 * `tradelog <command>`: one file per command under src/cli/, each exporting `register(program, deps)`.
 * Commands call services; none of them runs SQL of its own.
 *
 * Only the module of the command being run is loaded (all of them for help and unknown names): loading every
 * command's services cost about 100 ms of each start, which `serve` in a container and every CLI call pay.
 */

type CommandModule = { register(program: Command, deps: CliDeps): void };

const MODULES: Record<string, () => Promise<CommandModule>> = {
  serve: () => import('./serve.js'),
  doctor: () => import('./doctor.js'),
  migrate: () => import('./migrate.js'),
  backup: () => import('./backup.js'),
  backups: () => import('./backup.js'),
  restore: () => import('./backup.js'),
  ohlc: () => import('./ohlc.js'),
  import: () => import('./import.js'),
  'import-legacy': () => import('./import-legacy.js'),
  positions: () => import('./positions.js'),
  stats: () => import('./stats.js'),
  demo: () => import('./demo.js'),
  export: () => import('./export.js'),
  'import-export': () => import('./import-export.js'),
  accounts: () => import('./accounts.js'),
  fees: () => import('./fees.js'),
  orders: () => import('./orders.js'),
};

/** Run the command `argv` names (`argv` as process.argv: node, script, command, …). */
export async function runCli(argv: readonly string[], deps: CliDeps = { clock: systemClock }): Promise<void> {
  // Trading records are private: files tradelog creates (databases and their -wal/-shm, backups, logs, quarantine)
  // are rw for the owner, r for the group, nothing for others (0640; directories 0750), as in the Docker image.
  process.umask(0o027);

  const program = new Command()
    .name('tradelog')
    .description('Self-hosted trading journal for futures traders')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();

  const name = argv[2];
  const wanted =
    name !== undefined && Object.hasOwn(MODULES, name) ? [MODULES[name] as () => Promise<CommandModule>] : Object.values(MODULES);
  const loaded = new Set<CommandModule>();
  for (const load of wanted) {
    const mod = await load();
    if (!loaded.has(mod)) mod.register(program, deps);
    loaded.add(mod);
  }

  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; usage errors exit 2 (docs/interface.md: bad arguments).
      process.exitCode = err.exitCode === 0 ? 0 : 2;
    } else {
      throw err;
    }
  }
}
