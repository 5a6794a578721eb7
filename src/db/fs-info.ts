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
