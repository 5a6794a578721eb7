import type { MarketData } from '../market-data/service.js';
import { type LegacyImportOptions, type LegacyTradesResult, openLegacyDatabase, type SkippedRow } from '../trades/legacy-import.js';
import type { TradesService } from '../trades/trades.service.js';

/**
 * `tradelog import-legacy`: a Futures Trading Log (the Python app this project replaces) database into both
 * databases. The trades area takes its trades, positions and notes into journal.db (src/trades/legacy-import.ts);
 * the market-data area takes its bars into market.db (src/market-data/legacy-bars.ts), after the journal's commit.
 * Both read the same private, read-only copy of the file, which is removed afterwards; the file itself is never
 * modified. The result is docs/interface.md's `{executions, positions, bars, skipped}` and more.
 */
export interface LegacyImportResult extends LegacyTradesResult {
  /** Bars stored in market.db (new or changed; a rerun stores 0). */
  bars: number;
}

export function importLegacy(
  services: { trades: TradesService; market: Pick<MarketData, 'importLegacyBars'> },
  file: string,
  options: LegacyImportOptions = {},
): LegacyImportResult {
  const legacy = openLegacyDatabase(file);
  try {
    const trades = services.trades.importLegacy(legacy, options);
    const bars = services.market.importLegacyBars(legacy.source);
    const skipped: SkippedRow[] = [...trades.skipped, ...bars.skipped];
    return { ...trades, bars: bars.stored, skipped };
  } finally {
    legacy.close();
  }
}
