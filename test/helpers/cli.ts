import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'tradelog');
/** The same CLI with its clock pinned (actors/cli-at.ts). */
export const CLI_AT = path.join(ROOT, 'test', 'helpers', 'actors', 'cli-at.ts');

/**
 * Node arguments that run `tradelog args…`: bin/tradelog as a user runs it, or, with `at` (epoch ms), the same
 * program on a clock pinned to that instant.
 */
export function cliArgv(args: string[], at?: number): string[] {
  return at === undefined ? [BIN, ...args] : ['--import', 'tsx', CLI_AT, String(at), ...args];
}

/** Environment for child processes: no TRADELOG_* leaks in from the developer's shell. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TRADELOG_') && k !== 'PUID' && k !== 'PGID') env[k] = v;
  return { ...env, ...extra };
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `bin/tradelog args…` to completion (with `at`: on a clock pinned to that instant). */
export function runCli(args: string[], env: Record<string, string> = {}, input?: string, at?: number): CliResult {
  const r = spawnSync(process.execPath, cliArgv(args, at), { env: cleanEnv(env), encoding: 'utf8', input, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Same, async (for commands that talk to a stub server in this process). */
export function runCliAsync(args: string[], env: Record<string, string> = {}, at?: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgv(args, at), { env: cleanEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
