import { parse } from 'csv-parse/sync';
import { decodeText } from './text.js';
import type { Delimiter } from './types.js';

/**
 * The head of a file, as detection sees it: its first lines, each split on demand by a candidate delimiter.
 * Detection reads at most SAMPLE_BYTES, whatever the file's size (a 20 MB file is detected as fast as a small one).
 */
export const SAMPLE_BYTES = 64 * 1024;
const MAX_LINES = 60;

/** Split one line on `delimiter`, honouring quotes; a line that is not valid CSV is cut at every delimiter. */
export function splitLine(line: string, delimiter: Delimiter): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  try {
    const rows = parse(line, { delimiter, relax_column_count: true, relax_quotes: true }) as string[][];
    return rows[0] ?? [''];
  } catch {
    return line.split(delimiter);
  }
}

export class Sample {
  /** Complete lines of the head (the last, possibly cut, line is dropped unless the head is the whole file). */
  readonly lines: readonly string[];
  private readonly split = new Map<string, string[]>();

  constructor(text: string, whole: boolean) {
    const lines = text.split(/\r\n|\r|\n/);
    if (!whole && lines.length > 1) lines.pop();
    this.lines = lines.slice(0, MAX_LINES);
  }

  static fromBytes(bytes: Uint8Array): Sample {
    const whole = bytes.length <= SAMPLE_BYTES;
    return new Sample(decodeText(bytes.subarray(0, SAMPLE_BYTES), !whole), whole);
  }

  static fromText(text: string): Sample {
    return new Sample(text.slice(0, SAMPLE_BYTES), text.length <= SAMPLE_BYTES);
  }

  /** Cells of line `index` (0-based) split on `delimiter`; a whole record wrapped in one pair of quotes is unwrapped. */
  cells(index: number, delimiter: Delimiter): string[] {
    const key = `${index}${delimiter}`;
    let cells = this.split.get(key);
    if (!cells) {
      cells = unwrapRecord(splitLine(this.lines[index] ?? '', delimiter), delimiter);
      this.split.set(key, cells);
    }
    return cells;
  }
}

/**
 * A record exported as one quoted field holding the whole row, inner quotes doubled (TradeTally's test of
 * Tradovate rows "incorrectly quoted as entire CSV records", broker-formats.md §1.1): split its text again.
 */
export function unwrapRecord(cells: string[], delimiter: Delimiter): string[] {
  if (cells.length !== 1) return cells;
  const only = cells[0] as string;
  if (!only.includes(delimiter)) return cells;
  return splitLine(only, delimiter);
}
