import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { type DataPaths, dataPaths } from '../../src/config.js';
import { openStore } from '../../src/db/store.js';
import { BIN, cleanEnv, ROOT } from './cli.js';
import { forUser } from './code-root.js';
import { tempDir } from './tmp.js';

/**
 * Fault-injection helpers (storage-reliability.md §(d)): real files in 0755 temp dirs, real child processes dropped
 * to the unprivileged app user (uid/gid 65534) while the test itself, as root, plays the role of whoever left
 * root-owned files behind.
 */
export const APP = { uid: 65534, gid: 65534 } as const;
export const ACTOR = path.join(ROOT, 'test', 'helpers', 'actors', 'sqlite-actor.mjs');
export const APP_SERVER = path.join(ROOT, 'test', 'helpers', 'actors', 'app-server.ts');
export const CRASH_WRITER = path.join(ROOT, 'test', 'helpers', 'actors', 'crash-writer.ts');

export const isRoot = process.getuid?.() === 0;

/**
 * True when the test can run. A missing prerequisite fails the test in CI (`CI=true`) and skips it with the
 * reason elsewhere.
 */
export function need(t: TestContext, ok: boolean, reason: string): boolean {
  if (ok) return true;
  if (process.env.CI === 'true') throw new Error(`required in CI: ${reason}`);
  t.skip(reason);
  return false;
}

export function needRoot(t: TestContext): boolean {
  return need(t, isRoot, 'needs root to create root-owned files and drop children to uid 65534');
}

export function chownR(p: string, uid: number, gid: number): void {
  fs.lchownSync(p, uid, gid);
  if (fs.lstatSync(p).isDirectory()) for (const e of fs.readdirSync(p)) chownR(path.join(p, e), uid, gid);
}

/**
 * A data directory with both databases created and migrated (by the project's own openStore), all of it owned by
 * the app user. The temp dir itself is 0755 and owned by root.
 */
export function appDataDir(t: TestContext, options: { create?: boolean } = {}): DataPaths {
  const paths = dataPaths(path.join(tempDir(t), 'data'));
  fs.mkdirSync(paths.dataDir, { mode: 0o755 });
  if (options.create !== false) openStore(paths).close();
  chownR(paths.dataDir, APP.uid, APP.gid);
  return paths;
}

/** Write `bytes` zero bytes (or nothing) to `p` as root with `mode`. */
export function rootFile(p: string, bytes: number, mode: number): void {
  fs.writeFileSync(p, Buffer.alloc(bytes));
  fs.chownSync(p, 0, 0);
  fs.chmodSync(p, mode);
}

export interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function asUser(uid?: number) {
  return uid === undefined ? {} : { uid, gid: uid === 0 ? 0 : APP.gid };
}

/** The sqlite actor as `uid` (default the app user): returns its JSON result. */
export function actor(file: string, steps: string[], uid: number = APP.uid): Record<string, unknown> {
  const run = forUser(uid, [ACTOR, file, ...steps]);
  const r = spawnSync(process.execPath, run.args, { cwd: run.cwd, encoding: 'utf8', ...asUser(uid), timeout: 60_000 });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new Error(`actor ${steps.join(' ')} failed (status ${r.status}, signal ${r.signal}): ${r.stderr}${r.stdout}`);
  }
}

