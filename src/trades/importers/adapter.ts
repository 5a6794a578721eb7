import { detectHeader, eachRow, findHeader, type Header, type HeaderRule, isBlank, type Row } from './columns.js';
import { ParseContext } from './context.js';
import type { Sample } from './sample.js';
import type { Adapter, AdapterOptions, CsvRecord, DetectContext, Detection, FormatName, ParseResult } from './types.js';

/**
 * The shape every header-and-rows adapter shares: find the header (detection and parsing use the same rule), an
 * optional pass over the data rows before reading them (the date order and decimal mark of a NinjaTrader file are
 * decided from all of its rows), one call per data row, and an optional step after the last row (merging paired
 * lots into fills).
 */
export interface AdapterDef<F extends string> {
  format: FormatName;
  label: string;
  lookedFor: string;
  rule: HeaderRule<F>;
  detect?: (sample: Sample, context: DetectContext) => Detection | undefined;
  /** Before any row is read; false stops the parse (it has recorded why). */
  prepare?: (ctx: ParseContext, header: Header<F>, data: readonly CsvRecord[]) => boolean;
  row: (ctx: ParseContext, row: Row<F>) => void;
  finish?: (ctx: ParseContext) => void;
}

export function defineAdapter<F extends string>(def: AdapterDef<F>): Adapter {
  return {
    format: def.format,
    label: def.label,
    lookedFor: def.lookedFor,
    detect: (sample, context) => (def.detect ? def.detect(sample, context) : detectHeader(sample, def.rule)),
    parse(records: readonly CsvRecord[], options: AdapterOptions): ParseResult {
      const ctx = new ParseContext(def.format, options);
      const found = findHeader(records, def.rule, def.lookedFor);
      if ('problem' in found) return ctx.fail(found.problem);
      const data = records.slice(found.at + 1);
      if (def.prepare && !def.prepare(ctx, found.header, data)) return ctx.result(data.filter((r) => !isBlank(r.cells)).length);
      const rows = eachRow(records, found.at + 1, found.header, ctx.problems, (row) => def.row(ctx, row));
      def.finish?.(ctx);
      return ctx.result(rows);
    },
  };
}
