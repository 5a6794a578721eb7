import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Bar } from '../../src/market-data/bars.repo.js';
import { parseBarsQuery } from '../../src/market-data/query.js';
import { createMarketData } from '../../src/market-data/service.js';
import { tempStore } from '../helpers/tmp.js';
import { columnsOf } from './columns.js';

test('chartWindow answers the newest bars of a contract name as columns under its root', (t) => {
  const store = tempStore(t);
  const market = createMarketData({
    market: store.market,
    journal: store.journal,
    config: { yahooBaseUrl: 'http://127.0.0.1:9', importTimezone: 'UTC', schedulerIntervalMinutes: 0 },
  });
  const bars: Bar[] = Array.from({ length: 2500 }, (_, i) => ({
    time: 1_750_000_000 + i * 3600,
    open: 1.0835 + i * 0.00005,
    high: 1.0837 + i * 0.00005,
    low: 1.0833 + i * 0.00005,
    close: 1.0836 + i * 0.00005,
    volume: i,
  }));
  market.bars.upsert('6E', '1h', bars, 'csv');
  const { timeframe, query } = parseBarsQuery({ timeframe: '1h', to: String(bars[2399]?.time) });
  const body = JSON.parse(market.chartWindow('6EU5', timeframe, query).json().toString());
  const newest = bars.slice(400, 2400);
  assert.deepEqual(body, { instrument: '6E', timeframe: '1h', ...columnsOf(newest) });
  assert.deepEqual(market.coverage('6E 09-25'), [
    {
      instrument: '6E',
      timeframe: '1h',
      count: 2500,
      first: new Date(1_750_000_000_000).toISOString(),
      last: new Date((1_750_000_000 + 2499 * 3600) * 1000).toISOString(),
    },
  ]);
});
