import * as z from 'zod';
import { AppError } from '../errors.js';
import type { SettingsRepo } from '../settings/settings.repo.js';
import { BUILT_IN_SPECS, type InstrumentSpec } from './specs.js';

/**
 * Contract names as traders meet them, and the registry of specs (built-in + the user's overrides).
 *
 * Accepted forms (all give root MNQ, December 2025):
 *   `MNQ DEC25` / `MNQ SEP25` (month name), `MNQ 12-25` (NinjaTrader), `MNQZ5` / `MNQZ25` (CME month code),
 * and also a bare root `MNQ` or a Yahoo symbol `MNQ=F` (no month).
 * Month codes: F Jan, G Feb, H Mar, J Apr, K May, M Jun, N Jul, Q Aug, U Sep, V Oct, X Nov, Z Dec.
 */
export interface ContractRef {
  /** As written in the source (CSV cell, settings). */
  raw: string;
  root: string;
  /** 1–12 when the name carries an expiry month. */
  month?: number;
  /** Four-digit year when the name carries one. */
  year?: number;
}

const MONTH_CODES = 'FGHJKMNQUVXZ';
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

function fullYear(digits: string, referenceYear: number): number {
  if (digits.length === 2) return 2000 + Number(digits);
  // One digit: the year in the current decade, or the next one when that is more than 5 years back.
  const decade = referenceYear - (referenceYear % 10);
  const y = decade + Number(digits);
  return y < referenceYear - 5 ? y + 10 : y;
}

function unknownFormat(raw: string): AppError {
  return new AppError('TL_INSTRUMENT_BAD_NAME', `"${raw}" is not a contract name tradelog can read.`, {
    remedy: 'Use a form like "MNQ 12-25", "MNQ DEC25", "MNQZ5", "MNQZ25" or a bare root like "MNQ".',
    details: { instrument: raw },
  });
}

/**
 * Split a contract name into root and expiry. `knownRoots` resolves the compact form (`ZNH5` is ZN + H5, not
 * Z + NH5); without a known root the shortest root that leaves a valid month code and year is taken.
 */
export function parseContract(
  raw: string,
  knownRoots: ReadonlySet<string> = DEFAULT_ROOTS,
  referenceYear = new Date().getUTCFullYear(),
): ContractRef {
  const name = raw.trim().toUpperCase().replace(/\s+/g, ' ');
  if (!name) throw unknownFormat(raw);
  let m = /^([A-Z0-9]{1,5})=F$/.exec(name);
  if (m) return { raw, root: m[1] as string };
  m = /^([A-Z0-9]{1,5}) (\d{2})-(\d{2})$/.exec(name);
  if (m) {
    const month = Number(m[2]);
    if (month < 1 || month > 12) throw unknownFormat(raw);
    return { raw, root: m[1] as string, month, year: 2000 + Number(m[3]) };
  }
  m = /^([A-Z0-9]{1,5}) ([A-Z]{3})(\d{2})$/.exec(name);
  if (m) {
    const idx = MONTH_NAMES.indexOf(m[2] as string);
    if (idx < 0) throw unknownFormat(raw);
    return { raw, root: m[1] as string, month: idx + 1, year: 2000 + Number(m[3]) };
  }
  m = /^([A-Z0-9]{1,5}) ([FGHJKMNQUVXZ])(\d{1,2})$/.exec(name);
  if (m) {
    return { raw, root: m[1] as string, month: MONTH_CODES.indexOf(m[2] as string) + 1, year: fullYear(m[3] as string, referenceYear) };
  }
  if (/^[A-Z0-9]{1,5}$/.test(name) && !/^[A-Z0-9]+[FGHJKMNQUVXZ]\d{1,2}$/.test(name)) return { raw, root: name };
  // Compact: ROOT + month code + 1–2 digit year. Prefer the longest known root.
  const compact = /^([A-Z0-9]+?)([FGHJKMNQUVXZ])(\d{1,2})$/;
  const candidates = [...knownRoots].filter((r) => name.startsWith(r)).sort((a, b) => b.length - a.length);
  for (const root of candidates) {
    const rest = /^([FGHJKMNQUVXZ])(\d{1,2})$/.exec(name.slice(root.length));
    if (rest) {
      return { raw, root, month: MONTH_CODES.indexOf(rest[1] as string) + 1, year: fullYear(rest[2] as string, referenceYear) };
    }
  }
  m = compact.exec(name);
  if (m)
    return { raw, root: m[1] as string, month: MONTH_CODES.indexOf(m[2] as string) + 1, year: fullYear(m[3] as string, referenceYear) };
  throw unknownFormat(raw);
}

