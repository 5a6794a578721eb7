// The tradelog CLI with its clock pinned: `node --import tsx cli-at.ts <epoch ms> <command> [args…]` runs the same
// program as bin/tradelog (src/cli/program.ts), built with a manual clock standing at that instant, so a child
// process (`serve`, `demo`, `ohlc update`) decides by the same "now" as the test that started it.
import { runCli } from '../../../src/cli/program.js';
import { manualClock } from '../../../src/clock.js';

const [node = process.execPath, script = '', at = '', ...rest] = process.argv;
await runCli([node, script, ...rest], { clock: manualClock(Number(at)) });
