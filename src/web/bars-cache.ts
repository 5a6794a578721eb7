import crypto from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { LRUCache } from 'lru-cache';

/**
 * What `GET /api/bars/:instrument` keeps besides the chart cache (src/market-data/chart-cache.ts, which holds the
 * bars): the ETag of an answer and the gzip form of recent JSON answers.
 *
 * The ETag names the query, the form (JSON or binary) and the version of the instrument's bars in that timeframe
 * (not a hash of the body, which would cost a pass over it), so a browser revalidating an unchanged chart gets a
 * 304 and a chart whose bars changed gets the new ones.
 *
 * Compressing 80 KB of JSON costs a few milliseconds: it runs on libuv's thread pool, never on the event loop, and
 * the result is kept (8 MiB of compressed answers at most, least recently used out) so a chart asked again costs
 * nothing. The binary form is not compressed (see docs/web.md).
 */
export const GZIP_CACHE_BYTES = 8 * 1024 * 1024;

const gzip = promisify(zlib.gzip);

export class BarsAnswers {
  private readonly gzipped = new LRUCache<string, Buffer>({ maxSize: GZIP_CACHE_BYTES, sizeCalculation: (b) => b.length + 100 });

  etag(version: string, key: string, format: string): string {
    return `"${crypto.createHash('sha1').update(`${version}\u001f${format}\u001f${key}`).digest('base64url').slice(0, 27)}"`;
  }

  /** The gzip form of the JSON answer named `etag`, made by `body()` and compressed off the event loop on first demand. */
  async gzip(etag: string, body: () => Buffer): Promise<Buffer> {
    const held = this.gzipped.get(etag);
    if (held) return held;
    const made = await gzip(body(), { level: 6 });
    this.gzipped.set(etag, made);
    return made;
  }
}

/** Whether an If-None-Match header (`"a"`, `W/"a", "b"` or `*`) matches `etag`. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const tag = part.trim().replace(/^W\//, '');
    return tag === etag || tag === '*';
  });
}