/** One spelling per contract, used as the position book key: `MNQ 12-25`, or the root alone without expiry. */
export function canonicalContract(ref: ContractRef): string {
  if (ref.month === undefined || ref.year === undefined) return ref.root;
  return `${ref.root} ${String(ref.month).padStart(2, '0')}-${String(ref.year % 100).padStart(2, '0')}`;
}

export const DEFAULT_ROOTS: ReadonlySet<string> = new Set(BUILT_IN_SPECS.map((s) => s.root));

/** A user override: any field of a built-in root, or a whole new root (pointValue and tickSize required). */
export const instrumentOverrideSchema = z
  .object({
    name: z.string().min(1).optional(),
    exchange: z.enum(['CME', 'CBOT', 'NYMEX', 'COMEX']).optional(),
    pointValue: z.number().positive().optional(),
    tickSize: z.number().positive().optional(),
    yahooSymbol: z.string().min(1).optional(),
  })
  .strict();
export type InstrumentOverride = z.infer<typeof instrumentOverrideSchema>;
export const instrumentOverridesSchema = z.record(z.string().regex(/^[A-Z0-9]{1,5}$/), instrumentOverrideSchema);
export type InstrumentOverrides = z.infer<typeof instrumentOverridesSchema>;

export class InstrumentRegistry {
  private readonly specs = new Map<string, InstrumentSpec>();

  constructor(overrides: InstrumentOverrides = {}) {
    for (const s of BUILT_IN_SPECS) this.specs.set(s.root, s);
    for (const [root, o] of Object.entries(overrides)) {
      const base = this.specs.get(root);
      if (!base && (o.pointValue === undefined || o.tickSize === undefined)) {
        throw new AppError('TL_INSTRUMENT_BAD_OVERRIDE', `The override for new root ${root} lacks pointValue or tickSize.`, {
          remedy: `Give ${root} at least a point value (dollars per 1.00 of price) and a tick size in Settings → Instruments.`,
          details: { root },
        });
      }
      this.specs.set(root, {
        root,
        name: o.name ?? base?.name ?? root,
        exchange: o.exchange ?? base?.exchange ?? 'CME',
        pointValue: (o.pointValue ?? base?.pointValue) as number,
        tickSize: (o.tickSize ?? base?.tickSize) as number,
        currency: 'USD',
        yahooSymbol: o.yahooSymbol ?? base?.yahooSymbol ?? `${root}=F`,
      });
    }
  }

  roots(): ReadonlySet<string> {
    return new Set(this.specs.keys());
  }

  all(): InstrumentSpec[] {
    return [...this.specs.values()].sort((a, b) => a.root.localeCompare(b.root));
  }

  has(root: string): boolean {
    return this.specs.has(root.toUpperCase());
  }

  /** The spec of a root; an unknown root is an error that names it and says how to add it (never a multiplier of 1). */
  get(root: string, context?: string): InstrumentSpec {
    const s = this.specs.get(root.toUpperCase());
    if (s) return s;
    throw new AppError(
      'TL_INSTRUMENT_UNKNOWN',
      `Unknown instrument root "${root}"${context ? ` in "${context}"` : ''}: tradelog has no point value or tick size for it.`,
      {
        remedy: `Add ${root} in Settings → Instruments with its point value (dollars per 1.00 of price), tick size and exchange, then import again.`,
        details: { root },
      },
    );
  }

  parse(raw: string, referenceYear?: number): ContractRef {
    return parseContract(raw, this.roots(), referenceYear);
  }

  /** Parse a contract name and look up its spec in one step. */
  resolve(raw: string, referenceYear?: number): { contract: ContractRef; canonical: string; spec: InstrumentSpec } {
    const contract = this.parse(raw, referenceYear);
    return { contract, canonical: canonicalContract(contract), spec: this.get(contract.root, raw) };
  }
}

/** Settings key of the user's instrument overrides. */
export const INSTRUMENT_OVERRIDES_KEY = 'instruments.overrides';

/** The registry with the user's `instruments.overrides` from settings. */
export function loadInstrumentRegistry(settings: SettingsRepo): InstrumentRegistry {
  return new InstrumentRegistry(settings.get(INSTRUMENT_OVERRIDES_KEY, instrumentOverridesSchema, {}));
}
