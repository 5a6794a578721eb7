import { StringDecoder } from 'node:string_decoder';
import { type CsvError, type Options, type Parser, parse } from 'csv-parse';

/**
 * The records of a CSV fed chunk by chunk, each with the line it starts on. NinjaTrader writes plain unquoted
 * lines, and cutting those at commas costs a fraction of csv-parse's character-by-character state
 * machine, which is most of an import's parse time. So lines are split by hand as long as they hold no quote
 * character; from the first line that does, csv-parse reads the rest of the file, with the line numbering
 * carried on. A line without a quote cannot be read any other way by csv-parse (with `relax_column_count`,
 * there is no error it could raise on it), so the records are the same as if csv-parse had read it all:
 * - the record delimiter is the first line break of the file (`\r\n`, `\n` or `\r`), as csv-parse detects it;
 *   other line-break characters stay in the field (and count as lines);
 * - a blank line is one empty field; a UTF-8 BOM is dropped; a UTF-16 BOM hands the whole file to csv-parse.
 * Unreadable records (a bad quote) are reported with their line and skipped, as `skip_records_with_error` does.
 */
export type RecordSink = (cells: string[], line: number) => void;
export type SkipSink = (line: number, reason: string) => void;

const UTF16LE_BOM = [0xff, 0xfe];

/** Line breaks inside a record (in quoted fields, or stray ones of another kind than the delimiter). */
function lineBreaksIn(text: string): number {
  return text.includes('\n') || text.includes('\r') ? (text.match(/\r\n|\r|\n/g) ?? []).length : 0;
}

export class CsvRecords {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private started = false;
  private checkedBom = false;
  private delimiter: string | undefined;
  /** Lines were split here before csv-parse took over (so the delimiter found is the one it would find). */
  private split = false;
  private parser: Parser | undefined;
  /** csv-parse was given the file from its first byte (it decodes it); otherwise it is given decoded text. */
  private raw = false;
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

  write(chunk: Buffer): void {
    if (!this.checkedBom && chunk.length > 0) {
      this.checkedBom = true;
      if (chunk[0] === UTF16LE_BOM[0] && chunk[1] === UTF16LE_BOM[1]) {
        this.raw = true;
        this.startParser('');
      }
    }
    if (!this.parser) this.take(this.decoder.write(chunk), false);
    else {
      this.parser.write(this.raw ? chunk : this.decoder.write(chunk));
      this.drain();
    }
  }

  end(): void {
    if (!this.parser) this.take(this.decoder.end(), true);
    else this.finishParser();
  }

  private take(text: string, final: boolean): void {
    let s = this.pending.length > 0 ? this.pending + text : text;
    this.pending = '';
    if (!this.started && s.length > 0) {
      this.started = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    let pos = 0;
    for (;;) {
      let d = this.delimiter;
      if (d === undefined) {
        const n = s.indexOf('\n', pos);
        const r = s.indexOf('\r', pos);
        const i = r < 0 ? n : n < 0 ? r : Math.min(n, r);
        if (i < 0 || (i === r && i + 1 === s.length && !final)) break;
        // a quote before the first line break: csv-parse finds the delimiter (it may be inside quotes)
        if (s.lastIndexOf('"', i) >= pos) {
          this.toParser(s.slice(pos), final);
          return;
        }
        d = i === n ? '\n' : s.charCodeAt(i + 1) === 10 ? '\r\n' : '\r';
        this.delimiter = d;
      }
      const end = s.indexOf(d, pos);
      if (end < 0) break;
      const line = s.slice(pos, end);
      if (line.includes('"')) {
        this.toParser(s.slice(pos), final);
        return;
      }
      this.record(line);
      pos = end + d.length;
    }
    const rest = pos === 0 ? s : s.slice(pos);
    if (!final) this.pending = rest;
    else if (rest.includes('"')) this.toParser(rest, true);
    else if (rest !== '') this.record(rest);
  }

  private record(line: string): void {
    const at = this.line;
    this.split = true;
    this.line += 1 + lineBreaksIn(line);
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
      bom: true,
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
    // Once lines were split, the delimiter is the one csv-parse would have found at the top of the file.
    if (this.split && this.delimiter) options.record_delimiter = this.delimiter;
    this.parser = parse(options);
    this.parser.on('error', (err) => {
      this.fatal = err;
    });
    if (text !== '') this.parser.write(text);
    this.drain();
  }

  private finishParser(): void {
    const parser = this.parser as Parser;
    if (!this.raw) {
      const rest = this.decoder.end();
      if (rest !== '') parser.write(rest);
    }
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
