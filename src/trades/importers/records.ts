import { type CsvError, parse } from 'csv-parse/sync';
import { CsvRecords } from '../csv-records.js';
import { TextChunks } from '../csv-text.js';
import { unwrapRecord } from './sample.js';
import { decodeText, sniffEncoding } from './text.js';
import type { CsvRecord, Delimiter, Problem } from './types.js';

/**
 * All records of a file, each with the line it starts on, split on the delimiter detection found.
 * - Comma files in UTF-8 go through the project's CSV reader (csv-records.ts: lines cut by hand until the first
 *   quote, csv-parse after it), so every format reads commas exactly as the NinjaTrader import does.
 * - Semicolon and tab files (NinjaTrader in European locales, Sierra Chart), and UTF-16 text, go to csv-parse
 *   with `\r\n`, `\n` and `\r` all taken as line breaks and quotes relaxed (a Sierra note may hold one).
 * A record that cannot be read (a broken quote) is a problem naming its line. A record wrapped whole in quotes is
 * split again (unwrapRecord).
 */
export interface ReadRecords {
  records: CsvRecord[];
  problems: Problem[];
}

export function readRecords(input: Uint8Array | string, delimiter: Delimiter): ReadRecords {
  const problems: Problem[] = [];
  let records: CsvRecord[];
  const bytes = typeof input === 'string' ? undefined : input;
  if (delimiter === ',' && (bytes === undefined || sniffEncoding(bytes).encoding === 'utf-8')) {
    records = viaCsvRecords(bytes ?? Buffer.from(input as string), problems);
  } else {
    records = viaCsvParse(typeof input === 'string' ? input : decodeText(input), delimiter, problems);
  }
  for (const r of records) r.cells = unwrapRecord(r.cells, delimiter);
  return { records, problems };
}

function viaCsvRecords(bytes: Uint8Array, problems: Problem[]): CsvRecord[] {
  const records: CsvRecord[] = [];
  const reader = new CsvRecords(
    (cells, line) => records.push({ cells, line }),
    (line, reason) => problems.push({ line, reason }),
  );
  // the reader takes text: decoded a chunk at a time (csv-text.ts, which also refuses bytes that are not text)
  const text = new TextChunks();
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const CHUNK = 1 << 20;
  for (let i = 0; i < buf.length && !text.failed; i += CHUNK) reader.write(text.write(buf.subarray(i, i + CHUNK)));
  if (!text.failed) reader.write(text.end());
  if (text.failed) {
    problems.push({ line: 1, reason: text.failed });
    return [];
  }
  reader.end();
  return records;
}

function lineBreaks(cells: string[]): number {
  let n = 0;
  for (const c of cells) if (c.includes('\n') || c.includes('\r')) n += (c.match(/\r\n|\r|\n/g) ?? []).length;
  return n;
}

function viaCsvParse(text: string, delimiter: Delimiter, problems: Problem[]): CsvRecord[] {
  const rows = parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, {
    delimiter,
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    relax_quotes: true,
    skip_records_with_error: true,
    info: true,
    on_skip: (err: CsvError | undefined) => {
      problems.push({ line: typeof err?.lines === 'number' ? err.lines : 0, reason: `unreadable CSV: ${err?.message ?? 'syntax error'}` });
      return undefined;
    },
  }) as unknown as { record: string[]; info: { lines: number } }[];
  // info.lines is the line the record ends on
  return rows.map(({ record, info }) => ({ cells: record, line: info.lines - lineBreaks(record) }));
}
