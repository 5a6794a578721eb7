import type { Db } from '../db/open.js';
import { AppError } from '../errors.js';
import {
  INSTRUMENT_OVERRIDES_KEY,
  type InstrumentOverride,
  type InstrumentOverrides,
  InstrumentRegistry,
  instrumentOverridesSchema,
} from '../instruments/instruments.js';
import type { SettingsRepo } from '../settings/settings.repo.js';
import { createExecutionsRepo } from './executions.repo.js';
import { rebuildBooks, rootOfContract, type TradesContext } from './rebuild.js';

/**
 * Changing the user's instrument overrides (Settings → Instruments). Each change is one transaction with the
 * rebuild it needs: the override and the positions priced by it commit together or not at all. Only the books of
 * the changed root are rebuilt, and only when its point value changed (name, exchange, tick size and chart symbol
 * don't price positions).
 */
export interface OverrideChange {
  root: string;
  /** Positions recalculated with the new point value (0 when none trade this root or the value is unchanged). */
  positionsRecalculated: number;
}

/** A field of the instrument form; errors that concern one name it in `details.field`. */
export type OverrideField = 'root' | 'name' | 'exchange' | 'pointValue' | 'tickSize' | 'yahooSymbol';

function badOverride(root: string, field: OverrideField, message: string, remedy: string): AppError {
  return new AppError('TL_INSTRUMENT_BAD_OVERRIDE', message, { remedy, details: { root, field } });
}

/** The overrides with `root` set to `override` (or removed), validated as the registry will read them. */
function checked(root: string, next: InstrumentOverrides): { overrides: InstrumentOverrides; registry: InstrumentRegistry } {
  const parsed = instrumentOverridesSchema.safeParse(next);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = (issue?.path[1] ?? 'root') as OverrideField;
    throw badOverride(
      root,
      field,
      `The ${field} of ${root} is not valid: ${issue?.message ?? 'invalid'}.`,
      'Correct that field and save again.',
    );
  }
  const o = parsed.data[root];
  if (o && !new InstrumentRegistry().has(root)) {
    // A new root: tradelog never guesses a multiplier.
    if (o.pointValue === undefined) {
      throw badOverride(
        root,
        'pointValue',
        `${root} is not a built-in instrument, so it needs a point value.`,
        `Give the dollars one contract of ${root} gains per 1.00 move of the price (e.g. 2 for MNQ, 50 for ES).`,
      );
    }
    if (o.tickSize === undefined) {
      throw badOverride(
        root,
        'tickSize',
        `${root} is not a built-in instrument, so it needs a tick size.`,
        `Give the smallest price step of ${root} (e.g. 0.25 for MNQ and ES).`,
      );
    }
  }
  return { overrides: parsed.data, registry: new InstrumentRegistry(parsed.data) };
}

/** Store the new overrides and rebuild the books of `root` when its point value changed. Inside `db.write()`. */
function apply(ctx: TradesContext, settings: SettingsRepo, root: string, next: InstrumentOverrides): OverrideChange {
  const { overrides, registry } = checked(root, next);
  const books = createExecutionsRepo(ctx.db)
    .allBooks()
    .filter((b) => rootOfContract(b.contract) === root);
  const before = ctx.registry.has(root) ? ctx.registry.get(root).pointValue : undefined;
  const after = registry.has(root) ? registry.get(root).pointValue : undefined;
  if (books.length > 0 && after === undefined) {
    throw new AppError(
      'TL_INSTRUMENT_IN_USE',
      `${root} cannot be removed: executions of ${root} are stored, and their positions need its point value. Nothing was changed.`,
      {
        remedy: `Keep ${root}, or first undo the imports that added its executions (Import → History), then remove it.`,
        details: { root, books: books.length },
      },
    );
  }
  settings.set(INSTRUMENT_OVERRIDES_KEY, instrumentOverridesSchema, overrides);
  if (books.length === 0 || before === after) return { root, positionsRecalculated: 0 };
  return { root, positionsRecalculated: rebuildBooks({ ...ctx, registry }, books) };
}

function current(settings: SettingsRepo): InstrumentOverrides {
  return { ...settings.get(INSTRUMENT_OVERRIDES_KEY, instrumentOverridesSchema, {}) };
}

export interface OverrideDeps {
  db: Db;
  settings: SettingsRepo;
  /** The trades context with the registry in force; read inside the transaction. */
  context: () => TradesContext;
}

/** Add or replace the override of `root` (a built-in root's fields, or a whole new root). */
export function saveInstrumentOverride(deps: OverrideDeps, root: string, override: InstrumentOverride): OverrideChange {
  const key = root.trim().toUpperCase();
  return deps.db.write(() => apply(deps.context(), deps.settings, key, { ...current(deps.settings), [key]: override }));
}

/** Remove the override of `root`: a built-in root goes back to its built-in spec, an added root disappears. */
export function removeInstrumentOverride(deps: OverrideDeps, root: string): OverrideChange {
  const key = root.trim().toUpperCase();
  return deps.db.write(() => {
    const next = current(deps.settings);
    delete next[key];
    return apply(deps.context(), deps.settings, key, next);
  });
}
