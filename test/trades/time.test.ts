import assert from 'node:assert/strict';
import { test } from 'node:test';
import { zoneOffsets } from '../../src/calendar/zone.js';
import { parseWallTime, toUtc, type WallTime } from '../../src/trades/time.js';

const la = zoneOffsets('America/Los_Angeles');
const utc = (text: string, dst: 'reject' | 'earlier' | 'later' = 'reject') => {
  const w = parseWallTime(text);
  if (typeof w === 'string') return w;
  const t = toUtc(w, la, dst, text);
  return typeof t === 'string' ? t : new Date(t).toISOString();
};

test('parseWallTime reads 12-hour, zero-padded, 24-hour and ISO times as Los Angeles wall clock', () => {
  // PDT = UTC-7 on 2025-10-31
  assert.equal(utc('10/31/2025 9:30:15 AM'), '2025-10-31T16:30:15.000Z');
  assert.equal(utc('10/31/2025 09:30:15 AM'), '2025-10-31T16:30:15.000Z');
  assert.equal(utc('10/31/2025 12:00:00 PM'), '2025-10-31T19:00:00.000Z');
  assert.equal(utc('10/31/2025 12:05:00 AM'), '2025-10-31T07:05:00.000Z');
  assert.equal(utc('10/31/2025 21:30:15'), '2025-11-01T04:30:15.000Z');
  // looser spellings: lower case, dotted, no seconds, extra spaces
  assert.equal(utc(' 10/31/2025  9:30:15 am'), '2025-10-31T16:30:15.000Z');
  assert.equal(utc('10/31/2025 9:30 P.M.'), '2025-11-01T04:30:00.000Z');
  assert.equal(utc('2/29/2024 11:59:59 PM'), '2024-03-01T07:59:59.000Z');
  assert.equal(utc('2025-10-31 09:30:15'), '2025-10-31T16:30:15.000Z');
  assert.equal(utc('2025-10-31T09:30:15'), '2025-10-31T16:30:15.000Z');
  // PST = UTC-8 on 2025-11-03; an explicit offset wins over the zone
  assert.equal(utc('11/3/2025 7:00:00 AM'), '2025-11-03T15:00:00.000Z');
  assert.equal(utc('2025-11-03T07:00:00Z'), '2025-11-03T07:00:00.000Z');
  assert.equal(utc('2025-11-03 07:00:00+01:00'), '2025-11-03T06:00:00.000Z');
});

test('parseWallTime rejects impossible dates and unknown formats with the text seen', () => {
  assert.match(String(parseWallTime('31/10/2025 9:30:00 AM')), /bad time "31\/10\/2025 9:30:00 AM": no such date/);
  assert.match(String(parseWallTime('2/30/2025 9:30:00 AM')), /no such date/);
  assert.match(String(parseWallTime('10/31/2025 13:30:00 PM')), /hour 13 with PM/);
  assert.match(String(parseWallTime('10/31/2025 9:61:00 AM')), /no such time of day/);
  assert.match(String(parseWallTime('yesterday')), /bad time "yesterday": expected/);
});

test('toUtc flags the skipped hour at the spring DST change instead of guessing', () => {
  assert.match(utc('3/9/2025 2:30:00 AM'), /does not exist in America\/Los_Angeles/);
  // the two readings: with the offset after (PDT, -7) → 09:30Z, with the offset before (PST, -8) → 10:30Z
  assert.equal(utc('3/9/2025 2:30:00 AM', 'earlier'), '2025-03-09T09:30:00.000Z');
  assert.equal(utc('3/9/2025 2:30:00 AM', 'later'), '2025-03-09T10:30:00.000Z');
  // the hours around it are unambiguous
  assert.equal(utc('3/9/2025 1:59:59 AM'), '2025-03-09T09:59:59.000Z');
  assert.equal(utc('3/9/2025 3:00:00 AM'), '2025-03-09T10:00:00.000Z');
});

test('toUtc flags the repeated hour at the autumn DST change instead of guessing', () => {
  assert.match(utc('11/2/2025 1:30:00 AM'), /happens twice in America\/Los_Angeles/);
  assert.equal(utc('11/2/2025 1:30:00 AM', 'earlier'), '2025-11-02T08:30:00.000Z'); // 1:30 PDT
  assert.equal(utc('11/2/2025 1:30:00 AM', 'later'), '2025-11-02T09:30:00.000Z'); // 1:30 PST
  assert.equal(utc('11/2/2025 12:59:59 AM'), '2025-11-02T07:59:59.000Z');
  assert.equal(utc('11/2/2025 2:00:00 AM'), '2025-11-02T10:00:00.000Z');
});

test('toUtc applies the fixed offset when the zone has no DST', () => {
  const w = parseWallTime('6/20/2025 9:06:48 AM') as WallTime;
  assert.equal(toUtc(w, zoneOffsets('Asia/Tokyo'), 'reject', ''), Date.UTC(2025, 5, 20, 0, 6, 48));
  assert.equal(toUtc(w, zoneOffsets('UTC'), 'reject', ''), Date.UTC(2025, 5, 20, 9, 6, 48));
});
