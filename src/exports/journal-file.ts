import * as z from 'zod';
import { AppError } from '../errors.js';
import { INSTRUMENT_OVERRIDES_KEY, instrumentOverridesSchema } from '../instruments/instruments.js';
import { SCHEDULER_KEY, schedulerSettingsSchema } from '../market-data/scheduler.js';
import { MARKET_SYMBOLS_KEY, marketSymbolsSchema } from '../market-data/symbols.js';
import {
  accountItemSchema,
  checkRegistry,
  feeScheduleItemSchema,
  orderItemSchema,
  type RegistrySections,
  stopsItemSchema,
} from '../trades/registry-transfer.js';
import { DISPLAY_TIMEZONE_KEY, displayTimezoneSchema, IMPORT_TIMEZONE_KEY, importTimezoneSchema } from '../trades/settings.js';
import {
  checkTrades,
  executionItemSchema,
  type FileProblem,
  importItemSchema,
  isoTime,
  journalItemSchema,
  positionIdItemSchema,
  type TradesSections,
} from '../trades/transfer.js';

/**
 * The journal export file (`tradelog export journal`, `tradelog import-export`), docs/export.md:
 *
 *   {"format":"tradelog-export","version":1,"exportedAt":"…","generator":"tradelog 0.1.0",
 *    "sections":["settings","imports","executions","positionIds","journal","accounts","feeSchedules","orders","stops"],
 *    "expect":{"executions":…,"positions":…,"openPositions":…,"netPnl":…},
 *   "settings":[
 *   {…},
 *   …
 *   ],
 *   "imports":[ … ], …}
 *
 * One item per line, so a file diffs and greps well and is written a page at a time. `sections` names the sections
 * the file holds, in order; each one came in with a version (SECTIONS), and a reader of version N reads every file
 * of version 1…N: a section newer than the file's version is absent and means "none". A file of a newer version
 * than this reader is refused (it may hold sections this one would drop). Adding a section (accounts, fee
 * schedules, …) means: its entry in SECTIONS with the next version, EXPORT_VERSION raised, its writer and its
 * restore step.
 *
 * `expect` is what the exporting journal held; import-export rebuilds the positions and refuses (rolls back) when
 * its own count or net P&L differs.
 */
export const EXPORT_FORMAT = 'tradelog-export';
export const EXPORT_VERSION = 2;

export const SECTIONS = [
  { name: 'settings', since: 1 },
  { name: 'imports', since: 1 },
  { name: 'executions', since: 1 },
  { name: 'positionIds', since: 1 },
  { name: 'journal', since: 1 },
  { name: 'accounts', since: 2 },
  { name: 'feeSchedules', since: 2 },
  { name: 'orders', since: 2 },
  { name: 'stops', since: 2 },
] as const;
export type SectionName = (typeof SECTIONS)[number]['name'];

/** Settings whose values are checked with their area's schema (others are kept as they are). */
const SETTING_SCHEMAS: Record<string, z.ZodType> = {
  [INSTRUMENT_OVERRIDES_KEY]: instrumentOverridesSchema,
  [IMPORT_TIMEZONE_KEY]: importTimezoneSchema.nullable(),
  [DISPLAY_TIMEZONE_KEY]: displayTimezoneSchema.nullable(),
  [MARKET_SYMBOLS_KEY]: marketSymbolsSchema,
  [SCHEDULER_KEY]: schedulerSettingsSchema,
};

const settingItemSchema = z.strictObject({ key: z.string().min(1).max(200), value: z.json(), updatedAt: isoTime }).superRefine((s, ctx) => {
  const schema = SETTING_SCHEMAS[s.key];
  const parsed = schema?.safeParse(s.value);
  if (parsed && !parsed.success) {
    const issue = parsed.error.issues[0];
    ctx.addIssue({ code: 'custom', path: ['value', ...(issue?.path ?? [])], message: issue?.message ?? 'invalid value' });
  }
});
export type SettingItem = z.output<typeof settingItemSchema>;

const expectSchema = z.strictObject({
  executions: z.number().int().min(0),
  positions: z.number().int().min(0),
  openPositions: z.number().int().min(0),
  netPnl: z.number(),
});
export type ExportExpect = z.output<typeof expectSchema>;

const fileSchema = z.strictObject({
  format: z.literal(EXPORT_FORMAT),
  version: z.number().int().min(1).max(EXPORT_VERSION),
  exportedAt: isoTime,
  generator: z.string().max(200).optional(),
  sections: z.array(z.enum(SECTIONS.map((s) => s.name))),
  expect: expectSchema.optional(),
  settings: z.array(settingItemSchema).optional(),
  imports: z.array(importItemSchema).optional(),
  executions: z.array(executionItemSchema).optional(),
  positionIds: z.array(positionIdItemSchema).optional(),
  journal: z.array(journalItemSchema).optional(),
  accounts: z.array(accountItemSchema).optional(),
  feeSchedules: z.array(feeScheduleItemSchema).optional(),
  orders: z.array(orderItemSchema).optional(),
  stops: z.array(stopsItemSchema).optional(),
});

export interface JournalFile extends TradesSections, RegistrySections {
  version: number;
  exportedAt: number;
  settings: SettingItem[];
  expect: ExportExpect | undefined;
}

