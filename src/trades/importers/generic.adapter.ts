import { decideDecimalMark, parseQuantity } from './amounts.js';
import { type ColumnSpec, eachRow, findHeader, type HeaderRule, isBlank, normName, type Row } from './columns.js';
import { ParseContext } from './context.js';
import { idText, parseOpenClose, parseSide } from './fields.js';
import { type ColumnMapping, headerSignature } from './mapping.js';
import type { Sample } from './sample.js';
import { decideDateOrder } from './times.js';
import type { Adapter, AdapterOptions, CostKind, Costs, CsvRecord, DetectContext, Detection, Side } from './types.js';

/**
 * A CSV in no known format, read through a column mapping (mapping.ts): one row = one fill. The mapping names the
 * columns of time, contract, side (or a signed quantity), quantity and price, and optionally account, fees by
 * kind, fill and order ids and an open/close flag; it may fix the date order, decimal mark, delimiter and zone.
 * Detection recognises only a header whose signature a saved mapping was made for; it never guesses columns.
 */
type F = keyof ColumnMapping['columns'];

const FEES: [F, CostKind][] = [
  ['commission', 'commission'],
  ['exchangeFee', 'exchange'],
  ['clearingFee', 'clearing'],
  ['nfaFee', 'nfa'],
  ['platformFee', 'platform'],
  ['otherFee', 'other'],
];

function ruleOf(mapping: ColumnMapping): HeaderRule<F> {
  const spec = {} as Record<F, string[]>;
  for (const [field, name] of Object.entries(mapping.columns) as [F, string][]) spec[field] = [normName(name)];
  const required = (Object.keys(spec) as F[]).filter((f) => spec[f] !== undefined);
  const delimiters = mapping.delimiter ? [mapping.delimiter] : ([',', ';', '\t'] as const);
  return { format: 'generic', spec: spec as ColumnSpec<F>, required, delimiters, within: 10 };
}

function detect(sample: Sample, context: DetectContext): Detection | undefined {
  for (const mapping of context.mappings ?? []) {
    if (!mapping.signature) continue;
    const rule = ruleOf(mapping);
    for (let i = 0; i < Math.min(10, sample.lines.length); i++) {
      for (const delimiter of rule.delimiters) {
        if (headerSignature(sample.cells(i, delimiter)) === mapping.signature) {
          return { format: 'generic', confidence: 1, delimiter, headerLine: i + 1, mapping: mapping.name };
        }
      }
    }
  }
  return undefined;
}

function row(ctx: ParseContext, mapping: ColumnMapping, r: Row<F>): void {
  const time = ctx.time(r, 'time');
  const contract = ctx.contract(r, 'contract', time);
  const signed = r.need('quantity', (t) => parseQuantity(t, mapping.signedQuantity === true));
  let side: Side | undefined;
  if (mapping.columns.side !== undefined) side = r.need('side', parseSide)?.side;
  else if (signed !== undefined) side = signed < 0 ? 'sell' : 'buy';
  const priceUnits = ctx.price(r, 'price');
  const costs: Costs = {};
  for (const [field, kind] of FEES) {
    const c = r.has(field) ? ctx.cents(r, field) : 0;
    if (c !== 0) costs[kind] = c;
  }
  const account = mapping.columns.account ? r.need('account', idText) : (mapping.account ?? null);
  const openClose = r.has('openClose') ? (r.may('openClose', parseOpenClose) ?? null) : null;
  if (r.failed || time === undefined || !contract || !side || signed === undefined || priceUnits === undefined) return;
  ctx.fills.push({
    line: r.line,
    account: account ?? null,
    contract,
    side,
    quantity: Math.abs(signed),
    priceUnits,
    time,
    costs,
    fillId: r.text('fillId') || null,
    orderId: r.text('orderId') || null,
    openClose,
    derived: null,
  });
}

function parse(records: readonly CsvRecord[], options: AdapterOptions): ReturnType<Adapter['parse']> {
  const mapping = options.mapping;
  const ctx = new ParseContext('generic', mapping?.zone ? { ...options, zone: mapping.zone } : options);
  if (!mapping)
    return ctx.fail({ line: 1, reason: 'a generic CSV needs a column mapping (--mapping NAME, or map the columns on the import page)' });
  const rule = ruleOf(mapping);
  const found = findHeader(records, rule, `the columns of the mapping "${mapping.name}"`);
  if ('problem' in found) return ctx.fail(found.problem);
  const { header, at } = found;
  const data = records.slice(at + 1).filter((r) => !isBlank(r.cells));
  const cellsOf = (i: number | undefined) => (i === undefined ? [] : data.map((r) => ({ text: (r.cells[i] ?? '').trim(), line: r.line })));
  const mark = mapping.decimal
    ? { ok: true as const, value: mapping.decimal }
    : decideDecimalMark(
        cellsOf(header.index.price).map((c) => c.text),
        '.',
      );
  if (!mark.ok) return ctx.fail({ line: header.line, reason: mark.reason });
  ctx.decimal = mark.value;
  const order = decideDateOrder(cellsOf(header.index.time), mapping.dateOrder ?? options.dateOrder);
  if (!order.ok) return ctx.fail({ line: order.line ?? header.line, field: header.names.time, reason: order.reason });
  ctx.dateOrder = order.value;
  ctx.times.setOrder(order.value.order);
  const rows = eachRow(records, at + 1, header, ctx.problems, (r) => row(ctx, mapping, r));
  return ctx.result(rows);
}

export const genericCsv: Adapter = {
  format: 'generic',
  label: 'CSV with a column mapping',
  lookedFor: 'a header a saved column mapping was made for',
  detect,
  parse,
};
