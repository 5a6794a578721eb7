/**
 * Export benchmark (issue 11, exports): a 20,000-execution journal with notes, tags, verdicts and reviewed flags on
 * thousands of positions (and 100,000 executions for scale) through
 * - `tradelog export journal` (the JSON file, from a snapshot a page at a time),
 * - `tradelog import-export` into a fresh data dir (parse, check, one transaction, rebuild, compare),
 * - the CSV tables (positions, executions, daily, statistics by month),
 * printing wall and CPU time, sizes, rates, the longest single piece (what one turn of the server's event loop can
 * cost during a download) and peak RSS. Figures, not assertions: the round trip's exactness is checked by
 * test/exports/round-trip.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../src/clock.js';
import { dataPaths } from '../src/config.js';
import { openStore } from '../src/db/store.js';
import { createExportService, type ExportDocument } from '../src/exports/export.service.js';
import { createTradesService } from '../src/trades/trades.service.js';
import { addJournalData, writeLargeCsv } from '../test/helpers/large-journal.js';

const ms = (t: number) => `${t.toFixed(0)} ms`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function measure<T>(body: () => T): { value: T; wall: number; cpu: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = body();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { value, wall, cpu: (cpu.user + cpu.system) / 1000 };
}

/** Write a document to a file piece by piece; its size, piece count and the longest piece. */
function writeDoc(doc: ExportDocument, file: string): { bytes: number; pieces: number; longest: number } {
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  let pieces = 0;
  let longest = 0;
  let t = performance.now();
  for (const piece of doc.chunks()) {
    const now = performance.now();
    longest = Math.max(longest, now - t);
    bytes += fs.writeSync(fd, piece);
    pieces++;
    t = performance.now();
  }
  fs.closeSync(fd);
  return { bytes, pieces, longest };
}

async function run(dir: string, executions: number, tables: boolean): Promise<void> {
  const csv = path.join(dir, `large-${executions}.csv`);
  writeLargeCsv(csv, executions);
  const source = openStore(dataPaths(path.join(dir, `a-${executions}`)));
  const trades = createTradesService({ journal: source.journal, importTimezone: 'America/Los_Angeles' });
  await trades.importFile({ path: csv });
  const journal = source.journal.write(() => addJournalData(trades));
  const positions = trades.countPositions({});
  console.log(
    `journal: ${executions} executions, ${positions} positions; ${journal.notes} notes, ${journal.tagged} tagged, ${journal.verdicts} verdicts, ${journal.reviewed} reviewed`,
  );
  const exports = createExportService({ journal: source.journal, importTimezone: 'America/Los_Angeles', clock: systemClock });

  const file = path.join(dir, `journal-${executions}.json`);
  const exported = measure(() => writeDoc(exports.journal(), file));
  const w = exported.value;
  console.log(
    `  export journal: ${ms(exported.wall)} wall, ${ms(exported.cpu)} CPU, ${mb(w.bytes)} in ${w.pieces} pieces (longest ${ms(w.longest)}), ${Math.round(executions / (exported.wall / 1000))} executions/s`,
  );

  const target = openStore(dataPaths(path.join(dir, `b-${executions}`)));
  const service = createExportService({ journal: target.journal, importTimezone: 'America/Los_Angeles', clock: systemClock });
  const imported = measure(() => service.importExport(file));
  console.log(
    `  import-export: ${ms(imported.wall)} wall, ${ms(imported.cpu)} CPU, ${imported.value.positions} positions rebuilt, ${Math.round(executions / (imported.wall / 1000))} executions/s`,
  );
  const again = path.join(dir, `journal-${executions}-again.json`);
  writeDoc(service.journal(), again);
  const same =
    fs.readFileSync(file, 'utf8').replace(/"exportedAt":"[^"]*"/, '') ===
    fs.readFileSync(again, 'utf8').replace(/"exportedAt":"[^"]*"/, '');
  console.log(`  export of the imported journal byte-equal (apart from exportedAt): ${same ? 'yes' : 'NO'}`);
  target.close();

  if (tables) {
    for (const [name, doc] of [
      ['positions', exports.table('positions')],
      ['executions', exports.table('executions')],
      ['daily', exports.table('daily')],
      ['stats --by month', exports.table('stats', {}, { by: 'month' })],
    ] as const) {
      const r = measure(() => writeDoc(doc, path.join(dir, 'table.csv')));
      console.log(
        `  CSV ${name}: ${ms(r.wall)} wall, ${ms(r.cpu)} CPU, ${mb(r.value.bytes)} in ${r.value.pieces} pieces (longest ${ms(r.value.longest)})`,
      );
    }
  }
  source.close();
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradelog-bench-'));
try {
  console.log(
    `cpus: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  await run(dir, 20_000, true);
  await run(dir, 100_000, false);
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
