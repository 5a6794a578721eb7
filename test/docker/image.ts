import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The Docker image, read from the Dockerfile and laid out outside Docker (there is no container engine in the test
 * environment): the tests run the image's own ENTRYPOINT, CMD and HEALTHCHECK against a copy of /app built the way
 * the Dockerfile builds it.
 */

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
  /** Index of the build stage (FROM) the instruction belongs to; -1 before the first FROM. */
  stage: number;
}

export interface Stage {
  name: string | undefined;
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  instructions: Instruction[];
  /** ARG defaults declared before the first FROM. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

/** Logical instructions: comments dropped, `\` continuations joined. */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  let stage = -1;
  for (let i = 0; i < lines.length; i++) {
    const first = (lines[i] ?? '').trim();
    if (first === '' || first.startsWith('#')) continue;
    const start = i + 1;
    let logical = (lines[i] ?? '').trimEnd();
    while (logical.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = (lines[i] ?? '').trim();
      logical = `${logical.slice(0, -1)} ${next.startsWith('#') ? '' : next}`;
    }
    const m = /^\s*(\S+)\s*(.*)$/s.exec(logical);
    if (!m) continue;
    const keyword = (m[1] as string).toUpperCase();
    if (keyword === 'FROM') stage++;
    instructions.push({ keyword, args: (m[2] as string).replace(/\s+/g, ' ').trim(), line: start, stage });
  }
  const globalArgs: Record<string, string> = {};
  for (const ins of instructions) {
    if (ins.stage !== -1 || ins.keyword !== 'ARG') continue;
    const [name, value] = ins.args.split('=', 2);
    if (name && value !== undefined) globalArgs[name] = value;
  }
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(' ').filter((w) => !w.startsWith('--'));
      const from = (words[0] ?? '').replace(/\$\{?(\w+)\}?/g, (_, v: string) => globalArgs[v] ?? '');
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ name: as >= 0 ? words[as + 1] : undefined, from, instructions: [] });
    } else if (ins.stage >= 0) {
      stages[ins.stage]?.instructions.push(ins);
    }
  }
  return { instructions, globalArgs, stages };
}

export function readDockerfile(): Dockerfile {
  return parseDockerfile(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
}

/** `KEY=value KEY2=value2` (unquoted values, as the project's Dockerfile writes them). */
export function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of args.split(' ')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`ENV ${args}: cannot read "${pair}" (write ENV KEY=value pairs)`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** An exec-form (JSON array) argument list, or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(args);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

/** HEALTHCHECK [--options] CMD <command>: the options and the command. */
export function parseHealthcheck(args: string): { options: Record<string, string>; cmd: string } {
  const options: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([a-z-]+)=(\S+)\s*/.exec(rest); m; m = /^--([a-z-]+)=(\S+)\s*/.exec(rest)) {
    options[m[1] as string] = m[2] as string;
    rest = rest.slice(m[0].length);
  }
  if (!/^CMD\s/i.test(rest)) return { options, cmd: rest };
  return { options, cmd: rest.replace(/^CMD\s+/i, '') };
}

export function finalStage(df: Dockerfile): Stage {
  const last = df.stages.at(-1);
  if (!last) throw new Error('Dockerfile has no FROM');
  return last;
}

/** The last instruction of this keyword in the stage. */
export function last(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}

/**
 * Problems a Dockerfile linter would report for the project's rules (the checks of hadolint that apply here, plus
 * the image's own requirements). Empty when the Dockerfile is fine.
 */
