import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './cli.js';

/**
 * Children dropped to another user (uid 65534: permission faults, the read-only server) must reach the code they
 * run. A clone under a folder only root may enter (CI clones into /root/…) is out of their reach, so they run from a
 * copy this test process makes once in the temp dir, removed when it exits: bin/, src/, test/, package.json,
 * tsconfig.json and node_modules/, hard-linked where the filesystem allows (about 2 s; a plain copy otherwise).
 * Where the user can reach the checkout itself, nothing is copied.
 */
const ENTRIES = ['bin', 'src', 'test', 'package.json', 'tsconfig.json', 'node_modules'];
const roots = new Map<number, string>();
let copy: string | undefined;

/** Whether `uid` can read the checkout's files (every folder above it searchable, the files readable). */
function reaches(uid: number, gid: number): boolean {
  const probe = path.join(ROOT, 'node_modules', 'tsx', 'package.json');
  const r = spawnSync(process.execPath, ['-e', 'require("node:fs").accessSync(process.argv[1], 4)', probe], { cwd: '/', uid, gid });
  return r.status === 0;
}

function makeCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-code-'));
  fs.chmodSync(dir, 0o755);
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  for (const entry of ENTRIES) {
    const from = path.join(ROOT, entry);
    if (!fs.existsSync(from)) continue;
    const linked = spawnSync('cp', ['-al', from, dir]);
    if (linked.status === 0) continue;
    fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    fs.cpSync(from, path.join(dir, entry), { recursive: true, preserveTimestamps: true });
  }
  return dir;
}

/** The folder a child running as `uid` runs the project's code from: ROOT, or the copy described above. */
export function codeRootFor(uid: number | undefined, gid = uid): string {
  if (uid === undefined || uid === 0 || process.getuid?.() !== 0) return ROOT;
  let root = roots.get(uid);
  if (!root) {
    if (reaches(uid, gid ?? uid)) root = ROOT;
    else {
      copy ??= makeCopy();
      root = copy;
    }
    roots.set(uid, root);
  }
  return root;
}

/**
 * Node arguments and the working directory for a child that runs as `uid`: every argument naming a file of the
 * checkout names the same file under `codeRootFor(uid)`.
 */
export function forUser(uid: number | undefined, args: readonly string[], gid = uid): { args: string[]; cwd: string } {
  const root = codeRootFor(uid, gid);
  if (root === ROOT) return { args: [...args], cwd: ROOT };
  const moved = args.map((a) => (a.startsWith(`${ROOT}${path.sep}`) ? path.join(root, path.relative(ROOT, a)) : a));
  return { args: moved, cwd: root };
}
