import type { Bar, ColumnarBars } from '../../src/market-data/bars.repo.js';

/** The columnar form of bars (what readColumnar answers), built the plain way, for expectations. */
export function columnsOf(bars: readonly Bar[]): ColumnarBars {
  return {
    t: bars.map((b) => b.time),
    o: bars.map((b) => b.open),
    h: bars.map((b) => b.high),
    l: bars.map((b) => b.low),
    c: bars.map((b) => b.close),
    v: bars.map((b) => b.volume),
  };
}

/**
 * The binary form of GET /api/bars (docs/web.md "Bars in binary") read back byte by byte, as a reader in another
 * language would: the header checked, each column in the type the header names.
 */
export function decodeBinaryBars(body: Buffer): ColumnarBars & { types: number[] } {
  if (body.toString('latin1', 0, 4) !== 'TLB1') throw new Error('not TLB1');
  const n = body.readUInt32LE(4);
  const types = [...body.subarray(8, 14)];
  if (body.readUInt16LE(14) !== 0) throw new Error('bytes 14–15 are not zero');
  const base = body.readDoubleLE(16);
  const cols: number[][] = [];
  let at = 24;
  for (const type of types) {
    const width = type === 1 ? 8 : 4;
    const read = (i: number) =>
      type === 1 ? body.readDoubleLE(at + 8 * i) : type === 2 ? body.readFloatLE(at + 4 * i) : body.readUInt32LE(at + 4 * i);
    if (![1, 2, 3].includes(type)) throw new Error(`column type ${type}`);
    cols.push(Array.from({ length: n }, (_, i) => read(i)));
    at += Math.ceil((width * n) / 8) * 8;
  }
  if (at !== body.length) throw new Error(`${body.length} bytes, the header accounts for ${at}`);
  const [t = [], o = [], h = [], l = [], c = [], v = []] = cols;
  return { t: types[0] === 3 ? t.map((x) => base + x) : t, o, h, l, c, v, types };
}
