import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  closedRanges,
  easterSunday,
  expectedBarTimes,
  findGaps,
  fourHourBucket,
  holidayOn,
  holidays,
  isOpen,
  isoWeekOfDay,
  sessionFor,
  tradingDay,
  tradingDayNumber,
} from '../../src/calendar/sessions.js';
import { hourOfDay } from '../../src/calendar/zone.js';

const ms = (iso: string) => Date.parse(iso);
const sec = (iso: string) => Date.parse(iso) / 1000;
const isoOf = (t: number) => new Date(t).toISOString();

test('easterSunday matches published Easter dates', () => {
  assert.equal(easterSunday(2024), '2024-03-31');
  assert.equal(easterSunday(2025), '2025-04-20');
  assert.equal(easterSunday(2026), '2026-04-05');
  assert.equal(easterSunday(2038), '2038-04-25');
});

test('holidays lists the 2025 exchange holidays and early closes with their CT closes', () => {
  const got = holidays(2025).map((h) => `${h.date} ${h.kind} ${h.closeCt ?? ''}`.trim());
  assert.deepEqual(got, [
    '2025-01-01 closed',
    '2025-01-20 halt 12:00',
    '2025-02-17 halt 12:00',
    '2025-04-18 closed',
    '2025-05-26 halt 12:00',
    '2025-06-19 halt 12:00',
    '2025-07-03 early-close 12:15',
    '2025-07-04 halt 12:00',
    '2025-09-01 halt 12:00',
    '2025-11-27 halt 12:00',
    '2025-11-28 early-close 12:15',
    '2025-12-24 early-close 12:15',
    '2025-12-25 closed',
  ]);
});

test('holidays moves a Saturday holiday to Friday and a Sunday holiday to Monday', () => {
  // 4 July 2026 is a Saturday: observed Friday 3 July, and no 12:15 early close that day.
  assert.equal(holidayOn('2026-07-03')?.name, 'Independence Day');
  assert.equal(holidayOn('2026-07-03')?.kind, 'halt');
  // 25 December 2022 is a Sunday: observed Monday 26 December.
  assert.equal(holidayOn('2022-12-26')?.name, 'Christmas Day');
  // 19 June 2027 is a Saturday: Juneteenth observed Friday 18 June.
  assert.equal(holidayOn('2027-06-18')?.name, 'Juneteenth');
  // 25 December 2021 is a Saturday: Christmas observed Friday 24 December (closed, not an early close).
  assert.equal(holidayOn('2021-12-24')?.kind, 'closed');
});

test('holidays keeps 31 December open when New Year falls on a Saturday, and has no Juneteenth before 2022', () => {
  assert.equal(holidayOn('2021-12-31'), undefined);
  assert.ok(!holidays(2022).some((h) => h.name === "New Year's Day"));
  assert.ok(!holidays(2021).some((h) => h.name === 'Juneteenth'));
  assert.ok(holidays(2022).some((h) => h.name === 'Juneteenth' && h.date === '2022-06-20'));
});

test('sessionFor opens at 17:00 CT the day before and closes at 16:00 CT, through a DST change', () => {
  // Friday 7 March 2025 (CST, UTC-6) and Monday 10 March 2025 (CDT since Sunday 9 March, UTC-5).
  const fri = sessionFor('2025-03-07');
  assert.equal(isoOf(fri?.open as number), '2025-03-06T23:00:00.000Z');
  assert.equal(isoOf(fri?.close as number), '2025-03-07T22:00:00.000Z');
  const mon = sessionFor('2025-03-10');
  assert.equal(isoOf(mon?.open as number), '2025-03-09T22:00:00.000Z', 'Sunday 17:00 CDT');
  assert.equal(isoOf(mon?.close as number), '2025-03-10T21:00:00.000Z');
  // Fall back on Sunday 2 November 2025: Monday's session opens at 17:00 CST = 23:00 UTC.
  assert.equal(isoOf(sessionFor('2025-11-03')?.open as number), '2025-11-02T23:00:00.000Z');
});

