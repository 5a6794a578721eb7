import * as z from 'zod';
import { type InstrumentRegistry, loadInstrumentRegistry } from '../instruments/instruments.js';
import type { SettingsRepo } from '../settings/settings.repo.js';

/**
 * The one place where a contract or instrument name becomes a provider symbol and a bar-store key.
 *
 * - `MNQ SEP25`, `MNQ 09-25`, `MNQU5`, `MNQ` → root `MNQ` → Yahoo `MNQ=F` (the instrument spec's `yahooSymbol`,
 *   the continuous front month). Bars are stored under the root.
 * - Idempotent: a name that already is a provider symbol of some root (`NQ=F`, or a user's override such as
 *   `MNQU25.CME`) is returned unchanged, never suffixed again (the replaced app turned `NQ=F` into `NQ=F=F`).
 * - Overridable per root in the settings key `market.symbols`, e.g. `{"M2K": "RTY=F"}`.
 */
export const MARKET_SYMBOLS_KEY = 'market.symbols';

export const marketSymbolsSchema = z.record(
  z.string().regex(/^[A-Z0-9]{1,5}$/, { message: 'must be an instrument root such as MNQ' }),
  z
    .string()
    .min(1)
    .max(32)
    .regex(/^[A-Za-z0-9=^._-]+$/, { message: 'must be a provider symbol such as MNQ=F' }),
);
export type MarketSymbols = z.infer<typeof marketSymbolsSchema>;

export interface ResolvedSymbol {
  /** Bar-store key: the contract root. */
  root: string;
  /** The provider's symbol. */
  symbol: string;
}

export class SymbolMapper {
  private readonly bySymbol = new Map<string, ResolvedSymbol>();

  constructor(
    private readonly registry: InstrumentRegistry,
    private readonly overrides: MarketSymbols = {},
  ) {
    for (const spec of registry.all()) this.bySymbol.set(spec.yahooSymbol.toUpperCase(), { root: spec.root, symbol: spec.yahooSymbol });
    // Overrides win over built-in symbols when two roots would claim the same symbol.
    for (const [root, symbol] of Object.entries(overrides)) this.bySymbol.set(symbol.toUpperCase(), { root, symbol });
  }

  /** Root and provider symbol for a contract name, root, or provider symbol. Unknown roots: TL_INSTRUMENT_UNKNOWN. */
  resolve(name: string): ResolvedSymbol {
    const known = this.bySymbol.get(name.trim().toUpperCase());
    if (known) return { ...known };
    const root = this.registry.parse(name).root;
    const override = this.overrides[root];
    if (override) return { root, symbol: override };
    return { root, symbol: this.registry.get(root, name).yahooSymbol };
  }

  /** The bar-store key (root) of a contract name, root or provider symbol; needs no instrument spec. */
  barInstrument(name: string): string {
    const known = this.bySymbol.get(name.trim().toUpperCase());
    if (known) return known.root;
    return this.registry.parse(name).root;
  }
}

/** A mapper built from the instrument registry and the user's `market.symbols` overrides in settings. */
export function loadSymbolMapper(settings: SettingsRepo, registry: InstrumentRegistry = loadInstrumentRegistry(settings)): SymbolMapper {
  return new SymbolMapper(registry, settings.get(MARKET_SYMBOLS_KEY, marketSymbolsSchema, {}));
}
