import { StringDecoder } from 'node:string_decoder';

/**
 * The bytes of an export → text, chunk by chunk, in the encoding its first bytes show:
 * - a byte order mark: UTF-8 (EF BB BF), UTF-16LE (FF FE) or UTF-16BE (FE FF); the mark is dropped;
 * - no mark: UTF-16 when every other byte of the start is zero (ASCII text written two bytes a character, the
 *   zero first for big-endian, second for little-endian); UTF-8 otherwise (which ASCII is part of);
 * - zero bytes in any other pattern: not text (a spreadsheet, an archive), said as such instead of being read
 *   as one long broken line.
 * Windows Excel's "Unicode text" and some PowerShell redirections write UTF-16; NinjaTrader itself writes UTF-8.
 */
export type TextEncoding = 'UTF-8' | 'UTF-16LE' | 'UTF-16BE';

/** Bytes looked at to tell the encoding of a file without a byte order mark. */
const SNIFF_BYTES = 512;

export type Sniffed = { ok: true; encoding: TextEncoding; bomBytes: number } | { ok: false; reason: string };

/** The encoding of a file from its first bytes (at most SNIFF_BYTES are looked at). */
export function sniffEncoding(head: Uint8Array): Sniffed {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { ok: true, encoding: 'UTF-8', bomBytes: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { ok: true, encoding: 'UTF-16LE', bomBytes: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { ok: true, encoding: 'UTF-16BE', bomBytes: 2 };
  const n = Math.min(head.length, SNIFF_BYTES) & ~1;
  let zeroEven = 0;
  let zeroOdd = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) zeroEven++;
    if (head[i + 1] === 0) zeroOdd++;
  }
  const pairs = n / 2;
  if (zeroEven === 0 && zeroOdd === 0 && !(n < head.length && head[n] === 0)) return { ok: true, encoding: 'UTF-8', bomBytes: 0 };
  // Mostly ASCII in UTF-16: the high byte of (nearly) every character is zero, the low byte never.
  if (zeroOdd >= pairs * 0.8 && zeroEven === 0) return { ok: true, encoding: 'UTF-16LE', bomBytes: 0 };
  if (zeroEven >= pairs * 0.8 && zeroOdd === 0) return { ok: true, encoding: 'UTF-16BE', bomBytes: 0 };
  return {
    ok: false,
    reason: 'the file is not text (it has zero bytes, as a spreadsheet or an archive does): export the executions as CSV (UTF-8 or UTF-16)',
  };
}

interface Decoder {
  write(chunk: Buffer): string;
  end(): string;
}

function decoderFor(encoding: TextEncoding): Decoder {
  if (encoding === 'UTF-16BE') {
    const d = new TextDecoder('utf-16be');
    return { write: (c) => d.decode(c, { stream: true }), end: () => d.decode() };
  }
  const d = new StringDecoder(encoding === 'UTF-8' ? 'utf8' : 'utf16le');
  return { write: (c) => d.write(c), end: () => d.end() };
}

/**
 * Streaming decoder: `write` each chunk, then `end`. The encoding is decided on the first SNIFF_BYTES bytes (or
 * fewer, at the end of a short file); until then chunks are held back. `failed` is set when the bytes are not text.
 */
export class TextChunks {
  private decoder: Decoder | undefined;
  private held: Buffer[] = [];
  private heldBytes = 0;
  encoding: TextEncoding = 'UTF-8';
  failed: string | undefined;

  write(chunk: Buffer): string {
    if (this.decoder) return this.decoder.write(chunk);
    if (this.failed) return '';
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    return this.heldBytes >= SNIFF_BYTES ? this.start() : '';
  }

  end(): string {
    const head = this.decoder || this.failed ? '' : this.start();
    return this.decoder ? head + this.decoder.end() : '';
  }

  private start(): string {
    const all = this.held.length === 1 ? (this.held[0] as Buffer) : Buffer.concat(this.held);
    this.held = [];
    const sniffed = sniffEncoding(all.subarray(0, SNIFF_BYTES));
    if (!sniffed.ok) {
      this.failed = sniffed.reason;
      return '';
    }
    this.encoding = sniffed.encoding;
    this.decoder = decoderFor(sniffed.encoding);
    return this.decoder.write(all.subarray(sniffed.bomBytes));
  }
}
