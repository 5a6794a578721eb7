import { AppError } from '../../errors.js';
import { genericCsv } from './generic.adapter.js';
import { ibkrFlex } from './ibkr.adapter.js';
import type { ColumnMapping } from './mapping.js';
import { ninjatraderAddon, nt8Executions } from './ninjatrader-executions.adapter.js';
import { nt8Trades } from './ninjatrader-trades.adapter.js';
import { projectxOrders } from './projectx-orders.adapter.js';
import { projectxTrades } from './projectx-trades.adapter.js';
import { readRecords } from './records.js';
import { rithmicOrders } from './rithmic.adapter.js';
import { Sample, splitLine } from './sample.js';
import { sierraActivity } from './sierra.adapter.js';
import { tradovateCashHistory } from './tradovate-cash.adapter.js';
import { tradovateFills } from './tradovate-fills.adapter.js';
import { tradovateOrders } from './tradovate-orders.adapter.js';
import { tradovatePerformance, tradovatePositionHistory } from './tradovate-pairs.adapter.js';
import type { Adapter, AdapterOptions, Delimiter, DetectContext, Detection, FormatName, ParseResult } from './types.js';

/**
 * Every source adapter, and the two ways to choose one: detection from the file's head (by header and shape,
 * never by file name) picks exactly one format or fails naming the candidates (or, when none fits, what was
 * looked for); `--format NAME` forces one.
 */
export const ADAPTERS: readonly Adapter[] = [
  nt8Executions,
  ninjatraderAddon,
  nt8Trades,
  tradovateFills,
  tradovateOrders,
  tradovatePerformance,
  tradovatePositionHistory,
  tradovateCashHistory,
  rithmicOrders,
  projectxTrades,
  projectxOrders,
  ibkrFlex,
  sierraActivity,
  genericCsv,
];

export const FORMAT_NAMES: readonly FormatName[] = ADAPTERS.map((a) => a.format);

export function adapterFor(name: string): Adapter {
  const a = ADAPTERS.find((x) => x.format === name);
  if (a) return a;
  throw new AppError('TL_IMPORT_BAD_FORMAT_NAME', `"${name}" is not a format tradelog reads.`, {
    remedy: `Use one of: ${FORMAT_NAMES.join(', ')}; or leave the format out to detect it.`,
    details: { format: name, formats: FORMAT_NAMES },
  });
}

/** Every adapter whose detection fits the sample (a fixture's test: exactly one). */
export function detectAll(sample: Sample, context: DetectContext = {}): Detection[] {
  const out: Detection[] = [];
  for (const a of ADAPTERS) {
    const d = a.detect(sample, context);
    if (d) out.push(d);
  }
  return out;
}

export function detectFormat(sample: Sample, context: DetectContext = {}): { adapter: Adapter; detection: Detection } {
  const found = detectAll(sample, context);
  if (found.length === 1) {
    const detection = found[0] as Detection;
    return { adapter: adapterFor(detection.format), detection };
  }
  if (found.length === 0) {
    const first = sample.lines.find((l) => l.trim() !== '') ?? '';
    throw new AppError('TL_IMPORT_UNKNOWN_FORMAT', `The file is in no format tradelog knows; its first line is "${first.slice(0, 200)}".`, {
      remedy: `Export one of the supported reports (docs: import formats), choose the format with --format, or map its columns on the import page. Looked for: ${ADAPTERS.map((a) => a.lookedFor).join('; ')}.`,
      details: { firstLine: first.slice(0, 200), lookedFor: ADAPTERS.map((a) => ({ format: a.format, lookedFor: a.lookedFor })) },
    });
  }
  const names = found.map((d) => d.format);
  throw new AppError('TL_IMPORT_AMBIGUOUS_FORMAT', `The file fits more than one format: ${names.join(', ')}.`, {
    remedy: `Choose one with --format (${names.join(' or ')}).`,
    details: { candidates: found },
  });
}

/** The delimiter of a file read in a forced format: the one that splits its first line into the most cells. */
function sniffDelimiter(sample: Sample): Delimiter {
  const first = sample.lines.find((l) => l.trim() !== '') ?? '';
  let best: Delimiter = ',';
  let most = 0;
  for (const d of [',', ';', '\t'] as const) {
    const n = splitLine(first, d).length;
    if (n > most) [best, most] = [d, n];
  }
  return best;
}

export interface ParseFileOptions extends AdapterOptions {
  /** Force this format (`--format NAME`) instead of detecting it. */
  format?: FormatName | string;
  /** Saved generic mappings (detected by header signature). */
  mappings?: readonly ColumnMapping[];
}

/**
 * A whole file through its adapter: detect (or force) the format, read every record, parse. Pure: bytes in,
 * fills, orders, cash entries and problems out. `detection` is absent when the format was forced.
 */
export function parseFile(input: Uint8Array | string, options: ParseFileOptions): ParseResult & { detection?: Detection } {
  const sample = typeof input === 'string' ? Sample.fromText(input) : Sample.fromBytes(input);
  let adapter: Adapter;
  let detection: Detection | undefined;
  if (options.format) {
    adapter = adapterFor(options.format);
    detection = adapter.detect(sample, { mappings: options.mappings ?? [] });
  } else {
    ({ adapter, detection } = detectFormat(sample, { mappings: options.mappings ?? [] }));
  }
  let mapping = options.mapping;
  if (!mapping && detection?.mapping) mapping = options.mappings?.find((m) => m.name === detection?.mapping);
  const delimiter = detection?.delimiter ?? mapping?.delimiter ?? sniffDelimiter(sample);
  const { records, problems } = readRecords(input, delimiter);
  const result = adapter.parse(records, mapping ? { ...options, mapping } : options);
  if (problems.length > 0) result.problems = [...problems, ...result.problems].sort((a, b) => a.line - b.line);
  return detection ? { ...result, detection } : result;
}
