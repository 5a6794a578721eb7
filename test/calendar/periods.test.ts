import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addMonths, currentTradingDay, PERIOD_IDS, type PeriodId, resolvePeriod } from '../../src/calendar/periods.js';

/** Every named period at `iso` as `from..to` (empty sides for an open end). */
function periodsAt(iso: string): Record<PeriodId, string> {
  const now = Date.parse(iso);
  const out = {} as Record<PeriodId, string>;
  for (const id of PERIOD_IDS) {
    const p = resolvePeriod(id, now);
    out[id] = `${p.from ?? ''}..${p.to ?? ''}`;
  }
  return out;
}

test('periods resolve to CME trading days when the clock stands after Friday’s close (2026-11-20 16:30 CST)', () => {
  assert.deepEqual(periodsAt('2026-11-20T22:30:00Z'), {
    today: '2026-11-20..2026-11-20',
    'this-week': '2026-11-16..2026-11-20',
    'this-month': '2026-11-01..2026-11-20',
    'last-30-days': '2026-10-22..2026-11-20',
    'year-to-date': '2026-01-01..2026-11-20',
    all: '..',
  });
});

test('periods keep the week that ended over the weekend when the clock stands on Saturday and Sunday before the open', () => {
  for (const iso of ['2026-11-21T18:00:00Z', '2026-11-22T22:59:59Z']) {
    assert.equal(currentTradingDay(Date.parse(iso)), '2026-11-20', iso);
    assert.equal(periodsAt(iso)['this-week'], '2026-11-16..2026-11-20', iso);
  }
});

test('periods start Monday’s trading day when the Sunday evening session has opened (17:00 CST = 23:00Z)', () => {
  // The session that opens Sunday 17:00 Chicago belongs to Monday: "today" and "this week" are Monday's.
  const p = periodsAt('2026-11-22T23:00:00Z');
  assert.equal(p.today, '2026-11-23..2026-11-23');
  assert.equal(p['this-week'], '2026-11-23..2026-11-23');
  assert.equal(p['last-30-days'], '2026-10-25..2026-11-23');
});

test('periods cross into the new month when the Sunday evening session of May 31 opens (17:00 CDT = 22:00Z)', () => {
  // Sunday 2026-05-31 before the open: still May's last trading day (Friday 29th).
  const before = periodsAt('2026-05-31T21:59:00Z');
  assert.equal(before.today, '2026-05-29..2026-05-29');
  assert.equal(before['this-month'], '2026-05-01..2026-05-29');
  // From the open: Monday June 1, the first day of June and of its week.
  const after = periodsAt('2026-05-31T22:00:00Z');
  assert.equal(after.today, '2026-06-01..2026-06-01');
  assert.equal(after['this-month'], '2026-06-01..2026-06-01');
  assert.equal(after['this-week'], '2026-06-01..2026-06-01');
});

test('periods keep the week that began in the previous month when a month starts mid-week (Wednesday 2026-07-01)', () => {
  const p = periodsAt('2026-07-01T15:00:00Z');
  assert.equal(p['this-week'], '2026-06-29..2026-07-01');
  assert.equal(p['this-month'], '2026-07-01..2026-07-01');
});

test('periods count the day’s evening session as the next trading day when a day closes (Thursday 17:30 CST → Friday)', () => {
  // Thanksgiving 2026-11-26 halts at 12:00 CT and reopens at 17:00 CT for Friday's session.
  assert.equal(currentTradingDay(Date.parse('2026-11-26T19:00:00Z')), '2026-11-26');
  assert.equal(currentTradingDay(Date.parse('2026-11-26T23:30:00Z')), '2026-11-27');
});

test('periods stay in the old year over New Year’s Day and start the new one with its first session', () => {
  // New Year's Eve after the close, and New Year's Day (closed all day): the last trading day is 2026-12-31.
  for (const iso of ['2026-12-31T22:30:00Z', '2027-01-01T18:00:00Z']) {
    const p = periodsAt(iso);
    assert.equal(p.today, '2026-12-31..2026-12-31', iso);
    assert.equal(p['year-to-date'], '2026-01-01..2026-12-31', iso);
    assert.equal(p['this-week'], '2026-12-28..2026-12-31', iso);
  }
  // Sunday 2027-01-03 17:30 CST: the first session of 2027 (Monday January 4) has opened.
  const p = periodsAt('2027-01-03T23:30:00Z');
  assert.equal(p.today, '2027-01-04..2027-01-04');
  assert.equal(p['year-to-date'], '2027-01-01..2027-01-04');
  assert.equal(p['this-month'], '2027-01-01..2027-01-04');
  assert.equal(p['this-week'], '2027-01-04..2027-01-04');
  assert.equal(p['last-30-days'], '2026-12-06..2027-01-04');
});

test('addMonths moves across year ends when the calendar pages back and forth', () => {
  assert.equal(addMonths('2027-01', -1), '2026-12');
  assert.equal(addMonths('2026-12', 1), '2027-01');
  assert.equal(addMonths('2026-06', -18), '2024-12');
});