test('sessionFor is null on weekends and full holidays and closes early on short days', () => {
  assert.equal(sessionFor('2025-03-08'), null);
  assert.equal(sessionFor('2025-03-09'), null);
  assert.equal(sessionFor('2025-12-25'), null);
  assert.equal(sessionFor('2025-04-18'), null, 'Good Friday');
  assert.equal(isoOf(sessionFor('2025-11-28')?.close as number), '2025-11-28T18:15:00.000Z', '12:15 CST');
  assert.equal(isoOf(sessionFor('2025-07-04')?.close as number), '2025-07-04T17:00:00.000Z', '12:00 CDT');
  // The day after Christmas opens on Christmas evening.
  assert.equal(isoOf(sessionFor('2025-12-26')?.open as number), '2025-12-25T23:00:00.000Z');
});

test('tradingDay rolls at 17:00 CT and moves the weekend to Monday', () => {
  assert.equal(tradingDay(ms('2025-06-18T21:59:59Z')), '2025-06-18', '16:59:59 CDT');
  assert.equal(tradingDay(ms('2025-06-18T22:00:00Z')), '2025-06-19', '17:00 CDT');
  assert.equal(tradingDay(ms('2025-01-15T22:30:00Z')), '2025-01-15', '16:30 CST is still the same day');
  assert.equal(tradingDay(ms('2025-01-15T23:00:00Z')), '2025-01-16', '17:00 CST');
  assert.equal(tradingDay(ms('2025-06-20T23:00:00Z')), '2025-06-23', 'Friday evening → Monday');
  assert.equal(tradingDay(ms('2025-06-21T12:00:00Z')), '2025-06-23', 'Saturday → Monday');
  assert.equal(tradingDay(ms('2025-06-22T22:00:00Z')), '2025-06-23', 'Sunday open → Monday');
  assert.equal(tradingDay(ms('2025-03-09T22:30:00Z')), '2025-03-10', 'first session after the DST change');
});

test('isOpen follows the daily break, the weekend and early closes', () => {
  assert.equal(isOpen(ms('2025-06-18T15:00:00Z')), true);
  assert.equal(isOpen(ms('2025-06-18T21:00:00Z')), false, '16:00 CDT break');
  assert.equal(isOpen(ms('2025-06-18T22:00:00Z')), true, '17:00 CDT reopen');
  assert.equal(isOpen(ms('2025-06-21T15:00:00Z')), false, 'Saturday');
  assert.equal(isOpen(ms('2025-06-22T21:59:00Z')), false, 'Sunday before 17:00 CDT');
  assert.equal(isOpen(ms('2025-11-28T18:14:00Z')), true, '12:14 CST on the day after Thanksgiving');
  assert.equal(isOpen(ms('2025-11-28T18:15:00Z')), false, '12:15 CST early close');
  assert.equal(isOpen(ms('2025-12-25T16:00:00Z')), false, 'Christmas Day');
});

test('closedRanges gives the weekend and the daily break in UTC across DST', () => {
  const closed = closedRanges(ms('2025-03-07T00:00:00Z'), ms('2025-03-11T00:00:00Z')).map((r) => [isoOf(r.start), isoOf(r.end)]);
  assert.deepEqual(closed, [
    ['2025-03-07T22:00:00.000Z', '2025-03-09T22:00:00.000Z'],
    ['2025-03-10T21:00:00.000Z', '2025-03-10T22:00:00.000Z'],
  ]);
});

test('expectedBarTimes lists the bars of open sessions only, and findGaps reports the missing runs', () => {
  const expected = expectedBarTimes(sec('2025-03-07T19:00:00Z'), sec('2025-03-10T00:00:00Z'), 3600);
  assert.deepEqual(
    expected.map((t) => isoOf(t * 1000)),
    [
      '2025-03-07T19:00:00.000Z',
      '2025-03-07T20:00:00.000Z',
      '2025-03-07T21:00:00.000Z',
      '2025-03-09T22:00:00.000Z',
      '2025-03-09T23:00:00.000Z',
    ],
  );
  // A 12:15 CT early close still expects the 12:00 bar of 1h data.
  const short = expectedBarTimes(sec('2025-11-28T16:00:00Z'), sec('2025-11-28T23:00:00Z'), 3600);
  assert.deepEqual(
    short.map((t) => isoOf(t * 1000)),
    ['2025-11-28T16:00:00.000Z', '2025-11-28T17:00:00.000Z', '2025-11-28T18:00:00.000Z'],
  );
  const stored = [sec('2025-03-07T19:00:00Z'), sec('2025-03-09T23:00:00Z')];
  assert.deepEqual(findGaps(stored, expected, 3600), [
    { from: sec('2025-03-07T20:00:00Z'), to: sec('2025-03-07T22:00:00Z'), missing: 2 },
    { from: sec('2025-03-09T22:00:00Z'), to: sec('2025-03-09T23:00:00Z'), missing: 1 },
  ]);
  assert.deepEqual(findGaps(expected, expected, 3600), [], 'the weekend is not a gap');
});

