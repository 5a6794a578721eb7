import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { manualClock } from '../../src/clock.js';
import { dataPaths } from '../../src/config.js';
import { escapeControls, escapeControlsInJson } from '../../src/control-chars.js';
import { openStore } from '../../src/db/store.js';
import { CsvRecords } from '../../src/trades/csv-records.js';
import { sniffEncoding } from '../../src/trades/csv-text.js';
import { createTradesService } from '../../src/trades/trades.service.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, tempStore } from '../helpers/tmp.js';
import { snapshot } from './helpers.js';

// Hostile and odd input found by the hardening review (issue 9 §2 item 5): each case was mishandled before.
const HEAD = 'Instrument,Action,Quantity,Price,Time,ID,Commission,Account';
const NOW = '2026-06-15T12:00:00Z';

function service(t: TestContext) {
  const store = tempStore(t);
  return { store, service: createTradesService({ journal: store.journal, importTimezone: 'UTC', clock: manualClock(NOW) }) };
}

const row = (id: string, o: { qty?: string; price?: string; time?: string; account?: string; instrument?: string } = {}) =>
  `${o.instrument ?? 'MNQ 12-25'},Buy,${o.qty ?? '1'},${o.price ?? '21000'},${o.time ?? '10/1/2025 9:30:00 AM'},${id},$0.52,${o.account ?? 'SIM1'}`;

test('import refuses quantities that are not whole numbers from 1 to 100,000, naming the line and the field, and stores nothing', async (t) => {
  const { store, service: s } = service(t);
  const bad = ['100000000000000000000', '1e20', '9007199254740993', '100001', '0', '-1', '1.5', '00000000'];
  const content = [HEAD, row('ok', { qty: '100000' }), ...bad.map((q, i) => row(`b${i}`, { qty: q }))].join('\n');
  const before = snapshot(store);
  const r = await s.importFile({ name: 'qty.csv', content });
  assert.equal(r.status, 'rejected');
  assert.deepEqual(
    r.rejected.map((p) => p.line),
    bad.map((_, i) => i + 3),
  );
  for (const [i, p] of r.rejected.entries()) {
    assert.match(p.reason, new RegExp(`^bad number "${bad[i]}" in Quantity: expected a whole number of contracts from 1 to 100,000$`));
  }
  assert.deepEqual(snapshot(store), before);
  // 2^53 + 1 was stored as 9007199254740992 before: no rounding, the largest plausible fill is kept exactly
  const ok = await s.importFile({ name: 'max.csv', content: [HEAD, row('max', { qty: '0100000' })].join('\n') });
  assert.equal(ok.executionsAdded, 1);
  assert.equal(store.journal.conn.prepare('SELECT quantity FROM executions').pluck().get(), 100_000);
});

test('import reads every row of a file that mixes \\r\\n, \\r and \\n line endings, in every order', async (t) => {
  const { service: s } = service(t);
  const breaks = ['\r\n', '\r', '\n'];
  let n = 0;
  for (const a of breaks) {
    for (const b of breaks) {
      for (const c of breaks) {
        n++;
        const rows = [row(`m${n}a`), row(`m${n}b`), row(`m${n}c`)];
        const content = `${HEAD}${a}${rows[0]}${b}${rows[1]}${c}${rows[2]}${a}`;
        const r = await s.previewFile({ name: `mix${n}.csv`, content });
        const label = JSON.stringify([a, b, c]);
        assert.deepEqual([r.rowsRead, r.executionsAdded, r.rejected], [3, 3, []], label);
        assert.deepEqual(
          r.preview?.added.map((x) => [x.line, x.executionId]),
          [
            [2, `m${n}a`],
            [3, `m${n}b`],
            [4, `m${n}c`],
          ],
          label,
        );
      }
    }
  }
});

