import { Command, CommanderError } from 'commander';
import * as backup from './backup.js';
import * as demo from './demo.js';
import * as doctor from './doctor.js';
import * as importCmd from './import.js';
import * as importLegacy from './import-legacy.js';
import * as migrate from './migrate.js';
import * as ohlc from './ohlc.js';
import * as positions from './positions.js';
import * as serve from './serve.js';
import * as stats from './stats.js';

/**
 * `tradelog <command>`: one file per command under src/cli/, each exporting `register(program)`.
 * Commands call services; none of them runs SQL of its own.
 */
const program = new Command()
  .name('tradelog')
  .description('Self-hosted trading journal for futures traders')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

for (const mod of [serve, doctor, migrate, backup, ohlc, importCmd, importLegacy, positions, stats, demo]) mod.register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; usage errors exit 2 (docs/interface.md: bad arguments).
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    throw err;
  }
}
