#!/usr/bin/env node
// Part of `npm run build`: tsc emits only JavaScript, so copy every other file under src/ (SQL migrations, templates,
// static files) to the same place under dist/, where the compiled code looks for it next to itself.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');
let copied = 0;
function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (!/\.(ts|tsx|mts|cts)$/.test(e.name)) {
      const dest = path.join(dist, path.relative(src, p));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(p, dest);
      copied++;
    }
  }
}
walk(src);
console.log(`copied ${copied} non-TypeScript file(s) from src/ to dist/`);
