import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/cli.js';

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|js|sh)$/.test(e.name)) out.push(p);
  }
  return out;
}

test('docs/errors.md lists every TL_ code used in the source, each with a meaning and a fix', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
  const documented = new Map<string, string[]>();
  for (const line of doc.split('\n')) {
    const m = /^\|\s*`(TL_[A-Z0-9_]+)`\s*\|(.*)\|(.*)\|\s*$/.exec(line);
    if (m) documented.set(m[1] as string, [(m[2] ?? '').trim(), (m[3] ?? '').trim()]);
  }
  const used = new Set<string>();
  const dirs = ['src', 'docker'].map((d) => path.join(ROOT, d)).filter((d) => fs.existsSync(d));
  for (const file of dirs.flatMap(sourceFiles)) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/['"`](TL_[A-Z0-9]+_[A-Z0-9_]+)['"`]/g)) used.add(m[1] as string);
  }
  assert.ok(used.size > 10, 'found the codes in the source');
  const missing = [...used].filter((c) => !documented.has(c)).sort();
  assert.deepEqual(missing, [], `codes used but not in docs/errors.md: ${missing.join(', ')}`);
  for (const [code, [meaning, fix]] of documented) {
    assert.ok(meaning && meaning.length > 10, `${code} has a meaning`);
    assert.ok(fix && fix.length > 5, `${code} has a fix`);
  }
});