test('the CSV reader gives the same records and lines whatever the chunks, a \\r\\n split between two included', () => {
  const text = `a,b\r\nc,"d\re"\rf,g\nh,i\r\n\r\nj,"k\r\nl"\nm,n\r`;
  const read = (pieces: string[]) => {
    const out: [number, string[]][] = [];
    const r = new CsvRecords(
      (cells, line) => out.push([line, cells]),
      () => assert.fail('no record is unreadable'),
    );
    for (const p of pieces) r.write(p);
    r.end();
    return out;
  };
  const whole = read([text]);
  assert.deepEqual(whole, [
    [1, ['a', 'b']],
    [2, ['c', 'd\re']],
    [4, ['f', 'g']],
    [5, ['h', 'i']],
    [6, ['']],
    [7, ['j', 'k\r\nl']],
    [9, ['m', 'n']],
  ]);
  for (let cut = 1; cut < text.length; cut++) assert.deepEqual(read([text.slice(0, cut), text.slice(cut)]), whole, `cut at ${cut}`);
  assert.deepEqual(read([...text]), whole, 'one character at a time');
});

test('import refuses execution times outside 1990-01-01 .. a day after now (the clock), year 0000 included', async (t) => {
  const { service: s } = service(t);
  const times = {
    '1/1/0000 9:30:00 AM': false,
    '0000-01-01 09:30:00': false,
    '12/31/1899 9:30:00 AM': false,
    '6/1/1900 9:30:00 AM': false,
    '12/31/1989 11:59:59 PM': false,
    '1990-01-01 00:00:00': true,
    '6/16/2026 11:59:59 AM': true,
    '6/16/2026 12:00:01 PM': false,
    '1/2/2099 9:30:00 AM': false,
  } as const;
  const entries = Object.entries(times);
  const content = [HEAD, ...entries.map(([time], i) => row(`t${i}`, { time }))].join('\n');
  const r = await s.importFile({ name: 'years.csv', content }, { skipInvalid: true });
  assert.deepEqual(
    r.rejected.map((p) => p.line),
    entries.flatMap(([, ok], i) => (ok ? [] : [i + 2])),
  );
  for (const p of r.rejected) assert.match(p.reason, /is outside the plausible range 1990-01-01 to 2026-06-16 \(a day after today\)/);
  assert.match(r.rejected[0]?.reason ?? '', /^time "1\/1\/0000 9:30:00 AM"/, 'the year is named as written, not as 1900');
  assert.equal(r.executionsAdded, 2);
});

