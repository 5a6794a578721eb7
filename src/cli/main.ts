import { runCli } from './program.js';

/** The entry point bin/tradelog runs: the CLI on the system clock. */
await runCli(process.argv);
