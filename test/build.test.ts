import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cleanEnv, ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

// The bundled build (scripts/build.mjs): what bin/tradelog, `npm start` and the Docker image run.

/** A copy of the project's sources, build script and entry point in a temp dir (node_modules linked). */
function projectCopy(t: Parameters<typeof tempDir>[0]): string {
  const dir = path.join(tempDir(t, 'tradelog-build-'), 'project');
  fs.mkdirSync(path.join(dir, 'scripts'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'src'), path.join(dir, 'src'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'bin'), path.join(dir, 'bin'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'scripts', 'build.mjs'), path.join(dir, 'scripts', 'build.mjs'));
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function run(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, args, { cwd, env: cleanEnv(env), encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

test('build bundles a worker file where the module starting it finds it, from the bundle as from the sources, and a code cache V8 accepts', (t) => {
  const dir = projectCopy(t);
  // A worker started by path, importing a module the server's chunks share, and a script that starts it the way
  // the sources do: `new URL('./x.js', import.meta.url)`, .ts when running through tsx.
  fs.mkdirSync(path.join(dir, 'src', 'probe'));
  fs.writeFileSync(
    path.join(dir, 'src', 'probe', 'echo.worker.ts'),
    `import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../errors.js';
parentPort?.postMessage(new AppError('TL_INTERNAL', String(workerData), { remedy: '-' }).code + ' ' + workerData);
`,
  );
  fs.writeFileSync(
    path.join(dir, 'src', 'probe', 'start.ts'),
    `import { Worker } from 'node:worker_threads';
import { MIGRATIONS_ROOT } from '../db/migrate.js';
const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const file = ext === 'ts' ? new URL('./echo.worker.ts', import.meta.url) : new URL('./echo.worker.js', import.meta.url);
// Node 20 does not apply tsx to a worker through execArgv: from the sources the worker registers it first.
const boot = \`import('tsx/esm/api').then((api) => { api.register(); return import(\${JSON.stringify(file.href)}); })\`;
const worker = ext === 'ts' ? new Worker(boot, { eval: true, workerData: 'from ts' }) : new Worker(file, { workerData: 'from js' });
worker.once('message', (m) => {
  console.log(m);
  console.log('migrations ' + MIGRATIONS_ROOT);
});
`,
  );
  const built = run(dir, ['scripts/build.mjs']);
  assert.equal(built.status, 0, built.out);
  assert.match(built.out, /workers: .*probe\/echo\.worker\.js/);
  for (const f of [
    'cli/main.js',
    'probe/echo.worker.js',
    'probe/start.js',
    'db/migrations/journal/0001_create_settings.sql',
    'web/views/layout.eta',
  ]) {
    assert.ok(fs.existsSync(path.join(dir, 'dist', f)), `dist/${f}`);
  }
  // The command line runs through V8's code cache, made by the build and readable by the image's other user.
  const cache = path.join(dir, 'dist', 'cli', 'main.cjs.cache');
  assert.equal(fs.statSync(cache).mode & 0o777, 0o644);
  const version = run(dir, ['dist/cli/main.js', '--version'], { TRADELOG_CODE_CACHE_CHECK: '1' });
  assert.equal(version.status, 0, version.out);
  assert.match(version.out, /code cache: accepted/);
  const otherFlags = run(dir, ['--max-old-space-size=999', 'dist/cli/main.js', '--version'], { TRADELOG_CODE_CACHE_CHECK: '1' });
  assert.equal(otherFlags.status, 0, otherFlags.out);
  assert.match(otherFlags.out, /code cache: rejected/, 'a cache V8 refuses only costs the compile');
  // A moved build does not use a cache made for another path (V8 would name the old files in stack traces).
  fs.cpSync(path.join(dir, 'dist'), path.join(dir, 'moved'), { recursive: true });
  const moved = run(dir, ['moved/cli/main.js', '--version'], { TRADELOG_CODE_CACHE_CHECK: '1' });
  assert.equal(moved.status, 0, moved.out);
  assert.match(moved.out, /code cache: none/);

  const fromBundle = run(dir, ['dist/probe/start.js']);
  assert.equal(fromBundle.status, 0, fromBundle.out);
  assert.match(fromBundle.stdout, /^TL_INTERNAL from js$/m);
  assert.match(fromBundle.stdout, new RegExp(`^migrations ${path.join(dir, 'dist', 'db', 'migrations')}/$`, 'm'));
  const fromSources = run(dir, ['--import', 'tsx', 'src/probe/start.ts']);
  assert.equal(fromSources.status, 0, fromSources.out);
  assert.match(fromSources.stdout, /^TL_INTERNAL from ts$/m);
  assert.match(fromSources.stdout, new RegExp(`^migrations ${path.join(dir, 'src', 'db', 'migrations')}/$`, 'm'));
});

test('bin/tradelog runs the build while it is fresh and the sources once one is edited; --if-stale rebuilds only then', (t) => {
  const dir = projectCopy(t);
  assert.equal(run(dir, ['scripts/build.mjs', '--if-stale']).status, 0);
  const main = path.join(dir, 'dist', 'cli', 'main.js');
  // Marks the build so the test can tell which one ran.
  fs.appendFileSync(main, '\nconsole.log("from the build");\n');
  assert.match(run(dir, ['bin/tradelog', '--version']).stdout, /from the build/);
  assert.equal(run(dir, ['scripts/build.mjs', '--if-stale']).status, 0);
  assert.match(fs.readFileSync(main, 'utf8'), /from the build/, 'a fresh build is left alone');

  // later than the build's stamp (what bin/tradelog compares against), whatever the machine's clock says
  const later = new Date(Number(fs.readFileSync(path.join(dir, 'dist', '.source-stamp'), 'utf8')) + 5000);
  fs.utimesSync(path.join(dir, 'src', 'errors.ts'), later, later);
  const stale = run(dir, ['bin/tradelog', '--version']);
  assert.equal(stale.status, 0, stale.out);
  assert.doesNotMatch(stale.stdout, /from the build/, 'an edited source runs from the sources');
  assert.match(stale.stdout, /^0\.1\.0$/m);
  assert.equal(run(dir, ['scripts/build.mjs', '--if-stale']).status, 0);
  assert.doesNotMatch(fs.readFileSync(main, 'utf8'), /from the build/, 'a stale build is rebuilt');
  assert.match(run(dir, ['bin/tradelog', '--version']).stdout, /^0\.1\.0$/m);
});

test('npm install and npm start build only where the sources are: the Docker stages install before copying them', (t) => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const dir = tempDir(t);
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  for (const script of ['prepare', 'prestart'] as const) {
    assert.match(pkg.scripts[script] ?? '', /scripts\/build\.mjs --if-stale/);
    const r = spawnSync('sh', ['-c', pkg.scripts[script] as string], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `${script} with only package.json: ${r.stdout}${r.stderr}`);
    assert.ok(!fs.existsSync(path.join(dir, 'dist')));
  }
});
