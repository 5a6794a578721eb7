import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { BIN, cleanEnv, runCli } from '../helpers/cli.js';
import { writeLargeCsv } from '../helpers/large-journal.js';
import { tempDir } from '../helpers/tmp.js';
import { fixture } from '../trades/helpers.js';

// The export commands through bin/tradelog: files, stdout, --json, exit codes and the error lines.

test('tradelog export writes CSV and JSON to --out or stdout, and import-export brings the journal into a new data dir', (t) => {
  const dir = tempDir(t);
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  assert.equal(runCli(['import', fixture('reversal.csv'), fixture('scale-grid.csv'), '--data-dir', a]).status, 0);

  const csvFile = path.join(dir, 'positions.csv');
  const r = runCli(['export', 'positions', '--out', csvFile, '--json', '--data-dir', a]);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual(summary, { what: 'positions', file: csvFile, bytes: fs.statSync(csvFile).size });
  const rows: Record<string, string>[] = parse(fs.readFileSync(csvFile, 'utf8'), { columns: true });
  const positions = JSON.parse(runCli(['positions', '--json', '--data-dir', a]).stdout);
  assert.deepEqual(
    rows.map((p) => [Number(p.id), p.account, Number(p.net_pnl), p.opened_at]),
    positions.map((p: { id: number; account: string; netPnl: number; openedAt: string }) => [p.id, p.account, p.netPnl, p.openedAt]),
  );
  assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')).length, 0, 'no temp file left');

  const stdout = runCli(['export', 'positions', '--data-dir', a]);
  assert.equal(stdout.status, 0);
  assert.equal(stdout.stdout, fs.readFileSync(csvFile, 'utf8'), 'stdout carries the same CSV');
  const bom = runCli(['export', 'stats', '--by', 'account', '--bom', '--data-dir', a]);
  assert.ok(bom.stdout.startsWith('\ufeff"account","positions"'), bom.stdout.slice(0, 40));

  const journal = path.join(dir, 'journal.json');
  assert.equal(runCli(['export', 'journal', '--out', journal, '--data-dir', a]).status, 0);
  const imported = runCli(['import-export', journal, '--json', '--data-dir', b]);
  assert.equal(imported.status, 0, imported.stderr);
  const result = JSON.parse(imported.stdout);
  assert.equal(result.positions, positions.length);
  assert.equal(result.executions, 9, '3 + 6 fills');
  assert.equal(runCli(['positions', '--json', '--data-dir', b]).stdout, runCli(['positions', '--json', '--data-dir', a]).stdout);

  // A second time into the same (no longer empty) data dir: refused, exit 2, the catalogue's error lines.
  const again = runCli(['import-export', journal, '--data-dir', b]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /^error TL_EXPORT_NOT_EMPTY: .*\nfix: Import the export into a new, empty data directory/m);
});

test('tradelog export refuses --json without --out, a bad filter and an unwritable --out, leaving nothing behind', (t) => {
  const dir = tempDir(t);
  const a = path.join(dir, 'a');
  assert.equal(runCli(['import', fixture('reversal.csv'), '--data-dir', a]).status, 0);
  const json = runCli(['export', 'positions', '--json', '--data-dir', a]);
  assert.equal(json.status, 2);
  assert.equal(JSON.parse(json.stdout).error.code, 'TL_CLI_USAGE');
  const filter = runCli(['export', 'executions', '--from', '2025-02-30', '--out', path.join(dir, 'x.csv'), '--data-dir', a]);
  assert.equal(filter.status, 2);
  assert.match(filter.stderr, /error TL_TRADES_BAD_FILTER/);
  const missing = runCli(['export', 'journal', '--out', path.join(dir, 'no', 'such', 'dir', 'j.json'), '--data-dir', a]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /error TL_EXPORT_WRITE_FAILED: Cannot write .*ENOENT/);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['a'], 'no file or temp file written');
  const side = runCli(['export', 'positions', '--side', 'up', '--data-dir', a]);
  assert.equal(side.status, 2);
  assert.match(side.stderr, /--side up is not long or short/);
});

test('tradelog export to a pipe that closes early (| head) stops quietly with exit 1, no stack trace', async (t) => {
  const dir = tempDir(t);
  const a = path.join(dir, 'a');
  const csv = path.join(dir, 'large.csv');
  writeLargeCsv(csv, 5_000);
  assert.equal(runCli(['import', csv, '--data-dir', a]).status, 0);
  const child = spawn(process.execPath, [BIN, 'export', 'executions', '--data-dir', a], { env: cleanEnv() });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  // Read the first piece, then close the pipe as `head` does.
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(status, 1, stderr);
  assert.match(stderr, /stdout was closed after \d+ bytes: the executions export stopped there/);
  assert.doesNotMatch(stderr, /EPIPE|at .*\.ts:\d+/);
});

test('tradelog export on a missing data directory exits 2 with TL_DB_MISSING and creates nothing', (t) => {
  const dir = tempDir(t);
  const missing = path.join(dir, 'nowhere');
  const r = runCli(['export', 'journal', '--out', path.join(dir, 'j.json'), '--data-dir', missing]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error TL_DB_MISSING/);
  assert.deepEqual(fs.readdirSync(dir), []);
});
