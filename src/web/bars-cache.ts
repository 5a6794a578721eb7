import crypto from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { LRUCache } from 'lru-cache';

/**
 * What `GET /api/bars/:instrument` keeps besides the chart cache (src/market-data/chart-cache.ts, which holds the
 * bars): the ETag of an answer and the compressed form of recent JSON answers.
 *
 * The ETag names the query, the form (JSON or binary) and the version of the instrument's bars in that timeframe
 * (not a hash of the body, which would cost a pass over it), so a browser revalidating an unchanged chart gets a
 * 304 and a chart whose bars changed gets the new ones.
 *
 * JSON is compressed with the fastest settings, because a new window is compressed on every request: brotli at
 * quality 1 when the client takes it (a 2,000-bar answer of 81 KB becomes 15 KB in about 0.5 ms), else gzip at level
 * 1 (23 KB in about 1.2 ms; level 6 would save 5 KB for five times the work). It runs on libuv's thread pool, never
 * on the event loop, and the result is kept (8 MiB of compressed answers at most, least recently used out), so a
 * chart asked for again costs nothing. The binary form is not compressed (docs/web.md).
 */
export const COMPRESSED_CACHE_BYTES = 8 * 1024 * 1024;

export type Encoding = 'br' | 'gzip';

const compressors: Record<Encoding, (body: Buffer) => Promise<Buffer>> = {
  br: (body) =>
    brotli(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } }),
  gzip: (body) => gzip(body, { level: 1 }),
};
const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

export class BarsAnswers {
  private readonly compressed = new LRUCache<string, Buffer>({ maxSize: COMPRESSED_CACHE_BYTES, sizeCalculation: (b) => b.length + 100 });

  etag(version: string, key: string, format: string): string {
    return `"${crypto.createHash('sha1').update(`${version}\u001f${format}\u001f${key}`).digest('base64url').slice(0, 27)}"`;
  }

  /** The answer named `etag` (made by `body()`) compressed, made off the event loop on first demand. */
  async compress(etag: string, encoding: Encoding, body: () => Buffer): Promise<Buffer> {
    const key = `${etag}\u001f${encoding}`;
    const held = this.compressed.get(key);
    if (held) return held;
    const made = await compressors[encoding](body());
    this.compressed.set(key, made);
    return made;
  }
}

/** The encoding to answer in: brotli, else gzip, when the Accept-Encoding header takes it (not with q=0). */
export function chooseEncoding(header: string | undefined): Encoding | undefined {
  const taken = new Set<string>();
  for (const part of (header ?? '').toLowerCase().split(',')) {
    const [name = '', ...params] = part.split(';').map((x) => x.trim());
    const q = params.find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) taken.add(name);
  }
  if (taken.has('br')) return 'br';
  if (taken.has('gzip') || taken.has('*')) return 'gzip';
  return undefined;
}

/** Whether an If-None-Match header (`"a"`, `W/"a", "b"` or `*`) matches `etag`. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const tag = part.trim().replace(/^W\//, '');
    return tag === etag || tag === '*';
  });
}
