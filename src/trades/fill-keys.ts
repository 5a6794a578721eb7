import { createHash } from 'node:crypto';
import fs from 'node:fs';

/**
 * What every import shares to name a fill and a file: the content key of a fill without an id of its own (the
 * same for a NinjaTrader CSV row, an adapter's fill and a row of the old app's database, so they find each
 * other), the keys of derived fills, and a file's sha256 read in chunks.
 */

/** Where a file comes from: a path, or the bytes (an upload). */
export type CsvSource = { path: string } | { content: Buffer | string };

/**
 * Content keys `h:<hash>:<n>`: the fill's wall-clock time text (not the UTC instant, so the key does not depend
 * on the zone setting), account, contract, action, quantity and price, and the occurrence of that content in the
 * file, so two identical fills in one file stay two.
 */
export class ContentKeys {
  private readonly counts = new Map<string, number>();

  key(wall: string, account: string, contract: string, action: string, quantity: number, priceUnits: number): string {
    const content = `${wall}|${account}|${contract}|${action}|${quantity}|${priceUnits}`;
    const n = this.counts.get(content) ?? 0;
    this.counts.set(content, n + 1);
    return `h:${createHash('sha1').update(content).digest('hex').slice(0, 20)}:${n}`;
  }
}

/** The key of a fill derived from an order's filled total (one per order and account). */
export const orderKey = (orderId: string) => `o:${orderId}`;
/** The key of a fill derived from round-trip rows that name the source's fill id. */
export const roundTripKey = (fillId: string) => `rt:${fillId}`;

const CHUNK = 1 << 20;

/** The chunks of a source, read synchronously (a path is read 1 MiB at a time; memory stays bounded). */
export function* chunks(source: CsvSource): Generator<Buffer> {
  if ('content' in source) {
    const buf = typeof source.content === 'string' ? Buffer.from(source.content) : source.content;
    for (let i = 0; i < buf.length; i += CHUNK) yield buf.subarray(i, i + CHUNK);
    return;
  }
  const fd = fs.openSync(source.path, 'r');
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = fs.readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) return;
      yield buf.subarray(0, n);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** sha256 and size of a source, without parsing it. */
export function hashSource(source: CsvSource): { sha256: string; bytes: number } {
  const hash = createHash('sha256');
  let bytes = 0;
  for (const c of chunks(source)) {
    hash.update(c);
    bytes += c.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** The whole source as bytes (an adapter reads the file at once) and its hash. */
export function readSource(source: CsvSource): { bytes: Buffer; sha256: string } {
  const bytes =
    'content' in source
      ? typeof source.content === 'string'
        ? Buffer.from(source.content)
        : source.content
      : fs.readFileSync(source.path);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
