import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BIN, cleanEnv, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// A command run without --data-dir in the wrong folder (issue 9 §3.11): the commands that only read say there is no
// data directory (or no journal) there, name the path they looked at and how to point elsewhere, exit 2 and create
// nothing. The commands that create (import, migrate, ohlc import, serve, demo) still create it.

const CSV = path.join(ROOT, 'test', 'fixtures', 'ninjatrader', 'two-accounts.csv');

function run(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(env), encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const READERS = [
  ['positions'],
  ['stats'],
  ['ohlc', 'bars', 'MNQ', '--timeframe', '1h'],
  ['ohlc', 'coverage'],
  ['backups'],
  ['import', '--history'],
];

test('read-only commands in a folder without ./data exit 2 with TL_DB_MISSING naming the path, and create nothing', (t) => {
  const cwd = tempDir(t);
  const dataDir = path.join(fs.realpathSync(cwd), 'data');
  for (const args of READERS) {
    const r = run(cwd, args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}`);
    assert.equal(r.stdout, '', 'no zeros printed');
    assert.match(r.stderr, new RegExp(`^error TL_DB_MISSING: No tradelog data directory at ${dataDir}: it does not exist\\.$`, 'm'));
    assert.match(r.stderr, /^fix: Point --data-dir or TRADELOG_DATA_DIR at your data directory/m);
    const json = run(cwd, [...args, '--json']);
    assert.equal(json.status, 2);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string; details: { path: string } } }).error.details.path, dataDir);
  }
  // TRADELOG_DATA_DIR pointing at a directory that is not there: the same, with that path.
  const elsewhere = path.join(cwd, 'elsewhere');
  const r = run(cwd, ['positions'], { TRADELOG_DATA_DIR: elsewhere });
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`No tradelog data directory at ${fs.realpathSync(cwd)}/elsewhere`));
  // The doctor looks and says so (a warning: serve would create it), creating nothing either.
  const doctor = run(cwd, ['doctor', '--json']);
  assert.equal(doctor.status, 0);
  const report = JSON.parse(doctor.stdout) as { status: string; findings: { code: string; severity: string; path: string }[] };
  assert.deepEqual(
    report.findings.map((f) => [f.code, f.severity, f.path]),
    [['TL_DB_MISSING', 'warn', dataDir]],
  );
  assert.equal(run(cwd, ['doctor', '--repair']).status, 0);
  assert.deepEqual(fs.readdirSync(cwd), [], 'nothing was created');
});

test('read-only commands on a data directory without a journal say so and create no database', (t) => {
  const cwd = tempDir(t);
  const dataDir = path.join(cwd, 'data');
  fs.mkdirSync(dataDir);
  const r = run(cwd, ['stats', '--data-dir', dataDir]);
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    new RegExp(`^error TL_DB_MISSING: No journal in the data directory ${dataDir}: ${dataDir}/db/journal\\.db does not exist\\.$`, 'm'),
  );
  assert.equal(run(cwd, ['ohlc', 'coverage', '--data-dir', dataDir]).status, 2);
  // backups only needs the directory: listing them is how a lost journal is restored.
  const backups = run(cwd, ['backups', '--json', '--data-dir', dataDir]);
  assert.equal(backups.status, 0, backups.stderr);
  assert.deepEqual(JSON.parse(backups.stdout), []);
  assert.deepEqual(fs.readdirSync(dataDir), []);
});

test('commands that create still create ./data: import, then the readers find it', (t) => {
  const cwd = tempDir(t);
  const imported = run(cwd, ['import', CSV, '--json']);
  assert.equal(imported.status, 0, imported.stderr);
  assert.ok(fs.existsSync(path.join(cwd, 'data', 'db', 'journal.db')));
  const positions = run(cwd, ['positions', '--json']);
  assert.equal(positions.status, 0, positions.stderr);
  assert.ok((JSON.parse(positions.stdout) as unknown[]).length > 0);
  for (const args of READERS) assert.equal(run(cwd, args).status, 0, args.join(' '));

  const other = tempDir(t);
  assert.equal(run(other, ['migrate']).status, 0);
  assert.ok(fs.existsSync(path.join(other, 'data', 'db', 'market.db')));
});
