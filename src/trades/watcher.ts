import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { errorMessage, isAppError } from '../errors.js';
import type { ImportFileResult, ImportOptions } from './import.service.js';

/**
 * The watched import folder (`<data dir>/import/`, off unless TRADELOG_WATCH_IMPORT is set). It polls rather
 * than using fs.watch, which misses events on bind mounts, SMB/NFS shares and Docker Desktop volumes — where a
 * NinjaTrader PC typically drops its files.
 *
 * A `.csv` file is imported when it is new or its size or mtime changed, and only once it has stayed the same
 * for one whole interval (NinjaTrader appends to the day's file all day). The whole file is imported each time:
 * dedupe on (account, execution id) makes re-reading what was already stored a no-op, so an appended file adds
 * just its new fills. A file with the same content as an earlier import is not read again. A rejected file is
 * tried again only when it changes. One import runs at a time.
 */
export interface ImportWatcherOptions {
  dir: string;
  /** Imports one file: usually `(p) => service.importFile({ path: p }, opts)`. */
  importFile: (filePath: string, options: ImportOptions) => Promise<ImportFileResult>;
  /** Poll interval (default 5 s). */
  intervalMs?: number;
  logger?: Logger;
  /** Called after each file import (the web app can show it). */
  onImport?: (result: ImportFileResult) => void;
  /** Called when a file could not be imported at all (unreadable, database fault). */
  onError?: (file: string, err: unknown) => void;
}

export interface ImportWatcher {
  /** Run one poll now (waits for a poll in progress first); returns the imports it made. */
  scanNow(): Promise<ImportFileResult[]>;
  /** Stop polling; resolves when an import in progress has finished. */
  stop(): Promise<void>;
}

interface FileState {
  size: number;
  mtimeMs: number;
}

const same = (a: FileState | undefined, b: FileState) => a !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs;

export function startImportWatcher(options: ImportWatcherOptions): ImportWatcher {
  const interval = options.intervalMs ?? 5000;
  const log = options.logger;
  /** What each file looked like at the previous poll, and when it was last imported. */
  const seen = new Map<string, FileState>();
  const done = new Map<string, FileState>();
  let running: Promise<ImportFileResult[]> = Promise.resolve([]);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const poll = async (): Promise<ImportFileResult[]> => {
    const results: ImportFileResult[] = [];
    let names: string[];
    try {
      fs.mkdirSync(options.dir, { recursive: true });
      names = fs.readdirSync(options.dir).filter((n) => n.toLowerCase().endsWith('.csv') && !n.startsWith('.') && !n.startsWith('~'));
    } catch (err) {
      log?.warn({ dir: options.dir, code: (err as { code?: string }).code }, `import folder unreadable: ${errorMessage(err)}`);
      return results;
    }
    for (const name of names.sort()) {
      if (stopped) break;
      const file = path.join(options.dir, name);
      let st: fs.Stats;
      try {
        st = fs.statSync(file);
      } catch {
        continue;
      }
      if (!st.isFile()) continue;
      const now: FileState = { size: st.size, mtimeMs: st.mtimeMs };
      const previous = seen.get(file);
      seen.set(file, now);
      if (same(done.get(file), now)) continue;
      // Still being written: wait until it looks the same on two polls in a row.
      if (!same(previous, now)) continue;
      try {
        const r = await options.importFile(file, { skipKnownContent: true });
        done.set(file, now);
        if (r.status !== 'unchanged') {
          results.push(r);
          const msg = `${name}: ${r.status}, ${r.executionsAdded} executions added, ${r.duplicatesSkipped} duplicates, ${r.rejected.length} bad rows`;
          if (r.status === 'rejected') log?.warn({ file, rejected: r.rejected.slice(0, 20) }, msg);
          else log?.info({ file, importId: r.importId }, msg);
          options.onImport?.(r);
        }
      } catch (err) {
        // Not marked done: tried again at the next poll.
        log?.error({ file, code: isAppError(err) ? err.code : undefined }, `import of ${name} failed: ${errorMessage(err)}`);
        options.onError?.(file, err);
      }
    }
    return results;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = running.then(poll, poll);
      running.then(schedule, schedule);
    }, interval);
    timer.unref();
  };
  // The first poll records sizes; files already complete are imported at the second.
  running = poll();
  running.then(schedule, schedule);

  return {
    scanNow() {
      running = running.then(poll, poll);
      return running;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}
