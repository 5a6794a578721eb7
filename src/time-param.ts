import { AppError } from './errors.js';

/**
 * `from`/`to` of /api/bars, /api/executions and `ohlc bars`, read strictly (Date.parse takes "1", "June 5" or "2025-02-30" and
 * makes something of them): Unix seconds (digits only), an ISO 8601 date (`2025-06-18`; as `to` it includes the
 * whole day) or date-time (`2025-06-18T14:30`, seconds and fractions optional, `Z` or `±HH:MM`; no offset = UTC),
 * inside a plausible window: from 1970-01-01 up to (not including) 2100-01-01 UTC.
 */
export const TIME_PARAM_WINDOW = { fromSec: 0, toSec: Date.UTC(2100, 0, 1) / 1000 } as const;

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;

function badTime(name: string, value: string, why: string): AppError {
  return new AppError('TL_MARKET_BAD_RANGE', `${name} "${value.slice(0, 60)}" ${why}.`, {
    remedy: `Write ${name} as Unix seconds (1750256400) or ISO 8601 (2025-06-18 or 2025-06-18T14:30:00Z), between 1970 and 2099.`,
    details: { parameter: name, value: value.slice(0, 60) },
  });
}

/** Unix seconds of `value`; `endOfDay` makes a date alone mean its last second (for `to`). */
export function parseTimeParam(value: string, name: string, endOfDay = false): number {
  let sec: number;
  if (/^\d{1,11}$/.test(value)) {
    sec = Number(value);
  } else {
    const m = DATE_TIME.exec(value);
    if (!m) throw badTime(name, value, 'is neither Unix seconds nor an ISO 8601 date or date-time');
    // Fractions of a second are dropped (bars and fills are compared in whole seconds).
    const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1, 7) as string[];
    const [sign, oh = '0', om = '0'] = m.slice(9, 12) as (string | undefined)[];
    const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
    const ms = Date.UTC(...fields);
    const back = new Date(ms);
    const same =
      back.getUTCFullYear() === fields[0] &&
      back.getUTCMonth() === fields[1] &&
      back.getUTCDate() === fields[2] &&
      back.getUTCHours() === fields[3] &&
      back.getUTCMinutes() === fields[4] &&
      back.getUTCSeconds() === fields[5];
    if (!same) throw badTime(name, value, 'is not a real date and time');
    if (Number(oh) > 14 || Number(om) > 59) throw badTime(name, value, 'has an offset that is not a time zone offset');
    const offsetSec = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60) : 0;
    sec = Math.floor(ms / 1000) - offsetSec;
    if (endOfDay && m[4] === undefined) sec += 86399;
  }
  if (sec < TIME_PARAM_WINDOW.fromSec || sec >= TIME_PARAM_WINDOW.toSec) {
    throw badTime(name, value, 'is outside 1970–2099');
  }
  return sec;
}

/** Both ends of a range, each optional; `from` after `to` is refused. */
export function parseTimeRange(q: { from?: string; to?: string }): { from?: number; to?: number } {
  const from = q.from === undefined || q.from === '' ? undefined : parseTimeParam(q.from, 'from');
  const to = q.to === undefined || q.to === '' ? undefined : parseTimeParam(q.to, 'to', true);
  if (from !== undefined && to !== undefined && from > to) {
    throw new AppError('TL_MARKET_BAD_RANGE', `from (${q.from}) is after to (${q.to}).`, {
      remedy: 'Give from before to.',
      details: { from: q.from, to: q.to },
    });
  }
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}
