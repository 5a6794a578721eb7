import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { loadDemo } from '../../src/demo/demo.js';
import { silentLogger } from '../../src/log.js';
import { createMarketData } from '../../src/market-data/service.js';
import { createTradesService } from '../../src/trades/trades.service.js';
import { tempStore } from '../helpers/tmp.js';

// The demo anchors on the last finished CME session before "now". Half-day sessions and weekends must still give
// the promised shape: positions closed over several weeks and exactly one left open, bars in every timeframe.
for (const [label, now] of [
  ['after the Thanksgiving early close (12:00 CT)', Date.parse('2026-11-26T18:30:00Z')],
  ['on a Sunday before the evening open', Date.parse('2026-11-29T20:00:00Z')],
  ['in the middle of a regular session', Date.parse('2026-11-24T16:00:00Z')],
] as const) {
  test(`demo leaves one position open and bars in every timeframe when run ${label}`, async (t) => {
    const store = tempStore(t);
    const config = loadConfig({ dataDir: store.paths.dataDir, logLevel: 'silent' }, {});
    const trades = createTradesService({ journal: store.journal, importTimezone: config.importTimezone });
    const market = createMarketData({ market: store.market, journal: store.journal, config, logger: silentLogger() });
    t.after(() => market.close());
    const result = await loadDemo({ trades, market, clock: manualClock(now) });
    assert.ok(result.executions > 50, `${result.executions} executions`);
    const positions = trades.listPositions({});
    assert.equal(positions.filter((p) => p.status === 'open').length, 1, 'exactly one open position');
    assert.ok(positions.filter((p) => p.status === 'closed').length > 20);
    const timeframes = new Set(market.coverage('MNQ').map((c) => c.timeframe));
    assert.deepEqual([...timeframes].sort(), ['15m', '1d', '1h', '1m', '4h', '5m']);
  });
}
