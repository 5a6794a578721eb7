import crypto from 'node:crypto';
import zlib from 'node:zlib';
import type { Db } from '../db/open.js';
import { VersionMemo } from './memo.js';

/**
 * Serialised chart answers, kept while market.db is unchanged (VersionMemo). A chart is redrawn far more often
 * than bars are written, and a 2,000-bar answer costs a few milliseconds to read and serialise; a cached one
 * costs nothing. The ETag names the query and the database version (not a hash of the body, which would cost a
 * pass over 80 KB on every miss), so a browser revalidating an unchanged chart gets a 304.
 */
export interface CachedBody {
  readonly etag: string;
  readonly body: string;
}

/** Versions restart with the process; this keeps an ETag of an earlier run from matching a later one. */
const BOOT = crypto.randomBytes(8).toString('base64url');

export class BarsCache {
  private readonly memo: VersionMemo;
  /** Remembered values are read-only (VersionMemo), so the gzip form made on first demand is kept beside them. */
  private readonly gzipped = new WeakMap<CachedBody, Buffer>();

  constructor(db: Db, maxEntries = 200) {
    this.memo = new VersionMemo(db, maxEntries);
  }

  get(key: string, build: () => string): CachedBody {
    return this.memo.get(key, () => ({
      etag: `"${crypto.createHash('sha1').update(`${BOOT}\u001f${this.memo.current}\u001f${key}`).digest('base64url').slice(0, 27)}"`,
      body: build(),
    }));
  }

  /** The gzip form of a cached body, made once. */
  gzip(entry: CachedBody): Buffer {
    let buf = this.gzipped.get(entry);
    if (!buf) {
      buf = zlib.gzipSync(entry.body, { level: 6 });
      this.gzipped.set(entry, buf);
    }
    return buf;
  }
}
