import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalContract, InstrumentRegistry, parseContract } from '../../src/instruments/instruments.js';

test('parseContract reads every form traders meet as the same contract', () => {
  for (const name of ['MNQ DEC25', 'MNQ 12-25', 'MNQZ5', 'MNQZ25', 'mnq  dec25']) {
    const ref = parseContract(name, undefined, 2026);
    assert.equal(ref.root, 'MNQ', name);
    assert.equal(ref.month, 12, name);
    assert.equal(ref.year, 2025, name);
    assert.equal(canonicalContract(ref), 'MNQ 12-25', name);
  }
  assert.deepEqual(parseContract('MNQ SEP25'), { raw: 'MNQ SEP25', root: 'MNQ', month: 9, year: 2025 });
  assert.deepEqual(parseContract('MNQ 09-25'), { raw: 'MNQ 09-25', root: 'MNQ', month: 9, year: 2025 });
});

test('parseContract takes the known root when a root ends in a month-code letter', () => {
  assert.equal(parseContract('ZNH6', undefined, 2026).root, 'ZN');
  assert.equal(parseContract('ZNZ25').root, 'ZN');
  assert.equal(parseContract('6EU5', undefined, 2026).root, '6E');
  assert.equal(parseContract('6EU5', undefined, 2026).month, 9);
});

test('parseContract accepts bare roots and Yahoo symbols without an expiry', () => {
  assert.deepEqual(parseContract('MNQ'), { raw: 'MNQ', root: 'MNQ' });
  assert.deepEqual(parseContract('NQ=F'), { raw: 'NQ=F', root: 'NQ' });
  assert.equal(canonicalContract(parseContract('ES')), 'ES');
});

test('parseContract rejects names it cannot read, naming them', () => {
  for (const bad of ['', 'MNQ 13-25', 'MNQ FOO25', 'MNQ DEC2025X', 'M N Q']) {
    assert.throws(
      () => parseContract(bad),
      (e: { code?: string; message?: string }) => e.code === 'TL_INSTRUMENT_BAD_NAME' && (e.message ?? '').includes(bad),
    );
  }
});

test('one-digit years resolve to the nearest decade when the reference year moves', () => {
  assert.equal(parseContract('ESH9', undefined, 2026).year, 2029);
  assert.equal(parseContract('ESH0', undefined, 2026).year, 2030);
  assert.equal(parseContract('ESH5', undefined, 2026).year, 2025);
});

test('InstrumentRegistry gives exact specs and refuses an unknown root with how to add it', () => {
  const reg = new InstrumentRegistry();
  assert.equal(reg.get('MNQ').pointValue, 2);
  assert.equal(reg.get('ES').pointValue, 50);
  assert.equal(reg.get('ZN').tickSize, 0.015625);
  assert.equal(reg.resolve('MES 12-25').spec.yahooSymbol, 'MES=F');
  assert.throws(
    () => reg.resolve('XYZ 12-25'),
    (e: { code?: string; message?: string; remedy?: string }) =>
      e.code === 'TL_INSTRUMENT_UNKNOWN' && /XYZ/.test(e.message ?? '') && /Settings/.test(e.remedy ?? ''),
  );
});

test('InstrumentRegistry applies user overrides and accepts new roots with a point value and tick size', () => {
  const reg = new InstrumentRegistry({ MNQ: { yahooSymbol: 'NQ=F' }, BTC: { pointValue: 5, tickSize: 5, name: 'Bitcoin' } });
  assert.equal(reg.get('MNQ').yahooSymbol, 'NQ=F');
  assert.equal(reg.get('MNQ').pointValue, 2);
  assert.equal(reg.get('BTC').pointValue, 5);
  assert.throws(
    () => new InstrumentRegistry({ FOO: { name: 'x' } }),
    (e: { code?: string }) => e.code === 'TL_INSTRUMENT_BAD_OVERRIDE',
  );
});