test('fourHourBucket aligns to 17:00 CT session opens in winter and summer', () => {
  const b = (iso: string) => isoOf(fourHourBucket(ms(iso)));
  assert.equal(b('2025-03-07T14:00:00Z'), '2025-03-07T11:00:00.000Z', '08:00 CST → 05:00 CST bucket');
  assert.equal(b('2025-03-07T21:00:00Z'), '2025-03-07T19:00:00.000Z', '15:00 CST → 13:00 CST bucket');
  assert.equal(b('2025-03-09T22:00:00Z'), '2025-03-09T22:00:00.000Z', '17:00 CDT opens the first bucket');
  assert.equal(b('2025-03-10T01:00:00Z'), '2025-03-09T22:00:00.000Z');
  assert.equal(b('2025-03-10T02:00:00Z'), '2025-03-10T02:00:00.000Z', '21:00 CDT');
  assert.equal(b('2025-03-10T20:00:00Z'), '2025-03-10T18:00:00.000Z', '15:00 CDT → 13:00 CDT bucket');
});

test('tradingDay rolls at 17:00 Chicago around the autumn DST change and on late UTC evenings', () => {
  // Tuesday 2025-10-28, CDT (UTC-5): 16:59 CT → Tuesday; 17:00 and 17:05 CT → Wednesday
  assert.equal(tradingDay(Date.parse('2025-10-28T21:59:00Z')), '2025-10-28');
  assert.equal(tradingDay(Date.parse('2025-10-28T22:00:00Z')), '2025-10-29');
  assert.equal(tradingDay(Date.parse('2025-10-28T22:05:00Z')), '2025-10-29');
  // Tuesday 2025-11-04, CST (UTC-6): 17:05 CT is 23:05Z
  assert.equal(tradingDay(Date.parse('2025-11-04T22:05:00Z')), '2025-11-04');
  assert.equal(tradingDay(Date.parse('2025-11-04T23:05:00Z')), '2025-11-05');
  // Sunday evening after the DST change belongs to Monday
  assert.equal(tradingDay(Date.parse('2025-11-02T23:30:00Z')), '2025-11-03');
  // late evening UTC that is still afternoon in Chicago
  assert.equal(tradingDay(Date.parse('2025-11-05T04:00:00Z')), '2025-11-05');
  // no session from Friday 17:00 to Sunday 17:00 CT: those times belong to Monday
  assert.equal(tradingDay(Date.parse('2025-10-31T20:59:00Z')), '2025-10-31'); // Friday 15:59 CDT
  assert.equal(tradingDay(Date.parse('2025-10-31T22:30:00Z')), '2025-11-03'); // Friday 17:30 CDT
  assert.equal(tradingDay(Date.parse('2025-11-01T15:00:00Z')), '2025-11-03'); // Saturday
  assert.equal(tradingDay(Date.parse('2025-11-02T20:00:00Z')), '2025-11-03'); // Sunday 14:00 CST
});

test('isoWeekOfDay and hourOfDay label groups as people read them', () => {
  const day = (s: string) => tradingDayNumber(Date.parse(`${s}T15:00:00Z`));
  assert.equal(isoWeekOfDay(day('2025-10-29')), '2025-W44');
  assert.equal(isoWeekOfDay(day('2025-12-29')), '2026-W01'); // Monday of ISO week 1 of 2026
  assert.equal(isoWeekOfDay(day('2021-01-01')), '2020-W53'); // a Friday in ISO week 53 of 2020
  assert.equal(hourOfDay(Date.parse('2025-10-28T14:30:00Z'), 'America/Chicago'), 9);
  assert.equal(hourOfDay(Date.parse('2025-11-04T14:30:00Z'), 'America/Chicago'), 8);
  assert.equal(hourOfDay(Date.parse('2025-11-04T14:30:00Z'), 'America/Los_Angeles'), 6);
});
