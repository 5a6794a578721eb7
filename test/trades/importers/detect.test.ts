import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { isAppError } from '../../../src/errors.js';
import { ADAPTERS, adapterFor, detectAll, detectFormat, FORMAT_NAMES, parseFile } from '../../../src/trades/importers/formats.js';
import { headerSignature, parseColumnMapping } from '../../../src/trades/importers/mapping.js';
import { Sample } from '../../../src/trades/importers/sample.js';
import { FIXTURES, fixture, registry } from './helpers.js';

/**
 * Detection reads the head of a file and looks at its header and shape, never its name. Every fixture of
 * test/fixtures/formats/<format>/ must be detected as <format> by exactly one adapter.
 */
const fixtures = fs
  .readdirSync(FIXTURES)
  .filter((d) => fs.statSync(path.join(FIXTURES, d)).isDirectory())
  .flatMap((format) => fs.readdirSync(path.join(FIXTURES, format)).map((file) => ({ format, file })))
  .filter((f) => !f.file.endsWith('.md'));

const brokerX = parseColumnMapping({
  name: 'Broker X',
  signature: 'tradedatetime|acct|symbol|dir|qty|fillpx|comm|exchfee|execid',
  columns: {
    time: 'Trade Date Time',
    account: 'Acct',
    contract: 'Symbol',
    side: 'Dir',
    quantity: 'Qty',
    price: 'Fill Px',
    commission: 'Comm',
    exchangeFee: 'Exch Fee',
    fillId: 'Exec ID',
  },
});

test('every format has at least one fixture', () => {
  const covered = new Set(fixtures.map((f) => f.format));
  assert.deepEqual(
    [...FORMAT_NAMES].filter((n) => !covered.has(n)),
    [],
  );
});

for (const { format, file } of fixtures) {
  test(`detection finds ${format}/${file} as ${format} and as no other format`, () => {
    const found = detectAll(Sample.fromBytes(fixture(format, file)), { mappings: [brokerX] });
    assert.deepEqual(
      found.map((d) => d.format),
      [format],
    );
    assert.ok((found[0]?.confidence ?? 0) > 0.5);
  });
}

test('detection is by content: a Tradovate Fills file named like a NinjaTrader export is still Tradovate Fills', () => {
  const bytes = fixture('tradovate-fills', 'session.csv');
  const r = parseFile(new Uint8Array(bytes), { registry, zone: 'America/New_York' });
  assert.equal(r.format, 'tradovate-fills');
  assert.equal(r.detection?.headerLine, 1);
});

test('detectFormat refuses a file in no known format, quoting its first line and naming what was looked for', () => {
  const sample = Sample.fromText('Date,Ticker,Shares,Cost basis\n2026-01-02,AAPL,10,2011.00\n');
  assert.throws(
    () => detectFormat(sample),
    (err: unknown) => {
      assert.ok(isAppError(err));
      assert.equal(err.code, 'TL_IMPORT_UNKNOWN_FORMAT');
      assert.match(err.message, /"Date,Ticker,Shares,Cost basis"/);
      assert.match(err.remedy, /Tradovate Fills: a header with Fill ID/);
      assert.match(err.remedy, /Rithmic Completed Orders/);
      assert.equal((err.details?.lookedFor as unknown[] | undefined)?.length, ADAPTERS.length);
      return true;
    },
  );
});

test('detectFormat refuses a header that fits two formats, naming both, and --format settles it', () => {
  const header = 'Instrument,Action,Quantity,Price,Time,Commission,Account,Market pos.,Qty,Entry price,Exit price,Entry time,Exit time';
  const row =
    'MNQ 09-26,Buy,1,23410.25,9/14/2026 9:31:05 AM,$0.52,Sim101,Long,1,23410.25,23414.50,9/14/2026 9:31:05 AM,9/14/2026 9:39:02 AM';
  assert.throws(
    () => detectFormat(Sample.fromText(`${header}\n${row}\n`)),
    (err: unknown) => isAppError(err) && err.code === 'TL_IMPORT_AMBIGUOUS_FORMAT' && /nt8-executions, nt8-trades/.test(err.message),
  );
  const forced = parseFile(`${header}\n${row}\n`, { registry, zone: 'America/New_York', format: 'nt8-trades' });
  assert.equal(forced.format, 'nt8-trades');
  assert.equal(forced.fills.length, 2);
});

test('--format with a name tradelog does not have is TL_IMPORT_BAD_FORMAT_NAME listing the names', () => {
  assert.throws(
    () => adapterFor('tradovate'),
    (err: unknown) => isAppError(err) && err.code === 'TL_IMPORT_BAD_FORMAT_NAME' && /tradovate-fills/.test(err.remedy),
  );
});

test('a generic CSV is detected only by a saved mapping made for its header', () => {
  const bytes = fixture('generic', 'broker-x.csv');
  assert.deepEqual(detectAll(Sample.fromBytes(bytes)), []);
  const lines = bytes.toString('utf8').split('\n');
  assert.equal(headerSignature((lines[0] as string).split(';')), brokerX.signature);
  const r = parseFile(new Uint8Array(bytes), { registry, zone: 'America/New_York', mappings: [brokerX] });
  assert.equal(r.format, 'generic');
  assert.equal(r.detection?.mapping, 'Broker X');
  assert.equal(r.fills.length, 2);
});

test('detection reads only the head of a large file', () => {
  const head = fixture('tradovate-fills', 'session.csv').toString('utf8');
  const row = head.split('\n')[1] as string;
  const big = Buffer.from(head + `${row}\n`.repeat(60_000)); // ~15 MB
  const sample = Sample.fromBytes(big);
  assert.ok(sample.lines.length <= 60);
  assert.equal(detectFormat(sample).detection.format, 'tradovate-fills');
});
