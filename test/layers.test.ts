import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { LAYER_RULES } from '../src/layers.js';
import { ROOT } from './helpers/cli.js';
import { checkLayers, describe } from './helpers/layers.js';
import { tempDir } from './helpers/tmp.js';

// The layer rules of src/layers.ts against every import of every module under src/ (the project charter's
// "Layers"), and the checker itself against a tree of forbidden imports of every form.

test('every module under src/ keeps the layer rules of src/layers.ts', () => {
  const r = checkLayers(ROOT);
  assert.deepEqual(r.violations.map(describe), []);
  assert.deepEqual(r.unassigned, [], 'every directory under src/ belongs to a layer in src/layers.ts');
  // Not vacuous: the modules and imports the rules were checked against.
  assert.ok(r.modules.length > 90, `${r.modules.length} modules`);
  assert.ok(r.modules.includes('src/trades/legacy-import.ts') && r.modules.includes('src/web/public/js/common.js'));
  assert.ok(r.imports.length > 400, `${r.imports.length} imports`);
  assert.ok(r.imports.some((i) => i.file === 'src/db/open.ts' && i.target?.kind === 'package' && i.target.name === 'better-sqlite3'));
  assert.ok(
    r.imports.some((i) => i.file === 'src/cli/program.ts' && i.specifier === './serve.js'),
    'dynamic import() is seen',
  );
});

function write(root: string, file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.writeFileSync(path.join(root, file), text);
}

test('the layer check fails on a forbidden import of every form, names file, line and rule, and passes allowed ones', (t) => {
  const root = tempDir(t);
  // Allowed: domain → db, base and another domain; faces → anything; db → base; application → domains.
  write(
    root,
    'src/trades/ok.ts',
    "import type { Db } from '../db/open.js';\nimport { AppError } from '../errors.js';\nimport { x } from '../instruments/instruments.js';\n",
  );
  write(root, 'src/cli/ok.ts', "import { a } from '../trades/ok.js';\nimport { b } from '../web/app.js';\n");
  write(root, 'src/db/ok.ts', "import Database from 'better-sqlite3';\nimport { AppError } from '../errors.js';\n");
  write(root, 'src/legacy/ok.ts', "import { a } from '../trades/ok.js';\nimport { b } from '../market-data/service.js';\n");
  write(root, 'src/errors.ts', "import fs from 'node:fs';\n");
  write(root, 'src/web/public/js/ok.js', "import { c } from './common.js';\n");
  // Forbidden, one per form.
  write(root, 'src/trades/bad.ts', "import { x } from 'y';\n\nimport {\n  BarsRepo,\n} from '../market-data/bars.repo.js';\n");
  write(root, 'src/trades/types.ts', "export type { Bar } from '../market-data/bars.repo.js';\n");
  write(root, 'src/db/bad.ts', "import type { Position } from '../trades/positions.js';\n");
  write(root, 'src/market-data/lazy.ts', "export async function f() {\n  return import('../web/app.js');\n}\n");
  write(root, 'src/instruments/cjs.ts', "import cli = require('../cli/main.js');\n");
  write(root, 'src/calendar/req.js', "const db = require('better-sqlite3');\n");
  write(root, 'src/demo/t.ts', "let s: typeof import('../cli/context.js');\n");
  write(root, 'src/config.ts', "export * from './db/open.js';\n");
  write(root, 'src/settings/dyn.ts', 'export const load = (name: string) => import(name);\n');
  write(root, 'src/web/public/js/bad.js', "import { h } from '../../app.js';\n");
  write(root, 'src/stray/x.ts', '\n');

  const r = checkLayers(root);
  const rule = (start: string) => LAYER_RULES.find((x) => x.rule.startsWith(start))?.rule;
  assert.deepEqual(
    r.violations.map((v) => [v.file, v.line, v.specifier, v.rule]),
    [
      ['src/calendar/req.js', 1, 'better-sqlite3', rule('only src/db opens SQLite')],
      ['src/config.ts', 1, './db/open.js', rule('base modules')],
      ['src/db/bad.ts', 1, '../trades/positions.js', rule('src/db never imports domain')],
      ['src/demo/t.ts', 1, '../cli/context.js', rule('domain and application code never import')],
      ['src/instruments/cjs.ts', 1, '../cli/main.js', rule('domain and application code never import')],
      ['src/market-data/lazy.ts', 2, '../web/app.js', rule('domain and application code never import')],
      ['src/settings/dyn.ts', 1, 'name', 'a computed import() cannot be checked against the layer rules: name the module'],
      ['src/trades/bad.ts', 3, '../market-data/bars.repo.js', rule('src/trades never imports src/market-data')],
      ['src/trades/types.ts', 1, '../market-data/bars.repo.js', rule('src/trades never imports src/market-data')],
      ['src/web/public/js/bad.js', 1, '../../app.js', rule("the browser's scripts")],
    ],
  );
  assert.deepEqual(r.unassigned, ['src/stray/']);
  assert.match(
    describe(r.violations[7] as (typeof r.violations)[number]),
    /^src\/trades\/bad\.ts:3 imports '\.\.\/market-data\/bars\.repo\.js': /,
  );
});
