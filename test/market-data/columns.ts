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
