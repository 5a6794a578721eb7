import { type CsvError, type Options, type Parser, parse } from 'csv-parse';

/**
 * The records of a CSV fed chunk by chunk (as decoded text, csv-text.ts), each with the line it starts on.
 * NinjaTrader writes plain unquoted lines, and cutting those at commas costs a fraction of csv-parse's
 * character-by-character state machine, which is most of an import's parse time. So lines are split by hand as
 * long as they hold no quote character; from the first line that does, csv-parse reads the rest of the file,
 * with the line numbering carried on. A line without a quote cannot be read any other way by csv-parse (with
 * `relax_column_count`, there is no error it could raise on it), so the records are the same as if csv-parse had
 * read it all:
 * - every line break ends a record, whichever of `\r\n`, `\n` or `\r` it is, also when a file mixes them
 *   (files appended to by different programs do): a line break stays in a field only inside quotes;
 * - a blank line is one empty field.
 * Unreadable records (a bad quote) are reported with their line and skipped, as `skip_records_with_error` does.
 */
export type RecordSink = (cells: string[], line: number) => void;
export type SkipSink = (line: number, reason: string) => void;

/** Every spelling of a line break, the two-character one first (csv-parse tries them in this order). */
export const RECORD_DELIMITERS = ['\r\n', '\r', '\n'];

/** Line breaks inside a record (in quoted fields). */
function lineBreaksIn(text: string): number {
  return text.includes('\n') || text.includes('\r') ? (text.match(/\r\n|\r|\n/g) ?? []).length : 0;
}

export class CsvRecords {
  private pending = '';
  private parser: Parser | undefined;
  private fatal: unknown;
  /** Line of the next record. */
  private line = 1;
  /** Records read from csv-parse, and the skips it reported (after how many records, on which line). */
  private parsed = 0;
  private readonly skips: { after: number; line: number }[] = [];

  constructor(
    private readonly onRecord: RecordSink,
    private readonly onSkip: SkipSink,
  ) {}

  write(text: string): void {
    if (!this.parser) this.take(text, false);
    else if (text !== '') {
      this.parser.write(text);
      this.drain();
    }
  }

  end(): void {
    if (!this.parser) this.take('', true);
    else this.finishParser();
  }

  private take(text: string, final: boolean): void {
    const s = this.pending.length > 0 ? this.pending + text : text;
    this.pending = '';
    let pos = 0;
    // where the next \n and \r are (-1: none left in `s`), each searched for again only once passed
    let n = s.indexOf('\n');
    let r = s.indexOf('\r');
    for (;;) {
      if (n !== -1 && n < pos) n = s.indexOf('\n', pos);
      if (r !== -1 && r < pos) r = s.indexOf('\r', pos);
      const end = r === -1 ? n : n === -1 ? r : Math.min(n, r);
      if (end === -1) break;
      let breakLength = 1;
      if (end === r) {
        // a \r at the end of a chunk may be the first half of \r\n
        if (end + 1 === s.length && !final) break;
        if (s.charCodeAt(end + 1) === 10) breakLength = 2;
      }
      const line = s.slice(pos, end);
      if (line.includes('"')) {
        this.toParser(s.slice(pos), final);
        return;
      }
      this.record(line);
      pos = end + breakLength;
    }
    const rest = pos === 0 ? s : s.slice(pos);
    if (!final) this.pending = rest;
    else if (rest.includes('"')) this.toParser(rest, true);
    else if (rest !== '') this.record(rest);
  }

  /** A line without quotes or line breaks. */
  private record(line: string): void {
    const at = this.line;
    this.line++;
    this.onRecord(line.split(','), at);
  }

  /** csv-parse reads from here on: `text` now, then every further chunk. */
  private toParser(text: string, final: boolean): void {
    this.startParser(text);
    if (final) this.finishParser();
  }

  private startParser(text: string): void {
    const offset = this.line - 1;
    const options: Options = {
      record_delimiter: RECORD_DELIMITERS,
      relax_column_count: true,
      skip_records_with_error: true,
      // Called while csv-parse parses a chunk, before the records ahead of the bad one are read: where the
      // numbering goes on is applied when they have been.
      on_skip: (err: CsvError | undefined) => {
        const line = typeof err?.lines === 'number' ? offset + err.lines : this.line;
        this.onSkip(line, `unreadable CSV: ${err?.message ?? 'syntax error'}`);
        this.skips.push({ after: typeof err?.records === 'number' ? err.records : this.parsed, line });
        return undefined;
      },
    };
    this.parser = parse(options);
    this.parser.on('error', (err) => {
      this.fatal = err;
    });
    if (text !== '') this.parser.write(text);
    this.drain();
  }

  private finishParser(): void {
    const parser = this.parser as Parser;
    parser.end();
    this.drain();
  }

  private drain(): void {
    const parser = this.parser as Parser;
    for (let rec = parser.read() as string[] | null; rec !== null; rec = parser.read() as string[] | null) {
      this.skipped();
      this.parsed++;
      const at = this.line;
      for (const cell of rec) this.line += lineBreaksIn(cell);
      this.line++;
      this.onRecord(rec, at);
    }
    this.skipped();
    if (this.fatal) throw this.fatal;
  }

  /** A record skipped before the next one to read: the numbering goes on after its line. */
  private skipped(): void {
    while (this.skips.length > 0 && (this.skips[0] as { after: number }).after <= this.parsed) {
      this.line = (this.skips.shift() as { line: number }).line + 1;
    }
  }
}
