import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { type DataPaths, dataPaths } from '../../src/config.js';
import { type OpenStoreOptions, openStore, type Store } from '../../src/db/store.js';

/**
 * A fresh directory under the system temp dir, mode 0755 (so a child dropped to uid 65534 can traverse it),
 * removed when the test ends.
 */
export function tempDir(t: TestContext | { after: (fn: () => void) => void }, prefix = 'tradelog-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Paths of a new, empty data directory. */
export function tempDataPaths(t: TestContext | { after: (fn: () => void) => void }): DataPaths {
  return dataPaths(path.join(tempDir(t), 'data'));
}

/** A real, migrated store (journal.db + market.db) in a temp data dir, closed when the test ends. */
export function tempStore(t: TestContext | { after: (fn: () => void) => void }, options: OpenStoreOptions = {}): Store {
  const paths = tempDataPaths(t);
  const store = openStore(paths, options);
  t.after(() => store.close());
  return store;
}
