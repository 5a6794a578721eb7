import fs from 'node:fs';
import path from 'node:path';

/**
 * Filesystem facts the doctor needs: which mount a path lives on (longest-prefix match in
 * /proc/self/mountinfo), its type, and free space.
 */
export interface MountInfo {
  mountPoint: string;
  fsType: string;
  source: string;
}

/** Types SQLite's WAL is known to work on. Anything else gets a warning even when the WAL probe passes. */
export const LOCAL_FILESYSTEMS = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'zfs', 'tmpfs', 'overlay', 'f2fs']);

/**
 * Types where WAL has failed or corrupted data in the field (storage-reliability.md §(c) 2, S10–S15): no shared
 * mmap, broken locks, or a VM file-sharing layer.
 */
export function isRiskyFilesystem(fsType: string): boolean {
  return (
    fsType.startsWith('fuse') ||
    fsType.startsWith('nfs') ||
    ['9p', 'virtiofs', 'cifs', 'smb3', 'smbfs', 'drvfs', 'vboxsf', 'prl_fs', 'vmhgfs'].includes(fsType)
  );
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

export function mountFor(target: string): MountInfo | undefined {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  let real = target;
  // Walk up to the nearest existing ancestor so a not-yet-created data dir still resolves.
  for (;;) {
    try {
      real = fs.realpathSync(real);
      break;
    } catch {
      const parent = path.dirname(real);
      if (parent === real) break;
      real = parent;
    }
  }
  let best: MountInfo | undefined;
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = unescapeMount(left.split(' ')[4] ?? '');
    const [fsType = '', source = ''] = right.split(' ');
    const inside = real === mountPoint || real.startsWith(mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`);
    // Later lines win on equal length: they are mounted over earlier ones.
    if (inside && (!best || mountPoint.length >= best.mountPoint.length)) {
      best = { mountPoint, fsType, source: unescapeMount(source) };
    }
  }
  return best;
}

export function freeBytes(dir: string): { free: number; total: number } | undefined {
  try {
    const st = fs.statfsSync(dir);
    return { free: st.bavail * st.bsize, total: st.blocks * st.bsize };
  } catch {
    return undefined;
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function modeString(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** A uid/gid pair: the user tradelog runs as (or will run as, when the doctor runs as root). */
export interface Who {
  uid: number;
  gid: number;
}

export function currentUser(): Who {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

/**
 * May `who` access `p` with `want` (fs.constants R_OK | W_OK | X_OK)? For this process's own uid the kernel
 * answers (access(2)); for another uid (the doctor running as root on behalf of the app's user) the owner/group/
 * other bits decide — supplementary groups are not known then, so a group grant through one of them is missed.
 */
export function canAccess(p: string, who: Who, want: number): boolean {
  if (who.uid === (process.getuid?.() ?? 0)) {
    try {
      fs.accessSync(p, want);
      return true;
    } catch {
      return false;
    }
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return false;
  }
  if (who.uid === 0) return (want & fs.constants.X_OK) === 0 || st.isDirectory() || (st.mode & 0o111) !== 0;
  const bits = st.uid === who.uid ? (st.mode >> 6) & 7 : st.gid === who.gid ? (st.mode >> 3) & 7 : st.mode & 7;
  return (bits & want) === want;
}

/** The nearest existing ancestor of `p` (p itself when it exists). */
export function nearestExisting(p: string): string {
  let cur = path.resolve(p);
  for (;;) {
    if (fs.existsSync(cur)) return cur;
    const parent = path.dirname(cur);
    if (parent === cur) return cur;
    cur = parent;
  }
}

/** "owner uid 0, gid 0, mode 0644" for messages; "missing" when there is nothing at `p`. */
export function describeStat(p: string): string {
  try {
    const st = fs.statSync(p);
    return `owner uid ${st.uid}, gid ${st.gid}, mode ${modeString(st.mode)}`;
  } catch {
    return 'missing';
  }
}
