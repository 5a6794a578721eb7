import { test } from 'node:test';
import { testInstant } from './instant-checks.js';

// Holidays, an early close and the last evening of the year, each at a fixed instant on a pinned clock
// (instant-checks.ts). The expected last session and open/closed state come from the CME holiday calendar.

testInstant(test, {
  // 4 July 2026 is a Saturday: observed Friday 3 July, equity halted at 12:00 CT, reopening Sunday.
  label: 'Independence Day observed, after the 12:00 CT halt',
  at: '2026-07-03T18:00:00Z',
  lastSession: '2026-07-03',
  open: false,
});

testInstant(test, {
  // Friday 27 November 2026, the day after Thanksgiving: early close at 12:15 CT.
  label: 'the day after Thanksgiving, 45 minutes after the 12:15 CT early close',
  at: '2026-11-27T19:00:00Z',
  lastSession: '2026-11-27',
  open: false,
});

testInstant(test, {
  // Thursday 31 December 2026, 17:30 CST: New Year's Day (Friday) is closed, so no session opens this evening.
  label: "New Year's Eve, when no session opens at 17:00 CT",
  at: '2026-12-31T23:30:00Z',
  lastSession: '2026-12-31',
  open: false,
});
