import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Bar } from '../../src/market-data/bars.repo.js';
import { deriveFourHourBars } from '../../src/market-data/derive.js';

const bar = (iso: string, open: number, high: number, low: number, close: number, volume: number): Bar => ({
  time: Date.parse(iso) / 1000,
  open,
  high,
  low,
  close,
  volume,
});

test('deriveFourHourBars splits at the 16:00 CT close and the 17:00 CT open, before and after a DST change', () => {
  const hourly: Bar[] = [
    // Thursday 6 March 2025 (CST, UTC-6), the session's last bucket 13:00–16:00 CT.
    bar('2025-03-06T19:00:00Z', 100, 102, 99, 101, 10),
    bar('2025-03-06T20:00:00Z', 101, 105, 100, 104, 20),
    bar('2025-03-06T21:00:00Z', 104, 104.5, 98, 99, 30),
    // Friday's session opens Thursday 17:00 CST = 23:00 UTC.
    bar('2025-03-06T23:00:00Z', 99.25, 100, 99, 99.5, 5),
    bar('2025-03-07T00:00:00Z', 99.5, 101, 99.25, 100.75, 6),
    bar('2025-03-07T01:00:00Z', 100.75, 100.75, 97, 98, 7),
    bar('2025-03-07T02:00:00Z', 98, 99, 97.5, 98.5, 8),
    bar('2025-03-07T03:00:00Z', 98.5, 99.75, 98.25, 99.5, 9),
    // Clocks went forward on Sunday 9 March: Monday's session opens Sunday 17:00 CDT = 22:00 UTC.
    bar('2025-03-09T22:00:00Z', 110, 111, 109, 110.5, 3),
    bar('2025-03-09T23:00:00Z', 110.5, 112, 110, 111.75, 4),
    bar('2025-03-10T00:00:00Z', 111.75, 112.5, 111, 112, 5),
    bar('2025-03-10T01:00:00Z', 112, 113, 111.5, 112.25, 6),
    bar('2025-03-10T02:00:00Z', 112.25, 112.5, 110, 110.25, 7),
    // Clocks went back on Sunday 2 November: Monday's session opens Sunday 17:00 CST = 23:00 UTC.
    bar('2025-10-31T19:00:00Z', 200, 201, 199, 200.5, 1),
    bar('2025-10-31T20:00:00Z', 200.5, 202, 200, 201, 2),
    bar('2025-11-02T23:00:00Z', 205, 206, 204, 205.5, 3),
    bar('2025-11-03T02:00:00Z', 205.5, 207, 205, 206.75, 4),
    bar('2025-11-03T03:00:00Z', 206.75, 207.25, 206, 207, 5),
  ];
  const got = deriveFourHourBars(hourly).map((b) => ({ ...b, time: new Date(b.time * 1000).toISOString() }));
  // Worked out by hand from the bars above.
  assert.deepEqual(got, [
    { time: '2025-03-06T19:00:00.000Z', open: 100, high: 105, low: 98, close: 99, volume: 60 },
    { time: '2025-03-06T23:00:00.000Z', open: 99.25, high: 101, low: 97, close: 98.5, volume: 26 },
    { time: '2025-03-07T03:00:00.000Z', open: 98.5, high: 99.75, low: 98.25, close: 99.5, volume: 9 },
    { time: '2025-03-09T22:00:00.000Z', open: 110, high: 113, low: 109, close: 112.25, volume: 18 },
    { time: '2025-03-10T02:00:00.000Z', open: 112.25, high: 112.5, low: 110, close: 110.25, volume: 7 },
    // 13:00 CDT bucket on Friday 31 October = 18:00 UTC.
    { time: '2025-10-31T18:00:00.000Z', open: 200, high: 202, low: 199, close: 201, volume: 3 },
    // 17:00 CST on Sunday 2 November = 23:00 UTC; 21:00 CST = 03:00 UTC.
    { time: '2025-11-02T23:00:00.000Z', open: 205, high: 207, low: 204, close: 206.75, volume: 7 },
    { time: '2025-11-03T03:00:00.000Z', open: 206.75, high: 207.25, low: 206, close: 207, volume: 5 },
  ]);
});

test('deriveFourHourBars returns nothing for no bars', () => {
  assert.deepEqual(deriveFourHourBars([]), []);
});
