#!/usr/bin/env node
// Runs the whole suite: type check, lint, then every test/**/*.test.ts under node:test (through tsx).
// Usage: npm test [-- <file or substring>...]  — arguments narrow the test files and skip the static checks.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
const filters = process.argv.slice(2);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function find(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...find(p));
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

if (filters.length === 0) {
  run('node_modules/.bin/tsc', ['--noEmit', '-p', 'tsconfig.json']);
  run('node_modules/.bin/biome', ['check', '.']);
}
const files = find('test')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files match', filters);
  process.exit(2);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
run(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files]);
