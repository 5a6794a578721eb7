import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ERROR_CATALOGUE } from '../src/errors.js';
import { ROOT } from './helpers/cli.js';

const SECTION_HEADINGS: Record<string, string> = {
  general: 'General',
  storage: 'Storage',
  instruments: 'Instruments',
  trades: 'Trades and import',
  market: 'Market data',
  web: 'Web app',
  docker: 'Docker entrypoint',
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|js|sh)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** code → {heading it is listed under, meaning, fix} from docs/errors.md. */
function documentedCodes(): Map<string, { heading: string; meaning: string; fix: string }> {
  const documented = new Map<string, { heading: string; meaning: string; fix: string }>();
  let heading = '';
  for (const line of fs.readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8').split('\n')) {
    const h = /^## (.+)$/.exec(line);
    if (h) heading = (h[1] as string).trim();
    const m = /^\|\s*`(TL_[A-Z0-9_]+)`\s*\|(.*)\|(.*)\|\s*$/.exec(line);
    if (m) documented.set(m[1] as string, { heading, meaning: (m[2] ?? '').trim(), fix: (m[3] ?? '').trim() });
  }
  return documented;
}

test('docs/errors.md lists exactly the catalogue, each code under its section with a meaning and a fix', () => {
  const documented = documentedCodes();
  const catalogue = Object.keys(ERROR_CATALOGUE).sort();
  assert.deepEqual([...documented.keys()].sort(), catalogue);
  for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
    const doc = documented.get(code);
    assert.equal(doc?.heading, SECTION_HEADINGS[entry.section], `${code} is listed under its section`);
    assert.ok(doc && doc.meaning.length > 10, `${code} has a meaning`);
    assert.ok(doc && doc.fix.length > 5, `${code} has a fix`);
    assert.ok(entry.status >= 400 && entry.status <= 599, `${code} has an error status`);
  }
});

test('every TL_ code written in the source or the Docker scripts is in the catalogue', () => {
  const used = new Set<string>();
  const dirs = ['src', 'docker'].map((d) => path.join(ROOT, d)).filter((d) => fs.existsSync(d));
  for (const file of dirs.flatMap(sourceFiles)) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/\b(TL_[A-Z0-9]+_[A-Z0-9_]+)\b/g)) used.add(m[1] as string);
  }
  assert.ok(used.size > 10, 'found the codes in the source');
  const unknown = [...used].filter((c) => !(c in ERROR_CATALOGUE)).sort();
  assert.deepEqual(unknown, [], `codes used but not in the catalogue: ${unknown.join(', ')}`);
});