export function dockerfileProblems(text: string): string[] {
  const df = parseDockerfile(text);
  const problems: string[] = [];
  const stageNames = new Set(df.stages.map((s) => s.name).filter(Boolean));
  if (df.stages.length < 2) problems.push('not multi-stage: build with dev dependencies in one stage, run with production ones in another');
  for (const [i, s] of df.stages.entries()) {
    if (stageNames.has(s.from) && df.stages.findIndex((x) => x.name === s.from) < i) continue;
    const image = s.from.split('@')[0] ?? '';
    const tag = image.includes(':') ? image.slice(image.lastIndexOf(':') + 1) : '';
    if (!s.from.includes('@') && (tag === '' || tag.includes('/'))) problems.push(`FROM ${s.from}: no tag (pin the base image)`);
    if (tag === 'latest') problems.push(`FROM ${s.from}: uses latest (pin the base image)`);
  }
  for (const ins of df.instructions) {
    const where = `line ${ins.line}`;
    if (ins.keyword === 'ADD') problems.push(`${where}: ADD (use COPY; never ADD a URL)`);
    if (ins.keyword === 'MAINTAINER') problems.push(`${where}: MAINTAINER is deprecated (use a LABEL)`);
    if (ins.keyword === 'WORKDIR' && !ins.args.startsWith('/')) problems.push(`${where}: WORKDIR ${ins.args} is not absolute`);
    if (ins.keyword === 'RUN') {
      const run = ins.args;
      if (/\bchmod\b[^;&|]*\s(?:[ugo]*[ao][ugo]*)?[+=][rwxXst]*w/.test(run) || /\bchmod\s+(?:-R\s+)?[0-7]?[0-7][0-7][2367]\b/.test(run))
        problems.push(`${where}: chmod makes something world-writable`);
      if (/\bsudo\b/.test(run)) problems.push(`${where}: sudo in RUN`);
      if (/(?:^|&&|;)\s*cd\s/.test(run)) problems.push(`${where}: cd in RUN (use WORKDIR)`);
      if (/\b(?:curl|wget)\b/.test(run)) problems.push(`${where}: downloads in RUN (use a package or COPY)`);
      if (/\bnpm (?:install|i)\b/.test(run)) problems.push(`${where}: npm install (use npm ci, which follows package-lock.json)`);
      if (/\bapt-get\b[^&;|]*\bupgrade\b/.test(run)) problems.push(`${where}: apt-get upgrade (use a newer base image)`);
      if (/\bapt-get\b[^&;|]*\binstall\b/.test(run)) {
        if (!/\bapt-get\b[^&;|]*\binstall\b[^&;|]*(?:-y\b|--yes\b|--assume-yes\b)/.test(run))
          problems.push(`${where}: apt-get install without -y`);
        if (!/--no-install-recommends/.test(run)) problems.push(`${where}: apt-get install without --no-install-recommends`);
        if (!/rm -rf \/var\/lib\/apt\/lists/.test(run)) problems.push(`${where}: apt lists not removed in the same RUN`);
        if (!/apt-get update/.test(run)) problems.push(`${where}: apt-get install without apt-get update in the same RUN`);
      } else if (/\bapt-get update\b/.test(run)) problems.push(`${where}: apt-get update alone in a RUN (its cache goes stale)`);
    }
    if ((ins.keyword === 'CMD' || ins.keyword === 'ENTRYPOINT') && !execForm(ins.args))
      problems.push(`${where}: ${ins.keyword} in shell form (use the JSON exec form so signals reach the process)`);
    if (ins.keyword === 'COPY' && /--chmod=[0-7]*[2367]\b/.test(ins.args))
      problems.push(`${where}: COPY --chmod makes files world-writable`);
  }
  const runtime = df.stages.at(-1);
  if (runtime) {
    const user = last(runtime, 'USER');
    if (!user) problems.push('final stage: no USER (the image would run as root)');
    else if (/^(?:root|0)(?::|$)/.test(user.args)) problems.push(`final stage: USER ${user.args} is root`);
    const hc = last(runtime, 'HEALTHCHECK');
    if (!hc) problems.push('final stage: no HEALTHCHECK');
    else if (!execForm(parseHealthcheck(hc.args).cmd)) problems.push('final stage: HEALTHCHECK CMD not in exec form');
    const entry = last(runtime, 'ENTRYPOINT');
    const ep = entry ? execForm(entry.args) : undefined;
    if (!ep || !/(?:^|\/)(?:tini|dumb-init)$/.test(ep[0] ?? ''))
      problems.push('final stage: ENTRYPOINT does not start an init process (tini) as PID 1');
    if (!last(runtime, 'CMD')) problems.push('final stage: no CMD');
    const volumes = runtime.instructions.filter((i) => i.keyword === 'VOLUME');
    if (volumes.length !== 1) problems.push(`final stage: ${volumes.length} VOLUME instructions (want exactly one, the data directory)`);
    for (const ins of runtime.instructions) {
      if (ins.keyword === 'RUN' && /\b(?:g\+\+|gcc|make|build-essential)\b/.test(ins.args))
        problems.push(`line ${ins.line}: compiler in the runtime stage`);
    }
  }
  return problems;
}

/** Entries under `dir` (lstat: symlinks themselves), relative path → stats; `dir` itself is ''. */
export function walk(dir: string): Map<string, fs.Stats> {
  const out = new Map<string, fs.Stats>();
  const visit = (rel: string) => {
    const abs = path.join(dir, rel);
    const st = fs.lstatSync(abs);
    out.set(rel, st);
    if (st.isDirectory()) for (const name of fs.readdirSync(abs).sort()) visit(path.join(rel, name));
  };
  visit('');
  return out;
}

export interface StagedImage {
  /** Stands in for /app. */
  appDir: string;
  /** The final stage's ENV with /app paths mapped into appDir (PATH is prepended to this process's PATH). */
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  healthcheck: string[];
}

function mapApp(value: string, appDir: string): string {
  return value.replace(/(^|:)\/app(?=\/|:|$)/g, `$1${appDir}`);
}

