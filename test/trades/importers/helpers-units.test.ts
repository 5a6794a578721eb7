import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideDecimalMark, parseCents, parsePrice, parseQuantity } from '../../../src/trades/importers/amounts.js';
import { ContractResolver, nearestYear, undecorate } from '../../../src/trades/importers/contracts.js';
import { readRecords } from '../../../src/trades/importers/records.js';
import { decideDateOrder, parseStamp, TimeReader, zoneInHeader } from '../../../src/trades/importers/times.js';
import { fixture, parse, registry } from './helpers.js';

/** The shared helpers of the importers: contracts, times, numbers, records. */

test('the contract resolver reads every spelling of broker-formats §9.1 to root, month and year', () => {
  const r = new ContractResolver(registry);
  const at = Date.UTC(2026, 4, 14);
  const read = (raw: string, root?: string) => {
    const c = r.resolve(raw, at, root);
    return c.ok ? `${c.value.root} ${c.value.month}/${c.value.year}` : c.reason;
  };
  assert.equal(read('MNQM6', 'MNQ'), 'MNQ 6/2026'); // Tradovate, with Product
  assert.equal(read('CM.MNQU6'), 'MNQ 9/2026'); // ProjectX completed orders, WealthCharts
  assert.equal(read('MNQ 09-26'), 'MNQ 9/2026'); // NinjaTrader
  assert.equal(read('MES JUN26'), 'MES 6/2026');
  assert.equal(read('MNQ DEC25'), 'MNQ 12/2025');
  assert.equal(read('MESM6', 'MES'), 'MES 6/2026'); // IBKR with UnderlyingSymbol
  assert.equal(read('MESM26_FUT_CME'), 'MES 6/2026'); // Sierra Chart
  assert.equal(read('MESU6.CME'), 'MES 9/2026');
  assert.equal(read('/NQM26'), 'NQ 6/2026'); // thinkorswim
  assert.equal(read('ES 20260320 M'), 'ES 3/2026'); // IBKR Eurex-style root + expiry date
  assert.equal(read('ZNH7'), 'ZN 3/2027');
  assert.match(read('MESM6', 'ES'), /is not of the root "ES"/);
  assert.match(read('MNQ'), /names no expiry month/);
  assert.match(read('FDXS 20240315 M'), /unknown instrument root "FDXS".*Settings → Instruments/);
  assert.match(read('MNQ 13-26'), /not a contract name/);
  assert.equal(undecorate(' cm.mnqu6 '), 'MNQU6');
});

test('a one-digit year goes to the decade nearest the fill date', () => {
  assert.equal(nearestYear(6, 3, Date.UTC(2025, 11, 1)), 2026); // H6 traded Dec 2025
  assert.equal(nearestYear(9, 12, Date.UTC(2026, 4, 1)), 2029); // Z9 traded 2026 (2019 is further)
  assert.equal(nearestYear(0, 3, Date.UTC(2029, 11, 1)), 2030); // H0 traded Dec 2029
  assert.equal(nearestYear(5, 12, Date.UTC(2026, 0, 5)), 2025); // Z5 traded Jan 2026
  assert.equal(nearestYear(1, 3, Date.UTC(2026, 2, 1)), 2031); // a tie (5 years either way) goes to the later
});

test('parseStamp reads the spellings of every format', () => {
  const iso = (text: string, order: 'mdy' | 'dmy' = 'mdy') => {
    const reader = new TimeReader({ zone: 'America/New_York', source: 'option' }, 'reject', order);
    const t = reader.read(text);
    return t.ok ? new Date(t.value).toISOString() : t.reason;
  };
  assert.equal(iso('9/8/2026 9:31:05 AM'), '2026-09-08T13:31:05.000Z');
  assert.equal(iso('27/04/2026 6:05:02', 'dmy'), '2026-04-27T10:05:02.000Z');
  assert.equal(iso('01-04-2026 00:27:56', 'dmy'), '2026-04-01T04:27:56.000Z');
  assert.equal(iso('27.04.2026 06:05', 'dmy'), '2026-04-27T10:05:00.000Z');
  assert.equal(iso('2026-03-13 14:10:45.244Z'), '2026-03-13T14:10:45.244Z');
  assert.equal(iso('07/02/2026 10:10:08 -04:00'), '2026-07-02T14:10:08.000Z');
  assert.equal(iso('2024-04-24 09:52:19'), '2024-04-24T13:52:19.000Z');
  assert.equal(iso('20260323;122919'), '2026-03-23T16:29:19.000Z');
  assert.equal(iso('2026-03-23;12:29:19'), '2026-03-23T16:29:19.000Z');
  assert.equal(iso('2026-04-09  10:12:51.123456'), '2026-04-09T14:12:51.123Z');
  assert.match(iso('13/13/2026 10:00:00'), /no such date/);
  assert.match(iso('0000-01-01 00:00:00'), /year 0 is outside/);
  assert.match(iso('3/8/2026 2:30:00 AM'), /does not exist in America\/New_York/); // DST gap
  assert.match(iso('yesterday'), /not a date and time/);
  assert.equal(parseStamp('2026-03-13T14:10:45+0530').ok, true);
});

