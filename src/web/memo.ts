import type { Db } from '../db/open.js';

/**
 * "Has this database changed?" in two cheap reads: `PRAGMA data_version` moves when another connection (a CLI
 * import, another process) commits; `total_changes()` moves when this process's own connection writes.
 */
function dbVersion(db: Db, totalChanges: { get(): unknown }): string {
  return `${db.conn.pragma('data_version', { simple: true }) as number}.${totalChanges.get() as number}`;
}

/**
 * Whether remembered values are frozen: everywhere except `NODE_ENV=production` (the Docker image sets it), so in
 * development and under the test runner a caller that mutates a shared value fails at once with a TypeError
 * instead of changing what the next page view gets. Production skips the extra pass over large results.
 */
export const FREEZE_CACHED_VALUES = process.env.NODE_ENV !== 'production';

/**
 * Object.freeze over plain objects and arrays, all the way down. Other values (Buffers, Maps, class instances)
 * are left as they are: typed arrays cannot be frozen, and nothing cached holds the others.
 */
export function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) continue;
    const proto = Object.getPrototypeOf(v);
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) continue;
    Object.freeze(v);
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push(child);
  }
  return value;
}

/**
 * Results computed from a database, kept until it changes (then all are dropped), least recently used first out.
 * Pages read the journal far more often than it changes: the statistics of 10,000 positions are computed once
 * per import, not once per page view. Cached values are shared by every caller, so they are read-only: frozen
 * (FREEZE_CACHED_VALUES) outside production; a caller that needs another order or shape makes a copy.
 */
export class VersionMemo {
  private readonly entries = new Map<string, unknown>();
  private version = '';
  private readonly totalChanges;

  constructor(
    private readonly db: Db,
    private readonly maxEntries = 100,
    private readonly freeze = FREEZE_CACHED_VALUES,
  ) {
    this.totalChanges = db.conn.prepare('SELECT total_changes()').pluck();
  }

  /** The database version the remembered values belong to (set by the last `get`). */
  get current(): string {
    return this.version;
  }

  get<T>(key: string, build: () => T): T {
    const v = dbVersion(this.db, this.totalChanges);
    if (v !== this.version) {
      this.entries.clear();
      this.version = v;
    }
    if (this.entries.has(key)) {
      const hit = this.entries.get(key) as T;
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const value = this.freeze ? deepFreeze(build()) : build();
    // A build that wrote (none should) changed the version: don't keep a value computed from the old state.
    if (dbVersion(this.db, this.totalChanges) === v) {
      this.entries.set(key, value);
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    }
    return value;
  }
}
