/**
 * Bytes → text for import files. Exports come as UTF-8 (with or without a BOM; TopstepX writes one) and, from
 * Windows tools, as UTF-16 little- or big-endian with a BOM. A UTF-16 file without a BOM is recognised by the
 * zero high bytes of its first ASCII characters. Anything else is read as UTF-8.
 */
export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export function sniffEncoding(bytes: Uint8Array): { encoding: Encoding; bomLength: number } {
  const [b0, b1, b2, b3] = [bytes[0], bytes[1], bytes[2], bytes[3]];
  if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) return { encoding: 'utf-8', bomLength: 3 };
  if (b0 === 0xff && b1 === 0xfe) return { encoding: 'utf-16le', bomLength: 2 };
  if (b0 === 0xfe && b1 === 0xff) return { encoding: 'utf-16be', bomLength: 2 };
  if (bytes.length >= 4 && b0 !== 0 && b1 === 0 && b2 !== 0 && b3 === 0) return { encoding: 'utf-16le', bomLength: 0 };
  if (bytes.length >= 4 && b0 === 0 && b1 !== 0 && b2 === 0 && b3 !== 0) return { encoding: 'utf-16be', bomLength: 0 };
  return { encoding: 'utf-8', bomLength: 0 };
}

/** Text of `bytes` (the BOM dropped). `partial`: the bytes are a file's head, so a character cut at the end is dropped. */
export function decodeText(bytes: Uint8Array, partial = false): string {
  const { encoding, bomLength } = sniffEncoding(bytes);
  let body = bytes.subarray(bomLength);
  if (encoding === 'utf-16be') {
    const even = body.length - (body.length % 2);
    const swapped = new Uint8Array(even);
    for (let i = 0; i < even; i += 2) {
      swapped[i] = body[i + 1] as number;
      swapped[i + 1] = body[i] as number;
    }
    body = swapped;
  }
  const decoder = new TextDecoder(encoding === 'utf-8' ? 'utf-8' : 'utf-16le');
  return partial ? decoder.decode(body, { stream: true }) : decoder.decode(body);
}
