import { isAppError } from '../../errors.js';
import type { InstrumentRegistry } from '../../instruments/instruments.js';
import { bad, ok, type Parsed } from './columns.js';
import type { Contract } from './types.js';

/**
 * The one contract resolver of the importers: every spelling of broker-formats.md §9.1 → root + month + year.
 *
 *   `MNQM6` (Tradovate, TopstepX, Rithmic, IBKR)      `CM.MNQU6` (ProjectX completed orders, WealthCharts)
 *   `MNQ 09-26`, `MES JUN26`, `MNQ DEC25` (NinjaTrader) `MESM26_FUT_CME`, `MESU6.CME` (Sierra Chart)
 *   `/NQM26` (thinkorswim)                              `FDXS 20240315 M` (IBKR Eurex: root and expiry date)
 *
 * Source prefixes and suffixes are taken off here; the name itself is read by the instruments module's
 * parseContract. A one-digit year is put in the decade nearest the fill's date (`Z9` traded in 2026 is 2029,
 * `H6` in December 2025 is 2026). A name without an expiry, or a root without a contract spec, is refused: an
 * unknown root names the settings page where it is added, never a guessed multiplier.
 */
const ONE_DIGIT_YEAR = /[FGHJKMNQUVXZ](\d)$/;
const MONTH_CODES = 'FGHJKMNQUVXZ';

/** The name without the source's decorations: `CM.MNQU6` → `MNQU6`, `MESM26_FUT_CME` → `MESM26`, `/NQM26` → `NQM26`. */
export function undecorate(raw: string): string {
  let s = raw.trim().toUpperCase().replace(/\s+/g, ' ');
  if (s.startsWith('/')) s = s.slice(1);
  const eurex = /^([A-Z0-9]{1,6}) (\d{4})(\d{2})\d{2}(?: .*)?$/.exec(s);
  if (eurex) return `${eurex[1]} ${eurex[3]}-${(eurex[2] as string).slice(2)}`;
  if (!s.includes(' ')) {
    const under = s.indexOf('_');
    if (under > 0) s = s.slice(0, under);
    if (s.includes('.')) {
      const parts = s.split('.').filter((p) => p !== '');
      s = parts.find((p) => /[FGHJKMNQUVXZ]\d{1,2}$/.test(p)) ?? parts[0] ?? s;
    }
  }
  return s;
}

/** The year of a one-digit year digit nearest (in months) to the fill; a tie goes to the later. */
export function nearestYear(digit: number, month: number, atMs: number): number {
  const at = new Date(atMs);
  const here = at.getUTCFullYear() * 12 + at.getUTCMonth();
  const decade = at.getUTCFullYear() - (at.getUTCFullYear() % 10);
  let best = decade + digit;
  for (const y of [decade - 10 + digit, decade + digit, decade + 10 + digit]) {
    const d = Math.abs(y * 12 + month - 1 - here);
    const b = Math.abs(best * 12 + month - 1 - here);
    if (d < b || (d === b && y > best)) best = y;
  }
  return best;
}

export class ContractResolver {
  private readonly cache = new Map<string, { result: Parsed<Contract>; from: number; to: number }>();

  constructor(private readonly registry: InstrumentRegistry) {}

  /**
   * `raw` as traded at `atMs`. `root`, when the file states it in another column (Tradovate `Product`, IBKR
   * `UnderlyingSymbol`), must agree with the name.
   */
  resolve(raw: string, atMs: number, root?: string): Parsed<Contract> {
    const key = root === undefined ? raw : `${raw}|${root}`;
    const hit = this.cache.get(key);
    // a one-digit year depends on the month traded: an answer holds for the UTC month it was worked out in
    if (hit && atMs >= hit.from && atMs < hit.to) return hit.result;
    const at = new Date(atMs);
    const from = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
    const to = Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
    const result = this.read(raw, atMs, root);
    this.cache.set(key, { result, from, to });
    return result;
  }

  private read(raw: string, atMs: number, stated?: string): Parsed<Contract> {
    const name = undecorate(raw);
    let ref: ReturnType<InstrumentRegistry['parse']>;
    try {
      ref = this.registry.parse(name, new Date(atMs).getUTCFullYear());
    } catch (err) {
      if (!isAppError(err)) throw err;
      return bad(`"${raw}" is not a contract name tradelog can read (e.g. MNQM6, MNQ 09-26, MES JUN26)`);
    }
    if (ref.month === undefined || ref.year === undefined) return bad(`contract "${raw}" names no expiry month`);
    const statedRoot = stated?.trim().toUpperCase();
    if (statedRoot && statedRoot !== ref.root) return bad(`contract "${raw}" is not of the root "${stated}" the row states`);
    if (!this.registry.has(ref.root)) {
      return bad(
        `unknown instrument root "${ref.root}" in "${raw}": tradelog has no point value or tick size for it; add ${ref.root} in Settings → Instruments, then import again`,
      );
    }
    const digit = name.includes(' ') ? null : ONE_DIGIT_YEAR.exec(name);
    const year = digit ? nearestYear(Number(digit[1]), MONTH_CODES.indexOf(name.at(-2) as string) + 1, atMs) : ref.year;
    return ok({ root: ref.root, month: ref.month, year, raw });
  }

  /** Dollars per 1.00 of price for a root the resolver accepted. */
  pointValue(root: string): number {
    return this.registry.get(root).pointValue;
  }
}

/** `MNQ 09-26`: the project's one spelling of a contract (instruments.ts canonicalContract). */
export function contractKey(c: Contract): string {
  return `${c.root} ${String(c.month).padStart(2, '0')}-${String(c.year % 100).padStart(2, '0')}`;
}
