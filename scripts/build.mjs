#!/usr/bin/env node
// `npm run build [-- --out-dir DIR]`: compile src/ to dist/ (or DIR) and copy every file tsc does not emit
// (SQL migrations, templates, static assets) beside the compiled JavaScript, so the built tree runs on its own
// (the Docker image ships dist/ without src/). The output directory is emptied first: a stale migration left in
// dist/ would otherwise be applied.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const args = process.argv.slice(2);
const flag = args.indexOf('--out-dir');
const outDir = path.resolve(flag >= 0 && args[flag + 1] ? args[flag + 1] : path.join(root, 'dist'));

if (outDir === root || root.startsWith(outDir + path.sep) || outDir === src || outDir.startsWith(src + path.sep)) {
  console.error(`build: refusing to use ${outDir} as the output directory (it would overwrite the sources)`);
  process.exit(2);
}
fs.rmSync(outDir, { recursive: true, force: true });

// The newest modification time under src/ when the build started; bin/tradelog runs the build only while no
// source file or folder is newer.
function newestMtime(dir) {
  let newest = fs.statSync(dir).mtimeMs;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}
const sourceStamp = newestMtime(src);

const tsc = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json'), '--outDir', outDir],
  {
    stdio: 'inherit',
  },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

let copied = 0;
function copyAssets(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, e.name);
    if (e.isDirectory()) copyAssets(from);
    else if (e.isFile() && !e.name.endsWith('.ts')) {
      const to = path.join(outDir, path.relative(src, from));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(from, to);
      copied++;
    }
  }
}
copyAssets(src);
fs.writeFileSync(path.join(outDir, '.source-stamp'), String(sourceStamp));
console.error(`build: compiled src/ to ${path.relative(process.cwd(), outDir) || '.'} and copied ${copied} other file(s)`);
