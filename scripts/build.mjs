#!/usr/bin/env node
// `npm run build [-- --out-dir DIR] [--if-stale] [--no-code-cache]`: bundle src/ into dist/ (or DIR) with esbuild and
// copy every file that is not TypeScript (SQL migrations, templates, static assets) beside it, so the built tree runs
// on its own (the Docker image ships dist/ without src/). The new tree is written beside the output directory and
// swapped in whole: a stale migration never survives in it and a half-written build is never run.
//
// `--if-stale` (what `npm install` and `npm start` run) does nothing while the build is newer than everything under
// src/, and a failure only warns: bin/tradelog then runs the sources through tsx, as it does for any stale build.
//
// Layout of the output (what bin/tradelog, the Docker image and worker threads rely on):
// - cli/main.cjs is the whole command line in one CommonJS file (its `import()`s bundled in), so a start reads one
//   file instead of resolving about 800 modules; cli/main.js, the entry point, runs it through V8's code cache
//   cli/main.cjs.cache, which the build makes by starting the built server once (trainCodeCache): a start then
//   loads compiled code instead of compiling it.
// - A module started by path (a worker thread's file, a child process's script) is emitted as an ES module at the
//   path tsc would give it: src/trades/parse.worker.ts → trades/parse.worker.js (such modules share chunks under
//   chunks/). They are found three ways: files named *.worker.ts, modules a source names as
//   `new URL('./x.js', import.meta.url)` (or './x.ts'), and every module the command line's imports do not reach.
// - `import.meta.url` in a source module is the address tsc would have given the module (DIR/db/migrate.js), not the
//   bundle's: `new URL('./migrations/', import.meta.url)` and `new URL('./parse.worker.js', import.meta.url)` name the
//   same files in the bundle as in the tsc layout.
// - Packages are bundled too, except better-sqlite3 (a native addon) and the ones fastify loads only when asked
//   (schema compilers, inject()); those, and the files the code resolves by path at run time (the chart library),
//   are read from node_modules, which the image ships.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
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

/** Modules started by path (see the header): named as workers, and those the entry point's imports do not reach. */
function startedByPath(reachedInputs) {
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
  const reached = new Set(Object.keys(reachedInputs).map((f) => path.resolve(root, f)));
  return { named: [...named], unreached: sources.filter((f) => !reached.has(f) && !named.has(f)) };
}

