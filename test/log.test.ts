import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../src/log.js';
import { need, needRoot } from './helpers/faults.js';
import { tempDir } from './helpers/tmp.js';

test('createLogger rotates the file past its size limit and keeps only the configured number of old files', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'logs', 'app.log');
  const log = createLogger({ file, maxBytes: 2000, keep: 2 });
  for (let i = 0; i < 200; i++) log.logger.info({ i }, 'a line of about a hundred bytes to fill the log file quickly');
  log.close();
  assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), ['app.1.log', 'app.2.log', 'app.log']);
  assert.ok(fs.statSync(file).size <= 2000);
  assert.equal(log.status().active, file);
  assert.match(fs.readFileSync(file, 'utf8'), /"i":199/);
});

test('createLogger switches to the console when the disk fills up (ENOSPC) and never throws', (t) => {
  if (!needRoot(t)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-mount-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]).status === 0;
  t.after(() => {
    if (mounted) spawnSync('umount', ['-l', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  if (!need(t, mounted, 'mount -t tmpfs was refused')) return;
  const consoleFile = path.join(tempDir(t), 'console.out');
  const consoleFd = fs.openSync(consoleFile, 'a');
  t.after(() => fs.closeSync(consoleFd));
  const log = createLogger({ file: path.join(dir, 'app.log'), consoleFd });
  for (let i = 0; i < 2000; i++) log.logger.info({ i }, 'filling the tiny filesystem until it is full');
  log.close();
  assert.equal(log.status().problem?.code, 'ENOSPC');
  assert.equal(log.status().active, undefined);
  const consoleText = fs.readFileSync(consoleFile, 'utf8');
  assert.match(consoleText, /File logging disabled: .* \(ENOSPC/);
  assert.match(consoleText, /"i":1999/, 'the lines after the failure reached the console');
});

test('createLogger keeps the file within its size limit when lines hold multi-byte characters', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'app.log');
  const log = createLogger({ file, maxBytes: 2000, keep: 1 });
  // Each line is about 190 characters but over 400 bytes: a limit checked in characters lets the file pass 2000 bytes.
  for (let i = 0; i < 50; i++) log.logger.info({ i }, `Überweisung ${'€'.repeat(120)}`);
  log.close();
  for (const name of fs.readdirSync(dir)) assert.ok(fs.statSync(path.join(dir, name)).size <= 2000, `${name} is within 2000 bytes`);
  assert.match(fs.readFileSync(file, 'utf8'), /"i":49/);
});