/** `$.executions[12].price` */
export function jsonPath(path: readonly PropertyKey[]): string {
  return `$${path.map((p) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(String(p)) ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`)).join('')}`;
}

function invalid(file: string, problem: FileProblem): AppError {
  const where = jsonPath(problem.path);
  return new AppError('TL_EXPORT_INVALID', `${file}: ${where}: ${problem.message}. Nothing was imported.`, {
    remedy: `Correct ${where} in the file (or export it again from the tradelog it came from), then import it into an empty data directory.`,
    details: { file, path: where },
  });
}

/** Check a parsed file's header before its body: is it an export at all, and of a version this reader knows? */
function checkHeader(file: string, data: unknown): void {
  const head = typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
  if (head?.format !== EXPORT_FORMAT) {
    throw new AppError('TL_EXPORT_UNREADABLE', `${file} is not a tradelog journal export ("format" is not "${EXPORT_FORMAT}").`, {
      remedy: 'Give the file "tradelog export journal" wrote (or the Settings page\'s "Download the journal").',
      details: { file },
    });
  }
  if (typeof head.version === 'number' && Number.isInteger(head.version) && head.version > EXPORT_VERSION) {
    throw new AppError(
      'TL_EXPORT_VERSION',
      `${file} is a version ${head.version} export; this tradelog reads versions 1 to ${EXPORT_VERSION}. Nothing was imported.`,
      {
        remedy: 'Update tradelog to the version that wrote the file (or newer), then import it again.',
        details: { file, version: head.version, supported: EXPORT_VERSION },
      },
    );
  }
}

/**
 * Parse and check an export's text: its shape (zod, strict: an unknown field is refused), each section named in
 * `sections` and present for the file's version, and what spans items (unique ids, known imports). Throws
 * TL_EXPORT_UNREADABLE, TL_EXPORT_VERSION or TL_EXPORT_INVALID naming the first bad field by its JSON path.
 */
export function parseJournalFile(file: string, text: string): JournalFile {
  let data: unknown;
  try {
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new AppError('TL_EXPORT_UNREADABLE', `${file} is not JSON: ${(err as Error).message}.`, {
      remedy: 'Give the file "tradelog export journal" wrote, unchanged (a file cut short by a failed download is not whole).',
      details: { file },
    });
  }
  checkHeader(file, data);
  const parsed = fileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(file, { path: issue?.path ?? [], message: issue?.message ?? 'invalid' });
  }
  const f = parsed.data;
  const expected = SECTIONS.filter((s) => s.since <= f.version).map((s) => s.name);
  const present = expected.filter((name) => f[name] !== undefined);
  if (present.length !== expected.length) {
    const missing = expected.find((name) => f[name] === undefined);
    throw invalid(file, {
      path: [missing ?? ''],
      message: `a version ${f.version} export has a "${missing}" section (empty when there is nothing)`,
    });
  }
  if (f.sections.join() !== expected.join()) {
    throw invalid(file, { path: ['sections'], message: `a version ${f.version} export lists its sections as ${JSON.stringify(expected)}` });
  }
  const out: JournalFile = {
    version: f.version,
    exportedAt: f.exportedAt,
    expect: f.expect,
    settings: f.settings ?? [],
    imports: f.imports ?? [],
    executions: f.executions ?? [],
    positionIds: f.positionIds ?? [],
    journal: f.journal ?? [],
    accounts: f.accounts ?? [],
    feeSchedules: f.feeSchedules ?? [],
    orders: f.orders ?? [],
    stops: f.stops ?? [],
  };
  const keys = new Set<string>();
  for (const [i, s] of out.settings.entries()) {
    if (keys.has(s.key)) throw invalid(file, { path: ['settings', i, 'key'], message: `setting ${s.key} appears twice` });
    keys.add(s.key);
  }
  const problem = checkTrades(out) ?? checkRegistry(out, new Set(out.imports.map((i) => i.id)));
  if (problem) throw invalid(file, problem);
  if (out.expect && out.expect.executions !== out.executions.length) {
    throw invalid(file, {
      path: ['expect', 'executions'],
      message: `says ${out.expect.executions} executions but the file holds ${out.executions.length}`,
    });
  }
  return out;
}

// ---- writing

export interface FileHeader {
  exportedAt: string;
  generator: string;
  expect: ExportExpect;
}

/** The file's first piece: everything before the sections. */
export function headerText(h: FileHeader): string {
  return `{"format":${JSON.stringify(EXPORT_FORMAT)},"version":${EXPORT_VERSION},"exportedAt":${JSON.stringify(h.exportedAt)},"generator":${JSON.stringify(
    h.generator,
  )},\n"sections":${JSON.stringify(SECTIONS.map((s) => s.name))},\n"expect":${JSON.stringify(h.expect)}`;
}

/** One section's pieces: its opening, then one piece per page of items (one item per line), then its end. */
export function* sectionText(name: SectionName, pages: Iterable<unknown[]>): Generator<string> {
  let first = true;
  yield `,\n${JSON.stringify(name)}:[`;
  for (const page of pages) {
    let out = '';
    for (const item of page) {
      out += `${first ? '\n' : ',\n'}${JSON.stringify(item)}`;
      first = false;
    }
    yield out;
  }
  yield first ? ']' : '\n]';
}

export const FILE_END = '\n}\n';
