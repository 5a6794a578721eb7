import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alignRanges, intersectRanges, mergeRanges, rangeMeasure, splitRanges, subtractRanges } from '../../src/market-data/ranges.js';

const r = (start: number, end: number) => ({ start, end });

test('mergeRanges joins overlapping and touching ranges and drops empty ones', () => {
  assert.deepEqual(mergeRanges([r(5, 8), r(0, 2), r(2, 3), r(7, 10), r(4, 4)]), [r(0, 3), r(5, 10)]);
});

test('subtractRanges removes covered parts, leaving the holes', () => {
  assert.deepEqual(subtractRanges([r(0, 100)], [r(10, 20), r(15, 30), r(90, 120)]), [r(0, 10), r(30, 90)]);
  assert.deepEqual(subtractRanges([r(0, 10)], []), [r(0, 10)]);
  assert.deepEqual(subtractRanges([r(0, 10)], [r(-5, 50)]), []);
});

test('intersectRanges keeps only what both sets cover', () => {
  assert.deepEqual(intersectRanges([r(0, 10), r(20, 30)], [r(5, 25)]), [r(5, 10), r(20, 25)]);
});

test('splitRanges cuts ranges into pieces no longer than the size', () => {
  assert.deepEqual(splitRanges([r(0, 25)], 10), [r(0, 10), r(10, 20), r(20, 25)]);
});

test('alignRanges widens ranges to whole steps', () => {
  assert.deepEqual(alignRanges([r(61, 119), r(125, 130)], 60), [r(60, 180)]);
});

test('rangeMeasure tells how much of an interval the ranges cover', () => {
  const m = rangeMeasure([r(0, 10), r(20, 30), r(40, 50)]);
  assert.equal(m(0, 50), 30);
  assert.equal(m(5, 25), 10);
  assert.equal(m(10, 20), 0);
  assert.equal(m(-100, 100), 30);
  assert.equal(m(45, 45), 0);
});
