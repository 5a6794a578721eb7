#!/usr/bin/env node
// `npm run build [-- --out-dir DIR] [--if-stale]`: bundle src/ into dist/ (or DIR) with esbuild and copy every file
// that is not TypeScript (SQL migrations, templates, static assets) beside it, so the built tree runs on its own
// (the Docker image ships dist/ without src/). The new tree is written beside the output directory and swapped in
// whole: a stale migration never survives in it and a half-written build is never run.
//
// `--if-stale` (what `npm install` and `npm start` run) does nothing while the build is newer than everything under
// src/, and a failure only warns: bin/tradelog then runs the sources through tsx, as it does for any stale build.
//
// Layout of the output (what bin/tradelog, the Docker image and worker threads rely on):
// - cli/main.js is the entry point; what it loads on demand (`import()`: each command, and the modules the server
//   loads after it listens) are chunks under chunks/, so a start reads a few files instead of resolving about 800
//   modules one by one.
// - A module started by path (a worker thread's file, a child process's script) is emitted on its own at the path tsc
//   would give it: src/trades/parse.worker.ts → trades/parse.worker.js. Such modules are found three ways: files named
//   *.worker.ts, modules a source names as `new URL('./x.js', import.meta.url)` (or './x.ts'), and every module the
//   entry point's imports do not reach.
// - `import.meta.url` in a source module is the address tsc would have given the module (DIR/db/migrate.js), not the
//   chunk's: `new URL('./migrations/', import.meta.url)` and `new URL('./parse.worker.js', import.meta.url)` name the
//   same files in the bundle as in the tsc layout.
// - Packages are bundled too, except better-sqlite3 (a native addon) and the ones fastify loads only when asked
//   (schema compilers, inject()); those, and the files the code resolves by path at run time (the chart library),
//   are read from node_modules, which the image ships.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const args = process.argv.slice(2);
const flag = args.indexOf('--out-dir');
const outDir = path.resolve(flag >= 0 && args[flag + 1] ? args[flag + 1] : path.join(root, 'dist'));
const ifStale = args.includes('--if-stale');
const ENTRY = path.join(src, 'cli', 'main.ts');
const EXTERNAL = ['better-sqlite3', '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'light-my-request'];
const STAMP = '.source-stamp';
// Packages that a bundled package requires when it loads but calls only in cases the server never or rarely meets:
// they load on their first call instead of at start-up (each costs several ms of a start on two cores). `calls`:
// the functions the importer calls ('.' = the module itself); nothing else of theirs may be used. `bundle: false`:
// not even bundled (not parsed at start either), required from node_modules on that first call.
const LAZY = [
  // @fastify/static globs its root only with `wildcard: false`, which the app does not set.
  { from: '@fastify/static', name: 'glob', calls: ['glob'], bundle: false },
  // @fastify/send builds an HTTP error object only for a file it does not send.
  { from: '@fastify/send', name: 'http-errors', calls: ['.'] },
];

if (outDir === root || root.startsWith(outDir + path.sep) || outDir === src || outDir.startsWith(src + path.sep)) {
  console.error(`build: refusing to use ${outDir} as the output directory (it would overwrite the sources)`);
  process.exit(2);
}

/** Every file under `dir`. */
function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.isFile() ? [p] : [];
  });
}