/** Hard-link copy where possible (same filesystem), else a real copy. */
function copyTree(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  const r = spawnSync('cp', ['-al', from, to], { encoding: 'utf8' });
  if (r.status !== 0) fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

/** The production dependencies as `npm ci --omit=dev` installs them (package-lock.json entries not marked dev). */
function copyProductionDeps(to: string): number {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; optional?: boolean }>;
  };
  const modules = fs.realpathSync(path.join(ROOT, 'node_modules'));
  const copied: string[] = [];
  for (const [key, meta] of Object.entries(lock.packages)) {
    if (!key.startsWith('node_modules/') || meta.dev) continue;
    if (copied.some((c) => key.startsWith(`${c}/`))) continue;
    const rel = key.slice('node_modules/'.length);
    const from = path.join(modules, rel);
    if (!fs.existsSync(from)) {
      if (meta.optional) continue;
      throw new Error(`production dependency ${rel} is not installed (run npm ci)`);
    }
    copyTree(from, path.join(to, rel));
    copied.push(key);
  }
  return copied.length;
}

/**
 * Lay out /app as the Dockerfile's final stage does, in a temp dir (mode 0755, so a child dropped to another uid
 * can read it): `npm run build` into dist/, the production dependencies only, and every other COPY of the final
 * stage taken from the repository. A COPY this function does not know makes it throw, so the test follows the
 * Dockerfile rather than a copy of it.
 */
export function stageImage(t: TestContext | { after: (fn: () => void) => void }): StagedImage {
  const df = readDockerfile();
  const runtime = finalStage(df);
  const appDir = path.join(tempDir(t, 'tradelog-image-'), 'app');
  fs.mkdirSync(appDir, { mode: 0o755 });
  for (const ins of runtime.instructions.filter((i) => i.keyword === 'COPY')) {
    const words = ins.args.split(' ');
    const flags = words.filter((w) => w.startsWith('--'));
    const paths = words.filter((w) => !w.startsWith('--'));
    const dest = paths.pop() ?? '';
    const destAbs = path.resolve(appDir, dest.startsWith('/app') ? mapApp(dest, appDir) : dest);
    const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
    const chmod = flags.find((f) => f.startsWith('--chmod='))?.slice('--chmod='.length);
    if (from !== undefined) {
      const producer = df.stages.find((s) => s.name === from);
      const src = paths[0] ?? '';
      const run = producer?.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args) ?? [];
      if (paths.length === 1 && src === '/app/dist' && run.some((r) => r.includes('npm run build'))) {
        const r = spawnSync('npm', ['run', 'build', '--', '--out-dir', destAbs], { cwd: ROOT, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
      } else if (paths.length === 1 && src === '/app/node_modules' && run.some((r) => /npm ci --omit=dev/.test(r))) {
        copyProductionDeps(destAbs);
      } else {
        throw new Error(`Dockerfile line ${ins.line}: COPY --from=${from} ${paths.join(' ')} is unknown to test/docker/image.ts`);
      }
      continue;
    }
    const intoDir = dest.endsWith('/') || paths.length > 1;
    for (const p of paths) {
      const src = path.join(ROOT, p);
      const target = intoDir ? path.join(destAbs, path.basename(p)) : destAbs;
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
      fs.cpSync(src, target, { recursive: true });
      if (chmod) {
        for (const [rel, st] of walk(target)) if (st.isFile()) fs.chmodSync(path.join(target, rel), Number.parseInt(chmod, 8));
      }
    }
  }
  const env: Record<string, string> = {};
  for (const ins of runtime.instructions.filter((i) => i.keyword === 'ENV')) {
    for (const [k, v] of Object.entries(parseEnv(ins.args))) {
      env[k] = mapApp(v.replace(/\$\{?PATH\}?/, process.env.PATH ?? '/usr/bin:/bin'), appDir);
    }
  }
  const entry = last(runtime, 'ENTRYPOINT');
  const cmd = last(runtime, 'CMD');
  const hc = last(runtime, 'HEALTHCHECK');
  const entrypoint = entry ? execForm(entry.args) : undefined;
  const command = cmd ? execForm(cmd.args) : undefined;
  const health = hc ? execForm(parseHealthcheck(hc.args).cmd) : undefined;
  if (!entrypoint || !command || !health) throw new Error('Dockerfile: ENTRYPOINT, CMD and HEALTHCHECK must be in exec form');
  return {
    appDir,
    env,
    entrypoint: entrypoint.map((a) => mapApp(a, appDir)),
    cmd: command.map((a) => mapApp(a, appDir)),
    healthcheck: health.map((a) => mapApp(a, appDir)),
  };
}

/** Whether `tool` is on PATH; when missing, fails under CI and skips otherwise (briefing rule). */
export function requireTool(t: TestContext, tool: string, why: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
  if (found) return true;
  if (process.env.CI === 'true') throw new Error(`${tool} is required (${why}); .ci/run installs it with apt-get`);
  t.skip(`${tool} is not installed (${why}); apt-get install ${tool}`);
  return false;
}