test('decideDateOrder: evidence in the data, the option only when undecidable, never a guess', () => {
  const cells = (...texts: string[]) => texts.map((text, i) => ({ text, line: i + 2 }));
  assert.deepEqual(decideDateOrder(cells('04/05/2026 10:00', '13/05/2026 10:00'), 'mdy'), {
    ok: true,
    value: { order: 'dmy', source: 'data' },
  });
  assert.deepEqual(decideDateOrder(cells('04/05/2026 10:00', '05/13/2026 10:00'), undefined), {
    ok: true,
    value: { order: 'mdy', source: 'data' },
  });
  assert.deepEqual(decideDateOrder(cells('04/05/2026 10:00'), 'dmy'), { ok: true, value: { order: 'dmy', source: 'option' } });
  assert.equal(decideDateOrder(cells('04/05/2026 10:00'), undefined).ok, false);
  assert.deepEqual(decideDateOrder(cells('05/05/2026 10:00', '2026-05-06 10:00'), undefined), {
    ok: true,
    value: { order: 'mdy', source: 'data' },
  });
});

test('zoneInHeader names the IANA zone of a column’s abbreviation', () => {
  assert.deepEqual(zoneInHeader('Update Time (EDT)'), { ok: true, value: 'America/New_York' });
  assert.deepEqual(zoneInHeader('Update Time (CST)'), { ok: true, value: 'America/Chicago' });
  assert.equal(zoneInHeader('Update Time'), undefined);
  assert.equal(zoneInHeader('Update Time (QQT)')?.ok, false);
});

test('numbers: the decimal mark is decided per file, the other mark only groups thousands', () => {
  assert.deepEqual(parsePrice('7200,75', ','), { ok: true, value: 72_007_500_000 });
  assert.deepEqual(parsePrice('2,345', ','), { ok: true, value: 23_450_000 }); // NG at 2.345 in a comma file
  assert.deepEqual(parsePrice('2,345', '.'), { ok: true, value: 23_450_000_000 });
  assert.equal(parsePrice('7200,75', '.').ok, false); // never read as 720075
  assert.deepEqual(parsePrice('1.234,5', ','), { ok: true, value: 12_345_000_000 });
  for (const [text, cents, mark] of [
    ['$1.04', 104, '.'],
    ['0,62 $', 62, ','],
    ['90.00 $', 9000, '.'],
    ['($75.90)', -7590, '.'],
    ['$(10.00)', -1000, '.'],
    ['$1,200.00', 120000, '.'],
    ['-1.24', -124, '.'],
    ['USD 4.04', 404, '.'],
    ['$$0.52', 52, '.'],
  ] as const) {
    assert.deepEqual(parseCents(text, mark), { ok: true, value: cents }, text);
  }
  assert.deepEqual(decideDecimalMark(['7200,75', '0,62 $'], '.'), { ok: true, value: ',' });
  assert.deepEqual(decideDecimalMark(['7200', '21,482'], '.'), { ok: true, value: '.' });
  assert.equal(decideDecimalMark(['1.5', '2,5'], '.').ok, false);
  assert.equal(parseQuantity('1e20').ok, false);
  assert.equal(parseQuantity('9007199254740993').ok, false);
  assert.deepEqual(parseQuantity('-2', true), { ok: true, value: -2 });
});

test('records: semicolon and tab files with mixed line endings lose no row; UTF-16 with either byte order is read', () => {
  const mixed = readRecords('a;b\r\n1;2\n3;4\r5;6', ';');
  assert.deepEqual(
    mixed.records.map((r) => [r.line, r.cells.join('|')]),
    [
      [1, 'a|b'],
      [2, '1|2'],
      [3, '3|4'],
      [4, '5|6'],
    ],
  );
  const text = fixture('tradovate-fills', 'session.csv').toString('utf8');
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const be = Buffer.from(le);
  for (let i = 0; i < be.length; i += 2) [be[i], be[i + 1]] = [be[i + 1] as number, be[i] as number];
  for (const bytes of [le, be]) {
    const r = parse(bytes);
    assert.equal(r.format, 'tradovate-fills');
    assert.equal(r.fills.length, 6);
  }
});
