import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { manualClock } from '../../src/clock.js';
import type { Store } from '../../src/db/store.js';
import { createExportService, type ExportService } from '../../src/exports/export.service.js';
import { createSettingsRepo } from '../../src/settings/settings.repo.js';
import { GROUP_BYS } from '../../src/trades/stats.js';
import { createTradesService, type TradesService } from '../../src/trades/trades.service.js';
import { tempDir, tempStore } from '../helpers/tmp.js';

/** Exports are stamped with this instant in tests, so two exports of the same journal are byte-equal. */
export const EXPORT_NOW = Date.parse('2026-11-27T15:00:00.000Z');

export interface Journal {
  store: Store;
  trades: TradesService;
  exports: ExportService;
}

/** A migrated store in a temp dir with the trades and export services on it (NinjaTrader times read in Los Angeles). */
export function journalFixture(t: TestContext, store: Store = tempStore(t)): Journal {
  const importTimezone = 'America/Los_Angeles';
  return {
    store,
    trades: createTradesService({ journal: store.journal, importTimezone }),
    exports: createExportService({ journal: store.journal, importTimezone, clock: manualClock(EXPORT_NOW), generator: 'tradelog test' }),
  };
}

/** The whole text of a document, piece by piece. */
export function text(doc: { chunks(): Iterable<string> }): string {
  let out = '';
  for (const piece of doc.chunks()) out += piece;
  return out;
}

/** Write the journal export of `j` to a file in a temp dir; its path. */
export function exportToFile(t: TestContext, j: Journal, name = 'journal.json'): string {
  const file = path.join(tempDir(t), name);
  fs.writeFileSync(file, text(j.exports.journal()));
  return file;
}

/**
 * Everything a user sees of a journal: positions (with ids and journal flags), statistics overall and by every
 * grouping, each position's note, tags, reviewed flag and verdict, the tag list, the import history and the
 * settings.
 */
export function observe(j: Journal, options: { details?: boolean } = {}) {
  const positions = j.trades.listPositions({});
  return {
    positions,
    stats: j.trades.stats({}),
    groups: Object.fromEntries(GROUP_BYS.map((by) => [by, j.trades.stats({}, { by }).groups])),
    journal: positions.map((p) => j.trades.getJournal(p.id)),
    tags: j.trades.allTags(),
    imports: j.trades.listImports(100_000),
    settings: createSettingsRepo(j.store.journal).all(),
    details: options.details ? positions.map((p) => j.trades.getPosition(p.id)) : undefined,
  };
}
