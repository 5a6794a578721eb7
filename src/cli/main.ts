import { runCli } from './program.js';

/**
 * The entry point bin/tradelog runs: the CLI on the system clock.
 *
 * No top-level await: the build bundles this file as CommonJS (scripts/build.mjs). A failure is an unhandled
 * rejection, which prints the error and exits 1, as a failed top-level await did.
 */
void runCli(process.argv);
