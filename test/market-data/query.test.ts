import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBarsQuery } from '../../src/market-data/query.js';
import { parseTimeParam } from '../../src/time-param.js';

test('parseTimeParam reads Unix seconds and ISO 8601, a date alone as the whole UTC day', () => {
  assert.equal(parseTimeParam('1750256400', 'from'), 1750256400);
  assert.equal(parseTimeParam('2025-06-18T14:30:00Z', 'from'), Date.parse('2025-06-18T14:30:00Z') / 1000);
  assert.equal(parseTimeParam('2025-06-18T09:30:00-05:00', 'from'), Date.parse('2025-06-18T14:30:00Z') / 1000);
  assert.equal(parseTimeParam('2025-06-18T14:30', 'from'), Date.parse('2025-06-18T14:30:00Z') / 1000, 'no offset = UTC');
  assert.equal(parseTimeParam('2025-06-18', 'from'), Date.parse('2025-06-18T00:00:00Z') / 1000);
  assert.equal(parseTimeParam('2025-06-18', 'to', true), Date.parse('2025-06-18T23:59:59Z') / 1000);
  assert.throws(
    () => parseTimeParam('yesterday', 'from'),
    (err: { code: string; status: number; message: string }) => {
      assert.equal(err.code, 'TL_MARKET_BAD_RANGE');
      assert.equal(err.status, 400);
      assert.match(err.message, /from "yesterday"/);
      return true;
    },
  );
});

test('parseBarsQuery gives the chart default of 2,000 bars, caps the limit and checks the range', () => {
  assert.deepEqual(parseBarsQuery({ timeframe: '1h' }), { timeframe: '1h', query: { limit: 2000 } });
  assert.deepEqual(parseBarsQuery({ timeframe: '1h' }, null), { timeframe: '1h', query: {} });
  assert.deepEqual(parseBarsQuery({ timeframe: '5m', limit: '500000', from: '2025-06-01', to: '2025-06-02' }), {
    timeframe: '5m',
    query: { limit: 100000, from: Date.parse('2025-06-01T00:00:00Z') / 1000, to: Date.parse('2025-06-02T23:59:59Z') / 1000 },
  });
  assert.throws(() => parseBarsQuery({}), { code: 'TL_MARKET_BAD_TIMEFRAME' });
  assert.throws(() => parseBarsQuery({ timeframe: '2h' }), { code: 'TL_MARKET_BAD_TIMEFRAME' });
  assert.throws(() => parseBarsQuery({ timeframe: '1h', limit: '0' }), { code: 'TL_MARKET_BAD_RANGE' });
  assert.throws(() => parseBarsQuery({ timeframe: '1h', limit: '2.5' }), { code: 'TL_MARKET_BAD_RANGE' });
  assert.throws(() => parseBarsQuery({ timeframe: '1h', from: '2025-06-03', to: '2025-06-02' }), { code: 'TL_MARKET_BAD_RANGE' });
});

test('ohlc bars reads --from/--to as strictly as the API: no impossible dates, negative seconds or years outside 1970–2099', () => {
  for (const from of ['2025-02-30', '-5', 'June 5', '0000-01-01', '2100-01-01', '2025-06-18T25:00']) {
    assert.throws(() => parseBarsQuery({ timeframe: '1h', from }), { code: 'TL_MARKET_BAD_RANGE' }, from);
  }
});