/** The newest modification time under `dir`, folders included (a deleted file changes its folder). */
function newestMtime(dir) {
  let newest = fs.statSync(dir).mtimeMs;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** src/db/migrate.ts → "db/migrate.js": where tsc puts a module, relative to the output directory. */
const builtPath = (file) => path.relative(src, file).split(path.sep).join('/').replace(/\.ts$/, '.js');

/** Rewrites `import.meta.url` in the sources to the module's tsc-layout address (see the prelude in `write`). */
const metaUrlPlugin = {
  name: 'tradelog-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (a) => {
      if (!a.path.startsWith(src + path.sep)) return undefined;
      const text = await fs.promises.readFile(a.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const url = `new URL(${JSON.stringify(builtPath(a.path))}, __tradelogRoot).href`;
      return { contents: text.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

// Edits to bundled packages that remove a start-up cost without changing what they do on Node >= 20.10. A patch
// that no longer matches (the package changed) is reported and skipped: the build still works, only slower to start.
const PATCHES = [
  {
    // Reading globalThis.FormData (to decide whether to add req.formData()) loads Node's fetch implementation,
    // about 20 ms of a start; FormData always exists on the Node versions tradelog supports.
    file: 'node_modules/@fastify/multipart/index.js',
    find: 'if (globalThis.FormData && !fastify.hasRequestDecorator(',
    replace: 'if (!fastify.hasRequestDecorator(',
  },
];

const patchPlugin = {
  name: 'tradelog-patches',
  setup(b) {
    for (const patch of PATCHES) {
      let file;
      try {
        file = fs.realpathSync(path.join(root, patch.file));
      } catch {
        continue;
      }
      const basename = path.basename(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      b.onLoad({ filter: new RegExp(`${basename}$`) }, async (a) => {
        if (a.path !== file) return undefined;
        const text = await fs.promises.readFile(a.path, 'utf8');
        if (!text.includes(patch.find)) {
          console.error(`build: ${patch.file} no longer contains "${patch.find}"; left as it is`);
          return undefined;
        }
        return { contents: text.replace(patch.find, patch.replace), loader: 'js' };
      });
    }
  },
};

/** Replaces each LAZY package, where its importer requires it, by wrappers that load it on their first call. */
const lazyPlugin = {
  name: 'tradelog-lazy-packages',
  setup(b) {
    for (const [i, lazy] of LAZY.entries()) {
      const inside = `${path.sep}node_modules${path.sep}${lazy.from.split('/').join(path.sep)}${path.sep}`;
      b.onResolve({ filter: new RegExp(`^${lazy.name.replace(/[/.]/g, '\\$&')}$`) }, (a) => {
        if (a.namespace === `tradelog-lazy-${i}` && lazy.bundle === false) return { path: lazy.name, external: true };
        if (a.namespace !== 'file' || !a.importer.includes(inside)) return undefined;
        return { path: path.relative(root, a.importer), namespace: `tradelog-lazy-${i}`, pluginData: path.dirname(a.importer) };
      });
      b.onLoad({ filter: /.*/, namespace: `tradelog-lazy-${i}` }, (a) => {
        const call = (name) => (name === '.' ? 'load()(...args)' : `load()[${JSON.stringify(name)}](...args)`);
        const wrappers = lazy.calls.filter((n) => n !== '.').map((n) => `${JSON.stringify(n)}: (...args) => ${call(n)}`);
        const self = lazy.calls.includes('.') ? `(...args) => ${call('.')}` : '{}';
        return {
          contents: `let real;\nconst load = () => (real ??= require(${JSON.stringify(lazy.name)}));\nmodule.exports = Object.assign(${self}, { ${wrappers.join(', ')} });\n`,
          resolveDir: a.pluginData,
          loader: 'js',
        };
      });
    }
  },
};

/** The entry point, and every module started by path (see the header). */
async function entryPoints(build, options) {
  const sources = walk(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const named = new Set();
  for (const file of sources) {
    if (file.endsWith('.worker.ts')) named.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/new\s+URL\(\s*(['"`])(\.{1,2}\/[^'"`]+?)\.(?:js|ts)\1\s*,\s*import\.meta\.url\s*\)/g)) {
      const target = path.resolve(path.dirname(file), `${m[2]}.ts`);
      if (target.startsWith(src + path.sep) && fs.existsSync(target)) named.add(target);
    }
  }
  const graph = await build({ ...options, entryPoints: [ENTRY, ...named], write: false, metafile: true });
  const reached = new Set(Object.keys(graph.metafile.inputs).map((f) => path.resolve(root, f)));
  return { named: [...named], unreached: sources.filter((f) => !reached.has(f) && !named.has(f)) };
}

/** The bundle, the other files of src/ and the stamp, into `stage`. */
function write(stage, outputFiles, sourceStamp) {
  for (const out of outputFiles) {
    const rel = path.relative(outDir, out.path);
    const target = path.join(stage, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (!out.path.endsWith('.js')) {
      fs.writeFileSync(target, out.contents);
      continue;
    }
    // CommonJS packages inside an ES module bundle call require(); __tradelogRoot is the output directory's URL.
    const up = path.relative(path.dirname(rel), '.').split(path.sep).join('/');
    const prelude =
      `import { createRequire as __tradelogCreateRequire } from 'node:module';\n` +
      `const require = __tradelogCreateRequire(import.meta.url);\n` +
      `const __tradelogRoot = new URL(${JSON.stringify(up ? `${up}/` : './')}, import.meta.url);\n`;
    fs.writeFileSync(target, prelude + out.text);
  }
  let copied = 0;
  for (const from of walk(src)) {
    if (from.endsWith('.ts')) continue;
    const to = path.join(stage, path.relative(src, from));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
    copied++;
  }
  fs.writeFileSync(path.join(stage, STAMP), String(sourceStamp));
  return copied;
}

/** Replaces the output directory with `stage`; when another build swapped its own in meanwhile, that one stays. */
function swapIn(stage) {
  const old = `${outDir}.old-${process.pid}`;
  try {
    fs.renameSync(outDir, old);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  try {
    fs.renameSync(stage, outDir);
  } catch (err) {
    if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    fs.rmSync(stage, { recursive: true, force: true });
  }
  fs.rmSync(old, { recursive: true, force: true });
}

async function main() {
  // Taken before reading: a source saved during the build leaves the build stale.
  const sourceStamp = newestMtime(src);
  if (ifStale) {
    const stamp = Number(fs.existsSync(path.join(outDir, STAMP)) ? fs.readFileSync(path.join(outDir, STAMP), 'utf8') : Number.NaN);
    if (stamp >= sourceStamp && fs.existsSync(path.join(outDir, 'cli', 'main.js'))) return;
  }
  const { build } = await import('esbuild');
  const options = {
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: outDir,
    outbase: src,
    entryNames: '[dir]/[name]',
    chunkNames: 'chunks/[name]-[hash]',
    external: EXTERNAL,
    plugins: [metaUrlPlugin, lazyPlugin, patchPlugin],
    legalComments: 'none',
    logLevel: 'warning',
  };
  const { named, unreached } = await entryPoints(build, options);
  const result = await build({ ...options, entryPoints: [ENTRY, ...named, ...unreached], write: false });
  const stage = `${outDir}.build-${process.pid}`;
  fs.rmSync(stage, { recursive: true, force: true });
  try {
    const copied = write(stage, result.outputFiles, sourceStamp);
    swapIn(stage);
    console.error(
      `build: bundled src/ into ${path.relative(process.cwd(), outDir) || '.'} (${result.outputFiles.length} files; ` +
        `workers: ${named.map(builtPath).join(', ') || 'none'}; ${unreached.length} module(s) no import reaches, each on its own) ` +
        `and copied ${copied} other file(s)`,
    );
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (err) {
  if (!ifStale) throw err;
  console.error(`build: failed (${err instanceof Error ? err.message : err}); bin/tradelog runs the sources through tsx instead`);
}
