/**
 * `npm run soak [-- --runs N] [--seed S] [--keep]`: the crash soak of test/helpers/crash-soak.ts, 200 runs by
 * default: the real server under a mixed load, killed with SIGKILL at random moments and restarted. Prints the seed
 * first (pass it back with --seed to replay the same kill moments), a line per run and the figures; exits 1 on any
 * failure. The data directory is removed afterwards unless --keep (or a failure) says otherwise.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatSoakReport, runSoak } from '../test/helpers/crash-soak.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '200' }, seed: { type: 'string' }, keep: { type: 'boolean', default: false } },
});
const runs = Number(values.runs);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error('usage: npm run soak -- [--runs N] [--seed S] [--keep]');
  process.exit(2);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-soak-'));
console.log(`crash soak: seed ${seed}, ${runs} runs, data in ${dir}`);
const report = await runSoak({ runs, seed, dataDir: path.join(dir, 'data'), log: (line) => console.log(line) });
console.log(formatSoakReport(report));
if (report.failures.length === 0 && !values.keep) fs.rmSync(dir, { recursive: true, force: true });
else console.log(`data kept in ${dir}`);
process.exit(report.failures.length === 0 ? 0 : 1);