/** The bundle, the other files of src/ and the stamp, into `stage`. */
function write(stage, outputFiles, sourceStamp) {
  for (const out of outputFiles) {
    const rel = path.relative(outDir, out.path);
    const target = path.join(stage, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (!out.path.endsWith('.js')) {
      // cli/main.cjs gets require and __tradelogRoot from its loader.
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

// cli/main.js: runs cli/main.cjs through V8's code cache (cli/main.cjs.cache, made by trainCodeCache) when there is
// one made for this file that fits this Node (V8 refuses one made by another version or with other flags; the file is
// then compiled as usual).
// TRADELOG_CODE_CACHE_OUT (the build only) names the file to write the cache to when the process exits;
// TRADELOG_CODE_CACHE_CHECK=1 says on stderr whether the cache was used (tests).
const LOADER = `// Made by scripts/build.mjs: runs main.cjs, the bundled command line, through V8's code cache when it fits.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';

const dir = path.dirname(fileURLToPath(import.meta.url));
const file = path.join(dir, 'main.cjs');
// The cache starts with the path it was made for: V8 would accept it elsewhere, but name the old path in stack traces.
let cachedData;
try {
  const cache = fs.readFileSync(\`\${file}.cache\`);
  const nl = cache.indexOf(10);
  if (cache.subarray(0, nl).toString() === file) cachedData = cache.subarray(nl + 1);
} catch {}
const wrapped = \`(function (exports, require, module, __filename, __dirname, __tradelogRoot) {\${fs.readFileSync(file, 'utf8')}\\n})\`;
const script = new vm.Script(wrapped, { filename: file, cachedData, importModuleDynamically: (specifier) => import(specifier) });
const out = process.env.TRADELOG_CODE_CACHE_OUT;
if (out) process.once('exit', () => fs.writeFileSync(out, Buffer.concat([Buffer.from(\`\${file}\\n\`), script.createCachedData()])));
if (process.env.TRADELOG_CODE_CACHE_CHECK) process.stderr.write(\`code cache: \${cachedData ? (script.cachedDataRejected ? 'rejected' : 'accepted') : 'none'}\\n\`);
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(file), module, file, dir, pathToFileURL(\`\${path.join(dir, '..')}/\`));
`;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts the built server once on an empty data directory, asks /health, stops it with SIGTERM: the loader then
 * writes V8's code cache of everything a start compiled, which later starts load instead of compiling (about a
 * sixth of a start on two cores). Without loopback or a working install the build goes on without a cache.
 */
async function trainCodeCache(dir) {
  const cacheFile = path.join(dir, 'cli', 'main.cjs.cache');
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-build-'));
  const port = await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRADELOG_') && k !== 'NODE_OPTIONS'));
  const args = [path.join(dir, 'cli', 'main.js'), 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', data];
  const child = spawn(process.execPath, args, {
    env: { ...env, TRADELOG_CODE_CACHE_OUT: `${cacheFile}.tmp`, TRADELOG_LOG_LEVEL: 'silent', TRADELOG_SCHEDULER_INTERVAL_MINUTES: '0' },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const health = () =>
    new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', () => resolve(0));
    });
  try {
    const deadline = Date.now() + 60_000;
    while ((await health()) !== 200) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error('the built server did not answer /health');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGTERM');
    if ((await exited) !== 0) throw new Error('the built server did not stop cleanly');
    // Readable by any user: the image runs the app as another user than the one who built it.
    fs.chmodSync(`${cacheFile}.tmp`, 0o644);
    fs.renameSync(`${cacheFile}.tmp`, cacheFile);
    return fs.statSync(cacheFile).size;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(`${cacheFile}.tmp`, { force: true });
    fs.rmSync(data, { recursive: true, force: true });
  }
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
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    plugins: [metaUrlPlugin, lazyPlugin, patchPlugin],
    legalComments: 'none',
    logLevel: 'warning',
    write: false,
  };
  // The command line as one CommonJS file (what V8's code cache applies to); its `import()`s are bundled in.
  const cli = await build({
    ...common,
    format: 'cjs',
    entryPoints: [ENTRY],
    outfile: path.join(outDir, 'cli', 'main.cjs'),
    metafile: true,
  });
  // Modules started by path, as ES modules at their tsc paths, sharing chunks among themselves.
  const { named, unreached } = startedByPath(cli.metafile.inputs);
  const others =
    named.length + unreached.length === 0
      ? { outputFiles: [] }
      : await build({
          ...common,
          format: 'esm',
          splitting: true,
          outdir: outDir,
          outbase: src,
          entryNames: '[dir]/[name]',
          chunkNames: 'chunks/[name]-[hash]',
          entryPoints: [...named, ...unreached],
        });
  const stage = `${outDir}.build-${process.pid}`;
  fs.rmSync(stage, { recursive: true, force: true });
  try {
    const copied = write(stage, [...cli.outputFiles, ...others.outputFiles], sourceStamp);
    fs.writeFileSync(path.join(stage, 'cli', 'main.js'), LOADER);
    swapIn(stage);
    // Made in place: the cache names the file it was made for (see LOADER).
    let cache = 'no code cache';
    if (!args.includes('--no-code-cache')) {
      try {
        cache = `code cache ${Math.round((await trainCodeCache(outDir)) / 1024)} kB`;
      } catch (err) {
        console.error(`build: no code cache (${err instanceof Error ? err.message : err}); starts compile as usual`);
      }
    }
    console.error(
      `build: bundled src/ into ${path.relative(process.cwd(), outDir) || '.'} (cli/main.cjs with ${cache}; ` +
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
