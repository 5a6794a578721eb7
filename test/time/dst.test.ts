import { test } from 'node:test';
import { testInstant } from './instant-checks.js';

// Both 2026 daylight-saving changes in Chicago, each at a fixed instant on a pinned clock (instant-checks.ts): the
// Sunday evening open on the spring-forward day, and the repeated hour of the fall-back night.

testInstant(test, {
  // Sunday 8 March 2026: 02:00 CST became 03:00 CDT. At 17:30 CDT Monday's session has been open for 30 minutes
  // (it opened at 22:00Z, an hour earlier in UTC than a week before); the last finished session is Friday's (CST).
  label: 'the Sunday evening open on the spring-forward day, 30 minutes in',
  at: '2026-03-08T22:30:00Z',
  lastSession: '2026-03-06',
  open: true,
  openedAt: '2026-03-08T22:00:00Z',
});

testInstant(test, {
  // Sunday 1 November 2026, 02:00 CDT became 01:00 CST: 07:30Z is 01:30 CST, the second pass through that hour.
  label: 'the fall-back Sunday, inside the repeated hour',
  at: '2026-11-01T07:30:00Z',
  lastSession: '2026-10-30',
  open: false,
});