/** `bin/tradelog args…` as `uid` (default the app user). */
export function tradelog(args: string[], options: { uid?: number; env?: Record<string, string> } = {}): Run {
  const run = forUser(options.uid ?? APP.uid, [BIN, ...args]);
  const r = spawnSync(process.execPath, run.args, {
    cwd: run.cwd,
    encoding: 'utf8',
    env: cleanEnv(options.env ?? {}),
    ...asUser(options.uid ?? APP.uid),
    timeout: 120_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

export interface DoctorJson {
  status: string;
  journalMode: string | null;
  findings: { code: string; severity: string; message: string; remedy: string; path?: string }[];
  actions: { code: string; description: string; path?: string; ok: boolean }[];
  repair?: { before: string; refused?: string[] };
}

/** `tradelog doctor --json` (plus `extra` flags) as `uid`; returns exit status and the parsed report. */
export function doctor(paths: DataPaths, extra: string[] = [], options: { uid?: number; env?: Record<string, string> } = {}) {
  const r = tradelog(['doctor', '--json', '--data-dir', paths.dataDir, ...extra], options);
  let report: DoctorJson;
  try {
    report = JSON.parse(r.stdout) as DoctorJson;
  } catch {
    throw new Error(`doctor printed no JSON (status ${r.status}): ${r.stderr}${r.stdout}`);
  }
  return { status: r.status, report };
}

export function codes(report: DoctorJson, severity?: string): string[] {
  return report.findings.filter((f) => severity === undefined || f.severity === severity).map((f) => f.code);
}

/** A child that keeps running: resolves once it printed `marker` on stdout. */
export function spawnUntil(args: string[], marker: string | RegExp, options: { uid?: number; env?: NodeJS.ProcessEnv } = {}) {
  const run = forUser(options.uid, args);
  const child = spawn(process.execPath, run.args, {
    cwd: run.cwd,
    env: options.env ?? cleanEnv(),
    ...asUser(options.uid),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      const line = stdout.split('\n').find((l) => (typeof marker === 'string' ? l.includes(marker) : marker.test(l)));
      if (line) resolve(line);
    });
    child.on('exit', (code, signal) => reject(new Error(`child exited (${code ?? signal}) before "${marker}": ${stderr}${stdout}`)));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, ready, exited, output: () => ({ stdout, stderr }) };
}

/** Hold a database open, idle, in a child process (a second instance, the old container…). */
export async function holdOpen(t: TestContext, file: string, uid: number = APP.uid): Promise<ChildProcess> {
  const h = spawnUntil([ACTOR, file, 'open', 'hold'], 'ready', { uid });
  t.after(() => {
    if (h.child.exitCode === null && h.child.signalCode === null) h.child.kill('SIGKILL');
  });
  await h.ready;
  return h.child;
}

export interface Server {
  address: string;
  pid: number;
  get(url: string, headers?: Record<string, string>): Promise<{ status: number; body: string; json: () => unknown }>;
  post(url: string): Promise<{ status: number; body: string; json: () => unknown }>;
  /** SIGTERM, then the exit code. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): { stdout: string; stderr: string };
}

/**
 * Start a server as `uid`: `kind: 'cli'` runs the real `bin/tradelog serve --port 0`; `kind: 'actor'` runs the
 * same stack with the two test routes of actors/app-server.ts.
 */
export async function startServer(
  t: TestContext,
  paths: DataPaths,
  options: { kind?: 'cli' | 'actor'; uid?: number; env?: Record<string, string> } = {},
): Promise<Server> {
  const kind = options.kind ?? 'cli';
  const args = kind === 'cli' ? [BIN, 'serve', '--port', '0', '--data-dir', paths.dataDir] : ['--import', 'tsx', APP_SERVER];
  const env = cleanEnv({ ...(kind === 'actor' ? { DATA_DIR: paths.dataDir } : {}), ...(options.env ?? {}) });
  const s = spawnUntil(args, '"address"', { uid: options.uid ?? APP.uid, env });
  t.after(() => {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  });
  const line = await s.ready;
  const address = (JSON.parse(line) as { address: string }).address;
  const call = async (method: string, url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${address}${url}`, { method, headers });
    const body = await res.text();
    return { status: res.status, body, json: () => JSON.parse(body) as unknown };
  };
  return {
    address,
    pid: s.child.pid as number,
    get: (url, headers) => call('GET', url, headers),
    post: (url) => call('POST', url),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      s.child.kill(signal);
      return s.exited;
    },
    output: s.output,
  };
}

/** Row count of `table` in `file`, read as root after the scenario (SQLite keeps sidecars owned by the db's owner). */
export function rowCount(file: string, table: string): number {
  const db = new Database(file, { fileMustExist: true });
  try {
    return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  } finally {
    db.close();
  }
}
