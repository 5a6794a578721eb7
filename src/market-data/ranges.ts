import type { Range } from '../calendar/sessions.js';

/**
 * Half-open time ranges [start, end) and the set operations the downloader needs to work out what is missing.
 * Pure; units are whatever the caller uses consistently (the downloader uses Unix seconds).
 */
export type { Range };

/** Sorted, non-overlapping, non-empty; touching ranges are joined. */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ start: r.start, end: r.end });
  }
  return out;
}

/** `from` minus every range of `minus`. */
export function subtractRanges(from: readonly Range[], minus: readonly Range[]): Range[] {
  const cut = mergeRanges(minus);
  const out: Range[] = [];
  for (const r of mergeRanges(from)) {
    let start = r.start;
    for (const c of cut) {
      if (c.end <= start) continue;
      if (c.start >= r.end) break;
      if (c.start > start) out.push({ start, end: c.start });
      start = Math.max(start, c.end);
      if (start >= r.end) break;
    }
    if (start < r.end) out.push({ start, end: r.end });
  }
  return out;
}

export function intersectRanges(a: readonly Range[], b: readonly Range[]): Range[] {
  const x = mergeRanges(a);
  const y = mergeRanges(b);
  const out: Range[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const p = x[i] as Range;
    const q = y[j] as Range;
    const start = Math.max(p.start, q.start);
    const end = Math.min(p.end, q.end);
    if (end > start) out.push({ start, end });
    if (p.end < q.end) i++;
    else j++;
  }
  return out;
}

/**
 * A measure over sorted, merged ranges: `lengthIn(a, b)` is how much of [a, b) they cover, in O(log n).
 */
export function rangeMeasure(ranges: readonly Range[]): (a: number, b: number) => number {
  const rs = mergeRanges(ranges);
  const prefix: number[] = [0];
  for (const r of rs) prefix.push((prefix[prefix.length - 1] as number) + (r.end - r.start));
  // Covered length in (-inf, x).
  const upTo = (x: number): number => {
    let lo = 0;
    let hi = rs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((rs[mid] as Range).start < x) lo = mid + 1;
      else hi = mid;
    }
    // rs[0..lo) start before x; the last of them may contain x.
    if (lo === 0) return 0;
    const last = rs[lo - 1] as Range;
    return (prefix[lo - 1] as number) + (Math.min(x, last.end) - last.start);
  };
  return (a, b) => (b > a ? upTo(b) - upTo(a) : 0);
}

/** Split each range into pieces of at most `size`, oldest first. */
export function splitRanges(ranges: readonly Range[], size: number): Range[] {
  const out: Range[] = [];
  for (const r of ranges) {
    for (let s = r.start; s < r.end; s += size) out.push({ start: s, end: Math.min(r.end, s + size) });
  }
  return out;
}

/** Widen each range outwards to multiples of `step` (so a request asks for whole bars), then merge. */
export function alignRanges(ranges: readonly Range[], step: number): Range[] {
  return mergeRanges(ranges.map((r) => ({ start: Math.floor(r.start / step) * step, end: Math.ceil(r.end / step) * step })));
}
