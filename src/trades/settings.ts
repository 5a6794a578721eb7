import { z } from 'zod';
import { InstrumentRegistry, instrumentOverridesSchema } from '../instruments/instruments.js';
import type { SettingsRepo } from '../settings/settings.repo.js';
import { isValidZone } from './zone.js';

/**
 * The trades area's settings: `import.timezone` (the zone NinjaTrader's wall-clock times are read in; when set it
 * overrides TRADELOG_IMPORT_TIMEZONE) and `instruments.overrides` (read into the registry that prices positions).
 */
export const IMPORT_TIMEZONE_KEY = 'import.timezone';
export const INSTRUMENT_OVERRIDES_KEY = 'instruments.overrides';

export const importTimezoneSchema = z.string().refine(isValidZone, { message: 'not an IANA time zone (e.g. America/Los_Angeles)' });

export function importTimezone(settings: SettingsRepo, configured: string): string {
  return settings.get<string | null>(IMPORT_TIMEZONE_KEY, importTimezoneSchema.nullable(), null) ?? configured;
}

export function loadRegistry(settings: SettingsRepo): InstrumentRegistry {
  return new InstrumentRegistry(settings.get(INSTRUMENT_OVERRIDES_KEY, instrumentOverridesSchema, {}));
}
