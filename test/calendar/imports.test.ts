import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CALENDAR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/calendar');

test('src/calendar imports no domain, only itself and libraries', () => {
  const files = fs.readdirSync(CALENDAR).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 2, 'the calendar module exists');
  const found: string[] = [];
  for (const f of files) {
    const text = fs.readFileSync(path.join(CALENDAR, f), 'utf8');
    for (const m of text.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/g)) {
      const spec = (m[1] ?? m[2]) as string;
      // Relative imports must stay inside src/calendar; bare specifiers are libraries or node: modules.
      if (spec.startsWith('.') && !path.resolve(CALENDAR, spec).startsWith(`${CALENDAR}${path.sep}`)) found.push(`${f}: ${spec}`);
    }
  }
  assert.deepEqual(found, []);
});
