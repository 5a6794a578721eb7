import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { validate } from 'dockerfile-utils';
import { ROOT } from '../helpers/cli.js';
import { dockerfileProblems, execForm, finalStage, last, parseEnv, readDockerfile, requireTool } from './image.js';

// hadolint is neither a Debian package nor an npm package, so the Dockerfile is checked by dockerfile-utils (the
// validator behind the VS Code Docker language server: syntax, flags, arguments) plus dockerfileProblems() (the
// hadolint rules that apply here and the image's own requirements).

/** A diagnostic's message is a string or LSP markup. */
const text = (m: string | { value: string }): string => (typeof m === 'string' ? m : m.value);

const dockerfileText = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

test('Dockerfile passes the Dockerfile validator with no diagnostic', () => {
  const diagnostics = validate(dockerfileText).map((d) => `line ${d.range.start.line + 1}: ${text(d.message)}`);
  assert.deepEqual(diagnostics, []);
});

test('Dockerfile validator reports errors when an instruction is malformed', () => {
  const broken = dockerfileText.replace('HEALTHCHECK --interval=', 'HEALTHCHECK --intervall=').replace('EXPOSE 5000', 'EXPOSE port');
  const messages = validate(broken).map((d) => text(d.message));
  assert.ok(
    messages.some((m) => /intervall/.test(m)),
    messages.join('\n'),
  );
  assert.ok(
    messages.some((m) => /port/i.test(m)),
    messages.join('\n'),
  );
});

test('Dockerfile follows the image rules when linted', () => {
  assert.deepEqual(dockerfileProblems(dockerfileText), []);
});

test('Dockerfile rules report every violation when a Dockerfile breaks them', () => {
  const bad = [
    'FROM node:latest AS build',
    'RUN apt-get update',
    'RUN apt-get install -y g++',
    'WORKDIR app',
    'RUN cd /app && npm install && chmod -R 777 /app/data && chmod o+w /tmp/x',
    'ADD https://example.invalid/x.tgz /tmp/',
    'FROM debian',
    'RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*',
    'COPY --from=build --chmod=0777 /app /app',
    'USER root',
    'CMD tradelog serve',
  ].join('\n');
  const problems = dockerfileProblems(bad).join('\n');
  for (const expected of [
    'FROM node:latest: uses latest',
    'FROM debian: no tag',
    'line 2: apt-get update alone in a RUN',
    'line 3: apt-get install without --no-install-recommends',
    'line 3: apt lists not removed',
    'line 4: WORKDIR app is not absolute',
    'line 5: chmod makes something world-writable',
    'line 5: cd in RUN',
    'line 5: npm install',
    'line 6: ADD',
    'line 8: compiler in the runtime stage',
    'line 9: COPY --chmod makes files world-writable',
    'final stage: USER root is root',
    'final stage: no HEALTHCHECK',
    'final stage: ENTRYPOINT does not start an init process',
    'line 11: CMD in shell form',
    'final stage: 0 VOLUME instructions',
  ]) {
    assert.ok(problems.includes(expected), `expected "${expected}" in:\n${problems}`);
  }
  assert.ok(!/chmod/.test(dockerfileProblems('FROM a:1\nRUN chmod 0750 /d && chmod o-w /e && chmod u+w /f\n').join('\n')));
});

test('Dockerfile final stage runs tini, the entrypoint and tradelog serve as uid 1000 with one volume at the data dir', () => {
  const runtime = finalStage(readDockerfile());
  assert.match(runtime.from, /^node:20[.\d]*-bookworm-slim$/);
  const env = Object.assign({}, ...runtime.instructions.filter((i) => i.keyword === 'ENV').map((i) => parseEnv(i.args)));
  assert.equal(env.TRADELOG_HOST, '0.0.0.0');
  assert.equal(env.TRADELOG_DATA_DIR, '/app/data');
  assert.deepEqual(execForm(last(runtime, 'VOLUME')?.args ?? ''), [env.TRADELOG_DATA_DIR]);
  assert.equal(last(runtime, 'USER')?.args, '1000:1000');
  assert.deepEqual(execForm(last(runtime, 'ENTRYPOINT')?.args ?? ''), ['/usr/bin/tini', '-g', '--', '/app/docker/entrypoint.sh']);
  assert.deepEqual(execForm(last(runtime, 'CMD')?.args ?? ''), ['tradelog', 'serve']);
  const install = runtime.instructions.find((i) => i.keyword === 'RUN' && /apt-get install/.test(i.args));
  assert.match(install?.args ?? '', /\btini\b/);
  assert.match(install?.args ?? '', /usermod --login app/);
});

/** Docker's .dockerignore rule: the last pattern that matches the path or one of its parent directories wins. */
function ignoredByDockerignore(rel: string, patterns: string[]): boolean {
  const toRegex = (p: string) => {
    const body = p
      .replace(/^\/+|\/+$/g, '')
      .split(/(\*\*|\*|\?)/)
      .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    return new RegExp(`^${body}$`);
  };
  const parts = rel.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const re = toRegex(negated ? raw.slice(1) : raw);
    if (prefixes.some((p) => re.test(p))) ignored = !negated;
  }
  return ignored;
}

test('.dockerignore admits every file the Dockerfile copies and keeps out .env, data, node_modules and .git', () => {
  const patterns = fs
    .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const df = readDockerfile();
  const sources: string[] = [];
  for (const ins of df.instructions.filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args))) {
    const paths = ins.args.split(' ').filter((w) => !w.startsWith('--'));
    sources.push(...paths.slice(0, -1));
  }
  assert.ok(sources.length >= 5, `COPY sources: ${sources.join(', ')}`);
  const files = (rel: string): string[] => {
    const abs = path.join(ROOT, rel);
    if (!fs.statSync(abs).isDirectory()) return [rel];
    return fs.readdirSync(abs).flatMap((n) => files(path.join(rel, n)));
  };
  for (const src of sources) {
    assert.ok(fs.existsSync(path.join(ROOT, src)), `COPY source ${src} exists`);
    for (const f of files(src)) assert.equal(ignoredByDockerignore(f, patterns), false, `${f} reaches the build context`);
  }
  for (const secret of [
    '.env',
    'data/db/journal.db',
    'node_modules/fastify/package.json',
    '.git/config',
    'dist/cli/main.js',
    'test/x.test.ts',
  ]) {
    assert.equal(ignoredByDockerignore(secret, patterns), true, `${secret} stays out of the build context`);
  }
});

test('docker/entrypoint.sh passes shellcheck', (t) => {
  if (!requireTool(t, 'shellcheck', 'lints docker/entrypoint.sh')) return;
  const r = spawnSync('shellcheck', ['--shell=sh', '--severity=style', path.join(ROOT, 'docker', 'entrypoint.sh')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  // The same run flags a script with an unquoted expansion, so a silent shellcheck cannot pass this test.
  const bad = spawnSync('shellcheck', ['--shell=sh', '-'], { input: '#!/bin/sh\nrm -rf $1/data\n', encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stdout, /SC2086/);
});
