import crypto from 'node:crypto';
import zlib from 'node:zlib';
import type { Db } from '../db/open.js';
import { dbVersion } from './memo.js';

/**
 * Serialised chart answers, kept while market.db is unchanged. A chart is redrawn far more often than bars are
 * written, and a 2,000-bar answer costs a few milliseconds to read and serialise; a cached one costs nothing.
 *
 * "Unchanged" is decided by SQLite itself: `PRAGMA data_version` moves when another connection (a CLI import,
 * `tradelog ohlc update` in another process) commits, and `total_changes()` moves when this process's own
 * connection writes (the download jobs of the running server). Either change empties the cache.
 */
export interface CachedBody {
  etag: string;
  body: string;
  gzip?: Buffer;
}

export class BarsCache {
  private readonly entries = new Map<string, CachedBody>();
  private version = '';
  private readonly versionStmt;

  constructor(
    private readonly db: Db,
    private readonly maxEntries = 200,
  ) {
    this.versionStmt = db.conn.prepare('SELECT total_changes()').pluck();
  }

  private currentVersion(): string {
    return dbVersion(this.db, this.versionStmt);
  }

  get(key: string, build: () => string): CachedBody {
    const v = this.currentVersion();
    if (v !== this.version) {
      this.entries.clear();
      this.version = v;
    }
    let hit = this.entries.get(key);
    if (hit) {
      // Least recently used goes first: re-insert on every hit.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const body = build();
    hit = { etag: `"${crypto.createHash('sha1').update(body).digest('base64url').slice(0, 27)}"`, body };
    this.entries.set(key, hit);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return hit;
  }

  /** The gzip form of a cached body, made once. */
  gzip(entry: CachedBody): Buffer {
    entry.gzip ??= zlib.gzipSync(entry.body, { level: 6 });
    return entry.gzip;
  }
}