test('import reads UTF-16 files, little- and big-endian, with or without a byte order mark, and names what is not text', async (t) => {
  const { service: s } = service(t);
  const text = [HEAD, row('u1', { account: 'Compte-é' }), row('u2', { price: '21001' })].join('\r\n');
  const le = Buffer.from(text, 'utf16le');
  const be = Buffer.from(le).swap16();
  const cases: [string, Buffer][] = [
    ['UTF-8', Buffer.from(text)],
    ['UTF-8 BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])],
    ['UTF-16LE BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), le])],
    ['UTF-16BE BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), be])],
    ['UTF-16LE', le],
    ['UTF-16BE', be],
  ];
  for (const [label, content] of cases) {
    const r = await s.previewFile({ name: `${label}.csv`, content });
    assert.deepEqual([r.rowsRead, r.executionsAdded, r.rejected], [2, 2, []], label);
    assert.deepEqual(
      r.preview?.added.map((a) => a.account),
      ['Compte-é', 'SIM1'],
      label,
    );
  }
  assert.deepEqual(sniffEncoding(be.subarray(0, 64)), { ok: true, encoding: 'UTF-16BE', bomBytes: 0 });
  const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0x21, 0x00]);
  const notText = await s.importFile({ name: 'book.xlsx.csv', content: zip });
  assert.equal(notText.status, 'rejected');
  assert.match(notText.rejected[0]?.reason ?? '', /the file is not text/);
  // a header the importer cannot read says how the file was read
  const latin = await s.importFile({ name: 'x.csv', content: Buffer.from('just,some,words\n1,2,3\n', 'utf16le') });
  assert.match(latin.rejected[0]?.reason ?? '', /no header row: .* read as UTF-16LE/);
});

test('import refuses control characters in account, instrument, ID and order ID, naming the field and the character', async (t) => {
  const { store, service: s } = service(t);
  const content = [
    'Instrument,Action,Quantity,Price,Time,ID,Commission,Account,Order ID',
    `${row('c1', { account: 'SIM\u001b[31m1' })},o1`,
    `${row('c2', { instrument: 'MNQ 12-25\u0007' })},o2`,
    `${row('c3\u009b2J')},o3`,
    `${row('c4')},o\u202e4`,
    `${row('c5')},o5`,
  ].join('\n');
  const before = snapshot(store);
  const r = await s.importFile({ name: 'esc.csv', content });
  assert.equal(r.status, 'rejected');
  assert.deepEqual(
    r.rejected.map((p) => [
      p.line,
      /(Account|Instrument|ID|Order ID) holds a control character \(([^ ]+) at position (\d+)\)/.exec(p.reason)?.slice(1),
    ]),
    [
      [2, ['Account', '\\x1b', '4']],
      [3, ['Instrument', '\\x07', '10']],
      [4, ['ID', '\\x9b', '3']],
      [5, ['Order ID', '\\u202e', '2']],
    ],
  );
  assert.deepEqual(snapshot(store), before);
});

/** True when `text` holds an escape, a bell or a one-character CSI as such. */
const raw = (text: string) => ['\u001b', '\u0007', '\u009b'].some((c) => text.includes(c));

test('the CLI escapes control characters in tables, messages and JSON it prints', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const file = path.join(tempDir(t), 'ok.csv');
  fs.writeFileSync(file, [HEAD, row('e1'), row('e2', { price: '21004' }).replace(',Buy,', ',Sell,')].join('\n'));
  assert.equal(runCli(['import', file, '--data-dir', dataDir]).status, 0);
  // an account stored with an escape sequence (by an older version, or the legacy import): shown, never acted on
  const sql = `UPDATE executions SET account = 'SIM' || char(27) || ']0;pwned' || char(7) || char(155) || '2J';
    UPDATE positions SET account = (SELECT account FROM executions LIMIT 1);`;
  const store = openStore(dataPaths(dataDir));
  store.journal.conn.exec(sql);
  store.close();
  const text = runCli(['positions', '--data-dir', dataDir]);
  assert.equal(text.status, 0, text.stderr);
  assert.equal(raw(text.stdout), false);
  assert.match(text.stdout, /SIM\\x1b\]0;pwned\\x07\\x9b2J/);
  const json = runCli(['positions', '--json', '--data-dir', dataDir]);
  assert.equal(raw(json.stdout), false);
  assert.equal(
    (JSON.parse(json.stdout) as { account: string }[])[0]?.account,
    'SIM\u001b]0;pwned\u0007\u009b2J',
    'the JSON still says it exactly',
  );
  // a rejected file's reasons quote its cells: escaped too
  const hostile = path.join(tempDir(t), 'hostile.csv');
  fs.writeFileSync(hostile, [HEAD, row('h1', { price: '\u001b[2J' })].join('\n'));
  const rejected = runCli(['import', hostile, '--data-dir', dataDir]);
  assert.equal(rejected.status, 1);
  assert.equal(raw(rejected.stdout + rejected.stderr), false);
  assert.match(rejected.stderr, /bad number "\\x1b\[2J" in Price/);
  assert.equal(escapeControls('a\r\nb\tc\rd', true), 'a\nb\tc\\x0dd');
  assert.equal(escapeControlsInJson('{"a":"\u0085\u202e"}'), '{"a":"\\u0085\\u202e"}');
});

test('the row limit counts records the way the reader splits them: \\r-only files included', async (t) => {
  const { service: s } = service(t);
  const rows = (n: number, sep: string) => [HEAD, ...Array.from({ length: n }, (_, i) => row(`r${i}`))].join(sep);
  for (const sep of ['\n', '\r', '\r\n']) {
    const fine = await s.previewFile({ name: 'three.csv', content: rows(3, sep) }, { maxRows: 3 });
    assert.equal(fine.rowsRead, 3, JSON.stringify(sep));
    await assert.rejects(
      s.previewFile({ name: 'four.csv', content: rows(4, sep) }, { maxRows: 3 }),
      (err: { code?: string; message?: string }) => {
        assert.equal(err.code, 'TL_IMPORT_TOO_MANY_ROWS', JSON.stringify(sep));
        assert.match(err.message ?? '', /more than 3 rows; nothing of it was stored/);
        return true;
      },
    );
  }
});
